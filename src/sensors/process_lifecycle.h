/* SPDX-License-Identifier: Apache-2.0 */
/* Loader of bpf/process_lifecycle.bpf.c: exec/fork/exit tracepoints + ring buffer. */
#ifndef TG_SENSORS_PROCESS_LIFECYCLE_H
#define TG_SENSORS_PROCESS_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

struct execve_map_value;
struct process_sensor;

/* Called for every ring buffer record; return 0 (a negative value stops the batch). */
typedef int (*ringbuf_msg_fn)(void *ctx, const void *data, size_t len);

struct process_sensor_opts {
	uint32_t ringbuf_bytes;	/* 0 = default (8 MiB); rounded up to a power of two pages */
};

/* Loads and attaches; on failure returns -errno with a message already logged. */
int process_sensor_open(struct process_sensor **ret, const struct process_sensor_opts *o,
			ringbuf_msg_fn fn, void *ctx);
void process_sensor_close(struct process_sensor *s);
/* epoll-able fd that is readable when records are waiting. */
int process_sensor_fd(struct process_sensor *s);
/* Consume everything available now; returns records handled or -errno. */
int process_sensor_consume(struct process_sensor *s);
/* Insert a process the kernel did not see start (procfs scan). */
int process_sensor_seed(struct process_sensor *s, uint32_t tgid, const struct execve_map_value *v);
/* Sum of per-CPU ring buffer drops, all opcodes; and execve_map update failures. */
uint64_t process_sensor_missed(struct process_sensor *s, uint64_t per_op[32]);
uint64_t process_sensor_map_errors(struct process_sensor *s);
/* Ring buffer and execve_map fds, shared with the policy engine's programs. */
void process_sensor_shared_fds(struct process_sensor *s, int *events_fd, int *execve_fd);
/* matchBinaries followChildren: path -> bits map, and the switch that enables it at exec. */
void process_sensor_mbset_fds(struct process_sensor *s, int *paths_fd, int *cfg_fd);

#endif
