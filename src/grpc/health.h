/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --health-server-address: the standard gRPC health service
 * (grpc.health.v1.Health, api/health/health.proto) on a TCP port of its own,
 * as upstream Tetragon's liveness probe expects. Only Check and Watch are
 * served there; every other method and service answers UNIMPLEMENTED, so the
 * port reveals nothing but "serving" or "not serving" (README "Security
 * model"). Anyone who can reach the port may ask.
 *
 * Services known: "" (the agent) and "liveness" (upstream's probe), both
 * with one status. It starts SERVING and is evaluated every interval: the
 * agent is NOT_SERVING when its event loop (which reads the kernel's ring
 * buffers and ticks every second) has not ticked for longer than
 * HEALTH_STALE_INTERVALS intervals plus HEALTH_GRACE_MS, i.e. it is stuck
 * (a policy load runs on the loop and may take seconds: that is not stuck). Check of another service
 * answers NOT_FOUND, Watch of one sends SERVICE_UNKNOWN (grpc-go's health
 * server's answers).
 */
#ifndef TG_GRPC_HEALTH_H
#define TG_GRPC_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEALTH_DEFAULT_ADDRESS ":6789"
#define HEALTH_GRACE_MS 2000
#define HEALTH_STALE_INTERVALS 3

/* grpc.health.v1.HealthCheckResponse.ServingStatus */
enum health_status { HEALTH_UNKNOWN = 0, HEALTH_SERVING = 1, HEALTH_NOT_SERVING = 2, HEALTH_SERVICE_UNKNOWN = 3 };

struct health_server;

struct health_opts {
	const char *address;		/* "host:port", ":6789" */
	bool optional;			/* a bind failure only warns (the default address) */
	unsigned interval_s;		/* >= 1 */
	/* CLOCK_MONOTONIC ms of the event loop's last tick, stored atomically by the loop */
	const uint64_t *heartbeat_ms;
};

/* 0 (*out NULL when optional and the port is taken), or -errno with err set. */
int health_server_start(struct health_server **out, const struct health_opts *o, char *err, size_t errlen);
/* Watchers get NOT_SERVING, then every call ends. NULL is fine. */
void health_server_stop(struct health_server *h);
/* The status a heartbeat at @beat_ms means at @now_ms (pure, for tests). */
enum health_status health_evaluate(uint64_t now_ms, uint64_t beat_ms, unsigned interval_s);

#endif
