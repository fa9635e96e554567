/* A reduction: Y[r] = kind over c of X[r][c], kind one of sum, max, mean,
 * l2 (sqrt of the sum of squares); or with `axis: middle`, X rows x cols x
 * inner and Y[r][i] = kind over c of X[r][c][i] (any axis of a tensor: the
 * dims before it are rows, those after it inner).
 *
 * The last axis: one work-group per
 * row: a row reduction, then a row map over a one-column view of Y (its
 * template names no x, so nothing is read) in which the group's first
 * thread stores the finished value. A long row among few leaves most of a
 * GPU idle that way: with CHUNK, each row has a group per CHUNK columns,
 * and the groups of a row join their partial results through a workspace
 * (TSR_S_ROW_JOIN), the last to arrive finishing the row.
 *
 * The middle axis: a work-group per row and window of WG / RT x VW inner
 * cols, its threads side by side along inner reading whole vectors of one
 * reduced row at a time, RT runs of them each taking every RT-th reduced
 * row and combining in shared memory (TSR_S_COL_REDUCE). A narrow inner
 * with few rows gives few windows: with CHUNK, a window of a row has a
 * group per CHUNK reduced rows, which join through a workspace as the
 * last axis's chunks do. */
#include <math.h>

#include "core/ops/ops.h"
#include "core/ops/row_ops.h"
#include "core/ops/stream_model.h"

enum { ARG_X, ARG_Y, ARG_ROWS, ARG_COLS, ARG_INNER, ARG_COUNT }; /* inner: the middle axis only */
enum { REDUCE_CHUNK = ROW_PARAM_COUNT, REDUCE_RT, REDUCE_PARAM_COUNT };

static const tsr_param_def reduce_params[REDUCE_PARAM_COUNT] = {
    TSR_ROW_PARAM_DEFS,
    [REDUCE_CHUNK] = {"CHUNK",
                      "columns a work-group reduces; 0: a whole row, one group a row; else a "
                      "row's groups join their results through a workspace",
                      5,
                      {0, 4096, 16384, 65536, 262144},
                      0},
    [REDUCE_RT] = {"RT",
                   "axis: middle: runs of threads along the reduced axis, each taking every RT-th "
                   "row (WG / RT threads side by side along inner)",
                   6,
                   {1, 2, 4, 8, 16, 32},
                   1},
};

/* Bytes of workspace each group of a split launch needs: two words, its
 * part and (the row's first group's) the row's arrival count
 * (TSR_S_ROW_JOIN in core/ir.h). */
enum { REDUCE_WORKSPACE_PER_GROUP = 8 };

/* What each element adds, and how the row's total becomes the result. */
static tp_expr *reduce_element(tp_builder *b, tsr_reduce_kind kind, tsr_dtype dtype)
{
    tp_expr *x = tp_placeholder(b, dtype);
    return kind == TSR_REDUCE_KIND_L2 ? tp_bin(b, TP_MUL, x, tp_placeholder(b, dtype)) : x;
}

static tp_expr *reduce_finish(tsr_tile_program *p, tsr_reduce_kind kind, tp_expr *total)
{
    tp_builder *b = &p->builder;
    switch (kind) {
    case TSR_REDUCE_KIND_MEAN: return tsr_row_average(p, total, ARG_COLS);
    case TSR_REDUCE_KIND_L2: return tp_call(b, TP_SQRT, 1, total, NULL, NULL);
    default: return total;
    }
}

/* The middle axis's own rules; the last axis's params keep their
 * defaults there (and RT its default on the last axis), so that the
 * search never times one kernel twice. */
static tsr_status middle_check(const tsr_opspec *spec, const tsr_profile *profile,
                               const tsr_config *config, tsr_error *err)
{
    int wg = config->value[ROW_WG], rt = config->value[REDUCE_RT];
    if (config->value[ROW_SG])
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "SG=1: axis: middle reduces each inner col within its thread and runs "
                        "(RT), without shuffles");
    if (rt > wg)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED, "RT=%d runs of threads need more than WG=%d", rt,
                        wg);
    long shared = rt > 1 ? (long)wg * config->value[ROW_VW] *
                               (long)tsr_dtype_size(tsr_dtype_compute(spec->dtype))
                         : 0;
    return tsr_profile_check_shared(profile, shared, err);
}

