// SPDX-License-Identifier: Apache-2.0
#include "k8s/k8s.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/loop_call.h"
#include "k8s/kube_config.h"
#include "k8s/kube_http.h"
#include "k8s/kube_watch.h"
#include "k8s/scope.h"
#include "k8s/tp_yaml.h"
#include "metrics/exposition.h"
#include "policy/policy.h"
#include "sensors/generic_policy.h"
#include "util/log.h"

#define K8S_POLICIES_MAX 1024	/* custom resources of one kind tracked; more are refused */

enum { W_PODS, W_TP, W_TPN, W__N };

static const char *const w_resource[W__N] = { "pods", "tracingpolicies", "tracingpoliciesnamespaced" };
static const char *const w_path[W__N] = { "/api/v1/pods", "/apis/cilium.io/v1alpha1/tracingpolicies",
					  "/apis/cilium.io/v1alpha1/tracingpoliciesnamespaced" };
static const char *const w_kind[W__N] = { "Pod", "TracingPolicy", "TracingPolicyNamespaced" };

/* A custom resource as the watch thread last applied it. */
struct cr_seen {
	char *ns, *name, *uid;
	long long generation;
	bool listed;		/* in the list being applied */
};

struct k8s;

struct watcher {
	struct k8s *k;
	int which;
	struct kube_watch w;
	struct kube_http *h;
	pthread_t thread;
	bool started;
	/* custom resources (the watch thread's) */
	struct cr_seen *seen;
	size_t nseen;
	uint64_t refused_full;
};

/* A refused custom resource the engine does not list (event loop). */
struct cr_refused {
	int which;
	char *ns, *name, *error;
	long long generation;
};

struct k8s {
	struct k8s_opts o;
	struct kube_config cfg;
	char selector[512];
	char user_agent[128];
	struct k8s_pods *pods;		/* event loop */
	struct watcher w[W__N];
	/* event loop */
	struct cr_refused *refused;
	size_t nrefused;
	uint64_t policy_loads, policy_errors, policy_unloads;
};

/* ---- pods ------------------------------------------------------------------------- */

struct pods_call {
	struct k8s *k;
	struct k8s_pod **v;	/* replace: the set; upsert: v[0] */
	size_t n;
	const char *delete_uid;
	bool replace;
};

static int pods_on_loop(void *arg)
{
	struct pods_call *c = arg;

	/* the scope first: the cache takes the references */
	if (c->replace)
		k8s_scope_pods_replace(c->k->o.scope, c->v, c->n);
	else if (c->delete_uid)
		k8s_scope_pod_delete(c->k->o.scope, c->delete_uid);
	else
		k8s_scope_pod_upsert(c->k->o.scope, c->v[0]);
	if (c->replace)
		k8s_pods_replace(c->k->pods, c->v, c->n);
	else if (c->delete_uid)
		k8s_pods_delete(c->k->pods, c->delete_uid);
	else if (k8s_pods_upsert(c->k->pods, c->v[0]) == -ENOSPC)
		log_warn("k8s: pod %s/%s not cached: %d pods are already cached", c->v[0]->ns, c->v[0]->name,
			 K8S_PODS_MAX);
	return 0;
}

static int pods_listed(void *ctx, json_t *const *items, size_t n)
{
	struct watcher *wt = ctx;
	struct k8s_pod **v = calloc(n + 1, sizeof(*v));
	struct pods_call c = { .k = wt->k, .v = v, .replace = true };
	char why[512];
	int err;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		err = k8s_pod_from_json(items[i], &v[c.n], why, sizeof(why));
		if (err == -ENOMEM)
			goto fail;
		if (err) {
			atomic_fetch_add(&wt->w.st.rejected, 1);
			log_warn("k8s: pods: list item %zu refused: %s", i, why);
			continue;
		}
		c.n++;
	}
	err = loop_calls_run(wt->k->o.calls, pods_on_loop, &c);
	if (!err) {
		free(v);
		return 0;
	}
fail:
	for (size_t i = 0; i < c.n; i++)
		k8s_pod_put(v[i]);
	free(v);
	return err;
}

