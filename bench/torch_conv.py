"""conv2d's reference on a CUDA GPU, timed like tessera's kernels:
torch.nn.functional.conv2d with the bias and ReLU fused as the op spec
conv2d-resnet (or conv2d-nhwc-f16) asks, CUDA events around each call,
median of 50 after a warm-up; nhwc runs in PyTorch's channels_last format.
TF32 is off, so that f32 is f32 on both sides. Prints one line:
"torch conv2d LAYOUT DTYPE N C H W K MS".

usage: python3 bench/torch_conv.py LAYOUT DTYPE N C H W K R STRIDE PAD"""
import sys

import torch

from torch_timing import median_ms


def main():
    layout, dtype = sys.argv[1], {"f32": torch.float32, "f16": torch.float16}[sys.argv[2]]
    n, c, h, w, k, r, stride, pad = (int(a) for a in sys.argv[3:11])
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    fmt = torch.channels_last if layout == "nhwc" else torch.contiguous_format
    x = torch.randn(n, c, h, w, device="cuda", dtype=dtype).to(memory_format=fmt)
    weight = torch.randn(k, c, r, r, device="cuda", dtype=dtype).to(memory_format=fmt)
    bias = torch.randn(k, device="cuda", dtype=dtype)
    conv = lambda: torch.relu(torch.nn.functional.conv2d(x, weight, bias, stride, pad))
    for _ in range(3):
        conv()
    ms = median_ms(conv)
    print(f"torch conv2d {layout} {sys.argv[2]} {n} {c} {h} {w} {k} {ms:.4f}")


if __name__ == "__main__":
    main()
