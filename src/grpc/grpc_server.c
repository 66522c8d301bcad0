// SPDX-License-Identifier: Apache-2.0
/*
 * rpc.h server over gRPC C-core. One completion queue, drained by one
 * thread. Every call is a small state machine driven by batch completions:
 *
 *   request_call -> [send headers, recv request] -> unary:  [send reply+status, recv close] -> free
 *                                                -> stream: [recv close] (client gone or shutdown)
 *
 * Streams keep a bounded queue of packed messages. Only one SEND_MESSAGE
 * may be in flight per call: the producer (the agent's event loop) queues
 * and kicks an idle stream; each send completion on our thread starts the
 * next one. A full queue drops the new message and counts it, so a slow
 * client never blocks the producer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "grpc/grpc_util.h"
#include "grpc/rpc.h"
#include "util/log.h"

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

struct tag {
	void (*fn)(struct tag *t, bool ok);
};

struct rpc_server {
	grpc_server *server;
	grpc_completion_queue *cq;
	pthread_t thread;
	bool thread_started;
	struct rpc_service svc;
	size_t queue_len;
	int stopping;		/* atomic */
	struct tag t_shutdown;
	bool has_tcp;
	char *unix_path;
	ino_t unix_ino;
	dev_t unix_dev;
};

/* One call. For streams it is reference counted: the close op and each send hold one. */
struct rpc_stream {
	struct rpc_server *srv;
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array req_md;
	grpc_byte_buffer *req_bb;
	const struct rpc_method *m;
	int cancelled;
	grpc_slice status_details;
	bool have_status_details;
	grpc_byte_buffer *resp_bb;
	struct tag t_new, t_recv, t_done, t_close, t_send;

	pthread_mutex_t mu;
	int refs;
	bool streaming, ready, closed, in_flight;
	struct rpc_blob **q;
	size_t qcap, qhead, qlen;
	grpc_byte_buffer *send_bb;
	uint64_t drops;
	void *data;
	char peer[128];
};

static void on_new_call(struct tag *t, bool ok);
static void on_request(struct tag *t, bool ok);
static void on_done(struct tag *t, bool ok);
static void on_close(struct tag *t, bool ok);
static void on_send(struct tag *t, bool ok);
static void send_next_locked(struct rpc_stream *c);

static bool stopping(struct rpc_server *s)
{
	return __atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE);
}

static void call_free(struct rpc_stream *c)
{
	size_t i;

	for (i = 0; i < c->qlen; i++)
		rpc_blob_unref(c->q[(c->qhead + i) % c->qcap]);
	free(c->q);
	if (c->send_bb)
		grpc_byte_buffer_destroy(c->send_bb);
	if (c->req_bb)
		grpc_byte_buffer_destroy(c->req_bb);
	if (c->resp_bb)
		grpc_byte_buffer_destroy(c->resp_bb);
	if (c->have_status_details)
		grpc_slice_unref(c->status_details);
	grpc_metadata_array_destroy(&c->req_md);
	grpc_call_details_destroy(&c->details);
	if (c->call)
		grpc_call_unref(c->call);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void stream_put(struct rpc_stream *c)
{
	int left;

	pthread_mutex_lock(&c->mu);
	left = --c->refs;
	pthread_mutex_unlock(&c->mu);
	if (!left)
		call_free(c);
}

/* Ask gRPC for the next incoming call. */
static void request_call(struct rpc_server *s)
{
	struct rpc_stream *c = calloc(1, sizeof(*c));
	grpc_call_error e;

	if (!c) {
		log_error("gRPC: out of memory, not accepting more calls");
		return;
	}
	c->srv = s;
	pthread_mutex_init(&c->mu, NULL);
	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->req_md);
	c->t_new.fn = on_new_call;
	c->t_recv.fn = on_request;
	c->t_done.fn = on_done;
	c->t_close.fn = on_close;
	c->t_send.fn = on_send;
	e = grpc_server_request_call(s->server, &c->call, &c->details, &c->req_md, s->cq, s->cq, &c->t_new);
	if (e != GRPC_CALL_OK) {
		log_error("gRPC: cannot wait for calls: %s", grpc_call_error_to_string(e));
		call_free(c);
	}
}

