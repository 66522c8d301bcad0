# SPDX-License-Identifier: Apache-2.0
# vm-requires: uprobe
# policies/usdt.yaml: a semaphore-guarded USDT probe (the kernel counts the
# semaphore up while the agent is attached), its argument filtered in the kernel.
case $PHASE in
run)
	/bin/usdt_target 7 0 vm-other >/tmp/usdt.out1
	/bin/usdt_target -42 0 vm-usdt >/tmp/usdt.out2
	;;
check)
	check "usdt: the guarded probe enabled by its semaphore" grep -q "guarded: on" /tmp/usdt.out2
	check "usdt with its argument, filtered in the kernel" grep -q '"process_usdt".*"provider":"tg","name":"guarded","policy_name":"vm-usdt","args":\[{"int_arg":-42}\]' $EV
	check "usdt: the other call filtered" sh -c '! grep -q "\"process_usdt\".*\"int_arg\":7}" '$EV
	;;
esac
