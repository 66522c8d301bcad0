/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --redaction-filters: upstream's RedactionFilter JSON objects (one or more,
 * separated by whitespace), e.g.
 *   {"redact": ["(?:--password|-p)(?:\\s+|=)(\\S*)"], "binary_regex": ["(?:^|/)mysql$"]}
 * Each "redact" regexp (RE2 syntax, as upstream's Go regexp) is searched in
 * Process.arguments, at every match of it, and every capture group of the
 * match is replaced by "*****"; "binary_regex" (any of them) limits the
 * filter to processes whose binary matches. Filters apply in order, each to
 * the result of the one before. Applied where a process enters the process
 * cache (an exec, or the /proc scan at start): every event that carries the
 * process, or has it as parent or ancestor, shows the redacted arguments,
 * on every output (export file, stdout, gRPC).
 *
 * Bounds: REDACTION_MAX_FILTERS filters, REDACTION_MAX_REGEXPS regexps in
 * all, each at most TG_REGEX_MAX_LEN bytes and REDACTION_MAX_GROUPS groups,
 * sharing REDACTION_MEM of compiled programs; a result over
 * REDACTION_MAX_OUT bytes becomes "*****" whole (never the secret).
 */
#ifndef TG_FILTERS_REDACTION_H
#define TG_FILTERS_REDACTION_H

#include <stddef.h>
#include <stdint.h>

#define REDACTION_STR "*****"
#define REDACTION_MAX_FILTERS 64
#define REDACTION_MAX_REGEXPS 256
#define REDACTION_MAX_GROUPS 63
#define REDACTION_MEM (16 << 20)
#define REDACTION_MAX_OUT (256 * 1024)

struct redaction_list;

/*
 * Parse the flag's text. 0 with *out NULL for blank text, 0 with *out set,
 * or -EINVAL / -E2BIG / -ENOMEM with err naming the object and field
 * ("filter 2: redact[0]: regexp \"(\": missing ): (").
 */
int redaction_parse(const char *text, struct redaction_list **out, char *err, size_t errlen);
void redaction_free(struct redaction_list *l);
size_t redaction_count(const struct redaction_list *l);

/*
 * Redact @args of a process running @binary. Returns 0 when nothing changed
 * (*out NULL), 1 with *out a malloc'd new string, or -ENOMEM.
 */
int redaction_apply(const struct redaction_list *l, const char *binary, const char *args, char **out);

/*
 * The agent's filters (set once at start, before any event; NULL: none),
 * applied by redaction_args() where processes are recorded. The list is
 * owned by the caller and must outlive every use.
 */
void redaction_set_global(const struct redaction_list *l);
/*
 * *args (malloc'd) redacted in place with the global filters: 0, or
 * -ENOMEM, in which case *args is replaced by REDACTION_STR (or NULL when
 * even that fails) so no secret leaks.
 */
int redaction_args(const char *binary, char **args);
/* Whether global filters are set. */
int redaction_active(void);
/* Strings (arguments, environment variables) the global filters changed (a metric, the log). */
uint64_t redaction_redacted(void);

#endif
