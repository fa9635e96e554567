#!/usr/bin/env bash
# The main job on a fresh Debian machine: install, build, tune the example
# SGEMM (ops/sgemm.yaml) on the local OpenCL device (PoCL on the CPU unless
# another device is opencl:0) in about five minutes, and export the winners
# as a bundle in ./bundle. Results go to ./tessera.db; running it again skips
# every stored candidate and resumes where a stopped run left off.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
[ -d build ] || meson setup build --buildtype=release
ninja -C build

# Three shapes, about 80 seconds of search each: the model-guided strategy
# (a cost model trained on every measurement so far picks what to measure,
# so the second and third shapes start from what the first taught it);
# every candidate verified before its time counts.
build/tessera tune ops/sgemm.yaml --strategy model --seconds 80 --db tessera.db
build/tessera export --db tessera.db --out bundle
echo
echo "Bundle in ./bundle (manifest.json, tessera_bundle.h, cpu/opencl/; check it: build/tessera bundle check bundle). Compare with CLBlast:"
echo "  build/bench/tessera-bench-gemm --db tessera.db"
