/* Shared between the GEMM files: the config's params, the buffers and the
 * kernel's argument order. */
#ifndef TSR_GEMM_INTERNAL_H
#define TSR_GEMM_INTERNAL_H

#include "core/ir.h"
#include "core/op.h"

enum gemm_param {
    GEMM_BM,
    GEMM_BN,
    GEMM_BK,
    GEMM_TM,
    GEMM_TN,
    GEMM_VW,
    GEMM_SA,
    GEMM_SB,
    GEMM_PAD,
    GEMM_STRM,
    GEMM_STRN,
    GEMM_KU,
    GEMM_VN,
    GEMM_PF,
    GEMM_MU,
    GEMM_RS,
    GEMM_PARAM_COUNT /* the params conv2d's implicit GEMM shares */
};

/* GEMM's own, after the shared ones: the splits of K. A conv2d config
 * leaves it 0, read as 1. */
enum { GEMM_SK = GEMM_PARAM_COUNT, GEMM_ALL_PARAM_COUNT };

/* The kernel's arguments: these eight for every spec, then the epilogue's
 * buffers that the spec uses (bias, then R), so that a spec without an
 * epilogue keeps the argument list it always had. */
enum gemm_arg {
    GEMM_ARG_A,
    GEMM_ARG_B,
    GEMM_ARG_C,
    GEMM_ARG_M,
    GEMM_ARG_N,
    GEMM_ARG_K,
    GEMM_ARG_ALPHA,
    GEMM_ARG_BETA,
    GEMM_ARG_COUNT
};

/* The op's buffers (tsr_op_def.buffers): A, B and C share their argument
 * index; a buffer the spec does not use has no elements and no argument. */
enum gemm_buffer { GEMM_BUF_BIAS = GEMM_ARG_C + 1, GEMM_BUF_R, GEMM_BUFFER_COUNT };

/* The argument index of the bias and of R, -1 when the spec has none. */
static inline int gemm_arg_bias(const tsr_opspec *spec)
{
    return spec->bias != TSR_BIAS_NONE ? GEMM_ARG_COUNT : -1;
}

static inline int gemm_arg_residual(const tsr_opspec *spec)
{
    return spec->residual ? GEMM_ARG_COUNT + (spec->bias != TSR_BIAS_NONE) : -1;
}

static inline int gemm_arg_count(const tsr_opspec *spec)
{
    return GEMM_ARG_COUNT + (spec->bias != TSR_BIAS_NONE) + spec->residual;
}

enum gemm_dim { GEMM_DIM_M, GEMM_DIM_N, GEMM_DIM_K, GEMM_DIM_BATCH };

typedef struct gemm_cfg {
    int bm, bn, bk, tm, tn, vw, sa, sb, pad, strm, strn, ku, vn, pf, mu, rs, sk;
} gemm_cfg;

static inline gemm_cfg gemm_cfg_of(const tsr_config *c)
{
    const int *v = c->value;
    return (gemm_cfg){v[GEMM_BM],
                      v[GEMM_BN],
                      v[GEMM_BK],
                      v[GEMM_TM],
                      v[GEMM_TN],
                      v[GEMM_VW],
                      v[GEMM_SA],
                      v[GEMM_SB],
                      v[GEMM_PAD],
                      v[GEMM_STRM],
                      v[GEMM_STRN],
                      v[GEMM_KU],
                      v[GEMM_VN],
                      v[GEMM_PF],
                      v[GEMM_MU],
                      v[GEMM_RS],
                      v[GEMM_SK] > 1 ? v[GEMM_SK] : 1};
}

/* MU's values: the threads' FMAs, mma.sync, wgmma, AMD's MFMA and WMMA,
 * Intel's DPAS at sub-groups of 8 and of 16. */
enum {
    GEMM_MU_FMA,
    GEMM_MU_MMA_SYNC,
    GEMM_MU_WGMMA,
    GEMM_MU_MFMA,
    GEMM_MU_WMMA,
    GEMM_MU_DPAS8,
    GEMM_MU_DPAS16
};

/* Threads in a wave (sub-group) of the units it shares (MU=3 to 6); 0 for
 * the others. */
