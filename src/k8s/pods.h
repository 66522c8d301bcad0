/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node's pods as events need them: each Pod object from the API server
 * is read (strictly: a field of the wrong type refuses the pod) into an
 * immutable, reference-counted k8s_pod holding what upstream puts in an
 * event's `pod` (namespace, name, uid, labels, annotations, workload and
 * workload_kind from the owner references, and per container its name, id,
 * image, start time, privileged flag and exec probes).
 *
 * The cache finds a container by the container id a process carries (a
 * prefix of the id after "<runtime>://", as upstream matches it); deleted
 * pods are kept for a while (--deleted-pod-cache-size containers) so the
 * last events of their processes still name them. The cache and the views
 * belong to the event loop's thread; pods are parsed on the watch thread.
 */
#ifndef TG_K8S_PODS_H
#define TG_K8S_PODS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "process/cache.h"
#include "tetragon/tetragon.pb-c.h"

#define K8S_PODS_MAX 8192		/* live pods cached; more are refused and counted */
#define K8S_POD_CONTAINERS_MAX 256	/* containers of one pod (init, app and ephemeral) */
#define K8S_POD_MAP_MAX 4096		/* labels, annotations of one pod */
#define K8S_CID_MAX 128			/* bytes of a container id kept */

struct k8s_pod;

struct k8s_container {
	char *name;
	char *id;		/* as the pod status has it: "containerd://<id>" */
	const char *key;	/* the <id> part of it */
	char *image, *image_id;
	bool running;		/* start time set */
	int64_t start_sec;
	int32_t start_nsec;
	bool privileged;
	char **liveness, **readiness;	/* exec probe commands, NULL-terminated, or NULL */
	/* cache */
	struct k8s_pod *pod;
	struct k8s_container *hnext;
};

struct k8s_pod {
	int refs;
	bool deleted;
	char *ns, *name, *uid, *workload, *workload_kind, *rv;
	Tetragon__Pod__PodLabelsEntry **labels, *label_v;
	size_t nlabels;
	Tetragon__Pod__PodAnnotationsEntry **annotations, *annot_v;
	size_t nannotations;
	struct k8s_container *c;
	size_t nc;
	/* cache */
	struct k8s_pod *unext;		/* uid chain */
	struct k8s_pod *dnext;		/* deleted list, oldest first */
};

/* A Pod object into a new pod (refs 1); -EINVAL with the field at fault in why. */
int k8s_pod_from_json(json_t *obj, struct k8s_pod **ret, char *why, size_t whylen);
void k8s_pod_put(struct k8s_pod *p);

/* upstream's workload heuristics (owner references, pod-template-hash, deploymentconfig, CronJob names) */
void k8s_workload(const char *pod_name, const char *generate_name, const char *owner_kind,
		  const char *owner_name, const char *template_hash, const char *deploymentconfig,
		  char *name, size_t namelen, char *kind, size_t kindlen);
/* upstream's maybe_exec_probe: is binary + arguments the probe command? */
bool k8s_maybe_exec_probe(const char *binary, const char *arguments, char *const *probe);

/*
 * The container id of process p ("" when it is in none), as upstream's
 * process.docker: the join point with container identity (src/process).
 */
typedef size_t (*k8s_container_id_fn)(void *ctx, const struct process *p, char *buf, size_t len);
/* Until the process cache carries it: read from /proc/<pid>/cgroup (ctx: the procfs directory). */
size_t k8s_procfs_container_id(void *ctx, const struct process *p, char *buf, size_t len);
/* The container id in one cgroup path ("" when none): the last component's 64-hex id. */
size_t k8s_cgroup_container_id(const char *path, char *buf, size_t len);

struct k8s_pods_stats {
	uint64_t pods, containers;		/* live, now */
	uint64_t deleted_pods, deleted_containers;	/* kept after deletion, now */
	uint64_t refused_full;			/* pods not cached: K8S_PODS_MAX reached */
	uint64_t lookups, hits, deleted_hits, misses;	/* joins of processes with a container id */
	uint64_t deleted_evictions;
};

struct k8s_pods;

struct k8s_pods_opts {
	bool annotations;		/* --enable-pod-annotations */
	size_t deleted_max;		/* --deleted-pod-cache-size: containers of deleted pods kept */
	k8s_container_id_fn container_id;
	void *container_id_ctx;
};

struct k8s_pods *k8s_pods_new(const struct k8s_pods_opts *o);
void k8s_pods_free(struct k8s_pods *c);
/* Insert or replace (same uid) the pod; takes the reference. -ENOSPC when full (pod dropped). */
int k8s_pods_upsert(struct k8s_pods *c, struct k8s_pod *p);
/* The pod of that uid leaves: kept among the deleted ones. -ENOENT when not cached. */
int k8s_pods_delete(struct k8s_pods *c, const char *uid);
/* A list's result: these pods (references taken) are the live set; the others are deleted. */
int k8s_pods_replace(struct k8s_pods *c, struct k8s_pod **v, size_t n);
/* The container whose id starts with cid (live pods first, then deleted ones), or NULL. */
const struct k8s_container *k8s_pods_find(struct k8s_pods *c, const char *cid);
void k8s_pods_stats(const struct k8s_pods *c, struct k8s_pods_stats *st);

/*
 * A process's `pod`, for the process view (src/event/process_view.c). slot
 * is the view's (NULL at first); parent_slot its parent's view's, when there
 * is one (a process that exited before it was looked at is in its parent's
 * container). Returns the message or NULL. k8s_pod_view_refresh(), for a
 * view built before: true when it has a pod now and had none (the pod
 * became known since, or the view was built before the pod watch started);
 * the caller encodes the process again.
 */
const Tetragon__Pod *k8s_pod_view(struct k8s_pods *c, struct process *p, void **slot, void *parent_slot);
bool k8s_pod_view_refresh(struct k8s_pods *c, struct process *p, void **slot, void *parent_slot);
const Tetragon__Pod *k8s_pod_view_msg(void *slot);
void k8s_pod_view_free(void *slot);

#endif
