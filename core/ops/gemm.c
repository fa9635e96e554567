/* GEMM: C = act(alpha * op(A) * op(B) + beta * C + bias) + R, as a tile
 * program, for `batch` independent problems at once.
 *
 * A work-group computes a BM x BN tile of C, stepping through K by BK.
 * Each step may stage A and/or B through shared memory (cooperative,
 * vectorised, zero-filled at ragged edges, padded against bank
 * conflicts); each thread accumulates a TM x TN register micro-tile from
 * the staged tiles (or straight from global memory in the direct
 * variant), and stores it through the fused epilogue. The third launch
 * axis picks the problem of a batch, and with split K (SK) the share of K
 * too: SK groups multiply a tile's shares and join their accumulators
 * through a workspace, the last of them storing the sum through the
 * epilogue. The search space is the set of these choices that the
 * profile's limits allow. */
#include <stdio.h>

#include "core/ir.h"
#include "core/ops/gemm_internal.h"
#include "core/ops/ops.h"

static const tsr_param_def gemm_params[GEMM_ALL_PARAM_COUNT] = {
    /* 256 and BK=64 fit where a kernel may opt in to more shared memory. */
    [GEMM_BM] = {"BM", "rows of C per work-group", 5, {16, 32, 64, 128, 256}, 64},
    [GEMM_BN] = {"BN", "cols of C per work-group", 5, {16, 32, 64, 128, 256}, 64},
    [GEMM_BK] = {"BK", "k-step per shared-memory stage", 6, {2, 4, 8, 16, 32, 64}, 16},
    [GEMM_TM] = {"TM", "rows of the per-thread register micro-tile", 4, {1, 2, 4, 8}, 4},
    [GEMM_TN] = {"TN", "cols of the per-thread register micro-tile", 6, {1, 2, 4, 8, 16, 32}, 4},
    [GEMM_VW] = {"VW", "vector width of global loads into shared memory", 4, {1, 2, 4, 8}, 4},
    [GEMM_SA] = {"SA", "stage A through shared memory (0: read it from global)", 2, {0, 1}, 1},
    [GEMM_SB] = {"SB", "stage B through shared memory (0: read it from global)", 2, {0, 1}, 1},
    [GEMM_PAD] = {"PAD", "extra elements per shared row, against bank conflicts", 2, {0, 1}, 0},
    [GEMM_STRM] =
        {"STRM", "rows of a micro-tile strided across threads (0: contiguous)", 2, {0, 1}, 0},
    [GEMM_STRN] =
        {"STRN", "cols of a micro-tile strided across threads (0: contiguous)", 2, {0, 1}, 1},
    [GEMM_KU] = {"KU", "unroll of the k loop inside a stage", 4, {1, 2, 4, 8}, 4},
    [GEMM_VN] =
        {"VN", "lanes of the vector accumulators along N (1: scalars)", 5, {1, 2, 4, 8, 16}, 1},
    [GEMM_PF] = {"PF",
                 "k-steps fetched while one is multiplied: 1 into registers, then a second "
                 "shared buffer; 2 or 3 by asynchronous copies into a ring of PF + 1 "
                 "(0: load, then multiply)",
                 4,
                 {0, 1, 2, 3},
                 0},
    [GEMM_MU] = {"MU",
                 "multiply on a matrix unit: 1 the warp's, mma.sync m16n8k16 (m16n8k8 on f32 "
                 "inputs as tf32, where the spec allows it), TM x TN fragments of 16 x 8 per "
                 "warp; 2 the warpgroup's, wgmma m64nNk16 (m64nNk8 on tf32, K-major tiles "
                 "only), TM slices of 64 x 8TN per warpgroup of 128 threads; 3 and 4 AMD's wave "
                 "units, MFMA 16x16x16 on waves of 64 threads and WMMA 16x16x16 on waves of 32, "
                 "TM x TN fragments of 16 x 16 per wave; 5 and 6 Intel's DPAS on sub-groups of "
                 "8 and 16, TM x TN fragments of 8 x 8 and 8 x 16 per sub-group (0: each "
                 "thread's FMAs)",
                 7,
                 {0, 1, 2, 3, 4, 5, 6},
                 0},
    [GEMM_RS] = {"RS",
                 "C's tiles taken in bands of RS tile rows, down each band's cols in turn, so "
                 "that the groups running together share rows of A and cols of B in the cache "
                 "(0: row by row, in launch order)",
                 2,
                 {0, 8},
                 0},
    [GEMM_SK] = {"SK",
                 "groups a tile's K is split among, each multiplying a share of whole k-steps; "
                 "the last to finish adds their accumulators, in order, through a workspace "
                 "and stores the tile (1: one group a tile)",
                 5,
                 {1, 2, 4, 8, 16},
                 1,
                 .refines = true},
};

static tsr_status refuse(tsr_error *err, const char *fmt, int a, int b)
{
    return tsr_fail(err, TSR_ERR_UNSUPPORTED, fmt, a, b);
}

/* The contiguous extent a staged operand's vector loads run along. */
static int vector_extent(tsr_layout layout, bool is_a, int bm, int bn, int bk)
{
    if (is_a)
        return layout == TSR_ROW_MAJOR ? bk : bm;
    return layout == TSR_ROW_MAJOR ? bn : bk;
}

/* MU=1: what the matrix unit needs, and the params it makes meaningless
 * held at one value each, so that no kernel is a second config. */
static tsr_status check_mma_sync(const tsr_opspec *spec, const tsr_profile *profile,
                                 const gemm_cfg *c, tsr_error *err)
{
    /* f32 inputs reach the unit only rounded to tf32, which the spec must
     * allow; the unit then steps k by 8, as it does on doubles. */
    bool tf32 = gemm_unit_input(spec) == TSR_TF32;
    int step = gemm_warp_unit_k(spec);
    if (tf32 && !spec->tf32)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=1 multiplies f32 inputs as tf32 only, which the spec does not allow "
                        "(gemm.math: tf32)");
    /* Doubles take sm_80's m8n8k4 where m16n8k8 is not listed. */
    const char *units = spec->dtype == TSR_F64 ? "m16n8k8 or m8n8k4"
                        : step == 8            ? "m16n8k8"
                                               : "m16n8k16";
    if (!gemm_has_warp_unit(spec, profile))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=1: the profile lists no mma %s unit for %s inputs with %s products",
                        units, tsr_dtype_name(gemm_unit_input(spec)),
                        tsr_dtype_name(tsr_dtype_compute(spec->dtype)));
    if (c->bk % step || c->ku > c->bk / step)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=1 steps k by %d: BK=%d must be a multiple and KU=%d at most BK/%d",
                        step, c->bk, c->ku, step);
    if (c->bm % (16 * c->tm) || c->bn % (8 * c->tn))
        return refuse(err,
                      "MU=1: TM=%d fragments of 16 rows and TN=%d of 8 cols must tile the "
                      "work-group's",
                      c->tm, c->tn);
    if (c->tm > 4 || c->tn > 8)
        return refuse(err, "MU=1: TM=%d x TN=%d fragments exceed a warp's 4 x 8", c->tm, c->tn);
    return TSR_OK;
}

