#!/usr/bin/env bash
# conv2d on an NVIDIA GPU: for the ResNet-50 stage specs (ops/conv2d-resnet,
# NCHW f32, and ops/conv2d-nhwc-f16, NHWC f16 with f16 output) on a batch of
# 32, a model-guided tune on cuda:0 (every candidate verified against the
# double reference first), its best kernel's time and TFLOP/s, and
# torch.nn.functional.conv2d's (with its bias and ReLU) on the same shape
# (bench/torch_conv.py, CUDA events, median of 50). A table last.
#
# usage: bench/gpu_conv.sh [BUILD_DIR]   (default build-gpu; TSR_NO_BUILD=1
#        takes a build made elsewhere as it is)
# TUNE_SECONDS (default 30) per spec; KEEP: a folder for the store.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
row_width=30
# shellcheck source=bench/gpu_setup.sh
. bench/gpu_setup.sh "${1:-build-gpu}"
require_cuda
out=$(mktemp -d)
seconds=${TUNE_SECONDS:-30}

# spec | layout dtype | n c h w k | filter stride pad
for entry in "conv2d-resnet|nchw f32|32 64 56 56 64|3 1 1" \
    "conv2d-nhwc-f16|nhwc f16|32 128 56 56 128|3 2 1"; do
    IFS='|' read -r spec types dims filter <<<"$entry"
    read -r n c h w k <<<"$dims"
    read -r r stride pad <<<"$filter"
    shape="n=$n,c=$c,h=$h,w=$w,k=$k"
    python3 bench/torch_conv.py $types $dims $filter | tee "$out/torch.txt"
    echo "== $spec $shape: tessera tune --strategy model --seconds $seconds"
    "$tessera" tune "ops/$spec.yaml" --device cuda:0 --shape "$shape" --strategy model \
        --seconds "$seconds" --db "$out/conv.db" | tail -n 5 | tee "$out/t.txt"
    ms=$(awk '/^ *best:/ {print $2; exit}' "$out/t.txt")
    ref=$(awk '{print $NF; exit}' "$out/torch.txt")
    if [ -z "$ms" ]; then
        row "$spec" "FAIL (no verified kernel, see above)"
        continue
    fi
    oh=$(((h + 2 * pad - r) / stride + 1))
    ow=$(((w + 2 * pad - r) / stride + 1))
    flops=$((2 * n * k * oh * ow * c * r * r))
    row "$spec" "$(awk -v f="$flops" -v t="$ms" -v r="${ref:-0}" \
        'BEGIN {printf "%.3f ms %.1f TFLOP/s", t, f / (t * 1e9);
                if (r > 0) printf "; torch %.3f ms, ratio %.2f", r, r / t}')"
done

finish