/* Send the final status (and a reply when there is one), then free on completion. */
static void finish(struct rpc_stream *c, const struct rpc_status *st, struct rpc_blob *reply, bool headers)
{
	grpc_op ops[4];
	size_t n = 0;
	grpc_call_error e;

	memset(ops, 0, sizeof(ops));
	if (headers)
		ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
	if (reply) {
		c->resp_bb = tg_grpc_blob_bb(reply);
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n++].data.send_message.send_message = c->resp_bb;
	}
	c->status_details = grpc_slice_from_copied_string(st->code ? st->message : "");
	c->have_status_details = true;
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = (grpc_status_code)st->code;
	ops[n++].data.send_status_from_server.status_details = &c->status_details;
	ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
	e = grpc_call_start_batch(c->call, ops, n, &c->t_done, NULL);
	if (e != GRPC_CALL_OK) {
		log_warn("gRPC: cannot finish a call: %s", grpc_call_error_to_string(e));
		call_free(c);
	}
}

static const struct rpc_method *find_method(const struct rpc_service *svc, grpc_slice path)
{
	size_t len = GRPC_SLICE_LENGTH(path), i;
	const char *p = (const char *)GRPC_SLICE_START_PTR(path);

	for (i = 0; i < svc->nmethods; i++) {
		const char *mp = svc->methods[i].path;

		if (strlen(mp) == len && !memcmp(mp, p, len))
			return &svc->methods[i];
	}
	return NULL;
}

static void on_new_call(struct tag *t, bool ok)
{
	struct rpc_stream *c = container_of(t, struct rpc_stream, t_new);
	struct rpc_server *s = c->srv;
	grpc_op ops[2];
	grpc_call_error e;
	char *peer;

	if (!ok) {
		/* the server is shutting down */
		call_free(c);
		return;
	}
	if (!stopping(s))
		request_call(s);
	peer = grpc_call_get_peer(c->call);
	snprintf(c->peer, sizeof(c->peer), "%s", peer ? peer : "?");
	gpr_free(peer);

	c->m = find_method(&s->svc, c->details.method);
	if (!c->m) {
		struct rpc_status st;
		size_t plen = strlen(s->svc.service_prefix ? s->svc.service_prefix : "");
		size_t len = GRPC_SLICE_LENGTH(c->details.method);
		const char *p = (const char *)GRPC_SLICE_START_PTR(c->details.method);
		const char *slash = len > 1 ? memchr(p + 1, '/', len - 1) : NULL;

		if (plen && len > plen && !memcmp(p, s->svc.service_prefix, plen))
			rpc_status_set(&st, RPC_UNIMPLEMENTED, "unknown method %.*s for service %.*s",
				       (int)(len - plen), p + plen, (int)(plen - 2), s->svc.service_prefix + 1);
		else
			rpc_status_set(&st, RPC_UNIMPLEMENTED, "unknown service %.*s",
				       slash ? (int)(slash - p - 1) : (int)(len ? len - 1 : 0), len ? p + 1 : "");
		log_debug("gRPC: %s from %s", st.message, c->peer);
		finish(c, &st, NULL, true);
		return;
	}
	/* headers go out with the answer, or once a stream is registered */
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_MESSAGE;
	ops[0].data.recv_message.recv_message = &c->req_bb;
	e = grpc_call_start_batch(c->call, ops, 1, &c->t_recv, NULL);
	if (e != GRPC_CALL_OK) {
		log_warn("gRPC: cannot read a request: %s", grpc_call_error_to_string(e));
		call_free(c);
	}
}

