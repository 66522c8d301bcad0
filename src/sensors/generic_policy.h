/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TracingPolicy engine: reads policies (--tracing-policy,
 * --tracing-policy-dir, the gRPC API), checks each hook against what this
 * kernel and this engine can run (through the back-end that serves it:
 * tracepoints, syscall kprobes on their tracepoints, raw tracepoints,
 * uprobes, kernel-function kprobes; policy_backend.h), loads and attaches
 * them, and refuses the others with the reason. The agent keeps running
 * either way.
 */
#ifndef TG_SENSORS_GENERIC_POLICY_H
#define TG_SENSORS_GENERIC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct policy_engine;
struct tp_policy;

/*
 * Workload scope (TracingPolicyNamespaced, podSelector, containerSelector,
 * hostSelector): the provider (src/k8s/scope.c) keeps, per policy, a BPF
 * hash of the cgroup ids the policy acts on (abi/msg_generic.h GT_CFG_SCOPE*),
 * which every program of the policy shares.
 */
struct policy_scope {
	uint32_t flags;		/* GT_CFG_SCOPE*; 0: the policy acts on every workload (no filter) */
	int fd;			/* its gt_scope map */
	int pods_fd;		/* gt_scope_pods (GT_CFG_SCOPE_HOST) */
};

struct policy_scope_ops {
	/* The scope of p, kept up to date until release; -errno with the reason. */
	int (*acquire)(void *ctx, const struct tp_policy *p, struct policy_scope *out, char *why, size_t len);
	void (*release)(void *ctx, const struct tp_policy *p);
};

/* Does p name workloads (namespaced, or a pod, container or host selector)? */
bool policy_is_scoped(const struct tp_policy *p);

struct policy_engine_opts {
	char *const *files;	/* --tracing-policy */
	size_t nfiles;
	const char *dir;	/* --tracing-policy-dir, NULL = none */
	const char *tracefs;	/* NULL = /sys/kernel/tracing */
	int events_fd;		/* the policy programs' ring buffer (the lifecycle sensor's, apart from its own) */
	int execve_fd;		/* its execve_map */
	int missed_fd;		/* its per-opcode drop counters (missed_events), 0 = none */
	int mbset_fd;		/* its followChildren maps (process_sensor_mbset_fds), 0 = none */
	/*
	 * Called between hook attaches (NULL: not): loading many hooks takes
	 * seconds, in which the agent must keep reading lifecycle records.
	 */
	void (*pump)(void *ctx);
	void *pump_ctx;
	int mbset_cfg_fd;
	int nscaps_fd;		/* its exec_nscaps (process_sensor_nscaps_fd), 0 = none */
	/* tests: compile each instance (arguments, selectors) but load and attach nothing */
	bool dry_run;
	bool expose_stack_addresses;	/* stack trace entries keep their addresses */
	/* NULL: a scoped policy is refused (the agent runs without --enable-k8s-api) */
	const struct policy_scope_ops *scope;
	void *scope_ctx;
	const char *scope_missing;	/* with scope NULL: why there is none (NULL: no --enable-k8s-api) */
};

struct process_events;

/* Per attached hook instance, from the kernel's counters. */
struct policy_hook_stats {
	const char *policy, *ns, *subsys, *event;	/* ns: the policy's namespace, "" cluster-wide */
	uint64_t matched, filtered, lost, rate_limited;
	uint64_t scope_filtered;	/* of filtered: out of the policy's workloads */
};

/* Never fails because of a bad policy (it is logged and skipped); -ENOMEM only. */
int policy_engine_open(struct policy_engine **ret, const struct policy_engine_opts *o);
/* Logs per-policy counters, then frees. NULL is fine. */
void policy_engine_close(struct policy_engine *e);
/* Policies loaded (enabled or disabled). */
size_t policy_engine_accepted(const struct policy_engine *e);
/* Policies refused at startup (bad file, or not runnable here). */
size_t policy_engine_refused(const struct policy_engine *e);
/* Counters of instance i (0..); -ENOENT past the last. */
int policy_engine_stats(struct policy_engine *e, size_t i, struct policy_hook_stats *st);
/* GetUrl/DnsLookup results and queue (all zero before the first one); e may be NULL. */
struct agent_actions_stats;
/*
 * tetragon_enforcer_missed_notifications_total: fn once per counter of the
 * engine's enforcers (policy, reason "overwritten" or "no_action", info: the
 * notifying hook's syscall or tracepoint, "" for others; count). e may be NULL.
 */
