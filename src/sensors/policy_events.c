// SPDX-License-Identifier: Apache-2.0
/*
 * Kernel records of the generic programs -> process_kprobe,
 * process_tracepoint, process_uprobe, process_lsm: by the event type of the back-end
 * that posted them (policy_backend.h).
 */
#include "sensors/generic_policy.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_internal.h"
#include "sensors/stack_syms.h"
#include "sensors/agent_actions.h"
#include "util/log.h"
#include "sensors/policy_structs.h"
#include "sensors/policy_chunks.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "event/process_events.h"
#include "event/process_facts.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "policy/policy.h"
#include "tetragon/tetragon.pb-c.h"
#include "util/ktime.h"

static void set_ts(Google__Protobuf__Timestamp *ts, uint64_t wall_ns)
{
	google__protobuf__timestamp__init(ts);
	ts->seconds = (int64_t)(wall_ns / 1000000000ULL);
	ts->nanos = (int32_t)(wall_ns % 1000000000ULL);
}

/* The nested messages an argument may point at. */
struct arg_store {
	Tetragon__KprobeFile file;
	Tetragon__KprobePath path;
	Tetragon__KprobeLinuxBinprm binprm;
	Tetragon__KprobeTruncatedBytes trunc;
	Tetragon__KprobeSockaddr sockaddr;
	Tetragon__KprobeSockaddrUn sockaddrun;
	Tetragon__SyscallId sysid;
	Tetragon__KprobeCapability cap;
	Google__Protobuf__Int32Value capval;
	char perm[11];		/* a path's mode, "drwxr-xr-x" */
	const uint8_t *big;	/* maxData: the argument's bytes joined with its chunks (big_len of them) */
	size_t big_len;
	struct arg_struct_store s;	/* sock, skb, cred... */
};

/* Argument i's bytes in the record (checked against its data); NULL with *len 0 when none. */
static const char *arg_bytes(const struct msg_generic *m, size_t i, size_t *len)
{
	const struct gt_arg_val *a = &m->args[i];

	*len = 0;
	if (!a->len || a->off > m->data_len || a->len > m->data_len - a->off || a->len > GT_ARG_MAX)
		return NULL;
	*len = a->len;
	return (const char *)(m + 1) + a->off;
}

static const char *family_name(unsigned f)
{
	switch (f) {
	case AF_UNIX: return "AF_UNIX";
	case AF_INET: return "AF_INET";
	case AF_INET6: return "AF_INET6";
	case AF_NETLINK: return "AF_NETLINK";
	case AF_PACKET: return "AF_PACKET";
	default: return "AF_UNSPEC";
	}
}

/* A struct sockaddr copied by the kernel (GT_ARG_SOCKADDR_USER) -> family, addr, port. */
static void fill_sockaddr(Tetragon__KprobeSockaddr *sa, unsigned fam, const unsigned char *b, size_t len,
			  char *strbuf)
{
	tetragon__kprobe_sockaddr__init(sa);
	sa->family = (char *)family_name(fam);
	strbuf[0] = 0;
	if (fam == AF_INET && len >= 8) {
		inet_ntop(AF_INET, b + 4, strbuf, INET6_ADDRSTRLEN);
		sa->port = (uint32_t)(b[2] << 8 | b[3]);
	} else if (fam == AF_INET6 && len >= 24) {
		inet_ntop(AF_INET6, b + 8, strbuf, INET6_ADDRSTRLEN);
		sa->port = (uint32_t)(b[2] << 8 | b[3]);
	}
	sa->addr = strbuf;
}

/* Upstream's path flags: a walk that gave up before the root. */
static char *path_flags(const struct gt_arg_val *a)
{
	return (char *)(a->flags & GT_ARGV_UNRESOLVED ? "unresolvedPathComponents" : "");
}

/*
 * Upstream's permission of a path argument: ls(1)'s mode string, the type
 * letter left out when the type is none of the seven (a mode of 0 is
 * "---------"). The i_mode is in the argument's flags (GT_ARGV_MODE_SHIFT).
 */
