// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic tracepoint program of the TracingPolicy engine. One instance of
 * this object is loaded per hook: the record layout of the tracepoint is
 * baked into rodata before load, the selectors are written into gt_config
 * after load and before attach. Serves "tracepoints:" hooks and syscall
 * "kprobes:" (through syscalls/sys_enter_*). Selectors are evaluated here so
 * that an event no selector matches never reaches user space.
 *
 * matchBinaries compares against the path of the task's mm->exe_file,
 * walked in the kernel (the resolved binary: a symlink such as /bin/sh
 * reads as its target).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "abi/msg_generic.h"
#include "lib/path.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 hook_id = 0;
const volatile __u32 msg_op = MSG_OP_GENERIC_TRACEPOINT;
const volatile __u32 nargs = 0;
const volatile __u32 agent_tgid = 0;
const volatile struct gt_arg_cfg args_cfg[GT_MAX_ARGS] = {};

/* Shared with the lifecycle sensor (bpf_map__reuse_fd before load). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_EXECVE_MAP_ENTRIES);
	__type(key, __u32);
	__type(value, struct execve_map_value);
} execve_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gt_config);
} gt_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GT_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} gt_stats SEC(".maps");

struct gt_heap {
	struct msg_generic m;
	char bin[GT_BIN_MAX];
	__u32 bin_len;
	__u32 bin_done;
	struct path_scratch scratch;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gt_heap);
} gt_heap_map SEC(".maps");

static __always_inline void stat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&gt_stats, &idx);

	if (v)
		*v += 1;
}

/* Byte-wise comparison of a[aoff..aoff+n) with b[0..n), as a bpf_loop body. */
struct cmp_ctx {
	const char *a;
	const char *b;
	__u32 aoff;
	int diff;
};

static long cmp_step(__u32 i, void *p)
{
	struct cmp_ctx *c = p;

	if (c->a[(c->aoff + i) & (GT_STR_MAX - 1)] != c->b[i & (GT_STR_MAX - 1)]) {
		c->diff = 1;
		return 1;
	}
	return 0;
}

static __always_inline int str_cmp(const char *a, __u32 alen, const char *b, __u32 blen, __u8 op)
{
	struct cmp_ctx c = { .a = a, .b = b };

	if (blen > GT_STR_MAX || alen > GT_STR_MAX)
		return 0;
	switch (op) {
	case GT_OP_EQ:
	case GT_OP_NEQ:
		if (alen != blen)
			return 0;
		break;
	case GT_OP_PREFIX:
	case GT_OP_NOT_PREFIX:
		if (alen < blen)
			return 0;
		break;
	case GT_OP_POSTFIX:
	case GT_OP_NOT_POSTFIX:
		if (alen < blen)
			return 0;
		c.aoff = alen - blen;
		break;
	default:
		return 0;
	}
	bpf_loop(blen, cmp_step, &c, 0);
	return !c.diff;
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
		return is_signed ? (v >= lo && v <= hi) : ((__u64)v >= (__u64)lo && (__u64)v <= (__u64)hi);
	}
	return 0;
}

static __always_inline int negated(__u8 op)
{
	return op == GT_OP_NEQ || op == GT_OP_NOT_PREFIX || op == GT_OP_NOT_POSTFIX;
}

static __noinline int argf_match(struct gt_heap *h, const struct gt_argf *f)
{
	__u32 slot = f->slot;
	int any = 0;

	if (slot >= GT_MAX_ARGS)
		return 0;
	for (__u32 k = 0; k < GT_MAX_VALS; k++) {
		if (k >= f->nvals)
			break;
		if (f->is_str)
			any = str_cmp(h->m.str[slot], h->m.args[slot].len, f->str[k], f->len[k],
				      f->op);
		else
			any = int_match(h->m.args[slot].ival, f, k, args_cfg[slot].is_signed);
		if (any)
			break;
	}
	return negated(f->op) ? !any : any;
}

static __always_inline void read_binary(struct gt_heap *h)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	__u32 off, flags = 0;

	h->bin_done = 1;
	h->bin_len = 0;
	if (!exe || !fs)
		return;
	off = path_walk(&h->scratch, &exe->f_path, &fs->root, &flags);
	long n = bpf_probe_read_kernel_str(h->bin, sizeof(h->bin), &h->scratch.buf[off & PATH_WALK_MASK]);

	if (n > 1)
		h->bin_len = n - 1;
}

static __noinline int bin_match(struct gt_heap *h, const struct gt_selector *s)
{
	int any = 0;

	if (!h->bin_done)
		read_binary(h);
	for (__u32 k = 0; k < GT_MAX_BINS; k++) {
		if (k >= s->nbins)
			break;
		any = str_cmp(h->bin, h->bin_len, s->bins[k], s->bin_len[k],
			      s->bin_op == GT_OP_EQ || s->bin_op == GT_OP_NEQ ? GT_OP_EQ : GT_OP_PREFIX);
		if (any)
			break;
	}
	return s->bin_op == GT_OP_NEQ || s->bin_op == GT_OP_NOT_PREFIX ? !any : any;
}

