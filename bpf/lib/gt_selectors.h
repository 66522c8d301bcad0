/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Selector evaluation of the generic programs (included by gt_common.h):
 * matchArgs, matchBinaries, matchParentBinaries, matchPIDs,
 * matchNamespaces, matchCapabilities, matchNamespaceChanges,
 * matchCapabilityChanges, and the Post rateLimit. Conditions
 * of one selector are AND'ed; the selectors are OR'ed, the first that
 * matches wins: gt_select_pre() runs the argument-free conditions of every
 * selector before the arguments are read, gt_select_and_post() the
 * matchArgs of those that passed. Before them, a workload-scoped policy's
 * calls by tasks out of its pods end (gt_scope_allows, gt_common.h).
 *
 * String values live in the LPM trie gt_strs (see abi/msg_generic.h), so
 * one lookup answers Equal, Prefix or Postfix for any number of values.
 * matchBinaries compares against the path of the task's mm->exe_file,
 * walked in the kernel (the resolved binary: a symlink such as /bin/sh
 * reads as its target); followChildren reads the process' mbset bits,
 * which the lifecycle programs inherit at fork and set at exec.
 */
#ifndef TG_BPF_GT_SELECTORS_H
#define TG_BPF_GT_SELECTORS_H

#include "lib/task.h"

struct rev_ctx {
	const char *src;
	char *dst;
	__u32 len;
};

static long rev_step(__u32 i, void *p)
{
	struct rev_ctx *c = p;

	c->dst[i & (GT_LPM_DATA - 1)] = c->src[(c->len - 1 - i) & (GT_STR_MAX - 1)];
	return 0;
}

static __always_inline int is_postfix(__u8 op)
{
	return op == GT_OP_POSTFIX || op == GT_OP_NOT_POSTFIX;
}

/*
 * Is s[0..len) one of filter id's values, for op (Equal/In, Prefix or
 * Postfix, negations included: the caller negates)?
 */
/*
 * The scratch as a map value: inside a global function h is plain memory,
 * which kernels before 6.x refuse as a map key (seen on 6.1).
 */
static __always_inline struct gt_heap *heap_value(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&gt_heap_map, &zero);
}

static __noinline int str_lookup(struct gt_heap *h, const char *s, __u32 len, __u8 id, __u8 op)
{
	struct gt_heap *hv = heap_value();
	struct gt_lpm_key *k;
	struct gt_lpm_val *v;

	(void)h;
	if (!hv || len > GT_LPM_DATA - 1)
		return 0;
	k = &hv->lkey;
	k->id = id;
	k->prefixlen = 8 * (1 + len);
	if (is_postfix(op)) {
		struct rev_ctx c = { .src = s, .dst = (char *)k->s, .len = len };

		bpf_loop(len, rev_step, &c, 0);
	} else {
		bpf_probe_read_kernel(k->s, len & (GT_LPM_DATA - 1), s);
	}
	v = bpf_map_lookup_elem(&gt_strs, k);
	if (!v)
		return 0;
	/* the longest prefix is the whole string when an exact value exists */
	if (op == GT_OP_EQ || op == GT_OP_NEQ || op == GT_OP_IN || op == GT_OP_NOT_IN)
		return v->len == len;
	return 1;
}

static __always_inline int int_match(__s64 v, const struct gt_argf *f, __u32 k, int is_signed)
{
	__s64 lo = f->lo[k & (GT_MAX_VALS - 1)], hi = f->hi[k & (GT_MAX_VALS - 1)];

	switch (f->op) {
	case GT_OP_EQ:
	case GT_OP_NEQ:
		return v == lo;
	case GT_OP_GT:
		return is_signed ? v > lo : (__u64)v > (__u64)lo;
	case GT_OP_LT:
		return is_signed ? v < lo : (__u64)v < (__u64)lo;
	case GT_OP_MASK:
		return (v & lo) != 0;
	case GT_OP_IN_RANGE:
	case GT_OP_NOT_IN_RANGE:
		return is_signed ? (v >= lo && v <= hi) : ((__u64)v >= (__u64)lo && (__u64)v <= (__u64)hi);
	}
	return 0;
}

