/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Export filtering (--export-allowlist, --export-denylist, --field-filters):
 * a sink wrapper that passes only matching events, with field filters
 * applied, to the sink it wraps. Upstream applies these to the JSON export
 * only, never to gRPC streams.
 */
#ifndef TG_FILTERS_EXPORT_H
#define TG_FILTERS_EXPORT_H

#include <stdbool.h>

#include "event/pipeline.h"
#include "filters/filters.h"

/* Takes ownership of inner and fs (both freed by the wrapper's destroy). */
struct event_sink *filtered_sink_new(struct event_sink *inner, struct filter_set *fs);

/*
 * Wrap *s with the filters given as upstream's flag text (any may be NULL
 * or empty; nothing is wrapped when all are). On a bad filter, logs which
 * flag/line/field is wrong, destroys *s, sets it to NULL and returns -EINVAL.
 */
int export_filters_wrap(struct event_sink **s, const char *allowlist, const char *denylist,
			const char *field_filters, bool allow_pid_set);

#endif
