#!/usr/bin/env bash
# Everything that needs an NVIDIA GPU, in one go: the CUDA backend's own
# test, `tessera verify` on the CUDA backend and on NVIDIA's OpenCL platform
# over ragged shapes, and a short tune of SGEMM on each; a table last.
#
# usage: bench/gpu.sh [BUILD_DIR]   (default: build-gpu, set up with meson if
#        absent, then brought up to date with ninja; TSR_NO_BUILD=1 takes a
#        build made elsewhere as it is, e.g. one carried from another machine)
# Needs the CUDA driver and NVRTC; NVIDIA's OpenCL platform is used when the
# loader lists it (register it with: echo libnvidia-opencl.so.1 >
# /etc/OpenCL/vendors/nvidia.icd).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-gpu}
if [ "${TSR_NO_BUILD:-0}" != 1 ]; then
    [ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release || exit 1
    ninja -C "$build" || exit 1
fi
export TESSERA_PROFILES=${TESSERA_PROFILES:-$PWD/profiles}
tessera=$build/tessera
out=$(mktemp -d)
table=()

"$build/tests/test_cuda_backend"
case $? in
0) table+=("cuda:0     test_cuda_backend              PASS") ;;
77) table+=("cuda:0     test_cuda_backend              FAIL (no CUDA device)") ;;
*) table+=("cuda:0     test_cuda_backend              FAIL") ;;
esac
"$tessera" devices
if ! "$tessera" devices 2>/dev/null | grep -q '^cuda:0 '; then
    echo "bench/gpu.sh: no CUDA device here (see 'tessera devices'): run it where an NVIDIA GPU and its driver are" >&2
    exit 1
fi

nvidia_opencl=$("$tessera" devices 2>/dev/null | awk '/^opencl:/ && /NVIDIA/ {print $1; exit}')
devices=(cuda:0)
[ -n "$nvidia_opencl" ] && devices+=("$nvidia_opencl")

for device in "${devices[@]}"; do
    for spec in sgemm sgemm-tn sgemm-nt; do
        for shape in m=7,n=13,k=17 m=257,n=1,k=511 m=1,n=4097,k=3 m=1024,n=1024,k=1024; do
            if "$tessera" verify "ops/$spec.yaml" --device "$device" --shape "$shape" \
                --db "$out/none.db" >"$out/v.txt" 2>&1; then
                result=PASS
            else
                result=FAIL
                cat "$out/v.txt"
            fi
            table+=("$(printf '%-10s %-9s %-20s %s' "$device" "$spec" "$shape" "$result")")
        done
    done
    if "$tessera" verify ops/softmax.yaml --device "$device" >"$out/v.txt" 2>&1; then
        table+=("$(printf '%-10s %-9s %-20s %s' "$device" softmax "(spec's shapes)" PASS)")
    else
        cat "$out/v.txt"
        table+=("$(printf '%-10s %-9s %-20s %s' "$device" softmax "(spec's shapes)" FAIL)")
    fi
    "$tessera" tune ops/sgemm.yaml --device "$device" --shape m=2048,n=2048,k=2048 \
        --strategy random --seconds "${TUNE_SECONDS:-60}" --db "$out/tune.db" >"$out/t.txt" 2>&1
    best=$(grep "best:" "$out/t.txt" | head -n 1)
    table+=("$(printf '%-10s tune 2048^3: %s' "$device" "${best:-no result (see above)}")")
    grep -E "candidates tried|outcomes" "$out/t.txt"
done

echo
printf '%s\n' "${table[@]}"
rm -rf "$out"
# A red row is a red run, so that CI-like callers see it.
! printf '%s\n' "${table[@]}" | grep -q FAIL
