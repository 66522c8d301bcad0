// SPDX-License-Identifier: Apache-2.0
/*
 * The attach driver: one load sequence for every hook back-end
 * (policy_backend.h). For each instance a back-end asks for: open its
 * object, write the common configuration (hook id, record opcode, the
 * agent's tgid), let the back-end lay out the arguments, compile the
 * selectors, size the selector maps, share the lifecycle sensor's maps,
 * load, write the selectors, attach.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "kernel/bpf_errors.h"
#include "kernel/bpf_pin.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_internal.h"
#include "util/log.h"

void policy_inst_free(struct hook_inst *hi)
{
	if (!hi)
		return;
	/* unpinned first: a pinned link would keep the program attached */
	if (hi->pin[0])
		bpf_pin_remove(hi->pin);
	while (hi->nlinks)
		bpf_link__destroy(hi->links[--hi->nlinks]);
	free(hi->links);
	if (hi->skel && hi->be->destroy)
		hi->be->destroy(hi);
	policy_ovr_free(hi);
	policy_selectors_free(hi);
	for (size_t i = 0; i < hi->nfuncs; i++)
		free(hi->funcs[i]);
	free(hi->funcs);
	free(hi->sel);
	free(hi);
}

struct hook_inst *policy_inst_new(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h,
				  const struct policy_backend *be)
{
	struct hook_inst *hi = calloc(1, sizeof(*hi));

	if (!hi)
		return NULL;
	hi->p = p;
	hi->h = h;
	hi->e = e;
	hi->be = be;
	hi->ret_type = TP_ARG_NOP;
	hi->scope = e->scope_cur;
	return hi;
}

int policy_inst_link(struct hook_inst *hi, struct bpf_link *l)
{
	struct bpf_link **v = realloc(hi->links, (hi->nlinks + 1) * sizeof(*v));

	if (!v) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	hi->links = v;
	hi->links[hi->nlinks++] = l;
	return 0;
}

static int reuse(struct bpf_object *obj, const char *name, int fd)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__reuse_fd(m, fd) : -ENOENT;
}

