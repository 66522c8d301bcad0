// SPDX-License-Identifier: Apache-2.0
/*
 * Container ids from cgroup paths, on the paths real runtimes make (the
 * systemd forms included: this host has no systemd to make them), the
 * host's hierarchy from mountinfo, a process' line of /proc/PID/cgroup,
 * and the container table processes share their cgroups through.
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

#include "abi/msg_process.h"
#include "process/cgroup.h"
#include "process/container.h"
#include "runtime/runtime.h"

#define ID "3f1d5d7a0f8c4b8e9a2b6c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f"
#define ID2 "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8"
#define UID "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
#define UID_ "0a1b2c3d_4e5f_6789_abcd_ef0123456789"

struct want {
	const char *path;
	const char *id;			/* NULL: no container */
	enum container_runtime rt;
	bool kubepods;
	const char *ns;
	const char *pod_uid;
};

static const struct want cases[] = {
	/* Docker, cgroupfs driver (v1 and v2) and systemd driver */
	{ "/docker/" ID, ID, CONTAINER_RT_DOCKER, false, "", "" },
	{ "/system.slice/docker-" ID ".scope", ID, CONTAINER_RT_DOCKER, false, "", "" },
	/* a container's own sub-cgroups (systemd inside, cgroupns private) */
	{ "/docker/" ID "/init.scope", ID, CONTAINER_RT_DOCKER, false, "", "" },
	{ "/system.slice/docker-" ID ".scope/system.slice/cron.service", ID, CONTAINER_RT_DOCKER, false, "", "" },
	/* Docker in Docker: the innermost */
	{ "/docker/" ID2 "/docker/" ID, ID, CONTAINER_RT_DOCKER, false, "", "" },
	/* containerd's CRI plugin under kubelet, systemd driver: QoS classes */
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	  ID, CONTAINER_RT_CONTAINERD, true, "k8s.io", UID },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	  ID, CONTAINER_RT_CONTAINERD, true, "k8s.io", UID },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope", ID, CONTAINER_RT_CONTAINERD,
	  true, "k8s.io", UID },
	/* kubelet, cgroupfs driver: a bare id (containerd, cri-o or Docker) */
	{ "/kubepods/besteffort/pod" UID "/" ID, ID, CONTAINER_RT_UNKNOWN, true, "k8s.io", UID },
	{ "/kubepods/burstable/pod" UID "/" ID, ID, CONTAINER_RT_UNKNOWN, true, "k8s.io", UID },
	{ "/kubepods/pod" UID "/" ID, ID, CONTAINER_RT_UNKNOWN, true, "k8s.io", UID },
	/* static pods: the uid is the manifest's hash */
	{ "/kubepods/burstable/pod6d1b9a0c4f1e2d3c4b5a69788796a5b4/" ID, ID, CONTAINER_RT_UNKNOWN, true, "k8s.io",
	  "6d1b9a0c4f1e2d3c4b5a69788796a5b4" },
	/* kubelet with Docker (cri-dockerd), systemd */
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/docker-" ID ".scope", ID,
	  CONTAINER_RT_DOCKER, true, "k8s.io", UID },
	/* cri-o, and its monitor (not in the container) */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/crio-" ID ".scope", ID,
	  CONTAINER_RT_CRIO, true, "k8s.io", UID },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/crio-conmon-" ID ".scope",
	  NULL },
	/* runc's "slice:prefix:name" form */
	{ "/kubepods-besteffort-pod" UID_ ".slice:cri-containerd:" ID, ID, CONTAINER_RT_CONTAINERD, true, "k8s.io",
	  UID },
	{ "/system.slice:docker:" ID, ID, CONTAINER_RT_DOCKER, false, "", "" },
	/* Podman: systemd (root and rootless), cgroupfs, its "container" sub-cgroup, conmon */
	{ "/machine.slice/libpod-" ID ".scope", ID, CONTAINER_RT_PODMAN, false, "", "" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope", ID, CONTAINER_RT_PODMAN,
	  false, "", "" },
	{ "/machine.slice/libpod-" ID ".scope/container", ID, CONTAINER_RT_PODMAN, false, "", "" },
	{ "/libpod_parent/libpod-" ID, ID, CONTAINER_RT_PODMAN, false, "", "" },
	{ "/machine.slice/libpod-conmon-" ID ".scope", NULL },
	{ "/libpod_parent/conmon", NULL },
	/* plain containerd (ctr, nerdctl): /<namespace>/<id> */
	{ "/default/" ID, ID, CONTAINER_RT_UNKNOWN, false, "default", "" },
	{ "/k8s.io/" ID, ID, CONTAINER_RT_UNKNOWN, false, "k8s.io", "" },
	/* not containers */
	{ "/", NULL },
	{ "", NULL },
	{ "/init.scope", NULL },
	{ "/system.slice/docker.service", NULL },
	{ "/system.slice/containerd.service", NULL },
	{ "/user.slice/user-0.slice/session-3.scope", NULL },
	{ "/kubepods.slice/kubepods-besteffort.slice", NULL },
	{ "/docker", NULL },
	/* almost ids */
	{ "/docker/" "3F1D5D7A0F8C4B8E9A2B6C1D0E9F8A7B6C5D4E3F2A1B0C9D8E7F6A5B4C3D2E1F", NULL },
	{ "/docker/" "3f1d5d7a0f8c4b8e9a2b6c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1", NULL },
	{ "/docker/" ID "0", NULL },
	{ "/system.slice/docker-" ID ".service", NULL },
	{ "/system.slice/docker-" ID "x.scope", NULL },
};

