// SPDX-License-Identifier: Apache-2.0
/* GetUrl and DnsLookup on worker threads, off the event loop. */
#include "sensors/agent_actions.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "util/log.h"

struct request {
	enum agent_action act;
	char arg[AGENT_ACTIONS_URL_MAX];
};

struct agent_actions {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct request q[AGENT_ACTIONS_QUEUE];	/* ring */
	size_t head, n;
	size_t running;
	uint64_t results[AGENT_ACTION__COUNT][AGENT_RESULT__COUNT];
	pthread_t workers[AGENT_ACTIONS_WORKERS];
	size_t nworkers;
};

const char *agent_action_name(enum agent_action act)
{
	return act == AGENT_ACTION_GETURL ? "geturl" : "dnslookup";
}

const char *agent_result_name(enum agent_result r)
{
	static const char *const names[] = { "ok", "error", "timeout", "dropped" };

	return r < AGENT_RESULT__COUNT ? names[r] : "?";
}

static void count(struct agent_actions *a, enum agent_action act, enum agent_result r)
{
	pthread_mutex_lock(&a->mu);
	a->results[act][r]++;
	pthread_mutex_unlock(&a->mu);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

/* curl's progress callback: non-zero aborts the transfer (the agent is stopping). */
static int progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct agent_actions *aa = ud;
	bool stop;

	(void)a, (void)b, (void)c, (void)d;
	pthread_mutex_lock(&aa->mu);
	stop = aa->stop;
	pthread_mutex_unlock(&aa->mu);
	return stop;
}

static enum agent_result get_url(struct agent_actions *a, const char *url)
{
	CURL *h = curl_easy_init();
	CURLcode rc;
	long code = 0;

	if (!h)
		return AGENT_RESULT_ERROR;
	curl_easy_setopt(h, CURLOPT_URL, url);
	/* only the web: no file://, no other scheme a policy could smuggle in */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)AGENT_GETURL_REDIRECTS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)AGENT_GETURL_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)AGENT_GETURL_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, a);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "tetragon-c");
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return AGENT_RESULT_TIMEOUT;
	if (rc != CURLE_OK) {
		log_debug("GetUrl %s: %s", url, curl_easy_strerror(rc));
		return AGENT_RESULT_ERROR;
	}
	/* fired and forgotten, as upstream's: any HTTP answer is a request done */
	return AGENT_RESULT_OK;
}

static enum agent_result dns_lookup(const char *name)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC }, *res = NULL;
	int rc = getaddrinfo(name, NULL, &hints, &res);

	if (res)
		freeaddrinfo(res);
	if (!rc)
		return AGENT_RESULT_OK;
	log_debug("DnsLookup %s: %s", name, gai_strerror(rc));
	/* the resolver's own timeout (resolv.conf: timeout x attempts) bounds it */
	return rc == EAI_AGAIN ? AGENT_RESULT_TIMEOUT : AGENT_RESULT_ERROR;
}

static void *worker(void *ud)
{
	struct agent_actions *a = ud;
	struct request r;

	for (;;) {
		pthread_mutex_lock(&a->mu);
		while (!a->n && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop) {
			pthread_mutex_unlock(&a->mu);
			return NULL;
		}
		r = a->q[a->head];
		a->head = (a->head + 1) % AGENT_ACTIONS_QUEUE;
		a->n--;
		a->running++;
		pthread_mutex_unlock(&a->mu);
		count(a, r.act, r.act == AGENT_ACTION_GETURL ? get_url(a, r.arg) : dns_lookup(r.arg));
		pthread_mutex_lock(&a->mu);
		a->running--;
		pthread_mutex_unlock(&a->mu);
	}
}

struct agent_actions *agent_actions_new(void)
{
	struct agent_actions *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	for (size_t i = 0; i < AGENT_ACTIONS_WORKERS; i++) {
		int err = pthread_create(&a->workers[i], NULL, worker, a);

		if (err) {
			agent_actions_free(a);
			errno = err;
			return NULL;
		}
		a->nworkers++;
	}
	return a;
}

void agent_actions_free(struct agent_actions *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = true;
	/* what still waits was never run: dropped */
	while (a->n) {
		a->results[a->q[a->head].act][AGENT_RESULT_DROPPED]++;
		a->head = (a->head + 1) % AGENT_ACTIONS_QUEUE;
		a->n--;
	}
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	for (size_t i = 0; i < a->nworkers; i++)
		pthread_join(a->workers[i], NULL);
	for (int k = 0; k < AGENT_ACTION__COUNT; k++)
		if (a->results[k][AGENT_RESULT_OK] || a->results[k][AGENT_RESULT_ERROR] ||
		    a->results[k][AGENT_RESULT_TIMEOUT] || a->results[k][AGENT_RESULT_DROPPED])
			log_info("%s actions: %llu ok, %llu failed, %llu timed out, %llu dropped",
				 agent_action_name(k), (unsigned long long)a->results[k][AGENT_RESULT_OK],
				 (unsigned long long)a->results[k][AGENT_RESULT_ERROR],
				 (unsigned long long)a->results[k][AGENT_RESULT_TIMEOUT],
				 (unsigned long long)a->results[k][AGENT_RESULT_DROPPED]);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

int agent_actions_submit(struct agent_actions *a, enum agent_action act, const char *arg)
{
	size_t l = arg ? strlen(arg) : 0;
	int ret = 0;

	if (act >= AGENT_ACTION__COUNT || !l || l >= AGENT_ACTIONS_URL_MAX)
		return -EINVAL;
	pthread_mutex_lock(&a->mu);
	if (a->n == AGENT_ACTIONS_QUEUE || a->stop) {
		a->results[act][AGENT_RESULT_DROPPED]++;
		ret = -EAGAIN;
	} else {
		struct request *r = &a->q[(a->head + a->n) % AGENT_ACTIONS_QUEUE];

		r->act = act;
		memcpy(r->arg, arg, l + 1);
		a->n++;
		pthread_cond_signal(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return ret;
}

void agent_actions_get_stats(struct agent_actions *a, struct agent_actions_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	memcpy(st->results, a->results, sizeof(st->results));
	st->queued = a->n;
	st->running = a->running;
	pthread_mutex_unlock(&a->mu);
}
