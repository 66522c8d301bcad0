// SPDX-License-Identifier: Apache-2.0
/*
 * spec.loader: true (upstream's process_loader events): the files with a
 * GNU build id that processes map, with that id. Upstream reads them from
 * a kprobe on perf_event_mmap_output; the kernel hands the same records
 * (PERF_RECORD_MMAP2 with the build id, Linux 5.12+) to any system-wide
 * perf event with mmap tracking, so this engine opens one software "dummy"
 * event per CPU and reads its ring straight from user space: no kprobe,
 * no BPF program. Open while some enabled policy asks for it.
 *
 * Per record with a build id: one event per (process, path) while the
 * pair is among the last LOADER_SEEN ones (upstream keeps 1024 too), as
 * process_loader with the process (its exec found by pid and the record's
 * time), path and buildid. Records the kernel dropped (ring full) are
 * counted and logged, never silently.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "event/process_events.h"
#include "event/process_facts.h"
#include "process/cache.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "sensors/generic_policy.h"
#include "sensors/policy_internal.h"
#include "tetragon/tetragon.pb-c.h"
#include "util/ktime.h"
#include "util/log.h"

#define LOADER_PAGES	16		/* data pages per CPU ring (64 KiB), a power of 2 */
#define LOADER_SEEN	1024		/* (pid, path) pairs remembered */
#define LOADER_BUDGET	4096		/* records read per ring per round */
#define LOADER_WAIT	64		/* records waiting for their process' exec record */
#define LOADER_ROUNDS	50		/* rounds one waits (the loop's 20 ms: about a second) */

#ifndef PERF_RECORD_MISC_MMAP_BUILD_ID
#define PERF_RECORD_MISC_MMAP_BUILD_ID (1 << 14)
#endif

struct loader_ring {
	int fd;
	void *base;			/* the control page, then the data pages */
};

struct loader_seen {
	uint32_t pid;
	uint64_t hash;			/* FNV-1a of the path */
};

/*
 * A record whose process is not known yet: the binary an execve maps is
 * recorded before the exec's own record is posted.
 */
struct loader_wait {
	uint32_t pid;
	uint32_t rounds;
	uint64_t t;
	char *path;
	uint8_t bid[20];
	size_t nbid;
};

struct policy_loader {
	struct loader_ring *rings;
	size_t nrings;
	size_t page;
	const struct tp_policy **users;	/* the enabled policies with loader: true */
	size_t nusers;
	struct loader_seen seen[LOADER_SEEN];
	size_t seen_next;
	struct loader_wait wait[LOADER_WAIT];
	size_t nwait;
	uint64_t lost;			/* records the kernel could not write (PERF_RECORD_LOST) */
	uint64_t unknown;		/* events sent without their process (never known) */
	uint64_t events;
	char rec[sizeof(struct perf_event_header) + 65536];	/* a record that wraps, made whole */
};

static void loader_free(struct policy_loader *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nrings; i++) {
		if (l->rings[i].base && l->rings[i].base != MAP_FAILED)
			munmap(l->rings[i].base, (LOADER_PAGES + 1) * l->page);
		if (l->rings[i].fd >= 0)
			close(l->rings[i].fd);
	}
	free(l->rings);
	free(l->users);
	for (size_t i = 0; i < l->nwait; i++)
		free(l->wait[i].path);
	free(l);
}

/* One event per CPU (offline ones skipped); NULL with why. */
static struct policy_loader *loader_open(char *why, size_t len)
{
	struct perf_event_attr a;
	struct policy_loader *l = calloc(1, sizeof(*l));
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int err = 0;

	if (!l || ncpu <= 0 || !(l->rings = calloc((size_t)ncpu, sizeof(*l->rings)))) {
		snprintf(why, len, "spec.loader: out of memory");
		loader_free(l);
		return NULL;
	}
	l->page = (size_t)sysconf(_SC_PAGESIZE);
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_SW_DUMMY;
	a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
	a.sample_id_all = 1;
	/* executable and data mappings (upstream's), as MMAP2 records with the build id */
	a.mmap = 1;
	a.mmap2 = 1;
	a.mmap_data = 1;
	a.build_id = 1;
	/* the records' time is CLOCK_MONOTONIC, the clock of the lifecycle records */
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;
	for (long cpu = 0; cpu < ncpu; cpu++) {
		struct loader_ring *r = &l->rings[l->nrings];
		int fd = (int)syscall(SYS_perf_event_open, &a, -1, (int)cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV || errno == EINVAL)
				continue;	/* an offline CPU */
			err = errno;
			break;
		}
		r->fd = fd;
		r->base = mmap(NULL, (LOADER_PAGES + 1) * l->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		l->nrings++;
		if (r->base == MAP_FAILED) {
			err = errno;
			break;
		}
	}
	if (!err && !l->nrings)
		err = ENODEV;
	if (err) {
		snprintf(why, len, "spec.loader: a system-wide perf event with mmap tracking and build ids "
			 "(perf_event_open, Linux 5.12+, root or CAP_PERFMON; kernel.perf_event_paranoid): %s",
			 strerror(err));
		loader_free(l);
		return NULL;
	}
	return l;
}