/* The sequence for one instance: a reason, or NULL when it runs (or, dry run, is compiled). */
static const char *load_inst(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	const struct policy_backend *be = hi->be;
	const char *bad;
	int err;

	hi->cfg = be->open(hi, why, len);
	if (!hi->cfg)
		return why;
	/* a torn-down instance's records may still be queued: ids are not reused */
	hi->id = e->next_id++;
	hi->cfg->hook_id = hi->id;
	hi->cfg->msg_op = be->msg_op;
	hi->cfg->agent_tgid = (uint32_t)getpid();
	bad = be->prepare(e, hi, why, len);
	if (!bad)
		bad = policy_data_prepare(hi, why, len);
	if (!bad)
		bad = policy_ovr_prepare(hi, hi->obj, why, len);
	if (bad)
		return bad;
	/*
	 * maxData: buffers read from memory at the call get their bytes past
	 * the record's as chunks (returnCopy ones keep GT_ARG_MAX, as upstream;
	 * char_iovec too: its bookkeeping grew the programs' frames past 6.1's
	 * 512-byte call-chain stack)
	 */
	for (size_t i = 0; i < hi->h->nargs && i < GT_MAX_ARGS; i++) {
		struct gt_arg_cfg *c = &hi->cfg->args[i];

		if (hi->h->args[i].max_data && !(c->flags & GT_ARGF_RETURN_COPY) &&
		    (c->kind == GT_ARG_BUF_USER || c->kind == GT_ARG_IOV_ITER_PTR))
			c->flags |= GT_ARGF_MAX_DATA;
	}
	/* the return value as its type has it: an int is the low half of the register */
	if (hi->has_return && hi->ret_type != TP_ARG_NOP) {
		unsigned sz;
		bool sg;

		if (policy_int_type(hi->ret_type, &sz, &sg)) {
			hi->cfg->ret_size = (uint16_t)sz;
			hi->cfg->ret_signed = sg;
		}
	}
	hi->sel = calloc(1, sizeof(*hi->sel));
	if (!hi->sel)
		return "out of memory";
	bad = policy_compile_selectors(hi, hi->sel, why, len);
	hi->sel->flags |= hi->scope.flags;
	if (!bad)
		bad = policy_selectors_size(hi, hi->obj, why, len);
	if (!bad) {
		uint32_t stacks = 0;

		for (uint32_t i = 0; i < hi->sel->nsel && i < GT_MAX_SEL; i++)
			stacks |= hi->sel->sel[i].stack;
		/* bpf_get_stack() is verified only where a selector posts stacks */
		if (stacks && (err = policy_set_rodata_u32(hi->obj, "gt_stacks", 1)) < 0) {
			snprintf(why, len, "preparing stack traces (gt_stacks): %s", strerror(-err));
			bad = why;
		}
	}
	if (bad || e->dry_run)
		return bad;
	if ((policy_enforcer_map_fd(e, hi->p) >= 0 &&
	     (reuse(hi->obj, "gt_enforcer", policy_enforcer_map_fd(e, hi->p)) ||
	      reuse(hi->obj, "gt_enf_missed", policy_enforcer_missed_fd(e, hi->p)))) ||
	    reuse(hi->obj, "policy_events", e->events_fd) || reuse(hi->obj, "execve_map", e->execve_fd) ||
	    (e->missed_fd > 0 && reuse(hi->obj, "missed_events", e->missed_fd)) ||
	    (e->nscaps_fd > 0 && reuse(hi->obj, "exec_nscaps", e->nscaps_fd))) {
		snprintf(why, len, "sharing the lifecycle sensor's maps: %s", strerror(errno));
		return why;
	}
	if ((hi->scope.flags && reuse(hi->obj, "gt_scope", hi->scope.fd)) ||
	    ((hi->scope.flags & GT_CFG_SCOPE_HOST) && reuse(hi->obj, "gt_scope_pods", hi->scope.pods_fd))) {
		snprintf(why, len, "sharing the policy's workload scope map: %s", strerror(errno));
		return why;
	}
	err = be->load(hi);
	/* rodata is frozen from here on */
	hi->cfg = NULL;
	hi->xcfg = NULL;
	if (err) {
		char what[128];

		snprintf(what, sizeof(what), "policy engine: loading the generic %s program", be->name);
		bpf_explain_error(what, err);
		snprintf(why, len, "the kernel refused the BPF program (%s)", strerror(-err));
		return why;
	}
	bad = policy_selectors_install(hi, hi->obj, hi->sel, why, len);
	/* the Override companions first: the generic program's errors never wait for them */
	if (!bad)
		bad = policy_ovr_attach(e, hi, why, len);
	if (bad)
		return bad;
	return be->attach(e, hi, why, len);
}

const char *policy_inst_attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct hook_inst **v;
	const char *bad = hi->skipped ? NULL : load_inst(e, hi, why, len);

	if (bad) {
		policy_inst_free(hi);
		return bad;
	}
	/* --keep-sensors-on-exit: pinned as it starts to run, so a SIGKILLed agent leaves it enforcing */
	if (bpf_pin_enabled() && !e->dry_run && !hi->skipped && hi->obj) {
		char perr[512];

		bpf_pin_inst_path(hi->pin, sizeof(hi->pin), hi->p->namespace, hi->p->name, hi->be->sensor, hi->id,
				  hi->event[0] ? hi->event : hi->function);
		if (bpf_pin_object(hi->pin, hi->obj, hi->links, hi->nlinks, false, perr, sizeof(perr)))
			log_warn("policy %s%s%s hook %s/%s: %s: it runs, but stops with the agent",
				 hi->p->namespace ? hi->p->namespace : "", hi->p->namespace ? "/" : "", hi->p->name,
				 hi->subsys, hi->event, perr);
	}
	v = realloc(e->inst, (e->ninst + 1) * sizeof(*v));
	if (!v) {
		policy_inst_free(hi);
		return "out of memory";
	}
	e->inst = v;
	v[e->ninst++] = hi;
	if (e->pump)
		e->pump(e->pump_ctx);
	return NULL;
}

bool policy_is_scoped(const struct tp_policy *p)
{
	return p->kind == TP_KIND_TRACING_POLICY_NAMESPACED || p->pod_selector || p->container_selector ||
	       p->host_selector;
}

/*
 * Why p cannot be scoped by this agent (no Kubernetes client: it does not
 * know which processes run in which pods; or no cgroup2 to tell them
 * apart), "file:line:col: field: ..."; NULL when it can. hostSelector alone
 * without a Kubernetes client: no pod is known, every process is a host one.
 */
