// SPDX-License-Identifier: Apache-2.0
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/escape.h"
#include "util/safe_path.h"

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

static int log_fmt = LOG_FORMAT_TEXT;	/* set once at start, before threads */
static int log_file_fd = -1;

int log_parse_format(const char *s, enum log_format *ret)
{
	static const struct { const char *name; enum log_format f; } names[] = {
		{ "text", LOG_FORMAT_TEXT }, { "text-ts", LOG_FORMAT_TEXT },
		{ "json", LOG_FORMAT_JSON }, { "json-ts", LOG_FORMAT_JSON_TS },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*ret = names[i].f;
			return 0;
		}
	}
	return -EINVAL;
}

void log_set_format(enum log_format f)
{
	log_fmt = (int)f;
}

int log_open_file(const char *path, char *why, size_t whylen)
{
	/* upstream creates (truncates) it; the walk refuses a path another user can redirect */
	struct safe_open_opts so = { .oflags = O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, .mode = 0600 };
	int fd = safe_open(path, &so, why, whylen);

	if (fd < 0)
		return fd;
	if (log_file_fd >= 0)
		close(log_file_fd);
	log_file_fd = fd;
	return 0;
}

void log_close_file(void)
{
	if (log_file_fd >= 0)
		close(log_file_fd);
	log_file_fd = -1;
}

/*
 * Appends src[0..n) as the inside of a JSON string: the text is already
 * escaped as the logfmt value is (printable UTF-8, backslash escapes), and
 * that text is the JSON string's value, so only '"' and '\' need quoting.
 * Returns the new length, at most cap.
 */
static size_t json_quote(char *dst, size_t len, size_t cap, const char *src, size_t n, size_t *used)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bool q = src[i] == '"' || src[i] == '\\';

		if (len + 1 + q > cap)
			break;
		if (q)
			dst[len++] = '\\';
		dst[len++] = src[i];
	}
	*used = i;
	return len;
}

/*
 * The message is untrusted (policy fields, request strings, process names
 * reach it), so it is escaped here, for every call site: one record is one
 * line. Text: msg="..." a logfmt value with no raw control bytes. JSON
 * (upstream's slog JSON handler's keys: time with json-ts only, level, msg):
 * msg's value is the text format's escaped msg, so both read the same.
 */
void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const tag[] = { "debug", "info", "warn", "error" };
	static const char cut_mark[] = " truncated=true";
	static const char cut_json[] = ",\"truncated\":true";
	char raw[8192], esc[4096], line[4096];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t n, rawlen, used, room, elen;
	bool cut;
	int m, f = log_fmt;

	if ((int)lvl < __atomic_load_n(&min_level, __ATOMIC_RELAXED))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	va_start(ap, fmt);
	m = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	rawlen = m < 0 ? 0 : (size_t)m < sizeof(raw) ? (size_t)m : sizeof(raw) - 1;
	cut = m >= (int)sizeof(raw);
	if (f == LOG_FORMAT_TEXT) {
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
	} else {
		if (f == LOG_FORMAT_JSON_TS)
			m = snprintf(line, sizeof(line), "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\",\"level\":\"%s\","
				     "\"msg\":\"", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				     tm.tm_min, tm.tm_sec, tag[lvl]);
		else
			m = snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"", tag[lvl]);
		n = m < 0 ? 0 : (size_t)m;
		/* room for "}, the truncation field and the newline */
		room = sizeof(line) - 2 - (sizeof(cut_json) - 1) - 1;
		/* whole escapes only: shrink the escaped text until its quoted form fits */
		for (size_t cap = sizeof(esc);;) {
			size_t q = 0;

			elen = esc_bounded(esc, cap, raw, rawlen, ESC_QUOTED, &used);
			for (size_t i = 0; i < elen; i++)
				q += esc[i] == '"' || esc[i] == '\\';
			if (n + elen + q <= room || !elen)
				break;
			cap = elen - (n + elen + q - room < elen ? n + elen + q - room : elen);
		}
		cut |= used < rawlen;
		n = json_quote(line, n, room, esc, elen, &used);
		line[n++] = '"';
		if (cut) {
			memcpy(line + n, cut_json, sizeof(cut_json) - 1);
			n += sizeof(cut_json) - 1;
		}
		line[n++] = '}';
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
	if (log_file_fd >= 0 && write(log_file_fd, line, n) < 0) {
		/* the file failed (full disk): stderr has the record */
	}
}
