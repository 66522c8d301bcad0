// SPDX-License-Identifier: Apache-2.0
#include "metrics/agent_metrics.h"
#include "sensors/agent_actions.h"
#include "runtime/runtime_metrics.h"

#include "grpc/conn_gate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "abi/msg_generic.h"
#include "abi/msg_process.h"
#include "event/pipeline.h"
#include "event/process_events.h"
#include "k8s/k8s.h"
#include "metrics/event_counts.h"
#include "metrics/exposition.h"
#include "metrics/registry.h"
#include "policy/policy.h"
#include "process/cache.h"
#include "process/userdb.h"
#include "sensors/generic_policy.h"
#include "sensors/policy_chunks.h"
#include "sensors/process_lifecycle.h"

/* Build facts, from a header the Makefile writes (see its metrics section). */
#if __has_include("metrics_build_info.h")
#include "metrics_build_info.h"
#endif
#ifndef TG_COMMIT
#define TG_COMMIT ""
#endif
#ifndef TG_COMMIT_TIME
#define TG_COMMIT_TIME ""
#endif
#ifndef TG_MODIFIED
#define TG_MODIFIED "false"
#endif

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

static void build_info(struct strbuf *sb, const struct metrics_sources *s)
{
	const struct metric_label l[] = {
		{ "commit", TG_COMMIT }, { "modified", TG_MODIFIED }, { "time", TG_COMMIT_TIME },
		{ "version", s->version },
	};

	metrics_family(sb, "tetragon_build_info", "Build information about tetragon", METRIC_GAUGE);
	metrics_sample_u64(sb, "tetragon_build_info", l, 4, 1);
}

static void events(struct strbuf *sb, const struct metrics_sources *s)
{
	const struct event_counts *c = s->events;

	counter(sb, "tetragon_events_missing_process_info_total", "Number of events missing process info.",
		(c ? c->missing_process : 0) + s->pe->exit_misses + s->pe->exit_unknown);
	if (!c)
		return;	/* --enable-event-metrics=false */
	metrics_family(sb, "tetragon_events_total", "The total number of Tetragon events", METRIC_COUNTER);
	mtable_render(&c->events, sb, "tetragon_events_total");
	metrics_family(sb, "tetragon_policy_events_total", "Policy events calls observed.", METRIC_COUNTER);
	mtable_render(&c->policy, sb, "tetragon_policy_events_total");
	metrics_family(sb, "tetragon_flags_total", "The total number of Tetragon flags. For internal use only.",
		       METRIC_COUNTER);
	mtable_render(&c->flags, sb, "tetragon_flags_total");
	metrics_family(sb, "tetragon_syscalls_total", "System calls observed.", METRIC_COUNTER);
	mtable_render(&c->syscalls, sb, "tetragon_syscalls_total");
	counter(sb, "tetragon_metrics_label_overflow_total",
		"Events counted with binary=\"\" because their family reached its bound on label sets.",
		c->label_overflow);
}

/* Opcodes as their labels sort. */
static int cmp_op_str(const void *a, const void *b)
{
	char x[16], y[16];

	snprintf(x, sizeof(x), "%u", *(const uint32_t *)a);
	snprintf(y, sizeof(y), "%u", *(const uint32_t *)b);
	return strcmp(x, y);
}

