#!/usr/bin/env bash
# GEMM on an NVIDIA GPU against cuBLAS, square and LLM shapes, in one go:
# the fused and batched specs verified on cuda:0 (against the CPU
# reference); the fetch-ahead variant (PF) timed against the same config
# without it; a model-guided tune of each shape; then tessera-bench-gemm on
# all of them in one process, each beside cuBLAS (device events, medians of
# 20 interleaved runs); then f16 and bf16 inputs (f32 products and C)
# verified, tuned and benchmarked against cublasGemmEx; then f32 that may be
# multiplied as tf32 against cuBLAS's fast-TF32 compute type. A table last.
#
# usage: bench/gpu_gemm.sh [BUILD_DIR]   (default build-gpu; TSR_NO_BUILD=1
#        takes a build made elsewhere as it is)
# SIZES (default 4096,4096x4096x11008,16x4096x4096,8192x1024x8192): N or
#   MxNxK each; TUNE_SECONDS (default 30) per shape; PF_CONFIG: the config
#   timed with PF=0 and PF=1 at n = 4096; KEEP: a folder for the store;
#   HALF_SIZES (default 4096,8192) for the 16-bit inputs, "" for none;
#   MU_CONFIG: a matrix-unit (mma.sync) config verified and timed beside;
#   BIG_CONFIGS: matrix-unit configs past 48 KiB of shared memory, likewise;
#   TF32_SIZES (default 4096,8192) for ops/sgemm-tf32.yaml and
#   ops/sgemm-nt-tf32.yaml, "" for none; TF32_CONFIG: the first's mma.sync
#   m16n8k8 config verified and timed beside; TF32_NT_CONFIG: the second's
#   wgmma m64nNk8 one.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
row_width=40
# shellcheck source=bench/gpu_setup.sh
. bench/gpu_setup.sh "${1:-build-gpu}"
sizes=${SIZES:-4096,4096x4096x11008,16x4096x4096,8192x1024x8192}
seconds=${TUNE_SECONDS:-30}
pf_config=${PF_CONFIG:-BM=128,BN=128,BK=16,TM=8,TN=8,VW=4,SA=1,SB=1,PAD=0,STRM=0,STRN=1,KU=2,VN=4}
require_cuda
out=$(mktemp -d)

# verify SPEC SHAPE CONFIG: a table row, PASS or FAIL (and why).
verify() {
    if "$tessera" verify "ops/$1.yaml" --device cuda:0 --shape "$2" ${3:+--config "$3"} \
        >"$out/v.txt" 2>&1; then
        row "verify $1 $2 ${3:-default}" "PASS"
    else
        row "verify $1 $2 ${3:-default}" "FAIL"
        cat "$out/v.txt"
    fi
}

# tune_and_bench SPEC SIZES CONFIG: a model-guided tune of SPEC at each of
# SIZES (N or MxNxK, comma-separated), then the best stored and CONFIG
# each benchmarked against cuBLAS at all of them; a table row for each.
tune_and_bench() {
    local spec=$1 sizes=$2 config=$3 size m n k shape list
    IFS=, read -r -a list <<<"$sizes"
    for size in "${list[@]}"; do
        IFS=x read -r m n k <<<"$size"
        shape="m=$m,n=${n:-$m},k=${k:-$m}"
        echo "== tune $spec $shape, --strategy model --seconds $seconds"
        "$tessera" tune "ops/$spec.yaml" --device cuda:0 --shape "$shape" --strategy model \
            --seconds "$seconds" --db "$out/$spec.db" | tail -n 7
    done
    "$build/bench/tessera-bench-gemm" --device cuda:0 --spec "ops/$spec.yaml" \
        --db "$out/$spec.db" --sizes "$sizes" --runs 20 | tee "$out/$spec.txt"
    "$build/bench/tessera-bench-gemm" --device cuda:0 --spec "ops/$spec.yaml" \
        --config "$config" --sizes "$sizes" --runs 20 | tee "$out/$spec-unit.txt"
    for size in "${list[@]}"; do
        row "$spec $size tuned" "$(gflops "$out/$spec.txt" "$size")"
        row "$spec $size unit config" "$(gflops "$out/$spec-unit.txt" "$size")"
    done
}

# 1. The fused epilogues and the batch, verified on the device.
for check in "sgemm-bias-gelu m=37,n=13,k=71" "sgemm-bias-gelu m=1024,n=1024,k=1024" \
    "sgemm-batched m=67,n=35,k=41,batch=3"; do
    set -- $check
    for config in "" "PF=1,VW=4"; do
        verify "$1" "$2" "$config"
    done
done

# 2. The same kernel with and without fetching ahead.
gflops() { awk -v n="$2" '$1 == n && NF >= 5 {print $2 " (cuBLAS " $3 ", ratio " $4 ")"; exit}' "$1"; }
for pf in 0 1; do
    "$build/bench/tessera-bench-gemm" --device cuda:0 --sizes 4096 --runs 20 \
        --config "$pf_config,PF=$pf" | tee "$out/pf$pf.txt"
    row "n=4096 PF=$pf" "$(gflops "$out/pf$pf.txt" 4096)"
