#!/usr/bin/env bash
# Fused attention on an NVIDIA GPU: for ops/attention-causal-f16 (64-wide
# heads, causal) and ops/attention-f16-d128 (128-wide, not causal), a
# model-guided tune on cuda:0 (every candidate verified against the double
# reference first), its best kernel's time and TFLOP/s, and PyTorch's
# scaled_dot_product_attention on the same shape (bench/torch_attention.py,
# CUDA events, median of 50). TFLOP/s count 4 d flops a visible
# (query, key) pair, half the pairs under a causal mask. A table last.
#
# usage: bench/gpu_attention.sh [BUILD_DIR]   (default build-gpu; TSR_NO_BUILD=1
#        takes a build made elsewhere as it is)
# TUNE_SECONDS (default 30) per spec.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
row_width=34
# shellcheck source=bench/gpu_setup.sh
. bench/gpu_setup.sh "${1:-build-gpu}"
require_cuda
out=$(mktemp -d)
seconds=${TUNE_SECONDS:-30}

# spec | batch heads seq d causal
for entry in "attention-causal-f16|4 16 1024 64 1" "attention-f16-d128|2 16 2048 128 0"; do
    IFS='|' read -r spec dims <<<"$entry"
    read -r batch heads seq d causal <<<"$dims"
    shape="q=$seq,kv=$seq,heads=$heads,batch=$batch"
    python3 bench/torch_attention.py f16 $dims | tee "$out/torch.txt"
    echo "== $spec $shape: tessera tune --strategy model --seconds $seconds"
    "$tessera" tune "ops/$spec.yaml" --device cuda:0 --shape "$shape" --strategy model \
        --seconds "$seconds" --db "$out/attention.db" | tail -n 5 | tee "$out/t.txt"
    ms=$(awk '/^ *best:/ {print $2; exit}' "$out/t.txt")
    ref=$(awk '{print $NF; exit}' "$out/torch.txt")
    if [ -z "$ms" ]; then
        row "$spec" "FAIL (no verified kernel, see above)"
        continue
    fi
    pairs=$((causal ? seq * (seq + 1) / 2 : seq * seq))
    flops=$((4 * batch * heads * pairs * d))
    row "$spec $batch x $heads x $seq" "$(awk -v f="$flops" -v t="$ms" -v r="${ref:-0}" \
        'BEGIN {printf "%.3f ms %.1f TFLOP/s", t, f / (t * 1e9);
                if (r > 0) printf "; torch %.3f ms, ratio %.2f", r, r / t}')"
done

finish
