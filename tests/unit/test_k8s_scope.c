// SPDX-License-Identifier: Apache-2.0
/*
 * src/k8s/scope.c without the kernel: Kubernetes label selectors as
 * upstream's policy filter evaluates them (matchLabels, In, NotIn on a
 * missing label, Exists, DoesNotExist, {} for everything), kubelet's pod
 * cgroup names (cgroupfs and systemd drivers), and the sets a policy's map
 * holds, from pods and a directory tree laid out as kubelet's cgroups (any
 * filesystem: a directory's id is its inode number) walked and watched.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <jansson.h>

#include "abi/msg_generic.h"
#include "agent/loop_call.h"
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

#define CID_A "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11"
#define CID_B "bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22"
#define CID_S "cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33"
#define UID_A "0a1b2c3d-0000-4000-8000-00000000000a"
#define UID_B "0a1b2c3d-0000-4000-8000-00000000000b"

static struct k8s_pod *pod_of(const char *name, const char *ns, const char *uid, const char *labels,
			      const char *containers)
{
	char text[2048], why[256];
	struct k8s_pod *p = NULL;
	json_t *j;

	snprintf(text, sizeof(text),
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"%s\",\"labels\":{%s}},"
		 "\"spec\":{\"nodeName\":\"n\"},\"status\":{\"containerStatuses\":[%s]}}",
		 name, ns, uid, labels, containers);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	if (k8s_pod_from_json(j, &p, why, sizeof(why)))
		fail_msg("%s", why);
	json_decref(j);
	return p;
}

static uint64_t ino(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_ino;
}

/* The map's keys, sorted; how many. */
static size_t keys(int fd, uint64_t *out, size_t max)
{
	uint64_t k, next;
	size_t n = 0;
	int err = bpf_map_get_next_key(fd, NULL, &next);

	while (!err && n < max) {
		out[n++] = next;
		k = next;
		err = bpf_map_get_next_key(fd, &k, &next);
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
			uint64_t t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

/* Run the loop's calls until the metrics say want pod and container cgroups are known. */
static void pump_until_known(struct loop_calls *q, struct k8s_scope *s, const char *want)
{
	time_t end = time(NULL) + 10;

	for (;;) {
		struct pollfd pfd = { .fd = q->efd, .events = POLLIN };
		struct strbuf sb = STRBUF_INIT;
		bool ok;

		if (poll(&pfd, 1, 50) > 0)
			loop_calls_dispatch(q);
		k8s_scope_metrics_render(&sb, s);
		ok = sb.buf && strstr(sb.buf, want);
		if (!ok && time(NULL) > end)
			fail_msg("no \"%s\" in:\n%s", want, sb.buf ? sb.buf : "");
		strbuf_free(&sb);
		if (ok)
			return;
	}
}

static struct tp_policy_set *parse(const char *y)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;

	if (tp_parse("p.yaml", y, strlen(y), &set, &d)) {
		for (size_t i = 0; i < d.n; i++)
			print_message("%s\n", d.v[i].msg);
		fail();
	}
	tp_diags_free(&d);
	return set;
}

#define SPEC "spec:\n  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n"

static void test_scope_sets(void **state)
{
	char root[] = "/tmp/tg-scope-unit-XXXXXX", path[512], why[256], cmd[1400];
	const char *ca = "{\"name\":\"main\",\"containerID\":\"containerd://" CID_A "\",\"imageID\":"
			 "\"docker.io/library/nginx@sha256:00\",\"state\":{\"running\":{}}},"
			 "{\"name\":\"side\",\"containerID\":\"containerd://" CID_S "\",\"state\":{\"running\":{}}}";
	const char *cb = "{\"name\":\"main\",\"containerID\":\"docker://" CID_B "\",\"state\":{\"running\":{}}}";
	struct tp_policy_set *ns_pol, *sel_pol, *host_pol, *all_pol;
	struct policy_scope sc;
	struct loop_calls q;
	struct k8s_scope *s;
	uint64_t got[8], want[8];
	int fd;

	(void)state;
	/* BPF maps need CAP_BPF */
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "probe", 8, 1, 1, NULL);
	if (fd < 0) {
		print_message("SKIP: cannot create BPF maps here (%s)\n", strerror(errno));
		skip();
	}
	close(fd);
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/kubepods/besteffort/pod" UID_A "/" CID_A, root);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s %s/kubepods/besteffort/pod" UID_A "/" CID_S, path, root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(loop_calls_init(&q), 0);
	assert_int_equal(k8s_scope_new(&s, root, &q, why, sizeof(why)), 0);
	assert_int_equal(k8s_scope_start(s, why, sizeof(why)), 0);
	pump_until_known(&q, s, "tetragon_policy_scope_known_cgroups{kind=\"container\"} 2");

	ns_pol = parse("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata:\n  name: a\n"
		       "  namespace: shop\n" SPEC);
	sel_pol = parse("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: b\n" SPEC
			"  containerSelector:\n    matchExpressions:\n    - key: repo\n      operator: In\n"
			"      values: [docker.io/library/nginx]\n");
	host_pol = parse("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: c\n" SPEC
			 "  hostSelector: {}\n");
	all_pol = parse("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: d\n" SPEC
			"  hostSelector: {}\n  podSelector: {}\n  containerSelector: {}\n");

	/* every workload: no filter */
	assert_int_equal(k8s_scope_ops.acquire(s, all_pol->policies[0], &sc, why, sizeof(why)), 0);
	assert_int_equal(sc.flags, 0);
	assert_int_equal(k8s_scope_ops.acquire(s, host_pol->policies[0], &sc, why, sizeof(why)), 0);
	assert_int_equal(sc.flags, GT_CFG_SCOPE | GT_CFG_SCOPE_HOST);
	assert_int_equal(keys(sc.fd, got, 8), 0);
	k8s_scope_ops.release(s, host_pol->policies[0]);

	/* a namespaced policy: the pods of its namespace; none known yet */
	assert_int_equal(k8s_scope_ops.acquire(s, ns_pol->policies[0], &sc, why, sizeof(why)), 0);
	assert_int_equal(sc.flags, GT_CFG_SCOPE);
	assert_int_equal(keys(sc.fd, got, 8), 0);
	{
		struct k8s_pod *a = pod_of("a", "shop", UID_A, "\"app\":\"web\"", ca);
		struct k8s_pod *b = pod_of("b", "other", UID_B, "\"app\":\"web\"", cb);

		k8s_scope_pod_upsert(s, a);
		k8s_scope_pod_upsert(s, b);
		k8s_pod_put(a);
		k8s_pod_put(b);
	}
	/* pod a's own cgroup and its containers'; b (another namespace, no cgroup anyway) not */
	snprintf(path, sizeof(path), "%s/kubepods/besteffort/pod" UID_A, root);
	want[0] = ino(path);
	snprintf(path, sizeof(path), "%s/kubepods/besteffort/pod" UID_A "/" CID_A, root);
	want[1] = ino(path);
	snprintf(path, sizeof(path), "%s/kubepods/besteffort/pod" UID_A "/" CID_S, root);
	want[2] = ino(path);
	for (int i = 1; i < 3; i++)
		for (int j = i; j > 0 && want[j - 1] > want[j]; j--) {
			uint64_t t = want[j];

			want[j] = want[j - 1];
			want[j - 1] = t;
		}
	assert_int_equal(keys(sc.fd, got, 8), 3);
	assert_memory_equal(got, want, 3 * sizeof(got[0]));
	fd = sc.fd;

	/* a containerSelector on repo: the nginx container only, not the pod's own cgroup */
	assert_int_equal(k8s_scope_ops.acquire(s, sel_pol->policies[0], &sc, why, sizeof(why)), 0);
	assert_int_equal(keys(sc.fd, got, 8), 1);
	snprintf(path, sizeof(path), "%s/kubepods/besteffort/pod" UID_A "/" CID_A, root);
	assert_true(got[0] == ino(path));

	/* pod b's cgroup appears later (inotify): the namespaced policy's set is unchanged, b is elsewhere */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/kubepods/burstable/pod" UID_B "/" CID_B, root);
	assert_int_equal(system(cmd), 0);
	pump_until_known(&q, s, "tetragon_policy_scope_known_cgroups{kind=\"pod\"} 2");
	assert_int_equal(keys(fd, got, 8), 3);

	/* pod a deleted: out of both */
	k8s_scope_pod_delete(s, UID_A);
	assert_int_equal(keys(fd, got, 8), 0);
	assert_int_equal(keys(sc.fd, got, 8), 0);

	k8s_scope_ops.release(s, ns_pol->policies[0]);
	k8s_scope_ops.release(s, sel_pol->policies[0]);
	loop_calls_close(&q);
	k8s_scope_free(s);
	loop_calls_destroy(&q);
	tp_policy_set_free(ns_pol);
	tp_policy_set_free(sel_pol);
	tp_policy_set_free(host_pol);
	tp_policy_set_free(all_pol);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_selector),
		cmocka_unit_test(test_pod_dir),
		cmocka_unit_test(test_scope_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
