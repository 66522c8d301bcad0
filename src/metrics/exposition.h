/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus text exposition format (version 0.0.4): HELP/TYPE headers and
 * samples with escaped label values. Stateless writers into a strbuf.
 */
#ifndef TG_METRICS_EXPOSITION_H
#define TG_METRICS_EXPOSITION_H

#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE };

struct metric_label {
	const char *name;
	const char *value;
};

/* "# HELP name help" and "# TYPE name counter|gauge" */
void metrics_family(struct strbuf *sb, const char *name, const char *help, enum metric_type type);
/* "name{l1="v1",...} value"; labels may be NULL when n is 0 */
void metrics_sample_u64(struct strbuf *sb, const char *name, const struct metric_label *labels, size_t n,
			uint64_t value);
void metrics_sample_double(struct strbuf *sb, const char *name, const struct metric_label *labels, size_t n,
			   double value);

#endif
