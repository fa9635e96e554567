/* attention's search space: its params, the checks that keep a config
 * within what the profile holds and has, and the starting config a
 * profile suggests. */
#include "core/ops/attention_internal.h"
#include "core/ops/ops.h"

const tsr_param_def attention_params[ATT_PARAM_COUNT] = {
    [ATT_BM] = {"BM", "query rows per work-group", 4, {16, 32, 64, 128}, 32},
    [ATT_BN] = {"BN", "keys per step (the staged K and V tiles' rows)", 4, {16, 32, 64, 128}, 32},
    [ATT_TM] =
        {"TM", "query rows per thread (MU=1: fragments of 16 rows per warp)", 4, {1, 2, 4, 8}, 4},
    [ATT_WC] = {"WC", "threads (MU=1: warps) sharing each query row", 6, {1, 2, 4, 8, 16, 32}, 8},
    [ATT_VN] =
        {"VN", "lanes of the vector accumulators along the cols (1: scalars)", 4, {1, 2, 4, 8}, 1},
    [ATT_VW] = {"VW", "vector width of the loads into shared memory", 4, {1, 2, 4, 8}, 4},
    [ATT_PAD] = {"PAD", "extra elements per shared row, against bank conflicts", 2, {0, 1}, 1},
    [ATT_KU] = {"KU", "unroll of the multiplies' k loops", 4, {1, 2, 4, 8}, 4},
    [ATT_MU] = {"MU",
                "multiply on the warp's matrix unit, mma.sync m16n8k16; 2 the warpgroup's, wgmma "
                "m64nNk16, 64 query rows per warpgroup of 128 threads (0: each thread's FMAs)",
                3,
                {0, 1, 2},
                0},
    [ATT_SH] = {"SH",
                "combine each row's partial max and sum by shuffles within a warp (0: through "
                "shared memory)",
                2,
                {0, 1},
                0},
    [ATT_PR] = {"PR",
                "MU=1: P enters the second multiply from registers, as the first left it (0: "
                "through a shared tile)",
                2,
                {0, 1},
                0},
    [ATT_PF] = {"PF",
                "copy the next step's K and V asynchronously into a second stage while this "
                "one is used (0: load, then use)",
                2,
                {0, 1},
                0},
};

static tsr_status refuse(tsr_error *err, const char *fmt, int a, int b)
{
    return tsr_fail(err, TSR_ERR_UNSUPPORTED, fmt, a, b);
}

/* The shared tiles' element type: the inputs as loaded for the matrix
 * unit, else the computing type. */
tsr_dtype attention_staged_dtype(const tsr_opspec *spec, const attention_cfg *c)
{
    return c->mu ? spec->dtype : tsr_dtype_compute(spec->dtype);
}

int attention_shared_pad(const attention_cfg *c)
{
    return c->mu ? 8 * c->pad : c->pad;
}

/* Q (BM x d), K (d x BN) and V (BN x d) once or twice over (PF), P (BM x
 * BN) and the two scratch tiles of the row reductions (f32). */
long attention_shared_bytes(const tsr_opspec *spec, const attention_cfg *c)
{
    long d = spec->attention.head_dim, pad = attention_shared_pad(c);
    long scratch = attention_reduces_in_runs(c) ? 0 : 2L * c->bm * attention_row_sharers(c) * 4;
    long stages = c->pf ? 2 : 1;
    long staged = (long)c->bm * (d + pad) + 2 * stages * (long)c->bn * (d + pad) +
                  (c->pr ? 0 : (long)c->bm * (c->bn + pad));
    return staged * (long)tsr_dtype_size(attention_staged_dtype(spec, c)) + scratch;
}

/* Per thread: the scores' and the output's cols. */
int attention_score_cols(const attention_cfg *c)
{
    return c->mu ? 2 * (c->bn / (8 * c->wc)) : c->bn / c->wc;
}

int attention_output_cols(const tsr_opspec *spec, const attention_cfg *c)
{
    return c->mu ? 2 * (spec->attention.head_dim / (8 * c->wc)) : spec->attention.head_dim / c->wc;
}

/* MU=2: a warpgroup multiplies its 64 query rows by every key of the step
 * (m64nBNk16) and P by V (m64ndk16), the unit reading Q, K, P and V from
 * shared tiles in its 128-byte swizzle, whose rows are columns of 64 values
 * along each operand's contiguous dim: d for Q and K, the keys for P, d
 * again for V (MN-major). P goes through its shared tile, since the unit
 * reads A from there; KU and PAD, which it has no use for, stay at 1 and
 * 0. */
