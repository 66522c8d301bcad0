// SPDX-License-Identifier: Apache-2.0
/*
 * src/k8s without a server: kubeconfig and in-cluster configuration, the
 * watch stream's object scanner, Pod objects into pods (strict types,
 * upstream's workload and maybe_exec_probe rules), container ids from
 * cgroup paths, the pod cache (prefix match, deleted pods, relist) and the
 * join into a process's `pod` through the container id function, and the
 * custom resource into policy YAML the parser accepts.
 */
#include <errno.h>
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

#include "k8s/kube_config.h"
#include "k8s/kube_watch.h"
#include "k8s/pods.h"
#include "k8s/tp_yaml.h"
#include "policy/policy.h"

static char tmpdir[64];

static const char *write_tmp(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tg-k8s-unit-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- configuration ------------------------------------------------------------------ */

static void test_base64(void **state)
{
	char *out;
	size_t n;

	(void)state;
	assert_int_equal(kube_base64_decode("aGVsbG8=", 8, &out, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(out, "hello");
	free(out);
	assert_int_equal(kube_base64_decode("aGVs\nbG8h", 9, &out, &n), 0);
	assert_string_equal(out, "hello!");
	free(out);
	assert_int_equal(kube_base64_decode("aGVsbG8", 7, &out, &n), -EINVAL);	/* no padding */
	assert_int_equal(kube_base64_decode("aGV sbG8=", 9, &out, &n), -EINVAL);
	assert_int_equal(kube_base64_decode("aGVsbG8=QQ==", 12, &out, &n), -EINVAL);	/* data after padding */
	assert_int_equal(kube_base64_decode("", 0, &out, &n), -EINVAL);
}

static const char *KUBECONFIG =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: prod\n"
	"clusters:\n"
	"- name: other\n"
	"  cluster: {server: \"https://10.9.9.9\"}\n"
	"- name: c1\n"
	"  cluster:\n"
	"    server: https://127.0.0.1:6443/\n"
	"    certificate-authority-data: LS0tLS1CRUdJTg==\n"
	"contexts:\n"
	"- name: prod\n"
	"  context: {cluster: c1, user: u1, namespace: kube-system}\n"
	"users:\n"
	"- name: u1\n"
	"  user:\n"
	"    tokenFile: tok\n"
	"    client-certificate: certs/c.crt\n"
	"    client-key: /abs/c.key\n";

static void test_kubeconfig(void **state)
{
	struct kube_config c;
	char why[1024], want[512];
	const char *p = write_tmp("kc", KUBECONFIG);

	(void)state;
	assert_int_equal(kube_config_load_file(&c, p, why, sizeof(why)), 0);
	assert_string_equal(c.server, "https://127.0.0.1:6443");
	assert_int_equal(c.ca_len, 10);
	assert_memory_equal(c.ca_data, "-----BEGIN", 10);
	snprintf(want, sizeof(want), "%s/tok", tmpdir);
	assert_string_equal(c.token_file, want);
	snprintf(want, sizeof(want), "%s/certs/c.crt", tmpdir);
	assert_string_equal(c.cert_file, want);
	assert_string_equal(c.key_file, "/abs/c.key");
	assert_string_equal(c.namespace_, "kube-system");
	assert_null(c.token);
	/* the token file is read when asked, trimmed */
	write_tmp("tok", "  abc.def-123\n");
	{
		char *t = kube_config_token(&c, why, sizeof(why));

		assert_string_equal(t, "abc.def-123");
		free(t);
	}
	write_tmp("tok", "two words\n");
	assert_null(kube_config_token(&c, why, sizeof(why)));
	assert_non_null(strstr(why, "bearer token"));
	kube_config_free(&c);
}

static void expect_kc_error(const char *text, const char *msg)
{
	struct kube_config c;
	char why[1024];
	const char *p = write_tmp("bad", text);

	assert_true(kube_config_load_file(&c, p, why, sizeof(why)) < 0);
	if (!strstr(why, msg))
		fail_msg("want \"%s\" in \"%s\"", msg, why);
	assert_non_null(strstr(why, p));
}

static void test_kubeconfig_refused(void **state)
{
	static const char *tail = "contexts:\n- name: x\n  context: {cluster: k, user: u}\n"
				  "users:\n- name: u\n  user: {token: t}\n";
	char buf[2048];

	(void)state;
	snprintf(buf, sizeof(buf), "current-context: x\nclusters:\n- name: k\n  cluster: {server: \"http://h:80\"}\n%s",
		 tail);
	expect_kc_error(buf, "only https:// servers");
	snprintf(buf, sizeof(buf), "current-context: x\nclusters:\n- name: k\n  cluster: {server: \"https://h/api\"}\n%s",
		 tail);
	expect_kc_error(buf, "without a path");
	snprintf(buf, sizeof(buf),
		 "current-context: x\nclusters:\n- name: k\n  cluster:\n    server: https://h\n"
		 "    insecure-skip-tls-verify: true\n%s", tail);
	expect_kc_error(buf, ":6:31: insecure-skip-tls-verify");
	expect_kc_error("current-context: x\nclusters:\n- name: k\n  cluster: {server: \"https://h\"}\n"
			"contexts:\n- name: x\n  context: {cluster: k, user: u}\n"
			"users:\n- name: u\n  user:\n    exec: {command: aws}\n",
			"exec is not supported");
	expect_kc_error("current-context: y\nclusters: []\ncontexts:\n- name: x\n  context: {cluster: k}\n",
			"no contexts named \"y\"");
	expect_kc_error("kind: Pod\n", "a kubeconfig has kind Config");
	expect_kc_error("clusters: [\n", ":");
	expect_kc_error("current-context: x\nclusters:\n- name: k\n  cluster: {server: \"https://h\"}\n"
			"contexts:\n- name: x\n  context: {cluster: k, user: u}\n"
			"users:\n- name: u\n  user: {client-certificate: a.crt}\n",
			"needs its key");
}

static void test_in_cluster(void **state)
{
	struct kube_config c;
	char why[1024], dir[128];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/sa", tmpdir);
	mkdir(dir, 0700);
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(kube_config_in_cluster(&c, dir, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "--k8s-kubeconfig-path"));
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_true(kube_config_in_cluster(&c, dir, why, sizeof(why)) < 0);	/* no token file */
	write_tmp("sa/token", "tok\n");
	write_tmp("sa/ca.crt", "PEM");
	write_tmp("sa/namespace", "kube-system\n");
	assert_int_equal(kube_config_in_cluster(&c, dir, why, sizeof(why)), 0);
	assert_string_equal(c.server, "https://[fd00::1]:443");
	assert_string_equal(c.namespace_, "kube-system");
	assert_non_null(strstr(c.ca_file, "sa/ca.crt"));
	kube_config_free(&c);
	setenv("KUBERNETES_SERVICE_PORT", "44x3", 1);
	assert_int_equal(kube_config_in_cluster(&c, dir, why, sizeof(why)), -EINVAL);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

/* ---- the stream scanner -------------------------------------------------------------- */

struct objs {
	char v[8][256];
	int n, skipped;
};

static int on_obj(void *ctx, const char *o, size_t len)
{
	struct objs *x = ctx;

	if (!o) {
		x->skipped++;
		return 0;
	}
	snprintf(x->v[x->n++], 256, "%.*s", (int)len, o);
	return 0;
}

static void test_scan(void **state)
{
	struct kube_scan s = { .max = 64 };
	struct objs x = { 0 };
	const char *stream = "{\"a\":\"}{\\\"\"}\n  {\"b\":[1,{\"c\":2}]}{\"d\":1}";
	char big[200];

	(void)state;
	/* one byte at a time: objects split anywhere */
	for (size_t i = 0; i < strlen(stream); i++)
		assert_int_equal(kube_scan_feed(&s, stream + i, 1, on_obj, &x), 0);
	assert_int_equal(x.n, 3);
	assert_string_equal(x.v[0], "{\"a\":\"}{\\\"\"}");
	assert_string_equal(x.v[1], "{\"b\":[1,{\"c\":2}]}");
	assert_string_equal(x.v[2], "{\"d\":1}");
	/* larger than max: skipped, the stream goes on */
	memset(big, 'x', sizeof(big));
	memcpy(big, "{\"k\":\"", 6);
	memcpy(big + sizeof(big) - 3, "\"}\n", 3);
	assert_int_equal(kube_scan_feed(&s, big, sizeof(big), on_obj, &x), 0);
	assert_int_equal(x.skipped, 1);
	assert_int_equal(kube_scan_feed(&s, "{\"e\":1}", 7, on_obj, &x), 0);
	assert_int_equal(x.n, 4);
	/* not an object at the top */
	assert_int_equal(kube_scan_feed(&s, "[1]", 3, on_obj, &x), -EPROTO);
	kube_scan_reset(&s);
	assert_int_equal(kube_scan_feed(&s, "<html>", 6, on_obj, &x), -EPROTO);
	kube_scan_free(&s);
}

/* ---- pods ------------------------------------------------------------------------------- */

#define CID1 "3f4a1b2c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"
#define CID2 "aa4a1b2c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"

static const char *POD_JSON =
	"{\"metadata\":{\"name\":\"web-7d9f-x\",\"generateName\":\"web-7d9f-\",\"namespace\":\"shop\","
	"\"uid\":\"u-1\",\"resourceVersion\":\"42\",\"labels\":{\"z\":\"1\",\"app\":\"web\",\"pod-template-hash\":\"7d9f\"},"
	"\"annotations\":{\"a\":\"b\"},\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"web-7d9f\","
	"\"controller\":true}]},"
	"\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"app\",\"securityContext\":{\"privileged\":true},"
	"\"livenessProbe\":{\"exec\":{\"command\":[\"/bin/check\",\"--fast\"]}}}],"
	"\"initContainers\":[{\"name\":\"init\"}]},"
	"\"status\":{\"initContainerStatuses\":[{\"name\":\"init\",\"containerID\":\"containerd://" CID2 "\","
	"\"image\":\"busybox\",\"imageID\":\"\",\"state\":{\"terminated\":{}}}],"
	"\"containerStatuses\":[{\"name\":\"app\",\"containerID\":\"containerd://" CID1 "\",\"image\":\"nginx:1\","
	"\"imageID\":\"nginx@sha256:00\",\"state\":{\"running\":{\"startedAt\":\"2024-05-01T10:00:00.5Z\"}}}]}}";

static struct k8s_pod *parse_pod(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	struct k8s_pod *p = NULL;
	char why[256];

	assert_non_null(j);
	assert_int_equal(k8s_pod_from_json(j, &p, why, sizeof(why)), 0);
	json_decref(j);
	return p;
}

static void test_pod_parse(void **state)
{
	struct k8s_pod *p = parse_pod(POD_JSON);

	(void)state;
	assert_string_equal(p->ns, "shop");
	assert_string_equal(p->workload, "web");
	assert_string_equal(p->workload_kind, "Deployment");
	assert_int_equal(p->nlabels, 3);
	assert_string_equal(p->labels[0]->key, "app");	/* sorted, as Go's protojson writes maps */
	assert_string_equal(p->labels[2]->key, "z");
	assert_int_equal(p->nannotations, 1);
	assert_int_equal(p->nc, 2);
	assert_string_equal(p->c[0].name, "init");
	assert_false(p->c[0].running);
	assert_string_equal(p->c[1].id, "containerd://" CID1);
	assert_string_equal(p->c[1].key, CID1);
	assert_true(p->c[1].running);
	assert_int_equal(p->c[1].start_sec, 1714557600);
	assert_int_equal(p->c[1].start_nsec, 500000000);
	assert_true(p->c[1].privileged);
	assert_string_equal(p->c[1].liveness[1], "--fast");
	assert_null(p->c[1].readiness);
	k8s_pod_put(p);
}

static void expect_pod_refused(const char *text, const char *msg)
{
	json_t *j = json_loads(text, 0, NULL);
	struct k8s_pod *p = NULL;
	char why[256];

	assert_non_null(j);
	assert_int_equal(k8s_pod_from_json(j, &p, why, sizeof(why)), -EINVAL);
	if (!strstr(why, msg))
		fail_msg("want \"%s\" in \"%s\"", msg, why);
	json_decref(j);
}

static void test_pod_refused(void **state)
{
	(void)state;
	expect_pod_refused("{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"}}", "a pod needs a name, namespace and uid");
	expect_pod_refused("{\"metadata\":{\"name\":1,\"namespace\":\"b\",\"uid\":\"u\"}}", "metadata.name: want a string");
	expect_pod_refused("{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\",\"uid\":\"u\",\"labels\":[]}}",
			   "metadata.labels: want an object");
	expect_pod_refused("{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\",\"uid\":\"u\",\"labels\":{\"k\":1}}}",
			   "metadata.labels[k]: want a string");
	expect_pod_refused("{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\",\"uid\":\"u\"},"
			   "\"status\":{\"containerStatuses\":{}}}", "status.containerStatuses: want an array");
	expect_pod_refused("{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\",\"uid\":\"u\"},\"status\":{"
			   "\"containerStatuses\":[{\"name\":\"c\",\"state\":{\"running\":{\"startedAt\":\"yesterday\"}}}]}}",
			   "startedAt: not an RFC 3339 time");
	expect_pod_refused("{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\",\"uid\":\"u\"},"
			   "\"spec\":{\"containers\":[{\"name\":\"c\",\"securityContext\":{\"privileged\":\"yes\"}}]},"
			   "\"status\":{\"containerStatuses\":[{\"name\":\"c\"}]}}", "privileged: want a boolean");
}

static void test_workload(void **state)
{
	char n[128], k[64];

	(void)state;
	k8s_workload("p", NULL, NULL, NULL, NULL, NULL, n, sizeof(n), k, sizeof(k));
	assert_string_equal(n, "p");
	assert_string_equal(k, "Pod");
	k8s_workload("web-abc-x", "web-abc-", "ReplicaSet", "web-abc", "abc", NULL, n, sizeof(n), k, sizeof(k));
	assert_string_equal(n, "web");
	assert_string_equal(k, "Deployment");
	k8s_workload("rs-x", "rs-", "ReplicaSet", "rs", "zzz", NULL, n, sizeof(n), k, sizeof(k));
	assert_string_equal(n, "rs");
	assert_string_equal(k, "ReplicaSet");
	k8s_workload("db-0", "db-", "StatefulSet", "db", NULL, NULL, n, sizeof(n), k, sizeof(k));
	assert_string_equal(n, "db");
	assert_string_equal(k, "StatefulSet");
	k8s_workload("j-x", "backup-28391040-", "Job", "backup-28391040", NULL, NULL, n, sizeof(n), k, sizeof(k));
	assert_string_equal(n, "backup");
	assert_string_equal(k, "CronJob");
	k8s_workload("j-x", "once-", "Job", "once-123", NULL, NULL, n, sizeof(n), k, sizeof(k));
	assert_string_equal(n, "once-123");
	assert_string_equal(k, "Job");
	k8s_workload("x", "app-1-", "ReplicationController", "app-1", NULL, "app", n, sizeof(n), k, sizeof(k));
	assert_string_equal(n, "app");
	assert_string_equal(k, "DeploymentConfig");
	/* not generated: the pod itself, whatever owns it */
	k8s_workload("static", NULL, "Node", "n1", NULL, NULL, n, sizeof(n), k, sizeof(k));
	assert_string_equal(n, "static");
	assert_string_equal(k, "Pod");
}

static void test_exec_probe(void **state)
{
	char *abs_probe[] = { "/bin/check", "--fast", NULL };
	char *rel_probe[] = { "check", "--fast", NULL };
	char *script[] = { "/health/ping.sh", "5", NULL };
	char *quoted[] = { "sh", "-c", "echo ok", NULL };

	(void)state;
	assert_true(k8s_maybe_exec_probe("/bin/check", "--fast", abs_probe));
	assert_false(k8s_maybe_exec_probe("/usr/bin/check", "--fast", abs_probe));
	assert_true(k8s_maybe_exec_probe("/usr/bin/check", "--fast", rel_probe));
	assert_false(k8s_maybe_exec_probe("/bin/check", "--slow", abs_probe));
	assert_false(k8s_maybe_exec_probe("/bin/check", "--fast extra", abs_probe));
	assert_true(k8s_maybe_exec_probe("/health/ping.sh", "/health/ping.sh 5", script));
	assert_true(k8s_maybe_exec_probe("/bin/sh", "-c \"echo ok\"", quoted));
	assert_false(k8s_maybe_exec_probe("/bin/sh", "-c \"echo ok", quoted));	/* unbalanced: no */
	assert_false(k8s_maybe_exec_probe("/bin/check", "--fast", NULL));
}

static void test_cgroup_container_id(void **state)
{
	static const struct {
		const char *path, *id;
	} cases[] = {
		{ "/docker/" CID1, CID1 },
		{ "/system.slice/docker-" CID1 ".scope", CID1 },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-" CID1
		  ".scope", CID1 },
		{ "/kubepods/besteffort/pod0c9f/" CID1, CID1 },
		{ "/kubepods.slice/kubepods-pod1.slice/crio-" CID1 ".scope", CID1 },
		{ "/machine.slice/libpod-" CID1 ".scope", CID1 },
		{ "/user.slice/user-0.slice/session-1.scope", "" },
		{ "/docker/" CID1 "/sub", "" },
		{ "/", "" },
		{ "/docker/3F4A1B2C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708", "" },
	};
	char buf[K8S_CID_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k8s_cgroup_container_id(cases[i].path, buf, sizeof(buf));
		if (strcmp(buf, cases[i].id))
			fail_msg("%s: got \"%s\"", cases[i].path, buf);
	}
}

/* The container id of a test process: its comm field. */
static size_t fake_cid(void *ctx, const struct process *p, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "%s", p->binary ? p->binary : "");
	return strlen(buf);
}

static char *pod_text(const char *name, const char *uid, const char *cid)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\",\"uid\":\"%s\"},\"status\":{\"containerStatuses\":"
		 "[{\"name\":\"c\",\"containerID\":\"docker://%s\",\"image\":\"img\",\"state\":{\"running\":"
		 "{\"startedAt\":\"2024-01-01T00:00:00Z\"}}}]}}", name, uid, cid);
	return buf;
}

