// SPDX-License-Identifier: Apache-2.0
/*
 * The policy engine's run-time management (what the gRPC API calls), on
 * policies this engine refuses: no BPF program is loaded, so this runs
 * anywhere. Adding, listing, replacing and deleting them, their states,
 * domains and namespaces, the enable/disable rules, stale records.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "abi/msg_generic.h"
#include "kernel/bpf_pin.h"
#include "sensors/generic_policy.h"

static char tracefs[64];	/* empty: no tracepoint exists */
static char file[96];

#define LSM_POLICY(name, ns)                                                                  \
	"apiVersion: cilium.io/v1alpha1\nkind: " ns "\nmetadata:\n  name: " name "\n" \
	"spec:\n  lsmhooks:\n  - hook: tg_no_such_hook\n    args:\n    - index: 0\n      type: file\n"

static int setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(tracefs, sizeof(tracefs), "/tmp/tg-pm-XXXXXX");
	if (!mkdtemp(tracefs))
		return -1;
	snprintf(file, sizeof(file), "%s/lsm.yaml", tracefs);
	f = fopen(file, "w");
	if (!f)
		return -1;
	fputs(LSM_POLICY("from-file", "TracingPolicy"), f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(file);
	return rmdir(tracefs);
}

static struct policy_engine *open_engine(char *const *files, size_t n)
{
	struct policy_engine_opts o = { .files = files, .nfiles = n, .tracefs = tracefs };
	struct policy_engine *e = NULL;

	assert_int_equal(policy_engine_open(&e, &o), 0);
	assert_non_null(e);
	return e;
}

static void test_invalid_yaml(void **state)
{
	static const char bad[] = "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: b\n"
				  "spec:\n  kprobes:\n  - call: sys_openat\n    bogus: 1\n";
	struct policy_engine *e = open_engine(NULL, 0);
	struct policy_status st;
	char why[1024];

	(void)state;
	assert_int_equal(policy_engine_add_yaml(e, bad, strlen(bad), NULL, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "policy:8:5: "));
	assert_non_null(strstr(why, "bogus"));
	/* not listed: it has no valid name */
	assert_int_equal(policy_engine_status(e, 0, &st), -ENOENT);
	policy_engine_close(e);
}

