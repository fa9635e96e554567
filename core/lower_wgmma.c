/* An MMA on the warpgroup matrix unit: wgmma m64nNk16 with f32 products
 * (sm_90a), both operands read by the unit itself from shared memory.
 *
 * The group tile is split among warpgroups of 128 threads
 * (tsr_thread_map.warpgroups): warpgroup (wm, wn) owns a block of FM m64
 * slices by N cols, FM = rows / 2 and N = 4 * cols of the register tile.
 * Warp w = (tx / 32) % 4 of a warpgroup holds rows 16w .. 16w + 15 of each
 * slice, and within it the accumulators lie as mma.sync m16n8's do, one
 * fragment per 8 cols (PTX ISA, "Matrix Fragments for wgmma.m64nNk16"):
 * lane l in group g = l / 4 at place t = l % 4 holds, of the cols' n8
 * chunk c, d[4c] d[4c + 1] at row g, cols 8c + 2t and 8c + 2t + 1, and
 * d[4c + 2] d[4c + 3] at row g + 8. Register tile element (i, j) is slice
 * i / 2's, row (i % 2) 8 + g of the warp, col (j / 2) 8 + 2t + j % 2: the
 * m16n8 order of core/lower_mma_sync.c, so the store places it alike.
 *
 * The unit reads its operands from shared memory itself, in the 128-byte
 * swizzle ("Shared Memory Matrix Layout"; tsr_tile.swizzled): each
 * operand lies as in global memory, k along the stored rows (K-major) or
 * m / n along them (MN-major, the instruction's transpose flag), in
 * columns of 64 values whose 128-byte rows permute their 16-byte chunks.
 * A warp's asynchronous copies of one 128-byte row then fill one 128-byte
 * line of shared memory, as they fill a plain row; scattered 16-byte
 * destinations (the unswizzled core matrices) halved the copies' rate on
 * an H200. A descriptor gives the first element's address, unswizzled (its
 * row is a multiple of 8), and the byte offsets between 8-row groups
 * (stride) and, MN-major, between 64-wide columns (leading).
 *
 * A step fences the accumulators (they were written by other
 * instructions since), issues BK / 16 x FM multiplies as one group, and
 * waits until at most `pending` groups are in flight: with none, the next
 * barrier frees the stage it read; with one, the step after next's (the
 * op's ring keeps a stage more, and a UNIT_WAIT ends the loop).
 *
 * f32 tiles go to m64nNk8 on tf32 (TSR_UNIT_WGMMA_M64NK8_TF32), which
 * takes K-major operands alone (no transpose for 32-bit types), k by 8,
 * reading the stored f32 without a rounding step (on an H200 its errors,
 * 7.5e-5 at 4096 against 2.6e-5 rounded, are truncation's; the bound
 * allows either, core/ops/gemm_host.c). A swizzled row then holds 32
 * values and a k-step of 8 a 32-byte quarter of it, as 16 16-bit values
 * are, so the descriptors step alike. */
#include "core/lower_internal.h"

static tp_expr *thread_x(lower_ctx *ctx)
{
    return tp_ref(ctx->b, ctx->tx);
}

/* The first row of the warpgroup's block and of its warp's rows. */
static tp_expr *warpgroup_row0(lower_ctx *ctx, const tsr_tile *acc)
{
    return ctx->ty ? tp_muli(ctx->b, tp_ref(ctx->b, ctx->ty), 32 * acc->rows) : tp_int(ctx->b, 0);
}

static tp_expr *warpgroup_col0(lower_ctx *ctx, const tsr_tile *acc)
{
    tp_builder *b = ctx->b;
    return tp_muli(b, tp_bin(b, TP_DIV, thread_x(ctx), tp_int(b, 128)), 4 * acc->cols);
}

tp_expr *lower_warpgroup_row(lower_ctx *ctx, const tsr_tile *acc, int i)
{
    tp_builder *b = ctx->b;
    tp_expr *warp =
        tp_bin(b, TP_MOD, tp_bin(b, TP_DIV, thread_x(ctx), tp_int(b, 32)), tp_int(b, 4));
    tp_expr *group =
        tp_bin(b, TP_DIV, tp_bin(b, TP_MOD, thread_x(ctx), tp_int(b, 32)), tp_int(b, 4));
    return tp_add(b, tp_addi(b, warpgroup_row0(ctx, acc), (long)(i / 2) * 64 + (i % 2) * 8),
                  tp_add(b, tp_muli(b, warp, 16), group));
}

