// SPDX-License-Identifier: Apache-2.0
/*
 * The line sinks' failure accounting: a closed stdout (EPIPE) stops that
 * sink with one log line and every event after it is counted in its errors
 * while the other sinks keep getting events; a batch that cannot be
 * written (a full disk) is counted as dropped, not lost silently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "event/pipeline.h"
#include "export/rotating_file.h"
#include "export/sinks.h"

static char logpath[64];
static int saved_stderr = -1;

/* The log goes to stderr: capture it in a file. */
static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(logpath, sizeof(logpath), "/tmp/test_sinks.XXXXXX");
	fd = mkstemp(logpath);
	if (fd < 0)
		return -1;
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	/* as the agent does: EPIPE instead of a fatal signal */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	unlink(logpath);
	return 0;
}

static char *read_log(void)
{
	static char buf[8192];
	int fd = open(logpath, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static int occurrences(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void emit_n(struct pipeline *p, int n)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;

	ev.node_name = "node1";
	for (int i = 0; i < n; i++)
		pipeline_emit(p, &ev);
}

static void test_closed_stdout(void **state)
{
	struct pipeline p = { 0 };
	struct event_sink *other;
	int closed[2], open_pipe[2];
	char buf[4096];
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(closed), 0);
	assert_int_equal(pipe2(open_pipe, O_NONBLOCK), 0);
	close(closed[0]);	/* `| head` has exited */
	other = json_fd_sink_new(open_pipe[1]);
	assert_non_null(other);
	assert_int_equal(pipeline_add_sink(&p, json_fd_sink_new(closed[1])), 0);
	assert_int_equal(pipeline_add_sink(&p, other), 0);

	emit_n(&p, 3);
	pipeline_flush(&p);
	/* the batch of 3 was taken, then lost */
	assert_int_equal(p.sinks[0]->written, 3);
	assert_int_equal(p.sinks[0]->errors, 3);
	assert_true(p.sinks[0]->stopped);
	emit_n(&p, 4);
	pipeline_flush(&p);
	assert_int_equal(p.sinks[0]->written, 3);
	assert_int_equal(p.sinks[0]->errors, 7);
	/* the other export got all 7 */
	assert_int_equal(other->written, 7);
	assert_int_equal(other->errors, 0);
	n = read(open_pipe[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(occurrences(buf, "\"node_name\":\"node1\""), 7);
	pipeline_destroy(&p);
	assert_int_equal(occurrences(read_log(),
				     "stdout is closed (EPIPE): no more events on standard output; other exports continue"),
			 1);
	assert_int_equal(occurrences(read_log(), "level=warn"), 1);
	close(closed[1]);
	close(open_pipe[0]);
	close(open_pipe[1]);
}

/* /dev/full: every write fails with ENOSPC; the events are counted as
 * dropped, the sink stays on (the disk may get space again). */
static void test_failed_batch_counted(void **state)
{
	struct rotating_file_opts o = { .path = "/dev/full" };
	struct rotating_file *f;
	struct pipeline p = { 0 };
	struct event_sink *s;

	(void)state;
	assert_int_equal(rotating_file_open(&f, &o), 0);
	s = json_file_sink_new(f);
	assert_non_null(s);
	assert_int_equal(pipeline_add_sink(&p, s), 0);
	emit_n(&p, 2);
	pipeline_flush(&p);
	assert_int_equal(s->written, 2);
	assert_int_equal(s->errors, 2);
	assert_false(s->stopped);
	emit_n(&p, 1);
	pipeline_flush(&p);
	assert_int_equal(s->errors, 3);
	assert_non_null(strstr(read_log(), "sink json-file: writing 2 event(s) failed, dropped: No space left "
					   "on device (2 events dropped so far)"));
	pipeline_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_closed_stdout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_batch_counted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
