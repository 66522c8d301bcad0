/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Regular expressions for event filters. Upstream uses Go's regexp (RE2
 * syntax); we compile with POSIX extended regexps (glibc regcomp) after
 * rewriting the common RE2-only spellings:
 *   \d \D, \A \z, (?:...), (?P<name>...), (?i) at the start, lazy
 *   quantifiers (*? +? ?? {n,m}? match the same strings when only a yes/no
 *   answer is needed), \t \n \r \f \v \xHH, escaped punctuation, and
 *   \d \s \w inside brackets.
 * \s \S \w \W \b \B are glibc extensions and kept. Other RE2 features
 * (\p{..}, \Q..\E, other (?flags), \pN, \C) are rejected with a message.
 * Matching is unanchored, like Go's MatchString, on bytes.
 */
#ifndef TG_FILTERS_REGEX_H
#define TG_FILTERS_REGEX_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

/* Returns 0, or -EINVAL with "regexp \"...\": reason" in err. */
int tg_regex_compile(regex_t *re, const char *pattern, char *err, size_t errlen);
bool tg_regex_match(const regex_t *re, const char *s);

/* The rewritten POSIX pattern (for tests and messages); caller frees. */
int tg_regex_translate(const char *pattern, char **posix, int *cflags, char *err, size_t errlen);

#endif