static void test_pod_cache(void **state)
{
	struct k8s_pods_opts o = { .deleted_max = 1, .container_id = fake_cid };
	struct k8s_pods *c = k8s_pods_new(&o);
	const struct k8s_container *k;
	struct k8s_pods_stats st;
	struct k8s_pod *v[2];

	(void)state;
	assert_int_equal(k8s_pods_upsert(c, parse_pod(pod_text("a", "ua", CID1))), 0);
	/* a prefix of the id finds it (processes may carry a truncated id), not a different id */
	k = k8s_pods_find(c, "3f4a1b2c5d6e7f80");
	assert_non_null(k);
	assert_string_equal(k->pod->name, "a");
	assert_non_null(k8s_pods_find(c, "3f4a1b2c"));		/* shorter than the index's key: a scan */
	assert_null(k8s_pods_find(c, "3f4a1b2c5d6e7f81"));
	assert_null(k8s_pods_find(c, ""));
	/* replaced by uid */
	assert_int_equal(k8s_pods_upsert(c, parse_pod(pod_text("a2", "ua", CID1))), 0);
	assert_string_equal(k8s_pods_find(c, CID1)->pod->name, "a2");
	k8s_pods_stats(c, &st);
	assert_int_equal(st.pods, 1);
	/* deleted: still found, as deleted */
	assert_int_equal(k8s_pods_delete(c, "ua"), 0);
	assert_int_equal(k8s_pods_delete(c, "ua"), -ENOENT);
	k = k8s_pods_find(c, CID1);
	assert_non_null(k);
	assert_true(k->pod->deleted);
	/* a list: b is new, the deleted a is pushed out by the next deletion (1 container kept) */
	v[0] = parse_pod(pod_text("b", "ub", CID2));
	assert_int_equal(k8s_pods_replace(c, v, 1), 0);
	k8s_pods_stats(c, &st);
	assert_int_equal(st.pods, 1);
	assert_int_equal(st.deleted_pods, 1);
	v[0] = parse_pod(pod_text("c", "uc", "cc4a1b2c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"));
	assert_int_equal(k8s_pods_replace(c, v, 1), 0);	/* b not listed: deleted, a evicted */
	k8s_pods_stats(c, &st);
	assert_int_equal(st.pods, 1);
	assert_int_equal(st.deleted_pods, 1);
	assert_int_equal(st.deleted_evictions, 1);
	assert_null(k8s_pods_find(c, CID1));
	assert_true(k8s_pods_find(c, CID2)->pod->deleted);
	k8s_pods_free(c);
}

