#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Soak: SOAK_MINUTES (default 30) of exec churn (fork+exec of a binary of
# our own), policy events (openat of one path, each posted) and gRPC clients
# (tetra getevents, one connected throughout, one reconnecting), with the
# agent's RSS sampled every SOAK_SAMPLE seconds (default 60). Reports whether
# RSS stayed flat (median of the last third of the samples within 5% of the
# first third's) and the loss: what the loads made against what the agent's
# metrics say it received, exported or counted as dropped.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
MIN=${SOAK_MINUTES:-30}
SAMPLE=${SOAK_SAMPLE:-60}
cp /bin/true "$work/soak-true"
opath=$work/soak-open
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
policy_file soak sys_openat '    - index: 1
      type: string' "    - matchArgs:
      - index: 1
        operator: Equal
        values: [\"$opath\"]"
metrics() { curl -sf "http://127.0.0.1:$port/metrics"; }
# metric NAME-AND-LABELS-REGEXP: the sum of the matching samples
metric() { metrics | grep -E "^$1" | awk '{ s += $NF } END { printf "%.0f\n", s }'; }

agent_start --tracing-policy "$work/soak.yaml" --metrics-server "127.0.0.1:$port" \
	--export-file-max-size-mb 100 --export-file-max-backups 1
end=$(($(date +%s) + MIN * 60))
live() { [ "$(date +%s)" -lt "$end" ]; }
churn() {	# ~100 execs/s
	while live; do
		"$HELPERS/exec_storm" 50 "$work/soak-true" >/dev/null && echo 50 >>"$work/churn.n"
		sleep 0.3
	done
}
opens() {	# ~200 posted policy events/s
	while live; do
		"$HELPERS/syscall_storm" 200 "$opath" >/dev/null && echo 200 >>"$work/opens.n"
		sleep 1
	done
}
client() {	# reconnects every 10 s
	while live; do
		timeout 10 "$TETRA" getevents --server-address "unix://$work/tetragon.sock" -o compact \
			</dev/null >/dev/null 2>>"$work/client.err" || true
		echo 1 >>"$work/client.n"
	done
}
spawn churn
spawn opens
spawn client
spawn "$TETRA" getevents --server-address "unix://$work/tetragon.sock" </dev/null >"$work/long.json" 2>"$work/long.err"
lpid=$!
t0=$(date +%s)
for ((m = 1; m * SAMPLE <= MIN * 60; m++)); do
	sleep $((t0 + m * SAMPLE - $(date +%s)))
	kill -0 "$apid" || { echo "bench: the agent died" >&2; tail "$work/agent.err" >&2; exit 1; }
	record rss "$(rss_kib "$apid")"
	echo "  $((m * SAMPLE))s: agent RSS $(awk '{ printf "%.1f", $1 / 1024 }' <<<"$(rss_kib "$apid")") MiB" >&2
done
# the loads stop at the deadline; the long client last
for p in "${bg_pids[@]}"; do [ "$p" = "$lpid" ] || wait "$p" || true; done
drain
# the metrics page is rendered each second: until it has the sentinel's exit
for ((i = 0; i < 100; i++)); do
	[ "$(metric "tetragon_events_total\{binary=\"$work/bench-sentinel\".*type=\"PROCESS_EXIT\"")" -gt 0 ] && break
	sleep 0.1
done
metrics >"$work/metrics.txt"
kill -TERM "$lpid"
wait "$lpid" || true
agent_stop

sum() { awk '{ s += $1 } END { print s + 0 }' "$work/$1" 2>/dev/null || echo 0; }
m() { grep -E "^$1" "$work/metrics.txt" | awk '{ s += $NF } END { printf "%.0f\n", s }'; }
execs=$(sum churn.n) opens=$(sum opens.n) clients=$(sum client.n)
bin="binary=\"$work/soak-true\""
seen_exec=$(m "tetragon_events_total\{$bin.*type=\"PROCESS_EXEC\"")
seen_exit=$(m "tetragon_events_total\{$bin.*type=\"PROCESS_EXIT\"")
lost_exec=$(m 'tetragon_bpf_missed_events_total\{.*msg_op="5"')
lost_exit=$(m 'tetragon_bpf_missed_events_total\{.*msg_op="7"')
matched=$(m 'tetragon_policy_hook_calls_total\{.*policy="soak",result="matched"')
hook_lost=$(m 'tetragon_policy_hook_calls_total\{.*policy="soak",result="lost"')
seen_pol=$(m 'tetragon_policy_events_total\{.*policy="soak"')
[ "$seen_pol" -gt 0 ] || seen_pol=$(m 'tetragon_events_total\{.*type="PROCESS_KPROBE"')
piped=$(m 'tetragon_sink_events_total\{sink="metrics"')
written=$(m 'tetragon_sink_events_total\{sink="json-file"')
file_err=$(m 'tetragon_sink_errors_total\{sink="json-file"')
grpc_drop=$(m 'tetragon_notify_overflowed_events_total')
rb_lost=$(m 'tetragon_observer_ringbuf_events_lost_total')
u_exec=$((execs - seen_exec - lost_exec)) u_exit=$((execs - seen_exit - lost_exit))
u_pol=$((opens - seen_pol - hook_lost)) u_file=$((piped - written - file_err))

echo "soak: $MIN minutes of exec churn, policy events and gRPC clients ($AGENT)"
ROUNDS=1 conditions
values rss | awk -v n="$(values rss | wc -l)" '
	{ v[NR] = $1 }
	function med(a, b,   k, i, j, t, w) {	# median of v[a..b]
		k = 0
		for (i = a; i <= b; i++) w[++k] = v[i]
		for (i = 2; i <= k; i++) for (j = i; j > 1 && w[j - 1] > w[j]; j--) { t = w[j]; w[j] = w[j - 1]; w[j - 1] = t }
		return k % 2 ? w[(k + 1) / 2] : (w[k / 2] + w[k / 2 + 1]) / 2
	}
	END {
		t = int(n / 3); if (t < 1) t = 1
		f = med(1, t); l = med(n - t + 1, n)
		printf "  RSS samples (MiB):"; for (i = 1; i <= n; i++) printf " %.1f", v[i] / 1024; printf "\n"
		printf "  RSS first third %.1f MiB, last third %.1f MiB (%+.1f%%): %s\n", f / 1024, l / 1024,
			100 * (l - f) / f, l <= f * 1.05 ? "flat" : "NOT flat"
	}'
echo "  execs made $execs: exec events $seen_exec + counted lost $lost_exec (unaccounted $u_exec);" \
	"exit events $seen_exit + counted lost $lost_exit (unaccounted $u_exit)"
echo "  policy calls made $opens: kernel matched $matched; events $seen_pol + counted lost $hook_lost (unaccounted $u_pol)"
echo "  pipeline events $piped: written to the file $written + file errors $file_err (unaccounted $u_file)"
echo "  gRPC: $clients reconnections, events dropped for slow clients (counted) $grpc_drop;" \
	"the long client got $(wc -l <"$work/long.json") events; ring buffer lost (counted) $rb_lost"
echo "  agent $(grep -o 'stats: [^"]*' "$work/agent.err" | tail -1)"
[ "$u_exec" -eq 0 ] && [ "$u_exit" -eq 0 ] && [ "$u_pol" -eq 0 ] && [ "$u_file" -eq 0 ] &&
	[ "$matched" -eq "$opens" ] && echo "  unaccounted loss: none" || echo "  unaccounted loss: YES (see above)"
