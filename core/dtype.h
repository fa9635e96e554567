/* Element types that op specs, profiles and kernels speak of. */
#ifndef TSR_DTYPE_H
#define TSR_DTYPE_H

#include <stddef.h>

typedef enum tsr_dtype {
    TSR_F32 = 0,
    TSR_F64,
    TSR_F16,
    TSR_BF16,
    TSR_TF32,
    TSR_I8,
    TSR_I32,
    TSR_DTYPE_COUNT
} tsr_dtype;

/* "f32", "f64", "f16", "bf16", "tf32", "i8", "i32". */
const char *tsr_dtype_name(tsr_dtype dtype);
/* Returns -1 when the name is not a dtype. */
int tsr_dtype_from_name(const char *name);
size_t tsr_dtype_size(tsr_dtype dtype);
/* The type arithmetic on values stored as `dtype` is done in: f32 for the
 * 16-bit floats (kernels widen them as they load), else the type itself. */
tsr_dtype tsr_dtype_compute(tsr_dtype dtype);
/* The relative error of storing a computed value as `dtype`, rounded to
 * nearest once: half a unit in its last place (2^-11 for f16, 2^-8 for
 * bf16); 0 for a type values are computed in. */
double tsr_dtype_store_rounding(tsr_dtype dtype);
/* The unit roundoff of arithmetic on values stored as `dtype`: half a unit
 * in the last place of its compute type, 2^-53 for f64 and 2^-24 for the
 * rest (whose kernels compute in f32). Error bounds scale with it. */
double tsr_dtype_unit_roundoff(tsr_dtype dtype);
/* The smallest normal value of `dtype`: below it a stored value's spacing
 * stops shrinking, so its rounding is half a unit in the last place of
 * this value rather than of itself (f16's subnormals start at 2^-14). */
double tsr_dtype_min_normal(tsr_dtype dtype);

#endif