/* MU=2: the warpgroup's unit reads whole k-steps of 16 from shared tiles
 * in its 128-byte swizzle, whose rows are columns of 64 values along each
 * operand's contiguous dim: K-major a k-step lies in one, MN-major a
 * warpgroup's rows or cols start one. KU, which unrolls the threads' k
 * loop, and PAD, which the swizzle replaces, have none. */
static tsr_status check_wgmma(const tsr_opspec *spec, const tsr_profile *profile, const gemm_cfg *c,
                              tsr_error *err)
{
    /* f32 reaches the unit only as tf32, m64nNk8, which reads K-major
     * tiles alone; a swizzled row is 128 bytes, 64 16-bit values or 32
     * f32, in chunks of 16 bytes. */
    bool tf32 = gemm_unit_input(spec) == TSR_TF32;
    int step = tf32 ? 8 : 16, row = tf32 ? 32 : 64;
    if (tf32 && !spec->tf32)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=2 multiplies f32 inputs as tf32 only, which the spec does not allow "
                        "(gemm.math: tf32)");
    if (!tsr_profile_has_wgmma(profile, gemm_unit_input(spec)))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=2: the profile lists no wgmma %s unit for %s inputs with f32 products",
                        tf32 ? "m64nNk8" : "m64nNk16", tsr_dtype_name(gemm_unit_input(spec)));
    if (c->bk % step || c->ku != 1)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=2 issues whole k-steps of %d: BK=%d must be a multiple, KU=%d 1", step,
                        c->bk, c->ku);
    if (c->pad)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED, "MU=2 swizzles its tiles: PAD=%d must be 0",
                        c->pad);
    if (c->bm % (64 * c->tm) || c->bn % (8 * c->tn))
        return refuse(err,
                      "MU=2: TM=%d slices of 64 rows and TN=%d chunks of 8 cols must tile the "
                      "work-group's",
                      c->tm, c->tn);
    /* The operands' contiguous extents: A's k (row-major) or m, B's n
     * (row-major) or k; and where m or n is contiguous, each warpgroup's
     * share of it. */
    bool a_k = spec->layout_a == TSR_ROW_MAJOR, b_n = spec->layout_b == TSR_ROW_MAJOR;
    if (tf32 && (!a_k || b_n))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=2 on tf32 reads K-major tiles only: A row-major and B column-major");
    if (tf32 && c->vw > 4)
        return tsr_fail(
            err, TSR_ERR_UNSUPPORTED,
            "MU=2 copies f32 into its swizzle's 16-byte chunks: VW=%d must be at most 4", c->vw);
    if ((a_k || !b_n) && c->bk % row)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=2 swizzles k-contiguous tiles in rows of %d: BK=%d must be a multiple",
                        row, c->bk);
    if (b_n && (8 * c->tn) % 64)
        return refuse(err,
                      "MU=2 swizzles n-contiguous tiles in rows of 64: a warpgroup's 8 x TN=%d "
                      "cols must be a multiple (BN=%d)",
                      c->tn, c->bn);
    return TSR_OK;
}

/* MU=3 to 6: the units of a wave or sub-group on 16-bit inputs, k-steps of
 * 16, fragments of R x C per wave: AMD's MFMA (64 threads) and WMMA (32),
 * 16 x 16; Intel's DPAS at sub-groups of 8 and 16, 8 x 8 and 8 x 16. */
static tsr_status check_wave_unit(const tsr_opspec *spec, const tsr_profile *profile,
                                  const gemm_cfg *c, tsr_error *err)
{
    tsr_dtype input = gemm_unit_input(spec);
    int rows = gemm_fragment_rows(c), cols = gemm_fragment_cols(c);
    const char *unit = c->mu == GEMM_MU_WMMA ? "wmma" : c->mu == GEMM_MU_MFMA ? "mfma" : "dpas";
    if (input == TSR_TF32)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=%d multiplies f16 or bf16 inputs only (the spec's are %s)", c->mu,
                        tsr_dtype_name(spec->dtype));
    bool listed = c->mu == GEMM_MU_WMMA   ? tsr_profile_has_wmma_16x16x16(profile, input)
                  : c->mu == GEMM_MU_MFMA ? tsr_profile_has_mfma_16x16x16(profile, input)
                                          : tsr_profile_has_dpas(profile, input, cols);
    if (!listed)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=%d: the profile lists no %s %dx%dx16 unit for %s inputs with f32 "
                        "products",
                        c->mu, unit, rows, cols, tsr_dtype_name(input));
    if (c->bk % 16 || c->ku > c->bk / 16)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=%d steps k by 16: BK=%d must be a multiple and KU=%d at most BK/16",
                        c->mu, c->bk, c->ku);
    if (c->bm % (rows * c->tm) || c->bn % (cols * c->tn))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=%d: TM=%d fragments of %d rows and TN=%d of %d cols must tile the "
                        "work-group's",
                        c->mu, c->tm, rows, c->tn, cols);
    if (c->tm > 4 || c->tn > 4)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=%d: TM=%d x TN=%d fragments exceed a wave's 4 x 4", c->mu, c->tm,
                        c->tn);
    return TSR_OK;
}

/* MU=1 to 6: what the matrix units need, and the params they make
 * meaningless held at one value each, so that no kernel is a second
 * config. */
static tsr_status check_matrix_unit(const tsr_opspec *spec, const tsr_profile *profile,
                                    const gemm_cfg *c, tsr_error *err)
{
    if (!c->sa || !c->sb)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=%d reads both operands from shared memory (SA=%d, SB=%d)", c->mu, c->sa,
                        c->sb);
    if (c->vn != 1 || c->strm || c->strn)
        return refuse(err,
                      "MU>0 places accumulators by fragment: VN, STRM, STRN must be 1, 0, 0 "
                      "(VN=%d, STRN=%d)",
                      c->vn, c->strn);
    return c->mu == GEMM_MU_WGMMA ? check_wgmma(spec, profile, c, err)
           : gemm_wave(c)         ? check_wave_unit(spec, profile, c, err)
                                  : check_mma_sync(spec, profile, c, err);
}

/* The most words a thread an f64 split's join takes back (check_split). */
enum { GEMM_F64_JOIN_WORDS_MAX = 512 };

/* SK: the joined accumulators cross the workspace as 32-bit words (an f64
 * one as two: lower_tile_join.c). With the threads' FMAs, whose choices
 * make most of the space, a split is tried on one mapping of the staged
 * tiles alone (RS=0, PAD=0, STRM=0, SA=SB=1), so that SK's four splits add
 * about a fifth to the space (hgemm's on an H200: 15.5 to 18.5 million
 * configs) rather than four times it: the split matters for the shape's
 * parallelism, which those params hardly change. */
