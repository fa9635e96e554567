/* Where GEMM's tuning starts on a profile (and conv2d's, which shares its
 * params): a config shaped by the device's lanes and units. */
#include "core/ops/gemm_internal.h"
#include "core/ops/ops.h"

/* AMD's wave unit for 16-bit inputs: 2 x 2 waves of 4 x 4 fragments down
 * a 128 x 128 tile, k-steps of 32 in 16-byte vectors, loaded then
 * multiplied (no asynchronous copies on these profiles). The analytic
 * model's best for an MI250X at n = 4096 (`tessera tune ops/hgemm.yaml
 * --offline --profile amd-mi250x`, hipcc's report for gfx90a), not a
 * measurement: no AMD GPU has run it. */
static bool suggest_wave_unit(const tsr_opspec *spec, const tsr_profile *profile, int *v)
{
    if (gemm_unit_input(spec) == TSR_TF32 ||
        !tsr_profile_has_mfma_16x16x16(profile, gemm_unit_input(spec)))
        return false;
    static const struct {
        int param, value;
    } start[] = {{GEMM_MU, GEMM_MU_MFMA},
                 {GEMM_BM, 128},
                 {GEMM_BN, 128},
                 {GEMM_BK, 32},
                 {GEMM_TM, 4},
                 {GEMM_TN, 4},
                 {GEMM_VW, 8},
                 {GEMM_SA, 1},
                 {GEMM_SB, 1},
                 {GEMM_PAD, 1},
                 {GEMM_STRM, 0},
                 {GEMM_STRN, 0},
                 {GEMM_KU, 2},
                 {GEMM_VN, 1},
                 {GEMM_PF, 0}};
    for (size_t i = 0; i < sizeof start / sizeof start[0]; i++)
        v[start[i].param] = start[i].value;
    return true;
}

bool gemm_suggest_matrix_unit(const tsr_opspec *spec, const tsr_profile *profile, int *v)
{
    if (suggest_wave_unit(spec, profile, v))
        return true;
    /* f32 inputs that the spec lets be multiplied as tf32 take m16n8k8,
     * in 16-byte copies of 4 values; f64 m16n8k8 in copies of 2. */
    if (!gemm_has_warp_unit(spec, profile))
        return false;
    bool tf32 = gemm_unit_input(spec) == TSR_TF32;
    bool ring = (profile->features & TSR_FEAT_ASYNC_COPY) != 0;
    v[GEMM_MU] = 1;
    v[GEMM_BM] = 128;
    v[GEMM_BN] = 128;
    v[GEMM_BK] = 32;
    v[GEMM_TM] = 2;
    v[GEMM_TN] = 8;
    v[GEMM_VW] = tf32 ? 4 : 8;
    v[GEMM_SA] = 1;
    v[GEMM_SB] = 1;
    v[GEMM_PAD] = 1;
    v[GEMM_STRM] = 0;
    v[GEMM_STRN] = 0;
    v[GEMM_KU] = 2;
    v[GEMM_VN] = 1;
    v[GEMM_PF] = ring ? 3 : 0;
    if (tf32 && ring) {
        /* The best of a 90-s tune on an H200 at n = 4096 (106 TFLOP/s,
         * against 75 from the f16 ring's shape; docs/performance.md):
         * 16 warps of 2 x 8 fragments, k-steps of 16 two ahead, 87552
         * bytes of shared memory. */
        v[GEMM_BN] = 256;
        v[GEMM_BK] = 16;
        v[GEMM_KU] = 1;
        v[GEMM_PF] = 2;
    }
    if (spec->dtype == TSR_F64) {
        /* The best of 29 fixed configs on an H200 (the tuner's timing,
         * docs/performance.md): 8 warps of 2 x 4 fragments of doubles (32
         * accumulators a thread) down a 128 x 64 tile, k-steps of 8 in
         * 16-byte copies two ahead, the groups rasterised by 8. 2.79 ms at
         * n = 4096 (49 TFLOP/s) and 22.2 at 8192, against 3.17 and 24.6
         * for 128 x 128 tiles of 4 x 4 fragments and k-steps of 32: its
         * 49920 bytes of shared memory and fewer registers leave room for
         * more groups a unit. The same on an A100's m8n8k4 (within its
         * 163 KiB; on an H200, 5.10 ms against 5.20). */
        v[GEMM_BN] = 64;
        v[GEMM_BK] = 8;
        v[GEMM_TM] = 2;
        v[GEMM_TN] = 4;
        v[GEMM_VW] = 2;
        v[GEMM_KU] = 1;
        v[GEMM_PF] = ring ? 2 : 0;
        v[GEMM_RS] = 8;
    }
    return true;
}

