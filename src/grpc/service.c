// SPDX-License-Identifier: Apache-2.0
/* tetragon.FineGuidanceSensors handlers and the GetEvents sink (transport: grpc/rpc.h). */
#include "grpc/service.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "filters/filters.h"
#include "grpc/conn_gate.h"
#include "grpc/debug_api.h"
#include "grpc/tls_server.h"
#include "util/log.h"
#include "util/safe_path.h"

#define SERVICE "/tetragon.FineGuidanceSensors/"
#define DROP_REPORT_MS 5000
/*
 * An idle stream starts sending when kicked: at each pipeline flush, and
 * after this many events queued to it, because under a flood the event loop
 * may not get to a flush for seconds (a ring-buffer drain that never ends)
 * and the client would get nothing until the flood stops.
 */
#define KICK_EVERY 32

struct client {
	struct client *next;
	struct rpc_stream *st;
	struct filter_set *fs;
	uint64_t sent, drops, drops_reported, last_report_ms;
	unsigned unkicked;	/* events queued since the last kick */
};

/*
 * The GetEvents fan-out. Shared by the pipeline (as a sink) and the server
 * (which adds and removes clients from its thread), freed by the last owner.
 */
struct hub {
	struct event_sink sink;
	pthread_mutex_t mu;
	struct client *clients;
	size_t nclients;
	size_t queue_len;
	int refs;
	uint64_t drops;		/* every client's, for the metrics (under mu) */
};

