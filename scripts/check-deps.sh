#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The build's dependencies, checked before anything is built: names the
# Debian packages that are missing and says to run `make deps`, instead of
# a "No rule to make target" or a compiler error halfway through.
# Silent with exit 0 when all is there; the list on stderr and exit 1 if not.
#
# Usage: scripts/check-deps.sh [tests]     (tests: also what the tests need)
#        scripts/check-deps.sh --packages  (every package it can name)
# The tools are the Makefile's: CC, CXX, CLANG, BPFTOOL, PROTOC_C from the
# environment. TG_INCLUDE_DIRS replaces the header search directories.
# `make CHECK_DEPS=0` skips the check (headers in unusual places).
set -u

# header (under an include directory) -> package
HEADERS=(
	bpf/libbpf.h:libbpf-dev
	gelf.h:libelf-dev
	zlib.h:zlib1g-dev
	yaml.h:libyaml-dev
	protobuf-c/protobuf-c.h:libprotobuf-c-dev
	jansson.h:libjansson-dev
	grpc/grpc.h:libgrpc-dev
	re2/re2.h:libre2-dev
	microhttpd.h:libmicrohttpd-dev
	openssl/evp.h:libssl-dev
	curl/curl.h:libcurl4-openssl-dev
)
TEST_HEADERS=(cmocka.h:libcmocka-dev sys/sdt.h:systemtap-sdt-dev)
# the Makefile reads the well-known protos from this directory
PROTO_DIR=/usr/include/google/protobuf
PROTO_PKG=libprotobuf-dev

# a command's package, by the name Debian installs it under
cmd_package() {
	case $(basename "$1") in
	cc | gcc | gcc-[0-9]*) echo gcc ;;
	c++ | g++ | g++-[0-9]*) echo g++ ;;
	clang | clang-19) echo clang-19 ;;
	clang-[0-9]*) basename "$1" ;;
	bpftool) echo bpftool ;;
	protoc-c) echo protobuf-c-compiler ;;
	*) echo "" ;;
	esac
}

if [ "${1:-}" = --packages ]; then
	for h in "${HEADERS[@]}" "${TEST_HEADERS[@]}"; do echo "${h#*:}"; done
	printf '%s\n' gcc g++ clang-19 bpftool protobuf-c-compiler "$PROTO_PKG"
	exit 0
fi

missing=()	# "package|why"
need() { missing+=("$1|$2"); }

# tools: the Makefile's variables, or the names it looks for
check_cmd() {	# VARIABLE VALUE
	local var=$1 val=$2 pkg
	if [ -z "$val" ]; then
		need clang-19 "no clang-19 or clang on PATH ($var)"
		return
	fi
	read -r val _ <<<"$val"	# the command of "ccache gcc" is ccache
	command -v "$val" >/dev/null 2>&1 && return
	pkg=$(cmd_package "$val")
	need "${pkg:-?}" "no $val ($var)"
}
check_cmd CC "${CC:-cc}"
check_cmd CXX "${CXX:-g++}"
check_cmd CLANG "${CLANG-clang-19}"
check_cmd BPFTOOL "${BPFTOOL:-bpftool}"
check_cmd PROTOC_C "${PROTOC_C:-protoc-c}"

# headers: in the compiler's usual directories
if [ -n "${TG_INCLUDE_DIRS:-}" ]; then
	read -r -a dirs <<<"$TG_INCLUDE_DIRS"
	PROTO_DIR=${dirs[0]}/google/protobuf
else
	multiarch=$("${CC:-cc}" -print-multiarch 2>/dev/null || true)
	dirs=(/usr/local/include ${multiarch:+/usr/include/$multiarch} /usr/include)
fi
check_header() {	# HEADER:PACKAGE
	local h=${1%%:*} pkg=${1#*:} d
	for d in "${dirs[@]}"; do
		[ -e "$d/$h" ] && return
	done
	need "$pkg" "no <$h>"
}
for h in "${HEADERS[@]}"; do check_header "$h"; done
if [ "${1:-}" = tests ]; then
	for h in "${TEST_HEADERS[@]}"; do check_header "$h"; done
fi
[ -e "$PROTO_DIR/timestamp.proto" ] || need "$PROTO_PKG" "no $PROTO_DIR/timestamp.proto"

[ ${#missing[@]} -eq 0 ] && exit 0

pkgs=()
{
	echo "The build needs Debian packages that are not installed:"
	for m in "${missing[@]}"; do
		printf '  %-22s %s\n' "${m%%|*}" "${m#*|}"
		case " ${pkgs[*]} " in *" ${m%%|*} "*) ;; *) [ "${m%%|*}" = "?" ] || pkgs+=("${m%%|*}") ;; esac
	done
	if [ ${#pkgs[@]} -gt 0 ]; then
		echo "Run \`make deps\` to install them (apt-get, as root; \`make run\` and \`make test\` install them first),"
		echo "or: apt-get install ${pkgs[*]}"
	fi
	case " ${missing[*]}" in *" ?|"*) echo "(?: a tool set on the make command line or in the environment that is not there)" ;; esac
} >&2
exit 1
