# SPDX-License-Identifier: Apache-2.0
# vm-requires: kprobe,fentry
# policies/data.yaml, data_fentry.yaml: data: entries read on a syscall function (the
# caller's registers), a kernel-function kprobe (its own registers, the
# task's credentials) and a fentry (the task's comm), each filtered in the
# kernel with matchData: the call whose data does not match is not posted.
case $PHASE in
run)
	/bin/corpus_calls prctl 0xffff1 5 >/dev/null	# rdi does not match
	/bin/corpus_calls prctl 0xffff0 7 >/dev/null
	mkdir -p /tmp/kpdata/d1
	rmdir /tmp/kpdata/d1
	mkdir /tmp/kpdata/d2
	rm -r /tmp/kpdata/d2	# do_rmdir from comm rm: filtered
	;;
check)
	check "data: a syscall's registers (pt_regs) and the task's comm (current_task), matchData on rdi" \
		grep -q '"process_kprobe":{.*"function_name":"__x64_sys_prctl",.*"policy_name":"vm-data","data":\[{"size_arg":"1048560"},{"int_arg":7},{"string_arg":"corpus_calls"}\]' "$EV"
	n=$(grep -c '"function_name":"__x64_sys_prctl",.*"policy_name":"vm-data"' "$EV")
	[ "$n" -eq 1 ] && ok "data: matchData filtered the other prctl in the kernel" ||
		bad "data: matchData filtered the other prctl in the kernel" "$n events"
	check "data: a kernel function's registers (edi, dx) and the task's uid through cred" \
		grep -q '"process_kprobe":{.*"function_name":"do_mkdirat","args":\[{"string_arg":"/tmp/kpdata/d1"}\],.*"policy_name":"vm-data","data":\[{"int_arg":-100},{"uint_arg":511},{"int_arg":0}\]' "$EV"
	check "data: a fentry's current_task comm, matchData Equal rmdir" \
		grep -q '"process_kprobe":{.*"function_name":"do_rmdir","args":\[{"string_arg":"/tmp/kpdata/d1"}\],.*"policy_name":"vm-data-fentry","data":\[{"string_arg":"rmdir"}\]' "$EV"
	n=$(grep -c '"function_name":"do_rmdir",.*"policy_name":"vm-data-fentry"' "$EV")
	[ "$n" -eq 1 ] && ok "data: the rm of d2 (comm rm) filtered by matchData" ||
		bad "data: the rm of d2 (comm rm) filtered by matchData" "$n events"
	;;
esac
