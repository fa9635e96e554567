/* Lowering of the statements on whole register tiles (TILE_MAP,
 * TILE_REDUCE, TILE_STASH): each thread visits the elements of its own
 * share of the group tile, knowing where each lies in it (the thread map),
 * so that one kernel can carry a tile of results from one multiply into
 * the next, as flash attention carries its scores into P V. */
#include "core/lower_internal.h"

/* Element (i, lane u of chunk j) of a register tile: the variable, or its
 * lane. */
static tp_expr *tile_elem(lower_ctx *ctx, const lower_tile *lt, int i, int j, int u)
{
    tp_builder *b = ctx->b;
    int lanes = lt->tile->lanes > 0 ? lt->tile->lanes : 1;
    tp_expr *var = tp_ref(b, lt->scalars[i * (lt->tile->cols / lanes) + j]);
    return lanes > 1 ? tp_lane(b, var, u) : var;
}

static const lower_tile *register_tile(lower_ctx *ctx, const tsr_tile *tile, const char *what)
{
    const lower_tile *lt = tile ? lower_find_tile(ctx, tile) : NULL;
    if (!lt || !lt->scalars) {
        tsr_fail(ctx->err, TSR_ERR_INPUT, "%s of a tile that is not in registers", what);
        return NULL;
    }
    return lt;
}

/* Whether `with` goes element by element with `tile` (the same shape and
 * lanes) or row by row (a row vector of its rows). */
static bool fits_with(const tsr_tile *tile, const tsr_tile *with)
{
    if (with->rows != tile->rows)
        return false;
    return with->cols == 1 ? with->lanes <= 1
                           : with->cols == tile->cols && with->lanes == tile->lanes;
}

