// SPDX-License-Identifier: Apache-2.0
#include "sensors/process_lifecycle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_process.h"
#include "kernel/bpf_errors.h"
#include "kernel/bpf_pin.h"
#include "process_lifecycle.skel.h"
#include "util/log.h"

struct ring {
	struct ring_buffer *rb;
	ringbuf_msg_fn fn;
	void *ctx;
	size_t budget, n;		/* this batch: at most budget records (0: no bound) */
	/* the kernel's positions, mapped read-only apart from libbpf's mapping */
	const uint64_t *cons, *prod;
};

struct process_sensor {
	struct process_lifecycle_bpf *skel;
	struct ring rings[RING__COUNT];
	long pagesz;
	int ncpus;
};

/* A ring buffer's size: a power of two pages, at least one. */
static uint32_t ring_size(uint32_t want)
{
	uint32_t sz = 4096;

	while (sz < want)
		sz <<= 1;
	return sz;
}

static int ring_sample(void *ctx, void *data, size_t len)
{
	struct ring *r = ctx;
	int err = r->fn(r->ctx, data, len);

	if (err < 0)
		return err;
	/* handled and consumed; a negative return ends this batch */
	if (r->budget && ++r->n >= r->budget)
		return -EAGAIN;
	return 0;
}

static int ring_open(struct process_sensor *s, struct ring *r, struct bpf_map *map, const char *name,
		     ringbuf_msg_fn fn, void *ctx)
{
	int fd = bpf_map__fd(map);
	void *c, *p;

	r->fn = fn;
	r->ctx = ctx;
	r->rb = ring_buffer__new(fd, ring_sample, r, NULL);
	if (!r->rb) {
		log_error("process sensor: mapping the %s ring buffer failed: %s", name, strerror(errno));
		return -errno;
	}
	c = mmap(NULL, (size_t)s->pagesz, PROT_READ, MAP_SHARED, fd, 0);
	p = c == MAP_FAILED ? MAP_FAILED : mmap(NULL, (size_t)s->pagesz, PROT_READ, MAP_SHARED, fd, s->pagesz);
	if (c == MAP_FAILED || p == MAP_FAILED) {
		int err = -errno;

		if (c != MAP_FAILED)
			munmap(c, (size_t)s->pagesz);
		log_error("process sensor: mapping the %s ring buffer's positions failed: %s", name, strerror(-err));
		return err;
	}
	r->cons = c;
	r->prod = p;
	return 0;
}

static void ring_close(struct process_sensor *s, struct ring *r)
{
	ring_buffer__free(r->rb);
	if (r->cons)
		munmap((void *)r->cons, (size_t)s->pagesz);
	if (r->prod)
		munmap((void *)r->prod, (size_t)s->pagesz);
	memset(r, 0, sizeof(*r));
}

/*
 * --keep-sensors-on-exit: the programs policies depend on (execve_map kept
 * current, the followChildren bits) stay attached too, at upstream's
 * __base__/<program>/{prog,link}, the maps at the tree's root.
 */
static void pin_base(struct process_sensor *s)
{
	const struct bpf_object_skeleton *sk = s->skel->skeleton;
	struct bpf_link *links[16] = { 0 };
	struct bpf_program *prog;
	char why[512];
	size_t n = 0;

	if (!bpf_pin_enabled())
		return;
	bpf_object__for_each_program(prog, s->skel->obj) {
		for (int i = 0; i < sk->prog_cnt && n < 16; i++)
			if (*sk->progs[i].prog == prog)
				links[n] = *sk->progs[i].link;
		if (++n == 16)
			break;
	}
	if (bpf_pin_object("__base__", s->skel->obj, links, n, true, why, sizeof(why)))
		log_warn("process sensor: %s: process tracking stops with the agent", why);
}

