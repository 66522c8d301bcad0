// SPDX-License-Identifier: Apache-2.0
#include "encode/goquote.h"

#include <stdint.h>
#include <string.h>

/* Decode one UTF-8 rune; returns its length, or 0 for an invalid sequence. */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *r)
{
	if (p[0] < 0x80) {
		*r = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0 && n >= 2 && (p[1] & 0xc0) == 0x80) {
		*r = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
		return *r >= 0x80 ? 2 : 0;
	}
	if ((p[0] & 0xf0) == 0xe0 && n >= 3 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
		*r = ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		return *r >= 0x800 && (*r < 0xd800 || *r > 0xdfff) ? 3 : 0;
	}
	if ((p[0] & 0xf8) == 0xf0 && n >= 4 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
	    (p[3] & 0xc0) == 0x80) {
		*r = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
		     ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
		return *r >= 0x10000 && *r <= 0x10ffff ? 4 : 0;
	}
	return 0;
}

/*
 * An approximation of Go's unicode.IsPrint: ASCII printables, and above
 * ASCII everything except C1 controls, the non-breaking and other
 * Unicode spaces Go excludes, surrogates, private use and noncharacters.
 */
static int rune_printable(uint32_t r)
{
	if (r < 0x80)
		return r >= 0x20 && r < 0x7f;
	if (r < 0xa0 || r == 0xad)
		return 0;
	if (r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200f) ||
	    (r >= 0x2028 && r <= 0x202f) || (r >= 0x205f && r <= 0x206f) || r == 0x3000 ||
	    r == 0xfeff)
		return 0;
	if ((r >= 0xe000 && r <= 0xf8ff) || r >= 0xf0000 || (r & 0xfffe) == 0xfffe ||
	    (r >= 0xfdd0 && r <= 0xfdef))
		return 0;
	return 1;
}

void go_quote(struct strbuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	strbuf_grow(out, len + 2);
	strbuf_addc(out, '"');
	while (i < len) {
		uint32_t r;
		size_t n, run = i;

		/* a run of printable ASCII that needs no escape, copied at once */
		while (run < len && p[run] >= ' ' && p[run] < 0x7f && p[run] != '"' && p[run] != '\\')
			run++;
		if (run > i) {
			strbuf_add(out, s + i, run - i);
			i = run;
			continue;
		}
		n = utf8_decode(p + i, len - i, &r);

		if (n == 0) {
			char e[4] = { '\\', 'x', hex[p[i] >> 4], hex[p[i] & 15] };

			strbuf_add(out, e, 4);
			i++;
			continue;
		}
		switch (r) {
		case '"': strbuf_adds(out, "\\\""); break;
		case '\\': strbuf_adds(out, "\\\\"); break;
		case '\a': strbuf_adds(out, "\\a"); break;
		case '\b': strbuf_adds(out, "\\b"); break;
		case '\f': strbuf_adds(out, "\\f"); break;
		case '\n': strbuf_adds(out, "\\n"); break;
		case '\r': strbuf_adds(out, "\\r"); break;
		case '\t': strbuf_adds(out, "\\t"); break;
		case '\v': strbuf_adds(out, "\\v"); break;
		default:
			if (rune_printable(r))
				strbuf_add(out, s + i, n);
			else if (r < 0x80)
				strbuf_addf(out, "\\x%02x", r);
			else if (r < 0x10000)
				strbuf_addf(out, "\\u%04x", r);
			else
				strbuf_addf(out, "\\U%08x", r);
		}
		i += n;
	}
	strbuf_addc(out, '"');
}

void go_maybe_quote(struct strbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i = 0;

	/* the usual case: printable ASCII without a space, written as is */
	while (p[i] > ' ' && p[i] < 0x7f)
		i++;
	if (!p[i]) {
		strbuf_add(out, s, i);
		return;
	}
	len = i + strlen(s + i);
	while (i < len) {
		uint32_t r;
		size_t n = utf8_decode(p + i, len - i, &r);

		if (n == 0 || r == ' ' || !rune_printable(r)) {
			go_quote(out, s, len);
			return;
		}
		i += n;
	}
	strbuf_add(out, s, len);
}
