// SPDX-License-Identifier: Apache-2.0
#include "util/escape.h"

#include <stdint.h>
#include <string.h>

#include "util/strbuf.h"

/* Length of the valid UTF-8 sequence at p (overlongs and surrogates are not), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n, uint32_t *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0 && n >= 2 && (p[1] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
		return *cp >= 0x80 ? 2 : 0;
	}
	if ((p[0] & 0xf0) == 0xe0 && n >= 3 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		return *cp >= 0x800 && (*cp < 0xd800 || *cp > 0xdfff) ? 3 : 0;
	}
	if ((p[0] & 0xf8) == 0xf0 && n >= 4 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
	    (p[3] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
		      ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
		return *cp >= 0x10000 && *cp <= 0x10ffff ? 4 : 0;
	}
	return 0;
}

/*
 * The escaped form of the unit at s[0..len): written to out (room for 8
 * bytes), its length returned; *in is how many input bytes it stands for.
 * Returns 0 with *in set when the unit passes through unchanged.
 */
static size_t unit(const unsigned char *s, size_t len, unsigned flags, char out[8], size_t *in)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t cp;
	size_t n = utf8_len(s, len, &cp), o = 0;

	if (!n) {
		/* one byte of invalid UTF-8 */
		*in = 1;
		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[s[0] >> 4];
		out[3] = hex[s[0] & 15];
		return 4;
	}
	*in = n;
	if (cp == '\n' || cp == '\r' || cp == '\t') {
		out[0] = '\\';
		out[1] = cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
		return 2;
	}
	if ((cp == '"' || cp == '\\') && (flags & ESC_QUOTED)) {
		out[0] = '\\';
		out[1] = (char)cp;
		return 2;
	}
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
		for (size_t i = 0; i < n; i++) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[s[i] >> 4];
			out[o++] = hex[s[i] & 15];
		}
		return o;
	}
	return 0;
}

size_t esc_bounded(char *dst, size_t cap, const char *s, size_t len, unsigned flags, size_t *consumed)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < len) {
		char e[8];
		size_t in, n = unit(p + i, len - i, flags, e, &in);
		const char *src = n ? e : s + i;

		if (!n)
			n = in;
		if (o + n > cap)
			break;
		memcpy(dst + o, src, n);
		o += n;
		i += in;
	}
	if (consumed)
		*consumed = i;
	return o;
}

void strbuf_add_escaped(struct strbuf *sb, const char *s, size_t len, unsigned flags)
{
	/* no escape is more than 4 times the bytes it stands for */
	if (len > ((size_t)-1 - 8) / 4) {
		sb->oom = 1;
		return;
	}
	if (strbuf_grow(sb, 4 * len + 8))
		return;
	sb->len += esc_bounded(sb->buf + sb->len, 4 * len + 8, s, len, flags, NULL);
	sb->buf[sb->len] = '\0';
}

bool esc_is_clean(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		char e[8];
		size_t in;

		if (unit(p + i, len - i, 0, e, &in))
			return false;
		i += in;
	}
	return true;
}

void esc_fputs_lines(const char *s, FILE *f)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = strlen(s);
	const char *nl;

	/* trailing newlines would only leave an empty indented line */
	while (len && s[len - 1] == '\n')
		len--;
	while ((nl = memchr(s, '\n', len))) {
		strbuf_add_escaped(&sb, s, (size_t)(nl - s), 0);
		strbuf_adds(&sb, "\n  ");
		len -= (size_t)(nl + 1 - s);
		s = nl + 1;
	}
	strbuf_add_escaped(&sb, s, len, 0);
	if (sb.buf)
		fputs(sb.buf, f);
	strbuf_free(&sb);
}
