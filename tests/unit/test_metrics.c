// SPDX-License-Identifier: Apache-2.0
/* Prometheus text exposition: headers, label escaping, number formats; the
 * labelled counter table (ordering, bound); the event-counting sink and its
 * label filter. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "metrics/event_counts.h"
#include "metrics/exposition.h"
#include "metrics/http_server.h"
#include "metrics/registry.h"

static void test_family_and_samples(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct metric_label l[2] = { { "hook", "kprobe:__x64_sys_openat" }, { "policy", "p1" } };

	(void)state;
	metrics_family(&sb, "tetragon_policy_events_total", "Policy events calls observed.", METRIC_COUNTER);
	metrics_sample_u64(&sb, "tetragon_policy_events_total", l, 2, 18446744073709551615ULL);
	metrics_family(&sb, "tetragon_process_cache_size", "The size", METRIC_GAUGE);
	metrics_sample_u64(&sb, "tetragon_process_cache_size", NULL, 0, 0);
	assert_string_equal(sb.buf,
			    "# HELP tetragon_policy_events_total Policy events calls observed.\n"
			    "# TYPE tetragon_policy_events_total counter\n"
			    "tetragon_policy_events_total{hook=\"kprobe:__x64_sys_openat\",policy=\"p1\"} "
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
	/* HELP escapes backslash and newline only; label values also the quote */
	metrics_family(&sb, "m", "help with \\ and\nnewline \"quoted\"", METRIC_GAUGE);
	metrics_sample_u64(&sb, "m", &l, 1, 1);
	assert_string_equal(sb.buf,
			    "# HELP m help with \\\\ and\\nnewline \"quoted\"\n"
			    "# TYPE m gauge\n"
			    "m{binary=\"/tmp/a \\\"b\\\"\\\\c\\nd\"} 1\n");
	strbuf_free(&sb);
}

static void test_utf8(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	/* valid: é (2 bytes), € (3), 😀 (4); invalid: a lone continuation byte, a
	 * truncated sequence at the end, an overlong '/' and a surrogate */
	struct metric_label l[2] = { { "a", "/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
				     { "b", "x\x80y\xc0\xafz\xed\xa0\x80w\xe2\x82" } };

	(void)state;
	metrics_sample_u64(&sb, "m", l, 2, 7);
	assert_string_equal(sb.buf, "m{a=\"/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
				    "b=\"x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdw"
				    "\xef\xbf\xbd\xef\xbf\xbd\"} 7\n");
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
	metrics_sample_double(&sb, "f", NULL, 0, 0.15);	/* not 0.14999999999999999 */
	metrics_sample_double(&sb, "g", NULL, 0, 0.1 + 0.2);	/* needs all 17 digits */
	metrics_sample_double(&sb, "h", NULL, 0, -1);
	assert_string_equal(sb.buf, "a 0.25\nb NaN\nc +Inf\nd -Inf\ne 1795584271.7\nf 0.15\n"
				    "g 0.30000000000000004\nh -1\n");
	strbuf_free(&sb);
}

static const char *const two[] = { "binary", "type" };

static void test_mtable_sorted(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct mtable t;
	const char *v1[] = { "/bin/sh", "PROCESS_EXIT" }, *v2[] = { "/bin/ls", "PROCESS_EXEC" },
		   *v3[] = { "/bin/sh", "PROCESS_EXEC" }, *v4[] = { NULL, "PROCESS_EXEC" };

	(void)state;
	assert_int_equal(mtable_init(&t, two, 2, 100), 0);
	mtable_render(&t, &sb, "m");
	assert_null(sb.buf);	/* no samples, nothing written */
	assert_int_equal(mtable_add(&t, v1, 1, false), 0);
	assert_int_equal(mtable_add(&t, v2, 2, false), 0);
	assert_int_equal(mtable_add(&t, v3, 3, false), 0);
	assert_int_equal(mtable_add(&t, v1, 10, false), 0);
	assert_int_equal(mtable_add(&t, v4, 5, false), 0);
	assert_int_equal(t.n, 4);
	assert_int_equal(mtable_get(&t, v1), 11);
	mtable_render(&t, &sb, "m");
	/* sorted by label values, first label first; NULL reads as "" */
	assert_string_equal(sb.buf, "m{binary=\"\",type=\"PROCESS_EXEC\"} 5\n"
				    "m{binary=\"/bin/ls\",type=\"PROCESS_EXEC\"} 2\n"
				    "m{binary=\"/bin/sh\",type=\"PROCESS_EXEC\"} 3\n"
				    "m{binary=\"/bin/sh\",type=\"PROCESS_EXIT\"} 11\n");
	strbuf_free(&sb);
	mtable_free(&t);
}

static void test_mtable_bound_and_growth(void **state)
{
	struct mtable t;
	char name[32];
	const char *v[] = { name, "T" };
	const char *a[] = { "a", "T" }, *b[] = { "a\0", "T" }, *split1[] = { "ab", "c" }, *split2[] = { "a", "bc" };

	(void)state;
	assert_int_equal(mtable_init(&t, two, 2, 1000), 0);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "/bin/p%d", i);
		assert_int_equal(mtable_add(&t, v, (uint64_t)i, false), 0);
	}
	/* every entry survives the rehashes */
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "/bin/p%d", i);
		assert_int_equal(mtable_get(&t, v), (uint64_t)i);
	}
	/* full: a new tuple is refused, an existing one still counts; force adds */
	assert_int_equal(mtable_add(&t, a, 1, false), -ENOSPC);
	snprintf(name, sizeof(name), "/bin/p7");
	assert_int_equal(mtable_add(&t, v, 1, false), 0);
	assert_int_equal(mtable_get(&t, v), 8);
	assert_int_equal(mtable_add(&t, a, 1, true), 0);
	assert_int_equal(mtable_add(&t, b, 1, false), 0);	/* same strings: no new entry */
	assert_int_equal(mtable_get(&t, a), 2);
	assert_int_equal(t.n, 1001);
	mtable_free(&t);

	/* values do not run into each other */
	assert_int_equal(mtable_init(&t, two, 2, 10), 0);
	mtable_add(&t, split1, 1, false);
	mtable_add(&t, split2, 2, false);
	assert_int_equal(t.n, 2);
	assert_int_equal(mtable_get(&t, split1), 1);
	assert_int_equal(mtable_get(&t, split2), 2);
	mtable_free(&t);
	assert_int_equal(mtable_init(&t, two, MTABLE_MAX_LABELS + 1, 10), -EINVAL);
}

