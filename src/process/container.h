/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroups processes run in, and the containers those name. Every
 * cached process points at its cgroup (shared, refcounted); a cgroup that
 * names a container points at that container's record, which collects
 * what is known about it: the runtime's metadata (src/runtime) and, with
 * the Kubernetes API, the pod's. Event loop thread only.
 *
 * For the pod watch (src/k8s): join pods on container_id(), the full
 * 64-hex id, which is what follows "<runtime>://" in a pod's
 * status.containerStatuses[].containerID; process_container() gives it
 * for a process. Set what the API server says with container_set_pod(),
 * and hold events for a container whose pod is not known yet with
 * container_pending_add()/container_pending_done() (bounded by the event
 * hold's deadline, see event/event_hold.h).
 */
#ifndef TG_PROCESS_CONTAINER_H
#define TG_PROCESS_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "process/cgroup.h"

struct process;

/* One label; the arrays below are owned by their metadata. */
struct container_label {
	char *key, *value;
};

/* What a runtime said about a container. Immutable once published. */
struct container_meta {
	const char *scheme;		/* "docker", "containerd", "cri-o": pod.container.id's prefix */
	char *name;			/* container name (CRI: io.kubernetes.container.name) */
	char *image;			/* image reference as run ("docker.io/library/busybox:latest") */
	char *image_id;			/* image id ("sha256:..."), may be NULL */
	uint64_t start_time_ns;		/* wall clock, 0 if unknown */
	struct container_label *labels;
	size_t nlabels;
	/* containerd's CRI plugin (labels io.kubernetes.pod.*) */
	char *pod_name, *pod_namespace, *pod_uid;
	struct container_label *pod_labels;	/* the sandbox's labels, kubelet's own removed */
	size_t npod_labels;
};

void container_meta_free(struct container_meta *m);

/* Pending sources: while any is set, events of the container may be held. */
#define CONTAINER_PENDING_RUNTIME 0x1	/* a runtime lookup is in flight */
#define CONTAINER_PENDING_K8S	  0x2	/* the pod watch has not seen it yet */

struct container {
	char id[CONTAINER_ID_LEN + 1];
	char docker[CONTAINER_DOCKER_LEN + 1];	/* process.docker */
	struct cgroup_container where;	/* what the cgroup path says (runtime, namespace, pod uid) */
	int refcnt;
	uint32_t gen;			/* bumped on every change: cached event views rebuild */
	struct container_meta *meta;	/* from the runtime, NULL until known */
	void *pod;			/* owner: src/k8s (container_set_pod) */
	void (*pod_free)(void *pod);
	unsigned pending;		/* CONTAINER_PENDING_* */
	/* runtime lookups (src/runtime) */
	uint8_t lookup_state;		/* CONTAINER_LOOKUP_* */
	uint8_t attempts;
	uint64_t retry_at_ms;		/* monotonic, for CONTAINER_LOOKUP_RETRY */
	struct container *next;		/* hash chain */
};

enum {
	CONTAINER_LOOKUP_NONE = 0,	/* never asked */
	CONTAINER_LOOKUP_INFLIGHT,
	CONTAINER_LOOKUP_RETRY,		/* failed, ask again at retry_at_ms */
	CONTAINER_LOOKUP_DONE,		/* answered, or given up */
};

/* A cgroup some cached process is in. */
struct tg_cgroup {
	uint64_t id;			/* 0: unknown */
	char *path;			/* "" when unknown */
	uint32_t flags;			/* EVENT_ERROR_CGROUP* of the record that named it */
	struct container *container;	/* NULL: not a container's */
	int refcnt;
	struct container_table *table;
	struct tg_cgroup *next;
};

struct container_table_stats {
	uint64_t cgroups, containers;	/* now */
	uint64_t containers_seen;	/* created */
};

struct container_table;

int container_table_new(struct container_table **ret);
void container_table_free(struct container_table *t);

/*
 * The cgroup with this id, created with @path when new (path NULL or ""
 * with an id: known by id only). Returns a new reference, NULL on OOM.
 * Id 0 with a path: not shared (each is its own).
 */
struct tg_cgroup *container_table_cgroup(struct container_table *t, uint64_t id, const char *path, size_t path_len,
					 uint32_t flags);
/* Existing cgroup by id (no new reference), NULL if none. */
struct tg_cgroup *container_table_find_cgroup(struct container_table *t, uint64_t id);

struct tg_cgroup *tg_cgroup_get(struct tg_cgroup *g);
void tg_cgroup_put(struct tg_cgroup *g);

/* A container by its full id (no new reference), NULL if none. */
struct container *container_table_find(struct container_table *t, const char *id);
/* Visit every container (fn returns nonzero to stop). */
void container_table_each(struct container_table *t, int (*fn)(void *ctx, struct container *c), void *ctx);
void container_table_stats(const struct container_table *t, struct container_table_stats *ret);

/* Publish the runtime's metadata (takes @m; replaces what was there). */
void container_set_meta(struct container *c, struct container_meta *m);
/* Attach the pod watch's record (taken over, freed with @free). */
void container_set_pod(struct container *c, void *pod, void (*free_fn)(void *pod));
void container_pending_add(struct container *c, unsigned what);
void container_pending_done(struct container *c, unsigned what);

/* Accessors on a cached process. */
struct container *process_container(const struct process *p);
/* The full container id, NULL outside containers. */
const char *process_container_id(const struct process *p);
uint64_t process_cgroup_id(const struct process *p);
/* "" when unknown */
const char *process_cgroup_path(const struct process *p);

#endif
