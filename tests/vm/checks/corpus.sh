# SPDX-License-Identifier: Apache-2.0
# The upstream policy corpus: every policy of /etc/tg/corpus (run-matrix.sh
# copies /work/shared/upstream-policies, or $TG_UPSTREAM_POLICIES, there) is
# added as is, one at a time, to an agent of its own started after the
# matrix's agent stopped, then deleted. Prints per policy
#   VMTEST corpus loaded FILE | VMTEST corpus refused FILE: REASON
# then each distinct refusal reason with its count and the summary line
#   VMTEST corpus-summary N policies: L loaded (A asserted), R refused
# A refusal must say why precisely: a kernel gap, a file the VM lacks, the
# Kubernetes context a namespaced or pod-selecting policy needs, or a feature
# this agent names as unsupported; any other reason fails the check.
# Where a policy loads, /etc/tg/corpus.expect (tests/vm/corpus.expect) may
# trigger it with busybox (or the initramfs's test programs) and assert its
# events' fields and, with check lines, what the caller saw (the format is
# in that file's header).
[ "$PHASE" = check ] || return 0
CP_DIR=/etc/tg/corpus
if [ -z "$(ls $CP_DIR 2>/dev/null)" ]; then
	skip "corpus" "no upstream policies in the initramfs (run-matrix.sh copies \$TG_UPSTREAM_POLICIES)"
	return 0
fi
CP_SOCK=unix:///tmp/corpus.sock
CP_EV=/tmp/corpus-ev.log
CP_N=0
# a policy of many kprobes takes long to verify under TCG on a busy host
cp_tetra() { /bin/tetra --server-address $CP_SOCK --timeout 5m "$@" </dev/null; }
cp_start() {
	CP_N=$((CP_N + 1))
	CP_ERR=/tmp/corpus-agent.$CP_N.err
	/bin/tetragon --stdout none --server-address $CP_SOCK --export-filename $CP_EV --info-file "" \
		>/dev/null 2>$CP_ERR &
	CP_PID=$!
	i=0
	while ! grep -q "tetragon running" $CP_ERR 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 $CP_PID 2>/dev/null; then
			bad "corpus agent starts" "$(tail -3 $CP_ERR | tr '\n' '|')"
			return 1
		fi
		sleep 0.1
	done
}
cp_since() { awk -v s="$1" '{ printf "%.1f", $1 - s }' /proc/uptime; }
# the policy's metadata.name: what delete takes
cp_name() { awk '/^metadata:/ { m = 1; next } m && /^  name:/ { gsub(/["'"'"' ]/, "", $2); print $2; exit }' "$1"; }

# Runs the table's entries for policy file $1 (loaded): "run" commands, then
# every "expect" ERE of a group on one event line of the policy (each
# "event" line starts another group: another event that must be there), then
# every "check" command (exit status 0).
cp_assert() {
	cp_want=$1 cp_pol=$2 cp_g=1 cp_a0=$(cut -d' ' -f1 /proc/uptime)
	rm -f /tmp/corpus-expect.*
	: >/tmp/corpus-expect.1
	: >/tmp/corpus-check
	# only the events after this point are searched: the file keeps every policy's
	cp_from=$(($(wc -c <$CP_EV 2>/dev/null || echo 0) + 1))
	# the policy's lines, read by awk in a few large reads (the shell's read
	# takes a byte a call, each an event for the policies watching /etc)
	awk -v f="$cp_want" '$1 == "policy" { cur = $2; next } cur == f' /etc/tg/corpus.expect >/tmp/corpus-block
	while read -r key rest; do
		case "$key" in
		run) timeout 30 sh -c "$rest" >/dev/null 2>&1 </dev/null ;;
		expect) echo "$rest" >>/tmp/corpus-expect.$cp_g ;;
		event) [ -s /tmp/corpus-expect.$cp_g ] && cp_g=$((cp_g + 1)) && : >/tmp/corpus-expect.$cp_g ;;
		check) echo "$rest" >>/tmp/corpus-check ;;
		esac
	done </tmp/corpus-block
	[ -s /tmp/corpus-expect.1 ] || return 1
	# polled for 15 s of the VM's time (a busy host makes every step slow)
	cp_end=$(awk '{ printf "%d", $1 + 15 }' /proc/uptime)
	while :; do
		# process_loader events name no policy (upstream's): only a loader policy makes them
		tail -c +$cp_from $CP_EV 2>/dev/null | grep -E "\"policy_name\":\"$cp_pol\"|^\{\"process_loader\":" >/tmp/corpus-pol
		cp_miss=""
		for cp_e in /tmp/corpus-expect.*; do
			[ -s $cp_e ] || continue
			cp /tmp/corpus-pol /tmp/corpus-lines
			while read -r re; do
				grep -E -- "$re" /tmp/corpus-lines >/tmp/corpus-lines.n
				mv /tmp/corpus-lines.n /tmp/corpus-lines
			done <$cp_e
			[ -s /tmp/corpus-lines ] || { cp_miss=$cp_e; break; }
		done
		[ -z "$cp_miss" ] && break
		[ "$(cut -d. -f1 /proc/uptime)" -ge "$cp_end" ] && break
		sleep 0.5
	done
	cp_failed=""
	while read -r cp_c; do
		timeout 10 sh -c "$cp_c" >/dev/null 2>&1 </dev/null || cp_failed="$cp_failed [$cp_c]"
	done </tmp/corpus-check
	cp_np=$(cat /tmp/corpus-expect.* | wc -l)
	cp_ng=$(ls /tmp/corpus-expect.* | wc -l)
	cp_nc=$(wc -l </tmp/corpus-check)
	if [ -n "$cp_miss" ]; then
		bad "corpus $cp_want: no event of policy $cp_pol matches every pattern of group ${cp_miss##*.} in tests/vm/corpus.expect"
		tail -c +$cp_from $CP_EV | grep -F "\"policy_name\":\"$cp_pol\"" | tail -2 | cut -c1-1500 | sed 's/^/VMLOG /'
	elif [ -n "$cp_failed" ]; then
		bad "corpus $cp_want: a check failed:$cp_failed"
	else
		ok "corpus $cp_want: its event$([ $cp_ng -gt 1 ] && echo "s ($cp_ng)") ($cp_np field patterns$([ $cp_nc -gt 0 ] && echo ", $cp_nc checks"); $(cp_since $cp_a0) s)"
	fi
	return 0
}

