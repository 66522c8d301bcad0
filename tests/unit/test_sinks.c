// SPDX-License-Identifier: Apache-2.0
/*
 * The line sinks' failure accounting: a closed stdout (EPIPE) stops that
 * sink with one log line and every event after it is counted in its errors
 * while the other sinks keep getting events; an event is counted as
 * written only once its whole line is in the file, and every event of a
 * batch that could not be written (a full disk, a file size limit, a write
 * cut short) as lost, with a warning when writing starts failing and one
 * when it works again. One JSON encode serves every JSON output.
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event/pipeline.h"
#include "export/rotating_file.h"
#include "export/sinks.h"
#include "filters/export.h"

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
	/* the batch of 3 was taken, then lost: never counted as written */
	assert_int_equal(p.sinks[0]->written, 0);
	assert_int_equal(p.sinks[0]->errors, 3);
	assert_true(p.sinks[0]->stopped);
	emit_n(&p, 4);
	pipeline_flush(&p);
	assert_int_equal(p.sinks[0]->written, 0);
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
 * lost and never as written, the sink stays on (the disk may get space
 * again), one warning for the failing spell. */
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
	assert_int_equal(s->written, 0);
	assert_int_equal(s->errors, 2);
	assert_int_equal(s->bytes, 0);
	assert_false(s->stopped);
	for (int i = 0; i < 100; i++) {
		emit_n(&p, 1);
		pipeline_flush(&p);
	}
	assert_int_equal(s->written, 0);
	assert_int_equal(s->errors, 102);
	assert_non_null(strstr(read_log(), "sink json-file: writing to the export file failed: No space left on "
					   "device; 2 event(s) lost, and every event until it works again "
					   "(counted in tetragon_sink_errors_total)"));
	/* one warning for 101 failed batches */
	assert_int_equal(occurrences(read_log(), "level=warn"), 1);
	pipeline_destroy(&p);
}

/* A JSON line of exactly @len bytes with the newline (len >= 17). */
static void emit_sized(struct pipeline *p, int n, size_t len)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	char name[256];

	/* {"node_name":"xxx"}\n is 17 bytes plus the name */
	assert_true(len >= 17 && len - 17 < sizeof(name));
	memset(name, 'x', len - 17);
	name[len - 17] = '\0';
	ev.node_name = name;
	for (int i = 0; i < n; i++)
		pipeline_emit(p, &ev);
}

