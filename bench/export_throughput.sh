#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Export pipeline throughput on one core, without the kernel: build/bench/export_replay
# (bench/export_replay.c) replays ring-buffer records through the agent's decode ->
# encode -> write path into each sink, ROUNDS times (default 5), and this prints the
# median events/s and CPU per event per case, with the range of the rounds.
#
#   bench/export_throughput.sh                 the table (root only for nothing; any user)
#   EVENTS=2000000 ROUNDS=9 bench/export_throughput.sh
#   OUT_DIR=/var/tmp bench/export_throughput.sh   files on another filesystem (default /dev/shm)
#   CALLGRIND=1 bench/export_throughput.sh     also instructions per event (valgrind), the
#                                              figure that does not move with machine load
#   CASES="kprobe:0:json-file exec:1:grpc" ...  only these WORKLOAD:CREDNS:SINK cases
#
# Sinks: json-file (the --export-filename rotating file), json-fd and compact-fd
# (what --stdout json/compact write, here into a file), grpc (the GetEvents hub with a
# `tetra getevents -o json` client reading from a unix socket; delivered events/s and
# the agent side's CPU, every thread, per delivered event; the client's CPU is not
# counted). CREDNS 1 adds --enable-process-cred and --enable-process-ns's blocks
# (this agent's default), 0 is upstream's default (both off).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
EVENTS=${EVENTS:-1000000}
ROUNDS=${ROUNDS:-5}
OUT_DIR=${OUT_DIR:-/dev/shm}
REPLAY=$BUILD/bench/export_replay
TETRA=$BUILD/bin/tetra
CASES=${CASES:-"kprobe:0:json-file kprobe:0:compact-fd kprobe:0:grpc exec:0:json-file exec:0:compact-fd exec:0:grpc
kprobe:1:json-file kprobe:1:compact-fd kprobe:1:grpc exec:1:json-file exec:1:compact-fd exec:1:grpc"}
[ -x "$REPLAY" ] || { echo "bench: $REPLAY missing: make $REPLAY" >&2; exit 1; }
work=$(mktemp -d "$OUT_DIR/export-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# median and range of the values on stdin
stats() { sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
	printf "%s %s %s\n", m, v[1], v[NR] }'; }

run_case() {	# WORKLOAD CREDNS SINK EVENTS -> one export_replay line
	local wl=$1 cn=$2 sink=$3 n=$4 args=()
	[ "$cn" = 1 ] && args+=(--cred --ns)
	case $sink in
	json-file) rm -f "$work/out.log"; args+=(--json-file "$work/out.log") ;;
	json-fd | compact-fd) args+=("--$sink" "$work/out.log") ;;
	grpc) args+=(--grpc "$TETRA" --dir "$work") ;;
	esac
	"${PREFIX[@]}" "$REPLAY" --workload "$wl" --events "$n" "${args[@]}" 2>>"$work/replay.err"
	rm -f "$work/out.log"
}

printf '%-7s %-6s %-11s %14s %24s %14s %10s\n' workload blocks sink "events/s" "(range)" "CPU us/event" "B/event"
for c in $CASES; do
	IFS=: read -r wl cn sink <<<"$c"
	n=$EVENTS
	[ "$sink" = grpc ] && n=$((EVENTS / 5))	# the client reads ~10x slower than a file takes
	PREFIX=()
	: >"$work/rounds"
	for _ in $(seq 1 "$ROUNDS"); do
		run_case "$wl" "$cn" "$sink" "$n" >>"$work/rounds"
	done
	read -r eps elo ehi < <(sed -E 's/.* events_per_s=([0-9.]+).*/\1/' "$work/rounds" | stats)
	read -r cpu _ _ < <(sed -E 's/.* cpu_us_per_event=([0-9.]+).*/\1/' "$work/rounds" | stats)
	bpe=$(sed -E 's/.* bytes_per_event=([0-9.]+).*/\1/' "$work/rounds" | stats | cut -d' ' -f1)
	blocks=$([ "$cn" = 1 ] && echo cred+ns || echo default)
	line=$(printf '%-7s %-8s %-11s %12.0f %11.0f-%-11.0f %12.3f %10.0f' "$wl" "$blocks" "$sink" "$eps" "$elo" "$ehi" "$cpu" "$bpe")
	if [ "${CALLGRIND:-0}" = 1 ] && [ "$sink" != grpc ]; then
		cn_ev=20000
		PREFIX=(valgrind --tool=callgrind --log-file="$work/vg.log" --callgrind-out-file="$work/cg.out")
		run_case "$wl" "$cn" "$sink" 1000 >/dev/null 2>&1	# startup alone
		base=$(awk '/^summary:/ { print $2 }' "$work/cg.out")
		run_case "$wl" "$cn" "$sink" "$cn_ev" >/dev/null 2>&1
		all=$(awk '/^summary:/ { print $2 }' "$work/cg.out")
		line="$line $(awk -v a="$all" -v b="$base" -v n="$cn_ev" 'BEGIN { printf "%8.0f Ir/event", (a - b) / (n - 1000) }')"
	fi
	echo "$line"
done
if grep -q . "$work/replay.err"; then
	echo "(export_replay said:)" >&2
	sort -u "$work/replay.err" | grep -v "reads too slowly\|stream from the agent" | head -5 >&2 || true
fi
