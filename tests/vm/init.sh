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

# What this kernel offers, each feature proven by a program that ran
# (src/kernel/features.c); the matrix says which ones each kernel must have.
/bin/tetragon --probe-features >/tmp/features 2>/tmp/features.err
sed 's/^/VMTEST feature /' /tmp/features
expect=$(sed -n 's/.*tg\.expect=\([^ ]*\).*/\1/p' /proc/cmdline)
for f in $(echo "$expect" | tr , ' '); do
	if grep -q "^$f: yes" /tmp/features; then ok "feature $f"; else bad "feature $f" "$(grep "^$f:" /tmp/features)"; fi
done
umount /sys/kernel/tracing 2>/dev/null	# the probe mounted it; the agent must mount it itself

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

grep -q " /sys/fs/bpf bpf " /proc/mounts && grep -q " /sys/kernel/tracing tracefs " /proc/mounts &&
	ok "agent mounted bpffs and tracefs" || bad "agent mounted bpffs and tracefs" "$(grep -E 'bpf|tracefs' /proc/mounts | tr '\n' '|')"
check "tetra status over the unix socket" sh -c '/bin/tetra status 2>&1 | grep -q "Health Status: running"'
check "tetra lists the 4 policies enabled" sh -c '[ "$(/bin/tetra tracingpolicy list 2>&1 | grep -cE "^[0-9]+ +vm-[a-z]+ +static +enabled ")" -eq 4 ]'

/bin/busybox true vm-marker "two words"
/usr/bin/true vm-true "a b"
/bin/sh -c '/usr/bin/cat /tmp/watched/f | /usr/bin/wc -c' >/dev/null
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
check "exec of /usr/bin/true with quoted arguments" grep -q '"process_exec":{"process":{[^}]*"binary":"/usr/bin/true","arguments":"vm-true \\"a b\\""' /tmp/ev.log
check "exit of /usr/bin/true, status 0" sh -c 'grep "\"process_exit\":{\"process\":{[^}]*\"binary\":\"/usr/bin/true\"" /tmp/ev.log | grep -qv "\"status\":"'
sh_id=$(grep '"process_exec":{"process":{[^}]*"arguments":"-c \\"/usr/bin/cat /tmp/watched/f' /tmp/ev.log | sed -n 's/^{"process_exec":{"process":{"exec_id":"\([^"]*\)".*/\1/p')
check "pipeline children link to their sh -c parent" sh -c "[ -n '$sh_id' ] &&
	grep -q '\"binary\":\"/usr/bin/cat\",\"arguments\":\"/tmp/watched/f\"[^}]*\"parent_exec_id\":\"$sh_id\"' /tmp/ev.log &&
	grep -q '\"binary\":\"/usr/bin/wc\",\"arguments\":\"-c\"[^}]*\"parent_exec_id\":\"$sh_id\"' /tmp/ev.log"
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
