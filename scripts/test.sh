#!/usr/bin/env bash
# Every test on a fresh Debian machine: install, build with warnings as
# errors, run the whole suite (kernels run on PoCL, OpenCL on the CPU).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
rm -rf build-test
meson setup build-test --werror --buildtype=debugoptimized
ninja -C build-test
meson test -C build-test --print-errorlogs --num-processes 2 "$@"
