// SPDX-License-Identifier: Apache-2.0
/*
 * Back-end "fentry" ("fentries:", upstream's section of KProbeSpec hooks
 * served by BPF trampolines): one generic_fentry object per kernel
 * function (a trampoline program is loaded for its target), fentry at the
 * entry and, with return: true or a returnCopy argument, fexit at the
 * return. Arguments are typed from the function's BTF prototype
 * (policy_btf.c) and fetched from the trampoline context, as raw
 * tracepoints fetch theirs. Records are process_kprobe events, as
 * upstream's. Upstream refuses enforcement actions on fentries (the parser
 * does too); a kernel function with Override is a kprobe's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "generic_fentry.skel.h"
#include "kernel/features.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_btf.h"
#include "sensors/policy_internal.h"
#include "util/strbuf.h"

/* Calls in flight an instance with a return holds (LRU: the oldest go first). */
#define RET_ENTRIES 4096

/* The functions of h: its call, or a plain list's values; a reason or NULL. */
static const char *functions(const struct tp_policy *p, const struct tp_hook *h, const char *const **v, size_t *n,
			     char *why, size_t len)
{
	const struct tp_list *l = h->call_list >= 0 && (size_t)h->call_list < p->nlists ? &p->lists[h->call_list] :
				  NULL;

	if (!l) {
		*v = (const char *const *)&h->call;
		*n = 1;
		return NULL;
	}
	if (l->type != TP_LIST_NONE) {
		snprintf(why, len, "line %u: fentry on list %s: a %s list is not supported on fentries (one "
			 "trampoline program per function); kprobes serve it with one program", h->pos.line, l->name,
			 tp_list_type_name(l->type));
		return why;
	}
	*v = (const char *const *)l->values;
	*n = l->nvalues;
	return NULL;
}

/* How function name's arguments read for h: into pc/hi when given; a reason or NULL. */
static const char *plan(struct policy_engine *e, const struct tp_hook *h, const char *name, struct gt_prog_cfg *pc,
			struct hook_inst *hi, char *why, size_t len)
{
	struct btf_hook bh;
	char tmp[384];
	int err, in_ftrace;

	if (strlen(name) >= sizeof(((struct hook_inst *)0)->function)) {
		snprintf(why, len, "fentry on %s: the name is longer than this agent supports", name);
		return why;
	}
	err = policy_btf_func(name, &bh, tmp, sizeof(tmp));
	if (err) {
		snprintf(why, len, "fentry on %s: %s%s", name, tmp,
			 err == -ENOENT ? " (fentry attaches to functions the kernel's BTF describes: it does not "
					  "exist here, or is not in BTF)" : "");
		return why;
	}
	in_ftrace = policy_ftrace_has(e, name);
	if (in_ftrace == 0) {
		snprintf(why, len, "fentry on %s: it cannot be traced: it is not in %s/available_filter_functions "
			 "(inlined into its callers or marked notrace)", name, policy_tracefs(e->tracefs));
		return why;
	}
	if (h->nargs > GT_MAX_ARGS) {
		snprintf(why, len, "fentry on %s: %zu arguments: at most %d are supported", name, h->nargs, GT_MAX_ARGS);
		return why;
	}
	for (size_t i = 0; i < h->nargs; i++) {
		struct gt_arg_cfg c;
		struct gt_resolve res;
		enum tp_arg_type rep = TP_ARG_INT;

		if (policy_btf_arg(h, i, &bh, &c, &res, &rep, why, len))
			return why;
		if (pc) {
			pc->args[i] = c;
			pc->resolve[i] = res;
		}
		if (hi) {
			hi->types[i] = rep;
			hi->is_signed[i] = c.is_signed;
			hi->size[i] = c.size;
		}
	}
	if (pc)
		pc->raw_nargs = (uint32_t)(bh.n < BTF_HOOK_MAX_ARGS ? bh.n : BTF_HOOK_MAX_ARGS);
	return NULL;
}

static bool has_return(const struct tp_hook *h)
{
	bool ret = h->ret;

	for (size_t i = 0; i < h->nargs; i++)
		ret |= h->args[i].return_copy;
	return ret;
}

/* returnArg's reporting type; TP_ARG_NOP without one. */
static enum tp_arg_type ret_type(const struct tp_hook *h)
{
	if (!h->ret || !h->return_arg)
		return TP_ARG_NOP;
	return h->return_arg->type == TP_ARG_AUTO || h->return_arg->type == TP_ARG_FD ? TP_ARG_INT :
	       h->return_arg->type;
}