struct api_server {
	struct rpc_server *rpc;
	struct hub *hub;
	const char *version;
	const struct tp_ops *tp;
	void *tp_ctx;
	const struct agent_ops *agent;
	void *agent_ctx;
	/* the LogLevel SetDebug asked for last (trace logs as debug), -1 none; RPC thread only */
	int level_asked;
	char *info_file;
	ino_t info_ino;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the GetEvents sink --------------------------------------------------------- */

static void hub_put(struct hub *h)
{
	int left;

	pthread_mutex_lock(&h->mu);
	left = --h->refs;
	pthread_mutex_unlock(&h->mu);
	if (left)
		return;
	/* no clients remain: the server stopped before the last put */
	pthread_mutex_destroy(&h->mu);
	free(h);
}

static int hub_write(struct event_sink *s, const Tetragon__GetEventsResponse *ev)
{
	struct hub *h = (struct hub *)s;
	struct rpc_blob *shared = NULL;
	struct client *c;
	int err = 0;

	/* no stream open (the usual case): no lock taken per event; a client
	 * connecting meanwhile starts with the next one */
	if (!__atomic_load_n(&h->nclients, __ATOMIC_RELAXED))
		return 0;
	pthread_mutex_lock(&h->mu);
	for (c = h->clients; c; c = c->next) {
		struct rpc_blob *b;
		int r;

		if (!filter_set_match(c->fs, ev))
			continue;
		if (filter_set_has_field_filters(c->fs)) {
			const Tetragon__GetEventsResponse *out;
			struct field_copy fc = { 0 };

			b = NULL;
			if (!filter_set_apply_fields(c->fs, ev, &fc, &out))
				b = rpc_blob_pack(&out->base);
			field_copy_release(&fc);
		} else {
			/* packed once for every client without field filters */
			if (!shared)
				shared = rpc_blob_pack(&ev->base);
			b = shared ? rpc_blob_ref(shared) : NULL;
		}
		if (!b) {
			err = -ENOMEM;
			continue;
		}
		r = rpc_stream_send(c->st, b);
		rpc_blob_unref(b);
		if (!r) {
			c->sent++;
			if (++c->unkicked >= KICK_EVERY) {
				c->unkicked = 0;
				rpc_stream_kick(c->st);
			}
		} else if (r == -ENOBUFS) {
			c->drops++;
			h->drops++;	/* metrics: tetragon_notify_overflowed_events_total */
		}
	}
	pthread_mutex_unlock(&h->mu);
	rpc_blob_unref(shared);
	return err;
}

static int hub_flush(struct event_sink *s)
{
	struct hub *h = (struct hub *)s;
	uint64_t now = 0;
	struct client *c;

	pthread_mutex_lock(&h->mu);
	for (c = h->clients; c; c = c->next) {
		rpc_stream_kick(c->st);
		c->unkicked = 0;
		if (c->drops == c->drops_reported)
			continue;
		if (!now)
			now = now_ms();
		if (c->drops_reported && now - c->last_report_ms < DROP_REPORT_MS)
			continue;
		log_warn("gRPC GetEvents client %s reads too slowly: %llu events dropped so far "
			 "(its queue of %zu events is full; see --event-queue-size)", rpc_stream_peer(c->st),
			 (unsigned long long)c->drops, h->queue_len);
		c->drops_reported = c->drops;
		c->last_report_ms = now;
	}
	pthread_mutex_unlock(&h->mu);
	return 0;
}

static void hub_destroy(struct event_sink *s)
{
	hub_put((struct hub *)s);
}

/* ---- GetEvents ------------------------------------------------------------------ */

static int get_events_open(void *ctx, struct rpc_stream *st, const ProtobufCMessage *msg, struct rpc_status *status)
{
	const Tetragon__GetEventsRequest *req = (const Tetragon__GetEventsRequest *)msg;
	struct api_server *api = ctx;
	struct hub *h = api->hub;
	struct client *c;
	char err[512];
	int r;

	if (req->aggregation_options) {
		rpc_status_set(status, RPC_UNIMPLEMENTED, "aggregation_options are not supported by this agent");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		rpc_status_set(status, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return -ENOMEM;
	}
	r = filter_set_from_request(&c->fs, req, err, sizeof(err));
	if (r) {
		free(c);
		rpc_status_set(status, r == -EINVAL ? RPC_INVALID_ARGUMENT : RPC_RESOURCE_EXHAUSTED, "%s", err);
		log_info("gRPC GetEvents from %s refused: %s", rpc_stream_peer(st), err);
		return r;
	}
	c->st = st;
	rpc_stream_set_data(st, c);
	pthread_mutex_lock(&h->mu);
	c->next = h->clients;
	h->clients = c;
	__atomic_add_fetch(&h->nclients, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&h->mu);
	log_info("gRPC GetEvents client %s connected (%zu allow, %zu deny, %zu field filters)",
		 rpc_stream_peer(st), req->n_allow_list, req->n_deny_list, req->n_field_filters);
	return 0;
}

static void stream_closed(void *ctx, struct rpc_stream *st)
{
	struct api_server *api = ctx;
	struct hub *h = api->hub;
	struct client *c = rpc_stream_data(st), **pp;

	if (!c)
		return;
	pthread_mutex_lock(&h->mu);
	for (pp = &h->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			__atomic_sub_fetch(&h->nclients, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	pthread_mutex_unlock(&h->mu);
	log_info("gRPC GetEvents client %s disconnected (%llu events queued, %llu dropped)", rpc_stream_peer(st),
		 (unsigned long long)c->sent, (unsigned long long)c->drops);
	filter_set_free(c->fs);
	free(c);
}

/* ---- unary methods --------------------------------------------------------------- */

static struct rpc_blob *get_health(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	Tetragon__GetHealthStatusResponse resp = TETRAGON__GET_HEALTH_STATUS_RESPONSE__INIT;
	Tetragon__HealthStatus hs = TETRAGON__HEALTH_STATUS__INIT, *v[1] = { &hs };

	(void)ctx;
	(void)req;
	(void)st;
	hs.event = TETRAGON__HEALTH_STATUS_TYPE__HEALTH_STATUS_TYPE_STATUS;
	hs.status = TETRAGON__HEALTH_STATUS_RESULT__HEALTH_STATUS_RUNNING;
	hs.details = "running";
	resp.health_status = v;
	resp.n_health_status = 1;
	return rpc_blob_pack(&resp.base);
}

static struct rpc_blob *get_version(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	Tetragon__GetVersionResponse resp = TETRAGON__GET_VERSION_RESPONSE__INIT;
	struct api_server *api = ctx;

	(void)req;
	(void)st;
	resp.version = (char *)(api->version ? api->version : "");
	return rpc_blob_pack(&resp.base);
}

static struct rpc_blob *list_sensors(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	Tetragon__ListSensorsResponse resp = TETRAGON__LIST_SENSORS_RESPONSE__INIT;
	struct api_server *api = ctx;
	struct rpc_blob *b = NULL;

	(void)req;
	if (api->tp && api->tp->sensors) {
		if (api->tp->sensors(api->tp_ctx, &b, st) < 0) {
			rpc_blob_unref(b);
			if (st->code == RPC_OK)
				rpc_status_set(st, RPC_INTERNAL, "listing sensors failed");
			return NULL;
		}
		return b;
	}
	return rpc_blob_pack(&resp.base);
}

static struct rpc_blob *list_domains(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	struct api_server *api = ctx;
	struct rpc_blob *b = NULL;

	(void)req;
	if (!api->tp || !api->tp->domains) {
		rpc_status_set(st, RPC_UNIMPLEMENTED, "method ListDomains not implemented by this agent");
		return NULL;
	}
	if (api->tp->domains(api->tp_ctx, &b, st) < 0) {
		rpc_blob_unref(b);
		if (st->code == RPC_OK)
			rpc_status_set(st, RPC_INTERNAL, "listing domains failed");
		return NULL;
	}
	return b;
}

static const char *const tp_unsupported = "tracing policies are not supported yet by this agent";

/* Run a policy op; success answers an empty message of type d. */
static struct rpc_blob *tp_done(int r, const ProtobufCMessageDescriptor *d, struct rpc_status *st)
{
	ProtobufCMessage *empty;
	struct rpc_blob *b;

	if (r < 0) {
		if (st->code == RPC_OK)
			rpc_status_set(st, RPC_INTERNAL, "tracing policy operation failed (%s)", strerror(-r));
		return NULL;
	}
	empty = calloc(1, d->sizeof_message);
	if (!empty)
		return NULL;
	d->message_init(empty);
	b = rpc_blob_pack(empty);
	free(empty);
	return b;
}

static struct rpc_blob *tp_add(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	struct api_server *api = ctx;

	if (!api->tp || !api->tp->add) {
		rpc_status_set(st, RPC_UNIMPLEMENTED, "%s", tp_unsupported);
		return NULL;
	}
	return tp_done(api->tp->add(api->tp_ctx, (const Tetragon__AddTracingPolicyRequest *)req, st),
		       &tetragon__add_tracing_policy_response__descriptor, st);
}

static struct rpc_blob *tp_delete(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	struct api_server *api = ctx;

	if (!api->tp || !api->tp->remove) {
		rpc_status_set(st, RPC_UNIMPLEMENTED, "%s", tp_unsupported);
		return NULL;
	}
	return tp_done(api->tp->remove(api->tp_ctx, (const Tetragon__DeleteTracingPolicyRequest *)req, st),
		       &tetragon__delete_tracing_policy_response__descriptor, st);
}

static struct rpc_blob *tp_list(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	struct api_server *api = ctx;
	struct rpc_blob *resp = NULL;

	if (!api->tp || !api->tp->list) {
		rpc_status_set(st, RPC_UNIMPLEMENTED, "%s", tp_unsupported);
		return NULL;
	}
	if (api->tp->list(api->tp_ctx, (const Tetragon__ListTracingPoliciesRequest *)req, &resp, st) < 0) {
		rpc_blob_unref(resp);
		if (st->code == RPC_OK)
			rpc_status_set(st, RPC_INTERNAL, "listing tracing policies failed");
		return NULL;
	}
	return resp;
}

static struct rpc_blob *tp_configure_req(struct api_server *api, const Tetragon__ConfigureTracingPolicyRequest *req,
					 const ProtobufCMessageDescriptor *resp, struct rpc_status *st)
{
	if (!api->tp || !api->tp->configure) {
		rpc_status_set(st, RPC_UNIMPLEMENTED, "%s", tp_unsupported);
		return NULL;
	}
	return tp_done(api->tp->configure(api->tp_ctx, req, st), resp, st);
}

static struct rpc_blob *tp_configure(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	return tp_configure_req(ctx, (const Tetragon__ConfigureTracingPolicyRequest *)req,
				&tetragon__configure_tracing_policy_response__descriptor, st);
}

/* Enable/Disable: the same as Configure with enable set. */
static struct rpc_blob *tp_enable_disable(void *ctx, const char *name, const char *ns, const char *domain,
					  bool enable, const ProtobufCMessageDescriptor *resp, struct rpc_status *st)
{
	Tetragon__ConfigureTracingPolicyRequest c = TETRAGON__CONFIGURE_TRACING_POLICY_REQUEST__INIT;

	c.name = (char *)name;
	c.namespace_ = (char *)ns;
	c.domain = (char *)domain;
	c._enable_case = TETRAGON__CONFIGURE_TRACING_POLICY_REQUEST___ENABLE_ENABLE;
	c.enable = enable;
	return tp_configure_req(ctx, &c, resp, st);
}

static struct rpc_blob *tp_enable(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	const Tetragon__EnableTracingPolicyRequest *r = (const Tetragon__EnableTracingPolicyRequest *)req;

	return tp_enable_disable(ctx, r->name, r->namespace_, r->domain, true,
				 &tetragon__enable_tracing_policy_response__descriptor, st);
}

static struct rpc_blob *tp_disable(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	const Tetragon__DisableTracingPolicyRequest *r = (const Tetragon__DisableTracingPolicyRequest *)req;

	return tp_enable_disable(ctx, r->name, r->namespace_, r->domain, false,
				 &tetragon__disable_tracing_policy_response__descriptor, st);
}

/* ---- GetInfo, GetDebug, SetDebug ---------------------------------------------------- */

static struct rpc_blob *get_info(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	struct api_server *api = ctx;
	struct rpc_blob *b = NULL;

	(void)req;
	if (api->agent && api->agent->info) {
		if (api->agent->info(api->agent_ctx, &b, st) < 0) {
			rpc_blob_unref(b);
			if (st->code == RPC_OK)
				rpc_status_set(st, RPC_INTERNAL, "gathering the agent's information failed");
			return NULL;
		}
		return b;
	}
	return debug_info_pack("tetragon", api->version, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL);
}

/* The level GetDebug reports: what SetDebug asked for while it is in force (trace stays trace). */
static int current_level(struct api_server *api)
{
	enum log_level now = log_get_level(), asked;

	if (api->level_asked >= 0 && !debug_level_to_log(api->level_asked, &asked) && asked == now)
		return api->level_asked;
	return debug_level_from_log(now);
}

static struct rpc_blob *get_debug(void *ctx, const ProtobufCMessage *msg, struct rpc_status *st)
{
	const Tetragon__GetDebugRequest *req = (const Tetragon__GetDebugRequest *)msg;
	Tetragon__GetDebugResponse resp = TETRAGON__GET_DEBUG_RESPONSE__INIT;
	Tetragon__DumpProcessCacheReqArgs none = TETRAGON__DUMP_PROCESS_CACHE_REQ_ARGS__INIT;
	struct api_server *api = ctx;
	struct rpc_blob *b = NULL;

	switch ((int)req->flag) {
	case TETRAGON__CONFIG_FLAG__CONFIG_FLAG_LOG_LEVEL:
		resp.flag = TETRAGON__CONFIG_FLAG__CONFIG_FLAG_LOG_LEVEL;
		resp.arg_case = TETRAGON__GET_DEBUG_RESPONSE__ARG_LEVEL;
		resp.level = current_level(api);
		log_debug("GetDebug: the current log level is %s", debug_level_name(resp.level));
		return rpc_blob_pack(&resp.base);
	case TETRAGON__CONFIG_FLAG__CONFIG_FLAG_DUMP_PROCESS_CACHE:
		if (!api->agent || !api->agent->dump_processes) {
			rpc_status_set(st, RPC_UNIMPLEMENTED, "this agent has no process cache to dump");
			return NULL;
		}
		log_debug("GetDebug: process cache dump requested");
		if (api->agent->dump_processes(api->agent_ctx,
					       req->arg_case == TETRAGON__GET_DEBUG_REQUEST__ARG_DUMP && req->dump ?
					       req->dump : &none, &b, st) < 0) {
			rpc_blob_unref(b);
			if (st->code == RPC_OK)
				rpc_status_set(st, RPC_INTERNAL, "dumping the process cache failed");
			return NULL;
		}
		return b;
	}
	/* as upstream: a plain error, which gRPC answers as UNKNOWN */
	log_warn("GetDebug: unknown config flag %d requested", (int)req->flag);
	rpc_status_set(st, RPC_UNKNOWN, "client requested unknown config flag %d", (int)req->flag);
	return NULL;
}

static struct rpc_blob *set_debug(void *ctx, const ProtobufCMessage *msg, struct rpc_status *st)
{
	const Tetragon__SetDebugRequest *req = (const Tetragon__SetDebugRequest *)msg;
	Tetragon__SetDebugResponse resp = TETRAGON__SET_DEBUG_RESPONSE__INIT;
	struct api_server *api = ctx;
	enum log_level lvl;
	const char *from, *to;

	if (req->flag != TETRAGON__CONFIG_FLAG__CONFIG_FLAG_LOG_LEVEL) {
		log_warn("SetDebug: change of unknown config flag %d requested", (int)req->flag);
		rpc_status_set(st, RPC_UNKNOWN, "client requested change of unknown config flag %d", (int)req->flag);
		return NULL;
	}
	/* upstream would read a missing or unknown level as panic or info: refused here */
	if (req->arg_case != TETRAGON__SET_DEBUG_REQUEST__ARG_LEVEL) {
		rpc_status_set(st, RPC_INVALID_ARGUMENT, "SetDebug CONFIG_FLAG_LOG_LEVEL without a level");
		return NULL;
	}
	if (debug_level_to_log(req->level, &lvl)) {
		rpc_status_set(st, RPC_INVALID_ARGUMENT, "level %d is not a LogLevel (LOG_LEVEL_PANIC %d to "
			       "LOG_LEVEL_TRACE %d)", (int)req->level, TETRAGON__LOG_LEVEL__LOG_LEVEL_PANIC,
			       TETRAGON__LOG_LEVEL__LOG_LEVEL_TRACE);
		return NULL;
	}
	from = debug_level_name(current_level(api));
	to = debug_level_name(req->level);
	/* said at warn level, before a quieter level would hide it */
	if (lvl > LOG_WARN)
		log_warn("log level changed from %s to %s (SetDebug)", from, to);
	log_set_level(lvl);
	api->level_asked = req->level;
	if (lvl <= LOG_WARN)
		log_warn("log level changed from %s to %s (SetDebug)", from, to);
	resp.flag = TETRAGON__CONFIG_FLAG__CONFIG_FLAG_LOG_LEVEL;
	resp.arg_case = TETRAGON__SET_DEBUG_RESPONSE__ARG_LEVEL;
	resp.level = req->level;
	return rpc_blob_pack(&resp.base);
}

/* ---- deprecated sensor RPCs, RuntimeHook ------------------------------------------------ */

/* Upstream's agent answers these with a plain error (gRPC UNKNOWN): sensors are policies now. */
static struct rpc_blob *sensor_deprecated(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	const char *name = req->descriptor->short_name;
	size_t l = strlen(name);

	(void)ctx;
	/* "EnableSensorRequest" -> "EnableSensor" */
	if (l > 7 && !strcmp(name + l - 7, "Request"))
		l -= 7;
	log_debug("gRPC: %.*s request (deprecated)", (int)l, name);
	rpc_status_set(st, RPC_UNKNOWN, "%.*s is deprecated", (int)l, name);
	return NULL;
}

/* A random version 4 UUID, for a log line a status message can point to. */
static void log_id(char out[37])
{
	uint8_t b[16] = { 0 };

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != sizeof(b)) {
		uint64_t t = now_ms();

		memcpy(b, &t, sizeof(t));
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/*
 * Upstream runs its container hooks (policy filter, cgroup id map) here;
 * with them off, as this agent has them, a CreateContainer request does
 * nothing and succeeds, and a request without an event fails the way
 * upstream's runner fails it.
 */
static struct rpc_blob *runtime_hook(void *ctx, const ProtobufCMessage *msg, struct rpc_status *st)
{
	const Tetragon__RuntimeHookRequest *req = (const Tetragon__RuntimeHookRequest *)msg;
	Tetragon__RuntimeHookResponse resp = TETRAGON__RUNTIME_HOOK_RESPONSE__INIT;
	char id[37];

	(void)ctx;
	if (req->event_case == TETRAGON__RUNTIME_HOOK_REQUEST__EVENT_CREATE_CONTAINER && req->createcontainer) {
		log_debug("RuntimeHook: CreateContainer for container %s: no runtime hooks to run",
			  req->createcontainer->containerid ? req->createcontainer->containerid : "");
		return rpc_blob_pack(&resp.base);
	}
	log_id(id);
	log_warn("server runtime hook failed logid=%s: unknown RuntimeHookRequest type (event %d)", id,
		 (int)req->event_case);
	rpc_status_set(st, RPC_UNKNOWN, "server runtime hook failed. Check agent logs with logid=%s for details", id);
	return NULL;
}

static const struct rpc_method methods[] = {
	{ SERVICE "GetEvents", RPC_ACCESS_READ, &tetragon__get_events_request__descriptor, NULL, get_events_open },
	{ SERVICE "GetHealth", RPC_ACCESS_PUBLIC, &tetragon__get_health_status_request__descriptor, get_health, NULL },
	{ SERVICE "GetVersion", RPC_ACCESS_PUBLIC, &tetragon__get_version_request__descriptor, get_version, NULL },
	{ SERVICE "ListSensors", RPC_ACCESS_READ, &tetragon__list_sensors_request__descriptor, list_sensors, NULL },
	{ SERVICE "AddTracingPolicy", RPC_ACCESS_ADMIN, &tetragon__add_tracing_policy_request__descriptor, tp_add, NULL },
	{ SERVICE "DeleteTracingPolicy", RPC_ACCESS_ADMIN, &tetragon__delete_tracing_policy_request__descriptor, tp_delete, NULL },
	{ SERVICE "ListTracingPolicies", RPC_ACCESS_READ, &tetragon__list_tracing_policies_request__descriptor, tp_list, NULL },
	{ SERVICE "ConfigureTracingPolicy", RPC_ACCESS_ADMIN, &tetragon__configure_tracing_policy_request__descriptor, tp_configure,
	  NULL },
	{ SERVICE "EnableTracingPolicy", RPC_ACCESS_ADMIN, &tetragon__enable_tracing_policy_request__descriptor, tp_enable, NULL },
	{ SERVICE "DisableTracingPolicy", RPC_ACCESS_ADMIN, &tetragon__disable_tracing_policy_request__descriptor, tp_disable, NULL },
	{ SERVICE "EnableSensor", RPC_ACCESS_ADMIN, &tetragon__enable_sensor_request__descriptor, sensor_deprecated,
	  NULL },
	{ SERVICE "DisableSensor", RPC_ACCESS_ADMIN, &tetragon__disable_sensor_request__descriptor, sensor_deprecated,
	  NULL },
	{ SERVICE "RemoveSensor", RPC_ACCESS_ADMIN, &tetragon__remove_sensor_request__descriptor, sensor_deprecated,
	  NULL },
	{ SERVICE "ListDomains", RPC_ACCESS_READ, &tetragon__list_domains_request__descriptor, list_domains, NULL },
	{ SERVICE "GetInfo", RPC_ACCESS_READ, &tetragon__get_info_request__descriptor, get_info, NULL },
	{ SERVICE "RuntimeHook", RPC_ACCESS_ADMIN, &tetragon__runtime_hook_request__descriptor, runtime_hook, NULL },
	{ SERVICE "GetDebug", RPC_ACCESS_READ, &tetragon__get_debug_request__descriptor, get_debug, NULL },
	{ SERVICE "SetDebug", RPC_ACCESS_ADMIN, &tetragon__set_debug_request__descriptor, set_debug, NULL },
};

/* ---- info file ------------------------------------------------------------------- */

/*
 * {"server_address":"unix:///var/run/tetragon/tetragon.sock"}, written
 * atomically (a temp file with an unpredictable name, O_EXCL, renamed) in a
 * directory only root can write, never through a symlink nor over another
 * user's file (src/util/safe_path.h). 0644: it holds only an address.
 */
static void write_info_file(struct api_server *api, const char *path, const char *addr)
{
	json_t *j = json_pack("{s:s}", "server_address", addr);
	char why[SAFE_WHY_MAX], *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct stat st;

	if (text && !safe_write_file(path, text, strlen(text), 0644, &st, why, sizeof(why))) {
		api->info_file = strdup(path);
		api->info_ino = st.st_ino;
	} else {
		log_warn("cannot write the info file: %s; tetra will need --server-address",
			 text ? why : "out of memory");
	}
	free(text);
	json_decref(j);
}

static void remove_info_file(struct api_server *api)
{
	struct stat st;

	if (!api->info_file)
		return;
	/* another agent may have written its own since */
	if (!stat(api->info_file, &st) && st.st_ino == api->info_ino)
		unlink(api->info_file);
	free(api->info_file);
	api->info_file = NULL;
}

/* ---- start / stop ------------------------------------------------------------------ */

/* metrics (owner: src/metrics) */
uint64_t api_server_events_dropped(struct api_server *api)
{
	uint64_t n;

	if (!api || !api->hub)
		return 0;
	pthread_mutex_lock(&api->hub->mu);
	n = api->hub->drops;
	pthread_mutex_unlock(&api->hub->mu);
	return n;
}

void api_server_conn_stats(struct api_server *api, struct conn_gate_stats *st)
{
	rpc_server_get_stats(api ? api->rpc : NULL, st);
}

void api_server_stop(struct api_server *api)
{
	if (!api)
		return;
	/* closes every stream: stream_closed() empties the hub */
	rpc_server_stop(api->rpc);
	remove_info_file(api);
	if (api->hub)
		hub_put(api->hub);
	free(api);
	log_info("gRPC server stopped");
}

int api_server_start(struct api_server **out, const struct api_server_opts *o, struct pipeline *p)
{
	const char *addr = o->server_address ? o->server_address : API_DEFAULT_SERVER_ADDRESS;
	const char *sock = o->unix_socket ? o->unix_socket : API_DEFAULT_UNIX_SOCKET;
	const char *info = o->info_file ? o->info_file : API_DEFAULT_INFO_FILE;
	struct rpc_server_opts ro = { .tcp_optional = !o->server_address_given };
	struct rpc_service svc = {
		.methods = methods,
		.nmethods = sizeof(methods) / sizeof(methods[0]),
		.service_prefix = SERVICE,
		.stream_closed = stream_closed,
	};
	struct api_server *api;
	char err[512], info_addr[300], tcp_buf[280];
	struct hub *h;
	int r;

	*out = NULL;
	api = calloc(1, sizeof(*api));
	h = calloc(1, sizeof(*h));
	if (!api || !h) {
		free(api);
		free(h);
		log_error("gRPC server: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&h->mu, NULL);
	h->refs = 1;	/* the api; the pipeline takes another below */
	h->queue_len = o->event_queue_size ? o->event_queue_size : API_DEFAULT_EVENT_QUEUE;
	h->sink.name = "grpc";
	h->sink.write = hub_write;
	h->sink.flush = hub_flush;
	h->sink.destroy = hub_destroy;
	api->hub = h;
	api->version = o->version;
	api->tp = o->tp_ops;
	api->tp_ctx = o->tp_ctx;
	api->agent = o->agent_ops;
	api->agent_ctx = o->agent_ctx;
	api->level_asked = -1;
	svc.ctx = api;

	/* like upstream: "unix:///path" serves that socket only */
	if (!strncmp(addr, "unix://", 7)) {
		sock = addr + 7;
		addr = "";
	} else if (*addr && !strchr(addr, ':')) {
		/* a bare host gets upstream's default port */
		snprintf(tcp_buf, sizeof(tcp_buf), "%s:54321", addr);
		addr = tcp_buf;
	}
	ro.tcp_address = addr;
	ro.unix_path = *sock ? sock : NULL;
	ro.stream_queue_len = h->queue_len;
	ro.access = o->access;
	ro.max_connections = o->max_connections;
	ro.max_per_client = o->max_per_client;
	ro.tls = o->tls;
	/* TLS asked for: serving without the TCP listener would not be what was configured */
	if (tls_server_configured(&o->tls))
		ro.tcp_optional = false;
	r = rpc_server_start(&api->rpc, &ro, &svc, err, sizeof(err));
	if (r) {
		/* a port or address problem has a way out */
		log_error("gRPC server: %s%s", err,
			  strncmp(err, "cannot listen on", 16) ? "" : " (set --server-address, or \"\" to disable TCP)");
		hub_put(h);
		free(api);
		return r;
	}
	r = pipeline_add_sink(p, &h->sink);
	if (r) {
		log_error("gRPC server: cannot add the event sink: %s", strerror(-r));
		api_server_stop(api);
		return r;
	}
	h->refs++;
	if (*sock)
		snprintf(info_addr, sizeof(info_addr), "unix://%s", sock);
	else
		snprintf(info_addr, sizeof(info_addr), "%s", addr);
	if (*info && (*sock || rpc_server_has_tcp(api->rpc)))
		write_info_file(api, info, info_addr);
	log_info("gRPC server listening on %s%s%s%s%s", rpc_server_has_tcp(api->rpc) ? addr : "",
		 !rpc_server_has_tcp(api->rpc) || !tls_server_configured(&o->tls) ? "" :
		 o->tls.require_client_cert ? " (TLS, client certificates required)" :
		 o->tls.client_ca_files && *o->tls.client_ca_files ? " (TLS, client certificates verified)" : " (TLS)",
		 rpc_server_has_tcp(api->rpc) && *sock ? " and " : "", *sock ? "unix://" : "", sock);
	*out = api;
	return 0;
}
