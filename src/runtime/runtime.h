/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container metadata from the runtimes themselves, without an API server:
 * Docker's and Podman's HTTP API (GET /containers/<id>/json), containerd's
 * gRPC API (containers.v1 Get, tasks.v1 Get). Containers run by
 * containerd's CRI plugin (or by kubelet through Docker) carry kubelet's
 * labels: their pod name, namespace, uid and container name come from
 * there.
 *
 * The lookups run on a worker thread; the event loop queues them
 * (runtime_want) and applies the answers (runtime_dispatch, when fd() is
 * readable). While a container's first lookup is in flight its events are
 * held (container.pending, bounded by the timeout); a failed lookup is
 * retried, up to `retries` times `retry_delay_ms` apart, and what comes
 * late fills in the events that follow.
 */
#ifndef TG_RUNTIME_RUNTIME_H
#define TG_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "process/container.h"
#include "util/strbuf.h"

struct runtime_opts {
	const char *docker_socket;	/* unix socket paths; NULL or "" off */
	const char *podman_socket;
	const char *containerd_socket;
	uint64_t timeout_ms;		/* one request */
	unsigned retries;		/* lookups of one container, at most (>= 1) */
	uint64_t retry_delay_ms;
};

/* How a lookup ended (the metrics' "result" label). */
enum runtime_result {
	RT_OK = 0,
	RT_NOT_FOUND,		/* the runtime does not know the id */
	RT_UNAVAILABLE,		/* no socket, or nobody answers on it */
	RT_TIMEOUT,
	RT_ERROR,		/* a malformed or unexpected answer */
	RT__RESULTS,
};

enum runtime_api {
	RT_API_DOCKER = 0,
	RT_API_PODMAN,
	RT_API_CONTAINERD,
	RT__APIS,
};

struct runtime_stats {
	uint64_t requests[RT__APIS][RT__RESULTS];
	uint64_t lookups;		/* containers asked about (first attempts) */
	uint64_t retries;		/* later attempts */
	uint64_t gave_up;		/* containers left without metadata after every attempt */
	uint64_t queue_full;		/* lookups not queued (the queue was full) */
};

struct runtime;

/* Starts the worker. NULL *ret (and 0) when no runtime socket is configured. */
int runtime_start(struct runtime **ret, const struct runtime_opts *o);
void runtime_stop(struct runtime *r);
/* Readable (eventfd) when answers wait for runtime_dispatch(). */
int runtime_fd(const struct runtime *r);
/* A process is in container c: look it up if it was never asked about. */
void runtime_want(struct runtime *r, struct container *c);
/* Apply the answers (event loop). Returns how many containers changed. */
int runtime_dispatch(struct runtime *r, struct container_table *t);
/* Queue the retries that are due (event loop, every second or so). */
void runtime_tick(struct runtime *r, struct container_table *t, uint64_t now_ms);
void runtime_stats(const struct runtime *r, struct runtime_stats *ret);

const char *runtime_api_name(enum runtime_api a);
const char *runtime_result_name(enum runtime_result r);

/*
 * The pod fields kubelet's labels carry (io.kubernetes.pod.name,
 * .namespace, .uid, io.kubernetes.container.name): set in @m from its
 * labels, when present.
 */
void runtime_meta_from_k8s_labels(struct container_meta *m);

/* RFC 3339 time ("2024-05-01T10:20:30.123456789Z", offsets too) to ns since the epoch; 0 if malformed. */
uint64_t runtime_parse_rfc3339(const char *s);

#endif
