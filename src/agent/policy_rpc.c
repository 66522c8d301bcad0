// SPDX-License-Identifier: Apache-2.0
#include "agent/policy_rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/wrappers.pb-c.h"
#include "agent/policy_store.h"
#include "k8s/k8s.h"
#include "policy/policy.h"
#include "policy/policy_mode_yaml.h"
#include "sensors/generic_policy.h"
#include "util/log.h"

struct call {
	struct policy_rpc *r;
	const void *req;
	struct rpc_status *st;
	struct rpc_blob **resp;
	char why[2048];
};

static int run(struct policy_rpc *r, int (*fn)(void *), struct call *c)
{
	int err = loop_calls_run(r->calls, fn, c);

	if (err == -ECANCELED && c->st->code == RPC_OK)
		rpc_status_set(c->st, RPC_UNAVAILABLE, "the agent is shutting down");
	return err;
}

static size_t engine_count(struct policy_engine *e)
{
	struct policy_status st;
	size_t n = 0;

	while (!policy_engine_status(e, n, &st))
		n++;
	return n;
}

/*
 * --persist-grpc-policies: a record per policy added (first..last of the
 * engine's list), each with its own document of the request's YAML. On
 * failure the records written are removed and -errno returned with why.
 */
static int persist_added(struct policy_rpc *r, const char *yaml, size_t first, size_t last, char *why,
			 size_t whylen)
{
	char **docs = NULL;
	size_t ndocs = 0, done = 0;
	struct policy_status st;
	int err = 0;

	if (last - first > 1) {
		err = policy_yaml_split(yaml, strlen(yaml), &docs, &ndocs, why, whylen);
		if (!err && ndocs != last - first) {
			snprintf(why, whylen, "the YAML's %zu documents do not match its %zu policies", ndocs,
				 last - first);
			err = -EINVAL;
		}
	}
	for (size_t i = first; i < last && !err; i++, done++) {
		if (policy_engine_status(r->engine, i, &st))
			break;
		err = policy_store_put(r->store, st.name, st.ns, st.domain, docs ? docs[i - first] : yaml, true, why,
				       whylen);
	}
	for (size_t i = first; err && i < first + done; i++) {
		char w[256];

		if (!policy_engine_status(r->engine, i, &st))
			policy_store_delete(r->store, st.name, st.ns, st.domain, w, sizeof(w));
	}
	for (size_t k = 0; k < ndocs; k++)
		free(docs[k]);
	free(docs);
	return err;
}

/* Remove policies first..last-1 again (their records could not be written). */
static void unadd(struct policy_rpc *r, size_t first, size_t last)
{
	struct policy_status st;

	for (size_t i = last; i > first; i--) {
		char w[256], *name, *ns, *domain;

		if (policy_engine_status(r->engine, i - 1, &st))
			continue;
		name = strdup(st.name);
		ns = strdup(st.ns ? st.ns : "");
		domain = strdup(st.domain ? st.domain : "");
		if (name && ns && domain)
			policy_engine_delete(r->engine, name, ns, domain, w, sizeof(w));
		free(name);
		free(ns);
		free(domain);
	}
}

static int add_on_loop(void *arg)
{
	struct call *c = arg;
	const Tetragon__AddTracingPolicyRequest *req = c->req;
	size_t before;
	int err;

	if (!req->yaml || !*req->yaml) {
		rpc_status_set(c->st, RPC_INVALID_ARGUMENT, "the request has no policy YAML");
		return -EINVAL;
	}
	before = c->r->store ? engine_count(c->r->engine) : 0;
	err = policy_engine_add_yaml(c->r->engine, req->yaml, strlen(req->yaml), req->domain, c->why, sizeof(c->why));
	if (!err && c->r->store) {
		size_t after = engine_count(c->r->engine);

		err = persist_added(c->r, req->yaml, before, after, c->why, sizeof(c->why));
		if (err) {
			/* as upstream: a policy that cannot be stored is not kept running */
			unadd(c->r, before, after);
			log_error("--persist-grpc-policies: %s", c->why);
			rpc_status_set(c->st, RPC_INTERNAL, "persisting the tracing policy failed: %s", c->why);
			return err;
		}
	}
	switch (err) {
	case 0:
		return 0;
	case -EINVAL:
		rpc_status_set(c->st, RPC_INVALID_ARGUMENT, "invalid tracing policy:\n%s", c->why);
		break;
	case -EEXIST:
		rpc_status_set(c->st, RPC_ALREADY_EXISTS, "%s", c->why);
		break;
	case -EOPNOTSUPP:
		rpc_status_set(c->st, RPC_FAILED_PRECONDITION, "tracing policy refused: %s", c->why);
		break;
	default:
		rpc_status_set(c->st, RPC_INTERNAL, "adding the tracing policy failed: %s", strerror(-err));
	}
	return err;
}