static int pods_event(void *ctx, enum kube_ev type, json_t *obj)
{
	struct watcher *wt = ctx;
	struct k8s_pod *p = NULL;
	struct pods_call c = { .k = wt->k, .v = &p, .n = 1 };
	char why[512];
	int err;

	if (type == KUBE_DELETED) {
		const char *uid = kube_str(json_object_get(obj, "metadata"), "uid");

		if (!uid) {
			log_warn("k8s: pods: a DELETED event without metadata.uid: ignored");
			return -EINVAL;
		}
		c.delete_uid = uid;
		return loop_calls_run(wt->k->o.calls, pods_on_loop, &c);
	}
	err = k8s_pod_from_json(obj, &p, why, sizeof(why));
	if (err) {
		if (err == -EINVAL)
			log_warn("k8s: pods: a pod refused: %s", why);
		return err;
	}
	err = loop_calls_run(wt->k->o.calls, pods_on_loop, &c);
	if (err)
		k8s_pod_put(p);	/* the call never ran */
	return err;
}

static const struct kube_watch_ops pod_ops = { .listed = pods_listed, .event = pods_event, .kind = "Pod" };

/* ---- tracing policies ----------------------------------------------------------------- */

struct tp_call {
	struct k8s *k;
	int which;
	const char *ns, *name;
	long long generation;
	const char *yaml;	/* NULL: delete */
	size_t len;
	bool had;		/* was applied before: unload it first */
	char why[4096];
};

static void refused_drop(struct k8s *k, int which, const char *ns, const char *name)
{
	for (size_t i = 0; i < k->nrefused; i++) {
		struct cr_refused *r = &k->refused[i];

		if (r->which == which && !strcmp(r->name, name) && !strcmp(r->ns ? r->ns : "", ns ? ns : "")) {
			free(r->ns);
			free(r->name);
			free(r->error);
			k->refused[i] = k->refused[--k->nrefused];
			return;
		}
	}
}

static void refused_add(struct k8s *k, struct tp_call *c, const char *error)
{
	struct cr_refused *v = realloc(k->refused, (k->nrefused + 1) * sizeof(*v));

	if (!v)
		return;
	k->refused = v;
	v[k->nrefused] = (struct cr_refused){ .which = c->which, .ns = c->ns ? strdup(c->ns) : NULL,
					      .name = strdup(c->name), .error = strdup(error),
					      .generation = c->generation };
	if (!v[k->nrefused].name || !v[k->nrefused].error) {
		free(v[k->nrefused].ns);
		free(v[k->nrefused].name);
		free(v[k->nrefused].error);
		return;
	}
	k->nrefused++;
}

static int tp_on_loop(void *arg)
{
	struct tp_call *c = arg;
	struct k8s *k = c->k;
	const char *kind = w_kind[c->which];
	char why[1024];
	int err;

	if (c->had) {
		err = policy_engine_delete(k->o.engine, c->name, c->ns, K8S_POLICY_DOMAIN, why, sizeof(why));
		if (!err)
			k->policy_unloads++;
	}
	refused_drop(k, c->which, c->ns, c->name);
	if (!c->yaml) {
		log_info("k8s: %s %s%s%s deleted: unloaded", kind, c->ns ? c->ns : "", c->ns ? "/" : "", c->name);
		return 0;
	}
	err = policy_engine_add_yaml(k->o.engine, c->yaml, c->len, K8S_POLICY_DOMAIN, c->why, sizeof(c->why));
	if (!err) {
		k->policy_loads++;
		log_info("k8s: %s %s%s%s (generation %lld) loaded", kind, c->ns ? c->ns : "", c->ns ? "/" : "",
			 c->name, c->generation);
		return 0;
	}
	k->policy_errors++;
	log_warn("k8s: %s %s%s%s (generation %lld) refused: %s", kind, c->ns ? c->ns : "", c->ns ? "/" : "",
		 c->name, c->generation, c->why);
	/* the engine lists what this kernel cannot run (LOAD_ERROR); the others are listed from here */
	if (err != -EOPNOTSUPP)
		refused_add(k, c, c->why);
	return 0;
}

static struct cr_seen *seen_find(struct watcher *wt, const char *ns, const char *name)
{
	for (size_t i = 0; i < wt->nseen; i++)
		if (!strcmp(wt->seen[i].name, name) && !strcmp(wt->seen[i].ns ? wt->seen[i].ns : "", ns ? ns : ""))
			return &wt->seen[i];
	return NULL;
}

