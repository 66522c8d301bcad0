// SPDX-License-Identifier: Apache-2.0
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
#include "sensors/syscall_table.h"
#include "tetragon/tetragon.pb-c.h"
#include "util/ktime.h"
#include "tracing/tp_format.h"
#include "util/log.h"
#include "util/strbuf.h"

static void inst_free(struct hook_inst *hi)
{
	if (!hi)
		return;
	bpf_link__destroy(hi->link_ret);
	bpf_link__destroy(hi->link);
	generic_tracepoint_bpf__destroy(hi->skel);
	policy_uprobe_destroy(hi);
	policy_rawtp_destroy(hi);
	policy_selectors_free(hi);
	free(hi);
}

static const char *attach_one(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct gt_config *cfg = NULL;
	const char *bad;
	int err;

	if (hi->h->kind == TP_HOOK_UPROBE)
		return policy_uprobe_attach(e, hi, why, len);
	if (hi->h->kind == TP_HOOK_TRACEPOINT && hi->h->raw)
		return policy_rawtp_attach(e, hi, why, len);
	hi->skel = generic_tracepoint_bpf__open();
	if (!hi->skel) {
		snprintf(why, len, "opening the BPF object: %s", strerror(errno));
		return why;
	}
	hi->obj = hi->skel->obj;
	/* a torn-down instance's records may still be queued: ids are not reused */
	hi->id = e->next_id++;
	hi->skel->rodata->hook_id = hi->id;
	hi->skel->rodata->msg_op = hi->h->kind == TP_HOOK_KPROBE ? MSG_OP_GENERIC_KPROBE : MSG_OP_GENERIC_TRACEPOINT;
	hi->skel->rodata->agent_tgid = (uint32_t)getpid();
	bad = policy_compile_args(hi, hi->skel, e->tracefs, why, len);
	if (!bad)
		bad = policy_return_prepare(hi, hi->skel, e->tracefs, why, len);
	if (!bad && hi->generated) {
		/* every x86_64 syscall this agent knows (a generated_syscalls list is all of them) */
		hi->skel->rodata->sys_filter = 1;
		for (int nr = 0; nr < SYSCALL_NR_MAX; nr++)
			if (syscall_name_x86_64(nr))
				hi->skel->rodata->sys_mask[nr / 64] |= 1ULL << (nr % 64);
	}
	if (bad)
		return bad;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return "out of memory";
	bad = policy_compile_selectors(hi, cfg, why, len);
	if (!bad)
		bad = policy_selectors_size(hi, hi->skel->obj, why, len);
	if (bad) {
		free(cfg);
		return bad;
	}
	if (bpf_map__reuse_fd(hi->skel->maps.events, e->events_fd) ||
	    bpf_map__reuse_fd(hi->skel->maps.execve_map, e->execve_fd)) {
		snprintf(why, len, "sharing the lifecycle sensor's maps: %s", strerror(errno));
		free(cfg);
		return why;
	}
	err = generic_tracepoint_bpf__load(hi->skel);
	if (err) {
		bpf_explain_error("policy engine: loading the generic tracepoint program", err);
		snprintf(why, len, "the kernel refused the BPF program (%s)", strerror(-err));
		free(cfg);
		return why;
	}
	bad = policy_selectors_install(hi, hi->skel->obj, cfg, why, len);
	free(cfg);
	if (bad)
		return bad;
	hi->link = bpf_program__attach_tracepoint(hi->skel->progs.generic_tracepoint, hi->subsys, hi->event);
	if (!hi->link) {
		snprintf(why, len, "attaching to tracepoint %s/%s: %s", hi->subsys, hi->event, strerror(errno));
		return why;
	}
	return policy_return_attach(hi, hi->skel, why, len);
}

