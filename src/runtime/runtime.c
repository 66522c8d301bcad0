// SPDX-License-Identifier: Apache-2.0
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "runtime/runtime_api.h"
#include "util/ktime.h"
#include "util/log.h"

/* Lookups waiting for the worker; more are refused (counted) and retried later. */
#define QUEUE_MAX 4096

struct request {
	struct request *next;
	char id[CONTAINER_ID_LEN + 1];
	struct cgroup_container where;
	/* the answer */
	enum runtime_result result;
	struct container_meta *meta;
	uint8_t ntries;
	struct {
		uint8_t api, result;
	} tries[RT__APIS];
};

struct runtime {
	struct runtime_opts o;
	char *sock[RT__APIS];		/* NULL: that API is off */
	struct containerd_client *containerd;
	pthread_t thread;
	bool started;
	int efd;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct request *todo, *todo_tail, *done, *done_tail;
	size_t ntodo;
	bool stop;
	struct runtime_stats st;	/* event loop only */
};

const char *runtime_api_name(enum runtime_api a)
{
	static const char *const n[RT__APIS] = { "docker", "podman", "containerd" };

	return (unsigned)a < RT__APIS ? n[a] : "unknown";
}

const char *runtime_result_name(enum runtime_result r)
{
	static const char *const n[RT__RESULTS] = { "ok", "not_found", "unavailable", "timeout", "error" };

	return (unsigned)r < RT__RESULTS ? n[r] : "error";
}

int meta_add_label(struct container_label **v, size_t *n, const char *key, const char *value)
{
	struct container_label *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n].key = strdup(key);
	nv[*n].value = strdup(value);
	if (!nv[*n].key || !nv[*n].value) {
		free(nv[*n].key);
		free(nv[*n].value);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

const char *meta_label(const struct container_meta *m, const char *key)
{
	for (size_t i = 0; i < m->nlabels; i++)
		if (!strcmp(m->labels[i].key, key))
			return m->labels[i].value;
	return NULL;
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct container_label *)a)->key, ((const struct container_label *)b)->key);
}

int meta_set_pod_labels(struct container_meta *m, const struct container_label *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* kubelet's bookkeeping, containerd's and Docker's own: not the pod's labels */
		if (!strncmp(v[i].key, "io.kubernetes.", 14) || !strncmp(v[i].key, "io.cri-containerd.", 18) ||
		    !strncmp(v[i].key, "annotation.", 11))
			continue;
		if (meta_add_label(&m->pod_labels, &m->npod_labels, v[i].key, v[i].value))
			return -ENOMEM;
	}
	if (m->npod_labels > 1)
		qsort(m->pod_labels, m->npod_labels, sizeof(*m->pod_labels), cmp_label);
	return 0;
}

void runtime_meta_from_k8s_labels(struct container_meta *m)
{
	const char *v;

	if ((v = meta_label(m, "io.kubernetes.pod.name")) && !m->pod_name)
		m->pod_name = strdup(v);
	if ((v = meta_label(m, "io.kubernetes.pod.namespace")) && !m->pod_namespace)
		m->pod_namespace = strdup(v);
	if ((v = meta_label(m, "io.kubernetes.pod.uid")) && !m->pod_uid)
		m->pod_uid = strdup(v);
	if ((v = meta_label(m, "io.kubernetes.container.name"))) {
		free(m->name);
		m->name = strdup(v);
	}
}

uint64_t runtime_parse_rfc3339(const char *s)
{
	struct tm tm = { 0 };
	const char *p;
	uint64_t ns = 0, scale = 100000000ULL;
	long off = 0;
	time_t t;

	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ns += (uint64_t)(*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == '+' || *p == '-') {
		int hh, mm;

		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
			return 0;
		off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z') {
		return 0;
	}
	t = timegm(&tm);
	/* Go's zero time (never started) */
	if (t <= 0)
		return 0;
	t -= off;
	return (uint64_t)t * 1000000000ULL + ns;
}

uint64_t runtime_pid_start_time(uint32_t pid)
{
	char path[64], buf[1024], *rp;
	unsigned long long start;
	long tck = sysconf(_SC_CLK_TCK);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || tck <= 0)
		return 0;
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			  &start) != 1)
		return 0;
	return ktime_boot_to_wall(start * (1000000000ULL / (unsigned long long)tck));
}

