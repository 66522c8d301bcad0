# SPDX-License-Identifier: Apache-2.0
# policies/open.yaml and kill.yaml: a sys_openat Prefix match with its
# return, and Sigkill of a honeypot's opener, both on __x64_sys_openat
# (syscall-attach auto: fentry where BTF has it, else a kprobe).
# policies/sysfn_kp.yaml and sysfn_tp.yaml: open.yaml by kprobe and on the
# tracepoint (syscall-attach): the same events (arguments, return value,
# function_name), and each policy's status says how it attached.
case $PHASE in
run)
	echo secret >/tmp/watched/f
	echo secret >/tmp/honeypot
	cat /tmp/watched/f /tmp/watched/missing >/dev/null 2>&1
	cat /tmp/honeypot >/dev/null
	kill_status=$?
	mkdir -p /tmp/sysfn
	/bin/tetra tracingpolicy list -o json 2>&1 | sed 's/{"id":/\n{"id":/g' >/tmp/sysfn/list.json
	;;
check)
	check "kprobe policy event on the watched path" grep -q '"process_kprobe".*"function_name":"__x64_sys_openat".*"string_arg":"/tmp/watched/f"' $EV
	[ "$kill_status" -eq 137 ] && ok "Sigkill on the honeypot open" || bad "Sigkill on the honeypot open" "cat exited $kill_status"
	check "honeypot kprobe reports the kill" grep -q '"string_arg":"/tmp/honeypot".*"action":"KPROBE_ACTION_SIGKILL"' $EV
	# fentry where the kernel's BTF has the syscall function (Debian's 6.1 and 6.12), else a kprobe
	if grep -q __x64_sys_openat /sys/kernel/btf/vmlinux; then sysfn=fentry sysret=fexit; else sysfn=kprobe sysret=kretprobe; fi
	for n in open sysfn-kp sysfn-tp; do
		sed -n "s/.*\"process_kprobe\":{.*\(\"function_name\":.*\)\"policy_name\":\"vm-$n\".*/\1/p" $EV >/tmp/sysfn/ev.$n
	done
	check "syscall hook on the function: its events (args, return, function_name)" \
		grep -q '^"function_name":"__x64_sys_openat","args":\[{"int_arg":-100},{"string_arg":"/tmp/watched/missing"},{"int_arg":[0-9]*}\],"return":{"int_arg":-2},"action":"KPROBE_ACTION_POST",$' /tmp/sysfn/ev.open
	# the echo, and cat's two opens
	[ "$(wc -l </tmp/sysfn/ev.sysfn-tp)" -eq 3 ] && cmp -s /tmp/sysfn/ev.sysfn-tp /tmp/sysfn/ev.open &&
		cmp -s /tmp/sysfn/ev.sysfn-tp /tmp/sysfn/ev.sysfn-kp &&
		ok "syscall hook: the same events on the tracepoint, by $sysfn and by kprobe" ||
		bad "syscall hook: the same events on the tracepoint, by $sysfn and by kprobe" "$(cat /tmp/sysfn/ev.sysfn-tp /tmp/sysfn/ev.open /tmp/sysfn/ev.sysfn-kp | tr '\n' '|')"
	for w in "vm-open:syscall $sysfn on __x64_sys_openat, with $sysret" \
		"vm-sysfn-kp:syscall kprobe on __x64_sys_openat, with kretprobe" \
		"vm-sysfn-tp:syscall tracepoint on syscalls/sys_enter_openat and syscalls/sys_exit_openat" \
		"vm-honeypot:syscall $sysfn on __x64_sys_openat"; do
		check "policy status: ${w%%:*}: ${w#*:}" \
			sh -c "grep '\"name\":\"${w%%:*}\"' /tmp/sysfn/list.json | grep -q 'kprobes\[0\] sys_openat: ${w#*:}\"'"
	done
	;;
esac
