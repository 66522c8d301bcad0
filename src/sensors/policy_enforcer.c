// SPDX-License-Identifier: Apache-2.0
/*
 * spec.enforcers: the policy's enforcer program on each syscall (or
 * security_ function) its calls name (bpf/generic_enforcer.bpf.c), and the policy's map gt_enforcer that
 * its hooks' NotifyEnforcer selectors write (bpf/lib/gt_common.h). The
 * mechanism, chosen for the whole enforcer and shown in the policy status:
 *
 *   argError anywhere   the syscall must return an error: fmod_ret or a
 *                       kprobe with bpf_override_return on __x64_sys_<name>,
 *                       as the Override action chooses (policy_override.c);
 *   argSig only         a kprobe on __x64_sys_<name> sends the signal when
 *                       the thread enters the syscall (no override needed).
 *
 * A kernel without what the mechanism needs refuses the policy, naming it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "generic_enforcer.skel.h"
#include "kernel/features.h"
#include "sensors/core_btf.h"
#include "sensors/generic_policy.h"
#include "sensors/policy_internal.h"
#include "sensors/syscall_table.h"
#include "util/strbuf.h"

/* Threads between a notification and their syscall (LRU: a lost one only ages out). */
#define ENF_ENTRIES 32768

struct policy_enforcer {
	const struct tp_policy *p;
	int map_fd;
	int missed_fd;			/* gt_enf_missed: what it missed, by notification and reason */
	int mech;			/* POLICY_OVR_FMOD_RET, POLICY_OVR_RETURN, or NONE: a kprobe sending the signal */
	char **funcs;			/* __x64_sys_<name> */
	size_t nfuncs;
	struct generic_enforcer_bpf **skels;
	size_t nskels;
	struct bpf_link **links;
	size_t nlinks;
};

static void enf_free(struct policy_enforcer *f)
{
	if (!f)
		return;
	while (f->nlinks)
		bpf_link__destroy(f->links[--f->nlinks]);
	free(f->links);
	while (f->nskels)
		generic_enforcer_bpf__destroy(f->skels[--f->nskels]);
	free(f->skels);
	for (size_t i = 0; i < f->nfuncs; i++)
		free(f->funcs[i]);
	free(f->funcs);
	if (f->map_fd >= 0)
		close(f->map_fd);
	if (f->missed_fd >= 0)
		close(f->missed_fd);
	free(f);
}

static struct policy_enforcer *find(const struct policy_engine *e, const struct tp_policy *p)
{
	for (size_t i = 0; e && i < e->nenf; i++)
		if (e->enf[i]->p == p)
			return e->enf[i];
	return NULL;
}

int policy_enforcer_map_fd(const struct policy_engine *e, const struct tp_policy *p)
{
	const struct policy_enforcer *f = find(e, p);

	return f ? f->map_fd : -1;
}

int policy_enforcer_missed_fd(const struct policy_engine *e, const struct tp_policy *p)
{
	const struct policy_enforcer *f = find(e, p);

	return f ? f->missed_fd : -1;
}

/*
 * What names a missed notification (upstream's info label): the syscall of
 * a raw_syscalls/sys_enter hook ("dup", "i386/dup", "syscall-N"), "subsystem/event"
 * of another tracepoint, nothing for other hooks.
 */
static void missed_info(const struct hook_inst *hi, uint32_t arg, char *buf, size_t len)
{
	const struct tp_hook *h = hi ? hi->h : NULL;
	const char *name;

	buf[0] = 0;
	if (!h || h->kind != TP_HOOK_TRACEPOINT || !h->subsystem || !h->event)
		return;
	if (h->raw || strcmp(h->subsystem, "raw_syscalls") || strcmp(h->event, "sys_enter")) {
		snprintf(buf, len, "%s/%s", h->subsystem, h->event);
		return;
	}
	if (arg & GT_SYSCALL64_I386) {
		/* no i386 table here: its number */
		snprintf(buf, len, "i386/syscall-%u", arg & ~GT_SYSCALL64_I386);
		return;
	}
	name = syscall_name_x86_64((int)arg);
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "syscall-%u", arg);
}

void policy_enforcer_missed_each(const struct policy_engine *e, policy_enforcer_missed_fn fn, void *arg)
{
	for (size_t i = 0; e && i < e->nenf; i++) {
		const struct policy_enforcer *f = e->enf[i];
		struct gt_enf_missed_key k, next;
		void *prev = NULL;
		int guard = 0;

		if (f->missed_fd < 0)
			continue;
		while (guard++ < GT_ENF_MISSED_MAX * 2 && !bpf_map_get_next_key(f->missed_fd, prev, &next)) {
			__u64 n = 0;
			char info[96];

			k = next;
			prev = &k;
			if (bpf_map_lookup_elem(f->missed_fd, &k, &n))
				continue;
			missed_info(policy_engine_find(e, k.hook_id), k.arg, info, sizeof(info));
			fn(arg, f->p->name, k.reason == GT_ENF_MISSED_OVERWRITTEN ? "overwritten" :
			   k.reason == GT_ENF_MISSED_NOACTION ? "no_action" : "unspecified", info, n);
		}
	}
}

