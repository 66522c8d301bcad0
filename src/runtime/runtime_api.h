/* SPDX-License-Identifier: Apache-2.0 */
/* The runtimes' clients, called from the runtime worker thread only. */
#ifndef TG_RUNTIME_RUNTIME_API_H
#define TG_RUNTIME_RUNTIME_API_H

#include "runtime/runtime.h"

/*
 * GET /containers/<id>/json on a Docker-compatible API (Docker, or
 * Podman's service): name, image, labels, start time. @scheme is
 * pod.container.id's prefix to set ("docker", "podman").
 */
enum runtime_result docker_inspect(const char *socket, const char *scheme, const char *id, uint64_t timeout_ms,
				   struct container_meta **out);

struct containerd_client;

int containerd_client_new(struct containerd_client **ret, const char *socket);
void containerd_client_free(struct containerd_client *c);
/*
 * containers.v1 Get of @id in namespace @ns, its task's start (tasks.v1
 * Get) and, for a CRI container, its sandbox's labels (the pod's).
 */
enum runtime_result containerd_lookup(struct containerd_client *c, const char *ns, const char *id,
				      uint64_t timeout_ms, struct container_meta **out);

/* Helpers shared by the clients. */
int meta_add_label(struct container_label **v, size_t *n, const char *key, const char *value);
const char *meta_label(const struct container_meta *m, const char *key);
/* Start time of a host pid (its /proc/PID/stat), wall clock ns; 0 if unknown. */
uint64_t runtime_pid_start_time(uint32_t pid);
/* A sandbox's labels as pod labels: kubelet's and the runtime's own keys left out. */
int meta_set_pod_labels(struct container_meta *m, const struct container_label *v, size_t n);

#endif
