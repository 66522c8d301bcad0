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
	char docker[64], pod_id[128], order[64];	/* order: 'e'xec / e'x'it, in emission order */
};

static void capture_container(struct capture *c, const Tetragon__Process *p, char what)
{
	size_t n = strlen(c->order);

	snprintf(c->docker, sizeof(c->docker), "%s", p->docker ? p->docker : "");
	snprintf(c->pod_id, sizeof(c->pod_id), "%s", p->pod && p->pod->container ? p->pod->container->id : "");
	if (n + 1 < sizeof(c->order)) {
		c->order[n] = what;
		c->order[n + 1] = '\0';
	}
}

static int capture_write(struct event_sink *s, const Tetragon__GetEventsResponse *ev)
{
	struct capture *c = (struct capture *)s;

	if (ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC) {
		c->execs++;
		snprintf(c->binary, sizeof(c->binary), "%s", ev->process_exec->process->binary);
		snprintf(c->args, sizeof(c->args), "%s", ev->process_exec->process->arguments);
		snprintf(c->parent_exec_id, sizeof(c->parent_exec_id), "%s",
			 ev->process_exec->process->parent_exec_id);
		capture_container(c, ev->process_exec->process, 'e');
	} else if (ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT) {
		c->exits++;
		snprintf(c->signal, sizeof(c->signal), "%s",
			 ev->process_exit->signal ? ev->process_exit->signal : "");
		c->status = ev->process_exit->status;
		capture_container(c, ev->process_exit->process, 'x');
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

#define CID "3f1d5d7a0f8c4b8e9a2b6c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f"
#define CID2 "b3f1d5d7a0f8c4b8e9a2b6c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1"

/* the runtime client's part: a lookup starts, its events wait */
static void want(void *ctx, struct container *c)
{
	(void)ctx;
	if (c->lookup_state == CONTAINER_LOOKUP_NONE) {
		c->lookup_state = CONTAINER_LOOKUP_INFLIGHT;
		container_pending_add(c, CONTAINER_PENDING_RUNTIME);
	}
}

static size_t with_cgroup(char *buf, size_t n, uint64_t id, const char *path)
{
	struct msg_exec *m = (struct msg_exec *)buf;
	size_t l = strlen(path);

	m->cgrp.id = id;
	m->cgrp.path_len = (uint16_t)l;
	memcpy(buf + n, path, l);
	m->common.size = (uint32_t)(n + l);
	return n + l;
}

static void exit_of(struct env *e, uint32_t pid, uint64_t ktime)
{
	struct msg_exit x = { 0 };

	x.common.op = MSG_OP_EXIT;
	x.common.ktime = ktime + 1;
	x.self.pid = pid;
	x.self.ktime = ktime;
	process_events_handle(&e->pe, &x, sizeof(x));
}

/*
 * Events of a process in a container being looked up wait, in order (exit
 * after exec), until the answer: then they carry it; host processes never
 * wait; a fork without a path shares its parent's cgroup; past the wait,
 * events go without it and are counted.
 */
static void test_container_hold(void **state)
{
	struct env *e = *state;
	struct container_table *t;
	struct container *c;
	struct container_meta *m;
	struct msg_clone cl = { 0 };
	char buf[4096];
	size_t n;

	assert_int_equal(container_table_new(&t), 0);
	e->pe.containers = t;
	e->pe.on_container = want;
	e->pe.hold.wait_ms = 60000;
	e->pe.hold.max = 16;

	/* the container's init (it lives on), and a process that comes and goes */
	n = make_exec(buf, 20, 100, 0, 0, "/bin/sleep", "1", 1, "/");
	process_events_handle(&e->pe, buf, with_cgroup(buf, n, 555, "/docker/" CID));
	n = make_exec(buf, 22, 105, 20, 100, "/bin/echo", "1", 1, "/");
	process_events_handle(&e->pe, buf, with_cgroup(buf, n, 555, "/docker/" CID));
	exit_of(e, 22, 105);
	assert_int_equal(e->cap.execs, 0);
	assert_int_equal(e->cap.exits, 0);
	assert_int_equal(e->pe.hold.n, 3);
	/* a host process goes at once */
	n = make_exec(buf, 21, 110, 0, 0, "/bin/true", "", 0, "/");
	process_events_handle(&e->pe, buf, with_cgroup(buf, n, 1, "/"));
	assert_int_equal(e->cap.execs, 1);
	assert_string_equal(e->cap.docker, "");
	/* still waiting */
	process_events_release(&e->pe, 0, false);
	assert_int_equal(e->pe.hold.n, 3);
	/* the answer */
	c = container_table_find(t, CID);
	assert_non_null(c);
	m = calloc(1, sizeof(*m));
	m->scheme = "docker";
	m->name = strdup("web");
	container_set_meta(c, m);
	container_pending_done(c, CONTAINER_PENDING_RUNTIME);
	c->lookup_state = CONTAINER_LOOKUP_DONE;
	e->cap.order[0] = '\0';
	process_events_release(&e->pe, 0, false);
	assert_int_equal(e->pe.hold.n, 0);
	assert_string_equal(e->cap.order, "eex");
	assert_string_equal(e->cap.docker, "3f1d5d7a0f8c4b8e9a2b6c1d0e9f8a7");
	assert_string_equal(e->cap.pod_id, "docker://" CID);
	assert_int_equal(e->pe.hold.released, 3);

	/* later: at once, with what is known; a fork without a path shares its parent's cgroup */
	e->cap.pod_id[0] = '\0';
	n = make_exec(buf, 30, 300, 0, 0, "/bin/sh", "", 0, "/");
	process_events_handle(&e->pe, buf, with_cgroup(buf, n, 555, "/docker/" CID));
	assert_int_equal(e->pe.hold.n, 0);
	assert_string_equal(e->cap.pod_id, "docker://" CID);
	e->cap.pod_id[0] = '\0';
	cl.common.op = MSG_OP_CLONE;
	cl.common.ktime = 400;
	cl.self.pid = 31;
	cl.self.ktime = 400;
	cl.parent.pid = 30;
	cl.parent.ktime = 300;
	cl.parent_pid = 30;
	cl.cgrp.id = 555;
	process_events_handle(&e->pe, &cl, sizeof(cl));
	exit_of(e, 31, 400);
	assert_int_equal(e->pe.hold.n, 0);
	assert_string_equal(e->cap.order + strlen(e->cap.order) - 1, "x");
	assert_string_equal(e->cap.pod_id, "docker://" CID);
	assert_int_equal(e->pe.bad_msgs, 0);

	/* another container, whose answer never comes: released at the deadline, counted */
	n = make_exec(buf, 40, 500, 0, 0, "/bin/sleep", "2", 1, "/");
	process_events_handle(&e->pe, buf, with_cgroup(buf, n, 556, "/kubepods/besteffort/pod1234/" CID "x"));
	n = make_exec(buf, 41, 510, 0, 0, "/bin/sleep", "3", 1, "/");
	process_events_handle(&e->pe, buf, with_cgroup(buf, n, 557, "/system.slice/docker-" "a" CID ".scope"));
	assert_int_equal(e->pe.hold.n, 0);	/* not container ids: not held */
	n = make_exec(buf, 42, 520, 0, 0, "/bin/sleep", "4", 1, "/");
	process_events_handle(&e->pe, buf, with_cgroup(buf, n, 558, "/libpod_parent/libpod-" CID2));
	assert_int_equal(e->pe.hold.n, 1);
	process_events_release(&e->pe, UINT64_MAX - 1, false);
	assert_int_equal(e->pe.hold.n, 0);
	assert_string_equal(e->cap.docker, "b3f1d5d7a0f8c4b8e9a2b6c1d0e9f8a");
	assert_string_equal(e->cap.pod_id, "");
	assert_int_equal(e->pe.hold.failed_exec, 1);

	/* the hold is full: the oldest goes early */
	e->pe.hold.max = 1;
	n = make_exec(buf, 50, 600, 0, 0, "/bin/sleep", "5", 1, "/");
	process_events_handle(&e->pe, buf, with_cgroup(buf, n, 558, "/libpod_parent/libpod-" CID2));
	n = make_exec(buf, 51, 610, 0, 0, "/bin/sleep", "6", 1, "/");
	process_events_handle(&e->pe, buf, with_cgroup(buf, n, 558, "/libpod_parent/libpod-" CID2));
	assert_int_equal(e->pe.hold.overflows, 1);
	assert_int_equal(e->pe.hold.n, 1);
	process_events_release(&e->pe, 0, true);
	assert_int_equal(e->pe.hold.n, 0);

	process_cache_free(e->pe.cache);
	e->pe.cache = NULL;
	container_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exec_exit_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_container_hold, setup, teardown),
	};
	return cmocka_run_group_tests_name("process_events", tests, NULL, NULL);
}