static tsr_status check_split(const tsr_opspec *spec, const gemm_cfg *c, tsr_error *err)
{
    if (c->sk == 1)
        return TSR_OK;
    /* The last group's join is unrolled (core/lower_tile_join.c): parts x
     * words a thread atomic exchanges, two an f64 value, which nvcc takes
     * superlinear time over in f64 (sm_90a on 2 cores: 512 in 7 s, 1024 in
     * 21, 4096 past 17 min, against f32's 2048 in 5 s). A tune compiles
     * its next candidates while it times one and waits on them: with 1024,
     * 40-s tunes on an H200 timed 5 to 17 candidates. The best splits
     * measured there take 128 to 512. */
    int words = tsr_tile_join_element_words(tsr_dtype_compute(spec->dtype)) * c->bm * c->bn /
                (gemm_local_x(c) * gemm_local_y(c));
    if (spec->dtype == TSR_F64 && c->sk * words > GEMM_F64_JOIN_WORDS_MAX)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "SK=%d takes back %d words a thread from each part, %d in the unrolled "
                        "join: an f64 join of more than %d, which nvcc takes minutes over",
                        c->sk, words, c->sk * words, GEMM_F64_JOIN_WORDS_MAX);
    if (!c->mu && (c->rs || c->pad || c->strm || !c->sa || !c->sb))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "SK=%d with the threads' FMAs is tried at RS=0, PAD=0, STRM=0, SA=1 and "
                        "SB=1 only (given RS=%d, PAD=%d, STRM=%d, SA=%d, SB=%d)",
                        c->sk, c->rs, c->pad, c->strm, c->sa, c->sb);
    return TSR_OK;
}

tsr_status gemm_check(const tsr_opspec *spec, const tsr_profile *profile, const tsr_config *config,
                      tsr_error *err)
{
    gemm_cfg c = gemm_cfg_of(config);
    if (spec->dtype == TSR_F64 && !(profile->features & TSR_FEAT_FP64))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "dtype f64 needs double precision, which the profile does not list "
                        "(features: fp64)");
    if (c.mu)
        TSR_TRY(check_matrix_unit(spec, profile, &c, err));
    else if (c.bm % c.tm)
        return refuse(err, "BM=%d is not a multiple of TM=%d", c.bm, c.tm);
    else if (c.bn % c.tn)
        return refuse(err, "BN=%d is not a multiple of TN=%d", c.bn, c.tn);
    int threads = gemm_local_x(&c) * gemm_local_y(&c);
    int max_threads = (int)tsr_profile_value(&profile->max_work_group_size, 256);
    if (threads > max_threads)
        return refuse(err, "%d threads per work-group exceed the profile's limit of %d", threads,
                      max_threads);
    if (threads < 8)
        return refuse(err, "%d threads per work-group are too few to be worth trying (minimum %d)",
                      threads, 8);
    /* A work-group that is not a whole number of sub-groups (warps, waves)
     * leaves lanes of its last one idle on every instruction. */
    int subgroup = (int)tsr_profile_value(&profile->subgroup_sizes[0], 1);
    if (threads % subgroup)
        return refuse(err,
                      "%d threads per work-group are not a whole number of the profile's "
                      "%d-wide sub-groups",
                      threads, subgroup);
    TSR_TRY(check_split(spec, &c, err));
    /* A mapping that cannot differ from the contiguous one is not a second
     * config: one row per thread, or one chunk of cols per thread. */
    if (c.strm && c.tm == 1)
        return refuse(err, "STRM=%d with TM=%d is the same kernel as STRM=0", c.strm, c.tm);
    if (c.strn && c.tn == c.vn)
        return refuse(err,
                      "STRN=%d with one chunk of cols per thread (TN=%d) is the same kernel "
                      "as STRN=0",
                      c.strn, c.tn);
    if (c.tn % c.vn)
        return refuse(err, "VN=%d does not divide TN=%d", c.vn, c.tn);
    if (c.ku > c.bk)
        return refuse(err, "KU=%d exceeds BK=%d", c.ku, c.bk);
    if (!c.sa && !c.sb && (c.vw != 1 || c.pad != 0))
        return refuse(err,
                      "VW=%d and PAD=%d only apply to staged operands; both must be 1 and 0 "
                      "in the direct variant",
                      c.vw, c.pad);
    if (c.sa && vector_extent(spec->layout_a, true, c.bm, c.bn, c.bk) % c.vw)
        return refuse(err, "VW=%d does not divide A's contiguous tile extent %d", c.vw,
                      vector_extent(spec->layout_a, true, c.bm, c.bn, c.bk));
    if (c.sb && vector_extent(spec->layout_b, false, c.bm, c.bn, c.bk) % c.vw)
        return refuse(err, "VW=%d does not divide B's contiguous tile extent %d", c.vw,
                      vector_extent(spec->layout_b, false, c.bm, c.bn, c.bk));
    if (c.pf && !c.sa && !c.sb)
        return refuse(err,
                      "PF=%d fetches ahead only into shared memory; the direct variant "
                      "(SA=%d, SB=0) has none",
                      c.pf, c.sa);
    if (c.pf >= 2 && !(profile->features & TSR_FEAT_ASYNC_COPY))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "PF=%d copies asynchronously, which the profile does not list "
                        "(features: async_copy)",
                        c.pf);
    long shared = gemm_shared_bytes(
        &c, spec, tsr_dtype_size(c.mu ? spec->dtype : tsr_dtype_compute(spec->dtype)));
    /* Past what a work-group gets as it is, a GPU that lets a kernel opt in
     * to more (dynamic shared memory, sized at launch) may give it that. */
    long shared_limit = (long)tsr_profile_value(&profile->shared_per_block, 16384);
    long optin_limit = (long)tsr_profile_value(&profile->shared_per_block_optin, 0);
    /* The 256-wide tiles and BK=64 joined the space for that memory; on
     * other devices they stay out, and their spaces are what they were. */
    if ((c.bm > 128 || c.bn > 128 || c.bk > 32) && optin_limit <= shared_limit)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "BM=%d, BN=%d, BK=%d: tiles past 128 x 128 x 32 are tried only where the "
                        "profile lists more shared memory by opting in (shared_per_block_optin)",
                        c.bm, c.bn, c.bk);
    if (shared > shared_limit && optin_limit > shared_limit && shared > optin_limit)
        return refuse(err,
                      "%d bytes of shared memory exceed the profile's %d per work-group, even "
                      "opted in",
                      (int)shared, (int)optin_limit);
    if (shared > shared_limit && optin_limit <= shared_limit)
        return refuse(err, "%d bytes of shared memory exceed the profile's %d per work-group",
                      (int)shared, (int)shared_limit);
    /* Accumulators plus one column of A and one row of B live in registers,
     * and with PF the thread's share of the next k-step's tiles. */
    int registers = c.mu == GEMM_MU_WGMMA  ? 4 * c.tm * c.tn + 16
                    : c.mu == GEMM_MU_MFMA ? 4 * c.tm * c.tn + 2 * c.tm + 2 * c.tn
                    : gemm_wave(&c)        ? 8 * c.tm * c.tn + 8 * c.tm + 8 * c.tn
                    : c.mu                 ? 4 * c.tm * c.tn + 4 * c.tm + 2 * c.tn
                                           : c.tm * c.tn + c.tm + c.tn;
    if (c.pf == 1)
        registers += (c.sa ? gemm_staging_registers(c.bm * c.bk, c.vw, threads) : 0) +
                     (c.sb ? gemm_staging_registers(c.bk * c.bn, c.vw, threads) : 0);
    int register_limit = (int)tsr_profile_value(&profile->registers_per_thread, 255);
    if (registers > register_limit)
        return refuse(err, "a %d-register micro-tile exceeds the profile's %d registers per thread",
                      registers, register_limit);
    return TSR_OK;
}

