// SPDX-License-Identifier: Apache-2.0
/*
 * tp_check_agent(): what this agent refuses in a policy that parses, without
 * the kernel. Workload scoping it cannot apply (matchWorkloads, nodeSelector;
 * a namespaced policy without a namespace), and the limits of its BPF
 * selectors that the validator must apply as the agent does.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "policy/policy_limits.h"
#include "util/strbuf.h"

#define HDR(kind)                          \
	"apiVersion: cilium.io/v1alpha1\n" \
	"kind: " kind "\n"                 \
	"metadata:\n"                      \
	"  name: p\n"                      \
	"spec:\n"

/* Parse (must succeed), then the agent's diagnostics, "p.yaml:L:C: ..." joined by newlines. */
static char *agent_diags(const char *yaml, size_t *nerr)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	struct strbuf sb = STRBUF_INIT;
	int rc = tp_parse("p.yaml", yaml, strlen(yaml), &set, &d);
	size_t i, n = 0;

	if (rc)
		for (i = 0; i < d.n; i++) {
			strbuf_reset(&sb);
			tp_diag_format(&d.v[i], "p.yaml", &sb);
			print_message("parse: %s\n", sb.buf);
		}
	assert_int_equal(rc, 0);
	tp_diags_free(&d);
	strbuf_reset(&sb);
	for (i = 0; i < set->n; i++)
		n += tp_check_agent(set->policies[i], &d);
	for (i = 0; i < d.n; i++) {
		if (i)
			strbuf_addc(&sb, '\n');
		tp_diag_format(&d.v[i], "p.yaml", &sb);
	}
	strbuf_addc(&sb, '\0');
	assert_int_equal(n, d.nerrors);
	if (nerr)
		*nerr = n;
	tp_diags_free(&d);
	tp_policy_set_free(set);
	return strbuf_detach(&sb, NULL);
}

static void expect(const char *yaml, const char *want)
{
	char *got = agent_diags(yaml, NULL);

	if (strcmp(got, want))
		print_message("got:\n%s\n", got);
	assert_string_equal(got, want);
	free(got);
}

static void test_scope(void **state)
{
	(void)state;
	/* scoped in the kernel (src/k8s/scope.c): accepted */
	expect("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata:\n  name: p\n"
	       "  namespace: team\nspec:\n  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n",
	       "");
	expect(HDR("TracingPolicy") "  podSelector:\n    matchLabels:\n      app: web\n"
				    "  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n",
	       "");
	expect(HDR("TracingPolicy") "  containerSelector: {}\n"
				    "  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n",
	       "");
	/* a namespaced policy acts in its namespace: it must have one */
	expect("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata:\n  name: p\n"
	       "spec:\n  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n",
	       "p.yaml:2:7: metadata.namespace: a TracingPolicyNamespaced needs metadata.namespace: the Kubernetes "
	       "namespace whose pods it acts on");
	expect(HDR("TracingPolicy") "  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n"
				    "    selectors:\n    - matchWorkloads:\n        podSelector: {}\n"
				    "      matchActions:\n      - action: Sigkill\n",
	       "p.yaml:11:9: spec.tracepoints[0].selectors[0].matchWorkloads: matchWorkloads is not supported "
	       "yet: this agent does not know which pod or container a process runs in, so it cannot limit the "
	       "selector to them and it would match on the whole host");
	expect(HDR("TracingPolicy") "  nodeSelector:\n    matchLabels:\n      kubernetes.io/arch: amd64\n"
				    "  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n",
	       "p.yaml:7:5: spec.nodeSelector: nodeSelector is not supported yet: this agent does not know its "
	       "node's labels, so it cannot tell whether the policy is meant for this node and would load it on "
	       "every node; remove it (or make it {}) to load the policy here");
	/* null selectors, {} for every node and hostSelector are fine */
	expect(HDR("TracingPolicy") "  nodeSelector: {}\n"
				    "  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n",
	       "");
	expect(HDR("TracingPolicy") "  podSelector: null\n  hostSelector: {}\n"
				    "  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n",
	       "");
}

/* A kprobe whose one selector has one matchArgs entry with these lines. */
#define KPROBE_SEL(args, sel)                                                   \
	HDR("TracingPolicy") "  kprobes:\n  - call: sys_openat\n    syscall: true\n" \
			     "    args:\n" args "    selectors:\n    - " sel

