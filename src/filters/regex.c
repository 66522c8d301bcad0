// SPDX-License-Identifier: Apache-2.0
#include "filters/regex.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

/* Characters that keep their backslash in a POSIX ERE outside brackets. */
static bool ere_special(char c)
{
	return c && strchr(".[]()*+?{}|^$\\", c);
}

static int bad(char *err, size_t errlen, const char *pattern, const char *why)
{
	snprintf(err, errlen, "regexp \"%s\": %s", pattern, why);
	return -EINVAL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* \t \n ... \xHH: the byte, or -1 when *p is not such an escape. Advances *p. */
static int char_escape(const char **p)
{
	const char *s = *p;
	int hi, lo;

	switch (*s) {
	case 't': *p = s + 1; return '\t';
	case 'n': *p = s + 1; return '\n';
	case 'r': *p = s + 1; return '\r';
	case 'f': *p = s + 1; return '\f';
	case 'v': *p = s + 1; return '\v';
	case 'a': *p = s + 1; return '\a';
	case 'x':
		hi = hexval(s[1]);
		lo = hi >= 0 ? hexval(s[2]) : -1;
		if (lo < 0 || (hi << 4 | lo) == 0 || (hi << 4 | lo) > 0x7f)
			return -1;
		*p = s + 3;
		return hi << 4 | lo;
	}
	return -1;
}

/* A bracket expression's members, re-emitted in an order POSIX accepts. */
struct bracket {
	bool neg, rbracket, dash, caret;
	struct strbuf rest;
};

static int bracket_add_char(struct bracket *b, char c)
{
	if (c == ']')
		b->rbracket = true;
	else if (c == '-')
		b->dash = true;
	else if (c == '^')
		b->caret = true;
	else if (c == '[')
		strbuf_adds(&b->rest, "[.[.]");	/* avoid "[:" "[." "[=" openers */
	else
		strbuf_addc(&b->rest, c);
	return 0;
}

/* Parses from just after '[' ; *p ends after the closing ']'. */
static int translate_bracket(const char **p, const char *pattern, struct strbuf *out, char *err, size_t errlen)
{
	struct bracket b = { 0 };
	const char *s = *p;
	bool first = true;
	int ret = 0;

	if (*s == '^') {
		b.neg = true;
		s++;
	}
	for (;; first = false) {
		char c = *s, lo;

		if (!c) {
			ret = bad(err, errlen, pattern, "missing ]");
			goto out;
		}
		if (c == ']' && !first) {
			s++;
			break;
		}
		if (c == '[' && s[1] == ':') {
			const char *e = strstr(s + 2, ":]");

			if (!e) {
				ret = bad(err, errlen, pattern, "unterminated [:class:]");
				goto out;
			}
			strbuf_add(&b.rest, s, (size_t)(e + 2 - s));
			s = e + 2;
			continue;
		}
		if (c == '\\') {
			const char *q = s + 1;
			int ch;

			switch (*q) {
			case 'd': strbuf_adds(&b.rest, "0-9"); s += 2; continue;
			case 's': strbuf_adds(&b.rest, "[:space:]"); s += 2; continue;
			case 'w': strbuf_adds(&b.rest, "[:alnum:]_"); s += 2; continue;
			case 'D': case 'S': case 'W':
				ret = bad(err, errlen, pattern, "negated class (\\D, \\S, \\W) inside [] is not supported");
				goto out;
			}
			ch = char_escape(&q);
			if (ch < 0) {
				if (!*q || isalnum((unsigned char)*q)) {
					ret = bad(err, errlen, pattern, "unsupported escape inside []");
					goto out;
				}
				ch = *q++;
			}
			c = (char)ch;
			s = q;
		} else {
			s++;
		}
		/* a range c-x (not "c-]") */
		if (*s == '-' && s[1] && s[1] != ']') {
			lo = c;
			s++;
			c = *s++;
			if (c == '\\') {
				const char *q = s;
				int ch = char_escape(&q);

				if (ch < 0) {
					if (!*q || isalnum((unsigned char)*q)) {
						ret = bad(err, errlen, pattern, "unsupported escape inside []");
						goto out;
					}
					ch = *q++;
				}
				c = (char)ch;
				s = q;
			}
			if ((unsigned char)lo > (unsigned char)c) {
				ret = bad(err, errlen, pattern, "invalid character class range");
				goto out;
			}
			if (lo == ']' || lo == '-' || lo == '^' || lo == '[' || c == ']' || c == '-' || c == '[') {
				ret = bad(err, errlen, pattern, "ranges starting or ending with ] - ^ [ are not supported");
				goto out;
			}
			strbuf_addc(&b.rest, lo);
			strbuf_addc(&b.rest, '-');
			strbuf_addc(&b.rest, c);
			continue;
		}
		bracket_add_char(&b, c);
	}
	if (!b.neg && b.caret && !b.rbracket && !b.rest.len && !b.dash) {
		strbuf_adds(out, "\\^");	/* a set of just '^' */
		goto out;
	}
	strbuf_addc(out, '[');
	if (b.neg)
		strbuf_addc(out, '^');
	if (b.rbracket)
		strbuf_addc(out, ']');
	if (b.rest.len)
		strbuf_add(out, b.rest.buf, b.rest.len);
	if (b.caret)
		strbuf_addc(out, '^');	/* never first here */
	if (b.dash)
		strbuf_addc(out, '-');
	strbuf_addc(out, ']');
out:
	strbuf_free(&b.rest);
	*p = s;
	return ret;
}

int tg_regex_translate(const char *pattern, char **posix, int *cflags, char *err, size_t errlen)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = pattern;
	bool after_quant = false;
	int ret = 0, depth = 0;

	*cflags = REG_EXTENDED | REG_NOSUB;
	if (!strncmp(s, "(?i)", 4)) {
		*cflags |= REG_ICASE;
		s += 4;
	}
	while (*s) {
		char c = *s;
		bool quant = false;

		if (after_quant && c == '?') {
			s++;	/* lazy: same match set */
			after_quant = false;
			continue;
		}
		if (c == '\\') {
			const char *q = s + 1;
			int ch;

			switch (*q) {
			case 'd': strbuf_adds(&out, "[0-9]"); s += 2; goto next;
			case 'D': strbuf_adds(&out, "[^0-9]"); s += 2; goto next;
			case 'A': strbuf_addc(&out, '^'); s += 2; goto next;
			case 'z': strbuf_addc(&out, '$'); s += 2; goto next;
			case 's': case 'S': case 'w': case 'W': case 'b': case 'B':
				strbuf_addc(&out, '\\');
				strbuf_addc(&out, *q);
				s += 2;
				goto next;
			case '\0':
				ret = bad(err, errlen, pattern, "trailing backslash");
				goto out;
			}
			ch = char_escape(&q);
			if (ch >= 0) {
				strbuf_addc(&out, (char)ch);
				s = q;
				goto next;
			}
			if (isalnum((unsigned char)*q)) {
				ret = bad(err, errlen, pattern, "unsupported escape (RE2 only)");
				goto out;
			}
			if (ere_special(*q))
				strbuf_addc(&out, '\\');
			strbuf_addc(&out, *q);
			s += 2;
			goto next;
		}
		if (c == '[') {
			s++;
			ret = translate_bracket(&s, pattern, &out, err, errlen);
			if (ret)
				goto out;
			goto next;
		}
		if (c == '(' && s[1] == '?') {
			if (s[2] == ':') {
				s += 3;
			} else if (s[2] == 'P' && s[3] == '<') {
				const char *e = strchr(s, '>');

				if (!e) {
					ret = bad(err, errlen, pattern, "unterminated group name");
					goto out;
				}
				s = e + 1;
			} else if (s[2] == '<' && s[3] != '=' && s[3] != '!') {
				const char *e = strchr(s, '>');

				if (!e) {
					ret = bad(err, errlen, pattern, "unterminated group name");
					goto out;
				}
				s = e + 1;
			} else {
				ret = bad(err, errlen, pattern, "(?...) flags and lookaround are not supported");
				goto out;
			}
			strbuf_addc(&out, '(');
			depth++;
			goto next;
		}
		if (c == '(')
			depth++;
		if (c == ')' && depth-- == 0) {
			ret = bad(err, errlen, pattern, "unexpected )");
			goto out;
		}
		if (c == '*' || c == '+' || c == '?')
			quant = true;
		if (c == '{') {
			/* a repetition {n}, {n,}, {n,m}; otherwise a literal brace as in RE2 */
			const char *q = s + 1;

			while (isdigit((unsigned char)*q))
				q++;
			if (q > s + 1 && *q == ',') {
				q++;
				while (isdigit((unsigned char)*q))
					q++;
			}
			if (q > s + 1 && *q == '}') {
				strbuf_add(&out, s, (size_t)(q + 1 - s));
				s = q + 1;
				after_quant = true;
				continue;
			}
			strbuf_adds(&out, "\\{");
			s++;
			goto next;
		}
		if (c == '}') {
			strbuf_adds(&out, "\\}");
			s++;
			goto next;
		}
		strbuf_addc(&out, c);
		s++;
		after_quant = quant;
		continue;
next:
		after_quant = false;
	}
	if (out.oom) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	*posix = strbuf_detach(&out, NULL);
	if (!*posix) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
out:
	strbuf_free(&out);
	return ret;
}

int tg_regex_compile(regex_t *re, const char *pattern, char *err, size_t errlen)
{
	char *posix = NULL;
	int cflags, r;

	r = tg_regex_translate(pattern, &posix, &cflags, err, errlen);
	if (r)
		return r;
	r = regcomp(re, posix, cflags);
	free(posix);
	if (r) {
		char why[128];

		regerror(r, NULL, why, sizeof(why));
		for (char *p = why; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		return bad(err, errlen, pattern, why);
	}
	return 0;
}

bool tg_regex_match(const regex_t *re, const char *s)
{
	return regexec(re, s ? s : "", 0, NULL, 0) == 0;
}
