/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's metrics page, rendered on the event loop from the counters its
 * modules keep (upstream's metric names where the concept exists).
 */
#ifndef TG_METRICS_AGENT_METRICS_H
#define TG_METRICS_AGENT_METRICS_H

#include <stdint.h>

#include "util/strbuf.h"

struct event_counts;
struct process_events;
struct process_cache;
struct process_sensor;
struct policy_engine;
struct pipeline;

struct metrics_sources {
	const struct event_counts *events;
	const struct process_events *pe;
	struct process_cache *cache;
	struct process_sensor *sensor;
	struct policy_engine *policies;		/* may be NULL */
	const struct pipeline *pipeline;
	uint64_t ringbuf_records;		/* records read from the ring buffer */
	const char *version;
};

void agent_metrics_render(struct strbuf *sb, const struct metrics_sources *s);

#endif