/* name: the syscall of a kprobe, the symbol of a uprobe (NULL: at offset) */
static const char *attach_hook(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h,
			       const char *name, uint64_t offset, char *why, size_t len)
{
	struct hook_inst *hi = calloc(1, sizeof(*hi));
	struct hook_inst **v;
	const char *bad;

	if (!hi)
		return "out of memory";
	hi->p = p;
	hi->h = h;
	hi->e = e;
	if (h->kind == TP_HOOK_UPROBE) {
		snprintf(hi->function, sizeof(hi->function), "%s", name ? name : "");
		hi->uprobe_offset = offset;
		/* names the instance in logs and stats */
		snprintf(hi->subsys, sizeof(hi->subsys), "uprobe");
		if (name)
			snprintf(hi->event, sizeof(hi->event), "%s", name);
		else
			snprintf(hi->event, sizeof(hi->event), "%#llx", (unsigned long long)offset);
	} else if (h->kind == TP_HOOK_KPROBE && !name) {
		/* a generated syscall list: function_name comes from each record's number */
		hi->generated = true;
		snprintf(hi->subsys, sizeof(hi->subsys), "raw_syscalls");
		snprintf(hi->event, sizeof(hi->event), "sys_enter");
		snprintf(hi->function, sizeof(hi->function), "%s", h->call);
	} else if (h->kind == TP_HOOK_KPROBE) {
		snprintf(hi->subsys, sizeof(hi->subsys), "syscalls");
		snprintf(hi->event, sizeof(hi->event), "sys_enter_%s", policy_syscall_base(name));
		snprintf(hi->function, sizeof(hi->function), "__x64_sys_%s", policy_syscall_base(name));
	} else {
		snprintf(hi->subsys, sizeof(hi->subsys), "%s", h->subsystem);
		snprintf(hi->event, sizeof(hi->event), "%s", h->event);
	}
	bad = attach_one(e, hi, why, len);
	if (bad) {
		inst_free(hi);
		return bad;
	}
	v = realloc(e->inst, (e->ninst + 1) * sizeof(*v));
	if (!v) {
		inst_free(hi);
		return "out of memory";
	}
	e->inst = v;
	v[e->ninst++] = hi;
	return NULL;
}

/* All hooks of p, or none: on failure the instances of p are torn down. */
static const char *attach_policy(struct policy_engine *e, struct tp_policy *p, char *why, size_t len)
{
	size_t first = e->ninst;
	const char *bad = NULL;

	for (size_t i = 0; i < p->nhooks && !bad; i++) {
		const struct tp_hook *h = &p->hooks[i];

		if (h->kind == TP_HOOK_KPROBE && h->call_list >= 0 &&
		    p->lists[h->call_list].type == TP_LIST_GENERATED_SYSCALLS) {
			/* one instance for all: ~350 would take a minute to verify */
			bad = attach_hook(e, p, h, NULL, 0, why, len);
		} else if (h->kind == TP_HOOK_KPROBE && h->call_list >= 0) {
			const struct tp_list *l = &p->lists[h->call_list];

			for (size_t k = 0; k < l->nvalues && !bad; k++)
				bad = attach_hook(e, p, h, l->values[k], 0, why, len);
		} else if (h->kind == TP_HOOK_UPROBE) {
			for (size_t k = 0; k < h->nsymbols && !bad; k++)
				bad = attach_hook(e, p, h, h->symbols[k], 0, why, len);
			for (size_t k = 0; k < h->noffsets && !bad; k++)
				bad = attach_hook(e, p, h, NULL, h->offsets[k], why, len);
			/* addrs: policy_uprobe_attach() turns each into its file offset */
			for (size_t k = 0; k < h->naddrs && !bad; k++)
				bad = attach_hook(e, p, h, NULL, h->addrs[k], why, len);
		} else {
			bad = attach_hook(e, p, h, h->call, 0, why, len);
		}
	}
	if (bad) {
		while (e->ninst > first)
			inst_free(e->inst[--e->ninst]);
	}
	return bad;
}

static const char ENOMEM_REASON[] = "out of memory";

static struct loaded_policy *find_policy(struct policy_engine *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->v[i].p->name, name))
			return &e->v[i];
	return NULL;
}

/* Tear down the instances of p (records still queued for them are dropped: ids are not reused). */
static void detach_policy(struct policy_engine *e, const struct tp_policy *p)
{
	size_t k = 0;

	for (size_t i = 0; i < e->ninst; i++) {
		if (e->inst[i]->p == p)
			inst_free(e->inst[i]);
		else
			e->inst[k++] = e->inst[i];
	}
	e->ninst = k;
}

/*
 * Check, attach and keep policy i of set (taken from it). A reason when
 * refused (ENOMEM_REASON when out of memory), NULL when running.
 */