static __always_inline int sel_match(struct gt_heap *h, const struct gt_selector *s, __u32 tgid)
{
	if (s->pid_op != GT_OP_NONE) {
		int any = 0;

		for (__u32 k = 0; k < GT_MAX_PIDS; k++)
			if (k < s->npids && s->pids[k] == tgid)
				any = 1;
		if ((s->pid_op == GT_OP_IN) != any)
			return 0;
	}
	if (s->bin_op != GT_OP_NONE && !bin_match(h, s))
		return 0;
	for (__u32 j = 0; j < GT_MAX_ARGF; j++) {
		if (j >= s->nargf)
			break;
		if (!argf_match(h, &s->argf[j]))
			return 0;
	}
	return 1;
}

static __always_inline void read_arg(void *ctx, struct gt_heap *h, __u32 i)
{
	struct gt_arg_val *a = &h->m.args[i];
	char *dst = h->m.str[i];
	__u32 kind = args_cfg[i].kind, off = args_cfg[i].offset, size = args_cfg[i].size;
	const void *ptr = 0;
	long n;

	a->kind = kind;
	a->len = 0;
	a->ival = 0;
	switch (kind) {
	case GT_ARG_INT: {
		__u64 v = 0;

		if (size > 8)
			size = 8;
		bpf_probe_read_kernel(&v, size & 15, ctx + off);
		if (args_cfg[i].is_signed) {
			if (size == 1)
				v = (__s64)(__s8)v;
			else if (size == 2)
				v = (__s64)(__s16)v;
			else if (size == 4)
				v = (__s64)(__s32)v;
		}
		a->ival = v;
		return;
	}
	case GT_ARG_STR_USER:
	case GT_ARG_STR_KERNEL:
		bpf_probe_read_kernel(&ptr, sizeof(ptr), ctx + off);
		if (!ptr)
			return;
		if (kind == GT_ARG_STR_USER)
			n = bpf_probe_read_user_str(dst, GT_STR_MAX, ptr);
		else
			n = bpf_probe_read_kernel_str(dst, GT_STR_MAX, ptr);
		if (n > 0)
			a->len = n - 1;
		return;
	case GT_ARG_CHAR_ARRAY:
		n = bpf_probe_read_kernel_str(dst, size < GT_STR_MAX ? size + 1 : GT_STR_MAX, ctx + off);
		if (n > 0)
			a->len = n - 1;
		return;
	case GT_ARG_DATA_LOC: {
		__u32 loc = 0;

		bpf_probe_read_kernel(&loc, sizeof(loc), ctx + off);
		n = bpf_probe_read_kernel_str(dst, GT_STR_MAX, ctx + (loc & 0xffff));
		if (n > 0)
			a->len = n - 1;
		return;
	}
	}
}

SEC("tracepoint")
int generic_tracepoint(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, zero = 0, sel, action = GT_ACT_POST, post = 1;
	struct execve_map_value *ev;
	struct gt_config *cfg;
	struct gt_heap *h;

	if (tgid == agent_tgid)
		return 0;
	cfg = bpf_map_lookup_elem(&gt_config, &zero);
	h = bpf_map_lookup_elem(&gt_heap_map, &zero);
	if (!cfg || !h)
		return 0;
	h->bin_done = 0;
	for (__u32 i = 0; i < GT_MAX_ARGS; i++)
		if (i < nargs)
			read_arg(ctx, h, i);

	sel = cfg->nsel;
	for (__u32 i = 0; i < GT_MAX_SEL; i++) {
		if (i >= cfg->nsel)
			break;
		if (sel_match(h, &cfg->sel[i], tgid)) {
			sel = i;
			action = cfg->sel[i].action;
			post = cfg->sel[i].post;
			break;
		}
	}
	if (cfg->nsel && sel >= cfg->nsel) {
		stat(GT_STAT_FILTERED);
		return 0;
	}
	stat(GT_STAT_MATCHED);
	if (action == GT_ACT_SIGKILL)
		bpf_send_signal(9);
	else if (action == GT_ACT_SIGNAL && sel < GT_MAX_SEL)
		bpf_send_signal(cfg->sel[sel].sig);
	if (!post)
		return 0;

	h->m.common.op = msg_op;
	h->m.common.flags = 0;
	h->m.common.size = sizeof(h->m);
	h->m.common.ktime = bpf_ktime_get_ns();
	ev = bpf_map_lookup_elem(&execve_map, &tgid);
	if (ev) {
		h->m.key = ev->key;
	} else {
		h->m.key.pid = 0;
		h->m.key.ktime = 0;
	}
	h->m.key.pad = 0;
	h->m.hook_id = hook_id;
	h->m.tid = (__u32)pid_tgid;
	h->m.tgid = tgid;
	h->m.action = action;
	h->m.sel = sel;
	h->m.nargs = nargs;
	if (bpf_ringbuf_output(&events, &h->m, sizeof(h->m), 0))
		stat(GT_STAT_LOST);
	return 0;
}