/* The process of a record: as the cache has it, else once the lifecycle records queued meanwhile are read. */
static struct process *lookup(struct process_events *pe, uint32_t pid, uint64_t t)
{
	struct process *p = process_cache_find_at(pe->cache, pid, t);

	if (!p && pe->drain) {
		pe->drain(pe->drain_ctx);
		p = process_cache_find_at(pe->cache, pid, t);
	}
	return p;
}

/* An event sent without its process: counted, the first one logged. */
static void unknown(struct policy_loader *l, uint32_t pid, const char *path)
{
	if (!l->unknown++)
		log_warn("spec.loader: pid %u mapped %s but no exec of it is known: its process_loader event "
			 "has no process (counted at exit)", pid, path);
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Was (pid, path) reported lately? Remembers it if not. */
static bool seen(struct policy_loader *l, uint32_t pid, const char *path)
{
	uint64_t h = fnv(path);

	for (size_t i = 0; i < LOADER_SEEN; i++)
		if (l->seen[i].pid == pid && l->seen[i].hash == h)
			return true;
	l->seen[l->seen_next].pid = pid;
	l->seen[l->seen_next].hash = h;
	l->seen_next = (l->seen_next + 1) % LOADER_SEEN;
	return false;
}

/* p: the process, NULL when it never became known (the event goes without it, as a lost exec's would). */
static void emit(struct process_events *pe, struct process *p, uint64_t t, const char *path, const uint8_t *bid,
		 size_t nbid)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessLoader ld = TETRAGON__PROCESS_LOADER__INIT;
	Google__Protobuf__Timestamp ts;
	Tetragon__Process *anc[ANCESTORS_MAX];

	if (p) {
		ld.process = (Tetragon__Process *)process_view(p, &pe->view);
		if (p->parent)
			ld.parent = (Tetragon__Process *)process_view(p->parent, &pe->view);
		ld.n_ancestors = process_view_ancestors(p, &pe->view, ANCESTORS_LOADER, anc, ANCESTORS_MAX,
							&pe->ancestors_truncated);
		ld.ancestors = anc;
	}
	ld.path = (char *)path;
	ld.buildid.data = (uint8_t *)bid;
	ld.buildid.len = nbid;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LOADER;
	ev.process_loader = &ld;
	ev.node_name = (char *)pe->node_name;
	google__protobuf__timestamp__init(&ts);
	ts.seconds = (int64_t)(ktime_mono_to_wall(t) / 1000000000ULL);
	ts.nanos = (int32_t)(ktime_mono_to_wall(t) % 1000000000ULL);
	ev.time = &ts;
	pipeline_emit(pe->pipeline, &ev);
}

/*
 * PERF_RECORD_MMAP2 with the build id: header, pid, tid, addr, len, pgoff
 * (40 bytes), build_id_size, 3 reserved, build_id[20] (24), prot, flags
 * (8), the file name (NUL-terminated, padded), then sample_id (tid, time:
 * the last 16 bytes).
 */
static void handle(struct policy_loader *l, struct process_events *pe, const char *rec, size_t size)
{
	const struct perf_event_header *h = (const void *)rec;
	struct loader_wait *w;
	struct process *p;
	uint32_t pid, nbid;
	uint64_t t;
	const char *path;
	size_t room;

	if (h->type == PERF_RECORD_LOST && size >= sizeof(*h) + 16) {
		uint64_t n;

		memcpy(&n, rec + sizeof(*h) + 8, sizeof(n));
		if (!l->lost)
			log_warn("spec.loader: the kernel dropped %llu mmap records (its perf ring was full); "
				 "process_loader events were lost", (unsigned long long)n);
		l->lost += n;
		return;
	}
	if (h->type != PERF_RECORD_MMAP2 || !(h->misc & PERF_RECORD_MISC_MMAP_BUILD_ID) || size < 72 + 16 + 1)
		return;
	memcpy(&pid, rec + 8, sizeof(pid));
	nbid = (uint8_t)rec[40];
	memcpy(&t, rec + size - 8, sizeof(t));
	path = rec + 72;
	room = size - 72 - 16;
	if (!nbid || nbid > 20 || !memchr(path, 0, room) || path[0] != '/')
		return;	/* no id, or not a file ("[vdso]", anonymous) */
	if (seen(l, pid, path))
		return;
	l->events++;
	p = lookup(pe, pid, t);
	if (p) {
		emit(pe, p, t, path, (const uint8_t *)rec + 44, nbid);
		return;
	}
	/* its exec record is not read yet: wait for it (a full queue: sent now, without it) */
	if (l->nwait == LOADER_WAIT || !(l->wait[l->nwait].path = strdup(path))) {
		unknown(l, pid, path);
		emit(pe, NULL, t, path, (const uint8_t *)rec + 44, nbid);
		return;
	}
	w = &l->wait[l->nwait++];
	w->pid = pid;
	w->t = t;
	w->rounds = 0;
	w->nbid = nbid;
	memcpy(w->bid, rec + 44, nbid);
}