done

# 3. A model-guided tune of each shape, then the benchmark of them all.
IFS=, read -r -a list <<<"$sizes"
for size in "${list[@]}"; do
    IFS=x read -r m n k <<<"$size"
    shape="m=$m,n=${n:-$m},k=${k:-$m}"
    echo "== tune $shape, --strategy model --seconds $seconds"
    "$tessera" tune ops/sgemm.yaml --device cuda:0 --shape "$shape" --strategy model \
        --seconds "$seconds" --db "$out/tune.db" | tail -n 7
done
"$build/bench/tessera-bench-gemm" --device cuda:0 --db "$out/tune.db" --sizes "$sizes" \
    --runs 20 | tee "$out/bench.txt"
for size in "${list[@]}"; do
    row "tuned $size" "$(gflops "$out/bench.txt" "$size")"
done

# 4. 16-bit inputs: verified on ragged and full shapes (the threads' FMAs
# and the matrix unit), each spec tuned at each size and benchmarked
# against cublasGemmEx, the matrix-unit config beside it.
half_sizes=${HALF_SIZES-4096,8192}
mu_config=${MU_CONFIG:-MU=1,BM=128,BN=128,BK=16,TM=2,TN=8,STRN=0,KU=1,VN=1,VW=8,PAD=1,PF=3}
for spec in hgemm bf16gemm-tn hgemm-fused-f16-out; do
    [ -n "$half_sizes" ] || break
    for shape in m=37,n=13,k=71 m=129,n=65,k=33,batch=2 m=1024,n=1024,k=1024; do
        for config in "" "PF=1,VW=4" "$mu_config"; do
            verify "$spec" "$shape" "$config"
        done
    done
    # The fused spec writes f16, which the library cannot: verified only.
    [ "$spec" = hgemm-fused-f16-out ] && continue
    tune_and_bench "$spec" "$half_sizes" "$mu_config"
done

# 5. Past the 48 KiB a kernel may declare: configs whose tiles live in
# dynamic shared memory (BK=32 with 128x128 tiles, 75776 bytes; BK=64 with
# 128x256, 156672), verified on ragged shapes and timed beside cuBLAS.
# BIG_CONFIGS: ';'-separated, "" for none.
big_configs=${BIG_CONFIGS-MU=1,BM=128,BN=128,BK=32,TM=2,TN=8,STRN=0,KU=1,VN=1,VW=8,PAD=1,PF=3;MU=1,BM=128,BN=256,BK=64,TM=4,TN=8,STRN=0,KU=4,VN=1,VW=8,PAD=1,PF=2}
IFS=';' read -r -a big_list <<<"$big_configs"
for i in "${!big_list[@]}"; do
    config=${big_list[$i]}
    for shape in m=257,n=263,k=136 m=100,n=300,k=1000; do
        verify hgemm "$shape" "$config"
    done
    verify bf16gemm-tn m=257,n=263,k=136 "$config"
    "$build/bench/tessera-bench-gemm" --device cuda:0 --spec ops/hgemm.yaml --config "$config" \
        --sizes 4096,8192 --runs 20 | tee "$out/big$i.txt"
    for size in 4096 8192; do
        row "hgemm $size big config $((i + 1))" "$(gflops "$out/big$i.txt" "$size")"
    done
done

# 6. f32 that may be multiplied as tf32: row-major A and B (mma.sync
# m16n8k8) and a linear layer's K-major pair (wgmma m64nNk8), each
# verified on ragged shapes, tuned at each size and benchmarked against
# cublasGemmEx with CUBLAS_COMPUTE_32F_FAST_TF32, its config beside.
tf32_sizes=${TF32_SIZES-4096,8192}
tf32_config=${TF32_CONFIG:-MU=1,BM=128,BN=256,BK=16,TM=2,TN=8,VW=4,PAD=1,STRN=0,KU=1,VN=1,PF=2}
tf32_nt_config=${TF32_NT_CONFIG:-MU=2,BM=256,BN=128,BK=32,TM=1,TN=16,VW=4,PAD=0,STRN=0,KU=1,VN=1,PF=3}
for spec in sgemm-tf32 sgemm-nt-tf32; do
    [ -n "$tf32_sizes" ] || break
    config=$tf32_config
    [ "$spec" = sgemm-nt-tf32 ] && config=$tf32_nt_config
    for shape in m=37,n=13,k=71 m=1000,n=1290,k=300 m=1,n=257,k=33; do
        verify "$spec" "$shape" ""
        verify "$spec" "$shape" "$config"
    done
    tune_and_bench "$spec" "$tf32_sizes" "$config"
done

finish
