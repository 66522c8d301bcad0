# SPDX-License-Identifier: Apache-2.0
# vm-requires: bpf_lsm
# policies/lsm_*.yaml: BPF LSM hooks with their arguments typed from the
# hook's BTF, and Override through the hook's return value: upstream's
# lsm_file_open.yaml as is; an exec made to fail (bprm_check_security, as
# upstream's lsm_bprm_check.yaml, with its imaHash; the upstream file as is
# loads);
# an open made to fail with the errno the policy names, NoPost, Sigkill and
# rateLimit on the same hook; a hard link to /etc/passwd made to fail
# (path_link: what upstream's hardlink-override.yaml does, see
# override.sh); monitor mode (the open succeeds, the event says Override).
lsm_event() {	# policy, hook, args JSON, action: one exact process_lsm event
	grep -q "\"process_lsm\":{.*\"function_name\":\"$2\",\"policy_name\":\"$1\",\"args\":\[$3\],\"action\":\"$4\"" "$EV"
}
lsm_wait() {	# a pattern in $EV, up to 10 s (the events of what ran before it are exported by then)
	i=0
	while ! grep -q "$1" "$EV" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
case $PHASE in
run)
	mkdir -p /tmp/lsm
	# the watched files, made without opening them (an open of them is overridden): by rename
	for f in secret quiet honey rated monitored; do
		echo "$f" >/tmp/lsm/$f.new && mv /tmp/lsm/$f.new /tmp/lsm/$f
	done
	cp /usr/bin/true /tmp/lsm/nop
	/usr/bin/cat /etc/passwd >/dev/null	# lsm-file-open: /usr/bin/cat is reported
	cat /etc/passwd >/dev/null		# busybox's cat is not
	lsm_secret_out=$(cat /tmp/lsm/secret 2>&1)
	lsm_secret_status=$?
	lsm_secret2_out=$(/usr/bin/cat /tmp/lsm/secret 2>&1)
	lsm_quiet_out=$(cat /tmp/lsm/quiet 2>&1)
	lsm_quiet_status=$?
	cat /tmp/lsm/honey >/dev/null 2>&1
	lsm_honey_status=$?
	for i in 1 2 3; do cat /tmp/lsm/rated >/dev/null; done
	lsm_nop_out=$(/tmp/lsm/nop 2>&1)
	lsm_nop_status=$?
	# links on the file system of /etc (a link across file systems fails before the hook: EXDEV)
	lsm_ln_out=$(ln /etc/passwd /etc/passwd-link 2>&1)
	lsm_ln_status=$?
	ln /etc/hostname /etc/hostname-link
	lsm_ln_other=$?
	lsm_mon_out=$(cat /tmp/lsm/monitored 2>&1)
	lsm_mon_status=$?
	# the policy's counters move with the record: wait for it, then list
	lsm_wait '"path":"/tmp/lsm/monitored"'
	/bin/tetra tracingpolicy list -o json 2>&1 | sed 's/{"id":/\n{"id":/g' >/tmp/lsm-list.json
	lsm_nop_sha=$(sha256sum /tmp/lsm/nop | cut -d' ' -f1)
	# upstream's lsm_bprm_check.yaml as is (Override and Post imaHash: its bash and program are not here)
	cat >/tmp/lsm-bprm-upstream.yaml <<'YAML'
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "lsm"
spec:
  lsmhooks:
  - hook: "bprm_check_security"
    args:
      - index: 0
        type: "linux_binprm"
    selectors:
    - matchBinaries:
      - operator: "In"
        values:
        - "/usr/bin/zsh"
        - "/usr/bin/bash"
      matchArgs:
        - index: 0
          operator: "Postfix"
          values:
            - "contrib/tester-progs/nop"
      matchActions:
        - action: Override
          argError: -1
        - action: Post
          imaHash: true
YAML
	/bin/tetra tracingpolicy add /tmp/lsm-bprm-upstream.yaml >/tmp/lsm-bprm-upstream.out 2>&1
	lsm_bprm_upstream_status=$?
	;;
