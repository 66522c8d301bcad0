/* SPDX-License-Identifier: Apache-2.0 */
/* One-line human form of events, as `tetra getevents -o compact` prints them. */
#ifndef TG_ENCODE_COMPACT_H
#define TG_ENCODE_COMPACT_H

#include "tetragon/events.pb-c.h"
#include "util/strbuf.h"

struct compact_opts {
	int color;		/* ANSI colors, like upstream's fatih/color output */
	int timestamps;		/* prefix the event time (RFC 3339, 9 digits) */
	int no_stack_traces;	/* tetra --stack-traces=false: process_kprobe's stacks not printed */
};

/*
 * Append one line (no newline) for @ev; a process_kprobe's stack traces
 * follow it on lines of their own, as upstream's ("Kernel:", "User:"). Returns 0, or -ENOENT when the event
 * has no compact form or lacks its process.
 */
int compact_encode(struct strbuf *out, const Tetragon__GetEventsResponse *ev,
		   const struct compact_opts *o);

#endif
