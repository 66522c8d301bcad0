/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GetInfo and GetDebug's process cache dump (gRPC agent_ops) on top of the
 * agent: its options (read-only once it runs), the kernel features it
 * probes, and the process cache, which only the event loop touches (the
 * dump runs there through agent/loop_call.h).
 */
#ifndef TG_AGENT_AGENT_RPC_H
#define TG_AGENT_AGENT_RPC_H

#include <pthread.h>
#include <stdbool.h>

#include "agent/loop_call.h"
#include "agent/options.h"
#include "event/process_view.h"
#include "grpc/service.h"
#include "kernel/features.h"
#include "process/cache.h"

/*
 * A dump is at most this large, so that it fits gRPC's default 4 MiB
 * receive limit (tetra's and upstream clients'); what does not fit is left
 * out and counted in the agent's log.
 */
#define AGENT_RPC_DUMP_MAX_BYTES (4 * 1024 * 1024 - 64 * 1024)

struct agent_rpc {
	struct loop_calls *calls;
	const struct agent_options *o;
	const char *version;			/* GetVersion's, so both say the same */
	struct process_cache *cache;		/* event loop only */
	const struct process_view_opts *view;	/* event loop only */
	/* kernel features, probed once by a child process (see agent_rpc.c) */
	pthread_mutex_t mu;
	bool probed;
	size_t nprobes;
	char *probe_names[KF__COUNT];
	bool probes[KF__COUNT];
};

void agent_rpc_init(struct agent_rpc *r);
void agent_rpc_destroy(struct agent_rpc *r);

extern const struct agent_ops agent_rpc_ops;	/* ctx: struct agent_rpc * */

/*
 * The feature lines of `tetragon --probe-features` ("NAME: yes (...)"),
 * into names (malloc'ed) and values; other lines are skipped. Returns how
 * many were read, at most max.
 */
size_t agent_rpc_parse_probes(const char *text, char **names, bool *values, size_t max);

#endif
