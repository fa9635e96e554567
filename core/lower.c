#include "core/lower.h"

#include <stdio.h>

#include "core/lower_internal.h"

const lower_tile *lower_find_tile(const lower_ctx *ctx, const tsr_tile *tile)
{
    for (int i = 0; i < ctx->n_tiles; i++)
        if (ctx->tiles[i].tile == tile)
            return &ctx->tiles[i];
    return NULL;
}

const tp_var *lower_temp(lower_ctx *ctx, const char *prefix, tsr_dtype dtype)
{
    char name[64];
    snprintf(name, sizeof name, "%s%d", prefix, ctx->serial++);
    return tp_new_var(ctx->b, name, dtype, TP_PRIVATE, 0, 0, 0);
}

tp_expr *lower_view_index(lower_ctx *ctx, const tsr_view *view, tp_expr *r, tp_expr *c)
{
    tp_expr *in_image;
    if (view->gather)
        return lower_gather_index(ctx, view, r, c, &in_image);
    tp_expr *index =
        tp_add(ctx->b, tp_mul(ctx->b, r, view->row_stride), tp_mul(ctx->b, c, view->col_stride));
    return view->base ? tp_add(ctx->b, view->base, index) : index;
}

tp_expr *lower_bit_cast(tp_builder *b, tp_func func, tp_expr *value, tsr_dtype dtype)
{
    tp_expr *e = tp_call(b, func, 1, value, NULL, NULL);
    if (e)
        e->dtype = dtype;
    return e;
}

tp_block *lower_join_arrival(lower_ctx *ctx, tp_block *out, tp_block *first, tp_expr *count,
                             const lower_tile *arrival, tp_expr *parts)
{
    tp_builder *b = ctx->b;
    tp_expr *arrived = tp_elem(b, arrival->array, tp_int(b, 0), tp_int(b, 0));
    tp_assign(b, first, arrived, tp_call(b, TP_ATOMIC_ADD, 2, count, tp_int(b, 1), NULL));
    tp_barrier(b, out);
    /* The same for every thread of the group: the barriers after it are met. */
    tp_stmt *last =
        tp_if(b, out, tp_bin(b, TP_EQ, arrived, tp_bin(b, TP_SUB, parts, tp_int(b, 1))));
    if (!last)
        return NULL;
    tp_global_fence(b, &last->body);
    return &last->body;
}

tp_expr *lower_declare_const(lower_ctx *ctx, tp_block *out, const char *prefix, tp_expr *value)
{
    if (value && value->kind == TP_INT)
        return value; /* constants need no variable */
    tp_var *v = (tp_var *)lower_temp(ctx, prefix, TSR_I32);
    if (v)
        v->is_const = true;
    tp_decl(ctx->b, out, v, value);
    return tp_ref(ctx->b, v);
}

/* The values in one 128-byte row of the swizzle (tsr_tile.swizzled), 64
 * of 16 bits or 32 of f32, and in one of its 16-byte chunks, 8 or 4. */
static int swizzle_row_values(const tsr_tile *t)
{
    return 128 / (int)tsr_dtype_size(t->dtype);
}

static int swizzle_chunk_values(const tsr_tile *t)
{
    return 16 / (int)tsr_dtype_size(t->dtype);
}

/* The stored rows of one stage of a shared tile's array: its outer
 * extent; swizzled, that many for each 128-byte column of its inner one. */
static int stage_rows(const tsr_tile *t)
{
    int outer = t->transposed ? t->cols : t->rows, inner = t->transposed ? t->rows : t->cols;
    return t->swizzled ? inner / swizzle_row_values(t) * outer : outer;
}

/* The first array index of a shared tile's element whose first stored
 * index is `first`, at `stage` (NULL: the first): the stages are stored
 * one after another along the first index. */
static tp_expr *staged_index(lower_ctx *ctx, const tsr_tile *tile, tp_expr *stage, tp_expr *first)
{
    if (!stage || tp_is_int(stage, 0))
        return first;
    return tp_add(ctx->b, tp_muli(ctx->b, stage, stage_rows(tile)), first);
}

/* The values of a stored row of a shared tile's array: the tile's row and
 * its padding; swizzled, 128 bytes of them (see tsr_tile.swizzled). */
static int stored_row_elems(const tsr_tile *t)
{
    return t->swizzled ? swizzle_row_values(t) : (t->transposed ? t->rows : t->cols) + t->pad;
}

/* x / m where e is x * k or a sum of such terms with k a multiple of m,
 * or an integer multiple of m; else NULL. */
