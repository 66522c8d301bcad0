# SPDX-License-Identifier: Apache-2.0
# process_exec/process_exit: binaries, quoted arguments, exit codes, parents.
# Sourced by tests/vm/init.sh with PHASE=run, then PHASE=check.
case $PHASE in
run)
	/bin/busybox true vm-marker "two words"
	/usr/bin/true vm-true "a b"
	/bin/sh -c '/usr/bin/cat /etc/hostname | /usr/bin/wc -c' >/dev/null
	sh -c 'exit 7'
	;;
check)
	check "exec event with arguments" grep -q '"binary":"/bin/busybox","arguments":"true vm-marker \\"two words\\""' $EV
	check "exec of /usr/bin/true with quoted arguments" grep -q '"process_exec":{"process":{[^}]*"binary":"/usr/bin/true","arguments":"vm-true \\"a b\\""' $EV
	check "exit of /usr/bin/true, status 0" sh -c 'grep "\"process_exit\":{\"process\":{[^}]*\"binary\":\"/usr/bin/true\"" '$EV' | grep -qv "\"status\":"'
	sh_id=$(grep '"process_exec":{"process":{[^}]*"arguments":"-c \\"/usr/bin/cat /etc/hostname' $EV |
		sed -n 's/^{"process_exec":{"process":{"exec_id":"\([^"]*\)".*/\1/p')
	check "pipeline children link to their sh -c parent" sh -c "[ -n '$sh_id' ] &&
		grep -q '\"binary\":\"/usr/bin/cat\",\"arguments\":\"/etc/hostname\"[^}]*\"parent_exec_id\":\"$sh_id\"' $EV &&
		grep -q '\"binary\":\"/usr/bin/wc\",\"arguments\":\"-c\"[^}]*\"parent_exec_id\":\"$sh_id\"' $EV"
	check "exit status 7" grep -q '"process_exit":{"process":{[^}]*"arguments":"-c \\"exit 7\\""[^$]*"status":7' $EV
	;;
esac