static char *many_values(const char *op, size_t n, const char *fmt)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, HDR("TracingPolicy") "  kprobes:\n  - call: sys_openat\n    syscall: true\n"
					      "    args:\n    - index: 1\n      type: string\n"
					      "    selectors:\n    - matchArgs:\n      - index: 1\n        operator: ");
	strbuf_adds(&sb, op);
	strbuf_adds(&sb, "\n        values: [");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addc(&sb, ',');
		strbuf_addf(&sb, fmt, i);
	}
	strbuf_adds(&sb, "]\n");
	strbuf_addc(&sb, '\0');
	return strbuf_detach(&sb, NULL);
}

static void test_value_limits(void **state)
{
	char *y, *got;
	size_t nerr;

	(void)state;
	/* exactly the limit is fine; one more is refused at that value */
	y = many_values("Prefix", TP_AGENT_MAX_STR_VALUES, "\"/p%zu\"");
	expect(y, "");
	free(y);
	y = many_values("Prefix", TP_AGENT_MAX_STR_VALUES + 1, "\"/p%zu\"");
	got = agent_diags(y, &nerr);
	assert_int_equal(nerr, 1);
	assert_non_null(strstr(got, ": spec.kprobes[0].selectors[0].matchArgs[0].values[65536]: too many string values in "
				    "one hook: at most 65536 string, binary path and address values are supported per "
				    "hook (they share one BPF map)"));
	free(got);
	free(y);

	/* string length: upstream takes 256-byte prefixes and 4096-byte Equal values, the agent 255 */
	y = many_values("Equal", 1, "\"%0300zu\"");
	expect(y, "p.yaml:16:18: spec.kprobes[0].selectors[0].matchArgs[0].values[0]: string value is 300 bytes long: "
		  "this agent compares at most 255 (the first for Equal and Prefix, the last for Postfix)");
	free(y);

	/* binary paths: 256 bytes is a valid upstream Prefix, not here */
	{
		char yaml[2048], path[257];

		memset(path, 'a', 256);
		path[0] = '/';
		path[256] = '\0';
		snprintf(yaml, sizeof(yaml),
			 KPROBE_SEL("    - index: 1\n      type: string\n",
				    "matchBinaries:\n      - operator: Prefix\n        values: [\"%s\"]\n"), path);
		expect(yaml, "p.yaml:14:9: spec.kprobes[0].selectors[0].matchBinaries[0]: binary path is 256 bytes "
			     "long: this agent supports at most 255");
	}

	/* InMap ranges count value by value */
	expect(KPROBE_SEL("    - index: 0\n      type: int\n",
			  "matchArgs:\n      - index: 0\n        operator: InMap\n        values: [\"0:70000\"]\n"),
	       "p.yaml:16:18: spec.kprobes[0].selectors[0].matchArgs[0].values[0]: too many InMap values in one "
	       "hook: at most 65536 integers are supported per hook, ranges and syscall lists counted value by "
	       "value");
	expect(KPROBE_SEL("    - index: 0\n      type: int\n",
			  "matchArgs:\n      - index: 0\n        operator: InMap\n        values: [\"0:65535\"]\n"),
	       "");
	/* the whole 64-bit range does not wrap to nothing */
	expect(KPROBE_SEL("    - index: 0\n      type: uint64\n",
			  "matchArgs:\n      - index: 0\n        operator: InMap\n"
			  "        values: [\"0:18446744073709551615\"]\n"),
	       "p.yaml:16:18: spec.kprobes[0].selectors[0].matchArgs[0].values[0]: too many InMap values in one "
	       "hook: at most 65536 integers are supported per hook, ranges and syscall lists counted value by "
	       "value");
	expect(KPROBE_SEL("    - index: 0\n      type: int64\n",
			  "matchArgs:\n      - index: 0\n        operator: InMap\n"
			  "        values: [\"-9223372036854775808:9223372036854775807\"]\n"),
	       "p.yaml:16:18: spec.kprobes[0].selectors[0].matchArgs[0].values[0]: too many InMap values in one "
	       "hook: at most 65536 integers are supported per hook, ranges and syscall lists counted value by "
	       "value");
}