const char *policy_scope_unsupported(const struct policy_engine *e, const struct tp_policy *p, const char *file,
				     char *why, size_t len)
{
	const struct tp_pos *pos;
	const char *what;

	if (e->scope_ops || e->dry_run || !policy_is_scoped(p))
		return NULL;
	if (p->kind == TP_KIND_TRACING_POLICY_NAMESPACED) {
		pos = &p->kind_pos;
		what = "kind: a TracingPolicyNamespaced";
	} else if (p->pod_selector) {
		pos = &p->pod_selector->pos;
		what = "spec.podSelector: podSelector";
	} else if (p->container_selector) {
		pos = &p->container_selector->pos;
		what = "spec.containerSelector: containerSelector";
	} else if (e->scope_missing && p->host_selector) {
		/* pods run here, but which processes are theirs is unknown */
		pos = &p->host_selector->pos;
		what = "spec.hostSelector: hostSelector";
	} else {
		return NULL;
	}
	if (e->scope_missing)
		snprintf(why, len, "%s:%u:%u: %s cannot be scoped to pods on this host (%s); it would act on "
			 "every process, so it is refused", file && *file ? file : "policy", pos->line, pos->col, what,
			 e->scope_missing);
	else
		snprintf(why, len, "%s:%u:%u: %s needs the agent's Kubernetes client (--enable-k8s-api) to know "
			 "which processes run in which pods; without it the policy would act on every process, so it "
			 "is refused", file && *file ? file : "policy", pos->line, pos->col, what);
	return why;
}

/* The policy's workload scope into e->scope_cur (flags 0: none); a reason or NULL. */
static const char *scope_acquire(struct policy_engine *e, const struct tp_policy *p, char *why, size_t len)
{
	memset(&e->scope_cur, 0, sizeof(e->scope_cur));
	if (!policy_is_scoped(p) || e->dry_run)
		return NULL;
	if (!e->scope_ops)
		return policy_scope_unsupported(e, p, NULL, why, len);
	if (e->scope_ops->acquire(e->scope_ctx, p, &e->scope_cur, why, len)) {
		memset(&e->scope_cur, 0, sizeof(e->scope_cur));
		return why;
	}
	return NULL;
}

static void scope_release(struct policy_engine *e, const struct tp_policy *p)
{
	if (e->scope_ops && policy_is_scoped(p) && !e->dry_run)
		e->scope_ops->release(e->scope_ctx, p);
}

const char *policy_attach_policy(struct policy_engine *e, struct tp_policy *p, char *why, size_t len)
{
	size_t first = e->ninst;
	const char *bad = scope_acquire(e, p, why, len);

	if (bad)
		return bad;
	/* the enforcer first: its map is the hooks' */
	bad = policy_enforcer_attach(e, p, why, len);

	for (size_t i = 0; i < p->nhooks && !bad; i++) {
		const struct tp_hook *h = &p->hooks[i];
		const struct policy_backend *be = policy_backend_of(e, p, h);

		if (!be || !be->instances) {
			snprintf(why, len, "%s hooks are not supported by this engine yet", tp_hook_kind_name(h->kind));
			bad = why;
			break;
		}
		bad = be->instances(e, p, h, why, len);
	}
	if (!bad)
		bad = policy_loader_attach(e, p, why, len);
	memset(&e->scope_cur, 0, sizeof(e->scope_cur));
	if (bad) {
		while (e->ninst > first)
			policy_inst_free(e->inst[--e->ninst]);
		policy_enforcer_detach(e, p);
		scope_release(e, p);
	}
	return bad;
}

void policy_detach_policy(struct policy_engine *e, const struct tp_policy *p)
{
	size_t k = 0;

	e->acct_hi = NULL;
	e->acct_lp = NULL;
	for (size_t i = 0; i < e->ninst; i++) {
		if (e->inst[i]->p == p)
			policy_inst_free(e->inst[i]);
		else
			e->inst[k++] = e->inst[i];
	}
	e->ninst = k;
	policy_enforcer_detach(e, p);
	policy_loader_detach(e, p);
	/* the provider forgets a policy it does not hold */
	scope_release(e, p);
}
