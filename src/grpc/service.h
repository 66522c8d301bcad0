/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's gRPC API: upstream's tetragon.FineGuidanceSensors service.
 * GetEvents streams the pipeline's events to any number of clients, each
 * with its own allow/deny lists and field filters and a bounded queue (a
 * slow client loses events, counted and logged, and never blocks the
 * pipeline). GetHealth, GetVersion and ListSensors answer directly; the
 * tracing policy RPCs go to a struct tp_ops (the policy engine) when one is
 * plugged in, and answer UNIMPLEMENTED otherwise. GetInfo and GetDebug's
 * process cache dump go to a struct agent_ops; GetDebug/SetDebug's log level
 * is util/log.h's. EnableSensor/DisableSensor/RemoveSensor answer UNKNOWN
 * "... is deprecated" and RuntimeHook as upstream's agent without runtime
 * hooks, as upstream does.
 *
 * Listeners, like upstream: TCP on --server-address (default
 * localhost:54321; "" disables it; "unix:///path" means that unix socket
 * instead), plus the unix socket /var/run/tetragon/tetragon.sock (mode
 * 0600). The info file tells tetra where to connect.
 */
#ifndef TG_GRPC_SERVICE_H
#define TG_GRPC_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "event/pipeline.h"
#include "grpc/rpc.h"
#include "tetragon/sensors.pb-c.h"

#define API_DEFAULT_SERVER_ADDRESS "localhost:54321"
#define API_DEFAULT_UNIX_SOCKET "/var/run/tetragon/tetragon.sock"
#define API_DEFAULT_INFO_FILE "/var/run/tetragon/tetragon-info.json"
#define API_DEFAULT_EVENT_QUEUE 10000

/*
 * Policy engine hooks for the tracing policy RPCs. They run on the RPC
 * thread (not the agent's event loop), one call at a time. Each returns 0,
 * or <0 with st set to the gRPC status to answer. A NULL member answers
 * UNIMPLEMENTED. Enable/DisableTracingPolicy call configure with enable set.
 */
struct tp_ops {
	int (*add)(void *ctx, const Tetragon__AddTracingPolicyRequest *req, struct rpc_status *st);
	int (*remove)(void *ctx, const Tetragon__DeleteTracingPolicyRequest *req, struct rpc_status *st);
	/* fill *resp (packed with rpc_blob_pack) */
	int (*list)(void *ctx, const Tetragon__ListTracingPoliciesRequest *req, struct rpc_blob **resp,
		    struct rpc_status *st);
	int (*configure)(void *ctx, const Tetragon__ConfigureTracingPolicyRequest *req, struct rpc_status *st);
	/* ListSensors: fill *resp (a packed ListSensorsResponse); NULL answers an empty list */
	int (*sensors)(void *ctx, struct rpc_blob **resp, struct rpc_status *st);
	/* ListDomains: fill *resp (a packed ListDomainsResponse) */
	int (*domains)(void *ctx, struct rpc_blob **resp, struct rpc_status *st);
};

/*
 * The agent's own state (owner: src/agent/agent_rpc.c); same calling rules
 * as tp_ops. NULL members: GetInfo answers the name and version only, the
 * process cache dump UNIMPLEMENTED.
 */
struct agent_ops {
	/* GetInfo: fill *resp (a packed GetInfoResponse) */
	int (*info)(void *ctx, struct rpc_blob **resp, struct rpc_status *st);
	/* GetDebug CONFIG_FLAG_DUMP_PROCESS_CACHE: fill *resp (a packed GetDebugResponse) */
	int (*dump_processes)(void *ctx, const Tetragon__DumpProcessCacheReqArgs *args, struct rpc_blob **resp,
			      struct rpc_status *st);
};

struct api_server_opts {
	const char *server_address;	/* see above; NULL = the default */
	bool server_address_given;	/* false: a busy default port only warns */
	const char *unix_socket;	/* NULL = API_DEFAULT_UNIX_SOCKET, "" = none */
	const char *info_file;		/* NULL = API_DEFAULT_INFO_FILE, "" = none */
	size_t event_queue_size;	/* per GetEvents client; 0 = API_DEFAULT_EVENT_QUEUE */
	struct rpc_access_policy access;	/* who may read and manage (README "Security model") */
	unsigned max_connections;	/* 0: the defaults of grpc/conn_gate.h */
	unsigned max_per_client;
	struct rpc_tls_opts tls;	/* TLS on the TCP listener (grpc/tls_server.h) */
	const char *version;
	const struct tp_ops *tp_ops;	/* NULL until the policy engine plugs in */
	void *tp_ctx;
	const struct agent_ops *agent_ops;	/* may be NULL */
	void *agent_ctx;
};

struct api_server;

/*
 * Start listening and add the GetEvents sink to the pipeline. Returns 0, or
 * -errno after logging why (e.g. the port is taken).
 */
int api_server_start(struct api_server **out, const struct api_server_opts *o, struct pipeline *p);
/* Close every stream and listener, remove the socket and info file. */
void api_server_stop(struct api_server *api);
/* Events GetEvents clients lost to full queues, all clients so far (for the metrics). */
uint64_t api_server_events_dropped(struct api_server *api);
/* Connections and refusals at the API's door (for the metrics); zeros without a server. */
struct conn_gate_stats;
void api_server_conn_stats(struct api_server *api, struct conn_gate_stats *st);

#endif
