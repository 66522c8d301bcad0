#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make` without the build dependencies names the missing Debian packages and
# says to run `make deps`, before building anything. Nothing is uninstalled:
# the Makefile's tool variables and TG_INCLUDE_DIRS point at what is not
# there. Needs nothing but make. Last line:
#   build-deps: N passed, N failed, N skipped
set -u
cd "$(dirname "$0")/../.."
passed=0 failed=0 skipped=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() {	# NAME COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
tmp=$(mktemp -d /tmp/tg-deps-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
B=$tmp/build	# never created: the check stops make before any rule runs

# ---- the script ------------------------------------------------------------------
CLANG=$(command -v clang-19 || command -v clang) BPFTOOL=$(command -v bpftool || echo /usr/sbin/bpftool) \
	scripts/check-deps.sh tests >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$tmp/out" ]; then
	ok "check-deps.sh: silent, exit 0 on this provisioned machine"
else
	bad "check-deps.sh on this machine (exit $rc): $(cat "$tmp/out")"
fi
CC=/nonexistent/gcc CXX=/nonexistent/g++ CLANG= BPFTOOL=/nonexistent/bpftool PROTOC_C=/nonexistent/protoc-c \
	TG_INCLUDE_DIRS=/nonexistent scripts/check-deps.sh tests >"$tmp/out" 2>&1
rc=$?
want=$(scripts/check-deps.sh --packages | sort -u | tr '\n' ' ')
got=$(sed -n 's/^or: apt-get install //p' "$tmp/out" | tr ' ' '\n' | sort -u | tr '\n' ' ')
check "nothing there: exit 1 and every package in one apt-get line" test $rc -eq 1 -a "$got" = "$want"
check "... says to run make deps" grep -q 'Run `make deps` to install them' "$tmp/out"
check "... names what is missing (command, header)" \
	sh -c "grep -Eq '^  protobuf-c-compiler +no /nonexistent/protoc-c \(PROTOC_C\)$' '$tmp/out' &&
		grep -Eq '^  libbpf-dev +no <bpf/libbpf.h>$' '$tmp/out'"
# every package it can name, make deps installs
sed -n '/^PKGS=(/,/^)/p' scripts/install-deps.sh | tr -s ' \t' '\n\n' >"$tmp/pkgs"
missing=
for p in $(scripts/check-deps.sh --packages); do
	grep -Fqx -- "$p" "$tmp/pkgs" || missing="$missing $p"
done
check "every package it names is in scripts/install-deps.sh${missing:+ (missing:$missing)}" test -z "$missing"

# ---- through make ------------------------------------------------------------------
make --no-print-directory BUILD="$B" PROTOC_C=/nonexistent/protoc-c >"$tmp/out" 2>&1
rc=$?
check "make without protoc-c: fails, names protobuf-c-compiler and make deps" \
	sh -c "[ $rc -ne 0 ] && grep -q 'apt-get install protobuf-c-compiler$' '$tmp/out' &&
		grep -q 'build dependencies missing (listed above): run \`make deps\`' '$tmp/out'"
check "... before building anything (no \"No rule to make target\", no compiler run)" \
	sh -c "! grep -q 'No rule to make target' '$tmp/out' && [ ! -e '$B' ]"
make --no-print-directory BUILD="$B" CLANG= >"$tmp/out" 2>&1
check "make without clang: names clang-19" grep -q 'apt-get install clang-19$' "$tmp/out"
make --no-print-directory BUILD="$B" TG_INCLUDE_DIRS=/nonexistent >"$tmp/out" 2>&1
check "make without the -dev packages: names them, not libcmocka-dev (tests only)" \
	sh -c "grep -q '^or: apt-get install .*libgrpc-dev' '$tmp/out' && ! grep -q cmocka '$tmp/out'"
make --no-print-directory BUILD="$B" TG_INCLUDE_DIRS=/nonexistent tests >"$tmp/out" 2>&1
check "make tests without them: names libcmocka-dev too" grep -q '^or: apt-get install .*libcmocka-dev' "$tmp/out"
make --no-print-directory BUILD="$B" TG_INCLUDE_DIRS=/nonexistent install >"$tmp/out" 2>&1
check "make install without them: stops at the check" grep -q 'run `make deps`' "$tmp/out"
make -n --no-print-directory BUILD="$B" PROTOC_C=/nonexistent/protoc-c CHECK_DEPS=0 >"$tmp/out" 2>&1
rc=$?
check "make CHECK_DEPS=0 skips the check" test $rc -eq 0 -a "$(grep -c 'The build needs' "$tmp/out")" = 0
make --no-print-directory BUILD="$B" CC="/nonexistent/ccache gcc" >"$tmp/out" 2>&1
check "CC with a wrapper: the wrapper is checked" grep -Eq '^  \? +no /nonexistent/ccache \(CC\)$' "$tmp/out"
# the goals that install the packages first, or need none, are not stopped
# (run and test then call make again: that one checks)
for g in deps run test clean uninstall; do
	make -n --no-print-directory BUILD="$B" PROTOC_C=/nonexistent/protoc-c $g >"$tmp/out" 2>&1
	rc=$?
	case $g in
	run | test) check "make $g installs the packages before the check" \
		test "$(head -1 "$tmp/out")" = ./scripts/install-deps.sh ;;
	*) check "make $g is not stopped by the check" test $rc -eq 0 -a "$(grep -c 'The build needs' "$tmp/out")" = 0 ;;
	esac
done
echo "build-deps: $passed passed, $failed failed, $skipped skipped"
