/* An MMA on a matrix unit shared by a wave or a sub-group, with f32
 * products on f16 or bf16 operands: CDNA's MFMA 16x16x16
 * (v_mfma_f32_16x16x16f16 and _bf16_1k) on waves of 64 threads, RDNA3's
 * WMMA 16x16x16 (v_wmma_f32_16x16x16_f16 and _bf16) on waves of 32, and
 * Intel's DPAS 8 x S x 16 (intel_sub_group_f16_f16_matrix_mad_k16 and
 * bf16's) on sub-groups of S = 8 or 16 work-items.
 *
 * The group tile is split among waves (tsr_thread_map.waves): wave (wm,
 * wn) owns FM x FN fragments of R x C (16 x 16 on AMD's units, 8 x S on
 * Intel's). Within a wave, lane l is at place t = l % C, in half h = l /
 * 16 (MFMA's quarter), and each unit's layout (AMD's instruction set
 * guides, whose matrix instruction calculator prints the same; Intel's
 * cl_intel_subgroup_matrix_multiply_accumulate) fixes what each lane
 * holds of one fragment:
 *
 *   MFMA, four values each: A row t, k 4h + e; B k 4h + e, col t;
 *     accumulator e at row 4h + e, col t (e = 0 .. 3);
 *   WMMA, sixteen values each: A row t, k e; B k e, col t (the wave's two
 *     halves hold the same); accumulator i at row 2i + h, col t
 *     (i = 0 .. 7);
 *   DPAS: A rows m = 0 .. 7 at k t (S = 16), or at k 2t and 2t + 1 (S =
 *     8); B k e = 0 .. 15, col t; accumulator m at row m, col t.
 *
 * That is, with U accumulators a fragment, accumulator i lies at row rq h
 * + rs i, (rq, rs) = (4, 1) for MFMA, (1, 2) for WMMA, (0, 1) for DPAS.
 * The register tile is (U FM) x FN: fragment (fm, fn)'s accumulators are
 * its elements (U fm + i, fn), so element (i, j) lies at row wm FM R + (i /
 * U) R + rq h + rs (i % U) and col wn FN C + C j + t of the group tile,
 * which is how the store finds it: each of the wave's stores writes C
 * neighbouring cols.
 *
 * The operands come from the shared tiles as loaded (16-bit values, their
 * matrices as they lie), one value at a time; where a lane's values run
 * along a stored row the compiler may merge its reads into wider ones. */
#include "core/lower_internal.h"

typedef struct wave_layout {
    const char *name;  /* in messages */
    tsr_mma_unit unit; /* of the MMA statements that take this map */
    int wave;          /* threads */
    int rows, cols;    /* of a fragment (R x C) */
    int acc;           /* accumulators per lane and fragment (U) */
    int rq, rs;        /* as above */
    int values;        /* AMD's: of A and of B per lane */
    int kq;            /* AMD's: a lane's first k is kq h */
} wave_layout;

/* The most operands any of the units' statements takes. */
enum { MOST_OPERANDS = 40 };
_Static_assert((int)TP_MFMA_OPERANDS <= MOST_OPERANDS && (int)TP_WMMA_OPERANDS <= MOST_OPERANDS &&
                   (int)TP_DPAS_MOST_OPERANDS <= MOST_OPERANDS,
               "a unit's operands fit");

static const wave_layout mfma = {
    "MFMA 16x16x16", TSR_UNIT_MFMA_16X16X16, 64, 16, 16, 4, 4, 1, 4, 4};
static const wave_layout wmma = {
    "WMMA 16x16x16", TSR_UNIT_WMMA_16X16X16, 32, 16, 16, 8, 1, 2, 16, 0};
static const wave_layout dpas8 = {"DPAS 8xSx16", TSR_UNIT_DPAS, 8, 8, 8, 8, 0, 1, 0, 0};
static const wave_layout dpas16 = {"DPAS 8xSx16", TSR_UNIT_DPAS, 16, 8, 16, 8, 0, 1, 0, 0};

static const wave_layout *layout_of(tsr_wave_unit unit)
{
    switch (unit) {
    case TSR_WAVES_WMMA: return &wmma;
    case TSR_WAVES_DPAS8: return &dpas8;
    case TSR_WAVES_DPAS16: return &dpas16;
    default: return &mfma;
    }
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
    return w->cols == w->wave ? lane_of(ctx, w)
                              : tp_bin(ctx->b, TP_MOD, lane_of(ctx, w), tp_int(ctx->b, w->cols));
}

/* Where the wave's block starts: rows from local id 1, cols from the wave
 * index along local id 0. */
static tp_expr *wave_row0(lower_ctx *ctx, const wave_layout *w, const tsr_tile *acc)
{
    return ctx->ty ? tp_muli(ctx->b, tp_ref(ctx->b, ctx->ty), w->rows * (acc->rows / w->acc))
                   : tp_int(ctx->b, 0);
}

static tp_expr *wave_col0(lower_ctx *ctx, const wave_layout *w, const tsr_tile *acc)
{
    tp_builder *b = ctx->b;
    return tp_muli(b, tp_bin(b, TP_DIV, tp_ref(b, ctx->tx), tp_int(b, w->wave)),
                   w->cols * acc->cols);
}

tp_expr *lower_wave_row(lower_ctx *ctx, tsr_wave_unit unit, const tsr_tile *acc, int i)
{
    tp_builder *b = ctx->b;
    const wave_layout *w = layout_of(unit);
    tp_expr *row =
        tp_addi(b, wave_row0(ctx, w, acc), (long)(i / w->acc) * w->rows + w->rs * (i % w->acc));
    return w->rq ? tp_add(b, row, tp_muli(b, half_of(ctx, w), w->rq)) : row;
}

