#include "core/ops/ops.h"

const tsr_op_def tsr_op_softmax = {
    .name = "softmax",
    .summary = "row-wise softmax: Y[r][c] = exp(X[r][c] - max_r) / sum_c exp(X[r][c] - max_r)",
    .n_dims = 2,
    .dim_names = {"rows", "cols"},
};
