/* Cooperative loads: the threads of a group share the elements of a
 * view's window and move them into a shared tile, in vectors along the
 * view's contiguous dim where a whole vector lies inside the view (by
 * asynchronous copies where the statement asks and the tile holds the
 * buffer's own type), lane by lane at ragged edges, zero outside. */
#include "core/lower_internal.h"

tp_expr *lower_vector_inside(lower_ctx *ctx, const tsr_view *v, int inner_dim, tp_expr *gr,
                             tp_expr *gc, int width)
{
    tp_builder *b = ctx->b;
    const tsr_gather *g = v->gather;
    /* A gathered view's neighbours are neighbours in memory only along k
     * with the channel fastest, and then only `width` taps from a
     * multiple of `width` within one pixel's channels: when the channel
     * count is a multiple of it. Elsewhere lane by lane. */
    if (g && (!g->channels_inner || g->k_along_rows != (inner_dim == 0)))
        return tp_int(b, 0);
    tp_expr *outer_ok =
        inner_dim == 1 ? tp_bin(b, TP_LT, gr, v->rows) : tp_bin(b, TP_LT, gc, v->cols);
    tp_expr *inner_ok = tp_bin(b, TP_LE, tp_addi(b, inner_dim == 1 ? gc : gr, width),
                               inner_dim == 1 ? v->cols : v->rows);
    tp_expr *inside = tp_bin(b, TP_AND, outer_ok, inner_ok);
    if (!g)
        return inside;
    tp_expr *in_image = NULL;
    lower_gather_index(ctx, v, gr, gc, &in_image); /* the vector's pixel: its first lane's */
    tp_expr *whole_channels =
        tp_bin(b, TP_EQ, tp_bin(b, TP_MOD, g->channels, tp_int(b, width)), tp_int(b, 0));
    inside = tp_bin(b, TP_AND, whole_channels, inside);
    return in_image ? tp_bin(b, TP_AND, inside, in_image) : inside;
}

tp_expr *lower_guarded_elem(lower_ctx *ctx, const tsr_view *v, tp_expr *gr, tp_expr *gc,
                            tsr_dtype dtype)
{
    tp_builder *b = ctx->b;
    tp_expr *inside =
        tp_bin(b, TP_AND, tp_bin(b, TP_LT, gr, v->rows), tp_bin(b, TP_LT, gc, v->cols));
    tp_expr *in_image = NULL;
    tp_expr *index = v->gather ? lower_gather_index(ctx, v, gr, gc, &in_image)
                               : lower_view_index(ctx, v, gr, gc);
    /* The padding reads as zero; && keeps the load from being made there. */
    if (in_image)
        inside = tp_bin(b, TP_AND, inside, in_image);
    /* Into 16-bit storage the bits go as they are; zero is all zero bits
     * in f16 and bf16 alike. */
    if (dtype == v->buffer->dtype && dtype != tsr_dtype_compute(dtype))
        return tp_select(b, inside, tp_buf_raw(b, v->buffer, index), tp_int(b, 0));
    return tp_select(b, inside, tp_buf(b, v->buffer, index), tp_float(b, dtype, 0.0));
}

tp_expr *lower_global_vector(lower_ctx *ctx, const tsr_view *v, tp_expr *gr, tp_expr *gc, int width,
                             tsr_dtype dtype)
{
    tp_expr *index = lower_view_index(ctx, v, gr, gc);
    if (dtype == v->buffer->dtype && dtype != tsr_dtype_compute(dtype))
        return tp_vload_raw(ctx->b, v->buffer, index, width);
    return tp_vload(ctx->b, v->buffer, index, width);
}

/* Whether every whole vector a load of the plain view `v` moves starts at
 * an address that is a multiple of the vector's size: the buffer's start
 * is one, and so are the view's base, its stride across the contiguous dim
 * and the tile's origin `inner0` along it (the vectors lie a multiple of
 * `width` from that origin). The values are the same for every thread, so
 * the compiler tests them once, not at each copy. */
static tp_expr *vectors_aligned(lower_ctx *ctx, const tsr_view *v, int inner_dim, tp_expr *inner0,
                                int width)
{
    tp_builder *b = ctx->b;
    int bytes = width * tsr_dtype_size(v->buffer->dtype);
    tp_expr *ok = tp_call(b, TP_ALIGNED, 2, tp_param_ref(b, v->buffer), tp_int(b, bytes), NULL);
    if (ok) {
        ok->dtype = TSR_I32;
        ok->width = 1;
    }
    tp_expr *divides[] = {inner_dim == 1 ? v->row_stride : v->col_stride, v->base, inner0};
    for (size_t i = 0; i < sizeof divides / sizeof divides[0]; i++)
        if (divides[i] && !(divides[i]->kind == TP_INT && divides[i]->ival % width == 0))
            ok = tp_bin(
                b, TP_AND, ok,
                tp_bin(b, TP_EQ, tp_bin(b, TP_MOD, divides[i], tp_int(b, width)), tp_int(b, 0)));
    return ok;
}