static tsr_status check_warpgroup_unit(const tsr_opspec *spec, const tsr_profile *profile,
                                       const attention_cfg *c, tsr_error *err)
{
    int d = spec->attention.head_dim;
    if (spec->dtype == TSR_F32 || !tsr_profile_has_wgmma(profile, spec->dtype))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=2: the profile lists no wgmma m64nNk16 unit for %s inputs with f32 "
                        "products",
                        tsr_dtype_name(spec->dtype));
    if (c->pad || c->ku != 1 || c->pr || c->vn != 1)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=2 swizzles its tiles and reads P from shared memory: PAD=%d and PR=%d "
                        "must be 0, KU and VN 1",
                        c->pad, c->pr);
    if (c->tm != 1 || c->wc != 1)
        return refuse(err, "MU=2: a warpgroup holds 64 query rows with every key (TM=%d, WC=%d: 1)",
                      c->tm, c->wc);
    if (c->bm % 64)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=2: warpgroups of 64 query rows must tile BM=%d", c->bm);
    if (c->bn % 64 || d % 64)
        return refuse(err,
                      "MU=2 swizzles in rows of 64 values: BN=%d and the head's %d cols must be "
                      "multiples",
                      c->bn, d);
    if (!c->sh)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=2 combines each row's quad of lanes by shuffles: SH=0 must be 1");
    return TSR_OK;
}

static tsr_status check_matrix_unit(const tsr_opspec *spec, const tsr_profile *profile,
                                    const attention_cfg *c, tsr_error *err)
{
    int d = spec->attention.head_dim;
    if (!tsr_profile_has_mma_m16n8k16(profile, spec->dtype))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "MU=1: the profile lists no mma m16n8k16 unit for %s inputs with f32 "
                        "products",
                        tsr_dtype_name(spec->dtype));
    if (c->bm % (16 * c->tm))
        return refuse(err, "MU=1: TM=%d fragments of 16 rows must tile BM=%d", c->tm, c->bm);
    if (c->bn % 16 || c->bn % (8 * c->wc) || d % (8 * c->wc))
        return refuse(err,
                      "MU=1: WC=%d warps must split BN=%d into whole 16-key steps and the head "
                      "into fragments of 8",
                      c->wc, c->bn);
    if (c->tm > 4 || c->vn != 1)
        return refuse(err, "MU=1 holds TM=%d <= 4 fragment rows a warp, as scalars (VN=%d)", c->tm,
                      c->vn);
    return TSR_OK;
}

tsr_status attention_check(const tsr_opspec *spec, const tsr_profile *profile,
                           const tsr_config *config, tsr_error *err)
{
    attention_cfg c = attention_cfg_of(config);
    int d = spec->attention.head_dim;
    if (c.mu == 2)
        TSR_TRY(check_warpgroup_unit(spec, profile, &c, err));
    else if (c.mu)
        TSR_TRY(check_matrix_unit(spec, profile, &c, err));
    else if (c.bm % c.tm)
        return refuse(err, "BM=%d is not a multiple of TM=%d", c.bm, c.tm);
    else if (c.bn % (c.wc * c.vn) || d % (c.wc * c.vn))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "WC=%d threads of VN=%d lanes must split BN=%d and the head's %d cols",
                        c.wc, c.vn, c.bn, d);
    int threads = attention_local_x(&c) * attention_local_y(&c);
    int max_threads = (int)tsr_profile_value(&profile->max_work_group_size, 256);
    if (threads > max_threads)
        return refuse(err, "%d threads per work-group exceed the profile's limit of %d", threads,
                      max_threads);
    int subgroup = (int)tsr_profile_value(&profile->subgroup_sizes[0], 1);
    if (threads < 8 || threads % subgroup)
        return refuse(err,
                      "%d threads per work-group are too few or not a whole number of the "
                      "profile's %d-wide sub-groups",
                      threads, subgroup);
    if (c.pf && !(profile->features & TSR_FEAT_ASYNC_COPY))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "PF=%d copies asynchronously, which the profile does not list "
                        "(features: async_copy)",
                        c.pf);
    if (c.pr && (!c.mu || c.wc != 1))
        return refuse(err, "PR=1 needs the matrix unit and a warp a row (MU=%d, WC=%d)", c.mu,
                      c.wc);
    if (c.sh) {
        int sharers = attention_row_sharers(&c);
        if (!(profile->features & TSR_FEAT_SUBGROUP_SHUFFLE))
            return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                            "SH=%d shuffles within warps, which the profile does not list "
                            "(features: subgroup_shuffle)",
                            c.sh);
        if (sharers == 1)
            return refuse(err, "SH=%d with one thread a row (WC=%d) is the same kernel as SH=0",
                          c.sh, c.wc);
        if (c.mu ? c.wc != 1 : subgroup % sharers != 0)
            return refuse(err,
                          "SH=1 needs a row's %d threads within one warp or sub-group of the "
                          "profile's %d",
                          sharers, subgroup);
    }
    if (d % c.vw)
        return refuse(err, "VW=%d does not divide the head's %d cols", c.vw, d);
    /* KU unrolls both multiplies' k loops: over the head (Q K^T) and over
     * the step's keys (P V); it may unroll the longer whole. */
    int longer = d > c.bn ? d : c.bn;
    int k_steps = c.mu ? longer / 16 : longer;
    if (c.ku > k_steps)
        return refuse(err, "KU=%d exceeds the k-steps of both multiplies (%d)", c.ku, k_steps);
    int rows = c.mu ? 2 * c.tm : c.tm;
    int s_cols = attention_score_cols(&c), o_cols = attention_output_cols(spec, &c);
    if (s_cols > 64 || o_cols > 64 || rows * (s_cols + o_cols) > 256)
        return refuse(err, "%d scores and %d outputs a thread exceed its registers", rows * s_cols,
                      rows * o_cols);
    int registers = rows * (s_cols + o_cols) + 4 * rows + s_cols + o_cols;
    int register_limit = (int)tsr_profile_value(&profile->registers_per_thread, 255);
    if (registers > register_limit)
        return refuse(err, "a %d-register thread exceeds the profile's %d registers per thread",
                      registers, register_limit);
    long shared = attention_shared_bytes(spec, &c);
    long shared_limit = (long)tsr_profile_value(&profile->shared_per_block, 16384);
    /* A GPU that lets a kernel opt in to more (dynamic shared memory, sized
     * at launch) gives it that much. */
    long optin_limit = (long)tsr_profile_value(&profile->shared_per_block_optin, 0);
    if (optin_limit > shared_limit)
        shared_limit = optin_limit;
    if (shared > shared_limit)
        return refuse(err, "%d bytes of shared memory exceed the profile's %d per work-group",
                      (int)shared, (int)shared_limit);
    return TSR_OK;
}

