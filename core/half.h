/* The 16-bit float storage formats on the host: IEEE binary16 (f16) and
 * bfloat16 (bf16, the top half of an f32), converted to and from f32 with
 * round-to-nearest-even, as the devices' own conversions do. Kernels that
 * read these types compute in f32, so the host only ever needs to round
 * values into them, pack them for a device buffer and unpack them back. */
#ifndef TSR_HALF_H
#define TSR_HALF_H

#include <stddef.h>
#include <stdint.h>

#include "core/dtype.h"

uint16_t tsr_f32_to_f16(float value);
float tsr_f16_to_f32(uint16_t bits);
uint16_t tsr_f32_to_bf16(float value);
float tsr_bf16_to_f32(uint16_t bits);

/* Whether values of `dtype` are stored in 16 bits and computed in f32. */
int tsr_dtype_is_half(tsr_dtype dtype);
/* `value` rounded to the nearest value `dtype` holds (unchanged for f32). */
float tsr_dtype_round(tsr_dtype dtype, float value);
/* `count` values into their storage form for a device buffer of `dtype`
 * (f32, f16, bf16, or f64: widened exactly; narrowed, rounding, on the way
 * back), and back. */
void tsr_dtype_pack(tsr_dtype dtype, const float *values, size_t count, void *storage);
void tsr_dtype_unpack(tsr_dtype dtype, const void *storage, size_t count, float *values);

#endif
