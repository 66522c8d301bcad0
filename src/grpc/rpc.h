/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A narrow RPC interface: protobuf-c messages in and out, unary and
 * server-streaming methods, gRPC status codes. The agent's service
 * (grpc/service.c) and tetra use only this header; grpc_server.c and
 * grpc_client.c implement it over gRPC C-core, so the transport can be
 * replaced without touching them.
 *
 * Server threading: handlers and stream_closed run on the server's own
 * thread. rpc_stream_send()/rpc_stream_kick() may be called from any thread
 * until stream_closed() has returned for that stream.
 */
#ifndef TG_GRPC_RPC_H
#define TG_GRPC_RPC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <protobuf-c/protobuf-c.h>

/* gRPC status codes. */
enum rpc_code {
	RPC_OK = 0,
	RPC_CANCELLED = 1,
	RPC_UNKNOWN = 2,
	RPC_INVALID_ARGUMENT = 3,
	RPC_DEADLINE_EXCEEDED = 4,
	RPC_NOT_FOUND = 5,
	RPC_ALREADY_EXISTS = 6,
	RPC_PERMISSION_DENIED = 7,
	RPC_RESOURCE_EXHAUSTED = 8,
	RPC_FAILED_PRECONDITION = 9,
	RPC_ABORTED = 10,
	RPC_OUT_OF_RANGE = 11,
	RPC_UNIMPLEMENTED = 12,
	RPC_INTERNAL = 13,
	RPC_UNAVAILABLE = 14,
	RPC_DATA_LOSS = 15,
	RPC_UNAUTHENTICATED = 16,
};

struct rpc_status {
	int code;		/* enum rpc_code */
	char message[512];
};

