// SPDX-License-Identifier: Apache-2.0
#include "sensors/generic_policy.h"
#include "sensors/policy_internal.h"
#include "sensors/stack_syms.h"
#include "sensors/agent_actions.h"
#include "sensors/policy_chunks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "policy/policy.h"
#include "policy/policy_limits.h"
#include "policy/yaml_dom.h"
#include "sensors/policy_backend.h"
#include "util/escape.h"
#include "util/log.h"
#include "util/safe_path.h"
#include "util/strbuf.h"

static const char ENOMEM_REASON[] = "out of memory";
/* "namespace/name" */
#define TP_QNAME_MAX (TP_MAX_NAMESPACE_LEN + 1 + TP_MAX_NAME_LEN + 1)

/* Policies are keyed by (namespace, name), as upstream: NULL and "" are the cluster-wide namespace. */
static struct loaded_policy *find_policy(struct policy_engine *e, const char *ns, const char *name)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct tp_policy *p = e->v[i].p;

		if (!strcmp(p->name, name) && !strcmp(p->namespace ? p->namespace : "", ns ? ns : ""))
			return &e->v[i];
	}
	return NULL;
}

/* How messages name p: "ns/name" for a namespaced policy, "name" otherwise. */
static const char *qname(const struct tp_policy *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", p->namespace ? p->namespace : "", p->namespace ? "/" : "", p->name);
	return buf;
}

static void lp_free(struct policy_engine *e, struct loaded_policy *lp)
{
	policy_detach_policy(e, lp->p);
	tp_policy_free(lp->p);
	free(lp->file);
	free(lp->domain);
	free(lp->error);
	free(lp->sel_actions);
}

static size_t nselectors(const struct tp_policy *p)
{
	size_t n = 0;

	for (size_t k = 0; k < p->nhooks; k++)
		n += p->hooks[k].nselectors;
	return n;
}

/* Does p mark sockets (TrackSock: a returnArgAction or a selector's action)? */
static bool tracks_socks(const struct tp_policy *p)
{
	for (size_t k = 0; p && k < p->nhooks; k++) {
		const struct tp_hook *h = &p->hooks[k];

		if (h->has_return_arg_action && h->return_arg_action == TP_ACTION_TRACKSOCK)
			return true;
		for (size_t s = 0; s < h->nselectors; s++)
			for (size_t a = 0; a < h->selectors[s].nactions; a++)
				if (h->selectors[s].actions[a].type == TP_ACTION_TRACKSOCK)
					return true;
	}
	return false;
}

/*
 * The shared sock -> owner map outlives the policies that filled it: once
 * none that tracks sockets is left, its entries go (upstream's map is the
 * policy's own). Else a later sock at a freed one's address would be
 * reported as the old owner's, a process long gone: an event without its
 * process (tcp-accept.yaml never untracks its AF_INET socks).
 */
static void socktrack_flush(struct policy_engine *e)
{
	uint64_t key, next;
	size_t n = 0;

	if (e->socktrack_fd < 0)
		return;
	/* a disabled one (no programs attached) tracks again from scratch once enabled */
	for (size_t j = 0; j < e->n; j++)
		if (e->v[j].state == POLICY_STATE_ENABLED && tracks_socks(e->v[j].p))
			return;
	while (!bpf_map_get_next_key(e->socktrack_fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(e->socktrack_fd, &key))
			break;
		n++;
	}
	if (n)
		log_debug("socket tracking: %zu socks of the deleted policies forgotten", n);
}

/* Remove e->v[i], keeping the others' order (the list order is the load order). */
static void remove_policy(struct policy_engine *e, size_t i)
{
	bool tracked = tracks_socks(e->v[i].p);

	lp_free(e, &e->v[i]);
	memmove(&e->v[i], &e->v[i + 1], (e->n - i - 1) * sizeof(e->v[0]));
	e->n--;
	e->acct_hi = NULL;
	e->acct_lp = NULL;
	if (tracked)
		socktrack_flush(e);
}

static void set_error(struct loaded_policy *lp, int state, const char *fmt, const char *why)
{
	char *err = NULL;

	char q[TP_QNAME_MAX];

	lp->state = state;
	if (asprintf(&err, fmt, qname(lp->p, q, sizeof(q)), why) < 0)
		err = NULL;
	free(lp->error);
	lp->error = err;
}