static tp_expr *quotient(tp_builder *b, tp_expr *e, int m)
{
    if (e->kind == TP_INT)
        return e->ival % m == 0 ? tp_int(b, e->ival / m) : NULL;
    if (e->kind != TP_BINARY || (e->op != TP_MUL && e->op != TP_ADD))
        return NULL;
    if (e->op == TP_MUL) {
        for (int side = 0; side < 2; side++) {
            const tp_expr *k = e->args[side];
            if (k->kind == TP_INT && k->ival % m == 0)
                return tp_muli(b, e->args[1 - side], k->ival / m);
        }
        return NULL;
    }
    tp_expr *x = quotient(b, e->args[0], m), *y = x ? quotient(b, e->args[1], m) : NULL;
    return y ? tp_add(b, x, y) : NULL;
}

/* A tile coordinate's e / m and e % m. Coordinates are sums of terms that
 * are never negative, so whole multiples of m split off: a load's rounds
 * and a step's offsets then stay constant distances from the thread's
 * first element, which the compiler keeps in one register. */
static tp_expr *coordinate_div(tp_builder *b, tp_expr *e, int m)
{
    tp_expr *q = quotient(b, e, m);
    if (q)
        return q;
    if (e->kind == TP_BINARY && e->op == TP_ADD) {
        for (int side = 0; side < 2; side++)
            if ((q = quotient(b, e->args[side], m)) != NULL)
                return tp_add(b, coordinate_div(b, e->args[1 - side], m), q);
    }
    return tp_bin(b, TP_DIV, e, tp_int(b, m));
}

static tp_expr *coordinate_mod(tp_builder *b, tp_expr *e, int m)
{
    if (quotient(b, e, m))
        return tp_int(b, 0);
    if (e->kind == TP_BINARY && e->op == TP_ADD) {
        for (int side = 0; side < 2; side++)
            if (quotient(b, e->args[side], m))
                return coordinate_mod(b, e->args[1 - side], m);
    }
    return tp_bin(b, TP_MOD, e, tp_int(b, m));
}

/* The array indices of the tile's stored element (first, second) at a
 * stage; swizzled, (its 128-byte column's rows + first, its 16-byte chunk
 * permuted by the row + its place in the chunk). */
static void stored_indices(lower_ctx *ctx, const tsr_tile *tile, tp_expr *stage, tp_expr *first,
                           tp_expr *second, tp_expr **i0, tp_expr **i1)
{
    tp_builder *b = ctx->b;
    if (!tile->swizzled) {
        *i0 = staged_index(ctx, tile, stage, first);
        *i1 = second;
        return;
    }
    int outer = tile->transposed ? tile->cols : tile->rows;
    int width = swizzle_row_values(tile), chunk_values = swizzle_chunk_values(tile);
    tp_expr *column = tp_muli(b, coordinate_div(b, second, width), outer);
    *i0 = staged_index(ctx, tile, stage, tp_add(b, column, first));
    tp_expr *chunk = coordinate_div(b, coordinate_mod(b, second, width), chunk_values);
    tp_expr *row = coordinate_mod(b, first, 8);
    tp_expr *permuted = tp_is_int(row, 0) ? chunk : tp_bin(b, TP_XOR, chunk, row);
    *i1 = tp_add(b, tp_muli(b, permuted, chunk_values), coordinate_mod(b, second, chunk_values));
}

/* Element (r, c) of a shared tile at a stage, minding its stored layout. */
tp_expr *lower_shared_elem(lower_ctx *ctx, const tsr_tile *tile, tp_expr *stage, tp_expr *r,
                           tp_expr *c)
{
    const lower_tile *lt = lower_find_tile(ctx, tile);
    if (!lt)
        return NULL;
    tp_expr *i0, *i1;
    stored_indices(ctx, tile, stage, tile->transposed ? c : r, tile->transposed ? r : c, &i0, &i1);
    return tp_elem(ctx->b, lt->array, i0, i1);
}

static bool is_unit(const tp_expr *e)
{
    return tp_is_int(e, 1);
}

/* Which of the view's dims is contiguous in memory: 1 for cols, 0 for rows. */
int lower_contiguous_dim(const tsr_view *view)
{
    return is_unit(view->col_stride) ? 1 : 0;
}

/* Row of element i, or first col of chunk i, of this thread's register
 * tile in the group tile (lanes is 1 for rows). */
