#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The agent on Debian's 6.1 and 6.12 kernels, booted under qemu (see
# tests/vm/run-matrix.sh). Needs root for nothing but the build; skipped
# when qemu or the kernel packages are unavailable. Last line:
#   vm-kernels: N passed, N failed, N skipped
cd "$(dirname "$0")/../.."
exec tests/vm/run-matrix.sh
