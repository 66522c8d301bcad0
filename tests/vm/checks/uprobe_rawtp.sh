# SPDX-License-Identifier: Apache-2.0
# policies/uprobe.yaml (arguments, filtered in the kernel) and rawtp.yaml
# (a raw sched_process_exec with its linux_binprm path).
case $PHASE in
run)
	/bin/uprobe_target 7 0 other
	/bin/uprobe_target 42 0 vm-probe
	;;
check)
	check "uprobe with arguments, filtered in the kernel" grep -q '"process_uprobe".*"symbol":"tg_uprobe_target".*"args":\[{"int_arg":42},{"string_arg":"vm-probe"}\]' $EV
	check "uprobe: the other call filtered" sh -c '! grep -q "\"string_arg\":\"other\"" '$EV
	check "raw tracepoint with a linux_binprm path" grep -q '"process_tracepoint".*"event":"sched_process_exec".*"linux_binprm_arg":{"path":"/bin/uprobe_target","permission":"-rwxr-xr-x"}' $EV
	;;
esac
