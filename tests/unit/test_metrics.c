// SPDX-License-Identifier: Apache-2.0
/* Prometheus text exposition: headers, label escaping, number formats; the
 * event-counting sink. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "metrics/event_counts.h"
#include "metrics/exposition.h"

static void test_family_and_samples(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct metric_label l[2] = { { "policy", "p1" }, { "hook", "kprobe:__x64_sys_openat" } };

	(void)state;
	metrics_family(&sb, "tetragon_policy_events_total", "Policy events calls observed.", METRIC_COUNTER);
	metrics_sample_u64(&sb, "tetragon_policy_events_total", l, 2, 18446744073709551615ULL);
	metrics_family(&sb, "tetragon_process_cache_size", "The size", METRIC_GAUGE);
	metrics_sample_u64(&sb, "tetragon_process_cache_size", NULL, 0, 0);
	assert_string_equal(sb.buf,
			    "# HELP tetragon_policy_events_total Policy events calls observed.\n"
			    "# TYPE tetragon_policy_events_total counter\n"
			    "tetragon_policy_events_total{policy=\"p1\",hook=\"kprobe:__x64_sys_openat\"} "
			    "18446744073709551615\n"
			    "# HELP tetragon_process_cache_size The size\n"
			    "# TYPE tetragon_process_cache_size gauge\n"
			    "tetragon_process_cache_size 0\n");
	strbuf_free(&sb);
}

static void test_escaping(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct metric_label l = { "binary", "/tmp/a \"b\"\\c\nd" };

	(void)state;
	metrics_family(&sb, "m", "help with \\ and\nnewline \"quoted\"", METRIC_GAUGE);
	metrics_sample_u64(&sb, "m", &l, 1, 1);
	assert_string_equal(sb.buf,
			    "# HELP m help with \\\\ and\\nnewline \"quoted\"\n"
			    "# TYPE m gauge\n"
			    "m{binary=\"/tmp/a \\\"b\\\"\\\\c\\nd\"} 1\n");
	strbuf_free(&sb);
}

static void test_doubles(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	metrics_sample_double(&sb, "a", NULL, 0, 0.25);
	metrics_sample_double(&sb, "b", NULL, 0, NAN);
	metrics_sample_double(&sb, "c", NULL, 0, INFINITY);
	metrics_sample_double(&sb, "d", NULL, 0, -INFINITY);
	metrics_sample_double(&sb, "e", NULL, 0, 1795584271.7);
	assert_string_equal(sb.buf, "a 0.25\nb NaN\nc +Inf\nd -Inf\ne 1795584271.7\n");
	strbuf_free(&sb);
}

static void test_event_counts(void **state)
{
	struct event_counts *c = event_counts_new();
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessKprobe kp = TETRAGON__PROCESS_KPROBE__INIT;
	Tetragon__ProcessTracepoint tp = TETRAGON__PROCESS_TRACEPOINT__INIT;
	Tetragon__ProcessUprobe up = TETRAGON__PROCESS_UPROBE__INIT;

	(void)state;
	assert_non_null(c);
	kp.function_name = "__x64_sys_openat";
	kp.policy_name = "p";
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE;
	ev.process_kprobe = &kp;
	c->base.write(&c->base, &ev);
	c->base.write(&c->base, &ev);
	tp.subsys = "sched";
	tp.event = "sched_process_exec";
	tp.policy_name = "p";
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT;
	ev.process_tracepoint = &tp;
	c->base.write(&c->base, &ev);
	up.path = "/bin/bash";
	up.symbol = "readline";
	up.policy_name = "";	/* no policy name: counted by type only */
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE;
	ev.process_uprobe = &up;
	c->base.write(&c->base, &ev);
	assert_int_equal(c->by_case[TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE], 2);
	assert_int_equal(c->by_case[TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE], 1);
	assert_int_equal(c->npolicies, 2);
	assert_string_equal(c->policies[0].hook, "kprobe:__x64_sys_openat");
	assert_int_equal(c->policies[0].n, 2);
	assert_string_equal(c->policies[1].hook, "tracepoint:sched/sched_process_exec");
	assert_string_equal(event_counts_type_name(TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT),
			    "PROCESS_EXIT");
	assert_null(event_counts_type_name(0));
	c->base.destroy(&c->base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_and_samples),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_event_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
