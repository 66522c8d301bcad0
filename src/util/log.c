// SPDX-License-Identifier: Apache-2.0
#include "util/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/escape.h"

/* changed at run time by SetDebug (gRPC thread), read by every thread */
static int min_level = LOG_INFO;

void log_set_level(enum log_level lvl)
{
	__atomic_store_n(&min_level, (int)lvl, __ATOMIC_RELAXED);
}

enum log_level log_get_level(void)
{
	return (enum log_level)__atomic_load_n(&min_level, __ATOMIC_RELAXED);
}

const char *log_level_name(enum log_level lvl)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };

	return (unsigned)lvl < sizeof(names) / sizeof(names[0]) ? names[lvl] : "unknown";
}

int log_parse_level(const char *s, enum log_level *ret)
{
	static const struct { const char *name; enum log_level lvl; } names[] = {
		{ "debug", LOG_DEBUG }, { "trace", LOG_DEBUG }, { "info", LOG_INFO },
		{ "warn", LOG_WARN }, { "warning", LOG_WARN }, { "error", LOG_ERROR },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*ret = names[i].lvl;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * The message is untrusted (policy fields, request strings, process names
 * reach it), so it is escaped here, for every call site: one record is one
 * line, msg="..." a logfmt value with no raw control bytes.
 */
void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const tag[] = { "debug", "info", "warn", "error" };
	static const char cut_mark[] = " truncated=true";
	char raw[8192], line[4096];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t n, rawlen, used, room;
	bool cut;
	int m;

	if ((int)lvl < __atomic_load_n(&min_level, __ATOMIC_RELAXED))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	va_start(ap, fmt);
	m = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	rawlen = m < 0 ? 0 : (size_t)m < sizeof(raw) ? (size_t)m : sizeof(raw) - 1;
	cut = m >= (int)sizeof(raw);
	m = snprintf(line, sizeof(line), "time=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s msg=\"",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000, tag[lvl]);
	n = m < 0 ? 0 : (size_t)m;
	/* room for the closing quote, the truncation mark and the newline */
	room = sizeof(line) - n - 1 - (sizeof(cut_mark) - 1) - 1;
	n += esc_bounded(line + n, room, raw, rawlen, ESC_QUOTED, &used);
	cut |= used < rawlen;
	line[n++] = '"';
	if (cut) {
		memcpy(line + n, cut_mark, sizeof(cut_mark) - 1);
		n += sizeof(cut_mark) - 1;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}