tp_expr *lower_warpgroup_col(lower_ctx *ctx, const tsr_tile *acc, int j)
{
    tp_builder *b = ctx->b;
    tp_expr *place = tp_bin(b, TP_MOD, thread_x(ctx), tp_int(b, 4));
    return tp_add(b, tp_addi(b, warpgroup_col0(ctx, acc), (long)(j / 2) * 8 + j % 2),
                  tp_muli(b, place, 2));
}

/* The unit's view of one operand tile: whether its stored rows run along
 * m or n (MN-major), and its descriptor's byte offsets: 8 rows of 128
 * bytes apart (stride); MN-major, a 64-wide column of `outer` rows apart
 * (leading), which K-major the unit does not read (a k-step of 16 lies in
 * one column). */
static void operand_layout(const tsr_tile *t, bool is_a, tp_wgmma_shape *shape)
{
    int i = is_a ? 0 : 1;
    /* A is (m, k) and B (k, n); stored [cols][rows] when transposed. */
    bool rows_along_k = is_a != t->transposed;
    int outer = t->transposed ? t->cols : t->rows;
    shape->mn_major[i] = !rows_along_k;
    shape->leading[i] = rows_along_k ? 16 : outer * 128;
    shape->stride[i] = 8 * 128;
}

/* A tile the unit reads: swizzled values of `stored` whose every 128-byte
 * column the multiplies start at (K-major, k-steps within one; MN-major,
 * m and n at multiples of a column: the op's checks see to both). */
static bool wgmma_operand(const tsr_tile *t, tsr_dtype stored)
{
    return t && t->space == TSR_SPACE_SHARED && t->swizzled && t->dtype == stored;
}

tsr_status lower_wgmma(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const tsr_tile *acc_tile = s->tile, *at = s->a.tile, *bt = s->b.tile;
    const lower_tile *acc = lower_find_tile(ctx, acc_tile);
    if (!acc || !acc->scalars)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "wgmma into a tile that is not in registers");
    bool tf32 = s->unit == TSR_UNIT_WGMMA_M64NK8_TF32;
    tsr_dtype stored = tf32 ? TSR_F32 : bt ? bt->dtype : TSR_F32;
    tsr_dtype type = tf32 ? TSR_TF32 : stored;
    int fm = acc_tile->rows / 2, n = 4 * acc_tile->cols, step = tf32 ? 8 : 16;
    if ((!tf32 && type != TSR_F16 && type != TSR_BF16) || !wgmma_operand(at, stored) ||
        !wgmma_operand(bt, stored) || !s->map.warpgroups || acc_tile->lanes != 1 ||
        acc_tile->rows % 2 || acc_tile->cols % 2 || n > 256 || s->k_count % step)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "wgmma multiplies swizzled f16 or bf16 shared tiles, k by 16, or f32 as "
                        "tf32, k by 8, into warpgroups' accumulators of m64 slices by up to 256 "
                        "cols");
    tp_wgmma_shape shape = {.n = n};
    operand_layout(at, true, &shape);
    operand_layout(bt, false, &shape);
    if (tf32 && (shape.mn_major[0] || shape.mn_major[1]))
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "wgmma on tf32 reads K-major tiles only (A [m][k], B [n][k])");
    const tp_var *regs[128];
    /* The accumulators stay in their registers while the unit writes them:
     * a copy the compiler made between issue and wait would serialise the
     * multiplies. */
    int count = acc_tile->rows * acc_tile->cols;
    tp_register_fence(b, out, acc->scalars, count);
    tp_sync(b, out, TP_WGMMA_FENCE, 0);
    for (int k0 = 0; k0 < s->k_count; k0 += step)
        for (int i = 0; i < fm; i++) {
            for (int q = 0; q < n / 2; q++) {
                int chunk = q / 4, r = q % 4;
                regs[q] = acc->scalars[(2 * i + r / 2) * acc_tile->cols + 2 * chunk + r % 2];
            }
            tp_expr *a0 = lower_shared_elem(ctx, at, s->a.stage,
                                            tp_addi(b, warpgroup_row0(ctx, acc_tile), 64L * i),
                                            tp_int(b, k0));
            tp_expr *b0 = lower_shared_elem(ctx, bt, s->b.stage, tp_int(b, k0),
                                            warpgroup_col0(ctx, acc_tile));
            tp_wgmma(b, out, type, &shape, regs, a0, b0, k0 == 0 ? s->accumulate : NULL);
        }
    tp_sync(b, out, TP_WGMMA_COMMIT, 0);
    tp_sync(b, out, TP_WGMMA_WAIT, s->pending);
    tp_register_fence(b, out, acc->scalars, count);
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}
