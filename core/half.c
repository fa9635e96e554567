#include "core/half.h"

#include <math.h>
#include <string.h>

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

uint16_t tsr_f32_to_f16(float value)
{
    uint32_t u = bits_of(value);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t abs_bits = u & 0x7fffffffu;
    if (abs_bits > 0x7f800000u) /* NaN: keep it quiet */
        return (uint16_t)(sign | 0x7e00u);
    if (abs_bits >= 0x477ff000u) /* rounds to 65520 or more: infinity */
        return (uint16_t)(sign | 0x7c00u);
    if (abs_bits < 0x38800000u) {
        /* Below the smallest normal f16 (2^-14): a multiple of 2^-24, which
         * f32 arithmetic rounds to nearest-even exactly. */
        float scaled = fabsf(value) * 16777216.0f; /* 2^24 */
        return (uint16_t)(sign | (uint16_t)nearbyintf(scaled));
    }
    /* Normal: drop 13 mantissa bits, rounding to nearest, ties to even; a
     * carry out of the mantissa correctly bumps the exponent. */
    uint32_t rounded = abs_bits + 0xfffu + ((abs_bits >> 13) & 1u);
    return (uint16_t)(sign | ((rounded - 0x38000000u) >> 13));
}

float tsr_f16_to_f32(uint16_t bits)
{
    uint32_t sign = (uint32_t)(bits & 0x8000u) << 16;
    uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu;
    if (exponent == 0) { /* zero or subnormal: mantissa * 2^-24 exactly */
        float magnitude = (float)mantissa * 0x1p-24f;
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 31)
        return float_of(sign | 0x7f800000u | (mantissa << 13));
    return float_of(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

uint16_t tsr_f32_to_bf16(float value)
{
    uint32_t u = bits_of(value);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u); /* NaN stays a quiet NaN */
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

float tsr_bf16_to_f32(uint16_t bits)
{
    return float_of((uint32_t)bits << 16);
}

int tsr_dtype_is_half(tsr_dtype dtype)
{
    return dtype == TSR_F16 || dtype == TSR_BF16;
}

float tsr_dtype_round(tsr_dtype dtype, float value)
{
    switch (dtype) {
    case TSR_F16: return tsr_f16_to_f32(tsr_f32_to_f16(value));
    case TSR_BF16: return tsr_bf16_to_f32(tsr_f32_to_bf16(value));
    default: return value;
    }
}

void tsr_dtype_pack(tsr_dtype dtype, const float *values, size_t count, void *storage)
{
    if (dtype == TSR_F64) {
        double *wide = storage;
        for (size_t i = 0; i < count; i++)
            wide[i] = values[i];
        return;
    }
    if (!tsr_dtype_is_half(dtype)) {
        memcpy(storage, values, count * sizeof(float));
        return;
    }
    uint16_t *out = storage;
    for (size_t i = 0; i < count; i++)
        out[i] = dtype == TSR_F16 ? tsr_f32_to_f16(values[i]) : tsr_f32_to_bf16(values[i]);
}

void tsr_dtype_unpack(tsr_dtype dtype, const void *storage, size_t count, float *values)
{
    if (dtype == TSR_F64) {
        const double *wide = storage;
        for (size_t i = 0; i < count; i++)
            values[i] = (float)wide[i];
        return;
    }
    if (!tsr_dtype_is_half(dtype)) {
        memcpy(values, storage, count * sizeof(float));
        return;
    }
    const uint16_t *in = storage;
    for (size_t i = 0; i < count; i++)
        values[i] = dtype == TSR_F16 ? tsr_f16_to_f32(in[i]) : tsr_bf16_to_f32(in[i]);
}
