/* Lowering of COL_REDUCE: a window of a view's cols, each reduced down the
 * rows. A reduction along an axis that is not the innermost reads so (one
 * row of X rows x cols x inner, reduced over cols, is a cols x inner view
 * reduced down its cols): the threads side by side along the view's cols
 * read neighbouring vectors of one row, so every load is a whole run of
 * memory, where a walk along the reduced axis would read one element a
 * row. Runs of such threads along the rows each take every row_threads-th
 * row, so that a narrow window still has enough loads in flight; their
 * partials meet in a shared tile and are combined in a fixed order, so the
 * result does not depend on timing. */
#include "core/lower_internal.h"

/* The thread's partials: `width` private values, one per col it owns. */
typedef struct col_partials {
    const tp_var *acc[LOWER_MAX_LANES];
    int width;
} col_partials;

/* acc := acc combined with value. A max is a select on a comparison, not
 * fmax: the two agree here (a NaN value leaves acc as it was, and acc
 * never is one), and with fmax PoCL 3.1 compiled the f16 kernels of
 * 8-wide vectors into ones that crashed (a segfault in the kernel, on
 * ragged inner dims of a few thousand reduced rows; every other type and
 * width ran). The value is evaluated once, into a const. */
static void combine_into(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, const tp_var *acc,
                         tp_expr *value)
{
    tp_builder *b = ctx->b;
    if (s->reduce != TSR_REDUCE_MAX) {
        tp_assign(b, out, tp_ref(b, acc),
                  lower_reduce_combine(b, s->reduce, tp_ref(b, acc), value));
        return;
    }
    tp_var *e = (tp_var *)lower_temp(ctx, "e", acc->dtype);
    if (!e)
        return;
    e->is_const = true;
    tp_decl(b, out, e, value);
    tp_assign(
        b, out, tp_ref(b, acc),
        tp_select(b, tp_bin(b, TP_LT, tp_ref(b, acc), tp_ref(b, e)), tp_ref(b, e), tp_ref(b, acc)));
}

static void accumulate(lower_ctx *ctx, const tsr_stmt *s, const col_partials *parts, int u,
                       tp_block *out, tp_expr *value)
{
    combine_into(ctx, s, out, parts->acc[u], tp_substitute_slots(ctx->b, s->element, &value, 1));
}

/* Rows run, run + runs, ... of the thread's cols [col, col + width): whole
 * vectors where the window's last col lies inside the view, else col by
 * col under a bounds check (the view's last, ragged vector). */
