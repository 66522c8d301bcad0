// SPDX-License-Identifier: Apache-2.0
#include "process/args.h"

#include <string.h>

#include "util/strbuf.h"

char *args_decode(const char *buf, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0;

	while (len && buf[len - 1] == '\0')
		len--;
	while (i < len) {
		const char *a = buf + i;
		const char *end = memchr(a, '\0', len - i);
		size_t n = end ? (size_t)(end - a) : len - i;

		if (sb.len)
			strbuf_addc(&sb, ' ');
		if (memchr(a, ' ', n)) {
			strbuf_addc(&sb, '"');
			strbuf_add(&sb, a, n);
			strbuf_addc(&sb, '"');
		} else {
			strbuf_add(&sb, a, n);
		}
		i += n + 1;
	}
	strbuf_grow(&sb, 0);
	if (sb.oom) {
		strbuf_free(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

/* Go's filepath.Clean over "/"-rooted paths: drop "." and empty parts, fold "..". */
static void clean_append(struct strbuf *sb, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && p[j] != '/')
			j++;
		if (j - i == 0 || (j - i == 1 && p[i] == '.')) {
			/* skip */
		} else if (j - i == 2 && p[i] == '.' && p[i + 1] == '.') {
			while (sb->len > 1 && sb->buf[sb->len - 1] != '/')
				sb->len--;
			if (sb->len > 1)
				sb->len--;	/* the separator */
			sb->buf[sb->len] = '\0';
		} else {
			if (sb->len > 1)
				strbuf_addc(sb, '/');
			strbuf_add(sb, p + i, j - i);
		}
		i = j + 1;
	}
}

char *binary_absolute(const char *filename, size_t len, const char *cwd)
{
	struct strbuf sb = STRBUF_INIT;

	if (len && filename[0] != '/' && cwd && cwd[0] == '/') {
		strbuf_addc(&sb, '/');
		clean_append(&sb, cwd, strlen(cwd));
		clean_append(&sb, filename, len);
	} else {
		/* absolute filenames are reported exactly as exec'd, like upstream */
		strbuf_add(&sb, filename, len);
	}
	strbuf_grow(&sb, 0);
	if (sb.oom) {
		strbuf_free(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}