static void test_pod_view(void **state)
{
	struct k8s_pods_opts o = { .deleted_max = 16, .container_id = fake_cid };
	struct k8s_pods *c = k8s_pods_new(&o);
	struct process parent = { .pid = 10, .nspid = 1, .binary = CID1 };
	struct process child = { .pid = 11, .nspid = 7, .binary = (char *)"", .parent = &parent };
	struct process other = { .pid = 12, .binary = (char *)"/bin/true" };
	void *ps = NULL, *cs = NULL, *os = NULL;
	const Tetragon__Pod *m;

	(void)state;
	/* not known yet */
	assert_null(k8s_pod_view(c, &parent, &ps, NULL));
	assert_false(k8s_pod_view_refresh(c, &parent, &ps, NULL));
	assert_null(k8s_pod_view(c, &other, &os, NULL));
	/* the pod arrives: the view finds it at its next event, the process without an id never looks */
	assert_int_equal(k8s_pods_upsert(c, parse_pod(pod_text("late", "ul", CID1))), 0);
	assert_true(k8s_pod_view_refresh(c, &parent, &ps, NULL));
	assert_false(k8s_pod_view_refresh(c, &other, &os, NULL));
	m = k8s_pod_view_msg(ps);
	assert_non_null(m);
	assert_string_equal(m->name, "late");
	assert_string_equal(m->container->id, "docker://" CID1);
	assert_int_equal(m->container->pid->value, 1);
	assert_string_equal(m->container->image->name, "img");
	assert_int_equal(m->container->start_time->seconds, 1704067200);
	/* a view built before the pod watch started: looked up at its next event */
	{
		struct process old = { .pid = 13, .binary = CID1 };
		void *ls = NULL;

		assert_true(k8s_pod_view_refresh(c, &old, &ls, NULL));
		assert_string_equal(k8s_pod_view_msg(ls)->name, "late");
		assert_false(k8s_pod_view_refresh(c, &old, &ls, NULL));
		k8s_pod_view_free(ls);
	}
	/* no id of its own: its parent's container */
	m = k8s_pod_view(c, &child, &cs, ps);
	assert_non_null(m);
	assert_string_equal(m->name, "late");
	assert_int_equal(m->container->pid->value, 7);
	/* the pod deleted and evicted: the views keep their copy */
	k8s_pods_free(c);
	assert_string_equal(k8s_pod_view_msg(cs)->namespace_, "ns");
	k8s_pod_view_free(ps);
	k8s_pod_view_free(cs);
	k8s_pod_view_free(os);
}