tp_expr *lower_wave_col(lower_ctx *ctx, tsr_wave_unit unit, const tsr_tile *acc, int j)
{
    tp_builder *b = ctx->b;
    const wave_layout *w = layout_of(unit);
    return tp_add(b, tp_addi(b, wave_col0(ctx, w, acc), (long)j * w->cols), place_of(ctx, w));
}

/* One operand value of the shared tile, A's at (outer, k) or B's at (k,
 * outer), into a fresh register. */
static const tp_var *read_value(lower_ctx *ctx, tp_block *out, const tsr_operand *o, bool is_a,
                                tp_expr *outer, tp_expr *k)
{
    tp_expr *value = is_a ? lower_shared_elem(ctx, o->tile, o->stage, outer, k)
                          : lower_shared_elem(ctx, o->tile, o->stage, k, outer);
    const tp_var *reg = lower_temp(ctx, is_a ? "fa" : "fb", o->tile->dtype);
    tp_decl(ctx->b, out, reg, value);
    return reg;
}

/* The lane's values of an operand's fragment for the k-step at k0 on
 * AMD's units: A's at row outer0 + t, B's at col outer0 + t, k at k0 + kq h
 * + e; on Intel's, B's at col outer0 + t, k at k0 + e, and A's at rows
 * outer0 + m, k at k0 + t (S = 16) or k0 + 2t + q (S = 8, value 2m + q). */
static int read_operand(lower_ctx *ctx, const wave_layout *w, tp_block *out, const tsr_operand *o,
                        bool is_a, tp_expr *outer0, tp_expr *k0, const tp_var **regs)
{
    tp_builder *b = ctx->b;
    tp_expr *t = place_of(ctx, w);
    if (w->values) {
        tp_expr *outer = tp_add(b, outer0, t);
        tp_expr *k = w->kq ? tp_add(b, k0, tp_muli(b, half_of(ctx, w), w->kq)) : k0;
        for (int e = 0; e < w->values; e++)
            regs[e] = read_value(ctx, out, o, is_a, outer, tp_addi(b, k, e));
        return w->values;
    }
    if (!is_a) {
        for (int e = 0; e < TP_DPAS_B; e++)
            regs[e] = read_value(ctx, out, o, false, tp_add(b, outer0, t), tp_addi(b, k0, e));
        return TP_DPAS_B;
    }
    int per_row = w->wave == 8 ? 2 : 1;
    tp_expr *k = tp_add(b, k0, per_row == 2 ? tp_muli(b, t, 2) : t);
    for (int m = 0; m < 8; m++)
        for (int q = 0; q < per_row; q++)
            regs[per_row * m + q] =
                read_value(ctx, out, o, true, tp_addi(b, outer0, m), tp_addi(b, k, q));
    return 8 * per_row;
}

tsr_status lower_wave_mma(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const tsr_tile *acc_tile = s->tile;
    const lower_tile *acc = lower_find_tile(ctx, acc_tile);
    /* The map names the unit, the statement's must agree with it. */
    tsr_wave_unit unit = s->map.waves;
    const wave_layout *w = layout_of(unit);
    const char *name = unit ? w->name : "a wave or sub-group unit";
    if (!acc || !acc->scalars)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "mma into a tile that is not in registers");
    if (!s->a.tile || !s->b.tile || s->a.tile->space != TSR_SPACE_SHARED ||
        s->b.tile->space != TSR_SPACE_SHARED || !unit || s->unit != w->unit ||
        acc_tile->lanes != 1 || acc_tile->rows % w->acc || s->k_count % 16)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "%s needs both operands in shared memory, its wave map, scalar "
                        "accumulators in whole fragments and k-steps of 16",
                        name);
    tsr_dtype type = s->a.tile->dtype;
    if ((type != TSR_F16 && type != TSR_BF16) || s->b.tile->dtype != type || s->a.tile->swizzled ||
        s->b.tile->swizzled)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "%s reads f16 or bf16 tiles, unswizzled (A %s, B %s)", name,
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
    const tp_var *a_regs[4][16], *b_regs[4][16];
    int a_count = 0, b_count = 0;
    for (int i = 0; i < fm; i++)
        a_count =
            read_operand(ctx, w, body, &s->a, true,
                         tp_addi(b, wave_row0(ctx, w, acc_tile), (long)i * w->rows), k0, a_regs[i]);
    for (int j = 0; j < fn; j++)
        b_count =
            read_operand(ctx, w, body, &s->b, false,
                         tp_addi(b, wave_col0(ctx, w, acc_tile), (long)j * w->cols), k0, b_regs[j]);
    for (int i = 0; i < fm; i++)
        for (int j = 0; j < fn; j++) {
            tp_expr *operands[MOST_OPERANDS];
            int n = 0;
            for (int e = 0; e < w->acc; e++)
                operands[n++] = tp_ref(b, acc->scalars[(w->acc * i + e) * fn + j]);
            for (int e = 0; e < a_count; e++)
                operands[n++] = tp_ref(b, a_regs[i][e]);
            for (int e = 0; e < b_count; e++)
                operands[n++] = tp_ref(b, b_regs[j][e]);
            if (w->unit == TSR_UNIT_WMMA_16X16X16)
                tp_wmma(b, body, type, operands);
            else if (w->unit == TSR_UNIT_MFMA_16X16X16)
                tp_mfma(b, body, type, operands);
            else
                tp_dpas(b, body, type, w->wave, operands);
        }
    if (w->unit == TSR_UNIT_DPAS)
        ctx->subgroup_size = w->wave;
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}
