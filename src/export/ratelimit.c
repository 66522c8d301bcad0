// SPDX-License-Identifier: Apache-2.0
#include "export/ratelimit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "util/log.h"

struct ratelimit_sink {
	struct event_sink base;
	struct event_sink *inner;
	/* the bucket, in thousandths of an event: refill per_minute per 60000 ms */
	uint64_t per_minute, milli_tokens, last_ms;
	uint64_t (*now)(void);
	uint64_t pending;	/* dropped since the last report */
	uint64_t dropped;	/* dropped in all */
	uint64_t next_report_ms;
	const char *node_name;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The wrapper shows the file sink's counts, as the export filters' does. */
static void sync_counts(struct ratelimit_sink *r)
{
	r->base.written = r->inner->written;
	r->base.errors = r->inner->errors;
	r->base.stopped = r->inner->stopped;
	r->base.bytes = r->inner->bytes;
	r->base.last_time = r->inner->last_time;
}

static int pass(struct ratelimit_sink *r, const Tetragon__GetEventsResponse *ev)
{
	int err = r->inner->write(r->inner, ev);

	if (err)
		r->inner->errors++;
	else if (!r->inner->counts_itself)
		r->inner->written++;
	sync_counts(r);
	return 0;	/* counted above, in the file's sink */
}

static bool take_token(struct ratelimit_sink *r)
{
	uint64_t now = r->now(), cap = r->per_minute * 1000;

	if (now > r->last_ms) {
		/* per_minute events per 60000 ms: per_minute / 60 thousandths per ms */
		uint64_t dt = now - r->last_ms > 60000 ? 60000 : now - r->last_ms;
		uint64_t add = dt * r->per_minute / 60;

		r->milli_tokens = add >= cap - r->milli_tokens ? cap : r->milli_tokens + add;
		r->last_ms = now;
	}
	if (r->milli_tokens < 1000)
		return false;
	r->milli_tokens -= 1000;
	return true;
}

static int rl_write(struct event_sink *base, const Tetragon__GetEventsResponse *ev)
{
	struct ratelimit_sink *r = (struct ratelimit_sink *)base;

	if (!take_token(r)) {
		r->pending++;
		r->dropped++;
		return 0;
	}
	return pass(r, ev);
}

void ratelimit_sink_tick(struct ratelimit_sink *r, uint64_t now_ms)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__RateLimitInfo info = TETRAGON__RATE_LIMIT_INFO__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	struct timespec now;

	if (!r || now_ms < r->next_report_ms)
		return;
	r->next_report_ms = now_ms + RATELIMIT_REPORT_MS;
	if (!r->pending)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	ts.seconds = now.tv_sec;
	ts.nanos = (int32_t)now.tv_nsec;
	info.number_of_dropped_process_events = r->pending;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_RATE_LIMIT_INFO;
	ev.rate_limit_info = &info;
	ev.node_name = (char *)r->node_name;
	ev.time = &ts;
	log_info("export: %llu events over --export-rate-limit %llu/min dropped in the last minute",
		 (unsigned long long)r->pending, (unsigned long long)r->per_minute);
	r->pending = 0;
	/* the report itself is never rate limited, as upstream's */
	pass(r, &ev);
	if (r->inner->flush)
		r->inner->flush(r->inner);
	sync_counts(r);
}

static int rl_flush(struct event_sink *base)
{
	struct ratelimit_sink *r = (struct ratelimit_sink *)base;
	int err = r->inner->flush ? r->inner->flush(r->inner) : 0;

	sync_counts(r);
	return err;
}

static void rl_destroy(struct event_sink *base)
{
	struct ratelimit_sink *r = (struct ratelimit_sink *)base;

	if (r->dropped)
		log_info("export: %llu events dropped in all by --export-rate-limit %llu/min",
			 (unsigned long long)r->dropped, (unsigned long long)r->per_minute);
	if (r->inner->destroy)
		r->inner->destroy(r->inner);
	free(r);
}

struct ratelimit_sink *ratelimit_sink_new(struct event_sink *inner, uint64_t per_minute, const char *node_name,
					  uint64_t now_ms)
{
	struct ratelimit_sink *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->base.name = inner->name;
	r->base.write = rl_write;
	r->base.flush = rl_flush;
	r->base.destroy = rl_destroy;
	r->base.counts_itself = 1;	/* sync_counts() */
	r->inner = inner;
	r->per_minute = per_minute;
	r->milli_tokens = per_minute * 1000;	/* a full bucket at start */
	r->now = mono_ms;
	r->last_ms = mono_ms();
	r->next_report_ms = now_ms + RATELIMIT_REPORT_MS;
	r->node_name = node_name;
	return r;
}

struct event_sink *ratelimit_sink_base(struct ratelimit_sink *r)
{
	return &r->base;
}

void ratelimit_sink_set_clock(struct ratelimit_sink *r, uint64_t (*now_ms)(void))
{
	r->now = now_ms;
	r->last_ms = now_ms();
}

uint64_t ratelimit_sink_dropped(const struct ratelimit_sink *r)
{
	return r ? r->dropped : 0;
}
