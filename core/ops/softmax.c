/* Row-wise softmax, numerically stable: Y[r][c] = exp(X[r][c] - max_r) /
 * sum_c exp(X[r][c] - max_r). One work-group per row: two row reductions
 * (max, then the sum of exponentials) and one row map. Its tile program
 * shares nothing with GEMM's shape but the IR. */
#include <math.h>

#include "core/ir.h"
#include "core/ops/ops.h"
#include "core/ops/row_ops.h"

enum { ARG_X, ARG_Y, ARG_ROWS, ARG_COLS, ARG_COUNT };

static tsr_stmt *row_stmt(tsr_tile_program *p, tsr_stmt_kind kind, const tsr_view *x, tp_expr *row,
                          tp_expr *element, const tsr_config *config)
{
    tsr_stmt *s = tsr_ir_append(p, &p->body, kind);
    if (s) {
        s->view = x;
        s->row = row;
        s->element = element;
        s->threads = config->value[ROW_WG];
        s->vector_width = config->value[ROW_VW];
    }
    return s;
}

static tsr_status softmax_build(tsr_arena *arena, const tsr_opspec *spec,
                                const tsr_profile *profile, const tsr_config *config,
                                tsr_tile_program **out, tsr_error *err)
{
    TSR_TRY(tsr_row_check(spec, profile, config, err));
    tsr_tile_program *p = tsr_ir_new(arena, "tsr_softmax", ARG_COUNT);
    if (!p)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building softmax");
    tp_builder *b = &p->builder;
    static const char *names[ARG_COUNT] = {"X", "Y", "rows", "cols"};
    for (int i = 0; i < ARG_COUNT; i++) {
        p->params[i].name = names[i];
        p->params[i].kind = i < 2 ? TSR_ARG_BUFFER : TSR_ARG_INT;
        p->params[i].dtype = i < 2 ? spec->dtype : TSR_I32;
        p->params[i].writable = i == ARG_Y;
    }
    p->dims = 1;
    p->local[0] = config->value[ROW_WG];
    tsr_view *x = TSR_ARENA_NEW(arena, tsr_view), *y = TSR_ARENA_NEW(arena, tsr_view);
    if (!x || !y)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building softmax");
    *x = (tsr_view){&p->params[ARG_X],
                    tp_param_ref(b, &p->params[ARG_ROWS]),
                    tp_param_ref(b, &p->params[ARG_COLS]),
                    tp_param_ref(b, &p->params[ARG_COLS]),
                    tp_int(b, 1),
                    NULL};
    *y = *x;
    y->buffer = &p->params[ARG_Y];
    const tsr_tile *partials = tsr_ir_tile(p, "partials", spec->dtype, TSR_SPACE_SHARED,
                                           config->value[ROW_WG], 1, 0, false);
    const tp_var *row_max = tsr_ir_scalar(p, "row_max", spec->dtype);
    const tp_var *row_sum = tsr_ir_scalar(p, "row_sum", spec->dtype);
    tp_expr *row = tp_builtin_ref(b, TP_GROUP_ID, 0);
    tp_expr *x_elem = tp_placeholder(b, spec->dtype);
    tp_expr *shifted =
        tp_call(b, TP_EXP, 1, tp_bin(b, TP_SUB, x_elem, tp_ref(b, row_max)), NULL, NULL);

    tsr_stmt *max = row_stmt(p, TSR_S_ROW_REDUCE, x, row, x_elem, config);
    tsr_stmt *sum = row_stmt(p, TSR_S_ROW_REDUCE, x, row, shifted, config);
    tsr_stmt *map =
        row_stmt(p, TSR_S_ROW_MAP, x, row, tp_bin(b, TP_DIV, shifted, tp_ref(b, row_sum)), config);
    if (!max || !sum || !map || b->failed)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building softmax");
    max->tile = sum->tile = partials;
    max->reduce = TSR_REDUCE_MAX;
    max->result = row_max;
    sum->reduce = TSR_REDUCE_SUM;
    sum->result = row_sum;
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
    (void)spec;
    return (16.0 + 4.0 * sqrt((double)shape->dim[ROW_DIM_COLS])) * ldexp(1.0, -23);
}

/* max, subtract, exp, add, divide: counted as five operations an element. */
static double softmax_flops(const tsr_opspec *spec, const tsr_shape *shape)
{
    (void)spec;
    return 5.0 * (double)shape->dim[ROW_DIM_ROWS] * (double)shape->dim[ROW_DIM_COLS];
}

static const tsr_buffer_def softmax_buffers[2] = {{"X", true, false}, {"Y", false, true}};

const tsr_op_def tsr_op_softmax = {
    .name = "softmax",
    .summary = "row-wise softmax: Y[r][c] = exp(X[r][c] - max_r) / sum_c exp(X[r][c] - max_r)",
    .n_dims = 2,
    .dim_names = {"rows", "cols"},
    .n_params = ROW_PARAM_COUNT,
    .params = tsr_row_params,
    .n_buffers = 2,
    .buffers = softmax_buffers,
    .check = tsr_row_check,
    .build = softmax_build,
    .geometry_rule = tsr_row_geometry_rule,
    .buffer_elems = softmax_buffer_elems,
    .args = tsr_row_xy_args,
    .reference = softmax_reference,
    .tolerance = softmax_tolerance,
    .flops = softmax_flops,
    .output_buffer = ARG_Y,
};