/* Where the profile lists the warpgroup unit for the inputs and the
 * asynchronous copies: four warpgroups of 64 x 128 down a 256 x 128 tile,
 * k-steps of 64 in the 128-byte swizzle, fetched three ahead. The best
 * fixed config measured on an H200 (hgemm at 4096: 366 TFLOP/s, against
 * 271 for the warp unit's ring; docs/performance.md). Valid in every
 * layout: its k-steps and its warpgroups' cols are whole swizzled rows.
 * f32 as tf32 takes the same tiles with k-steps of 32 (one swizzled row
 * of f32) in 16-byte copies, where its layouts are K-major (A row-major,
 * B column-major), the only ones the unit reads: 209 TFLOP/s at 4096 on
 * an H200, against 106 for the warp unit's tf32 ring. */
static bool suggest_warpgroup_unit(const tsr_opspec *spec, const tsr_profile *profile, int *v)
{
    bool tf32 = gemm_unit_input(spec) == TSR_TF32;
    if (tf32 && (spec->layout_a != TSR_ROW_MAJOR || spec->layout_b != TSR_COL_MAJOR))
        return false;
    if (!tsr_profile_has_wgmma(profile, gemm_unit_input(spec)) ||
        !(profile->features & TSR_FEAT_ASYNC_COPY) || !gemm_suggest_matrix_unit(spec, profile, v))
        return false;
    v[GEMM_MU] = GEMM_MU_WGMMA;
    v[GEMM_BM] = 256;
    v[GEMM_BN] = 128;
    v[GEMM_BK] = tf32 ? 32 : 64;
    v[GEMM_TM] = 1;
    v[GEMM_TN] = 16;
    v[GEMM_PAD] = 0;
    v[GEMM_KU] = 1;
    v[GEMM_PF] = 3;
    return true;
}

/* Work-items that each hold wide vectors (a CPU's SIMD lanes, which the
 * profile reports as a preferred vector width of 8 or more) do best with a
 * tall micro-tile two vectors wide, B staged and padded, A read in place,
 * and few work-items per group. A GPU with the warpgroup unit for the
 * inputs starts from its ring (suggest_warpgroup_unit); one with the warp's
 * unit from that unit's ring, one with AMD's wave unit from its tiles
 * (gemm_suggest_matrix_unit); f32 on a GPU with
 * asynchronous copies from 128 x 256 tiles of 8 x 16 micro-tiles (vector
 * accumulators of 2), k-steps of 32 fetched three ahead: the best of a
 * 120-s tune on an H200 at n = 4096, 0.94 of cuBLAS there
 * (docs/performance.md; 196608 bytes of shared memory, so a profile with
 * less falls back); other SIMT devices from the params' defaults. The
 * tuner searches from here. */
void gemm_suggest(const tsr_opspec *spec, const tsr_profile *profile, tsr_config *out)
{
    tsr_config_default(&tsr_op_gemm, out);
    int lanes = (int)tsr_profile_value(&profile->preferred_vector_width, 1);
    if (lanes < 8) {
        int *v = out->value;
        if (suggest_warpgroup_unit(spec, profile, v) || gemm_suggest_matrix_unit(spec, profile, v))
            return;
        if (spec->dtype == TSR_F32 && (profile->features & TSR_FEAT_ASYNC_COPY)) {
            v[GEMM_BM] = 128;
            v[GEMM_BN] = 256;
            v[GEMM_BK] = 32;
            v[GEMM_TM] = 8;
            v[GEMM_TN] = 16;
            v[GEMM_VW] = 8;
            v[GEMM_KU] = 4;
            v[GEMM_VN] = 2;
            v[GEMM_PF] = 3;
        }
        return;
    }
    lanes = lanes > 16 ? 16 : lanes;
    int *v = out->value;
    v[GEMM_VN] = lanes;
    v[GEMM_TN] = 2 * lanes;
    v[GEMM_TM] = 8;
    v[GEMM_BM] = 64;
    v[GEMM_BN] = 2 * lanes;
    v[GEMM_BK] = 32;
    v[GEMM_SA] = 0;
    v[GEMM_SB] = 1;
    v[GEMM_VW] = 8;
    v[GEMM_PAD] = 1;
    v[GEMM_STRM] = 0;
    v[GEMM_STRN] = 0;
}
