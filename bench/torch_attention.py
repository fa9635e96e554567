"""Attention's reference on a CUDA GPU, timed like tessera's kernels:
torch.nn.functional.scaled_dot_product_attention on [batch][heads][seq][d]
tensors (the op specs' bhsd layout), causal or not, CUDA events around each
call, median of 50 after a warm-up. PyTorch picks its fastest backend (flash
attention on an H100 or H200). Prints one line:
"torch attention DTYPE BATCH HEADS SEQ D CAUSAL MS".

usage: python3 bench/torch_attention.py DTYPE BATCH HEADS SEQ D CAUSAL(0|1)"""
import sys

import torch

from torch_timing import median_ms


def main():
    dtype = {"f16": torch.float16, "bf16": torch.bfloat16}[sys.argv[1]]
    batch, heads, seq, d, causal = (int(a) for a in sys.argv[2:7])
    q, k, v = (torch.randn(batch, heads, seq, d, device="cuda", dtype=dtype) for _ in range(3))
    attend = lambda: torch.nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=bool(causal))
    for _ in range(3):
        attend()
    ms = median_ms(attend)
    print(f"torch attention {sys.argv[1]} {batch} {heads} {seq} {d} {causal} {ms:.4f}")


if __name__ == "__main__":
    main()