static __always_inline int negated(__u8 op)
{
	return op == GT_OP_NEQ || op == GT_OP_NOT_PREFIX || op == GT_OP_NOT_POSTFIX ||
	       op == GT_OP_NOT_IN || op == GT_OP_NOT_IN_RANGE || op == GT_OP_NOT_IN_MAP ||
	       op == GT_OP_NOT_ADDR || op == GT_OP_NOT_PORT || op == GT_OP_NOT_PORT_PRIV ||
	       op == GT_OP_NOT_FILE_TYPE;
}

/*
 * Address and port operators on a struct sockaddr copied into s (ival is
 * its family): only AF_INET and AF_INET6 have either, other families never
 * match (so the Not forms do). Not negated here.
 */
static __always_inline int port_match(__u16 port, const struct gt_argf *f)
{
	int any = 0;

	if (f->op == GT_OP_PORT_PRIV || f->op == GT_OP_NOT_PORT_PRIV)
		return port < 1024;
	if (!f->nvals) {
		struct gt_int_key ik = { .id = f->id, .val = port };

		return bpf_map_lookup_elem(&gt_ints, &ik) != 0;
	}
	for (__u32 k = 0; k < GT_MAX_VALS; k++) {
		if (k >= f->nvals)
			break;
		if (port >= f->lo[k] && port <= f->hi[k])
			any = 1;
	}
	return any;
}

/* Is family's address at a (kernel memory) in filter f's CIDRs? */
static __always_inline int addr_match(struct gt_heap *hv, const void *a, __s64 family, const struct gt_argf *f)
{
	struct gt_lpm_key *k = &hv->lkey;

	k->id = f->id;
	if (family == 2) {
		k->s[0] = 4;
		bpf_probe_read_kernel(&k->s[1], 4, a);
		k->prefixlen = 16 + 32;
	} else {
		k->s[0] = 6;
		bpf_probe_read_kernel(&k->s[1], 16, a);
		k->prefixlen = 16 + 128;
	}
	return bpf_map_lookup_elem(&gt_strs, k) != 0;
}

/*
 * The network operators on a sock or skb argument (struct gt_net_tuple at
 * s): addresses and ports of the side f->net names, or the range of a
 * field (GT_OP_NET_FIELD). Not negated here.
 */
static __always_inline int tuple_match(struct gt_heap *hv, const char *s, const struct gt_argf *f)
{
	struct gt_net_tuple t = {};
	__s64 v = 0;
	int any = 0;

	if (bpf_probe_read_kernel(&t, sizeof(t), s))
		return 0;
	if (f->op == GT_OP_NET_FIELD) {
		if (f->net == GT_NET_FAMILY)
			v = t.family;
		else if (f->net == GT_NET_PROTOCOL)
			v = t.protocol;
		else	/* GT_NET_STATE: gt_sock.state, after the tuple */
			v = (__u8)s[sizeof(struct gt_net_tuple) + 2];
		for (__u32 k = 0; k < GT_MAX_VALS; k++) {
			if (k >= f->nvals)
				break;
			if (v >= f->lo[k] && v <= f->hi[k])
				any = 1;
		}
		return any;
	}
	if (t.family != 2 && t.family != 10)
		return 0;
	if (f->op == GT_OP_ADDR || f->op == GT_OP_NOT_ADDR)
		return addr_match(hv, f->net == GT_NET_DST ? s + 24 : s + 8, t.family, f);
	return port_match(f->net == GT_NET_DST ? t.dport : t.sport, f);
}

static __noinline int sock_match(const char *s, __s64 family, const struct gt_argf *f)
{
	struct gt_heap *hv = heap_value();	/* map values as the map arguments (6.1) */

	if (!s || !f || !hv)
		return 0;
	if (f->net != GT_NET_SOCKADDR)
		return tuple_match(hv, s, f);
	if (family != 2 && family != 10)
		return 0;
	if (f->op == GT_OP_ADDR || f->op == GT_OP_NOT_ADDR)
		/* sockaddr_in: sin_addr at 4; sockaddr_in6: sin6_addr at 8 */
		return addr_match(hv, family == 2 ? s + 4 : s + 8, family, f);
	/* network order */
	return port_match((__u16)(((__u8)s[2] << 8) | (__u8)s[3]), f);
}

