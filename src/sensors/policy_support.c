// SPDX-License-Identifier: Apache-2.0
/* What this kernel and this engine can run: a precise reason for what not. */
#include "sensors/generic_policy.h"
#include "sensors/policy_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "event/process_events.h"
#include "generic_tracepoint.skel.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "kernel/bpf_errors.h"
#include "policy/policy.h"
#include "tetragon/tetragon.pb-c.h"
#include "util/ktime.h"
#include "tracing/tp_format.h"
#include "util/log.h"
#include "util/strbuf.h"

const char *policy_attach_failed(const struct policy_engine *e, const char *subsys, const char *event, int err,
				 char *why, size_t len, const char *what)
{
	size_t ours = 0;

	if (err != E2BIG) {
		snprintf(why, len, "%s: %s", what, strerror(err));
		return why;
	}
	for (size_t i = 0; e && i < e->ninst; i++)
		ours += !strcmp(e->inst[i]->subsys, subsys) && !strcmp(e->inst[i]->event, event);
	/* perf_event_attach_bpf_prog(): E2BIG once the hook's program array is full */
	snprintf(why, len,
		 "%s: the kernel runs at most %d BPF programs on one tracepoint or probe "
		 "(BPF_TRACE_MAX_PROGS) and it has that many already (%zu of them this agent's: one per hook "
		 "of each policy on it); merge the policies that hook it into one with several selectors, "
		 "or remove some (bpftool perf list shows the others)",
		 what, POLICY_TRACE_MAX_PROGS, ours);
	return why;
}

const char *policy_tracefs(const char *t)
{
	return t ? t : "/sys/kernel/tracing";
}

/* "sys_openat", "__x64_sys_openat", "openat" -> "openat" */
const char *policy_syscall_base(const char *call)
{
	if (!strncmp(call, "__x64_sys_", 10))
		return call + 10;
	if (!strncmp(call, "__ia32_sys_", 11))
		return call + 11;
	if (!strncmp(call, "sys_", 4))
		return call + 4;
	return call;
}

static bool arg_type_ok(enum tp_arg_type t)
{
	switch (t) {
	case TP_ARG_AUTO: case TP_ARG_INT: case TP_ARG_INT8: case TP_ARG_UINT8:
	case TP_ARG_INT16: case TP_ARG_UINT16: case TP_ARG_INT32: case TP_ARG_UINT32:
	case TP_ARG_INT64: case TP_ARG_UINT64: case TP_ARG_SIZE_T: case TP_ARG_STRING:
	case TP_ARG_FD: case TP_ARG_DATA_LOC: case TP_ARG_CHAR_BUF: case TP_ARG_NOP:
	case TP_ARG_SOCKADDR: case TP_ARG_SOCKADDR_UN: case TP_ARG_SYSCALL64: case TP_ARG_CHAR_IOVEC:
	case TP_ARG_CAPABILITY: case TP_ARG_KERNEL_CAP_T: case TP_ARG_CAP_INHERITABLE:
	case TP_ARG_CAP_PERMITTED: case TP_ARG_CAP_EFFECTIVE:
		return true;
	default:
		return false;
	}
}

/* Why argument type t cannot be read from a tracepoint or syscall record. */
static const char *arg_type_why(enum tp_arg_type t)
{
	switch (t) {
	case TP_ARG_FILE: case TP_ARG_PATH: case TP_ARG_DENTRY: case TP_ARG_LINUX_BINPRM: case TP_ARG_KIOCB:
	case TP_ARG_FILENAME:
		return "it is a kernel pointer that only kernel-function kprobes, LSM hooks and raw "
		       "tracepoints see, and this kernel has no kprobes; on a syscall use fd (the path "
		       "resolved from the task's fd table) or string (a user path), or hook a raw "
		       "tracepoint that carries the struct";
	case TP_ARG_SKB: case TP_ARG_SOCK: case TP_ARG_SOCKET: case TP_ARG_CRED: case TP_ARG_BPF_ATTR:
	case TP_ARG_PERF_EVENT: case TP_ARG_BPF_MAP: case TP_ARG_BPF_PROG: case TP_ARG_USER_NAMESPACE:
	case TP_ARG_IOV_ITER: case TP_ARG_LOAD_INFO: case TP_ARG_MODULE: case TP_ARG_NET_DEVICE:
	case TP_ARG_CONST_BUF:
		return "it is a kernel structure that only kernel-function kprobes pass, and this kernel "
		       "has no kprobes";
	default:
		return "it is not supported by the tracepoint engine yet";
	}
}

