// SPDX-License-Identifier: Apache-2.0
#include "k8s/kube_watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "util/strbuf.h"

#define BACKOFF_MAX_MS 30000
#define WATCH_TIMEOUT_MIN_S 300	/* the server ends a watch after 5 to 10 minutes, as client-go asks */
#define LIST_TIMEOUT_S 120
#define SCAN_DEPTH_MAX 100000

static const char *const ev_name[KUBE_EV__N] = { "ADDED", "MODIFIED", "DELETED" };

const char *kube_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

const char *kube_object_rv(json_t *obj)
{
	const char *rv = kube_str(json_object_get(obj, "metadata"), "resourceVersion");
	size_t l;

	if (!rv || !(l = strlen(rv)) || l > KUBE_RV_MAX)
		return NULL;
	for (size_t i = 0; i < l; i++)
		if (rv[i] <= ' ' || rv[i] >= 0x7f)
			return NULL;
	return rv;
}

/* ---- the object scanner ----------------------------------------------------- */

void kube_scan_reset(struct kube_scan *s)
{
	s->len = 0;
	s->depth = 0;
	s->in_str = s->esc = s->skipping = 0;
}

void kube_scan_free(struct kube_scan *s)
{
	free(s->buf);
	s->buf = NULL;
	s->cap = 0;
	kube_scan_reset(s);
}

static int scan_put(struct kube_scan *s, char c)
{
	if (s->skipping)
		return 0;
	if (s->len + 1 > s->max) {
		/* too large: read on to its end without keeping it */
		s->skipping = 1;
		s->len = 0;
		return 0;
	}
	if (s->len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		char *b;

		if (cap > s->max)
			cap = s->max;
		b = realloc(s->buf, cap);
		if (!b)
			return -ENOMEM;
		s->buf = b;
		s->cap = cap;
	}
	s->buf[s->len++] = c;
	return 0;
}