static char *path_perm(const struct gt_arg_val *a, char out[11])
{
	static const char types[16] = { [1] = 'p', [2] = 'c', [4] = 'd', [6] = 'b', [8] = '-', [10] = 'l', [12] = 's' };
	unsigned mode = a->flags >> GT_ARGV_MODE_SHIFT;
	size_t n = 0;

	if (types[(mode >> 12) & 0xf])
		out[n++] = types[(mode >> 12) & 0xf];
	for (int who = 2; who >= 0; who--) {
		unsigned rwx = (mode >> (who * 3)) & 7;
		/* setuid, setgid, sticky take the x place of user, group, other */
		bool special = mode & (01000u << who);
		char sp = who == 0 ? 't' : 's';

		out[n++] = rwx & 4 ? 'r' : '-';
		out[n++] = rwx & 2 ? 'w' : '-';
		out[n++] = special ? (rwx & 1 ? sp : (char)(sp - 'a' + 'A')) : rwx & 1 ? 'x' : '-';
	}
	out[n] = 0;
	return out;
}

/* strbuf: GT_ARG_MAX + 1 bytes */
/* An integer argument or return value, as its policy type reports it. */
static void set_int_arg(Tetragon__KprobeArgument *a, enum tp_arg_type t, int64_t v)
{
	switch (t) {
	case TP_ARG_UINT8: case TP_ARG_UINT16: case TP_ARG_UINT32:
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_UINT_ARG;
		a->uint_arg = (uint32_t)v;
		return;
	case TP_ARG_INT64:
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_LONG_ARG;
		a->long_arg = v;
		return;
	case TP_ARG_UINT64: case TP_ARG_SIZE_T:
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_SIZE_ARG;
		a->size_arg = (uint64_t)v;
		return;
	default:
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_INT_ARG;
		a->int_arg = (int32_t)v;
		return;
	}
}