/* The waiting records whose process is known now, or that waited long enough, sent. */
static void retry(struct policy_loader *l, struct process_events *pe)
{
	size_t k = 0;

	for (size_t i = 0; i < l->nwait; i++) {
		struct loader_wait *w = &l->wait[i];
		struct process *p = lookup(pe, w->pid, w->t);

		if (!p && ++w->rounds < LOADER_ROUNDS) {
			l->wait[k++] = *w;
			continue;
		}
		if (!p)
			unknown(l, w->pid, w->path);
		emit(pe, p, w->t, w->path, w->bid, w->nbid);
		free(w->path);
	}
	l->nwait = k;
}

/* The records of one ring, at most LOADER_BUDGET. */
static void consume(struct policy_loader *l, struct loader_ring *r, struct process_events *pe)
{
	struct perf_event_mmap_page *mp = r->base;
	const char *data = (const char *)r->base + l->page;
	uint64_t size = LOADER_PAGES * l->page;
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE), tail = mp->data_tail;

	for (int n = 0; tail < head && n < LOADER_BUDGET; n++) {
		const struct perf_event_header *h = (const void *)(data + tail % size);
		uint64_t off = tail % size;
		uint16_t len;

		/* the header itself may wrap: copy byte by byte into rec first */
		for (size_t k = 0; k < sizeof(*h); k++)
			l->rec[k] = data[(off + k) % size];
		h = (const void *)l->rec;
		len = h->size;
		if (len < sizeof(*h) || len > head - tail)
			break;
		if (off + len <= size) {
			memcpy(l->rec, data + off, len);
		} else {
			memcpy(l->rec, data + off, size - off);
			memcpy(l->rec + (size - off), data, len - (size - off));
		}
		handle(l, pe, l->rec, len);
		tail += len;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
}

bool policy_engine_loader_on(const struct policy_engine *e)
{
	return e && e->loader;
}

void policy_engine_loader_poll(struct policy_engine *e, struct process_events *pe)
{
	struct policy_loader *l = e ? e->loader : NULL;

	if (!l)
		return;
	/* the waiting ones first: this round's lifecycle records may have named them */
	retry(l, pe);
	for (size_t i = 0; i < l->nrings; i++)
		consume(l, &l->rings[i], pe);
}

const char *policy_loader_attach(struct policy_engine *e, const struct tp_policy *p, char *why, size_t len)
{
	const struct tp_policy **v;

	if (!p->loader)
		return NULL;
	/* upstream's loader sensor refuses policy filtering: its events are every process' */
	if (policy_is_scoped(p)) {
		snprintf(why, len, "spec.loader: process_loader events are not filtered by workload: a "
			 "TracingPolicyNamespaced, podSelector or containerSelector policy cannot have loader: true");
		return why;
	}
	if (e->dry_run)
		return NULL;
	if (!e->loader && !(e->loader = loader_open(why, len)))
		return why;
	v = realloc(e->loader->users, (e->loader->nusers + 1) * sizeof(*v));
	if (!v)
		return "out of memory";
	e->loader->users = v;
	v[e->loader->nusers++] = p;
	return NULL;
}

void policy_loader_detach(struct policy_engine *e, const struct tp_policy *p)
{
	struct policy_loader *l = e->loader;
	size_t k = 0;

	if (!l)
		return;
	for (size_t i = 0; i < l->nusers; i++)
		if (l->users[i] != p)
			l->users[k++] = l->users[i];
	l->nusers = k;
	/* the last one gone: the kernel stops writing the records */
	if (!k) {
		log_info("spec.loader: %llu process_loader events (%llu without their process), %llu mmap "
			 "records lost by the kernel", (unsigned long long)l->events, (unsigned long long)l->unknown,
			 (unsigned long long)l->lost);
		loader_free(l);
		e->loader = NULL;
	}
}
