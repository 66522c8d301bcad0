#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Short libFuzzer run of the TracingPolicy parser (bytes -> YAML DOM -> typed
# policy). Longer runs: make fuzz FUZZ_SECONDS=600.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-15}
if ! command -v clang-14 >/dev/null; then
	echo "fuzz-policy: clang-14 missing"
	echo "fuzz-policy: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
if make --no-print-directory fuzz FUZZ_SECONDS="$secs" >/tmp/fuzz-policy.log 2>&1; then
	grep -E '^Done [0-9]+ runs' /tmp/fuzz-policy.log | tail -1
	echo "fuzz-policy: 1 passed, 0 failed, 0 skipped"
else
	tail -40 /tmp/fuzz-policy.log
	echo "fuzz-policy: 0 passed, 1 failed, 0 skipped"
fi