static inline int gemm_wave(const gemm_cfg *c)
{
    static const int threads[] = {
        [GEMM_MU_MFMA] = 64, [GEMM_MU_WMMA] = 32, [GEMM_MU_DPAS8] = 8, [GEMM_MU_DPAS16] = 16};
    return c->mu >= GEMM_MU_MFMA && c->mu <= GEMM_MU_DPAS16 ? threads[c->mu] : 0;
}

/* Which of those units a config's thread map has the fragments of. */
static inline tsr_wave_unit gemm_wave_unit(const gemm_cfg *c)
{
    static const tsr_wave_unit units[] = {[GEMM_MU_MFMA] = TSR_WAVES_MFMA,
                                          [GEMM_MU_WMMA] = TSR_WAVES_WMMA,
                                          [GEMM_MU_DPAS8] = TSR_WAVES_DPAS8,
                                          [GEMM_MU_DPAS16] = TSR_WAVES_DPAS16};
    return gemm_wave(c) ? units[c->mu] : TSR_WAVES_NONE;
}

/* Such a unit's fragment: 16 x 16 on AMD's, 8 x the sub-group on Intel's. */
static inline int gemm_fragment_rows(const gemm_cfg *c)
{
    return c->mu >= GEMM_MU_DPAS8 ? 8 : 16;
}

static inline int gemm_fragment_cols(const gemm_cfg *c)
{
    return c->mu >= GEMM_MU_DPAS8 ? gemm_wave(c) : 16;
}

/* The work-group's shape: (BN / TN) x (BM / TM) threads, each with its
 * micro-tile; with the warp's matrix unit (MU=1) (BN / 8TN) x (BM / 16TM)
 * warps, each with TM x TN fragments of 16 x 8, 32 threads along x per
 * warp; with the warpgroup's (MU=2) (BN / 8TN) x (BM / 64TM) warpgroups,
 * each with TM slices of 64 rows by 8TN cols, 128 threads along x per
 * warpgroup; with the units of a wave or sub-group (MU=3 to 6) (BN / C TN)
 * x (BM / R TM) waves, each with TM x TN fragments of R x C
 * (gemm_fragment_rows, _cols), gemm_wave threads along x per wave. */
static inline int gemm_local_x(const gemm_cfg *c)
{
    if (c->mu == GEMM_MU_WGMMA)
        return 128 * (c->bn / (8 * c->tn));
    if (gemm_wave(c))
        return gemm_wave(c) * (c->bn / (gemm_fragment_cols(c) * c->tn));
    return c->mu ? 32 * (c->bn / (8 * c->tn)) : c->bn / c->tn;
}

static inline int gemm_local_y(const gemm_cfg *c)
{
    if (c->mu == GEMM_MU_WGMMA)
        return c->bm / (64 * c->tm);
    if (gemm_wave(c))
        return c->bm / (gemm_fragment_rows(c) * c->tm);
    return c->mu ? c->bm / (16 * c->tm) : c->bm / c->tm;
}

/* The shared tiles: of the compute type, PAD elements per row against bank
 * conflicts; with a matrix unit of the 16-bit input type as loaded, with
 * 8 PAD (a 16-byte step keeps ldmatrix's rows aligned and eight of them
 * on eight different bank groups); of doubles with 4 PAD (32 bytes: the
 * unit's fragments are single loads of 8 bytes a lane, half a warp at a
 * time, whose four rows then start on four different quarters of the
 * banks, where 8 would put two on one); the warpgroup's unit swizzles
 * instead (PAD=0, see core/lower_wgmma.c). */
static inline int gemm_shared_pad(const gemm_cfg *c, tsr_dtype dtype)
{
    return c->mu ? (dtype == TSR_F64 ? 4 : 8) * c->pad : c->pad;
}

/* How the shared tiles are stored. For the threads' FMAs, A k-major and
 * B as it is (a thread's rows of one k side by side). For the matrix unit,
 * each as its matrix lies in memory, so that global vectors land as shared
 * vectors; ldmatrix then reads the fragments, transposing where k does not
 * run along the stored rows, or the warpgroup's unit reads them in either
 * orientation. Transposed: stored [cols][rows]. */
static inline bool gemm_a_tile_transposed(const gemm_cfg *c, tsr_layout layout_a)
{
    return c->mu ? layout_a == TSR_COL_MAJOR : true;
}

