#!/bin/busybox sh
# SPDX-License-Identifier: Apache-2.0
# /init of the test VM: run the agent on this kernel, exercise it, print
# "VMTEST ok|fail NAME [detail]" lines on the console, power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mount -t tmpfs tmp /tmp
mkdir -p /var/run /var/log
echo "VMTEST kernel $(uname -r)"
ok() { echo "VMTEST ok $1"; }
bad() { echo "VMTEST fail $1${2:+: $2}"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# what this kernel offers (later issues add kprobe/LSM tests here)
[ -r /sys/kernel/btf/vmlinux ] && echo "VMTEST feature btf yes" || echo "VMTEST feature btf no"
grep -q bpf /sys/kernel/security/lsm 2>/dev/null && echo "VMTEST feature bpf-lsm yes" || echo "VMTEST feature bpf-lsm no"
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
for f in kprobe_events uprobe_events; do
	[ -e /sys/kernel/tracing/$f ] && echo "VMTEST feature ${f%_events}s yes" || echo "VMTEST feature ${f%_events}s no"
done
umount /sys/kernel/tracing 2>/dev/null	# the agent mounts what it needs itself

mkdir -p /tmp/watched
echo secret > /tmp/watched/f
echo secret > /tmp/honeypot
start=$(cut -d' ' -f1 /proc/uptime)
/bin/tetragon --stdout none --server-address "" --export-filename /tmp/ev.log \
	--tracing-policy /etc/tg/open.yaml --tracing-policy /etc/tg/kill.yaml \
	--tracing-policy /etc/tg/uprobe.yaml --tracing-policy /etc/tg/rawtp.yaml >/tmp/agent.out 2>/tmp/agent.err &
apid=$!
i=0
while ! grep -q "tetragon running" /tmp/agent.err 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 1200 ] || ! kill -0 $apid 2>/dev/null; then break; fi
	sleep 0.1
done
if grep -q "tetragon running" /tmp/agent.err; then
	ok "agent starts ($(awk -v s="$start" '{printf "%.1f", $1 - s}' /proc/uptime) s)"
else
	bad "agent starts" "$(tail -5 /tmp/agent.err | tr '\n' '|')"
	echo "VMTEST done"
	poweroff -f
fi
if grep -q "tracing policies: 4 accepted, 0 refused" /tmp/agent.err; then
	ok "policies accepted"
else
	bad "policies accepted" "$(grep -i refused /tmp/agent.err | tr '\n' '|')"
	grep "libbpf" /tmp/agent.err | tail -40 | sed 's/^/VMLOG /'
fi

/bin/busybox true vm-marker "two words"
sh -c 'exit 7'
cat /tmp/watched/f >/dev/null
cat /tmp/honeypot >/dev/null
kill_status=$?
/bin/uprobe_target 7 0 other
/bin/uprobe_target 42 0 vm-probe
sleep 2
kill -TERM $apid
wait $apid
agent_status=$?

check "exec event with arguments" grep -q '"binary":"/bin/busybox","arguments":"true vm-marker \\"two words\\""' /tmp/ev.log
check "exit status 7" grep -q '"process_exit":{"process":{[^}]*"arguments":"-c \\"exit 7\\""[^$]*"status":7' /tmp/ev.log
check "kprobe policy event on the watched path" grep -q '"process_kprobe".*"function_name":"__x64_sys_openat".*"string_arg":"/tmp/watched/f"' /tmp/ev.log
[ "$kill_status" -eq 137 ] && ok "Sigkill on the honeypot open" || bad "Sigkill on the honeypot open" "cat exited $kill_status"
check "honeypot kprobe reports the kill" grep -q '"string_arg":"/tmp/honeypot".*"action":"KPROBE_ACTION_SIGKILL"' /tmp/ev.log
check "uprobe with arguments, filtered in the kernel" grep -q '"process_uprobe".*"symbol":"tg_uprobe_target".*"args":\[{"int_arg":42},{"string_arg":"vm-probe"}\]' /tmp/ev.log
check "uprobe: the other call filtered" sh -c '! grep -q "\"string_arg\":\"other\"" /tmp/ev.log'
check "raw tracepoint with a linux_binprm path" grep -q '"process_tracepoint".*"event":"sched_process_exec".*"linux_binprm_arg":{"path":"/bin/uprobe_target"}' /tmp/ev.log
[ "$agent_status" -eq 0 ] && ok "clean shutdown on SIGTERM" || bad "clean shutdown on SIGTERM" "exit $agent_status"
grep -q "lost=0" /tmp/agent.err && ok "no events lost" || bad "no events lost" "$(grep stats: /tmp/agent.err)"
echo "VMTEST done"
poweroff -f