int process_sensor_open(struct process_sensor **ret, const struct process_sensor_opts *o,
			ringbuf_msg_fn fn, void *ctx)
{
	struct process_sensor *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pagesz = sysconf(_SC_PAGESIZE);
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
	if (o) {
		s->skel->rodata->cgroup_mode = o->cgroup_mode;
		s->skel->rodata->cgroup_subsys_idx = o->cgroup_subsys_idx;
		s->skel->rodata->envs_enabled = o->envs;
	}
	bpf_map__set_max_entries(s->skel->maps.exec_heap_map, (uint32_t)s->ncpus);
	if (o && o->ringbuf_bytes)
		bpf_map__set_max_entries(s->skel->maps.events, ring_size(o->ringbuf_bytes));
	if (o && o->policy_ringbuf_bytes)
		bpf_map__set_max_entries(s->skel->maps.policy_events, ring_size(o->policy_ringbuf_bytes));
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
	pin_base(s);
	err = ring_open(s, &s->rings[RING_LIFECYCLE], s->skel->maps.events, "lifecycle", fn, ctx);
	if (!err)
		err = ring_open(s, &s->rings[RING_POLICY], s->skel->maps.policy_events, "policy", fn, ctx);
	if (err)
		goto fail;
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
	for (int i = 0; i < RING__COUNT; i++)
		ring_close(s, &s->rings[i]);
	process_lifecycle_bpf__destroy(s->skel);
	free(s);
}

int process_sensor_fd(struct process_sensor *s, enum process_ring r)
{
	return ring_buffer__epoll_fd(s->rings[r].rb);
}

int process_sensor_consume(struct process_sensor *s, enum process_ring r, size_t budget)
{
	struct ring *g = &s->rings[r];

	g->budget = budget;
	g->n = 0;
	return ring_buffer__consume(g->rb);
}

void process_sensor_ring_pos(struct process_sensor *s, enum process_ring r, uint64_t *produced,
			     uint64_t *consumed)
{
	const struct ring *g = &s->rings[r];

	if (produced)
		*produced = __atomic_load_n(g->prod, __ATOMIC_ACQUIRE);
	if (consumed)
		*consumed = __atomic_load_n(g->cons, __ATOMIC_ACQUIRE);
}

int process_sensor_drain(struct process_sensor *s, enum process_ring r)
{
	uint64_t target, done, last;
	int idle = 0;

	process_sensor_ring_pos(s, r, &target, &done);
	/*
	 * In batches, so records arriving meanwhile (a flood) cannot keep it
	 * going. libbpf stops at a record still being written (reserved, not
	 * yet committed by a program on another CPU): it is there in a moment.
	 */
	while (done < target) {
		last = done;
		process_sensor_consume(s, r, 1024);
		process_sensor_ring_pos(s, r, NULL, &done);
		if (done != last) {
			idle = 0;
		} else if (++idle == 64) {
			return -EAGAIN;
		} else {
			sched_yield();
		}
	}
	return 0;
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

int process_sensor_lookup(struct process_sensor *s, uint32_t tgid, struct execve_map_value *v)
{
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.execve_map), &tgid, v))
		return -errno;
	return 0;
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

void process_sensor_shared_fds(struct process_sensor *s, int *policy_events_fd, int *execve_fd, int *missed_fd)
{
	*policy_events_fd = bpf_map__fd(s->skel->maps.policy_events);
	*execve_fd = bpf_map__fd(s->skel->maps.execve_map);
	*missed_fd = bpf_map__fd(s->skel->maps.missed_events);
}

int process_sensor_nscaps_fd(struct process_sensor *s)
{
	return bpf_map__fd(s->skel->maps.exec_nscaps);
}

uint64_t process_sensor_nscaps_errors(struct process_sensor *s)
{
	return sum_percpu(bpf_map__fd(s->skel->maps.map_errors), 1, s->ncpus);
}

void process_sensor_mbset_fds(struct process_sensor *s, int *paths_fd, int *cfg_fd)
{
	*paths_fd = bpf_map__fd(s->skel->maps.mbset_paths);
	*cfg_fd = bpf_map__fd(s->skel->maps.mbset_cfg);
}
