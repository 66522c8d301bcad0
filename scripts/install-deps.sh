#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages needed to build, run and test (idempotent).
set -euo pipefail
PKGS=(
	make gcc pkg-config clang-19 llvm-14 bpftool libbpf-dev libelf-dev zlib1g-dev
	libyaml-dev libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev
	libcmocka-dev libjansson-dev libgrpc-dev libre2-dev g++ libclang-rt-14-dev clang-14 python3 util-linux
	binutils qemu-system-x86 busybox-static cpio
	libmicrohttpd-dev prometheus curl
	libssl-dev
	libarchive-dev
	libcurl4-openssl-dev	# container runtimes' HTTP APIs (src/runtime), the Kubernetes API (src/k8s)
	# tests/integration/test_containers.py: real runtimes (runc: crun refuses hybrid cgroups)
	containerd runc docker.io podman conmon
	valgrind	# bench/export_throughput.sh: instructions per event
	python3-yaml	# tests/integration/test_k8s_crds.py reads the CRD manifests
	systemtap-sdt-dev	# sys/sdt.h: tests/helpers/usdt_target.c has USDT probes
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# gRPC interop tests: Node + npm (@grpc/grpc-js). Any node on PATH will do.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "installing: ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