static const char *accept_policy(struct policy_engine *e, struct tp_policy_set *set, size_t i, const char *file,
				 const char *tracefs, char *why, size_t len)
{
	struct tp_policy *p = set->policies[i];
	struct loaded_policy *v;
	const char *bad;

	if (find_policy(e, p->name)) {
		snprintf(why, len, "a tracing policy named %s is already loaded", p->name);
		return why;
	}
	bad = policy_unsupported(p, why, len);
	for (size_t h = 0; h < p->nhooks && !bad; h++)
		bad = policy_hook_unsupported(p, h, tracefs, why, len);
	if (!bad)
		bad = attach_policy(e, p, why, len);
	if (bad)
		return bad;
	v = realloc(e->v, (e->n + 1) * sizeof(*v));
	if (!v) {
		detach_policy(e, p);
		return ENOMEM_REASON;
	}
	e->v = v;
	v[e->n].file = strdup(file);
	v[e->n].p = tp_policy_set_take(set, i);
	v[e->n].id = ++e->next_policy_id;
	v[e->n].enabled = true;
	e->n++;
	return NULL;
}

static int add_file(struct policy_engine *e, const char *path, const char *tracefs)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	struct strbuf sb = STRBUF_INIT;
	char why[768];
	int err;

	err = tp_parse_file(path, &set, &d);
	for (size_t i = 0; i < d.n; i++) {
		strbuf_reset(&sb);
		tp_diag_format(&d.v[i], path, &sb);
		if (d.v[i].sev == TP_SEV_ERROR)
			log_error("tracing policy refused: %s", (sb.buf ? sb.buf : ""));
		else
			log_warn("tracing policy: %s", (sb.buf ? sb.buf : ""));
	}
	tp_diags_free(&d);
	strbuf_free(&sb);
	if (err == -ENOMEM)
		return err;
	if (err) {
		e->refused++;
		return 0;
	}
	for (size_t i = 0; i < set->n; i++) {
		struct tp_policy *p = set->policies[i];
		const char *bad = accept_policy(e, set, i, path, tracefs, why, sizeof(why));

		if (bad == ENOMEM_REASON) {
			tp_policy_set_free(set);
			return -ENOMEM;
		}
		if (bad) {
			log_error("tracing policy %s (%s) refused: %s", p->name, path, bad);
			e->refused++;
			continue;
		}
		log_info("tracing policy %s (%s) accepted: %zu hook(s)", p->name, path, p->nhooks);
	}
	tp_policy_set_free(set);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(struct policy_engine *e, const char *dir, const char *tracefs)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int err = 0;

	if (!d) {
		log_error("--tracing-policy-dir %s: %s; no policy loaded from it", dir, strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **nv;

		if (de->d_name[0] == '.')
			continue;
		if (!((l > 5 && !strcmp(de->d_name + l - 5, ".yaml")) ||
		      (l > 4 && !strcmp(de->d_name + l - 4, ".yml"))))
			continue;
		nv = realloc(names, (n + 1) * sizeof(*nv));
		if (!nv) {
			err = -ENOMEM;
			break;
		}
		names = nv;
		if (asprintf(&names[n], "%s/%s", dir, de->d_name) < 0) {
			err = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!err)
			err = add_file(e, names[i], tracefs);
		free(names[i]);
	}
	free(names);
	return err;
}

int policy_engine_open(struct policy_engine **ret, const struct policy_engine_opts *o)
{
	struct policy_engine *e = calloc(1, sizeof(*e));
	int err = 0;

	if (!e)
		return -ENOMEM;
	e->events_fd = o->events_fd;
	e->execve_fd = o->execve_fd;
	e->mbset_fd = o->mbset_fd;
	e->mbset_cfg_fd = o->mbset_cfg_fd;
	e->tracefs = policy_tracefs(o->tracefs);
	e->tracefs_opt = o->tracefs;
	/* one binary path cache for every instance (see abi/msg_generic.h) */
	e->bin_cache_fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "gt_bin_cache", sizeof(uint32_t),
					 sizeof(struct gt_bin_cache_val), 16384, NULL);
	if (e->bin_cache_fd < 0)
		e->bin_cache_fd = -1;
	for (size_t i = 0; i < o->nfiles && !err; i++)
		err = add_file(e, o->files[i], o->tracefs);
	if (!err && o->dir)
		err = add_dir(e, o->dir, o->tracefs);
	if (err) {
		policy_engine_close(e);
		return err;
	}
	if (e->n || e->refused)
		log_info("tracing policies: %zu accepted, %zu refused", e->n, e->refused);
	*ret = e;
	return 0;
}

