/* SPDX-License-Identifier: Apache-2.0 */
/*
 * List + watch of one resource, as the API server serves them: a paged
 * list (limit/continue) gives the set and its resourceVersion, a watch from
 * that resourceVersion (allowWatchBookmarks) streams ADDED, MODIFIED,
 * DELETED, BOOKMARK and ERROR events as concatenated JSON objects. A watch
 * that ends is resumed from the last resourceVersion seen; 410 Gone (as an
 * HTTP status or an ERROR event) lists again; errors back off (1 s doubling
 * to 30 s, with jitter). Every byte is hostile: an object larger than
 * KUBE_OBJECT_MAX is skipped and counted, malformed JSON or an event that
 * is not what the API server sends drops the connection, counted.
 */
#ifndef TG_K8S_KUBE_WATCH_H
#define TG_K8S_KUBE_WATCH_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#include "k8s/kube_http.h"

#define KUBE_OBJECT_MAX (2u << 20)	/* bytes of one object (etcd's limit is 1.5 MiB) */
#define KUBE_LIST_MAX (64u << 20)	/* bytes of one list page */
#define KUBE_LIST_LIMIT 250		/* objects asked per list page */
#define KUBE_RV_MAX 128

enum kube_ev { KUBE_ADDED, KUBE_MODIFIED, KUBE_DELETED, KUBE_EV__N };

enum kube_err {
	KUBE_ERR_TRANSPORT,	/* connection, TLS, timeout */
	KUBE_ERR_HTTP,		/* a non-2xx status other than 410 */
	KUBE_ERR_BAD_JSON,	/* not JSON */
	KUBE_ERR_PROTOCOL,	/* JSON, but not what the API server sends */
	KUBE_ERR__N,
};

struct kube_watch_ops {
	/* The whole set after a list (objects borrowed for the call). A negative errno lists again later. */
	int (*listed)(void *ctx, json_t *const *items, size_t n);
	int (*event)(void *ctx, enum kube_ev type, json_t *obj);
	/* The object kind the watch serves ("Pod"): an event object of another kind is a protocol error. */
	const char *kind;
};

/* Counters, read by the metrics from another thread. */
struct kube_watch_stats {
	atomic_uint_fast64_t lists;		/* complete lists */
	atomic_uint_fast64_t watches;		/* watch requests started */
	atomic_uint_fast64_t restarts;		/* watches that ended and were started again */
	atomic_uint_fast64_t gone;		/* 410 Gone: listed again */
	atomic_uint_fast64_t events[KUBE_EV__N];
	atomic_uint_fast64_t bookmarks;
	atomic_uint_fast64_t errors[KUBE_ERR__N];
	atomic_uint_fast64_t too_large;		/* objects skipped for their size */
	atomic_uint_fast64_t rejected;		/* objects the handler refused (invalid) */
	atomic_bool synced;			/* a list has completed */
};

struct kube_watch {
	const char *resource;		/* "pods": logs and metrics */
	const char *path;		/* "/api/v1/pods" */
	const char *field_selector;	/* "spec.nodeName=NODE" or NULL, unescaped */
	const struct kube_watch_ops *ops;
	void *ctx;
	struct kube_watch_stats st;
	/* tests: the first backoff, 0 = 1 s */
	unsigned backoff_ms;
};

/* Lists and watches until kube_http_stop(h). */
void kube_watch_run(struct kube_watch *w, struct kube_http *h);

/*
 * The object scanner, exposed for tests: splits a byte stream into
 * top-level JSON objects. feed() calls obj() per complete object (NULL,
 * len 0 for one that was larger than max and skipped); returns its
 * negative result or -EPROTO (not an object at top level).
 */
struct kube_scan {
	char *buf;
	size_t len, cap, max;
	unsigned long depth;
	int in_str, esc, skipping;
};
int kube_scan_feed(struct kube_scan *s, const char *p, size_t n, int (*obj)(void *ctx, const char *o, size_t len),
		   void *ctx);
void kube_scan_reset(struct kube_scan *s);
void kube_scan_free(struct kube_scan *s);

/* The object's metadata.resourceVersion if it is a sane one (printable, <= KUBE_RV_MAX), else NULL. */
const char *kube_object_rv(json_t *obj);
/* A string member, NULL when absent or not a string. */
const char *kube_str(json_t *obj, const char *key);

#endif