/* Where the profile lists the matrix unit for the spec's type, the
 * flash-attention shape: a warp per 16 query rows holding every key of
 * them (WC=1), P kept in registers, with the shuffles and asynchronous
 * copies the profile has (the tuner falls back to the defaults where the
 * tiles do not fit). Heads of 128 and more on the warpgroup's unit (MU=2),
 * whose warpgroup reads K and V once for 64 rows where each warp of 16
 * reads them for mma.sync (on an H200 at d = 128 the faster of the two;
 * at d = 64 mma.sync's). Devices whose work-items hold wide vectors (a
 * CPU's SIMD lanes) do best with few threads a row and vector
 * accumulators; other SIMT devices start from the params' defaults. */
void attention_suggest(const tsr_opspec *spec, const tsr_profile *profile, tsr_config *out)
{
    tsr_config_default(&tsr_op_attention, out);
    int *v = out->value;
    int d = spec->attention.head_dim;
    bool async = (profile->features & TSR_FEAT_ASYNC_COPY) != 0;
    if (spec->dtype != TSR_F32 && d >= 128 && d % 64 == 0 &&
        tsr_profile_has_wgmma(profile, spec->dtype) &&
        (profile->features & TSR_FEAT_SUBGROUP_SHUFFLE)) {
        v[ATT_MU] = 2;
        v[ATT_BM] = 128;
        v[ATT_BN] = 64;
        v[ATT_TM] = 1;
        v[ATT_WC] = 1;
        v[ATT_VW] = 8;
        v[ATT_PAD] = 0;
        v[ATT_KU] = 1;
        v[ATT_SH] = 1;
        v[ATT_PR] = 0;
        v[ATT_PF] = async;
        return;
    }
    if (tsr_profile_has_mma_m16n8k16(profile, spec->dtype)) {
        v[ATT_MU] = 1;
        v[ATT_PR] = 1;
        v[ATT_WC] = 1;
        v[ATT_TM] = 1;
        v[ATT_BM] = 128;
        v[ATT_BN] = 64;
        v[ATT_VW] = 8;
        v[ATT_KU] = 4;
        v[ATT_SH] = (profile->features & TSR_FEAT_SUBGROUP_SHUFFLE) != 0;
        v[ATT_PF] = async;
        return;
    }
    int lanes = (int)tsr_profile_value(&profile->preferred_vector_width, 1);
    if (lanes < 8)
        return;
    v[ATT_WC] = 2;
    v[ATT_VN] = 8;
    v[ATT_TM] = 4;
    v[ATT_BM] = 32;
    v[ATT_BN] = 32;
}
