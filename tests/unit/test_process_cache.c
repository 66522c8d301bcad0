// SPDX-License-Identifier: Apache-2.0
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

static bool all_dead(uint32_t pid)
{
	(void)pid;
	return false;
}

static void test_reap_lost_exits(void **state)
{
	struct process_cache *c = new_cache();
	struct process_cache_stats st;

	(void)state;
	add(c, 10, 1, 0, 0, NULL);
	add(c, 11, 2, 10, 1, NULL);
	add(c, 12, 3, 11, 2, NULL);
	process_cache_reap(c, all_dead);
	process_cache_stats(c, &st);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.stale_reaped, 3);
	process_cache_free(c);
}

static bool all_alive(uint32_t pid)
{
	(void)pid;
	return true;
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
	process_cache_trim(c, 10, all_alive);
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
		cmocka_unit_test(test_trim_to_capacity),
		cmocka_unit_test(test_args_decode),
		cmocka_unit_test(test_binary_absolute),
	};
	return cmocka_run_group_tests_name("process_cache", tests, NULL, NULL);
}