static void fill_arg(Tetragon__KprobeArgument *a, const struct hook_inst *hi, const struct msg_generic *m,
		     size_t i, char *strbuf, struct arg_store *st)
{
	int64_t v = m->args[i].ival;
	size_t l;
	const char *b = arg_bytes(m, i, &l);

	tetragon__kprobe_argument__init(a);
	a->label = i < hi->h->nargs ? hi->h->args[i].label : hi->h->data[i - hi->h->nargs].label;
	/* the kept bytes as a C string: the string and path types point at it */
	if (l)
		memcpy(strbuf, b, l);
	strbuf[l] = 0;
	switch (hi->types[i]) {
	case TP_ARG_STRING:
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_STRING_ARG;
		a->string_arg = strbuf;
		return;
	case TP_ARG_FILE:
	case TP_ARG_KIOCB:	/* its file */
	case TP_ARG_FD:	/* upstream reports an fd as the file it names */
		tetragon__kprobe_file__init(&st->file);
		st->file.path = strbuf;
		st->file.flags = path_flags(&m->args[i]);
		st->file.permission = path_perm(&m->args[i], st->perm);
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_FILE_ARG;
		a->file_arg = &st->file;
		return;
	case TP_ARG_NOP:
		/* upstream's nop: the argument's place, without a value */
		return;
	case TP_ARG_PATH:
	case TP_ARG_DENTRY:
		tetragon__kprobe_path__init(&st->path);
		st->path.path = strbuf;
		st->path.flags = path_flags(&m->args[i]);
		st->path.permission = path_perm(&m->args[i], st->perm);
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_PATH_ARG;
		a->path_arg = &st->path;
		return;
	case TP_ARG_LINUX_BINPRM:
		tetragon__kprobe_linux_binprm__init(&st->binprm);
		st->binprm.path = strbuf;
		st->binprm.flags = path_flags(&m->args[i]);
		st->binprm.permission = path_perm(&m->args[i], st->perm);
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_LINUX_BINPRM_ARG;
		a->linux_binprm_arg = &st->binprm;
		return;
	case TP_ARG_CHAR_BUF:
	case TP_ARG_CHAR_IOVEC:
	case TP_ARG_IOV_ITER: {
		/* ival: the buffer's full size; len: the bytes the kernel kept */
		ProtobufCBinaryData bytes = { .len = l, .data = (uint8_t *)strbuf };

		if (st->big) {
			bytes.len = st->big_len;
			bytes.data = (uint8_t *)st->big;
		}

		if (v > (int64_t)bytes.len) {
			tetragon__kprobe_truncated_bytes__init(&st->trunc);
			st->trunc.bytes_arg = bytes;
			st->trunc.orig_size = (uint64_t)v;
			a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_TRUNCATED_BYTES_ARG;
			a->truncated_bytes_arg = &st->trunc;
		} else {
			a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_BYTES_ARG;
			a->bytes_arg = bytes;
		}
		return;
	}
	case TP_ARG_SOCKADDR:
		fill_sockaddr(&st->sockaddr, (unsigned)v, (const unsigned char *)b, l, strbuf);
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_SOCKADDR_ARG;
		a->sockaddr_arg = &st->sockaddr;
		return;
	case TP_ARG_SOCKADDR_UN: {
		/* sun_path; an abstract name (leading NUL) reads as "@name", as upstream */
		char sun[112];
		const char *sp = sun + 2;
		size_t n = l >= 2 ? l - 2 : 0, k = 0;

		memcpy(sun, b ? b : "", l < sizeof(sun) ? l : sizeof(sun));
		if (n > 108)
			n = 108;
		if (n && !sp[0]) {
			strbuf[k++] = '@';
			sp++;
			n--;
		}
		n = strnlen(sp, n);
		memcpy(strbuf + k, sp, n);
		strbuf[k + n] = 0;
		tetragon__kprobe_sockaddr_un__init(&st->sockaddrun);
		st->sockaddrun.family = (char *)family_name((unsigned)v);
		st->sockaddrun.path = strbuf;
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_SOCKADDRUN_ARG;
		a->sockaddrun_arg = &st->sockaddrun;
		return;
	}
	case TP_ARG_SYSCALL64:
		tetragon__syscall_id__init(&st->sysid);
		st->sysid.id = (uint32_t)(v & ~(int64_t)GT_SYSCALL64_I386);
		st->sysid.abi = (uint64_t)v & GT_SYSCALL64_I386 ? "i386" : "x64";
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_SYSCALL_ID;
		a->syscall_id = &st->sysid;
		return;
	case TP_ARG_CAPABILITY:
		/* upstream: the number, and its name when it has one */
		tetragon__kprobe_capability__init(&st->cap);
		google__protobuf__int32_value__init(&st->capval);
		st->capval.value = (int32_t)v;
		st->cap.value = &st->capval;
		st->cap.name = (char *)(v >= 0 && tp_capability_name((unsigned)v) ? tp_capability_name((unsigned)v) : "");
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_CAPABILITY_ARG;
		a->capability_arg = &st->cap;
		return;
	case TP_ARG_KERNEL_CAP_T: case TP_ARG_CAP_INHERITABLE: case TP_ARG_CAP_PERMITTED: case TP_ARG_CAP_EFFECTIVE:
		/* upstream: the 64-bit set as 16 hex digits */
		snprintf(strbuf, GT_ARG_MAX + 1, "%016llx", (unsigned long long)v);
		switch (hi->types[i]) {
		case TP_ARG_KERNEL_CAP_T:
			a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_KERNEL_CAP_T_ARG;
			a->kernel_cap_t_arg = strbuf;
			return;
		case TP_ARG_CAP_INHERITABLE:
			a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_CAP_INHERITABLE_ARG;
			a->cap_inheritable_arg = strbuf;
			return;
		case TP_ARG_CAP_PERMITTED:
			a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_CAP_PERMITTED_ARG;
			a->cap_permitted_arg = strbuf;
			return;
		default:
			a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_CAP_EFFECTIVE_ARG;
			a->cap_effective_arg = strbuf;
			return;
		}
	default:
		if (policy_struct_arg(a, hi->types[i], b, l, strbuf, &st->s))
			return;
		set_int_arg(a, hi->types[i], v);
		return;
	}
}

/* The return value of a return probe, typed as returnArg says. */
static void fill_ret(Tetragon__KprobeArgument *a, const struct hook_inst *hi, int64_t v)
{
	tetragon__kprobe_argument__init(a);
	a->label = hi->h->return_arg ? hi->h->return_arg->label : NULL;
	set_int_arg(a, hi->ret_type, v);
}

/* The --enable-ancestors type of a back-end's events. */
static uint32_t ancestors_kind(int event)
{
	switch (event) {
	case POLICY_EV_KPROBE: return ANCESTORS_KPROBE;
	case POLICY_EV_TRACEPOINT: return ANCESTORS_TRACEPOINT;
	case POLICY_EV_UPROBE: return ANCESTORS_UPROBE;
	case POLICY_EV_LSM: return ANCESTORS_LSM;
	case POLICY_EV_USDT: return ANCESTORS_USDT;
	default: return 0;
	}
}