/*
 * Check, attach and keep policy i of set (taken from it). NULL when
 * running; else the reason, and the policy is kept in LOAD_ERROR unless the
 * reason is a name already loaded or ENOMEM_REASON.
 */
static const char *accept_policy(struct policy_engine *e, struct tp_policy_set *set, size_t i, const char *file,
				 const char *domain, bool disabled, char *why, size_t len)
{
	struct tp_policy *p = set->policies[i];
	struct loaded_policy *v, *old = find_policy(e, p->namespace, p->name);
	const char *bad;
	char q[TP_QNAME_MAX];

	if (old && old->state != POLICY_STATE_LOAD_ERROR) {
		snprintf(why, len, "a tracing policy named %s is already loaded", qname(p, q, sizeof(q)));
		return why;
	}
	/* upstream: a policy that failed to load holds no BPF state and may be replaced */
	if (old)
		remove_policy(e, (size_t)(old - e->v));
	v = realloc(e->v, (e->n + 1) * sizeof(*v));
	if (!v)
		return ENOMEM_REASON;
	e->v = v;
	e->acct_lp = NULL;
	bad = policy_unsupported(p, file, why, len);
	if (!bad)
		bad = policy_scope_unsupported(e, p, file, why, len);
	for (size_t h = 0; h < p->nhooks && !bad; h++)
		bad = policy_check_hook(e, p, &p->hooks[h], why, len);
	/* a restored disabled policy is checked, never attached */
	if (!bad && !disabled)
		bad = policy_attach_policy(e, p, why, len);
	if (bad == ENOMEM_REASON)
		return bad;
	v = &e->v[e->n];
	memset(v, 0, sizeof(*v));
	v->file = strdup(file);
	v->domain = strdup(domain);
	if (nselectors(p))
		v->sel_actions = calloc(nselectors(p), sizeof(*v->sel_actions));
	if (!v->file || !v->domain || (nselectors(p) && !v->sel_actions)) {
		policy_detach_policy(e, p);
		free(v->file);
		free(v->domain);
		free(v->sel_actions);
		return ENOMEM_REASON;
	}
	v->p = tp_policy_set_take(set, i);
	v->id = ++e->next_policy_id;
	v->state = disabled ? POLICY_STATE_DISABLED : POLICY_STATE_ENABLED;
	if (bad)
		set_error(v, POLICY_STATE_LOAD_ERROR, "policy %s refused: %s", bad);
	e->n++;
	return bad;
}

/* "; kprobes[0] fd_install: kprobe.multi on fd_install" per hook of policy i: how each runs here. */
static const char *hooks_summary(struct policy_engine *e, size_t i, char *buf, size_t len)
{
	struct policy_hook_status hs;
	size_t l = 0;

	buf[0] = 0;
	for (size_t k = 0; l + 1 < len && !policy_engine_hook(e, i, k, &hs); k++) {
		int n = snprintf(buf + l, len - l, "; %s[%u] %s: %s", hs.section, hs.idx, hs.description, hs.attached);

		if (n < 0)
			break;
		l += (size_t)n;
	}
	if (l + 1 < len) {
		struct strbuf sb = STRBUF_INIT;

		policy_enforcer_describe(e, e->v[i].p, &sb);
		if (sb.len && !sb.oom)
			snprintf(buf + l, len - l, "; %s", sb.buf);
		strbuf_free(&sb);
	}
	return buf;
}

/*
 * Reads a policy file the agent is to trust (a Sigkill policy kills
 * processes): refused when another user owns it, could write it, or
 * controls a directory or symlink on the way to it (src/util/safe_path.h).
 * @dirfd >= 0: @name inside that checked directory (@dir names it).
 */
