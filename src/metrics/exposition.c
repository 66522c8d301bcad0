// SPDX-License-Identifier: Apache-2.0
#include "metrics/exposition.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Length of the valid UTF-8 sequence at p (1..4), 0 when it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f))
			return 0;	/* overlong, or a UTF-16 surrogate */
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * HELP text escapes backslash and newline; label values also the quote.
 * The format is UTF-8: a byte that is not part of a valid sequence (a file
 * name can hold any byte) becomes U+FFFD.
 */
static void add_escaped(struct strbuf *sb, const char *s, int quote)
{
	const unsigned char *p = (const unsigned char *)s;

	while (p && *p) {
		size_t n;

		if (*p == '\\')
			strbuf_adds(sb, "\\\\");
		else if (*p == '\n')
			strbuf_adds(sb, "\\n");
		else if (quote && *p == '"')
			strbuf_adds(sb, "\\\"");
		else if ((n = utf8_len(p))) {
			strbuf_add(sb, p, n);
			p += n;
			continue;
		} else
			strbuf_adds(sb, "\xef\xbf\xbd");
		p++;
	}
}

void metrics_family(struct strbuf *sb, const char *name, const char *help, enum metric_type type)
{
	strbuf_addf(sb, "# HELP %s ", name);
	add_escaped(sb, help, 0);
	strbuf_addf(sb, "\n# TYPE %s %s\n", name, type == METRIC_COUNTER ? "counter" : "gauge");
}

static void head(struct strbuf *sb, const char *name, const struct metric_label *labels, size_t n)
{
	strbuf_adds(sb, name);
	if (!n)
		return;
	strbuf_addc(sb, '{');
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(sb, "%s%s=\"", i ? "," : "", labels[i].name);
		add_escaped(sb, labels[i].value ? labels[i].value : "", 1);
		strbuf_addc(sb, '"');
	}
	strbuf_addc(sb, '}');
}

void metrics_sample_u64(struct strbuf *sb, const char *name, const struct metric_label *labels, size_t n,
			uint64_t value)
{
	head(sb, name, labels, n);
	strbuf_addf(sb, " %llu\n", (unsigned long long)value);
}

void metrics_sample_double(struct strbuf *sb, const char *name, const struct metric_label *labels, size_t n,
			   double value)
{
	head(sb, name, labels, n);
	if (isnan(value))
		strbuf_adds(sb, " NaN\n");
	else if (isinf(value))
		strbuf_adds(sb, value > 0 ? " +Inf\n" : " -Inf\n");
	else {
		/* the shortest form that reads back exactly, as Go's FormatFloat(v, 'g', -1) */
		char buf[32];

		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, value);
			if (strtod(buf, NULL) == value)
				break;
		}
		strbuf_addf(sb, " %s\n", buf);
	}
}