static Tetragon__KprobeAction action_of(uint32_t a, bool post)
{
	switch (a) {
	case GT_ACT_SIGKILL: return TETRAGON__KPROBE_ACTION__KPROBE_ACTION_SIGKILL;
	case GT_ACT_SIGNAL: return TETRAGON__KPROBE_ACTION__KPROBE_ACTION_SIGNAL;
	case GT_ACT_OVERRIDE: return TETRAGON__KPROBE_ACTION__KPROBE_ACTION_OVERRIDE;
	case GT_ACT_GETURL: return TETRAGON__KPROBE_ACTION__KPROBE_ACTION_GETURL;
	case GT_ACT_DNSLOOKUP: return TETRAGON__KPROBE_ACTION__KPROBE_ACTION_DNSLOOKUP;
	case GT_ACT_NOTIFY_ENFORCER: return TETRAGON__KPROBE_ACTION__KPROBE_ACTION_NOTIFYENFORCER;
	case GT_ACT_SET: return TETRAGON__KPROBE_ACTION__KPROBE_ACTION_SET;
	default:
		return post ? TETRAGON__KPROBE_ACTION__KPROBE_ACTION_POST :
			      TETRAGON__KPROBE_ACTION__KPROBE_ACTION_NOPOST;
	}
}

/* The record's stacks (GT_MSG_KSTACK/USTACK), one entry per address. */
struct stacks {
	Tetragon__StackTraceEntry kv[GT_STACK_FRAMES], uv[GT_STACK_FRAMES];
	Tetragon__StackTraceEntry *kp[GT_STACK_FRAMES], *up[GT_STACK_FRAMES];
	size_t nk, nu;
};

/*
 * Upstream's entries: kernel ones with the symbol and the offset into it,
 * user ones with the file mapped there, the offset in that file and the
 * function symbol; addresses only with --expose-stack-addresses (they give
 * KASLR and ASLR away). An address nothing names is left out, as upstream.
 */
static void fill_stacks(struct policy_engine *e, const struct msg_generic *m, struct stacks *st)
{
	const unsigned char *base = (const unsigned char *)(m + 1);
	size_t kl = m->kstack_len, ul = m->ustack_len;

	st->nk = st->nu = 0;
	if (!(m->flags & (GT_MSG_KSTACK | GT_MSG_USTACK)) || m->stack_off > m->data_len ||
	    kl + ul > m->data_len - m->stack_off || kl > GT_STACK_MAX || ul > GT_STACK_MAX)
		return;
	if (!e->stacks && !(e->stacks = stack_syms_new(NULL)))
		return;
	stack_syms_begin(e->stacks, m->tgid);
	for (size_t i = 0; i + 8 <= kl; i += 8) {
		Tetragon__StackTraceEntry *t = &st->kv[st->nk];
		const char *sym;
		uint64_t a, off;

		memcpy(&a, base + m->stack_off + i, 8);
		if (!a || !stack_syms_kernel(e->stacks, a, &sym, &off))
			continue;
		tetragon__stack_trace_entry__init(t);
		t->symbol = (char *)sym;
		t->offset = off;
		t->address = e->expose_stack_addresses ? a : 0;
		st->kp[st->nk++] = t;
	}
	for (size_t i = 0; i + 8 <= ul; i += 8) {
		Tetragon__StackTraceEntry *t = &st->uv[st->nu];
		const char *mod, *sym;
		uint64_t a, off;

		memcpy(&a, base + m->stack_off + kl + i, 8);
		if (!a || !stack_syms_user(e->stacks, a, &mod, &off, &sym))
			continue;
		tetragon__stack_trace_entry__init(t);
		t->module = (char *)mod;
		t->symbol = (char *)sym;
		t->offset = off;
		t->address = e->expose_stack_addresses ? a : 0;
		st->up[st->nu++] = t;
	}
}

/*
 * Post imaHash (GT_MSG_IMA): upstream's "ALGO:HEX" of the struct
 * gt_ima_hash that ends the record's data, for the algorithms upstream
 * names; NULL for others and for bpf_ima_file_hash()'s errors.
 */