static tp_expr *owned_index(lower_ctx *ctx, const tp_var *thread, int i, int per_thread,
                            int threads, bool strided, int lanes)
{
    tp_builder *b = ctx->b;
    if (strided)
        return tp_muli(b, tp_addi(b, tp_ref(b, thread), (long)i * threads), lanes);
    return tp_addi(b, tp_muli(b, tp_ref(b, thread), per_thread), (long)i * lanes);
}

tp_expr *lower_tile_row(lower_ctx *ctx, const tsr_thread_map *map, const tsr_tile *tile, int i)
{
    if (map->warpgroups)
        return lower_warpgroup_row(ctx, tile, i);
    if (map->fragments)
        return lower_fragment_row(ctx, tile, i);
    if (map->waves)
        return lower_wave_row(ctx, map->waves, tile, i);
    return owned_index(ctx, ctx->ty, i, tile->rows, map->threads_rows, map->strided_rows, 1);
}

tp_expr *lower_tile_col(lower_ctx *ctx, const tsr_thread_map *map, const tsr_tile *tile, int chunk)
{
    if (map->warpgroups)
        return lower_warpgroup_col(ctx, tile, chunk);
    if (map->fragments)
        return lower_fragment_col(ctx, tile, chunk);
    if (map->waves)
        return lower_wave_col(ctx, map->waves, tile, chunk);
    return owned_index(ctx, ctx->tx, chunk, tile->cols, map->threads_cols, map->strided_cols,
                       tile->lanes > 0 ? tile->lanes : 1);
}

/* An MMA operand's element (r, c): a shared tile, or the global view with
 * both indices clamped into the view. Rows and cols past the edge compute
 * values that the store's bounds check discards; a k past the edge reads a
 * finite value that meets a zero from the other, zero-filled operand (the
 * op guarantees one operand is staged, or that k stays in range). */
static tp_expr *operand_elem(lower_ctx *ctx, const tsr_operand *o, tp_expr *r, tp_expr *c,
                             bool clamp_rows, bool clamp_cols)
{
    tp_builder *b = ctx->b;
    if (o->tile)
        return lower_shared_elem(ctx, o->tile, o->stage, r, c);
    tp_expr *gr = tp_add(b, o->row0, r), *gc = tp_add(b, o->col0, c);
    if (clamp_rows)
        gr = tp_bin(b, TP_MIN, gr, tp_addi(b, o->view->rows, -1));
    if (clamp_cols)
        gc = tp_bin(b, TP_MIN, gc, tp_addi(b, o->view->cols, -1));
    return tp_buf(b, o->view->buffer, lower_view_index(ctx, o->view, gr, gc));
}

/* A vector of `lanes` values along a stored row of a shared tile, starting
 * at a multiple of `lanes`, is aligned when every stored row is a whole
 * number of such vectors (the array itself starts aligned); swizzled, when
 * it stays within a 16-byte chunk. */
static bool row_vectors_aligned(const tsr_tile *t, int lanes)
{
    if (t->swizzled)
        return lanes <= swizzle_chunk_values(t) && swizzle_chunk_values(t) % lanes == 0;
    return (lanes == 2 || lanes % 4 == 0) && stored_row_elems(t) % lanes == 0;
}

/* `lanes` values along stored row `first` of a shared operand from index
 * `second` (a multiple of lanes), marked aligned when it is. */
static tp_expr *shared_vector(lower_ctx *ctx, const tsr_operand *o, tp_expr *first, tp_expr *second,
                              int lanes)
{
    const lower_tile *lt = lower_find_tile(ctx, o->tile);
    if (!lt)
        return NULL;
    tp_expr *i0, *i1;
    stored_indices(ctx, o->tile, o->stage, first, second, &i0, &i1);
    tp_expr *v = tp_vload_array(ctx->b, lt->array, i0, i1, lanes);
    if (v && lanes > 1)
        v->aligned = row_vectors_aligned(o->tile, lanes);
    return v;
}

tp_expr *lower_shared_vector_slot(lower_ctx *ctx, const tsr_tile *tile, tp_expr *stage, tp_expr *r,
                                  tp_expr *c, int inner_dim, int width)
{
    const lower_tile *lt = lower_find_tile(ctx, tile);
    bool along_row = (inner_dim == 1) != tile->transposed;
    if (!lt || width == 1 || !along_row || !row_vectors_aligned(tile, width))
        return NULL;
    tp_expr *i0, *i1;
    stored_indices(ctx, tile, stage, tile->transposed ? c : r, tile->transposed ? r : c, &i0, &i1);
    tp_expr *slot = tp_vload_array(ctx->b, lt->array, i0, i1, width);
    if (slot)
        slot->aligned = true;
    return slot;
}

