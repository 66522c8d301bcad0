#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gRPC API end to end, against an agent started here (from $BUILD, default
# build): the stock Node gRPC client (tests/interop, @grpc/grpc-js loading
# api/tetragon/*.proto), tetra, the export filters, and a clean shutdown.
# The agent has its own socket, TCP port and info file, so this runs beside
# any other agent on the host. Needs root, node and npm (skipped without).
# Last line:
#   grpc-interop: N passed, N failed, N skipped
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
AGENT=$BUILD/bin/tetragon
TETRA=$BUILD/bin/tetra
passed=0 failed=0 skipped=0
agent_pid=

summary() {
	echo "grpc-interop: $passed passed, $failed failed, $skipped skipped"
	exit 0
}
skip_all() {
	echo "grpc-interop: skipped: $1"
	echo "grpc-interop: 0 passed, 0 failed, 1 skipped"
	exit 0
}
ok() {
	echo "ok   $1"
	passed=$((passed + 1))
}
bad() {
	echo "FAIL $1"
	failed=$((failed + 1))
}
# check NAME CONDITION-COMMAND...
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root (the agent loads BPF programs)"
command -v node >/dev/null && command -v npm >/dev/null || skip_all "node and npm are not installed"
if [ ! -d tests/interop/node_modules/@grpc/grpc-js ]; then
	echo "installing the Node gRPC client (npm ci in tests/interop)"
	(cd tests/interop && npm ci --silent --no-audit --no-fund) ||
		skip_all "npm ci failed (no access to the npm registry?)"
fi
if [ ! -x "$AGENT" ] || [ ! -x "$TETRA" ]; then
	bad "build: $AGENT or $TETRA missing (run make)"
	summary
fi

