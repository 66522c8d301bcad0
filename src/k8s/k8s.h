/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes: --enable-k8s-api starts one thread per watched resource,
 * each with its own HTTPS connection to the API server (kube_http.h):
 *   pods of this node (spec.nodeName) into the pod cache (pods.h), whose
 *   containers events join by container id (process_view's `pod`);
 *   TracingPolicy and TracingPolicyNamespaced (cilium.io/v1alpha1, unless
 *   --enable-tracing-policy-crd=false) loaded, reloaded and unloaded
 *   through the policy engine as the custom resources change.
 * The threads never touch the event loop's state: the pod cache and the
 * policy engine are changed by calls run on the event loop (loop_call.h).
 */
#ifndef TG_K8S_K8S_H
#define TG_K8S_K8S_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s/pods.h"
#include "util/strbuf.h"

struct loop_calls;
struct policy_engine;
struct k8s;
struct k8s_scope;

struct k8s_opts {
	const char *kubeconfig;		/* --k8s-kubeconfig-path, NULL: in-cluster */
	const char *sa_dir;		/* tests; NULL: KUBE_SA_DIR */
	const char *node_name;
	bool policies;			/* --enable-tracing-policy-crd */
	bool annotations;		/* --enable-pod-annotations */
	size_t deleted_pod_cache;	/* --deleted-pod-cache-size */
	const char *procfs;
	const char *version;
	struct loop_calls *calls;
	struct policy_engine *engine;
	/* the join point: a process's container id (NULL: k8s_procfs_container_id) */
	k8s_container_id_fn container_id;
	void *container_id_ctx;
	/* the policies' workload scope (scope.h), told of every pod; NULL: none */
	struct k8s_scope *scope;
};

/* Reads the configuration (errors are fatal: why) and starts the watches. */
int k8s_start(struct k8s **ret, const struct k8s_opts *o, char *why, size_t whylen);
/* Ends the watches (any thread but the event loop's, after loop_calls_close()). NULL is fine. */
void k8s_stop(struct k8s *k);
/* Frees what the event loop used (after the process cache is freed). NULL is fine. */
void k8s_free(struct k8s *k);

/* The pod cache for process views (event loop). */
struct k8s_pods *k8s_pods(struct k8s *k);
/* The metrics (event loop). */
void k8s_metrics_render(struct strbuf *sb, struct k8s *k);

/*
 * The custom resources the policy engine does not list because they were
 * refused before reaching it (invalid, a name taken by another policy):
 * ListTracingPolicies shows them in LOAD_ERROR.
 * Event loop; -ENOENT past the last.
 */
struct k8s_policy_status {
	const char *name, *ns, *kind, *error;
	long long generation;
};
int k8s_policy_refused(struct k8s *k, size_t i, struct k8s_policy_status *st);

#define K8S_POLICY_DOMAIN "k8s"	/* upstream's domain of policies from custom resources */

#endif