static void test_parse_layouts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want *w = &cases[i];
		struct cgroup_container c;
		bool found = cgroup_parse_container(w->path, &c);

		if (found != (w->id != NULL))
			fail_msg("%s: found=%d", w->path, found);
		if (!w->id)
			continue;
		if (strcmp(c.id, w->id) || c.runtime != w->rt || c.kubepods != w->kubepods || strcmp(c.ns, w->ns) ||
		    strcmp(c.pod_uid, w->pod_uid))
			fail_msg("%s: id=%s runtime=%s kubepods=%d ns=%s pod_uid=%s", w->path, c.id,
				 container_runtime_name(c.runtime), c.kubepods, c.ns, c.pod_uid);
	}
}

/* Hostile and degenerate paths: no crash, no container. */
static void test_parse_hostile(void **state)
{
	struct cgroup_container c;
	char deep[8192];
	size_t n = 0;

	(void)state;
	assert_false(cgroup_parse_container(NULL, &c));
	assert_false(cgroup_parse_container("////", &c));
	assert_false(cgroup_parse_container(":::", &c));
	assert_false(cgroup_parse_container("/a:b:c:.scope", &c));
	assert_false(cgroup_parse_container("/.scope", &c));
	assert_false(cgroup_parse_container("/docker-.scope", &c));
	/* deeper than the parser keeps: the id at the end is still found */
	while (n + 3 < sizeof(deep) - 80) {
		memcpy(deep + n, "/x", 2);
		n += 2;
	}
	snprintf(deep + n, sizeof(deep) - n, "/docker-%s.scope", ID);
	assert_true(cgroup_parse_container(deep, &c));
	assert_string_equal(c.id, ID);
	/* a pod uid too long for its buffer is dropped, not overrun */
	assert_true(cgroup_parse_container("/kubepods/pod0123456789abcdef0123456789abcdef0123456789abcdef/" ID, &c));
	assert_string_equal(c.pod_uid, "");
}

