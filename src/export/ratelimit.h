/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --export-rate-limit N: at most N events a minute reach the export file, as
 * upstream's token bucket (rate N per minute, burst N, full at start). The
 * rest are dropped, counted in tetragon_export_ratelimit_events_dropped_total,
 * and once a minute, when some were, a rate_limit_info event
 * ({"rate_limit_info":{"number_of_dropped_process_events":K},"node_name":...,
 * "time":...}) is written to the file itself, past the limit. It sits between
 * the export filters and the file: filtered-out events use no tokens.
 */
#ifndef TG_EXPORT_RATELIMIT_H
#define TG_EXPORT_RATELIMIT_H

#include <stdint.h>

#include "event/pipeline.h"

#define RATELIMIT_REPORT_MS 60000

struct ratelimit_sink;

/* Wraps @inner (owned: destroyed with the wrapper). NULL when out of memory. */
struct ratelimit_sink *ratelimit_sink_new(struct event_sink *inner, uint64_t per_minute, const char *node_name,
					  uint64_t now_ms);
struct event_sink *ratelimit_sink_base(struct ratelimit_sink *r);
/* Once a second or so, from the pipeline's thread: the minute's report. */
void ratelimit_sink_tick(struct ratelimit_sink *r, uint64_t now_ms);
/* For the tests: the clock the bucket refills with (default CLOCK_MONOTONIC ms). */
void ratelimit_sink_set_clock(struct ratelimit_sink *r, uint64_t (*now_ms)(void));
/* Events dropped in all (the metric); 0 for NULL. */
uint64_t ratelimit_sink_dropped(const struct ratelimit_sink *r);

#endif