static const char *check(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h, char *why,
			 size_t len)
{
	const char *const *v;
	char fwhy[256];
	size_t n;

	if (!policy_feature(KF_FENTRY, fwhy, sizeof(fwhy))) {
		snprintf(why, len, "fentry on %s: this kernel cannot run fentry programs (BPF trampolines): %s%s",
			 h->call, fwhy, policy_feature(KF_KPROBE, NULL, 0) ? "; kprobes: serve the same function" : "");
		return why;
	}
	if (has_return(h) && !policy_feature(KF_FEXIT, fwhy, sizeof(fwhy))) {
		snprintf(why, len, "fentry on %s: return probe: this kernel cannot run fexit programs: %s", h->call, fwhy);
		return why;
	}
	if (h->syscall && h->call_list < 0) {
		snprintf(why, len, "line %u: fentry on %s: syscall: true is not supported on fentries (the syscall "
			 "function takes the caller's registers); set syscall: false on a kernel function, or use "
			 "kprobes: with syscall: true, which read a syscall's arguments from those registers (by fentry "
			 "on its function where the kernel allows)", h->pos.line, h->call);
		return why;
	}
	if (h->ret && !h->return_arg) {
		snprintf(why, len, "line %u: return: true needs a returnArg", h->pos.line);
		return why;
	}
	if (h->has_return_arg_action) {
		snprintf(why, len, "line %u: fentry on %s: returnArgAction (TrackSock/UntrackSock) is not supported yet",
			 h->pos.line, h->call);
		return why;
	}
	if (ret_type(h) != TP_ARG_NOP && !policy_ret_type_ok(ret_type(h))) {
		snprintf(why, len, "line %u: returnArg type %s is not supported on fentries yet (integer types are)",
			 h->return_arg->pos.line, tp_arg_type_name(h->return_arg->type));
		return why;
	}
	if (functions(p, h, &v, &n, why, len))
		return why;
	for (size_t k = 0; k < n; k++) {
		char tmp[768];

		if (!plan(e, h, v[k], NULL, NULL, tmp, sizeof(tmp)))
			continue;
		/* upstream's ignore: callNotFound: that function is skipped */
		if (h->ignore_call_not_found && strstr(tmp, "does not exist"))
			continue;
		snprintf(why, len, "%s", tmp);
		return why;
	}
	return NULL;
}

static const char *instances(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h, char *why,
			     size_t len)
{
	const char *const *v;
	const char *bad = NULL;
	size_t n;

	if (functions(p, h, &v, &n, why, len))
		return why;
	for (size_t k = 0; k < n && !bad; k++) {
		struct hook_inst *hi = policy_inst_new(e, p, h, &policy_be_fentry);
		char tmp[768];

		if (!hi)
			return "out of memory";
		snprintf(hi->subsys, sizeof(hi->subsys), "fentry");
		snprintf(hi->event, sizeof(hi->event), "%s", v[k]);
		snprintf(hi->function, sizeof(hi->function), "%s", v[k]);
		if (h->ignore_call_not_found && plan(e, h, v[k], NULL, NULL, tmp, sizeof(tmp))) {
			hi->skipped = true;
			hi->nmissing = 1;
		}
		bad = policy_inst_attach(e, hi, why, len);
	}
	return bad;
}

static struct gt_prog_cfg *open_obj(struct hook_inst *hi, char *why, size_t len)
{
	struct generic_fentry_bpf *skel = generic_fentry_bpf__open();

	if (!skel) {
		snprintf(why, len, "opening the BPF object: %s", strerror(errno));
		return NULL;
	}
	hi->skel = skel;
	hi->obj = skel->obj;
	hi->xcfg = (struct gt_xcfg *)&skel->rodata->gt_xcfg;
	return (struct gt_prog_cfg *)&skel->rodata->gt_cfg;
}

static const char *prepare(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_fentry_bpf *skel = hi->skel;

	if (plan(e, hi->h, hi->function, hi->cfg, hi, why, len))
		return why;
	hi->cfg->nargs = (uint32_t)hi->h->nargs;
	hi->has_return = has_return(hi->h);
	hi->ret_type = ret_type(hi->h);
	if (!hi->has_return) {
		bpf_program__set_autoload(skel->progs.generic_fexit, false);
		return NULL;
	}
	hi->cfg->has_return = 1;
	if (bpf_map__set_max_entries(skel->maps.gt_ret, RET_ENTRIES)) {
		snprintf(why, len, "sizing gt_ret: %s", strerror(errno));
		return why;
	}
	return NULL;
}

static int load(struct hook_inst *hi)
{
	struct generic_fentry_bpf *skel = hi->skel;
	/* right before the load: libbpf holds the kernel's BTF from then until a load frees it */
	int err = bpf_program__set_attach_target(skel->progs.generic_fentry, 0, hi->function);

	if (!err && hi->has_return)
		err = bpf_program__set_attach_target(skel->progs.generic_fexit, 0, hi->function);
	/* a load, even failing, frees the BTF the lookup loaded */
	if (err) {
		generic_fentry_bpf__load(skel);
		return err;
	}
	return generic_fentry_bpf__load(skel);
}

static const char *attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_fentry_bpf *skel = hi->skel;

	(void)e;
	for (int ret = 0; ret <= (int)hi->has_return; ret++) {
		struct bpf_link *l = bpf_program__attach_trace(ret ? skel->progs.generic_fexit :
							       skel->progs.generic_fentry);

		if (!l) {
			snprintf(why, len, "attaching %s to %s: %s", ret ? "fexit" : "fentry", hi->function,
				 strerror(errno));
			return why;
		}
		if (policy_inst_link(hi, l))
			return "out of memory";
	}
	return NULL;
}

static void destroy(struct hook_inst *hi)
{
	generic_fentry_bpf__destroy(hi->skel);
}

static void describe(const struct hook_inst *hi, struct strbuf *sb)
{
	strbuf_addf(sb, "%s%s", hi->function, hi->has_return ? ", with fexit" : "");
}

const struct policy_backend policy_be_fentry = {
	.name = "fentry",
	.section = TP_HOOK_FENTRY,
	.msg_op = MSG_OP_GENERIC_KPROBE,
	.event = POLICY_EV_KPROBE,
	.sensor = "generic_fentry",
	.label = "fentry",
	.returns = true,
	.check = check,
	.instances = instances,
	.open = open_obj,
	.prepare = prepare,
	.load = load,
	.attach = attach,
	.destroy = destroy,
	.describe = describe,
};
