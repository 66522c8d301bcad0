// SPDX-License-Identifier: Apache-2.0
/*
 * rpc.h client over gRPC C-core, for tetra: one channel, one pluck
 * completion queue, calls made synchronously from the caller's thread.
 * Waits are sliced (POLL_MS) so a stop flag set by a signal handler
 * cancels a call promptly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "grpc/grpc_util.h"
#include "grpc/rpc.h"

#define POLL_MS 100

struct rpc_client {
	grpc_channel *ch;
	grpc_completion_queue *cq;
};

struct rpc_cstream {
	struct rpc_client *c;
	grpc_call *call;
	volatile sig_atomic_t *stop;
	grpc_metadata_array md, trailing;
	grpc_status_code status;
	grpc_slice details;
	grpc_byte_buffer *send_bb, *recv_bb;
	int t_start, t_status, t_recv;	/* addresses are the tags */
	bool status_pending, recv_pending, ended;
};

int rpc_client_open(struct rpc_client **out, const char *target, const struct rpc_client_tls *tls, char *err,
		    size_t errlen)
{
	struct rpc_client *c = calloc(1, sizeof(*c));
	grpc_ssl_pem_key_cert_pair kp = { 0 };
	grpc_channel_credentials *creds;
	grpc_arg arg = { .type = GRPC_ARG_STRING, .key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG };
	grpc_channel_args args = { .num_args = 1, .args = &arg };

	*out = NULL;
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	tg_grpc_init(true);
	if (tls) {
		kp.private_key = tls->key_pem;
		kp.cert_chain = tls->cert_pem;
		creds = grpc_ssl_credentials_create(tls->ca_pem, tls->cert_pem ? &kp : NULL, NULL, NULL);
		arg.value.string = (char *)tls->server_name;
	} else {
		creds = grpc_insecure_credentials_create();
	}
	c->ch = creds ? grpc_channel_create(target, creds, tls && tls->server_name ? &args : NULL) : NULL;
	if (creds)
		grpc_channel_credentials_release(creds);
	c->cq = grpc_completion_queue_create_for_pluck(NULL);
	if (!c->ch || !c->cq) {
		snprintf(err, errlen, "cannot create a gRPC channel to %s", target);
		rpc_client_close(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}

void rpc_client_close(struct rpc_client *c)
{
	if (!c)
		return;
	if (c->ch)
		grpc_channel_destroy(c->ch);
	if (c->cq) {
		grpc_completion_queue_shutdown(c->cq);
		while (grpc_completion_queue_pluck(c->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
		       GRPC_QUEUE_SHUTDOWN)
			;
		grpc_completion_queue_destroy(c->cq);
	}
	free(c);
	tg_grpc_shutdown();
}

static gpr_timespec deadline_ms(int ms)
{
	if (ms <= 0)
		return gpr_inf_future(GPR_CLOCK_REALTIME);
	return gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

/* Wait for one tag; cancels the call (and keeps waiting for the tag) once *stop is set. */
static bool wait_tag(struct rpc_client *c, grpc_call *call, void *tag, volatile sig_atomic_t *stop, bool *stopped)
{
	for (;;) {
		grpc_event ev = grpc_completion_queue_pluck(c->cq, tag, deadline_ms(POLL_MS), NULL);

		if (ev.type == GRPC_OP_COMPLETE)
			return ev.success;
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			return false;
		if (stop && *stop && !*stopped) {
			*stopped = true;
			grpc_call_cancel(call, NULL);
		}
	}
}

static grpc_byte_buffer *msg_bb(const ProtobufCMessage *m)
{
	struct rpc_blob *b = rpc_blob_pack(m);
	grpc_byte_buffer *bb;

	if (!b)
		return NULL;
	bb = tg_grpc_blob_bb(b);
	rpc_blob_unref(b);
	return bb;
}

int rpc_client_call(struct rpc_client *c, const char *path, const ProtobufCMessage *req,
		    const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp, int timeout_ms,
		    struct rpc_status *st)
{
	grpc_metadata_array md, trailing;
	grpc_byte_buffer *send_bb, *recv_bb = NULL;
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice method = grpc_slice_from_static_string(path), details = grpc_empty_slice();
	grpc_call *call;
	grpc_op ops[6];
	bool stopped = false;
	int tag, r = -EIO;

	*resp = NULL;
	send_bb = msg_bb(req);
	if (!send_bb) {
		rpc_status_set(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return -ENOMEM;
	}
	call = grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, method, NULL,
					deadline_ms(timeout_ms), NULL);
	grpc_metadata_array_init(&md);
	grpc_metadata_array_init(&trailing);
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = send_bb;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &md;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &recv_bb;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
	ops[5].data.recv_status_on_client.status = &status;
	ops[5].data.recv_status_on_client.status_details = &details;
	if (grpc_call_start_batch(call, ops, 6, &tag, NULL) != GRPC_CALL_OK) {
		rpc_status_set(st, RPC_INTERNAL, "cannot start the call");
	} else {
		wait_tag(c, call, &tag, NULL, &stopped);
		tg_grpc_status_from(st, status, details);
		if (status == GRPC_STATUS_OK) {
			if (!recv_bb) {
				rpc_status_set(st, RPC_INTERNAL, "no response message");
			} else if (tg_grpc_bb_unpack(recv_bb, resp_desc, resp)) {
				rpc_status_set(st, RPC_INTERNAL, "cannot decode the %s response", resp_desc->name);
			} else {
				r = 0;
			}
		}
	}
	if (recv_bb)
		grpc_byte_buffer_destroy(recv_bb);
	grpc_byte_buffer_destroy(send_bb);
	grpc_slice_unref(details);
	grpc_metadata_array_destroy(&md);
	grpc_metadata_array_destroy(&trailing);
	grpc_call_unref(call);
	return r;
}

void rpc_cstream_free(struct rpc_cstream *s)
{
	bool stopped = true;

	if (!s)
		return;
	if (s->recv_pending || s->status_pending)
		grpc_call_cancel(s->call, NULL);
	if (s->recv_pending)
		wait_tag(s->c, s->call, &s->t_recv, NULL, &stopped);
	if (s->status_pending)
		wait_tag(s->c, s->call, &s->t_status, NULL, &stopped);
	if (s->recv_bb)
		grpc_byte_buffer_destroy(s->recv_bb);
	if (s->send_bb)
		grpc_byte_buffer_destroy(s->send_bb);
	grpc_slice_unref(s->details);
	grpc_metadata_array_destroy(&s->md);
	grpc_metadata_array_destroy(&s->trailing);
	grpc_call_unref(s->call);
	free(s);
}

/* The call is over: collect its status. */
static int stream_end(struct rpc_cstream *s, bool stopped, struct rpc_status *st)
{
	bool dummy = true;

	if (s->status_pending) {
		wait_tag(s->c, s->call, &s->t_status, NULL, &dummy);
		s->status_pending = false;
	}
	s->ended = true;
	if (stopped)
		return -EINTR;
	tg_grpc_status_from(st, s->status, s->details);
	return s->status == GRPC_STATUS_OK ? 0 : -EIO;
}

int rpc_cstream_start(struct rpc_client *c, const char *path, const ProtobufCMessage *req,
		      struct rpc_cstream **out, volatile sig_atomic_t *stop, struct rpc_status *st)
{
	struct rpc_cstream *s = calloc(1, sizeof(*s));
	grpc_slice method = grpc_slice_from_static_string(path);
	bool stopped = false;
	grpc_op ops[4];
	bool ok;

	*out = NULL;
	if (!s) {
		rpc_status_set(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return -ENOMEM;
	}
	s->c = c;
	s->stop = stop;
	s->details = grpc_empty_slice();
	s->status = GRPC_STATUS_UNKNOWN;
	grpc_metadata_array_init(&s->md);
	grpc_metadata_array_init(&s->trailing);
	s->call = grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, method, NULL,
					   gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	s->send_bb = msg_bb(req);
	if (!s->send_bb) {
		rpc_cstream_free(s);
		rpc_status_set(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return -ENOMEM;
	}
	/* the status op first: it completes whenever the call ends */
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[0].data.recv_status_on_client.trailing_metadata = &s->trailing;
	ops[0].data.recv_status_on_client.status = &s->status;
	ops[0].data.recv_status_on_client.status_details = &s->details;
	if (grpc_call_start_batch(s->call, ops, 1, &s->t_status, NULL) != GRPC_CALL_OK) {
		rpc_cstream_free(s);
		rpc_status_set(st, RPC_INTERNAL, "cannot start the call");
		return -EIO;
	}
	s->status_pending = true;
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = s->send_bb;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->md;
	if (grpc_call_start_batch(s->call, ops, 4, &s->t_start, NULL) != GRPC_CALL_OK) {
		rpc_cstream_free(s);
		rpc_status_set(st, RPC_INTERNAL, "cannot start the call");
		return -EIO;
	}
	ok = wait_tag(c, s->call, &s->t_start, stop, &stopped);
	if (!ok || stopped) {
		int r = stream_end(s, stopped, st);

		rpc_cstream_free(s);
		return r ? r : -EIO;
	}
	*out = s;
	return 0;
}

int rpc_cstream_next(struct rpc_cstream *s, const ProtobufCMessageDescriptor *d, ProtobufCMessage **msg,
		     struct rpc_status *st)
{
	bool stopped = false;
	grpc_op op;
	int r;

	*msg = NULL;
	if (s->ended) {
		tg_grpc_status_from(st, s->status, s->details);
		return s->status == GRPC_STATUS_OK ? 0 : -EIO;
	}
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &s->recv_bb;
	if (grpc_call_start_batch(s->call, &op, 1, &s->t_recv, NULL) != GRPC_CALL_OK) {
		rpc_status_set(st, RPC_INTERNAL, "cannot read from the stream");
		return -EIO;
	}
	s->recv_pending = true;
	wait_tag(s->c, s->call, &s->t_recv, s->stop, &stopped);
	s->recv_pending = false;
	if (stopped || !s->recv_bb)
		return stream_end(s, stopped, st);
	r = tg_grpc_bb_unpack(s->recv_bb, d, msg);
	grpc_byte_buffer_destroy(s->recv_bb);
	s->recv_bb = NULL;
	if (r) {
		rpc_status_set(st, RPC_INTERNAL, "cannot decode a %s message", d->name);
		return -EIO;
	}
	return 1;
}