/* With SK, the third axis has SK groups a problem of the batch, each with
 * its tile's values and an arrival count in the workspace. */
static void gemm_geometry_rule(const tsr_opspec *spec, const tsr_config *config,
                               tsr_geometry_rule *rule)
{
    gemm_cfg c = gemm_cfg_of(config);
    int threads = gemm_local_x(&c) * gemm_local_y(&c);
    int element_words = tsr_tile_join_element_words(tsr_dtype_compute(spec->dtype));
    *rule = (tsr_geometry_rule){
        .dims = 3,
        .dim = {GEMM_DIM_N, GEMM_DIM_M, GEMM_DIM_BATCH},
        .per_group = {c.bn, c.bm, 1},
        .repeat = {1, 1, c.sk},
        .local = {(size_t)gemm_local_x(&c), (size_t)gemm_local_y(&c), 1},
        .workspace_bytes = c.sk > 1 ? 4 * (size_t)tsr_tile_join_words(
                                              threads, element_words * c.bm * c.bn / threads)
                                    : 0,
    };
}

/* A: M x K, B: K x N, each row- or column-major as the spec says; C and R:
 * M x N row-major. Problem `problem` of a batch is that matrix of each
 * buffer. */
static tsr_view *matrix_view(tsr_tile_program *p, const tp_param *buffer, const tp_param *rows,
                             const tp_param *cols, tsr_layout layout, tp_expr *problem)
{
    tp_builder *b = &p->builder;
    tsr_view *v = TSR_ARENA_NEW(p->arena, tsr_view);
    if (!v)
        return NULL;
    v->buffer = buffer;
    v->rows = tp_param_ref(b, rows);
    v->cols = tp_param_ref(b, cols);
    v->row_stride = layout == TSR_ROW_MAJOR ? tp_param_ref(b, cols) : tp_int(b, 1);
    v->col_stride = layout == TSR_ROW_MAJOR ? tp_int(b, 1) : tp_param_ref(b, rows);
    v->base = tp_mul(b, problem, tp_bin(b, TP_MUL, tp_param_ref(b, rows), tp_param_ref(b, cols)));
    return v;
}

/* The bias as an M x N view that repeats one vector, shared by every
 * problem of a batch: bias[r] along each row, or bias[c] down each col. */
static tsr_view *bias_view(tsr_tile_program *p, const tp_param *buffer, tsr_bias bias)
{
    tp_builder *b = &p->builder;
    tsr_view *v = TSR_ARENA_NEW(p->arena, tsr_view);
    if (!v)
        return NULL;
    v->buffer = buffer;
    v->rows = tp_param_ref(b, &p->params[GEMM_ARG_M]);
    v->cols = tp_param_ref(b, &p->params[GEMM_ARG_N]);
    v->row_stride = tp_int(b, bias == TSR_BIAS_ROW);
    v->col_stride = tp_int(b, bias == TSR_BIAS_COL);
    return v;
}

/* A and B hold the spec's dtype; C, the bias and R its output type. The
 * products accumulate in the compute type (f32 for f16 and bf16 inputs). */
static tsr_dtype gemm_buffer_dtype(const tsr_opspec *spec, int buffer)
{
    return buffer == GEMM_ARG_A || buffer == GEMM_ARG_B ? spec->dtype : spec->output;
}

static void declare_params(tsr_tile_program *p, const tsr_opspec *spec)
{
    tsr_dtype compute = tsr_dtype_compute(spec->dtype);
    static const char *names[GEMM_ARG_COUNT] = {"A", "B", "C", "M", "N", "K", "alpha", "beta"};
    for (int i = 0; i < GEMM_ARG_COUNT; i++) {
        p->params[i].name = names[i];
        p->params[i].kind = i < 3 ? TSR_ARG_BUFFER : i < 6 ? TSR_ARG_INT : TSR_ARG_FLOAT;
        p->params[i].dtype = i < 3 ? gemm_buffer_dtype(spec, i) : i >= 6 ? compute : TSR_I32;
        p->params[i].writable = i == GEMM_ARG_C;
    }
    int extra[2] = {gemm_arg_bias(spec), gemm_arg_residual(spec)};
    static const char *extra_names[2] = {"bias", "R"};
    for (int i = 0; i < 2; i++)
        if (extra[i] >= 0)
            p->params[extra[i]] = (tp_param){extra_names[i], TSR_ARG_BUFFER, spec->output, false};
}

/* The activation as a template over x, in the spec's type; NULL for none.
 * GELU is the tanh approximation
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), SiLU is x / (1 + e^-x). */
static tp_expr *activation_template(tp_builder *b, tsr_activation act, tsr_dtype dtype)
{
    tp_expr *x = tp_placeholder(b, dtype);
    tp_expr *one = tp_float(b, dtype, 1.0);
    switch (act) {
    case TSR_ACT_NONE: return NULL;
    case TSR_ACT_RELU: return tp_call(b, TP_FMAX, 2, x, tp_float(b, dtype, 0.0), NULL);
    case TSR_ACT_GELU: {
        tp_expr *cube = tp_bin(b, TP_MUL, tp_bin(b, TP_MUL, x, x), x);
        tp_expr *inner = tp_call(b, TP_FMA, 3, tp_float(b, dtype, 0.044715), cube, x);
        tp_expr *t =
            tp_call(b, TP_TANH, 1, tp_bin(b, TP_MUL, tp_float(b, dtype, 0.7978845608028654), inner),
                    NULL, NULL);
        return tp_bin(b, TP_MUL, tp_bin(b, TP_MUL, tp_float(b, dtype, 0.5), x),
                      tp_bin(b, TP_ADD, one, t));
    }
    case TSR_ACT_SILU: {
        tp_expr *e =
            tp_call(b, TP_EXP, 1, tp_bin(b, TP_SUB, tp_float(b, dtype, 0.0), x), NULL, NULL);
        return tp_bin(b, TP_DIV, x, tp_bin(b, TP_ADD, one, e));
    }
    case TSR_ACT_COUNT: break;
    }
    return NULL;
}

/* What the k-loop builders share. */
typedef struct gemm_parts {
    tsr_tile_program *p;
    tsr_stmt_list *body; /* where the tile's statements go */
    gemm_cfg c;
    const tsr_view *A, *B;
    const tsr_tile *as, *bs, *acc; /* as/bs NULL for an operand read in place */
    tp_expr *m0, *n0, *K;
    tsr_thread_map map;
    bool tf32;   /* the matrix unit multiplies the f32 inputs as tf32 */
    bool f64_k4; /* gemm_operands.f64_k4 */
} gemm_parts;

/* The load (or the given half of it) of staged operand i's tile (0: A,
 * 1: B) at k-step `k`, into `stage`. */