static void on_request(struct tag *t, bool ok)
{
	struct rpc_stream *c = container_of(t, struct rpc_stream, t_recv);
	struct rpc_server *s = c->srv;
	struct rpc_status st = { RPC_OK, "" };
	ProtobufCMessage *req = NULL;
	grpc_op ops2[2];
	grpc_call_error e;

	if (!ok || !c->req_bb) {
		rpc_status_set(&st, RPC_INVALID_ARGUMENT, "no request message");
		finish(c, &st, NULL, true);
		return;
	}
	if (tg_grpc_bb_unpack(c->req_bb, c->m->request, &req)) {
		rpc_status_set(&st, RPC_INTERNAL, "grpc: error unmarshalling request into %s", c->m->request->name);
		finish(c, &st, NULL, true);
		return;
	}
	grpc_byte_buffer_destroy(c->req_bb);
	c->req_bb = NULL;

	if (c->m->unary) {
		struct rpc_blob *reply = c->m->unary(s->svc.ctx, req, &st);

		protobuf_c_message_free_unpacked(req, NULL);
		if (!reply && st.code == RPC_OK)
			rpc_status_set(&st, RPC_RESOURCE_EXHAUSTED, "out of memory");
		finish(c, &st, st.code == RPC_OK ? reply : NULL, true);
		rpc_blob_unref(reply);
		return;
	}

	/* server streaming */
	c->qcap = s->queue_len;
	c->q = calloc(c->qcap, sizeof(*c->q));
	if (!c->q) {
		protobuf_c_message_free_unpacked(req, NULL);
		rpc_status_set(&st, RPC_RESOURCE_EXHAUSTED, "out of memory");
		finish(c, &st, NULL, true);
		return;
	}
	/* one reference for the close op, taken before the service can send */
	c->streaming = true;
	c->refs = 1;
	if (c->m->stream_open(s->svc.ctx, c, req, &st) < 0) {
		protobuf_c_message_free_unpacked(req, NULL);
		c->streaming = false;
		c->refs = 0;
		if (st.code == RPC_OK)
			rpc_status_set(&st, RPC_INTERNAL, "stream refused");
		finish(c, &st, NULL, true);
		return;
	}
	protobuf_c_message_free_unpacked(req, NULL);
	/*
	 * Registered: the headers tell the client it is subscribed. Sends wait
	 * for them (ready), the batch completes when the call ends.
	 */
	memset(ops2, 0, sizeof(ops2));
	ops2[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops2[1].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops2[1].data.recv_close_on_server.cancelled = &c->cancelled;
	e = grpc_call_start_batch(c->call, ops2, 2, &c->t_close, NULL);
	if (e != GRPC_CALL_OK) {
		log_warn("gRPC: cannot start a stream: %s", grpc_call_error_to_string(e));
		grpc_call_cancel(c->call, NULL);
		on_close(&c->t_close, false);
		return;
	}
	pthread_mutex_lock(&c->mu);
	c->ready = true;
	if (!c->closed && !c->in_flight && c->qlen && !stopping(s))
		send_next_locked(c);
	pthread_mutex_unlock(&c->mu);
}

static void on_done(struct tag *t, bool ok)
{
	(void)ok;
	call_free(container_of(t, struct rpc_stream, t_done));
}

static void on_close(struct tag *t, bool ok)
{
	struct rpc_stream *c = container_of(t, struct rpc_stream, t_close);
	bool notify;
	size_t i;

	(void)ok;
	pthread_mutex_lock(&c->mu);
	c->closed = true;
	for (i = 0; i < c->qlen; i++)
		rpc_blob_unref(c->q[(c->qhead + i) % c->qcap]);
	c->qlen = 0;
	notify = c->streaming;
	pthread_mutex_unlock(&c->mu);
	if (notify && c->srv->svc.stream_closed)
		c->srv->svc.stream_closed(c->srv->svc.ctx, c);
	stream_put(c);
}

/* Start sending the head of the queue. Called with c->mu held. */
static void send_next_locked(struct rpc_stream *c)
{
	struct rpc_blob *b = c->q[c->qhead];
	grpc_call_error e;
	grpc_op op;

	c->qhead = (c->qhead + 1) % c->qcap;
	c->qlen--;
	c->send_bb = tg_grpc_blob_bb(b);
	rpc_blob_unref(b);
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = c->send_bb;
	c->in_flight = true;
	c->refs++;
	e = grpc_call_start_batch(c->call, &op, 1, &c->t_send, NULL);
	if (e != GRPC_CALL_OK) {
		/* no completion will come: undo, and treat the stream as broken */
		grpc_byte_buffer_destroy(c->send_bb);
		c->send_bb = NULL;
		c->in_flight = false;
		c->refs--;
		c->closed = true;
		grpc_call_cancel(c->call, NULL);
	}
}

static void on_send(struct tag *t, bool ok)
{
	struct rpc_stream *c = container_of(t, struct rpc_stream, t_send);

	pthread_mutex_lock(&c->mu);
	c->in_flight = false;
	if (c->send_bb) {
		grpc_byte_buffer_destroy(c->send_bb);
		c->send_bb = NULL;
	}
	if (!ok)
		c->closed = true;
	else if (!c->closed && c->qlen && !stopping(c->srv))
		send_next_locked(c);
	pthread_mutex_unlock(&c->mu);
	stream_put(c);
}

int rpc_stream_send(struct rpc_stream *c, struct rpc_blob *b)
{
	int r = 0;

	pthread_mutex_lock(&c->mu);
	if (c->closed) {
		r = -EPIPE;
	} else if (c->qlen == c->qcap) {
		c->drops++;
		r = -ENOBUFS;
	} else {
		c->q[(c->qhead + c->qlen) % c->qcap] = rpc_blob_ref(b);
		c->qlen++;
	}
	pthread_mutex_unlock(&c->mu);
	return r;
}

void rpc_stream_kick(struct rpc_stream *c)
{
	pthread_mutex_lock(&c->mu);
	if (c->ready && !c->closed && !c->in_flight && c->qlen && !stopping(c->srv))
		send_next_locked(c);
	pthread_mutex_unlock(&c->mu);
}

const char *rpc_stream_peer(const struct rpc_stream *c)
{
	return c->peer;
}

void rpc_stream_set_data(struct rpc_stream *c, void *data)
{
	c->data = data;
}

void *rpc_stream_data(const struct rpc_stream *c)
{
	return c->data;
}

/* ---- server lifecycle -------------------------------------------------------------- */

static void on_shutdown(struct tag *t, bool ok)
{
	struct rpc_server *s = container_of(t, struct rpc_server, t_shutdown);

	(void)ok;
	/* ops still pending complete before GRPC_QUEUE_SHUTDOWN */
	grpc_completion_queue_shutdown(s->cq);
}

static void *cq_thread(void *arg)
{
	struct rpc_server *s = arg;

	for (;;) {
		grpc_event ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);

		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type == GRPC_OP_COMPLETE && ev.tag)
			((struct tag *)ev.tag)->fn(ev.tag, ev.success);
	}
	return NULL;
}

