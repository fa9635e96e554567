#!/usr/bin/env bash
# f64 GEMM on an NVIDIA GPU against cuBLAS's DGEMM, which runs on the FP64
# tensor cores: tessera's MU=1 on doubles (mma.sync m16n8k8, sm_90 and
# later) beside its threads' FMAs. The unit's start config, 128 x 128
# tiles of k-steps of 32 and one warp's smallest tiles verified on cuda:0
# on ragged shapes, B row- and column-major, first; then per shape a
# model-guided tune of ops/dgemm.yaml, whose best is benchmarked against cuBLAS
# (tessera-bench-gemm: device events, medians of interleaved runs), and so
# is the best FMA (MU=0) config of the same tune. An A100's form of the
# unit, four m8n8k4 an m16n8k8 (sm_80 and later, so this GPU runs it too),
# verified and benchmarked alike through the A100's profile (--profile
# nvidia-a100-80gb), at its start config. Then the tuned kernels exported
# and run through libtessera-rt (examples/cuda_gemm --f64). A table last.
#
# usage: bench/gpu_dgemm.sh [BUILD_DIR]   (default build-gpu; TSR_NO_BUILD=1
#        takes a build made elsewhere as it is)
# SIZES (default 4096,2048x2048x8192): N or MxNxK each; the bench checks
#   every result against the CPU's double reference first, which takes
#   minutes past 4096^3; TUNE_SECONDS (default 40) per shape.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
row_width=44
# shellcheck source=bench/gpu_setup.sh
. bench/gpu_setup.sh "${1:-build-gpu}"
require_cuda
out=$(mktemp -d)
seconds=${TUNE_SECONDS:-40}
IFS=, read -r -a sizes <<<"${SIZES:-4096,2048x2048x8192}"

sed 's/^\(  b: \)row .*/\1col/; s/^name: dgemm-nn/name: dgemm-nt/' ops/dgemm.yaml \
    >"$out/dgemm-nt.yaml"
start=MU=1,BM=128,BN=64,BK=8,TM=2,TN=4,VW=2,PAD=1,STRN=0,KU=1,PF=2,RS=8
for spec in ops/dgemm.yaml "$out/dgemm-nt.yaml"; do
    for entry in own:$start own:MU=1,BM=128,BN=128,BK=32,TM=4,TN=4,VW=2,PAD=1,STRN=0,KU=4,PF=2 \
        own:MU=1,BM=16,BN=16,BK=8,TM=1,TN=2,VW=1,PAD=0,STRN=0,KU=1 \
        nvidia-a100-80gb:$start \
        nvidia-a100-80gb:MU=1,BM=16,BN=16,BK=8,TM=1,TN=2,VW=1,PAD=0,STRN=0,KU=1; do
        profile=${entry%%:*} config=${entry#*:}
        # own: the profile matching the GPU (tessera's choice without --profile).
        [ "$profile" = own ] && profile=
        for shape in m=37,n=53,k=1001 m=129,n=65,k=300 m=1,n=1,k=1 m=300,n=7,k=9; do
            name="verify $(basename "$spec" .yaml) $shape ${config:0:20}${profile:+ (A100)}"
            if "$tessera" verify "$spec" --device cuda:0 --shape "$shape" --config "$config" \
                ${profile:+--profile "$profile"} >"$out/v.txt" 2>&1; then
                row "$name" "PASS"
            else
                row "$name" "FAIL"
                cat "$out/v.txt"
            fi
        done
    done
done

for size in "${sizes[@]}"; do
    IFS=x read -r m n k <<<"$size"
    shape="m=$m,n=${n:-$m},k=${k:-$m}"
    config=$(tune_best ops/dgemm.yaml "$shape" "$out/d.db")
    if [ -z "$config" ]; then
        row "dgemm $size" "FAIL (no verified kernel, see above)"
        continue
    fi
    result=$(bench_cublas ops/dgemm.yaml "$out/d.db" "$size" 10)
    row "dgemm $size" "$result; $(grep -o 'MU=[0-9]*' <<<"$config")"
    # The best config on the threads' FMAs of the same tune, and how many.
    fmas=$(fastest_stored "$out/d.db" "$shape" '%MU=0,%')
    read -r fmas_n fmas_config <<<"$fmas"
    if [ -n "$fmas_config" ]; then
        row "  best MU=0 of $fmas_n" \
            "$(bench_cublas ops/dgemm.yaml "$out/d.db" "$size" 10 "$fmas_config")"
    else
        row "  best MU=0" "none timed"
    fi
    row "  A100's m8n8k4 form, its start" \
        "$(bench_cublas ops/dgemm.yaml "$out/d.db" "$size" 10 "$start" nvidia-a100-80gb)"
done

# The tuned kernels exported and run as a program runs them: through
# libtessera-rt on its own stream and buffers (examples/cuda_gemm --f64,
# against cublasDgemm on the same buffers, its answer checked).
if [ -x "$build/examples/cuda_gemm" ] &&
    "$tessera" export --db "$out/d.db" --out "$out/bundle" >/dev/null 2>&1; then
    for size in "${sizes[@]}"; do
        IFS=x read -r m n k <<<"$size"
        if "$build/examples/cuda_gemm" --f64 "$out/bundle" "$m" "${n:-$m}" "${k:-$m}" 20 \
            >"$out/e.txt" 2>&1; then
            row "libtessera-rt dgemm $size" \
                "$(grep -o 'ratio [0-9.]*' "$out/e.txt") vs cuBLAS, answer ok"
        else
            row "libtessera-rt dgemm $size" "FAIL"
            cat "$out/e.txt"
        fi
    done
else
    row "libtessera-rt dgemm" "not run (no examples/cuda_gemm, or the export failed)"
fi

finish