static tsr_status reduce_check(const tsr_opspec *spec, const tsr_profile *profile,
                               const tsr_config *config, tsr_error *err)
{
    if (spec->reduce_middle) {
        TSR_TRY(middle_check(spec, profile, config, err));
        return tsr_row_check(spec, profile, config, err);
    }
    TSR_TRY(tsr_row_check(spec, profile, config, err));
    if (config->value[REDUCE_RT] != 1)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "RT=%d: runs along the reduced axis are axis: middle's; the last axis "
                        "has its threads along the row",
                        config->value[REDUCE_RT]);
    int chunk = config->value[REDUCE_CHUNK];
    int per_pass = config->value[ROW_WG] * config->value[ROW_VW];
    if (chunk && chunk < per_pass)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "CHUNK=%d columns are fewer than one pass of %d threads' %d-wide vectors "
                        "(%d): some threads would have nothing to read",
                        chunk, config->value[ROW_WG], config->value[ROW_VW], per_pass);
    return TSR_OK;
}

/* The CHUNK-long window of [0, extent) that the group owns along launch
 * axis `axis` (the last ragged): [begin, begin + min(extent - begin,
 * CHUNK)), so that no int passes extent, however long. */
static void chunk_window(tp_builder *b, int axis, int chunk, tp_expr *extent, tp_expr **begin,
                         tp_expr **end)
{
    *begin = tp_muli(b, tp_builtin_ref(b, TP_GROUP_ID, axis), chunk);
    *end = tp_bin(b, TP_ADD, *begin,
                  tp_bin(b, TP_MIN, tp_bin(b, TP_SUB, extent, *begin), tp_int(b, chunk)));
}

/* The groups of a row, along the launch's second axis, each reduce
 * CHUNK columns of it (the last ragged) and join their results. */