static tsr_status walk_rows(lower_ctx *ctx, const tsr_stmt *s, const col_partials *parts,
                            tp_expr *col, tp_expr *run, tp_block *out)
{
    tp_builder *b = ctx->b;
    const tsr_view *v = s->view;
    int width = parts->width;
    tp_expr *step = tp_int(b, s->row_threads);
    tp_expr *end = v->rows;
    if (s->begin) {
        run = lower_declare_const(ctx, out, "first", tp_add(b, s->begin, run));
        end = lower_declare_const(ctx, out, "end", s->end);
    }
    tp_stmt *whole = tp_if(b, out, tp_bin(b, TP_LE, tp_addi(b, col, width), v->cols));
    if (!whole)
        return TSR_ERR_NOMEM;
    const tp_var *r = lower_temp(ctx, "r", TSR_I32);
    tp_stmt *loop = tp_for(b, &whole->body, r, run, end, step, 0);
    if (!loop)
        return TSR_ERR_NOMEM;
    tp_expr *at = lower_view_index(ctx, v, tp_ref(b, r), col);
    if (width == 1) {
        accumulate(ctx, s, parts, 0, &loop->body, tp_buf(b, v->buffer, at));
        return b->failed ? TSR_ERR_NOMEM : TSR_OK;
    }
    tp_var *vec = (tp_var *)lower_temp(ctx, "v", tsr_dtype_compute(v->buffer->dtype));
    if (!vec)
        return TSR_ERR_NOMEM;
    vec->width = width;
    vec->is_const = true;
    tp_decl(b, &loop->body, vec, tp_vload(b, v->buffer, at, width));
    for (int u = 0; u < width; u++)
        accumulate(ctx, s, parts, u, &loop->body, tp_lane(b, tp_ref(b, vec), u));
    /* The ragged vector: a thread past the view's cols has nothing to read. */
    tp_stmt *some = tp_if(b, &whole->orelse, tp_bin(b, TP_LT, col, v->cols));
    const tp_var *rr = lower_temp(ctx, "r", TSR_I32);
    tp_stmt *ragged = some ? tp_for(b, &some->body, rr, run, end, step, 0) : NULL;
    if (!ragged)
        return TSR_ERR_NOMEM;
    for (int u = 0; u < width; u++) {
        tp_expr *cu = tp_addi(b, col, u);
        tp_stmt *inside = tp_if(b, &ragged->body, tp_bin(b, TP_LT, cu, v->cols));
        if (!inside)
            return TSR_ERR_NOMEM;
        accumulate(ctx, s, parts, u, &inside->body,
                   tp_buf(b, v->buffer, lower_view_index(ctx, v, tp_ref(b, rr), cu)));
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* Where only the first run goes on: a branch on it, or `out` itself
 * without runs; NULL when out of memory. */
static tp_block *first_run(lower_ctx *ctx, const tsr_stmt *s, tp_expr *run, tp_block *out)
{
    if (s->row_threads == 1)
        return out;
    tp_stmt *first = tp_if(ctx->b, out, tp_bin(ctx->b, TP_EQ, run, tp_int(ctx->b, 0)));
    return first ? &first->body : NULL;
}

/* Every run's partials of the thread's cols into the first run's, behind
 * a barrier, in the runs' order; the first run then holds the totals. */
static tsr_status combine_runs(lower_ctx *ctx, const tsr_stmt *s, const col_partials *parts,
                               tp_expr *slot, tp_expr *run, tp_block *out)
{
    tp_builder *b = ctx->b;
    const lower_tile *scratch = lower_find_tile(ctx, s->tile);
    if (!scratch || !scratch->array || s->tile->rows < s->row_threads ||
        s->tile->cols < s->threads * parts->width)
        return tsr_fail(ctx->err, TSR_ERR_INPUT,
                        "a column reduction over %d runs of %d threads needs a shared tile of "
                        "%d x %d partials",
                        s->row_threads, s->threads, s->row_threads, s->threads * parts->width);
    for (int u = 0; u < parts->width; u++)
        tp_assign(b, out, tp_elem(b, scratch->array, run, tp_addi(b, slot, u)),
                  tp_ref(b, parts->acc[u]));
    tp_barrier(b, out);
    tp_block *first = first_run(ctx, s, run, out);
    const tp_var *j = lower_temp(ctx, "j", TSR_I32);
    tp_stmt *loop =
        first && j ? tp_for(b, first, j, tp_int(b, 1), tp_int(b, s->row_threads), tp_int(b, 1), 0)
                   : NULL;
    if (!loop)
        return TSR_ERR_NOMEM;
    for (int u = 0; u < parts->width; u++)
        combine_into(ctx, s, &loop->body, parts->acc[u],
                     tp_elem(b, scratch->array, tp_ref(b, j), tp_addi(b, slot, u)));
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* The first run's totals stored at (row, col) of dst, where the col
 * exists. */
static tsr_status store_totals(lower_ctx *ctx, const tsr_stmt *s, const col_partials *parts,
                               tp_expr *col, tp_expr *run, tp_block *out)
{
    tp_builder *b = ctx->b;
    out = first_run(ctx, s, run, out);
    if (!out)
        return TSR_ERR_NOMEM;
    for (int u = 0; u < parts->width; u++) {
        tp_expr *cu = tp_addi(b, col, u);
        tp_stmt *inside = tp_if(b, out, tp_bin(b, TP_LT, cu, s->view->cols));
        if (!inside)
            return TSR_ERR_NOMEM;
        tp_expr *total = tp_ref(b, parts->acc[u]);
        tp_assign(b, &inside->body,
                  tp_buf(b, s->dst->buffer, lower_view_index(ctx, s->dst, s->row, cu)),
                  tp_substitute_slots(b, s->activation, &total, 1));
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* The window's groups meet in the workspace (core/ir.h has its layout):
 * the first run of each stores its totals, every thread fences, and past
 * a barrier the group's first thread counts it in (lower_join_arrival).
 * The group that counts last takes every part's totals by atomic
 * exchanges with zero (the device's coherent level; and the workspace is
 * left zero for the next launch), each run every row_threads-th part in
 * order, combines the runs as before and stores; its first thread sets
 * the count back to zero. The order is fixed, so the result does not
 * depend on which group finishes last. */
static tsr_status join_windows(lower_ctx *ctx, const tsr_stmt *s, const col_partials *parts,
                               tp_expr *slot, tp_expr *col, tp_expr *run, tp_block *out)
{
    tp_builder *b = ctx->b;
    const lower_tile *arrival = s->scratch ? lower_find_tile(ctx, s->scratch) : NULL;
    if (!s->part || !s->parts || !s->join_index || !arrival || !arrival->array)
        return tsr_fail(ctx->err, TSR_ERR_INPUT,
                        "a column reduction's join needs its part, parts, window index and a "
                        "shared arrival count");
    long window = (long)s->threads * parts->width, words = window + 1;
    tp_expr *window_first =
        lower_declare_const(ctx, out, "window_first", tp_bin(b, TP_MUL, s->join_index, s->parts));
    tp_expr *own = lower_declare_const(ctx, out, "part_first",
                                       tp_muli(b, tp_bin(b, TP_ADD, window_first, s->part), words));
    tp_block *stores = first_run(ctx, s, run, out);
    if (!stores)
        return TSR_ERR_NOMEM;
    for (int u = 0; u < parts->width; u++)
        tp_assign(b, stores, tp_buf(b, s->workspace, tp_add(b, own, tp_addi(b, slot, u))),
                  lower_bit_cast(b, TP_FLOAT_BITS, tp_ref(b, parts->acc[u]), TSR_I32));
    tp_global_fence(b, out);
    tp_barrier(b, out);
    tp_expr *count = tp_buf(b, s->workspace, tp_addi(b, tp_muli(b, window_first, words), window));
    tp_expr *is_first = tp_bin(b, TP_EQ, tp_ref(b, ctx->tid), tp_int(b, 0));
    tp_stmt *first = tp_if(b, out, is_first);
    tp_block *last =
        first ? lower_join_arrival(ctx, out, &first->body, count, arrival, s->parts) : NULL;
    const tp_var *j = lower_temp(ctx, "j", TSR_I32);
    if (!last || !j)
        return TSR_ERR_NOMEM;
    tsr_dtype dtype = parts->acc[0]->dtype;
    for (int u = 0; u < parts->width; u++)
        tp_assign(b, last, tp_ref(b, parts->acc[u]),
                  tp_float(b, dtype, lower_reduce_identity(s->reduce)));
    tp_stmt *loop = tp_for(b, last, j, run, s->parts, tp_int(b, s->row_threads), 0);
    if (!loop)
        return TSR_ERR_NOMEM;
    for (int u = 0; u < parts->width; u++) {
        tp_expr *word = tp_add(b, tp_muli(b, tp_bin(b, TP_ADD, window_first, tp_ref(b, j)), words),
                               tp_addi(b, slot, u));
        tp_expr *value =
            tp_call(b, TP_ATOMIC_XCHG, 2, tp_buf(b, s->workspace, word), tp_int(b, 0), NULL);
        combine_into(ctx, s, &loop->body, parts->acc[u],
                     lower_bit_cast(b, TP_BITS_FLOAT, value, dtype));
    }
    if (s->row_threads > 1)
        TSR_TRY(combine_runs(ctx, s, parts, slot, run, last));
    TSR_TRY(store_totals(ctx, s, parts, col, run, last));
    tp_stmt *reset = tp_if(b, last, is_first);
    if (!reset)
        return TSR_ERR_NOMEM;
    tp_assign(b, &reset->body, count, tp_int(b, 0));
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

tsr_status lower_col_reduce(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    col_partials parts = {.width = s->vector_width};
    if (!s->dst || !s->element || !s->activation || s->threads < 1 || s->row_threads < 1 ||
        parts.width < 1 || parts.width > LOWER_MAX_LANES || !s->begin != !s->end)
        return tsr_fail(ctx->err, TSR_ERR_INPUT,
                        "a column reduction needs its dst, element, finish, threads, a vector "
                        "width of 1 to %d, and both ends of its rows or neither",
                        LOWER_MAX_LANES);
    tp_stmt *scope = tp_scope(b, out);
    if (!scope)
        return TSR_ERR_NOMEM;
    tp_block *body = &scope->body;
    tp_expr *tid = tp_ref(b, ctx->tid);
    tp_expr *slot = lower_declare_const(
        ctx, body, "slot", tp_muli(b, tp_bin(b, TP_MOD, tid, tp_int(b, s->threads)), parts.width));
    tp_expr *run =
        lower_declare_const(ctx, body, "run", tp_bin(b, TP_DIV, tid, tp_int(b, s->threads)));
    tp_expr *col = lower_declare_const(ctx, body, "col", tp_add(b, s->col0, slot));
    tsr_dtype dtype = tsr_dtype_compute(s->view->buffer->dtype);
    for (int u = 0; u < parts.width; u++) {
        parts.acc[u] = lower_temp(ctx, "acc", dtype);
        tp_decl(b, body, parts.acc[u], tp_float(b, dtype, lower_reduce_identity(s->reduce)));
    }
    TSR_TRY(walk_rows(ctx, s, &parts, col, run, body));
    if (s->row_threads > 1)
        TSR_TRY(combine_runs(ctx, s, &parts, slot, run, body));
    if (s->workspace)
        return join_windows(ctx, s, &parts, slot, col, run, body);
    return store_totals(ctx, s, &parts, col, run, body);
}
