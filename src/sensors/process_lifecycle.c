// SPDX-License-Identifier: Apache-2.0
#include "sensors/process_lifecycle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_process.h"
#include "kernel/bpf_errors.h"
#include "process_lifecycle.skel.h"
#include "util/log.h"

struct process_sensor {
	struct process_lifecycle_bpf *skel;
	struct ring_buffer *rb;
	int ncpus;
};

int process_sensor_open(struct process_sensor **ret, const struct process_sensor_opts *o,
			ringbuf_msg_fn fn, void *ctx)
{
	struct process_sensor *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0)
		s->ncpus = 1;

	s->skel = process_lifecycle_bpf__open();
	if (!s->skel) {
		err = -errno;
		log_error("process sensor: opening the BPF object failed: %s", strerror(-err));
		goto fail;
	}
	s->skel->rodata->agent_tgid = (uint32_t)getpid();
	bpf_map__set_max_entries(s->skel->maps.exec_heap_map, (uint32_t)s->ncpus);
	if (o && o->ringbuf_bytes) {
		uint32_t sz = 4096;

		while (sz < o->ringbuf_bytes)
			sz <<= 1;
		bpf_map__set_max_entries(s->skel->maps.events, sz);
	}
	err = process_lifecycle_bpf__load(s->skel);
	if (err) {
		bpf_explain_error("process sensor: loading BPF programs", err);
		goto fail;
	}
	err = process_lifecycle_bpf__attach(s->skel);
	if (err) {
		bpf_explain_error("process sensor: attaching to sched_process_{exec,fork,exit} BTF tracepoints", err);
		goto fail;
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), (ring_buffer_sample_fn)fn, ctx, NULL);
	if (!s->rb) {
		err = -errno;
		log_error("process sensor: mapping the ring buffer failed: %s", strerror(-err));
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	process_sensor_close(s);
	return err < 0 ? err : -EINVAL;
}

void process_sensor_close(struct process_sensor *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	process_lifecycle_bpf__destroy(s->skel);
	free(s);
}

int process_sensor_fd(struct process_sensor *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

int process_sensor_consume(struct process_sensor *s)
{
	return ring_buffer__consume(s->rb);
}

int process_sensor_seed(struct process_sensor *s, uint32_t tgid, const struct execve_map_value *v)
{
	/* BPF_NOEXIST: a live event already recorded something newer. */
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.execve_map), &tgid, v, BPF_NOEXIST))
		return -errno;
	return 0;
}

static uint64_t sum_percpu(int fd, uint32_t key, int ncpus)
{
	uint64_t vals[ncpus], sum = 0;

	if (bpf_map_lookup_elem(fd, &key, vals))
		return 0;
	for (int i = 0; i < ncpus; i++)
		sum += vals[i];
	return sum;
}

uint64_t process_sensor_missed(struct process_sensor *s, uint64_t per_op[32])
{
	int fd = bpf_map__fd(s->skel->maps.missed_events);
	uint64_t total = 0;

	for (uint32_t op = 0; op < 32; op++) {
		uint64_t v = sum_percpu(fd, op, s->ncpus);

		if (per_op)
			per_op[op] = v;
		total += v;
	}
	return total;
}

uint64_t process_sensor_map_errors(struct process_sensor *s)
{
	return sum_percpu(bpf_map__fd(s->skel->maps.map_errors), 0, s->ncpus);
}

void process_sensor_shared_fds(struct process_sensor *s, int *events_fd, int *execve_fd)
{
	*events_fd = bpf_map__fd(s->skel->maps.events);
	*execve_fd = bpf_map__fd(s->skel->maps.execve_map);
}

void process_sensor_mbset_fds(struct process_sensor *s, int *paths_fd, int *cfg_fd)
{
	*paths_fd = bpf_map__fd(s->skel->maps.mbset_paths);
	*cfg_fd = bpf_map__fd(s->skel->maps.mbset_cfg);
}
