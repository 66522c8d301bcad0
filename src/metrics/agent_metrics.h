/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's metrics page, rendered on the event loop from the counters its
 * modules keep (upstream's metric names and labels where the concept
 * exists). Rendering reads other modules' state through their accessors,
 * on the thread that owns that state, so no counter needs to be atomic.
 */
#ifndef TG_METRICS_AGENT_METRICS_H
#define TG_METRICS_AGENT_METRICS_H

struct conn_gate_stats;

#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

struct event_counts;
struct event_sink;
struct process_events;
struct process_cache;
struct process_sensor;
struct policy_engine;
struct pipeline;
struct runtime;
struct container_table;
struct k8s;

#define METRICS_MSG_OPS 64

struct metrics_sources {
	const struct event_counts *events;
	const struct process_events *pe;
	struct process_cache *cache;
	uint64_t cache_capacity;		/* --process-cache-size */
	struct process_sensor *sensor;
	struct policy_engine *policies;		/* may be NULL */
	const struct pipeline *pipeline;
	const struct event_sink *export_sink;	/* the JSON file's (before export filters), or NULL */
	const uint64_t *msg_ops;		/* METRICS_MSG_OPS records read, by opcode */
	uint64_t ringbuf_records;		/* records read from the ring buffer */
	uint64_t ratelimit_dropped;		/* events --export-rate-limit dropped */
	uint64_t grpc_dropped;			/* events GetEvents clients lost (full queues) */
	const struct conn_gate_stats *api;	/* API connections and refusals, or NULL */
	const char *version;
	/* containers (owner: src/runtime); may be NULL */
	const struct runtime *runtime;
	const struct container_table *containers;
	struct k8s *k8s;			/* src/k8s, or NULL */
};

void agent_metrics_render(struct strbuf *sb, const struct metrics_sources *s);

#endif
