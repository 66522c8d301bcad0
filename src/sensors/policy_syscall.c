// SPDX-License-Identifier: Apache-2.0
/*
 * Back-ends "syscall fentry" and "syscall kprobe": a syscall kprobe
 * (syscall: true, a list of type syscalls) on the syscall's function
 * __x64_sys_<name> rather than its syscalls/sys_enter_<name> tracepoint.
 * Enabling a syscall tracepoint sends every syscall of every task through
 * the tracing slow path; a trampoline or kprobe on the function costs only
 * the calls of that syscall (bench/vm_hooks.sh measures both).
 *
 * Chosen per syscall when the policy loads (policy_syscall_backend): a BPF
 * trampoline where the kernel runs them and its BTF has the function, else
 * a kprobe, else the tracepoint; the policy option syscall-attach
 * (tracepoint, kprobe, fentry) forces one. The records are the tracepoint
 * back-end's: process_kprobe, function_name __x64_sys_<name>, the
 * arguments typed and laid out from the syscall's tracepoint format (read
 * from the registers the function is given), the return value the
 * function's. Override keeps its companion (policy_override.c): fmod_ret
 * runs after the hook's fentry or kprobe on the same function; a
 * bpf_override_return kprobe would run before a kprobe or trampoline
 * attached after it, so with that method the syscall stays on its
 * tracepoint, which precedes the function; so do the syscalls of a policy
 * with spec.enforcers, whose kprobe on the function acts on what the hook
 * notified.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "generic_syscall.skel.h"
#include "kernel/features.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_btf.h"
#include "sensors/policy_internal.h"
#include "tracing/tp_format.h"
#include "util/strbuf.h"

/* In-flight calls a return probe instance holds (LRU: the oldest go first), as the tracepoint's. */
#define RET_ENTRIES 1024

/* Can fentry (fentry: true) or a kprobe serve __x64_sys_ function fn for h here? why says why not. */
static bool fn_ok(struct policy_engine *e, const struct tp_hook *h, const char *fn, bool fentry, char *why,
		  size_t len)
{
	bool ret = policy_hook_has_return(h);
	char fwhy[256], tmp[256];
	struct btf_hook bh;
	int r;

	if (fentry) {
		if (!policy_feature(KF_FENTRY, fwhy, sizeof(fwhy)) ||
		    (ret && !policy_feature(KF_FEXIT, fwhy, sizeof(fwhy)))) {
			snprintf(why, len, "this kernel cannot run %s programs (BPF trampolines): %s",
				 ret ? "fentry and fexit" : "fentry", fwhy);
			return false;
		}
		if (policy_btf_func(fn, &bh, tmp, sizeof(tmp))) {
			snprintf(why, len, "%s (a trampoline needs its target in BTF)", tmp);
			return false;
		}
	} else if (!policy_feature(KF_KPROBE, fwhy, sizeof(fwhy)) ||
		   (ret && !policy_feature(KF_KRETPROBE, fwhy, sizeof(fwhy)))) {
		snprintf(why, len, "this kernel has no %s: %s", ret ? "kprobes and kretprobes" : "kprobes", fwhy);
		return false;
	}
	r = e ? policy_ftrace_has(e, fn) : -ENOENT;
	if (r <= 0) {
		snprintf(why, len, "%s is not in %s/available_filter_functions%s", fn,
			 policy_tracefs(e ? e->tracefs : NULL), r < 0 ? " (it cannot be read)" : "");
		return false;
	}
	return true;
}