/* Why did binding fail? gRPC only says that it did; try it ourselves for errno. */
static int tcp_bind_errno(const char *addr)
{
	char host[256], *colon;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res = NULL, *ai;
	int err = EADDRNOTAVAIL, one = 1;

	snprintf(host, sizeof(host), "%s", addr);
	colon = strrchr(host, ':');
	if (!colon)
		return EINVAL;
	*colon = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		if (host[0] && host[strlen(host) - 1] == ']')
			host[strlen(host) - 1] = '\0';
	}
	if (getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res))
		return EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
			err = errno;
		close(fd);
		if (err != EADDRNOTAVAIL && err)
			break;
	}
	freeaddrinfo(res);
	return err ? err : EADDRINUSE;
}

static int mkdir_p(const char *dir, mode_t mode)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Create the socket in a private directory, set its mode, then move it in
 * place: nobody can connect before the mode is right.
 */
static int listen_unix(struct rpc_server *s, const char *path, grpc_server_credentials *creds, char *err,
		       size_t errlen)
{
	char dir[128], tmpdir[256], tmpsock[300], target[320];
	const char *base = strrchr(path, '/');
	struct stat st;
	int r;

	if (!base || path[0] != '/' || strlen(path) >= 100) {
		snprintf(err, errlen, "unix socket path \"%s\" must be absolute and shorter than 100 bytes", path);
		return -EINVAL;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
	if (dir[0]) {
		r = mkdir_p(dir, 0755);
		if (r) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-r));
			return r;
		}
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/.%s-XXXXXX", dir, base + 1);
	if (!mkdtemp(tmpdir)) {
		r = -errno;
		snprintf(err, errlen, "cannot create a directory in %s: %s", dir[0] ? dir : "/", strerror(errno));
		return r;
	}
	snprintf(tmpsock, sizeof(tmpsock), "%s/s", tmpdir);
	snprintf(target, sizeof(target), "unix:%s", tmpsock);
	if (!grpc_server_add_http2_port(s->server, target, creds)) {
		rmdir(tmpdir);
		snprintf(err, errlen, "cannot listen on unix://%s", path);
		return -EADDRNOTAVAIL;
	}
	r = 0;
	if (chmod(tmpsock, 0600) || rename(tmpsock, path) || stat(path, &st)) {
		r = -errno;
		snprintf(err, errlen, "cannot create unix socket %s: %s", path, strerror(errno));
		unlink(tmpsock);
	} else {
		s->unix_ino = st.st_ino;
		s->unix_dev = st.st_dev;
		s->unix_path = strdup(path);
	}
	rmdir(tmpdir);
	return r;
}