int kube_scan_feed(struct kube_scan *s, const char *p, size_t n, int (*obj)(void *ctx, const char *o, size_t len),
		   void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		int r;

		if (!s->depth) {
			if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
				continue;
			if (c != '{')
				return -EPROTO;
			s->len = 0;
			s->skipping = 0;
			s->depth = 1;
			if ((r = scan_put(s, c)))
				return r;
			continue;
		}
		if ((r = scan_put(s, c)))
			return r;
		if (s->in_str) {
			if (s->esc)
				s->esc = 0;
			else if (c == '\\')
				s->esc = 1;
			else if (c == '"')
				s->in_str = 0;
			continue;
		}
		if (c == '"')
			s->in_str = 1;
		else if (c == '{' || c == '[') {
			if (++s->depth > SCAN_DEPTH_MAX)
				return -EPROTO;
		} else if (c == '}' || c == ']') {
			if (--s->depth == 0) {
				r = s->skipping ? obj(ctx, NULL, 0) : obj(ctx, s->buf, s->len);
				s->len = 0;
				s->skipping = 0;
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

/* ---- requests ------------------------------------------------------------------ */

static void add_escaped(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~') {
			strbuf_addc(sb, (char)c);
		} else {
			strbuf_addc(sb, '%');
			strbuf_addc(sb, hex[c >> 4]);
			strbuf_addc(sb, hex[c & 15]);
		}
	}
}

static void query_start(struct strbuf *q, const struct kube_watch *w)
{
	strbuf_reset(q);
	strbuf_adds(q, w->path);
	strbuf_addc(q, '?');
	if (w->field_selector) {
		strbuf_adds(q, "fieldSelector=");
		add_escaped(q, w->field_selector);
		strbuf_addc(q, '&');
	}
}

static unsigned next_backoff(struct kube_watch *w, unsigned *cur, unsigned *seed)
{
	unsigned first = w->backoff_ms ? w->backoff_ms : 1000, ms;

	*cur = *cur ? (*cur * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : *cur * 2) : first;
	/* 80% to 120%: agents of a cluster do not come back all at once */
	ms = *cur * 4 / 5 + (unsigned)(rand_r(seed) % (*cur * 2 / 5 + 1));
	return ms;
}

struct list_ctx {
	struct strbuf body;
};

static int list_data(void *ctx, const char *p, size_t n)
{
	struct list_ctx *l = ctx;

	if (l->body.len + n > KUBE_LIST_MAX)
		return -EFBIG;
	strbuf_add(&l->body, p, n);
	return l->body.oom ? -ENOMEM : 0;
}

/*
 * One complete, paged list handed to listed(); rv set to its resourceVersion.
 * 0, -ECANCELED, or another negative errno (logged and counted).
 */
static int do_list(struct kube_watch *w, struct kube_http *h, char *rv)
{
	struct strbuf q = STRBUF_INIT;
	struct list_ctx lc = { STRBUF_INIT };
	struct kube_result r;
	json_t *all = json_array(), *page = NULL;
	char cont[4096] = "";
	int err = 0, restarts = 0;

	if (!all)
		return -ENOMEM;
	for (;;) {
		json_error_t je;
		json_t *items, *md;
		const char *c, *prv;
		size_t i;

		query_start(&q, w);
		strbuf_addf(&q, "limit=%d", KUBE_LIST_LIMIT);
		if (cont[0]) {
			strbuf_adds(&q, "&continue=");
			add_escaped(&q, cont);
		}
		strbuf_reset(&lc.body);
		err = q.oom ? -ENOMEM : kube_http_get(h, q.buf, LIST_TIMEOUT_S, list_data, &lc, &r);
		if (err == -ECANCELED)
			goto out;
		if (err == -EFBIG) {
			atomic_fetch_add(&w->st.too_large, 1);
			log_warn("k8s: %s: the list response is larger than %u bytes: refused, trying again later",
				 w->resource, KUBE_LIST_MAX);
			goto out;
		}
		if (err) {
			atomic_fetch_add(&w->st.errors[err == -EPROTO ? KUBE_ERR_PROTOCOL : KUBE_ERR_TRANSPORT], 1);
			log_warn("k8s: %s: list failed: %s", w->resource, r.why[0] ? r.why : strerror(-err));
			goto out;
		}
		if (r.status == 410 && cont[0] && restarts++ < 3) {
			/* the continue token expired: a new list from the start */
			json_array_clear(all);
			cont[0] = '\0';
			continue;
		}
		if (r.status != 200) {
			atomic_fetch_add(&w->st.errors[KUBE_ERR_HTTP], 1);
			log_warn("k8s: %s: list failed: %s", w->resource, r.why);
			err = -EIO;
			goto out;
		}
		page = json_loadb(lc.body.buf ? lc.body.buf : "", lc.body.len, JSON_REJECT_DUPLICATES, &je);
		if (!page) {
			atomic_fetch_add(&w->st.errors[KUBE_ERR_BAD_JSON], 1);
			log_warn("k8s: %s: the list response is not JSON: %s (line %d, column %d)", w->resource, je.text,
				 je.line, je.column);
			err = -EBADMSG;
			goto out;
		}
		items = json_object_get(page, "items");
		md = json_object_get(page, "metadata");
		prv = kube_object_rv(page);
		if (!json_is_object(page) || !(json_is_array(items) || json_is_null(items) || !items) ||
		    !json_is_object(md) || !prv) {
			atomic_fetch_add(&w->st.errors[KUBE_ERR_PROTOCOL], 1);
			log_warn("k8s: %s: the list response is not a list (want items and metadata.resourceVersion)",
				 w->resource);
			err = -EPROTO;
			goto out;
		}
		snprintf(rv, KUBE_RV_MAX + 1, "%s", prv);
		for (i = 0; json_is_array(items) && i < json_array_size(items); i++) {
			json_t *it = json_array_get(items, i);

			if (!json_is_object(it)) {
				atomic_fetch_add(&w->st.errors[KUBE_ERR_PROTOCOL], 1);
				log_warn("k8s: %s: list item %zu is not an object", w->resource, i);
				err = -EPROTO;
				goto out;
			}
			if (json_dumpb(it, NULL, 0, JSON_COMPACT) > KUBE_OBJECT_MAX) {
				atomic_fetch_add(&w->st.too_large, 1);
				log_warn("k8s: %s: list item %zu is larger than %u bytes: skipped", w->resource, i,
					 KUBE_OBJECT_MAX);
				continue;
			}
			if (json_array_append(all, it)) {
				err = -ENOMEM;
				goto out;
			}
		}
		c = kube_str(md, "continue");
		if (c && strlen(c) >= sizeof(cont)) {
			atomic_fetch_add(&w->st.errors[KUBE_ERR_PROTOCOL], 1);
			log_warn("k8s: %s: the list's continue token is too long", w->resource);
			err = -EPROTO;
			goto out;
		}
		json_decref(page);
		page = NULL;
		if (!c || !*c)
			break;
		snprintf(cont, sizeof(cont), "%s", c);
	}
	{
		size_t n = json_array_size(all);
		json_t **v = calloc(n + 1, sizeof(*v));

		if (!v) {
			err = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			v[i] = json_array_get(all, i);
		err = w->ops->listed(w->ctx, v, n);
		free(v);
		if (err && err != -ECANCELED)
			log_warn("k8s: %s: applying the list failed: %s; listing again later", w->resource,
				 strerror(-err));
		if (!err) {
			atomic_fetch_add(&w->st.lists, 1);
			atomic_store(&w->st.synced, true);
			log_info("k8s: %s: listed %zu objects (resourceVersion %s)", w->resource, n, rv);
		}
	}
out:
	json_decref(page);
	json_decref(all);
	strbuf_free(&q);
	strbuf_free(&lc.body);
	return err;
}

struct watch_ctx {
	struct kube_watch *w;
	struct kube_scan scan;
	char *rv;
	bool gone;		/* an ERROR event with code 410 */
	uint64_t events;	/* events handled on this connection */
	char why[512];
};

static int watch_obj(void *ctx, const char *o, size_t len)
{
	struct watch_ctx *wc = ctx;
	struct kube_watch *w = wc->w;
	json_error_t je;
	json_t *j, *obj;
	const char *type, *rv, *kind;
	int ev, r = 0;

	if (!o) {
		atomic_fetch_add(&w->st.too_large, 1);
		log_warn("k8s: %s: a watch event larger than %u bytes: skipped", w->resource, KUBE_OBJECT_MAX);
		return 0;
	}
	j = json_loadb(o, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		atomic_fetch_add(&w->st.errors[KUBE_ERR_BAD_JSON], 1);
		snprintf(wc->why, sizeof(wc->why), "a watch event is not JSON: %s (column %d)", je.text, je.column);
		return -EBADMSG;
	}
	type = kube_str(j, "type");
	obj = json_object_get(j, "object");
	if (!type || !json_is_object(obj)) {
		snprintf(wc->why, sizeof(wc->why), "a watch event without type or object");
		goto proto;
	}
	if (!strcmp(type, "ERROR")) {
		json_t *code = json_object_get(obj, "code");
		const char *msg = kube_str(obj, "message");

		if (json_is_integer(code) && json_integer_value(code) == 410) {
			wc->gone = true;
			r = -ESTALE;
		} else {
			atomic_fetch_add(&w->st.errors[KUBE_ERR_HTTP], 1);
			snprintf(wc->why, sizeof(wc->why), "the watch ended with an error: %.300s (code %lld)",
				 msg ? msg : "no message", json_is_integer(code) ? (long long)json_integer_value(code) : 0);
			r = -EREMOTEIO;
		}
		json_decref(j);
		return r;
	}
	rv = kube_object_rv(obj);
	if (!rv) {
		snprintf(wc->why, sizeof(wc->why), "a %.20s watch event without a valid metadata.resourceVersion",
			 type);
		goto proto;
	}
	if (!strcmp(type, "BOOKMARK")) {
		snprintf(wc->rv, KUBE_RV_MAX + 1, "%s", rv);
		atomic_fetch_add(&w->st.bookmarks, 1);
		json_decref(j);
		return 0;
	}
	for (ev = 0; ev < KUBE_EV__N; ev++)
		if (!strcmp(type, ev_name[ev]))
			break;
	if (ev == KUBE_EV__N) {
		snprintf(wc->why, sizeof(wc->why), "a watch event of unknown type \"%.40s\"", type);
		goto proto;
	}
	kind = kube_str(obj, "kind");
	if (kind && w->ops->kind && strcmp(kind, w->ops->kind)) {
		snprintf(wc->why, sizeof(wc->why), "a watch event's object is a %.60s, not a %s", kind, w->ops->kind);
		goto proto;
	}
	r = w->ops->event(w->ctx, (enum kube_ev)ev, obj);
	if (r == -EINVAL) {
		atomic_fetch_add(&w->st.rejected, 1);	/* the handler said why */
		r = 0;
	}
	if (r == 0) {
		snprintf(wc->rv, KUBE_RV_MAX + 1, "%s", rv);
		atomic_fetch_add(&w->st.events[ev], 1);
		wc->events++;
	}
	json_decref(j);
	return r;
proto:
	atomic_fetch_add(&w->st.errors[KUBE_ERR_PROTOCOL], 1);
	json_decref(j);
	return -EPROTO;
}

static int watch_data(void *ctx, const char *p, size_t n)
{
	struct watch_ctx *wc = ctx;
	int r = kube_scan_feed(&wc->scan, p, n, watch_obj, wc);

	if (r == -EPROTO && !wc->why[0]) {
		atomic_fetch_add(&wc->w->st.errors[KUBE_ERR_PROTOCOL], 1);
		snprintf(wc->why, sizeof(wc->why), "the watch stream holds something other than JSON objects");
	}
	return r;
}

void kube_watch_run(struct kube_watch *w, struct kube_http *h)
{
	struct watch_ctx wc = { .w = w, .scan = { .max = KUBE_OBJECT_MAX } };
	struct strbuf q = STRBUF_INIT;
	char rv[KUBE_RV_MAX + 1] = "";
	unsigned backoff = 0, seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)w;
	bool need_list = true, first_watch = true;

	wc.rv = rv;
	while (!kube_http_stopped(h)) {
		struct kube_result r;
		long timeout;
		int err;

		if (need_list) {
			err = do_list(w, h, rv);
			if (err == -ECANCELED)
				break;
			if (err) {
				kube_http_sleep(h, next_backoff(w, &backoff, &seed));
				continue;
			}
			need_list = false;
			backoff = 0;
		}
		timeout = WATCH_TIMEOUT_MIN_S + rand_r(&seed) % WATCH_TIMEOUT_MIN_S;
		query_start(&q, w);
		strbuf_addf(&q, "watch=true&allowWatchBookmarks=true&timeoutSeconds=%ld&resourceVersion=", timeout);
		add_escaped(&q, rv);
		if (q.oom)
			break;
		kube_scan_reset(&wc.scan);
		wc.gone = false;
		wc.events = 0;
		wc.why[0] = '\0';
		if (!first_watch)
			atomic_fetch_add(&w->st.restarts, 1);
		first_watch = false;
		atomic_fetch_add(&w->st.watches, 1);
		log_debug("k8s: %s: watching from resourceVersion %s", w->resource, rv);
		err = kube_http_get(h, q.buf, timeout + 30, watch_data, &wc, &r);
		if (err == -ECANCELED || kube_http_stopped(h))
			break;
		if (wc.gone || (!err && r.status == 410)) {
			atomic_fetch_add(&w->st.gone, 1);
			log_info("k8s: %s: resourceVersion %s is too old (410 Gone): listing again", w->resource, rv);
			need_list = true;
			continue;
		}
		if (!err && r.status >= 200 && r.status < 300) {
			if (wc.scan.depth) {
				atomic_fetch_add(&w->st.errors[KUBE_ERR_PROTOCOL], 1);
				log_warn("k8s: %s: the watch ended inside an object", w->resource);
			} else {
				/* the server's timeout: watch again at once */
				log_debug("k8s: %s: the watch ended after %llu events", w->resource,
					  (unsigned long long)wc.events);
				backoff = 0;
				continue;
			}
		} else if (!err) {
			atomic_fetch_add(&w->st.errors[KUBE_ERR_HTTP], 1);
			log_warn("k8s: %s: watch failed: %s", w->resource, r.why);
		} else if (wc.why[0]) {
			log_warn("k8s: %s: %s: watching again from resourceVersion %s", w->resource, wc.why, rv);
		} else {
			atomic_fetch_add(&w->st.errors[KUBE_ERR_TRANSPORT], 1);
			log_warn("k8s: %s: the watch connection failed: %s: watching again from resourceVersion %s",
				 w->resource, r.why[0] ? r.why : strerror(-err), rv);
		}
		/* a connection that delivered events starts the backoff over */
		if (wc.events)
			backoff = 0;
		kube_http_sleep(h, next_backoff(w, &backoff, &seed));
	}
	kube_scan_free(&wc.scan);
	strbuf_free(&q);
}
