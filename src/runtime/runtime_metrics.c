// SPDX-License-Identifier: Apache-2.0
/* Metrics of container identity: upstream's event cache families, and the runtimes' lookups. */
#include "runtime/runtime_metrics.h"

#include "event/process_events.h"
#include "metrics/exposition.h"

void container_metrics_render(struct strbuf *sb, const struct runtime *r, const struct container_table *t,
			      const struct process_events *pe)
{
	struct runtime_stats st;
	struct container_table_stats ct = { 0 };

	runtime_stats(r, &st);
	if (t)
		container_table_stats(t, &ct);
	metrics_family(sb, "tetragon_containers", "Containers the cached processes are in.", METRIC_GAUGE);
	metrics_sample_u64(sb, "tetragon_containers", NULL, 0, ct.containers);
	metrics_family(sb, "tetragon_cgroups", "Cgroups the cached processes are in.", METRIC_GAUGE);
	metrics_sample_u64(sb, "tetragon_cgroups", NULL, 0, ct.cgroups);

	metrics_family(sb, "tetragon_container_runtime_requests_total",
		       "Container metadata lookups asked of each runtime's API, by result.", METRIC_COUNTER);
	for (int a = 0; a < RT__APIS; a++)
		for (int res = 0; res < RT__RESULTS; res++) {
			const struct metric_label l[2] = { { "result", runtime_result_name(res) },
							   { "runtime", runtime_api_name(a) } };

			metrics_sample_u64(sb, "tetragon_container_runtime_requests_total", l, 2, st.requests[a][res]);
		}
	metrics_family(sb, "tetragon_container_runtime_gave_up_total",
		       "Containers left without runtime metadata after every attempt.", METRIC_COUNTER);
	metrics_sample_u64(sb, "tetragon_container_runtime_gave_up_total", NULL, 0, st.gave_up);
	metrics_family(sb, "tetragon_container_runtime_queue_full_total",
		       "Container lookups postponed because the runtime client's queue was full.", METRIC_COUNTER);
	metrics_sample_u64(sb, "tetragon_container_runtime_queue_full_total", NULL, 0, st.queue_full);

	/* upstream's event cache: events waiting for their pod (here: their container's metadata) */
	metrics_family(sb, "tetragon_event_cache_entries", "The number of entries in the event cache.",
		       METRIC_GAUGE);
	metrics_sample_u64(sb, "tetragon_event_cache_entries", NULL, 0, pe ? pe->hold.n : 0);
	metrics_family(sb, "tetragon_event_cache_inserts_total", "Number of inserts to the event cache.",
		       METRIC_COUNTER);
	metrics_sample_u64(sb, "tetragon_event_cache_inserts_total", NULL, 0, pe ? pe->hold.inserts : 0);
	metrics_family(sb, "tetragon_event_cache_fetch_retries_total",
		       "Number of retries when fetching info from the event cache.", METRIC_COUNTER);
	{
		const struct metric_label l[1] = { { "entry_type", "pod_info" } };

		metrics_sample_u64(sb, "tetragon_event_cache_fetch_retries_total", l, 1, st.retries);
	}
	metrics_family(sb, "tetragon_event_cache_fetch_failures_total",
		       "Number of failures when fetching info from the event cache.", METRIC_COUNTER);
	{
		const struct metric_label l1[2] = { { "entry_type", "pod_info" }, { "event_type", "PROCESS_EXEC" } };
		const struct metric_label l2[2] = { { "entry_type", "pod_info" }, { "event_type", "PROCESS_EXIT" } };

		metrics_sample_u64(sb, "tetragon_event_cache_fetch_failures_total", l1, 2, pe ? pe->hold.failed_exec : 0);
		metrics_sample_u64(sb, "tetragon_event_cache_fetch_failures_total", l2, 2, pe ? pe->hold.failed_exit : 0);
	}
	metrics_family(sb, "tetragon_event_cache_overflows_total",
		       "Events released before their metadata because the event cache was full.", METRIC_COUNTER);
	metrics_sample_u64(sb, "tetragon_event_cache_overflows_total", NULL, 0, pe ? pe->hold.overflows : 0);
}
