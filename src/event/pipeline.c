// SPDX-License-Identifier: Apache-2.0
#include "event/pipeline.h"

#include <errno.h>
#include <string.h>

#include "encode/protojson.h"
#include "event/process_view.h"
#include "util/log.h"
#include "util/strbuf.h"

/* The event being emitted and its JSON, encoded on first demand. */
static _Thread_local struct {
	const Tetragon__GetEventsResponse *ev;
	int state;		/* 0 not encoded yet, 1 done, < 0 the encoder's error */
	struct strbuf json;
} cur;

int pipeline_event_json(const Tetragon__GetEventsResponse *ev, const char **json, size_t *len)
{
	if (!ev || ev != cur.ev)
		return -ENOENT;
	if (!cur.state) {
		strbuf_reset(&cur.json);
		cur.state = protojson_encode_cached(&cur.json, &ev->base, process_view_fragment);
		if (!cur.state)
			cur.state = 1;
	}
	if (cur.state < 0)
		return cur.state;
	*json = cur.json.buf;
	*len = cur.json.len;
	return 0;
}

int pipeline_add_sink(struct pipeline *p, struct event_sink *s)
{
	if (p->nsinks == PIPELINE_MAX_SINKS)
		return -ENOSPC;
	p->sinks[p->nsinks++] = s;
	return 0;
}

void pipeline_emit(struct pipeline *p, const Tetragon__GetEventsResponse *ev)
{
	p->events++;
	cur.ev = ev;
	cur.state = 0;
	for (int i = 0; i < p->nsinks; i++) {
		struct event_sink *s = p->sinks[i];
		int err;

		if (s->stopped) {
			s->errors++;
			continue;
		}
		err = s->write(s, ev);
		if (err) {
			/* Log the first failure and then every 1000th, not each event. */
			if (s->errors++ % 1000 == 0)
				log_warn("sink %s: writing an event failed: %s (%llu failures so far)",
					 s->name, strerror(-err), (unsigned long long)s->errors);
		} else if (!s->counts_itself) {
			s->written++;
		}
	}
	cur.ev = NULL;
}

void pipeline_flush(struct pipeline *p)
{
	for (int i = 0; i < p->nsinks; i++)
		if (p->sinks[i]->flush && !p->sinks[i]->stopped)
			p->sinks[i]->flush(p->sinks[i]);
}

void pipeline_destroy(struct pipeline *p)
{
	pipeline_flush(p);
	for (int i = 0; i < p->nsinks; i++) {
		struct event_sink *s = p->sinks[i];

		/* the last word on each output: written + lost = events it was given */
		if (s->counts_itself)
			log_info("sink %s: %llu events written, %llu lost (of %llu events in the pipeline)",
				 s->name, (unsigned long long)s->written, (unsigned long long)s->errors,
				 (unsigned long long)p->events);
		if (s->destroy)
			s->destroy(s);
	}
	p->nsinks = 0;
}
