/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process facts users opt into (upstream's --enable-ancestors,
 * --enable-process-environment-variables, --filter-environment-variables,
 * --username-metadata): the option values shared by the agent's options
 * and the event layer.
 */
#ifndef TG_EVENT_PROCESS_FACTS_H
#define TG_EVENT_PROCESS_FACTS_H

#include <stddef.h>
#include <stdint.h>

/* --enable-ancestors: the event types whose events carry `ancestors` */
#define ANCESTORS_BASE		0x01	/* process_exec, process_exit (needed by all others) */
#define ANCESTORS_KPROBE	0x02
#define ANCESTORS_TRACEPOINT	0x04
#define ANCESTORS_UPROBE	0x08
#define ANCESTORS_LSM		0x10
#define ANCESTORS_USDT		0x20
#define ANCESTORS_LOADER	0x40

/* Ancestors beyond this many are left out of an event (counted). */
#define ANCESTORS_MAX		256

/*
 * Upstream's list parsing: comma-separated names; "" none; unknown names
 * ignored (named in *unknown, a static buffer, when not NULL); without
 * "base" nothing (*needs_base true when others were given). Returns the bits.
 */
uint32_t ancestors_parse(const char *list, const char **unknown, int *needs_base);

/* The names of @bits, in upstream's order, into out (at most max). Returns how many. */
size_t ancestors_names(uint32_t bits, const char **out, size_t max);

struct envs_blob;

/*
 * An exec record's environment (NUL-separated "K=V" strings; @cut: the
 * last one may be incomplete, and is dropped) -> what the process cache
 * keeps: only variables whose name (the part before the first '=', the
 * whole string without one) is one of @filter's @nfilter names (nfilter
 * 0: all), empty strings skipped, invalid UTF-8 as U+FFFD (upstream's
 * strings.ToValidUTF8), split as upstream: at the first '=', or key
 * "invalid" with the whole string as value. Returns 0 with *ret a new
 * blob (one reference; NULL when nothing is kept), or -ENOMEM. *dropped
 * counts the variables the cut cost. With @binary (the process'), each
 * kept "K=V" string goes through the global --redaction-filters first, as
 * upstream redacts environment variables.
 */
int envs_collect(const char *buf, size_t len, int cut, char *const *filter, size_t nfilter,
		 const char *binary, struct envs_blob **ret, uint64_t *dropped);

#endif