static bool arg_op_ok(enum tp_op op)
{
	switch (op) {
	case TP_OP_EQUAL: case TP_OP_NOT_EQUAL: case TP_OP_PREFIX: case TP_OP_NOT_PREFIX:
	case TP_OP_POSTFIX: case TP_OP_NOT_POSTFIX: case TP_OP_GT: case TP_OP_LT:
	case TP_OP_MASK: case TP_OP_IN_RANGE: case TP_OP_NOT_IN_RANGE: case TP_OP_IN_MAP:
	case TP_OP_NOT_IN_MAP:
	/* sockaddr arguments (policy_selectors.c) */
	case TP_OP_SADDR: case TP_OP_NOT_SADDR: case TP_OP_SPORT: case TP_OP_NOT_SPORT:
	case TP_OP_SPORT_PRIV: case TP_OP_NOT_SPORT_PRIV: case TP_OP_FAMILY:
		return true;
	default:
		return false;
	}
}

/* Why an action cannot run here, or NULL. */
static const char *action_unsupported(const struct tp_action *a)
{
	switch (a->type) {
	case TP_ACTION_POST:
		if (a->kernel_stack_trace || a->user_stack_trace || a->ima_hash)
			return "Post with kernelStackTrace, userStackTrace or imaHash is not supported yet "
			       "(rateLimit and rateLimitScope are)";
		return NULL;
	case TP_ACTION_NOPOST: case TP_ACTION_SIGKILL: case TP_ACTION_SIGNAL:
		return NULL;
	case TP_ACTION_OVERRIDE:
		return "Override needs bpf_override_return from a kprobe, or an fmod_ret/LSM program, and "
		       "this kernel allows neither kprobes nor fentry/LSM BPF; use Sigkill or Signal";
	case TP_ACTION_GETURL: case TP_ACTION_DNSLOOKUP:
		return "GetUrl and DnsLookup are not implemented by this agent";
	case TP_ACTION_TRACKSOCK: case TP_ACTION_UNTRACKSOCK:
		return "TrackSock/UntrackSock need kprobes on socket functions, which this kernel does not allow";
	case TP_ACTION_NOTIFY_ENFORCER: case TP_ACTION_CLEANUP_ENFORCER_NOTIFICATION:
		return "enforcers override syscalls from kprobe or fmod_ret programs, which this kernel does "
		       "not allow; use Sigkill or Signal in the selector instead";
	case TP_ACTION_SET:
		return "Set is for USDT probes, which this engine does not run";
	default:
		return "this action is not supported";
	}
}

static const char *selectors_unsupported(const struct tp_hook *h, char *why, size_t len)
{
	for (size_t i = 0; i < h->nselectors; i++) {
		const struct tp_selector *s = &h->selectors[i];
		/* return selectors: syscall kprobes (sys_exit_*) and uprobes (uretprobe) */
		bool ret_ok = h->kind == TP_HOOK_KPROBE || h->kind == TP_HOOK_UPROBE;
		const char *what = s->ndata ? "matchData" : s->nreturn_args && !ret_ok ? "matchReturnArgs" :
				   s->nreturn_actions && !ret_ok ? "matchReturnActions" :
				   s->nns_changes ? "matchNamespaceChanges" :
				   s->ncap_changes ? "matchCapabilityChanges" : s->workloads ? "matchWorkloads" : NULL;

		if (what) {
			snprintf(why, len, "line %u: selector %zu uses %s, which this engine does not evaluate "
				 "yet; remove it or run upstream Tetragon", s->pos.line, i, what);
			return why;
		}
		for (size_t j = 0; j < s->nargs; j++)
			if (!arg_op_ok(s->args[j].op)) {
				snprintf(why, len, "line %u: matchArgs operator %s is not supported yet "
					 "(Equal, NotEqual, Prefix, NotPrefix, Postfix, NotPostfix, GT, LT, "
					 "Mask, InRange, NotInRange, InMap, NotInMap are, and on sockaddr "
					 "SAddr, SPort, SPortPriv, their Not forms and Family)", s->args[j].pos.line,
					 tp_op_name(s->args[j].op));
				return why;
			}
		for (size_t j = 0; j < s->nactions; j++) {
			const char *r = action_unsupported(&s->actions[j]);

			if (r) {
				snprintf(why, len, "line %u: action %s: %s", s->actions[j].pos.line,
					 tp_action_name(s->actions[j].type), r);
				return why;
			}
		}
	}
	return NULL;
}

