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
#include <grpc/grpc_posix.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "grpc/conn_gate.h"
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
	struct conn_gate *gate;
	grpc_server_credentials *creds;
	struct rpc_access_policy access;
	bool cert_clients;	/* TLS client certificates may manage the agent */
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
	struct conn_gate_peer who;
	bool counted;		/* an event stream counted by the gate */
	const char *peer;	/* who.desc */
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
	if (c->counted)
		conn_gate_stream_end(c->srv->gate, &c->who);
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

/* PERMISSION_DENIED saying who called, who may, and how to open it. */
static void deny_message(const struct rpc_server *s, enum rpc_access need, const char *method, const char *who,
			 struct rpc_status *st)
{
	const char *how = s->cert_clients ? "over the unix socket or loopback TCP, or with a TLS client certificate "
					    "signed by a CA of the agent's --server-tls-client-ca-files" :
					    "over the unix socket or loopback TCP";
	char may[64];

	if (s->access.group_set)
		snprintf(may, sizeof(may), "root and group %u", (unsigned)s->access.group);
	else
		snprintf(may, sizeof(may), "root");
	if (need == RPC_ACCESS_ADMIN)
		rpc_status_set(st, RPC_PERMISSION_DENIED, "%s changes the agent: only %s may call it, %s; this call came "
			       "from %s%s", method, may, how, who,
			       s->access.group_set ? "" : " (the agent's --server-access-group names a group that may)");
	else
		rpc_status_set(st, RPC_PERMISSION_DENIED, "%s is only for %s, %s; this call came from %s%s", method, may,
			       how, who,
			       s->access.public_read ? "" :
			       " (the agent's --server-access-group or --server-public-read opens it to others)");
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
	conn_gate_peer(s->gate, peer, &c->who);
	c->peer = c->who.desc;
	gpr_free(peer);

	c->m = find_method(&s->svc, c->details.method);
	if (c->m && c->m->access > c->who.access) {
		struct rpc_status st;
		const char *name = strrchr(c->m->path, '/') + 1;

		deny_message(s, c->m->access, name, c->peer, &st);
		conn_gate_deny(s->gate, st.message);
		finish(c, &st, NULL, true);
		return;
	}
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
	{
		char why[256];

		if (conn_gate_stream_begin(s->gate, &c->who, why, sizeof(why))) {
			protobuf_c_message_free_unpacked(req, NULL);
			rpc_status_set(&st, RPC_RESOURCE_EXHAUSTED, "%s", why);
			conn_gate_deny(s->gate, st.message);
			finish(c, &st, NULL, true);
			return;
		}
		c->counted = true;
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

bool rpc_server_has_tcp(const struct rpc_server *s)
{
	return s && conn_gate_has_tcp(s->gate);
}

void rpc_server_get_stats(struct rpc_server *s, struct conn_gate_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (s && s->gate)
		conn_gate_get_stats(s->gate, st);
}

/* A connection the gate admitted: gRPC owns it from here. */
static void handoff(void *ctx, int fd)
{
	struct rpc_server *s = ctx;

	grpc_server_add_channel_from_fd(s->server, fd, s->creds);
}

void rpc_server_stop(struct rpc_server *s)
{
	if (!s)
		return;
	/* no new connections, then end the calls of the ones we have */
	conn_gate_stop_accepting(s->gate);
	if (s->server) {
		__atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
		grpc_server_shutdown_and_notify(s->server, s->cq, &s->t_shutdown);
		grpc_server_cancel_all_calls(s->server);
		if (s->thread_started)
			pthread_join(s->thread, NULL);
		else
			cq_thread(s);
		grpc_server_destroy(s->server);
		grpc_completion_queue_destroy(s->cq);
		grpc_server_credentials_release(s->creds);
		tg_grpc_shutdown();
	}
	conn_gate_close(s->gate);
	free(s);
}

int rpc_server_start(struct rpc_server **out, const struct rpc_server_opts *o, const struct rpc_service *svc,
		     char *err, size_t errlen)
{
	struct conn_gate_opts go = {
		.tcp_address = o->tcp_address,
		.tcp_optional = o->tcp_optional,
		.unix_path = o->unix_path,
		.access = o->access,
		.max_connections = o->max_connections,
		.max_per_client = o->max_per_client,
		.tls = o->tls,
		.public_only = o->public_only,
		.handoff = handoff,
	};
	grpc_arg args[] = {
		{ .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_METADATA_SIZE, .value.integer = 16384 },
	};
	grpc_channel_args cargs = { .num_args = sizeof(args) / sizeof(args[0]), .args = args };
	struct rpc_server *s;
	sigset_t all, old;
	int r;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->svc = *svc;
	s->access = o->access;
	s->cert_clients = o->tls.client_ca_files && *o->tls.client_ca_files;
	s->queue_len = o->stream_queue_len ? o->stream_queue_len : 10000;
	s->t_shutdown.fn = on_shutdown;
	go.ctx = s;
	/* bind first: a taken port or a live socket fails before anything starts */
	r = conn_gate_open(&s->gate, &go, err, errlen);
	if (r) {
		free(s);
		return r;
	}

	/* gRPC's threads must not take the agent's signals: they inherit this mask */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	tg_grpc_init(false);
	s->server = grpc_server_create(&cargs, NULL);
	s->cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(s->server, s->cq, NULL);
	s->creds = grpc_insecure_server_credentials_create();
	grpc_server_start(s->server);
	r = -pthread_create(&s->thread, NULL, cq_thread, s);
	if (r)
		snprintf(err, errlen, "cannot start the gRPC thread: %s", strerror(-r));
	else
		s->thread_started = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!r) {
		request_call(s);
		r = conn_gate_start(s->gate, err, errlen);
	}
	if (r) {
		rpc_server_stop(s);
		return r;
	}
	*out = s;
	return 0;
}
