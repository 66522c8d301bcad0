// SPDX-License-Identifier: Apache-2.0
/*
 * --export-rate-limit's sink (export/ratelimit.h) with a fake clock: a full
 * bucket of N at start, refill at N a minute, drops counted, the minute's
 * rate_limit_info event written past the limit, nothing reported when
 * nothing was dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "export/ratelimit.h"

static uint64_t clock_ms;
static uint64_t fake_now(void)
{
	return clock_ms;
}

struct capture {
	struct event_sink base;
	int n, infos;
	uint64_t info_dropped;
	char node[64];
};

static int cap_write(struct event_sink *s, const Tetragon__GetEventsResponse *ev)
{
	struct capture *c = (struct capture *)s;

	c->n++;
	if (ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT_RATE_LIMIT_INFO) {
		c->infos++;
		c->info_dropped += ev->rate_limit_info->number_of_dropped_process_events;
		strncpy(c->node, ev->node_name ? ev->node_name : "", sizeof(c->node) - 1);
		assert_non_null(ev->time);
	}
	return 0;
}

static void cap_destroy(struct event_sink *s)
{
	(void)s;	/* on the stack */
}

static void emit(struct event_sink *s, int n)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;

	for (int i = 0; i < n; i++)
		assert_int_equal(s->write(s, &ev), 0);
}

static void test_bucket(void **state)
{
	struct capture c = { .base = { .name = "cap", .write = cap_write, .destroy = cap_destroy } };
	struct ratelimit_sink *r;
	struct event_sink *s;

	(void)state;
	clock_ms = 1000000;
	r = ratelimit_sink_new(&c.base, 60, "node-a", clock_ms);
	assert_non_null(r);
	ratelimit_sink_set_clock(r, fake_now);
	s = ratelimit_sink_base(r);

	/* 60 a minute: the first 60 pass at once, then none */
	emit(s, 100);
	assert_int_equal(c.n, 60);
	assert_int_equal(ratelimit_sink_dropped(r), 40);
	assert_int_equal(s->written, 60);
	/* one a second comes back */
	clock_ms += 1000;
	emit(s, 3);
	assert_int_equal(c.n, 61);
	clock_ms += 500;
	emit(s, 1);
	assert_int_equal(c.n, 61);
	clock_ms += 500;
	emit(s, 1);
	assert_int_equal(c.n, 62);
	assert_int_equal(ratelimit_sink_dropped(r), 40 + 2 + 1);

	/* before the minute: no report */
	ratelimit_sink_tick(r, 1000000 + 59999);
	assert_int_equal(c.infos, 0);
	/* the minute: one report of what was dropped, written past the limit */
	ratelimit_sink_tick(r, 1000000 + 60000);
	assert_int_equal(c.infos, 1);
	assert_int_equal(c.info_dropped, 43);
	assert_string_equal(c.node, "node-a");
	assert_int_equal(c.n, 63);
	/* nothing dropped since: no report the next minute */
	ratelimit_sink_tick(r, 1000000 + 120000);
	assert_int_equal(c.infos, 1);
	/* a long quiet spell refills the bucket to N, not more */
	clock_ms += 3600 * 1000;
	emit(s, 61);
	assert_int_equal(c.n, 63 + 60);
	ratelimit_sink_tick(r, 1000000 + 180000);
	assert_int_equal(c.infos, 2);
	assert_int_equal(c.info_dropped, 44);
	assert_int_equal(ratelimit_sink_dropped(r), 44);
	s->destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
