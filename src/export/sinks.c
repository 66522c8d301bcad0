// SPDX-License-Identifier: Apache-2.0
#include "export/sinks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "encode/protojson.h"
#include "event/process_view.h"
#include "util/log.h"
#include "util/strbuf.h"

/*
 * Output is batched in one buffer and written when it grows large or when
 * the pipeline has drained the ring buffer (flush). A batch may overshoot
 * the export file's size limit by at most FD_FLUSH_BYTES before rotating.
 *
 * Counting (tetragon_sink_events_total / _errors_total, and for the export
 * file tetragon_events_exported_total / _bytes_total): an event is
 * "written" once its whole line is in the file, counted when its batch is
 * written; an event whose line did not make it (a full disk, an I/O error,
 * a write cut short) is counted in "errors" (lost), never as written. So
 * at any flush, written + errors = events the sink was given, and the
 * file holds exactly "written" lines. (Events with no compact form are
 * neither: nothing was meant to be written.)
 *
 * The log: one warning when writing starts failing (what failed and why),
 * a reminder every FAIL_REMIND_MS while it goes on, one when it works
 * again with how long it failed and how many events were lost meanwhile.
 * A closed pipe (EPIPE, `tetragon | head`) stops the sink for good with
 * one log line; the pipeline then counts every further event of it in
 * errors.
 */
/* 256 KiB: measured against 64 KiB and 1 MiB on tmpfs, 10% less CPU per
 * event than 64 KiB (a quarter of the write(2)s and file checks), no gain
 * beyond (bench/export_throughput.sh) */
#define FD_FLUSH_BYTES (256 * 1024)
#define FAIL_REMIND_MS 10000

struct line_sink {
	struct event_sink base;
	struct rotating_file *file;	/* or fd */
	int fd;
	int compact;
	struct compact_opts copts;
	struct strbuf pending;		/* unflushed output */
	struct line_end {
		uint32_t end;		/* offset in pending just past this event's '\n' */
		int64_t time;		/* the event's time (s), for _last_exported_timestamp */
	} *ends;			/* one per event in pending */
	size_t nends, ends_cap;
	/* a failing spell: since when, events lost in it, last reminder */
	int failing;
	uint64_t fail_since_ms, fail_lost, fail_reminded_ms;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *target(const struct line_sink *s)
{
	return s->file ? "the export file" : "standard output";
}

/* Writes everything or fails; *done: bytes written before the failure. */
static int write_all(int fd, const char *p, size_t n, size_t *done)
{
	*done = 0;
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
		*done += (size_t)w;
	}
	return 0;
}

static void batch_failed(struct line_sink *s, int err, uint64_t lost, uint64_t kept)
{
	uint64_t now = mono_ms();

	s->base.errors += lost;
	if (err == -EPIPE) {
		s->base.stopped = 1;
		if (s->file)
			log_warn("sink %s: the export file is a closed pipe (EPIPE): no more events to it; "
				 "other exports continue", s->base.name);
		else
			log_warn("stdout is closed (EPIPE): no more events on standard output; other exports "
				 "continue");
		return;
	}
	if (!s->failing) {
		s->failing = 1;
		s->fail_since_ms = s->fail_reminded_ms = now;
		s->fail_lost = lost;
		log_warn("sink %s: writing to %s failed: %s; %llu event(s) lost%s, and every event until "
			 "it works again (counted in tetragon_sink_errors_total)",
			 s->base.name, target(s), strerror(-err), (unsigned long long)lost,
			 kept ? " (the whole lines before them were written)" : "");
		return;
	}
	s->fail_lost += lost;
	if (now - s->fail_reminded_ms >= FAIL_REMIND_MS) {
		s->fail_reminded_ms = now;
		log_warn("sink %s: writing to %s still fails: %s; %llu event(s) lost in %.0f s",
			 s->base.name, target(s), strerror(-err), (unsigned long long)s->fail_lost,
			 (double)(now - s->fail_since_ms) / 1000);
	}
}

static void batch_recovered(struct line_sink *s)
{
	s->failing = 0;
	log_warn("sink %s: writing to %s works again after %.1f s; %llu event(s) were lost meanwhile",
		 s->base.name, target(s), (double)(mono_ms() - s->fail_since_ms) / 1000,
		 (unsigned long long)s->fail_lost);
}

/*
 * A write to stdout cut short after @done bytes: when stdout is a regular
 * file (`> file` on a disk that filled up), the torn line is taken back off
 * it, as the export file does, so the next batch does not glue onto half a
 * line. Returns the bytes of whole lines written.
 */
static size_t take_back_torn_line(struct line_sink *s, size_t done)
{
	const char *nl = done ? memrchr(s->pending.buf, '\n', done) : NULL;
	size_t keep = nl ? (size_t)(nl - s->pending.buf) + 1 : 0;
	off_t torn = (off_t)(done - keep);
	struct stat st;
	int fl;

	if (!torn || fstat(s->fd, &st) || !S_ISREG(st.st_mode) || st.st_size < torn)
		return keep;
	fl = fcntl(s->fd, F_GETFL);
	if (ftruncate(s->fd, st.st_size - torn) == 0 && fl >= 0 && !(fl & O_APPEND))
		(void)lseek(s->fd, -torn, SEEK_CUR);
	return keep;
}

