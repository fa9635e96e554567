/* An MMA on AMD's wave matrix unit: MFMA 16x16x16 with f32 products, on
 * f16 or bf16 operands (CDNA's v_mfma_f32_16x16x16f16 and _bf16_1k).
 *
 * The group tile is split among waves of 64 threads
 * (tsr_thread_map.waves): wave (wm, wn) owns a WM x WN block, WM = 16 FM
 * and WN = 16 FN, as FM x FN fragments of 16 x 16. Within a wave, lane l
 * is in quad q = l / 16 at place t = l % 16, and the unit's layout (AMD's
 * CDNA instruction set, "Dependent Matrix Multiplication"; its matrix
 * instruction calculator prints the same) fixes what each lane holds of one
 * fragment, item e = 0 .. 3 of each:
 *
 *   A (16 x 16): row t, k 4q + e;
 *   B (16 x 16): k 4q + e, col t;
 *   accumulators: row 4q + e, col t.
 *
 * The register tile is (4 FM) x FN: fragment (fm, fn)'s accumulators are
 * its elements (4 fm + e, fn), so element (i, j) lies at row
 * wm WM + (i / 4) 16 + 4q + i % 4 and col wn WN + 16 j + t of the group
 * tile, which is how the store finds it: each of the wave's stores writes
 * 16 neighbouring cols of four rows.
 *
 * The operands come from the shared tiles as loaded (16-bit values, their
 * matrices as they lie): each lane reads its four values of A along k and
 * its four of B, one at a time; where k runs along the stored rows the
 * compiler may merge A's four into one 8-byte read. */
#include "core/lower_internal.h"

enum { WAVE = 64 };

static tp_expr *lane_of(lower_ctx *ctx)
{
    return tp_bin(ctx->b, TP_MOD, tp_ref(ctx->b, ctx->tx), tp_int(ctx->b, WAVE));
}

/* The lane's quad q (which four of k, or of the rows) and place t. */
static tp_expr *quad_of(lower_ctx *ctx)
{
    return tp_bin(ctx->b, TP_DIV, lane_of(ctx), tp_int(ctx->b, 16));
}

static tp_expr *place_of(lower_ctx *ctx)
{
    return tp_bin(ctx->b, TP_MOD, lane_of(ctx), tp_int(ctx->b, 16));
}

/* Where the wave's block starts: rows from local id 1, cols from the wave
 * index along local id 0. */
static tp_expr *wave_row0(lower_ctx *ctx, const tsr_tile *acc)
{
    return ctx->ty ? tp_muli(ctx->b, tp_ref(ctx->b, ctx->ty), 4 * acc->rows) : tp_int(ctx->b, 0);
}

static tp_expr *wave_col0(lower_ctx *ctx, const tsr_tile *acc)
{
    tp_builder *b = ctx->b;
    return tp_muli(b, tp_bin(b, TP_DIV, tp_ref(b, ctx->tx), tp_int(b, WAVE)), 16 * acc->cols);
}

tp_expr *lower_wave_row(lower_ctx *ctx, const tsr_tile *acc, int i)
{
    tp_builder *b = ctx->b;
    return tp_add(b, tp_addi(b, wave_row0(ctx, acc), (long)(i / 4) * 16 + i % 4),
                  tp_muli(b, quad_of(ctx), 4));
}

tp_expr *lower_wave_col(lower_ctx *ctx, const tsr_tile *acc, int j)
{
    tp_builder *b = ctx->b;
    return tp_add(b, tp_addi(b, wave_col0(ctx, acc), (long)j * 16), place_of(ctx));
}

/* The lane's four values of an operand's fragment for the k-step at k0,
 * into fresh registers: A's at row outer0 + t, B's at col outer0 + t, k at
 * k0 + 4q + e. */
static void read_operand(lower_ctx *ctx, tp_block *out, const tsr_operand *o, bool is_a,
                         tp_expr *outer0, tp_expr *k0, const tp_var **regs)
{
    tp_builder *b = ctx->b;
    tp_expr *outer = tp_add(b, outer0, place_of(ctx));
    tp_expr *k = tp_add(b, k0, tp_muli(b, quad_of(ctx), 4));
    for (int e = 0; e < 4; e++) {
        tp_expr *ke = tp_addi(b, k, e);
        tp_expr *value = is_a ? lower_shared_elem(ctx, o->tile, o->stage, outer, ke)
                              : lower_shared_elem(ctx, o->tile, o->stage, ke, outer);
        regs[e] = lower_temp(ctx, is_a ? "fa" : "fb", o->tile->dtype);
        tp_decl(b, out, regs[e], value);
    }
}

tsr_status lower_mfma(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const tsr_tile *acc_tile = s->tile;
    const lower_tile *acc = lower_find_tile(ctx, acc_tile);
    if (!acc || !acc->scalars)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "mma into a tile that is not in registers");
    if (!s->a.tile || !s->b.tile || s->a.tile->space != TSR_SPACE_SHARED ||
        s->b.tile->space != TSR_SPACE_SHARED || !s->map.waves || acc_tile->lanes != 1 ||
        acc_tile->rows % 4 || s->k_count % 16)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "MFMA needs both operands in shared memory, a wave map, scalar "
                        "accumulators in whole fragments and k-steps of 16");
    tsr_dtype type = s->a.tile->dtype;
    if ((type != TSR_F16 && type != TSR_BF16) || s->b.tile->dtype != type || s->a.tile->swizzled ||
        s->b.tile->swizzled)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "MFMA 16x16x16 reads f16 or bf16 tiles, unswizzled (A %s, B %s)",
                        tsr_dtype_name(s->a.tile->dtype), tsr_dtype_name(s->b.tile->dtype));
    int fm = acc_tile->rows / 4, fn = acc_tile->cols;
    if (fm > 8 || fn > 8)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "a wave block of %dx%d fragments is too large", fm, fn);
    const tp_var *kk = lower_temp(ctx, "kk", TSR_I32);
    tp_stmt *loop =
        tp_for(b, out, kk, tp_int(b, 0), tp_int(b, s->k_count), tp_int(b, 16), s->k_unroll);
    if (!loop)
        return TSR_ERR_NOMEM;
    tp_block *body = &loop->body;
    tp_expr *k0 = lower_declare_const(ctx, body, "k", tp_ref(b, kk));
    const tp_var *a_regs[8][TP_MFMA_A], *b_regs[8][TP_MFMA_B];
    for (int i = 0; i < fm; i++)
        read_operand(ctx, body, &s->a, true, tp_addi(b, wave_row0(ctx, acc_tile), (long)i * 16), k0,
                     a_regs[i]);
    for (int j = 0; j < fn; j++)
        read_operand(ctx, body, &s->b, false, tp_addi(b, wave_col0(ctx, acc_tile), (long)j * 16),
                     k0, b_regs[j]);
    for (int i = 0; i < fm; i++)
        for (int j = 0; j < fn; j++) {
            tp_expr *operands[TP_MFMA_OPERANDS];
            for (int e = 0; e < TP_MFMA_ACC; e++)
                operands[e] = tp_ref(b, acc->scalars[(4 * i + e) * fn + j]);
            for (int e = 0; e < TP_MFMA_A; e++)
                operands[TP_MFMA_ACC + e] = tp_ref(b, a_regs[i][e]);
            for (int e = 0; e < TP_MFMA_B; e++)
                operands[TP_MFMA_ACC + TP_MFMA_A + e] = tp_ref(b, b_regs[j][e]);
            tp_mfma(b, body, type, operands);
        }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}
