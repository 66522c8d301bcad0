#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Memory with live processes: per round the agent starts, its RSS is taken
# idle, then with P processes sleeping (tests/helpers/proc_hold: each exec'd,
# so the agent caches it with its binary and arguments). Prints both RSS, the
# ratio and the bytes per process. P defaults to 10000.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
P=${P:-10000}
[ -x "$HELPERS/proc_hold" ] || { echo "bench: $HELPERS/proc_hold missing" >&2; exit 1; }

for ((r = 0; r < ROUNDS; r++)); do
	agent_start
	drain
	record idle "$(rss_kib "$apid")"
	spawn "$HELPERS/proc_hold" "$P" >"$work/hold.out"
	hpid=$!
	wait_for "$work/hold.out" ready 300
	drain	# every exec record read
	record live "$(rss_kib "$apid")"
	record execs "$(grep -c '"process_exec".*"binary":"[^"]*proc_hold","arguments":"-"' "$work/events.log" || true)"
	kill -TERM "$hpid"
	wait "$hpid" || true
	agent_stop
done

echo "memory: agent RSS idle and with $P live processes ($AGENT)"
conditions
summary "RSS idle" idle "%.1f" " MiB" "$(awk 'BEGIN { print 1 / 1024 }')"
summary "RSS with $P processes" live "%.1f" " MiB" "$(awk 'BEGIN { print 1 / 1024 }')"
summary_ratio "ratio" live idle
summary_diff "per live process" live idle "%.0f" " bytes" "$(awk -v p="$P" 'BEGIN { print 1024 / p }')"
summary "their exec events exported" execs "%.0f"
