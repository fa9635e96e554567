/* An MMA on one of AMD's wave matrix units, 16x16x16 with f32 products on
 * f16 or bf16 operands: CDNA's MFMA (v_mfma_f32_16x16x16f16 and _bf16_1k)
 * on waves of 64 threads, RDNA3's WMMA (v_wmma_f32_16x16x16_f16 and _bf16)
 * on waves of 32.
 *
 * The group tile is split among waves (tsr_thread_map.waves): wave (wm,
 * wn) owns a WM x WN block, WM = 16 FM and WN = 16 FN, as FM x FN
 * fragments of 16 x 16. Within a wave, lane l is at place t = l % 16 in
 * its half h = l / 16 (MFMA's quarter), and each unit's layout (AMD's
 * instruction set guides; their matrix instruction calculator prints the
 * same) fixes what each lane holds of one fragment:
 *
 *   MFMA, four values each: A row t, k 4h + e; B k 4h + e, col t;
 *     accumulator e at row 4h + e, col t (e = 0 .. 3);
 *   WMMA, sixteen values each: A row t, k e; B k e, col t (the wave's two
 *     halves hold the same); accumulator i at row 2i + h, col t
 *     (i = 0 .. 7).
 *
 * That is, with U accumulators a fragment (4 or 8), value e of A's lane
 * lies at k = kq h + e and accumulator i at row rq h + rs i, where (kq, rq,
 * rs) is (4, 4, 1) for MFMA and (0, 1, 2) for WMMA. The register tile is
 * (U FM) x FN: fragment (fm, fn)'s accumulators are its elements
 * (U fm + i, fn), so element (i, j) lies at row wm WM + (i / U) 16 + rq h
 * + rs (i % U) and col wn WN + 16 j + t of the group tile, which is how the
 * store finds it: each of the wave's stores writes 16 neighbouring cols.
 *
 * The operands come from the shared tiles as loaded (16-bit values, their
 * matrices as they lie): each lane reads its values of A along k and of B
 * one at a time; where k runs along the stored rows the compiler may merge
 * a lane's reads into wider ones. */
#include "core/lower_internal.h"

typedef struct wave_layout {
    int wave;       /* threads */
    int values;     /* of A and of B per lane */
    int acc;        /* accumulators per lane and fragment (U) */
    int kq, rq, rs; /* as above */
} wave_layout;

static const wave_layout mfma = {64, 4, 4, 4, 4, 1};
static const wave_layout wmma = {32, 16, 8, 0, 1, 2};

static const wave_layout *layout_of(tsr_wave_unit unit)
{
    return unit == TSR_WAVES_WMMA ? &wmma : &mfma;
}

static tp_expr *lane_of(lower_ctx *ctx, const wave_layout *w)
{
    return tp_bin(ctx->b, TP_MOD, tp_ref(ctx->b, ctx->tx), tp_int(ctx->b, w->wave));
}

/* The lane's half (MFMA's quarter) h and place t. */
static tp_expr *half_of(lower_ctx *ctx, const wave_layout *w)
{
    return tp_bin(ctx->b, TP_DIV, lane_of(ctx, w), tp_int(ctx->b, 16));
}

static tp_expr *place_of(lower_ctx *ctx, const wave_layout *w)
{
    return tp_bin(ctx->b, TP_MOD, lane_of(ctx, w), tp_int(ctx->b, 16));
}

/* Where the wave's block starts: rows from local id 1, cols from the wave
 * index along local id 0. */
static tp_expr *wave_row0(lower_ctx *ctx, const wave_layout *w, const tsr_tile *acc)
{
    return ctx->ty ? tp_muli(ctx->b, tp_ref(ctx->b, ctx->ty), 16 * (acc->rows / w->acc))
                   : tp_int(ctx->b, 0);
}

static tp_expr *wave_col0(lower_ctx *ctx, const wave_layout *w, const tsr_tile *acc)
{
    tp_builder *b = ctx->b;
    return tp_muli(b, tp_bin(b, TP_DIV, tp_ref(b, ctx->tx), tp_int(b, w->wave)), 16 * acc->cols);
}

tp_expr *lower_wave_row(lower_ctx *ctx, tsr_wave_unit unit, const tsr_tile *acc, int i)
{
    tp_builder *b = ctx->b;
    const wave_layout *w = layout_of(unit);
    return tp_add(
        b, tp_addi(b, wave_row0(ctx, w, acc), (long)(i / w->acc) * 16 + w->rs * (i % w->acc)),
        tp_muli(b, half_of(ctx, w), w->rq));
}