static void set_fsize(rlim_t lim)
{
	struct rlimit rl = { lim, RLIM_INFINITY };

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static int lines_of(const char *path, size_t *size)
{
	char buf[1 << 16];
	int fd = open(path, O_RDONLY), n = 0;
	ssize_t r;

	assert_true(fd >= 0);
	r = read(fd, buf, sizeof(buf));
	assert_true(r >= 0);
	close(fd);
	*size = (size_t)r;
	for (ssize_t i = 0; i < r; i++)
		n += buf[i] == '\n';
	/* nothing torn: the file ends with a whole line */
	assert_true(r == 0 || buf[r - 1] == '\n');
	return n;
}

/*
 * A disk that fills up in the middle of a batch, then gets space again
 * (a file size limit stands in for the full disk: a write across it is cut
 * short, the next fails with EFBIG): the lines that made it are counted as
 * written and are exactly what the file holds, the torn one and the rest
 * of the batch as lost; warnings when it starts failing and when it works
 * again, with how many were lost meanwhile.
 */
static void test_partial_batch_and_recovery(void **state)
{
	char path[] = "/tmp/test_sinks_full.XXXXXX";
	struct rotating_file_opts o = { .path = path };
	struct rotating_file *f;
	struct pipeline p = { 0 };
	struct event_sink *s;
	size_t size;
	int fd;

	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(rotating_file_open(&f, &o), 0);
	s = json_file_sink_new(f);
	assert_int_equal(pipeline_add_sink(&p, s), 0);

	set_fsize(10 * 50 + 25);	/* room for 10.5 lines of 50 bytes */
	emit_sized(&p, 20, 50);
	pipeline_flush(&p);
	assert_int_equal(s->written, 10);
	assert_int_equal(s->errors, 10);
	assert_int_equal(s->bytes, 500);
	assert_int_equal(lines_of(path, &size), 10);
	assert_int_equal(size, 500);
	assert_non_null(strstr(read_log(), "sink json-file: writing to the export file failed: File too large; "
					   "10 event(s) lost (the whole lines before them were written)"));
	/* still full: a batch that fits only in part loses all of it */
	emit_sized(&p, 5, 50);
	pipeline_flush(&p);
	assert_int_equal(s->written, 10);
	assert_int_equal(s->errors, 15);
	assert_int_equal(lines_of(path, &size), 10);
	assert_int_equal(occurrences(read_log(), "level=warn"), 1);

	set_fsize(RLIM_INFINITY);	/* space again */
	emit_sized(&p, 3, 50);
	pipeline_flush(&p);
	assert_int_equal(s->written, 13);
	assert_int_equal(s->errors, 15);
	assert_int_equal(lines_of(path, &size), 13);
	assert_int_equal(s->written + s->errors, 28);
	assert_non_null(strstr(read_log(), "sink json-file: writing to the export file works again after "));
	assert_non_null(strstr(read_log(), "s; 15 event(s) were lost meanwhile"));
	assert_int_equal(occurrences(read_log(), "level=warn"), 2);
	pipeline_destroy(&p);
	unlink(path);
	signal(SIGXFSZ, SIG_DFL);
}

/* The same through --stdout json redirected to a file (no O_APPEND): the
 * torn line is taken back and the offset with it. */
static void test_stdout_file_partial(void **state)
{
	char path[] = "/tmp/test_sinks_out.XXXXXX";
	struct pipeline p = { 0 };
	struct event_sink *s;
	size_t size;
	int fd;

	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	s = json_fd_sink_new(fd);
	assert_int_equal(pipeline_add_sink(&p, s), 0);
	set_fsize(10 * 50 + 25);
	emit_sized(&p, 20, 50);
	pipeline_flush(&p);
	assert_int_equal(s->written, 10);
	assert_int_equal(s->errors, 10);
	assert_int_equal(lines_of(path, &size), 10);
	assert_int_equal(size, 500);
	set_fsize(RLIM_INFINITY);
	emit_sized(&p, 3, 50);
	pipeline_flush(&p);
	assert_int_equal(s->written, 13);
	assert_int_equal(lines_of(path, &size), 13);
	assert_int_equal(size, 650);
	pipeline_destroy(&p);
	close(fd);
	unlink(path);
	signal(SIGXFSZ, SIG_DFL);
}

/* Behind export filters, the wrapper shows what the file wrote and lost
 * (the metrics read it), not what it was offered. */
static void test_filtered_counts(void **state)
{
	struct rotating_file_opts o = { .path = "/dev/full" };
	struct rotating_file *f;
	struct pipeline p = { 0 };
	struct event_sink *s;

	(void)state;
	assert_int_equal(rotating_file_open(&f, &o), 0);
	s = json_file_sink_new(f);
	assert_int_equal(export_filters_wrap(&s, NULL, "{\"binary_regex\":[\"^/nothing$\"]}", NULL, false), 0);
	assert_int_equal(pipeline_add_sink(&p, s), 0);
	emit_n(&p, 4);
	pipeline_flush(&p);
	assert_int_equal(s->written, 0);
	assert_int_equal(s->errors, 4);
	pipeline_destroy(&p);
}

/* Two JSON outputs get the same bytes from one encode. */
static void test_json_outputs_identical(void **state)
{
	int a[2], b[2];
	struct pipeline p = { 0 };
	char ba[4096], bb[4096];
	ssize_t na, nb;

	(void)state;
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	assert_int_equal(pipeline_add_sink(&p, json_fd_sink_new(a[1])), 0);
	assert_int_equal(pipeline_add_sink(&p, json_fd_sink_new(b[1])), 0);
	emit_sized(&p, 3, 40);
	emit_n(&p, 2);
	pipeline_flush(&p);
	na = read(a[0], ba, sizeof(ba));
	nb = read(b[0], bb, sizeof(bb));
	assert_int_equal(na, 3 * 40 + 2 * 22);
	assert_int_equal(na, nb);
	assert_memory_equal(ba, bb, (size_t)na);
	assert_memory_equal(ba + 120, "{\"node_name\":\"node1\"}\n", 22);
	assert_int_equal(p.sinks[0]->written, 5);
	assert_int_equal(p.sinks[1]->written, 5);
	pipeline_destroy(&p);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/* Past the 256 KiB batch, and with a compact output in between: every
 * JSON output still gets the same bytes, one line per event. */
static void test_json_outputs_identical_across_batches(void **state)
{
	char pa[] = "/tmp/test_sinks_a.XXXXXX", pb[] = "/tmp/test_sinks_b.XXXXXX";
	int fa = mkstemp(pa), fb = mkstemp(pb), fc = open("/dev/null", O_WRONLY);
	struct pipeline p = { 0 };
	static char ba[1 << 20], bb[1 << 20];
	ssize_t na, nb;

	(void)state;
	assert_true(fa >= 0 && fb >= 0 && fc >= 0);
	assert_int_equal(pipeline_add_sink(&p, json_fd_sink_new(fa)), 0);
	assert_int_equal(pipeline_add_sink(&p, compact_fd_sink_new(fc, NULL)), 0);
	assert_int_equal(pipeline_add_sink(&p, json_fd_sink_new(fb)), 0);
	for (int i = 0; i < 3000; i++)
		emit_sized(&p, 1, 17 + (size_t)(i % 200));
	pipeline_flush(&p);
	assert_int_equal(p.sinks[0]->written, 3000);
	assert_int_equal(p.sinks[2]->written, 3000);
	na = pread(fa, ba, sizeof(ba), 0);
	nb = pread(fb, bb, sizeof(bb), 0);
	assert_true(na > 256 * 1024);
	assert_int_equal(na, nb);
	assert_memory_equal(ba, bb, (size_t)na);
	pipeline_destroy(&p);
	close(fa);
	close(fb);
	close(fc);
	unlink(pa);
	unlink(pb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_closed_stdout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_batch_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_batch_and_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdout_file_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filtered_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_outputs_identical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_outputs_identical_across_batches, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
