# SPDX-License-Identifier: Apache-2.0
# vm-requires: kprobe,fmod_ret
# Override on kprobes: upstream's override-security.yaml as is (every
# mkdir but bash's fails: security_inode_mkdir made to return -1 by an
# fmod_ret program, Debian's kernels having no bpf_override_return), added
# and deleted at run time since it blocks every mkdir; upstream's
# hardlink-override.yaml as is (sys_linkat), which these kernels can only
# refuse: no bpf_override_return (CONFIG_BPF_KPROBE_OVERRIDE) and no
# syscalls for fmod_ret (not error-injectable without
# CONFIG_FUNCTION_ERROR_INJECTION, and Debian's BTF does not have the
# syscall functions a trampoline needs anyway);
# the refusal names the lsmhook that does the same (lsm.sh runs it).
case $PHASE in
run)
	mkdir -p /tmp/ovr
	cat >/tmp/ovr/override-security.yaml <<'YAML'
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "security-override"
spec:
  kprobes:
  - call: "security_inode_mkdir"
    syscall: false
    selectors:
    - matchBinaries:
      - operator: "In"
        values:
        - "/usr/bin/bash"
    - matchActions:
      - action: Override
        argError: -1
YAML
	cat >/tmp/ovr/hardlink-override.yaml <<'YAML'
# This policy is provided as a sample only, and does not provide any security observability
# guarantees. Users are strongly encouraged to evaluate the functionality defined in this policy and
# make any modifications necessary to achieve their desired security posture. In particular, syscall
# tracing suffers from Time-of-Check-to-Time-of-Use (TOCTOU) issues that may limit the utility of
# this policy.
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "sys-linkat-passwd"
spec:
  kprobes:
  - call: "sys_linkat"
    syscall: true
    args:
    - index: 0
      type: "int"
    - index: 1
      type: "string"
    - index: 2
      type: "int"
    - index: 3
      type: "string"
    - index: 4
      type: "int"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Equal"
        values:
        - "/etc/passwd"
      matchActions:
      - action: Override
        argError: -1
YAML
	/bin/tetra tracingpolicy add /tmp/ovr/override-security.yaml >/tmp/ovr/add.out 2>&1
	ovr_add_status=$?
	ovr_mkdir_out=$(mkdir /tmp/ovr/blocked 2>&1)
	ovr_mkdir_status=$?
	/bin/tetra tracingpolicy list -o json 2>&1 | sed 's/{"id":/\n{"id":/g' >/tmp/ovr/list.json
	/bin/tetra tracingpolicy delete security-override >/tmp/ovr/delete.out 2>&1
	mkdir /tmp/ovr/after
	ovr_after_status=$?
	/bin/tetra tracingpolicy add /tmp/ovr/hardlink-override.yaml >/tmp/ovr/hardlink.out 2>&1
	ovr_hardlink_status=$?
	;;
check)
	[ "$ovr_add_status" -eq 0 ] && ok "override-security (upstream's, as is) added at run time" ||
		bad "override-security (upstream's, as is) added at run time" "$(cat /tmp/ovr/add.out)"
	[ "$ovr_mkdir_status" -ne 0 ] && [ "$ovr_mkdir_out" = "mkdir: can't create directory '/tmp/ovr/blocked': Operation not permitted" ] &&
		[ ! -d /tmp/ovr/blocked ] && ok "override-security: mkdir fails with EPERM (argError -1), the caller sees it" ||
		bad "override-security: mkdir fails with EPERM (argError -1), the caller sees it" "exit $ovr_mkdir_status: $ovr_mkdir_out"
	check "override-security: reported as overridden (process_kprobe security_inode_mkdir)" \
		grep -q '"process_kprobe":{.*"binary":"/bin/busybox".*"function_name":"security_inode_mkdir","action":"KPROBE_ACTION_OVERRIDE","policy_name":"security-override"' "$EV"
	if has_feature kprobe_multi; then want="kprobe.multi"; else want="kprobe"; fi
	check "override-security: fmod_ret chosen, in the policy status ($want on security_inode_mkdir)" \
		grep -q "kprobes\[0\] security_inode_mkdir: $want on security_inode_mkdir, Override by fmod_ret on security_inode_mkdir\"" /tmp/ovr/list.json
	check "override-security: mkdir works again once the policy is deleted" [ "$ovr_after_status" -eq 0 ]
	if has_feature override_return || has_feature fmod_ret_syscall; then
		[ "$ovr_hardlink_status" -eq 0 ] && ok "hardlink-override (upstream's, as is) accepted" ||
			bad "hardlink-override (upstream's, as is) accepted" "$(cat /tmp/ovr/hardlink.out)"
	else
		[ "$ovr_hardlink_status" -ne 0 ] &&
			grep -Eq "kprobe on sys_linkat: Override on __x64_sys_linkat needs bpf_override_return \(.*CONFIG_BPF_KPROBE_OVERRIDE.*\) or fmod_ret on it \((.*CONFIG_FUNCTION_ERROR_INJECTION.*|__x64_sys_linkat is not in the kernel's BTF, which fmod_ret needs)\), and this kernel has neither; the lsmhook path_link does the same" /tmp/ovr/hardlink.out &&
			ok "hardlink-override (upstream's, as is): refused, naming the missing kernel options and the lsmhook path_link" ||
			bad "hardlink-override (upstream's, as is): refused, naming the missing kernel options and the lsmhook path_link" "exit $ovr_hardlink_status: $(cat /tmp/ovr/hardlink.out)"
	fi
	;;
esac
