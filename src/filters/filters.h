/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event filters with upstream's semantics, shared by the gRPC GetEvents
 * streams, the JSON export (--export-allowlist/--export-denylist/
 * --field-filters) and `tetra getevents` reading stdin.
 *
 *   - allow list: an event passes if ANY filter matches (an empty list lets
 *     everything through); deny list: it is dropped if ANY filter matches.
 *     Deny wins.
 *   - within one Filter every field that is set must match (AND); within one
 *     field any value may match (OR). A Filter with nothing set matches all.
 *   - field filters (FieldMask paths relative to the event, e.g.
 *     "process.binary,parent.binary") INCLUDE or EXCLUDE fields, optionally
 *     only for some event types (event_set, invert_event_set); they apply in
 *     order to a copy, never to the caller's event.
 *
 * Regexps have upstream's (Go, RE2) syntax and are compiled by RE2
 * (filters/regex.h). A request holds at most 128 regexps over all its
 * filters, sharing 8 MiB of RE2 memory (at most 1 MiB each); a pattern is at
 * most 1024 bytes. event_set values that are no event type, unknown
 * capabilities and field filter paths that name no field of the events
 * filtered are refused. Not supported: cel_expression (error).
 * ancestor_binary_regex needs the agent's --enable-ancestors for every
 * event type it applies to (filters_set_ancestors(); upstream's error
 * otherwise, as in tetra which has none).
 * Matching is not thread-safe per set (pid_set remembers children); use one
 * set per thread/stream.
 */
#ifndef TG_FILTERS_FILTERS_H
#define TG_FILTERS_FILTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tetragon/events.pb-c.h"

struct filter_set;

struct filter_spec {
	Tetragon__Filter *const *allow;
	size_t nallow;
	Tetragon__Filter *const *deny;
	size_t ndeny;
	Tetragon__FieldFilter *const *fields;
	size_t nfields;
};

/*
 * Compile; the spec is not referenced afterwards. Returns 0, -EINVAL with
 * e.g. "allow_list[1].binary_regex[0]: regexp \"(\": missing ): (" in err, or
 * -ENOMEM.
 */
int filter_set_compile(struct filter_set **out, const struct filter_spec *spec, char *err, size_t errlen);
int filter_set_from_request(struct filter_set **out, const Tetragon__GetEventsRequest *req, char *err,
			    size_t errlen);
/*
 * From upstream's flag syntax: JSON objects one per line (Filter for the
 * allow/deny lists, FieldFilter for field filters); NULL or "" for none.
 * pid_set is refused unless allow_pid_set, as upstream's
 * --enable-pid-set-filter. Errors start with the flag name and line.
 */
int filter_set_from_json(struct filter_set **out, const char *allowlist, const char *denylist,
			 const char *field_filters, bool allow_pid_set, char *err, size_t errlen);
void filter_set_free(struct filter_set *fs);

/* The agent's --enable-ancestors (ANCESTORS_*, event/process_facts.h), before any compile. */
void filters_set_ancestors(uint32_t bits);

/* True when the event passes the allow and deny lists. */
bool filter_set_match(struct filter_set *fs, const Tetragon__GetEventsResponse *ev);
bool filter_set_has_field_filters(const struct filter_set *fs);
/* True when the set lets every event through unchanged. */
bool filter_set_is_noop(const struct filter_set *fs);

/* Holds the memory of a field-filtered copy; zero-initialize before use. */
struct field_copy {
	void **allocs;
	size_t n, cap;
};

/*
 * Apply the field filters. *res is ev itself when no filter applies, or a
 * copy (sharing unchanged sub-messages with ev) that lives until
 * field_copy_release(c); ev must outlive it too. Returns 0 or -ENOMEM.
 */
int filter_set_apply_fields(const struct filter_set *fs, const Tetragon__GetEventsResponse *ev,
			    struct field_copy *c, const Tetragon__GetEventsResponse **res);
void field_copy_release(struct field_copy *c);

/* The event type of ev as upstream numbers it (the oneof field number), 0 if none. */
int filter_event_type(const Tetragon__GetEventsResponse *ev);

#endif