/* ---- custom resources ------------------------------------------------------------------- */

static void test_tp_yaml(void **state)
{
	const char *cr =
		"{\"apiVersion\":\"cilium.io/v1alpha1\",\"kind\":\"TracingPolicy\",\"metadata\":{\"name\":\"p1\","
		"\"uid\":\"x\",\"generation\":3,\"managedFields\":[{\"manager\":\"kubectl\"}],"
		"\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"}},"
		"\"spec\":{\"kprobes\":[{\"call\":\"sys_getppid\",\"syscall\":true,\"message\":\"yes: no\","
		"\"args\":[{\"index\":0,\"type\":\"string\"}],\"selectors\":[{\"matchArgs\":[{\"index\":0,\"operator\":\"Equal\",\"values\":[\"true\",\"0x10\","
		"\"null\"]}]}]}]}}";
	json_t *j = json_loads(cr, 0, NULL);
	struct strbuf y = STRBUF_INIT;
	struct tp_policy_set *set = NULL;
	struct tp_diags d = TP_DIAGS_INIT;
	char why[256];

	(void)state;
	assert_int_equal(k8s_tp_yaml(j, &y, why, sizeof(why)), 0);
	/* only what the parser reads: no managed fields, no annotations */
	assert_null(strstr(y.buf, "managedFields"));
	assert_null(strstr(y.buf, "last-applied"));
	assert_non_null(strstr(y.buf, "\"true\""));	/* strings stay strings */
	assert_int_equal(tp_parse("cr", y.buf, y.len, &set, &d), 0);
	assert_int_equal(set->n, 1);
	assert_string_equal(set->policies[0]->name, "p1");
	tp_policy_set_free(set);
	tp_diags_free(&d);
	strbuf_free(&y);
	json_decref(j);
	j = json_loads("{\"kind\":\"TracingPolicy\",\"metadata\":{}}", 0, NULL);
	assert_int_equal(k8s_tp_yaml(j, &y, why, sizeof(why)), -EINVAL);
	json_decref(j);
	strbuf_free(&y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_kubeconfig),
		cmocka_unit_test(test_kubeconfig_refused),
		cmocka_unit_test(test_in_cluster),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_pod_parse),
		cmocka_unit_test(test_pod_refused),
		cmocka_unit_test(test_workload),
		cmocka_unit_test(test_exec_probe),
		cmocka_unit_test(test_cgroup_container_id),
		cmocka_unit_test(test_pod_cache),
		cmocka_unit_test(test_pod_view),
		cmocka_unit_test(test_tp_yaml),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
