/* Lowering of row-wise statements: each thread walks the row with a stride
 * of the whole group (neighbouring threads read neighbouring vectors) and
 * keeps a partial; the group then combines the partials, by a halving tree
 * in a shared tile, or first within each sub-group by shuffles so that only
 * one partial a sub-group goes through the tile. */
#include <float.h>
#include <math.h>

#include "core/lower_internal.h"

tp_expr *lower_reduce_combine(tp_builder *b, tsr_reduce_op op, tp_expr *acc, tp_expr *value)
{
    return op == TSR_REDUCE_MAX ? tp_call(b, TP_FMAX, 2, acc, value, NULL)
                                : tp_bin(b, TP_ADD, acc, value);
}

double lower_reduce_identity(tsr_reduce_op op)
{
    return op == TSR_REDUCE_MAX ? -INFINITY : 0.0;
}

typedef void (*element_fn)(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, tp_expr *col,
                           tp_expr *value, void *state);

/* Calls `visit` for every element of the row (of its window, for a
 * ROW_REDUCE that has one) this thread owns, with its column and value:
 * whole vectors by vector loads, the ragged tail lane by lane under a
 * bounds check. */
static tsr_status walk_row(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, element_fn visit,
                           void *state)
{
    tp_builder *b = ctx->b;
    const tsr_view *v = s->view;
    int width = s->vector_width;
    const tp_var *c = lower_temp(ctx, "c", TSR_I32);
    tp_expr *first = tp_muli(b, tp_ref(b, ctx->tid), width);
    tp_expr *end = v->cols;
    if (s->kind == TSR_S_ROW_REDUCE && s->col_begin) {
        tp_var *begin = (tp_var *)lower_temp(ctx, "begin", TSR_I32);
        tp_var *stop = (tp_var *)lower_temp(ctx, "end", TSR_I32);
        if (!begin || !stop)
            return TSR_ERR_NOMEM;
        begin->is_const = stop->is_const = true;
        tp_decl(b, out, begin, s->col_begin);
        tp_decl(b, out, stop, s->col_end);
        first = tp_bin(b, TP_ADD, tp_ref(b, begin), first);
        end = tp_ref(b, stop);
    }
    tp_stmt *loop = tp_for(b, out, c, first, end, tp_int(b, (long)s->threads * width), 0);
    if (!loop)
        return TSR_ERR_NOMEM;
    tp_expr *col = tp_ref(b, c);
    if (width == 1) {
        visit(ctx, s, &loop->body, col, tp_buf(b, v->buffer, lower_view_index(ctx, v, s->row, col)),
              state);
        return b->failed ? TSR_ERR_NOMEM : TSR_OK;
    }
    tp_stmt *whole = tp_if(b, &loop->body, tp_bin(b, TP_LE, tp_addi(b, col, width), end));
    if (!whole)
        return TSR_ERR_NOMEM;
    tp_var *vec = (tp_var *)lower_temp(ctx, "v", tsr_dtype_compute(v->buffer->dtype));
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
        tp_stmt *inside = tp_if(b, &whole->orelse, tp_bin(b, TP_LT, cu, end));
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

/* ---- combining the threads' partials ------------------------------------------- */

/* `part` of every thread combined by `op` into `result`, by a halving tree
 * over the shared tile: log2(threads) rounds, each behind a barrier. */
static tsr_status tree_combine(lower_ctx *ctx, const tsr_stmt *s, const tp_var *scratch,
                               tsr_reduce_op op, const tp_var *part, const tp_var *result,
                               tp_block *body)
{
    tp_builder *b = ctx->b;
    if (s->threads & (s->threads - 1))
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "row reduction over %d threads: the tree needs a power of two", s->threads);
    tp_expr *mine = tp_elem(b, scratch, tp_ref(b, ctx->tid), tp_int(b, 0));
    tp_assign(b, body, mine, tp_ref(b, part));
    tp_barrier(b, body);
    for (int half = s->threads / 2; half > 0; half /= 2) {
        tp_stmt *active = tp_if(b, body, tp_bin(b, TP_LT, tp_ref(b, ctx->tid), tp_int(b, half)));
        if (!active)
            return TSR_ERR_NOMEM;
        tp_expr *other = tp_elem(b, scratch, tp_addi(b, tp_ref(b, ctx->tid), half), tp_int(b, 0));
        tp_assign(b, &active->body, mine, lower_reduce_combine(b, op, mine, other));
        tp_barrier(b, body);
    }
    tp_assign(b, body, tp_ref(b, result), tp_elem(b, scratch, tp_int(b, 0), tp_int(b, 0)));
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* `value` combined by `op` over this thread's sub-group, in every thread of it. */
static tp_expr *subgroup_reduce(tp_builder *b, tsr_reduce_op op, tp_expr *value, int width)
{
    return tp_call(b, op == TSR_REDUCE_MAX ? TP_SUBGROUP_MAX : TP_SUBGROUP_SUM, 2, value,
                   tp_int(b, width), NULL);
}

static tp_expr *subgroup_query(tp_builder *b, tp_func func, int width)
{
    return tp_call(b, func, 1, tp_int(b, width), NULL, NULL);
}

/* The same by sub-groups: each reduces its partials by shuffles and its
 * first thread stores the result in the tile; after one barrier every
 * sub-group reads all those results (its threads taking every size-th
 * one) and reduces them by shuffles again, so that every thread ends with
 * the total and no thread has to broadcast it. The sub-groups' count and
 * size are the dialect's to say: those of the width the kernel assumes on
 * CUDA and HIP, the device's own on OpenCL. */
static tsr_status subgroup_combine(lower_ctx *ctx, const tsr_stmt *s, const tp_var *scratch,
                                   tsr_reduce_op op, const tp_var *part, const tp_var *result,
                                   tp_block *body)
{
    tp_builder *b = ctx->b;
    int width = s->subgroup_width;
    if (s->threads % width)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "row reduction over %d threads is not a whole number of %d-wide "
                        "sub-groups",
                        s->threads, width);
    tp_var *reduced = (tp_var *)lower_temp(ctx, "sg", part->dtype);
    if (reduced)
        reduced->is_const = true;
    tp_decl(b, body, reduced, subgroup_reduce(b, op, tp_ref(b, part), width));
    tp_stmt *first =
        tp_if(b, body, tp_bin(b, TP_EQ, subgroup_query(b, TP_SUBGROUP_LANE, width), tp_int(b, 0)));
    if (!first)
        return TSR_ERR_NOMEM;
    tp_assign(b, &first->body,
              tp_elem(b, scratch, subgroup_query(b, TP_SUBGROUP_ID, width), tp_int(b, 0)),
              tp_ref(b, reduced));
    tp_barrier(b, body);

    const tp_var *acc = lower_temp(ctx, "acc", part->dtype);
    tp_decl(b, body, acc, tp_float(b, part->dtype, lower_reduce_identity(op)));
    const tp_var *i = lower_temp(ctx, "i", TSR_I32);
    tp_expr *count =
        tp_call(b, TP_SUBGROUP_COUNT, 2, tp_int(b, s->threads), tp_int(b, width), NULL);
    tp_stmt *loop = tp_for(b, body, i, subgroup_query(b, TP_SUBGROUP_LANE, width), count,
                           subgroup_query(b, TP_SUBGROUP_SIZE, width), 0);
    if (!loop)
        return TSR_ERR_NOMEM;
    tp_assign(b, &loop->body, tp_ref(b, acc),
              lower_reduce_combine(b, op, tp_ref(b, acc),
                                   tp_elem(b, scratch, tp_ref(b, i), tp_int(b, 0))));
    tp_assign(b, body, tp_ref(b, result), subgroup_reduce(b, op, tp_ref(b, acc), width));
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* One private value of every thread combined by `op` into `result`, which
 * every thread ends with. */
static tsr_status group_combine(lower_ctx *ctx, const tsr_stmt *s, tsr_reduce_op op,
                                const tp_var *part, const tp_var *result, tp_block *body)
{
    const lower_tile *scratch = lower_find_tile(ctx, s->tile);
    if (!scratch || !scratch->array || s->tile->rows < s->threads)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "row reduction needs a shared tile of %d partials",
                        s->threads);
    TSR_TRY(s->subgroup_width ? subgroup_combine(ctx, s, scratch->array, op, part, result, body)
                              : tree_combine(ctx, s, scratch->array, op, part, result, body));
    /* Nobody may overwrite the partials before every thread has read them. */
    tp_barrier(ctx->b, body);
    return ctx->b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* ---- the statements -------------------------------------------------------------- */

static void accumulate_partial(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, tp_expr *col,
                               tp_expr *value, void *state)
{
    tp_builder *b = ctx->b;
    tp_expr *part = tp_ref(b, (const tp_var *)state);
    tp_assign(b, out, part,
              lower_reduce_combine(b, s->reduce, part, apply_element(ctx, s, col, value)));
}

/* A thread's running max and its sum of exp(x - max). */
typedef struct running_softmax {
    const tp_var *max, *sum;
} running_softmax;

/* One element e into (m, s): with d = e - m and t = exp(-|d|), a larger e
 * rescales the sum to its own max (s * exp(m - e) + exp(0)), another adds
 * exp(e - m); one exp either way. */
static void accumulate_running(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, tp_expr *col,
                               tp_expr *value, void *state)
{
    tp_builder *b = ctx->b;
    const running_softmax *run = state;
    tsr_dtype dtype = run->sum->dtype;
    tp_var *e = (tp_var *)lower_temp(ctx, "e", dtype), *d = (tp_var *)lower_temp(ctx, "d", dtype);
    tp_var *t = (tp_var *)lower_temp(ctx, "t", dtype);
    if (!e || !d || !t)
        return;
    e->is_const = d->is_const = t->is_const = true;
    tp_decl(b, out, e, apply_element(ctx, s, col, value));
    tp_decl(b, out, d, tp_bin(b, TP_SUB, tp_ref(b, e), tp_ref(b, run->max)));
    tp_decl(b, out, t,
            tp_call(b, TP_EXP, 1,
                    tp_call(b, TP_FMIN, 2, tp_ref(b, d),
                            tp_bin(b, TP_SUB, tp_float(b, dtype, 0.0), tp_ref(b, d)), NULL),
                    NULL, NULL));
    tp_expr *sum = tp_ref(b, run->sum);
    tp_assign(b, out, sum,
              tp_select(b, tp_bin(b, TP_GT, tp_ref(b, d), tp_float(b, dtype, 0.0)),
                        tp_call(b, TP_FMA, 3, sum, tp_ref(b, t), tp_float(b, dtype, 1.0)),
                        tp_bin(b, TP_ADD, sum, tp_ref(b, t))));
    tp_assign(b, out, tp_ref(b, run->max),
              tp_call(b, TP_FMAX, 2, tp_ref(b, run->max), tp_ref(b, e), NULL));
}

/* Softmax's max and sum in one pass. The running max starts at the lowest
 * finite value, not -inf, so that a -inf element (a masked one) adds
 * exp(-inf) = 0 where -inf - -inf would make the sum NaN. The group then
 * takes the max of the threads' maxima and the sum of their sums, each
 * rescaled by exp(m - max) to the group's max: the same total as combining
 * the pairs two by two, from the max and sum combines that sub-groups
 * have too (OpenCL's sub_group_reduce has no pair form). */
static tsr_status lower_max_sumexp(lower_ctx *ctx, const tsr_stmt *s, tp_block *body)
{
    tp_builder *b = ctx->b;
    tsr_dtype dtype = s->result->dtype;
    running_softmax run = {lower_temp(ctx, "m", dtype), lower_temp(ctx, "s", dtype)};
    if (!s->result_sum)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "a max and sum of exponentials needs two results");
    tp_decl(b, body, run.max, tp_float(b, dtype, dtype == TSR_F64 ? -DBL_MAX : -FLT_MAX));
    tp_decl(b, body, run.sum, tp_float(b, dtype, 0.0));
    TSR_TRY(walk_row(ctx, s, body, accumulate_running, &run));
    TSR_TRY(group_combine(ctx, s, TSR_REDUCE_MAX, run.max, s->result, body));
    tp_expr *rescale = tp_call(
        b, TP_EXP, 1, tp_bin(b, TP_SUB, tp_ref(b, run.max), tp_ref(b, s->result)), NULL, NULL);
    tp_assign(b, body, tp_ref(b, run.sum), tp_bin(b, TP_MUL, tp_ref(b, run.sum), rescale));
    return group_combine(ctx, s, TSR_REDUCE_SUM, run.sum, s->result_sum, body);
}

