// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "process/args.h"
#include "process/cache.h"

static struct process_cache *new_cache(void)
{
	struct process_cache_opts o = { .node_name = "node1" };
	struct process_cache *c;

	assert_int_equal(process_cache_new(&c, &o), 0);
	return c;
}

static struct process *add(struct process_cache *c, uint32_t pid, uint64_t ktime, uint32_t ppid,
			   uint64_t pktime, const struct msg_execve_key *replaced)
{
	struct process e = { .pid = pid, .ktime = ktime };
	struct msg_execve_key pk = { .pid = ppid, .ktime = pktime };

	e.binary = strdup("/bin/x");
	e.arguments = strdup("");
	e.cwd = strdup("/");
	return process_cache_add(c, &e, &pk, ppid, replaced);
}

static void test_exec_id_format(void **state)
{
	struct process_cache *c = new_cache();
	char *id = process_cache_exec_id(c, 52699, 13548674321373ULL);

	(void)state;
	/* base64("node1:13548674321373:52699") */
	assert_string_equal(id, "bm9kZTE6MTM1NDg2NzQzMjEzNzM6NTI2OTk=");
	free(id);
	process_cache_free(c);
}

static void test_parent_linkage_and_release(void **state)
{
	struct process_cache *c = new_cache();
	struct process_cache_stats st;
	struct process *sh, *child, *p;

	(void)state;
	sh = add(c, 100, 1000, 0, 0, NULL);
	assert_non_null(sh);
	child = add(c, 101, 2000, 100, 1000, NULL);
	assert_ptr_equal(child->parent, sh);
	assert_string_equal(child->parent_exec_id, sh->exec_id);
	assert_int_equal(sh->refcnt, 2);

	/* the parent exits first: kept while the child needs it */
	process_cache_exit(c, sh);
	p = process_cache_get(c, 100, 1000);
	assert_ptr_equal(p, sh);
	assert_null(process_cache_get(c, 100, 0));	/* no longer current */
	process_cache_exit(c, child);
	process_cache_stats(c, &st);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.frees, 2);
	process_cache_free(c);
}

static void test_exec_replaces_clone(void **state)
{
	struct process_cache *c = new_cache();
	struct msg_execve_key rk = { .pid = 201, .ktime = 5000 };
	struct process_cache_stats st;
	struct process *parent, *clone, *exec;

	(void)state;
	parent = add(c, 200, 100, 0, 0, NULL);
	clone = add(c, 201, 5000, 200, 100, NULL);
	assert_non_null(clone);
	exec = add(c, 201, 6000, 200, 100, &rk);
	assert_ptr_equal(process_cache_get(c, 201, 0), exec);
	/* the clone had no children: gone */
	assert_null(process_cache_get(c, 201, 5000));
	assert_ptr_equal(exec->parent, parent);
	process_cache_exit(c, exec);
	process_cache_exit(c, parent);
	process_cache_stats(c, &st);
	assert_int_equal(st.size, 0);
	process_cache_free(c);
}

static void test_exec_storm_memory_flat(void **state)
{
	struct process_cache *c = new_cache();
	struct process_cache_stats st;
	struct process *bench = add(c, 1, 1, 0, 0, NULL);

	(void)state;
	for (uint32_t i = 0; i < 200000; i++) {
		uint32_t pid = 1000 + (i % 30000);
		struct msg_execve_key rk = { .pid = pid, .ktime = 10ULL * i + 2 };
		struct process *e;

		assert_non_null(add(c, pid, 10ULL * i + 2, 1, 1, NULL));
		e = add(c, pid, 10ULL * i + 3, 1, 1, &rk);
		assert_non_null(e);
		process_cache_exit(c, e);
	}
	process_cache_stats(c, &st);
	assert_int_equal(st.size, 1);
	assert_int_equal(bench->refcnt, 1);
	process_cache_free(c);
}

static bool all_dead(void *ctx, const struct process *p)
{
	(void)ctx;
	(void)p;
	return true;
}