size_t policy_engine_accepted(const struct policy_engine *e)
{
	return e ? e->n : 0;
}

size_t policy_engine_refused(const struct policy_engine *e)
{
	return e ? e->refused : 0;
}

static uint64_t stat_sum(struct hook_inst *hi, uint32_t idx)
{
	int n = libbpf_num_possible_cpus();
	uint64_t sum = 0;

	if (n <= 0)
		return 0;
	uint64_t vals[n];

	if (!hi->obj || bpf_map_lookup_elem(bpf_object__find_map_fd_by_name(hi->obj, "gt_stats"), &idx, vals))
		return 0;
	for (int i = 0; i < n; i++)
		sum += vals[i];
	return sum;
}

int policy_engine_stats(struct policy_engine *e, size_t i, struct policy_hook_stats *st)
{
	if (!e || i >= e->ninst)
		return -ENOENT;
	st->policy = e->inst[i]->p->name;
	st->subsys = e->inst[i]->subsys;
	st->event = e->inst[i]->event;
	st->matched = stat_sum(e->inst[i], GT_STAT_MATCHED);
	st->filtered = stat_sum(e->inst[i], GT_STAT_FILTERED);
	st->lost = stat_sum(e->inst[i], GT_STAT_LOST);
	st->rate_limited = stat_sum(e->inst[i], GT_STAT_RATE_LIMITED);
	return 0;
}

void policy_engine_close(struct policy_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->ninst; i++) {
		struct policy_hook_stats st;

		if (!policy_engine_stats(e, i, &st))
			log_info("policy %s hook %s/%s: matched=%llu filtered=%llu lost=%llu rate_limited=%llu",
				 st.policy, st.subsys, st.event, (unsigned long long)st.matched,
				 (unsigned long long)st.filtered, (unsigned long long)st.lost,
				 (unsigned long long)st.rate_limited);
		inst_free(e->inst[i]);
	}
	free(e->inst);
	for (size_t i = 0; i < e->n; i++) {
		tp_policy_free(e->v[i].p);
		free(e->v[i].file);
	}
	free(e->v);
	if (e->bin_cache_fd >= 0)
		close(e->bin_cache_fd);
	free(e);
}

const struct hook_inst *policy_engine_find(const struct policy_engine *e, uint32_t id)
{
	for (size_t i = 0; e && i < e->ninst; i++)
		if (e->inst[i]->id == id)
			return e->inst[i];
	return NULL;
}

/* ---- run-time management (the agent's event loop calls these) ------------------ */

/* Bytes of the instance's own maps (the shared ring buffer and execve_map are not its). */
static uint64_t policy_inst_memory(const struct hook_inst *hi)
{
	const struct bpf_map *m;
	uint64_t sum = 0;

	if (!hi->obj)
		return 0;
	bpf_object__for_each_map(m, hi->obj) {
		const char *n = bpf_map__name(m);

		if (!strcmp(n, "events") || !strcmp(n, "execve_map"))
			continue;
		sum += (uint64_t)bpf_map__max_entries(m) * (bpf_map__key_size(m) + bpf_map__value_size(m));
	}
	return sum;
}

