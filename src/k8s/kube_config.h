/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the Kubernetes API server is and how to prove who we are: the
 * in-cluster service account (KUBERNETES_SERVICE_HOST/PORT and the token,
 * CA and namespace files), or a kubeconfig file (--k8s-kubeconfig-path):
 * its current context's server, CA, bearer token or client certificate.
 * Only HTTPS with a verified server: a configuration that would send the
 * token in clear or to an unverified server is refused with the reason.
 */
#ifndef TG_K8S_KUBE_CONFIG_H
#define TG_K8S_KUBE_CONFIG_H

#include <stddef.h>

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBE_MAX_SECRET (64u << 10)	/* bytes of a token, key or certificate file */

struct kube_config {
	char *server;		/* "https://host:port", no trailing slash */
	char *ca_file;		/* PEM file, or */
	char *ca_data;		/* PEM bytes (certificate-authority-data); neither: the system's CAs */
	size_t ca_len;
	char *token;		/* a fixed bearer token, or */
	char *token_file;	/* a token file read again at each connection (rotated tokens) */
	char *cert_file, *key_file;	/* client certificate (PEM), or */
	char *cert_data, *key_data;
	size_t cert_len, key_len;
	char *namespace_;	/* the service account's or the context's namespace, may be NULL */
	char source[512];	/* "in-cluster" or the kubeconfig's path, for messages */
};

/* sa_dir: KUBE_SA_DIR in the agent (tests pass their own). 0 or -errno with why. */
int kube_config_in_cluster(struct kube_config *c, const char *sa_dir, char *why, size_t whylen);
int kube_config_load_file(struct kube_config *c, const char *path, char *why, size_t whylen);
void kube_config_free(struct kube_config *c);

/* The bearer token now (token or token_file), NULL when there is none or on error (why). Caller frees. */
char *kube_config_token(const struct kube_config *c, char *why, size_t whylen);

/* Strict base64 (padding required, no whitespace but newlines); -EINVAL on anything else. */
int kube_base64_decode(const char *in, size_t len, char **out, size_t *outlen);

#endif