tsr_status lower_row_reduce(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    tp_stmt *scope = tp_scope(b, out);
    if (!scope)
        return TSR_ERR_NOMEM;
    tp_block *body = &scope->body;
    if (s->reduce == TSR_REDUCE_MAX_SUMEXP)
        return lower_max_sumexp(ctx, s, body);
    const tp_var *part = lower_temp(ctx, "part", s->result->dtype);
    tp_decl(b, body, part, tp_float(b, s->result->dtype, lower_reduce_identity(s->reduce)));
    TSR_TRY(walk_row(ctx, s, body, accumulate_partial, (void *)part));
    return group_combine(ctx, s, s->reduce, part, s->result, body);
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

/* The groups of a row meet in the workspace. The first thread of each
 * stores its group's result among the row's parts and, behind a fence,
 * counts itself in, telling its group through the shared `scratch` what
 * the count was. The group that counts last then sees every part (the
 * others fenced theirs before counting): its threads read them, each
 * every threads-th, and combine them as a row reduction combines its
 * partials (a fixed order, so the total does not depend on timing); its
 * first thread stores the total's element and sets the count back to
 * zero. The parts are taken by atomic exchanges with zero, which go to
 * the device's coherent level of memory (a group's cache may hold an
 * older line of them, read while finishing a neighbouring row) and leave
 * the workspace all zero for the next launch, whatever its kernel.
 *
 * Group g = row * parts + part has the words 2g (its part) and 2g + 1;
 * the row's count is the odd word of its first group. */
tsr_status lower_row_join(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const lower_tile *arrival = s->scratch ? lower_find_tile(ctx, s->scratch) : NULL;
    if (!s->workspace || !s->part || !s->parts || !s->dst || !arrival || !arrival->array)
        return tsr_fail(ctx->err, TSR_ERR_INPUT,
                        "a row join needs its workspace, parts, dst and a shared arrival count");
    tp_expr *is_first = tp_bin(b, TP_EQ, tp_ref(b, ctx->tid), tp_int(b, 0));
    tp_stmt *first = tp_if(b, out, is_first);
    if (!first)
        return TSR_ERR_NOMEM;
    tp_expr *row_first = tp_bin(b, TP_MUL, s->row, s->parts);
    tp_assign(b, &first->body,
              tp_buf(b, s->workspace, tp_muli(b, tp_bin(b, TP_ADD, row_first, s->part), 2)),
              lower_bit_cast(b, TP_FLOAT_BITS, tp_ref(b, s->result), TSR_I32));
    tp_global_fence(b, &first->body);
    tp_expr *count = tp_buf(b, s->workspace, tp_addi(b, tp_muli(b, row_first, 2), 1));
    tp_block *last = lower_join_arrival(ctx, out, &first->body, count, arrival, s->parts);
    if (!last)
        return TSR_ERR_NOMEM;
    tsr_dtype dtype = s->result->dtype;
    const tp_var *part = lower_temp(ctx, "part", dtype);
    const tp_var *total = lower_temp(ctx, "total", dtype);
    tp_decl(b, last, part, tp_float(b, dtype, lower_reduce_identity(s->reduce)));
    tp_decl(b, last, total, NULL);
    const tp_var *i = lower_temp(ctx, "i", TSR_I32);
    tp_stmt *loop = tp_for(b, last, i, tp_ref(b, ctx->tid), s->parts, tp_int(b, s->threads), 0);
    if (!loop)
        return TSR_ERR_NOMEM;
    tp_expr *word =
        tp_call(b, TP_ATOMIC_XCHG, 2,
                tp_buf(b, s->workspace, tp_muli(b, tp_bin(b, TP_ADD, row_first, tp_ref(b, i)), 2)),
                tp_int(b, 0), NULL);
    tp_assign(b, &loop->body, tp_ref(b, part),
              lower_reduce_combine(b, s->reduce, tp_ref(b, part),
                                   lower_bit_cast(b, TP_BITS_FLOAT, word, dtype)));
    TSR_TRY(group_combine(ctx, s, s->reduce, part, total, last));
    tp_stmt *store = tp_if(b, last, is_first);
    if (!store)
        return TSR_ERR_NOMEM;
    tp_expr *result = tp_ref(b, total);
    tp_assign(b, &store->body,
              tp_buf(b, s->dst->buffer, lower_view_index(ctx, s->dst, s->row, tp_int(b, 0))),
              tp_substitute_slots(b, s->element, &result, 1));
    tp_assign(b, &store->body, count, tp_int(b, 0));
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}
