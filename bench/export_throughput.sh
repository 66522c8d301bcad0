#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Export pipeline throughput on one core, without the kernel: build/bench/export_replay
# (bench/export_replay.c) replays ring-buffer records through the agent's decode ->
# encode -> write path into each output, ROUNDS times (default 5), and this prints
# per case the median events/s with the range of the rounds, the median CPU per
# event, and (CALLGRIND=1, the default) the user-space instructions per event
# counted by valgrind, the figure that does not move with the machine's load.
#
#   bench/export_throughput.sh                 the table (any user)
#   EVENTS=2000000 ROUNDS=9 bench/export_throughput.sh
#   OUT_DIR=/var/tmp bench/export_throughput.sh   files on another filesystem (default /dev/shm)
#   CALLGRIND=0 ...                            no instruction counts (faster)
#   CASES="kprobe:0:json-file exec:1:grpc" ... only these WORKLOAD:CREDNS:OUTPUT cases
#   BUILDS="build /tmp/old/build" ...          compare builds, their rounds interleaved
#                                              (each needs bench/export_replay and bin/tetra)
#
# Outputs: json-file (the --export-filename rotating file), json-fd and compact-fd
# (what --stdout json/compact write, here into a file), grpc (the GetEvents hub with a
# `tetra getevents -o json` client reading from a unix socket: events delivered per
# second, and the agent side's CPU, every thread, per delivered event; the client's
# CPU is not counted). CREDNS 1 adds --enable-process-cred and --enable-process-ns's
# blocks (this agent's default), 0 is upstream's default (both off).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDS=${BUILDS:-${BUILD:-build}}
EVENTS=${EVENTS:-1000000}
ROUNDS=${ROUNDS:-5}
OUT_DIR=${OUT_DIR:-/dev/shm}
CALLGRIND=${CALLGRIND:-1}
CASES=${CASES:-"kprobe:0:json-file kprobe:0:compact-fd kprobe:0:grpc exec:0:json-file exec:0:compact-fd exec:0:grpc
kprobe:1:json-file kprobe:1:compact-fd kprobe:1:grpc exec:1:json-file exec:1:compact-fd exec:1:grpc"}
for b in $BUILDS; do
	[ -x "$b/bench/export_replay" ] || { echo "bench: $b/bench/export_replay missing: make $b/bench/export_replay" >&2; exit 1; }
done
[ "$CALLGRIND" = 1 ] && ! command -v valgrind >/dev/null && { echo "bench: no valgrind: CALLGRIND=0" >&2; CALLGRIND=0; }
work=$(mktemp -d "$OUT_DIR/export-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# median and range of the values on stdin
stats() { sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
	printf "%s %s %s\n", m, v[1], v[NR] }'; }

run_case() {	# BUILD WORKLOAD CREDNS SINK EVENTS -> one export_replay line
	local b=$1 wl=$2 cn=$3 sink=$4 n=$5 args=()
	[ "$cn" = 1 ] && args+=(--cred --ns)
	case $sink in
	json-file) rm -f "$work/out.log"; args+=(--json-file "$work/out.log") ;;
	json-fd | compact-fd) args+=("--$sink" "$work/out.log") ;;
	grpc) args+=(--grpc "$b/bin/tetra" --dir "$work") ;;
	esac
	"${PREFIX[@]}" "$b/bench/export_replay" --workload "$wl" --events "$n" "${args[@]}" 2>>"$work/replay.err"
	rm -f "$work/out.log"
}

printf '%-22s %-7s %-8s %-11s %12s %24s %13s %9s %11s\n' build workload blocks output "events/s" "(range)" \
	"CPU us/event" "B/event" "Ir/event"
for c in $CASES; do
	IFS=: read -r wl cn sink <<<"$c"
	n=$EVENTS
	[ "$sink" = grpc ] && n=$((EVENTS / 5))	# the client reads ~10x slower than a file takes
	PREFIX=()
	for b in $BUILDS; do : >"$work/rounds.${b//\//_}"; done
	for _ in $(seq 1 "$ROUNDS"); do
		for b in $BUILDS; do
			run_case "$b" "$wl" "$cn" "$sink" "$n" >>"$work/rounds.${b//\//_}"
		done
	done
	for b in $BUILDS; do
		r="$work/rounds.${b//\//_}"
		read -r eps elo ehi < <(sed -E 's/.* events_per_s=([0-9.]+).*/\1/' "$r" | stats)
		read -r cpu _ _ < <(sed -E 's/.* cpu_us_per_event=([0-9.]+).*/\1/' "$r" | stats)
		bpe=$(sed -E 's/.* bytes_per_event=([0-9.]+).*/\1/' "$r" | stats | cut -d' ' -f1)
		blocks=$([ "$cn" = 1 ] && echo cred+ns || echo default)
		ir=-
		if [ "$CALLGRIND" = 1 ] && [ "$sink" != grpc ]; then
			# the instructions of 20000 more events, startup taken out
			PREFIX=(valgrind --tool=callgrind --log-file="$work/vg.log" --callgrind-out-file="$work/cg.out")
			run_case "$b" "$wl" "$cn" "$sink" 1000 >/dev/null 2>&1
			base=$(awk '/^summary:/ { print $2 }' "$work/cg.out")
			run_case "$b" "$wl" "$cn" "$sink" 21000 >/dev/null 2>&1
			all=$(awk '/^summary:/ { print $2 }' "$work/cg.out")
			ir=$(awk -v a="$all" -v b="$base" 'BEGIN { printf "%.0f", (a - b) / 20000 }')
			PREFIX=()
		fi
		printf '%-22s %-7s %-8s %-11s %12.0f %11.0f-%-11.0f %13.3f %9.0f %11s\n' "$b" "$wl" "$blocks" \
			"$sink" "$eps" "$elo" "$ehi" "$cpu" "$bpe" "$ir"
	done
done
said=$(sort -u "$work/replay.err" | grep -v "reads too slowly\|stream from the agent" | head -5 || true)
[ -z "$said" ] || printf '(export_replay said:)\n%s\n' "$said" >&2