static inline bool gemm_b_tile_transposed(const gemm_cfg *c, tsr_layout layout_b)
{
    return c->mu ? layout_b == TSR_COL_MAJOR : false;
}

/* Copies of the shared tiles: one, two to fetch into (PF=1), or a ring of
 * PF + 1 for the asynchronous copies. */
static inline int gemm_stages(const gemm_cfg *c)
{
    return c->pf >= 2 ? c->pf + 1 : c->pf ? 2 : 1;
}

/* One stage of a rows x cols shared tile stored with `pad` extra values
 * per stored row of `inner`. */
static inline long gemm_tile_elems(int rows, int cols, int inner, int pad)
{
    return (long)rows * cols / inner * (inner + pad);
}

/* The shared tiles' bytes: stored rows times padded row, per stage; with
 * splits of K, 16 more for the split join's arrival count (an int, kept
 * 16-byte aligned). */
static inline long gemm_shared_bytes(const gemm_cfg *c, const tsr_opspec *spec, size_t elem)
{
    int pad = gemm_shared_pad(c, spec->dtype);
    int a_inner = gemm_a_tile_transposed(c, spec->layout_a) ? c->bm : c->bk;
    int b_inner = gemm_b_tile_transposed(c, spec->layout_b) ? c->bk : c->bn;
    long a = gemm_tile_elems(c->bm, c->bk, a_inner, pad);
    long b = gemm_tile_elems(c->bk, c->bn, b_inner, pad);
    return (long)elem * gemm_stages(c) * ((c->sa ? a : 0) + (c->sb ? b : 0)) + (c->sk > 1 ? 16 : 0);
}

/* Split K: each of the SK groups of a tile multiplies its share of K, a
 * whole number of k-steps; the last share may be shorter, or empty. */
static inline long gemm_split_k(const gemm_cfg *c, long k)
{
    long share = (k + c->sk - 1) / c->sk;
    return (share + c->bk - 1) / c->bk * c->bk;
}

/* Registers a thread holds for its share of a staged tile of `elems`
 * values, fetched ahead in vectors of vw (PF=1). */
static inline int gemm_staging_registers(int elems, int vw, int threads)
{
    int vectors = elems / vw;
    return (vectors + threads - 1) / threads * vw;
}

/* gemm_model.c: the features a cost model sees (see tsr_op_def). */
enum gemm_feature {
    GEMM_F_THREADS,
    GEMM_F_SHARED,
    GEMM_F_REGISTERS,
    GEMM_F_GROUPS_PER_UNIT,
    GEMM_F_WAVES,
    GEMM_F_WAVE_EFFICIENCY,
    GEMM_F_TILE_WASTE,
    GEMM_F_ISSUE_EFFICIENCY,
    GEMM_F_LATENCY_HIDING,
    GEMM_F_LOG_COMPUTE_S,
    GEMM_F_LOG_MEMORY_S,
    GEMM_F_LOG_SHARED_S,
    GEMM_F_LOG_ESTIMATE_S, /* last, as tsr_op_def.features promises */
    GEMM_FEATURE_COUNT
};
extern const char *const gemm_feature_names[GEMM_FEATURE_COUNT];
/* The type the matrix units multiply the spec's inputs as: tf32 for f32
 * (which only a spec with `math: tf32` may send them), else the inputs'. */
static inline tsr_dtype gemm_unit_input(const tsr_opspec *spec)
{
    return spec->dtype == TSR_F32 ? TSR_TF32 : spec->dtype;
}

/* The k of the warp unit's step on the spec's inputs: mma.sync m16n8k16
 * on 16-bit inputs, m16n8k8 on tf32 and f64. */
static inline int gemm_warp_unit_k(const tsr_opspec *spec)
{
    tsr_dtype input = gemm_unit_input(spec);
    return input == TSR_TF32 || input == TSR_F64 ? 8 : 16;
}

/* Whether the spec's inputs may go to the warp's unit and the profile
 * lists it for them (gemm_warp_unit_k's shape; on doubles, or four of
 * sm_80's m8n8k4 in its place). */