static void test_selector_limits(void **state)
{
	(void)state;
	/* In {1,2,3,4} and NotIn {1}: 3 left; In 5 values and NotIn none: too many */
	expect(KPROBE_SEL("    - index: 0\n      type: int\n",
			  "matchPIDs:\n      - operator: In\n        values: [1, 2, 3, 4]\n"
			  "      - operator: NotIn\n        values: [1, 9, 10, 11]\n"
			  "      - operator: NotIn\n        values: [12]\n"),
	       "");
	expect(KPROBE_SEL("    - index: 0\n      type: int\n",
			  "matchPIDs:\n      - operator: NotIn\n        values: [1, 2, 3, 4]\n"
			  "      - operator: NotIn\n        values: [5]\n"),
	       "p.yaml:14:9: spec.kprobes[0].selectors[0].matchPIDs: at most 4 distinct matchPIDs values per "
	       "selector are supported (its entries folded into one set)");
	expect(KPROBE_SEL("    - index: 0\n      type: int\n",
			  "matchPIDs:\n      - operator: In\n        values: [1]\n        followForks: true\n"
			  "      - operator: NotIn\n        values: [2]\n"),
	       "p.yaml:14:9: spec.kprobes[0].selectors[0].matchPIDs: matchPIDs entries of one selector must agree "
	       "on followForks and isNamespacePID in this agent");
	expect(KPROBE_SEL("    - index: 0\n      type: int\n",
			  "matchCapabilities:\n"
			  "      - type: Effective\n        operator: In\n        values: [CAP_SYS_ADMIN]\n"
			  "      - type: Effective\n        operator: In\n        values: [CAP_CHOWN]\n"
			  "      - type: Effective\n        operator: In\n        values: [CAP_KILL]\n"
			  "      - type: Effective\n        operator: In\n        values: [CAP_SETUID]\n"
			  "      - type: Effective\n        operator: In\n        values: [CAP_SETGID]\n"),
	       "p.yaml:14:9: spec.kprobes[0].selectors[0].matchCapabilities: at most 4 matchCapabilities entries "
	       "per selector are supported, got 5");
	expect(KPROBE_SEL("    - index: 0\n      type: int\n",
			  "matchCapabilityChanges:\n"
			  "      - operator: In\n        values: [CAP_CHOWN]\n"
			  "      - operator: In\n        values: [CAP_KILL]\n"),
	       "p.yaml:16:9: spec.kprobes[0].selectors[0].matchCapabilityChanges: only one matchCapabilityChanges "
	       "entry per selector is evaluated (upstream reads the first only), got 2: put the capabilities in "
	       "one entry's values");
	expect(KPROBE_SEL("    - index: 0\n      type: int\n",
			  "matchCapabilities:\n"
			  "      - operator: In\n        values: [CAP_SYS_ADMIN]\n"
			  "      - operator: In\n        values: [CAP_CHOWN]\n"
			  "      - operator: In\n        values: [CAP_KILL]\n"
			  "      - operator: In\n        values: [CAP_SETUID]\n"
			  "      matchCapabilityChanges:\n"
			  "      - operator: In\n        values: [CAP_SETGID]\n"),
	       "p.yaml:23:9: spec.kprobes[0].selectors[0].matchCapabilityChanges: at most 4 matchCapabilities and "
	       "matchCapabilityChanges entries per selector are supported together, got 5");
	expect(HDR("TracingPolicy") "  kprobes:\n  - call: sys_openat\n    syscall: true\n"
				    "    data:\n    - index: 0\n      type: int\n      source: current_task\n"
				    "      resolve: pid\n    selectors:\n    - matchData:\n      - index: 0\n"
				    "        operator: NotEqual\n        values: [\"1\"]\n",
	       "");
	expect(HDR("TracingPolicy") "  uprobes:\n  - path: /bin/true\n    symbols: [\"main\"]\n"
				    "    return: true\n    returnArg:\n      index: 0\n      type: string\n"
				    "    args:\n    - {index: 0, type: int}\n    - {index: 1, type: int}\n"
				    "    - {index: 2, type: int}\n    - {index: 3, type: int}\n    - {index: 4, type: int}\n",
	       "p.yaml:11:7: spec.uprobes[0].returnArg: a string returnArg needs a free argument slot: at most 4 "
	       "args with it");
	expect(HDR("TracingPolicy") "  uprobes:\n  - path: /bin/true\n    symbols: [\"main\"]\n"
				    "    selectors:\n    - matchBinaries:\n      - operator: In\n"
				    "        values: [/bin/sh]\n        followChildren: true\n"
				    "      matchParentBinaries:\n      - operator: In\n        values: [/bin/sh]\n"
				    "        followChildren: true\n",
	       "p.yaml:15:9: spec.uprobes[0].selectors[0].matchParentBinaries[0]: followChildren on "
	       "matchParentBinaries is not supported by this agent");
}

