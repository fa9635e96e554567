/* conv2d: Y = act(conv(X, W) + bias), forward, as an implicit GEMM that
 * goes through GEMM's tile program (core/ops/gemm.c) and its lowering.
 *
 * Per image and group, the convolution is a GEMM over k = C/groups * R * S
 * taps. nchw: Y's M x P plane (M = K/groups output channels, P = OH * OW
 * pixels, row-major in Y) is W (M x k, row-major) times the taps gathered
 * from X (k x P): one problem per image and group. nhwc: Y (all images'
 * pixels x M, rows K apart) is the gathered taps (pixels x k, the channel
 * fastest) times W transposed (k x M): one problem per group, the images
 * along the pixel rows. So Y is always a plain view, and only the operand
 * read from X is gathered (tsr_gather): its loads compute each element's
 * place in X and read zero in the padding.
 *
 * The work-groups walk the tiles of every problem in grid-stride loops:
 * the tiles' count depends on the output's extents, which a launch rule
 * over the shape's dims cannot express, so the launch is sized from the
 * dims alone (image rows, filters, images) and any count covers every
 * tile. The search space is GEMM's params; the gathered operand is staged
 * through shared memory, in vectors of adjacent channels where they lie
 * side by side (nhwc, a channel count that is a multiple of VW), else one
 * element at a time.
 *
 * Every product with a quotient below (c / groups, k / groups) is exact,
 * as c and k are multiples of the groups, so it means the same however
 * the printed kernel's operators associate it. */
#include "core/ops/conv2d_internal.h"
#include "core/ops/gemm_internal.h"
#include "core/ops/ops.h"

/* GEMM's params in GEMM's order (the builder reads the config so), less
 * the values conv2d cannot use: the k-loop runs inside the tile loops,
 * where no fetch into registers fits (PF=1). */
static const tsr_param_def conv2d_params[GEMM_PARAM_COUNT] = {
    [GEMM_BM] = {"BM",
                 "rows of the GEMM's C per work-group (filters; nhwc: pixels)",
                 4,
                 {16, 32, 64, 128},
                 64},
    [GEMM_BN] = {"BN",
                 "cols of the GEMM's C per work-group (pixels; nhwc: filters)",
                 4,
                 {16, 32, 64, 128},
                 64},
    /* 64 where a kernel may opt in to more shared memory, as GEMM's. */
    [GEMM_BK] = {"BK", "taps per shared-memory stage", 6, {2, 4, 8, 16, 32, 64}, 16},
    [GEMM_TM] = {"TM", "rows of the per-thread register micro-tile", 4, {1, 2, 4, 8}, 4},
    [GEMM_TN] = {"TN", "cols of the per-thread register micro-tile", 6, {1, 2, 4, 8, 16, 32}, 4},
    [GEMM_VW] = {"VW",
                 "vector width of global loads (X's taps: adjacent channels of one pixel, nhwc)",
                 4,
                 {1, 2, 4, 8},
                 1},
    [GEMM_SA] =
        {"SA", "stage A through shared memory (0: read it from global; nhwc: 1)", 2, {0, 1}, 1},
    [GEMM_SB] =
        {"SB", "stage B through shared memory (0: read it from global; nchw: 1)", 2, {0, 1}, 1},
    [GEMM_PAD] = {"PAD", "extra elements per shared row, against bank conflicts", 2, {0, 1}, 0},
    [GEMM_STRM] =
        {"STRM", "rows of a micro-tile strided across threads (0: contiguous)", 2, {0, 1}, 0},
    [GEMM_STRN] =
        {"STRN", "cols of a micro-tile strided across threads (0: contiguous)", 2, {0, 1}, 1},
    [GEMM_KU] = {"KU", "unroll of the k loop inside a stage", 4, {1, 2, 4, 8}, 4},
    [GEMM_VN] =
        {"VN", "lanes of the vector accumulators along N (1: scalars)", 5, {1, 2, 4, 8, 16}, 1},
    [GEMM_PF] = {"PF",
                 "k-steps fetched ahead by asynchronous copies into a ring of PF + 1 (0: load, "
                 "then multiply)",
                 3,
                 {0, 2, 3},
                 0},
    [GEMM_MU] = {"MU",
                 "multiply on a matrix unit: 1 the warp's, mma.sync m16n8k16; 2 the "
                 "warpgroup's, wgmma m64nNk16; 3 and 4 AMD's wave units, MFMA 16x16x16 and "
                 "WMMA 16x16x16; 5 and 6 Intel's DPAS at sub-groups of 8 and 16 (0: each "
                 "thread's FMAs)",
                 7,
                 {0, 1, 2, 3, 4, 5, 6},
                 0},
    /* The groups loop over (problem, M-tile) pairs and N-tiles in strides
     * (tile_loops below), so GEMM's banded order has no launch order to
     * reorder here. */
    [GEMM_RS] = {"RS", "tile order: 0, row by row (GEMM's bands do not apply)", 1, {0}, 0},
};

