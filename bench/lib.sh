# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Shared by the benchmarks (sourced): the agent's start and stop, paired
# rounds and their summary. A benchmark measures one thing per round in
# each condition, interleaved (no agent, agent, no agent, ...), records the
# values with `record NAME VALUE`, and reports the per-round ratios with
# `summary_ratio`: their median and their range (min-max), so one noisy
# round cannot mislead. ROUNDS (default 9) sets the pairs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD=${BUILD:-build}
AGENT=${AGENT:-$BUILD/bin/tetragon}
TETRA=${TETRA:-$BUILD/bin/tetra}
HELPERS=$BUILD/tests/helpers
ROUNDS=${ROUNDS:-9}
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }
for f in "$AGENT" "$HELPERS/exec_storm" "$HELPERS/syscall_storm"; do
	[ -x "$f" ] || { echo "bench: $f missing (make all tests)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/tg-bench.XXXXXX)
apid=""
bg_pids=()
bench_cleanup() {
	local p
	for p in "${bg_pids[@]}" $apid; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap bench_cleanup EXIT

# spawn CMD...: in the background, killed at exit if still running; its pid in $!.
spawn() { "$@" & bg_pids+=($!); }

# wait_for FILE PATTERN [SECONDS]: until FILE holds a line matching PATTERN.
wait_for() {
	local i
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: no '$2' in $1 after ${3:-30}s" >&2
	return 1
}

# agent_start [AGENT FLAGS...]: the agent exporting JSON to $work/events.log,
# its log in $work/agent.err, its own unix socket; waits until it runs.
agent_start() {
	rm -f "$work/events.log" "$work/agent.err"
	"$AGENT" --stdout none --server-address "unix://$work/tetragon.sock" --info-file "" \
		--export-filename "$work/events.log" --export-file-max-size-mb 100000 \
		"$@" 2>"$work/agent.err" &
	apid=$!
	wait_for "$work/agent.err" "tetragon running" 60 || { cat "$work/agent.err" >&2; exit 1; }
}

# agent_stop: SIGTERM and wait. Sets agent_cpu (user+system seconds) and agent_hwm (peak RSS, KiB).
agent_stop() {
	local ut st
	read -r ut st < <(awk '{print $14, $15}' "/proc/$apid/stat")
	# shellcheck disable=SC2034  # read by the benchmarks
	agent_cpu=$(awk -v u="$ut" -v s="$st" -v c="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", (u + s) / c }')
	# shellcheck disable=SC2034
	agent_hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$apid/status")
	kill -TERM "$apid"
	wait "$apid" || true
	apid=""
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# prog_runtime PID NAME CMD...: nanoseconds per run of the BPF programs PID
# holds whose name starts with NAME, while CMD runs (kernel.bpf_stats_enabled
# on meanwhile: it adds its own clock reads, so never on while timing).
prog_runtime() {
	local pid=$1 name=$2 old a b
	shift 2
	old=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -q -w kernel.bpf_stats_enabled=1
	a=$(_prog_stats "$pid" "$name")
	"$@" >/dev/null
	b=$(_prog_stats "$pid" "$name")
	sysctl -q -w kernel.bpf_stats_enabled="$old"
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x); split(b, y); print (y[1] > x[1] ? (y[2] - x[2]) / (y[1] - x[1]) : 0) }'
}
_prog_stats() {	# "runs ns" summed over the program fds PID holds (their fdinfo)
	bpftool prog show -j | python3 -c '
import glob, json, sys
pid, name = sys.argv[1], sys.argv[2]
names = {p["id"]: p.get("name", "") for p in json.load(sys.stdin)}
runs = ns = 0
seen = set()
for f in glob.glob("/proc/%s/fdinfo/*" % pid):
    try:
        info = dict(l.split(":", 1) for l in open(f).read().splitlines() if ":" in l)
    except OSError:
        continue
    i = int(info.get("prog_id", "0"))
    if i and i not in seen and names.get(i, "").startswith(name):
        seen.add(i)
        runs += int(info.get("run_cnt", "0"))
        ns += int(info.get("run_time_ns", "0"))
print(runs, ns)' "$1" "$2"
}

# mark: where export_wait starts reading (the export file's size now).
mark() { mark=$(stat -c %s "$work/events.log" 2>/dev/null || echo 0); }

# export_wait PATTERN [SECONDS]: until a line exported after the mark matches.
export_wait() {
	local i off=$mark size
	for ((i = 0; i < ${2:-60} * 10; i++)); do
		size=$(stat -c %s "$work/events.log" 2>/dev/null || echo 0)
		if [ "$size" -gt "$off" ]; then
			(set +o pipefail; tail -c +$((off + 1)) "$work/events.log" | grep -q -- "$1") && return 0
			off=$((size > mark + 65536 ? size - 65536 : mark))	# a line across two reads
		fi
		sleep 0.1
	done
	echo "bench: no event matching '$1' exported within ${2:-60}s" >&2
	return 1
}

# drain: until every process record before now is exported: a binary of our
# own runs, and its exit (after every earlier record in the ring buffer) is
# waited for. The export file also holds the rest of the machine's events.
drain() {
	[ -x "$work/bench-sentinel" ] || cp /bin/true "$work/bench-sentinel"
	mark
	"$work/bench-sentinel"
	export_wait "\"process_exit\".*\"binary\":\"$work/bench-sentinel\""
}

# record NAME VALUE: one round's value.
record() { echo "$2" >>"$work/v.$1"; }

# The values of NAME, one a line (for ad hoc awk).
values() { cat "$work/v.$1"; }

# summary_ratio LABEL NUM DEN: the per-round ratios NUM[i] / DEN[i].
summary_ratio() {
	paste "$work/v.$2" "$work/v.$3" | awk '{ print $1 / $2 }' | _summary "$1" "%.3f" ""
}

# summary LABEL NAME FORMAT [UNIT] [SCALE]: the recorded values of NAME (times SCALE).
summary() {
	awk -v k="${5:-1}" '{ print $1 * k }' "$work/v.$2" | _summary "$1" "$3" "${4:-}"
}

# summary_diff LABEL A B FORMAT [UNIT] [SCALE]: the per-round differences (A[i] - B[i]) * SCALE.
summary_diff() {
	paste "$work/v.$2" "$work/v.$3" | awk -v k="${6:-1}" '{ print ($1 - $2) * k }' | _summary "$1" "$4" "${5:-}"
}

# values on stdin -> "LABEL  median M UNIT  (range MIN-MAX, N rounds)"
_summary() {
	sort -g | awk -v label="$1" -v fmt="$2" -v unit="$3" '
		{ v[NR] = $1 }
		END {
			if (!NR) { printf "  %-40s no rounds\n", label; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "  %-40s median " fmt "%s  (range " fmt " .. " fmt ", %d rounds)\n", \
				label, m, unit, v[1], v[NR], NR
		}'
}

# Prints the conditions the numbers were taken under.
conditions() {
	echo "  $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs," \
		"load average $(cut -d' ' -f1-3 /proc/loadavg) at the end$([ "$ROUNDS" -gt 1 ] && echo ", $ROUNDS rounds")"
}

# hook_stat POLICY FIELD: the policy's kernel counter FIELD (matched, filtered,
# lost, rate_limited) summed over its hooks, from the agent's final log.
hook_stat() {
	grep -o "policy $1 hook [^ ]*: .*" "$work/agent.err" |
		grep -o "$2=[0-9]*" | awk -F= '{ s += $2 } END { print s + 0 }'
}

# policy_file NAME CALL ARGS-YAML SELECTORS-YAML: a one-hook syscall policy at $work/NAME.yaml.
policy_file() {
	{
		printf 'apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: %s\n' "$1"
		printf 'spec:\n  kprobes:\n  - call: %s\n    syscall: true\n' "$2"
		if [ -n "$3" ]; then printf '    args:\n%s\n' "$3"; fi
		if [ -n "$4" ]; then printf '    selectors:\n%s\n' "$4"; fi
	} >"$work/$1.yaml"
}
