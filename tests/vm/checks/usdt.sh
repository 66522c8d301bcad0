# SPDX-License-Identifier: Apache-2.0
# vm-requires: uprobe
# policies/usdt.yaml: a semaphore-guarded USDT probe (the kernel counts the
# semaphore up while the agent is attached), its argument filtered in the kernel;
# the Set action writing a probe's memory argument in the matching call only.
case $PHASE in
run)
	/bin/usdt_target 7 0 vm-other >/tmp/usdt.out1
	/bin/usdt_target -42 0 vm-usdt >/tmp/usdt.out2
	/bin/usdt_target 55 0 vm-set >/tmp/usdt.out3
	;;
check)
	check "usdt: the guarded probe enabled by its semaphore" grep -q "guarded: on" /tmp/usdt.out2
	check "usdt with its argument, filtered in the kernel" grep -q '"process_usdt".*"provider":"tg","name":"guarded","policy_name":"vm-usdt","args":\[{"int_arg":-42}\]' $EV
	check "usdt: the other call filtered" sh -c '! grep -q "\"process_usdt\".*\"int_arg\":7}" '$EV
	check "usdt Set: the matching call's argument written" grep -q "set: 32" /tmp/usdt.out3
	check "usdt Set: another call's left alone" grep -q "set: 0" /tmp/usdt.out1
	check "usdt Set reported as KPROBE_ACTION_SET" grep -q '"process_usdt".*"name":"set","policy_name":"vm-usdt","args":\[{"int_arg":0},{"int_arg":55}\],"action":"KPROBE_ACTION_SET"' $EV
	;;
esac
