#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Exec storm benchmark: fork+exec /bin/true N times without the agent and with
# it (JSON export to a file), then print the ratio, lost events, and the
# agent's CPU seconds and peak RSS. Needs root. N defaults to 20000.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
BUILD=${BUILD:-build}
AGENT=$BUILD/bin/tetragon
STORM=$BUILD/tests/helpers/exec_storm
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$STORM" 2000 >/dev/null	# warm the page cache
base=$("$STORM" "$N")

# no socket, port or info file: another agent may run on the host
"$AGENT" --stdout none --export-filename "$work/events.log" --export-file-max-size-mb 1000 \
	--server-address "" --server-socket "" --info-file "" 2>"$work/agent.err" &
apid=$!
for _ in $(seq 1 300); do
	grep -q "tetragon running" "$work/agent.err" 2>/dev/null && break
	sleep 0.1
done
with=$("$STORM" "$N")
# let the agent drain, then sample its usage before stopping it
sleep 1
clk=$(getconf CLK_TCK)
read -r utime stime < <(awk '{print $14, $15}' "/proc/$apid/stat")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$apid/status")
kill -TERM "$apid"
wait "$apid" || true
stats=$(grep -o 'stats: .*' "$work/agent.err" | tail -1)
lost=$(sed -E 's/.* lost=([0-9]+).*/\1/' <<<"$stats")
execs=$(grep -c '"process_exec"' "$work/events.log" || true)

awk -v n="$N" -v b="$base" -v w="$with" -v u="$utime" -v s="$stime" -v clk="$clk" \
	-v hwm="$hwm" -v lost="$lost" -v execs="$execs" 'BEGIN {
	printf "exec storm: %d x fork+exec /bin/true\n", n
	printf "  without agent: %8.3f s  (%.0f execs/s)\n", b, n / b
	printf "  with agent:    %8.3f s  (%.0f execs/s)\n", w, n / w
	printf "  ratio:         %8.3f\n", w / b
	printf "  events lost:   %d   (process_exec events exported: %d)\n", lost, execs
	printf "  agent CPU:     %8.3f s  (user+system)\n", (u + s) / clk
	printf "  agent peak RSS: %6.1f MiB\n", hwm / 1024
}'