/* /proc/PID/cgroup of a hybrid host, a pure v2 one, and the v1 line chosen. */
static void test_proc_path(void **state)
{
	const char *hybrid = "12:pids:/docker/" ID "\n"
			     "9:memory:/docker/" ID "\n"
			     "3:cpuset:/docker/" ID "\n"
			     "1:name=systemd:/docker/" ID "\n"
			     "0::/docker/" ID "\n";
	struct cgroup_host v2 = { .mode = TG_CGROUP_V2 }, v1 = { .mode = TG_CGROUP_V1, .controller = "memory" };
	struct cgroup_host none = { .mode = TG_CGROUP_NONE };
	char buf[256];

	(void)state;
	assert_int_equal(cgroup_proc_path(&v2, hybrid, buf, sizeof(buf)), (int)strlen("/docker/" ID));
	assert_string_equal(buf, "/docker/" ID);
	assert_true(cgroup_proc_path(&v2, "0::/\n", buf, sizeof(buf)) == 1);
	assert_string_equal(buf, "/");
	assert_true(cgroup_proc_path(&v1, hybrid, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "/docker/" ID);
	/* a controller list: "cpu,cpuacct" */
	{
		struct cgroup_host cpu = { .mode = TG_CGROUP_V1, .controller = "cpuacct" };

		assert_true(cgroup_proc_path(&cpu, "4:cpu,cpuacct:/a/b\n0::/\n", buf, sizeof(buf)) > 0);
		assert_string_equal(buf, "/a/b");
	}
	assert_int_equal(cgroup_proc_path(&v1, "0::/x\n", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cgroup_proc_path(&none, hybrid, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cgroup_proc_path(&v2, "garbage\n::\n0:", buf, sizeof(buf)), -ENOENT);
	/* cut to the buffer, never past it */
	assert_int_equal(cgroup_proc_path(&v2, "0::/abcdefgh\n", buf, 5), 4);
	assert_string_equal(buf, "/abc");
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A fake procfs: mountinfo and cgroups of a hybrid, a pure v2 and a v1-only host. */
static void test_host_detect(void **state)
{
	char dir[] = "/tmp/tg-cgroup-XXXXXX", self[600];
	const char *cgroups = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
			      "cpuset\t3\t1\t1\ncpu\t2\t1\t1\ncpuacct\t2\t1\t1\nblkio\t7\t1\t1\n"
			      "memory\t4\t5\t1\ndevices\t5\t1\t1\nfreezer\t6\t1\t1\nnet_cls\t0\t1\t1\n"
			      "perf_event\t0\t1\t1\nnet_prio\t0\t1\t1\nhugetlb\t0\t1\t1\npids\t8\t1\t1\n";
	struct cgroup_host h;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(self, sizeof(self), "%s/self", dir);
	assert_int_equal(mkdir(self, 0755), 0);
	write_file(dir, "cgroups", cgroups);

	/* hybrid: cgroup2 at .../unified wins over the v1 controllers */
	write_file(self, "mountinfo",
		   "25 30 0:23 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
		   "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
		   "27 25 0:25 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
		   "30 25 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
	assert_int_equal(cgroup_host_detect(dir, &h), 0);
	assert_int_equal(h.mode, TG_CGROUP_V2);
	assert_string_equal(h.mount, "/sys/fs/cgroup/unified");

	/* pure v2 */
	write_file(self, "mountinfo", "29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n");
	assert_int_equal(cgroup_host_detect(dir, &h), 0);
	assert_int_equal(h.mode, TG_CGROUP_V2);
	assert_string_equal(h.mount, "/sys/fs/cgroup");

	/* v1 only: memory, its index in /proc/cgroups; a mount point with a space */
	write_file(self, "mountinfo",
		   "25 30 0:23 / /sys/fs/cgroup ro - tmpfs tmpfs ro\n"
		   "27 25 0:25 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
		   "28 25 0:26 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
		   "30 25 0:28 / /sys/fs/cgroup/my\\040memory rw - cgroup cgroup rw,memory\n");
	assert_int_equal(cgroup_host_detect(dir, &h), 0);
	assert_int_equal(h.mode, TG_CGROUP_V1);
	assert_string_equal(h.controller, "memory");
	assert_int_equal(h.subsys_idx, 4);
	assert_string_equal(h.mount, "/sys/fs/cgroup/my memory");

	/* only name=systemd: no controller the kernel side can read */
	write_file(self, "mountinfo", "27 25 0:25 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n");
	assert_int_equal(cgroup_host_detect(dir, &h), -ENOENT);
	assert_int_equal(h.mode, TG_CGROUP_NONE);

	{
		char p[700];

		snprintf(p, sizeof(p), "%s/mountinfo", self);
		unlink(p);
		snprintf(p, sizeof(p), "%s/cgroups", dir);
		unlink(p);
		rmdir(self);
		rmdir(dir);
	}
}

/* Processes share cgroups; cgroups naming one container share its record. */
static void test_table(void **state)
{
	struct container_table *t;
	struct tg_cgroup *a, *b, *c, *d;
	struct container_table_stats st;

	(void)state;
	assert_int_equal(container_table_new(&t), 0);
	a = container_table_cgroup(t, 100, "/docker/" ID, strlen("/docker/" ID), 0);
	b = container_table_cgroup(t, 100, NULL, 0, 0);
	assert_ptr_equal(a, b);
	assert_non_null(a->container);
	assert_string_equal(a->container->id, ID);
	assert_string_equal(a->container->docker, "3f1d5d7a0f8c4b8e9a2b6c1d0e9f8a7");
	assert_int_equal(strlen(a->container->docker), 31);
	/* another cgroup of the same container (its init.scope) */
	c = container_table_cgroup(t, 101, "/docker/" ID "/init.scope", strlen("/docker/" ID "/init.scope"), 0);
	assert_ptr_equal(c->container, a->container);
	assert_ptr_equal(container_table_find(t, ID), a->container);
	/* known by id first, its path learnt later */
	d = container_table_cgroup(t, 200, NULL, 0, 0);
	assert_null(d->container);
	assert_string_equal(d->path, "");
	tg_cgroup_put(container_table_cgroup(t, 200, "/docker/" ID2, strlen("/docker/" ID2), 0));
	assert_non_null(d->container);
	assert_string_equal(d->container->id, ID2);
	container_table_stats(t, &st);
	assert_int_equal(st.cgroups, 3);
	assert_int_equal(st.containers, 2);
	tg_cgroup_put(a);
	tg_cgroup_put(b);
	container_table_stats(t, &st);
	assert_int_equal(st.cgroups, 2);
	assert_non_null(container_table_find(t, ID));
	tg_cgroup_put(c);
	assert_null(container_table_find(t, ID));
	tg_cgroup_put(d);
	container_table_stats(t, &st);
	assert_int_equal(st.cgroups, 0);
	assert_int_equal(st.containers, 0);
	assert_int_equal(st.containers_seen, 2);
	container_table_free(t);
}

static void test_rfc3339(void **state)
{
	(void)state;
	assert_int_equal(runtime_parse_rfc3339("2024-05-01T10:20:30.123456789Z"), 1714558830123456789ULL);
	assert_int_equal(runtime_parse_rfc3339("2024-05-01T10:20:30Z"), 1714558830000000000ULL);
	assert_int_equal(runtime_parse_rfc3339("2024-05-01T12:20:30.5+02:00"), 1714558830500000000ULL);
	assert_int_equal(runtime_parse_rfc3339("0001-01-01T00:00:00Z"), 0);
	assert_int_equal(runtime_parse_rfc3339("yesterday"), 0);
	assert_int_equal(runtime_parse_rfc3339(NULL), 0);
	assert_int_equal(runtime_parse_rfc3339("2024-05-01T10:20:30"), 0);
}

static void test_k8s_labels(void **state)
{
	struct container_meta *m = calloc(1, sizeof(*m));
	struct container_label l[] = {
		{ "io.kubernetes.pod.name", "web-0" },
		{ "io.kubernetes.pod.namespace", "shop" },
		{ "io.kubernetes.pod.uid", UID },
		{ "io.kubernetes.container.name", "nginx" },
		{ "app", "web" },
	};

	(void)state;
	m->name = strdup("k8s_nginx_web-0");
	m->labels = calloc(5, sizeof(*m->labels));
	for (int i = 0; i < 5; i++) {
		m->labels[i].key = strdup(l[i].key);
		m->labels[i].value = strdup(l[i].value);
	}
	m->nlabels = 5;
	runtime_meta_from_k8s_labels(m);
	assert_string_equal(m->pod_name, "web-0");
	assert_string_equal(m->pod_namespace, "shop");
	assert_string_equal(m->pod_uid, UID);
	assert_string_equal(m->name, "nginx");
	container_meta_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_layouts), cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_proc_path),     cmocka_unit_test(test_host_detect),
		cmocka_unit_test(test_table),         cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_k8s_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