check)
	check "lsm_file_open (upstream's, as is): /usr/bin/cat opening /etc/passwd, the file's path" \
		lsm_event lsm-file-open file_open '{"file_arg":{"path":"/etc/passwd","permission":"-rw-r--r--"}}' KPROBE_ACTION_POST
	n=$(grep '"policy_name":"lsm-file-open"' "$EV" | grep -vc '"binary":"/usr/bin/cat"')
	[ "$n" -eq 0 ] && ok "lsm_file_open: other binaries filtered in the kernel (matchBinaries)" ||
		bad "lsm_file_open: other binaries filtered in the kernel (matchBinaries)" "$n events"
	[ "$lsm_secret_status" -eq 1 ] && [ "$lsm_secret_out" = "cat: can't open '/tmp/lsm/secret': Permission denied" ] &&
		ok "lsm Override: the open fails with the policy's errno (EACCES, argError -13), the caller sees it" ||
		bad "lsm Override: the open fails with the policy's errno (EACCES, argError -13), the caller sees it" \
			"exit $lsm_secret_status: $lsm_secret_out"
	[ "$lsm_secret2_out" = "/usr/bin/cat: /tmp/lsm/secret: Permission denied" ] &&
		ok "lsm Override: coreutils cat sees EACCES too" || bad "lsm Override: coreutils cat sees EACCES too" "$lsm_secret2_out"
	check "lsm Override: reported as overridden, with the file" \
		lsm_event vm-lsm-override file_open '{"file_arg":{"path":"/tmp/lsm/secret","permission":"-rw-r--r--"}}' KPROBE_ACTION_OVERRIDE
	[ "$lsm_quiet_status" -eq 1 ] && [ "$lsm_quiet_out" = "cat: can't open '/tmp/lsm/quiet': Operation not permitted" ] &&
		! grep -q '"path":"/tmp/lsm/quiet"' "$EV" &&
		ok "lsm Override with NoPost: EPERM, no event" ||
		bad "lsm Override with NoPost: EPERM, no event" "exit $lsm_quiet_status: $lsm_quiet_out; $(grep -c '/tmp/lsm/quiet' "$EV") events"
	[ "$lsm_honey_status" -eq 137 ] && lsm_event vm-lsm-override file_open '{"file_arg":{"path":"/tmp/lsm/honey","permission":"-rw-r--r--"}}' KPROBE_ACTION_SIGKILL &&
		ok "lsm Sigkill: the opener killed (137) and reported" ||
		bad "lsm Sigkill: the opener killed (137) and reported" "cat exited $lsm_honey_status"
	n=$(grep -c '"path":"/tmp/lsm/rated"' "$EV")
	[ "$n" -eq 1 ] && ok "lsm rateLimit (global): 3 processes' opens, 1 event" ||
		bad "lsm rateLimit (global): 3 processes' opens, 1 event" "$n events"
	# busybox sh says "<script>: line N: /tmp/lsm/nop: Operation not permitted"
	[ "$lsm_nop_status" -eq 126 ] && [ "${lsm_nop_out%/tmp/lsm/nop: Operation not permitted}" != "$lsm_nop_out" ] &&
		ok "lsm bprm_check_security Override: the exec fails with EPERM" ||
		bad "lsm bprm_check_security Override: the exec fails with EPERM" "exit $lsm_nop_status: $lsm_nop_out"
	check "lsm bprm_check_security: the binary's path, reported as overridden" \
		lsm_event vm-lsm-bprm bprm_check_security '{"linux_binprm_arg":{"path":"/tmp/lsm/nop","permission":"-rwxr-xr-x"}}' KPROBE_ACTION_OVERRIDE
	check "lsm Post imaHash (bprm_check_security): the program's IMA hash, the sha256 of /tmp/lsm/nop" \
		grep -q "\"policy_name\":\"vm-lsm-bprm\",.*\"ima_hash\":\"sha256:$lsm_nop_sha\"" "$EV"
	[ "$lsm_bprm_upstream_status" -eq 0 ] &&
		ok "upstream's lsm_bprm_check.yaml as is: loaded (Override and Post imaHash)" ||
		bad "upstream's lsm_bprm_check.yaml as is: loaded (Override and Post imaHash)" "exit $lsm_bprm_upstream_status: $(cat /tmp/lsm-bprm-upstream.out)"
	[ "$lsm_ln_status" -ne 0 ] && [ "${lsm_ln_out%Operation not permitted}" != "$lsm_ln_out" ] &&
		[ ! -e /etc/passwd-link ] && [ "$lsm_ln_other" -eq 0 ] &&
		ok "lsm path_link Override: a hard link to /etc/passwd fails, another succeeds" ||
		bad "lsm path_link Override: a hard link to /etc/passwd fails, another succeeds" "exit $lsm_ln_status ($lsm_ln_out), other $lsm_ln_other"
	lsm_event vm-lsm-path-link path_link '{"path_arg":{"path":"/etc/passwd","permission":"-rw-r--r--"}}' KPROBE_ACTION_OVERRIDE &&
		ok "lsm path_link: the dentry's path, reported as overridden" ||
		bad "lsm path_link: the dentry's path, reported as overridden" "$(grep -o '"function_name":"path_link".*' "$EV" | head -c 400)"

	[ "$lsm_mon_status" -eq 0 ] && [ "$lsm_mon_out" = monitored ] &&
		lsm_event vm-lsm-monitor file_open '{"file_arg":{"path":"/tmp/lsm/monitored","permission":"-rw-r--r--"}}' KPROBE_ACTION_OVERRIDE &&
		ok "lsm monitor mode: the open succeeds, the event says it would have been overridden" ||
		bad "lsm monitor mode: the open succeeds, the event says it would have been overridden" "exit $lsm_mon_status: $lsm_mon_out"
	check "lsm monitor mode: counted as monitor_override, mode monitor, in the policy status" \
		sh -c "grep '\"name\":\"vm-lsm-monitor\"' /tmp/lsm-list.json | grep '\"mode\":\"TP_MODE_MONITOR\"' | grep -q '\"monitor_override\":\"1\"'"
	check "lsm: the override mechanism in the policy status" \
		grep -q "lsmhooks\[0\] file_open: bpf lsm on file_open, Override by the LSM hook's return value\"" /tmp/lsm-list.json
	check "lsm: the mechanism of a monitor-mode policy, said to be not applied" \
		grep -q "lsmhooks\[0\] file_open: bpf lsm on file_open, Override by the LSM hook's return value (monitor mode: reported, not applied)" /tmp/lsm-list.json
	check "lsm: the override mechanism in the agent's log" \
		grep -q "tracing policy vm-lsm-path-link .* accepted: 1 hook(s); lsmhooks\[0\] path_link: bpf lsm on path_link, Override by the LSM hook's return value" /tmp/agent.err
	;;
esac
