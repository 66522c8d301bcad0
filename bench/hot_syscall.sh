#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Filtered hot syscall: one binary makes N calls of a syscall (HOT=openat,
# the default, of a path argument; or HOT=getppid) per condition, three
# conditions interleaved per round: no program on the hook, an empty BPF
# program on it (tests/helpers/bpf_empty: the floor on this kernel), and the
# agent with a policy on the syscall whose matchBinaries names another
# binary, so every call is evaluated and filtered in the kernel. The cost of
# a call is the caller's CPU time (user + system) over N: the BPF programs
# run in its context, and time spent waiting for a CPU is not counted. Also
# the BPF programs' own run time per call (kernel.bpf_stats_enabled, over
# N/4 more calls, not timed). N defaults to 1000000.
# shellcheck source=bench/lib.sh
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

storm() {	# NAME: N calls; records their wall and CPU seconds
	local w c
	read -r w c < <("$HELPERS/syscall_storm" "$N" "$arg")
	record "$1" "$c"
	record "$1.wall" "$w"
}
stats_storm() { "$HELPERS/syscall_storm" $((N / 4)) "$arg"; }
"$HELPERS/syscall_storm" "$N" "$arg" >/dev/null	# warm up
filtered_short=0
for ((r = 0; r < ROUNDS; r++)); do
	storm none
	spawn "$HELPERS/bpf_empty" "syscalls/sys_enter_$HOT" >"$work/empty.out"
	epid=$!
	wait_for "$work/empty.out" attached
	storm empty
	record empty.bpf "$(prog_runtime "$epid" "" stats_storm)"
	kill -TERM "$epid"
	wait "$epid" || true
	agent_start --tracing-policy "$work/hot-filtered.yaml"
	storm policy
	record policy.bpf "$(prog_runtime "$apid" generic_tracepo stats_storm)"
	agent_stop
	# every call of the storm was filtered in the kernel (other processes' calls add to it)
	f=$(hook_stat hot-filtered filtered)
	[ "$f" -ge $((N + N / 4)) ] || filtered_short=$((filtered_short + N + N / 4 - f))
done

ns=$(awk -v n="$N" 'BEGIN { print 1e9 / n }')	# seconds per N calls -> ns per call
echo "filtered hot syscall: $N $HOT calls per condition ($AGENT)"
conditions
summary "no program (ns/call)" none "%.0f" "" "$ns"
summary "empty program (ns/call)" empty "%.0f" "" "$ns"
summary "policy, filtered (ns/call)" policy "%.0f" "" "$ns"
summary_ratio "ratio empty/none" empty none
summary_ratio "ratio policy/none" policy none
summary_ratio "ratio policy/empty" policy empty
summary_diff "empty program's cost (floor)" empty none "%.0f" " ns/call" "$ns"
summary_diff "policy's cost above the floor" policy empty "%.0f" " ns/call" "$ns"
summary_ratio "wall clock ratio policy/none" policy.wall none.wall
summary "BPF run time, empty program" empty.bpf "%.0f" " ns/call"
summary "BPF run time, policy program" policy.bpf "%.0f" " ns/call"
echo "  calls not counted as filtered in the kernel: $filtered_short"
