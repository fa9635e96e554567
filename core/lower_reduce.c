/* Lowering of row-wise statements: each thread walks the row with a stride
 * of the whole group (neighbouring threads read neighbouring vectors), then
 * the group combines its partials in a shared tile by a halving tree. */
#include <math.h>

#include "core/lower_internal.h"

static tp_expr *combine(tp_builder *b, tsr_reduce_op op, tp_expr *acc, tp_expr *value)
{
    return op == TSR_REDUCE_MAX ? tp_call(b, TP_FMAX, 2, acc, value, NULL)
                                : tp_bin(b, TP_ADD, acc, value);
}

typedef void (*element_fn)(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, tp_expr *col,
                           tp_expr *value, void *state);

/* Calls `visit` for every element of the row this thread owns, with its
 * column and value: whole vectors by vector loads, the ragged tail lane by
 * lane under a bounds check. */
static tsr_status walk_row(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, element_fn visit,
                           void *state)
{
    tp_builder *b = ctx->b;
    const tsr_view *v = s->view;
    int width = s->vector_width;
    const tp_var *c = lower_temp(ctx, "c", TSR_I32);
    tp_stmt *loop = tp_for(b, out, c, tp_muli(b, tp_ref(b, ctx->tid), width), v->cols,
                           tp_int(b, (long)s->threads * width), 0);
    if (!loop)
        return TSR_ERR_NOMEM;
    tp_expr *col = tp_ref(b, c);
    if (width == 1) {
        visit(ctx, s, &loop->body, col, tp_buf(b, v->buffer, lower_view_index(ctx, v, s->row, col)),
              state);
        return b->failed ? TSR_ERR_NOMEM : TSR_OK;
    }
    tp_stmt *whole = tp_if(b, &loop->body, tp_bin(b, TP_LE, tp_addi(b, col, width), v->cols));
    if (!whole)
        return TSR_ERR_NOMEM;
    tp_var *vec = (tp_var *)lower_temp(ctx, "v", v->buffer->dtype);
    if (vec) {
        vec->width = width;
        vec->is_const = true;
    }
    tp_decl(b, &whole->body, vec,
            tp_vload(b, v->buffer, lower_view_index(ctx, v, s->row, col), width));
    for (int u = 0; u < width; u++)
        visit(ctx, s, &whole->body, tp_addi(b, col, u), tp_lane(b, tp_ref(b, vec), u), state);
    for (int u = 0; u < width; u++) {
        tp_expr *cu = tp_addi(b, col, u);
        tp_stmt *inside = tp_if(b, &whole->orelse, tp_bin(b, TP_LT, cu, v->cols));
        if (!inside)
            return TSR_ERR_NOMEM;
        visit(ctx, s, &inside->body, cu, tp_buf(b, v->buffer, lower_view_index(ctx, v, s->row, cu)),
              state);
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* The template applied at `col`: x is `value`, slot k + 1 the element of
 * operand k in the same row and column. */
static tp_expr *apply_element(lower_ctx *ctx, const tsr_stmt *s, tp_expr *col, tp_expr *value)
{
    tp_builder *b = ctx->b;
    tp_expr *values[1 + TSR_ROW_OPERANDS] = {value};
    int n_values = 1;
    for (int k = 0; k < TSR_ROW_OPERANDS && s->operands[k]; k++, n_values++)
        values[1 + k] =
            tp_buf(b, s->operands[k]->buffer, lower_view_index(ctx, s->operands[k], s->row, col));
    return tp_substitute_slots(b, s->element, values, n_values);
}

static void accumulate_partial(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, tp_expr *col,
                               tp_expr *value, void *state)
{
    tp_builder *b = ctx->b;
    tp_expr *part = tp_ref(b, (const tp_var *)state);
    tp_assign(b, out, part, combine(b, s->reduce, part, apply_element(ctx, s, col, value)));
}

tsr_status lower_row_reduce(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const lower_tile *scratch = lower_find_tile(ctx, s->tile);
    if (!scratch || !scratch->array || s->tile->rows < s->threads)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "row reduction needs a shared tile of %d partials",
                        s->threads);
    if (s->threads & (s->threads - 1))
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "row reduction over %d threads: the tree needs a power of two", s->threads);
    tp_stmt *scope = tp_scope(b, out);
    if (!scope)
        return TSR_ERR_NOMEM;
    tp_block *body = &scope->body;
    double identity = s->reduce == TSR_REDUCE_MAX ? -INFINITY : 0.0;
    const tp_var *part = lower_temp(ctx, "part", s->result->dtype);
    tp_decl(b, body, part, tp_float(b, s->result->dtype, identity));
    TSR_TRY(walk_row(ctx, s, body, accumulate_partial, (void *)part));

    tp_expr *mine = tp_elem(b, scratch->array, tp_ref(b, ctx->tid), tp_int(b, 0));
    tp_assign(b, body, mine, tp_ref(b, part));
    tp_barrier(b, body);
    for (int half = s->threads / 2; half > 0; half /= 2) {
        tp_stmt *active = tp_if(b, body, tp_bin(b, TP_LT, tp_ref(b, ctx->tid), tp_int(b, half)));
        if (!active)
            return TSR_ERR_NOMEM;
        tp_expr *other =
            tp_elem(b, scratch->array, tp_addi(b, tp_ref(b, ctx->tid), half), tp_int(b, 0));
        tp_assign(b, &active->body, mine, combine(b, s->reduce, mine, other));
        tp_barrier(b, body);
    }
    tp_assign(b, body, tp_ref(b, s->result),
              tp_elem(b, scratch->array, tp_int(b, 0), tp_int(b, 0)));
    /* Nobody may overwrite the partials before every thread has read the total. */
    tp_barrier(b, body);
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

static void store_mapped(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, tp_expr *col,
                         tp_expr *value, void *state)
{
    (void)state;
    tp_builder *b = ctx->b;
    tp_assign(b, out, tp_buf(b, s->dst->buffer, lower_view_index(ctx, s->dst, s->row, col)),
              apply_element(ctx, s, col, value));
}

tsr_status lower_row_map(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    return walk_row(ctx, s, out, store_mapped, NULL);
}
