/* SPDX-License-Identifier: Apache-2.0 */
/* The Tetragon__Process message of a cached process, built once and reused
 * by every event that names the process. */
#ifndef TG_EVENT_PROCESS_VIEW_H
#define TG_EVENT_PROCESS_VIEW_H

#include <stdbool.h>

#include "abi/msg_process.h"
#include "encode/protojson.h"
#include "process/cache.h"
#include "tetragon/tetragon.pb-c.h"

struct k8s_pods;

struct process_view_opts {
	bool cred;		/* cap, process_credentials, binary_properties privileges */
	bool ns;		/* ns */
	struct msg_ns host_ns;	/* to compute Namespace.is_host */
	struct k8s_pods *pods;	/* the pod field from Kubernetes (src/k8s/pods.h); NULL: none */
	uint32_t ancestors;	/* ANCESTORS_*: event types that carry ancestors (event/process_facts.h) */
};

/* Returns the cached message for @p (building it on first use), NULL on OOM. */
const Tetragon__Process *process_view(struct process *p, const struct process_view_opts *o);
void process_view_free(void *view);

/*
 * The cached JSON slot of m when m is a live process view, else NULL: a
 * protojson_fragment_fn for the JSON sinks.
 */
struct protojson_fragment *process_view_fragment(const ProtobufCMessage *m);

/*
 * The `ancestors` of an event of type @kind (ANCESTORS_*) about @p, as
 * upstream lists them: the parent's parent, its parent and so on, up to
 * and including the first one with pid 1 or 2 (init, kthreadd), or the
 * first one no longer cached; none for pids 1 and 2 themselves, nor when
 * @kind is not enabled. At most @max go into @out (a longer chain adds one
 * to *@truncated). Returns how many.
 */
size_t process_view_ancestors(struct process *p, const struct process_view_opts *o, uint32_t kind,
			      Tetragon__Process **out, size_t max, uint64_t *truncated);

/* binary_properties of an exec event, or NULL when there is nothing to say. */
const Tetragon__BinaryProperties *process_view_binary_properties(struct process *p,
								 const struct process_view_opts *o);

/* Space-separated flag names, upstream's order. Returns a static-lifetime
 * string per call site buffer. */
void process_flags_string(uint32_t flags, char *buf, size_t size);

#endif
