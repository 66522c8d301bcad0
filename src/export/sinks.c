// SPDX-License-Identifier: Apache-2.0
#include "export/sinks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
 * Counting (tetragon_sink_events_total / _errors_total): an event is
 * "written" when the sink takes it into the batch; when writing the batch
 * fails, its events are added to "errors" (dropped). A closed pipe (EPIPE,
 * `tetragon | head`) stops the sink for good with one log line; the
 * pipeline then counts every further event of it in errors.
 */
#define FD_FLUSH_BYTES (64 * 1024)

struct line_sink {
	struct event_sink base;
	struct rotating_file *file;	/* or fd */
	int fd;
	int compact;
	struct compact_opts copts;
	struct strbuf line;		/* scratch for one event */
	struct strbuf pending;		/* fd mode: unflushed output */
	uint64_t pending_events;	/* events in pending */
	uint64_t failed_batches;
};

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void batch_failed(struct line_sink *s, int err, uint64_t lost)
{
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
	/* the first failure, then every 1000th */
	if (s->failed_batches++ % 1000 == 0)
		log_warn("sink %s: writing %llu event(s) failed, dropped: %s (%llu events dropped so far)",
			 s->base.name, (unsigned long long)lost, strerror(-err),
			 (unsigned long long)s->base.errors);
}

/* One write(2) per batch of events, whole lines only. */
static int fd_flush(struct event_sink *base)
{
	struct line_sink *s = (struct line_sink *)base;
	uint64_t n = s->pending_events;
	int err = 0;

	if (!s->pending.len || base->stopped)
		return 0;
	if (s->file)
		err = rotating_file_write(s->file, s->pending.buf, s->pending.len);
	else
		err = write_all(s->fd, s->pending.buf, s->pending.len);
	strbuf_reset(&s->pending);
	s->pending_events = 0;
	if (err)
		batch_failed(s, err, n);
	return err;
}

static int line_write(struct event_sink *base, const Tetragon__GetEventsResponse *ev)
{
	struct line_sink *s = (struct line_sink *)base;
	int err;

	strbuf_reset(&s->line);
	if (s->compact) {
		err = compact_encode(&s->line, ev, &s->copts);
		if (err == -ENOENT)
			return 0;	/* no compact form for this event */
	} else {
		err = protojson_encode_cached(&s->line, &ev->base, process_view_fragment);
	}
	if (err)
		return err;
	strbuf_addc(&s->line, '\n');
	if (s->line.oom)
		return -ENOMEM;
	strbuf_add(&s->pending, s->line.buf, s->line.len);
	if (s->pending.oom)
		return -ENOMEM;
	s->pending_events++;
	/* for the metrics (tetragon_events_exported_bytes_total, _last_exported_timestamp) */
	base->bytes += s->line.len;
	if (ev->time)
		base->last_time = ev->time->seconds;
	/* taken: a failed batch write is counted and logged by the flush */
	if (s->pending.len >= FD_FLUSH_BYTES)
		fd_flush(base);
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
	strbuf_free(&s->line);
	strbuf_free(&s->pending);
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
