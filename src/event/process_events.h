/* SPDX-License-Identifier: Apache-2.0 */
/* Kernel lifecycle messages -> process cache -> process_exec/process_exit events. */
#ifndef TG_EVENT_PROCESS_EVENTS_H
#define TG_EVENT_PROCESS_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "event/pipeline.h"
#include "event/process_view.h"
#include "process/cache.h"
#include "process/container.h"

struct held_event;
struct userdb;

/*
 * Events of processes whose container is still being looked up
 * (container.pending): held, in order, until the answer comes or the
 * wait runs out (upstream's event cache, for pod info). Never longer
 * than wait_ms; at most max of them (the oldest then goes as it is).
 */
struct event_hold {
	struct held_event *head, *tail;
	size_t n, max;
	uint64_t wait_ms;		/* 0: never hold */
	/* counters (upstream's tetragon_event_cache_*) */
	uint64_t inserts;
	uint64_t released;		/* with what they waited for */
	uint64_t failed_exec, failed_exit;	/* released without it (lookup failed, wait ran out) */
	uint64_t overflows;		/* released early: the hold was full */
};

struct process_events {
	struct process_cache *cache;
	struct pipeline *pipeline;
	const char *node_name;
	struct process_view_opts view;
	/*
	 * Handle every lifecycle record queued so far (the agent's; NULL:
	 * none): a policy record read before its process' exec record.
	 */
	int (*drain)(void *ctx);
	void *drain_ctx;
	/* cgroups and containers (NULL: not tracked) */
	struct container_table *containers;
	/* a process was seen in container c (exec, /proc scan): its metadata may be wanted */
	void (*on_container)(void *ctx, struct container *c);
	void *on_container_ctx;
	struct event_hold hold;
	/* process facts (event/process_facts.h): keep exec's environment, only these names (none: all) */
	bool envs;
	char *const *env_filter;
	size_t nenv_filter;
	struct userdb *users;		/* --username-metadata=unix (process/userdb.h); NULL: off */
	/* counters */
	uint64_t execs, clones, exits;
	uint64_t bad_msgs;		/* truncated/unknown records */
	uint64_t exit_misses;		/* exits of processes the kernel saw start, we did not */
	uint64_t exit_unknown;		/* exits of processes neither saw start (older than the agent) */
	uint64_t policy_misses;		/* policy records whose process is unknown, even after a drain */
	uint64_t envs_truncated;	/* exec records whose environment was cut at TG_ENVS_MAX */
	uint64_t envs_dropped;		/* variables left out for it (the cut one) or for want of memory */
	uint64_t ancestors_truncated;	/* events whose ancestors went past ANCESTORS_MAX */
	uint64_t exec_dups;		/* execs both the /proc scan and the kernel reported: sent once */
};

/*
 * user.name of a process about to be cached (its creds, namespaces and
 * root set): from the passwd file of its own root when pe->users is set.
 */
void process_events_user(struct process_events *pe, struct process *e, const struct process *parent);

/*
 * The process a policy record names: its execve_map key, else (key pid 0)
 * the incarnation of tgid that began before t, the record's time. Not
 * cached yet: lifecycle records still queued are handled, then it is
 * looked up again. NULL when still unknown (counted in policy_misses).
 */
struct process *process_events_find(struct process_events *pe, const struct msg_execve_key *key, uint32_t tgid,
				    uint64_t t);

/* Dispatch one ring buffer record by opcode. Never fails the loop. */
int process_events_handle(struct process_events *pe, const void *data, size_t len);

/* Emit a process_exec for a cached process (used by the procfs scan); may be held. */
void process_events_emit_exec(struct process_events *pe, struct process *p);

/*
 * Emit the held events that may go now: their container is no longer
 * pending, or their wait ran out (now_ms, monotonic), or all of them.
 */
void process_events_release(struct process_events *pe, uint64_t now_ms, bool all);

/* The cgroup a /proc-scanned process is in (procfs), for process_cache_add(). */
struct tg_cgroup *process_events_cgroup(struct process_events *pe, uint64_t id, const char *path);

#endif