static tsr_status conv2d_check(const tsr_opspec *spec, const tsr_profile *profile,
                               const tsr_config *config, tsr_error *err)
{
    TSR_TRY(gemm_check(spec, profile, config, err));
    gemm_cfg c = gemm_cfg_of(config);
    bool x_staged = spec->conv.channels_last ? c.sa : c.sb;
    if (!x_staged)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "conv2d reads X's taps through shared memory, where the padding reads as "
                        "zero: %s=1 is needed",
                        spec->conv.channels_last ? "SA" : "SB");
    if (c.pf == 1)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "PF=%d: conv2d's k-loop runs inside its loop over tiles, and a fetch "
                        "into registers needs the kernel's outermost block (PF=2 or 3 copy "
                        "asynchronously instead)",
                        c.pf);
    return TSR_OK;
}

/* X and W hold the spec's dtype; Y and the bias its output type. */
static tsr_dtype conv2d_buffer_dtype(const tsr_opspec *spec, int buffer)
{
    return buffer == CONV_ARG_X || buffer == CONV_ARG_W ? spec->dtype : spec->output;
}

static void declare_params(tsr_tile_program *p, const tsr_opspec *spec)
{
    static const char *const names[CONV_ARG_COUNT] = {
        "X", "W", "Y", "batch", "in_c", "in_h", "in_w", "out_c", "out_h", "out_w", "alpha"};
    for (int i = 0; i < CONV_ARG_COUNT; i++) {
        bool buffer = i <= CONV_ARG_Y;
        p->params[i] = (tp_param){.name = names[i],
                                  .kind = buffer                ? TSR_ARG_BUFFER
                                          : i == CONV_ARG_ALPHA ? TSR_ARG_FLOAT
                                                                : TSR_ARG_INT,
                                  .dtype = buffer                ? conv2d_buffer_dtype(spec, i)
                                           : i == CONV_ARG_ALPHA ? tsr_dtype_compute(spec->dtype)
                                                                 : TSR_I32,
                                  .writable = i == CONV_ARG_Y};
    }
    if (spec->conv.bias)
        p->params[CONV_ARG_COUNT] = (tp_param){"bias", TSR_ARG_BUFFER, spec->output, false};
}

/* The extents the views and the tile loop are made of, as expressions
 * over the kernel's arguments. */
typedef struct conv_sizes {
    tp_expr *n, *c, *h, *w, *k, *oh, *ow;
    tp_expr *cg, *kg; /* channels and filters of one group */
    tp_expr *taps;    /* the GEMM's k: cg * R * S */
    tp_expr *gm, *gn; /* the GEMM's M and N of one problem */
    tp_expr *problems;
} conv_sizes;

static tp_expr *param(tsr_tile_program *p, int arg)
{
    return tp_param_ref(&p->builder, &p->params[arg]);
}

static tp_expr *div_groups(tp_builder *b, tp_expr *x, int groups)
{
    return groups == 1 ? x : tp_bin(b, TP_DIV, x, tp_int(b, groups));
}