static int read_policy(int dirfd, const char *dir, const char *name, struct strbuf *sb, char *why,
		       size_t whylen)
{
	struct safe_open_opts so = { .oflags = O_RDONLY, .flags = SAFE_FOLLOW };
	int fd = dirfd >= 0 ? safe_openat(dirfd, dir, name, &so, why, whylen) : safe_open(name, &so, why, whylen);
	char chunk[65536];
	int err = 0;

	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			snprintf(why, whylen, "%s%s%s: %s", dirfd >= 0 ? dir : "", dirfd >= 0 ? "/" : "", name,
				 strerror(errno));
			break;
		}
		if (!r)
			break;
		if (sb->len + (size_t)r > YDOM_MAX_INPUT) {
			err = -EFBIG;
			snprintf(why, whylen, "%s%s%s: file too large (limit %u bytes)", dirfd >= 0 ? dir : "",
				 dirfd >= 0 ? "/" : "", name, YDOM_MAX_INPUT);
			break;
		}
		strbuf_add(sb, chunk, (size_t)r);
		if (sb->oom) {
			err = -ENOMEM;
			break;
		}
	}
	close(fd);
	return err;
}

/* @path names the file in messages and the policy list; @dirfd/@dir/@name
 * as for read_policy(). */
static int add_file(struct policy_engine *e, int dirfd, const char *dir, const char *name, const char *path)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	struct strbuf sb = STRBUF_INIT;
	char why[SAFE_WHY_MAX], sum[1024], q[TP_QNAME_MAX];
	int err;

	err = read_policy(dirfd, dir, name, &sb, why, sizeof(why));
	if (err == -ENOMEM) {
		strbuf_free(&sb);
		return err;
	}
	if (err) {
		log_error("tracing policy refused: %s", why);
		strbuf_free(&sb);
		e->refused++;
		return 0;
	}
	err = tp_parse(path, sb.buf ? sb.buf : "", sb.len, &set, &d);
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
		const char *bad = accept_policy(e, set, i, path, POLICY_DOMAIN_STATIC, false, why, sizeof(why));

		if (bad == ENOMEM_REASON) {
			tp_policy_set_free(set);
			return -ENOMEM;
		}
		if (bad) {
			log_error("tracing policy %s (%s) refused: %s", qname(p, q, sizeof(q)), path, bad);
			e->refused++;
			continue;
		}
		log_info("tracing policy %s (%s) accepted: %zu hook(s)%s", qname(p, q, sizeof(q)), path, p->nhooks,
			 hooks_summary(e, e->n - 1, sum, sizeof(sum)));
	}
	tp_policy_set_free(set);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(struct policy_engine *e, const char *dir)
{
	char why[SAFE_WHY_MAX];
	int dfd = safe_dir_open(dir, 0, why, sizeof(why)), fd;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int err = 0;
	DIR *d;

	if (dfd == -ENOMEM)
		return dfd;
	if (dfd < 0) {
		log_error("--tracing-policy-dir refused: %s; no policy loaded from it", why);
		return 0;
	}
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		log_error("--tracing-policy-dir %s: %s; no policy loaded from it", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		close(dfd);
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
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			err = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *path = NULL;

		/* opened in the checked directory, not through its path again */
		if (!err && asprintf(&path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]) < 0) {
			path = NULL;
			err = -ENOMEM;
		}
		if (!err)
			err = add_file(e, dfd, dir, names[i], path);
		free(path);
		free(names[i]);
	}
	free(names);
	close(dfd);
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
	e->missed_fd = o->missed_fd;
	e->pump = o->pump;
	e->pump_ctx = o->pump_ctx;
	e->mbset_fd = o->mbset_fd;
	e->mbset_cfg_fd = o->mbset_cfg_fd;
	e->nscaps_fd = o->nscaps_fd;
	e->tracefs = policy_tracefs(o->tracefs);
	e->tracefs_opt = o->tracefs;
	e->dry_run = o->dry_run;
	e->expose_stack_addresses = o->expose_stack_addresses;
	e->scope_ops = o->scope;
	e->scope_ctx = o->scope_ctx;
	if (o->scope_missing && !(e->scope_missing = strdup(o->scope_missing))) {
		free(e);
		return -ENOMEM;
	}
	/* one binary path cache for every instance (see abi/msg_generic.h) */
	e->bin_cache_fd = o->dry_run ? -1 :
			  bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "gt_bin_cache", sizeof(uint32_t),
					 sizeof(struct gt_bin_cache_val), 16384, NULL);
	if (e->bin_cache_fd < 0)
		e->bin_cache_fd = -1;
	/* one sock -> owner map: a sock tracked by one hook is seen by the others */
	e->socktrack_fd = o->dry_run ? -1 :
			  bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "gt_socktrack", sizeof(uint64_t),
					 sizeof(struct gt_sock_owner), 16384, NULL);
	if (e->socktrack_fd < 0)
		e->socktrack_fd = -1;
	for (size_t i = 0; i < o->nfiles && !err; i++)
		err = add_file(e, -1, NULL, o->files[i], o->files[i]);
	if (!err && o->dir)
		err = add_dir(e, o->dir);
	if (err) {
		policy_engine_close(e);
		return err;
	}
	if (e->n || e->refused)
		log_info("tracing policies: %zu accepted, %zu refused", policy_engine_accepted(e), e->refused);
	*ret = e;
	return 0;
}

