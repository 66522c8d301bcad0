// SPDX-License-Identifier: Apache-2.0
#include "event/pipeline.h"

#include <errno.h>
#include <string.h>

#include "util/log.h"

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
		} else {
			s->written++;
		}
	}
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
	for (int i = 0; i < p->nsinks; i++)
		if (p->sinks[i]->destroy)
			p->sinks[i]->destroy(p->sinks[i]);
	p->nsinks = 0;
}