static char *ima_hash(const struct msg_generic *m, char out[8 + 2 * GT_IMA_HASH_MAX + 1])
{
	struct gt_ima_hash ih;
	const char *name;
	size_t n, k;

	if (!(m->flags & GT_MSG_IMA) || m->data_len < sizeof(ih))
		return NULL;
	memcpy(&ih, (const char *)(m + 1) + m->data_len - sizeof(ih), sizeof(ih));
	switch (ih.algo) {	/* the kernel's enum hash_algo */
	case 1: name = "md5"; n = 16; break;
	case 2: name = "sha1"; n = 20; break;
	case 4: name = "sha256"; n = 32; break;
	case 6: name = "sha512"; n = 64; break;
	case 13: name = "wp512"; n = 64; break;
	case 17: name = "sm3"; n = 32; break;
	default: return NULL;
	}
	k = (size_t)snprintf(out, 8, "%s:", name);
	for (size_t i = 0; i < n; i++, k += 2)
		snprintf(out + k, 3, "%02x", ih.hash[i]);
	return out;
}

/* The selector's GetUrl and DnsLookup, handed to the workers (never waited for here). */
static void run_agent_actions(struct policy_engine *e, const struct tp_selector *s)
{
	for (size_t i = 0; i < s->nactions; i++) {
		const struct tp_action *a = &s->actions[i];

		if (a->type != TP_ACTION_GETURL && a->type != TP_ACTION_DNSLOOKUP)
			continue;
		if (!e->actions && !(e->actions = agent_actions_new())) {
			log_warn("GetUrl/DnsLookup: starting the worker threads: %s", strerror(errno));
			return;
		}
		/* a full queue counts the request dropped */
		agent_actions_submit(e->actions, a->type == TP_ACTION_GETURL ? AGENT_ACTION_GETURL : AGENT_ACTION_DNSLOOKUP,
				     a->type == TP_ACTION_GETURL ? a->arg_url : a->arg_fqdn);
	}
}