/* One write(2) per batch of events, whole lines only. */
static int fd_flush(struct event_sink *base)
{
	struct line_sink *s = (struct line_sink *)base;
	size_t n = s->nends, ok = 0, kept = 0;
	int err;

	if (!n)
		return 0;
	if (base->stopped) {
		/* not reached: a stopped sink takes no events */
		base->errors += n;
		strbuf_reset(&s->pending);
		s->nends = 0;
		return -EPIPE;
	}
	if (s->file) {
		err = rotating_file_write(s->file, s->pending.buf, s->pending.len, &kept);
	} else {
		err = write_all(s->fd, s->pending.buf, s->pending.len, &kept);
		if (err)
			kept = take_back_torn_line(s, kept);
	}
	/* the events whose whole line was written: ends are increasing */
	if (kept == s->pending.len) {
		ok = n;
	} else {
		size_t lo = 0, hi = n;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (s->ends[mid].end <= kept)
				lo = mid + 1;
			else
				hi = mid;
		}
		ok = lo;
	}
	if (ok) {
		base->written += ok;
		base->bytes += s->ends[ok - 1].end;
		if (s->ends[ok - 1].time)
			base->last_time = s->ends[ok - 1].time;
	}
	strbuf_reset(&s->pending);
	s->nends = 0;
	if (err)
		batch_failed(s, err, n - ok, ok);
	else if (s->failing)
		batch_recovered(s);
	return err;
}

static int line_write(struct event_sink *base, const Tetragon__GetEventsResponse *ev)
{
	struct line_sink *s = (struct line_sink *)base;
	size_t start;
	int err;

	if (base->stopped)
		return -EPIPE;	/* reached through a filter wrapper */
	/* a full batch is written before, not after, the next event is added:
	 * what this sink appended stays for the other JSON outputs to copy */
	if (s->pending.len >= FD_FLUSH_BYTES)
		fd_flush(base);
	if (s->nends == s->ends_cap) {
		size_t cap = s->ends_cap ? s->ends_cap * 2 : 256;
		struct line_end *e = realloc(s->ends, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		s->ends = e;
		s->ends_cap = cap;
	}
	start = s->pending.len;
	if (s->compact) {
		err = compact_encode(&s->pending, ev, &s->copts);
		if (err == -ENOENT)
			return 0;	/* no compact form for this event */
	} else {
		/* one encode per event, shared with the other JSON outputs */
		err = pipeline_event_json(ev, &s->pending);
		if (err == -ENOENT)
			err = protojson_encode_cached(&s->pending, &ev->base, process_view_fragment);
	}
	if (!err && (s->pending.oom || strbuf_grow(&s->pending, 1)))
		err = -ENOMEM;
	if (err) {
		s->pending.len = start;	/* nothing of this event stays */
		s->pending.oom = 0;
		if (s->pending.buf)
			s->pending.buf[start] = '\0';
		return err;
	}
	s->pending.buf[s->pending.len++] = '\n';
	s->pending.buf[s->pending.len] = '\0';
	s->ends[s->nends].end = (uint32_t)s->pending.len;
	s->ends[s->nends++].time = ev->time ? ev->time->seconds : 0;
	/* taken: written or counted as lost by a flush */
	return 0;
}

static int file_flush(struct event_sink *base)
{
	struct line_sink *s = (struct line_sink *)base;
	int err = fd_flush(base);

	return err ? err : rotating_file_flush(s->file);
}

static void line_destroy(struct event_sink *base)
{
	struct line_sink *s = (struct line_sink *)base;

	fd_flush(base);
	if (s->file)
		rotating_file_close(s->file);
	strbuf_free(&s->pending);
	free(s->ends);
	free(s);
}

static struct line_sink *line_sink_new(const char *name)
{
	struct line_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.name = name;
	s->base.write = line_write;
	s->base.flush = fd_flush;
	s->base.destroy = line_destroy;
	s->base.counts_itself = 1;
	s->fd = -1;
	return s;
}

struct event_sink *json_file_sink_new(struct rotating_file *f)
{
	struct line_sink *s = line_sink_new("json-file");

	if (!s)
		return NULL;
	s->file = f;
	s->base.flush = file_flush;
	return &s->base;
}

struct event_sink *json_fd_sink_new(int fd)
{
	struct line_sink *s = line_sink_new("json-stdout");

	if (!s)
		return NULL;
	s->fd = fd;
	return &s->base;
}

struct event_sink *compact_fd_sink_new(int fd, const struct compact_opts *o)
{
	struct line_sink *s = line_sink_new("compact-stdout");

	if (!s)
		return NULL;
	s->fd = fd;
	s->compact = 1;
	if (o)
		s->copts = *o;
	return &s->base;
}
