# SPDX-License-Identifier: Apache-2.0
# What survives the agent, with agents of its own after the matrix's one
# stopped: a Sigkill policy pinned in bpffs (--keep-sensors-on-exit) keeps
# killing after its agent is SIGKILLed, the next agent releases it; a
# process running across a restart keeps its exec_id (task iterator).
# vm-requires: tracepoint, send_signal
persist_agent() {	# $1: log name; the rest: flags. Waits until it runs; pid in $pa
	/bin/tetragon --stdout none --server-address "" --server-socket "" --info-file "" \
		--export-filename /tmp/$1.ev "$@" >/tmp/$1.out 2>/tmp/$1.err &
	pa=$!
	i=0
	while ! grep -q "tetragon running" /tmp/$1.err 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 1200 ] || ! kill -0 $pa 2>/dev/null; then break; fi
		sleep 0.1
	done
}
persist_wait() {	# $1: file, $2: pattern (30 s)
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 300 ] && return 1
		sleep 0.1
	done
}
case $PHASE in
check)
	cat >/tmp/persist-kill.yaml <<'EOF'
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "persist-kill"
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Equal"
        values: ["/tmp/persist-honeypot"]
      matchActions:
      - action: Sigkill
EOF
	echo secret >/tmp/persist-honeypot
	persist_agent keep --keep-sensors-on-exit --bpf-dir vmtest --tracing-policy /tmp/persist-kill.yaml
	kill -KILL $pa
	wait $pa 2>/dev/null
	cat /tmp/persist-honeypot >/dev/null
	st=$?
	[ $st -eq 137 ] && ok "persist: Sigkill enforced after the agent was SIGKILLed" ||
		bad "persist: Sigkill enforced after the agent was SIGKILLed" "cat exited $st; $(grep -iE 'warn|error' /tmp/keep.err | tr '\n' '|')"
	check "persist: links pinned in /sys/fs/bpf/vmtest" test -e /sys/fs/bpf/vmtest/__base__/tg_sched_exec/link
	persist_agent release --bpf-dir vmtest
	kill -TERM $pa
	wait $pa 2>/dev/null
	cat /tmp/persist-honeypot >/dev/null
	st=$?
	[ $st -eq 0 ] && ok "persist: --release-pinned-bpf detached it" || bad "persist: --release-pinned-bpf detached it" "cat exited $st"

	# exec_id across a restart
	persist_agent ida
	sleep 300 &
	sp=$!
	persist_wait /tmp/ida.ev "\"pid\":$sp,"
	kill -TERM $pa
	wait $pa 2>/dev/null
	id1=$(grep "\"process_exec\":{\"process\":{\"exec_id\":\"[^\"]*\",\"pid\":$sp," /tmp/ida.ev | sed 's/.*"exec_id":"\([^"]*\)","pid":'$sp',.*/\1/' | head -1)
	persist_agent idb
	kill $sp
	persist_wait /tmp/idb.ev "\"process_exit\":{\"process\":{\"exec_id\":\"[^\"]*\",\"pid\":$sp,"
	id2=$(grep "\"process_exit\":{\"process\":{\"exec_id\":\"[^\"]*\",\"pid\":$sp," /tmp/idb.ev | sed 's/.*"process_exit":{"process":{"exec_id":"\([^"]*\)".*/\1/' | head -1)
	kill -TERM $pa
	wait $pa 2>/dev/null
	[ -n "$id1" ] && [ "$id1" = "$id2" ] && ok "persist: exec_id kept across an agent restart" ||
		bad "persist: exec_id kept across an agent restart" "before '$id1' after '$id2'; $(grep -i iterator /tmp/idb.err)"
	;;
esac