size_t policy_engine_accepted(const struct policy_engine *e)
{
	return policy_engine_count(e, POLICY_STATE_ENABLED) + policy_engine_count(e, POLICY_STATE_DISABLED);
}

size_t policy_engine_count(const struct policy_engine *e, enum policy_state s)
{
	size_t n = 0;

	for (size_t i = 0; e && i < e->n; i++)
		n += e->v[i].state == (int)s;
	return n;
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
	st->ns = e->inst[i]->p->namespace ? e->inst[i]->p->namespace : "";
	st->subsys = e->inst[i]->subsys;
	st->event = e->inst[i]->event;
	st->matched = stat_sum(e->inst[i], GT_STAT_MATCHED);
	st->filtered = stat_sum(e->inst[i], GT_STAT_FILTERED);
	st->scope_filtered = e->inst[i]->scope.flags ? stat_sum(e->inst[i], GT_STAT_SCOPE_FILTERED) : 0;
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
			log_info("policy %s%s%s hook %s/%s: matched=%llu filtered=%llu lost=%llu rate_limited=%llu",
				 st.ns, *st.ns ? "/" : "", st.policy, st.subsys, st.event,
				 (unsigned long long)st.matched, (unsigned long long)st.filtered,
				 (unsigned long long)st.lost, (unsigned long long)st.rate_limited);
		policy_inst_free(e->inst[i]);
	}
	free(e->inst);
	e->ninst = 0;
	for (size_t i = 0; i < e->n; i++)
		lp_free(e, &e->v[i]);
	free(e->v);
	if (e->stale_records)
		log_info("policy engine: %llu queued record(s) of deleted or disabled policies dropped",
			 (unsigned long long)e->stale_records);
	if (e->bin_cache_fd >= 0)
		close(e->bin_cache_fd);
	if (e->socktrack_fd >= 0)
		close(e->socktrack_fd);
	policy_ftrace_free(&e->ftrace);
	agent_actions_free(e->actions);
	if (e->chunks) {
		struct policy_data_stats ds;

		policy_chunks_stats(e->chunks, &ds);
		log_info("maxData: %llu chunk(s) received, %llu argument(s) joined whole, %llu short of chunks, "
			 "%llu malformed chunk(s)", (unsigned long long)ds.received, (unsigned long long)ds.matched,
			 (unsigned long long)ds.not_matched, (unsigned long long)ds.bad);
		policy_chunks_free(e->chunks);
	}
	if (e->stacks) {
		struct stack_syms_stats st;

		stack_syms_get_stats(e->stacks, &st);
		log_info("stack traces: %llu kernel address(es) without a symbol, %llu user address(es) in no "
			 "file mapping, %llu without a function symbol; %llu ELF symbol table(s) read, %llu "
			 "unreadable", (unsigned long long)st.kernel_unknown, (unsigned long long)st.user_unmapped,
			 (unsigned long long)st.user_no_symbol, (unsigned long long)st.elf_loads,
			 (unsigned long long)st.elf_errors);
		stack_syms_free(e->stacks);
	}
	free(e->scope_missing);
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

