/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The C face of RE2 (a C++ library), reduced to what the event filters need:
 * compile with a memory bound, search, free. filters/regex.h adds the limits
 * and messages; nothing else should include this.
 */
#ifndef TG_FILTERS_RE2_SHIM_H
#define TG_FILTERS_RE2_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tg_re2;

enum tg_re2_status {
	TG_RE2_OK = 0,
	TG_RE2_SYNTAX,		/* any other parse error */
	TG_RE2_BAD_ESCAPE,	/* e.g. \1 (a backreference) */
	TG_RE2_BAD_PERL_OP,	/* e.g. (?= lookahead */
	TG_RE2_TOO_LARGE,	/* the program does not fit in max_mem */
	TG_RE2_NOMEM,
};

/*
 * Compile @pattern (@len bytes, UTF-8) with Go regexp's semantics: Perl
 * syntax, first match, `.` not matching \n unless (?s), `$` at the end of
 * the text only; no capture groups kept. @max_mem bounds the program and the
 * DFA caches built while matching. On failure *out is NULL, @why gets RE2's
 * message ("missing ): (") and @arg the offending part ("\1").
 */
enum tg_re2_status tg_re2_compile(struct tg_re2 **out, const char *pattern, size_t len, int64_t max_mem,
				  char *why, size_t whylen, char *arg, size_t arglen);
/* Same, keeping capture groups (redaction: filters/redaction.h). */
enum tg_re2_status tg_re2_compile_captures(struct tg_re2 **out, const char *pattern, size_t len, int64_t max_mem,
					   char *why, size_t whylen, char *arg, size_t arglen);
/* Capture groups of a pattern compiled with them. */
int tg_re2_ngroups(const struct tg_re2 *re);
/*
 * Unanchored search of text[start..len) (anchors and \b see all of text).
 * On a match fills spans[2*i], spans[2*i+1] with the byte offsets of the
 * whole match (i = 0) and groups 1..nspans-1 ((size_t)-1 for a group that
 * did not take part), and returns true.
 */
bool tg_re2_find(const struct tg_re2 *re, const char *text, size_t len, size_t start, size_t *spans, int nspans);
/* Unanchored search, as Go's MatchString. False also if RE2 ran out of memory. */
bool tg_re2_search(const struct tg_re2 *re, const char *text, size_t len);
void tg_re2_free(struct tg_re2 *re);

#ifdef __cplusplus
}
#endif

#endif