static inline bool gemm_has_warp_unit(const tsr_opspec *spec, const tsr_profile *profile)
{
    if (gemm_unit_input(spec) == TSR_TF32)
        return spec->tf32 && tsr_profile_has_mma_m16n8k8(profile, TSR_TF32);
    if (spec->dtype == TSR_F64)
        return tsr_profile_mma_f64(profile) != NULL;
    return tsr_profile_has_mma_m16n8k16(profile, spec->dtype);
}

/* Where the profile lists a warp or wave matrix unit for the spec's
 * inputs, sets the config values `v` (GEMM's param order, which conv2d
 * shares) to 128 x 128 x 32 tiles feeding the unit in 16-byte vectors: for
 * NVIDIA's mma.sync a ring, asynchronous where the profile says so, the
 * best fixed config measured on an H200 (docs/performance.md); for AMD's
 * MFMA the analytic model's choice (gemm_suggest.c). False, `v` untouched,
 * elsewhere. */
bool gemm_suggest_matrix_unit(const tsr_opspec *spec, const tsr_profile *profile, int *v);
/* tsr_op_def.suggest of GEMM (core/ops/gemm_suggest.c). */
void gemm_suggest(const tsr_opspec *spec, const tsr_profile *profile, tsr_config *out);
/* How many times over ldmatrix's eight 16-byte rows, `row_bytes` apart,
 * collide in the 128 bytes of shared memory's banks: once when each starts
 * on its own 16 bytes of them (a padded row), up to 8 times. */
double gemm_ldmatrix_conflict(long row_bytes);
/* How many times over a warp's single loads of tf32 or f64 fragments
 * (`words` 32-bit words a value) collide in shared memory's 32 banks: lane
 * l = 4 g + t reads value g * row + t of a tile stored with k along its
 * rows, t * row + g of one stored across them. A warp's 64-bit loads go
 * half a warp at a time. */
double gemm_fragment_conflict(long row, bool k_along_rows, int words);
int gemm_features(const tsr_opspec *spec, const tsr_profile *profile, const tsr_shape *shape,
                  const tsr_config *config, const struct tsr_resource_report *resources,
                  double *out);

/* Whether a config (in the params' order above) fits the profile (see
 * tsr_op_def.check); conv2d's implicit GEMM asks it too. */
tsr_status gemm_check(const tsr_opspec *spec, const tsr_profile *profile, const tsr_config *config,
                      tsr_error *err);

/* The operands of one work-group's BM x BN tile of C = A * B, supplied by
 * the op that builds the kernel (GEMM: plain matrices; conv2d: one of
 * them gathered from the image). A is M x K, B is K x N and C M x N, as
 * views; bias and residual NULL when absent, beta NULL when C's old value
 * is not read. */
typedef struct gemm_operands {
    const tsr_view *a, *b, *c;
    const tsr_view *bias, *residual;
    tp_expr *m0, *n0; /* the tile's origin in C */
    tp_expr *k;       /* K, the extent the k-loop runs over */
    const tp_param *alpha, *beta;
    tsr_stmt_list *body; /* where the tile's statements go */
    /* Split K: the workspace through which the groups of one tile join
     * (TSR_S_TILE_JOIN; NULL: one group a tile), the tile's index among
     * the launch's tiles and the group's part of cfg->sk. */
    const tp_param *workspace;
    tp_expr *tile, *part;
    /* MU=1 on doubles where the profile's unit is sm_80's m8n8k4, four of
     * which make each m16n8k8. */
    bool f64_k4;
} gemm_operands;

/* Appends to ops->body the statements that compute one tile: zero the
 * accumulators, the k-loop (staged, pipelined or direct, as the config
 * says) and the store through the spec's activation. The program's
 * work-group must be gemm_local_x x gemm_local_y. False when out of
 * memory. */
bool gemm_append_tile(tsr_tile_program *p, const tsr_opspec *spec, const gemm_cfg *cfg,
                      const gemm_operands *ops);

size_t gemm_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer);
int gemm_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
              tsr_arg *out);
void gemm_reference(const tsr_opspec *spec, const tsr_shape *shape, const float *const *buffers,
                    double *out, double *magnitude);
double gemm_tolerance(const tsr_opspec *spec, const tsr_shape *shape);
double gemm_flops(const tsr_opspec *spec, const tsr_shape *shape);

#endif