static void test_label_filter(void **state)
{
	struct metrics_label_filter f;

	(void)state;
	metrics_label_filter_parse(&f, METRICS_DEFAULT_LABEL_FILTER);
	assert_true(f.namespace_ && f.workload && f.pod && f.binary);
	assert_false(f.node_name);
	metrics_label_filter_parse(&f, " node_name , bogus,,binary");
	assert_true(f.binary && f.node_name);
	assert_false(f.namespace_ || f.workload || f.pod);
	metrics_label_filter_parse(&f, "");
	assert_false(f.namespace_ || f.workload || f.pod || f.binary || f.node_name);
}

static void emit(struct event_counts *c, Tetragon__GetEventsResponse *ev)
{
	assert_int_equal(c->base.write(&c->base, ev), 0);
}

static void test_event_counts(void **state)
{
	struct event_counts *c = event_counts_new(NULL);
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__Process proc = TETRAGON__PROCESS__INIT;
	Tetragon__Pod pod = TETRAGON__POD__INIT;
	Tetragon__ProcessExec ex = TETRAGON__PROCESS_EXEC__INIT;
	Tetragon__ProcessKprobe kp = TETRAGON__PROCESS_KPROBE__INIT;
	Tetragon__ProcessTracepoint tp = TETRAGON__PROCESS_TRACEPOINT__INIT;
	Tetragon__ProcessUprobe up = TETRAGON__PROCESS_UPROBE__INIT;
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_non_null(c);
	ev.node_name = "node1";
	proc.binary = "/usr/bin/cat";
	proc.flags = "execve rootcwd clone";
	ex.process = &proc;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC;
	ev.process_exec = &ex;
	emit(c, &ev);
	ex.process = NULL;	/* an exec without its process */
	emit(c, &ev);
	assert_int_equal(c->missing_process, 1);

	kp.function_name = "__x64_sys_openat";
	kp.policy_name = "p";
	kp.process = &proc;
	pod.namespace_ = "ns1";
	pod.name = "pod1";
	pod.workload = "wl";
	proc.pod = &pod;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE;
	ev.process_kprobe = &kp;
	emit(c, &ev);
	emit(c, &ev);
	tp.subsys = "sched";
	tp.event = "sched_process_exec";
	tp.policy_name = "p";
	tp.process = &proc;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT;
	ev.process_tracepoint = &tp;
	emit(c, &ev);
	up.path = "/bin/bash";
	up.symbol = "readline";
	up.policy_name = "";	/* no policy name: counted by type only */
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE;
	ev.process_uprobe = &up;
	emit(c, &ev);
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_TEST;	/* not counted */
	emit(c, &ev);

	mtable_render(&c->events, &sb, "e");
	mtable_render(&c->policy, &sb, "p");
	/* node_name is off by default: "" as upstream */
	assert_string_equal(
		sb.buf,
		"e{binary=\"\",namespace=\"\",node_name=\"\",pod=\"\",type=\"PROCESS_EXEC\",workload=\"\"} 1\n"
		"e{binary=\"\",namespace=\"\",node_name=\"\",pod=\"\",type=\"PROCESS_UPROBE\",workload=\"\"} 1\n"
		"e{binary=\"/usr/bin/cat\",namespace=\"\",node_name=\"\",pod=\"\",type=\"PROCESS_EXEC\",workload=\"\"} 1\n"
		"e{binary=\"/usr/bin/cat\",namespace=\"ns1\",node_name=\"\",pod=\"pod1\",type=\"PROCESS_KPROBE\","
		"workload=\"wl\"} 2\n"
		"e{binary=\"/usr/bin/cat\",namespace=\"ns1\",node_name=\"\",pod=\"pod1\",type=\"PROCESS_TRACEPOINT\","
		"workload=\"wl\"} 1\n"
		"p{binary=\"/usr/bin/cat\",hook=\"kprobe:__x64_sys_openat\",namespace=\"ns1\",node_name=\"\","
		"pod=\"pod1\",policy=\"p\",workload=\"wl\"} 2\n"
		"p{binary=\"/usr/bin/cat\",hook=\"tracepoint:sched/sched_process_exec\",namespace=\"ns1\","
		"node_name=\"\",pod=\"pod1\",policy=\"p\",workload=\"wl\"} 1\n");
	{
		const char *execve[] = { "execve" }, *clone[] = { "clone" }, *procfs[] = { "procFS" };

		assert_int_equal(mtable_get(&c->flags, execve), 1);
		assert_int_equal(mtable_get(&c->flags, clone), 1);
		assert_int_equal(mtable_get(&c->flags, procfs), 0);
		assert_true(c->flags.n >= 20);	/* upstream's names listed at 0 */
	}
	assert_string_equal(event_counts_type_name(TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT),
			    "PROCESS_EXIT");
	assert_null(event_counts_type_name(0));
	strbuf_free(&sb);
	c->base.destroy(&c->base);
}

