/* Shared between the attention files: the config's params, the kernel's
 * arguments and the shape's dims. */
#ifndef TSR_ATTENTION_INTERNAL_H
#define TSR_ATTENTION_INTERNAL_H

#include "core/op.h"

enum attention_param {
    ATT_BM,
    ATT_BN,
    ATT_TM,
    ATT_WC,
    ATT_VN,
    ATT_VW,
    ATT_PAD,
    ATT_KU,
    ATT_MU,
    ATT_PF,
    ATT_SH,
    ATT_PR,
    ATT_PARAM_COUNT
};

/* The kernel's arguments, also the op's buffers for the first four. */
enum attention_arg {
    ATT_ARG_Q,
    ATT_ARG_K,
    ATT_ARG_V,
    ATT_ARG_O,
    ATT_ARG_QLEN,
    ATT_ARG_KVLEN,
    ATT_ARG_HEADS,
    ATT_ARG_SCALE,
    ATT_ARG_COUNT
};

enum attention_dim { ATT_DIM_Q, ATT_DIM_KV, ATT_DIM_HEADS, ATT_DIM_BATCH };

typedef struct attention_cfg {
    int bm, bn, tm, wc, vn, vw, pad, ku, mu, pf, sh, pr;
} attention_cfg;

static inline attention_cfg attention_cfg_of(const tsr_config *c)
{
    const int *v = c->value;
    return (attention_cfg){v[ATT_BM],  v[ATT_BN], v[ATT_TM], v[ATT_WC], v[ATT_VN], v[ATT_VW],
                           v[ATT_PAD], v[ATT_KU], v[ATT_MU], v[ATT_PF], v[ATT_SH], v[ATT_PR]};
}

/* The work-group: WC threads along the cols and BM / TM along the rows,
 * each with TM rows of the scores and of the output; with the warp's
 * matrix unit WC warps along the cols and BM / 16TM along the rows, each
 * with TM fragments of 16 rows; with the warpgroup's (MU=2) BM / 64
 * warpgroups along the rows. */
static inline int attention_local_x(const attention_cfg *c)
{
    return c->mu == 2 ? 128 : c->mu ? 32 * c->wc : c->wc;
}

static inline int attention_local_y(const attention_cfg *c)
{
    return c->mu == 2 ? c->bm / 64 : c->mu ? c->bm / (16 * c->tm) : c->bm / c->tm;
}

/* The threads that hold parts of each row of the scores: WC; with the
 * matrix unit the four lanes of a fragment's row times WC warps. */
static inline int attention_row_sharers(const attention_cfg *c)
{
    return c->mu ? 4 * c->wc : c->wc;
}

/* Whether the row reductions combine by shuffles (SH=1), or need no
 * combining at all (one thread a row), rather than through shared
 * scratch tiles. */
static inline bool attention_reduces_in_runs(const attention_cfg *c)
{
    return c->sh || attention_row_sharers(c) == 1;
}

/* attention_space.c: the params, the checks, the suggested start and the
 * sizes the builder shares with them. */
extern const tsr_param_def attention_params[ATT_PARAM_COUNT];
tsr_status attention_check(const tsr_opspec *spec, const tsr_profile *profile,
                           const tsr_config *config, tsr_error *err);
void attention_suggest(const tsr_opspec *spec, const tsr_profile *profile, tsr_config *out);
/* The shared tiles' element type and padding; the scores' and the
 * output's cols a thread (or a warp's fragments) holds. */
tsr_dtype attention_staged_dtype(const tsr_opspec *spec, const attention_cfg *c);
int attention_shared_pad(const attention_cfg *c);
int attention_score_cols(const attention_cfg *c);
/* Shared memory a work-group uses: Q, K and V's stages, P, the scratch. */
long attention_shared_bytes(const tsr_opspec *spec, const attention_cfg *c);
int attention_output_cols(const tsr_opspec *spec, const attention_cfg *c);

/* attention_model.c: what the cost model sees of a kernel. */
enum attention_feature {
    ATT_F_THREADS,
    ATT_F_SHARED,
    ATT_F_REGISTERS,
    ATT_F_GROUPS_PER_UNIT,
    ATT_F_WAVES,
    ATT_F_WAVE_EFFICIENCY,
    ATT_F_ISSUE_EFFICIENCY,
    ATT_F_LATENCY_HIDING,
    ATT_F_LOG_COMPUTE_S,
    ATT_F_LOG_MEMORY_S,
    ATT_F_LOG_SHARED_S,
    ATT_F_LOG_ESTIMATE_S, /* last, as tsr_op_def.features asks */
    ATT_FEATURE_COUNT
};
extern const char *const attention_feature_names[ATT_FEATURE_COUNT];
struct tsr_resource_report;
int attention_features(const tsr_opspec *spec, const tsr_profile *profile, const tsr_shape *shape,
                       const tsr_config *config, const struct tsr_resource_report *resources,
                       double *out);

/* attention_host.c */
size_t attention_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer);
int attention_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
                   tsr_arg *out);
void attention_reference(const tsr_opspec *spec, const tsr_shape *shape,
                         const float *const *buffers, double *out, double *magnitude);
double attention_tolerance(const tsr_opspec *spec, const tsr_shape *shape);
double attention_flops(const tsr_opspec *spec, const tsr_shape *shape);

#endif
