#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Exec storm: N fork+exec of /bin/true per round, without the agent and with
# it (JSON export to a file), ROUNDS pairs interleaved. Prints the median
# time ratio and its range, the cost per exec, the exec events exported and
# the losses the agent counted. N defaults to 5000.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
N=${N:-5000}

"$HELPERS/exec_storm" 1000 >/dev/null	# warm the page cache
lost=0 short=0
for ((r = 0; r < ROUNDS; r++)); do
	record base "$("$HELPERS/exec_storm" "$N")"
	agent_start
	record with "$("$HELPERS/exec_storm" "$N")"
	drain
	agent_stop
	record cpu "$agent_cpu"
	record hwm "$agent_hwm"
	l=$(grep -o 'stats: .* lost=[0-9]*' "$work/agent.err" | sed -E 's/.*lost=//' | tail -1)
	lost=$((lost + ${l:-0}))
	# every exec of the storm exported (other processes' execs may add to it)
	e=$(grep -c '"process_exec".*"binary":"/bin/true"' "$work/events.log" || true)
	[ "$e" -ge "$N" ] || short=$((short + N - e))
done

echo "exec storm: $N fork+exec of /bin/true per round, no agent / agent interleaved"
conditions
summary "without agent (s)" base "%.3f"
summary "with agent (s)" with "%.3f"
summary_ratio "ratio with/without" with base
summary_diff "added per exec" with base "%.1f" " us" "$(awk -v n="$N" 'BEGIN { print 1e6 / n }')"
summary "agent CPU per round (s)" cpu "%.3f"
summary "agent peak RSS" hwm "%.1f" " MiB" "$(awk 'BEGIN { print 1 / 1024 }')"
echo "  events lost (agent's count): $lost   storm execs not exported: $short"
