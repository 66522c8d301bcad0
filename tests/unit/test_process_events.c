// SPDX-License-Identifier: Apache-2.0
/* Kernel message decoding: real-shaped messages produce the right events,
 * truncated or garbage ones are counted and never crash. */
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event/process_events.h"

struct capture {
	struct event_sink base;
	int execs, exits;
	char binary[256], args[256], parent_exec_id[128], signal[32];
	uint32_t status;
};

static int capture_write(struct event_sink *s, const Tetragon__GetEventsResponse *ev)
{
	struct capture *c = (struct capture *)s;

	if (ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC) {
		c->execs++;
		snprintf(c->binary, sizeof(c->binary), "%s", ev->process_exec->process->binary);
		snprintf(c->args, sizeof(c->args), "%s", ev->process_exec->process->arguments);
		snprintf(c->parent_exec_id, sizeof(c->parent_exec_id), "%s",
			 ev->process_exec->process->parent_exec_id);
	} else if (ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT) {
		c->exits++;
		snprintf(c->signal, sizeof(c->signal), "%s",
			 ev->process_exit->signal ? ev->process_exit->signal : "");
		c->status = ev->process_exit->status;
	}
	return 0;
}

struct env {
	struct pipeline pl;
	struct capture cap;
	struct process_events pe;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct process_cache_opts co = { .node_name = "n", .view_free = process_view_free };

	e->cap.base.name = "capture";
	e->cap.base.write = capture_write;
	pipeline_add_sink(&e->pl, &e->cap.base);
	assert_int_equal(process_cache_new(&e->pe.cache, &co), 0);
	e->pe.pipeline = &e->pl;
	e->pe.node_name = "n";
	e->pe.view.cred = true;
	e->pe.view.ns = true;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	process_cache_free(e->pe.cache);
	free(e);
	return 0;
}

static size_t make_exec(char *buf, uint32_t pid, uint64_t ktime, uint32_t ppid, uint64_t pktime,
			const char *file, const char *args, size_t args_len, const char *cwd)
{
	struct msg_exec *m = (struct msg_exec *)buf;
	char *d = (char *)(m + 1);
	size_t fl = strlen(file), cl = strlen(cwd);

	memset(m, 0, sizeof(*m));
	m->common.op = MSG_OP_EXECVE;
	m->self.pid = pid;
	m->self.ktime = ktime;
	m->parent.pid = ppid;
	m->parent.ktime = pktime;
	m->parent_pid = ppid;
	m->tid = pid;
	m->flags = EVENT_EXECVE;
	m->filename_len = (uint16_t)fl;
	m->args_len = (uint32_t)args_len;
	m->cwd_len = (uint16_t)cl;
	memcpy(d, file, fl);
	memcpy(d + fl, args, args_len);
	memcpy(d + fl + args_len, cwd, cl);
	m->common.size = (uint32_t)(sizeof(*m) + fl + args_len + cl);
	return m->common.size;
}

static void test_exec_exit_roundtrip(void **state)
{
	struct env *e = *state;
	char buf[4096];
	struct msg_exit x = { 0 };
	size_t n;

	n = make_exec(buf, 10, 100, 0, 0, "/bin/sh", "-c\0exit 3", 9, "/root");
	process_events_handle(&e->pe, buf, n);
	n = make_exec(buf, 11, 200, 10, 100, "./true", "a b\0c", 5, "/usr/bin");
	process_events_handle(&e->pe, buf, n);
	assert_int_equal(e->cap.execs, 2);
	assert_string_equal(e->cap.binary, "/usr/bin/true");
	assert_string_equal(e->cap.args, "\"a b\" c");
	assert_string_equal(e->cap.parent_exec_id, "bjoxMDA6MTA=");	/* n:100:10 */

	x.common.op = MSG_OP_EXIT;
	x.self.pid = 11;
	x.self.ktime = 200;
	x.code = 9;	/* killed by SIGKILL */
	process_events_handle(&e->pe, &x, sizeof(x));
	assert_int_equal(e->cap.exits, 1);
	assert_string_equal(e->cap.signal, "SIGKILL");
	x.self.pid = 10;
	x.self.ktime = 100;
	x.code = 3 << 8;
	process_events_handle(&e->pe, &x, sizeof(x));
	assert_int_equal(e->cap.exits, 2);
	assert_string_equal(e->cap.signal, "");
	assert_int_equal(e->cap.status, 3);
	assert_int_equal(e->pe.bad_msgs, 0);
}

static void test_truncated_and_garbage(void **state)
{
	struct env *e = *state;
	char buf[4096];
	size_t n = make_exec(buf, 10, 100, 0, 0, "/bin/sh", "x", 1, "/");
	unsigned int seed = 42;

	/* every truncation of a valid message */
	for (size_t len = 0; len < n; len++)
		process_events_handle(&e->pe, buf, len);
	assert_int_equal(e->cap.execs, 0);
	/* lengths claiming more than the record holds */
	((struct msg_exec *)buf)->args_len = 1u << 30;
	process_events_handle(&e->pe, buf, n);
	assert_int_equal(e->cap.execs, 0);
	/* random records of random opcodes */
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(buf);

		for (size_t k = 0; k < len; k++)
			buf[k] = (char)rand_r(&seed);
		buf[0] = (char)(i % 3 == 0 ? MSG_OP_EXECVE : i % 3 == 1 ? MSG_OP_EXIT : MSG_OP_CLONE);
		process_events_handle(&e->pe, buf, len);
	}
	assert_true(e->pe.bad_msgs > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exec_exit_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_garbage, setup, teardown),
	};
	return cmocka_run_group_tests_name("process_events", tests, NULL, NULL);
}