tp_expr *lower_wave_col(lower_ctx *ctx, tsr_wave_unit unit, const tsr_tile *acc, int j)
{
    tp_builder *b = ctx->b;
    const wave_layout *w = layout_of(unit);
    return tp_add(b, tp_addi(b, wave_col0(ctx, w, acc), (long)j * 16), place_of(ctx, w));
}

/* The lane's values of an operand's fragment for the k-step at k0, into
 * fresh registers: A's at row outer0 + t, B's at col outer0 + t, k at
 * k0 + kq h + e. */
static void read_operand(lower_ctx *ctx, const wave_layout *w, tp_block *out, const tsr_operand *o,
                         bool is_a, tp_expr *outer0, tp_expr *k0, const tp_var **regs)
{
    tp_builder *b = ctx->b;
    tp_expr *outer = tp_add(b, outer0, place_of(ctx, w));
    tp_expr *k = w->kq ? tp_add(b, k0, tp_muli(b, half_of(ctx, w), w->kq)) : k0;
    for (int e = 0; e < w->values; e++) {
        tp_expr *ke = tp_addi(b, k, e);
        tp_expr *value = is_a ? lower_shared_elem(ctx, o->tile, o->stage, outer, ke)
                              : lower_shared_elem(ctx, o->tile, o->stage, ke, outer);
        regs[e] = lower_temp(ctx, is_a ? "fa" : "fb", o->tile->dtype);
        tp_decl(b, out, regs[e], value);
    }
}

tsr_status lower_wave_mma(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const tsr_tile *acc_tile = s->tile;
    const lower_tile *acc = lower_find_tile(ctx, acc_tile);
    bool on_wmma = s->unit == TSR_UNIT_WMMA_16X16X16;
    const wave_layout *w = on_wmma ? &wmma : &mfma;
    const char *name = on_wmma ? "WMMA" : "MFMA";
    if (!acc || !acc->scalars)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "mma into a tile that is not in registers");
    if (!s->a.tile || !s->b.tile || s->a.tile->space != TSR_SPACE_SHARED ||
        s->b.tile->space != TSR_SPACE_SHARED ||
        s->map.waves != (on_wmma ? TSR_WAVES_WMMA : TSR_WAVES_MFMA) || acc_tile->lanes != 1 ||
        acc_tile->rows % w->acc || s->k_count % 16)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "%s needs both operands in shared memory, its wave map, scalar "
                        "accumulators in whole fragments and k-steps of 16",
                        name);
    tsr_dtype type = s->a.tile->dtype;
    if ((type != TSR_F16 && type != TSR_BF16) || s->b.tile->dtype != type || s->a.tile->swizzled ||
        s->b.tile->swizzled)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "%s 16x16x16 reads f16 or bf16 tiles, unswizzled (A %s, B %s)", name,
                        tsr_dtype_name(s->a.tile->dtype), tsr_dtype_name(s->b.tile->dtype));
    int fm = acc_tile->rows / w->acc, fn = acc_tile->cols;
    if (fm > 4 || fn > 4)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "a wave block of %dx%d fragments is too large", fm, fn);
    const tp_var *kk = lower_temp(ctx, "kk", TSR_I32);
    tp_stmt *loop =
        tp_for(b, out, kk, tp_int(b, 0), tp_int(b, s->k_count), tp_int(b, 16), s->k_unroll);
    if (!loop)
        return TSR_ERR_NOMEM;
    tp_block *body = &loop->body;
    tp_expr *k0 = lower_declare_const(ctx, body, "k", tp_ref(b, kk));
    const tp_var *a_regs[4][TP_WMMA_A], *b_regs[4][TP_WMMA_B];
    for (int i = 0; i < fm; i++)
        read_operand(ctx, w, body, &s->a, true,
                     tp_addi(b, wave_row0(ctx, w, acc_tile), (long)i * 16), k0, a_regs[i]);
    for (int j = 0; j < fn; j++)
        read_operand(ctx, w, body, &s->b, false,
                     tp_addi(b, wave_col0(ctx, w, acc_tile), (long)j * 16), k0, b_regs[j]);
    for (int i = 0; i < fm; i++)
        for (int j = 0; j < fn; j++) {
            tp_expr *operands[TP_WMMA_OPERANDS];
            int n = 0;
            for (int e = 0; e < w->acc; e++)
                operands[n++] = tp_ref(b, acc->scalars[(w->acc * i + e) * fn + j]);
            for (int e = 0; e < w->values; e++)
                operands[n++] = tp_ref(b, a_regs[i][e]);
            for (int e = 0; e < w->values; e++)
                operands[n++] = tp_ref(b, b_regs[j][e]);
            if (on_wmma)
                tp_wmma(b, body, type, operands);
            else
                tp_mfma(b, body, type, operands);
        }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}
