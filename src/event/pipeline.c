// SPDX-License-Identifier: Apache-2.0
#include "event/pipeline.h"

#include <errno.h>
#include <string.h>

#include "encode/protojson.h"
#include "event/process_view.h"
#include "util/log.h"

/*
 * The event being emitted and where its JSON went: the first JSON output
 * encodes it straight into its own batch; the others copy it from there
 * (a sink leaves what it appended alone until its next write).
 */
static _Thread_local struct {
	const Tetragon__GetEventsResponse *ev;
	int state;		/* 0 not encoded yet, 1 at sb/off/len, < 0 the encoder's error */
	const struct strbuf *sb;
	size_t off, len;
} cur;

int pipeline_event_json(const Tetragon__GetEventsResponse *ev, struct strbuf *out)
{
	size_t off = out->len;
	int err;

	if (!ev || ev != cur.ev)
		return -ENOENT;
	if (cur.state == 1) {
		if (strbuf_grow(out, cur.len))
			return -ENOMEM;
		memcpy(out->buf + out->len, cur.sb->buf + cur.off, cur.len);
		out->len += cur.len;
		out->buf[out->len] = '\0';
		return 0;
	}
	if (cur.state < 0)
		return cur.state;
	err = protojson_encode_cached(out, &ev->base, process_view_fragment);
	if (err) {
		cur.state = err;
		return err;
	}
	cur.state = 1;
	cur.sb = out;
	cur.off = off;
	cur.len = out->len - off;
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
