/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's front door. The agent listens and accepts itself (not gRPC), so
 * that before a connection reaches gRPC it knows who is at the other end
 * (peer_cred.h), what that peer may call, and whether it may hold another
 * connection at all. Accepted connections are handed to gRPC by fd; gRPC
 * names their calls' peer "fd:N", which maps a call back to its connection.
 *
 * Bounds: a total number of connections with a reserve only root may use,
 * a number per client (local uid, client certificate, or remote address),
 * and a spare descriptor so that running out of descriptors refuses
 * connections instead of leaving the listener stuck.
 *
 * TLS (tls_server.h): with a certificate and key, every TCP connection is
 * TLS, terminated in the relay; a client certificate that verifies against
 * the client CAs manages the agent from any address. The unix socket stays
 * plain (its mode and SO_PEERCRED decide).
 */
#ifndef TG_GRPC_CONN_GATE_H
#define TG_GRPC_CONN_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "grpc/rpc.h"

struct conn_gate;

struct conn_gate_opts {
	const char *tcp_address;	/* "host:port" or NULL/"" */
	bool tcp_optional;		/* a TCP bind failure only warns */
	const char *unix_path;		/* absolute path or NULL */
	struct rpc_access_policy access;
	unsigned max_connections;	/* 0: CONN_GATE_DEFAULT_MAX */
	unsigned max_per_client;	/* 0: CONN_GATE_DEFAULT_PER_CLIENT */
	struct rpc_tls_opts tls;	/* TLS on the TCP listener; unset: plain */
	bool public_only;		/* every method is public (the health port): TCP in clear is fine */
	/* takes ownership of a connected, non-blocking socket */
	void (*handoff)(void *ctx, int fd);
	void *ctx;
};

#define CONN_GATE_DEFAULT_MAX		256
#define CONN_GATE_DEFAULT_PER_CLIENT	32
/* connections only root may open once the others reach max - reserve */
#define CONN_GATE_ROOT_RESERVE		16
/* event streams: each may hold filters worth megabytes (src/filters) */
#define CONN_GATE_STREAMS_PER_CLIENT	8
#define CONN_GATE_STREAMS_TOTAL		64

struct conn_gate_stats {
	uint64_t accepted;
	uint64_t refused_total;		/* over the total (or non-root share) */
	uint64_t refused_per_client;	/* over the per-client bound */
	uint64_t refused_fds;		/* out of descriptors */
	uint64_t denied_calls;		/* calls refused for their caller's rights */
	uint64_t closed_protocol;	/* connections closed for breaking h2_guard's limits */
	uint64_t closed_tls;		/* TLS handshakes that failed or timed out */
	uint64_t refused_streams;	/* event streams over a client's or the total bound */
	unsigned streams;		/* non-root event streams open */
	unsigned open;
};

/*
 * Bind and listen (nothing is accepted before conn_gate_start). Returns 0,
 * or -errno with the reason in err ("cannot listen on ...: ...",
 * "another agent is serving ...").
 */
int conn_gate_open(struct conn_gate **out, const struct conn_gate_opts *o, char *err, size_t errlen);
/* Start accepting on a thread of its own. */
int conn_gate_start(struct conn_gate *g, char *err, size_t errlen);
/* Close the listeners and remove the unix socket; admitted connections go on. */
void conn_gate_stop_accepting(struct conn_gate *g);
/* Wait a little for connections to end, close the rest, free. */
void conn_gate_close(struct conn_gate *g);
bool conn_gate_has_tcp(const struct conn_gate *g);

/* The connection behind a call. */
struct conn_gate_peer {
	enum rpc_access access;
	bool root;
	char client[64];	/* who the per-client bounds count: "uid:N", "x509:HASH" or an address */
	char desc[256];		/* for messages: "uid 65534 over loopback TCP from ..." */
};

/* What the connection behind a call's peer string ("fd:N") may do, and who it is. */
void conn_gate_peer(struct conn_gate *g, const char *peer, struct conn_gate_peer *out);

/*
 * A long-lived stream (GetEvents) starts: 0, or -EBUSY when its client
 * (non-root) already holds CONN_GATE_STREAMS_PER_CLIENT streams or all
 * non-root clients together hold CONN_GATE_STREAMS_TOTAL, with why set.
 * Each 0 is paired with conn_gate_stream_end.
 */
int conn_gate_stream_begin(struct conn_gate *g, const struct conn_gate_peer *p, char *why, size_t len);
void conn_gate_stream_end(struct conn_gate *g, const struct conn_gate_peer *p);
/* Count a refused call and warn (rate-limited) with what. */
void conn_gate_deny(struct conn_gate *g, const char *what);
void conn_gate_get_stats(struct conn_gate *g, struct conn_gate_stats *st);

#endif
