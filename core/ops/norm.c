/* Row normalisations, one work-group per row, eps a kernel argument:
 *   rmsnorm:   Y[r][c] = X[r][c] / sqrt(mean_c X[r][c]^2 + eps) * gamma[c]
 *   layernorm: Y[r][c] = (X[r][c] - mean_r) / sqrt(var_r + eps) * gamma[c] + beta[c]
 * layernorm's variance (biased) takes a second pass over the row, the sum of
 * squared deviations from the mean, which stays accurate when the mean is
 * large against the spread where E[x^2] - mean^2 would cancel. gamma and
 * beta are per-column vectors the row map reads through operand views. */
#include <math.h>

#include "core/ops/ops.h"
#include "core/ops/row_ops.h"
#include "core/ops/stream_model.h"

enum { RMS_X, RMS_GAMMA, RMS_Y, RMS_ROWS, RMS_COLS, RMS_EPS, RMS_COUNT };
enum { LN_X, LN_GAMMA, LN_BETA, LN_Y, LN_ROWS, LN_COLS, LN_EPS, LN_COUNT };

/* sqrt(sum / cols + eps): what each element of a row is divided by. */
static tp_expr *row_deviation(tsr_tile_program *p, const tp_var *sum, int cols, int eps)
{
    tp_builder *b = &p->builder;
    tp_expr *variance = tp_bin(b, TP_ADD, tsr_row_average(p, tp_ref(b, sum), cols),
                               tp_param_ref(b, &p->params[eps]));
    return tp_call(b, TP_SQRT, 1, variance, NULL, NULL);
}

static tsr_status finish_build(tsr_tile_program *p, tsr_stmt *map, const tsr_view *y,
                               tsr_tile_program **out, tsr_error *err)
{
    if (!map || p->builder.failed)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building %s", p->kernel_name);
    map->dst = y;
    *out = p;
    return TSR_OK;
}

static tsr_status rmsnorm_build(tsr_arena *arena, const tsr_opspec *spec,
                                const tsr_profile *profile, const tsr_config *config,
                                tsr_tile_program **out, tsr_error *err)
{
    TSR_TRY(tsr_row_check(spec, profile, config, err));
    static const char *names[RMS_COUNT] = {"X", "gamma", "Y", "rows", "cols", "eps"};
    tsr_tile_program *p =
        tsr_row_program(arena, spec, config, "tsr_rmsnorm", names, 3, 2, 1, RMS_Y);
    if (!p)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building rmsnorm");
    tp_builder *b = &p->builder;
    tsr_view *x = tsr_row_view(p, RMS_X, RMS_ROWS, RMS_COLS, false);
    tsr_view *y = tsr_row_view(p, RMS_Y, RMS_ROWS, RMS_COLS, false);
    tsr_view *gamma = tsr_row_view(p, RMS_GAMMA, RMS_ROWS, RMS_COLS, true);
    tp_expr *xe = tp_placeholder(b, tsr_dtype_compute(spec->dtype));
    const tp_var *squares = tsr_row_reduce(p, x, tp_bin(b, TP_MUL, xe, xe), TSR_REDUCE_SUM,
                                           "row_squares", config, profile);
    tsr_stmt *map = NULL;
    if (squares && gamma) {
        tp_expr *scaled = tp_bin(b, TP_DIV, xe, row_deviation(p, squares, RMS_COLS, RMS_EPS));
        map = tsr_row_stmt(
            p, TSR_S_ROW_MAP, x,
            tp_bin(b, TP_MUL, scaled, tp_placeholder_slot(b, tsr_dtype_compute(spec->dtype), 1)),
            config);
    }
    if (map)
        map->operands[0] = gamma;
    return finish_build(p, map, y, out, err);
}

