#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# --metrics-server end to end: the agent (from $BUILD) serves /metrics, a real
# Prometheus parser (promtool) accepts the page, and the counters move when
# processes run, policies fire, events are exported and a policy is disabled.
# Each agent has its own socket and no TCP port or info file, so this runs
# beside any other agent on the host. Needs root. Last line:
#   metrics: N passed, N failed, N skipped
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
AGENT=$BUILD/bin/tetragon
TETRA=$BUILD/bin/tetra
passed=0 failed=0 skipped=0
apid=
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() {	# NAME COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
summary() { echo "metrics: $passed passed, $failed failed, $skipped skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "metrics: skipped: needs root"; skipped=1; summary; }
command -v curl >/dev/null || { echo "metrics: skipped: no curl"; skipped=1; summary; }

tmp=$(mktemp -d /tmp/tg-metrics-XXXXXX)
cleanup() {
	[ -n "$apid" ] && kill -KILL "$apid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
url=http://127.0.0.1:$port/metrics
mkdir "$tmp/watched"
echo x >"$tmp/watched/f"
# copies, so their series are ours alone (other tests run processes too)
cp /bin/true "$tmp/mtrue"
cp /bin/cat "$tmp/mcat"
cp /bin/mkdir "$tmp/mmkdir"
cp /bin/true "$tmp/msentinel"	# no policy matches it
cat >"$tmp/open.yaml" <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "metrics-open"
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
        operator: "Prefix"
        values: ["$tmp/watched/"]
YAML
cat >"$tmp/mkdir.yaml" <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "metrics-mkdir"
spec:
  tracepoints:
  - subsystem: "syscalls"
    event: "sys_enter_mkdir"
    args:
    - index: 5
      type: "string"
    selectors:
    - matchArgs:
      - index: 5
        operator: "Prefix"
        values: ["$tmp/watched/"]
YAML
# tetragon_syscalls_total counts raw_syscalls/sys_enter events: exit_group of the true copy
cat >"$tmp/raw.yaml" <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "metrics-raw"
spec:
  tracepoints:
  - subsystem: "raw_syscalls"
    event: "sys_enter"
    args:
    - index: 4
      type: "syscall64"
    selectors:
    - matchBinaries:
      - operator: "In"
        values: ["$tmp/mtrue"]
      matchArgs:
      - index: 4
        operator: "Equal"
        values: ["231"]
YAML
# BPF LSM is missing here (and on most kernels): listed in state load_error
cat >"$tmp/lsm.yaml" <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "metrics-lsm"
spec:
  lsmhooks:
  - hook: "file_open"
    args:
    - index: 0
      type: "file"
YAML

start_agent() {	# ERRFILE ARGS...
	local err=$1
	shift
	"$AGENT" --stdout none --info-file "" "$@" 2>"$err" &
	apid=$!
	for _ in $(seq 1 300); do
		grep -q "tetragon running" "$err" 2>/dev/null && return 0
		kill -0 "$apid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_agent() {	# ERRFILE
	kill -TERM "$apid"
	wait "$apid"
	local rc=$?
	apid=
	[ $rc -eq 0 ] && ok "agent exits 0" || bad "agent exit $rc: $(tail -5 "$1")"
}
value() {	# FILE SAMPLE: the value of that exact sample (name{labels})
	awk -v k="$2" 'index($0, k " ") == 1 { print $NF }' "$1"
}
sum() {	# FILE REGEX: the sum of the samples whose name{labels} match
	awk -v r="$2" '!/^#/ && $1 ~ r { s += $NF } END { printf "%d\n", s }' "$1"
}
# upstream's process labels, sorted by name as the Go client writes them
ev() {	# BINARY TYPE [NODE]
	echo "tetragon_events_total{binary=\"$1\",namespace=\"\",node_name=\"${3:-}\",pod=\"\",type=\"$2\",workload=\"\"}"
}
pol() {	# BINARY HOOK POLICY
	echo "tetragon_policy_events_total{binary=\"$1\",hook=\"$2\",namespace=\"\",node_name=\"\",pod=\"\",policy=\"$3\",workload=\"\"}"
}
promcheck() {	# FILE NAME
	if ! command -v promtool >/dev/null; then
		echo "SKIP $2: promtool is not installed (Debian package prometheus)"
		skipped=$((skipped + 1))
	elif promtool check metrics <"$1" >"$tmp/promtool.out" 2>&1; then
		ok "$2"
	else
		bad "$2: $(head -5 "$tmp/promtool.out")"
	fi
}
# OUTFILE: the first page that counts a sentinel exec run now, so every
# event before it is counted too (the page is refreshed every second)
sentinels=0
scrape() {
	local i v
	"$tmp/msentinel"
	sentinels=$((sentinels + 1))
	for i in $(seq 100); do
		curl -sf "$url" >"$1"
		v=$(value "$1" "$(ev "$tmp/msentinel" PROCESS_EXEC)")
		[ "${v:-0}" -ge $sentinels ] && return 0
		sleep 0.2
	done
	bad "the sentinel exec did not reach the metrics page: '$v' of $sentinels"
	return 1
}

# ---- a bad address is refused clearly -------------------------------------------
"$AGENT" --stdout none --server-address "" --server-socket "" --info-file "" --metrics-server "no-port-here" \
	>/dev/null 2>"$tmp/bad.err"
rc=$?
if [ $rc -ne 0 ] && grep -q "metrics-server no-port-here: expected \[HOST\]:PORT" "$tmp/bad.err"; then
	ok "a bad --metrics-server address stops the agent with a clear message"
else
	bad "bad address (exit $rc): $(cat "$tmp/bad.err")"
fi

# ---- the page, its format, and counters moving ------------------------------------
if ! start_agent "$tmp/agent.err" --server-address "unix://$tmp/tg.sock" --metrics-server "127.0.0.1:$port" \
	--tracing-policy "$tmp/open.yaml" --tracing-policy "$tmp/mkdir.yaml" --tracing-policy "$tmp/lsm.yaml" \
	--tracing-policy "$tmp/raw.yaml" \
	--export-filename "$tmp/events.json"; then
	bad "agent did not start: $(tail -5 "$tmp/agent.err")"
	apid=
	summary
fi
curl -sf "$url" >"$tmp/m1" && ok "GET /metrics answers 200" || bad "GET /metrics"
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$url")
[ "$ctype" = "text/plain; version=0.0.4; charset=utf-8" ] && ok "Content-Type of the text format 0.0.4" ||
	bad "Content-Type '$ctype'"
promcheck "$tmp/m1" "promtool check metrics accepts the page"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing")
[ "$code" = 404 ] && ok "other paths answer 404" || bad "other path answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url")
[ "$code" = 405 ] && ok "POST answers 405" || bad "POST answered $code"
missing=
for m in tetragon_build_info tetragon_events_total tetragon_policy_events_total tetragon_flags_total \
	tetragon_bpf_missed_events_total tetragon_msg_op_total tetragon_observer_ringbuf_events_received_total \
	tetragon_observer_ringbuf_events_lost_total tetragon_handler_errors_total \
	tetragon_events_missing_process_info_total tetragon_map_errors_update_total \
	tetragon_process_cache_size tetragon_process_cache_capacity tetragon_process_cache_evictions_total \
	tetragon_process_cache_misses_total tetragon_tracingpolicy_loaded tetragon_tracingpolicy_kernel_memory_bytes \
	tetragon_syscalls_total tetragon_events_exported_total tetragon_events_exported_bytes_total tetragon_events_last_exported_timestamp \
	tetragon_notify_overflowed_events_total tetragon_export_ratelimit_events_dropped_total process_cpu_seconds_total process_resident_memory_bytes \
	process_start_time_seconds process_open_fds process_max_fds; do
	grep -q "^# TYPE $m " "$tmp/m1" || missing="$missing $m"
done
[ -z "$missing" ] && ok "upstream's metric names present" || bad "metrics missing:$missing"
grep -Eq '^tetragon_build_info\{commit="[0-9a-f]*",modified="(true|false)",time="[^"]*",version="[^"]+"\} 1$' \
	"$tmp/m1" && ok "tetragon_build_info with upstream's labels" || bad "build info: $(grep '^tetragon_build_info' "$tmp/m1")"
if grep -q "metrics-lsm.*refused" "$tmp/agent.err"; then want_en=3 want_le=1; else want_en=4 want_le=0; fi
en=$(value "$tmp/m1" 'tetragon_tracingpolicy_loaded{state="enabled"}')
le=$(value "$tmp/m1" 'tetragon_tracingpolicy_loaded{state="load_error"}')
[ "$en" = $want_en ] && [ "$le" = $want_le ] &&
	ok "tetragon_tracingpolicy_loaded: enabled $en, load_error $le" ||
	bad "policies loaded: $(grep '^tetragon_tracingpolicy_loaded' "$tmp/m1")"
kmem=$(value "$tmp/m1" 'tetragon_tracingpolicy_kernel_memory_bytes{policy="metrics-open",policy_namespace=""}')
[ "${kmem:-0}" -gt 0 ] 2>/dev/null && ok "tetragon_tracingpolicy_kernel_memory_bytes of the policy: $kmem" ||
	bad "kernel memory: '$kmem'"

e1=$(sum "$tmp/m1" '^tetragon_events_total\{.*type="PROCESS_EXEC"')
f1=$(value "$tmp/m1" 'tetragon_flags_total{type="execve"}')
for i in 1 2 3 4 5; do "$tmp/mtrue"; done
"$tmp/mcat" "$tmp/watched/f" >/dev/null
"$tmp/mcat" "$tmp/watched/f" >/dev/null
"$tmp/mmkdir" "$tmp/watched/d1"
scrape "$tmp/m2"
promcheck "$tmp/m2" "promtool check metrics accepts the page with policy series"
e2=$(sum "$tmp/m2" '^tetragon_events_total\{.*type="PROCESS_EXEC"')
[ "$e2" -ge $((e1 + 8)) ] && ok "tetragon_events_total{type=\"PROCESS_EXEC\"} (all binaries) moved $e1 -> $e2" ||
	bad "exec counter $e1 -> $e2"
v=$(value "$tmp/m2" "$(ev "$tmp/mtrue" PROCESS_EXEC)")
[ "$v" = 5 ] && ok "tetragon_events_total{binary=\"\$tmp/mtrue\",type=\"PROCESS_EXEC\"} is 5" || bad "mtrue execs: '$v'"
v=$(value "$tmp/m2" "$(ev "$tmp/mtrue" PROCESS_EXIT)")
[ "$v" = 5 ] && ok "... and PROCESS_EXIT is 5" || bad "mtrue exits: '$v'"
v=$(value "$tmp/m2" "$(pol "$tmp/mcat" kprobe:__x64_sys_openat metrics-open)")
[ "$v" = 2 ] && ok "tetragon_policy_events_total{hook=\"kprobe:__x64_sys_openat\"} of the cat copy is 2" ||
	bad "kprobe policy events: '$v'"
v=$(value "$tmp/m2" "$(pol "$tmp/mmkdir" tracepoint:syscalls/sys_enter_mkdir metrics-mkdir)")
[ "$v" = 1 ] && ok "tetragon_policy_events_total{hook=\"tracepoint:syscalls/sys_enter_mkdir\"} is 1" ||
	bad "tracepoint policy events: '$v' $(grep '^tetragon_policy_events_total' "$tmp/m2")"
v=$(sum "$tmp/m2" '^tetragon_events_total\{.*type="PROCESS_KPROBE"')
[ "$v" = 2 ] && ok "tetragon_events_total{type=\"PROCESS_KPROBE\"} is 2" || bad "kprobe events: '$v'"
v=$(sum "$tmp/m2" '^tetragon_events_total\{.*type="PROCESS_TRACEPOINT"')
[ "$v" = 6 ] && ok "tetragon_events_total{type=\"PROCESS_TRACEPOINT\"} is 6 (1 mkdir, 5 exit_group)" ||
	bad "tracepoint events: '$v'"
v=$(value "$tmp/m2" "tetragon_syscalls_total{binary=\"$tmp/mtrue\",namespace=\"\",node_name=\"\",pod=\"\",syscall=\"exit_group\",workload=\"\"}")
[ "$v" = 5 ] && ok "tetragon_syscalls_total{syscall=\"exit_group\"} of the true copy is 5" ||
	bad "syscalls: '$v' $(grep '^tetragon_syscalls_total' "$tmp/m2")"
v=$(value "$tmp/m2" 'tetragon_policy_hook_calls_total{hook="syscalls/sys_enter_openat",policy="metrics-open",policy_namespace="",result="matched"}')
[ "${v:-0}" -ge 2 ] 2>/dev/null && ok "tetragon_policy_hook_calls_total matched moved ($v)" || bad "hook calls: '$v'"
v=$(sum "$tmp/m2" '^tetragon_tracingpolicy_selector_actions_total\{action="post",.*,policy="metrics-open",.*selector_index="0"')
[ "$v" = 2 ] && ok "tetragon_tracingpolicy_selector_actions_total{action=\"post\"} of the policy is 2" ||
	bad "selector actions: '$v' $(grep '^tetragon_tracingpolicy_selector_actions_total' "$tmp/m2")"
f2=$(value "$tmp/m2" 'tetragon_flags_total{type="execve"}')
[ "${f2:-0}" -ge $((f1 + 8)) ] && ok "tetragon_flags_total{type=\"execve\"} moved $f1 -> $f2" || bad "flags $f1 -> $f2"
v=$(value "$tmp/m2" 'tetragon_msg_op_total{msg_op="5"}')
[ "${v:-0}" -ge $((e2 - e1)) ] 2>/dev/null && ok "tetragon_msg_op_total{msg_op=\"5\"} counts the exec records" ||
	bad "msg_op 5: '$v'"

# the JSON export's counters: the page is older than the file, never ahead of it
x=$(value "$tmp/m2" tetragon_events_exported_total)
xb=$(value "$tmp/m2" tetragon_events_exported_bytes_total)
xt=$(value "$tmp/m2" tetragon_events_last_exported_timestamp)
lines=$(wc -l <"$tmp/events.json")
size=$(stat -c %s "$tmp/events.json")
[ "${x:-0}" -gt 8 ] && [ "$x" -le "$lines" ] && [ "${xb:-0}" -gt 0 ] && [ "$xb" -le "$size" ] &&
	ok "tetragon_events_exported_total $x / _bytes_total $xb match the file ($lines lines, $size bytes)" ||
	bad "exported $x/$xb vs file $lines/$size"
now=$(date +%s)
[ "${xt%.*}" -ge $((now - 60)) ] 2>/dev/null && [ "${xt%.*}" -le $((now + 1)) ] &&
	ok "tetragon_events_last_exported_timestamp is recent" || bad "last exported timestamp '$xt' (now $now)"

# a policy disabled through the API moves tetragon_tracingpolicy_loaded
if "$TETRA" tracingpolicy disable metrics-open --server-address "unix://$tmp/tg.sock" >"$tmp/tetra.out" 2>&1; then
	scrape "$tmp/m3"
	en=$(value "$tmp/m3" 'tetragon_tracingpolicy_loaded{state="enabled"}')
	di=$(value "$tmp/m3" 'tetragon_tracingpolicy_loaded{state="disabled"}')
	[ "$en" = $((want_en - 1)) ] && [ "$di" = 1 ] && ok "after tetra tracingpolicy disable: enabled $en, disabled 1" ||
		bad "after disable: enabled '$en' disabled '$di'"
else
	bad "tetra tracingpolicy disable: $(cat "$tmp/tetra.out")"
fi
stop_agent "$tmp/agent.err"

# ---- --metrics-label-filter: labels left out stay, empty --------------------------
port=$(free_port)
url=http://127.0.0.1:$port/metrics
if start_agent "$tmp/agent2.err" --server-address "unix://$tmp/tg2.sock" --export-filename "$tmp/events2.json" \
	--metrics-server "localhost:$port" \
	--metrics-label-filter "node_name" --node-name metrics-node; then
	"$tmp/mtrue"
	# binaries are not labelled here: wait for the page that counts an exec
	for _ in $(seq 100); do
		curl -sf "$url" >"$tmp/m4"
		v=$(value "$tmp/m4" "$(ev "" PROCESS_EXEC metrics-node)")
		[ "${v:-0}" -ge 1 ] && break
		sleep 0.2
	done
	v=$(value "$tmp/m4" "$(ev "" PROCESS_EXEC metrics-node)")
	[ "${v:-0}" -ge 1 ] && ok "--metrics-label-filter node_name: binary=\"\", node_name=\"metrics-node\"" ||
		bad "label filter: $(grep '^tetragon_events_total' "$tmp/m4" | head -3)"
	grep -q "^tetragon_events_total{binary=\"/" "$tmp/m4" && bad "a binary label survived the filter" ||
		ok "no binary label values with the filter"
	stop_agent "$tmp/agent2.err"
else
	bad "agent with --metrics-label-filter did not start: $(tail -5 "$tmp/agent2.err")"
	apid=
fi

# ---- --enable-event-metrics=false: no event families, the rest as before ---------
port=$(free_port)
url=http://127.0.0.1:$port/metrics
if start_agent "$tmp/agent3.err" --server-address "unix://$tmp/tg3.sock" --export-filename "$tmp/events3.json" \
	--metrics-server "127.0.0.1:$port" \
	--enable-event-metrics=false; then
	curl -sf "$url" >"$tmp/m5"
	if ! grep -q "^# TYPE tetragon_events_total" "$tmp/m5" && grep -q "^# TYPE tetragon_process_cache_size" "$tmp/m5"; then
		ok "--enable-event-metrics=false drops the event families only"
	else
		bad "--enable-event-metrics=false: $(grep -c . "$tmp/m5") lines"
	fi
	promcheck "$tmp/m5" "promtool check metrics accepts the page without event metrics"
	stop_agent "$tmp/agent3.err"
else
	bad "agent with --enable-event-metrics=false did not start: $(tail -5 "$tmp/agent3.err")"
	apid=
fi

if grep -q "ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer" "$tmp"/*.err; then
	bad "sanitizer reports: $(grep -h -A3 "ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer" "$tmp"/*.err | head -20)"
else
	ok "no sanitizer reports"
fi
summary