typedef void (*policy_enforcer_missed_fn)(void *arg, const char *policy, const char *reason, const char *info,
					  uint64_t n);
void policy_enforcer_missed_each(const struct policy_engine *e, policy_enforcer_missed_fn fn, void *arg);
/*
 * spec.loader: read the mmap records the kernel wrote since the last call
 * and emit their process_loader events (policy_loader.c); nothing while no
 * policy asks. The event loop calls it every round, after the lifecycle
 * ring (the processes are known then).
 */
struct process_events;
void policy_engine_loader_poll(struct policy_engine *e, struct process_events *pe);
/*
 * Is it on? Then a process that exits stays in the cache until the round's
 * poll is done (the agent's hold position): its mmap records may still be
 * in the perf rings, which name a pid only.
 */
bool policy_engine_loader_on(const struct policy_engine *e);
/* Policy i's enforcer as it runs here ("enforcer by kprobe ... on __x64_sys_dup"), "" without one. */
void policy_engine_enforcer(struct policy_engine *e, size_t i, char *buf, size_t len);
void policy_engine_agent_actions(struct policy_engine *e, struct agent_actions_stats *st);
struct policy_data_stats;
/* maxData chunks (policy_chunks.h): upstream's tetragon_data_events_total */
void policy_engine_data_stats(const struct policy_engine *e, struct policy_data_stats *st);
/* Is op the opcode of a record the policy engine's programs post (MSG_OP_GENERIC_*)? */
bool policy_engine_record_op(uint32_t op);
/*
 * The record opcodes of every hook back-end (implemented or to come),
 * ascending, for metrics; returns how many, at most max.
 */
size_t policy_engine_msg_ops(uint32_t *out, size_t max);
/* Upstream's sensor name of a policy section (enum tp_hook_kind): "generic_kprobe"... */
const char *policy_engine_sensor(int hook_kind);
/* Turn a MSG_OP_GENERIC_* record into process_kprobe/process_tracepoint/process_uprobe. */
int policy_engine_handle(struct policy_engine *e, struct process_events *pe, const void *data, size_t len);

/*
 * Run-time management, for the gRPC API. Not thread-safe: the agent runs
 * them on its event loop, the thread that also handles the records.
 *
 * A policy is named by (name, namespace, domain) as upstream keys them:
 * namespace NULL or "" for a cluster-wide policy; domain "static" for the
 * --tracing-policy files, the AddTracingPolicy request's (default "grpc")
 * otherwise. A NULL or "" domain in a lookup matches any domain (a
 * (namespace, name) pair is unique across domains here: it labels metrics).
 *
 * A policy this kernel or engine cannot run stays listed, in state
 * POLICY_STATE_LOAD_ERROR with the reason, as upstream lists it; adding a
 * policy of the same name replaces it.
 *
 * Each returns 0 or -errno with the reason in why:
 *   add:       -EINVAL (the YAML is invalid: every "policy:line:col: message"),
 *              -EEXIST (a policy of that name in that namespace is loaded), -EOPNOTSUPP (this
 *              kernel or engine cannot run it: what is missing; it is kept
 *              in POLICY_STATE_LOAD_ERROR);
 *   delete:    -ENOENT;
 *   configure: enable and monitor are 1/0, or -1 to keep. -ENOENT; -EALREADY
 *              when enabling a policy that is not disabled or disabling one
 *              that is not enabled (upstream refuses both); -EIO when it
 *              cannot be attached again (then POLICY_STATE_LOAD_ERROR).
 */
#define POLICY_DOMAIN_STATIC "static"
#define POLICY_DOMAIN_GRPC "grpc"
#define POLICY_DOMAIN_MAX 253	/* bytes of a domain a client names */

int policy_engine_add_yaml(struct policy_engine *e, const char *yaml, size_t len, const char *domain, char *why,
			   size_t whylen);
/* The same, the policy kept disabled (checked, not attached) when disabled: restored ones. */
int policy_engine_add_yaml_state(struct policy_engine *e, const char *yaml, size_t len, const char *domain,
				 bool disabled, char *why, size_t whylen);
