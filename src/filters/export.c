// SPDX-License-Identifier: Apache-2.0
#include "filters/export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/log.h"

struct filtered_sink {
	struct event_sink base;
	struct event_sink *inner;
	struct filter_set *fs;
	uint64_t dropped;
};

/* The wrapper shows the inner sink's counts (events written, lost), which
 * a line sink only knows once a batch is written. */
static void sync_counts(struct filtered_sink *s)
{
	s->base.written = s->inner->written;
	s->base.errors = s->inner->errors;
	s->base.stopped = s->inner->stopped;
}

static int filtered_write(struct event_sink *base, const Tetragon__GetEventsResponse *ev)
{
	struct filtered_sink *s = (struct filtered_sink *)base;
	const Tetragon__GetEventsResponse *out = ev;
	struct field_copy c = { 0 };
	int err;

	if (!filter_set_match(s->fs, ev)) {
		s->dropped++;
		return 0;
	}
	err = filter_set_apply_fields(s->fs, ev, &c, &out);
	if (!err)
		err = s->inner->write(s->inner, out);
	field_copy_release(&c);
	if (err)
		s->inner->errors++;
	else if (!s->inner->counts_itself)
		s->inner->written++;
	sync_counts(s);
	return 0;	/* counted above, in the inner sink */
}

static int filtered_flush(struct event_sink *base)
{
	struct filtered_sink *s = (struct filtered_sink *)base;
	int err = s->inner->flush ? s->inner->flush(s->inner) : 0;

	sync_counts(s);
	return err;
}

static void filtered_destroy(struct event_sink *base)
{
	struct filtered_sink *s = (struct filtered_sink *)base;

	if (s->inner->destroy)
		s->inner->destroy(s->inner);
	filter_set_free(s->fs);
	free(s);
}

struct event_sink *filtered_sink_new(struct event_sink *inner, struct filter_set *fs)
{
	struct filtered_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.name = inner->name;
	s->base.write = filtered_write;
	s->base.flush = filtered_flush;
	s->base.destroy = filtered_destroy;
	s->base.counts_itself = 1;	/* sync_counts() */
	s->inner = inner;
	s->fs = fs;
	return &s->base;
}

static bool blank(const char *s)
{
	return !s || !*s;
}

int export_filters_wrap(struct event_sink **s, const char *allowlist, const char *denylist,
			const char *field_filters, bool allow_pid_set)
{
	struct filter_set *fs = NULL;
	struct event_sink *w;
	char err[512];
	int r;

	if (blank(allowlist) && blank(denylist) && blank(field_filters))
		return 0;
	r = filter_set_from_json(&fs, allowlist, denylist, field_filters, allow_pid_set, err, sizeof(err));
	if (!r && !(w = filtered_sink_new(*s, fs))) {
		filter_set_free(fs);
		r = -ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
	}
	if (r) {
		log_error("%s", err);
		if ((*s)->destroy)
			(*s)->destroy(*s);
		*s = NULL;
		return r;
	}
	if (!filter_set_is_noop(fs))
		log_info("JSON export filtered:%s%s%s", blank(allowlist) ? "" : " allowlist",
			 blank(denylist) ? "" : " denylist", blank(field_filters) ? "" : " field-filters");
	*s = w;
	return 0;
}