static tsr_status layernorm_build(tsr_arena *arena, const tsr_opspec *spec,
                                  const tsr_profile *profile, const tsr_config *config,
                                  tsr_tile_program **out, tsr_error *err)
{
    TSR_TRY(tsr_row_check(spec, profile, config, err));
    static const char *names[LN_COUNT] = {"X", "gamma", "beta", "Y", "rows", "cols", "eps"};
    tsr_tile_program *p =
        tsr_row_program(arena, spec, config, "tsr_layernorm", names, 4, 2, 1, LN_Y);
    if (!p)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building layernorm");
    tp_builder *b = &p->builder;
    tsr_view *x = tsr_row_view(p, LN_X, LN_ROWS, LN_COLS, false);
    tsr_view *y = tsr_row_view(p, LN_Y, LN_ROWS, LN_COLS, false);
    tsr_view *gamma = tsr_row_view(p, LN_GAMMA, LN_ROWS, LN_COLS, true);
    tsr_view *beta = tsr_row_view(p, LN_BETA, LN_ROWS, LN_COLS, true);
    tp_expr *xe = tp_placeholder(b, tsr_dtype_compute(spec->dtype));
    const tp_var *sum = tsr_row_reduce(p, x, xe, TSR_REDUCE_SUM, "row_sum", config, profile);
    tp_expr *deviation =
        sum ? tp_bin(b, TP_SUB, xe, tsr_row_average(p, tp_ref(b, sum), LN_COLS)) : NULL;
    const tp_var *squares = deviation
                                ? tsr_row_reduce(p, x, tp_bin(b, TP_MUL, deviation, deviation),
                                                 TSR_REDUCE_SUM, "row_squares", config, profile)
                                : NULL;
    tsr_stmt *map = NULL;
    if (squares && gamma && beta) {
        tp_expr *normal = tp_bin(b, TP_DIV, deviation, row_deviation(p, squares, LN_COLS, LN_EPS));
        tp_expr *affine = tp_bin(
            b, TP_ADD,
            tp_bin(b, TP_MUL, normal, tp_placeholder_slot(b, tsr_dtype_compute(spec->dtype), 1)),
            tp_placeholder_slot(b, tsr_dtype_compute(spec->dtype), 2));
        map = tsr_row_stmt(p, TSR_S_ROW_MAP, x, affine, config);
    }
    if (map) {
        map->operands[0] = gamma;
        map->operands[1] = beta;
    }
    return finish_build(p, map, y, out, err);
}

/* Every buffer but gamma and beta (one value a column) is rows x cols. */
static size_t rmsnorm_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer)
{
    (void)spec;
    return buffer == RMS_GAMMA ? (size_t)shape->dim[ROW_DIM_COLS] : tsr_row_matrix_elems(shape);
}

static size_t layernorm_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer)
{
    (void)spec;
    return buffer == LN_GAMMA || buffer == LN_BETA ? (size_t)shape->dim[ROW_DIM_COLS]
                                                   : tsr_row_matrix_elems(shape);
}

/* The buffers in order, then rows, cols and eps. */
static int norm_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
                     int n_buffers, tsr_arg *out)
{
    int n = tsr_row_args(shape, buffers, n_buffers, out);
    out[n] = (tsr_arg){.kind = TSR_ARG_FLOAT, .f = (float)spec->eps};
    return n + 1;
}

static int rmsnorm_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
                        tsr_arg *out)
{
    return norm_args(spec, shape, buffers, 3, out);
}

static int layernorm_args(const tsr_opspec *spec, const tsr_shape *shape,
                          tsr_buffer *const *buffers, tsr_arg *out)
{
    return norm_args(spec, shape, buffers, 4, out);
}

/* eps as the kernel sees it: rounded to f32. */
static double kernel_eps(const tsr_opspec *spec)
{
    return (double)(float)spec->eps;
}

/* Each output is a product of a few roundings and the row's scale, whose
 * sum of squares rounds like any sum: its own absolute value is the
 * magnitude. */
static void rmsnorm_reference(const tsr_opspec *spec, const tsr_shape *shape,
                              const float *const *buffers, double *out, double *magnitude)
{
    long rows = shape->dim[ROW_DIM_ROWS], cols = shape->dim[ROW_DIM_COLS];
    const float *gamma = buffers[RMS_GAMMA];
    for (long r = 0; r < rows; r++) {
        const float *x = buffers[RMS_X] + r * cols;
        double squares = 0.0;
        for (long c = 0; c < cols; c++)
            squares += (double)x[c] * x[c];
        double scale = 1.0 / sqrt(squares / (double)cols + kernel_eps(spec));
        for (long c = 0; c < cols; c++) {
            out[r * cols + c] = x[c] * scale * gamma[c];
            magnitude[r * cols + c] = fabs(out[r * cols + c]);
        }
    }
}

/* x - mean loses the mean's rounding, which scales with |x| + |mean|, not
 * with their difference; beta adds its own size. */
