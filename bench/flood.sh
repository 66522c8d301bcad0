#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Saturated flood: a policy posts every getppid of one binary, which makes N
# of them as fast as it can, more than the pipeline exports. Per round, no
# agent then the agent: the time ratio, the calls made, the events exported
# (lines of the export file), the events the agent counted as dropped, and
# whether calls = exported + dropped. N defaults to 1000000.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
N=${N:-1000000}
storm=$(realpath "$HELPERS/syscall_storm")
policy_file flood sys_getppid "" "    - matchBinaries:
      - operator: In
        values: [\"$storm\"]"

wall() { local w; read -r w _ < <("$storm" "$N" getppid); echo "$w"; }	# its wall seconds
wall >/dev/null	# warm up
bad=0
for ((r = 0; r < ROUNDS; r++)); do
	record base "$(wall)"
	agent_start --tracing-policy "$work/flood.yaml"
	t0=$(date +%s.%N)
	record with "$(wall)"
	# the sentinel: one more call of the same binary, its event after every
	# earlier one of the hook; again if the full buffer dropped it
	calls=$N
	for ((s = 0; s < 20; s++)); do
		mark
		"$storm" 1 getppid >/dev/null &
		spid=$!
		wait "$spid"
		calls=$((calls + 1))
		export_wait "\"process_kprobe\":{\"process\":{[^}]*\"pid\":$spid," 5 2>/dev/null && break
	done
	t1=$(date +%s.%N)
	agent_stop
	matched=$(hook_stat flood matched)
	dropped=$(hook_stat flood lost)
	exported=$(grep -c '"process_kprobe".*"policy_name":"flood"' "$work/events.log" || true)
	record calls "$calls"
	record exported "$exported"
	record dropped "$dropped"
	record rate "$(awk -v e="$exported" -v a="$t0" -v b="$t1" 'BEGIN { print e / (b - a) }')"
	record drop_pct "$(awk -v d="$dropped" -v c="$calls" 'BEGIN { print 100 * d / c }')"
	record unaccounted $((calls - exported - dropped))
	[ "$matched" -eq "$calls" ] && [ $((exported + dropped)) -eq "$calls" ] || bad=$((bad + 1))
done

echo "saturated flood: a policy posting each of $N getppid calls per round ($AGENT)"
conditions
summary "without agent (s)" base "%.3f"
summary "with agent (s)" with "%.3f"
summary_ratio "ratio with/without" with base
summary "calls made" calls "%.0f"
summary "events exported" exported "%.0f"
summary "counted as dropped" dropped "%.0f"
summary "dropped (% of calls)" drop_pct "%.1f" "%"
summary "exported per second" rate "%.0f" " events/s"
summary "unaccounted (calls - exported - dropped)" unaccounted "%.0f"
echo "  rounds where calls != kernel's matched or != exported + dropped: $bad of $ROUNDS"