static conv_sizes sizes_of(tsr_tile_program *p, const tsr_opspec *spec)
{
    tp_builder *b = &p->builder;
    const tsr_conv2d *conv = &spec->conv;
    conv_sizes s = {.n = param(p, CONV_ARG_N),
                    .c = param(p, CONV_ARG_C),
                    .h = param(p, CONV_ARG_H),
                    .w = param(p, CONV_ARG_IW),
                    .k = param(p, CONV_ARG_K),
                    .oh = param(p, CONV_ARG_OH),
                    .ow = param(p, CONV_ARG_OW)};
    s.cg = div_groups(b, s.c, conv->groups);
    s.kg = div_groups(b, s.k, conv->groups);
    s.taps = tp_muli(b, s.cg, conv->filter[0] * conv->filter[1]);
    tp_expr *pixels = tp_mul(b, s.oh, s.ow);
    if (conv->channels_last) {
        s.gm = tp_mul(b, s.n, pixels);
        s.gn = s.kg;
        s.problems = tp_int(b, conv->groups);
    } else {
        s.gm = s.kg;
        s.gn = pixels;
        s.problems = tp_muli(b, s.n, conv->groups);
    }
    return s;
}

static tsr_view *new_view(tsr_tile_program *p, int buffer, tp_expr *rows, tp_expr *cols,
                          tp_expr *row_stride, tp_expr *col_stride, tp_expr *base)
{
    tsr_view *v = TSR_ARENA_NEW(p->arena, tsr_view);
    if (v)
        *v = (tsr_view){.buffer = &p->params[buffer],
                        .rows = rows,
                        .cols = cols,
                        .row_stride = row_stride,
                        .col_stride = col_stride,
                        .base = base};
    return v;
}

/* The taps of X as the GEMM's B (k x pixels, nchw) or A (pixels x k,
 * nhwc) of problem z: image z / groups and group z % groups (nchw), or
 * group z (nhwc); its cols run along memory (the pixels of a row of X, or
 * the channels of a pixel). */
static tsr_view *gathered_x(tsr_tile_program *p, const tsr_opspec *spec, const conv_sizes *s,
                            tp_expr *z)
{
    tp_builder *b = &p->builder;
    const tsr_conv2d *conv = &spec->conv;
    tsr_gather *g = TSR_ARENA_NEW(p->arena, tsr_gather);
    if (!g)
        return NULL;
    *g = (tsr_gather){.k_along_rows = !conv->channels_last,
                      .channels_inner = conv->channels_last,
                      .filter = {conv->filter[0], conv->filter[1]},
                      .stride = {conv->stride[0], conv->stride[1]},
                      .pad = {conv->pad[0], conv->pad[1]},
                      .dilation = {conv->dilation[0], conv->dilation[1]},
                      .channels = s->cg,
                      .out_rows = s->oh,
                      .out_cols = s->ow,
                      .in_rows = s->h,
                      .in_cols = s->w};
    tsr_view *v;
    if (conv->channels_last) {
        g->channel_stride = tp_int(b, 1);
        g->in_col_stride = s->c;
        g->in_row_stride = tp_mul(b, s->w, s->c);
        g->image_stride = tp_mul(b, s->h, g->in_row_stride);
        v = new_view(p, CONV_ARG_X, s->gm, s->taps, tp_int(b, 0), tp_int(b, 1),
                     tp_mul(b, z, s->cg));
    } else {
        g->channel_stride = tp_mul(b, s->h, s->w);
        g->in_row_stride = s->w;
        g->in_col_stride = tp_int(b, 1);
        v = new_view(p, CONV_ARG_X, s->taps, s->gn, tp_int(b, 0), tp_int(b, 1),
                     tp_mul(b, z, tp_mul(b, s->cg, g->channel_stride)));
    }
    if (v)
        v->gather = g;
    return v;
}

/* The operands of problem z (see gathered_x) for one tile. W is
 * [K][taps] row-major either way: A itself (nchw) or, read down its
 * rows, B = W^T (nhwc). */
