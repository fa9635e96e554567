/* Row-wise softmax, numerically stable: Y[r][c] = exp(X[r][c] - max_r) /
 * sum_c exp(X[r][c] - max_r). One work-group per row: two row reductions
 * (max, then the sum of exponentials) and one row map, so three reads of
 * the row; or with ONLINE=1 one reduction of both (each thread rescaling
 * its running sum as its max grows) and the map, two reads. Its tile
 * program shares nothing with GEMM's shape but the IR. */
#include <math.h>

#include "core/ir.h"
#include "core/ops/ops.h"
#include "core/ops/row_ops.h"
#include "core/ops/stream_model.h"

enum { ARG_X, ARG_Y, ARG_ROWS, ARG_COLS, ARG_COUNT };
enum { SOFTMAX_ONLINE = ROW_PARAM_COUNT, SOFTMAX_PARAM_COUNT };

static const tsr_param_def softmax_params[SOFTMAX_PARAM_COUNT] = {
    TSR_ROW_PARAM_DEFS,
    [SOFTMAX_ONLINE] = {"ONLINE",
                        "1: the row's max and sum of exponentials in one pass (two reads of "
                        "the row, not three)",
                        2,
                        {0, 1},
                        0},
};

/* row_max and row_sum of the row of x, by one reduction or two. */
static bool softmax_stats(tsr_tile_program *p, const tsr_view *x, const tsr_config *config,
                          const tsr_profile *profile, const tp_var **row_max,
                          const tp_var **row_sum)
{
    tp_builder *b = &p->builder;
    tsr_dtype dtype = tsr_dtype_compute(x->buffer->dtype);
    tp_expr *xe = tp_placeholder(b, dtype);
    if (config->value[SOFTMAX_ONLINE]) {
        *row_max = tsr_ir_scalar(p, "row_max", dtype);
        *row_sum = tsr_ir_scalar(p, "row_sum", dtype);
        tsr_stmt *s = tsr_row_reduce_stmt(p, x, xe, TSR_REDUCE_MAX_SUMEXP, config, profile);
        if (s) {
            s->result = *row_max;
            s->result_sum = *row_sum;
        }
        return s && *row_max && *row_sum;
    }
    *row_max = tsr_row_reduce(p, x, xe, TSR_REDUCE_MAX, "row_max", config, profile);
    tp_expr *shifted =
        tp_call(b, TP_EXP, 1, tp_bin(b, TP_SUB, xe, tp_ref(b, *row_max)), NULL, NULL);
    *row_sum = tsr_row_reduce(p, x, shifted, TSR_REDUCE_SUM, "row_sum", config, profile);
    return *row_max && *row_sum;
}

static tsr_status softmax_build(tsr_arena *arena, const tsr_opspec *spec,
                                const tsr_profile *profile, const tsr_config *config,
                                tsr_tile_program **out, tsr_error *err)
{
    TSR_TRY(tsr_row_check(spec, profile, config, err));
    static const char *names[ARG_COUNT] = {"X", "Y", "rows", "cols"};
    tsr_tile_program *p =
        tsr_row_program(arena, spec, config, "tsr_softmax", names, 2, 2, 0, ARG_Y);
    if (!p)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building softmax");
    tp_builder *b = &p->builder;
    tsr_view *x = tsr_row_view(p, ARG_X, ARG_ROWS, ARG_COLS, false);
    tsr_view *y = tsr_row_view(p, ARG_Y, ARG_ROWS, ARG_COLS, false);
    const tp_var *row_max = NULL, *row_sum = NULL;
    tsr_stmt *map = NULL;
    if (x && y && softmax_stats(p, x, config, profile, &row_max, &row_sum)) {
        tp_expr *shifted =
            tp_call(b, TP_EXP, 1,
                    tp_bin(b, TP_SUB, tp_placeholder(b, tsr_dtype_compute(spec->dtype)),
                           tp_ref(b, row_max)),
                    NULL, NULL);
        map = tsr_row_stmt(p, TSR_S_ROW_MAP, x, tp_bin(b, TP_DIV, shifted, tp_ref(b, row_sum)),
                           config);
    }
    if (!map || b->failed)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building softmax");
    map->dst = y;
    *out = p;
    return TSR_OK;
}

static size_t softmax_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer)
{
    (void)spec;
    (void)buffer;
    return tsr_row_matrix_elems(shape);
}

static void softmax_reference(const tsr_opspec *spec, const tsr_shape *shape,
                              const float *const *buffers, double *out, double *magnitude)
{
    (void)spec;
    long rows = shape->dim[ROW_DIM_ROWS], cols = shape->dim[ROW_DIM_COLS];
    for (long r = 0; r < rows; r++) {
        const float *x = buffers[ARG_X] + r * cols;
        double max = -INFINITY, sum = 0.0;
        for (long c = 0; c < cols; c++)
            max = fmax(max, x[c]);
        for (long c = 0; c < cols; c++)
            sum += exp((double)x[c] - max);
        for (long c = 0; c < cols; c++) {
            out[r * cols + c] = exp((double)x[c] - max) / sum;
            magnitude[r * cols + c] = fabs(out[r * cols + c]);
        }
    }
}

/* exp and the division cost a few ulp each; the sum of cols positive terms
 * adds rounding that grows like sqrt(cols). Leaving out one term (an error
 * of about 1/cols) stays far outside. */
static double softmax_tolerance(const tsr_opspec *spec, const tsr_shape *shape)
{
    return (16.0 + 4.0 * sqrt((double)shape->dim[ROW_DIM_COLS])) * ldexp(1.0, -23) +
           tsr_dtype_store_rounding(spec->dtype);
}

/* max, subtract, exp, add, divide: counted as five operations an element. */
static double softmax_flops(const tsr_opspec *spec, const tsr_shape *shape)
{
    (void)spec;
    return 5.0 * (double)shape->dim[ROW_DIM_ROWS] * (double)shape->dim[ROW_DIM_COLS];
}

/* Three passes over a row (max, sum of exponentials, the map) and two
 * reductions; the online form makes max and sum one pass, one reduction. */
static int softmax_features(const tsr_opspec *spec, const tsr_profile *profile,
                            const tsr_shape *shape, const tsr_config *config,
                            const struct tsr_resource_report *resources, double *out)
{
    (void)resources;
    bool online = config->value[SOFTMAX_ONLINE] != 0;
    return tsr_row_features(spec, profile, shape, config, online ? 2 : 3, online ? 1 : 2, false,
                            out);
}

static const tsr_buffer_def softmax_buffers[2] = {{"X", true, false}, {"Y", false, true}};

const tsr_op_def tsr_op_softmax = {
    .name = "softmax",
    .summary = "row-wise softmax: Y[r][c] = exp(X[r][c] - max_r) / sum_c exp(X[r][c] - max_r)",
    .n_dims = 2,
    .dim_names = {"rows", "cols"},
    .n_params = SOFTMAX_PARAM_COUNT,
    .params = softmax_params,
    .n_buffers = 2,
    .buffers = softmax_buffers,
    .dtypes = TSR_ROW_DTYPES,
    .check = tsr_row_check,
    .build = softmax_build,
    .geometry_rule = tsr_row_geometry_rule,
    .buffer_elems = softmax_buffer_elems,
    .args = tsr_row_xy_args,
    .reference = softmax_reference,
    .tolerance = softmax_tolerance,
    .flops = softmax_flops,
    .output_buffer = ARG_Y,
    .n_features = TSR_STREAM_FEATURE_COUNT,
    .feature_names = tsr_stream_feature_names,
    .features = softmax_features,
};
