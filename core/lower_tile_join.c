/* TILE_JOIN: the groups that share one tile of the output (split-K's
 * groups, each over its share of k) add their register tiles through the
 * launch's workspace, and the last of them to arrive goes on with the
 * sum (core/ir.h has the workspace's layout). */
#include "core/lower_internal.h"

/* Word e (of lane u of scalar q, or of its f64 value's low and high
 * halves, 2e and 2e + 1) of the thread's tile in a group's values, from
 * the group's first word: word e * threads + tid, so that neighbouring
 * threads write neighbouring words. */
static tp_expr *value_word(lower_ctx *ctx, tp_expr *group_first, int element)
{
    tp_builder *b = ctx->b;
    return tp_add(b, group_first, tp_addi(b, tp_ref(b, ctx->tid), (long)element * ctx->threads));
}

/* The words value `element` of the thread's tile takes from `first`'s:
 * an f32's bits, or an f64's low and high bits (words 2e and 2e + 1). */
static void store_words(tp_builder *b, lower_ctx *ctx, tp_block *out, const tp_param *workspace,
                        tp_expr *first, int element, tp_expr *value, bool f64)
{
    if (!f64) {
        tp_assign(b, out, tp_buf(b, workspace, value_word(ctx, first, element)),
                  lower_bit_cast(b, TP_FLOAT_BITS, value, TSR_I32));
        return;
    }
    tp_assign(b, out, tp_buf(b, workspace, value_word(ctx, first, 2 * element)),
              lower_bit_cast(b, TP_DOUBLE_LO_BITS, value, TSR_I32));
    tp_assign(b, out, tp_buf(b, workspace, value_word(ctx, first, 2 * element + 1)),
              lower_bit_cast(b, TP_DOUBLE_HI_BITS, value, TSR_I32));
}

/* The value `element` of a part from its words, each taken by an atomic
 * exchange with zero. */
static tp_expr *take_words(tp_builder *b, lower_ctx *ctx, const tp_param *workspace, tp_expr *first,
                           int element, bool f64)
{
    tp_expr *word[2];
    for (int half = 0; half < 1 + f64; half++)
        word[half] =
            tp_call(b, TP_ATOMIC_XCHG, 2,
                    tp_buf(b, workspace, value_word(ctx, first, (1 + f64) * element + half)),
                    tp_int(b, 0), NULL);
    if (!f64)
        return lower_bit_cast(b, TP_BITS_FLOAT, word[0], TSR_F32);
    tp_expr *value = tp_call(b, TP_BITS_DOUBLE, 2, word[1], word[0], NULL);
    if (value)
        value->dtype = TSR_F64;
    return value;
}

/* Every thread stores its tile's values and fences them device-wide; past
 * the barrier the first thread counts the group in (after every thread's
 * fence, so a group that sees the count sees the values) and tells the
 * others the count through the shared scratch. The group that counts last
 * fences, then takes each part's values in the parts' order by atomic
 * exchanges with zero (the device's coherent level: a cache may hold an
 * older line of them), adds them into its tile, resets the count and runs
 * the body. The parts are a constant, unrolled: as a loop inside the last
 * group's branch, PoCL 3.1's work-item loops (its default way through
 * barriers) compiled the join into a kernel that wrote outside its
 * buffers. */
tsr_status lower_tile_join(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const lower_tile *acc = s->tile ? lower_find_tile(ctx, s->tile) : NULL;
    const lower_tile *arrival = s->scratch ? lower_find_tile(ctx, s->scratch) : NULL;
    if (!acc || !acc->scalars || !s->workspace || !s->part || !s->parts ||
        s->parts->kind != TP_INT || s->parts->ival < 1 || !s->row || !arrival || !arrival->array)
        return tsr_fail(ctx->err, TSR_ERR_INPUT,
                        "a tile join needs a register tile, its workspace, part, a constant "
                        "count of parts, tile index and a shared arrival count");
    tsr_dtype dtype = s->tile->dtype;
    if (dtype != TSR_F32 && dtype != TSR_F64)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "a tile join adds f32 or f64 tiles through 32-bit words, not %s",
                        tsr_dtype_name(dtype));
    bool f64 = dtype == TSR_F64;
    int lanes = s->tile->lanes > 0 ? s->tile->lanes : 1;
    int scalars = s->tile->rows * s->tile->cols / lanes;
    long words = tsr_tile_join_words(ctx->threads, tsr_tile_join_element_words(dtype) *
                                                       s->tile->rows * s->tile->cols);
    long values = words - 4;
    tp_expr *first_group =
        lower_declare_const(ctx, out, "tile_first", tp_bin(b, TP_MUL, s->row, s->parts));
    tp_expr *own = lower_declare_const(ctx, out, "part_first",
                                       tp_muli(b, tp_bin(b, TP_ADD, first_group, s->part), words));
    for (int q = 0; q < scalars; q++)
        for (int u = 0; u < lanes; u++) {
            tp_expr *value = tp_ref(b, acc->scalars[q]);
            if (lanes > 1)
                value = tp_lane(b, value, u);
            store_words(b, ctx, out, s->workspace, own, q * lanes + u, value, f64);
        }
    tp_global_fence(b, out);
    tp_barrier(b, out);
    tp_expr *tile_words = tp_muli(b, first_group, words);
    tp_expr *count = tp_buf(b, s->workspace, tp_addi(b, tile_words, values));
    tp_expr *is_first = tp_bin(b, TP_EQ, tp_ref(b, ctx->tid), tp_int(b, 0));
    tp_stmt *first = tp_if(b, out, is_first);
    tp_block *last =
        first ? lower_join_arrival(ctx, out, &first->body, count, arrival, s->parts) : NULL;
    if (!last)
        return TSR_ERR_NOMEM;
    for (int q = 0; q < scalars; q++)
        tp_assign(b, last, tp_ref(b, acc->scalars[q]), tp_splat(b, tp_float(b, dtype, 0.0), lanes));
    for (long j = 0; j < s->parts->ival; j++)
        for (int q = 0; q < scalars; q++)
            for (int u = 0; u < lanes; u++) {
                tp_expr *first_word = tp_addi(b, tile_words, j * words);
                tp_expr *target = tp_ref(b, acc->scalars[q]);
                if (lanes > 1)
                    target = tp_lane(b, target, u);
                tp_accumulate(b, last, target,
                              take_words(b, ctx, s->workspace, first_word, q * lanes + u, f64));
            }
    tp_stmt *reset = tp_if(b, last, is_first);
    if (!reset)
        return TSR_ERR_NOMEM;
    tp_assign(b, &reset->body, count, tp_int(b, 0));
    TSR_TRY(lower_list(ctx, &s->body, last));
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}
