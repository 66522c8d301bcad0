/* SPDX-License-Identifier: Apache-2.0 */
#ifndef TG_RUNTIME_RUNTIME_METRICS_H
#define TG_RUNTIME_RUNTIME_METRICS_H

#include "runtime/runtime.h"
#include "util/strbuf.h"

struct process_events;

/* tetragon_containers, tetragon_container_runtime_*, tetragon_event_cache_* (r, t, pe may be NULL). */
void container_metrics_render(struct strbuf *sb, const struct runtime *r, const struct container_table *t,
			      const struct process_events *pe);

#endif