static void kernel(struct strbuf *sb, const struct metrics_sources *s)
{
	/* every ring buffer drop, lifecycle and policy records alike: the kernel's one count */
	uint64_t per_op[32] = { 0 }, missed = process_sensor_missed(s->sensor, per_op);
	char op[16];

	metrics_family(sb, "tetragon_bpf_missed_events_total",
		       "Number of Tetragon perf events that are failed to be sent from the kernel.", METRIC_COUNTER);
	{
		/*
		 * the ring buffer's only failure is a full buffer (ENOSPC); the
		 * opcodes of the lifecycle and of every policy hook back-end,
		 * sorted as strings
		 */
		uint32_t ops[40] = { MSG_OP_EXECVE, MSG_OP_EXIT, MSG_OP_CLONE, MSG_OP_DATA /* maxData chunks */ };
		size_t nops = 4;

		nops += policy_engine_msg_ops(ops + nops, sizeof(ops) / sizeof(ops[0]) - nops);
		qsort(ops, nops, sizeof(ops[0]), cmp_op_str);
		for (size_t k = 0; k < nops; k++) {
			const struct metric_label l[2] = { { "error", "ENOSPC" }, { "msg_op", op } };

			if (ops[k] >= 32)
				continue;
			snprintf(op, sizeof(op), "%u", ops[k]);
			metrics_sample_u64(sb, "tetragon_bpf_missed_events_total", l, 2, per_op[ops[k]]);
		}
	}

	metrics_family(sb, "tetragon_msg_op_total",
		       "The total number of times we encounter a given message opcode. For internal use only.",
		       METRIC_COUNTER);
	for (int i = 0; s->msg_ops && i < METRICS_MSG_OPS; i++) {
		const struct metric_label l = { "msg_op", op };

		if (!s->msg_ops[i])
			continue;
		snprintf(op, sizeof(op), "%d", i);
		metrics_sample_u64(sb, "tetragon_msg_op_total", &l, 1, s->msg_ops[i]);
	}
	counter(sb, "tetragon_observer_ringbuf_events_received_total",
		"Number of perf events Tetragon ring buffer received.", s->ringbuf_records);
	counter(sb, "tetragon_observer_ringbuf_events_lost_total", "Number of perf events Tetragon ring buffer lost.",
		missed);
	metrics_family(sb, "tetragon_handler_errors_total",
		       "The total number of event handler errors. For internal use only.", METRIC_COUNTER);
	{
		/* the process handler counts its failures without the opcode */
		const struct metric_label l[2] = { { "error", "event_handler_failed" }, { "opcode", "0" } };

		metrics_sample_u64(sb, "tetragon_handler_errors_total", l, 2, s->pe->bad_msgs);
	}
	metrics_family(sb, "tetragon_map_errors_update_total", "The number of failed updates per map.",
		       METRIC_COUNTER);
	{
		const struct metric_label l = { "map", "execve_map" };

		metrics_sample_u64(sb, "tetragon_map_errors_update_total", &l, 1, process_sensor_map_errors(s->sensor));
	}
	{
		const struct metric_label l = { "map", "exec_nscaps" };

		metrics_sample_u64(sb, "tetragon_map_errors_update_total", &l, 1,
				   process_sensor_nscaps_errors(s->sensor));
	}
}

static void enforcer_missed(void *arg, const char *policy, const char *reason, const char *info, uint64_t n)
{
	const struct metric_label l[3] = { { "info", info }, { "policy", policy }, { "reason", reason } };

	metrics_sample_u64(arg, "tetragon_enforcer_missed_notifications_total", l, 3, n);
}

