#!/usr/bin/env bash
# Everything that needs an NVIDIA GPU, in one go: the CUDA backend's and the
# reference libraries' tests; `tessera verify` on the CUDA backend and on
# NVIDIA's OpenCL platform over ragged shapes; a tune of SGEMM at n = 4096
# on each; the tuned kernel exported and run through libtessera-rt by
# examples/cuda_gemm against cuBLAS; then tessera-bench-gemm on each,
# against cuBLAS on cuda:0 and CLBlast on NVIDIA's OpenCL, in the same
# process. A table last.
#
# usage: bench/gpu.sh [BUILD_DIR]   (default: build-gpu, set up with meson if
#        absent, then brought up to date with ninja; TSR_NO_BUILD=1 takes a
#        build made elsewhere as it is, e.g. one carried from another machine)
# TUNE_SECONDS (default 120) bounds each tune; SIZES (default 1024,2048,4096)
# are the benchmark's sizes; the tune is for the largest.
# Needs the CUDA driver, NVRTC and cuBLAS; NVIDIA's OpenCL platform is used
# when the loader lists it (register it with: echo libnvidia-opencl.so.1 >
# /etc/OpenCL/vendors/nvidia.icd).
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/gpu_setup.sh
. bench/gpu_setup.sh "${1:-build-gpu}"
sizes=${SIZES:-1024,2048,4096}
tune_n=${sizes##*,}
out=$(mktemp -d)
table=()
row() { table+=("$(printf '%-10s %-34s %s' "$1" "$2" "$3")"); }

for t in test_cuda_backend test_gemm_ref; do
    "$build/tests/$t"
    case $? in
    0) row cuda:0 "$t" PASS ;;
    77) row cuda:0 "$t" "FAIL (no CUDA device)" ;;
    *) row cuda:0 "$t" FAIL ;;
    esac
done
"$tessera" devices
if ! "$tessera" devices 2>/dev/null | grep -q '^cuda:0 '; then
    echo "bench/gpu.sh: no CUDA device here (see 'tessera devices'): run it where an NVIDIA GPU and its driver are" >&2
    exit 1
fi

nvidia_opencl=$("$tessera" devices 2>/dev/null | awk '/^opencl:/ && /NVIDIA/ {print $1; exit}')
devices=(cuda:0)
[ -n "$nvidia_opencl" ] && devices+=("$nvidia_opencl")
[ -z "$nvidia_opencl" ] && row opencl "NVIDIA OpenCL platform" "FAIL (not listed: register it)"

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
            row "$device" "verify $spec $shape" "$result"
        done
    done
    if "$tessera" verify ops/softmax.yaml --device "$device" >"$out/v.txt" 2>&1; then
        row "$device" "verify softmax (spec's shapes)" PASS
    else
        cat "$out/v.txt"
        row "$device" "verify softmax (spec's shapes)" FAIL
    fi
    shape=m=$tune_n,n=$tune_n,k=$tune_n
    echo "== $device: tessera tune ops/sgemm.yaml --shape $shape --strategy random --seconds ${TUNE_SECONDS:-120}"
    "$tessera" tune ops/sgemm.yaml --device "$device" --shape "$shape" \
        --strategy random --seconds "${TUNE_SECONDS:-120}" --db "$out/tune.db" >"$out/t.txt" 2>&1
    cat "$out/t.txt"
    best=$(grep "best:" "$out/t.txt" | head -n 1 | sed 's/^ *//')
    row "$device" "tune n=$tune_n" "${best:-FAIL (no result, see above)}"
    if [ "$device" = cuda:0 ] && [ -x "$build/examples/cuda_gemm" ]; then
        # The tuned kernel through libtessera-rt in a program of its own,
        # against cuBLAS on the same stream.
        "$tessera" export --db "$out/tune.db" --out "$out/bundle" >/dev/null
        for shape in "$tune_n $tune_n $tune_n" "1000 999 1001" "7 13 17"; do
            echo "== examples/cuda_gemm bundle $shape"
            # shellcheck disable=SC2086
            if "$build/examples/cuda_gemm" "$out/bundle" $shape 20 | tee "$out/e.txt"; then
                row cuda:0 "example cuda_gemm ${shape// /x}" "$(grep -o 'ratio [0-9.]*' "$out/e.txt") vs cuBLAS, answer ok"
            else
                row cuda:0 "example cuda_gemm ${shape// /x}" FAIL
            fi
        done
    fi
    echo "== $device: tessera-bench-gemm --sizes $sizes --runs 20"
    if "$build/bench/tessera-bench-gemm" --device "$device" --db "$out/tune.db" \
        --sizes "$sizes" --runs 20 | tee "$out/b.txt"; then
        reference=$(awk '/config-source/ {print $4; exit}' "$out/b.txt")
        while read -r n ours theirs ratio origin; do
            row "$device" "bench n=$n ($origin)" "tessera $ours GFLOP/s, $reference $theirs, ratio $ratio"
        done < <(awk 'table && NF >= 5; /config-source/ {table = 1}' "$out/b.txt")
    else
        row "$device" "bench" FAIL
    fi
done

echo
printf '%s\n' "${table[@]}"
rm -rf "$out"
# A red row is a red run, so that CI-like callers see it.
! printf '%s\n' "${table[@]}" | grep -q FAIL
