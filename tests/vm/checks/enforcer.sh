# SPDX-License-Identifier: Apache-2.0
# vm-requires: kprobe
# spec.enforcers with NotifyEnforcer: syscall hooks (on their tracepoints)
# notify, the enforcer program on __x64_sys_mkdir/__x64_sys_mkdirat acts
# when the thread enters the syscall. argSig only: a kprobe sends SIGKILL
# (the caller dies with 137; another mkdir works); the policy status names
# the mechanism. argError: these kernels have neither bpf_override_return
# nor fmod_ret on syscalls, so that policy is refused, naming what lacks
# (accepted where the kernel has one of them). Missed notifications
# (tetragon_enforcer_missed_notifications_total): /usr/bin/true's mmap calls
# on raw_syscalls/sys_enter notify an enforcer on mkdir, which true never
# calls: each mmap replaces the last (overwritten), and exit_group's
# CleanupEnforcerNotification finds one never taken (no_action).
enf_missed_policy() {
	cat <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "enforcer-missed"
spec:
  enforcers:
  - calls:
    - "sys_mkdir"
  tracepoints:
  - subsystem: "raw_syscalls"
    event: "sys_enter"
    args:
    - index: 4
      type: "syscall64"
    selectors:
    - matchBinaries:
      - operator: "In"
        values: ["/usr/bin/true"]
      matchArgs:
      - index: 0
        operator: "Equal"
        values: ["9"]
      matchActions:
      - action: NotifyEnforcer
        argSig: 9
    - matchBinaries:
      - operator: "In"
        values: ["/usr/bin/true"]
      matchArgs:
      - index: 0
        operator: "Equal"
        values: ["231"]
      matchActions:
      - action: CleanupEnforcerNotification
YAML
}
enf_policy() {	# name, action lines
	cat <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "$1"
spec:
  enforcers:
  - calls:
    - "sys_mkdir"
    - "sys_mkdirat"
  kprobes:
  - call: "sys_mkdir"
    syscall: true
    args:
    - index: 0
      type: "string"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Equal"
        values: ["/tmp/enf/killme"]
      matchActions:
      - action: NotifyEnforcer
        $2
  - call: "sys_mkdirat"
    syscall: true
    args:
    - index: 1
      type: "string"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Equal"
        values: ["/tmp/enf/killme"]
      matchActions:
      - action: NotifyEnforcer
        $2
YAML
}
case $PHASE in
run)
	mkdir -p /tmp/enf
	enf_policy enforcer-sig "argSig: 9" >/tmp/enf/sig.yaml
	enf_policy enforcer-err "argError: -13" >/tmp/enf/err.yaml
	/bin/tetra tracingpolicy add /tmp/enf/sig.yaml >/tmp/enf/add.out 2>&1
	enf_add_status=$?
	# its own process (exec): the SIGKILL must not reach this shell
	sh -c 'exec mkdir /tmp/enf/killme' >/dev/null 2>&1
	enf_kill_status=$?
	mkdir /tmp/enf/other
	enf_other_status=$?
	/bin/tetra tracingpolicy list -o json 2>&1 | sed 's/{"id":/\n{"id":/g' >/tmp/enf/list.json
	/bin/tetra tracingpolicy delete enforcer-sig >/tmp/enf/delete.out 2>&1
	enf_missed_policy >/tmp/enf/missed.yaml
	/bin/tetra tracingpolicy add /tmp/enf/missed.yaml >/tmp/enf/missed.out 2>&1
	/usr/bin/true
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null
	# the page is rendered once a second, later with many policies under
	# TCG: until it has the counters (at most 60 s of the VM's time)
	i=0
	enf_end=$(awk '{ printf "%d", $1 + 60 }' /proc/uptime)
	while :; do
		printf 'GET /metrics HTTP/1.0\r\n\r\n' | nc -w 5 127.0.0.1 2112 >/tmp/enf/page.txt 2>&1
		grep enforcer_missed /tmp/enf/page.txt >/tmp/enf/metrics.txt
		grep -q 'reason="no_action"' /tmp/enf/metrics.txt && break
		[ "$(cut -d. -f1 /proc/uptime)" -ge "$enf_end" ] && break
		sleep 0.2
	done
	/bin/tetra tracingpolicy delete enforcer-missed >/dev/null 2>&1
	/bin/tetra tracingpolicy add /tmp/enf/err.yaml >/tmp/enf/err.out 2>&1
	enf_err_status=$?
	if [ "$enf_err_status" -eq 0 ]; then
		enf_err_mkdir=$(sh -c 'exec mkdir /tmp/enf/killme' 2>&1)
		/bin/tetra tracingpolicy delete enforcer-err >/dev/null 2>&1
	fi
	;;