/* Bytes of the instance's own maps (the shared ring buffer, drop counters, execve_map, exec_nscaps are not its). */
static uint64_t policy_inst_memory(const struct hook_inst *hi)
{
	const struct bpf_map *m;
	uint64_t sum = 0;

	if (!hi->obj)
		return 0;
	bpf_object__for_each_map(m, hi->obj) {
		const char *n = bpf_map__name(m);

		if (!strcmp(n, "policy_events") || !strcmp(n, "missed_events") || !strcmp(n, "execve_map") ||
		    !strcmp(n, "exec_nscaps"))
			continue;
		sum += (uint64_t)bpf_map__max_entries(m) * (bpf_map__key_size(m) + bpf_map__value_size(m));
	}
	return sum;
}

/* A NULL or "" namespace is cluster-wide; a NULL or "" domain matches any. */
static struct loaded_policy *lookup(struct policy_engine *e, const char *name, const char *ns, const char *domain,
				    char *why, size_t whylen)
{
	struct loaded_policy *lp = e ? find_policy(e, ns, name ? name : "") : NULL;

	if (lp && domain && *domain && strcmp(lp->domain, domain))
		lp = NULL;
	if (!lp && (!name || !*name)) {
		snprintf(why, whylen, "the request names no tracing policy (empty name)");
		return NULL;
	}
	if (!lp) {
		snprintf(why, whylen, "tracing policy %s%s%s%s%s does not exist", domain && *domain ? domain : "",
			 domain && *domain ? ":" : "", ns && *ns ? ns : "", ns && *ns ? "/" : "", name ? name : "");
		return NULL;
	}
	return lp;
}

int policy_engine_add_yaml(struct policy_engine *e, const char *yaml, size_t len, const char *domain, char *why,
			   size_t whylen)
{
	return policy_engine_add_yaml_state(e, yaml, len, domain, false, why, whylen);
}

int policy_engine_add_yaml_state(struct policy_engine *e, const char *yaml, size_t len, const char *domain,
				 bool disabled, char *why, size_t whylen)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	struct strbuf sb = STRBUF_INIT;
	const char *bad = NULL;
	uint64_t *ids;
	size_t added = 0;
	char sum[1024];
	int err;

	if (!domain || !*domain)
		domain = POLICY_DOMAIN_GRPC;
	/* listed, logged and counted later: a client's text, kept to one printable line */
	if (strlen(domain) > POLICY_DOMAIN_MAX || !esc_is_clean(domain, strlen(domain))) {
		snprintf(why, whylen, "domain: want at most %d characters without control characters",
			 POLICY_DOMAIN_MAX);
		return -EINVAL;
	}
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
	for (size_t i = 0; i < set->n; i++) {
		const struct tp_policy *p = set->policies[i];
		const struct loaded_policy *old = find_policy(e, p->namespace, p->name);
		char q[TP_QNAME_MAX];

		if (old && old->state != POLICY_STATE_LOAD_ERROR) {
			snprintf(why, whylen, "failed to add tracing policy %s: a tracing policy of that name is "
				 "already loaded (domain %s)", qname(old->p, q, sizeof(q)), old->domain);
			tp_policy_set_free(set);
			return -EEXIST;
		}
	}
	ids = calloc(set->n, sizeof(*ids));
	if (!ids) {
		tp_policy_set_free(set);
		return -ENOMEM;
	}
	for (size_t i = 0; i < set->n && !bad; i++) {
		char name[TP_QNAME_MAX];

		qname(set->policies[i], name, sizeof(name));
		bad = accept_policy(e, set, i, "", domain, disabled, why, whylen);
		if (!bad && disabled) {
			log_info("tracing policy %s added, disabled", name);
			ids[added++] = e->v[e->n - 1].id;
		} else if (!bad) {
			log_info("tracing policy %s added over the API%s", name,
				 hooks_summary(e, e->n - 1, sum, sizeof(sum)));
			ids[added++] = e->v[e->n - 1].id;
		} else if (bad != ENOMEM_REASON) {
			log_warn("tracing policy %s added over the API refused: %s", name, bad);
		}
	}
	tp_policy_set_free(set);
	/*
	 * All or nothing: the running documents of a multi-document YAML
	 * are removed again; a refused one stays listed in LOAD_ERROR, as
	 * upstream keeps it.
	 */
	for (size_t k = 0; bad && k < added; k++)
		for (size_t i = 0; i < e->n; i++)
			if (e->v[i].id == ids[k]) {
				remove_policy(e, i);
				break;
			}
	free(ids);
	if (bad == ENOMEM_REASON) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	if (bad) {
		if (bad != why)
			snprintf(why, whylen, "%s", bad);
		return strstr(why, "is already loaded") ? -EEXIST : -EOPNOTSUPP;
	}
	return 0;
}

