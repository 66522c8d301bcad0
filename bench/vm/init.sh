#!/bin/busybox sh
# SPDX-License-Identifier: Apache-2.0
# /init of the kernel-hook benchmark VM (bench/vm_hooks.sh): paired rounds,
# interleaved, of N calls each with no agent and with the agent running one
# policy whose selector names another binary (every call evaluated and
# filtered in the kernel):
#   read: pread() of one byte, under a kprobe on security_file_permission
#   open: openat() of a file, under an lsmhooks file_open Override policy,
#         and under a syscall kprobe on openat attached to its tracepoint,
#         by fentry and by kprobe on __x64_sys_openat (syscall-attach)
# tg.cases=sys runs only the openat series (one agent, the syscall kprobe
# added and deleted at run time; the baseline is that agent without it),
# and 10 N getppid() calls beside each (a syscall the hook does not name).
# Prints "VMTEST bench NAME CPU-SECONDS" per call series, then "VMTEST done".
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mount -t tmpfs tmp /tmp
mkdir -p /var/run /var/log
N=$(sed -n 's/.*tg\.n=\([0-9]*\).*/\1/p' /proc/cmdline)
ROUNDS=$(sed -n 's/.*tg\.rounds=\([0-9]*\).*/\1/p' /proc/cmdline)
CASES=$(sed -n 's/.*tg\.cases=\([a-z,]*\).*/\1/p' /proc/cmdline)
N=${N:-1000000} ROUNDS=${ROUNDS:-9} CASES=${CASES:-all}
echo "VMTEST kernel $(uname -r)"
echo "VMTEST bench-config N=$N rounds=$ROUNDS"
echo bench >/tmp/target
/bin/tetragon --probe-features >/tmp/features 2>/dev/null
grep -q "^bpf_lsm: yes" /tmp/features && lsm=1 || lsm=0
[ "$CASES" = sys ] && lsm=0
# the syscall-attach values this kernel can run
sysat="tracepoint"
grep -q "^kprobe: yes" /tmp/features && sysat="$sysat kprobe"
grep -q "^fentry: yes" /tmp/features && grep -q __x64_sys_openat /sys/kernel/btf/vmlinux && sysat="$sysat fentry"
for a in $sysat; do sed "s/SYSCALL_ATTACH/$a/" /etc/tg/bench/sys_open.yaml >/tmp/sys_open.$a.yaml; done
umount /sys/kernel/tracing 2>/dev/null

# storm NAME ARGS...: one series; its CPU seconds (user + system) recorded
storm() {
	name=$1
	shift
	set -- $(/bin/syscall_storm "$@")
	echo "VMTEST bench $name $2"
}
agent() {
	/bin/tetragon --stdout none --server-address "" --export-filename /tmp/ev.log \
		${1:+--tracing-policy "$1"} >/dev/null 2>/tmp/agent.err &
	apid=$!
	i=0
	while ! grep -q "tetragon running" /tmp/agent.err 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 1200 ] || ! kill -0 $apid 2>/dev/null; then
			echo "VMTEST fail bench agent: $(tail -3 /tmp/agent.err | tr '\n' '|')"
			echo "VMTEST done"
			poweroff -f
		fi
		sleep 0.1
	done
}
agent_stop() {
	kill -TERM $apid
	wait $apid
	grep -o "policy $1 hook [^ ]*: .*" /tmp/agent.err | sed "s/^/VMTEST bench-stats /"
}

/bin/syscall_storm --read "$N" /tmp/target >/dev/null	# warm up
if [ "$CASES" = sys ]; then
	# one agent for the run, the hook added and deleted at run time: the
	# baseline is the same agent with no hook (TCG makes each agent start long)
	agent ""
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		storm open.none "$N" /tmp/target
		storm ppid.none --getppid $((N * 10))
		for a in $sysat; do
			/bin/tetra tracingpolicy add /tmp/sys_open.$a.yaml >/tmp/add.out 2>&1 ||
				echo "VMTEST fail bench add $a: $(tr '\n' '|' </tmp/add.out)"
			[ $r -eq 0 ] && grep -o "bench-sys-open .*kprobes\[0\] sys_openat: [^;\"]*" /tmp/agent.err | tail -1 |
				sed "s/^/VMTEST bench-attach $a: /"
			storm open.sys.$a "$N" /tmp/target
			# another syscall: a syscalls tracepoint slows every syscall of every task, the function only its own
			storm ppid.sys.$a --getppid $((N * 10))
			/bin/tetra tracingpolicy delete bench-sys-open >/dev/null 2>&1
		done
		r=$((r + 1))
	done
	agent_stop bench-sys-open
	echo "VMTEST done"
	poweroff -f
fi
r=0
while [ $r -lt "$ROUNDS" ]; do
	storm read.none --read "$N" /tmp/target
	agent /etc/tg/bench/kprobe_read.yaml
	storm read.kprobe --read "$N" /tmp/target
	agent_stop bench-kprobe-read
	storm open.none "$N" /tmp/target
	for a in $sysat; do
		agent /tmp/sys_open.$a.yaml
		grep -o "kprobes\[0\] sys_openat: [^;\"]*" /tmp/agent.err | head -1 | sed "s/^/VMTEST bench-attach $a: /"
		storm open.sys.$a "$N" /tmp/target
		agent_stop bench-sys-open
	done
	if [ $lsm = 1 ]; then
		agent /etc/tg/bench/lsm_open.yaml
		storm open.lsm "$N" /tmp/target
		agent_stop bench-lsm-open
	fi
	r=$((r + 1))
done
echo "VMTEST done"
poweroff -f
