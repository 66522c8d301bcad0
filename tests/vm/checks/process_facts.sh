# SPDX-License-Identifier: Apache-2.0
# Process facts on older kernels: a second agent with
# --enable-process-environment-variables (the exec hook reads mm->env_*),
# --username-metadata=unix (the hook reads the task's root) and
# --enable-ancestors base; the main agent runs without them.
case $PHASE in
run)
	FEV=/tmp/facts-ev.log
	/bin/tetragon --stdout none --server-address "" --server-socket "" --info-file "" \
		--export-filename $FEV --enable-process-environment-variables \
		--filter-environment-variables TG_VM --username-metadata unix --enable-ancestors base \
		>/tmp/facts.out 2>/tmp/facts.err &
	fpid=$!
	i=0
	while ! grep -q "tetragon running" /tmp/facts.err 2>/dev/null && [ $i -lt 1200 ] && kill -0 $fpid 2>/dev/null; do
		i=$((i + 1))
		sleep 0.1
	done
	env -i TG_VM=vm-env OTHER=x /bin/sh -c '/usr/bin/true facts-vm; true'
	i=0
	while ! grep -q '"arguments":"facts-vm"' $FEV 2>/dev/null && [ $i -lt 300 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill -TERM $fpid
	wait $fpid
	facts_status=$?
	;;
check)
	FEV=/tmp/facts-ev.log
	if [ "$facts_status" -eq 0 ]; then
		ok "facts agent: clean run"
	else
		bad "facts agent: clean run" "exit $facts_status: $(tail -3 /tmp/facts.err | tr '\n' '|')"
	fi
	check "facts: environment variables read at exec, filtered" grep -q '"arguments":"facts-vm".*"environment_variables":\[{"Key":"TG_VM","Value":"vm-env"}\]' $FEV
	check "facts: user name from the passwd file" grep -q '"arguments":"facts-vm".*"user":{"name":"vm-root"}' $FEV
	check "facts: ancestors beyond the parent" grep -q '"process_exec":{"process":{[^}]*"arguments":"facts-vm".*"ancestors":\[{' $FEV
	;;
esac
