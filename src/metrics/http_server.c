// SPDX-License-Identifier: Apache-2.0
#include "metrics/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct metrics_server {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	char *page;
	size_t len;
	unsigned long scrapes;
	atomic_bool ready;	/* a page was published */
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_len, void **state)
{
	struct metrics_server *s = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *body;
	unsigned code;
	char *copy = NULL;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = "only GET\n";
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
		len = strlen(body);
	} else if (strcmp(url, "/metrics")) {
		body = "not found: the metrics are at /metrics\n";
		code = MHD_HTTP_NOT_FOUND;
		len = strlen(body);
	} else if (!atomic_load_explicit(&s->ready, memory_order_acquire)) {
		body = "the agent is starting: no metrics yet\n";
		code = MHD_HTTP_SERVICE_UNAVAILABLE;
		len = strlen(body);
	} else {
		pthread_mutex_lock(&s->lock);
		s->scrapes++;
		len = s->len;
		copy = malloc(len + 1);
		if (copy)
			memcpy(copy, s->page ? s->page : "", len);
		pthread_mutex_unlock(&s->lock);
		if (!copy)
			return MHD_NO;
		body = copy;
		code = MHD_HTTP_OK;
	}
	r = copy ? MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE) :
		   MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(copy);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
				code == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* ":2112" (every address), "host:port", "[v6]:port" -> a socket address */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[256] = "", *colon;
	const char *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res = NULL;
	int r;

	if (snprintf(host, sizeof(host), "%s", addr) >= (int)sizeof(host))
		goto bad;
	colon = strrchr(host, ':');
	if (!colon || !colon[1])
		goto bad;
	*colon = '\0';
	port = colon + 1;
	if (host[0] == '[') {
		size_t l = strlen(host);

		if (l < 2 || host[l - 1] != ']')
			goto bad;
		host[l - 1] = '\0';
		memmove(host, host + 1, l - 1);
	}
	hints.ai_family = host[0] ? AF_UNSPEC : AF_INET;
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (r || !res) {
		snprintf(err, errlen, "--metrics-server %s: %s", addr, gai_strerror(r));
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
bad:
	snprintf(err, errlen, "--metrics-server %s: expected [HOST]:PORT, e.g. :2112 or localhost:2112", addr);
	return -EINVAL;
}

int metrics_server_start(struct metrics_server **out, const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	struct metrics_server *s;
	/*
	 * epoll (else poll), never select(): with policies loaded the agent
	 * holds well over FD_SETSIZE (1024) descriptors (it raises
	 * RLIMIT_NOFILE for them), and a select() loop closes every accepted
	 * connection numbered above it unanswered.
	 */
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	int r = parse_addr(addr, &ss, err, errlen);

	if (r)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!s->d) {
		r = errno ? -errno : -EADDRINUSE;
		snprintf(err, errlen, "--metrics-server %s: cannot listen: %s", addr, strerror(-r));
		pthread_mutex_destroy(&s->lock);
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

void metrics_server_publish(struct metrics_server *s, const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return;	/* the previous page stays */
	memcpy(copy, text, len);
	copy[len] = '\0';
	/*
	 * Never wait for a scrape copying the page out: when the lock is busy
	 * this page is dropped and the next tick's replaces the old one.
	 */
	if (pthread_mutex_trylock(&s->lock)) {
		free(copy);
		return;
	}
	free(s->page);
	s->page = copy;
	s->len = len;
	pthread_mutex_unlock(&s->lock);
	atomic_store_explicit(&s->ready, true, memory_order_release);
}

unsigned long metrics_server_scrapes(struct metrics_server *s)
{
	unsigned long n;

	pthread_mutex_lock(&s->lock);
	n = s->scrapes;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void metrics_server_stop(struct metrics_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->lock);
	free(s->page);
	free(s);
}
