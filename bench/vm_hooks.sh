#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Kernel-function hooks on a distro kernel (this machine has no kprobes or
# BPF LSM): boots Debian's 6.12 cloud kernel under qemu TCG
# (tests/vm/run-matrix.sh with bench/vm/init.sh as /init) and, in paired
# interleaved rounds, times N calls with no agent and with the agent running
#   - a kprobe on security_file_permission filtered in the kernel to another
#     binary, under N one-byte pread() calls;
#   - an lsmhooks file_open Override policy for another binary, under N
#     openat() calls;
#   - a syscall kprobe on openat filtered in the kernel to another binary,
#     under the same openat() calls, attached to syscalls/sys_enter_openat,
#     by kprobe and by fentry on __x64_sys_openat (syscall-attach: what the
#     kernel can run).
# CASES=sys: the openat series with the syscall kprobes only, added and
# deleted at run time in one agent (the baseline: that agent without the
# hook), and beside each 10 N getppid() calls, which a syscalls tracepoint
# slows too.
# Reports the caller's CPU time per call and the with/without ratio (median
# and range). TCG emulates the CPU: absolute times are tens of times a real
# machine's; the ratios are what to read. N calls per series (default
# 200000: an openat takes ~100 us under TCG) and ROUNDS (default 9) as the
# other benchmarks; KERNEL=6.1 for the other kernel.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
N=${N:-200000}
KERNEL=${KERNEL:-6.12}
[ -x "$HELPERS/syscall_storm" ] || make -s BUILD="$BUILD" "$HELPERS/syscall_storm"
extra="$work/extra"
mkdir -p "$extra/bin" "$extra/etc/tg/bench"
cp "$HELPERS/syscall_storm" "$extra/bin/"
cp bench/vm/*.yaml "$extra/etc/tg/bench/"
# one VM runs every round: each round costs about 4 N calls' time under TCG
VM_INIT=bench/vm/init.sh VM_EXTRA="$extra" VM_TIMEOUT=${VM_TIMEOUT:-3600} \
	VM_APPEND="tg.n=$N tg.rounds=$ROUNDS tg.cases=${CASES:-all}" tests/vm/run-matrix.sh "$KERNEL" >"$work/matrix.out"
log="$BUILD/vm-logs/$KERNEL.console.log"
grep -q "^VMTEST done" "$log" || { echo "bench: the VM did not finish:" >&2; cat "$work/matrix.out" >&2; exit 1; }
grep -a "^VMTEST fail" "$log" >&2 && exit 1
tr -d '\r' <"$log" | awk '$1 == "VMTEST" && $2 == "bench" { print $4 >> ("'"$work"'/v." $3) }'
echo "kernel hooks in a VM: $(tr -d '\r' <"$log" | sed -n 's/.*VMTEST kernel //p') under qemu TCG, $N calls per series"
conditions
ns=$(awk -v n="$N" 'BEGIN { print 1e9 / n }')
if [ -s "$work/v.read.none" ]; then
	summary "pread, no agent (ns/call)" read.none "%.0f" "" "$ns"
	summary "pread, kprobe filtered (ns/call)" read.kprobe "%.0f" "" "$ns"
	summary_ratio "pread: kprobe / none" read.kprobe read.none
fi
base="no agent"
[ "${CASES:-all}" = sys ] && base="agent, no hook"
summary "openat, $base (ns/call)" open.none "%.0f" "" "$ns"
for a in tracepoint kprobe fentry; do
	[ -s "$work/v.open.sys.$a" ] || { echo "  openat, syscall kprobe by $a: not run (this kernel cannot)"; continue; }
	summary "openat, syscall kprobe by $a (ns/call)" "open.sys.$a" "%.0f" "" "$ns"
	summary_ratio "openat: syscall $a / $base" "open.sys.$a" open.none
done
for a in kprobe fentry; do
	[ -s "$work/v.open.sys.$a" ] && summary_ratio "openat: syscall $a / tracepoint" "open.sys.$a" open.sys.tracepoint
done
if [ -s "$work/v.ppid.none" ]; then
	summary "getppid, $base (ns/call)" ppid.none "%.0f" "" "$(awk -v n="$N" 'BEGIN { print 1e8 / n }')"
	for a in tracepoint kprobe fentry; do
		[ -s "$work/v.ppid.sys.$a" ] || continue
		summary "getppid beside an openat hook by $a (ns/call)" "ppid.sys.$a" "%.0f" "" "$(awk -v n="$N" 'BEGIN { print 1e8 / n }')"
		summary_ratio "getppid beside it, $a / $base" "ppid.sys.$a" ppid.none
	done
fi
tr -d '\r' <"$log" | sed -n 's/^VMTEST bench-attach /  attached: /p' | sort -u
if [ -s "$work/v.open.lsm" ]; then
	summary "openat, LSM Override filtered (ns/call)" open.lsm "%.0f" "" "$ns"
	summary_ratio "openat: lsm / none" open.lsm open.none
elif [ "${CASES:-all}" != sys ]; then
	echo "  openat under BPF LSM: this kernel has no BPF LSM (lsm= list)"
fi
tr -d '\r' <"$log" | sed -n 's/^VMTEST bench-stats /  kernel counters: /p' | tr -d '"' | tail -2
