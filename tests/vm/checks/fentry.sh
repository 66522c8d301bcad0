# SPDX-License-Identifier: Apache-2.0
# vm-requires: fentry,fexit
# policies/fentry_mkdir.yaml: fentries (BPF trampolines) on kernel
# functions, arguments typed from BTF: do_mkdirat's dfd and name (resolve:
# on its struct filename *) with its return value from fexit, do_rmdir's
# name; other paths filtered in the kernel.
case $PHASE in
run)
	mkdir -p /tmp/fe
	mkdir /tmp/fe/d1
	mkdir /tmp/fe/d1 2>/dev/null	# EEXIST
	rmdir /tmp/fe/d1
	mkdir /tmp/not-fe
	;;
check)
	check "fentry+fexit do_mkdirat: dfd, name (resolve), return 0" \
		grep -q '"process_kprobe":{.*"function_name":"do_mkdirat","args":\[{"int_arg":-100},{"string_arg":"/tmp/fe/d1"}\],"return":{"int_arg":0},"action":"KPROBE_ACTION_POST","policy_name":"vm-fentry"' "$EV"
	check "fentry+fexit do_mkdirat: the second mkdir returns -17 (EEXIST)" \
		grep -q '"function_name":"do_mkdirat","args":\[{"int_arg":-100},{"string_arg":"/tmp/fe/d1"}\],"return":{"int_arg":-17},"action":"KPROBE_ACTION_POST","policy_name":"vm-fentry"' "$EV"
	check "fentry do_rmdir: the name" \
		grep -q '"process_kprobe":{.*"function_name":"do_rmdir","args":\[{"string_arg":"/tmp/fe/d1"}\],"action":"KPROBE_ACTION_POST","policy_name":"vm-fentry"' "$EV"
	n=$(grep '"policy_name":"vm-fentry"' "$EV" | grep -c 'not-fe')
	[ "$n" -eq 0 ] && ok "fentry: other paths filtered in the kernel" || bad "fentry: other paths filtered in the kernel" "$n events"
	check "fentry: the back-end in the agent's log" \
		grep -q "tracing policy vm-fentry .* accepted: 2 hook(s); fentries\[0\] do_mkdirat: fentry on do_mkdirat, with fexit; fentries\[1\] do_rmdir: fentry on do_rmdir" /tmp/agent.err
	;;
esac
