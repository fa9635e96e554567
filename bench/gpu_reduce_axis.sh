#!/usr/bin/env bash
# Means along the middle axis (ops/reduce-mean-middle.yaml: X rows x cols
# x inner, Y[r][i] the mean over c of X[r][c][i]) on an NVIDIA GPU: the
# device's copy bandwidth (tessera profile detect), then for each shape a
# model-guided tune on cuda:0, its best kernel's achieved bandwidth (X
# read, Y written) against the copy rate, and PyTorch's x.mean(dim=1) on
# the same shape (bench/torch_reduce_axis.py, CUDA events, median of 50).
# A table last.
#
# usage: bench/gpu_reduce_axis.sh [BUILD_DIR]   (default build-gpu;
#        TSR_NO_BUILD=1 takes a build made elsewhere as it is)
# SHAPES (default 16x2048x4096,1x65536x1024,1x8192x8192,4096x64x256):
# ROWSxCOLSxINNER each; TUNE_SECONDS (default 20) per shape; KEEP: a
# folder for the store.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
row_width=30
# shellcheck source=bench/gpu_setup.sh
. bench/gpu_setup.sh "${1:-build-gpu}"
require_cuda
out=$(mktemp -d)
seconds=${TUNE_SECONDS:-20}

measure_copy_rate

IFS=, read -r -a shapes <<<"${SHAPES:-16x2048x4096,1x65536x1024,1x8192x8192,4096x64x256}"
for shape in "${shapes[@]}"; do
    IFS=x read -r rows cols inner <<<"$shape"
    dims="rows=$rows,cols=$cols,inner=$inner"
    ref=$(python3 bench/torch_reduce_axis.py "$rows" "$cols" "$inner" | tee /dev/stderr |
        awk '{print $6; exit}')
    echo "== reduce-mean-middle $dims: tessera tune --strategy model --seconds $seconds"
    "$tessera" tune ops/reduce-mean-middle.yaml --device cuda:0 --shape "$dims" \
        --strategy model --seconds "$seconds" --db "$out/axis.db" | tail -n 5 | tee "$out/t.txt"
    ms=$(awk '/^ *best:/ {print $2; exit}' "$out/t.txt")
    config=$(awk '/^ *best:/ {print $NF; exit}' "$out/t.txt")
    if [ -z "$ms" ]; then
        row "mean ${shape}" "FAIL (no verified kernel, see above)"
        continue
    fi
    # X read, Y (rows x inner) written.
    bytes=$(((rows * cols * inner + rows * inner) * 4))
    row "mean $shape" "$(awk -v b="$bytes" -v t="$ms" -v c="$copy_gbs" -v r="${ref:-0}" \
        'BEGIN {g = b / (t * 1e6); printf "%.3f ms %.0f GB/s = %.2f of copy", t, g, g / c;
                if (r > 0) printf "; torch %.3f ms, ratio %.2f", r, r / t}'); $config"
done

finish
