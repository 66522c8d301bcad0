// SPDX-License-Identifier: Apache-2.0
#include "metrics/agent_metrics.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "abi/msg_process.h"
#include "abi/msg_generic.h"
#include "event/pipeline.h"
#include "event/process_events.h"
#include "metrics/event_counts.h"
#include "metrics/exposition.h"
#include "process/cache.h"
#include "sensors/generic_policy.h"
#include "sensors/process_lifecycle.h"

static void counter(struct strbuf *sb, const char *name, const char *help, uint64_t v)
{
	metrics_family(sb, name, help, METRIC_COUNTER);
	metrics_sample_u64(sb, name, NULL, 0, v);
}

static void gauge(struct strbuf *sb, const char *name, const char *help, double v)
{
	metrics_family(sb, name, help, METRIC_GAUGE);
	metrics_sample_double(sb, name, NULL, 0, v);
}

static void events(struct strbuf *sb, const struct metrics_sources *s)
{
	const struct event_counts *c = s->events;

	metrics_family(sb, "tetragon_events_total", "The total number of Tetragon events", METRIC_COUNTER);
	for (int ec = 0; ec < 64; ec++) {
		const char *t = event_counts_type_name(ec);
		struct metric_label l = { "type", t };

		/* the types this agent produces are always listed, at 0 until seen */
		if (t && (c->by_case[ec] || ec == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC ||
			  ec == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT ||
			  ec == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE ||
			  ec == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT ||
			  ec == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE))
			metrics_sample_u64(sb, "tetragon_events_total", &l, 1, c->by_case[ec]);
	}
	metrics_family(sb, "tetragon_policy_events_total", "Policy events calls observed.", METRIC_COUNTER);
	for (size_t i = 0; i < c->npolicies; i++) {
		struct metric_label l[2] = { { "policy", c->policies[i].policy }, { "hook", c->policies[i].hook } };

		metrics_sample_u64(sb, "tetragon_policy_events_total", l, 2, c->policies[i].n);
	}
}

static const char *op_name(int op)
{
	switch (op) {
	case MSG_OP_EXECVE: return "5";
	case MSG_OP_EXIT: return "7";
	case MSG_OP_CLONE: return "23";
	default: return NULL;
	}
}

static void kernel(struct strbuf *sb, const struct metrics_sources *s)
{
	uint64_t per_op[32] = { 0 }, missed = process_sensor_missed(s->sensor, per_op);
	struct policy_hook_stats st;

	metrics_family(sb, "tetragon_bpf_missed_events_total",
		       "Number of Tetragon perf events that are failed to be sent from the kernel.", METRIC_COUNTER);
	for (int op = 0; op < 32; op++) {
		const char *n = op_name(op);
		struct metric_label l[2] = { { "msg_op", n }, { "error", "ENOSPC" } };

		if (n)
			metrics_sample_u64(sb, "tetragon_bpf_missed_events_total", l, 2, per_op[op]);
	}
	{
		uint64_t pol = 0;
		struct metric_label l[2] = { { "msg_op", "13" }, { "error", "ENOSPC" } };

		for (size_t i = 0; !policy_engine_stats(s->policies, i, &st); i++)
			pol += st.lost;
		metrics_sample_u64(sb, "tetragon_bpf_missed_events_total", l, 2, pol);
	}
	counter(sb, "tetragon_observer_ringbuf_events_received_total",
		"Number of ring buffer records the agent received.", s->ringbuf_records);
	counter(sb, "tetragon_observer_ringbuf_events_lost_total",
		"Number of records the kernel could not put in the ring buffer (full).", missed);
	counter(sb, "tetragon_handler_errors_total",
		"Records the agent could not decode (truncated or unknown).", s->pe->bad_msgs);
	counter(sb, "tetragon_events_missing_process_info_total",
		"Exit records of processes the agent never saw start.", s->pe->exit_misses);
	counter(sb, "tetragon_execve_map_errors_total",
		"Processes the kernel could not track because execve_map was full.",
		process_sensor_map_errors(s->sensor));

	metrics_family(sb, "tetragon_policy_hook_calls_total",
		       "Calls of each policy hook instance, by what the kernel did with them "
		       "(matched and posted, filtered by the selectors, lost, rate limited).", METRIC_COUNTER);
	for (size_t i = 0; !policy_engine_stats(s->policies, i, &st); i++) {
		char hook[256];
		static const char *const what[] = { "matched", "filtered", "lost" };
		const uint64_t v[] = { st.matched, st.filtered, st.lost };

		snprintf(hook, sizeof(hook), "%s/%s", st.subsys, st.event);
		for (int k = 0; k < 3; k++) {
			struct metric_label l[3] = { { "policy", st.policy }, { "hook", hook }, { "result", what[k] } };

			metrics_sample_u64(sb, "tetragon_policy_hook_calls_total", l, 3, v[k]);
		}
	}
	metrics_family(sb, "tetragon_tracingpolicy_loaded", "The number of loaded tracing policy by state.",
		       METRIC_GAUGE);
	{
		struct metric_label en = { "state", "enabled" }, le = { "state", "load_error" };

		metrics_sample_u64(sb, "tetragon_tracingpolicy_loaded", &en, 1, policy_engine_accepted(s->policies));
		metrics_sample_u64(sb, "tetragon_tracingpolicy_loaded", &le, 1, policy_engine_refused(s->policies));
	}
}