void rpc_status_set(struct rpc_status *st, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "UNAVAILABLE", "NOT_FOUND"... */
const char *rpc_code_name(int code);

/* A serialized message, reference counted so several streams can share it. */
struct rpc_blob {
	int refs;	/* private: atomic reference count */
	size_t len;
	uint8_t data[];
};

/* Pack m; NULL when out of memory. The caller holds one reference. */
struct rpc_blob *rpc_blob_pack(const ProtobufCMessage *m);
struct rpc_blob *rpc_blob_ref(struct rpc_blob *b);
void rpc_blob_unref(struct rpc_blob *b);

/* ---- server ---------------------------------------------------------------------- */

struct rpc_server;
struct rpc_stream;

/* What a caller may do; a method names the least it needs. */
enum rpc_access {
	RPC_ACCESS_PUBLIC,	/* anyone who can connect: health, version */
	RPC_ACCESS_READ,	/* events and what is loaded */
	RPC_ACCESS_ADMIN,	/* anything that changes the agent */
};

/* Who gets which rights (see README "Security model"). */
struct rpc_access_policy {
	bool group_set;		/* members of group manage the agent as root does */
	gid_t group;
	bool public_read;	/* every local user may read (stream events, list) */
};

struct rpc_method {
	const char *path;	/* "/tetragon.FineGuidanceSensors/GetHealth" */
	enum rpc_access access;
	const ProtobufCMessageDescriptor *request;
	/*
	 * Unary: return the packed response, or NULL with st->code set (a NULL
	 * with st->code == RPC_OK means out of memory).
	 */
	struct rpc_blob *(*unary)(void *ctx, const ProtobufCMessage *req, struct rpc_status *st);
	/*
	 * Server streaming: return 0 to accept; the stream then lives until
	 * stream_closed(). Return <0 with st set to refuse.
	 */
	int (*stream_open)(void *ctx, struct rpc_stream *s, const ProtobufCMessage *req, struct rpc_status *st);
};

struct rpc_service {
	const struct rpc_method *methods;
	size_t nmethods;
	/* "/pkg.Service/" prefix: other services get "unknown service" */
	const char *service_prefix;
	void *ctx;
	/* The client went away or the server stops: forget s before returning. */
	void (*stream_closed)(void *ctx, struct rpc_stream *s);
};

/*
 * TLS on the TCP listener (upstream's --server-tls-* flags); all unset: none.
 * The unix socket is never TLS. See grpc/tls_server.h.
 */
struct rpc_tls_opts {
	const char *cert_file;		/* PEM certificate chain, the server's own first */
	const char *key_file;		/* its PEM private key: root's, mode 0600 or stricter */
	const char *client_ca_files;	/* comma-separated PEM bundles that sign client certificates */
	bool require_client_cert;	/* refuse clients without such a certificate */
};

struct rpc_server_opts {
	/* "host:port" for TCP, or NULL/"" for none */
	const char *tcp_address;
	/* a TCP listen failure is only logged (the unix socket still serves) */
	bool tcp_optional;
	/* absolute path of a unix socket created with mode 0600, or NULL */
	const char *unix_path;
	/* messages queued per stream before new ones are dropped */
	size_t stream_queue_len;
	struct rpc_access_policy access;
	/* connection bounds, 0 for the defaults (grpc/conn_gate.h) */
	unsigned max_connections;
	unsigned max_per_client;
	struct rpc_tls_opts tls;
	/* every method is RPC_ACCESS_PUBLIC (the health port): no clear-text warning */
	bool public_only;
};

/*
 * Listen and start serving on a thread of its own. Returns 0, or -errno with
 * "cannot listen on ...: reason" in err.
 */
int rpc_server_start(struct rpc_server **out, const struct rpc_server_opts *o, const struct rpc_service *svc,
		     char *err, size_t errlen);
/* True when the TCP listener is up (it may be optional). */
bool rpc_server_has_tcp(const struct rpc_server *s);
/* Connections accepted, refused, open, calls denied (grpc/conn_gate.h). */
struct conn_gate_stats;
void rpc_server_get_stats(struct rpc_server *s, struct conn_gate_stats *st);
/* Cancel every call, wait for them, remove the unix socket, free. */
void rpc_server_stop(struct rpc_server *s);

/*
 * Queue a message (takes its own reference on b). Returns 0, -ENOBUFS when
 * the stream's queue is full (the message is dropped and counted) or -EPIPE
 * once the stream is closing.
 */
int rpc_stream_send(struct rpc_stream *s, struct rpc_blob *b);
/* Start writing queued messages if the stream is idle (after a batch of sends). */
void rpc_stream_kick(struct rpc_stream *s);
/* "uid 0 over loopback TCP from 127.0.0.1:41234", "uid 0 (pid 12) on the unix socket" */
const char *rpc_stream_peer(const struct rpc_stream *s);
void rpc_stream_set_data(struct rpc_stream *s, void *data);
void *rpc_stream_data(const struct rpc_stream *s);

/* ---- client ---------------------------------------------------------------------- */

struct rpc_client;
struct rpc_cstream;

/* TLS to the server (tetra's --tls-* flags): PEM text, not file names. */
struct rpc_client_tls {
	const char *ca_pem;		/* roots that sign the server's certificate; NULL: the system's */
	const char *cert_pem;		/* client certificate chain, or NULL */
	const char *key_pem;		/* and its key */
	const char *server_name;	/* the name the server's certificate must carry; NULL: the target's host */
};

/*
 * target: "host:port" or "unix:///path"; tls NULL for plaintext. Connection
 * happens at the first call.
 */
int rpc_client_open(struct rpc_client **out, const char *target, const struct rpc_client_tls *tls, char *err,
		    size_t errlen);
void rpc_client_close(struct rpc_client *c);

/*
 * Unary call. Returns 0 with *resp set (free it with
 * protobuf_c_message_free_unpacked), or -EIO with st describing the failure
 * (st->code RPC_UNAVAILABLE when the server cannot be reached).
 */
int rpc_client_call(struct rpc_client *c, const char *path, const ProtobufCMessage *req,
		    const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp, int timeout_ms,
		    struct rpc_status *st);

/*
 * Server streaming call: start, then read until rpc_cstream_next() returns
 * 0 (the stream ended, st holds the final status). *stop (may be NULL) is
 * polled while waiting: when it becomes non-zero the call is cancelled and
 * -EINTR returned.
 */
int rpc_cstream_start(struct rpc_client *c, const char *path, const ProtobufCMessage *req,
		      struct rpc_cstream **out, volatile sig_atomic_t *stop, struct rpc_status *st);
/* 1 with *msg set, 0 at the end, -EIO on errors (st set), -EINTR on stop. */
int rpc_cstream_next(struct rpc_cstream *s, const ProtobufCMessageDescriptor *d, ProtobufCMessage **msg,
		     struct rpc_status *st);
void rpc_cstream_free(struct rpc_cstream *s);

#endif
