/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tracing policy RPCs (gRPC tp_ops) on top of the policy engine: each
 * call runs on the event loop (agent/loop_call.h), which owns the engine.
 */
#ifndef TG_AGENT_POLICY_RPC_H
#define TG_AGENT_POLICY_RPC_H

#include "agent/loop_call.h"
#include "grpc/service.h"

struct policy_engine;
struct policy_store;

struct policy_rpc {
	struct loop_calls *calls;
	struct policy_engine *engine;
	struct k8s *k8s;	/* custom resources refused before the engine, or NULL */
	struct policy_store *store;	/* --persist-grpc-policies, or NULL */
};

extern const struct tp_ops policy_rpc_ops;	/* ctx: struct policy_rpc * */

#endif