static void append_load(const gemm_parts *g, tsr_stmt_list *list, int i, tsr_load_mode mode,
                        tp_expr *k, tp_expr *stage)
{
    tsr_stmt *s = tsr_ir_append(g->p, list, TSR_S_LOAD);
    if (s)
        *s = (tsr_stmt){.kind = TSR_S_LOAD,
                        .tile = i == 0 ? g->as : g->bs,
                        .view = i == 0 ? g->A : g->B,
                        .row0 = i == 0 ? g->m0 : k,
                        .col0 = i == 0 ? k : g->n0,
                        .vector_width = g->c.vw,
                        .load_mode = mode,
                        .stage = stage};
}

/* The loads (or the given half of them) of every staged operand. */
static void append_loads(const gemm_parts *g, tsr_stmt_list *list, tsr_load_mode mode, tp_expr *k,
                         tp_expr *stage)
{
    for (int i = 0; i < 2; i++)
        if (i == 0 ? g->as != NULL : g->bs != NULL)
            append_load(g, list, i, mode, k, stage);
}

/* Whether the ring fills staged operand i by fetching it into registers
 * ahead of the multiply and depositing it after. A copy can be
 * asynchronous only where it moves whole vectors as stored; a tile that
 * lies across its window's contiguous dim (A's for the FMAs, read as
 * columns of m) or loads of one value go through registers instead, and
 * lowered as ASYNC loads they wait on global memory in the middle of the
 * step: fetched ahead, SGEMM's 128 x 128 ring went from 38839 to 43789
 * GFLOP/s on an H200 (docs/performance.md). Not for tiles that widen
 * 16-bit values for the FMAs: their f32 registers doubled the fetch's
 * and hgemm's FMA ring fell from 36460 to 23332. The fetch needs its
 * registers at the kernel's top (GEMM's tile; not conv2d's loop over
 * tiles) and a plain view (not a gathered one). */
static bool ring_fetches(const gemm_parts *g, int i)
{
    const tsr_tile *t = i == 0 ? g->as : g->bs;
    const tsr_view *v = i == 0 ? g->A : g->B;
    if (!t || v->gather || g->body != &g->p->body || g->c.mu == GEMM_MU_WGMMA ||
        t->dtype != v->buffer->dtype)
        return false;
    bool cols_contiguous = tp_is_int(v->col_stride, 1);
    return g->c.vw == 1 || cols_contiguous == t->transposed;
}

/* A barrier; before the warpgroup's unit reads what it shows, each thread
 * also fences its shared writes for the unit's asynchronous reads. */
static void append_barrier(const gemm_parts *g, tsr_stmt_list *list)
{
    tsr_stmt *s = tsr_ir_append(g->p, list, TSR_S_BARRIER);
    if (s)
        s->async_proxy = g->c.mu == GEMM_MU_WGMMA;
}

static tsr_mma_unit unit_of(const gemm_parts *g)
{
    if (g->c.mu == GEMM_MU_WGMMA)
        return g->tf32 ? TSR_UNIT_WGMMA_M64NK8_TF32 : TSR_UNIT_WGMMA_M64NK16;
    if (gemm_wave(&g->c))
        return g->c.mu == GEMM_MU_MFMA   ? TSR_UNIT_MFMA_16X16X16
               : g->c.mu == GEMM_MU_WMMA ? TSR_UNIT_WMMA_16X16X16
                                         : TSR_UNIT_DPAS;
    if (g->c.mu)
        return g->tf32 ? TSR_UNIT_MMA_M16N8K8_TF32
               : g->acc->dtype == TSR_F64
                   ? (g->f64_k4 ? TSR_UNIT_MMA_M8N8K4_F64 : TSR_UNIT_MMA_M16N8K8_F64)
                   : TSR_UNIT_MMA_M16N8K16;
    return TSR_UNIT_FMA;
}

static tsr_stmt *append_mma(const gemm_parts *g, tsr_stmt_list *list, tp_expr *k, tp_expr *stage)
{
    tsr_stmt *mma = tsr_ir_append(g->p, list, TSR_S_MMA);
    bool staged = g->as || g->bs;
    if (mma)
        *mma =
            (tsr_stmt){.kind = TSR_S_MMA,
                       .tile = g->acc,
                       .a = {.tile = g->as, .view = g->A, .row0 = g->m0, .col0 = k, .stage = stage},
                       .b = {.tile = g->bs, .view = g->B, .row0 = k, .col0 = g->n0, .stage = stage},
                       .k_count = g->c.bk,
                       .k_unroll = g->c.ku,
                       .unit = unit_of(g),
                       .k_inside = !staged,
                       .map = g->map,
                       .vector_width = 1};
    return mma;
}

static tsr_stmt *append_k_loop(const gemm_parts *g, const tp_var *k0, tp_expr *end)
{
    tp_builder *b = &g->p->builder;
    tsr_stmt *loop = tsr_ir_append(g->p, g->body, TSR_S_LOOP);
    if (loop)
        *loop = (tsr_stmt){.kind = TSR_S_LOOP,
                           .var = k0,
                           .begin = tp_int(b, 0),
                           .end = end,
                           .step = tp_int(b, g->c.bk),
                           .vector_width = 1};
    return loop;
}

/* Load, barrier, multiply, barrier per k-step; the direct variant (no
 * zero-filled operand) keeps its k-steps inside K: whole steps first, then
 * single k for the remainder. */
static bool build_k_loop(const gemm_parts *g)
{
    tsr_tile_program *p = g->p;
    tp_builder *b = &p->builder;
    tp_var *k0 = tp_new_var(b, "k0", TSR_I32, TP_PRIVATE, 0, 0, 0);
    tp_expr *k = tp_ref(b, k0);
    bool staged = g->as || g->bs;
    tp_expr *k_main =
        staged ? g->K : tp_bin(b, TP_SUB, g->K, tp_bin(b, TP_MOD, g->K, tp_int(b, g->c.bk)));
    tsr_stmt *loop = append_k_loop(g, k0, k_main);
    if (!loop)
        return false;
    append_loads(g, &loop->body, TSR_LOAD_DIRECT, k, NULL);
    if (staged)
        append_barrier(g, &loop->body);
    tsr_stmt *mma = append_mma(g, &loop->body, k, NULL);
    if (staged)
        append_barrier(g, &loop->body);
    if (staged || !mma)
        return mma != NULL;
    tsr_stmt *tail = tsr_ir_append(p, g->body, TSR_S_LOOP);
    tsr_stmt *one = tail ? tsr_ir_append(p, &tail->body, TSR_S_MMA) : NULL;
    if (!one)
        return false;
    tail->var = k0;
    tail->begin = k_main;
    tail->end = g->K;
    tail->step = tp_int(b, 1);
    *one = *mma;
    one->k_count = 1;
    one->k_unroll = 1;
    return true;
}