static void problem_views(tsr_tile_program *p, const tsr_opspec *spec, const conv_sizes *s,
                          tp_expr *z, gemm_operands *ops)
{
    tp_builder *b = &p->builder;
    bool nhwc = spec->conv.channels_last;
    tp_expr *group = nhwc                     ? z
                     : spec->conv.groups == 1 ? tp_int(b, 0)
                                              : tp_bin(b, TP_MOD, z, tp_int(b, spec->conv.groups));
    tp_expr *first_filter = tp_mul(b, group, s->kg);
    tp_expr *w_base = tp_mul(b, first_filter, s->taps);
    tp_expr *one = tp_int(b, 1), *zero = tp_int(b, 0);
    tsr_view *x = gathered_x(p, spec, s, z);
    if (nhwc) {
        ops->a = x;
        ops->b = new_view(p, CONV_ARG_W, s->taps, s->kg, one, s->taps, w_base);
        ops->c = new_view(p, CONV_ARG_Y, s->gm, s->gn, s->k, one, first_filter);
    } else {
        ops->a = new_view(p, CONV_ARG_W, s->kg, s->taps, s->taps, one, w_base);
        ops->b = x;
        ops->c = new_view(p, CONV_ARG_Y, s->gm, s->gn, s->gn, one,
                          tp_mul(b, z, tp_mul(b, s->kg, s->gn)));
    }
    /* One bias value per output channel: along Y's cols (nhwc) or rows. */
    if (spec->conv.bias)
        ops->bias = new_view(p, CONV_ARG_COUNT, s->gm, s->gn, nhwc ? zero : one, nhwc ? one : zero,
                             first_filter);
}

/* ceil(x / n) */
static tp_expr *tiles(tp_builder *b, tp_expr *x, int n)
{
    return tp_bin(b, TP_DIV, tp_addi(b, x, n - 1), tp_int(b, n));
}

/* A grid-stride loop over [begin, end) by step into `list`: the body
 * returned, NULL when out of memory. */
static tsr_stmt_list *strided_loop(tsr_tile_program *p, tsr_stmt_list *list, const char *name,
                                   tp_expr *begin, tp_expr *end, tp_expr *step, tp_expr **var)
{
    tp_var *v = tp_new_var(&p->builder, name, TSR_I32, TP_PRIVATE, 0, 0, 0);
    tsr_stmt *loop = tsr_ir_append(p, list, TSR_S_LOOP);
    if (!loop || !v)
        return NULL;
    *loop = (tsr_stmt){
        .kind = TSR_S_LOOP, .var = v, .begin = begin, .end = end, .step = step, .vector_width = 1};
    *var = tp_ref(&p->builder, v);
    return &loop->body;
}

/* The loops that walk the tiles: the outer one over (problem, M-tile)
 * pairs by the groups of launch axes 1 and 2, the inner one over N-tiles
 * by those of axis 0. Two loops rather than one over every tile, so that
 * no bound multiplies two rounded-up quotients: printed without
 * parentheses, a * ((b + 63) / 64) would mean (a * (b + 63)) / 64. Returns
 * the inner body, NULL when out of memory. */
static tsr_stmt_list *tile_loops(tsr_tile_program *p, const conv_sizes *s, const gemm_cfg *c,
                                 tp_expr **m0, tp_expr **n0, tp_expr **z)
{
    tp_builder *b = &p->builder;
    tp_expr *m_tiles = tiles(b, s->gm, c->bm), *pair, *n_tile;
    tp_expr *first_pair =
        tp_add(b, tp_mul(b, tp_builtin_ref(b, TP_GROUP_ID, 2), tp_builtin_ref(b, TP_NUM_GROUPS, 1)),
               tp_builtin_ref(b, TP_GROUP_ID, 1));
    tp_expr *pair_step =
        tp_mul(b, tp_builtin_ref(b, TP_NUM_GROUPS, 1), tp_builtin_ref(b, TP_NUM_GROUPS, 2));
    tsr_stmt_list *outer = strided_loop(p, &p->body, "pair", first_pair,
                                        tp_mul(b, m_tiles, s->problems), pair_step, &pair);
    tsr_stmt_list *inner =
        outer ? strided_loop(p, outer, "n_tile", tp_builtin_ref(b, TP_GROUP_ID, 0),
                             tiles(b, s->gn, c->bn), tp_builtin_ref(b, TP_NUM_GROUPS, 0), &n_tile)
              : NULL;
    if (!inner)
        return NULL;
    *m0 = tp_muli(b, tp_bin(b, TP_MOD, pair, m_tiles), c->bm);
    *z = tp_bin(b, TP_DIV, pair, m_tiles);
    *n0 = tp_muli(b, n_tile, c->bn);
    return inner;
}

