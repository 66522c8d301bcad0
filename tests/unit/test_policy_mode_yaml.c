// SPDX-License-Identifier: Apache-2.0
/*
 * policy_yaml_set_mode(): the mode lands in spec.options (created, or
 * replacing every old policy-mode entry), the result parses as the same
 * policy with that mode, other values keep their styles, and bad input is
 * refused with a position.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "policy/policy_mode_yaml.h"

#define HEAD "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: \"p1\"\n"
#define HOOK                                                                                     \
	"  kprobes:\n  - call: sys_openat\n    syscall: true\n    args:\n    - index: 1\n"           \
	"      type: string\n    selectors:\n    - matchArgs:\n      - index: 1\n"                   \
	"        operator: Prefix\n        values:\n        - '/tmp/x: y'\n"                         \
	"      matchActions:\n      - action: Sigkill\n"

static char *set(const char *yaml, const char *mode, int want)
{
	char err[256] = "", *out = NULL;
	size_t len = 0;
	int r = policy_yaml_set_mode(yaml, strlen(yaml), mode, &out, &len, err, sizeof(err));

	if (r != want)
		fail_msg("policy_yaml_set_mode = %d (want %d): %s", r, want, err);
	if (r) {
		assert_null(out);
		return strdup(err);
	}
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

/* Parse out and check the one policy's name and mode. */
static void check_mode(const char *out, enum tp_policy_mode mode, size_t nopts)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *s = NULL;

	if (tp_parse("out", out, strlen(out), &s, &d))
		fail_msg("result does not parse (%zu errors: %s):\n%s", d.nerrors, d.n ? d.v[0].msg : "", out);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->policies[0]->name, "p1");
	assert_int_equal(s->policies[0]->opts.policy_mode, mode);
	assert_int_equal(s->policies[0]->noptions, nopts);
	assert_int_equal(s->policies[0]->nhooks, 1);
	tp_policy_set_free(s);
	tp_diags_free(&d);
}

static void no_options_added(void **state)
{
	char *out = set(HEAD "spec:\n" HOOK, "monitor", 0);

	(void)state;
	check_mode(out, TP_MODE_MONITOR, 1);
	/* a quoted value keeps its quotes */
	assert_non_null(strstr(out, "'/tmp/x: y'"));
	free(out);
}

static void options_replaced(void **state)
{
	char *out = set(HEAD "spec:\n  options:\n  - name: policy-mode\n    value: monitor\n"
			     "  - name: disable-kprobe-multi\n    value: \"1\"\n"
			     "  - name: policy-mode\n    value: monitor\n" HOOK,
			"enforce", 0);

	(void)state;
	check_mode(out, TP_MODE_ENFORCE, 2);
	/* the other option stays, before the new one */
	assert_true(strstr(out, "disable-kprobe-multi") < strstr(out, "policy-mode"));
	assert_null(strstr(strstr(out, "policy-mode") + 1, "policy-mode"));
	free(out);
}

static void flow_options(void **state)
{
	char *out = set(HEAD "spec:\n  options: []\n" HOOK, "monitor", 0);

	(void)state;
	check_mode(out, TP_MODE_MONITOR, 1);
	free(out);
	out = set(HEAD "spec: {options: [{name: policy-mode, value: enforce}], kprobes: [{call: sys_close, syscall: true}]}\n",
		  "monitor", 0);
	assert_non_null(strstr(out, "policy-mode"));
	assert_null(strstr(out, "enforce"));
	free(out);
}

static void no_mode_reemits(void **state)
{
	char *out = set(HEAD "spec:\n" HOOK, NULL, 0);

	(void)state;
	check_mode(out, TP_MODE_UNSET, 0);
	free(out);
	out = set(HEAD "spec:\n" HOOK, "", 0);
	check_mode(out, TP_MODE_UNSET, 0);
	free(out);
}

static void every_document(void **state)
{
	char *out = set("---\n" HEAD "spec:\n" HOOK "---\n" HEAD "spec:\n  options:\n  - name: x\n    value: y\n" HOOK
			"---\n",
			"monitor", 0);
	char *p = strstr(out, "policy-mode");

	(void)state;
	assert_non_null(p);
	assert_non_null(strstr(p + 1, "policy-mode"));
	free(out);
}

static void refusals(void **state)
{
	struct {
		const char *yaml, *mode, *msg;
	} c[] = {
		{ HEAD "spec:\n" HOOK, "audit", "invalid mode: \"audit\"" },
		{ HEAD, "monitor", "1:1: yaml does not include spec section" },
		{ HEAD "spec: 3\n", "monitor", "5:7: spec is a scalar, not a mapping" },
		{ HEAD "spec:\n  options: yes\n", "monitor", "6:12: spec.options is a scalar, not a list" },
		{ HEAD "spec:\n  options:\n  - policy-mode\n", "enforce", "7:5: spec.options item is a scalar" },
		{ "- a\n- b\n", "enforce", "1:1: the policy is a list, not a mapping" },
		{ "", "enforce", "yaml does not include spec section" },
		{ HEAD "spec:\n  kprobes: [\n", "enforce", "7:1: did not find expected node content" },
		{ HEAD "spec:\n\tkprobes:\n", NULL, "6:1: found character that cannot start any token" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *err = set(c[i].yaml, c[i].mode, -EINVAL);

		if (!strstr(err, c[i].msg))
			fail_msg("case %zu: \"%s\" does not contain \"%s\"", i, err, c[i].msg);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_options_added), cmocka_unit_test(options_replaced),
		cmocka_unit_test(flow_options),	    cmocka_unit_test(no_mode_reemits),
		cmocka_unit_test(every_document),   cmocka_unit_test(refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
