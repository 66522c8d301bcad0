# SPDX-License-Identifier: Apache-2.0
# policies/binaries_symlink.yaml: matchBinaries In /usr/bin/cat matches cat
# run through a symlink of its own (the resolved executable, as upstream on
# kernels >= 5.3), not busybox's cat applet (/bin/cat -> busybox).
case $PHASE in
run)
	mkdir -p /tmp/mblink
	echo x >/tmp/mblink/f
	echo x >/tmp/mblink/g
	ln -s /usr/bin/cat /tmp/mycat
	/bin/cat /tmp/mblink/f >/dev/null
	/tmp/mycat /tmp/mblink/f >/dev/null
	/usr/bin/cat /tmp/mblink/g >/dev/null
	;;
check)
	# the process' binary (the first one: the parent's comes after) and the path
	mb=$(grep '"policy_name":"vm-mb-symlink"' $EV |
		sed -n 's/.*"process_kprobe":{"process":{[^}]*"binary":"\([^"]*\)".*"args":\[{[^}]*"string_arg":"\([^"]*\)".*/\1 \2/p' |
		tr '\n' ',')
	[ "$mb" = "/tmp/mycat /tmp/mblink/f,/usr/bin/cat /tmp/mblink/g," ] &&
		ok "matchBinaries matches a symlinked binary's target, not busybox's cat" ||
		bad "matchBinaries matches a symlinked binary's target, not busybox's cat" "got: $mb"
	;;
esac
