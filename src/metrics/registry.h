/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Labelled counters with bounded cardinality: a table from a tuple of label
 * values to a counter, rendered in the exposition format sorted by label
 * values (a stable page, easy to diff and to test).
 *
 * Threading: a table belongs to one thread (the agent's event loop, which
 * both counts and renders); the HTTP thread only ever sees rendered pages
 * (see http_server.h), so nothing here needs atomics or locks.
 */
#ifndef TG_METRICS_REGISTRY_H
#define TG_METRICS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/exposition.h"
#include "util/strbuf.h"

#define MTABLE_MAX_LABELS 8

struct mtable_entry;

struct mtable {
	size_t nlabels;
	const char *const *label_names;	/* nlabels names, static storage */
	size_t max_entries;		/* soft bound, see mtable_add() */
	struct mtable_entry **slots;	/* open addressing, linear probing */
	size_t nslots, n;
};

/* label_names must outlive the table. 0 or -EINVAL (too many labels). */
int mtable_init(struct mtable *t, const char *const *label_names, size_t nlabels, size_t max_entries);
void mtable_free(struct mtable *t);

/*
 * Adds v to the counter of vals (nlabels strings; NULL reads as ""),
 * creating it at 0 first. Past max_entries a new tuple is refused with
 * -ENOSPC unless force is set: the caller then retries with its
 * high-cardinality label blanked (a bounded set) and force. -ENOMEM.
 */
int mtable_add(struct mtable *t, const char *const *vals, uint64_t v, bool force);
/* The counter of vals, 0 when absent. */
uint64_t mtable_get(const struct mtable *t, const char *const *vals);

/* Samples "name{label="value",...} count", sorted by label values. */
void mtable_render(const struct mtable *t, struct strbuf *sb, const char *name);

#endif