struct substr_ctx {
	struct gt_heap *hv;
	const char *s;
	__u32 len;
	__u8 id;
	int found;
};

/* Does one of the values start at byte k of the string? A Prefix lookup of its tail. */
static long substr_step(__u32 k, void *p)
{
	struct substr_ctx *c = p;
	struct gt_lpm_key *key = &c->hv->lkey;
	__u32 n;

	if (k >= c->len)
		return 1;
	n = c->len - k;
	key->id = c->id;
	key->prefixlen = 8 * (1 + n);
	if (bpf_probe_read_kernel(key->s, n & (GT_LPM_DATA - 1), c->s + k))
		return 1;
	if (bpf_map_lookup_elem(&gt_strs, key)) {
		c->found = 1;
		return 1;
	}
	return 0;
}

/* One byte of the copy in the scratch to lower case (ASCII, as the kernel's tolower()). */
static long fold_step(__u32 k, void *p)
{
	struct substr_ctx *c = p;
	char *b = c->hv->scratch.buf;
	char ch;

	if (k >= c->len)
		return 1;
	ch = b[k & (GT_LPM_DATA - 1)];
	if (ch >= 'A' && ch <= 'Z')
		b[k & (GT_LPM_DATA - 1)] = ch + ('a' - 'A');
	return 0;
}

/*
 * SubString, SubStringIgnCase (fold): the string is folded once, in the
 * scratch (free once the arguments are read: the path walks are done), and
 * searched there.
 */
static __noinline int substr_lookup(const char *s, __u32 len, __u8 id, int fold)
{
	struct substr_ctx c = { .hv = heap_value(), .s = s, .len = len, .id = id };

	if (!c.hv || !s || len > GT_LPM_DATA - 1)
		return 0;
	if (fold) {
		if (bpf_probe_read_kernel(c.hv->scratch.buf, len & (GT_LPM_DATA - 1), s))
			return 0;
		bpf_loop(GT_LPM_DATA - 1, fold_step, &c, 0);
		c.s = c.hv->scratch.buf;
	}
	bpf_loop(GT_LPM_DATA - 1, substr_step, &c, 0);
	return c.found;
}

/* global functions (here and below): verified once, whatever the call sites */
__noinline int gt_argf_match(struct gt_heap *h, const struct gt_argf *f)
{
	__u32 slot;
	int any = 0;

	if (!h || !f)
		return 0;
	slot = f->slot;
	if (slot >= GT_MAX_ARGS)
		return 0;
	if (f->op >= GT_OP_ADDR && f->op <= GT_OP_NET_FIELD) {
		any = sock_match(gt_arg_ptr(h, slot), h->m.args[slot].ival, f);
	} else if (f->op == GT_OP_FILE_TYPE || f->op == GT_OP_NOT_FILE_TYPE) {
		__u32 mode = h->m.args[slot].flags >> GT_ARGV_MODE_SHIFT;

		/* no inode (an empty path) has no type, and is none of them */
		any = mode && ((1ULL << ((mode >> 12) & 15)) & (__u64)f->lo[0]);
	} else if (f->op == GT_OP_CAPS_GAINED) {
		__u32 other = (__u32)f->lo[0];
		__u64 old = h->m.args[slot].ival, new = other < GT_MAX_ARGS ? h->m.args[other].ival : 0;

		any = other < GT_MAX_ARGS && ((old ^ new) & new) != 0;
	} else if (f->op == GT_OP_SUBSTRING || f->op == GT_OP_SUBSTRING_IGNCASE) {
		__u32 len = h->m.args[slot].len;

		any = substr_lookup(&h->data[h->m.args[slot].off & (GT_DATA_MAX - 1)],
				    len > GT_STR_MAX - 1 ? GT_STR_MAX - 1 : len, f->id, f->op == GT_OP_SUBSTRING_IGNCASE);
	} else if (f->is_str) {
		__u32 len = h->m.args[slot].len, off = h->m.args[slot].off;

		/*
		 * Values are shorter than GT_STR_MAX: a longer argument can still
		 * start (Prefix) or end (Postfix) with one, never equal one.
		 */
		if (len > GT_STR_MAX - 1 && (f->op == GT_OP_PREFIX || f->op == GT_OP_NOT_PREFIX)) {
			len = GT_STR_MAX - 1;
		} else if (len > GT_STR_MAX - 1 && is_postfix(f->op)) {
			off += len - (GT_STR_MAX - 1);
			len = GT_STR_MAX - 1;
		}
		any = str_lookup(h, &h->data[off & (GT_DATA_MAX - 1)], len, f->id, f->op);
	} else if (f->op == GT_OP_IN_MAP || f->op == GT_OP_NOT_IN_MAP) {
		struct gt_int_key k = { .id = f->id, .val = h->m.args[slot].ival };

		any = bpf_map_lookup_elem(&gt_ints, &k) != 0;
	} else {
		for (__u32 k = 0; k < GT_MAX_VALS; k++) {
			if (k >= f->nvals)
				break;
			any = int_match(h->m.args[slot].ival, f, k, gt_cfg.args[slot].is_signed);
			if (any)
				break;
		}
	}
	return negated(f->op) ? !any : any;
}