int policy_engine_delete(struct policy_engine *e, const char *name, const char *ns, const char *domain, char *why,
			 size_t whylen)
{
	struct loaded_policy *lp = lookup(e, name, ns, domain, why, whylen);
	char q[TP_QNAME_MAX];

	if (!lp)
		return -ENOENT;
	qname(lp->p, q, sizeof(q));
	remove_policy(e, (size_t)(lp - e->v));
	log_info("tracing policy %s deleted", q);
	return 0;
}

/* Attach lp again; on failure it is left in LOAD_ERROR with why. */
static int reattach(struct policy_engine *e, struct loaded_policy *lp, const char *what, char *why, size_t whylen)
{
	char reason[1024];
	const char *bad = policy_attach_policy(e, lp->p, reason, sizeof(reason));
	char q[TP_QNAME_MAX];

	if (bad) {
		snprintf(why, whylen, "failed to %s tracing policy %s: %s", what, qname(lp->p, q, sizeof(q)), bad);
		set_error(lp, POLICY_STATE_LOAD_ERROR, "failed to enable tracing policy %s: %s", bad);
		log_warn("%s", why);
		return -EIO;
	}
	lp->state = POLICY_STATE_ENABLED;
	free(lp->error);
	lp->error = NULL;
	/* new instances, new kernel counters: the action counters start over with them, as upstream's */
	memset(&lp->actions, 0, sizeof(lp->actions));
	if (lp->sel_actions)
		memset(lp->sel_actions, 0, nselectors(lp->p) * sizeof(*lp->sel_actions));
	return 0;
}

int policy_engine_configure(struct policy_engine *e, const char *name, const char *ns, const char *domain,
			    int enable, int monitor, char *why, size_t whylen)
{
	struct loaded_policy *lp = lookup(e, name, ns, domain, why, whylen);
	enum tp_policy_mode old, want;
	char q[TP_QNAME_MAX];
	int err;

	if (!lp)
		return -ENOENT;
	qname(lp->p, q, sizeof(q));
	e->acct_hi = NULL;
	e->acct_lp = NULL;
	/* upstream refuses to enable what is not disabled and to disable what is not enabled */
	if (enable == 1 && lp->state != POLICY_STATE_DISABLED) {
		snprintf(why, whylen, "tracing policy %s is not disabled", q);
		return -EALREADY;
	}
	if (enable == 0 && lp->state != POLICY_STATE_ENABLED) {
		snprintf(why, whylen, "tracing policy %s is not enabled", q);
		return -EALREADY;
	}
	old = lp->p->opts.policy_mode;
	want = monitor < 0 ? old : monitor ? TP_MODE_MONITOR : TP_MODE_ENFORCE;
	lp->p->opts.policy_mode = want;
	if (enable == 0) {
		policy_detach_policy(e, lp->p);
		lp->state = POLICY_STATE_DISABLED;
		log_info("tracing policy %s disabled", q);
		return 0;
	}
	if (enable == 1) {
		err = reattach(e, lp, "enable", why, whylen);
		if (!err)
			log_info("tracing policy %s enabled (%s mode)", q,
				 want == TP_MODE_MONITOR ? "monitor" : "enforce");
		return err;
	}
	/* a mode change alone: compiled into the selectors, so a running policy is attached again */
	if (want == old || lp->state != POLICY_STATE_ENABLED)
		return 0;
	policy_detach_policy(e, lp->p);
	err = reattach(e, lp, "change the mode of", why, whylen);
	if (err) {
		/* back to the mode that ran */
		char again[256];

		lp->p->opts.policy_mode = old;
		if (!reattach(e, lp, "restore", again, sizeof(again)))
			return -EIO;
		return err;
	}
	log_info("tracing policy %s now in %s mode", q, want == TP_MODE_MONITOR ? "monitor" : "enforce");
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
	st->domain = lp->domain;
	st->error = lp->error;
	st->state = (enum policy_state)lp->state;
	st->enabled = lp->state == POLICY_STATE_ENABLED;
	st->monitor = lp->p->opts.policy_mode == TP_MODE_MONITOR;
	st->hook_kind = lp->p->nhooks ? lp->p->hooks[0].kind : TP_HOOK_NONE;
	st->sensor = policy_section_sensor((enum tp_hook_kind)st->hook_kind);
	st->actions = lp->actions;
	for (size_t k = 0; k < e->ninst; k++) {
		struct hook_inst *hi = e->inst[k];

		if (hi->p != lp->p)
			continue;
		st->ninst++;
		st->matched += stat_sum(hi, GT_STAT_MATCHED);
		st->filtered += stat_sum(hi, GT_STAT_FILTERED);
		st->scope_filtered += stat_sum(hi, GT_STAT_SCOPE_FILTERED);
		st->lost += stat_sum(hi, GT_STAT_LOST);
		st->kernel_memory += policy_inst_memory(hi);
	}
	return 0;
}

