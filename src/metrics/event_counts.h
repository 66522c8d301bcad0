/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pipeline sink that counts events for the metrics, with upstream's
 * labels (sorted by name, as the Go client writes them):
 *   tetragon_events_total{binary,namespace,node_name,pod,type,workload}
 *   tetragon_policy_events_total{binary,hook,namespace,node_name,pod,policy,workload}
 *     (hook as upstream's: "kprobe:FN", "tracepoint:SUBSYS/EVENT", "uprobe:PATH/SYMBOL")
 *   tetragon_flags_total{type}  (exec flags: execve, procFS, clone, truncArgs...)
 *   tetragon_syscalls_total{binary,namespace,node_name,pod,syscall,workload}
 *     (raw_syscalls/sys_enter policy events with a syscall64 argument, x86_64 names)
 * The process labels follow --metrics-label-filter: a label left out of it
 * stays in the series with the value "" (as upstream). namespace, workload
 * and pod are "" until there is Kubernetes enrichment.
 *
 * Runs and is read on the agent's event loop thread only.
 */
#ifndef TG_METRICS_EVENT_COUNTS_H
#define TG_METRICS_EVENT_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/pipeline.h"
#include "metrics/registry.h"

/* Distinct label sets kept per family; past them new binaries count under binary="". */
#define EVENT_COUNTS_MAX_SERIES 4096

struct metrics_label_filter {
	bool namespace_, workload, pod, binary, node_name;
};

#define METRICS_DEFAULT_LABEL_FILTER "namespace,workload,pod,binary"

/* Comma-separated label names; unknown names are ignored, as upstream does. */
void metrics_label_filter_parse(struct metrics_label_filter *f, const char *s);

struct event_counts {
	struct event_sink base;
	struct metrics_label_filter filter;
	struct mtable events, policy, flags, syscalls;
	uint64_t label_overflow;	/* events counted under binary="" past the bound */
	uint64_t missing_process;	/* events of a type that carries a process, without one */
};

/* The sink; it stays owned by the pipeline (destroyed with it). f NULL: the default filter. */
struct event_counts *event_counts_new(const struct metrics_label_filter *f);
/* "PROCESS_EXEC"... for an event_case (upstream's EventType names), NULL for unknown ones */
const char *event_counts_type_name(int event_case);

#endif
