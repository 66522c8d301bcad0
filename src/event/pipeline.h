/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event pipeline: every exported event is one Tetragon__GetEventsResponse
 * handed synchronously to each sink (JSON file, terminal, and later gRPC
 * streams and metrics). Sinks copy/encode what they need before returning,
 * so producers can build events on the stack from cached process views.
 */
#ifndef TG_EVENT_PIPELINE_H
#define TG_EVENT_PIPELINE_H

#include <stdint.h>

#include "tetragon/events.pb-c.h"
#include "util/strbuf.h"

struct event_sink {
	const char *name;
	/* 0 or -errno; errors are counted, never fatal to the pipeline. */
	int (*write)(struct event_sink *s, const Tetragon__GetEventsResponse *ev);
	int (*flush)(struct event_sink *s);
	void (*destroy)(struct event_sink *s);
	uint64_t written;
	uint64_t errors;
	/* set by a sink that can take nothing more (stdout closed): the
	 * pipeline then counts each event in errors without calling it */
	int stopped;
	/* line sinks, for the metrics (tetragon_events_exported_*): bytes
	 * written, time (s) of the last event written */
	uint64_t bytes;
	int64_t last_time;
	/*
	 * Set by a sink that counts written and errors itself, once its output
	 * is really written (the line sinks: at each batch write, so an event
	 * is "written" only when its whole line reached the file). The
	 * pipeline then counts only the events write() refused (< 0).
	 */
	int counts_itself;
};

#define PIPELINE_MAX_SINKS 16

struct pipeline {
	struct event_sink *sinks[PIPELINE_MAX_SINKS];
	int nsinks;
	uint64_t events;
};

int pipeline_add_sink(struct pipeline *p, struct event_sink *s);
void pipeline_emit(struct pipeline *p, const Tetragon__GetEventsResponse *ev);

/*
 * Appends the protojson text (no newline) of the event pipeline_emit() is
 * handing to the sinks to @out: the first JSON output to ask gets it encoded
 * straight into @out, the others a copy of that (one encode per event,
 * however many JSON outputs), so what a sink appended must stay untouched
 * until its next write() or flush. 0, -ENOENT when @ev is not that event (a
 * field-filtered copy: encode it yourself), or the encoder's error (@out
 * unchanged). The pipeline's thread only.
 */
int pipeline_event_json(const Tetragon__GetEventsResponse *ev, struct strbuf *out);
void pipeline_flush(struct pipeline *p);
void pipeline_destroy(struct pipeline *p);

#endif