static void test_refused_kept_in_load_error(void **state)
{
	static const char y[] = LSM_POLICY("lsm", "TracingPolicy");
	struct policy_engine *e = open_engine(NULL, 0);
	struct policy_hook_status hs;
	struct policy_status st;
	char why[1024];
	uint64_t id;

	(void)state;
	assert_int_equal(policy_engine_add_yaml(e, y, strlen(y), "", why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "lsm hook tg_no_such_hook does not exist on this kernel"));
	assert_int_equal(policy_engine_status(e, 0, &st), 0);
	assert_string_equal(st.name, "lsm");
	assert_string_equal(st.domain, POLICY_DOMAIN_GRPC);
	assert_int_equal(st.state, POLICY_STATE_LOAD_ERROR);
	assert_false(st.enabled);
	assert_non_null(st.error);
	assert_non_null(strstr(st.error, "lsm hook tg_no_such_hook does not exist on this kernel"));
	assert_int_equal(st.ninst, 0);
	assert_int_equal(policy_engine_count(e, POLICY_STATE_LOAD_ERROR), 1);
	assert_int_equal(policy_engine_accepted(e), 0);
	id = st.id;
	assert_int_equal(policy_engine_hook(e, 0, 0, &hs), 0);
	assert_string_equal(hs.section, "lsmhooks");
	assert_string_equal(hs.description, "tg_no_such_hook");
	assert_false(hs.loaded);
	assert_int_equal(policy_engine_hook(e, 0, 1, &hs), -ENOENT);

	/* a policy in LOAD_ERROR may be replaced, as upstream allows */
	assert_int_equal(policy_engine_add_yaml(e, y, strlen(y), NULL, why, sizeof(why)), -EOPNOTSUPP);
	assert_int_equal(policy_engine_status(e, 0, &st), 0);
	assert_true(st.id > id);
	assert_int_equal(policy_engine_status(e, 1, &st), -ENOENT);

	/* neither enabled nor disabled: both refused; the mode can change */
	assert_int_equal(policy_engine_configure(e, "lsm", NULL, NULL, 1, -1, why, sizeof(why)), -EALREADY);
	assert_string_equal(why, "tracing policy lsm is not disabled");
	assert_int_equal(policy_engine_configure(e, "lsm", NULL, NULL, 0, -1, why, sizeof(why)), -EALREADY);
	assert_string_equal(why, "tracing policy lsm is not enabled");
	assert_int_equal(policy_engine_configure(e, "lsm", "", "grpc", -1, 1, why, sizeof(why)), 0);
	assert_int_equal(policy_engine_status(e, 0, &st), 0);
	assert_true(st.monitor);
	assert_int_equal(policy_engine_configure(e, "nope", NULL, NULL, 1, -1, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "tracing policy nope does not exist");

	/* delete: by name, namespace and (when given) domain */
	assert_int_equal(policy_engine_delete(e, "lsm", "ns1", NULL, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "tracing policy ns1/lsm does not exist");
	assert_int_equal(policy_engine_delete(e, "lsm", NULL, "static", why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "tracing policy static:lsm does not exist");
	assert_int_equal(policy_engine_delete(e, "lsm", NULL, "grpc", why, sizeof(why)), 0);
	assert_int_equal(policy_engine_status(e, 0, &st), -ENOENT);
	assert_int_equal(policy_engine_delete(e, "lsm", NULL, NULL, why, sizeof(why)), -ENOENT);
	policy_engine_close(e);
}

static void test_namespaced_and_domain(void **state)
{
	static const char y[] = "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata:\n"
				"  name: nsd\n  namespace: team\nspec:\n  lsmhooks:\n  - hook: tg_no_such_hook\n";
	static const char y2[] = "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata:\n"
				 "  name: nsd\n  namespace: other\nspec:\n  lsmhooks:\n  - hook: tg_no_such_hook\n";
	static const char y3[] = LSM_POLICY("nsd", "TracingPolicy");
	struct policy_engine *e = open_engine(NULL, 0);
	struct policy_status st;
	char why[1024];

	(void)state;
	assert_int_equal(policy_engine_add_yaml(e, y, strlen(y), "mine", why, sizeof(why)), -EOPNOTSUPP);
	/* refused for its kind (no workload scope provider: the agent has no Kubernetes client), with its position */
	assert_string_equal(why, "policy:2:7: kind: a TracingPolicyNamespaced needs the agent's Kubernetes client "
				 "(--enable-k8s-api) to know which processes run in which pods; without it the policy "
				 "would act on every process, so it is refused");
	assert_int_equal(policy_engine_status(e, 0, &st), 0);
	assert_string_equal(st.domain, "mine");
	assert_int_equal(st.state, POLICY_STATE_LOAD_ERROR);
	assert_int_equal(st.ninst, 0);
	assert_string_equal(st.ns, "team");
	/* keyed by (namespace, name) as upstream: the same name elsewhere is another policy, not a replacement */
	assert_int_equal(policy_engine_add_yaml(e, y2, strlen(y2), "mine", why, sizeof(why)), -EOPNOTSUPP);
	assert_int_equal(policy_engine_add_yaml(e, y3, strlen(y3), "mine", why, sizeof(why)), -EOPNOTSUPP);
	assert_int_equal(policy_engine_status(e, 1, &st), 0);
	assert_string_equal(st.name, "nsd");
	assert_string_equal(st.ns, "other");
	assert_int_equal(policy_engine_status(e, 2, &st), 0);
	assert_string_equal(st.name, "nsd");
	assert_null(st.ns);
	assert_int_equal(policy_engine_count(e, POLICY_STATE_LOAD_ERROR), 3);
	/* configure names one of them */
	assert_int_equal(policy_engine_configure(e, "nsd", "other", NULL, -1, 1, why, sizeof(why)), 0);
	assert_int_equal(policy_engine_configure(e, "nsd", "other", NULL, 1, -1, why, sizeof(why)), -EALREADY);
	assert_string_equal(why, "tracing policy other/nsd is not disabled");
	assert_int_equal(policy_engine_status(e, 1, &st), 0);
	assert_true(st.monitor);
	assert_int_equal(policy_engine_status(e, 0, &st), 0);
	assert_false(st.monitor);
	assert_int_equal(policy_engine_status(e, 2, &st), 0);
	assert_false(st.monitor);
	assert_int_equal(policy_engine_delete(e, "nsd", "other", NULL, why, sizeof(why)), 0);
	assert_int_equal(policy_engine_delete(e, "nsd", "other", NULL, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "tracing policy other/nsd does not exist");
	assert_int_equal(policy_engine_delete(e, "nsd", NULL, NULL, why, sizeof(why)), 0);
	assert_int_equal(policy_engine_status(e, 0, &st), 0);
	assert_string_equal(st.ns, "team");
	assert_int_equal(policy_engine_status(e, 1, &st), -ENOENT);
	assert_int_equal(policy_engine_delete(e, "nsd", NULL, NULL, why, sizeof(why)), -ENOENT);
	assert_int_equal(policy_engine_delete(e, "nsd", "team", "grpc", why, sizeof(why)), -ENOENT);
	assert_int_equal(policy_engine_delete(e, "nsd", "team", NULL, why, sizeof(why)), 0);
	/* a domain is a client's text that is listed and logged: one printable line */
	assert_int_equal(policy_engine_add_yaml(e, y, strlen(y), "a\nlevel=error\x1b[31m", why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "domain: want at most 253 characters without control characters");
	assert_int_equal(policy_engine_status(e, 0, &st), -ENOENT);
	policy_engine_close(e);
}

/* --keep-sensors-on-exit's directories: upstream's <namespace>:<name> keeps same names apart */
static void test_pin_paths(void **state)
{
	char buf[512];

	(void)state;
	bpf_pin_inst_path(buf, sizeof(buf), NULL, "nsd", "generic_kprobe", 7, "sys_getppid");
	assert_string_equal(buf, "nsd/generic_kprobe/7-sys_getppid");
	bpf_pin_inst_path(buf, sizeof(buf), "", "nsd", "generic_kprobe", 7, "sys_getppid");
	assert_string_equal(buf, "nsd/generic_kprobe/7-sys_getppid");
	bpf_pin_inst_path(buf, sizeof(buf), "team", "nsd", "generic_tracepoint", 8, "sched/sched_process_exec");
	assert_string_equal(buf, "team:nsd/generic_tracepoint/8-sched_sched_process_exec");
}

static void test_startup_file_listed(void **state)
{
	char *files[] = { file };
	struct policy_engine *e = open_engine(files, 1);
	static const char y[] = LSM_POLICY("from-file", "TracingPolicy");
	struct policy_status st;
	char why[1024];

	(void)state;
	assert_int_equal(policy_engine_refused(e), 1);
	assert_int_equal(policy_engine_status(e, 0, &st), 0);
	assert_string_equal(st.name, "from-file");
	assert_string_equal(st.file, file);
	assert_string_equal(st.domain, POLICY_DOMAIN_STATIC);
	assert_int_equal(st.state, POLICY_STATE_LOAD_ERROR);
	/* the API replaces it too (the name is free: it holds no BPF state) */
	assert_int_equal(policy_engine_add_yaml(e, y, strlen(y), NULL, why, sizeof(why)), -EOPNOTSUPP);
	assert_int_equal(policy_engine_status(e, 0, &st), 0);
	assert_string_equal(st.domain, POLICY_DOMAIN_GRPC);
	policy_engine_close(e);
}

static void test_account_unknown_records(void **state)
{
	struct policy_engine *e = open_engine(NULL, 0);
	struct msg_generic m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.hook_id = 7;
	/* no instance ever had that id: the handler counts it as bad */
	assert_int_equal(policy_engine_account(e, &m, sizeof(m)), -ENOENT);
	assert_int_equal(policy_engine_account(e, &m, 8), -ENOENT);
	assert_int_equal(policy_engine_account(NULL, &m, sizeof(m)), -ENOENT);
	policy_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_yaml),
		cmocka_unit_test(test_refused_kept_in_load_error),
		cmocka_unit_test(test_namespaced_and_domain),
		cmocka_unit_test(test_pin_paths),
		cmocka_unit_test(test_startup_file_listed),
		cmocka_unit_test(test_account_unknown_records),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