static tsr_status build_joined(tsr_tile_program *p, const tsr_opspec *spec,
                               const tsr_profile *profile, const tsr_config *config,
                               const tp_param *workspace, const tsr_view *x, const tsr_view *y,
                               tp_expr *element, tsr_reduce_op op)
{
    tp_builder *b = &p->builder;
    tsr_dtype compute = tsr_dtype_compute(spec->dtype);
    const tp_var *total = tsr_ir_scalar(p, "group_total", compute);
    tsr_stmt *reduce = tsr_row_reduce_stmt(p, x, element, op, config, profile);
    if (!reduce || !total)
        return TSR_ERR_NOMEM;
    reduce->result = total;
    chunk_window(b, 1, config->value[REDUCE_CHUNK], x->cols, &reduce->col_begin, &reduce->col_end);
    const tsr_tile *arrival = tsr_ir_tile(p, "arrival", TSR_I32, TSR_SPACE_SHARED, 1, 1, 0, false);
    tsr_stmt *join = arrival ? tsr_ir_append(p, &p->body, TSR_S_ROW_JOIN) : NULL;
    if (!join)
        return TSR_ERR_NOMEM;
    join->tile = reduce->tile;
    join->subgroup_width = reduce->subgroup_width;
    join->scratch = arrival;
    join->row = tp_builtin_ref(b, TP_GROUP_ID, 0);
    join->reduce = op;
    join->result = total;
    join->element = reduce_finish(p, spec->reduce_kind, tp_placeholder(b, compute));
    join->dst = y;
    join->workspace = workspace;
    join->part = tp_builtin_ref(b, TP_GROUP_ID, 1);
    join->parts = tp_builtin_ref(b, TP_NUM_GROUPS, 1);
    join->threads = config->value[ROW_WG];
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* The inner cols a work-group of the middle axis reduces. */
static int middle_window(const tsr_config *config)
{
    return config->value[ROW_WG] / config->value[REDUCE_RT] * config->value[ROW_VW];
}

/* Bytes of workspace each group of a split middle-axis launch needs: its
 * window's totals and (the window's first group's) arrival count
 * (TSR_S_COL_REDUCE in core/ir.h). */
static size_t middle_workspace_per_group(const tsr_config *config)
{
    return ((size_t)middle_window(config) + 1) * 4;
}

/* The reduced rows [CHUNK x part, + CHUNK) of the middle axis's group
 * (part: group id 2), and the join of a window's parts. */
static bool split_middle(tsr_tile_program *p, const tsr_config *config, const tp_param *workspace,
                         tsr_stmt *s)
{
    tp_builder *b = &p->builder;
    int chunk = config->value[REDUCE_CHUNK];
    const tsr_tile *arrival = tsr_ir_tile(p, "arrival", TSR_I32, TSR_SPACE_SHARED, 1, 1, 0, false);
    chunk_window(b, 2, chunk, s->view->rows, &s->begin, &s->end);
    s->workspace = workspace;
    s->scratch = arrival;
    s->part = tp_builtin_ref(b, TP_GROUP_ID, 2);
    s->parts = tp_builtin_ref(b, TP_NUM_GROUPS, 2);
    s->join_index = tp_bin(
        b, TP_ADD,
        tp_bin(b, TP_MUL, tp_builtin_ref(b, TP_GROUP_ID, 1), tp_builtin_ref(b, TP_NUM_GROUPS, 0)),
        tp_builtin_ref(b, TP_GROUP_ID, 0));
    return arrival && !b->failed;
}

/* X's row (group id 1) as a cols x inner view, reduced down its cols into
 * Y's row (rows x inner), a window of inner cols a group (group id 0);
 * with CHUNK, CHUNK of its cols a group (group id 2), which join. */
static tsr_status build_middle(tsr_tile_program *p, const tsr_opspec *spec,
                               const tsr_config *config)
{
    const tp_param *workspace = config->value[REDUCE_CHUNK] ? tsr_ir_add_workspace(p) : NULL;
    if (config->value[REDUCE_CHUNK] && !workspace)
        return TSR_ERR_NOMEM;
    tp_builder *b = &p->builder;
    tsr_view *x = TSR_ARENA_NEW(p->arena, tsr_view), *y = TSR_ARENA_NEW(p->arena, tsr_view);
    int rt = config->value[REDUCE_RT];
    tsr_dtype compute = tsr_dtype_compute(spec->dtype);
    const tsr_tile *partials =
        rt > 1 ? tsr_ir_tile(p, "partials", compute, TSR_SPACE_SHARED, rt,
                             config->value[ROW_WG] / rt * config->value[ROW_VW], 0, false)
               : NULL;
    tsr_stmt *s = tsr_ir_append(p, &p->body, TSR_S_COL_REDUCE);
    if (!x || !y || !s || (rt > 1 && !partials))
        return TSR_ERR_NOMEM;
    tp_expr *cols = tp_param_ref(b, &p->params[ARG_COLS]);
    tp_expr *inner = tp_param_ref(b, &p->params[ARG_INNER]);
    tp_expr *row = tp_builtin_ref(b, TP_GROUP_ID, 1);
    *x = (tsr_view){.buffer = &p->params[ARG_X],
                    .rows = cols,
                    .cols = inner,
                    .row_stride = inner,
                    .col_stride = tp_int(b, 1),
                    .base = tp_mul(b, row, tp_mul(b, cols, inner))};
    *y = (tsr_view){.buffer = &p->params[ARG_Y],
                    .rows = tp_param_ref(b, &p->params[ARG_ROWS]),
                    .cols = inner,
                    .row_stride = inner,
                    .col_stride = tp_int(b, 1)};
    s->view = x;
    s->dst = y;
    s->row = row;
    s->col0 = tp_muli(b, tp_builtin_ref(b, TP_GROUP_ID, 0), middle_window(config));
    s->element = reduce_element(b, spec->reduce_kind, compute);
    s->activation = reduce_finish(p, spec->reduce_kind, tp_placeholder(b, compute));
    s->reduce = spec->reduce_kind == TSR_REDUCE_KIND_MAX ? TSR_REDUCE_MAX : TSR_REDUCE_SUM;
    s->threads = config->value[ROW_WG] / rt;
    s->row_threads = rt;
    s->vector_width = config->value[ROW_VW];
    s->tile = partials;
    if (workspace && !split_middle(p, config, workspace, s))
        return TSR_ERR_NOMEM;
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

static tsr_status reduce_build(tsr_arena *arena, const tsr_opspec *spec, const tsr_profile *profile,
                               const tsr_config *config, tsr_tile_program **out, tsr_error *err)
{
    TSR_TRY(reduce_check(spec, profile, config, err));
    static const char *names[ARG_COUNT] = {"X", "Y", "rows", "cols", "inner"};
    tsr_tile_program *p = tsr_row_program(arena, spec, config, "tsr_reduce", names, 2,
                                          spec->reduce_middle ? 3 : 2, 0, ARG_Y);
    if (p && spec->reduce_middle) {
        if (build_middle(p, spec, config))
            return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building reduce");
        *out = p;
        return TSR_OK;
    }
    bool joined = config->value[REDUCE_CHUNK] != 0;
    const tp_param *workspace = p && joined ? tsr_ir_add_workspace(p) : NULL;
    if (!p || (joined && !workspace))
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building reduce");
    tp_builder *b = &p->builder;
    tsr_reduce_kind kind = spec->reduce_kind;
    tsr_view *x = tsr_row_view(p, ARG_X, ARG_ROWS, ARG_COLS, false);
    tsr_view *y = tsr_row_view(p, ARG_Y, ARG_ROWS, -1, false);
    tp_expr *element = reduce_element(b, kind, tsr_dtype_compute(spec->dtype));
    tsr_reduce_op op = kind == TSR_REDUCE_KIND_MAX ? TSR_REDUCE_MAX : TSR_REDUCE_SUM;
    if (joined) {
        if (!x || !y || build_joined(p, spec, profile, config, workspace, x, y, element, op))
            return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building reduce");
        *out = p;
        return TSR_OK;
    }
    const tp_var *total = tsr_row_reduce(p, x, element, op, "row_total", config, profile);
    tsr_stmt *store = total && y ? tsr_row_stmt(p, TSR_S_ROW_MAP, y,
                                                reduce_finish(p, kind, tp_ref(b, total)), config)
                                 : NULL;
    if (!store || b->failed)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building reduce");
    store->dst = y;
    store->vector_width = 1; /* one element a row: no vector to load */
    *out = p;
    return TSR_OK;
}

/* One group a row, or with CHUNK a group per CHUNK columns of each row
 * along the second axis. */
static void reduce_geometry_rule(const tsr_opspec *spec, const tsr_config *config,
                                 tsr_geometry_rule *rule)
{
    tsr_row_geometry_rule(spec, config, rule);
    if (spec->reduce_middle) {
        /* Windows of inner along the first axis (its local size WG), rows
         * along the second. */
        rule->dims = 2;
        rule->dim[0] = TSR_REDUCE_DIM_INNER;
        rule->per_group[0] = middle_window(config);
        rule->dim[1] = ROW_DIM_ROWS;
        rule->per_group[1] = 1;
        rule->local[1] = 1;
        if (config->value[REDUCE_CHUNK]) {
            /* CHUNK reduced rows a group along the third. */
            rule->dims = 3;
            rule->dim[2] = ROW_DIM_COLS;
            rule->per_group[2] = config->value[REDUCE_CHUNK];
            rule->local[2] = 1;
            rule->workspace_bytes = middle_workspace_per_group(config);
        }
        return;
    }
    int chunk = config->value[REDUCE_CHUNK];
    if (!chunk)
        return;
    rule->dims = 2;
    rule->dim[1] = ROW_DIM_COLS;
    rule->per_group[1] = chunk;
    rule->local[1] = 1;
    rule->workspace_bytes = REDUCE_WORKSPACE_PER_GROUP;
}

/* The inner dim is 1 on the last axis (its shapes give none). */
static size_t inner_of(const tsr_shape *shape)
{
    return (size_t)shape->dim[TSR_REDUCE_DIM_INNER];
}

static size_t reduce_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer)
{
    (void)spec;
    return (buffer == ARG_Y ? (size_t)shape->dim[ROW_DIM_ROWS] : tsr_row_matrix_elems(shape)) *
           inner_of(shape);
}

static int reduce_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
                       tsr_arg *out)
{
    int n = tsr_row_args(shape, buffers, 2, out);
    if (spec->reduce_middle)
        out[n++] = (tsr_arg){.kind = TSR_ARG_INT, .i = (int)inner_of(shape)};
    return n;
}

