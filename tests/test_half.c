/* The host's 16-bit float conversions: every f16 and bf16 value survives a
 * round trip, values between two neighbours round to the nearer (ties to
 * the even one), and where the compiler has _Float16 its conversion agrees
 * on random f32 values. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "core/half.h"

static float float_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int is_nan16(uint16_t h, tsr_dtype dtype)
{
    return dtype == TSR_F16 ? (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)
                            : (h & 0x7f80u) == 0x7f80u && (h & 0x7fu);
}

static void every_value_survives_a_round_trip(void)
{
    for (int d = 0; d < 2; d++) {
        tsr_dtype dtype = d ? TSR_BF16 : TSR_F16;
        for (uint32_t h = 0; h < 0x10000u; h++) {
            float f = d ? tsr_bf16_to_f32((uint16_t)h) : tsr_f16_to_f32((uint16_t)h);
            uint16_t back = d ? tsr_f32_to_bf16(f) : tsr_f32_to_f16(f);
            if (is_nan16((uint16_t)h, dtype))
                CHECK_MSG(isnan(f) && is_nan16(back, dtype), "%s 0x%04x", tsr_dtype_name(dtype), h);
            else
                CHECK_MSG(back == h, "%s 0x%04x -> %g -> 0x%04x", tsr_dtype_name(dtype), h, f,
                          back);
        }
    }
}

static void known_f16_values_convert_exactly(void)
{
    CHECK(tsr_f32_to_f16(1.0f) == 0x3c00u);
    CHECK(tsr_f32_to_f16(-2.0f) == 0xc000u);
    CHECK(tsr_f32_to_f16(65504.0f) == 0x7bffu);
    CHECK(tsr_f32_to_f16(65519.0f) == 0x7bffu); /* just below the midpoint to 65536 */
    CHECK(tsr_f32_to_f16(65520.0f) == 0x7c00u); /* the midpoint rounds to even: infinity */
    CHECK(tsr_f32_to_f16(INFINITY) == 0x7c00u);
    CHECK(tsr_f32_to_f16(0x1p-24f) == 0x0001u);   /* smallest subnormal */
    CHECK(tsr_f32_to_f16(0x1p-25f) == 0x0000u);   /* half of it: a tie, to even (zero) */
    CHECK(tsr_f32_to_f16(0x1.8p-24f) == 0x0002u); /* 1.5 ulp: a tie, to even (2) */
    CHECK(tsr_f32_to_f16(0x1p-14f) == 0x0400u);   /* smallest normal */
    CHECK(tsr_f32_to_f16(-0.0f) == 0x8000u);
    CHECK(isnan(tsr_f16_to_f32(tsr_f32_to_f16(NAN))));
    CHECK(tsr_f32_to_bf16(1.0f) == 0x3f80u);
    CHECK(tsr_f32_to_bf16(float_of(0x3f808000u)) == 0x3f80u); /* tie to even, down */
    CHECK(tsr_f32_to_bf16(float_of(0x3f818000u)) == 0x3f82u); /* tie to even, up */
    CHECK(tsr_f32_to_bf16(float_of(0x3f808001u)) == 0x3f81u); /* above the tie */
    CHECK(isnan(tsr_bf16_to_f32(tsr_f32_to_bf16(NAN))));
}

/* Midpoints between neighbouring finite values round to the even one, and
 * anything nearer either neighbour rounds to it. */
static void midpoints_round_to_the_even_neighbour(void)
{
    for (int d = 0; d < 2; d++) {
        tsr_dtype dtype = d ? TSR_BF16 : TSR_F16;
        uint32_t top = d ? 0x7f7fu : 0x7bffu; /* largest finite */
        for (uint32_t h = 0; h < top; h++) {
            double lo = d ? tsr_bf16_to_f32((uint16_t)h) : tsr_f16_to_f32((uint16_t)h);
            double hi = d ? tsr_bf16_to_f32((uint16_t)(h + 1)) : tsr_f16_to_f32((uint16_t)(h + 1));
            float mid = (float)((lo + hi) / 2); /* exact: f32 has the bits */
            uint16_t even = (h & 1u) ? (uint16_t)(h + 1) : (uint16_t)h;
            uint16_t got = d ? tsr_f32_to_bf16(mid) : tsr_f32_to_f16(mid);
            CHECK_MSG(got == even, "%s midpoint above 0x%04x gave 0x%04x", tsr_dtype_name(dtype), h,
                      got);
            float below = nextafterf(mid, -INFINITY), above = nextafterf(mid, INFINITY);
            CHECK((d ? tsr_f32_to_bf16(below) : tsr_f32_to_f16(below)) == h);
            CHECK((d ? tsr_f32_to_bf16(above) : tsr_f32_to_f16(above)) == h + 1);
        }
    }
}

static void the_compilers_f16_agrees(void)
{
#ifdef __FLT16_MAX__
    uint64_t state = 12345;
    for (int i = 0; i < 1000000; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        float f = float_of((uint32_t)(state >> 32));
        if (isnan(f))
            continue;
        _Float16 h = (_Float16)f;
        uint16_t bits;
        memcpy(&bits, &h, sizeof bits);
        CHECK_MSG(tsr_f32_to_f16(f) == bits, "%a: 0x%04x, the compiler 0x%04x", f,
                  tsr_f32_to_f16(f), bits);
    }
#else
    printf("  (this compiler has no _Float16: skipped)\n");
#endif
}

static void packing_rounds_and_unpacking_restores(void)
{
    const float values[4] = {1.0f / 3.0f, -0.125f, 1000.5f, 3.0e-6f};
    uint16_t storage[4];
    float back[4];
    for (int d = 0; d < 2; d++) {
        tsr_dtype dtype = d ? TSR_BF16 : TSR_F16;
        tsr_dtype_pack(dtype, values, 4, storage);
        tsr_dtype_unpack(dtype, storage, 4, back);
        for (int i = 0; i < 4; i++)
            CHECK(back[i] == tsr_dtype_round(dtype, values[i]));
    }
    CHECK(tsr_dtype_round(TSR_F16, 1.0f / 3.0f) != 1.0f / 3.0f);
    CHECK(tsr_dtype_round(TSR_F32, 1.0f / 3.0f) == 1.0f / 3.0f);
}

int main(void)
{
    RUN_TEST(every_value_survives_a_round_trip);
    RUN_TEST(known_f16_values_convert_exactly);
    RUN_TEST(midpoints_round_to_the_even_neighbour);
    RUN_TEST(the_compilers_f16_agrees);
    RUN_TEST(packing_rounds_and_unpacking_restores);
    return check_summary();
}
