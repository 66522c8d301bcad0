// SPDX-License-Identifier: Apache-2.0
/* Filter regexps: RE2 (filters/re2_shim.cc) with limits and messages. */
#include "filters/regex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters_internal.h"
#include "filters/re2_shim.h"
#include "util/strbuf.h"

struct tg_regex {
	struct tg_re2 *re;
};

void tg_regex_fmt_size(char *buf, size_t len, int64_t bytes)
{
	if (bytes >= (1 << 20) && !(bytes % (1 << 20)))
		snprintf(buf, len, "%lld MiB", (long long)(bytes >> 20));
	else if (bytes >= 1024)
		snprintf(buf, len, "%lld KiB", (long long)(bytes >> 10));	/* rounded down */
	else
		snprintf(buf, len, "%lld bytes", (long long)bytes);
}

/*
 * Go accepts (?<name>...) as well as (?P<name>...); this RE2 only the
 * latter. Escapes, \Q...\E and character classes are skipped so that only
 * real group openers change; (?<= and (?<! stay (lookbehind, refused).
 */
static int rewrite_named_groups(const char *p, struct strbuf *out)
{
	size_t n = strlen(p), i = 0;

	while (i < n) {
		if (p[i] == '\\' && p[i + 1] == 'Q') {
			const char *e = strstr(p + i + 2, "\\E");
			size_t l = e ? (size_t)(e + 2 - (p + i)) : n - i;

			strbuf_add(out, p + i, l);
			i += l;
		} else if (p[i] == '\\') {
			size_t l = p[i + 1] ? 2 : 1;

			strbuf_add(out, p + i, l);
			i += l;
		} else if (p[i] == '[') {
			/* a class: a leading ']' is literal, [:name:] has its own ']' */
			size_t j = i + 1;

			if (p[j] == '^')
				j++;
			if (p[j] == ']')
				j++;
			while (j < n && p[j] != ']') {
				const char *e;

				if (p[j] == '\\' && p[j + 1])
					j += 2;
				else if (p[j] == '[' && p[j + 1] == ':' && (e = strstr(p + j + 2, ":]")))
					j = (size_t)(e + 2 - p);
				else
					j++;
			}
			if (j < n)
				j++;
			strbuf_add(out, p + i, j - i);
			i = j;
		} else if (!strncmp(p + i, "(?<", 3) && p[i + 3] != '=' && p[i + 3] != '!') {
			strbuf_adds(out, "(?P<");
			i += 3;
		} else {
			strbuf_addc(out, p[i++]);
		}
	}
	return out->oom ? -ENOMEM : 0;
}

static int compile(struct tg_regex **re, const char *pattern, int64_t max_mem, bool capture, char *err,
		   size_t errlen)
{
	struct strbuf rw = STRBUF_INIT;
	char why[160], arg[64], q[80], lim[32];
	enum tg_re2_status st;
	struct tg_regex *r;
	const char *p;
	size_t len;

	*re = NULL;
	pattern = pattern ? pattern : "";
	len = strlen(pattern);
	if (len > TG_REGEX_MAX_LEN) {
		snprintf(err, errlen, "pattern is %zu bytes, the limit is %d", len, TG_REGEX_MAX_LEN);
		return -EINVAL;
	}
	p = pattern;
	if (strstr(pattern, "(?<")) {
		if (rewrite_named_groups(pattern, &rw)) {
			strbuf_free(&rw);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		p = rw.buf;
		len = rw.len;
	}
	r = calloc(1, sizeof(*r));
	st = !r ? TG_RE2_NOMEM :
	     capture ? tg_re2_compile_captures(&r->re, p, len, max_mem, why, sizeof(why), arg, sizeof(arg)) :
		       tg_re2_compile(&r->re, p, len, max_mem, why, sizeof(why), arg, sizeof(arg));
	strbuf_free(&rw);
	if (st == TG_RE2_OK) {
		*re = r;
		return 0;
	}
	free(r);
	filter_quote(q, sizeof(q), pattern, strlen(pattern));
	switch (st) {
	case TG_RE2_NOMEM:
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	case TG_RE2_TOO_LARGE:
		tg_regex_fmt_size(lim, sizeof(lim), max_mem);
		snprintf(err, errlen, "pattern too large (compiled program exceeds %s)", lim);
		return -E2BIG;
	case TG_RE2_BAD_ESCAPE:
		if (arg[0] == '\\' && arg[1] >= '1' && arg[1] <= '9' && !arg[2]) {
			snprintf(err, errlen, "regexp \"%s\": backreferences (%s) are not supported (RE2 syntax, "
				 "as upstream's Go regexp)", q, arg);
			return -EINVAL;
		}
		break;
	case TG_RE2_BAD_PERL_OP:
		if (!strncmp(arg, "(?=", 3) || !strncmp(arg, "(?!", 3) || !strncmp(arg, "(?<", 3)) {
			snprintf(err, errlen, "regexp \"%s\": lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are "
				 "not supported (RE2 syntax, as upstream's Go regexp)", q);
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	snprintf(err, errlen, "regexp \"%s\": %s", q, why);
	return -EINVAL;
}

int tg_regex_compile(struct tg_regex **re, const char *pattern, int64_t max_mem, char *err, size_t errlen)
{
	return compile(re, pattern, max_mem, false, err, errlen);
}

int tg_regex_compile_captures(struct tg_regex **re, const char *pattern, int64_t max_mem, char *err,
			      size_t errlen)
{
	return compile(re, pattern, max_mem, true, err, errlen);
}

int tg_regex_ngroups(const struct tg_regex *re)
{
	return tg_re2_ngroups(re->re);
}

bool tg_regex_find(const struct tg_regex *re, const char *s, size_t len, size_t start, size_t *spans, int nspans)
{
	return tg_re2_find(re->re, s ? s : "", s ? len : 0, start, spans, nspans);
}

bool tg_regex_match(const struct tg_regex *re, const char *s)
{
	s = s ? s : "";
	return tg_re2_search(re->re, s, strlen(s));
}

void tg_regex_free(struct tg_regex *re)
{
	if (!re)
		return;
	tg_re2_free(re->re);
	free(re);
}