/* The magnitude is what the result's rounding scales with: the sum of the
 * terms' absolute values (divided like the result for mean); for max and
 * l2 the result itself, since max is exact and l2's terms are all >= 0. */
static void reduce_reference(const tsr_opspec *spec, const tsr_shape *shape,
                             const float *const *buffers, double *out, double *magnitude)
{
    long rows = shape->dim[ROW_DIM_ROWS], cols = shape->dim[ROW_DIM_COLS];
    long inner = (long)inner_of(shape);
    for (long r = 0; r < rows; r++)
        for (long i = 0; i < inner; i++) {
            const float *x = buffers[ARG_X] + r * cols * inner + i;
            double sum = 0.0, abs_sum = 0.0, max = -INFINITY, squares = 0.0;
            for (long c = 0; c < cols; c++) {
                double v = x[c * inner];
                sum += v;
                abs_sum += fabs(v);
                max = fmax(max, v);
                squares += v * v;
            }
            long o = r * inner + i;
            switch (spec->reduce_kind) {
            case TSR_REDUCE_KIND_MAX: out[o] = max, magnitude[o] = fabs(max); break;
            case TSR_REDUCE_KIND_MEAN: out[o] = sum / cols, magnitude[o] = abs_sum / cols; break;
            case TSR_REDUCE_KIND_L2: out[o] = magnitude[o] = sqrt(squares); break;
            default: out[o] = sum, magnitude[o] = abs_sum; break;
            }
        }
}

