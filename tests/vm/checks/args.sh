# SPDX-License-Identifier: Apache-2.0
# vm-requires: kprobe,kretprobe
# policies/args_*.yaml: kernel structures as kprobe arguments, each event's
# fields asserted (sock, socket, skb, cred, user_namespace, bpf_attr,
# bpf_map, bpf_prog, perf_event), and the operators that read them in the
# kernel (DAddr, DPort, SAddr, NotDAddr, NotSPortPriv, Protocol, State,
# Family on sock/skb; FileType, NotFileType, SubString on files), with
# upstream's example policies tcp-connect, process-creds-changed and bpf.
# A connect to 127.0.0.1:8000 (refused: nothing listens) passes the network
# filters; one to port 8001 must not.
args_ev() {	# policy, function, args regexp (grep -E): one event
	grep -Eq "\"process_kprobe\":\{.*\"function_name\":\"$2\",\"args\":\[$3\].*\"policy_name\":\"$1\"" "$EV"
}
SOCK8000='\{"sock_arg":\{"family":"AF_INET","type":"SOCK_STREAM","protocol":"IPPROTO_TCP","saddr":"127.0.0.1","daddr":"127.0.0.1","sport":[0-9]+,"dport":8000,"cookie":"[0-9]+","state":"TCP_SYN_SENT"\}\}'
ROOTCAPS='"caps":\{"permitted":\["CAP_CHOWN",[^]]*"CAP_CHECKPOINT_RESTORE"\],"effective":\["CAP_CHOWN",[^]]*"CAP_CHECKPOINT_RESTORE"\]\}'
ROOTCRED='"uid":0,"gid":0,"euid":0,"egid":0,"suid":0,"sgid":0,"fsuid":0,"fsgid":0,'"$ROOTCAPS"
HOSTNS='"user_ns":\{"level":0,"uid":0,"gid":0,"ns":\{"inum":4026531837,"is_host":true\}\}'
case $PHASE in
run)
	ip link set lo up 2>/tmp/args-net.err || ifconfig lo 127.0.0.1 up 2>>/tmp/args-net.err
	# busybox nc: its wget crashes, statically linked, in name lookups
	nc -w 3 127.0.0.1 8000 </dev/null 2>>/tmp/args-net.err
	nc -w 3 127.0.0.1 8001 </dev/null 2>>/tmp/args-net.err
	# TrackSock: a listener's sock, tracked at sk_alloc, seen in the client's SYN
	# (busybox nc listens on IPv6's ::, dual stack)
	nc -l -p 8002 </dev/null >/dev/null 2>&1 &
	srv=$!
	i=0
	while ! grep -qs ':1F42 [0-9A-F]*:0000 0A ' /proc/net/tcp /proc/net/tcp6 && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	# both ends wait for the other to close: the client is bounded, the server killed
	timeout 3 nc 127.0.0.1 8002 </dev/null >/dev/null 2>>/tmp/args-net.err
	kill $srv 2>/dev/null
	wait $srv 2>/dev/null
	ip addr show lo >>/tmp/args-net.err 2>&1
	mkdir -p /tmp/args/args-passwd.d
	echo secret >/tmp/args/args-passwd.txt
	echo other >/tmp/args/other.txt
	cat /tmp/args/args-passwd.txt /tmp/args/other.txt >/dev/null
	cat /tmp/args/args-passwd.d 2>/dev/null	# a directory: opened, then EISDIR
	mkfifo /tmp/args/args-passwd.fifo
	sh -c 'exec 3<>/tmp/args/args-passwd.fifo'	# read-write: the open does not wait for a writer
	unshare -U /usr/bin/true	# create_user_ns
	unshare -p -f /usr/bin/true	# an exec in another pid namespace: commit_creds
	/bin/tetragon --probe-features >/dev/null 2>&1	# BPF programs and maps named tg_feature, perf events
	setpriv --inh-caps +sys_admin /usr/bin/true	# capset: the inheritable set gains CAP_SYS_ADMIN
	setpriv --inh-caps -sys_admin /usr/bin/true	# capset: nothing gained
	;;