int policy_engine_handle(struct policy_engine *e, struct process_events *pe, const void *data, size_t len)
{
	static struct stacks stk;	/* big; the event loop's only */
	const struct msg_generic *m = data;
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessKprobe kp = TETRAGON__PROCESS_KPROBE__INIT;
	Tetragon__ProcessTracepoint tp = TETRAGON__PROCESS_TRACEPOINT__INIT;
	Tetragon__ProcessUprobe up = TETRAGON__PROCESS_UPROBE__INIT;
	Tetragon__ProcessLsm lsm = TETRAGON__PROCESS_LSM__INIT;
	Tetragon__ProcessUsdt ud = TETRAGON__PROCESS_USDT__INIT;
	/*
	 * argp: + 1 for a uprobe's return value, which upstream appends to
	 * args; a const_buf argument is one size_arg per element (cbuf)
	 */
	static Tetragon__KprobeArgument cbuf[GT_MAX_ARGS * (GT_CONST_BUF_MAX / 8)];
	Tetragon__KprobeArgument args[GT_MAX_ARGS], *argp[GT_MAX_ARGS + 1 + GT_MAX_ARGS * (GT_CONST_BUF_MAX / 8)], ret;
	Tetragon__KprobeArgument *datap[GT_MAX_ARGS];	/* data: entries, in the slots after the args */
	char strs[GT_MAX_ARGS][GT_ARG_MAX + 1];
	struct arg_store stores[GT_MAX_ARGS];
	Google__Protobuf__Timestamp ts;
	const Tetragon__Process *proc = NULL, *parent = NULL;
	Tetragon__Process *anc[ANCESTORS_MAX];
	size_t nanc = 0;
	Tetragon__Process thread;	/* proc with the calling thread's tid */
	Google__Protobuf__UInt32Value tid = GOOGLE__PROTOBUF__UINT32_VALUE__INIT;
	const struct hook_inst *hi;
	struct process *p;
	size_t nargs, na = 0, ncb = 0, nd = 0;
	char fname[160], ima[8 + 2 * GT_IMA_HASH_MAX + 1];

	if (len >= sizeof(struct msg_common) && ((const struct msg_common *)data)->op == MSG_OP_DATA) {
		if (!e)
			return 0;
		if (!e->chunks && !(e->chunks = policy_chunks_new())) {
			log_warn("maxData: no memory for argument chunks: %s", strerror(errno));
			return 0;
		}
		policy_chunks_add(e->chunks, data, len);
		return 0;
	}
	/* a header, then data_len bytes of arguments */
	hi = len >= sizeof(*m) && m->data_len <= GT_DATA_MAX && len >= sizeof(*m) + m->data_len ?
		     policy_engine_find(e, m->hook_id) : NULL;
	if (!hi) {
		if (pe)
			pe->bad_msgs++;
		return 0;
	}
	if (m->sel < hi->h->nselectors)
		run_agent_actions(e, &hi->h->selectors[m->sel]);
	/* the program's own action failed (USDT Set: the memory could not be written): logged, 1 in 1000 */
	if (m->flags & GT_MSG_ACTION_FAILED) {
		static unsigned long failed;

		if (!(failed++ % 1000))
			log_warn("tracing policy %s: %s %s: the selector's Set action could not write the probe's "
				 "memory in pid %u (%lu failures so far)", hi->p->name, hi->subsys, hi->event, m->tgid,
				 failed);
	}
	if (m->flags & GT_MSG_NOPOST)
		return 0;
	p = process_events_find(pe, &m->key, m->tgid, m->common.ktime);
	if (p) {
		proc = process_view(p, &pe->view);
		if (p->parent)
			parent = process_view(p->parent, &pe->view);
		nanc = process_view_ancestors(p, &pe->view, ancestors_kind(hi->be->event), anc, ANCESTORS_MAX,
					      &pe->ancestors_truncated);
	}
	/*
	 * Upstream reports the thread that hit the hook in process.tid: a
	 * shallow copy of the cached view (not the view itself, which other
	 * events share) with its own tid.
	 */
	if (proc && m->tid && m->tid != m->tgid) {
		thread = *proc;
		tid.value = m->tid;
		thread.tid = &tid;
		proc = &thread;
	}
	nargs = m->nargs < GT_MAX_ARGS ? m->nargs : GT_MAX_ARGS;
	if (nargs > hi->h->nargs)
		nargs = hi->h->nargs;
	for (size_t i = 0; i < nargs; i++) {
		if (hi->types[i] == TP_ARG_CONST_BUF) {
			/* upstream: an array of longs, each element a size_arg (host order, 8 bytes) */
			size_t l;
			const char *b = arg_bytes(m, i, &l);

			for (size_t k = 0; k + 8 <= l && ncb < sizeof(cbuf) / sizeof(cbuf[0]); k += 8) {
				uint64_t v;

				memcpy(&v, b + k, 8);
				tetragon__kprobe_argument__init(&cbuf[ncb]);
				cbuf[ncb].arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_SIZE_ARG;
				cbuf[ncb].size_arg = v;
				argp[na++] = &cbuf[ncb++];
			}
			continue;
		}
		stores[i].big = NULL;
		/* maxData buffers (the upper flags of paths are their mode) */
		if ((m->args[i].kind == GT_ARG_BUF_USER || m->args[i].kind == GT_ARG_IOV_ITER_PTR) &&
		    (m->args[i].flags >> GT_ARGV_CHUNKS_SHIFT || (m->args[i].flags & GT_ARGV_CHUNK_LOST))) {
			size_t l;
			const char *b = arg_bytes(m, i, &l);

			if (!e->chunks)
				e->chunks = policy_chunks_new();
			stores[i].big = policy_chunks_join(e->chunks, m, i, b, l, &stores[i].big_len);
		}
		fill_arg(&args[i], hi, m, i, strs[i], &stores[i]);
		argp[na++] = &args[i];
	}
	for (size_t i = hi->h->nargs; i < hi->h->nargs + hi->h->ndata && i < m->nargs && i < GT_MAX_ARGS; i++) {
		stores[i].big = NULL;
		fill_arg(&args[i], hi, m, i, strs[i], &stores[i]);
		datap[nd++] = &args[i];
	}
	Tetragon__KprobeAction act = action_of(m->action, true);

	switch (hi->be->event) {
	case POLICY_EV_KPROBE:
		kp.process = (Tetragon__Process *)proc;
		kp.parent = (Tetragon__Process *)parent;
		kp.n_ancestors = nanc;
		kp.ancestors = anc;
		/* a program on several functions: the record says which */
		kp.function_name = (char *)(hi->be->function_name ? hi->be->function_name(hi, m, fname, sizeof(fname)) :
					    hi->function);
		kp.n_args = na;
		kp.args = argp;
		kp.n_data = nd;
		kp.data = datap;
		kp.action = act;
		kp.policy_name = hi->p->name;
		kp.message = hi->h->message;
		kp.n_tags = hi->h->ntags;
		kp.tags = hi->h->tags;
		if (m->flags & GT_MSG_RETURN) {
			if (hi->ret_type != TP_ARG_NOP) {
				fill_ret(&ret, hi, m->ret);
				kp.return_ = &ret;
			}
			if (hi->ret_type == TP_ARG_SOCK && hi->h->nargs < GT_MAX_ARGS) {
				/* the returned sock, read into the slot after the args */
				size_t rs = hi->h->nargs, l;
				const char *b = arg_bytes(m, rs, &l);

				policy_struct_arg(&ret, TP_ARG_SOCK, b, l, strs[rs], &stores[rs].s);
			}
			kp.return_action = action_of(m->ret_action, true);
		}
		fill_stacks(e, m, &stk);
		kp.n_kernel_stack_trace = stk.nk;
		kp.kernel_stack_trace = stk.kp;
		kp.n_user_stack_trace = stk.nu;
		kp.user_stack_trace = stk.up;
		ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE;
		ev.process_kprobe = &kp;
		break;
	case POLICY_EV_UPROBE:
		up.process = (Tetragon__Process *)proc;
		up.parent = (Tetragon__Process *)parent;
		up.n_ancestors = nanc;
		up.ancestors = anc;
		up.path = hi->h->path;
		up.symbol = (char *)hi->function;
		up.offset = hi->uprobe_offset;
		up.n_args = na;
		up.args = argp;
		up.n_data = nd;
		up.data = datap;
		if ((m->flags & GT_MSG_RETURN) && hi->ret_type != TP_ARG_NOP) {
			fill_ret(&ret, hi, m->ret);
			if (hi->ret_type == TP_ARG_STRING && hi->h->nargs < GT_MAX_ARGS) {
				/* the returned char *, read into the slot after the args */
				size_t rs = hi->h->nargs, l;
				const char *b = arg_bytes(m, rs, &l);

				if (l)
					memcpy(strs[rs], b, l);
				strs[rs][l] = 0;
				ret.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_STRING_ARG;
				ret.string_arg = strs[rs];
			}
			argp[up.n_args++] = &ret;
		}
		up.action = act;
		up.policy_name = hi->p->name;
		up.message = hi->h->message;
		up.n_tags = hi->h->ntags;
		up.tags = hi->h->tags;
		ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE;
		ev.process_uprobe = &up;
		break;
	case POLICY_EV_USDT:
		ud.process = (Tetragon__Process *)proc;
		ud.parent = (Tetragon__Process *)parent;
		ud.path = hi->h->path;
		ud.provider = hi->h->provider;
		ud.name = hi->h->name;
		ud.n_args = na;
		ud.args = argp;
		ud.action = act;
		ud.policy_name = hi->p->name;
		ud.message = hi->h->message;
		ud.n_tags = hi->h->ntags;
		ud.tags = hi->h->tags;
		ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_USDT;
		ev.process_usdt = &ud;
		break;
	case POLICY_EV_LSM:
		/* upstream: function_name is the hook's name ("file_open") */
		lsm.process = (Tetragon__Process *)proc;
		lsm.parent = (Tetragon__Process *)parent;
		lsm.n_ancestors = nanc;
		lsm.ancestors = anc;
		lsm.function_name = (char *)hi->function;
		lsm.n_args = na;
		lsm.args = argp;
		lsm.action = act;
		lsm.policy_name = hi->p->name;
		lsm.message = hi->h->message;
		lsm.n_tags = hi->h->ntags;
		lsm.tags = hi->h->tags;
		lsm.ima_hash = ima_hash(m, ima);
		ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LSM;
		ev.process_lsm = &lsm;
		break;
	case POLICY_EV_TRACEPOINT:
		tp.process = (Tetragon__Process *)proc;
		tp.parent = (Tetragon__Process *)parent;
		tp.n_ancestors = nanc;
		tp.ancestors = anc;
		tp.subsys = (char *)hi->subsys;
		tp.event = (char *)hi->event;
		tp.n_args = na;
		tp.args = argp;
		tp.action = act;
		tp.policy_name = hi->p->name;
		tp.message = hi->h->message;
		tp.n_tags = hi->h->ntags;
		tp.tags = hi->h->tags;
		ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT;
		ev.process_tracepoint = &tp;
		break;
	default:
		/* a back-end without an event builder yet posts nothing user space can show */
		if (pe)
			pe->bad_msgs++;
		return 0;
	}
	ev.node_name = (char *)pe->node_name;
	set_ts(&ts, ktime_mono_to_wall(m->common.ktime));
	ev.time = &ts;
	pipeline_emit(pe->pipeline, &ev);
	return 0;
}