/* PF=1, software-pipelined over two stages of the shared tiles: the first
 * k-step is fetched and deposited before the loop; in step t the loads of
 * step t + 1 are issued into registers, step t is multiplied from stage
 * t % 2 while they are in flight, they are deposited into the other stage,
 * and one barrier ends the step: past it, every thread is done reading
 * stage t % 2 (which step t + 1 fills) and sees stage (t + 1) % 2. The last
 * step fetches past K, which reads nothing (the loads are zero-filled
 * outside the view) and deposits zeros no step reads. */
static bool build_pipelined_k_loop(const gemm_parts *g)
{
    tsr_tile_program *p = g->p;
    tp_builder *b = &p->builder;
    tp_expr *zero = tp_int(b, 0);
    append_loads(g, g->body, TSR_LOAD_FETCH, zero, NULL);
    append_loads(g, g->body, TSR_LOAD_DEPOSIT, zero, zero);
    append_barrier(g, g->body);
    tp_var *k0 = tp_new_var(b, "k0", TSR_I32, TP_PRIVATE, 0, 0, 0);
    tp_expr *k = tp_ref(b, k0);
    tsr_stmt *loop = append_k_loop(g, k0, g->K);
    if (!loop)
        return false;
    tp_expr *stage = tp_bin(b, TP_MOD, tp_bin(b, TP_DIV, k, tp_int(b, g->c.bk)), tp_int(b, 2));
    tp_expr *other = tp_bin(b, TP_SUB, tp_int(b, 1), stage);
    append_loads(g, &loop->body, TSR_LOAD_FETCH, tp_addi(b, k, g->c.bk), NULL);
    tsr_stmt *mma = append_mma(g, &loop->body, k, stage);
    append_loads(g, &loop->body, TSR_LOAD_DEPOSIT, tp_addi(b, k, g->c.bk), other);
    append_barrier(g, &loop->body);
    return mma != NULL;
}

/* PF >= 2, a ring of PF + 1 stages filled by asynchronous copies, PF
 * k-steps ahead: the first PF are issued before the loop, one group each.
 * In step t the thread waits until its copies of step t have landed (at
 * most PF - 1 later groups in flight) and the barrier shows everyone's;
 * past it, every thread is done with step t - 1's stage, which the copies
 * of step t + PF then refill while step t is multiplied. Steps past K copy
 * nothing (zero-filled outside the view, like every ragged edge). At the
 * end the thread's last groups land and a barrier frees the ring, for a
 * caller that loops over tiles (conv2d). An operand that no copy can move
 * as stored (ring_fetches) is fetched into registers for step t + PF
 * before step t is multiplied and deposited into that stage after it.
 *
 * The warpgroup's unit multiplies asynchronously: step t's multiplies are
 * issued first and left running (one group pending); once each
 * warpgroup has seen step t - 1's finish, a second barrier lets the
 * copies of step t + PF refill that stage while step t's run. After the
 * loop the last group lands. */
static bool build_async_k_loop(const gemm_parts *g)
{
    tsr_tile_program *p = g->p;
    tp_builder *b = &p->builder;
    bool unit_async = g->c.mu == GEMM_MU_WGMMA;
    int ahead = g->c.pf, stages = gemm_stages(&g->c);
    bool fetch[2] = {ring_fetches(g, 0), ring_fetches(g, 1)};
    bool staged[2] = {g->as != NULL, g->bs != NULL};
    for (int t = 0; t < ahead; t++) {
        for (int i = 0; i < 2; i++) {
            tp_expr *kt = tp_int(b, t * g->c.bk), *st = tp_int(b, t);
            if (fetch[i]) {
                append_load(g, g->body, i, TSR_LOAD_FETCH, kt, NULL);
                append_load(g, g->body, i, TSR_LOAD_DEPOSIT, kt, st);
            } else if (staged[i]) {
                append_load(g, g->body, i, TSR_LOAD_ASYNC, kt, st);
            }
        }
        tsr_ir_append(p, g->body, TSR_S_ASYNC_COMMIT);
    }
    tp_var *k0 = tp_new_var(b, "k0", TSR_I32, TP_PRIVATE, 0, 0, 0);
    tp_expr *k = tp_ref(b, k0);
    /* The unit's first step sets the accumulators (they are not filled
     * first), so that step runs even where K is 0: on zeros. */
    tsr_stmt *loop =
        append_k_loop(g, k0, unit_async ? tp_bin(b, TP_MAX, g->K, tp_int(b, 1)) : g->K);
    if (!loop)
        return false;
    tp_expr *step = tp_bin(b, TP_DIV, k, tp_int(b, g->c.bk));
    tsr_stmt *wait = tsr_ir_append(p, &loop->body, TSR_S_ASYNC_WAIT);
    if (wait)
        wait->pending = ahead - 1;
    append_barrier(g, &loop->body);
    tsr_stmt *mma = NULL;
    if (unit_async &&
        (mma = append_mma(g, &loop->body, k, tp_bin(b, TP_MOD, step, tp_int(b, stages)))) != NULL) {
        mma->pending = 1;
        mma->accumulate = tp_bin(b, TP_NE, k, tp_int(b, 0));
        tsr_ir_append(p, &loop->body, TSR_S_BARRIER);
    }
    tp_expr *k_ahead = tp_addi(b, k, (long)ahead * g->c.bk);
    tp_expr *stage_ahead = tp_bin(b, TP_MOD, tp_addi(b, step, ahead), tp_int(b, stages));
    for (int i = 0; i < 2; i++)
        if (staged[i] && !fetch[i])
            append_load(g, &loop->body, i, TSR_LOAD_ASYNC, k_ahead, stage_ahead);
    tsr_ir_append(p, &loop->body, TSR_S_ASYNC_COMMIT);
    /* The fetched operands' loads fly while step t is multiplied; their
     * stage, step t - 1's, is free since the barrier. */
    for (int i = 0; i < 2; i++)
        if (fetch[i])
            append_load(g, &loop->body, i, TSR_LOAD_FETCH, k_ahead, NULL);
    if (!unit_async)
        mma = append_mma(g, &loop->body, k, tp_bin(b, TP_MOD, step, tp_int(b, stages)));
    for (int i = 0; i < 2; i++)
        if (fetch[i])
            append_load(g, &loop->body, i, TSR_LOAD_DEPOSIT, k_ahead, stage_ahead);
    if (unit_async) {
        tsr_stmt *landed = tsr_ir_append(p, g->body, TSR_S_UNIT_WAIT);
        if (landed)
            landed->pending = 0;
    }
    tsr_stmt *drain = tsr_ir_append(p, g->body, TSR_S_ASYNC_WAIT);
    if (drain)
        drain->pending = 0;
    tsr_ir_append(p, g->body, TSR_S_BARRIER);
    return mma != NULL && !b->failed;
}

