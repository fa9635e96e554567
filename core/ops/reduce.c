/* A reduction along the last axis: Y[r] = kind over c of X[r][c], kind one
 * of sum, max, mean, l2 (sqrt of the sum of squares). One work-group per
 * row: a row reduction, then a row map over a one-column view of Y (its
 * template names no x, so nothing is read) in which the group's first
 * thread stores the finished value. */
#include <math.h>

#include "core/ops/ops.h"
#include "core/ops/row_ops.h"
#include "core/ops/stream_model.h"

enum { ARG_X, ARG_Y, ARG_ROWS, ARG_COLS, ARG_COUNT };

/* What each element adds, and how the row's total becomes the result. */
static tp_expr *reduce_element(tp_builder *b, tsr_reduce_kind kind, tsr_dtype dtype)
{
    tp_expr *x = tp_placeholder(b, dtype);
    return kind == TSR_REDUCE_KIND_L2 ? tp_bin(b, TP_MUL, x, tp_placeholder(b, dtype)) : x;
}

static tp_expr *reduce_finish(tsr_tile_program *p, tsr_reduce_kind kind, const tp_var *total)
{
    tp_builder *b = &p->builder;
    switch (kind) {
    case TSR_REDUCE_KIND_MEAN: return tsr_row_average(p, tp_ref(b, total), ARG_COLS);
    case TSR_REDUCE_KIND_L2: return tp_call(b, TP_SQRT, 1, tp_ref(b, total), NULL, NULL);
    default: return tp_ref(b, total);
    }
}

static tsr_status reduce_build(tsr_arena *arena, const tsr_opspec *spec, const tsr_profile *profile,
                               const tsr_config *config, tsr_tile_program **out, tsr_error *err)
{
    TSR_TRY(tsr_row_check(spec, profile, config, err));
    static const char *names[ARG_COUNT] = {"X", "Y", "rows", "cols"};
    tsr_tile_program *p = tsr_row_program(arena, spec, config, "tsr_reduce", names, 2, 2, 0, ARG_Y);
    if (!p)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building reduce");
    tp_builder *b = &p->builder;
    tsr_reduce_kind kind = spec->reduce_kind;
    tsr_view *x = tsr_row_view(p, ARG_X, ARG_ROWS, ARG_COLS, false);
    tsr_view *y = tsr_row_view(p, ARG_Y, ARG_ROWS, -1, false);
    const tp_var *total =
        tsr_row_reduce(p, x, reduce_element(b, kind, tsr_dtype_compute(spec->dtype)),
                       kind == TSR_REDUCE_KIND_MAX ? TSR_REDUCE_MAX : TSR_REDUCE_SUM, "row_total",
                       config, profile);
    tsr_stmt *store = total && y
                          ? tsr_row_stmt(p, TSR_S_ROW_MAP, y, reduce_finish(p, kind, total), config)
                          : NULL;
    if (!store || b->failed)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building reduce");
    store->dst = y;
    store->vector_width = 1; /* one element a row: no vector to load */
    *out = p;
    return TSR_OK;
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
    .n_params = ROW_PARAM_COUNT,
    .params = tsr_row_params,
    .n_buffers = 2,
    .buffers = reduce_buffers,
    .dtypes = TSR_ROW_DTYPES,
    .check = tsr_row_check,
    .build = reduce_build,
    .geometry_rule = tsr_row_geometry_rule,
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
