// SPDX-License-Identifier: Apache-2.0
#include "k8s/kube_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/strbuf.h"

#define ERR_BODY_MAX (64u << 10)	/* bytes of an error response read for its Status */

struct kube_http {
	const struct kube_config *cfg;
	char user_agent[128];
	CURLM *multi;
	CURL *easy;
	atomic_bool stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* the request under way */
	kube_data_fn fn;
	void *ctx;
	long status;
	bool started;
	int fn_err;
	char ct_why[256];
	struct strbuf errbody;
	char errbuf[CURL_ERROR_SIZE];
};

int kube_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

static size_t on_write(char *p, size_t sz, size_t nm, void *u)
{
	struct kube_http *h = u;
	size_t n = sz * nm;

	if (!h->started) {
		char *ct = NULL;

		curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
		if (h->status >= 200 && h->status < 300) {
			curl_easy_getinfo(h->easy, CURLINFO_CONTENT_TYPE, &ct);
			/* "application/json", with or without parameters (";stream=watch", "; charset=utf-8") */
			if (!ct || strncasecmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';')) {
				snprintf(h->ct_why, sizeof(h->ct_why), "the response is %.100s, not application/json",
					 ct ? ct : "of no Content-Type");
				h->fn_err = -EPROTO;
				return 0;
			}
		}
		h->started = true;
	}
	if (h->status >= 200 && h->status < 300) {
		int r = h->fn(h->ctx, p, n);

		if (r < 0) {
			h->fn_err = r;
			return 0;
		}
		return n;
	}
	if (h->errbody.len < ERR_BODY_MAX)
		strbuf_add(&h->errbody, p, n < ERR_BODY_MAX - h->errbody.len ? n : ERR_BODY_MAX - h->errbody.len);
	return n;
}