check)
	# what the network checks saw, when the first fails
	args_ev vm-args-net tcp_connect "$SOCK8000" || {
		sed 's/^/VMLOG net: /' /tmp/args-net.err
		grep -E '"function_name":"(tcp_connect|ip_output|security_socket_connect|tcp_close)"' "$EV" | head -4 |
			sed 's/.*"function_name"/VMLOG ev: "function_name"/'
	}
	check "sock (tcp_connect): family, type, protocol, addresses, ports, cookie, state; DAddr, DPort, NotSPortPriv, Protocol, State in the kernel" \
		args_ev vm-args-net tcp_connect "$SOCK8000"
	[ "$(grep -c '"function_name":"tcp_connect".*"dport":8001.*"policy_name":"vm-args-net"' "$EV")" -eq 0 ] &&
		ok "sock: the connect to port 8001 filtered by DPort" ||
		bad "sock: the connect to port 8001 filtered by DPort" "$(grep -c '"dport":8001.*vm-args-net' "$EV") events"
	check "skb (ip_output): the SYN's addresses, ports, protocol, family; DPort, SAddr, NotDAddr, Protocol, Family in the kernel" \
		args_ev vm-args-net ip_output '\{"skb_arg":\{("hash":[0-9]+,)?"len":[0-9]+,"saddr":"127.0.0.1","daddr":"127.0.0.1","sport":[0-9]+,"dport":8000,"proto":6,"protocol":"IPPROTO_TCP","family":"AF_INET"\}\}'
	[ "$(grep -c '"function_name":"ip_output".*"policy_name":"vm-args-net"' "$EV")" -eq 1 ] &&
		ok "skb: only the SYN to port 8000 (the RST back and port 8001 filtered)" ||
		bad "skb: only the SYN to port 8000 (the RST back and port 8001 filtered)" "$(grep -c '"function_name":"ip_output".*vm-args-net' "$EV") events"
	check "socket (security_socket_connect): its sock before the connect, with the sockaddr; Family, State on the socket" \
		args_ev vm-args-net security_socket_connect '\{"sock_arg":\{"family":"AF_INET","type":"SOCK_STREAM","protocol":"IPPROTO_TCP","saddr":"0.0.0.0","daddr":"0.0.0.0","cookie":"[0-9]+","state":"TCP_CLOSE"\}\},\{"sockaddr_arg":\{"family":"AF_INET","addr":"127.0.0.1","port":8000\}\}'
	check "upstream tcp-connect.yaml: tcp_connect's sock" args_ev connect tcp_connect "$SOCK8000"
	c1=$(grep '"function_name":"tcp_connect".*"dport":8000.*"policy_name":"connect"' "$EV" | sed -n 's/.*"cookie":"\([0-9]*\)".*/\1/p' | head -1)
	# a refused connect's reset clears the source address and the ports (6.12)
	check "upstream tcp-connect.yaml: tcp_close of the same sock (its cookie), closed" \
		grep -Eq "\"function_name\":\"tcp_close\",\"args\":\[\{\"sock_arg\":\{\"family\":\"AF_INET\",\"type\":\"SOCK_STREAM\",\"protocol\":\"IPPROTO_TCP\",\"saddr\":\"(0.0.0.0|127.0.0.1)\",\"daddr\":\"127.0.0.1\",(\"sport\":[0-9]+,)?(\"dport\":8000,)?\"cookie\":\"${c1:-none}\",\"state\":\"TCP_CLOSE\"\}\}\].*\"policy_name\":\"connect\"" "$EV"
	check "upstream process-creds-changed.yaml: commit_creds in another pid namespace, root's cred (process_credentials_arg)" \
		args_ev process-creds-changed commit_creds "\{\"process_credentials_arg\":\{$ROOTCRED,$HOSTNS\}\}"
	check "cred and user_namespace (create_user_ns): the new cred, its user namespace resolved (user_ns_arg)" \
		args_ev vm-args-kstructs create_user_ns "\{\"process_credentials_arg\":\{$ROOTCRED,$HOSTNS\}\},\{\"user_ns_arg\":\{\"level\":0,\"uid\":0,\"gid\":0,\"ns\":\{\"inum\":4026531837,\"is_host\":true\}\}\}"
	check "FileType reg and SubString in the kernel: the regular file" \
		args_ev vm-args-kstructs security_file_open '\{"file_arg":\{"path":"/tmp/args/args-passwd.txt","permission":"-rw-r--r--"\}\}'
	check "NotFileType reg,dir: the fifo" \
		args_ev vm-args-kstructs security_file_open '\{"file_arg":\{"path":"/tmp/args/args-passwd.fifo","permission":"prw-r--r--"\}\}'
	n=$(grep '"policy_name":"vm-args-kstructs"' "$EV" | grep -c '"path":"/tmp/args/\(other.txt\|args-passwd.d\)"')
	[ "$n" -eq 0 ] && ok "FileType/SubString: the other file and the directory filtered" ||
		bad "FileType/SubString: the other file and the directory filtered" "$n events"
	check "upstream bpf.yaml: bpf_check's union bpf_attr (bpf_attr_arg)" \
		args_ev bpf bpf_check '\{"bpf_attr_arg":\{"ProgType":"BPF_PROG_TYPE_[A-Z_]+","InsnCnt":[0-9]+,"ProgName":"tg_feature"\}\}'
	check "upstream bpf.yaml: an array map created (bpf_map_arg)" \
		args_ev bpf 'security_bpf_map_(create|alloc)' '\{"bpf_map_arg":\{"MapType":"BPF_MAP_TYPE_ARRAY","KeySize":4,"ValueSize":8,"MaxEntries":1,"MapName":"tg_feature"\}\}'
	check "upstream bpf.yaml: a ring buffer created (bpf_map_arg)" \
		args_ev bpf 'security_bpf_map_(create|alloc)' '\{"bpf_map_arg":\{"MapType":"BPF_MAP_TYPE_RINGBUF","MaxEntries":4096,"MapName":"tg_feature"\}\}'
	check "upstream bpf.yaml: a kprobe PMU perf event on vfs_read (perf_event_arg)" \
		args_ev bpf security_perf_event_alloc '\{"perf_event_arg":\{"KprobeFunc":"vfs_read","Type":"[A-Z_0-9]+"\}\}'
	check "upstream bpf.yaml: a tracepoint perf event (perf_event_arg)" \
		args_ev bpf security_perf_event_alloc '\{"perf_event_arg":\{"Type":"PERF_TYPE_TRACEPOINT","Config":"[0-9]+"\}\}'
	# what the tracking checks saw, when the first fails
	grep -Eq '"arguments":"-l -p 8002".*"function_name":"sk_alloc"' "$EV" || {
		for f in sk_alloc tcp_conn_request tcp_close; do
			grep "\"function_name\":\"$f\"" "$EV" | head -2 |
				sed 's/.*\("arguments":"[^"]*"\).*\("function_name".*"policy_name":"[^"]*"\).*/VMLOG ev: \1 \2/'
		done
		grep -E "vm-args-track|sk_alloc" /tmp/agent.err | head -5 | sed 's/^/VMLOG agent: /'
	}
	check "returnArg sock (sk_alloc, kretprobe): the new sock of the listener" \
		grep -Eq '"arguments":"-l -p 8002".*"function_name":"sk_alloc","args":\[\{"int_arg":10,"label":"family"\}\],"return":\{"sock_arg":\{"family":"AF_INET6",[^}]*"cookie":"[0-9]+"[^}]*\}\}.*"policy_name":"vm-args-track"' "$EV"
	check "TrackSock: the client's SYN on the listener reported as the listener's process (nc -l), not the client's" \
		grep -Eq '"arguments":"-l -p 8002".*"function_name":"tcp_conn_request","args":\[\{"sock_arg":\{"family":"AF_INET6","type":"SOCK_STREAM","protocol":"IPPROTO_TCP","saddr":"::","daddr":"::","sport":8002,"cookie":"[0-9]+","state":"TCP_LISTEN"\}\}\].*"policy_name":"vm-args-track"' "$EV"
	[ "$(grep '"function_name":"tcp_conn_request"' "$EV" | grep -c '"arguments":"127.0.0.1 8002"')" -eq 0 ] &&
		ok "TrackSock: no tcp_conn_request event names the client" ||
		bad "TrackSock: no tcp_conn_request event names the client"
	check "UntrackSock (__sk_free, argSock 0): the freed sock's event" \
		grep -q '"function_name":"__sk_free","args":\[{"sock_arg":{"family":"AF_INET".*"policy_name":"vm-args-track"' "$EV"
	check "CapabilitiesGained (security_capset): the capset that raises CAP_SYS_ADMIN, old and new sets" \
		args_ev vm-args-caps security_capset '\{"cap_inheritable_arg":"0000000000000000"\},\{"cap_inheritable_arg":"0000000000200000"\}'
	n=$(grep -c '"function_name":"security_capset".*"policy_name":"vm-args-caps"' "$EV")
	[ "$n" -eq 1 ] && ok "CapabilitiesGained: the capset that gains nothing filtered in the kernel" ||
		bad "CapabilitiesGained: the capset that gains nothing filtered in the kernel" "$n events"
	if grep -q "bpf_prog_kallsyms_add: function .* \(does not exist\|cannot be probed\)" /tmp/agent.err; then
		skip "bpf_prog (bpf_prog_kallsyms_add)" "this kernel cannot probe it"
	else
		check "bpf_prog (bpf_prog_kallsyms_add): type, instructions, name (bpf_prog_arg)" \
			args_ev vm-args-kstructs bpf_prog_kallsyms_add '\{"bpf_prog_arg":\{"ProgType":"BPF_PROG_TYPE_[A-Z_]+","InsnCnt":[0-9]+,"ProgName":"tg_feature"\}\}'
	fi
	;;
esac