const struct policy_backend *policy_syscall_backend(struct policy_engine *e, const struct tp_policy *p,
						    const struct tp_hook *h, const char *name, char *why, size_t len)
{
	enum tp_syscall_attach want = p->opts.syscall_attach;
	char fn[160], tmp[512];
	int m = POLICY_OVR_NONE;

	/* a 32-bit entry (i386/NAME, __ia32_sys_NAME) is not the __x64_sys_ function's */
	if (want == TP_SYSCALL_ATTACH_TRACEPOINT || strchr(name, '/') || !strncmp(name, "__ia32_sys_", 11))
		return &policy_be_syscall_tp;
	snprintf(fn, sizeof(fn), "__x64_sys_%s", policy_syscall_base(name));
	/* bpf_override_return's companion must run after the hook's program: see above */
	if (policy_hook_overrides(h) && !policy_ovr_hook(p, h, fn, &name, 1, true, &m, tmp, sizeof(tmp)) &&
	    m == POLICY_OVR_RETURN) {
		if (want == TP_SYSCALL_ATTACH_AUTO)
			return &policy_be_syscall_tp;
		snprintf(why, len, "line %u: syscall-attach %s: %s: Override by bpf_override_return needs the syscall "
			 "on its tracepoint (its kprobe on %s must run after the hook's program); set "
			 "override-method fmod-ret, or syscall-attach auto", h->pos.line,
			 want == TP_SYSCALL_ATTACH_KPROBE ? "kprobe" : "fentry", name, fn);
		return NULL;
	}
	/* an enforcer's kprobe on the function must run after the hook that notifies it, as after the tracepoint */
	if (p->nenforcers) {
		if (want == TP_SYSCALL_ATTACH_AUTO)
			return &policy_be_syscall_tp;
		snprintf(why, len, "line %u: syscall-attach %s: %s: a policy with spec.enforcers keeps its syscalls on "
			 "their tracepoints (the enforcer's kprobe on %s must run after the hook's program); set "
			 "syscall-attach auto", h->pos.line, want == TP_SYSCALL_ATTACH_KPROBE ? "kprobe" : "fentry",
			 name, fn);
		return NULL;
	}
	if (want != TP_SYSCALL_ATTACH_KPROBE && fn_ok(e, h, fn, true, tmp, sizeof(tmp)))
		return &policy_be_syscall_fentry;
	if (want == TP_SYSCALL_ATTACH_FENTRY) {
		snprintf(why, len, "line %u: syscall-attach fentry: %s: %s", h->pos.line, name, tmp);
		return NULL;
	}
	if (fn_ok(e, h, fn, false, tmp, sizeof(tmp)))
		return &policy_be_syscall_kprobe;
	if (want == TP_SYSCALL_ATTACH_KPROBE) {
		snprintf(why, len, "line %u: syscall-attach kprobe: %s: %s", h->pos.line, name, tmp);
		return NULL;
	}
	return &policy_be_syscall_tp;
}

/* The tracepoint's check, and a forced syscall-attach must serve every syscall of the hook. */
static const char *check(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h, char *why,
			 size_t len)
{
	const struct tp_list *l = h->call_list >= 0 ? &p->lists[h->call_list] : NULL;
	const char *const *v = l ? (const char *const *)l->values : (const char *const *)&h->call;
	size_t n = l ? l->nvalues : 1;

	if (policy_syscall_check(e, p, h, why, len))
		return why;
	if (p->opts.syscall_attach == TP_SYSCALL_ATTACH_AUTO)
		return NULL;
	for (size_t k = 0; k < n; k++)
		if (!policy_syscall_backend(e, p, h, v[k], why, len))
			return why;
	return NULL;
}

static struct gt_prog_cfg *open_obj(struct hook_inst *hi, char *why, size_t len)
{
	struct generic_syscall_bpf *skel = generic_syscall_bpf__open();

	return POLICY_OPENED(hi, skel, why, len);
}

/*
 * The tracepoint's layout turned into register positions: a syscall's
 * tracepoint record has its arguments as consecutive 8-byte words after
 * __syscall_nr, in the order of the registers.
 */
static const char *to_positions(struct hook_inst *hi, const char *tracefs, char *why, size_t len)
{
	struct tp_format *f = malloc(sizeof(*f));
	const struct tp_field *a0;
	size_t n;
	int err;

	if (!f)
		return "out of memory";
	err = tp_format_load(tracefs, hi->subsys, hi->event, f);
	a0 = err ? NULL : policy_tp_field(f, hi->h, 0);
	n = err ? 0 : policy_tp_nfields(f, hi->h);
	if (err || (n && !a0) || n > 6) {
		snprintf(why, len, "tracepoint %s/%s: %s", hi->subsys, hi->event,
			 err ? strerror(-err) : "more than 6 arguments");
		free(f);
		return why;
	}
	for (size_t k = 0; k < n; k++) {
		const struct tp_field *fl = policy_tp_field(f, hi->h, (unsigned)k);

		if (!fl || fl->size != 8 || fl->offset != a0->offset + 8 * k) {
			snprintf(why, len, "tracepoint %s/%s: argument %zu is not the 8-byte word after the one before "
				 "(set syscall-attach tracepoint)", hi->subsys, hi->event, k);
			free(f);
			return why;
		}
	}
	for (size_t i = 0; i < hi->h->nargs; i++) {
		struct gt_arg_cfg *c = &hi->cfg->args[i];

		c->offset = (uint16_t)((c->offset - a0->offset) / 8);
		if (c->flags & GT_ARGF_SIZE_ARG)
			c->size_off = (uint16_t)((c->size_off - a0->offset) / 8);
	}
	hi->cfg->raw_nargs = (uint32_t)n;
	free(f);
	return NULL;
}

