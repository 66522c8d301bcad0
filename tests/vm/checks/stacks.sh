# SPDX-License-Identifier: Apache-2.0
# vm-requires: kprobe,fentry
# Post kernelStackTrace on kernel functions (the host test covers syscall
# hooks): a kprobe on security_inode_mkdir and an fentry on do_mkdirat,
# added at run time; each event's kernel_stack_trace names the path from
# the syscall (do_mkdirat, then do_syscall_64), symbols only.
stk_policy() {	# name, section, call
	cat <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "$1"
spec:
  $2:
  - call: "$3"
    syscall: false
    selectors:
    - matchActions:
      - action: Post
        kernelStackTrace: true
YAML
}
case $PHASE in
run)
	mkdir -p /tmp/stk
	stk_policy stk-kprobe kprobes security_inode_mkdir >/tmp/stk/kp.yaml
	stk_policy stk-fentry fentries do_mkdirat >/tmp/stk/fe.yaml
	/bin/tetra tracingpolicy add /tmp/stk/kp.yaml >/tmp/stk/kp.out 2>&1
	stk_kp_status=$?
	/bin/tetra tracingpolicy add /tmp/stk/fe.yaml >/tmp/stk/fe.out 2>&1
	stk_fe_status=$?
	mkdir /tmp/stk/made
	i=0
	while [ $i -lt 100 ] && ! { grep -q '"policy_name":"stk-kprobe"' "$EV" && grep -q '"policy_name":"stk-fentry"' "$EV"; } 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	/bin/tetra tracingpolicy delete stk-kprobe >/dev/null 2>&1
	/bin/tetra tracingpolicy delete stk-fentry >/dev/null 2>&1
	;;
check)
	[ "$stk_kp_status" -eq 0 ] && ok "stacks: kprobe with kernelStackTrace added" ||
		bad "stacks: kprobe with kernelStackTrace added" "$(cat /tmp/stk/kp.out)"
	[ "$stk_fe_status" -eq 0 ] && ok "stacks: fentry with kernelStackTrace added" ||
		bad "stacks: fentry with kernelStackTrace added" "$(cat /tmp/stk/fe.out)"
	check "stacks: kprobe security_inode_mkdir's kernel stack (do_mkdirat ... do_syscall_64, no addresses)" \
		grep -Eq '"function_name":"security_inode_mkdir","action":"KPROBE_ACTION_POST","kernel_stack_trace":\[\{"offset":"[0-9]+","symbol":"[a-z_]+"\}.*\{"offset":"[0-9]+","symbol":"do_mkdirat"\}.*\{"offset":"[0-9]+","symbol":"do_syscall_64"\}.*"policy_name":"stk-kprobe"' "$EV"
	check "stacks: fentry do_mkdirat's kernel stack (... do_syscall_64)" \
		grep -Eq '"function_name":"do_mkdirat".*"kernel_stack_trace":\[.*\{"offset":"[0-9]+","symbol":"do_syscall_64"\}.*"policy_name":"stk-fentry"' "$EV"
	;;
esac
