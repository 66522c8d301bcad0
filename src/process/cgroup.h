/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cgroups of processes: which hierarchy to read on this host, a process'
 * cgroup from /proc, and the container id a cgroup path names.
 */
#ifndef TG_PROCESS_CGROUP_H
#define TG_PROCESS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTAINER_ID_LEN 64		/* the full id every runtime uses: 64 hex digits */
#define CONTAINER_DOCKER_LEN 31		/* process.docker: upstream's first 31 characters */

/* Which runtime's layout the cgroup path has (the runtime to ask first). */
enum container_runtime {
	CONTAINER_RT_UNKNOWN = 0,	/* a bare id: kubelet's cgroupfs layout, containerd's
					 * /<namespace>/<id>, another runtime's custom parent */
	CONTAINER_RT_DOCKER,		/* /docker/<id>, docker-<id>.scope */
	CONTAINER_RT_CONTAINERD,	/* cri-containerd-<id>.scope */
	CONTAINER_RT_CRIO,		/* crio-<id>.scope */
	CONTAINER_RT_PODMAN,		/* libpod-<id>.scope, /libpod_parent/libpod-<id> */
	CONTAINER_RT__COUNT,
};

const char *container_runtime_name(enum container_runtime rt);

struct cgroup_container {
	char id[CONTAINER_ID_LEN + 1];
	enum container_runtime runtime;
	bool kubepods;			/* under kubelet's kubepods hierarchy */
	char ns[64];			/* containerd namespace to ask: <namespace> of /<namespace>/<id>,
					 * "k8s.io" for kubelet's */
	char pod_uid[40];		/* kubelet's pod<uid> (systemd's '_' turned back into '-') */
};

/*
 * The container a cgroup path belongs to: the deepest component that is a
 * container id, in any of the runtimes' layouts (so a container's own
 * sub-cgroups, /docker/<id>/init.scope, still name it). Monitors in their
 * own scopes (crio-conmon-<id>.scope, libpod-conmon-<id>.scope) are not
 * in the container. Returns true and fills @out when found. Pure: no I/O.
 */
bool cgroup_parse_container(const char *path, struct cgroup_container *out);

/* How this host's processes are placed in cgroups, and what the kernel side reads. */
struct cgroup_host {
	uint32_t mode;			/* TG_CGROUP_* (abi/msg_process.h) */
	uint32_t subsys_idx;		/* v1: the controller's index in css_set.subsys[] */
	char controller[32];		/* v1: its name, as in /proc/PID/cgroup */
	char mount[512];		/* where that hierarchy is mounted */
};

/*
 * From @procdir/self/mountinfo and @procdir/cgroups: cgroup2 wherever it
 * is mounted (pure v2 or a hybrid host's unified hierarchy), else the
 * memory, cpuset or pids v1 hierarchy. 0, or -ENOENT when there is none
 * (mode TG_CGROUP_NONE: processes have no cgroup).
 */
int cgroup_host_detect(const char *procdir, struct cgroup_host *out);

/* The description logged at startup ("cgroup2 at /sys/fs/cgroup/unified"). */
void cgroup_host_describe(const struct cgroup_host *h, char *buf, size_t size);

/*
 * A process' path in the host's hierarchy, from the text of
 * /proc/PID/cgroup (@text, NUL-terminated). Returns the length copied to
 * buf (NUL-terminated), or -ENOENT when its line is not there.
 */
int cgroup_proc_path(const struct cgroup_host *h, const char *text, char *buf, size_t size);

/* The id of the cgroup at @path in the host's hierarchy (its inode number), 0 if unknown. */
uint64_t cgroup_path_id(const struct cgroup_host *h, const char *path);

#endif