void lower_shared_store(lower_ctx *ctx, tp_block *out, const tsr_tile *tile, tp_expr *stage,
                        tp_expr *r, tp_expr *c, int inner_dim, tp_expr *vector, int width)
{
    tp_builder *b = ctx->b;
    tp_expr *slot = lower_shared_vector_slot(ctx, tile, stage, r, c, inner_dim, width);
    if (slot) {
        tp_assign(b, out, slot, vector);
        return;
    }
    for (int u = 0; u < width; u++) {
        tp_expr *ru = inner_dim == 1 ? r : tp_addi(b, r, u);
        tp_expr *cu = inner_dim == 1 ? tp_addi(b, c, u) : c;
        tp_assign(b, out, lower_shared_elem(ctx, tile, stage, ru, cu),
                  width == 1 ? vector : tp_lane(b, vector, u));
    }
}

/* `lanes` adjacent cols (c .. c + lanes - 1) of row r of an operand, into
 * the vector variable `dst`: one vector load from a shared tile stored row
 * by row, or from a global view whose cols are contiguous when the whole
 * chunk lies inside it; lane by lane (clamped like operand_elem) at the
 * ragged edge and for other layouts. */
static tsr_status emit_chunk(lower_ctx *ctx, const tsr_operand *o, tp_expr *r, tp_expr *c,
                             int lanes, bool clamp_rows, const tp_var *dst, tp_block *out)
{
    tp_builder *b = ctx->b;
    if (o->tile) {
        if (o->tile->transposed)
            return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                            "vector register tiles need their shared operand stored row by row");
        tp_decl(b, out, dst, shared_vector(ctx, o, r, c, lanes));
        return b->failed ? TSR_ERR_NOMEM : TSR_OK;
    }
    tp_decl(b, out, dst, NULL);
    tp_block *lanewise = out;
    if (tp_is_int(o->view->col_stride, 1)) {
        tp_expr *gc = tp_add(b, o->col0, c);
        tp_stmt *whole = tp_if(b, out, tp_bin(b, TP_LE, tp_addi(b, gc, lanes), o->view->cols));
        if (!whole)
            return TSR_ERR_NOMEM;
        tp_expr *gr = tp_add(b, o->row0, r);
        if (clamp_rows)
            gr = tp_bin(b, TP_MIN, gr, tp_addi(b, o->view->rows, -1));
        tp_assign(b, &whole->body, tp_ref(b, dst),
                  tp_vload(b, o->view->buffer, lower_view_index(ctx, o->view, gr, gc), lanes));
        lanewise = &whole->orelse;
    }
    for (int u = 0; u < lanes; u++)
        tp_assign(b, lanewise, tp_lane(b, tp_ref(b, dst), u),
                  operand_elem(ctx, o, r, tp_addi(b, c, u), clamp_rows, true));
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