/* Does any selector of p notify with an error (or a signal)? */
static void notify_needs(const struct tp_policy *p, bool *err, bool *sig, const struct tp_action **bad)
{
	*err = *sig = false;
	*bad = NULL;
	for (size_t k = 0; k < p->nhooks; k++)
		for (size_t i = 0; i < p->hooks[k].nselectors; i++) {
			const struct tp_selector *s = &p->hooks[k].selectors[i];

			for (size_t j = 0; j < s->nactions; j++)
				if (s->actions[j].type == TP_ACTION_NOTIFY_ENFORCER) {
					/* an errno: it travels as upstream's 16 bits */
					if (s->actions[j].arg_error < -4095 || s->actions[j].arg_error > 0)
						*bad = &s->actions[j];
					*err |= s->actions[j].arg_error != 0;
					*sig |= s->actions[j].arg_sig != 0;
				}
		}
}

static int add_func(struct policy_enforcer *f, const char *call)
{
	bool security = !strncmp(call, "security_", 9);
	char name[160];
	char **v;

	/* a security_ function as is; a syscall on its x86_64 function (sys_dup, __ia32_sys_dup: one) */
	snprintf(name, sizeof(name), security ? "%s" : "__x64_sys_%s", security ? call : policy_syscall_base(call));
	for (size_t i = 0; i < f->nfuncs; i++)
		if (!strcmp(f->funcs[i], name))
			return 0;
	v = realloc(f->funcs, (f->nfuncs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	f->funcs = v;
	if (!(v[f->nfuncs] = strdup(name)))
		return -ENOMEM;
	f->nfuncs++;
	return 0;
}

/* The enforcer's syscall functions, "list:NAME" expanded. */
static const char *expand(const struct tp_policy *p, struct policy_enforcer *f, char *why, size_t len)
{
	const struct tp_enforcer *en = &p->enforcers[0];

	for (size_t i = 0; i < en->ncalls; i++) {
		const char *c = en->calls[i];

		if (!strncmp(c, "list:", 5)) {
			const struct tp_list *l = NULL;

			for (size_t k = 0; k < p->nlists; k++)
				if (!strcmp(p->lists[k].name, c + 5))
					l = &p->lists[k];
			if (!l || (l->type != TP_LIST_SYSCALLS && l->type != TP_LIST_NONE)) {
				snprintf(why, len, "line %u: spec.enforcers: %s is not a list of syscalls (type: "
					 "syscalls) of this policy", en->pos.line, c);
				return why;
			}
			for (size_t k = 0; k < l->nvalues; k++)
				if (add_func(f, l->values[k]))
					return "out of memory";
		} else if (add_func(f, c)) {
			return "out of memory";
		}
	}
	if (!f->nfuncs) {
		snprintf(why, len, "line %u: spec.enforcers: no syscall to enforce on", en->pos.line);
		return why;
	}
	return NULL;
}

/* The mechanism for f's functions, or why this kernel has none. */
static const char *choose(const struct tp_policy *p, struct policy_enforcer *f, char *why, size_t len)
{
	bool need_err, need_sig;
	const struct tp_action *bad;
	char fwhy[256];

	notify_needs(p, &need_err, &need_sig, &bad);
	if (bad) {
		snprintf(why, len, "line %u: NotifyEnforcer argError %d: want a negative errno (-4095..-1) or 0",
			 bad->pos.line, bad->arg_error);
		return why;
	}
	if (!need_err) {
		if (!policy_feature(KF_KPROBE, fwhy, sizeof(fwhy))) {
			snprintf(why, len, "spec.enforcers: the enforcer sends NotifyEnforcer's argSig from a kprobe on "
				 "%s, and this kernel cannot attach kprobes (%s); a Sigkill or Signal action in the "
				 "selector acts at the hook itself", f->funcs[0], fwhy);
			return why;
		}
		/*
		 * bpf_send_signal came with kprobes' kernels long before (5.3); its
		 * probe (KF_SEND_SIGNAL) signals the whole agent, which is only safe
		 * before the agent has threads, so it is not run from here.
		 */
		(void)need_sig;
		f->mech = POLICY_OVR_NONE;
		return NULL;
	}
	for (size_t k = 0; k < f->nfuncs; k++) {
		char what[200], sys[160];
		int m;

		snprintf(what, sizeof(what), "spec.enforcers: NotifyEnforcer argError on %s", f->funcs[k]);
		snprintf(sys, sizeof(sys), "sys_%s", f->funcs[k] + 10);
		if (policy_ovr_choose(p, what, f->funcs[k], strncmp(f->funcs[k], "__x64_sys_", 10) ? NULL : sys, &m,
				      why, len))
			return why;
		if (k && m != f->mech) {
			snprintf(why, len, "spec.enforcers: %s and %s would need different mechanisms (%s, %s); set the "
				 "override-method option", f->funcs[0], f->funcs[k], policy_ovr_name(f->mech),
				 policy_ovr_name(m));
			return why;
		}
		f->mech = m;
	}
	return NULL;
}

static const char *attach_one(struct policy_enforcer *f, const char *func, char *why, size_t len)
{
	struct generic_enforcer_bpf *skel = CORE_BTF_OPEN(generic_enforcer), **v;
	bool fmod = f->mech == POLICY_OVR_FMOD_RET;
	struct bpf_program *prog;
	struct bpf_link *l, **lv;
	int err;

	if (!skel) {
		snprintf(why, len, "spec.enforcers: opening the enforcer's BPF object: %s", strerror(errno));
		return why;
	}
	v = realloc(f->skels, (f->nskels + 1) * sizeof(*v));
	if (!v) {
		generic_enforcer_bpf__destroy(skel);
		return "out of memory";
	}
	f->skels = v;
	f->skels[f->nskels++] = skel;
	prog = fmod ? skel->progs.generic_enf_fmod_ret : skel->progs.generic_enf_kp;
	bpf_program__set_autoload(fmod ? skel->progs.generic_enf_kp : skel->progs.generic_enf_fmod_ret, false);
	skel->rodata->enf_override = f->mech == POLICY_OVR_RETURN;
	err = bpf_map__reuse_fd(skel->maps.gt_enforcer, f->map_fd);
	if (!err && fmod)
		err = bpf_program__set_attach_target(prog, 0, func);
	if (!err)
		err = generic_enforcer_bpf__load(skel);
	if (err) {
		snprintf(why, len, "spec.enforcers: the enforcer on %s (%s): the kernel refused the program (%s)", func,
			 fmod ? "fmod_ret" : f->mech == POLICY_OVR_RETURN ? "bpf_override_return" : "kprobe",
			 strerror(-err));
		return why;
	}
	l = fmod ? bpf_program__attach_trace(prog) : bpf_program__attach_kprobe(prog, false, func);
	if (!l) {
		snprintf(why, len, "spec.enforcers: attaching the enforcer on %s: %s", func, strerror(errno));
		return why;
	}
	lv = realloc(f->links, (f->nlinks + 1) * sizeof(*lv));
	if (!lv) {
		bpf_link__destroy(l);
		return "out of memory";
	}
	f->links = lv;
	f->links[f->nlinks++] = l;
	return NULL;
}

const char *policy_enforcer_attach(struct policy_engine *e, const struct tp_policy *p, char *why, size_t len)
{
	struct policy_enforcer *f, **v;
	const char *bad;

	if (!p->nenforcers)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return "out of memory";
	f->p = p;
	f->map_fd = -1;
	f->missed_fd = -1;
	bad = expand(p, f, why, len);
	if (!bad)
		bad = choose(p, f, why, len);
	if (!bad && !e->dry_run) {
		f->map_fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "gt_enforcer", sizeof(__u64), sizeof(struct gt_enf_val),
					   ENF_ENTRIES, NULL);
		if (f->map_fd >= 0)
			f->missed_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "gt_enf_missed",
						      sizeof(struct gt_enf_missed_key), sizeof(__u64),
						      GT_ENF_MISSED_MAX, NULL);
		if (f->map_fd < 0 || f->missed_fd < 0) {
			snprintf(why, len, "spec.enforcers: creating its maps: %s", strerror(errno));
			bad = why;
		}
		for (size_t k = 0; !bad && k < f->nfuncs; k++)
			bad = attach_one(f, f->funcs[k], why, len);
	}
	if (!bad) {
		v = realloc(e->enf, (e->nenf + 1) * sizeof(*v));
		if (!v)
			bad = "out of memory";
		else {
			e->enf = v;
			e->enf[e->nenf++] = f;
			return NULL;
		}
	}
	enf_free(f);
	return bad;
}

void policy_enforcer_detach(struct policy_engine *e, const struct tp_policy *p)
{
	size_t k = 0;

	for (size_t i = 0; i < e->nenf; i++) {
		if (e->enf[i]->p == p)
			enf_free(e->enf[i]);
		else
			e->enf[k++] = e->enf[i];
	}
	e->nenf = k;
	if (!e->nenf) {
		free(e->enf);
		e->enf = NULL;
	}
}

void policy_enforcer_describe(const struct policy_engine *e, const struct tp_policy *p, struct strbuf *sb)
{
	const struct policy_enforcer *f = find(e, p);

	if (!f)
		return;
	strbuf_addf(sb, "enforcer by %s on ", f->mech == POLICY_OVR_NONE ? "kprobe (argSig only)" :
		    policy_ovr_name(f->mech));
	for (size_t i = 0; i < f->nfuncs && i < 8; i++)
		strbuf_addf(sb, "%s%s", i ? ", " : "", f->funcs[i]);
	if (f->nfuncs > 8)
		strbuf_addf(sb, " and %zu more", f->nfuncs - 8);
	if (p->opts.policy_mode == TP_MODE_MONITOR)
		strbuf_addf(sb, " (monitor mode: notifications not made)");
}