/* Path of @task's executable into buf (NUL-terminated); its length. */
static __always_inline __u32 read_exe(struct gt_heap *h, struct task_struct *task, char *buf)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	__u32 off, flags = 0;
	long n;

	if (!exe || !fs)
		return 0;
	off = path_walk(&h->scratch, &exe->f_path, &fs->root, &flags);
	n = bpf_probe_read_kernel_str(buf, GT_BIN_MAX, &h->scratch.buf[off & PATH_WALK_MASK]);
	return n > 1 ? n - 1 : 0;
}

/*
 * The current process' binary: walked once per exec and cached in
 * gt_bin_cache (a hot syscall of a filtered binary would otherwise walk its
 * path on every call).
 */
static __noinline void read_binary(struct gt_heap *h)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct execve_map_value *ev = bpf_map_lookup_elem(&execve_map, &tgid);
	struct gt_heap *hv = heap_value();	/* map values as the map arguments (6.1) */
	struct gt_bin_cache_val *c;

	h->bin_done = 1;
	if (ev && hv) {
		c = bpf_map_lookup_elem(&gt_bin_cache, &tgid);
		if (c && c->ktime == ev->key.ktime && c->len < GT_BIN_MAX) {
			h->bin_len = c->len;
			bpf_probe_read_kernel(h->bin, GT_BIN_MAX, c->bin);
			return;
		}
	}
	h->bin_len = read_exe(h, task, h->bin);
	if (ev && hv) {
		hv->bc.ktime = ev->key.ktime;
		hv->bc.len = h->bin_len;
		hv->bc.pad = 0;
		bpf_probe_read_kernel(hv->bc.bin, GT_BIN_MAX, h->bin);
		bpf_map_update_elem(&gt_bin_cache, &tgid, &hv->bc, BPF_ANY);
	}
}

static __noinline void read_parent_binary(struct gt_heap *h)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);

	h->pbin_done = 1;
	h->pbin_len = parent ? read_exe(h, parent, h->pbin) : 0;
}

__noinline int gt_bin_match(struct gt_heap *h, const struct gt_binf *b, __u32 tgid, int parent)
{
	int any;

	if (!h || !b)
		return 0;
	if (b->follow) {
		struct execve_map_value *ev = bpf_map_lookup_elem(&execve_map, &tgid);

		any = ev && (ev->mbset & b->mbset_bit);
	} else if (parent) {
		if (!h->pbin_done)
			read_parent_binary(h);
		any = str_lookup(h, h->pbin, h->pbin_len, b->id, b->op);
	} else {
		if (!h->bin_done)
			read_binary(h);
		any = str_lookup(h, h->bin, h->bin_len, b->id, b->op);
	}
	return negated(b->op) ? !any : any;
}

