/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET requests to the Kubernetes API server over HTTPS (libcurl): the
 * server verified against the configuration's CA, a bearer token (read
 * again for each request: rotated service account tokens) or a client
 * certificate, HTTP/1.1, no redirects, no other protocol. One kube_http per
 * thread; kube_http_stop() from any thread ends its request and sleeps at
 * once (shutdown).
 */
#ifndef TG_K8S_KUBE_HTTP_H
#define TG_K8S_KUBE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s/kube_config.h"

struct kube_http;

/* Body bytes of a 2xx response as they arrive; a negative errno aborts the request with it. */
typedef int (*kube_data_fn)(void *ctx, const char *buf, size_t len);

struct kube_result {
	long status;		/* HTTP status, 0 when none was received */
	long code;		/* a Status object's code (non-2xx), else 0 */
	char reason[64];	/* its reason ("Expired", "Gone", "Forbidden"...), "" when none */
	char why[768];		/* what went wrong, for the log */
};

int kube_http_new(struct kube_http **ret, const struct kube_config *c, const char *user_agent, char *why,
		  size_t whylen);
void kube_http_free(struct kube_http *h);

/*
 * GET server + path_query (already escaped). Returns 0 when a response was
 * received in full (r->status says which; a non-2xx body is read as a
 * Status object into r), -ECANCELED after kube_http_stop(), fn's error, or
 * -EIO/-ETIMEDOUT/-EPROTO for transport, TLS and framing errors (r->why).
 * A 2xx response that is not application/json is -EPROTO.
 */
int kube_http_get(struct kube_http *h, const char *path_query, long timeout_s, kube_data_fn fn, void *ctx,
		  struct kube_result *r);

/* Sleep up to ms; false when stopped. */
bool kube_http_sleep(struct kube_http *h, unsigned ms);
void kube_http_stop(struct kube_http *h);
bool kube_http_stopped(struct kube_http *h);

/* curl_global_init: once, before any thread uses kube_http. */
int kube_http_global_init(void);

#endif