static tsr_status lower_mma(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    if (s->unit == TSR_UNIT_WGMMA_M64NK16 || s->unit == TSR_UNIT_WGMMA_M64NK8_TF32)
        return lower_wgmma(ctx, s, out);
    if (s->unit == TSR_UNIT_MFMA_16X16X16 || s->unit == TSR_UNIT_WMMA_16X16X16 ||
        s->unit == TSR_UNIT_DPAS)
        return lower_wave_mma(ctx, s, out);
    if (s->unit != TSR_UNIT_FMA)
        return lower_mma_sync(ctx, s, out);
    tp_builder *b = ctx->b;
    const lower_tile *acc = lower_find_tile(ctx, s->tile);
    if (!acc)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "mma into an undeclared tile");
    int tm = s->tile->rows, lanes = s->tile->lanes, chunks = s->tile->cols / lanes;
    if (tm > 64 || chunks > 64)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED, "register tile %s is too large",
                        s->tile->name);
    const tp_var *kk = lower_temp(ctx, "kk", TSR_I32);
    tp_stmt *loop =
        tp_for(b, out, kk, tp_int(b, 0), tp_int(b, s->k_count), tp_int(b, 1), s->k_unroll);
    if (!loop)
        return TSR_ERR_NOMEM;
    tp_expr *a_val[64], *b_val[64];
    /* A's tile stored k-major holds a thread's contiguous rows of one k
     * side by side: one vector load for them all. */
    bool a_vector = s->a.tile && s->a.tile->transposed && !s->map.strided_rows &&
                    (tm == 2 || tm == 4 || tm == 8);
    if (a_vector) {
        tp_var *v = (tp_var *)lower_temp(ctx, "a", s->tile->dtype);
        if (!v)
            return TSR_ERR_NOMEM;
        v->width = tm;
        tp_expr *r0 = owned_index(ctx, ctx->ty, 0, tm, s->map.threads_rows, false, 1);
        tp_decl(b, &loop->body, v, shared_vector(ctx, &s->a, tp_ref(b, kk), r0, tm));
        for (int i = 0; i < tm; i++)
            a_val[i] = tp_splat(b, tp_lane(b, tp_ref(b, v), i), lanes);
    }
    for (int i = 0; i < tm && !a_vector; i++) {
        tp_expr *r = owned_index(ctx, ctx->ty, i, tm, s->map.threads_rows, s->map.strided_rows, 1);
        const tp_var *v = lower_temp(ctx, "a", s->tile->dtype);
        tp_decl(b, &loop->body, v, operand_elem(ctx, &s->a, r, tp_ref(b, kk), true, !s->k_inside));
        a_val[i] = tp_splat(b, tp_ref(b, v), lanes);
    }
    for (int j = 0; j < chunks; j++) {
        tp_expr *c = owned_index(ctx, ctx->tx, j, s->tile->cols, s->map.threads_cols,
                                 s->map.strided_cols, lanes);
        tp_var *v = (tp_var *)lower_temp(ctx, "b", s->tile->dtype);
        if (!v)
            return TSR_ERR_NOMEM;
        v->width = lanes;
        if (lanes == 1)
            tp_decl(b, &loop->body, v,
                    operand_elem(ctx, &s->b, tp_ref(b, kk), c, !s->k_inside, true));
        else
            TSR_TRY(emit_chunk(ctx, &s->b, tp_ref(b, kk), c, lanes, !s->k_inside, v, &loop->body));
        b_val[j] = tp_ref(b, v);
    }
    for (int i = 0; i < tm; i++)
        for (int j = 0; j < chunks; j++) {
            tp_expr *accv = tp_ref(b, acc->scalars[i * chunks + j]);
            tp_assign(b, &loop->body, accv, tp_call(b, TP_FMA, 3, a_val[i], b_val[j], accv));
        }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* `lanes` adjacent elements of an epilogue input at (gr, gc): one vector
 * when its cols are contiguous, one value repeated when the view
 * broadcasts it along the cols (a bias per row). The caller has checked
 * that the chunk lies inside the stored view, which has the same extent. */
static tp_expr *input_chunk(lower_ctx *ctx, const tsr_view *v, tp_expr *gr, tp_expr *gc, int lanes)
{
    tp_builder *b = ctx->b;
    tp_expr *index = lower_view_index(ctx, v, gr, gc);
    if (lanes == 1)
        return tp_buf(b, v->buffer, index);
    if (tp_is_int(v->col_stride, 0))
        return tp_splat(b, tp_buf(b, v->buffer, index), lanes);
    if (tp_is_int(v->col_stride, 1))
        return tp_vload(b, v->buffer, index, lanes);
    tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
             "vector epilogue inputs need contiguous or broadcast cols");
    return NULL;
}

/* target := the epilogue of one element or one vector at (gr, gc):
 * act([alpha *] acc [+ beta * old] [+ bias]) [+ residual]. The activation
 * reads its input several times, so the input is a variable; on a vector
 * it applies lane by lane, which every dialect spells with scalar math. */
