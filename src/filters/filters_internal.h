/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between filters.c (allow/deny lists) and fields.c (field filters). */
#ifndef TG_FILTERS_INTERNAL_H
#define TG_FILTERS_INTERNAL_H

#include "filters/filters.h"

struct cfilter;
struct ffilter;

struct filter_set {
	struct cfilter *allow;
	size_t nallow;
	struct cfilter *deny;
	size_t ndeny;
	struct ffilter *fields;
	size_t nfields;
};

int field_filters_compile(struct ffilter **out, size_t *nout, Tetragon__FieldFilter *const *in, size_t n,
			  char *err, size_t errlen);
void field_filters_free(struct ffilter *v, size_t n);
/*
 * @s (its first @n bytes) for an error message: at most 64 bytes, "..." after
 * a cut, control bytes as '?' (messages reach logs and gRPC statuses).
 */
const char *filter_quote(char *buf, size_t len, const char *s, size_t n);
/* Refuses UNDEF and numbers that are no EventType: "<where>[i]: unknown event type 3". */
int filter_check_event_set(const Tetragon__EventType *v, size_t n, const char *where, char *err, size_t errlen);
/* The message in the event oneof (ProcessExec...), or NULL. */
const ProtobufCMessage *filter_event_inner(const Tetragon__GetEventsResponse *ev);

#endif