int kube_http_new(struct kube_http **ret, const struct kube_config *c, const char *user_agent, char *why,
		  size_t whylen)
{
	struct kube_http *h = calloc(1, sizeof(*h));
	CURL *e;

	if (!h)
		return -ENOMEM;
	h->cfg = c;
	snprintf(h->user_agent, sizeof(h->user_agent), "%s", user_agent);
	pthread_mutex_init(&h->lock, NULL);
	{
		pthread_condattr_t a;

		pthread_condattr_init(&a);
		pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		pthread_cond_init(&h->cond, &a);
		pthread_condattr_destroy(&a);
	}
	h->multi = curl_multi_init();
	h->easy = e = curl_easy_init();
	if (!h->multi || !e) {
		kube_http_free(h);
		return -ENOMEM;
	}
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 15L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	/* the configured CA alone, when there is one: not the system's as well */
	if (c->ca_file || c->ca_data)
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	if (c->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (c->ca_data) {
		struct curl_blob b = { .data = c->ca_data, .len = c->ca_len, .flags = CURL_BLOB_COPY };

		curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
		if (curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b) != CURLE_OK) {
			snprintf(why, whylen, "%s: this libcurl cannot take certificate-authority-data", c->source);
			kube_http_free(h);
			return -EOPNOTSUPP;
		}
	}
	if (c->cert_file) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (c->cert_data) {
		struct curl_blob b = { .data = c->cert_data, .len = c->cert_len, .flags = CURL_BLOB_COPY };

		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &b);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (c->key_file) {
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (c->key_data) {
		struct curl_blob b = { .data = c->key_data, .len = c->key_len, .flags = CURL_BLOB_COPY };

		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &b);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	*ret = h;
	return 0;
}

void kube_http_free(struct kube_http *h)
{
	if (!h)
		return;
	if (h->easy)
		curl_easy_cleanup(h->easy);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	strbuf_free(&h->errbody);
	free(h);
}

void kube_http_stop(struct kube_http *h)
{
	pthread_mutex_lock(&h->lock);
	atomic_store(&h->stop, true);
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	curl_multi_wakeup(h->multi);
}

bool kube_http_stopped(struct kube_http *h)
{
	return atomic_load(&h->stop);
}

bool kube_http_sleep(struct kube_http *h, unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->lock);
	while (!atomic_load(&h->stop) && pthread_cond_timedwait(&h->cond, &h->lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&h->lock);
	return !atomic_load(&h->stop);
}

/* A Status object's message, reason and code, for the log and the caller's decision (410). */
static void read_status(struct kube_http *h, struct kube_result *r)
{
	json_t *j = h->errbody.len ? json_loadb(h->errbody.buf, h->errbody.len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *msg = NULL, *reason = NULL;
	json_t *code;

	if (j && json_is_object(j)) {
		msg = json_string_value(json_object_get(j, "message"));
		reason = json_string_value(json_object_get(j, "reason"));
		code = json_object_get(j, "code");
		if (json_is_integer(code))
			r->code = (long)json_integer_value(code);
	}
	if (reason)
		snprintf(r->reason, sizeof(r->reason), "%s", reason);
	snprintf(r->why, sizeof(r->why), "HTTP %ld%s%s%s%.400s", h->status, reason ? " " : "", reason ? reason : "",
		 msg ? ": " : (j ? "" : " (no Status object in the response)"), msg ? msg : "");
	json_decref(j);
}

int kube_http_get(struct kube_http *h, const char *path_query, long timeout_s, kube_data_fn fn, void *ctx,
		  struct kube_result *r)
{
	struct curl_slist *hdr = NULL;
	char url[4096], line[256], why[512];
	char *token;
	CURLcode cc = CURLE_OK;
	CURLMsg *m;
	int running = 1, left, err = 0;
	bool done = false;

	memset(r, 0, sizeof(*r));
	if (atomic_load(&h->stop))
		return -ECANCELED;
	if (snprintf(url, sizeof(url), "%s%s", h->cfg->server, path_query) >= (int)sizeof(url)) {
		snprintf(r->why, sizeof(r->why), "request URL too long");
		return -EINVAL;
	}
	why[0] = '\0';
	token = kube_config_token(h->cfg, why, sizeof(why));
	if (!token && why[0]) {
		snprintf(r->why, sizeof(r->why), "cannot read the token: %s", why);
		return -EIO;
	}
	hdr = curl_slist_append(hdr, "Accept: application/json");
	snprintf(line, sizeof(line), "User-Agent: %s", h->user_agent);
	hdr = curl_slist_append(hdr, line);
	if (token) {
		char *a = malloc(strlen(token) + 32);

		if (a) {
			sprintf(a, "Authorization: Bearer %s", token);
			hdr = curl_slist_append(hdr, a);
			explicit_bzero(a, strlen(a));
			free(a);
		}
		explicit_bzero(token, strlen(token));
		free(token);
	}
	h->fn = fn;
	h->ctx = ctx;
	h->status = 0;
	h->started = false;
	h->fn_err = 0;
	h->ct_why[0] = '\0';
	h->errbuf[0] = '\0';
	strbuf_reset(&h->errbody);
	curl_easy_setopt(h->easy, CURLOPT_URL, url);
	curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h->easy, CURLOPT_TIMEOUT, timeout_s);
	curl_multi_add_handle(h->multi, h->easy);
	while (running) {
		CURLMcode mc = curl_multi_perform(h->multi, &running);

		if (mc != CURLM_OK) {
			snprintf(r->why, sizeof(r->why), "%s", curl_multi_strerror(mc));
			err = -EIO;
			break;
		}
		while ((m = curl_multi_info_read(h->multi, &left)))
			if (m->msg == CURLMSG_DONE) {
				cc = m->data.result;
				done = true;
			}
		if (!running)
			break;
		if (atomic_load(&h->stop)) {
			err = -ECANCELED;
			break;
		}
		curl_multi_poll(h->multi, NULL, 0, 1000, NULL);
	}
	curl_multi_remove_handle(h->multi, h->easy);
	curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	r->status = h->status;
	if (err)
		return err;
	if (atomic_load(&h->stop))
		return -ECANCELED;
	if (h->fn_err) {
		if (h->ct_why[0])
			snprintf(r->why, sizeof(r->why), "%s", h->ct_why);
		return h->fn_err;
	}
	if (!done)
		cc = CURLE_RECV_ERROR;
	if (cc != CURLE_OK) {
		snprintf(r->why, sizeof(r->why), "%s%s%s", curl_easy_strerror(cc), h->errbuf[0] ? ": " : "", h->errbuf);
		return cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
	}
	if (!h->started)
		curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
	r->status = h->status;
	if (r->status < 200 || r->status >= 300)
		read_status(h, r);
	else if (!h->started) {
		/* an empty 2xx body: still the data function decides (a list needs a body) */
		r->status = h->status;
	}
	return 0;
}
