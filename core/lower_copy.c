/* Lowering of COPY: the group's threads share the destination window as a
 * flat list of vectors, row by row, so that neighbouring threads write
 * neighbouring vectors and the global writes coalesce whatever the source
 * is. Each vector is read from the source (a shared tile, maybe
 * transposed, or a global view) and written whole where it lies inside
 * the destination, lane by lane under bounds checks at its ragged edge. */
#include "core/lower_internal.h"

/* Where the source's window starts: a view's origin, (0, 0) in a tile. */
typedef struct copy_origin {
    tp_expr *row0, *col0;
} copy_origin;

/* Element (r, c) of the window, read from the source. */
static tp_expr *source_elem(lower_ctx *ctx, const tsr_stmt *s, const copy_origin *src, tp_expr *r,
                            tp_expr *c)
{
    tp_builder *b = ctx->b;
    tp_expr *sr = s->transpose ? c : r, *sc = s->transpose ? r : c;
    if (s->src.tile)
        return lower_shared_elem(ctx, s->src.tile, s->src.stage, sr, sc);
    const tsr_view *v = s->src.view;
    return tp_buf(b, v->buffer,
                  lower_view_index(ctx, v, tp_add(b, src->row0, sr), tp_add(b, src->col0, sc)));
}

/* The `width` elements from (r, c) along a row of the window, into a
 * vector store at the destination's (gr, gc): one vector load when the
 * source holds them side by side in global memory, else lane by lane. */
static void store_vector(lower_ctx *ctx, const tsr_stmt *s, const copy_origin *src, tp_block *out,
                         tp_expr *r, tp_expr *c, tp_expr *target, int width)
{
    tp_builder *b = ctx->b;
    const tsr_view *v = s->src.view;
    if (v && !s->transpose && tp_is_int(v->col_stride, 1)) {
        tp_expr *index = lower_view_index(ctx, v, tp_add(b, src->row0, r), tp_add(b, src->col0, c));
        tp_assign(b, out, target, tp_vload(b, v->buffer, index, width));
        return;
    }
    tp_var *vec = (tp_var *)lower_temp(ctx, "v", tsr_dtype_compute(s->view->buffer->dtype));
    if (!vec)
        return;
    vec->width = width;
    tp_decl(b, out, vec, NULL);
    for (int u = 0; u < width; u++)
        tp_assign(b, out, tp_lane(b, tp_ref(b, vec), u),
                  source_elem(ctx, s, src, r, tp_addi(b, c, u)));
    tp_assign(b, out, target, tp_ref(b, vec));
}

/* One vector of the window, at (r, c) in it and (gr, gc) in the
 * destination, whose row the caller has found inside. */
static tsr_status copy_one(lower_ctx *ctx, const tsr_stmt *s, const copy_origin *src, tp_block *out,
                           tp_expr *r, tp_expr *c, tp_expr *gr, tp_expr *gc)
{
    tp_builder *b = ctx->b;
    const tsr_view *dst = s->view;
    int width = s->vector_width;
    if (width > 1) {
        tp_stmt *whole = tp_if(b, out, tp_bin(b, TP_LE, tp_addi(b, gc, width), dst->cols));
        if (!whole)
            return TSR_ERR_NOMEM;
        tp_expr *target = tp_vload(b, dst->buffer, lower_view_index(ctx, dst, gr, gc), width);
        store_vector(ctx, s, src, &whole->body, r, c, target, width);
        out = &whole->orelse;
    }
    for (int u = 0; u < width; u++) {
        tp_expr *gcu = tp_addi(b, gc, u);
        tp_stmt *inside = tp_if(b, out, tp_bin(b, TP_LT, gcu, dst->cols));
        if (!inside)
            return TSR_ERR_NOMEM;
        tp_assign(b, &inside->body, tp_buf(b, dst->buffer, lower_view_index(ctx, dst, gr, gcu)),
                  source_elem(ctx, s, src, r, tp_addi(b, c, u)));
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* What the statement promises that lowering relies on. */
static tsr_status check_copy(lower_ctx *ctx, const tsr_stmt *s)
{
    int rows = s->copy_rows, cols = s->copy_cols, width = s->vector_width;
    if (rows < 1 || cols < 1 || width < 1 || cols % width)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "copy of %dx%d: vector width %d does not divide its %d cols", rows, cols,
                        width, cols);
    if (width > 1 && !tp_is_int(s->view->col_stride, 1))
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "vector copies need a destination whose cols are contiguous");
    const tsr_tile *t = s->src.tile;
    if (!t)
        return s->src.view ? TSR_OK : tsr_fail(ctx->err, TSR_ERR_INPUT, "copy without a source");
    const lower_tile *lt = lower_find_tile(ctx, t);
    int t_rows = s->transpose ? t->cols : t->rows, t_cols = s->transpose ? t->rows : t->cols;
    if (!lt || !lt->array || t_rows < rows || t_cols < cols)
        return tsr_fail(ctx->err, TSR_ERR_INPUT,
                        "copy of %dx%d from %s, which is not a shared tile that large", rows, cols,
                        t->name);
    return TSR_OK;
}

tsr_status lower_copy(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    TSR_TRY(check_copy(ctx, s));
    tp_builder *b = ctx->b;
    int width = s->vector_width, per_row = s->copy_cols / width;
    int vectors = s->copy_rows * per_row;
    tp_stmt *scope = tp_scope(b, out);
    if (!scope)
        return TSR_ERR_NOMEM;
    tp_expr *row0 = lower_declare_const(ctx, &scope->body, "r0_", s->row0);
    tp_expr *col0 = lower_declare_const(ctx, &scope->body, "c0_", s->col0);
    copy_origin src = {NULL, NULL};
    if (!s->src.tile) {
        src.row0 = lower_declare_const(ctx, &scope->body, "sr0_", s->src.row0);
        src.col0 = lower_declare_const(ctx, &scope->body, "sc0_", s->src.col0);
    }
    tp_expr *ev;
    tp_block *body = lower_share_items(ctx, &scope->body, vectors, &ev);
    if (!body)
        return TSR_ERR_NOMEM;
    tp_expr *r = lower_declare_const(ctx, body, "r", tp_bin(b, TP_DIV, ev, tp_int(b, per_row)));
    tp_expr *c = lower_declare_const(ctx, body, "c",
                                     tp_muli(b, tp_bin(b, TP_MOD, ev, tp_int(b, per_row)), width));
    tp_expr *gr = lower_declare_const(ctx, body, "gr", tp_add(b, row0, r));
    tp_expr *gc = lower_declare_const(ctx, body, "gc", tp_add(b, col0, c));
    tp_stmt *row_ok = tp_if(b, body, tp_bin(b, TP_LT, gr, s->view->rows));
    if (!row_ok)
        return TSR_ERR_NOMEM;
    return copy_one(ctx, s, &src, &row_ok->body, r, c, gr, gc);
}