static const struct process_cache_sweep dead_sweep = { .gone = all_dead };

static void test_reap_lost_exits(void **state)
{
	struct process_cache *c = new_cache();
	struct process_cache_stats st;

	(void)state;
	add(c, 10, 1, 0, 0, NULL);
	add(c, 11, 2, 10, 1, NULL);
	add(c, 12, 3, 11, 2, NULL);
	process_cache_reap(c, &dead_sweep);
	process_cache_stats(c, &st);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.stale_reaped, 3);
	process_cache_free(c);
}

/*
 * The sweep's race: a process seen gone whose exit record is still queued.
 * The drain handles that record (the test's stands in for the ring buffer):
 * its exit is the one reported, the sweep reaps only what no record named.
 */
struct fake_ring {
	struct process_cache *c;
	uint32_t exit_pid;	/* the queued exit record */
	uint64_t exit_ktime;
	int drains;
	int fail;		/* the drain could not reach the end */
	int exits_handled;
};

static int fake_drain(void *ctx)
{
	struct fake_ring *r = ctx;
	struct process *p;

	r->drains++;
	if (r->fail)
		return -EAGAIN;
	p = process_cache_get(r->c, r->exit_pid, r->exit_ktime);
	if (p) {
		process_cache_exit(r->c, p);
		r->exits_handled++;
	}
	return 0;
}

static void test_reap_drains_queued_exits_first(void **state)
{
	struct process_cache *c = new_cache();
	struct fake_ring r = { .c = c, .exit_pid = 21, .exit_ktime = 2 };
	struct process_cache_sweep sw = { .gone = all_dead, .drain = fake_drain, .ctx = &r };
	struct process_cache_stats st;

	(void)state;
	add(c, 20, 1, 0, 0, NULL);
	add(c, 21, 2, 20, 1, NULL);
	add(c, 22, 3, 20, 1, NULL);
	/* the drain fails: nothing reaped this round */
	r.fail = 1;
	process_cache_reap(c, &sw);
	process_cache_stats(c, &st);
	assert_int_equal(st.size, 3);
	assert_int_equal(st.stale_reaped, 0);
	assert_int_equal(st.reap_deferred, 1);
	/* next round: 21's exit is handled by the drain, only 20 and 22 reaped */
	r.fail = 0;
	process_cache_reap(c, &sw);
	process_cache_stats(c, &st);
	assert_int_equal(r.exits_handled, 1);
	assert_int_equal(st.stale_reaped, 2);
	assert_int_equal(st.size, 0);
	process_cache_free(c);
}

/* Exited entries stay findable by key until the other ring passes them. */
static uint64_t fake_pos = 0;

static uint64_t hold_pos(void *ctx)
{
	(void)ctx;
	return fake_pos;
}

static void test_hold_until_released(void **state)
{
	struct process_cache *c = new_cache();
	struct process_cache_stats st;
	struct process *a, *b;

	(void)state;
	process_cache_set_hold(c, hold_pos, NULL);
	fake_pos = 100;
	a = add(c, 30, 1, 0, 0, NULL);
	process_cache_exit(c, a);
	fake_pos = 200;
	b = add(c, 31, 2, 0, 0, NULL);
	process_cache_exit(c, b);
	/* gone from the pid index, kept by key */
	assert_null(process_cache_get(c, 30, 0));
	assert_ptr_equal(process_cache_get(c, 30, 1), a);
	process_cache_stats(c, &st);
	assert_int_equal(st.held, 2);
	process_cache_release(c, 150);
	assert_null(process_cache_get(c, 30, 1));
	assert_ptr_equal(process_cache_get(c, 31, 2), b);
	process_cache_release(c, 200);
	process_cache_stats(c, &st);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.held, 0);
	/* nothing queued: freed at once */
	fake_pos = 0;
	a = add(c, 32, 3, 0, 0, NULL);
	process_cache_exit(c, a);
	process_cache_stats(c, &st);
	assert_int_equal(st.size, 0);
	/* freed with the cache while held */
	fake_pos = 300;
	a = add(c, 33, 4, 0, 0, NULL);
	process_cache_exit(c, a);
	process_cache_free(c);
}

