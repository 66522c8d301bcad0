// SPDX-License-Identifier: Apache-2.0
#include "grpc/health.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grpc/rpc.h"
#include "health/health.pb-c.h"
#include "util/log.h"

#define SERVICE "/grpc.health.v1.Health/"
/* a probe opens a connection per check: a few at a time, from a few places */
#define HEALTH_MAX_CONNS 64
#define HEALTH_MAX_CONNS_CLIENT 16

struct watcher {
	struct rpc_stream *st;
	bool known;		/* "" or "liveness" */
	struct watcher *next;
};

struct health_server {
	struct rpc_server *rpc;
	struct health_opts o;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	int status;			/* enum health_status, under mu */
	struct watcher *watchers;	/* under mu */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum health_status health_evaluate(uint64_t now_ms, uint64_t beat_ms, unsigned interval_s)
{
	/* three intervals: a long policy load on the loop is not a hang */
	uint64_t limit = (uint64_t)HEALTH_STALE_INTERVALS * interval_s * 1000 + HEALTH_GRACE_MS;

	return now_ms <= beat_ms || now_ms - beat_ms <= limit ? HEALTH_SERVING : HEALTH_NOT_SERVING;
}

static bool known_service(const char *name)
{
	return !name || !*name || !strcmp(name, "liveness");
}

static struct rpc_blob *pack_status(int status)
{
	Grpc__Health__V1__HealthCheckResponse r = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;

	r.status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)status;
	return rpc_blob_pack(&r.base);
}

static struct rpc_blob *check(void *ctx, const ProtobufCMessage *m, struct rpc_status *st)
{
	struct health_server *h = ctx;
	const Grpc__Health__V1__HealthCheckRequest *req = (const Grpc__Health__V1__HealthCheckRequest *)m;
	int status;

	if (!known_service(req->service)) {
		/* grpc-go's answer; the name is not echoed: it is the caller's text */
		rpc_status_set(st, RPC_NOT_FOUND, "unknown service");
		return NULL;
	}
	pthread_mutex_lock(&h->mu);
	status = h->status;
	pthread_mutex_unlock(&h->mu);
	return pack_status(status);
}

static int watch_open(void *ctx, struct rpc_stream *s, const ProtobufCMessage *m, struct rpc_status *st)
{
	struct health_server *h = ctx;
	const Grpc__Health__V1__HealthCheckRequest *req = (const Grpc__Health__V1__HealthCheckRequest *)m;
	struct watcher *w = calloc(1, sizeof(*w));
	struct rpc_blob *b;

	if (!w) {
		rpc_status_set(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return -ENOMEM;
	}
	w->st = s;
	w->known = known_service(req->service);
	pthread_mutex_lock(&h->mu);
	b = pack_status(w->known ? h->status : HEALTH_SERVICE_UNKNOWN);
	if (!b) {
		pthread_mutex_unlock(&h->mu);
		free(w);
		rpc_status_set(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return -ENOMEM;
	}
	rpc_stream_set_data(s, w);
	w->next = h->watchers;
	h->watchers = w;
	/* sent once the server has sent the headers */
	rpc_stream_send(s, b);
	pthread_mutex_unlock(&h->mu);
	rpc_blob_unref(b);
	return 0;
}

static void watch_closed(void *ctx, struct rpc_stream *s)
{
	struct health_server *h = ctx;
	struct watcher *w = rpc_stream_data(s), **pp;

	if (!w)
		return;
	pthread_mutex_lock(&h->mu);
	for (pp = &h->watchers; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&h->mu);
	free(w);
}

/* A new status for the agent: watchers of a known service hear it. With h->mu held. */
static void set_status_locked(struct health_server *h, int status)
{
	struct rpc_blob *b;
	struct watcher *w;

	if (status == h->status)
		return;
	h->status = status;
	b = pack_status(status);
	if (!b)
		return;
	for (w = h->watchers; w; w = w->next) {
		if (!w->known)
			continue;
		/* a full queue (a watcher that never reads) drops, counted by the server */
		rpc_stream_send(w->st, b);
		rpc_stream_kick(w->st);
	}
	rpc_blob_unref(b);
}

static void *evaluator(void *arg)
{
	struct health_server *h = arg;
	struct timespec until;

	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		uint64_t beat, now;
		int status;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += h->o.interval_s;
		while (!h->stop && pthread_cond_timedwait(&h->cv, &h->mu, &until) != ETIMEDOUT)
			;
		if (h->stop)
			break;
		beat = __atomic_load_n(h->o.heartbeat_ms, __ATOMIC_RELAXED);
		now = mono_ms();
		status = health_evaluate(now, beat, h->o.interval_s);
		if (status != h->status) {
			if (status == HEALTH_NOT_SERVING)
				log_warn("health: NOT_SERVING: the event loop has not run for %.1f s "
					 "(%d times --health-server-interval %u s, plus %d s)", (double)(now - beat) / 1000,
					 HEALTH_STALE_INTERVALS, h->o.interval_s, HEALTH_GRACE_MS / 1000);
			else
				log_info("health: SERVING again: the event loop runs");
		}
		set_status_locked(h, status);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static const struct rpc_method methods[] = {
	{ SERVICE "Check", RPC_ACCESS_PUBLIC, &grpc__health__v1__health_check_request__descriptor, check, NULL },
	{ SERVICE "Watch", RPC_ACCESS_PUBLIC, &grpc__health__v1__health_check_request__descriptor, NULL,
	  watch_open },
};

void health_server_stop(struct health_server *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	/* upstream marks every service NOT_SERVING when it stops */
	set_status_locked(h, HEALTH_NOT_SERVING);
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	if (h->thread_started)
		pthread_join(h->thread, NULL);
	/* ends every call: watch_closed() empties the list */
	rpc_server_stop(h->rpc);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

int health_server_start(struct health_server **out, const struct health_opts *o, char *err, size_t errlen)
{
	struct rpc_server_opts ro = {
		.tcp_address = o->address,
		.stream_queue_len = 16,
		.max_connections = HEALTH_MAX_CONNS,
		.max_per_client = HEALTH_MAX_CONNS_CLIENT,
		.public_only = true,
	};
	struct rpc_service svc = {
		.methods = methods,
		.nmethods = sizeof(methods) / sizeof(methods[0]),
		.service_prefix = SERVICE,
		.stream_closed = watch_closed,
	};
	struct health_server *h;
	pthread_condattr_t ca;
	int r;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	h->o = *o;
	if (!h->o.interval_s)
		h->o.interval_s = 10;
	h->status = HEALTH_SERVING;
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	svc.ctx = h;
	r = rpc_server_start(&h->rpc, &ro, &svc, err, errlen);
	if (r) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		free(h);
		if (o->optional) {
			log_warn("health: %s; no health server (set --health-server-address to a free port, or \"\" "
				 "to turn it off)", err);
			return 0;
		}
		return r;
	}
	r = -pthread_create(&h->thread, NULL, evaluator, h);
	if (r) {
		snprintf(err, errlen, "cannot start the health thread: %s", strerror(-r));
		health_server_stop(h);
		return r;
	}
	h->thread_started = true;
	*out = h;
	return 0;
}
