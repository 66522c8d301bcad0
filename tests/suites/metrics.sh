#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# --metrics-server end to end: the agent (from $BUILD) serves /metrics, a real
# Prometheus parser (promtool) accepts the page, and the counters move when
# processes run and a policy fires. Needs root. Last line:
#   metrics: N passed, N failed, N skipped
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
AGENT=$BUILD/bin/tetragon
passed=0 failed=0 skipped=0
apid=
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
summary() { echo "metrics: $passed passed, $failed failed, $skipped skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "metrics: skipped: needs root"; skipped=1; summary; }
command -v curl >/dev/null || { echo "metrics: skipped: no curl"; skipped=1; summary; }

tmp=$(mktemp -d /tmp/tg-metrics-XXXXXX)
cleanup() {
	[ -n "$apid" ] && kill -KILL "$apid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/metrics
mkdir "$tmp/watched"
echo x >"$tmp/watched/f"
cat >"$tmp/policy.yaml" <<YAML
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

# a bad address is refused clearly
"$AGENT" --stdout none --server-address "" --metrics-server "no-port-here" >/dev/null 2>"$tmp/bad.err"
rc=$?
if [ $rc -ne 0 ] && grep -q "metrics-server no-port-here: expected \[HOST\]:PORT" "$tmp/bad.err"; then
	ok "a bad --metrics-server address stops the agent with a clear message"
else
	bad "bad address (exit $rc): $(cat "$tmp/bad.err")"
fi

"$AGENT" --stdout none --server-address "" --metrics-server "127.0.0.1:$port" \
	--tracing-policy "$tmp/policy.yaml" 2>"$tmp/agent.err" &
apid=$!
for _ in $(seq 1 300); do
	grep -q "tetragon running" "$tmp/agent.err" 2>/dev/null && break
	sleep 0.1
done
value() {	# FILE SAMPLE-PREFIX
	awk -v k="$2" 'index($0, k " ") == 1 { print $NF }' "$1"
}
curl -sf "$url" >"$tmp/m1" && ok "GET /metrics answers 200" || bad "GET /metrics"
if command -v promtool >/dev/null; then
	if promtool check metrics <"$tmp/m1" >"$tmp/promtool.out" 2>&1; then
		ok "promtool check metrics accepts the page"
	else
		bad "promtool check metrics: $(cat "$tmp/promtool.out")"
	fi
else
	echo "SKIP promtool check: promtool is not installed (Debian package prometheus)"
	skipped=$((skipped + 1))
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing")
[ "$code" = 404 ] && ok "other paths answer 404" || bad "other path answered $code"
for m in tetragon_build_info tetragon_events_total tetragon_policy_events_total tetragon_bpf_missed_events_total \
	tetragon_process_cache_size tetragon_tracingpolicy_loaded process_resident_memory_bytes; do
	grep -q "^# TYPE $m " "$tmp/m1" || bad "metric $m missing"
done
ok "upstream's metric names present"
[ "$(value "$tmp/m1" 'tetragon_tracingpolicy_loaded{state="enabled"}')" = 1 ] &&
	ok "tetragon_tracingpolicy_loaded{state=\"enabled\"} is 1" || bad "policy loaded gauge"

e1=$(value "$tmp/m1" 'tetragon_events_total{type="PROCESS_EXEC"}')
for i in 1 2 3 4 5; do /bin/true; done
cat "$tmp/watched/f" >/dev/null
cat "$tmp/watched/f" >/dev/null
sleep 2.5	# the page is refreshed every second
curl -sf "$url" >"$tmp/m2"
e2=$(value "$tmp/m2" 'tetragon_events_total{type="PROCESS_EXEC"}')
[ -n "$e1" ] && [ -n "$e2" ] && [ "$e2" -ge $((e1 + 7)) ] &&
	ok "tetragon_events_total{type=\"PROCESS_EXEC\"} moved $e1 -> $e2" || bad "exec counter $e1 -> $e2"
p2=$(value "$tmp/m2" 'tetragon_policy_events_total{policy="metrics-open",hook="kprobe:__x64_sys_openat"}')
[ "$p2" = 2 ] && ok "tetragon_policy_events_total for the policy is 2" || bad "policy events: '$p2'"
k2=$(value "$tmp/m2" 'tetragon_events_total{type="PROCESS_KPROBE"}')
[ "$k2" = 2 ] && ok "tetragon_events_total{type=\"PROCESS_KPROBE\"} is 2" || bad "kprobe events: '$k2'"

kill -TERM "$apid"
wait "$apid"
rc=$?
apid=
[ $rc -eq 0 ] && ok "agent exits 0" || bad "agent exit $rc: $(tail -5 "$tmp/agent.err")"
if grep -q "ERROR: AddressSanitizer\|runtime error:" "$tmp/agent.err" "$tmp/bad.err"; then
	bad "sanitizer reports"
else
	ok "no sanitizer reports"
fi
summary
