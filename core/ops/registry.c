/* The table of ops; adding an op is one file in core/ops/ and one row here. */
#include <string.h>

#include "core/op.h"
#include "core/ops/ops.h"

static const tsr_op_def *const op_table[] = {
    &tsr_op_gemm,      &tsr_op_softmax, &tsr_op_reduce, &tsr_op_rmsnorm,
    &tsr_op_layernorm, &tsr_op_permute, &tsr_op_conv2d, &tsr_op_attention,
};

const tsr_op_def *const *tsr_ops(int *count)
{
    *count = (int)(sizeof op_table / sizeof op_table[0]);
    return op_table;
}

const tsr_op_def *tsr_op_find(const char *name)
{
    for (size_t i = 0; i < sizeof op_table / sizeof op_table[0]; i++)
        if (strcmp(op_table[i]->name, name) == 0)
            return op_table[i];
    return NULL;
}

unsigned tsr_op_dtypes(const tsr_op_def *op)
{
    return op->dtypes ? op->dtypes : 1u << TSR_F32;
}

tsr_dtype tsr_op_buffer_dtype(const tsr_opspec *spec, int buffer)
{
    return spec->op->buffer_dtype ? spec->op->buffer_dtype(spec, buffer) : spec->dtype;
}