static tsr_status conv2d_build(tsr_arena *arena, const tsr_opspec *spec, const tsr_profile *profile,
                               const tsr_config *config, tsr_tile_program **out, tsr_error *err)
{
    TSR_TRY(conv2d_check(spec, profile, config, err));
    gemm_cfg c = gemm_cfg_of(config);
    tsr_tile_program *p = tsr_ir_new(arena, "tsr_conv2d", conv2d_arg_count(spec));
    if (!p)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building conv2d");
    declare_params(p, spec);
    p->dims = 3;
    p->local[0] = gemm_local_x(&c);
    p->local[1] = gemm_local_y(&c);
    conv_sizes s = sizes_of(p, spec);
    gemm_operands ops = {.k = s.taps, .alpha = &p->params[CONV_ARG_ALPHA]};
    tp_expr *z;
    ops.body = tile_loops(p, &s, &c, &ops.m0, &ops.n0, &z);
    if (ops.body)
        problem_views(p, spec, &s, z, &ops);
    bool views = ops.body && ops.a && ops.b && ops.c && (!spec->conv.bias || ops.bias);
    if (!views || !gemm_append_tile(p, spec, &c, &ops))
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building conv2d");
    *out = p;
    return TSR_OK;
}

/* The launch: local as GEMM's; groups along the N-tiles' dim (image rows
 * for nchw's pixels, filters for nhwc's channels), the M-tiles' and the
 * images, a count the tile loop spreads every tile over. */
static void conv2d_geometry_rule(const tsr_opspec *spec, const tsr_config *config,
                                 tsr_geometry_rule *rule)
{
    gemm_cfg c = gemm_cfg_of(config);
    bool nhwc = spec->conv.channels_last;
    *rule = (tsr_geometry_rule){
        .dims = 3,
        .dim = {nhwc ? CONV_DIM_K : CONV_DIM_H, nhwc ? CONV_DIM_H : CONV_DIM_K, CONV_DIM_N},
        .per_group = {nhwc ? c.bn : 1, nhwc ? 1 : c.bm, 1},
        .local = {(size_t)gemm_local_x(&c), (size_t)gemm_local_y(&c), 1},
    };
}

/* With the matrix unit, GEMM's ring (the fastest fixed f16 configs on an
 * H200 were its shape, docs/conv2d.md); else the params' defaults. */
static void conv2d_suggest(const tsr_opspec *spec, const tsr_profile *profile, tsr_config *out)
{
    tsr_config_default(&tsr_op_conv2d, out);
    gemm_suggest_matrix_unit(spec, profile, out->value);
}

static bool conv2d_reads_output(const tsr_opspec *spec)
{
    (void)spec;
    return false;
}

static const tsr_buffer_def conv2d_buffers[CONV_BUFFER_COUNT] = {
    {"X", true, false}, {"W", true, false}, {"Y", false, true}, {"bias", true, false}};

const tsr_op_def tsr_op_conv2d = {
    .name = "conv2d",
    .summary = "Y = act(conv2d(X, W) + bias), nchw or nhwc, strided, padded, dilated, grouped",
    .n_dims = CONV_DIM_COUNT,
    .dim_names = {"n", "c", "h", "w", "k"},
    .n_params = GEMM_PARAM_COUNT,
    .params = conv2d_params,
    .n_buffers = CONV_BUFFER_COUNT,
    .buffers = conv2d_buffers,
    .dtypes = 1u << TSR_F32 | 1u << TSR_F16 | 1u << TSR_BF16,
    .buffer_dtype = conv2d_buffer_dtype,
    .check = conv2d_check,
    .build = conv2d_build,
    .geometry_rule = conv2d_geometry_rule,
    .buffer_elems = conv2d_buffer_elems,
    .args = conv2d_args,
    .reference = conv2d_reference,
    .tolerance = conv2d_tolerance,
    .flops = conv2d_flops,
    .output_buffer = CONV_ARG_Y,
    .reads_output = conv2d_reads_output,
    .suggest = conv2d_suggest,
    .n_features = GEMM_FEATURE_COUNT,
    .feature_names = gemm_feature_names,
    .features = conv2d_features,
};