int policy_engine_hook(struct policy_engine *e, size_t i, size_t k, struct policy_hook_status *hs)
{
	const struct policy_backend *be;
	const struct tp_policy *p;
	const struct tp_hook *h;
	struct strbuf sb = STRBUF_INIT;
	size_t ninst = 0, nskipped = 0, nmissing = 0, nfuncs = 0;

	if (!e || i >= e->n || k >= e->v[i].p->nhooks)
		return -ENOENT;
	p = e->v[i].p;
	h = &p->hooks[k];
	memset(hs, 0, sizeof(*hs));
	hs->section = tp_hook_kind_name(h->kind);
	for (size_t j = 0; j < k; j++)
		hs->idx += p->hooks[j].kind == h->kind;
	if (h->kind == TP_HOOK_TRACEPOINT)
		hs->description = h->event ? h->event : "";
	else if (h->kind == TP_HOOK_UPROBE || h->kind == TP_HOOK_USDT)
		hs->description = h->path ? h->path : "";
	else if (h->kind == TP_HOOK_LSM)
		hs->description = h->hook ? h->hook : "";
	else
		hs->description = h->call ? h->call : "";
	/* the back-end that serves it: the instances', or the one this kernel would choose */
	be = policy_backend_of(e, p, h);
	for (size_t j = 0; j < e->ninst; j++) {
		const struct hook_inst *hi = e->inst[j];

		if (hi->h != h)
			continue;
		be = hi->be;
		ninst++;
		nskipped += hi->skipped;
		nmissing += hi->nmissing;
		nfuncs += hi->nfuncs;
		if (hi->skipped || sb.len > 512)
			continue;
		strbuf_addf(&sb, "%s", sb.len ? ", " : " on ");
		if (be->describe)
			be->describe(hi, &sb);
		else
			strbuf_addf(&sb, "%s/%s", hi->subsys, hi->event);
		/* how Override works here (policy_override.c) */
		policy_ovr_describe(hi, &sb);
	}
	hs->loaded = ninst > nskipped;
	hs->backend = be ? be->name : "none";
	/* functions found: a kprobe instance's, or fentry instances (one per function) not skipped */
	hs->call_not_found = nmissing && !nfuncs && ninst == nskipped;
	hs->partial_call_not_found = nmissing && (nfuncs || ninst > nskipped);
	/* a running policy with a uprobe whose instances were all skipped: its digests did not match (ignored) */
	hs->digest_rejected = !hs->loaded && ninst && h->kind == TP_HOOK_UPROBE;
	snprintf(e->hook_buf, sizeof(e->hook_buf), "%s%s", hs->backend, sb.buf && !sb.oom ? sb.buf : "");
	hs->attached = e->hook_buf;
	strbuf_free(&sb);
	return 0;
}

static bool signals(const struct tp_action *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].type == TP_ACTION_SIGKILL || a[i].type == TP_ACTION_SIGNAL)
			return true;
	return false;
}

static bool overrides(const struct tp_action *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].type == TP_ACTION_OVERRIDE)
			return true;
	return false;
}

/*
 * One record's actions into c (sel: the selector that matched, NULL for
 * none): what the selector asks for, applied or (monitor mode) not.
 */