int policy_engine_add_yaml(struct policy_engine *e, const char *yaml, size_t len, char *why, size_t whylen)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	struct strbuf sb = STRBUF_INIT;
	const char *bad = NULL;
	size_t added = 0;
	int err;

	err = tp_parse("policy", yaml, len, &set, &d);
	if (err) {
		/* every error, "policy:line:col: message", one per line */
		for (size_t i = 0; i < d.n; i++)
			if (d.v[i].sev == TP_SEV_ERROR) {
				if (sb.len)
					strbuf_addc(&sb, '\n');
				tp_diag_format(&d.v[i], "policy", &sb);
			}
		snprintf(why, whylen, "%s", sb.buf ? sb.buf : "the policy is not valid");
		tp_diags_free(&d);
		strbuf_free(&sb);
		tp_policy_set_free(set);
		return err == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	tp_diags_free(&d);
	strbuf_free(&sb);
	for (size_t i = 0; i < set->n && !bad; i++)
		if (find_policy(e, set->policies[i]->name)) {
			snprintf(why, whylen, "a tracing policy named %s is already loaded", set->policies[i]->name);
			tp_policy_set_free(set);
			return -EEXIST;
		}
	for (size_t i = 0; i < set->n && !bad; i++) {
		const char *name = set->policies[i]->name;

		bad = accept_policy(e, set, i, "", e->tracefs_opt, why, whylen);
		if (!bad) {
			log_info("tracing policy %s added over the API", name);
			added++;
		}
	}
	tp_policy_set_free(set);
	if (bad == ENOMEM_REASON)
		return -ENOMEM;
	if (bad) {
		/* all or nothing: a multi-document YAML adds no part of itself */
		while (added--) {
			struct loaded_policy *lp = &e->v[e->n - 1];

			detach_policy(e, lp->p);
			tp_policy_free(lp->p);
			free(lp->file);
			e->n--;
		}
		return -EOPNOTSUPP;
	}
	return 0;
}

int policy_engine_delete(struct policy_engine *e, const char *name, char *why, size_t whylen)
{
	struct loaded_policy *lp = e ? find_policy(e, name ? name : "") : NULL;

	if (!lp) {
		snprintf(why, whylen, "no tracing policy named %s is loaded", name ? name : "");
		return -ENOENT;
	}
	detach_policy(e, lp->p);
	tp_policy_free(lp->p);
	free(lp->file);
	memmove(lp, lp + 1, (size_t)(&e->v[e->n] - (lp + 1)) * sizeof(*lp));
	e->n--;
	log_info("tracing policy %s deleted", name);
	return 0;
}

int policy_engine_configure(struct policy_engine *e, const char *name, int enable, int monitor, char *why,
			    size_t whylen)
{
	struct loaded_policy *lp = e ? find_policy(e, name ? name : "") : NULL;
	enum tp_policy_mode old;
	bool want;
	const char *bad;

	if (!lp) {
		snprintf(why, whylen, "no tracing policy named %s is loaded", name ? name : "");
		return -ENOENT;
	}
	want = enable < 0 ? lp->enabled : enable != 0;
	old = lp->p->opts.policy_mode;
	if (monitor >= 0)
		lp->p->opts.policy_mode = monitor ? TP_MODE_MONITOR : TP_MODE_ENFORCE;
	if (want == lp->enabled && lp->p->opts.policy_mode == old)
		return 0;
	/* the mode is compiled into the selectors: a change reattaches */
	detach_policy(e, lp->p);
	lp->enabled = false;
	if (!want) {
		log_info("tracing policy %s disabled", name);
		return 0;
	}
	bad = attach_policy(e, lp->p, why, whylen);
	if (bad) {
		lp->p->opts.policy_mode = old;
		if (bad != why)
			snprintf(why, whylen, "%s", bad);
		return -EIO;
	}
	lp->enabled = true;
	log_info("tracing policy %s enabled (%s mode)", name,
		 lp->p->opts.policy_mode == TP_MODE_MONITOR ? "monitor" : "enforce");
	return 0;
}

int policy_engine_status(struct policy_engine *e, size_t i, struct policy_status *st)
{
	const struct loaded_policy *lp;

	if (!e || i >= e->n)
		return -ENOENT;
	lp = &e->v[i];
	memset(st, 0, sizeof(*st));
	st->id = lp->id;
	st->name = lp->p->name;
	st->ns = lp->p->namespace;
	st->file = lp->file;
	st->enabled = lp->enabled;
	st->monitor = lp->p->opts.policy_mode == TP_MODE_MONITOR;
	st->hook_kind = lp->p->nhooks ? lp->p->hooks[0].kind : TP_HOOK_NONE;
	for (size_t k = 0; k < e->ninst; k++) {
		struct hook_inst *hi = e->inst[k];

		if (hi->p != lp->p)
			continue;
		st->ninst++;
		st->matched += stat_sum(hi, GT_STAT_MATCHED);
		st->filtered += stat_sum(hi, GT_STAT_FILTERED);
		st->lost += stat_sum(hi, GT_STAT_LOST);
		st->kernel_memory += policy_inst_memory(hi);
	}
	return 0;
}
