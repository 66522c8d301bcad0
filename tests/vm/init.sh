#!/bin/busybox sh
# SPDX-License-Identifier: Apache-2.0
# /init of the test VM: probe the kernel's BPF features, run the agent with
# the matrix's policies, run the checks, print "VMTEST ok|fail|skip NAME
# [detail]" lines on the console, power off.
#
# Drop-in tests (later kprobe/LSM work adds files, not code here):
#   tests/vm/policies/*.yaml  loaded by the agent at start (--tracing-policy-dir)
#   tests/vm/checks/*.sh      sourced twice: PHASE=run while the agent runs
#                             (make the events), PHASE=check after it stopped
#                             and flushed $EV (grep it with check/ok/bad)
# A "# vm-requires: kprobe,fentry" line in either skips it (VMTEST skip) on
# a kernel where `tetragon --probe-features` says no to one of them.
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mount -t tmpfs tmp /tmp
mkdir -p /var/run /var/log
echo "VMTEST kernel $(uname -r)"
EV=/tmp/ev.log
ok() { echo "VMTEST ok $1"; }
bad() { echo "VMTEST fail $1${2:+: $2}"; }
skip() { echo "VMTEST skip $1${2:+: $2}"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
finish() { echo "VMTEST done"; poweroff -f; }

# What this kernel offers, each feature proven by a program that ran
# (src/kernel/features.c); the matrix says which ones each kernel must have.
/bin/tetragon --probe-features >/tmp/features 2>/tmp/features.err
sed 's/^/VMTEST feature /' /tmp/features
has_feature() { grep -q "^$1: yes" /tmp/features; }
expect=$(sed -n 's/.*tg\.expect=\([^ ]*\).*/\1/p' /proc/cmdline)
for f in $(echo "$expect" | tr , ' '); do
	if has_feature "$f"; then ok "feature $f"; else bad "feature $f" "$(grep "^$f:" /tmp/features)"; fi
done
umount /sys/kernel/tracing 2>/dev/null	# the probe mounted it; the agent must mount it itself

# The features a file's "# vm-requires:" line names that this kernel lacks.
missing() {
	for f in $(sed -n 's/^# vm-requires: *//p' "$1" | tr ', ' '  '); do
		has_feature "$f" || printf '%s ' "$f"
	done
}

mkdir -p /tmp/policies /tmp/watched
npol=0
for p in /etc/tg/policies/*.yaml; do
	[ -e "$p" ] || continue		# none (VM_POLICIES=none)
	m=$(missing "$p"); m=${m% }
	if [ -n "$m" ]; then skip "policy $(basename "$p")" "this kernel lacks $m"; continue; fi
	cp "$p" /tmp/policies/
	npol=$((npol + 1))
done
CHECKS=""
for c in /etc/tg/checks/*.sh; do
	[ -e "$c" ] || continue
	m=$(missing "$c"); m=${m% }
	if [ -n "$m" ]; then skip "checks $(basename "$c" .sh)" "this kernel lacks $m"; continue; fi
	CHECKS="$CHECKS $c"
done

start=$(cut -d' ' -f1 /proc/uptime)
/bin/tetragon --stdout none --server-address "" --export-filename $EV --metrics-server 127.0.0.1:2112 \
	--tracing-policy-dir /tmp/policies >/tmp/agent.out 2>/tmp/agent.err &
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
	finish
fi
if [ $npol -eq 0 ] || grep -q "tracing policies: $npol accepted, 0 refused" /tmp/agent.err; then
	ok "$npol policies accepted"
else
	bad "$npol policies accepted" "$(grep -i refused /tmp/agent.err | tr '\n' '|')"
	grep "libbpf" /tmp/agent.err | tail -40 | sed 's/^/VMLOG /'
fi
grep -q " /sys/fs/bpf bpf " /proc/mounts && grep -q " /sys/kernel/tracing tracefs " /proc/mounts &&
	ok "agent mounted bpffs and tracefs" || bad "agent mounted bpffs and tracefs" "$(grep -E 'bpf|tracefs' /proc/mounts | tr '\n' '|')"
check "tetra status over the unix socket" sh -c '/bin/tetra status 2>&1 | grep -q "Health Status: running"'
check "tetra lists the $npol policies enabled" sh -c "[ \"\$(/bin/tetra tracingpolicy list 2>&1 | grep -cE '^[0-9]+ +[^ ]+ +static +enabled ')\" -eq $npol ]"

PHASE=run
for c in $CHECKS; do . "$c"; done
# the sentinel, not a sleep: an exec after the checks' events. Once it is in
# $EV (one ring buffer, one pipeline, in order) so are theirs, and the checks
# may assert that something is absent.
/bin/busybox true vm-sentinel
i=0
while ! grep -q '"arguments":"true vm-sentinel"' $EV 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then bad "sentinel exec exported" "not in $EV after 30 s"; break; fi
	sleep 0.1
done
kill -TERM $apid
wait $apid
agent_status=$?

PHASE=check
for c in $CHECKS; do . "$c"; done
[ "$agent_status" -eq 0 ] && ok "clean shutdown on SIGTERM" || bad "clean shutdown on SIGTERM" "exit $agent_status"
grep -q "lost=0" /tmp/agent.err && ok "no events lost" || bad "no events lost" "$(grep stats: /tmp/agent.err)"
finish