static void count_actions(struct policy_actions *c, const struct msg_generic *m, const struct tp_selector *sel,
			  bool monitor)
{
	bool sig = sel && signals(sel->actions, sel->nactions), ovr = sel && overrides(sel->actions, sel->nactions);
	bool rsig = sel && (m->flags & GT_MSG_RETURN) && signals(sel->return_actions, sel->nreturn_actions);

	c->post += !(m->flags & GT_MSG_NOPOST);
	*(monitor ? &c->monitor_signal : &c->signal) += sig + rsig;
	*(monitor ? &c->monitor_override : &c->override) += ovr;
}

void policy_engine_enforcer(struct policy_engine *e, size_t i, char *buf, size_t len)
{
	struct strbuf sb = STRBUF_INIT;

	buf[0] = 0;
	if (!e || i >= e->n)
		return;
	policy_enforcer_describe(e, e->v[i].p, &sb);
	snprintf(buf, len, "%s", sb.len && !sb.oom ? sb.buf : "");
	strbuf_free(&sb);
}

void policy_engine_agent_actions(struct policy_engine *e, struct agent_actions_stats *st)
{
	agent_actions_get_stats(e ? e->actions : NULL, st);
}

void policy_engine_data_stats(const struct policy_engine *e, struct policy_data_stats *st)
{
	policy_chunks_stats(e ? e->chunks : NULL, st);
}

int policy_engine_account(struct policy_engine *e, const void *data, size_t len)
{
	const struct msg_generic *m = data;
	const struct tp_selector *sel = NULL;
	const struct hook_inst *hi;
	struct loaded_policy *lp;
	bool monitor;

	/* maxData chunks: their record is counted */
	if (len >= sizeof(struct msg_common) && ((const struct msg_common *)data)->op == MSG_OP_DATA)
		return 1;
	if (!e || len < sizeof(*m))
		return -ENOENT;
	hi = e->acct_hi && e->acct_hi->id == m->hook_id ? e->acct_hi : policy_engine_find(e, m->hook_id);
	if (!hi) {
		/* ids only grow: a smaller one belonged to an instance torn down since */
		if (m->hook_id < e->next_id) {
			e->stale_records++;
			return 0;
		}
		return -ENOENT;
	}
	lp = hi == e->acct_hi ? e->acct_lp : NULL;
	for (size_t i = 0; !lp && i < e->n; i++)
		if (e->v[i].p == hi->p)
			lp = &e->v[i];
	if (!lp)
		return 1;
	e->acct_hi = hi;
	e->acct_lp = lp;
	monitor = hi->p->opts.policy_mode == TP_MODE_MONITOR;
	if (m->sel < hi->h->nselectors)
		sel = &hi->h->selectors[m->sel];
	count_actions(&lp->actions, m, sel, monitor);
	if (sel && lp->sel_actions) {
		size_t base = 0;

		for (const struct tp_hook *h = hi->p->hooks; h < hi->h; h++)
			base += h->nselectors;
		count_actions(&lp->sel_actions[base + m->sel], m, sel, monitor);
	}
	return 1;
}

int policy_engine_selector_actions(struct policy_engine *e, size_t i, size_t n, struct policy_selector_actions *out)
{
	const struct loaded_policy *lp;
	size_t idx = 0;

	if (!e || i >= e->n || !e->v[i].sel_actions)
		return -ENOENT;
	lp = &e->v[i];
	for (size_t k = 0; k < lp->p->nhooks; k++) {
		const struct tp_hook *h = &lp->p->hooks[k];

		for (size_t j = 0; j < h->nselectors; j++, idx++) {
			const struct policy_actions *c = &lp->sel_actions[idx];

			if (!c->post && !c->signal && !c->monitor_signal && !c->override && !c->monitor_override)
				continue;
			if (n--)
				continue;
			memset(out, 0, sizeof(*out));
			policy_backend_hook_label(h, out->hook, sizeof(out->hook));
			for (size_t x = 0; x < k; x++)
				out->hook_index += lp->p->hooks[x].kind == h->kind;
			out->selector_index = (uint32_t)j;
			out->actions = *c;
			return 0;
		}
	}
	return -ENOENT;
}