bool gemm_append_tile(tsr_tile_program *p, const tsr_opspec *spec, const gemm_cfg *cfg,
                      const gemm_operands *ops)
{
    tp_builder *b = &p->builder;
    gemm_cfg c = *cfg;
    gemm_parts g = {.p = p, .body = ops->body, .c = c, .A = ops->a, .B = ops->b};
    g.tf32 = c.mu && gemm_unit_input(spec) == TSR_TF32;
    g.f64_k4 = ops->f64_k4;
    int stages = gemm_stages(&c);
    /* The matrix unit's tiles hold the inputs as loaded (f32 for tf32). */
    tsr_dtype compute = tsr_dtype_compute(spec->dtype), staged = c.mu ? spec->dtype : compute;
    int pad = gemm_shared_pad(&c, spec->dtype);
    bool at = gemm_a_tile_transposed(&c, spec->layout_a);
    bool bt = gemm_b_tile_transposed(&c, spec->layout_b);
    /* The warpgroup's unit reads its tiles in its 128-byte swizzle. */
    if (c.mu == GEMM_MU_WGMMA) {
        g.as = tsr_ir_swizzled_tile(p, "As", staged, c.bm, c.bk, at, stages);
        g.bs = tsr_ir_swizzled_tile(p, "Bs", staged, c.bk, c.bn, bt, stages);
    } else {
        g.as = c.sa ? tsr_ir_staged_tile(p, "As", staged, c.bm, c.bk, pad, at, stages) : NULL;
        g.bs = c.sb ? tsr_ir_staged_tile(p, "Bs", staged, c.bk, c.bn, pad, bt, stages) : NULL;
    }
    /* With NVIDIA's units, each fragment's four accumulators are 2 x 2;
     * with AMD's and Intel's, rows of one col: four (MFMA) or eight. */
    g.acc = c.mu == GEMM_MU_MFMA ? tsr_ir_vector_tile(p, "acc", compute, 4 * c.tm, c.tn, 1)
            : gemm_wave(&c)      ? tsr_ir_vector_tile(p, "acc", compute, 8 * c.tm, c.tn, 1)
            : c.mu               ? tsr_ir_vector_tile(p, "acc", compute, 2 * c.tm, 2 * c.tn, 1)
                                 : tsr_ir_vector_tile(p, "acc", compute, c.tm, c.tn, c.vn);
    g.m0 = ops->m0;
    g.n0 = ops->n0;
    g.K = ops->k;
    int per_unit = c.mu == GEMM_MU_WGMMA ? 128 : gemm_wave(&c) ? gemm_wave(&c) : c.mu ? 32 : 1;
    g.map = (tsr_thread_map){.threads_rows = gemm_local_y(&c),
                             .threads_cols = gemm_local_x(&c) / per_unit,
                             .strided_rows = c.strm != 0,
                             .strided_cols = c.strn != 0,
                             .fragments = c.mu == GEMM_MU_MMA_SYNC,
                             .warpgroups = c.mu == GEMM_MU_WGMMA,
                             .waves = gemm_wave_unit(&c)};

    /* The warpgroup unit's ring sets the accumulators by its first step. */
    if (!(c.mu == GEMM_MU_WGMMA && c.pf >= 2)) {
        tsr_stmt *fill = tsr_ir_append(p, ops->body, TSR_S_FILL);
        if (fill)
            fill->tile = g.acc;
    }
    bool built = c.pf >= 2 ? build_async_k_loop(&g)
                 : c.pf    ? build_pipelined_k_loop(&g)
                           : build_k_loop(&g);
    if (!built)
        return false;
    /* With split K the tile's groups join, and the last stores the sum. */
    tsr_stmt_list *stores = ops->body;
    if (ops->workspace) {
        const tsr_tile *arrival =
            tsr_ir_tile(p, "arrival", TSR_I32, TSR_SPACE_SHARED, 1, 1, 0, false);
        tsr_stmt *join = arrival ? tsr_ir_append(p, ops->body, TSR_S_TILE_JOIN) : NULL;
        if (!join)
            return false;
        join->tile = g.acc;
        join->scratch = arrival;
        join->workspace = ops->workspace;
        join->row = ops->tile;
        join->part = ops->part;
        join->parts = tp_int(b, c.sk);
        stores = &join->body;
    }
    tsr_stmt *store = tsr_ir_append(p, stores, TSR_S_STORE);
    if (!store)
        return false;
    *store = (tsr_stmt){.kind = TSR_S_STORE,
                        .tile = g.acc,
                        .view = ops->c,
                        .row0 = g.m0,
                        .col0 = g.n0,
                        .map = g.map,
                        .alpha = ops->alpha,
                        .beta = ops->beta,
                        .bias = ops->bias,
                        .residual = ops->residual,
                        .activation = activation_template(b, spec->activation, compute),
                        .vector_width = 1};
    return !b->failed;
}

/* A const int `name` := value at the head of the body; NULL when out of
 * memory (the builder then says so). */
static tp_expr *let(tsr_tile_program *p, const char *name, tp_expr *value)
{
    tp_var *v = tp_new_var(&p->builder, name, TSR_I32, TP_PRIVATE, 0, 0, 0);
    tsr_stmt *s = tsr_ir_append(p, &p->body, TSR_S_LET);
    if (!v || !s || !value)
        return NULL;
    v->is_const = true;
    s->var = v;
    s->begin = value;
    return tp_ref(&p->builder, v);
}

/* The origin of the group's tile of C. In launch order group (x, y) takes
 * tile row y, col x, so the groups running at once span a few whole rows
 * of tiles: every col of B, few rows of A. With RS, the groups' linear
 * index walks bands of RS tile rows instead, down the first col of a band,
 * then the next (the last band may be narrower): groups running at once
 * span a squarer patch, RS rows of A and fewer cols of B, which stay in
 * the cache for the groups after them. Returns false when out of memory. */
static bool tile_origin(tsr_tile_program *p, const gemm_cfg *c, tp_expr **m0, tp_expr **n0)
{
    tp_builder *b = &p->builder;
    tp_expr *col = tp_builtin_ref(b, TP_GROUP_ID, 0), *row = tp_builtin_ref(b, TP_GROUP_ID, 1);
    if (c->rs) {
        tp_expr *cols = tp_builtin_ref(b, TP_NUM_GROUPS, 0);
        tp_expr *rows = tp_builtin_ref(b, TP_NUM_GROUPS, 1);
        tp_expr *linear = tp_add(b, tp_mul(b, row, cols), col);
        tp_expr *band = let(p, "band", tp_bin(b, TP_DIV, linear, tp_muli(b, cols, c->rs)));
        tp_expr *first = band ? tp_muli(b, band, c->rs) : NULL;
        tp_expr *band_rows = let(
            p, "band_rows", tp_bin(b, TP_MIN, tp_bin(b, TP_SUB, rows, first), tp_int(b, c->rs)));
        tp_expr *within = let(p, "in_band", tp_bin(b, TP_SUB, linear, tp_mul(b, first, cols)));
        if (!band_rows || !within)
            return false;
        row = let(p, "tile_row", tp_add(b, first, tp_bin(b, TP_MOD, within, band_rows)));
        col = let(p, "tile_col", tp_bin(b, TP_DIV, within, band_rows));
    }
    *m0 = row ? tp_muli(b, row, c->bm) : NULL;
    *n0 = col ? tp_muli(b, col, c->bn) : NULL;
    return *m0 && *n0 && !b->failed;
}

/* Split K: the group's part of K, a window of whole k-steps that A's cols
 * and B's rows are narrowed to (so the loads zero-fill past its end as at
 * K's), and the tile's index among the launch's (problem, tile row, tile
 * col) for the join. Returns false when out of memory. */
