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
#include "policy/policy.h"
#include "sensors/policy_backend.h"
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

/* Why argument type t cannot be read from a tracepoint or syscall record. */
const char *policy_arg_type_why(enum tp_arg_type t)
{
	switch (t) {
	case TP_ARG_FILE: case TP_ARG_PATH: case TP_ARG_DENTRY: case TP_ARG_LINUX_BINPRM: case TP_ARG_KIOCB:
	case TP_ARG_FILENAME:
		return "it is a kernel pointer that only kernel-function kprobes, LSM hooks and raw "
		       "tracepoints see, not a syscall; on a syscall use fd (the path resolved from the "
		       "task's fd table) or string (a user path), or hook a kernel function or raw "
		       "tracepoint that carries the struct";
	case TP_ARG_SKB: case TP_ARG_SOCK: case TP_ARG_SOCKET: case TP_ARG_CRED: case TP_ARG_BPF_ATTR:
	case TP_ARG_PERF_EVENT: case TP_ARG_BPF_MAP: case TP_ARG_BPF_PROG: case TP_ARG_USER_NAMESPACE:
	case TP_ARG_LOAD_INFO: case TP_ARG_MODULE: case TP_ARG_NET_DEVICE: case TP_ARG_IOV_ITER:
		return "it is a kernel structure that only kernel functions (kprobes: with syscall: false, "
		       "fentries, lsmhooks) and raw tracepoints pass, not a syscall";
	case TP_ARG_CONST_BUF:
		return "it is derived from a tracepoint's format (an array of longs), not set";
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
	/* sock, socket and skb arguments */
	case TP_OP_DADDR: case TP_OP_NOT_DADDR: case TP_OP_DPORT: case TP_OP_NOT_DPORT:
	case TP_OP_DPORT_PRIV: case TP_OP_NOT_DPORT_PRIV: case TP_OP_PROTOCOL: case TP_OP_STATE:
	case TP_OP_SUBSTRING: case TP_OP_SUBSTRING_IGNCASE: case TP_OP_FILE_TYPE: case TP_OP_NOT_FILE_TYPE: case TP_OP_CAPABILITIES_GAINED:
		return true;
	default:
		return false;
	}
}

/* Why an action cannot run here, or NULL. */
static const char *action_unsupported(const struct policy_backend *be, const struct tp_action *a)
{
	switch (a->type) {
	case TP_ACTION_POST:
		if (a->ima_hash && be->event != POLICY_EV_LSM)
			return "imaHash (the IMA hash of the hook's file) is computed on lsmhooks only, as upstream's; "
			       "move the hook to lsmhooks: (file_open, bprm_check_security...)";
		/* upstream's process_kprobe is the only event with stack trace fields */
		if ((a->kernel_stack_trace || a->user_stack_trace) && be->event != POLICY_EV_KPROBE)
			return "kernelStackTrace and userStackTrace are reported in process_kprobe events only "
			       "(upstream's other events have no stack trace fields): use them in a kprobes: "
			       "hook, e.g. a syscall";
		return NULL;
	case TP_ACTION_NOPOST: case TP_ACTION_SIGKILL: case TP_ACTION_SIGNAL:
		return NULL;
	case TP_ACTION_OVERRIDE:
		/* back-ends that override choose how in their check (policy_override.c) */
		return "Override makes a kernel function or LSM hook return an error, and this hook has "
		       "neither: it runs on kprobes (kernel functions and syscalls) and lsmhooks; use Sigkill "
		       "or Signal here";
	case TP_ACTION_GETURL: case TP_ACTION_DNSLOOKUP:
		/* upstream runs them from kprobe and tracepoint records */
		if (be->event != POLICY_EV_KPROBE && be->event != POLICY_EV_TRACEPOINT)
			return "GetUrl and DnsLookup run from kprobes: and tracepoints: hooks only, as upstream's";
		return NULL;
	case TP_ACTION_TRACKSOCK: case TP_ACTION_UNTRACKSOCK:
		return NULL;	/* argSock is checked against the hook's arguments (policy_selectors.c) */
	case TP_ACTION_NOTIFY_ENFORCER: case TP_ACTION_CLEANUP_ENFORCER_NOTIFICATION:
		/* the enforcer's own check says whether this kernel can (policy_enforcer.c) */
		return NULL;
	case TP_ACTION_SET:
		/* the USDT back-end checks the argument it writes (policy_usdt.c) */
		if (be->event == POLICY_EV_USDT)
			return NULL;
		return "Set writes a USDT probe's memory argument: it runs on usdts: hooks only";
	default:
		return "this action is not supported";
	}
}

const char *policy_selectors_unsupported(const struct policy_backend *be, const struct tp_hook *h, char *why,
					 size_t len)
{
	for (size_t i = 0; i < h->nselectors; i++) {
		const struct tp_selector *s = &h->selectors[i];
		/* return selectors: back-ends with return probes (sys_exit_*, kretprobes, uretprobes) */
		bool ret_ok = be->returns;
		const char *what = s->nreturn_args && !ret_ok ? "matchReturnArgs" :
				   s->nreturn_actions && !ret_ok ? "matchReturnActions" :
				   s->workloads ? "matchWorkloads" : NULL;

		if (what) {
			snprintf(why, len, "line %u: selector %zu uses %s, which this engine does not evaluate "
				 "yet; remove it or run upstream Tetragon", s->pos.line, i, what);
			return why;
		}
		for (size_t j = 0; j < s->nargs; j++)
			if (!arg_op_ok(s->args[j].op)) {
				snprintf(why, len, "line %u: matchArgs operator %s is not supported yet "
					 "(Equal, NotEqual, Prefix, NotPrefix, Postfix, NotPostfix, SubString, SubStringIgnCase, GT, "
					 "LT, Mask, InRange, NotInRange, InMap, NotInMap, FileType, NotFileType, "
					 "CapabilitiesGained are, on sockaddr SAddr, SPort, SPortPriv, their Not "
					 "forms and Family, on sock and skb the D forms too, Protocol and State)",
					 s->args[j].pos.line, tp_op_name(s->args[j].op));
				return why;
			}
		for (size_t j = 0; j < s->nactions; j++) {
			const char *r = s->actions[j].type == TP_ACTION_OVERRIDE && be->overrides ? NULL :
					action_unsupported(be, &s->actions[j]);

			if (r) {
				snprintf(why, len, "line %u: action %s: %s", s->actions[j].pos.line,
					 tp_action_name(s->actions[j].type), r);
				return why;
			}
		}
	}
	return NULL;
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

const char *policy_check_hook(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h,
			      char *why, size_t len)
{
	const struct policy_backend *be = policy_backend_of(e, p, h);

	if (!be || !be->check) {
		snprintf(why, len, "%s hooks are not supported by this engine yet (tracepoints:, uprobes:, "
			 "kprobes:, fentries:, lsmhooks: and usdts: are); the policy must be rewritten or run with upstream "
			 "Tetragon", tp_hook_kind_name(h->kind));
		return why;
	}
	if (be->check(e, p, h, why, len) || policy_data_check(be, h, why, len) ||
	    policy_selectors_unsupported(be, h, why, len))
		return why;
	return NULL;
}

const char *policy_hook_unsupported(const void *policy, size_t hi, const char *tracefs,
				    char *why, size_t len)
{
	const struct tp_policy *p = policy;
	struct policy_engine e = { .tracefs = tracefs };
	const char *r = policy_check_hook(&e, p, &p->hooks[hi], why, len);

	policy_ftrace_free(&e.ftrace);
	return r;
}
