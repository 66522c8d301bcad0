// SPDX-License-Identifier: Apache-2.0
#include "event/process_facts.h"

#include "filters/redaction.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process/cache.h"
#include "util/strbuf.h"

static const struct { const char *name; uint32_t bit; } anc_names[] = {
	{ "base", ANCESTORS_BASE }, { "kprobe", ANCESTORS_KPROBE }, { "tracepoint", ANCESTORS_TRACEPOINT },
	{ "uprobe", ANCESTORS_UPROBE }, { "lsm", ANCESTORS_LSM }, { "usdt", ANCESTORS_USDT },
	{ "loader", ANCESTORS_LOADER },
};

size_t ancestors_names(uint32_t bits, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(anc_names) / sizeof(anc_names[0]) && n < max; i++)
		if (bits & anc_names[i].bit)
			out[n++] = anc_names[i].name;
	return n;
}

uint32_t ancestors_parse(const char *list, const char **unknown, int *needs_base)
{
	static char bad[128];
	uint32_t bits = 0;
	const char *p = list;

	bad[0] = '\0';
	if (unknown)
		*unknown = NULL;
	if (needs_base)
		*needs_base = 0;
	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p), i;

		/* viper's list hook keeps spaces; trim them anyway, " kprobe" is no typo worth failing on */
		while (l && *p == ' ')
			p++, l--;
		while (l && p[l - 1] == ' ')
			l--;
		for (i = 0; l && i < sizeof(anc_names) / sizeof(anc_names[0]); i++)
			if (strlen(anc_names[i].name) == l && !strncmp(anc_names[i].name, p, l)) {
				bits |= anc_names[i].bit;
				break;
			}
		if (l && i == sizeof(anc_names) / sizeof(anc_names[0]) && !bad[0]) {
			snprintf(bad, sizeof(bad), "%.*s", (int)(l < 100 ? l : 100), p);
			if (unknown)
				*unknown = bad;
		}
		p = e ? e + 1 : NULL;
	}
	if (!(bits & ANCESTORS_BASE)) {
		if (needs_base && bits)
			*needs_base = 1;
		return 0;
	}
	return bits;
}

/* Length of the valid UTF-8 sequence at p (no overlongs, surrogates or > U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0 && n >= 2 && (p[1] & 0xc0) == 0x80)
		return p[0] >= 0xc2 ? 2 : 0;
	if ((p[0] & 0xf0) == 0xe0 && n >= 3 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
		cp = ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? 3 : 0;
	}
	if ((p[0] & 0xf8) == 0xf0 && n >= 4 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
	    (p[3] & 0xc0) == 0x80) {
		cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
		     ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
		return cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0;
	}
	return 0;
}

/* s[0..n) with each run of invalid UTF-8 bytes as one U+FFFD. */
static void add_valid_utf8(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0;
	int bad = 0;

	while (i < n) {
		size_t l = utf8_seq(p + i, n - i);

		if (l) {
			bad = 0;
			i += l;
			continue;
		}
		strbuf_add(sb, s + start, i - start);
		if (!bad)
			strbuf_add(sb, "\xef\xbf\xbd", 3);
		bad = 1;
		start = ++i;
	}
	strbuf_add(sb, s + start, i - start);
}

static int name_wanted(const char *v, size_t l, char *const *filter, size_t nfilter)
{
	const char *eq = memchr(v, '=', l);
	size_t kl = eq ? (size_t)(eq - v) : l;

	if (!nfilter)
		return 1;
	for (size_t i = 0; i < nfilter; i++)
		if (strlen(filter[i]) == kl && !memcmp(filter[i], v, kl))
			return 1;
	return 0;
}

int envs_collect(const char *buf, size_t len, int cut, char *const *filter, size_t nfilter,
		 const char *binary, struct envs_blob **ret, uint64_t *dropped)
{
	struct strbuf sb = STRBUF_INIT;
	struct envs_blob *b;
	uint32_t n = 0;
	size_t i = 0;

	*ret = NULL;
	while (i < len) {
		const char *v = buf + i, *end = memchr(v, '\0', len - i);
		size_t l = end ? (size_t)(end - v) : len - i, step = l;

		if (!end && cut) {
			/* its value went on past what was read: no half values */
			if (l)
				(*dropped)++;
			break;
		}
		if (l && name_wanted(v, l, filter, nfilter)) {
			char *red = NULL;
			const char *eq;

			/* --redaction-filters: each "K=V" string, after the name filter, as upstream */
			if (binary && redaction_active()) {
				red = strndup(v, l);
				if (!red || redaction_args(binary, &red) || !red) {
					free(red);
					strbuf_free(&sb);
					return -ENOMEM;
				}
				v = red;
				l = strlen(red);
			}
			eq = memchr(v, '=', l);

			if (eq) {
				add_valid_utf8(&sb, v, (size_t)(eq - v));
				strbuf_addc(&sb, '\0');
				add_valid_utf8(&sb, eq + 1, l - (size_t)(eq - v) - 1);
			} else {
				strbuf_add(&sb, "invalid", sizeof("invalid"));
				add_valid_utf8(&sb, v, l);
			}
			strbuf_addc(&sb, '\0');
			n++;
			free(red);
		}
		i += step + 1;
	}
	if (sb.oom || sb.len > UINT32_MAX) {
		strbuf_free(&sb);
		return -ENOMEM;
	}
	if (!n) {
		strbuf_free(&sb);
		return 0;
	}
	b = malloc(sizeof(*b) + sb.len);
	if (!b) {
		strbuf_free(&sb);
		return -ENOMEM;
	}
	b->refs = 1;
	b->n = n;
	b->len = (uint32_t)sb.len;
	memcpy(b->data, sb.buf, sb.len);
	strbuf_free(&sb);
	*ret = b;
	return 0;
}
