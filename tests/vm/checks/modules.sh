# SPDX-License-Identifier: Apache-2.0
# vm-requires: kprobe
# policies/modules.yaml: load_info and module arguments, with crc7.ko (the
# kernel package's own, no dependencies; run-matrix.sh puts it at
# /lib/tg-modules) loaded by busybox insmod and unloaded. Debian signs its
# modules: signature_ok is true, and the kernel is not tainted.
case $PHASE in
run)
	insmod /lib/tg-modules/crc7.ko >/tmp/modules.out 2>&1
	grep "^crc7 " /proc/modules >>/tmp/modules.out
	rmmod crc7 >>/tmp/modules.out 2>&1
	;;
check)
	mod_ev() {	# function, args regexp (grep -E): one event of vm-modules
		grep -Eq "\"process_kprobe\":\{.*\"function_name\":\"$1\",\"args\":\[$2\].*\"policy_name\":\"vm-modules\"" "$EV"
	}
	grep -q "^crc7 " /tmp/modules.out && ok "modules: crc7.ko loads" ||
		bad "modules: crc7.ko loads" "$(head -3 /tmp/modules.out | tr '\n' '|')"
	# the arguments, for the record
	grep '"policy_name":"vm-modules"' "$EV" | sed -n 's/.*\("function_name":"[a-z_]*","args":\[.*\]\),"action".*/VMLOG modules: \1/p' | cut -c1-300
	check "load_info (check_modstruct_version): the module's name and signature_ok; the module it describes" \
		mod_ev check_modstruct_version '\{"module_arg":\{"name":"crc7","signature_ok":true\}\},\{"module_arg":\{"name":"crc7"\}\}'
	check "module (do_init_module): the loaded module's name, no taints" \
		mod_ev do_init_module '\{"module_arg":\{"name":"crc7"\}\}'
	check "module (free_module): the unloaded module" mod_ev free_module '\{"module_arg":\{"name":"crc7"\}\}'
	;;
esac
