# SPDX-License-Identifier: Apache-2.0
# vm-requires: kprobe,kretprobe
# policies/kprobe_*.yaml: kernel-function kprobes with their arguments
# (integer, file path, a resolve: chain), filtered in the kernel; a
# kretprobe with matchReturnArgs; one program on a list of functions
# (kprobe.multi on 6.12, kprobes on 6.1); a policy on a function this kernel
# does not have, refused with the reason.
kp_event() {	# policy name, function, args JSON: one exact event
	grep -q "\"process_kprobe\":{.*\"function_name\":\"$2\",\"args\":\[$3\].*\"policy_name\":\"$1\"" "$EV"
}
case $PHASE in
run)
	mkdir -p /tmp/kp
	echo data >/tmp/kp/w		# written: MAY_WRITE
	printf 'kprobe bytes' >/tmp/kp/buf
	dd if=/tmp/kp/buf of=/dev/null bs=64 2>/dev/null	# read(2) (busybox cat sends files): 12 bytes, then 0 (filtered at the return)
	cat /tmp/kp/w >/dev/null	# read: MAY_READ, filtered
	mkdir /tmp/kp/dir1	# busybox: mode 0777, then chmod for -m
	mkdir /tmp/kp/dir-twice
	mkdir /tmp/kp/dir-twice 2>/dev/null	# EEXIST: the return probe reports it
	mkdir /tmp/kp/list1
	rmdir /tmp/kp/list1
	mkdir /tmp/kp/gen-dir
	rmdir /tmp/kp/gen-dir
	cat >/tmp/kp-missing.yaml <<'YAML'
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "vm-kp-missing"
spec:
  kprobes:
  - call: "tg_no_such_function"
    syscall: false
YAML
	/bin/tetra tracingpolicy add /tmp/kp-missing.yaml >/tmp/kp-missing.out 2>&1
	kp_missing_status=$?
	/bin/tetra tracingpolicy list -o json >/tmp/kp-list.json 2>&1
	;;
check)
	check "kprobe security_file_permission: the write under /tmp/kp/ with its file and mask" \
		kp_event vm-kp-fileperm security_file_permission '{"file_arg":{"path":"/tmp/kp/w","permission":"-rw-r--r--"}},{"int_arg":2}'
	# every event a write (mask 2) under /tmp/kp/: the read of /tmp/kp/w was not posted
	n=$(grep '"policy_name":"vm-kp-fileperm"' "$EV" | grep -vc '"args":\[{"file_arg":{"path":"/tmp/kp/[^"]*","permission":"[^"]*"}},{"int_arg":2}\]')
	[ "$n" -eq 0 ] && ok "kprobe security_file_permission: the read (mask 4) filtered in the kernel" ||
		bad "kprobe security_file_permission: the read (mask 4) filtered in the kernel" "$n other events"
	check "kprobe do_mkdirat: dfd, the name through resolve: name, the mode" \
		kp_event vm-kp-mkdir do_mkdirat '{"int_arg":-100},{"string_arg":"/tmp/kp/dir1"},{"uint_arg":511}'
	check "kretprobe do_mkdirat: the EEXIST return only (matchReturnArgs)" \
		grep -q '"function_name":"do_mkdirat","args":\[{"string_arg":"/tmp/kp/dir-twice"}\],"return":{"int_arg":-17},"action":"KPROBE_ACTION_POST","policy_name":"vm-kp-mkdir-ret"' "$EV"
	[ "$(grep -c '"function_name":"do_mkdirat".*"policy_name":"vm-kp-mkdir-ret"' "$EV")" -eq 1 ] && ok "kretprobe do_mkdirat: the successful mkdir filtered" ||
		bad "kretprobe do_mkdirat: the successful mkdir filtered" "$(grep -c '"function_name":"do_mkdirat".*"policy_name":"vm-kp-mkdir-ret"' "$EV") events"
	check "kprobe security_path_mkdir: a struct path and a struct dentry (within its file system)" \
		kp_event vm-kp-paths security_path_mkdir '{"path_arg":{"path":"/tmp/kp","permission":"drwxr-xr-x"}},{"path_arg":{"path":"/kp/dir1","permission":"---------"}},{"uint_arg":511}'
	check "kprobe vfs_write: a user buffer sized by sizeArgIndex" \
		kp_event vm-kp-paths vfs_write '{"file_arg":{"path":"/tmp/kp/buf","permission":"-rw-r--r--"}},{"bytes_arg":"a3Byb2JlIGJ5dGVz"},{"size_arg":"12"}'
	check "kretprobe vfs_read: the buffer copied at the return (returnCopy), the count returned" \
		grep -q '"function_name":"vfs_read","args":\[{"file_arg":{"path":"/tmp/kp/buf","permission":"-rw-r--r--"}},{"bytes_arg":"a3Byb2JlIGJ5dGVz"}\],"return":{"int_arg":12},"action":"KPROBE_ACTION_POST","policy_name":"vm-kp-mkdir-ret"' "$EV"
	check "list: of two functions, the first named in its event" \
		kp_event vm-kp-list do_mkdirat '{"string_arg":"/tmp/kp/list1"}'
	check "list: of two functions, the second named in its event" \
		kp_event vm-kp-list do_rmdir '{"string_arg":"/tmp/kp/list1"}'
	check "generated_ftrace list from available_filter_functions" \
		kp_event vm-kp-list do_rmdir '{"string_arg":"/tmp/kp/gen-dir"}'
	if has_feature kprobe_multi; then want="kprobe.multi on 2 functions"; else want="kprobe on 2 functions"; fi
	check "the back-end chosen at load time ($want) in the policy status" \
		grep -q "kprobes\[0\] list:dirs: $want" /tmp/kp-list.json
	check "the back-end chosen at load time in the agent's log" \
		grep -q "tracing policy vm-kp-list .* accepted: 2 hook(s); kprobes\[0\] list:dirs: $want" /tmp/agent.err
	if grep -q __x64_sys_openat /sys/kernel/btf/vmlinux; then w=fentry; else w=kprobe; fi
	check "a syscall kprobe on its function (syscall $w), not its tracepoint" \
		grep -q "\"name\":\"vm-honeypot\".*kprobes\[0\] sys_openat: syscall $w on __x64_sys_openat\"" /tmp/kp-list.json
	[ "$kp_missing_status" -ne 0 ] && grep -q "kprobe on tg_no_such_function: function tg_no_such_function does not exist on this kernel" /tmp/kp-missing.out &&
		ok "a function this kernel lacks is refused with its name and the reason" ||
		bad "a function this kernel lacks is refused with its name and the reason" "exit $kp_missing_status: $(cat /tmp/kp-missing.out)"
	;;
esac