check)
	[ "$enf_add_status" -eq 0 ] && ok "enforcer (argSig 9) added at run time" ||
		bad "enforcer (argSig 9) added at run time" "$(cat /tmp/enf/add.out) agent: $(tail -3 /tmp/agent.err | tr '\n' '|')"
	check "enforcer: the notified mkdir is killed by SIGKILL at the syscall (exit 137)" [ "$enf_kill_status" -eq 137 ]
	check "enforcer: another mkdir works" [ "$enf_other_status" -eq 0 ]
	check "enforcer: the notifying hook reports NotifyEnforcer" \
		grep -Eq '"process_kprobe":\{.*"function_name":"__x64_sys_mkdir(at)?".*"action":"KPROBE_ACTION_NOTIFYENFORCER","policy_name":"enforcer-sig"' "$EV"
	check "enforcer: the policy status names the mechanism (kprobe on __x64_sys_mkdir, __x64_sys_mkdirat)" \
		grep -q "enforcer by kprobe (argSig only) on __x64_sys_mkdir, __x64_sys_mkdirat" /tmp/enf/list.json
	if ! grep -q 'reason="overwritten"' /tmp/enf/metrics.txt; then
		sed 's/^/VMLOG /' /tmp/enf/missed.out /tmp/enf/metrics.txt
		echo "VMLOG events of enforcer-missed: $(grep -c '"policy_name":"enforcer-missed"' $EV)"
		echo "VMLOG metrics page: $(wc -l </tmp/enf/page.txt) lines; $(grep -c '^tetragon_' /tmp/enf/page.txt) tetragon samples"
		grep '"policy_name":"enforcer-missed"' $EV | head -2 | cut -c1-600 | sed 's/^/VMLOG /'
		grep -i "enforcer-missed" /tmp/agent.err | tail -5 | sed 's/^/VMLOG /'
		# the metrics server's own complaints (libmicrohttpd logs to stderr)
		grep -E "socket descriptor|FD_SETSIZE" /tmp/agent.err | tail -3 | sed 's/^/VMLOG /'
	fi
	check "enforcer: missed notifications overwritten, counted by syscall (mmap)" \
		grep -Eq '^tetragon_enforcer_missed_notifications_total\{info="mmap",policy="enforcer-missed",reason="overwritten"\} [1-9]' /tmp/enf/metrics.txt
	check "enforcer: a notification cleaned up untaken counted (no_action)" \
		grep -q '^tetragon_enforcer_missed_notifications_total{info="mmap",policy="enforcer-missed",reason="no_action"} 1$' /tmp/enf/metrics.txt
	if has_feature override_return || has_feature fmod_ret_syscall; then
		[ "$enf_err_status" -eq 0 ] && echo "$enf_err_mkdir" | grep -q "Permission denied" &&
			ok "enforcer (argError -13): mkdir fails with EACCES" ||
			bad "enforcer (argError -13): mkdir fails with EACCES" "exit $enf_err_status: $(cat /tmp/enf/err.out) $enf_err_mkdir"
	else
		[ "$enf_err_status" -ne 0 ] &&
			grep -Eq "spec.enforcers: NotifyEnforcer argError on __x64_sys_mkdir: Override on __x64_sys_mkdir needs bpf_override_return \(.*CONFIG_BPF_KPROBE_OVERRIDE.*\) or fmod_ret on it \(.*\), and this kernel has neither" /tmp/enf/err.out &&
			ok "enforcer (argError): refused, naming the missing kernel options" ||
			bad "enforcer (argError): refused, naming the missing kernel options" "exit $enf_err_status: $(cat /tmp/enf/err.out)"
	fi
	;;
esac