static void policies(struct strbuf *sb, const struct metrics_sources *s)
{
	/* upstream's states, every one listed */
	static const char *const states[] = { "disabled", "enabled", "error", "load_error", "partially_enabled",
					      "skipped" };
	/* as upstream, from the policies listed (a file that does not parse is not one) */
	const uint64_t n[6] = {
		policy_engine_count(s->policies, POLICY_STATE_DISABLED),
		policy_engine_count(s->policies, POLICY_STATE_ENABLED),
		policy_engine_count(s->policies, POLICY_STATE_ERROR),
		policy_engine_count(s->policies, POLICY_STATE_LOAD_ERROR),
		0, 0,	/* partially_enabled, skipped: states this engine never reaches */
	};
	struct policy_hook_stats st;
	struct policy_status ps;

	metrics_family(sb, "tetragon_tracingpolicy_loaded", "The number of loaded tracing policy by state.",
		       METRIC_GAUGE);
	for (int k = 0; k < 6; k++) {
		const struct metric_label l = { "state", states[k] };

		metrics_sample_u64(sb, "tetragon_tracingpolicy_loaded", &l, 1, n[k]);
	}
	metrics_family(sb, "tetragon_tracingpolicy_kernel_memory_bytes",
		       "The amount of kernel memory in bytes used by policy's sensors non-shared BPF maps (memlock).",
		       METRIC_GAUGE);
	for (size_t i = 0; !policy_engine_status(s->policies, i, &ps); i++) {
		const struct metric_label l[2] = { { "policy", ps.name }, { "policy_namespace", ps.ns ? ps.ns : "" } };

		metrics_sample_u64(sb, "tetragon_tracingpolicy_kernel_memory_bytes", l, 2, ps.kernel_memory);
	}
	metrics_family(sb, "tetragon_tracingpolicy_selector_actions_total",
		       "The total number of tracing policy actions observed per selector.", METRIC_COUNTER);
	for (size_t i = 0; !policy_engine_status(s->policies, i, &ps); i++) {
		struct policy_selector_actions sa;

		for (size_t n = 0; !policy_engine_selector_actions(s->policies, i, n, &sa); n++) {
			static const char *const act[] = { "monitor_override", "monitor_signal", "override", "post",
							   "signal" };
			const uint64_t v[] = { sa.actions.monitor_override, sa.actions.monitor_signal, sa.actions.override,
					       sa.actions.post, sa.actions.signal };
			char hi[16], si[16];

			snprintf(hi, sizeof(hi), "%u", sa.hook_index);
			snprintf(si, sizeof(si), "%u", sa.selector_index);
			for (size_t k = 0; k < sizeof(act) / sizeof(act[0]); k++) {
				/* a counter appears with its first action, as upstream's */
				const struct metric_label l[] = {
					{ "action", act[k] },	    { "hook", sa.hook },
					{ "hook_index", hi },	    { "policy", ps.name },
					{ "policy_namespace", ps.ns ? ps.ns : "" }, { "selector_index", si },
					{ "selector_label", "" },
				};

				if (v[k])
					metrics_sample_u64(sb, "tetragon_tracingpolicy_selector_actions_total", l, 7,
							   v[k]);
			}
		}
	}
	{
		struct agent_actions_stats as;

		policy_engine_agent_actions(s->policies, &as);
		metrics_family(sb, "tetragon_policy_agent_actions_total",
			       "GetUrl and DnsLookup requests the agent made for policies, by result (dropped: "
			       "the queue was full).", METRIC_COUNTER);
		for (int k = 0; k < AGENT_ACTION__COUNT; k++)
			for (int r = 0; r < AGENT_RESULT__COUNT; r++) {
				const struct metric_label l[2] = { { "action", agent_action_name(k) },
								   { "result", agent_result_name(r) } };

				metrics_sample_u64(sb, "tetragon_policy_agent_actions_total", l, 2, as.results[k][r]);
			}
		gauge(sb, "tetragon_policy_agent_actions_queued", "GetUrl and DnsLookup requests waiting.",
		      (double)as.queued);
		gauge(sb, "tetragon_policy_agent_actions_in_flight", "GetUrl and DnsLookup requests running.",
		      (double)as.running);
	}
	{
		/* maxData chunks, by upstream's event names (NotMatched: arguments reported short of them) */
		struct policy_data_stats ds;
		static const char *const names[] = { "Received", "Added", "Appended", "Matched", "NotMatched", "Bad" };
		uint64_t v[6];

		policy_engine_data_stats(s->policies, &ds);
		v[0] = ds.received, v[1] = ds.added, v[2] = ds.appended, v[3] = ds.matched;
		v[4] = ds.not_matched, v[5] = ds.bad;
		metrics_family(sb, "tetragon_data_events_total",
			       "The number of data events by type. For internal use only.", METRIC_COUNTER);
		for (int k = 0; k < 6; k++) {
			const struct metric_label l = { "event", names[k] };

			metrics_sample_u64(sb, "tetragon_data_events_total", &l, 1, v[k]);
		}
	}
	metrics_family(sb, "tetragon_enforcer_missed_notifications_total",
		       "The number of missed notifications by the enforcer.", METRIC_COUNTER);
	policy_enforcer_missed_each(s->policies, enforcer_missed, sb);
	metrics_family(sb, "tetragon_policy_hook_calls_total",
		       "Calls of each policy hook instance, by what the kernel did with them "
		       "(matched and posted, filtered by the selectors, lost).", METRIC_COUNTER);
	for (size_t i = 0; !policy_engine_stats(s->policies, i, &st); i++) {
		char hook[256];
		static const char *const what[] = { "filtered", "lost", "matched" };
		const uint64_t v[] = { st.filtered, st.lost, st.matched };

		snprintf(hook, sizeof(hook), "%s/%s", st.subsys, st.event);
		for (int k = 0; k < 3; k++) {
			const struct metric_label l[4] = { { "hook", hook },
							   { "policy", st.policy },
							   { "policy_namespace", st.ns },
							   { "result", what[k] } };

			metrics_sample_u64(sb, "tetragon_policy_hook_calls_total", l, 4, v[k]);
		}
	}
	metrics_family(sb, "tetragon_policy_scope_filtered_total",
		       "Calls of each hook instance of a workload-scoped policy by processes out of its workloads "
		       "(counted in filtered too).", METRIC_COUNTER);
	for (size_t i = 0; !policy_engine_stats(s->policies, i, &st); i++) {
		char hook[256];
		const struct metric_label l[3] = { { "hook", hook },
						   { "policy", st.policy },
						   { "policy_namespace", st.ns } };

		snprintf(hook, sizeof(hook), "%s/%s", st.subsys, st.event);
		if (st.scope_filtered)
			metrics_sample_u64(sb, "tetragon_policy_scope_filtered_total", l, 3, st.scope_filtered);
	}
}

