/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Workload scope of policies in the kernel (upstream's policy filter): a
 * TracingPolicyNamespaced acts only on the pods of its namespace; podSelector
 * (pod labels, plus k8s:io.kubernetes.pod.namespace) and containerSelector
 * (the container's name and repo) select pods and containers as upstream
 * does; hostSelector: {} adds the processes in no pod.
 *
 * Per scoped policy, a BPF hash of cgroup2 ids (abi/msg_generic.h
 * GT_CFG_SCOPE*) that every program of the policy checks before its selectors
 * and actions. It holds, for each selected pod, the pod's own cgroup
 * (kubelet's pod<uid>, which exists before the pod's first process and
 * holds all its containers: the kernel also checks a task's ancestors) when
 * every container of the pod is selected, and the cgroups of the selected
 * containers (found by the container ids of the pod status).
 *
 * Pods come from the pod watch (k8s.c); cgroups from a walk of the cgroup2
 * hierarchy and inotify on its directories (a thread that hands what it
 * sees to the event loop), so a pod's cgroup enters the maps when kubelet
 * creates it, not at the pod's first event. Everything else runs on the
 * event loop.
 */
#ifndef TG_K8S_SCOPE_H
#define TG_K8S_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s/pods.h"
#include "policy/policy.h"
#include "sensors/generic_policy.h"
#include "util/strbuf.h"

struct k8s_scope;
struct loop_calls;

/*
 * mount: the cgroup2 hierarchy (a hybrid host's unified one); calls: the
 * event loop's. The cgroup watch starts with k8s_scope_start().
 */
int k8s_scope_new(struct k8s_scope **ret, const char *mount, struct loop_calls *calls, char *why, size_t whylen);
int k8s_scope_start(struct k8s_scope *s, char *why, size_t whylen);
/* Ends the cgroup watch (after loop_calls_close(), like k8s_stop()). NULL is fine. */
void k8s_scope_stop(struct k8s_scope *s);
void k8s_scope_free(struct k8s_scope *s);

/* For policy_engine_opts.scope (ctx: the k8s_scope). */
extern const struct policy_scope_ops k8s_scope_ops;

/* The pod watch (event loop): a pod added or changed (a reference is taken), deleted, or the whole set. */
void k8s_scope_pod_upsert(struct k8s_scope *s, struct k8s_pod *p);
void k8s_scope_pod_delete(struct k8s_scope *s, const char *uid);
void k8s_scope_pods_replace(struct k8s_scope *s, struct k8s_pod *const *v, size_t n);

/* Metrics (event loop). */
void k8s_scope_metrics_render(struct strbuf *sb, struct k8s_scope *s);

/*
 * Does the Kubernetes label selector sel match? get(ctx, key) is the
 * label's value or NULL. An empty selector ({}) matches everything.
 */
bool k8s_label_selector_match(const struct tp_label_selector *sel, const char *(*get)(void *ctx, const char *key),
			      void *ctx);

/* The pod directory name kubelet gives pod uid's cgroup (pod<uid>, kubepods-...-pod<uid>.slice)? uid out. */
bool k8s_scope_pod_dir(const char *name, char *uid, size_t len);

#endif
