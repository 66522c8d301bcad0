// SPDX-License-Identifier: Apache-2.0
#include "metrics/exposition.h"

#include <math.h>

/* HELP text escapes backslash and newline; label values also the quote. */
static void add_escaped(struct strbuf *sb, const char *s, int quote)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			strbuf_adds(sb, "\\\\");
		else if (*s == '\n')
			strbuf_adds(sb, "\\n");
		else if (quote && *s == '"')
			strbuf_adds(sb, "\\\"");
		else
			strbuf_addc(sb, *s);
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
	else
		strbuf_addf(sb, " %.17g\n", value);
}