static __always_inline int pid_in(const struct gt_selector *s, __u32 pid)
{
	int any = 0;

	for (__u32 k = 0; k < GT_MAX_PIDS; k++)
		if (k < s->npids && s->pids[k] == pid)
			any = 1;
	return any;
}

/* matchPIDs; followForks also matches descendants through execve_map's parent keys. */
__noinline int gt_pid_match(const struct gt_selector *s, __u32 tgid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	int ns, any = 0;

	if (!s)
		return 0;
	ns = s->pid_flags & GT_PID_NS;

	if (!(s->pid_flags & GT_PID_FOLLOW)) {
		any = pid_in(s, ns ? task_nspid(task) : tgid);
	} else {
		struct execve_map_value *ev = bpf_map_lookup_elem(&execve_map, &tgid);

		for (int d = 0; d < GT_PID_DEPTH && ev && !any; d++) {
			if (ns)
				any = pid_in(s, ev->nspid);
			else
				any = pid_in(s, ev->key.pid) || pid_in(s, ev->pkey.pid);
			if (!ev->pkey.pid)
				break;
			ev = bpf_map_lookup_elem(&execve_map, &ev->pkey.pid);
		}
	}
	return s->pid_op == GT_OP_IN ? any : !any;
}

static __noinline void read_ns(struct gt_heap *h)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();

	__builtin_memset(&h->ns, 0, sizeof(h->ns));
	read_namespaces(task, &h->ns);
	h->ns_done = 1;
}

__noinline int gt_ns_match(struct gt_heap *h, const struct gt_nsf *f)
{
	__u32 inum, *all;
	int any = 0;

	if (!h || !f)
		return 0;
	all = (__u32 *)&h->ns;
	if (!h->ns_done)
		read_ns(h);
	if (f->ns >= GT_NS__COUNT)
		return 0;
	inum = all[f->ns & 15];	/* bounded for the verifier; checked above */
	for (__u32 k = 0; k < GT_MAX_NSVALS; k++)
		if (k < f->nvals && f->vals[k] == inum)
			any = 1;
	return f->op == GT_OP_IN ? any : !any;
}

static __noinline void read_caps(struct gt_heap *h)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	const struct cred *cred = BPF_CORE_READ(task, cred);

	/* kernel_cap_t is u32[2] before 6.3 and a u64 after: same 8 bytes. */
	bpf_probe_read_kernel(&h->caps[GT_CAPS_EFFECTIVE], 8, &cred->cap_effective);
	bpf_probe_read_kernel(&h->caps[GT_CAPS_INHERITABLE], 8, &cred->cap_inheritable);
	bpf_probe_read_kernel(&h->caps[GT_CAPS_PERMITTED], 8, &cred->cap_permitted);
	h->userns = BPF_CORE_READ(cred, user_ns, ns.inum);
	h->caps_done = 1;
}

__noinline int gt_cap_match(struct gt_heap *h, const struct gt_capf *f)
{
	__u64 caps;

	if (!h || !f)
		return 0;
	if (!h->caps_done)
		read_caps(h);
	/* isNamespaceCapability: only processes outside the host user namespace */
	if (f->host_userns && h->userns == f->host_userns)
		return 0;
	if (f->set > GT_CAPS_PERMITTED)
		return 0;
	caps = h->caps[f->set & 3];
	return f->op == GT_OP_IN ? (caps & f->mask) != 0 : (caps & f->mask) == 0;
}

/*
 * matchNamespaceChanges and matchCapabilityChanges compare the task with
 * what exec_nscaps recorded for its process at fork and exec. A process the
 * map does not know (running before a policy used them) gets the current
 * values recorded here, its reference from now on: no change yet.
 */
