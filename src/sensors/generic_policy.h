/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TracingPolicy engine, first slice: reads policies (--tracing-policy,
 * --tracing-policy-dir), checks each one against what this kernel and this
 * engine can run (tracepoints, and syscall kprobes served by the
 * syscalls/sys_enter_* tracepoints), and refuses the others with a log line
 * that says what is missing. The agent keeps running either way.
 */
#ifndef TG_SENSORS_GENERIC_POLICY_H
#define TG_SENSORS_GENERIC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct policy_engine;

struct policy_engine_opts {
	char *const *files;	/* --tracing-policy */
	size_t nfiles;
	const char *dir;	/* --tracing-policy-dir, NULL = none */
	const char *tracefs;	/* NULL = /sys/kernel/tracing */
	int events_fd;		/* the lifecycle sensor's ring buffer and execve_map */
	int execve_fd;
	int mbset_fd;		/* its followChildren maps (process_sensor_mbset_fds), 0 = none */
	int mbset_cfg_fd;
};

struct process_events;

/* Per attached hook instance, from the kernel's counters. */
struct policy_hook_stats {
	const char *policy, *subsys, *event;
	uint64_t matched, filtered, lost, rate_limited;
};

/* Never fails because of a bad policy (it is logged and skipped); -ENOMEM only. */
int policy_engine_open(struct policy_engine **ret, const struct policy_engine_opts *o);
/* Logs per-policy counters, then frees. NULL is fine. */
void policy_engine_close(struct policy_engine *e);
size_t policy_engine_accepted(const struct policy_engine *e);
/* Policies refused (bad file, or not runnable here). */
size_t policy_engine_refused(const struct policy_engine *e);
/* Counters of instance i (0..); -ENOENT past the last. */
int policy_engine_stats(struct policy_engine *e, size_t i, struct policy_hook_stats *st);
/* Turn a MSG_OP_GENERIC_* record into process_kprobe/process_tracepoint. */
int policy_engine_handle(struct policy_engine *e, struct process_events *pe, const void *data, size_t len);

/*
 * Run-time management, for the gRPC API. Not thread-safe: the agent runs
 * them on its event loop, the thread that also handles the records. Each
 * returns 0 or -errno with the reason in why:
 *   add:       -EINVAL (the YAML is invalid: every "policy:line:col: message"),
 *              -EEXIST (a policy of that name is loaded), -EOPNOTSUPP (this
 *              kernel or engine cannot run it: what is missing);
 *   delete:    -ENOENT;
 *   configure: enable and monitor are 1/0, or -1 to keep; -ENOENT, -EIO.
 */
int policy_engine_add_yaml(struct policy_engine *e, const char *yaml, size_t len, char *why, size_t whylen);
int policy_engine_delete(struct policy_engine *e, const char *name, char *why, size_t whylen);
int policy_engine_configure(struct policy_engine *e, const char *name, int enable, int monitor, char *why,
			    size_t whylen);

struct policy_status {
	uint64_t id;
	const char *name, *ns, *file;	/* valid until the next management call */
	bool enabled, monitor;
	int hook_kind;			/* enum tp_hook_kind of its hooks */
	size_t ninst;			/* BPF program instances attached */
	uint64_t matched, filtered, lost;
	uint64_t kernel_memory;		/* bytes of its BPF maps */
};
/* Policy i (0..); -ENOENT past the last. */
int policy_engine_status(struct policy_engine *e, size_t i, struct policy_status *st);

/*
 * Why hook h of policy p cannot run here, written into why (NULL when it
 * can). tracefs as above. Exposed for tests.
 */
const char *policy_hook_unsupported(const void *policy, size_t hook, const char *tracefs,
				    char *why, size_t whylen);

#endif