static const char *check_tracepoint(const char *tracefs, const char *subsys, const char *event,
				    const struct tp_hook *h, char *why, size_t len)
{
	struct tp_format *f = malloc(sizeof(*f));
	int err;

	if (!f) {
		snprintf(why, len, "out of memory");
		return why;
	}
	/* the parser refuses such names; this holds for any other caller too */
	if (!tp_format_valid_name(subsys) || !tp_format_valid_name(event)) {
		snprintf(why, len, "invalid tracepoint name %s/%s: tracefs names are at most %d letters, digits, "
			 "'_' or '-'", subsys, event, TP_FORMAT_MAX_NAME);
		free(f);
		return why;
	}
	err = tp_format_load(tracefs, subsys, event, f);
	if (err) {
		snprintf(why, len, "tracepoint %s/%s is not available on this kernel (%s/events/%s/%s/format: %s)",
			 subsys, event, tracefs, subsys, event, strerror(-err));
		free(f);
		return why;
	}
	if (h->kind == TP_HOOK_KPROBE && !strcmp(subsys, "raw_syscalls"))
		policy_raw_syscall_args(f);
	for (size_t i = 0; i < h->nargs; i++) {
		if (!arg_type_ok(h->args[i].type)) {
			snprintf(why, len, "line %u: argument type %s cannot be read here: %s (integers, "
				 "string, char_buf, char_iovec, fd, sockaddr, sockaddr_un, syscall64, "
				 "capability, kernel_cap_t, data_loc are)", h->args[i].pos.line,
				 tp_arg_type_name(h->args[i].type), arg_type_why(h->args[i].type));
			free(f);
			return why;
		}
		if (h->args[i].resolve) {
			snprintf(why, len, "line %u: resolve needs kprobes, not available here",
				 h->args[i].pos.line);
			free(f);
			return why;
		}
		if (h->args[i].return_copy && (h->kind != TP_HOOK_KPROBE || (h->args[i].type != TP_ARG_CHAR_BUF &&
										 h->args[i].type != TP_ARG_CHAR_IOVEC))) {
			snprintf(why, len, "line %u: returnCopy is supported on char_buf and char_iovec arguments "
				 "of syscall kprobes (read at syscalls/sys_exit_*)", h->args[i].pos.line);
			free(f);
			return why;
		}
		if (!policy_tp_field(f, h, h->args[i].index)) {
			snprintf(why, len, "line %u: argument index %u is out of range: %s/%s has %zu %s",
				 h->args[i].pos.line, h->args[i].index, subsys, event, policy_tp_nfields(f, h),
				 h->kind == TP_HOOK_KPROBE ? "arguments" :
				 "format fields (common_* fields included, as upstream counts them)");
			free(f);
			return why;
		}
	}
	free(f);
	return NULL;
}

/* Return probes of syscall kprobes are served by syscalls/sys_exit_<name>. */
static const char *check_exit(const char *tracefs, const struct tp_hook *h, const char *call, char *why,
			      size_t len)
{
	bool ret = h->ret;
	char path[512];

	for (size_t i = 0; i < h->nargs; i++)
		ret |= h->args[i].return_copy;
	if (!ret)
		return NULL;
	snprintf(path, sizeof(path), "sys_exit_%s", policy_syscall_base(call));
	if (!tp_format_valid_name(path)) {
		snprintf(why, len, "return probe of %s: invalid tracepoint name syscalls/%s", call, path);
		return why;
	}
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_%s/format", tracefs, policy_syscall_base(call));
	if (access(path, R_OK)) {
		snprintf(why, len, "return probe of %s: tracepoint syscalls/sys_exit_%s is not available (%s: %s)",
			 call, policy_syscall_base(call), path, strerror(errno));
		return why;
	}
	return NULL;
}

void policy_raw_syscall_args(struct tp_format *f)
{
	for (size_t i = 0; i < f->nfields; i++) {
		struct tp_field a = f->fields[i];

		if (strcmp(a.name, "args") || a.size != 48 || f->nfields - 1 + 6 > TP_FORMAT_MAX_FIELDS)
			continue;
		memmove(&f->fields[i + 6], &f->fields[i + 1], (f->nfields - i - 1) * sizeof(a));
		for (unsigned k = 0; k < 6; k++) {
			struct tp_field *n = &f->fields[i + k];

			*n = a;
			snprintf(n->name, sizeof(n->name), "args%u", k);
			snprintf(n->type, sizeof(n->type), "unsigned long");
			n->offset = a.offset + 8 * k;
			n->size = 8;
		}
		f->nfields += 5;
		return;
	}
}

const struct tp_field *policy_tp_field(const struct tp_format *f, const struct tp_hook *h, unsigned index)
{
	if (h->kind == TP_HOOK_KPROBE)
		return tp_format_arg(f, index + 1);
	return index < f->nfields ? &f->fields[index] : NULL;
}

size_t policy_tp_nfields(const struct tp_format *f, const struct tp_hook *h)
{
	if (h->kind == TP_HOOK_KPROBE)
		return tp_format_nargs(f) ? tp_format_nargs(f) - 1 : 0;
	return f->nfields;
}