static __always_inline struct exec_nscaps *nscaps_get(struct gt_heap *h, __u32 tgid)
{
	struct exec_nscaps *r = bpf_map_lookup_elem(&exec_nscaps, &tgid), *v;
	struct gt_heap *mh;
	__u32 zero = 0;

	if (r)
		return r;
	if (!h->ns_done)
		read_ns(h);
	if (!h->caps_done)
		read_caps(h);
	/*
	 * staged in the heap, not on the stack (6.1 caps a call chain's combined
	 * stack at 512 bytes), looked up here: the map value a global
	 * function's h points at is plain memory to 6.1, which a map update
	 * does not take
	 */
	mh = bpf_map_lookup_elem(&gt_heap_map, &zero);
	if (!mh)
		return 0;
	v = &mh->nsc_stage;
	__builtin_memset(v, 0, sizeof(*v));
	v->ns = h->ns;
	v->caps[GT_CAPS_EFFECTIVE] = h->caps[GT_CAPS_EFFECTIVE];
	v->caps[GT_CAPS_INHERITABLE] = h->caps[GT_CAPS_INHERITABLE];
	v->caps[GT_CAPS_PERMITTED] = h->caps[GT_CAPS_PERMITTED];
	bpf_map_update_elem(&exec_nscaps, &tgid, v, BPF_NOEXIST);
	return 0;
}

/* Has one of the namespaces nschg names (GT_NSCHG_NOT_IN: does not name) changed? */
__noinline int gt_nschg_match(struct gt_heap *h, __u32 nschg, __u32 tgid)
{
	struct exec_nscaps *r;
	__u32 mask, *cur, *rec;

	if (!h)
		return 0;
	r = nscaps_get(h, tgid);
	if (!r)
		return 0;
	if (!h->ns_done)
		read_ns(h);
	mask = nschg & GT_NSCHG_MASK;
	if (nschg & GT_NSCHG_NOT_IN)
		mask = ~mask & GT_NSCHG_MASK;
	cur = (__u32 *)&h->ns;
	rec = (__u32 *)&r->ns;
	for (__u32 i = 0; i < GT_NS__COUNT; i++)
		/* 0: a namespace this kernel lacks (time before 5.6) */
		if ((mask & (1u << i)) && rec[i] && rec[i] != cur[i])
			return 1;
	return 0;
}

/*
 * matchCapabilityChanges on set f->set: In, a capability of the mask is
 * gained or lost; NotIn, none of them changed but another one did.
 */
static __noinline int gt_capchg_match(struct gt_heap *h, const struct gt_capf *f, __u32 tgid)
{
	struct exec_nscaps *r;
	__u64 was, now;
	__u32 set;

	if (!h || !f)
		return 0;
	r = nscaps_get(h, tgid);
	if (!r)
		return 0;
	if (!h->caps_done)
		read_caps(h);
	if (f->host_userns && h->userns == f->host_userns)
		return 0;
	set = f->set;
	if (set > GT_CAPS_PERMITTED)
		return 0;
	was = r->caps[set & 3];
	now = h->caps[set & 3];
	if ((was & f->mask) != (now & f->mask))
		return f->op == GT_OP_IN;
	return f->op == GT_OP_NOT_IN && was != now;
}

/* After selector s matched and posts: its changes become the process' reference. */
static __noinline void gt_nscaps_refresh(struct gt_heap *h, const struct gt_selector *s, __u32 tgid)
{
	struct exec_nscaps *r;
	int caps = 0;

	if (!h || !s)
		return;
	for (__u32 j = 0; j < GT_MAX_CAPF; j++)
		if (j < s->ncapf && s->capf[j].chg)
			caps = 1;
	if (!(s->nschg & GT_NSCHG_ON) && !caps)
		return;
	r = bpf_map_lookup_elem(&exec_nscaps, &tgid);
	if (!r)
		return;
	if ((s->nschg & GT_NSCHG_ON) && h->ns_done)
		r->ns = h->ns;
	if (caps && h->caps_done) {
		r->caps[GT_CAPS_EFFECTIVE] = h->caps[GT_CAPS_EFFECTIVE];
		r->caps[GT_CAPS_INHERITABLE] = h->caps[GT_CAPS_INHERITABLE];
		r->caps[GT_CAPS_PERMITTED] = h->caps[GT_CAPS_PERMITTED];
	}
}

