/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loader of bpf/process_lifecycle.bpf.c: exec/fork/exit tracepoints, and the
 * two ring buffers the agent reads: the lifecycle records' own, and the
 * policy programs' (shared with the policy engine), so a flooding policy
 * can never push out exec/clone/exit records.
 */
#ifndef TG_SENSORS_PROCESS_LIFECYCLE_H
#define TG_SENSORS_PROCESS_LIFECYCLE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct execve_map_value;
struct process_sensor;

/* Called for every ring buffer record; return 0 (a negative value stops the batch). */
typedef int (*ringbuf_msg_fn)(void *ctx, const void *data, size_t len);

enum process_ring {
	RING_LIFECYCLE,		/* exec, clone, exit */
	RING_POLICY,		/* MSG_OP_GENERIC_* of the policy programs */
	RING__COUNT,
};

struct process_sensor_opts {
	uint32_t ringbuf_bytes;		/* lifecycle ring; 0 = default (8 MiB); rounded up to a power of two pages */
	uint32_t policy_ringbuf_bytes;	/* policy ring; likewise */
	uint32_t cgroup_mode;		/* TG_CGROUP_*: which hierarchy processes' cgroups are read from */
	uint32_t cgroup_subsys_idx;	/* v1: the controller's css index */
	bool envs;			/* exec records carry the environment (abi TG_ENVS_MAX) */
};

/* Loads and attaches; on failure returns -errno with a message already logged. */
int process_sensor_open(struct process_sensor **ret, const struct process_sensor_opts *o,
			ringbuf_msg_fn fn, void *ctx);
void process_sensor_close(struct process_sensor *s);
/* epoll-able fd that is readable when records of that ring are waiting. */
int process_sensor_fd(struct process_sensor *s, enum process_ring r);
/*
 * Hand the records waiting in ring r to fn, at most budget of them (0: all,
 * including those arriving meanwhile). Returns the records handled, -EAGAIN
 * when the budget ran out (more may be waiting), or -errno.
 */
int process_sensor_consume(struct process_sensor *s, enum process_ring r, size_t budget);
/*
 * Consume ring r until every record reserved before the call has been
 * handled: 0, or -EAGAIN when one is still being written (try later).
 */
int process_sensor_drain(struct process_sensor *s, enum process_ring r);
/* Byte positions (monotonic) the kernel produced up to, and the agent consumed up to. */
void process_sensor_ring_pos(struct process_sensor *s, enum process_ring r, uint64_t *produced,
			     uint64_t *consumed);
/* Insert a process the kernel did not see start (procfs scan). */
int process_sensor_seed(struct process_sensor *s, uint32_t tgid, const struct execve_map_value *v);
/* The current key of tgid in execve_map: 0, or -ENOENT when it has none. */
int process_sensor_lookup(struct process_sensor *s, uint32_t tgid, struct execve_map_value *v);
/*
 * Records no ring buffer could take, per opcode (both rings, every
 * program: the kernel's one count), their sum; and execve_map update failures.
 */
uint64_t process_sensor_missed(struct process_sensor *s, uint64_t per_op[32]);
uint64_t process_sensor_map_errors(struct process_sensor *s);
/* What the policy engine's programs share: their ring buffer, execve_map, the drop counters. */
void process_sensor_shared_fds(struct process_sensor *s, int *policy_events_fd, int *execve_fd, int *missed_fd);
/* matchBinaries followChildren: path -> bits map, and the switch that enables it at exec. */
/* exec_nscaps (matchNamespaceChanges, matchCapabilityChanges) and its failed updates (map full). */
int process_sensor_nscaps_fd(struct process_sensor *s);
uint64_t process_sensor_nscaps_errors(struct process_sensor *s);
void process_sensor_mbset_fds(struct process_sensor *s, int *paths_fd, int *cfg_fd);

#endif