const char *policy_unsupported(const struct tp_policy *p, const char *file, char *why, size_t len)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct strbuf sb = STRBUF_INIT;

	/* the refusals the validator knows too: one message for both */
	if (!tp_check_agent(p, &d)) {
		tp_diags_free(&d);
		return NULL;
	}
	if (d.n)
		tp_diag_format(&d.v[0], file && *file ? file : "policy", &sb);
	if (d.nerrors > 1)
		strbuf_addf(&sb, " (and %zu more; tetra tracingpolicy validate lists them)", d.nerrors - 1);
	snprintf(why, len, "%s", sb.buf && !sb.oom ? sb.buf : "out of memory");
	strbuf_free(&sb);
	tp_diags_free(&d);
	return why;
}

const char *policy_hook_unsupported(const void *policy, size_t hi, const char *tracefs,
				    char *why, size_t len)
{
	const struct tp_policy *p = policy;
	const struct tp_hook *h = &p->hooks[hi];
	char ev[128];

	tracefs = policy_tracefs(tracefs);
	switch (h->kind) {
	case TP_HOOK_TRACEPOINT:
		if (h->raw) {
			if (policy_rawtp_unsupported(h, why, len) || selectors_unsupported(h, why, len))
				return why;
			return NULL;
		}
		if (selectors_unsupported(h, why, len))
			return why;
		return check_tracepoint(tracefs, h->subsystem, h->event, h, why, len);
	case TP_HOOK_KPROBE:
		if (!h->syscall || h->ndata) {
			snprintf(why, len, "kprobe on %s: this engine serves only syscall kprobes "
				 "(syscall: true, no data) through the syscalls/sys_enter_* and "
				 "sys_exit_* tracepoints, and this kernel has no usable kprobes; "
				 "use a tracepoints: section instead", h->call);
			return why;
		}
		if (h->ret && !h->return_arg) {
			snprintf(why, len, "line %u: return: true needs a returnArg", h->pos.line);
			return why;
		}
		if (h->has_return_arg_action) {
			snprintf(why, len, "line %u: returnArgAction (TrackSock/UntrackSock) needs kprobes on socket "
				 "functions, which this kernel does not allow", h->pos.line);
			return why;
		}
		if (selectors_unsupported(h, why, len))
			return why;
		if (h->call_list >= 0) {
			const struct tp_list *l = &p->lists[h->call_list];

			if (l->type == TP_LIST_GENERATED_SYSCALLS) {
				/* one program on raw_syscalls/sys_enter (generic_policy.c) */
				if (h->ret) {
					snprintf(why, len, "line %u: list %s (generated_syscalls): return: true is not "
						 "supported on generated syscall lists (they are served by "
						 "raw_syscalls/sys_enter only)", h->pos.line,
						 l->name);
					return why;
				}
				for (size_t i = 0; i < h->nargs; i++)
					if (h->args[i].return_copy) {
						snprintf(why, len, "line %u: returnCopy is not supported on generated "
							 "syscall lists", h->args[i].pos.line);
						return why;
					}
				return check_tracepoint(tracefs, "raw_syscalls", "sys_enter", h, why, len);
			}
			if (l->type == TP_LIST_GENERATED_FTRACE) {
				snprintf(why, len, "list %s is of type generated_ftrace: its kernel functions need "
					 "kprobes, which this kernel does not allow (generated_syscalls lists are "
					 "served by raw_syscalls/sys_enter)", l->name);
				return why;
			}
			if (l->type != TP_LIST_SYSCALLS) {
				snprintf(why, len, "list %s is not of type syscalls: only syscall lists can be "
					 "served by syscall tracepoints", l->name);
				return why;
			}
			for (size_t i = 0; i < l->nvalues; i++) {
				snprintf(ev, sizeof(ev), "sys_enter_%s", policy_syscall_base(l->values[i]));
				if (check_tracepoint(tracefs, "syscalls", ev, h, why, len) ||
				    check_exit(tracefs, h, l->values[i], why, len))
					return why;
			}
			return NULL;
		}
		snprintf(ev, sizeof(ev), "sys_enter_%s", policy_syscall_base(h->call));
		if (check_tracepoint(tracefs, "syscalls", ev, h, why, len)) {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "%s: %s is not a syscall this kernel traces", why, h->call);
			snprintf(why, len, "%s", tmp);
			return why;
		}
		return check_exit(tracefs, h, h->call, why, len);
	case TP_HOOK_UPROBE:
		if (policy_uprobe_unsupported(h, why, len))
			return why;
		if (selectors_unsupported(h, why, len))
			return why;
		return NULL;
	default:
		snprintf(why, len, "%s hooks are not supported by this engine yet (tracepoints:, uprobes: "
			 "and kprobes: with syscall: true are); the policy must be rewritten or run with "
			 "upstream Tetragon", tp_hook_kind_name(h->kind));
		return why;
	}
}