/*
 * The conditions of selector s that need no argument: matchPIDs,
 * matchNamespaces, matchCapabilities, matchCapabilityChanges,
 * matchNamespaceChanges, matchBinaries, matchParentBinaries.
 * Run before any argument is copied (gt_select_pre), so a call they all
 * refuse costs no read of user memory. A global function: the verifier
 * checks it once, not once per selector and call site.
 */
__noinline int gt_sel_pre(struct gt_heap *h, const struct gt_selector *s, __u32 tgid, __u32 i)
{
	__u32 bit = 1u << (i & 31);

	if (!h || !s)
		return 0;
	if (s->pid_op != GT_OP_NONE && !gt_pid_match(s, tgid))
		return 0;
	for (__u32 j = 0; j < GT_MAX_NSF; j++) {
		if (j >= s->nnsf)
			break;
		if (!gt_ns_match(h, &s->nsf[j]))
			return 0;
	}
	for (__u32 j = 0; j < GT_MAX_CAPF; j++) {
		if (j >= s->ncapf)
			break;
		if (s->capf[j].chg ? !gt_capchg_match(h, &s->capf[j], tgid) : !gt_cap_match(h, &s->capf[j]))
			return 0;
	}
	if ((s->nschg & GT_NSCHG_ON) && !gt_nschg_match(h, s->nschg, tgid))
		return 0;
	/*
	 * The binary: this process' verdict when this CPU kept it (gt_heap
	 * v_*), else from gt_bin_cache. followChildren reads bits the agent
	 * may set later, so it is not kept. The parent's binary is walked
	 * (a process may be reparented), so last.
	 */
	if (s->bin.op != GT_OP_NONE) {
		int ok;

		if (s->bin.follow) {
			ok = gt_bin_match(h, &s->bin, tgid, 0);
		} else if (h->v_known & bit) {
			ok = (h->v_pass & bit) != 0;
		} else {
			ok = gt_bin_match(h, &s->bin, tgid, 0);
			h->v_known |= bit;
			if (ok)
				h->v_pass |= bit;
		}
		if (!ok)
			return 0;
	}
	if (s->pbin.op != GT_OP_NONE && !gt_bin_match(h, &s->pbin, tgid, 1))
		return 0;
	return 1;
}

/* matchArgs of selector s on the arguments read into h. */
__noinline int gt_sel_args(struct gt_heap *h, const struct gt_selector *s)
{
	if (!h || !s)
		return 0;
	for (__u32 j = 0; j < GT_MAX_ARGF; j++) {
		if (j >= s->nargf)
			break;
		if (!gt_argf_match(h, &s->argf[j]))
			return 0;
	}
	return 1;
}

/* Post rateLimit: 1 when this selector, scope and arguments posted less than rate_ns ago. */
__noinline int gt_rate_limited(struct gt_heap *h, const struct gt_selector *s, __u32 sel, __u64 pid_tgid)
{
	struct gt_heap *hv = heap_value();	/* the key must be a map value on older kernels */
	struct gt_rate_key *k;
	__u64 now = bpf_ktime_get_ns(), *last;

	if (!h || !s || !hv)
		return 0;
	k = &hv->rkey;
	__builtin_memset(k, 0, sizeof(*k));
	k->sel = sel;
	if (s->rate_scope == GT_RATE_THREAD)
		k->scope = pid_tgid;
	else if (s->rate_scope == GT_RATE_PROCESS)
		k->scope = pid_tgid >> 32;
	for (__u32 i = 0; i < GT_MAX_ARGS; i++) {
		__u32 len;

		if (i >= gt_cfg.nargs)
			break;
		__builtin_memcpy(&k->data[i * GT_RATE_ARG_BYTES], &h->m.args[i].ival, 8);
		len = h->m.args[i].len;
		if (len > GT_RATE_ARG_BYTES - 8)
			len = GT_RATE_ARG_BYTES - 8;
		bpf_probe_read_kernel(&k->data[i * GT_RATE_ARG_BYTES + 8], len & 63, gt_arg_ptr(h, i));
	}
	last = bpf_map_lookup_elem(&gt_rate, k);
	if (last && now - *last < s->rate_ns)
		return 1;
	bpf_map_update_elem(&gt_rate, k, &now, BPF_ANY);
	return 0;
}

#endif