tsr_status lower_tile_map(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const lower_tile *lt = register_tile(ctx, s->tile, "map");
    const lower_tile *with[TSR_TILE_WITH] = {0};
    if (!lt)
        return TSR_ERR_INPUT;
    for (int k = 0; k < TSR_TILE_WITH; k++) {
        if (!s->with[k])
            continue;
        with[k] = register_tile(ctx, s->with[k], "map");
        if (!with[k])
            return TSR_ERR_INPUT;
        if (!fits_with(s->tile, s->with[k]))
            return tsr_fail(ctx->err, TSR_ERR_INPUT, "map of %s reads %s, of another shape",
                            s->tile->name, s->with[k]->name);
    }
    const tsr_tile *t = s->tile;
    int lanes = t->lanes > 0 ? t->lanes : 1, chunks = t->cols / lanes;
    for (int i = 0; i < t->rows; i++) {
        tp_expr *row = lower_tile_row(ctx, &s->map, t, i);
        for (int j = 0; j < chunks; j++) {
            tp_expr *col0 = lower_tile_col(ctx, &s->map, t, j);
            for (int u = 0; u < lanes; u++) {
                tp_expr *x = tile_elem(ctx, lt, i, j, u);
                tp_expr *values[TSR_TILE_SLOTS] = {x};
                for (int k = 0; k < TSR_TILE_WITH; k++)
                    if (with[k])
                        values[1 + k] = s->with[k]->cols == 1 ? tile_elem(ctx, with[k], i, 0, 0)
                                                              : tile_elem(ctx, with[k], i, j, u);
                values[TSR_SLOT_ROW] = row;
                values[TSR_SLOT_COL] = tp_addi(b, col0, u);
                tp_expr *value = tp_substitute_slots(b, s->element, values, TSR_TILE_SLOTS);
                if (!value && !b->failed)
                    return tsr_fail(ctx->err, TSR_ERR_INPUT,
                                    "map of %s reads a value it was not given", t->name);
                tp_assign(b, out, x, value);
            }
        }
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

static tp_expr *combine(tp_builder *b, tsr_reduce_op op, tp_expr *acc, tp_expr *value)
{
    return op == TSR_REDUCE_MAX ? tp_call(b, TP_FMAX, 2, acc, value, NULL)
                                : tp_bin(b, TP_ADD, acc, value);
}

/* Which of the row's sharers this thread is, 0 .. tsr_map_row_sharers - 1:
 * its col of threads; for fragments its warp (warpgroup) along the cols
 * and its place in the accumulator's quad. */
static tp_expr *sharer_index(lower_ctx *ctx, const tsr_thread_map *map)
{
    tp_builder *b = ctx->b;
    tp_expr *tx = tp_ref(b, ctx->tx);
    if (!map->fragments && !map->warpgroups)
        return tx;
    tp_expr *unit = tp_bin(b, TP_DIV, tx, tp_int(b, map->warpgroups ? 128 : 32));
    return tp_add(b, tp_muli(b, unit, 4), tp_bin(b, TP_MOD, tx, tp_int(b, 4)));
}

/* The thread's part of row i of the tile, combined. */
static tp_expr *row_partial(lower_ctx *ctx, const tsr_stmt *s, const lower_tile *lt, int i)
{
    int lanes = s->tile->lanes > 0 ? s->tile->lanes : 1, chunks = s->tile->cols / lanes;
    tp_expr *partial = tile_elem(ctx, lt, i, 0, 0);
    for (int j = 0; j < chunks; j++)
        for (int u = j == 0; u < lanes; u++)
            partial = combine(ctx->b, s->reduce, partial, tile_elem(ctx, lt, i, j, u));
    return partial;
}

/* Each thread reduces its part of each of its rows, leaves it in the
 * scratch tile at (row, its sharer index), and after a barrier reads the
 * row's partials back in the same order, so that every sharer ends with
 * the same value. The caller keeps a barrier between a scratch tile's
 * reads and its next writes. Sharers that form a run of a warp (the op
 * has checked) combine by shuffles instead, with no barrier. */
tsr_status lower_tile_reduce(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const lower_tile *lt = register_tile(ctx, s->tile, "reduce");
    const lower_tile *target = register_tile(ctx, s->target, "reduce into");
    const lower_tile *scratch = s->scratch ? lower_find_tile(ctx, s->scratch) : NULL;
    if (!lt || !target)
        return TSR_ERR_INPUT;
    const tsr_tile *t = s->tile;
    int sharers = tsr_map_row_sharers(&s->map);
    bool runs = s->subgroup_width > 0;
    if ((runs ? s->subgroup_width != sharers
              : !scratch || !scratch->array || s->scratch->cols != sharers) ||
        s->target->cols != 1 || s->target->rows != t->rows ||
        (s->reduce != TSR_REDUCE_MAX && s->reduce != TSR_REDUCE_SUM))
        return tsr_fail(ctx->err, TSR_ERR_INPUT,
                        "reduce of %s needs a max or sum, a row vector of its rows and a shared "
                        "scratch tile of %d cols or runs of %d threads",
                        t->name, sharers, sharers);
    if (runs) {
        tp_func run = s->reduce == TSR_REDUCE_MAX ? TP_RUN_MAX : TP_RUN_SUM;
        for (int i = 0; i < t->rows; i++)
            tp_assign(b, out, tile_elem(ctx, target, i, 0, 0),
                      sharers == 1 ? row_partial(ctx, s, lt, i)
                                   : tp_call(b, run, 2, row_partial(ctx, s, lt, i),
                                             tp_int(b, sharers), NULL));
        return b->failed ? TSR_ERR_NOMEM : TSR_OK;
    }
    tp_expr *slot = lower_declare_const(ctx, out, "sharer", sharer_index(ctx, &s->map));
    tp_expr *rows[64];
    for (int i = 0; i < t->rows; i++) {
        tp_expr *partial = row_partial(ctx, s, lt, i);
        rows[i] = lower_declare_const(ctx, out, "row", lower_tile_row(ctx, &s->map, t, i));
        tp_assign(b, out, lower_shared_elem(ctx, s->scratch, NULL, rows[i], slot), partial);
    }
    tp_barrier(b, out);
    for (int i = 0; i < t->rows; i++) {
        tp_expr *value = lower_shared_elem(ctx, s->scratch, NULL, rows[i], tp_int(b, 0));
        for (int q = 1; q < sharers; q++)
            value = combine(b, s->reduce, value,
                            lower_shared_elem(ctx, s->scratch, NULL, rows[i], tp_int(b, q)));
        tp_assign(b, out, tile_elem(ctx, target, i, 0, 0), value);
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* The value as the shared tile stores it: 16-bit floats rounded once. */
static tp_expr *stored_value(tp_builder *b, tsr_dtype dtype, tp_expr *value)
{
    if (dtype == TSR_F16)
        return tp_call(b, TP_TO_F16, 1, value, NULL, NULL);
    if (dtype == TSR_BF16)
        return tp_call(b, TP_TO_BF16, 1, value, NULL, NULL);
    return value;
}

tsr_status lower_tile_stash(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const lower_tile *lt = register_tile(ctx, s->tile, "stash");
    const lower_tile *dst = s->target ? lower_find_tile(ctx, s->target) : NULL;
    if (!lt)
        return TSR_ERR_INPUT;
    const tsr_tile *t = s->tile;
    if (!dst || !dst->array)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "stash of %s into a tile not in shared memory",
                        t->name);
    int lanes = t->lanes > 0 ? t->lanes : 1, chunks = t->cols / lanes;
    bool narrow = tsr_dtype_size(s->target->dtype) != tsr_dtype_size(t->dtype);
    for (int i = 0; i < t->rows; i++) {
        tp_expr *row = lower_tile_row(ctx, &s->map, t, i);
        for (int j = 0; j < chunks; j++) {
            tp_expr *col0 = lower_tile_col(ctx, &s->map, t, j);
            if (lanes > 1 && !narrow) {
                /* A chunk's lanes are adjacent cols: one vector where the
                 * tile stores them along a row. */
                lower_shared_store(ctx, out, s->target, NULL, row, col0, 1,
                                   tp_ref(b, lt->scalars[i * chunks + j]), lanes);
                continue;
            }
            for (int u = 0; u < lanes; u++)
                tp_assign(b, out, lower_shared_elem(ctx, s->target, NULL, row, tp_addi(b, col0, u)),
                          stored_value(b, s->target->dtype, tile_elem(ctx, lt, i, j, u)));
        }
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}