static void cache(struct strbuf *sb, const struct metrics_sources *s)
{
	struct process_cache_stats st;
	const struct metric_label l = { "operation", "get" };

	process_cache_stats(s->cache, &st);
	gauge(sb, "tetragon_process_cache_size", "The size of the process cache", (double)st.size);
	gauge(sb, "tetragon_process_cache_capacity", "The capacity of the process cache. Expected to be constant.",
	      (double)s->cache_capacity);
	counter(sb, "tetragon_process_cache_evictions_total",
		"Number of process cache LRU evictions. This includes all evictions: both explicit and capacity "
		"(implicit).", st.evictions + st.stale_reaped);
	counter(sb, "tetragon_process_cache_capacity_evictions_total",
		"Process cache entries dropped to stay under --process-cache-size.", st.evictions);
	counter(sb, "tetragon_process_cache_stale_reaped_total",
		"Process cache entries of processes that vanished without an exit record.", st.stale_reaped);
	metrics_family(sb, "tetragon_process_cache_misses_total", "Number of process cache misses.",
		       METRIC_COUNTER);
	metrics_sample_u64(sb, "tetragon_process_cache_misses_total", &l, 1, st.misses);
}

/* Ours: who the API turned away (README "Security model"). */
static void api_door(struct strbuf *sb, const struct conn_gate_stats *a)
{
	static const struct conn_gate_stats none;
	const struct metric_label reasons[] = {
		{ "reason", "total" }, { "reason", "per_client" }, { "reason", "descriptors" },
		{ "reason", "protocol" }, { "reason", "tls" },
	};

	if (!a)
		a = &none;
	gauge(sb, "tetragon_api_connections", "API connections open (unix socket and TCP).", a->open);
	counter(sb, "tetragon_api_connections_accepted_total", "API connections accepted.", a->accepted);
	metrics_family(sb, "tetragon_api_connections_refused_total",
		       "API connections refused or closed: over the total or per-client bound, out of descriptors, "
		       "for breaking the HTTP/2 limits, or for a failed or unfinished TLS handshake.", METRIC_COUNTER);
	metrics_sample_u64(sb, "tetragon_api_connections_refused_total", &reasons[0], 1, a->refused_total);
	metrics_sample_u64(sb, "tetragon_api_connections_refused_total", &reasons[1], 1, a->refused_per_client);
	metrics_sample_u64(sb, "tetragon_api_connections_refused_total", &reasons[2], 1, a->refused_fds);
	metrics_sample_u64(sb, "tetragon_api_connections_refused_total", &reasons[3], 1, a->closed_protocol);
	metrics_sample_u64(sb, "tetragon_api_connections_refused_total", &reasons[4], 1, a->closed_tls);
	counter(sb, "tetragon_api_calls_denied_total",
		"API calls refused: the caller may not make them, or holds too many event streams.",
		a->denied_calls);
}