static void seen_free(struct cr_seen *s)
{
	free(s->ns);
	free(s->name);
	free(s->uid);
}

static int tp_unload(struct watcher *wt, struct cr_seen *s)
{
	struct tp_call *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	*c = (struct tp_call){ .k = wt->k, .which = wt->which, .ns = s->ns, .name = s->name,
			       .generation = s->generation, .had = true };
	err = loop_calls_run(wt->k->o.calls, tp_on_loop, c);
	free(c);
	if (!err) {
		seen_free(s);
		*s = wt->seen[--wt->nseen];
	}
	return err;
}

/* A new or changed custom resource: (re)load it, unless only its status or labels changed. */
static int tp_apply(struct watcher *wt, json_t *obj)
{
	json_t *md = json_object_get(obj, "metadata"), *g = json_object_get(md, "generation");
	const char *name = kube_str(md, "name"), *ns = kube_str(md, "namespace"), *uid = kube_str(md, "uid");
	long long gen = json_is_integer(g) ? (long long)json_integer_value(g) : 0;
	struct strbuf y = STRBUF_INIT;
	struct cr_seen *s;
	struct tp_call *c;
	char why[512];
	int err;

	if (!name || !*name || !uid || (wt->which == W_TPN) != (ns && *ns)) {
		log_warn("k8s: %s: an object without metadata.name and uid%s: ignored", w_resource[wt->which],
			 wt->which == W_TPN ? " and namespace" : ", or with a namespace");
		return -EINVAL;
	}
	s = seen_find(wt, ns, name);
	if (s) {
		s->listed = true;
		/* GenerationChanged, as upstream: status, label or annotation changes reload nothing */
		if (!strcmp(s->uid, uid) && s->generation == gen)
			return 0;
	} else if (wt->nseen >= K8S_POLICIES_MAX) {
		wt->refused_full++;
		log_warn("k8s: %s %s%s%s: refused: %d custom resources of this kind are already loaded",
			 w_kind[wt->which], ns ? ns : "", ns && *ns ? "/" : "", name, K8S_POLICIES_MAX);
		return -EINVAL;
	}
	err = k8s_tp_yaml(obj, &y, why, sizeof(why));
	if (err) {
		strbuf_free(&y);
		log_warn("k8s: %s %s%s%s: refused: %s", w_kind[wt->which], ns ? ns : "", ns && *ns ? "/" : "", name,
			 err == -ENOMEM ? "out of memory" : why);
		return err == -ENOMEM ? err : -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		strbuf_free(&y);
		return -ENOMEM;
	}
	*c = (struct tp_call){ .k = wt->k, .which = wt->which, .ns = ns, .name = name, .generation = gen,
			       .yaml = y.buf, .len = y.len, .had = s != NULL };
	if (log_get_level() == LOG_DEBUG)
		log_debug("k8s: %s %s%s%s (generation %lld) as policy YAML:\n%s", w_kind[wt->which], ns ? ns : "",
			  ns && *ns ? "/" : "", name, gen, y.buf);
	err = loop_calls_run(wt->k->o.calls, tp_on_loop, c);
	free(c);
	strbuf_free(&y);
	if (err)
		return err;
	if (!s) {
		struct cr_seen *v = realloc(wt->seen, (wt->nseen + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		wt->seen = v;
		s = &v[wt->nseen++];
		*s = (struct cr_seen){ .ns = ns ? strdup(ns) : NULL, .name = strdup(name) };
	}
	free(s->uid);
	s->uid = strdup(uid);
	s->generation = gen;
	s->listed = true;
	return (!s->name || !s->uid || (ns && !s->ns)) ? -ENOMEM : 0;
}

static int tp_listed(void *ctx, json_t *const *items, size_t n)
{
	struct watcher *wt = ctx;
	int err;

	for (size_t i = 0; i < wt->nseen; i++)
		wt->seen[i].listed = false;
	for (size_t i = 0; i < n; i++) {
		err = tp_apply(wt, items[i]);
		if (err == -EINVAL)
			atomic_fetch_add(&wt->w.st.rejected, 1);
		else if (err)
			return err;
	}
	/* gone while we were not watching */
	for (size_t i = 0; i < wt->nseen;) {
		if (wt->seen[i].listed) {
			i++;
			continue;
		}
		err = tp_unload(wt, &wt->seen[i]);
		if (err)
			return err;
	}
	return 0;
}

static int tp_event(void *ctx, enum kube_ev type, json_t *obj)
{
	struct watcher *wt = ctx;
	json_t *md = json_object_get(obj, "metadata");
	const char *name = kube_str(md, "name"), *ns = kube_str(md, "namespace");
	struct cr_seen *s;

	if (type != KUBE_DELETED)
		return tp_apply(wt, obj);
	if (!name)
		return -EINVAL;
	s = seen_find(wt, ns, name);
	return s ? tp_unload(wt, s) : 0;
}

static const struct kube_watch_ops tp_ops = { .listed = tp_listed, .event = tp_event, .kind = "TracingPolicy" };
static const struct kube_watch_ops tpn_ops = { .listed = tp_listed, .event = tp_event,
					       .kind = "TracingPolicyNamespaced" };

int k8s_policy_refused(struct k8s *k, size_t i, struct k8s_policy_status *st)
{
	if (!k || i >= k->nrefused)
		return -ENOENT;
	st->name = k->refused[i].name;
	st->ns = k->refused[i].ns ? k->refused[i].ns : "";
	st->kind = w_kind[k->refused[i].which];
	st->error = k->refused[i].error;
	st->generation = k->refused[i].generation;
	return 0;
}

/* ---- threads -------------------------------------------------------------------------- */

static void *watch_thread(void *arg)
{
	struct watcher *wt = arg;

	kube_watch_run(&wt->w, wt->h);
	return NULL;
}

struct k8s_pods *k8s_pods(struct k8s *k)
{
	return k ? k->pods : NULL;
}

int k8s_start(struct k8s **ret, const struct k8s_opts *o, char *why, size_t whylen)
{
	struct k8s *k = calloc(1, sizeof(*k));
	struct k8s_pods_opts po = { .annotations = o->annotations, .deleted_max = o->deleted_pod_cache,
				    .container_id = o->container_id, .container_id_ctx = o->container_id_ctx };
	int err;

	*ret = NULL;
	if (!k)
		return -ENOMEM;
	k->o = *o;
	err = o->kubeconfig ? kube_config_load_file(&k->cfg, o->kubeconfig, why, whylen)
			    : kube_config_in_cluster(&k->cfg, o->sa_dir ? o->sa_dir : KUBE_SA_DIR, why, whylen);
	if (err) {
		free(k);
		return err;
	}
	err = kube_http_global_init();
	if (err) {
		snprintf(why, whylen, "libcurl could not start");
		goto fail;
	}
	if (!po.container_id) {
		po.container_id = k8s_procfs_container_id;
		po.container_id_ctx = (void *)(o->procfs ? o->procfs : "/proc");
	}
	k->pods = k8s_pods_new(&po);
	if (!k->pods) {
		err = -ENOMEM;
		goto fail;
	}
	snprintf(k->selector, sizeof(k->selector), "spec.nodeName=%s", o->node_name);
	snprintf(k->user_agent, sizeof(k->user_agent), "tetragon-c/%s", o->version ? o->version : "unknown");
	for (int i = 0; i < W__N; i++) {
		struct watcher *wt = &k->w[i];

		if (i != W_PODS && !o->policies)
			continue;
		wt->k = k;
		wt->which = i;
		wt->w.resource = w_resource[i];
		wt->w.path = w_path[i];
		wt->w.field_selector = i == W_PODS ? k->selector : NULL;
		wt->w.ops = i == W_PODS ? &pod_ops : i == W_TP ? &tp_ops : &tpn_ops;
		wt->w.ctx = wt;
		err = kube_http_new(&wt->h, &k->cfg, k->user_agent, why, whylen);
		if (err)
			goto fail;
	}
	for (int i = 0; i < W__N; i++) {
		if (!k->w[i].h)
			continue;
		err = -pthread_create(&k->w[i].thread, NULL, watch_thread, &k->w[i]);
		if (err) {
			snprintf(why, whylen, "cannot start a thread: %s", strerror(-err));
			goto fail;
		}
		k->w[i].started = true;
	}
	log_info("k8s: watching the API server at %s (%s): pods of node %s%s", k->cfg.server, k->cfg.source,
		 o->node_name, o->policies ? ", TracingPolicy and TracingPolicyNamespaced" : "");
	*ret = k;
	return 0;
fail:
	k8s_stop(k);
	k8s_free(k);
	return err;
}

void k8s_stop(struct k8s *k)
{
	if (!k)
		return;
	for (int i = 0; i < W__N; i++)
		if (k->w[i].h)
			kube_http_stop(k->w[i].h);
	for (int i = 0; i < W__N; i++)
		if (k->w[i].started) {
			pthread_join(k->w[i].thread, NULL);
			k->w[i].started = false;
		}
}

void k8s_free(struct k8s *k)
{
	if (!k)
		return;
	for (int i = 0; i < W__N; i++) {
		kube_http_free(k->w[i].h);
		for (size_t j = 0; j < k->w[i].nseen; j++)
			seen_free(&k->w[i].seen[j]);
		free(k->w[i].seen);
	}
	for (size_t i = 0; i < k->nrefused; i++) {
		free(k->refused[i].ns);
		free(k->refused[i].name);
		free(k->refused[i].error);
	}
	free(k->refused);
	k8s_pods_free(k->pods);
	kube_config_free(&k->cfg);
	free(k);
}

/* ---- metrics ---------------------------------------------------------------------------- */

static uint64_t ld(atomic_uint_fast64_t *v)
{
	return atomic_load(v);
}

void k8s_metrics_render(struct strbuf *sb, struct k8s *k)
{
	static const char *const ev[] = { "ADDED", "MODIFIED", "DELETED" };
	static const char *const errs[KUBE_ERR__N] = { "transport", "http_status", "bad_json", "protocol" };
	struct k8s_pods_stats ps;
	int i;

	if (!k)
		return;
	k8s_scope_metrics_render(sb, k->o.scope);
	k8s_pods_stats(k->pods, &ps);
	/* upstream's names for the pod lookups of events */
	{
		const struct metric_label w = { "watcher", "k8s" };
		const struct metric_label we[2] = { { "error", "failed_to_get_pod" }, { "watcher", "k8s" } };

		metrics_family(sb, "tetragon_watcher_events_total", "The total number of events for a given watcher type.",
			       METRIC_COUNTER);
		metrics_sample_u64(sb, "tetragon_watcher_events_total", &w, 1, ps.hits);
		metrics_family(sb, "tetragon_watcher_errors_total", "The total number of errors for a given watcher type.",
			       METRIC_COUNTER);
		metrics_sample_u64(sb, "tetragon_watcher_errors_total", we, 2, ps.misses);
		metrics_family(sb, "tetragon_watcher_delete_pod_cache_hits",
			       "The total hits for pod information in the deleted pod cache.", METRIC_COUNTER);
		metrics_sample_u64(sb, "tetragon_watcher_delete_pod_cache_hits", NULL, 0, ps.deleted_hits);
		metrics_family(sb, "tetragon_watcher_delete_pod_cache_evictions",
			       "The total evictions from the deleted pod cache.", METRIC_COUNTER);
		metrics_sample_u64(sb, "tetragon_watcher_delete_pod_cache_evictions", NULL, 0, ps.deleted_evictions);
	}
	metrics_family(sb, "tetragon_k8s_pods", "Pods cached: live on this node, or deleted and kept for late events.",
		       METRIC_GAUGE);
	{
		const struct metric_label l1 = { "state", "deleted" }, l2 = { "state", "live" };

		metrics_sample_u64(sb, "tetragon_k8s_pods", &l1, 1, ps.deleted_pods);
		metrics_sample_u64(sb, "tetragon_k8s_pods", &l2, 1, ps.pods);
	}
	metrics_family(sb, "tetragon_k8s_pods_refused_total",
		       "Pods not cached: invalid objects, or the cache was full.", METRIC_COUNTER);
	{
		const struct metric_label l1 = { "reason", "cache_full" }, l2 = { "reason", "invalid" };

		metrics_sample_u64(sb, "tetragon_k8s_pods_refused_total", &l1, 1, ps.refused_full);
		metrics_sample_u64(sb, "tetragon_k8s_pods_refused_total", &l2, 1, ld(&k->w[W_PODS].w.st.rejected));
	}
#define PER_RESOURCE(name, help, type, expr)                                                        \
	do {                                                                                          \
		metrics_family(sb, name, help, type);                                                 \
		for (i = 0; i < W__N; i++) {                                                          \
			const struct metric_label l = { "resource", w_resource[i] };                  \
			if (!k->w[i].h)                                                               \
				continue;                                                             \
			metrics_sample_u64(sb, name, &l, 1, (expr));                                  \
		}                                                                                     \
	} while (0)
	PER_RESOURCE("tetragon_k8s_watch_synced", "1 once the resource was listed from the API server.",
		     METRIC_GAUGE, atomic_load(&k->w[i].w.st.synced) ? 1 : 0);
	PER_RESOURCE("tetragon_k8s_lists_total", "Complete lists of a resource from the API server.", METRIC_COUNTER,
		     ld(&k->w[i].w.st.lists));
	PER_RESOURCE("tetragon_k8s_watch_restarts_total", "Watches of a resource started again after one ended.",
		     METRIC_COUNTER, ld(&k->w[i].w.st.restarts));
	PER_RESOURCE("tetragon_k8s_watch_gone_total",
		     "Watches whose resourceVersion was too old (410 Gone): the resource was listed again.",
		     METRIC_COUNTER, ld(&k->w[i].w.st.gone));
	PER_RESOURCE("tetragon_k8s_watch_bookmarks_total", "Bookmark events received.", METRIC_COUNTER,
		     ld(&k->w[i].w.st.bookmarks));
	metrics_family(sb, "tetragon_k8s_watch_events_total", "Watch events received, by type.", METRIC_COUNTER);
	for (i = 0; i < W__N; i++)
		for (int t = 0; k->w[i].h && t < KUBE_EV__N; t++) {
			const struct metric_label l[2] = { { "resource", w_resource[i] }, { "type", ev[t] } };

			metrics_sample_u64(sb, "tetragon_k8s_watch_events_total", l, 2, ld(&k->w[i].w.st.events[t]));
		}
	metrics_family(sb, "tetragon_k8s_errors_total",
		       "Failed requests and connections to the API server, and responses it would not send.",
		       METRIC_COUNTER);
	for (i = 0; i < W__N; i++)
		for (int e = 0; k->w[i].h && e < KUBE_ERR__N; e++) {
			const struct metric_label l[2] = { { "error", errs[e] }, { "resource", w_resource[i] } };

			metrics_sample_u64(sb, "tetragon_k8s_errors_total", l, 2, ld(&k->w[i].w.st.errors[e]));
		}
	metrics_family(sb, "tetragon_k8s_objects_refused_total",
		       "Objects from the API server refused: larger than the agent reads, or invalid.", METRIC_COUNTER);
	for (i = 0; i < W__N; i++) {
		const struct metric_label l1[2] = { { "reason", "invalid" }, { "resource", w_resource[i] } };
		const struct metric_label l2[2] = { { "reason", "too_large" }, { "resource", w_resource[i] } };

		if (!k->w[i].h)
			continue;
		metrics_sample_u64(sb, "tetragon_k8s_objects_refused_total", l1, 2, ld(&k->w[i].w.st.rejected));
		metrics_sample_u64(sb, "tetragon_k8s_objects_refused_total", l2, 2, ld(&k->w[i].w.st.too_large));
	}
	if (k->o.policies) {
		const struct metric_label l[3] = { { "result", "loaded" }, { "result", "refused" },
						   { "result", "unloaded" } };

		metrics_family(sb, "tetragon_k8s_policy_changes_total",
			       "TracingPolicy custom resources applied to the policy engine, by result.", METRIC_COUNTER);
		metrics_sample_u64(sb, "tetragon_k8s_policy_changes_total", &l[0], 1, k->policy_loads);
		metrics_sample_u64(sb, "tetragon_k8s_policy_changes_total", &l[1], 1, k->policy_errors);
		metrics_sample_u64(sb, "tetragon_k8s_policy_changes_total", &l[2], 1, k->policy_unloads);
	}
}
