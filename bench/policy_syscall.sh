#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Policy benchmark: a sys_openat kprobe policy (served by the syscalls
# tracepoints here) while one binary makes N openat calls.
#  1. filtered: the policy's selector names another binary, so every call is
#     evaluated and dropped in the kernel; prints the time ratio against no
#     agent and the kernel's filtered counter.
#  2. posted: the selector matches every call; prints the events exported,
#     lost, and the rate the pipeline sustained.
# Needs root. N defaults to 1000000.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
BUILD=${BUILD:-build}
AGENT=$BUILD/bin/tetragon
STORM=$BUILD/tests/helpers/syscall_storm
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

policy() {	# NAME SELECTOR-YAML
	cat >"$work/$1.yaml" <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: $1
spec:
  kprobes:
  - call: sys_openat
    syscall: true
    args:
    - index: 1
      type: string
    selectors:
$2
YAML
}
policy bench-filtered '    - matchBinaries:
      - operator: In
        values: ["/usr/bin/false"]'
policy bench-posted '    - matchArgs:
      - index: 1
        operator: Equal
        values: ["/nonexistent/policy-bench-posted"]'

start_agent() {	# POLICY
	"$AGENT" --stdout none --server-address "" --server-socket "" --info-file "" --export-filename "$work/events.log" \
		--export-file-max-size-mb 100000 --tracing-policy "$work/$1.yaml" 2>"$work/agent.err" &
	apid=$!
	for _ in $(seq 1 300); do
		grep -q "tetragon running" "$work/agent.err" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "accepted" "$work/agent.err" || { cat "$work/agent.err" >&2; exit 1; }
}
stop_agent() {
	sleep 1
	clk=$(getconf CLK_TCK)
	read -r utime stime < <(awk '{print $14, $15}' "/proc/$apid/stat")
	cpu=$(awk -v u="$utime" -v s="$stime" -v c="$clk" 'BEGIN { printf "%.3f", (u + s) / c }')
	kill -TERM "$apid"
	wait "$apid" || true
}

"$STORM" 100000 >/dev/null	# warm up
base=$("$STORM" "$N")

start_agent bench-filtered
with=$("$STORM" "$N")
stop_agent
filtered=$(grep -o 'policy bench-filtered hook [^ ]*: matched=[0-9]* filtered=[0-9]*' "$work/agent.err" |
	sed -E 's/.*filtered=([0-9]+)/\1/' | tail -1)
cpu_filtered=$cpu

rm -f "$work/events.log"
start_agent bench-posted
# step the offered rate up; the sustained rate is the highest step with every
# event exported (counted in the export file after a drain pause)
sustained=0 seen=0 steps=""
for rate in 25000 50000 75000 100000 150000 200000; do
	calls=$((rate * 2))
	secs=$("$STORM" "$calls" /nonexistent/policy-bench-posted "$rate")
	sleep 1.5
	now=$(grep -c '"process_kprobe"' "$work/events.log" || true)
	got=$((now - seen))
	seen=$now
	offered=$(awk -v c="$calls" -v s="$secs" 'BEGIN { printf "%.0f", c / s }')
	steps="$steps  offered $offered/s: $got of $calls exported\n"
	if [ "$got" -eq "$calls" ] && [ "$offered" -gt "$sustained" ]; then sustained=$offered; fi
done
stop_agent
hooklost=$(grep -o "policy bench-posted hook [^ ]*: .* lost=[0-9]*" "$work/agent.err" | sed -E "s/.*lost=([0-9]+)/\1/" | tail -1)

awk -v n="$N" -v b="$base" -v w="$with" -v f="${filtered:-?}" -v cf="$cpu_filtered" \
	-v steps="$steps" -v sus="$sustained" -v lost="${hooklost:-?}" -v cp="$cpu" 'BEGIN {
	printf "policy on sys_openat, filtered in the kernel (matchBinaries names another binary):\n"
	printf "  %d openat calls without agent: %8.3f s  (%.2f us/call)\n", n, b, b * 1e6 / n
	printf "  %d openat calls with agent:    %8.3f s  (%.2f us/call)\n", n, w, w * 1e6 / n
	printf "  ratio:                  %8.3f\n", w / b
	printf "  filtered in the kernel: %s   agent CPU: %s s\n", f, cf
	printf "policy on sys_openat, every call posted (matchArgs Equal on the path):\n"
	printf "%s", steps
	printf "  sustained with no loss: %d events/s   (ring buffer drops over all steps: %s; agent CPU %s s)\n", sus, lost, cp
}'