static tsr_status emit_epilogue(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, tp_expr *target,
                                tp_expr *acc, tp_expr *old, tp_expr *gr, tp_expr *gc, int lanes)
{
    tp_builder *b = ctx->b;
    tp_expr *value =
        s->alpha ? tp_bin(b, TP_MUL, tp_splat(b, tp_param_ref(b, s->alpha), lanes), acc) : acc;
    if (s->beta)
        value = tp_call(b, TP_FMA, 3, tp_splat(b, tp_param_ref(b, s->beta), lanes), old, value);
    if (s->bias)
        value = tp_bin(b, TP_ADD, value, input_chunk(ctx, s->bias, gr, gc, lanes));
    if (s->activation) {
        tp_var *x = (tp_var *)lower_temp(ctx, "z", s->tile->dtype);
        if (!x)
            return TSR_ERR_NOMEM;
        x->width = lanes;
        tp_decl(b, out, x, value);
        value = tp_ref(b, x);
        if (lanes == 1)
            value = tp_substitute(b, s->activation, value);
        for (int u = 0; u < lanes && lanes > 1; u++) {
            tp_expr *lane = tp_lane(b, tp_ref(b, x), u);
            tp_assign(b, out, lane, tp_substitute(b, s->activation, lane));
        }
    }
    if (s->residual)
        value = tp_bin(b, TP_ADD, value, input_chunk(ctx, s->residual, gr, gc, lanes));
    if (!value)
        return b->failed ? TSR_ERR_NOMEM : TSR_ERR_UNSUPPORTED;
    tp_assign(b, out, target, value);
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* One chunk of a row of the result: a vector store when it lies wholly
 * inside the view, lane by lane under bounds checks at the ragged edge. */
/* Stores one chunk of a row through the epilogue; a scalar's old value
 * (beta) is `old` where the caller read it ahead, else read in place. */
static tsr_status store_chunk(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, tp_expr *gr,
                              tp_expr *gc, tp_expr *acc, int lanes, tp_expr *old)
{
    tp_builder *b = ctx->b;
    const tp_param *buffer = s->view->buffer;
    if (lanes == 1) {
        tp_stmt *col_ok = tp_if(b, out, tp_bin(b, TP_LT, gc, s->view->cols));
        if (!col_ok)
            return TSR_ERR_NOMEM;
        tp_expr *index = lower_view_index(ctx, s->view, gr, gc);
        return emit_epilogue(ctx, s, &col_ok->body, tp_buf(b, buffer, index), acc,
                             old ? old : tp_buf(b, buffer, index), gr, gc, 1);
    }
    if (!tp_is_int(s->view->col_stride, 1))
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED, "vector stores need a row-major result");
    tp_stmt *whole = tp_if(b, out, tp_bin(b, TP_LE, tp_addi(b, gc, lanes), s->view->cols));
    if (!whole)
        return TSR_ERR_NOMEM;
    tp_expr *index = lower_view_index(ctx, s->view, gr, gc);
    TSR_TRY(emit_epilogue(ctx, s, &whole->body, tp_vload(b, buffer, index, lanes), acc,
                          tp_vload(b, buffer, index, lanes), gr, gc, lanes));
    for (int u = 0; u < lanes; u++) {
        tp_expr *gcu = tp_addi(b, gc, u);
        tp_stmt *col_ok = tp_if(b, &whole->orelse, tp_bin(b, TP_LT, gcu, s->view->cols));
        if (!col_ok)
            return TSR_ERR_NOMEM;
        tp_expr *iu = lower_view_index(ctx, s->view, gr, gcu);
        TSR_TRY(emit_epilogue(ctx, s, &col_ok->body, tp_buf(b, buffer, iu), tp_lane(b, acc, u),
                              tp_buf(b, buffer, iu), gr, gcu, 1));
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

static tsr_status lower_store(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const lower_tile *acc = lower_find_tile(ctx, s->tile);
    if (!acc)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "store of an undeclared tile");
    int tm = s->tile->rows, lanes = s->tile->lanes, chunks = s->tile->cols / lanes;
    tp_stmt *scope = tp_scope(b, out);
    if (!scope)
        return TSR_ERR_NOMEM;
    tp_expr *row0 = lower_declare_const(ctx, &scope->body, "r0_", s->row0);
    tp_expr *col0 = lower_declare_const(ctx, &scope->body, "c0_", s->col0);
    tp_expr *cols[64];
    for (int j = 0; j < chunks; j++)
        cols[j] = lower_declare_const(ctx, &scope->body, "gc",
                                      tp_add(b, col0, lower_tile_col(ctx, &s->map, s->tile, j)));
    for (int i = 0; i < tm; i++) {
        tp_expr *gr = lower_declare_const(
            ctx, &scope->body, "gr", tp_add(b, row0, lower_tile_row(ctx, &s->map, s->tile, i)));
        tp_stmt *row_ok = tp_if(b, &scope->body, tp_bin(b, TP_LT, gr, s->view->rows));
        if (!row_ok)
            return TSR_ERR_NOMEM;
        /* C's old values of the row (beta) are all read before any is
         * written: read and written in turn, each store held the next
         * load back (C may alias nothing, but the compiler keeps the
         * order of guarded accesses), a memory round trip per element. */
        tp_expr *old[64] = {NULL};
        for (int j = 0; s->beta && lanes == 1 && j < chunks; j++) {
            tp_var *v = (tp_var *)lower_temp(ctx, "old", tsr_dtype_compute(s->tile->dtype));
            if (!v)
                return TSR_ERR_NOMEM;
            v->is_const = true;
            tp_expr *index = lower_view_index(ctx, s->view, gr, cols[j]);
            tp_decl(b, &row_ok->body, v,
                    tp_select(b, tp_bin(b, TP_LT, cols[j], s->view->cols),
                              tp_buf(b, s->view->buffer, index),
                              tp_float(b, tsr_dtype_compute(s->tile->dtype), 0.0)));
            old[j] = tp_ref(b, v);
        }
        for (int j = 0; j < chunks; j++)
            TSR_TRY(store_chunk(ctx, s, &row_ok->body, gr, cols[j],
                                tp_ref(b, acc->scalars[i * chunks + j]), lanes, old[j]));
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

static tsr_status lower_stmt(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    switch (s->kind) {
    case TSR_S_LOOP: {
        tp_stmt *loop = tp_for(b, out, s->var, s->begin, s->end, s->step, s->unroll);
        if (!loop)
            return TSR_ERR_NOMEM;
        return lower_list(ctx, &s->body, &loop->body);
    }
    case TSR_S_LET: return tp_decl(b, out, s->var, s->begin) ? TSR_OK : TSR_ERR_NOMEM;
    case TSR_S_BARRIER:
        if (s->async_proxy)
            tp_sync(b, out, TP_ASYNC_PROXY_FENCE, 0);
        if (s->warpgroup)
            return tp_sync(b, out, TP_WARPGROUP_BARRIER, 0) ? TSR_OK : TSR_ERR_NOMEM;
        return tp_barrier(b, out) ? TSR_OK : TSR_ERR_NOMEM;
    case TSR_S_FILL: {
        const lower_tile *lt = lower_find_tile(ctx, s->tile);
        if (!lt || !lt->scalars)
            return tsr_fail(ctx->err, TSR_ERR_INPUT, "fill of a tile that is not in registers");
        int lanes = s->tile->lanes;
        for (int i = 0; i < s->tile->rows * s->tile->cols / lanes; i++)
            tp_assign(b, out, tp_ref(b, lt->scalars[i]),
                      tp_splat(b, tp_float(b, s->tile->dtype, s->fill_value), lanes));
        return b->failed ? TSR_ERR_NOMEM : TSR_OK;
    }
    case TSR_S_LOAD:
        return s->load_mode == TSR_LOAD_FETCH     ? lower_fetch(ctx, s, out)
               : s->load_mode == TSR_LOAD_DEPOSIT ? lower_deposit(ctx, s, out)
                                                  : lower_load(ctx, s, out);
    case TSR_S_MMA: return lower_mma(ctx, s, out);
    case TSR_S_STORE: return lower_store(ctx, s, out);
    case TSR_S_ROW_REDUCE: return lower_row_reduce(ctx, s, out);
    case TSR_S_ROW_MAP: return lower_row_map(ctx, s, out);
    case TSR_S_ROW_JOIN: return lower_row_join(ctx, s, out);
    case TSR_S_COL_REDUCE: return lower_col_reduce(ctx, s, out);
    case TSR_S_TILE_JOIN: return lower_tile_join(ctx, s, out);
    case TSR_S_COPY: return lower_copy(ctx, s, out);
    case TSR_S_ASYNC_COMMIT: return tp_async_commit(b, out) ? TSR_OK : TSR_ERR_NOMEM;
    case TSR_S_ASYNC_WAIT: return tp_async_wait(b, out, s->pending) ? TSR_OK : TSR_ERR_NOMEM;
    case TSR_S_UNIT_WAIT:
        return tp_sync(b, out, TP_WGMMA_WAIT, s->pending) ? TSR_OK : TSR_ERR_NOMEM;
    case TSR_S_TILE_MAP: return lower_tile_map(ctx, s, out);
    case TSR_S_TILE_REDUCE: return lower_tile_reduce(ctx, s, out);
    case TSR_S_TILE_STASH: return lower_tile_stash(ctx, s, out);
    }
    return tsr_fail(ctx->err, TSR_ERR_INPUT, "unknown tile statement %d", (int)s->kind);
}

tsr_status lower_list(lower_ctx *ctx, const tsr_stmt_list *list, tp_block *out)
{
    for (int i = 0; i < list->count; i++)
        TSR_TRY(lower_stmt(ctx, list->items[i], out));
    return TSR_OK;
}

/* Shared tiles become shared arrays; register tiles become one scalar per
 * element, so that no compiler has to prove an array can live in registers. */
static tsr_status declare_tiles(lower_ctx *ctx, tp_block *out)
{
    tp_builder *b = ctx->b;
    const tsr_tile_program *p = ctx->program;
    for (int i = 0; i < p->n_tiles; i++) {
        const tsr_tile *t = p->tiles[i];
        lower_tile *lt = &ctx->tiles[ctx->n_tiles++];
        lt->tile = t;
        if (t->space == TSR_SPACE_SHARED) {
            int stages = t->stages > 1 ? t->stages : 1;
            int d0 = stage_rows(t) * stages, d1 = stored_row_elems(t);
            tp_var *array = tp_new_var(b, t->name, t->dtype, TP_SHARED, 2, d0, d1);
            /* The swizzle permutes by address bits 7 to 9 (see tsr_tile.swizzled). */
            if (array && t->swizzled)
                array->align = 1024;
            lt->array = array;
            tp_decl(b, out, lt->array, NULL);
        } else if (t->space == TSR_SPACE_REGISTER) {
            int lanes = t->lanes > 0 ? t->lanes : 1, chunks = t->cols / lanes;
            if (t->rows > 64 || t->cols > 64 || t->rows * t->cols > 256 || t->cols % lanes)
                return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                                "register tile %s of %dx%d in vectors of %d is too large or ragged",
                                t->name, t->rows, t->cols, lanes);
            lt->scalars = TSR_ARENA_ARRAY(b->arena, const tp_var *, t->rows *chunks);
            if (!lt->scalars)
                return TSR_ERR_NOMEM;
            for (int r = 0; r < t->rows; r++)
                for (int c = 0; c < chunks; c++) {
                    char name[64];
                    snprintf(name, sizeof name, "%s_%d_%d", t->name, r, c);
                    tp_var *v = tp_new_var(b, name, t->dtype, TP_PRIVATE, 0, 0, 0);
                    if (v)
                        v->width = lanes;
                    lt->scalars[r * chunks + c] = v;
                    tp_decl(b, out, v, NULL);
                }
        }
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

static tp_var *declare_id(lower_ctx *ctx, tp_block *out, const char *name, tp_expr *value)
{
    tp_var *v = tp_new_var(ctx->b, name, TSR_I32, TP_PRIVATE, 0, 0, 0);
    if (v)
        v->is_const = true;
    tp_decl(ctx->b, out, v, value);
    return v;
}

tsr_status tsr_lower(const tsr_tile_program *p, tsr_arena *arena, tp_kernel **out, tsr_error *err)
{
    tp_builder builder = {.arena = arena};
    tp_builder *b = &builder;
    lower_ctx ctx = {.b = b, .program = p, .err = err};
    ctx.threads = p->local[0] * p->local[1] * p->local[2];

    tp_kernel *k = TSR_ARENA_NEW(arena, tp_kernel);
    if (!k)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory lowering %s", p->kernel_name);
    k->name = p->kernel_name;
    k->n_params = p->n_params;
    k->params = p->params;
    k->dims = p->dims;
    for (int d = 0; d < 3; d++)
        k->local[d] = p->local[d];

    tp_block *body = &k->body;
    ctx.top = body;
    ctx.tx = declare_id(&ctx, body, "tx", tp_builtin_ref(b, TP_LOCAL_ID, 0));
    ctx.ty = p->dims > 1 ? declare_id(&ctx, body, "ty", tp_builtin_ref(b, TP_LOCAL_ID, 1)) : NULL;
    ctx.tid =
        ctx.ty
            ? declare_id(&ctx, body, "tid",
                         tp_add(b, tp_muli(b, tp_ref(b, ctx.ty), p->local[0]), tp_ref(b, ctx.tx)))
            : ctx.tx;
    for (int i = 0; i < p->n_scalars; i++)
        tp_decl(b, body, p->scalars[i], NULL);
    tsr_status st = declare_tiles(&ctx, body);
    if (st == TSR_OK)
        st = lower_list(&ctx, &p->body, body);
    if (st == TSR_OK && b->failed)
        st = TSR_ERR_NOMEM;
    if (st == TSR_ERR_NOMEM)
        return tsr_fail(err, st, "out of memory lowering %s", p->kernel_name);
    if (st != TSR_OK)
        return st;
    k->subgroup_size = ctx.subgroup_size;
    *out = k;
    return TSR_OK;
}