tmp=$(mktemp -d /tmp/tg-grpc-XXXXXX)
# private: the socket, and the info file in a directory that stands in for
# /run when tetra looks for it at its default path (see tetra_default below)
SOCK=$tmp/tetragon.sock
mkdir -p "$tmp/run/tetragon"
INFO=$tmp/run/tetragon/tetragon-info.json
cleanup() {
	[ -n "$agent_pid" ] && kill -KILL "$agent_pid" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
marker=$tmp/grpc-marker
cp /bin/true "$marker"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port

# ---- no agent: clear error, exit 1 ----------------------------------------------------
"$TETRA" status --server-address "$addr" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "tetra status without an agent exits 1 naming $addr" \
	test $rc -eq 1 -a -s "$tmp/err" -a ! -s "$tmp/out"
grep -q "cannot reach the tetragon agent at $addr" "$tmp/err" || { cat "$tmp/err"; bad "no-agent message"; }
"$TETRA" getevents --server-address unix:///nonexistent/tetragon.sock </dev/null >/dev/null 2>"$tmp/err"
rc=$?
check "tetra getevents without an agent exits 1 naming the socket" \
	grep -q "cannot reach the tetragon agent at unix:///nonexistent/tetragon.sock" "$tmp/err"
[ $rc -eq 1 ] || bad "tetra getevents without an agent: exit status $rc"

# ---- a bad export filter stops the agent with a clear message --------------------------
"$AGENT" --stdout none --export-filename "$tmp/bad.log" --server-address "" --server-socket "" --info-file "" \
	--export-allowlist '{"event_set":["PROCESS_EXEC"]}
{"binary_regex":["("]}' >/dev/null 2>"$tmp/bad.err"
rc=$?
check "agent refuses a bad --export-allowlist, naming line and field" \
	grep -q -- '--export-allowlist: line 2: binary_regex\[0\]: regexp' "$tmp/bad.err"
[ $rc -ne 0 ] || bad "agent with a bad --export-allowlist exited 0"
if grep -q LeakSanitizer "$tmp/bad.err"; then bad "leaks after the bad-filter exit"; cat "$tmp/bad.err"; fi

# ---- the agent ---------------------------------------------------------------------------
# policies from files: one running in monitor mode (a Sigkill of a copy of cat
# opening a watched path), one this engine refuses (listed in load_error)
static_cat=$tmp/interop-cat
cp /bin/cat "$static_cat"
cat >"$tmp/static.yaml" <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "interop-static"
spec:
  options:
  - name: policy-mode
    value: monitor
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
        values: ["$tmp/static-watched"]
      matchBinaries:
      - operator: "In"
        values: ["$static_cat"]
      matchActions:
      - action: Sigkill
YAML
cat >"$tmp/lsm.yaml" <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "interop-lsm"
spec:
  lsmhooks:
  - hook: "file_open"
    args:
    - index: 0
      type: "file"
YAML
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
"$AGENT" --node-name grpc-node --stdout none --server-address "$addr" --server-socket "$SOCK" --info-file "$INFO" \
	--event-queue-size 1000 \
	--tracing-policy "$tmp/static.yaml" --tracing-policy "$tmp/lsm.yaml" \
	--export-filename "$tmp/export.log" --export-file-max-size-mb 1024 \
	--export-allowlist '{"binary_regex":["grpc-marker$"]}' \
	--export-denylist '{"arguments_regex":["^denied"]}' \
	--field-filters '{"fields":"process.binary,process.arguments","action":"INCLUDE"}' \
	>"$tmp/agent.out" 2>"$tmp/agent.err" &
agent_pid=$!
for _ in $(seq 600); do
	grep -q "tetragon running" "$tmp/agent.err" 2>/dev/null && break
	kill -0 "$agent_pid" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q "tetragon running" "$tmp/agent.err"; then
	bad "agent did not start"
	cat "$tmp/agent.err"
	summary
fi
ok "agent starts with the gRPC server on $addr and $SOCK"
check "socket is mode 0600" test "$(stat -c %a "$SOCK")" = 600
check "info file names the unix socket" grep -q "\"server_address\":\"unix://$SOCK\"" "$INFO"

# ---- the port is taken: a second agent fails clearly -------------------------------------
"$AGENT" --stdout none --server-address "$addr" --server-socket "$SOCK" --info-file "$INFO" \
	--export-filename "$tmp/second.log" >/dev/null 2>"$tmp/second.err"
rc=$?
check "a second agent on the same port exits with \"cannot listen on $addr\"" \
	grep -q "cannot listen on $addr: Address already in use" "$tmp/second.err"
[ $rc -ne 0 ] || bad "second agent exited 0"
check "the second agent left the first one's socket alone" test -S "$SOCK"
check "... and its info file" grep -q "\"server_address\":\"unix://$SOCK\"" "$INFO"

# ---- Node gRPC client ---------------------------------------------------------------------
# the slow-client test: queue of 1000, then 2 x 1200 events (execs and exits)
node tests/interop/interop.js --tcp "$addr" --unix "$SOCK" --agent-log "$tmp/agent.err" \
	--static-cat "$static_cat" --static-watched "$tmp/static-watched" \
	--storm "$BUILD/tests/helpers/exec_storm" --storm-n 1200 >"$tmp/node.out" 2>&1
cat "$tmp/node.out"
n_ok=$(grep -c '^ok ' "$tmp/node.out")
n_fail=$(grep -c '^FAIL ' "$tmp/node.out")
passed=$((passed + n_ok))
failed=$((failed + n_fail))
grep -q '^node-interop: ' "$tmp/node.out" || bad "node interop did not finish"

# ---- tetra ----------------------------------------------------------------------------------
# tetra reads the info file at its default path only (as upstream's): run it
# in a mount namespace of its own where /run is the directory holding ours
tetra_default() {
	unshare --mount --propagation private sh -c 'mount --bind "$1" /run && shift && exec "$@"' sh \
		"$tmp/run" "$TETRA" "$@"
}
tetra_default status >"$tmp/out" 2>&1
check "tetra status (address from the info file)" grep -qx "Health Status: running" "$tmp/out"
"$TETRA" version --server --server-address "$addr" >"$tmp/out" 2>&1
check "tetra version --server" grep -q "^Server version: ." "$tmp/out"

# the node tests connected clients already: wait for two more
n_conn=$(grep -c 'GetEvents client .* connected' "$tmp/agent.err")
"$TETRA" getevents -o compact --color never --server-address "$addr" --process 'grpc-marker$' \
	</dev/null >"$tmp/compact.out" 2>"$tmp/compact.err" &
t1=$!
"$TETRA" getevents -e PROCESS_EXEC -f process.binary,process.arguments --server-address "unix://$SOCK" \
	</dev/null >"$tmp/json.out" 2>"$tmp/json.err" &
t2=$!
# they are subscribed once the agent logged both clients
for _ in $(seq 100); do
	[ "$(grep -c 'GetEvents client .* connected' "$tmp/agent.err")" -ge $((n_conn + 2)) ] && break
	sleep 0.1
done
"$marker" tetra-compact
"$marker" denied
# the sentinel: the last exec reached both clients, so whatever else they
# would wrongly print is there too
for _ in $(seq 150); do
	grep -q "grpc-marker denied" "$tmp/compact.out" && grep -q '"arguments":"denied"' "$tmp/json.out" && break
	sleep 0.1
done
kill -INT $t1 $t2
wait $t1
rc1=$?
wait $t2
rc2=$?
check "tetra getevents -o compact over TCP receives the exec line" \
	grep -q "^🚀 process grpc-node $marker tetra-compact" "$tmp/compact.out"
check "tetra getevents --process filters on the agent" \
	test "$(grep -vc "grpc-marker" "$tmp/compact.out")" -eq 0
check "tetra getevents -f keeps only the listed fields (unix socket)" \
	grep -qx "{\"process_exec\":{\"process\":{\"binary\":\"$marker\",\"arguments\":\"tetra-compact\"}},\"node_name\":\"grpc-node\",\"time\":\"[-0-9T:.]*Z\"}" "$tmp/json.out"
check "tetra getevents exits 0 on Ctrl-C" test $rc1 -eq 0 -a $rc2 -eq 0
[ -s "$tmp/compact.err" ] && cat "$tmp/compact.err"

# stdin mode: filter the agent's JSON lines locally
"$TETRA" getevents -o compact --color never --process 'grpc-marker$' <"$tmp/json.out" >"$tmp/stdin.out" 2>&1
check "tetra getevents reads JSON events from stdin" grep -q "^🚀 process grpc-node $marker tetra-compact" "$tmp/stdin.out"

# ---- tetra tracingpolicy against the agent (over its TCP address) ---------------------------
cat >"$tmp/tp.yaml" <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "tetra-open"
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
        values: ["$tmp/tetra-watched"]
YAML
"$TETRA" tracingpolicy add --server-address "$addr" "$tmp/tp.yaml" >"$tmp/out" 2>"$tmp/err"
check "tetra tracingpolicy add" grep -q "tracing policy \"$tmp/tp.yaml\" added" "$tmp/out"
"$TETRA" tracingpolicy list --server-address "$addr" >"$tmp/out" 2>"$tmp/err"
check "tetra tracingpolicy list shows it enabled, in enforce mode" \
	grep -Eq "^[0-9]+ +tetra-open +grpc +enabled +0 +\(global\) +generic_kprobe +[0-9.]+ [kM]?B +enforce +0 +0 +0$" "$tmp/out"
check "tetra tracingpolicy list: upstream's columns" \
	grep -Eq "^ID +NAME +DOMAIN +STATE +FILTERID +NAMESPACE +SENSORS +KERNELMEMORY +MODE +NPOST +NENFORCE +NMONITOR$" "$tmp/out"
check "tetra tracingpolicy list: the --tracing-policy files, one refused (load_error)" \
	grep -Eq "^[0-9]+ +interop-lsm +static +load_error +0 +\(global\) +generic_lsm +0 B +enforce" "$tmp/out"
"$TETRA" tracingpolicy list --server-address "$addr" -o json >"$tmp/out" 2>"$tmp/err"
check "tetra tracingpolicy list -o json" grep -q '"name":"tetra-open".*"state":"TP_STATE_ENABLED"' "$tmp/out"
"$TETRA" tracingpolicy disable --server-address "$addr" tetra-open >/dev/null 2>"$tmp/err"
"$TETRA" tracingpolicy list --server-address "$addr" >"$tmp/out" 2>&1
check "tetra tracingpolicy disable" grep -Eq "tetra-open +grpc +disabled" "$tmp/out"
"$TETRA" tracingpolicy enable --server-address "$addr" tetra-open >/dev/null 2>"$tmp/err"
"$TETRA" tracingpolicy list --server-address "$addr" >"$tmp/out" 2>&1
check "tetra tracingpolicy enable" grep -Eq "tetra-open +grpc +enabled" "$tmp/out"
"$TETRA" tracingpolicy set-mode --server-address "$addr" tetra-open monitor >"$tmp/out" 2>"$tmp/err"
check "tetra tracingpolicy set-mode" grep -q 'tracing policy "tetra-open" set to mode "monitor"' "$tmp/out"
"$TETRA" tracingpolicy list --server-address "$addr" >"$tmp/out" 2>&1
check "tetra tracingpolicy list shows the mode" grep -Eq "tetra-open +grpc +enabled .* monitor +" "$tmp/out"
"$TETRA" tracingpolicy set-mode --server-address "$addr" tetra-open sideways >/dev/null 2>"$tmp/err"
rc=$?
check "tetra tracingpolicy set-mode refuses an unknown mode (exit 2)" \
	test $rc -eq 2 -a "$(grep -c 'unknown mode "sideways"' "$tmp/err")" -eq 1
"$TETRA" tracingpolicy enable --server-address "$addr" tetra-open >/dev/null 2>"$tmp/err"
rc=$?
check "tetra tracingpolicy enable of an enabled policy fails (exit 1, says why)" \
	test $rc -eq 1 -a "$(grep -c 'failed to enable tracing policy: tracing policy tetra-open is not disabled' "$tmp/err")" -eq 1
"$TETRA" tracingpolicy disable --server-address "$addr" tetra-open --domain static >/dev/null 2>"$tmp/err"
rc=$?
check "tetra tracingpolicy disable --domain static of a grpc policy: NOT_FOUND" \
	test $rc -eq 1 -a "$(grep -c NOT_FOUND "$tmp/err")" -eq 1
"$TETRA" tracingpolicy add --server-address "$addr" "$tmp/tp.yaml" >/dev/null 2>"$tmp/err"
rc=$?
check "tetra tracingpolicy add of a loaded name fails (ALREADY_EXISTS, exit 1)" \
	test $rc -eq 1 -a "$(grep -c ALREADY_EXISTS "$tmp/err")" -eq 1
"$TETRA" tracingpolicy delete --server-address "$addr" tetra-open >"$tmp/out" 2>"$tmp/err"
check "tetra tracingpolicy delete" grep -q 'tracing policy "tetra-open" deleted' "$tmp/out"
"$TETRA" tracingpolicy delete --server-address "$addr" tetra-open >/dev/null 2>"$tmp/err"
rc=$?
check "tetra tracingpolicy delete of an unknown name fails (NOT_FOUND, exit 1)" \
	test $rc -eq 1 -a "$(grep -c NOT_FOUND "$tmp/err")" -eq 1

# --mode sets spec.options policy-mode in the YAML before it is sent (upstream's
# add --mode / modify --mode): the policy starts in that mode
"$TETRA" tracingpolicy modify -m monitor "$tmp/tp.yaml" >"$tmp/monitor.yaml" 2>"$tmp/err"
check "tetra tracingpolicy modify -m monitor: the YAML with policy-mode monitor, still valid" \
	sh -c "grep -A1 -- '- name: policy-mode' '$tmp/monitor.yaml' | grep -q 'value: monitor' &&
		'$TETRA' tracingpolicy validate -q '$tmp/monitor.yaml'"
"$TETRA" tracingpolicy modify -m monitor - <"$tmp/monitor.yaml" | "$TETRA" tracingpolicy modify --mode enforce - \
	>"$tmp/enforce.yaml" 2>"$tmp/err"
check "tetra tracingpolicy modify --mode enforce from stdin replaces the old mode" \
	test "$(grep -c policy-mode "$tmp/enforce.yaml")" -eq 1 -a "$(grep -c 'value: enforce' "$tmp/enforce.yaml")" -eq 1
printf 'metadata:\n  name: x\n' >"$tmp/nospec.yaml"
"$TETRA" tracingpolicy modify -m monitor "$tmp/nospec.yaml" >/dev/null 2>"$tmp/err"
rc=$?
check "tetra tracingpolicy modify of a YAML without spec fails (exit 1, says why)" \
	test $rc -eq 1 -a "$(grep -c 'yaml does not include spec section' "$tmp/err")" -eq 1
"$TETRA" tracingpolicy add --server-address "$addr" --mode audit "$tmp/tp.yaml" >/dev/null 2>"$tmp/err"
rc=$?
check "tetra tracingpolicy add --mode refuses an unknown mode (exit 2)" \
	test $rc -eq 2 -a "$(grep -c 'invalid value "audit"' "$tmp/err")" -eq 1
"$TETRA" tracingpolicy add --server-address "$addr" -m monitor "$tmp/tp.yaml" >"$tmp/out" 2>"$tmp/err"
"$TETRA" tracingpolicy list --server-address "$addr" >"$tmp/out" 2>&1
check "tetra tracingpolicy add -m monitor: listed enabled in monitor mode" \
	grep -Eq "tetra-open +grpc +enabled .* monitor +" "$tmp/out"
"$TETRA" tracingpolicy domains --server-address "$addr" >"$tmp/out" 2>"$tmp/err"
check "tetra tracingpolicy domains (sorted, as upstream prints them)" grep -qx '\[grpc static\]' "$tmp/out"
"$TETRA" tracingpolicy domains --server-address "$addr" -o json >"$tmp/out" 2>"$tmp/err"
check "tetra tracingpolicy domains -o json" grep -qx '{"domains":\["grpc","static"\]}' "$tmp/out"
"$TETRA" tracingpolicy delete --server-address "$addr" tetra-open >/dev/null 2>"$tmp/err"
"$TETRA" tracingpolicy domains --server-address "$addr" >"$tmp/out" 2>"$tmp/err"
check "tetra tracingpolicy domains after the delete" grep -qx '\[static\]' "$tmp/out"

# ---- export filters (JSON file only) --------------------------------------------------------
# the sentinel: an exec the allowlist keeps, after the denied one
"$marker" export-sentinel
for _ in $(seq 150); do
	grep -q '"arguments":"export-sentinel"' "$tmp/export.log" && break
	sleep 0.1
done
check "export: the sentinel exec arrived" grep -q '"arguments":"export-sentinel"' "$tmp/export.log"
check "export allowlist + field filters: the marker exec, binary and arguments only" \
	grep -qx "{\"process_exec\":{\"process\":{\"binary\":\"$marker\",\"arguments\":\"tetra-compact\"}},\"node_name\":\"grpc-node\",\"time\":\"[-0-9T:.]*Z\"}" "$tmp/export.log"
check "export allowlist: nothing but the marker" test "$(grep -vc grpc-marker "$tmp/export.log")" -eq 0
check "export denylist wins" test "$(grep -c '"arguments":"denied"' "$tmp/export.log")" -eq 0

# ---- shutdown ----------------------------------------------------------------------------------
n_conn=$(grep -c 'GetEvents client .* connected' "$tmp/agent.err")
"$TETRA" getevents --server-address "$addr" </dev/null >/dev/null 2>"$tmp/late.err" &
t3=$!
for _ in $(seq 100); do
	[ "$(grep -c 'GetEvents client .* connected' "$tmp/agent.err")" -gt "$n_conn" ] && break
	sleep 0.1
done
kill -TERM "$agent_pid"
rc=0
wait "$agent_pid" || rc=$?
agent_pid=
check "agent exits 0 on SIGTERM with a stream open" test $rc -eq 0
check "no record mis-decoded (queued records of deleted policies dropped): bad_msgs=0" \
	grep -q "stats: .* bad_msgs=0 " "$tmp/agent.err"
grep -o "[0-9]* queued record(s) of deleted or disabled policies dropped" "$tmp/agent.err"
check "agent removed its socket and info file" test ! -e "$SOCK" -a ! -e "$INFO"
if grep -q "LeakSanitizer\|AddressSanitizer\|runtime error" "$tmp/agent.err"; then
	bad "sanitizer reports in the agent's log"
	grep -A30 "Sanitizer\|runtime error" "$tmp/agent.err" | head -60
else
	ok "no sanitizer reports from the agent"
fi
wait $t3
rc=$?
check "a streaming tetra notices the agent stopping (exit 1, says the stream ended)" \
	grep -q "stream from the agent at $addr ended" "$tmp/late.err"
[ $rc -eq 1 ] || bad "tetra after the agent stopped: exit status $rc"
"$TETRA" status --server-address "$addr" >/dev/null 2>&1 && bad "tetra status succeeds after the agent stopped"
# sanitizer builds: tetra and the refused agents must be clean too
if grep -l "LeakSanitizer\|AddressSanitizer\|runtime error" "$tmp"/*.err; then
	bad "sanitizer reports in the files above"
else
	ok "no sanitizer reports from tetra or the refused agents"
fi
summary