static const char *prepare(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_syscall_bpf *skel = hi->skel;
	const char *tracefs = policy_tracefs(e->tracefs);
	const struct tp_hook *h = hi->h;
	bool fentry = hi->be == &policy_be_syscall_fentry;

	if (policy_tp_compile_args(hi, tracefs, why, len) || to_positions(hi, tracefs, why, len))
		return why;
	/* laid out from its tracepoint; from here on named by what it attaches to (logs, stats: "fentry/__x64_sys_openat") */
	snprintf(hi->subsys, sizeof(hi->subsys), "%s", fentry ? "fentry" : "kprobe");
	snprintf(hi->event, sizeof(hi->event), "%.95s", hi->function);	/* tracefs names are shorter */
	hi->has_return = policy_hook_has_return(h);
	if (policy_hook_int_ret(h, &hi->ret_type, why, len))
		return why;
	/* the pair of programs this instance runs */
	bpf_program__set_autoload(skel->progs.generic_sys_fentry, fentry);
	bpf_program__set_autoload(skel->progs.generic_sys_fexit, fentry && hi->has_return);
	bpf_program__set_autoload(skel->progs.generic_sys_kprobe, !fentry);
	bpf_program__set_autoload(skel->progs.generic_sys_kretprobe, !fentry && hi->has_return);
	return policy_ret_prepare(hi, NULL, skel->maps.gt_ret, RET_ENTRIES, why, len);
}

static int load(struct hook_inst *hi)
{
	struct generic_syscall_bpf *skel = hi->skel;
	int err = hi->be == &policy_be_syscall_fentry ?
		  policy_attach_targets(hi->function, skel->progs.generic_sys_fentry,
					hi->has_return ? skel->progs.generic_sys_fexit : NULL) : 0;
	int lerr = generic_syscall_bpf__load(skel);

	return err ? err : lerr;
}

static const char *attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_syscall_bpf *skel = hi->skel;
	bool fentry = hi->be == &policy_be_syscall_fentry;

	(void)e;
	for (int ret = 0; ret <= (int)hi->has_return; ret++) {
		struct bpf_link *l;

		if (fentry)
			l = bpf_program__attach_trace(ret ? skel->progs.generic_sys_fexit : skel->progs.generic_sys_fentry);
		else
			l = bpf_program__attach_kprobe(ret ? skel->progs.generic_sys_kretprobe :
						       skel->progs.generic_sys_kprobe, ret, hi->function);
		if (!l) {
			snprintf(why, len, "attaching %s to %s: %s (syscall-attach tracepoint serves it through "
				 "syscalls/sys_enter_%s)", fentry ? (ret ? "fexit" : "fentry") :
				 (ret ? "a kretprobe" : "a kprobe"), hi->function, strerror(errno),
				 policy_syscall_base(hi->function));
			return why;
		}
		if (policy_inst_link(hi, l))
			return "out of memory";
	}
	return NULL;
}

static void destroy(struct hook_inst *hi)
{
	generic_syscall_bpf__destroy(hi->skel);
}

static void describe(const struct hook_inst *hi, struct strbuf *sb)
{
	bool fentry = hi->be == &policy_be_syscall_fentry;

	strbuf_addf(sb, "%s", hi->function);
	if (hi->has_return)
		strbuf_addf(sb, ", with %s", fentry ? "fexit" : "kretprobe");
}

/* Alike but for the name: prepare, load and attach tell them apart by hi->be. */
#define SYSCALL_BACKEND(nm)                                                                                  \
	{                                                                                                    \
		.name = nm, POLICY_KPROBE_SECTION, .check = check, .instances = policy_syscall_instances,     \
		.open = open_obj, .prepare = prepare, .load = load, .attach = attach, .destroy = destroy,     \
		.describe = describe,                                                                        \
	}

const struct policy_backend policy_be_syscall_fentry = SYSCALL_BACKEND("syscall fentry");
const struct policy_backend policy_be_syscall_kprobe = SYSCALL_BACKEND("syscall kprobe");
