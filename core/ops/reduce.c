/* A reduction along the last axis: Y[r] = kind over c of X[r][c], kind one
 * of sum, max, mean, l2 (sqrt of the sum of squares). One work-group per
 * row: a row reduction, then a row map over a one-column view of Y (its
 * template names no x, so nothing is read) in which the group's first
 * thread stores the finished value. A long row among few leaves most of a
 * GPU idle that way: with CHUNK, each row has a group per CHUNK columns,
 * and the groups of a row join their partial results through a workspace
 * (TSR_S_ROW_JOIN), the last to arrive finishing the row. */
#include <math.h>

#include "core/ops/ops.h"
#include "core/ops/row_ops.h"
#include "core/ops/stream_model.h"

enum { ARG_X, ARG_Y, ARG_ROWS, ARG_COLS, ARG_COUNT };
enum { REDUCE_CHUNK = ROW_PARAM_COUNT, REDUCE_PARAM_COUNT };

static const tsr_param_def reduce_params[REDUCE_PARAM_COUNT] = {
    TSR_ROW_PARAM_DEFS,
    [REDUCE_CHUNK] = {"CHUNK",
                      "columns a work-group reduces; 0: a whole row, one group a row; else a "
                      "row's groups join their results through a workspace",
                      5,
                      {0, 4096, 16384, 65536, 262144},
                      0},
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

static tsr_status reduce_check(const tsr_opspec *spec, const tsr_profile *profile,
                               const tsr_config *config, tsr_error *err)
{
    TSR_TRY(tsr_row_check(spec, profile, config, err));
    int chunk = config->value[REDUCE_CHUNK];
    int per_pass = config->value[ROW_WG] * config->value[ROW_VW];
    if (chunk && chunk < per_pass)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "CHUNK=%d columns are fewer than one pass of %d threads' %d-wide vectors "
                        "(%d): some threads would have nothing to read",
                        chunk, config->value[ROW_WG], config->value[ROW_VW], per_pass);
    return TSR_OK;
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
    tp_expr *begin = tp_muli(b, tp_builtin_ref(b, TP_GROUP_ID, 1), config->value[REDUCE_CHUNK]);
    /* begin + min(cols - begin, CHUNK): no int past cols, however long. */
    reduce->col_begin = begin;
    reduce->col_end = tp_bin(b, TP_ADD, begin,
                             tp_bin(b, TP_MIN, tp_bin(b, TP_SUB, x->cols, begin),
                                    tp_int(b, config->value[REDUCE_CHUNK])));
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

static tsr_status reduce_build(tsr_arena *arena, const tsr_opspec *spec, const tsr_profile *profile,
                               const tsr_config *config, tsr_tile_program **out, tsr_error *err)
{
    TSR_TRY(reduce_check(spec, profile, config, err));
    static const char *names[ARG_COUNT] = {"X", "Y", "rows", "cols"};
    tsr_tile_program *p = tsr_row_program(arena, spec, config, "tsr_reduce", names, 2, 2, 0, ARG_Y);
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
    int chunk = config->value[REDUCE_CHUNK];
    if (!chunk)
        return;
    rule->dims = 2;
    rule->dim[1] = ROW_DIM_COLS;
    rule->per_group[1] = chunk;
    rule->local[1] = 1;
    rule->workspace_bytes = REDUCE_WORKSPACE_PER_GROUP;
}

static size_t reduce_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer)
{
    (void)spec;
    return buffer == ARG_Y ? (size_t)shape->dim[ROW_DIM_ROWS] : tsr_row_matrix_elems(shape);
}

/* The magnitude is what the result's rounding scales with: the sum of the
 * terms' absolute values (divided like the result for mean); for max and
 * l2 the result itself, since max is exact and l2's terms are all >= 0. */
static void reduce_reference(const tsr_opspec *spec, const tsr_shape *shape,
                             const float *const *buffers, double *out, double *magnitude)
{
    long rows = shape->dim[ROW_DIM_ROWS], cols = shape->dim[ROW_DIM_COLS];
    for (long r = 0; r < rows; r++) {
        const float *x = buffers[ARG_X] + r * cols;
        double sum = 0.0, abs_sum = 0.0, max = -INFINITY, squares = 0.0;
        for (long c = 0; c < cols; c++) {
            sum += x[c];
            abs_sum += fabs(x[c]);
            max = fmax(max, x[c]);
            squares += (double)x[c] * x[c];
        }
        switch (spec->reduce_kind) {
        case TSR_REDUCE_KIND_MAX: out[r] = max, magnitude[r] = fabs(max); break;
        case TSR_REDUCE_KIND_MEAN: out[r] = sum / cols, magnitude[r] = abs_sum / cols; break;
        case TSR_REDUCE_KIND_L2: out[r] = magnitude[r] = sqrt(squares); break;
        default: out[r] = sum, magnitude[r] = abs_sum; break;
        }
    }
}

/* One operation an element (two for l2's square and add). */
static double reduce_flops(const tsr_opspec *spec, const tsr_shape *shape)
{
    double per_element = spec->reduce_kind == TSR_REDUCE_KIND_L2 ? 2.0 : 1.0;
    return per_element * (double)tsr_row_matrix_elems(shape);
}

/* One pass, one reduction, one value a row. */
static int reduce_features(const tsr_opspec *spec, const tsr_profile *profile,
                           const tsr_shape *shape, const tsr_config *config,
                           const struct tsr_resource_report *resources, double *out)
{
    (void)resources;
    return tsr_row_features(spec, profile, shape, config, 1, 1, true, out);
}

static const tsr_buffer_def reduce_buffers[2] = {{"X", true, false}, {"Y", false, true}};

const tsr_op_def tsr_op_reduce = {
    .name = "reduce",
    .summary = "row reduction: Y[r] = sum|max|mean|l2 over c of X[r][c]",
    .n_dims = 2,
    .dim_names = {"rows", "cols"},
    .n_params = REDUCE_PARAM_COUNT,
    .params = reduce_params,
    .n_buffers = 2,
    .buffers = reduce_buffers,
    .dtypes = TSR_ROW_DTYPES,
    .check = reduce_check,
    .build = reduce_build,
    .geometry_rule = reduce_geometry_rule,
    .buffer_elems = reduce_buffer_elems,
    .args = tsr_row_xy_args,
    .reference = reduce_reference,
    .tolerance = tsr_row_tolerance,
    .flops = reduce_flops,
    .output_buffer = ARG_Y,
    .n_features = TSR_STREAM_FEATURE_COUNT,
    .feature_names = tsr_stream_feature_names,
    .features = reduce_features,
};