/* One operation an element (two for l2's square and add). */
static double reduce_flops(const tsr_opspec *spec, const tsr_shape *shape)
{
    double per_element = spec->reduce_kind == TSR_REDUCE_KIND_L2 ? 2.0 : 1.0;
    return per_element * (double)tsr_row_matrix_elems(shape) * (double)inner_of(shape);
}

/* The middle axis: X read once and Y written, whole vectors but for the
 * ragged one of each reduced row, and the runs' one combine. */
static int middle_features(const tsr_opspec *spec, const tsr_profile *profile,
                           const tsr_shape *shape, const tsr_config *config, double *out)
{
    double x = (double)tsr_row_matrix_elems(shape) * (double)inner_of(shape);
    double y = (double)shape->dim[ROW_DIM_ROWS] * (double)inner_of(shape);
    double elem = (double)tsr_dtype_size(spec->dtype), vw = config->value[ROW_VW];
    double rt = config->value[REDUCE_RT], wg = config->value[ROW_WG];
    double window = middle_window(config), inner = (double)inner_of(shape);
    tsr_stream_kernel k = {
        .shared_bytes = rt > 1 ? wg * vw * 4.0 : 0.0,
        .memory_bytes = (x + y) * elem,
        .in_flight_bytes = wg * vw * elem,
        .syncs = rt > 1 ? 1.0 : 0.0,
        /* Threads past inner in the last window idle; a ragged inner
         * falls to single lanes. */
        .coalescing = inner / (ceil(inner / window) * window) * (fmod(inner, vw) == 0 ? 1.0 : 0.5),
    };
    tsr_stream_launch(spec, config, shape, &k.groups, &k.threads);
    return tsr_stream_features(profile, &k, out);
}

/* One pass, one reduction, one value a row. */
static int reduce_features(const tsr_opspec *spec, const tsr_profile *profile,
                           const tsr_shape *shape, const tsr_config *config,
                           const struct tsr_resource_report *resources, double *out)
{
    (void)resources;
    if (spec->reduce_middle)
        return middle_features(spec, profile, shape, config, out);
    return tsr_row_features(spec, profile, shape, config, 1, 1, true, out);
}

static const tsr_buffer_def reduce_buffers[2] = {{"X", true, false}, {"Y", false, true}};

const tsr_op_def tsr_op_reduce = {
    .name = "reduce",
    .summary = "reduction: Y[r] = sum|max|mean|l2 over c of X[r][c] (axis: middle, Y[r][i] of "
               "X[r][c][i])",
    .n_dims = 3,
    .dim_names = {"rows", "cols", "inner"},
    .dim_default = {[TSR_REDUCE_DIM_INNER] = 1},
    .n_params = REDUCE_PARAM_COUNT,
    .params = reduce_params,
    .n_buffers = 2,
    .buffers = reduce_buffers,
    .dtypes = TSR_ROW_DTYPES,
    .check = reduce_check,
    .build = reduce_build,
    .geometry_rule = reduce_geometry_rule,
    .buffer_elems = reduce_buffer_elems,
    .args = reduce_args,
    .reference = reduce_reference,
    .tolerance = tsr_row_tolerance,
    .flops = reduce_flops,
    .output_buffer = ARG_Y,
    .n_features = TSR_STREAM_FEATURE_COUNT,
    .feature_names = tsr_stream_feature_names,
    .features = reduce_features,
};