static void outputs(struct strbuf *sb, const struct metrics_sources *s)
{
	const struct event_sink *x = s->export_sink;

	counter(sb, "tetragon_events_exported_total", "Total number of events exported", x ? x->written : 0);
	counter(sb, "tetragon_events_exported_bytes_total", "Number of bytes exported for events", x ? x->bytes : 0);
	gauge(sb, "tetragon_events_last_exported_timestamp", "Timestamp of the most recent event to be exported",
	      x ? (double)x->last_time : 0);
	counter(sb, "tetragon_export_ratelimit_events_dropped_total",
		"Number of events dropped on export due to rate limiting", s->ratelimit_dropped);
	counter(sb, "tetragon_notify_overflowed_events_total",
		"The total number of events dropped because listener buffer was full", s->grpc_dropped);
	api_door(sb, s->api);
	metrics_family(sb, "tetragon_sink_events_total",
		       "Events each output (sink) wrote (the line outputs: whole lines written).", METRIC_COUNTER);
	for (int i = 0; i < s->pipeline->nsinks; i++) {
		const struct metric_label l = { "sink", s->pipeline->sinks[i]->name };

		metrics_sample_u64(sb, "tetragon_sink_events_total", &l, 1, s->pipeline->sinks[i]->written);
	}
	metrics_family(sb, "tetragon_sink_errors_total", "Events an output (sink) failed to write (lost).",
		       METRIC_COUNTER);
	for (int i = 0; i < s->pipeline->nsinks; i++) {
		const struct metric_label l = { "sink", s->pipeline->sinks[i]->name };

		metrics_sample_u64(sb, "tetragon_sink_errors_total", &l, 1, s->pipeline->sinks[i]->errors);
	}
}

/* The process_* metrics Prometheus client libraries export. */
static void self(struct strbuf *sb)
{
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long long ut = 0, st = 0, start = 0, vsz = 0, btime = 0, rss = 0;
	char buf[1024], *p;
	struct rlimit rl;
	size_t nfds = 0;
	FILE *f;
	DIR *d;

	f = fopen("/proc/self/stat", "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
			sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d "
			       "%*d %llu %llu %llu", &ut, &st, &start, &vsz, &rss);
		fclose(f);
	}
	f = fopen("/proc/stat", "re");
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
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		gauge(sb, "process_max_fds", "Maximum number of open file descriptors.",
		      rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur);
	gauge(sb, "process_open_fds", "Number of open file descriptors.", (double)nfds);
	gauge(sb, "process_resident_memory_bytes", "Resident memory size in bytes.", (double)rss * (double)page);
	gauge(sb, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
	      tck > 0 ? (double)btime + (double)start / (double)tck : 0);
	gauge(sb, "process_virtual_memory_bytes", "Virtual memory size in bytes.", (double)vsz);
	if (!getrlimit(RLIMIT_AS, &rl))
		gauge(sb, "process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.",
		      rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur);
}

/* --username-metadata=unix: what the passwd lookups gave (nothing without the flag) */
static void user_names(struct strbuf *sb, const struct metrics_sources *s)
{
	struct userdb_stats us;
	static const char *const result[] = { "resolved", "unknown_uid", "failed" };

	if (!s->pe || !s->pe->users)
		return;
	userdb_get_stats(s->pe->users, &us);
	const uint64_t v[] = { us.resolved, us.unknown_uid, us.failed };

	metrics_family(sb, "tetragon_user_name_lookups_total",
		       "process.user.name lookups (--username-metadata=unix), by result: resolved, unknown_uid "
		       "(not in the process' passwd file), failed (no passwd file to read; the log says why).",
		       METRIC_COUNTER);
	for (int k = 0; k < 3; k++) {
		const struct metric_label l = { "result", result[k] };

		metrics_sample_u64(sb, "tetragon_user_name_lookups_total", &l, 1, v[k]);
	}
}

void agent_metrics_render(struct strbuf *sb, const struct metrics_sources *s)
{
	build_info(sb, s);
	events(sb, s);
	kernel(sb, s);
	policies(sb, s);
	cache(sb, s);
	user_names(sb, s);
	container_metrics_render(sb, s->runtime, s->containers, s->pe);
	outputs(sb, s);
	k8s_metrics_render(sb, s->k8s);	/* owner: src/k8s; nothing without --enable-k8s-api */
	self(sb);
}