static void layernorm_reference(const tsr_opspec *spec, const tsr_shape *shape,
                                const float *const *buffers, double *out, double *magnitude)
{
    long rows = shape->dim[ROW_DIM_ROWS], cols = shape->dim[ROW_DIM_COLS];
    const float *gamma = buffers[LN_GAMMA], *beta = buffers[LN_BETA];
    for (long r = 0; r < rows; r++) {
        const float *x = buffers[LN_X] + r * cols;
        double sum = 0.0, squares = 0.0;
        for (long c = 0; c < cols; c++)
            sum += x[c];
        double mean = sum / (double)cols;
        for (long c = 0; c < cols; c++)
            squares += (x[c] - mean) * (x[c] - mean);
        double scale = 1.0 / sqrt(squares / (double)cols + kernel_eps(spec));
        for (long c = 0; c < cols; c++) {
            long i = r * cols + c;
            out[i] = (x[c] - mean) * scale * gamma[c] + beta[c];
            magnitude[i] = (fabs(x[c]) + fabs(mean)) * scale * fabs(gamma[c]) + fabs(beta[c]);
        }
    }
}

/* Square, add, divide, multiply: four an element; layernorm adds the
 * mean's sum, a subtraction and beta's add. */
static double rmsnorm_flops(const tsr_opspec *spec, const tsr_shape *shape)
{
    (void)spec;
    return 4.0 * (double)tsr_row_matrix_elems(shape);
}

static double layernorm_flops(const tsr_opspec *spec, const tsr_shape *shape)
{
    (void)spec;
    return 7.0 * (double)tsr_row_matrix_elems(shape);
}

/* rmsnorm: the sum of squares, then the map (two passes, one reduction);
 * layernorm: the mean, the squared deviations, the map (three, two). */
static int rmsnorm_features(const tsr_opspec *spec, const tsr_profile *profile,
                            const tsr_shape *shape, const tsr_config *config,
                            const struct tsr_resource_report *resources, double *out)
{
    (void)resources;
    return tsr_row_features(spec, profile, shape, config, 2, 1, false, out);
}

static int layernorm_features(const tsr_opspec *spec, const tsr_profile *profile,
                              const tsr_shape *shape, const tsr_config *config,
                              const struct tsr_resource_report *resources, double *out)
{
    (void)resources;
    return tsr_row_features(spec, profile, shape, config, 3, 2, false, out);
}

static const tsr_buffer_def rmsnorm_buffers[3] = {
    {"X", true, false}, {"gamma", true, false}, {"Y", false, true}};
static const tsr_buffer_def layernorm_buffers[4] = {
    {"X", true, false}, {"gamma", true, false}, {"beta", true, false}, {"Y", false, true}};

const tsr_op_def tsr_op_rmsnorm = {
    .name = "rmsnorm",
    .summary = "RMS norm: Y[r][c] = X[r][c] / sqrt(mean_c X[r][c]^2 + eps) * gamma[c]",
    .n_dims = 2,
    .dim_names = {"rows", "cols"},
    .n_params = ROW_PARAM_COUNT,
    .params = tsr_row_params,
    .n_buffers = 3,
    .buffers = rmsnorm_buffers,
    .dtypes = TSR_ROW_DTYPES,
    .check = tsr_row_check,
    .build = rmsnorm_build,
    .geometry_rule = tsr_row_geometry_rule,
    .buffer_elems = rmsnorm_buffer_elems,
    .args = rmsnorm_args,
    .reference = rmsnorm_reference,
    .tolerance = tsr_row_tolerance,
    .flops = rmsnorm_flops,
    .output_buffer = RMS_Y,
    .n_features = TSR_STREAM_FEATURE_COUNT,
    .feature_names = tsr_stream_feature_names,
    .features = rmsnorm_features,
};

const tsr_op_def tsr_op_layernorm = {
    .name = "layernorm",
    .summary = "layer norm: Y[r][c] = (X[r][c] - mean_r) / sqrt(var_r + eps) * gamma[c] + beta[c]",
    .n_dims = 2,
    .dim_names = {"rows", "cols"},
    .n_params = ROW_PARAM_COUNT,
    .params = tsr_row_params,
    .n_buffers = 4,
    .buffers = layernorm_buffers,
    .dtypes = TSR_ROW_DTYPES,
    .check = tsr_row_check,
    .build = layernorm_build,
    .geometry_rule = tsr_row_geometry_rule,
    .buffer_elems = layernorm_buffer_elems,
    .args = layernorm_args,
    .reference = layernorm_reference,
    .tolerance = tsr_row_tolerance,
    .flops = layernorm_flops,
    .output_buffer = LN_Y,
    .n_features = TSR_STREAM_FEATURE_COUNT,
    .feature_names = tsr_stream_feature_names,
    .features = layernorm_features,
};