static bool split_k(tsr_tile_program *p, const gemm_cfg *c, const tp_param *workspace,
                    tp_expr *problem, tp_expr *part, tsr_view *a, tsr_view *bv, gemm_operands *ops)
{
    tp_builder *b = &p->builder;
    tp_expr *k = ops->k;
    /* ceil(ceil(K / SK) / BK) * BK, as gemm_split_k */
    tp_expr *share =
        let(p, "k_share",
            tp_muli(b,
                    tp_bin(b, TP_DIV,
                           tp_addi(b, tp_bin(b, TP_DIV, tp_addi(b, k, c->sk - 1), tp_int(b, c->sk)),
                                   c->bk - 1),
                           tp_int(b, c->bk)),
                    c->bk));
    tp_expr *begin = share ? let(p, "k_begin", tp_mul(b, part, share)) : NULL;
    tp_expr *length = begin ? let(p, "k_length",
                                  tp_bin(b, TP_MAX, tp_int(b, 0),
                                         tp_bin(b, TP_MIN, tp_bin(b, TP_SUB, k, begin), share)))
                            : NULL;
    if (!length || !workspace)
        return false;
    a->cols = length;
    a->base = tp_add(b, a->base, tp_mul(b, begin, a->col_stride));
    bv->rows = length;
    bv->base = tp_add(b, bv->base, tp_mul(b, begin, bv->row_stride));
    ops->k = length;
    ops->workspace = workspace;
    ops->part = part;
    tp_expr *row = tp_add(b, tp_mul(b, problem, tp_builtin_ref(b, TP_NUM_GROUPS, 1)),
                          tp_builtin_ref(b, TP_GROUP_ID, 1));
    ops->tile = let(p, "tile",
                    tp_add(b, tp_mul(b, row, tp_builtin_ref(b, TP_NUM_GROUPS, 0)),
                           tp_builtin_ref(b, TP_GROUP_ID, 0)));
    return ops->tile && !b->failed;
}

static tsr_status gemm_build(tsr_arena *arena, const tsr_opspec *spec, const tsr_profile *profile,
                             const tsr_config *config, tsr_tile_program **out, tsr_error *err)
{
    TSR_TRY(gemm_check(spec, profile, config, err));
    gemm_cfg c = gemm_cfg_of(config);
    tsr_tile_program *p = tsr_ir_new(arena, "tsr_gemm", gemm_arg_count(spec));
    if (!p)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building gemm");
    tp_builder *b = &p->builder;
    declare_params(p, spec);
    /* The workspace is the last param (and the params' array moves). */
    const tp_param *workspace = c.sk > 1 ? tsr_ir_add_workspace(p) : NULL;
    const tp_param *P = p->params;
    p->dims = 3;
    p->local[0] = gemm_local_x(&c);
    p->local[1] = gemm_local_y(&c);

    /* One C tile per work-group (tile_origin): launch axes 0 and 1 along N
     * and M, the third along the batch (the views' base), SK groups a
     * problem with split K. */
    tp_expr *problem = tp_builtin_ref(b, TP_GROUP_ID, 2);
    tp_expr *part = NULL;
    if (c.sk > 1) {
        part = let(p, "part", tp_bin(b, TP_MOD, problem, tp_int(b, c.sk)));
        problem = let(p, "problem", tp_bin(b, TP_DIV, problem, tp_int(b, c.sk)));
    }
    tsr_view *a =
        matrix_view(p, &P[GEMM_ARG_A], &P[GEMM_ARG_M], &P[GEMM_ARG_K], spec->layout_a, problem);
    tsr_view *bv =
        matrix_view(p, &P[GEMM_ARG_B], &P[GEMM_ARG_K], &P[GEMM_ARG_N], spec->layout_b, problem);
    gemm_operands ops = {
        .a = a,
        .b = bv,
        .c = matrix_view(p, &P[GEMM_ARG_C], &P[GEMM_ARG_M], &P[GEMM_ARG_N], TSR_ROW_MAJOR, problem),
        .k = tp_param_ref(b, &P[GEMM_ARG_K]),
        .alpha = &P[GEMM_ARG_ALPHA],
        .beta = spec->beta != 0.0 ? &P[GEMM_ARG_BETA] : NULL,
        .body = &p->body,
        .f64_k4 = c.mu == GEMM_MU_MMA_SYNC && spec->dtype == TSR_F64 &&
                  tsr_profile_mma_f64(profile)->k == 4,
    };
    if (gemm_arg_bias(spec) >= 0)
        ops.bias = bias_view(p, &P[gemm_arg_bias(spec)], spec->bias);
    if (gemm_arg_residual(spec) >= 0)
        ops.residual = matrix_view(p, &P[gemm_arg_residual(spec)], &P[GEMM_ARG_M], &P[GEMM_ARG_N],
                                   TSR_ROW_MAJOR, problem);
    bool views = tile_origin(p, &c, &ops.m0, &ops.n0) && ops.a && ops.b && ops.c &&
                 (gemm_arg_bias(spec) < 0 || ops.bias) &&
                 (gemm_arg_residual(spec) < 0 || ops.residual);
    if (views && c.sk > 1)
        views = split_k(p, &c, workspace, problem, part, a, bv, &ops);
    if (!views || !gemm_append_tile(p, spec, &c, &ops))
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building gemm");
    *out = p;
    return TSR_OK;
}

static bool gemm_reads_output(const tsr_opspec *spec)
{
    return spec->beta != 0.0;
}

/* bias and R have no elements (and no argument) unless the spec uses them. */
static const tsr_buffer_def gemm_buffers[GEMM_BUFFER_COUNT] = {
    {"A", true, false},    {"B", true, false}, {"C", true, true},
    {"bias", true, false}, {"R", true, false},
};

const tsr_op_def tsr_op_gemm = {
    .name = "gemm",
    .summary = "C = act(alpha * op(A) * op(B) + beta * C + bias) + R, batched",
    .n_dims = 4,
    .dim_names = {"m", "n", "k", "batch"},
    .dim_default = {[GEMM_DIM_BATCH] = 1},
    .n_params = GEMM_ALL_PARAM_COUNT,
    .params = gemm_params,
    .n_buffers = GEMM_BUFFER_COUNT,
    .buffers = gemm_buffers,
    .dtypes = 1u << TSR_F32 | 1u << TSR_F64 | 1u << TSR_F16 | 1u << TSR_BF16,
    .buffer_dtype = gemm_buffer_dtype,
    .check = gemm_check,
    .build = gemm_build,
    .geometry_rule = gemm_geometry_rule,
    .buffer_elems = gemm_buffer_elems,
    .args = gemm_args,
    .reference = gemm_reference,
    .tolerance = gemm_tolerance,
    .flops = gemm_flops,
    .output_buffer = GEMM_ARG_C,
    .reads_output = gemm_reads_output,
    .suggest = gemm_suggest,
    .n_features = GEMM_FEATURE_COUNT,
    .feature_names = gemm_feature_names,
    .features = gemm_features,
};