static void cache(struct strbuf *sb, const struct metrics_sources *s)
{
	struct process_cache_stats st;
	struct metric_label l = { "operation", "get" };

	process_cache_stats(s->cache, &st);
	gauge(sb, "tetragon_process_cache_size", "The size of the process cache", (double)st.size);
	counter(sb, "tetragon_process_cache_evictions_total",
		"Process cache entries dropped to stay under --process-cache-size.", st.evictions);
	counter(sb, "tetragon_process_cache_stale_reaped_total",
		"Process cache entries of processes that vanished without an exit record.", st.stale_reaped);
	metrics_family(sb, "tetragon_process_cache_misses_total", "Number of process cache misses.",
		       METRIC_COUNTER);
	metrics_sample_u64(sb, "tetragon_process_cache_misses_total", &l, 1, st.misses);
}

static void export_sinks(struct strbuf *sb, const struct metrics_sources *s)
{
	metrics_family(sb, "tetragon_sink_events_total", "Events each output (sink) took.", METRIC_COUNTER);
	for (int i = 0; i < s->pipeline->nsinks; i++) {
		struct metric_label l = { "sink", s->pipeline->sinks[i]->name };

		metrics_sample_u64(sb, "tetragon_sink_events_total", &l, 1, s->pipeline->sinks[i]->written);
	}
	metrics_family(sb, "tetragon_sink_errors_total", "Events an output (sink) failed to write.",
		       METRIC_COUNTER);
	for (int i = 0; i < s->pipeline->nsinks; i++) {
		struct metric_label l = { "sink", s->pipeline->sinks[i]->name };

		metrics_sample_u64(sb, "tetragon_sink_errors_total", &l, 1, s->pipeline->sinks[i]->errors);
	}
}

/* The process_* metrics Prometheus client libraries export. */
static void self(struct strbuf *sb)
{
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long long ut = 0, st = 0, start = 0, vsz = 0, btime = 0, rss = 0;
	char buf[1024], *p;
	size_t nfds = 0;
	FILE *f;
	DIR *d;

	f = fopen("/proc/self/stat", "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
			sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d "
			       "%*d %llu %llu %llu", &ut, &st, &start, &vsz, &rss);
		fclose(f);
	}
	f = fopen("/proc/stat", "r");
	if (f) {
		while (fgets(buf, sizeof(buf), f))
			if (sscanf(buf, "btime %llu", &btime) == 1)
				break;
		fclose(f);
	}
	d = opendir("/proc/self/fd");
	if (d) {
		while (readdir(d))
			nfds++;
		closedir(d);
		nfds = nfds > 2 ? nfds - 3 : 0;	/* ".", ".." and the directory's own fd */
	}
	metrics_family(sb, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
		       METRIC_COUNTER);
	metrics_sample_double(sb, "process_cpu_seconds_total", NULL, 0,
			      tck > 0 ? (double)(ut + st) / (double)tck : 0);
	gauge(sb, "process_resident_memory_bytes", "Resident memory size in bytes.", (double)rss * (double)page);
	gauge(sb, "process_virtual_memory_bytes", "Virtual memory size in bytes.", (double)vsz);
	gauge(sb, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
	      tck > 0 ? (double)btime + (double)start / (double)tck : 0);
	gauge(sb, "process_open_fds", "Number of open file descriptors.", (double)nfds);
}

void agent_metrics_render(struct strbuf *sb, const struct metrics_sources *s)
{
	struct metric_label l[2] = { { "version", s->version }, { "commit", s->version } };

	metrics_family(sb, "tetragon_build_info", "Build information about tetragon", METRIC_GAUGE);
	metrics_sample_u64(sb, "tetragon_build_info", l, 2, 1);
	events(sb, s);
	kernel(sb, s);
	cache(sb, s);
	export_sinks(sb, s);
	self(sb);
}