int policy_engine_delete(struct policy_engine *e, const char *name, const char *ns, const char *domain, char *why,
			 size_t whylen);
int policy_engine_configure(struct policy_engine *e, const char *name, const char *ns, const char *domain,
			    int enable, int monitor, char *why, size_t whylen);

/* Upstream's TracingPolicyState values. */
enum policy_state {
	POLICY_STATE_ENABLED = 1,
	POLICY_STATE_DISABLED = 2,
	POLICY_STATE_LOAD_ERROR = 3,
	POLICY_STATE_ERROR = 4,
};

/*
 * Actions of a policy, counted from the records user space receives (a
 * selector with NoPost sends none, so its actions are not seen).
 */
struct policy_actions {
	uint64_t post;			/* records posted */
	uint64_t signal;		/* Sigkill/Signal applied */
	uint64_t monitor_signal;	/* Sigkill/Signal a monitor-mode policy did not apply */
	uint64_t override;		/* Override applied */
	uint64_t monitor_override;	/* Override a monitor-mode policy did not apply */
};

struct policy_status {
	uint64_t id;
	const char *name, *ns, *file;	/* valid until the next management call */
	const char *domain;
	const char *error;		/* why it is in LOAD_ERROR/ERROR, else NULL */
	enum policy_state state;
	bool enabled, monitor;
	int hook_kind;			/* enum tp_hook_kind of its hooks */
	const char *sensor;		/* upstream's sensor name of that section ("generic_kprobe") */
	size_t ninst;			/* BPF program instances attached */
	uint64_t matched, filtered, lost;
	uint64_t scope_filtered;	/* of filtered: calls by processes out of the policy's workloads */
	uint64_t kernel_memory;		/* bytes of its BPF maps */
	struct policy_actions actions;
};
/* Policy i (0..); -ENOENT past the last. */
int policy_engine_status(struct policy_engine *e, size_t i, struct policy_status *st);
/* Hook k (0..) of policy i, as upstream's HookStatus; -ENOENT past the last. */
struct policy_hook_status {
	const char *section;		/* "kprobes", "tracepoints", "uprobes", ... */
	const char *description;	/* the call, "subsystem/event", the binary's path */
	uint32_t idx;			/* index in its section */
	bool loaded;			/* BPF program instances attached for it */
	bool digest_rejected;		/* skipped: binaryDigests mismatch, ignore set */
	bool call_not_found;		/* every function missing, ignore: callNotFound */
	bool partial_call_not_found;	/* some functions missing, ignore: callNotFound */
	const char *backend;		/* the implementation serving it: "kprobe.multi", "syscall tracepoint"... */
	const char *attached;		/* backend and what it is attached to, valid until the next call */
};
int policy_engine_hook(struct policy_engine *e, size_t i, size_t k, struct policy_hook_status *hs);
/* Upstream's per-selector action counters. */
struct policy_selector_actions {
	char hook[256];		/* "kprobe:sys_openat", "tracepoint:sched/sched_process_exec", "uprobe:/bin/bash:readline" */
	uint32_t hook_index;	/* in its section */
	uint32_t selector_index;	/* in its hook */
	struct policy_actions actions;
};
/* The n-th (0..) selector of policy i whose counters moved; -ENOENT past the last. */
int policy_engine_selector_actions(struct policy_engine *e, size_t i, size_t n, struct policy_selector_actions *out);
/* How many policies are in state s. */
size_t policy_engine_count(const struct policy_engine *e, enum policy_state s);

/*
 * Before policy_engine_handle(), per MSG_OP_GENERIC_* record: 1 when a
 * running hook instance sent it (its policy's action counters move), 0 when
 * that instance was torn down since (the policy was deleted or disabled with
 * the record still queued: drop it), -ENOENT when no instance had that id.
 */
int policy_engine_account(struct policy_engine *e, const void *data, size_t len);

/*
 * Why hook h of policy p cannot run here, written into why (NULL when it
 * can). tracefs as above. Exposed for tests.
 */
const char *policy_hook_unsupported(const void *policy, size_t hook, const char *tracefs,
				    char *why, size_t whylen);

#endif
