#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Filtered hot syscall: one binary makes N calls of a syscall (HOT=openat,
# the default, of a path argument; or HOT=getppid) per condition, three
# conditions interleaved per round: no program on the hook, an empty BPF
# program on it (tests/helpers/bpf_empty: the floor on this kernel), and the
# agent with a policy on the syscall whose matchBinaries names another
# binary, so every call is evaluated and filtered in the kernel. Prints the
# cost per call of each, the ratios, and what the policy costs above the
# floor. N defaults to 1000000.
. "$(dirname "$0")/lib.sh"
N=${N:-1000000}
HOT=${HOT:-openat}
case $HOT in
openat)	arg=/nonexistent/hot-syscall-bench
	args='    - index: 1
      type: string' ;;
getppid) arg=getppid args= ;;
*) echo "bench: HOT=openat or getppid" >&2; exit 2 ;;
esac
policy_file hot-filtered "sys_$HOT" "$args" '    - matchBinaries:
      - operator: In
        values: ["/usr/bin/false"]'

storm() { "$HELPERS/syscall_storm" "$N" "$arg"; }
storm >/dev/null	# warm up
filtered_short=0
for ((r = 0; r < ROUNDS; r++)); do
	record none "$(storm)"
	bg "$HELPERS/bpf_empty" "syscalls/sys_enter_$HOT" >"$work/empty.out"
	epid=$!
	wait_for "$work/empty.out" attached
	record empty "$(storm)"
	kill -TERM "$epid"
	wait "$epid" || true
	agent_start --tracing-policy "$work/hot-filtered.yaml"
	record policy "$(storm)"
	agent_stop
	# every call of the storm was filtered in the kernel (other processes' calls add to it)
	f=$(hook_stat hot-filtered filtered)
	[ "$f" -ge "$N" ] || filtered_short=$((filtered_short + N - f))
done

us=$(awk -v n="$N" 'BEGIN { print 1e9 / n }')	# seconds per N calls -> ns per call
echo "filtered hot syscall: $N $HOT calls per condition ($AGENT)"
conditions
summary "no program (ns/call)" none "%.0f" "" "$us"
summary "empty program (ns/call)" empty "%.0f" "" "$us"
summary "policy, filtered (ns/call)" policy "%.0f" "" "$us"
summary_ratio "ratio empty/none" empty none
summary_ratio "ratio policy/none" policy none
summary_diff "empty program's cost (floor)" empty none "%.0f" " ns/call" "$us"
summary_diff "policy's cost above the floor" policy empty "%.0f" " ns/call" "$us"
echo "  calls not counted as filtered in the kernel: $filtered_short"