cp_begin=$(cut -d' ' -f1 /proc/uptime)
if cp_start; then
	cp_total=0 cp_loaded=0 cp_asserted=0 cp_refused=0
	: >/tmp/corpus-reasons
	for cp_f in $CP_DIR/*; do
		cp_base=$(basename "$cp_f")
		cp_pname=$(cp_name "$cp_f")
		cp_total=$((cp_total + 1))
		cp_t0=$(cut -d' ' -f1 /proc/uptime)
		cp_out=$(cp_tetra tracingpolicy add "$cp_f" 2>&1)
		cp_rc=$?
		if [ $cp_rc -eq 0 ]; then
			cp_loaded=$((cp_loaded + 1))
			echo "VMTEST corpus loaded $cp_base ($(cp_since $cp_t0) s)"
			cp_assert "$cp_base" "$cp_pname" && cp_asserted=$((cp_asserted + 1))
		else
			cp_reason=$(echo "$cp_out" | sed -n 's/.*failed to add tracing policy: \(tracing policy refused: \)*//p' |
				sed 's/ ([A-Z_]*)$//' | head -1)
			[ -n "$cp_reason" ] || cp_reason="tetra exited $cp_rc: $(echo "$cp_out" | tr '\n' ' ')"
			cp_refused=$((cp_refused + 1))
			# what kind of reason: a generic one, or one naming nothing known, fails
			case "$cp_reason" in
			*"this action is not supported"* | *"hooks are not supported by this engine yet"*) cp_cat="" ;;
			*"this kernel"* | *"the kernel lacks"* | *CONFIG_* | *"cannot be probed"*) cp_cat="kernel gap" ;;
			*"No such file or directory"*) cp_cat="a file it names is not in the VM" ;;
			*"Kubernetes"*) cp_cat="Kubernetes context the VM has not" ;;
			*'"${'*'}"'*) cp_cat="a placeholder the example leaves for the user to fill in" ;;
			*": type "*" cannot read it"* | *"not supported"* | *"not implemented"* | *"does not evaluate"*)
				cp_cat="a feature this agent names as unsupported" ;;
			*) cp_cat="" ;;
			esac
			echo "VMTEST corpus refused $cp_base: $cp_reason"
			echo "${cp_cat:-UNCLASSIFIED}: $cp_reason" >>/tmp/corpus-reasons
			[ -n "$cp_cat" ] || bad "corpus $cp_base" "a refusal that names neither a kernel gap, a missing file nor an unsupported feature: $cp_reason"
		fi
		# refused policies stay listed (load_error), as upstream's do
		[ -n "$cp_pname" ] && cp_tetra tracingpolicy delete "$cp_pname" >/dev/null 2>&1
		if ! kill -0 $CP_PID 2>/dev/null; then
			bad "corpus $cp_base: the agent survives it" "$(tail -3 $CP_ERR | tr '\n' '|')"
			cp_start || break
		fi
	done
	echo "VMTEST corpus-summary $cp_total policies: $cp_loaded loaded ($cp_asserted asserted), $cp_refused refused ($(cp_since $cp_begin) s)"
	sed 's/: .*//' /tmp/corpus-reasons | sort | uniq -c | sort -rn | sed 's/^ *\([0-9]*\) /VMTEST corpus-refused \1x /'
	sort /tmp/corpus-reasons | uniq -c | sort -rn | sed 's/^ *\([0-9]*\) /VMTEST corpus-reason \1x /'
	[ $cp_total -eq $((cp_loaded + cp_refused)) ] && ok "corpus: every policy loaded or refused with its reason" ||
		bad "corpus: every policy loaded or refused with its reason"
	kill -TERM $CP_PID
	wait $CP_PID
	[ $? -eq 0 ] && ok "corpus agent: clean shutdown" || bad "corpus agent: clean shutdown" "$(tail -3 $CP_ERR | tr '\n' '|')"
fi
