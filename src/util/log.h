/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Leveled logging to stderr, one write(2) per record so threads never
 * interleave. Records are logfmt lines: time=... level=... msg="...", the
 * message escaped (util/escape.h) so untrusted text cannot forge a line or
 * reach the terminal raw; a record cut for length ends in truncated=true.
 */
#ifndef TG_UTIL_LOG_H
#define TG_UTIL_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Any thread, at any time (SetDebug changes it at run time). */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* "debug", "info", "warn", "error" */
const char *log_level_name(enum log_level lvl);
/* Parses "debug|info|warn|warning|error"; returns 0 or -EINVAL. */
int log_parse_level(const char *s, enum log_level *ret);
/*
 * --log-format: text (logfmt, always timestamped; upstream's text-ts is the
 * same), json (no time, as upstream's) or json-ts. Set before threads start.
 */
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON, LOG_FORMAT_JSON_TS };
int log_parse_format(const char *s, enum log_format *ret);
void log_set_format(enum log_format f);
/*
 * --log-file: every record is also written to @path, created (truncated) with
 * mode 0600 through util/safe_path.h's rules. 0, or -errno with @why set.
 * Before threads start.
 */
int log_open_file(const char *path, char *why, size_t whylen);
void log_close_file(void);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
