#include "core/ops/ops.h"

const tsr_op_def tsr_op_gemm = {
    .name = "gemm",
    .summary = "C = alpha * op(A) * op(B) + beta * C",
    .n_dims = 3,
    .dim_names = {"m", "n", "k"},
};
