"""The row ops' references on a CUDA GPU, timed like tessera's kernels:
PyTorch's softmax, RMSNorm, LayerNorm, row sum and transpose (into a
contiguous cols x rows copy) on an f32 rows x cols matrix, CUDA events around each call, median of 50 after a warm-up.
Prints one line per op: "torch OP ROWS COLS MS".

usage: python3 bench/torch_rows.py ROWS COLS"""
import sys

import torch

from torch_timing import median_ms


def main():
    rows, cols = int(sys.argv[1]), int(sys.argv[2])
    x = torch.randn(rows, cols, device="cuda", dtype=torch.float32)
    gamma = torch.randn(cols, device="cuda", dtype=torch.float32)
    beta = torch.randn(cols, device="cuda", dtype=torch.float32)
    ops = {
        "softmax": lambda: torch.softmax(x, dim=-1),
        "layernorm": lambda: torch.nn.functional.layer_norm(x, (cols,), gamma, beta, 1e-5),
        "reduce-sum": lambda: x.sum(dim=-1),
        "transpose": lambda: x.t().contiguous(),
    }
    if hasattr(torch.nn.functional, "rms_norm"):
        ops["rmsnorm"] = lambda: torch.nn.functional.rms_norm(x, (cols,), gamma, 1e-6)
    for name, fn in ops.items():
        print(f"torch {name} {rows} {cols} {median_ms(fn):.4f}")


if __name__ == "__main__":
    main()