/* Which APIs to ask, in order, for a container of this layout. */
static size_t plan(const struct runtime *r, const struct cgroup_container *w, enum runtime_api *out)
{
	size_t n = 0;

#define ADD(a)                   \
	do {                     \
		if (r->sock[a])  \
			out[n++] = a; \
	} while (0)
	switch (w->runtime) {
	case CONTAINER_RT_DOCKER:
		ADD(RT_API_DOCKER);
		break;
	case CONTAINER_RT_PODMAN:
		ADD(RT_API_PODMAN);
		break;
	case CONTAINER_RT_CONTAINERD:
		ADD(RT_API_CONTAINERD);
		break;
	case CONTAINER_RT_CRIO:
		break;	/* cri-o: no client here, the id only */
	default:
		/* a bare id: kubelet's cgroupfs layout (containerd or Docker), or a custom parent */
		ADD(RT_API_CONTAINERD);
		ADD(RT_API_DOCKER);
		ADD(RT_API_PODMAN);
		break;
	}
#undef ADD
	return n;
}

/* Worse results win when no API knew the container: "unavailable" says more than "not found". */
static int severity(enum runtime_result r)
{
	static const int s[RT__RESULTS] = { [RT_OK] = 0, [RT_NOT_FOUND] = 1, [RT_ERROR] = 2, [RT_TIMEOUT] = 3,
					    [RT_UNAVAILABLE] = 4 };
	return s[r];
}

static void lookup(struct runtime *r, struct request *q)
{
	enum runtime_api apis[RT__APIS];
	size_t n = plan(r, &q->where, apis);

	q->result = RT_NOT_FOUND;
	for (size_t i = 0; i < n; i++) {
		enum runtime_result res;

		if (apis[i] == RT_API_CONTAINERD)
			res = r->containerd ? containerd_lookup(r->containerd, q->where.ns[0] ? q->where.ns : "k8s.io",
								q->id, r->o.timeout_ms, &q->meta)
					    : RT_UNAVAILABLE;
		else
			res = docker_inspect(r->sock[apis[i]], apis[i] == RT_API_DOCKER ? "docker" : "podman", q->id,
					     r->o.timeout_ms, &q->meta);
		q->tries[q->ntries].api = (uint8_t)apis[i];
		q->tries[q->ntries].result = (uint8_t)res;
		q->ntries++;
		if (res == RT_OK) {
			q->result = RT_OK;
			return;
		}
		if (i == 0 || severity(res) > severity(q->result))
			q->result = res;
	}
}

static void *worker(void *arg)
{
	struct runtime *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct request *q;
		uint64_t one = 1;

		while (!r->todo && !r->stop)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->stop)
			break;
		q = r->todo;
		r->todo = q->next;
		if (!r->todo)
			r->todo_tail = NULL;
		r->ntodo--;
		pthread_mutex_unlock(&r->lock);

		q->next = NULL;
		lookup(r, q);

		pthread_mutex_lock(&r->lock);
		if (r->done_tail)
			r->done_tail->next = q;
		else
			r->done = q;
		r->done_tail = q;
		if (write(r->efd, &one, sizeof(one)) < 0) {
			/* the counter is saturated: the loop is reading already */
		}
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int runtime_start(struct runtime **ret, const struct runtime_opts *o)
{
	const char *socks[RT__APIS] = { o->docker_socket, o->podman_socket, o->containerd_socket };
	struct runtime *r;
	bool any = false;
	int err;

	*ret = NULL;
	for (int i = 0; i < RT__APIS; i++)
		any |= socks[i] && *socks[i];
	if (!any)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->o = *o;
	if (!r->o.retries)
		r->o.retries = 1;
	if (!r->o.timeout_ms)
		r->o.timeout_ms = 1000;
	r->efd = -1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	for (int i = 0; i < RT__APIS; i++) {
		if (socks[i] && *socks[i] && !(r->sock[i] = strdup(socks[i]))) {
			err = -ENOMEM;
			goto fail;
		}
	}
	/* before any thread: curl's global state is not thread-safe to set up */
	if (curl_global_init(CURL_GLOBAL_NOTHING)) {
		err = -EIO;
		goto fail;
	}
	if (r->sock[RT_API_CONTAINERD]) {
		err = containerd_client_new(&r->containerd, r->sock[RT_API_CONTAINERD]);
		if (err)
			goto fail;
	}
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->efd < 0) {
		err = -errno;
		goto fail;
	}
	err = -pthread_create(&r->thread, NULL, worker, r);
	if (err)
		goto fail;
	r->started = true;
	*ret = r;
	return 0;
fail:
	runtime_stop(r);
	return err;
}

static void free_list(struct request *q)
{
	while (q) {
		struct request *n = q->next;

		container_meta_free(q->meta);
		free(q);
		q = n;
	}
}

