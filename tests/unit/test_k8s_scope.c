// SPDX-License-Identifier: Apache-2.0
/*
 * src/k8s/scope.c without the kernel: Kubernetes label selectors as
 * upstream's policy filter evaluates them (matchLabels, In, NotIn on a
 * missing label, Exists, DoesNotExist, {} for everything), and kubelet's
 * pod cgroup names (cgroupfs and systemd drivers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "k8s/scope.h"
#include "policy/policy.h"

struct labels {
	const char *const *kv;	/* key, value, ..., NULL */
};

static const char *get(void *ctx, const char *key)
{
	const struct labels *l = ctx;

	for (size_t i = 0; l->kv[i]; i += 2)
		if (!strcmp(l->kv[i], key))
			return l->kv[i + 1];
	return NULL;
}

/* The podSelector of a policy with this selector text (indented under "  podSelector:"). */
static struct tp_policy_set *policy_with(const char *sel, const struct tp_label_selector **out)
{
	char y[2048];
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;

	snprintf(y, sizeof(y),
		 "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: p\nspec:\n"
		 "  podSelector:%s\n  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n",
		 sel);
	if (tp_parse("p.yaml", y, strlen(y), &set, &d)) {
		for (size_t i = 0; i < d.n; i++)
			print_message("%s\n", d.v[i].msg);
		fail();
	}
	tp_diags_free(&d);
	*out = set->policies[0]->pod_selector;
	assert_non_null(*out);
	return set;
}

static bool match(const char *sel, const char *const *kv)
{
	const struct tp_label_selector *ls;
	struct tp_policy_set *set = policy_with(sel, &ls);
	struct labels l = { kv };
	bool r = k8s_label_selector_match(ls, get, &l);

	tp_policy_set_free(set);
	return r;
}

static void test_label_selector(void **state)
{
	static const char *const web[] = { "app", "web", "tier", "front", NULL };
	static const char *const dev[] = { "app", "web", "env", "dev", NULL };
	static const char *const none[] = { NULL };

	(void)state;
	/* {}: every pod, labelled or not */
	assert_true(match(" {}", web));
	assert_true(match(" {}", none));
	assert_true(match("\n    matchLabels:\n      app: web", web));
	assert_false(match("\n    matchLabels:\n      app: db", web));
	assert_false(match("\n    matchLabels:\n      app: web", none));
	/* matchLabels and expressions are AND'ed */
	assert_false(match("\n    matchLabels:\n      app: web\n      tier: back", web));
	assert_true(match("\n    matchExpressions:\n    - key: tier\n      operator: In\n      values: [back, front]",
			  web));
	assert_false(match("\n    matchExpressions:\n    - key: tier\n      operator: In\n      values: [back]", web));
	assert_false(match("\n    matchExpressions:\n    - key: tier\n      operator: In\n      values: [front]", dev));
	/* NotIn: a pod without the label is not in the set */
	assert_true(match("\n    matchExpressions:\n    - key: env\n      operator: NotIn\n      values: [dev]", web));
	assert_false(match("\n    matchExpressions:\n    - key: env\n      operator: NotIn\n      values: [dev]", dev));
	assert_true(match("\n    matchExpressions:\n    - key: env\n      operator: Exists", dev));
	assert_false(match("\n    matchExpressions:\n    - key: env\n      operator: Exists", web));
	assert_true(match("\n    matchExpressions:\n    - key: env\n      operator: DoesNotExist", web));
	assert_false(match("\n    matchExpressions:\n    - key: env\n      operator: DoesNotExist", dev));
	assert_true(match("\n    matchLabels:\n      app: web\n    matchExpressions:\n    - key: env\n"
			  "      operator: DoesNotExist\n    - key: tier\n      operator: Exists",
			  web));
	assert_false(match("\n    matchLabels:\n      app: web\n    matchExpressions:\n    - key: env\n"
			   "      operator: DoesNotExist\n    - key: tier\n      operator: Exists",
			   dev));
}

static void test_pod_dir(void **state)
{
	char uid[64];

	(void)state;
	assert_true(k8s_scope_pod_dir("pod0a1b2c3d-4e5f-6789-abcd-ef0123456789", uid, sizeof(uid)));
	assert_string_equal(uid, "0a1b2c3d-4e5f-6789-abcd-ef0123456789");
	/* systemd's driver: '-' in the uid written '_' */
	assert_true(k8s_scope_pod_dir("kubepods-besteffort-pod0a1b2c3d_4e5f_6789_abcd_ef0123456789.slice", uid,
				      sizeof(uid)));
	assert_string_equal(uid, "0a1b2c3d-4e5f-6789-abcd-ef0123456789");
	assert_true(k8s_scope_pod_dir("kubepods-pod0a1b2c3d_4e5f.slice", uid, sizeof(uid)));
	assert_string_equal(uid, "0a1b2c3d-4e5f");
	/* not pods */
	assert_false(k8s_scope_pod_dir("kubepods", uid, sizeof(uid)));
	assert_false(k8s_scope_pod_dir("kubepods-besteffort.slice", uid, sizeof(uid)));
	assert_false(k8s_scope_pod_dir("pod", uid, sizeof(uid)));
	assert_false(k8s_scope_pod_dir("podman", uid, sizeof(uid)));
	assert_false(k8s_scope_pod_dir("pod../etc", uid, sizeof(uid)));
	assert_false(k8s_scope_pod_dir("besteffort", uid, sizeof(uid)));
	/* too long for the caller's buffer */
	assert_false(k8s_scope_pod_dir("pod0a1b2c3d-4e5f-6789-abcd-ef0123456789", uid, 8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_selector),
		cmocka_unit_test(test_pod_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
