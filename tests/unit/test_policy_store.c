// SPDX-License-Identifier: Apache-2.0
/*
 * --persist-grpc-policies' store (src/agent/policy_store.c): record file
 * names, atomic root-only writes, restore of good and hostile records, and
 * the multi-document split (policy_yaml_split).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/policy_store.h"
#include "policy/policy_mode_yaml.h"
#include "sensors/generic_policy.h"

static char dir[64];

/* refused on this kernel (no such LSM hook): restored in LOAD_ERROR, nothing attached */
#define POLICY(name)                                                                         \
	"apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: " name "\n" \
	"spec:\n  lsmhooks:\n  - hook: tg_no_such_hook\n"

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tg-ps-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/store/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_filenames(void **state)
{
	char buf[512], why[256];

	(void)state;
	assert_int_equal(policy_store_filename("p", "", "grpc", buf, sizeof(buf), why, sizeof(why)), 0);
	assert_string_equal(buf, "p::grpc.json");
	assert_int_equal(policy_store_filename("p", "ns", "a:b", buf, sizeof(buf), why, sizeof(why)), 0);
	assert_string_equal(buf, "p:ns:a:b.json");
	/* nothing that leaves the directory or breaks the name's three parts */
	assert_int_equal(policy_store_filename("p", "", "../x", buf, sizeof(buf), why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "domain"));
	assert_int_equal(policy_store_filename("a:b", "", "grpc", buf, sizeof(buf), why, sizeof(why)), -EINVAL);
	assert_int_equal(policy_store_filename("p", "n/s", "grpc", buf, sizeof(buf), why, sizeof(why)), -EINVAL);
	assert_int_equal(policy_store_filename("p", "", "g\n", buf, sizeof(buf), why, sizeof(why)), -EINVAL);
	assert_int_equal(policy_store_filename("", "", "grpc", buf, sizeof(buf), why, sizeof(why)), -EINVAL);
	{
		char dom[300];

		memset(dom, 'd', sizeof(dom) - 1);
		dom[sizeof(dom) - 1] = '\0';
		assert_int_equal(policy_store_filename("p", "", dom, buf, sizeof(buf), why, sizeof(why)),
				 -ENAMETOOLONG);
	}
}

static void test_put_get_delete(void **state)
{
	char path[256], buf[512], why[1024];
	struct policy_store *s;
	const char *yaml;
	struct stat st;
	bool en;
	FILE *f;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/store", dir);
	assert_int_equal(policy_store_open(&s, path, why, sizeof(why)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(policy_store_put(s, "p", NULL, "grpc", "a: \"b\"\n", false, why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/store/p::grpc.json", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, "{\"yaml\":\"a: \\\"b\\\"\\n\",\"enabled\":false}");
	assert_int_equal(policy_store_get(s, "p", "", "grpc", &yaml, &en), 0);
	assert_string_equal(yaml, "a: \"b\"\n");
	assert_false(en);
	/* replaced in place */
	assert_int_equal(policy_store_put(s, "p", "", "grpc", "c", true, why, sizeof(why)), 0);
	assert_int_equal(policy_store_get(s, "p", NULL, "grpc", &yaml, &en), 0);
	assert_string_equal(yaml, "c");
	assert_true(en);
	assert_int_equal(policy_store_get(s, "p", "", "other", &yaml, &en), -ENOENT);
	assert_int_equal(policy_store_put(s, "p", "", "../x", "c", true, why, sizeof(why)), -EINVAL);
	assert_int_equal(policy_store_delete(s, "p", "", "grpc", why, sizeof(why)), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(policy_store_delete(s, "p", "", "grpc", why, sizeof(why)), -ENOENT);
	policy_store_close(s);
}

static void test_restore(void **state)
{
	struct policy_engine_opts o = { .tracefs = dir };
	struct policy_engine *e = NULL;
	struct policy_store *s;
	struct policy_status st;
	char path[256], why[1024];
	const char *yaml;
	bool en;

	(void)state;
	snprintf(path, sizeof(path), "%s/store", dir);
	mkdir(path, 0700);
	write_file("good::grpc.json", "{\"yaml\":\"" "apiVersion: cilium.io/v1alpha1\\nkind: TracingPolicy\\n"
		   "metadata:\\n  name: good\\nspec:\\n  lsmhooks:\\n  - hook: tg_no_such_hook\\n\",\"enabled\":false}",
		   0600);
	write_file("other::grpc.json", "{\"yaml\":\"apiVersion: cilium.io/v1alpha1\\nkind: TracingPolicy\\n"
		   "metadata:\\n  name: not-other\\nspec:\\n  lsmhooks:\\n  - hook: h\\n\",\"enabled\":true}", 0600);
	write_file("trunc::grpc.json", "{\"yaml\":", 0600);
	write_file("array::grpc.json", "[1,2]", 0600);
	write_file("dup::grpc.json", "{\"yaml\":\"a\",\"yaml\":\"b\",\"enabled\":true}", 0600);
	write_file("open::grpc.json", "{\"yaml\":\"x\",\"enabled\":true}", 0666);
	write_file("nocolons.json", "{}", 0600);
	write_file(".tmp.123", "partial", 0600);
	assert_int_equal(policy_engine_open(&e, &o), 0);
	assert_int_equal(policy_store_open(&s, path, why, sizeof(why)), 0);
	assert_int_equal(policy_store_restore(s, e), 1);
	/* only the good record, in its place and state (refused here, so LOAD_ERROR, still listed) */
	assert_int_equal(policy_engine_status(e, 0, &st), 0);
	assert_string_equal(st.name, "good");
	assert_string_equal(st.domain, "grpc");
	assert_int_equal(policy_engine_status(e, 1, &st), -ENOENT);
	assert_int_equal(policy_store_get(s, "good", "", "grpc", &yaml, &en), 0);
	assert_false(en);
	policy_store_close(s);
	policy_engine_close(e);
}

static void test_split(void **state)
{
	static const char two[] = POLICY("one") "---\n" POLICY("two") "---\n";
	char **docs, err[256];
	size_t n;

	(void)state;
	assert_int_equal(policy_yaml_split(two, strlen(two), &docs, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_non_null(strstr(docs[0], "name: one"));
	assert_null(strstr(docs[0], "two"));
	assert_non_null(strstr(docs[1], "name: two"));
	assert_null(strstr(docs[1], "one"));
	free(docs[0]);
	free(docs[1]);
	free(docs);
	assert_int_equal(policy_yaml_split("a: [", 4, &docs, &n, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filenames),
		cmocka_unit_test(test_put_get_delete),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
