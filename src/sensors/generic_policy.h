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
 * Why hook h of policy p cannot run here, written into why (NULL when it
 * can). tracefs as above. Exposed for tests.
 */
const char *policy_hook_unsupported(const void *policy, size_t hook, const char *tracefs,
				    char *why, size_t whylen);

#endif
