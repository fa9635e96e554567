#include "core/dtype.h"

#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtype_table[TSR_DTYPE_COUNT] = {
    [TSR_F32] = {"f32", 4},   [TSR_F64] = {"f64", 8},   [TSR_F16] = {"f16", 2},
    [TSR_BF16] = {"bf16", 2}, [TSR_TF32] = {"tf32", 4}, [TSR_I8] = {"i8", 1},
    [TSR_I32] = {"i32", 4},
};

const char *tsr_dtype_name(tsr_dtype dtype)
{
    return (unsigned)dtype < TSR_DTYPE_COUNT ? dtype_table[dtype].name : "?";
}

int tsr_dtype_from_name(const char *name)
{
    for (int i = 0; i < TSR_DTYPE_COUNT; i++)
        if (strcmp(dtype_table[i].name, name) == 0)
            return i;
    return -1;
}

tsr_dtype tsr_dtype_compute(tsr_dtype dtype)
{
    return dtype == TSR_F16 || dtype == TSR_BF16 ? TSR_F32 : dtype;
}

double tsr_dtype_store_rounding(tsr_dtype dtype)
{
    return dtype == TSR_F16 ? 1.0 / 2048 : dtype == TSR_BF16 ? 1.0 / 256 : 0.0;
}

double tsr_dtype_unit_roundoff(tsr_dtype dtype)
{
    return tsr_dtype_compute(dtype) == TSR_F64 ? 0x1p-53 : 0x1p-24;
}

double tsr_dtype_min_normal(tsr_dtype dtype)
{
    return dtype == TSR_F16 ? 1.0 / 16384 : dtype == TSR_F64 ? 0x1p-1022 : 0x1p-126;
}

size_t tsr_dtype_size(tsr_dtype dtype)
{
    return (unsigned)dtype < TSR_DTYPE_COUNT ? dtype_table[dtype].size : 0;
}
