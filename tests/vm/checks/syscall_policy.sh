# SPDX-License-Identifier: Apache-2.0
# policies/open.yaml and kill.yaml: a sys_openat Prefix match, and Sigkill
# of a honeypot's opener.
case $PHASE in
run)
	echo secret >/tmp/watched/f
	echo secret >/tmp/honeypot
	cat /tmp/watched/f >/dev/null
	cat /tmp/honeypot >/dev/null
	kill_status=$?
	;;
check)
	check "kprobe policy event on the watched path" grep -q '"process_kprobe".*"function_name":"__x64_sys_openat".*"string_arg":"/tmp/watched/f"' $EV
	[ "$kill_status" -eq 137 ] && ok "Sigkill on the honeypot open" || bad "Sigkill on the honeypot open" "cat exited $kill_status"
	check "honeypot kprobe reports the kill" grep -q '"string_arg":"/tmp/honeypot".*"action":"KPROBE_ACTION_SIGKILL"' $EV
	;;
esac