static void test_event_counts_filter_and_bound(void **state)
{
	struct metrics_label_filter f;
	struct event_counts *c;
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__Process proc = TETRAGON__PROCESS__INIT;
	Tetragon__ProcessExit ex = TETRAGON__PROCESS_EXIT__INIT;
	char bin[32];

	(void)state;
	metrics_label_filter_parse(&f, "node_name");
	c = event_counts_new(&f);
	assert_non_null(c);
	ev.node_name = "node1";
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT;
	ev.process_exit = &ex;
	ex.process = &proc;
	proc.binary = "/bin/x";
	emit(c, &ev);
	{
		const char *v[] = { "", "", "node1", "", "PROCESS_EXIT", "" };

		assert_int_equal(mtable_get(&c->events, v), 1);	/* binary filtered out */
	}
	c->base.destroy(&c->base);

	/* past the bound, new binaries count under binary="" */
	c = event_counts_new(NULL);
	assert_non_null(c);
	proc.binary = bin;
	for (int i = 0; i < EVENT_COUNTS_MAX_SERIES + 10; i++) {
		snprintf(bin, sizeof(bin), "/bin/p%d", i);
		emit(c, &ev);
	}
	assert_int_equal(c->events.n, EVENT_COUNTS_MAX_SERIES + 1);
	assert_int_equal(c->label_overflow, 10);
	{
		const char *v[] = { "", "", "", "", "PROCESS_EXIT", "" };

		assert_int_equal(mtable_get(&c->events, v), 10);
	}
	c->base.destroy(&c->base);
}

