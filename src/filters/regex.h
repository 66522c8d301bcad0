/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Regular expressions for event filters, with upstream's syntax and
 * semantics (Go's regexp, RE2 syntax): compiled by RE2, which matches in time
 * linear in the text and keeps each regexp within a memory budget.
 * Go-only spellings RE2 2022 lacks are rewritten: (?<name>...) becomes
 * (?P<name>...). Matching is unanchored, like Go's MatchString.
 *
 * Limits (a request's filters share TG_REGEX_REQUEST_MEM, filters.c):
 *   - a pattern is at most TG_REGEX_MAX_LEN bytes;
 *   - its compiled program and matching caches at most max_mem bytes
 *     (TG_REGEX_MAX_MEM, or less when the request has many regexps).
 */
#ifndef TG_FILTERS_REGEX_H
#define TG_FILTERS_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TG_REGEX_MAX_LEN	1024
#define TG_REGEX_MAX_MEM	(1 << 20)

struct tg_regex;

/*
 * Returns 0; -EINVAL with "regexp \"...\": reason" or "pattern is N bytes,
 * the limit is 1024" in err; -E2BIG with "pattern too large (compiled
 * program exceeds 1 MiB)" when it does not fit in max_mem; or -ENOMEM.
 */
int tg_regex_compile(struct tg_regex **re, const char *pattern, int64_t max_mem, char *err, size_t errlen);
bool tg_regex_match(const struct tg_regex *re, const char *s);
/* Keeping capture groups (redaction); same limits and errors. */
int tg_regex_compile_captures(struct tg_regex **re, const char *pattern, int64_t max_mem, char *err,
			      size_t errlen);
int tg_regex_ngroups(const struct tg_regex *re);
/* See tg_re2_find (filters/re2_shim.h): at most 64 spans. */
bool tg_regex_find(const struct tg_regex *re, const char *s, size_t len, size_t start, size_t *spans, int nspans);
void tg_regex_free(struct tg_regex *re);

/* "1 MiB", "910 KiB" (rounded down), "100 bytes": for limit messages. */
void tg_regex_fmt_size(char *buf, size_t len, int64_t bytes);

#endif