static int tp_add(void *ctx, const Tetragon__AddTracingPolicyRequest *req, struct rpc_status *st)
{
	struct call c = { .r = ctx, .req = req, .st = st };

	return run(ctx, add_on_loop, &c);
}

/* The domain of the engine's policy (name, ns) a request names (its domain "" matches any), malloc'd. */
static int stored_domain(struct policy_rpc *r, const char *name, const char *ns, const char *domain, char **ret)
{
	struct policy_status st;

	for (size_t i = 0; !policy_engine_status(r->engine, i, &st); i++) {
		if (strcmp(st.name, name ? name : "") || strcmp(st.ns ? st.ns : "", ns ? ns : ""))
			continue;
		if (domain && *domain && strcmp(st.domain ? st.domain : "", domain))
			continue;
		*ret = strdup(st.domain ? st.domain : "");
		return *ret ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

static int delete_on_loop(void *arg)
{
	struct call *c = arg;
	const Tetragon__DeleteTracingPolicyRequest *req = c->req;
	char *yaml = NULL, *domain = NULL;
	bool enabled = false;
	int err;

	/* the record goes first: a policy deleted is never restored */
	if (c->r->store && !stored_domain(c->r, req->name, req->namespace_, req->domain, &domain)) {
		const char *y;

		if (!policy_store_get(c->r->store, req->name, req->namespace_, domain, &y, &enabled)) {
			yaml = strdup(y);
			if (!yaml) {
				free(domain);
				rpc_status_set(c->st, RPC_INTERNAL, "out of memory");
				return -ENOMEM;
			}
			err = policy_store_delete(c->r->store, req->name, req->namespace_, domain, c->why,
						  sizeof(c->why));
			if (err) {
				rpc_status_set(c->st, RPC_INTERNAL, "%s", c->why);
				free(yaml);
				free(domain);
				return err;
			}
		}
	}
	err = policy_engine_delete(c->r->engine, req->name, req->namespace_, req->domain, c->why, sizeof(c->why));
	if (err) {
		char w[1024];

		rpc_status_set(c->st, err == -ENOENT ? RPC_NOT_FOUND : RPC_INTERNAL, "%s", c->why);
		if (yaml && policy_store_put(c->r->store, req->name, req->namespace_, domain, yaml, enabled, w,
					     sizeof(w)))
			log_error("--persist-grpc-policies: %s", w);
	}
	free(yaml);
	free(domain);
	return err;
}

static int tp_remove(void *ctx, const Tetragon__DeleteTracingPolicyRequest *req, struct rpc_status *st)
{
	struct call c = { .r = ctx, .req = req, .st = st };

	return run(ctx, delete_on_loop, &c);
}

static int configure_on_loop(void *arg)
{
	struct call *c = arg;
	const Tetragon__ConfigureTracingPolicyRequest *req = c->req;
	int enable = req->_enable_case == TETRAGON__CONFIGURE_TRACING_POLICY_REQUEST___ENABLE_ENABLE ? req->enable : -1;
	int monitor = -1, err;
	char *old_yaml = NULL, *domain = NULL;
	bool was_enabled = false;
	const char *y;

	if (req->_mode_case == TETRAGON__CONFIGURE_TRACING_POLICY_REQUEST___MODE_MODE) {
		if (req->mode == TETRAGON__TRACING_POLICY_MODE__TP_MODE_MONITOR)
			monitor = 1;
		else if (req->mode == TETRAGON__TRACING_POLICY_MODE__TP_MODE_ENFORCE)
			monitor = 0;
		else {
			rpc_status_set(c->st, RPC_INVALID_ARGUMENT, "mode %d: want TP_MODE_ENFORCE or TP_MODE_MONITOR",
				       (int)req->mode);
			return -EINVAL;
		}
	}
	/* the desired state is written first, and put back when the engine refuses */
	if (c->r->store && !stored_domain(c->r, req->name, req->namespace_, req->domain, &domain) &&
	    !policy_store_get(c->r->store, req->name, req->namespace_, domain, &y, &was_enabled)) {
		char *nyaml = NULL;
		size_t nlen;

		old_yaml = strdup(y);
		if (!old_yaml) {
			free(domain);
			rpc_status_set(c->st, RPC_INTERNAL, "out of memory");
			return -ENOMEM;
		}
		err = monitor < 0 ? 0 : policy_yaml_set_mode(old_yaml, strlen(old_yaml), monitor ? "monitor" : "enforce",
							   &nyaml, &nlen, c->why, sizeof(c->why));
		if (!err)
			err = policy_store_put(c->r->store, req->name, req->namespace_, domain, nyaml ? nyaml : old_yaml,
					       enable < 0 ? was_enabled : enable == 1, c->why, sizeof(c->why));
		free(nyaml);
		if (err) {
			rpc_status_set(c->st, RPC_INTERNAL, "persisting the tracing policy's state failed: %s", c->why);
			free(old_yaml);
			free(domain);
			return err;
		}
	}
	err = policy_engine_configure(c->r->engine, req->name, req->namespace_, req->domain, enable, monitor, c->why,
				      sizeof(c->why));
	if (err && old_yaml) {
		char w[1024];

		if (policy_store_put(c->r->store, req->name, req->namespace_, domain, old_yaml, was_enabled, w,
				     sizeof(w)))
			log_error("--persist-grpc-policies: %s", w);
	}
	free(old_yaml);
	free(domain);
	/* -EALREADY (not disabled/enabled), -EIO (cannot attach again): FAILED_PRECONDITION */
	if (err)
		rpc_status_set(c->st, err == -ENOENT ? RPC_NOT_FOUND : RPC_FAILED_PRECONDITION, "%s", c->why);
	return err;
}

static int tp_configure(void *ctx, const Tetragon__ConfigureTracingPolicyRequest *req, struct rpc_status *st)
{
	struct call c = { .r = ctx, .req = req, .st = st };

	return run(ctx, configure_on_loop, &c);
}

static Tetragon__TracingPolicyState state_of(enum policy_state s)
{
	switch (s) {
	case POLICY_STATE_ENABLED: return TETRAGON__TRACING_POLICY_STATE__TP_STATE_ENABLED;
	case POLICY_STATE_DISABLED: return TETRAGON__TRACING_POLICY_STATE__TP_STATE_DISABLED;
	case POLICY_STATE_LOAD_ERROR: return TETRAGON__TRACING_POLICY_STATE__TP_STATE_LOAD_ERROR;
	case POLICY_STATE_ERROR: return TETRAGON__TRACING_POLICY_STATE__TP_STATE_ERROR;
	}
	return TETRAGON__TRACING_POLICY_STATE__TP_STATE_UNKNOWN;
}

/* What one listed policy points to; freed after packing. */
struct tp_entry {
	Tetragon__TracingPolicyStatus s;
	Tetragon__TracingPolicyStats stats;
	Tetragon__TracingPolicyActionCounters counters;
	char *sensor;
	char info[2048];
	Tetragon__HookStatus *hooks;
	Tetragon__HookStatus **phooks;
	/* per selector: the counters and what they point to */
	struct sel_entry {
		Tetragon__TracingPolicySelectorActionCounters s;
		Tetragon__TracingPolicyActionCounters c;
		Google__Protobuf__UInt32Value hook_index, selector_index;
		struct policy_selector_actions a;
	} *sels;
	Tetragon__TracingPolicySelectorActionCounters **psels;
};

static void fill_counters(Tetragon__TracingPolicyActionCounters *c, const struct policy_actions *a)
{
	tetragon__tracing_policy_action_counters__init(c);
	c->post = a->post;
	c->signal = a->signal;
	c->monitor_signal = a->monitor_signal;
	c->override = a->override;
	c->monitor_override = a->monitor_override;
}

static int fill_selectors(struct policy_engine *e, size_t i, struct tp_entry *t)
{
	struct policy_selector_actions a;
	size_t n = 0;

	while (!policy_engine_selector_actions(e, i, n, &a))
		n++;
	if (!n)
		return 0;
	t->sels = calloc(n, sizeof(*t->sels));
	t->psels = calloc(n, sizeof(*t->psels));
	if (!t->sels || !t->psels)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		struct sel_entry *x = &t->sels[k];

		policy_engine_selector_actions(e, i, k, &x->a);
		tetragon__tracing_policy_selector_action_counters__init(&x->s);
		google__protobuf__uint32_value__init(&x->hook_index);
		google__protobuf__uint32_value__init(&x->selector_index);
		x->hook_index.value = x->a.hook_index;
		x->selector_index.value = x->a.selector_index;
		fill_counters(&x->c, &x->a.actions);
		x->s.hook = x->a.hook;
		x->s.hook_index = &x->hook_index;
		x->s.selector_index = &x->selector_index;
		x->s.action_counters = &x->c;
		t->psels[k] = &x->s;
	}
	t->stats.n_selector_action_counters = n;
	t->stats.selector_action_counters = t->psels;
	return 0;
}

static int fill_entry(struct policy_engine *e, size_t i, struct tp_entry *t)
{
	Tetragon__TracingPolicyStatus *s = &t->s;
	struct policy_hook_status hs;
	struct policy_status st;
	size_t nh = 0;

	if (policy_engine_status(e, i, &st))
		return -ENOENT;
	tetragon__tracing_policy_status__init(s);
	s->id = st.id;
	s->name = (char *)st.name;
	s->namespace_ = (char *)(st.ns ? st.ns : "");
	s->domain = (char *)(st.domain ? st.domain : "");
	/* upstream leaves info empty; ours: where it came from and the kernel's counters */
	{
		char scoped[64] = "";

		/* a workload-scoped policy's calls by processes out of its pods (in filtered) */
		if (st.scope_filtered)
			snprintf(scoped, sizeof(scoped), " (%llu out of its workloads)",
				 (unsigned long long)st.scope_filtered);
		snprintf(t->info, sizeof(t->info),
			 "%s%s%zu BPF program instance(s), %llu matched, %llu filtered%s, %llu lost", st.file && *st.file ? st.file : "", st.file && *st.file ? ": " : "", st.ninst,
			 (unsigned long long)st.matched, (unsigned long long)st.filtered, scoped,
			 (unsigned long long)st.lost);
	}
	/* how each hook runs on this kernel: the back-end chosen and what it is attached to */
	for (size_t k = 0; !policy_engine_hook(e, i, k, &hs); k++) {
		size_t l = strlen(t->info);

		if (l + 64 >= sizeof(t->info))
			break;
		snprintf(t->info + l, sizeof(t->info) - l, "; %s[%u] %s: %s", hs.section, hs.idx, hs.description,
			 hs.attached);
	}
	{
		char enf[512];
		size_t l = strlen(t->info);

		policy_engine_enforcer(e, i, enf, sizeof(enf));
		if (enf[0] && l + 3 < sizeof(t->info))
			snprintf(t->info + l, sizeof(t->info) - l, "; %s", enf);
	}
	s->info = t->info;
	t->sensor = (char *)st.sensor;
	s->n_sensors = 1;
	s->sensors = &t->sensor;
	/* deprecated upstream, still filled for older clients */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	s->enabled = st.enabled;
#pragma GCC diagnostic pop
	s->state = state_of(st.state);
	s->error = (char *)(st.error ? st.error : "");
	s->mode = st.monitor ? TETRAGON__TRACING_POLICY_MODE__TP_MODE_MONITOR :
			       TETRAGON__TRACING_POLICY_MODE__TP_MODE_ENFORCE;
	s->kernel_memory_bytes = st.kernel_memory;
	/* as upstream: the counters of a running policy (they start over when it is enabled again) */
	if (st.state == POLICY_STATE_ENABLED) {
		fill_counters(&t->counters, &st.actions);
		tetragon__tracing_policy_stats__init(&t->stats);
		t->stats.action_counters = &t->counters;
		s->_stats_case = TETRAGON__TRACING_POLICY_STATUS___STATS_STATS;
		s->stats = &t->stats;
		if (fill_selectors(e, i, t))
			return -ENOMEM;
	}
	while (!policy_engine_hook(e, i, nh, &hs))
		nh++;
	if (nh) {
		t->hooks = calloc(nh, sizeof(*t->hooks));
		t->phooks = calloc(nh, sizeof(*t->phooks));
		if (!t->hooks || !t->phooks)
			return -ENOMEM;
	}
	for (size_t k = 0; k < nh; k++) {
		Tetragon__HookStatus *h = &t->hooks[k];

		policy_engine_hook(e, i, k, &hs);
		tetragon__hook_status__init(h);
		h->section = (char *)hs.section;
		h->hook_description = (char *)hs.description;
		h->hook_idx = hs.idx;
		h->state = hs.partial_call_not_found ? TETRAGON__HOOK_STATE__STATUS_PARTIAL_CALL_NOT_FOUND :
			   hs.call_not_found ? TETRAGON__HOOK_STATE__STATUS_CALL_NOT_FOUND :
			   hs.loaded ? TETRAGON__HOOK_STATE__STATUS_LOADED :
			   hs.digest_rejected ? TETRAGON__HOOK_STATE__STATUS_DIGEST_REJECTED :
			   TETRAGON__HOOK_STATE__STATUS_UNSPECIFIED;
		t->phooks[k] = h;
	}
	s->n_hook_statuses = nh;
	s->hook_statuses = t->phooks;
	return 0;
}

static int list_on_loop(void *arg)
{
	struct call *c = arg;
	const Tetragon__ListTracingPoliciesRequest *req = c->req;
	Tetragon__ListTracingPoliciesResponse resp = TETRAGON__LIST_TRACING_POLICIES_RESPONSE__INIT;
	Tetragon__TracingPolicyStatus **pv = NULL;
	struct tp_entry *v = NULL;
	struct policy_status st;
	size_t n = 0, k = 0;
	int err = 0;

	struct k8s_policy_status ks;
	size_t nk = 0;

	while (!policy_engine_status(c->r->engine, n, &st))
		n++;
	while (!k8s_policy_refused(c->r->k8s, nk, &ks))
		nk++;
	if (n + nk) {
		v = calloc(n + nk, sizeof(*v));
		pv = calloc(n + nk, sizeof(*pv));
		if (!v || !pv)
			err = -ENOMEM;
	}
	for (size_t i = 0; i < n && !err; i++) {
		/* a domain in the request lists that domain only, as upstream */
		policy_engine_status(c->r->engine, i, &st);
		if (req && req->domain && *req->domain && strcmp(req->domain, st.domain ? st.domain : ""))
			continue;
		err = fill_entry(c->r->engine, i, &v[k]);
		pv[k] = &v[k].s;
		k++;
	}
	/* custom resources refused before reaching the engine (src/k8s), as upstream lists a failed policy */
	for (size_t i = 0; i < nk && !err; i++) {
		Tetragon__TracingPolicyStatus *s = &v[k].s;

		k8s_policy_refused(c->r->k8s, i, &ks);
		if (req && req->domain && *req->domain && strcmp(req->domain, K8S_POLICY_DOMAIN))
			continue;
		tetragon__tracing_policy_status__init(s);
		s->name = (char *)ks.name;
		s->namespace_ = (char *)ks.ns;
		s->domain = K8S_POLICY_DOMAIN;
		snprintf(v[k].info, sizeof(v[k].info), "%s custom resource, generation %lld", ks.kind, ks.generation);
		s->info = v[k].info;
		s->state = TETRAGON__TRACING_POLICY_STATE__TP_STATE_LOAD_ERROR;
		s->error = (char *)ks.error;
		pv[k] = s;
		k++;
	}
	if (!err) {
		resp.n_policies = k;
		resp.policies = pv;
		*c->resp = rpc_blob_pack(&resp.base);
		if (!*c->resp)
			err = -ENOMEM;
	}
	for (size_t i = 0; v && i < n + nk; i++) {
		free(v[i].hooks);
		free(v[i].phooks);
		free(v[i].sels);
		free(v[i].psels);
	}
	free(v);
	free(pv);
	return err;
}

static int tp_list(void *ctx, const Tetragon__ListTracingPoliciesRequest *req, struct rpc_blob **resp,
		   struct rpc_status *st)
{
	struct call c = { .r = ctx, .req = req, .st = st, .resp = resp };

	return run(ctx, list_on_loop, &c);
}

static int sensors_on_loop(void *arg)
{
	struct call *c = arg;
	Tetragon__ListSensorsResponse resp = TETRAGON__LIST_SENSORS_RESPONSE__INIT;
	Tetragon__SensorStatus *v, **pv;
	struct policy_status st;
	size_t n = 0;

	while (!policy_engine_status(c->r->engine, n, &st))
		n++;
	v = calloc(n + 1, sizeof(*v));
	pv = calloc(n + 1, sizeof(*pv));
	if (!v || !pv) {
		free(v);
		free(pv);
		return -ENOMEM;
	}
	/* the process lifecycle sensor, then one per policy, as upstream lists them */
	tetragon__sensor_status__init(&v[0]);
	v[0].name = "__base__";
	v[0].enabled = true;
	v[0].collection = "__base__";
	pv[0] = &v[0];
	for (size_t i = 0; i < n; i++) {
		policy_engine_status(c->r->engine, i, &st);
		tetragon__sensor_status__init(&v[i + 1]);
		v[i + 1].name = (char *)st.sensor;
		v[i + 1].enabled = st.enabled;
		v[i + 1].collection = (char *)st.name;
		pv[i + 1] = &v[i + 1];
	}
	resp.n_sensors = n + 1;
	resp.sensors = pv;
	*c->resp = rpc_blob_pack(&resp.base);
	free(v);
	free(pv);
	return *c->resp ? 0 : -ENOMEM;
}

static int tp_sensors(void *ctx, struct rpc_blob **resp, struct rpc_status *st)
{
	struct call c = { .r = ctx, .st = st, .resp = resp };

	return run(ctx, sensors_on_loop, &c);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The policies' domains, sorted and unique, as upstream lists them. */
static int domains_on_loop(void *arg)
{
	struct call *c = arg;
	Tetragon__ListDomainsResponse resp = TETRAGON__LIST_DOMAINS_RESPONSE__INIT;
	struct policy_status st;
	size_t n = 0, k = 0;
	char **v;

	while (!policy_engine_status(c->r->engine, n, &st))
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		policy_engine_status(c->r->engine, i, &st);
		if (st.domain && *st.domain)
			v[k++] = (char *)st.domain;
	}
	qsort(v, k, sizeof(*v), cmp_str);
	for (size_t i = 0; i < k; i++)
		if (!resp.n_domains || strcmp(v[resp.n_domains - 1], v[i]))
			v[resp.n_domains++] = v[i];
	resp.domains = v;
	*c->resp = rpc_blob_pack(&resp.base);
	free(v);
	return *c->resp ? 0 : -ENOMEM;
}

static int tp_domains(void *ctx, struct rpc_blob **resp, struct rpc_status *st)
{
	struct call c = { .r = ctx, .st = st, .resp = resp };

	return run(ctx, domains_on_loop, &c);
}

const struct tp_ops policy_rpc_ops = {
	.add = tp_add,
	.remove = tp_remove,
	.list = tp_list,
	.configure = tp_configure,
	.sensors = tp_sensors,
	.domains = tp_domains,
};