static void test_syscalls(void **state)
{
	struct event_counts *c = event_counts_new(NULL);
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__Process proc = TETRAGON__PROCESS__INIT;
	Tetragon__ProcessTracepoint tp = TETRAGON__PROCESS_TRACEPOINT__INIT;
	Tetragon__KprobeArgument a0 = TETRAGON__KPROBE_ARGUMENT__INIT, a1 = TETRAGON__KPROBE_ARGUMENT__INIT;
	Tetragon__KprobeArgument *args[2] = { &a0, &a1 };
	Tetragon__SyscallId id = TETRAGON__SYSCALL_ID__INIT;
	const char *want[] = { "/bin/x", "", "", "", "getppid", "" };

	(void)state;
	assert_non_null(c);
	proc.binary = "/bin/x";
	tp.process = &proc;
	tp.subsys = "raw_syscalls";
	tp.event = "sys_enter";
	tp.policy_name = "p";
	a0.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_INT_ARG;
	a1.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_SYSCALL_ID;
	a1.syscall_id = &id;
	id.id = 110;
	id.abi = "x64";
	tp.args = args;
	tp.n_args = 2;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT;
	ev.process_tracepoint = &tp;
	emit(c, &ev);
	emit(c, &ev);
	assert_int_equal(mtable_get(&c->syscalls, want), 2);
	id.abi = "i386";	/* no table for it: not counted */
	emit(c, &ev);
	id.abi = "x64";
	id.id = 100000;	/* unknown number */
	emit(c, &ev);
	tp.event = "sys_exit";	/* only sys_enter counts */
	id.id = 110;
	emit(c, &ev);
	assert_int_equal(c->syscalls.n, 1);
	assert_int_equal(mtable_get(&c->syscalls, want), 2);
	c->base.destroy(&c->base);
}

/* a loopback port free now (the server binds it right after) */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* GET /metrics on 127.0.0.1:port: the whole answer in buf */
static void scrape(int port, char *buf, size_t size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 10 };
	const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
	size_t n = 0;
	ssize_t r;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
}

/*
 * The agent holds more than FD_SETSIZE (1024) descriptors once a few dozen
 * policies are loaded: a scrape accepted on a descriptor above it must be
 * answered (a select() loop closed it unanswered).
 */
static void test_server_many_descriptors(void **state)
{
	enum { HELD = 1100 };
	struct metrics_server *s = NULL;
	struct rlimit rl, old;
	char addr[32], err[256], buf[512];
	int port, fds[HELD], n = 0;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	if (rl.rlim_cur < HELD + 64) {
		if (rl.rlim_max < HELD + 64)
			skip();	/* the hard limit allows no more */
		rl.rlim_cur = HELD + 64;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	port = free_port();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	assert_int_equal(metrics_server_start(&s, addr, err, sizeof(err)), 0);
	metrics_server_publish(s, "tg_test 1\n", 10);
	scrape(port, buf, sizeof(buf));
	assert_non_null(strstr(buf, " 200 "));
	while (n < HELD) {
		fds[n] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(fds[n] >= 0);
		n++;
	}
	assert_true(fds[n - 1] >= 1024);
	scrape(port, buf, sizeof(buf));
	assert_non_null(strstr(buf, " 200 "));
	assert_non_null(strstr(buf, "\r\n\r\ntg_test 1\n"));
	assert_int_equal(metrics_server_scrapes(s), 2);
	while (n > 0)
		close(fds[--n]);
	metrics_server_stop(s);
	setrlimit(RLIMIT_NOFILE, &old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_and_samples),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_mtable_sorted),
		cmocka_unit_test(test_mtable_bound_and_growth),
		cmocka_unit_test(test_label_filter),
		cmocka_unit_test(test_event_counts),
		cmocka_unit_test(test_event_counts_filter_and_bound),
		cmocka_unit_test(test_syscalls),
		cmocka_unit_test(test_server_many_descriptors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
