#!/usr/bin/env bash
# Split K on an NVIDIA GPU, against cuBLAS: GEMMs with few tiles of C and
# a long K (an LLM's decode steps, a deep reduction), where one group a
# tile leaves most of the GPU idle. Split configs verified on cuda:0 on
# ragged shapes first; then per spec and shape a model-guided tune, whose
# best is benchmarked against cuBLAS (tessera-bench-gemm: device events,
# medians of interleaved runs), and so is the best one-group-a-tile
# (SK=1) config of the same tune. A table last.
#
# usage: bench/gpu_split_k.sh [BUILD_DIR]   (default build-gpu; TSR_NO_BUILD=1
#        takes a build made elsewhere as it is)
# SPECS (default sgemm,hgemm; dgemm too): ops/ specs; SIZES (default
#   16x4096x4096,16x4096x14336,128x1024x16384): MxNxK each, every dim at
#   most 16384 (tessera-bench-gemm's limit); TUNE_SECONDS (default 25) per
#   shape; KEEP: a folder for the stores.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
row_width=44
# shellcheck source=bench/gpu_setup.sh
. bench/gpu_setup.sh "${1:-build-gpu}"
require_cuda
out=$(mktemp -d)
seconds=${TUNE_SECONDS:-25}
IFS=, read -r -a specs <<<"${SPECS:-sgemm,hgemm}"
IFS=, read -r -a sizes <<<"${SIZES:-16x4096x4096,16x4096x14336,128x1024x16384}"

# Split configs of each spec on ragged shapes, a batch among them.
declare -A split_configs=(
    [sgemm]="SK=4 SK=16,BM=16,BN=64,TM=2,TN=4,PF=2,VW=4"
    [hgemm]="SK=4 SK=8,MU=1,BM=64,BN=64,BK=32,TM=2,TN=2,VW=8,PF=2,KU=2,STRN=0 SK=2,MU=2,BM=64,BN=128,BK=64,TM=1,TN=16,VW=8,PF=2,KU=1,STRN=0"
    [dgemm]="SK=4 SK=8,MU=1,BM=128,BN=64,BK=8,TM=2,TN=4,VW=2,PAD=1,STRN=0,KU=1,PF=2,RS=8"
)
for spec in "${specs[@]}"; do
    for config in ${split_configs[$spec]:-SK=4}; do
        for shape in m=37,n=53,k=1001 m=5,n=129,k=300,batch=3 m=16,n=4096,k=4096; do
            if "$tessera" verify "ops/$spec.yaml" --device cuda:0 --shape "$shape" \
                --config "$config" >"$out/v.txt" 2>&1; then
                row "verify $spec $shape ${config%%,*}" "PASS"
            else
                row "verify $spec $shape $config" "FAIL"
                cat "$out/v.txt"
            fi
        done
    done
done

for spec in "${specs[@]}"; do
    for size in "${sizes[@]}"; do
        IFS=x read -r m n k <<<"$size"
        shape="m=$m,n=$n,k=$k"
        config=$(tune_best "ops/$spec.yaml" "$shape" "$out/$spec.db")
        if [ -z "$config" ]; then
            row "$spec $size" "FAIL (no verified kernel, see above)"
            continue
        fi
        result=$(bench_cublas "ops/$spec.yaml" "$out/$spec.db" "$size" 20)
        row "$spec $size" "$result; ${config##*,}"
        # The best one-group-a-tile config of the same tune, and how many.
        whole=$(fastest_stored "$out/$spec.db" "$shape" '%SK=1')
        read -r whole_n whole_config <<<"$whole"
        if [ -n "$whole_config" ]; then
            row "  best SK=1 of $whole_n" \
                "$(bench_cublas "ops/$spec.yaml" "$out/$spec.db" "$size" 20 "$whole_config")"
        else
            row "  best SK=1" "none timed"
        fi
    done
done

finish
