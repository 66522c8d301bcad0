/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pipeline sink that counts events for the metrics: by event type
 * (tetragon_events_total) and by policy and hook
 * (tetragon_policy_events_total, hook labels as upstream's: "kprobe:FN",
 * "tracepoint:SUBSYS/EVENT", "uprobe:PATH/SYMBOL"). Runs and is read on
 * the agent's event loop thread only.
 */
#ifndef TG_METRICS_EVENT_COUNTS_H
#define TG_METRICS_EVENT_COUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "event/pipeline.h"

struct policy_count {
	char *policy;
	char *hook;
	uint64_t n;
};

struct event_counts {
	struct event_sink base;
	uint64_t by_case[64];		/* indexed by GetEventsResponse event_case */
	struct policy_count *policies;
	size_t npolicies;
	uint64_t overflow;		/* (policy, hook) pairs past the label limit */
};

/* The sink; it stays owned by the pipeline (destroyed with it). */
struct event_counts *event_counts_new(void);
/* "PROCESS_EXEC"... for an event_case, NULL for ones not counted */
const char *event_counts_type_name(int event_case);

#endif