void runtime_stop(struct runtime *r)
{
	if (!r)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->lock);
		r->stop = true;
		pthread_cond_signal(&r->cond);
		pthread_mutex_unlock(&r->lock);
		/* a lookup in flight ends by its timeout */
		pthread_join(r->thread, NULL);
	}
	free_list(r->todo);
	free_list(r->done);
	containerd_client_free(r->containerd);
	if (r->efd >= 0)
		close(r->efd);
	for (int i = 0; i < RT__APIS; i++)
		free(r->sock[i]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	if (r->started)
		curl_global_cleanup();
	free(r);
}

int runtime_fd(const struct runtime *r)
{
	return r ? r->efd : -1;
}

/* Queue a lookup of c: 0, -ENOENT when there is nothing to ask, -EBUSY (full queue, or OOM). */
static int ask(struct runtime *r, struct container *c)
{
	enum runtime_api apis[RT__APIS];
	struct request *q;

	if (!plan(r, &c->where, apis))
		return -ENOENT;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -EBUSY;
	memcpy(q->id, c->id, sizeof(q->id));
	q->where = c->where;
	pthread_mutex_lock(&r->lock);
	if (r->ntodo >= QUEUE_MAX) {
		pthread_mutex_unlock(&r->lock);
		free(q);
		r->st.queue_full++;
		return -EBUSY;
	}
	if (r->todo_tail)
		r->todo_tail->next = q;
	else
		r->todo = q;
	r->todo_tail = q;
	r->ntodo++;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	c->attempts++;
	c->lookup_state = CONTAINER_LOOKUP_INFLIGHT;
	return 0;
}

void runtime_want(struct runtime *r, struct container *c)
{
	if (!r || c->lookup_state != CONTAINER_LOOKUP_NONE)
		return;
	switch (ask(r, c)) {
	case 0:
		break;
	case -EBUSY:
		/* asked later (not counted as an attempt) */
		c->lookup_state = CONTAINER_LOOKUP_RETRY;
		c->retry_at_ms = ktime_now_mono() / 1000000 + r->o.retry_delay_ms;
		return;
	default:
		/* nothing to ask: cri-o (no client), or no socket for its runtime */
		c->lookup_state = CONTAINER_LOOKUP_DONE;
		return;
	}
	r->st.lookups++;
	/* its events wait for the answer (the first one only) */
	container_pending_add(c, CONTAINER_PENDING_RUNTIME);
}

int runtime_dispatch(struct runtime *r, struct container_table *t)
{
	struct request *q, *n;
	uint64_t v, now = ktime_now_mono() / 1000000;
	int changed = 0;

	if (!r)
		return 0;
	if (read(r->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing new, collect anyway */
	}
	pthread_mutex_lock(&r->lock);
	q = r->done;
	r->done = r->done_tail = NULL;
	pthread_mutex_unlock(&r->lock);
	for (; q; q = n) {
		struct container *c = container_table_find(t, q->id);

		n = q->next;
		for (uint8_t i = 0; i < q->ntries; i++)
			r->st.requests[q->tries[i].api][q->tries[i].result]++;
		/* gone meanwhile: its processes all exited */
		if (c) {
			container_pending_done(c, CONTAINER_PENDING_RUNTIME);
			if (q->result == RT_OK) {
				container_set_meta(c, q->meta);
				q->meta = NULL;
				c->lookup_state = CONTAINER_LOOKUP_DONE;
			} else if (c->attempts < r->o.retries) {
				c->lookup_state = CONTAINER_LOOKUP_RETRY;
				c->retry_at_ms = now + r->o.retry_delay_ms;
			} else {
				c->lookup_state = CONTAINER_LOOKUP_DONE;
				r->st.gave_up++;
				log_debug("container %s: no metadata from its runtime after %u attempts (last: %s)",
					  c->id, c->attempts, runtime_result_name(q->result));
			}
			changed++;
		}
		container_meta_free(q->meta);
		free(q);
	}
	return changed;
}

struct tick_ctx {
	struct runtime *r;
	uint64_t now;
};

static int retry_one(void *ctx, struct container *c)
{
	struct tick_ctx *t = ctx;

	if (c->lookup_state == CONTAINER_LOOKUP_RETRY && c->retry_at_ms <= t->now) {
		int err = ask(t->r, c);

		if (!err)
			t->r->st.retries++;
		else if (err == -EBUSY)
			c->retry_at_ms = t->now + t->r->o.retry_delay_ms;
		else
			c->lookup_state = CONTAINER_LOOKUP_DONE;
	}
	return 0;
}

void runtime_tick(struct runtime *r, struct container_table *t, uint64_t now_ms)
{
	struct tick_ctx ctx = { r, now_ms };

	if (r)
		container_table_each(t, retry_one, &ctx);
}

void runtime_stats(const struct runtime *r, struct runtime_stats *ret)
{
	if (r)
		*ret = r->st;
	else
		memset(ret, 0, sizeof(*ret));
}
