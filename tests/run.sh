#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every test suite and ends with one summary line:
#   tests: N passed, N failed, N skipped
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
# test agents never take the host's /etc/tetragon or packaged configuration
export TETRAGON_READ_SYSTEM_CONFIG=false
passed=0 failed=0 skipped=0
log=$(mktemp)

count_cmocka() {
	local p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
}

echo "== unit tests ($BUILD, sanitizers: ${SANITIZED:-yes})"
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	echo "-- $t"
	if "$t" >"$log" 2>&1; then
		rc=0
	else
		rc=$?
	fi
	cat "$log"
	count_cmocka
	if [ $rc -ne 0 ] && ! grep -q '^\[  FAILED  \]' "$log"; then
		echo "FAIL $t exited with $rc"
		failed=$((failed + 1))
	fi
done

run_summary_suite() {
	local name=$1
	shift
	echo "== $name"
	local t0=$SECONDS
	"$@" 2>&1 | tee "$log"
	echo "== $name: $((SECONDS - t0)) s"
	local line
	line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "FAIL $name produced no summary"
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + $(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")))
	failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
	if grep -q skipped <<<"$line"; then
		skipped=$((skipped + $(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")))
	fi
}

for s in tests/suites/*.sh; do
	[ -x "$s" ] && run_summary_suite "$(basename "$s" .sh)" "$s"
done
if [ -z "${SKIP_INTEGRATION:-}" ]; then
	run_summary_suite "integration: process lifecycle" /usr/bin/python3 tests/integration/test_lifecycle.py
	run_summary_suite "integration: process facts (ancestors, environment variables, user names)" /usr/bin/python3 tests/integration/test_process_facts.py
	run_summary_suite "integration: tracing policies" /usr/bin/python3 tests/integration/test_policy.py
	run_summary_suite "integration: policy selectors" /usr/bin/python3 tests/integration/test_selectors.py
	run_summary_suite "integration: uprobes and raw tracepoints" /usr/bin/python3 tests/integration/test_uprobe.py
	run_summary_suite "integration: usdts" /usr/bin/python3 tests/integration/test_usdt.py
	run_summary_suite "integration: policy return probes and argument types" /usr/bin/python3 tests/integration/test_policy_args.py
	run_summary_suite "integration: actions (stack traces, enforcers, GetUrl, DnsLookup)" /usr/bin/python3 tests/integration/test_actions.py
	run_summary_suite "integration: sockaddr operators and generated syscall lists" /usr/bin/python3 tests/integration/test_net_syscalls.py
	run_summary_suite "integration: SubString in the kernel" /usr/bin/python3 tests/integration/test_policy_substring.py
	run_summary_suite "integration: configuration sources and upstream flags" /usr/bin/python3 tests/integration/test_config.py
	run_summary_suite "integration: API access, sockets and floods (as nobody)" /usr/bin/python3 tests/integration/test_security_api.py
	run_summary_suite "integration: TLS and client certificates on the API" /usr/bin/python3 tests/integration/test_tls.py
	run_summary_suite "integration: hostile GetEvents and export filters" /usr/bin/python3 tests/integration/test_security_filters.py
	run_summary_suite "integration: files the agent writes or trusts, closed stdout" /usr/bin/python3 tests/integration/test_security_files.py
	run_summary_suite "integration: untrusted input (log escaping, names, limits, scoped policies)" /usr/bin/python3 tests/integration/test_security_input.py
	run_summary_suite "integration: event loss (sweep race, PID wrap, policy floods, drop accounting)" /usr/bin/python3 tests/integration/test_event_loss.py
	run_summary_suite "integration: GetInfo, log level, sensors, bugtool, generate, getevents --reconnect" /usr/bin/python3 tests/integration/test_rpcs.py
	run_summary_suite "integration: export accounting on a full disk, export file deleted or moved" /usr/bin/python3 tests/integration/test_export.py
	run_summary_suite "integration: containers (Docker, containerd and CRI, Podman; slow runtime)" /usr/bin/python3 tests/integration/test_containers.py
	run_summary_suite "integration: Kubernetes API client against a stand-in API server (pods, watch, custom resources)" /usr/bin/python3 tests/integration/test_k8s.py
	run_summary_suite "integration: workload scope in the kernel (TracingPolicyNamespaced, podSelector, containerSelector)" /usr/bin/python3 tests/integration/test_k8s_scope.py
	run_summary_suite "integration: the TracingPolicy CustomResourceDefinitions" /usr/bin/python3 tests/integration/test_k8s_crds.py
	run_summary_suite "integration: deploying it (Kubernetes manifests, Helm chart, the image in Podman and Docker)" /usr/bin/python3 tests/integration/test_deploy.py
	run_summary_suite "integration: operations flags (log format and file, health server, export rate limit, redaction, process cache)" /usr/bin/python3 tests/integration/test_ops_flags.py
	run_summary_suite "integration: persistence (pinned enforcement across agent restarts, gRPC policy store, stable exec_ids)" /usr/bin/python3 tests/integration/test_persist.py
fi
rm -f "$log"
echo "== all suites: $SECONDS s"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