/* Remove our socket, unless another agent has replaced it since. */
static void remove_unix(struct rpc_server *s)
{
	struct stat st;

	if (!s->unix_path)
		return;
	if (!stat(s->unix_path, &st) && st.st_ino == s->unix_ino && st.st_dev == s->unix_dev)
		unlink(s->unix_path);
	free(s->unix_path);
	s->unix_path = NULL;
}

bool rpc_server_has_tcp(const struct rpc_server *s)
{
	return s && s->has_tcp;
}

void rpc_server_stop(struct rpc_server *s)
{
	if (!s)
		return;
	__atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
	grpc_server_shutdown_and_notify(s->server, s->cq, &s->t_shutdown);
	grpc_server_cancel_all_calls(s->server);
	if (s->thread_started)
		pthread_join(s->thread, NULL);
	else
		cq_thread(s);
	grpc_server_destroy(s->server);
	grpc_completion_queue_destroy(s->cq);
	remove_unix(s);
	free(s);
	tg_grpc_shutdown();
}

int rpc_server_start(struct rpc_server **out, const struct rpc_server_opts *o, const struct rpc_service *svc,
		     char *err, size_t errlen)
{
	grpc_arg args[] = {
		/* a second agent must fail to bind, not share the port */
		{ .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0 },
	};
	grpc_channel_args cargs = { .num_args = 1, .args = args };
	grpc_server_credentials *creds;
	struct rpc_server *s;
	sigset_t all, old;
	int r = 0;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->svc = *svc;
	s->queue_len = o->stream_queue_len ? o->stream_queue_len : 10000;
	s->t_shutdown.fn = on_shutdown;

	/* gRPC's threads must not take the agent's signals: they inherit this mask */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	tg_grpc_init(false);
	s->server = grpc_server_create(&cargs, NULL);
	s->cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(s->server, s->cq, NULL);
	creds = grpc_insecure_server_credentials_create();
	tg_grpc_quiet(true);	/* bind failures are reported below, with the reason */
	if (o->tcp_address && *o->tcp_address) {
		if (grpc_server_add_http2_port(s->server, o->tcp_address, creds)) {
			s->has_tcp = true;
		} else {
			int e = tcp_bind_errno(o->tcp_address);

			if (o->tcp_optional) {
				log_warn("gRPC: cannot listen on %s: %s; serving on the unix socket only",
					 o->tcp_address, strerror(e));
			} else {
				snprintf(err, errlen, "cannot listen on %s: %s", o->tcp_address, strerror(e));
				r = -e;
			}
		}
	}
	if (!r && o->unix_path)
		r = listen_unix(s, o->unix_path, creds, err, errlen);
	grpc_server_credentials_release(creds);
	tg_grpc_quiet(false);
	grpc_server_start(s->server);
	if (!r) {
		r = -pthread_create(&s->thread, NULL, cq_thread, s);
		if (r)
			snprintf(err, errlen, "cannot start the gRPC thread: %s", strerror(-r));
		else
			s->thread_started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		rpc_server_stop(s);
		return r;
	}
	request_call(s);
	*out = s;
	return 0;
}