/* One element of a cooperative load: (gr, gc) guarded, zero outside. */
static void load_scalar(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, tp_expr *r, tp_expr *c,
                        tp_expr *gr, tp_expr *gc)
{
    tp_assign(ctx->b, out, lower_shared_elem(ctx, s->tile, s->stage, r, c),
              lower_guarded_elem(ctx, s->view, gr, gc, s->tile->dtype));
}

/* The threads of the group share the vectors of the tile: vector e goes to
 * thread e % threads, so that neighbouring threads read neighbouring
 * addresses of the contiguous dim. Partial vectors at ragged edges fall back
 * to guarded scalar loads. */
tp_block *lower_share_items(lower_ctx *ctx, tp_block *out, int count, tp_expr **item)
{
    return lower_share_rounds(ctx, out, count, item, NULL);
}

tp_block *lower_share_rounds(lower_ctx *ctx, tp_block *out, int count, tp_expr **item,
                             tp_expr **round)
{
    tp_builder *b = ctx->b;
    int rounds = (count + ctx->threads - 1) / ctx->threads;
    const tp_var *it = lower_temp(ctx, "it", TSR_I32);
    tp_stmt *loop = tp_for(b, out, it, tp_int(b, 0), tp_int(b, rounds), tp_int(b, 1), -1);
    if (!loop)
        return NULL;
    tp_block *body = &loop->body;
    tp_expr *e = tp_add(b, tp_ref(b, ctx->tid), tp_muli(b, tp_ref(b, it), ctx->threads));
    if (count % ctx->threads != 0) {
        tp_stmt *guard = tp_if(b, body, tp_bin(b, TP_LT, e, tp_int(b, count)));
        if (!guard)
            return NULL;
        body = &guard->body;
    }
    if (item)
        *item = lower_declare_const(ctx, body, "e", e);
    if (round)
        *round = tp_ref(b, it);
    return b->failed ? NULL : body;
}

/* The elements of one item of a cooperative load, lane by lane: (r, c) in
 * the tile, (gr, gc) in the view. */
typedef struct load_lanes {
    int width;
    tp_expr *r[LOWER_MAX_LANES], *c[LOWER_MAX_LANES];
    tp_expr *gr[LOWER_MAX_LANES], *gc[LOWER_MAX_LANES];
} load_lanes;

/* One item of a cooperative load into the tile, along the view's
 * contiguous dim `inner_dim`: one vector where it lies wholly inside the
 * view, else lane by lane, zero outside. */