/* Every upstream example is checked without crashing; what it refuses is named. */
static void test_upstream_corpus_checked(void **state)
{
	static const char *const refused[] = {
		"quickstart__file_monitoring_enforce.yaml",
		/* killer.yaml (spec.enforcers) passes here: the engine checks its enforcer against the kernel */
	};
	char dir[PATH_MAX];

	(void)state;
	/* next to the repository: from its root (tests/run.sh) or from the build tree */
	snprintf(dir, sizeof(dir), "../shared/upstream-policies");
	if (access(dir, R_OK)) {
		ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 64);

		if (n <= 0) {
			skip();
			return;
		}
		dir[n] = '\0';
		*strrchr(dir, '/') = '\0';
		strcat(dir, "/../../../shared/upstream-policies");
		if (access(dir, R_OK)) {
			print_message("SKIP: upstream example policies not found\n");
			skip();
			return;
		}
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct tp_diags d = TP_DIAGS_INIT;
		struct tp_policy_set *set = NULL;
		char path[PATH_MAX + 128];
		size_t n = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, refused[i]);
		if (access(path, R_OK))
			continue;
		assert_int_equal(tp_parse_file(path, &set, &d), 0);
		for (size_t k = 0; k < set->n; k++)
			n += tp_check_agent(set->policies[k], &d);
		assert_true(n > 0);
		tp_policy_set_free(set);
		tp_diags_free(&d);
	}
}

/* build-san/tests/test_policy_agent -> build-san/bin/tetra */
static int run_tetra(const char *args, char **err)
{
	char exe[PATH_MAX], cmd[PATH_MAX * 3], e[] = "/tmp/tp_agent_errXXXXXX";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	int fd = mkstemp(e), st;
	FILE *f;
	size_t r;

	assert_true(n > 0 && fd >= 0);
	close(fd);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "'%s/../bin/tetra' %s >/dev/null 2>%s", exe, args, e);
	st = system(cmd);
	f = fopen(e, "r");
	assert_non_null(f);
	while ((r = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, r);
	fclose(f);
	unlink(e);
	strbuf_addc(&sb, '\0');
	*err = strbuf_detach(&sb, NULL);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_validate_cli(void **state)
{
	char f[] = "/tmp/tp_agent_nsXXXXXX", args[256], *err;
	int fd = mkstemp(f);
	static const char y[] = "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata:\n"
				"  name: nsd\nspec:\n  tracepoints:\n  - subsystem: sched\n"
				"    event: sched_process_exec\n";
	/* a policy name with an escape code, in a file name that is fine */
	static const char bad[] = "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n"
				  "  name: \"x\\e[2J\\u009b\"\nspec:\n  tracepoints:\n  - subsystem: sched\n"
				  "    event: sched_process_exec\n";
	FILE *fp;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, y, sizeof(y) - 1), (ssize_t)(sizeof(y) - 1));
	close(fd);
	snprintf(args, sizeof(args), "tp validate %s", f);
	assert_int_equal(run_tetra(args, &err), 1);
	assert_non_null(strstr(err, ":2:7: metadata.namespace: a TracingPolicyNamespaced needs metadata.namespace"));
	free(err);
	/* --parse-only: upstream's question alone */
	snprintf(args, sizeof(args), "tp validate --parse-only %s", f);
	assert_int_equal(run_tetra(args, &err), 0);
	assert_string_equal(err, "");
	free(err);

	fp = fopen(f, "w");
	assert_non_null(fp);
	fputs(bad, fp);
	fclose(fp);
	snprintf(args, sizeof(args), "tp validate %s", f);
	assert_int_equal(run_tetra(args, &err), 1);
	/* the escape codes only escaped */
	assert_non_null(strstr(err, ":4:9: metadata.name: invalid name \"x\\x1b[2J\\xc2\\x9b\""));
	assert_null(strchr(err, '\x1b'));
	assert_null(strstr(err, "\xc2\x9b"));
	free(err);
	unlink(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_value_limits),
		cmocka_unit_test(test_selector_limits),
		cmocka_unit_test(test_upstream_corpus_checked),
		cmocka_unit_test(test_validate_cli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
