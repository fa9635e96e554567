"""The middle-axis reduction's reference on a CUDA GPU, timed like
tessera's kernels: PyTorch's mean over dim 1 of an f32 rows x cols x inner
tensor, CUDA events around each call, median of 50 after a warm-up.
Prints one line: "torch reduce-mean-middle ROWS COLS INNER MS".

usage: python3 bench/torch_reduce_axis.py ROWS COLS INNER"""
import sys

import torch

from torch_timing import median_ms


def main():
    rows, cols, inner = (int(a) for a in sys.argv[1:4])
    x = torch.randn(rows, cols, inner, device="cuda", dtype=torch.float32)
    ms = median_ms(lambda: x.mean(dim=1))
    print(f"torch reduce-mean-middle {rows} {cols} {inner} {ms:.4f}")


if __name__ == "__main__":
    main()