static tsr_status load_item(lower_ctx *ctx, const tsr_stmt *s, tp_block *body, int inner_dim,
                            const load_lanes *lanes, tp_expr *row0, tp_expr *col0)
{
    tp_builder *b = ctx->b;
    const tsr_tile *t = s->tile;
    int width = lanes->width;
    tp_expr *r = lanes->r[0], *c = lanes->c[0], *gr = lanes->gr[0], *gc = lanes->gc[0];
    if (width == 1) {
        load_scalar(ctx, s, body, r, c, gr, gc);
        return b->failed ? TSR_ERR_NOMEM : TSR_OK;
    }
    /* Whole vector inside the view: one vector load; else lane by lane. */
    tp_stmt *branch = tp_if(b, body, lower_vector_inside(ctx, s->view, inner_dim, gr, gc, width));
    if (!branch)
        return TSR_ERR_NOMEM;
    tp_expr *whole = lower_global_vector(ctx, s->view, gr, gc, width, t->dtype);
    /* An asynchronous copy moves the values as stored: only into a tile
     * of the buffer's own type. */
    tp_expr *slot = s->load_mode == TSR_LOAD_ASYNC && t->dtype == s->view->buffer->dtype
                        ? lower_shared_vector_slot(ctx, t, s->stage, r, c, inner_dim, width)
                        : NULL;
    if (slot) {
        /* cp.async needs its source aligned to the copy; a plain view's
         * vectors are all aligned or all not, which one test up front
         * decides (the misaligned fall to the lanes below). A gathered
         * view's addresses follow the image, so each copy tests its own. */
        if (!s->view->gather && whole) {
            branch->cond = tp_bin(
                b, TP_AND, branch->cond,
                vectors_aligned(ctx, s->view, inner_dim, inner_dim == 1 ? col0 : row0, width));
            whole->aligned = true;
        }
        tp_async_copy(b, &branch->body, slot, whole);
    } else {
        tp_var *vec = (tp_var *)lower_temp(ctx, "v", t->dtype);
        if (vec) {
            vec->is_const = true;
            vec->width = width;
        }
        tp_decl(b, &branch->body, vec, whole);
        lower_shared_store(ctx, &branch->body, t, s->stage, r, c, inner_dim, tp_ref(b, vec), width);
    }
    lower_gather_lanes(ctx);
    for (int u = 0; u < width; u++)
        load_scalar(ctx, s, &branch->orelse, lanes->r[u], lanes->c[u], lanes->gr[u], lanes->gc[u]);
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

tsr_status lower_load(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const tsr_tile *t = s->tile;
    int width = s->vector_width;
    int inner_dim = lower_contiguous_dim(s->view);
    int inner = inner_dim == 1 ? t->cols : t->rows;
    int outer = inner_dim == 1 ? t->rows : t->cols;
    if (inner % width != 0)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "load of %s: vector width %d does not divide its contiguous extent %d",
                        t->name, width, inner);
    int per_line = inner / width, vectors = outer * per_line;

    tp_stmt *scope = tp_scope(b, out);
    if (!scope)
        return TSR_ERR_NOMEM;
    tp_expr *row0 = lower_declare_const(ctx, &scope->body, "r0_", s->row0);
    tp_expr *col0 = lower_declare_const(ctx, &scope->body, "c0_", s->col0);
    lower_gather_origin(ctx, &scope->body, s->view, row0, col0);
    /* Where the threads are a whole number of lines, every round starts at
     * the start of a line: a thread's place along its lines and its first
     * line are fixed, computed once, and a round adds whole lines, so that
     * a thread's copies lie constant distances apart. */
    bool whole_lines = ctx->threads % per_line == 0;
    tp_expr *tid = tp_ref(b, ctx->tid), *line0 = NULL, *place = NULL;
    if (whole_lines) {
        line0 = lower_declare_const(ctx, &scope->body, "o",
                                    tp_bin(b, TP_DIV, tid, tp_int(b, per_line)));
        place = lower_declare_const(ctx, &scope->body, "i",
                                    tp_muli(b, tp_bin(b, TP_MOD, tid, tp_int(b, per_line)), width));
    }
    tp_expr *ev = NULL, *round = NULL;
    tp_block *body =
        lower_share_rounds(ctx, &scope->body, vectors, whole_lines ? NULL : &ev, &round);
    if (!body)
        return TSR_ERR_NOMEM;
    tp_expr *o = whole_lines ? tp_add(b, line0, tp_muli(b, round, ctx->threads / per_line))
                             : lower_declare_const(ctx, body, "o",
                                                   tp_bin(b, TP_DIV, ev, tp_int(b, per_line)));
    tp_expr *iv =
        whole_lines
            ? place
            : lower_declare_const(ctx, body, "i",
                                  tp_muli(b, tp_bin(b, TP_MOD, ev, tp_int(b, per_line)), width));
    tp_expr *r = inner_dim == 1 ? o : iv, *c = inner_dim == 1 ? iv : o;
    tp_expr *gr = lower_declare_const(ctx, body, "gr", tp_add(b, row0, r));
    tp_expr *gc = lower_declare_const(ctx, body, "gc", tp_add(b, col0, c));
    if (width > LOWER_MAX_LANES)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED, "load of %s: vector width %d above %d",
                        t->name, width, LOWER_MAX_LANES);
    load_lanes lanes = {.width = width};
    for (int u = 0; u < width; u++) {
        lanes.r[u] = inner_dim == 1 || u == 0 ? r : tp_addi(b, r, u);
        lanes.c[u] = inner_dim == 0 || u == 0 ? c : tp_addi(b, c, u);
        lanes.gr[u] = inner_dim == 1 || u == 0 ? gr : tp_addi(b, gr, u);
        lanes.gc[u] = inner_dim == 0 || u == 0 ? gc : tp_addi(b, gc, u);
    }
    lower_gather_pixels(ctx, body, s->view, width, lanes.gr, lanes.gc, lanes.r, lanes.c);
    tsr_status status = load_item(ctx, s, body, inner_dim, &lanes, row0, col0);
    lower_gather_forget(ctx);
    return status;
}