/* A pid reused: a lookup by pid never finds an incarnation that began later. */
static void test_pid_reuse(void **state)
{
	struct process_cache *c = new_cache();
	struct process *old, *new, *child;

	(void)state;
	old = add(c, 40, 1000, 0, 0, NULL);
	process_cache_exit(c, old);
	new = add(c, 40, 5000, 0, 0, NULL);
	/* a record of the old incarnation, its key unknown to the cache */
	assert_null(process_cache_find(c, 40, 999, 0));
	assert_null(process_cache_find(c, 40, 0, 4000));
	assert_ptr_equal(process_cache_find(c, 40, 0, 6000), new);
	assert_ptr_equal(process_cache_find(c, 40, 5000, 0), new);
	/* an exec naming its parent (40, 1000) gone: not the later 40 */
	child = add(c, 41, 2000, 40, 1000, NULL);
	assert_null(child->parent);
	/* the parent's key unknown (0): only one that began before the child */
	child = add(c, 42, 6000, 40, 0, NULL);
	assert_ptr_equal(child->parent, new);
	process_cache_free(c);
}

static bool all_alive(void *ctx, const struct process *p)
{
	(void)ctx;
	(void)p;
	return false;
}

static void test_trim_to_capacity(void **state)
{
	struct process_cache *c = new_cache();
	struct process_cache_stats st;
	struct process *p = NULL;

	(void)state;
	/* a chain of 100 exited ancestors under one live leaf */
	for (uint32_t i = 0; i < 100; i++) {
		p = add(c, 100 + i, i + 1, i ? 99 + i : 0, i, NULL);
		if (i)
			process_cache_exit(c, process_cache_get(c, 99 + i, i));
	}
	process_cache_stats(c, &st);
	assert_int_equal(st.size, 100);
	process_cache_trim(c, 10, &(struct process_cache_sweep){ .gone = all_alive });
	process_cache_stats(c, &st);
	assert_int_equal(st.size, 1);
	assert_int_equal(st.evictions, 99);
	assert_null(p->parent);
	assert_non_null(p->parent_exec_id);
	process_cache_free(c);
}

static void test_args_decode(void **state)
{
	static const char argv[] = "hello world\0it's\0say \"hi\"\0plain\0";
	char *s;

	(void)state;
	s = args_decode(argv, sizeof(argv) - 1);
	assert_string_equal(s, "\"hello world\" it's \"say \"hi\"\" plain");
	free(s);
	s = args_decode("", 0);
	assert_string_equal(s, "");
	free(s);
	s = args_decode("a\0\0\0", 4);
	assert_string_equal(s, "a");
	free(s);
}

static void test_binary_absolute(void **state)
{
	char *s;

	(void)state;
	s = binary_absolute("./x", 3, "/tmp/a");
	assert_string_equal(s, "/tmp/a/x");
	free(s);
	s = binary_absolute("../bin/y", 8, "/tmp/a");
	assert_string_equal(s, "/tmp/bin/y");
	free(s);
	s = binary_absolute("/bin/true", 9, "/tmp");
	assert_string_equal(s, "/bin/true");
	free(s);
	s = binary_absolute("z", 1, "/");
	assert_string_equal(s, "/z");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_id_format),
		cmocka_unit_test(test_parent_linkage_and_release),
		cmocka_unit_test(test_exec_replaces_clone),
		cmocka_unit_test(test_exec_storm_memory_flat),
		cmocka_unit_test(test_reap_lost_exits),
		cmocka_unit_test(test_reap_drains_queued_exits_first),
		cmocka_unit_test(test_hold_until_released),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_trim_to_capacity),
		cmocka_unit_test(test_args_decode),
		cmocka_unit_test(test_binary_absolute),
	};
	return cmocka_run_group_tests_name("process_cache", tests, NULL, NULL);
}
