/* An MMA on the warp's matrix unit: mma.sync m16n8k16 with f32 products
 * (m16n8k8 on tf32 and f64, m8n8k4 on f64).
 *
 * The group tile is split among warps (tsr_thread_map.fragments): warp
 * (wm, wn) owns a WM x WN block, WM = 16 * FM and WN = 8 * FN, as FM x FN
 * fragments of 16 x 8. Within a warp, lane l is in group g = l / 4 at
 * place t = l % 4, and the unit's layout (PTX ISA, "Matrix Fragments for
 * mma.m16n8k16") fixes what each lane holds of one fragment:
 *
 *   accumulators c0 c1 c2 c3: rows g, g, g + 8, g + 8; cols 2t, 2t + 1,
 *     2t, 2t + 1;
 *   A (16 x 16) a0 .. a7: rows g, g, g + 8, g + 8, g, g, g + 8, g + 8;
 *     k 2t, 2t + 1, 2t, 2t + 1, 2t + 8, 2t + 9, 2t + 8, 2t + 9;
 *   B (16 x 8) b0 .. b3: k 2t, 2t + 1, 2t + 8, 2t + 9; col g.
 *
 * The register tile is (2 FM) x (2 FN): fragment (fm, fn)'s accumulators
 * are its elements (2 fm + r, 2 fn + c) for c0 = (0, 0), c1 = (0, 1),
 * c2 = (1, 0), c3 = (1, 1), so element (i, j) lies at row
 * wm WM + (i / 2) 16 + (i % 2) 8 + g and col wn WN + (j / 2) 8 + 2t + j % 2
 * of the group tile, which is how the store finds it.
 *
 * The operands come from the shared tiles, which hold the 16-bit inputs as
 * loaded and as their matrices lie (k along the stored rows or across
 * them), and ldmatrix reads the fragments: A's four registers are four 8 x
 * 8 matrices, (rows, k) = (0, 0), (8, 0), (0, 8), (8, 8) of the fragment;
 * B's two are (k, cols) = (0, 0), (8, 0), two fragments of B at a time.
 * Each lane's pair lies along k, so a matrix stored with k along its rows
 * is read as it is and one stored the other way transposed.
 *
 * A may also be another accumulator tile of the warp (flash attention's
 * probabilities): its c0 c1 / c2 c3 pairs are A's a0a1 / a2a3 layout for
 * k along its cols, so they go in packed, without a trip through shared
 * memory (see pack_register_a).
 *
 * On f32 tiles the unit is m16n8k8 on tf32 values, on f64 tiles m16n8k8
 * on doubles, or four m8n8k4 in its place (see mma_k8). */
#include "core/lower_internal.h"

/* Lane, group and place within the warp; the warp's block. */
static tp_expr *lane_of(lower_ctx *ctx)
{
    return tp_bin(ctx->b, TP_MOD, tp_ref(ctx->b, ctx->tx), tp_int(ctx->b, 32));
}

static tp_expr *group_of(lower_ctx *ctx)
{
    return tp_bin(ctx->b, TP_DIV, lane_of(ctx), tp_int(ctx->b, 4));
}

static tp_expr *place_of(lower_ctx *ctx)
{
    return tp_bin(ctx->b, TP_MOD, lane_of(ctx), tp_int(ctx->b, 4));
}

/* Where the warp's block starts: rows from local id 1, cols from the warp
 * index along local id 0. */
static tp_expr *warp_row0(lower_ctx *ctx, const tsr_tile *acc)
{
    return ctx->ty ? tp_muli(ctx->b, tp_ref(ctx->b, ctx->ty), 8 * acc->rows) : tp_int(ctx->b, 0);
}

static tp_expr *warp_col0(lower_ctx *ctx, const tsr_tile *acc)
{
    tp_builder *b = ctx->b;
    return tp_muli(b, tp_bin(b, TP_DIV, tp_ref(b, ctx->tx), tp_int(b, 32)), 4 * acc->cols);
}

tp_expr *lower_fragment_row(lower_ctx *ctx, const tsr_tile *acc, int i)
{
    tp_builder *b = ctx->b;
    return tp_add(b, tp_addi(b, warp_row0(ctx, acc), (long)(i / 2) * 16 + (i % 2) * 8),
                  group_of(ctx));
}

tp_expr *lower_fragment_col(lower_ctx *ctx, const tsr_tile *acc, int j)
{
    tp_builder *b = ctx->b;
    return tp_add(b, tp_addi(b, warp_col0(ctx, acc), (long)(j / 2) * 8 + j % 2),
                  tp_muli(b, place_of(ctx), 2));
}

/* Whether ldmatrix can read a 16-bit shared tile: each stored row is a
 * whole number of 16-byte rows of 8 (the fragments start at multiples of 8). */
static bool ldmatrix_reads(const tsr_tile *t)
{
    int row = (t->transposed ? t->rows : t->cols) + t->pad;
    return !t->swizzled && row % 8 == 0 && tsr_dtype_size(t->dtype) == 2;
}

/* One ldmatrix of `count` matrices of an operand into fresh registers
 * regs[]: matrix q at (outer, k) = 8 x (bit outer_bit of q, bit k_bit of
 * q) from (outer0, k0) of the operand (outer is m for A, n for B), lane l
 * giving row l % 8 of matrix l / 8, which runs along k where the tile
 * stores k across its rows (then read transposed). */
static tsr_status load_fragments(lower_ctx *ctx, tp_block *out, const tsr_operand *o, bool is_a,
                                 tp_expr *outer0, tp_expr *k0, int outer_bit, int k_bit, int count,
                                 const tp_var **regs)
{
    tp_builder *b = ctx->b;
    /* k along the stored rows: A as [m][k] (not transposed), B as [n][k]. */
    bool k_along_rows = is_a != o->tile->transposed;
    tp_expr *lane = tp_bin(b, TP_MOD, tp_ref(b, ctx->tx), tp_int(b, 32));
    tp_expr *q = tp_bin(b, TP_MOD, tp_bin(b, TP_DIV, lane, tp_int(b, 8)), tp_int(b, count));
    tp_expr *row = tp_bin(b, TP_MOD, lane, tp_int(b, 8));
    tp_expr *q_outer = tp_muli(
        b, tp_bin(b, TP_MOD, tp_bin(b, TP_DIV, q, tp_int(b, 1 << outer_bit)), tp_int(b, 2)), 8);
    tp_expr *q_k =
        tp_muli(b, tp_bin(b, TP_MOD, tp_bin(b, TP_DIV, q, tp_int(b, 1 << k_bit)), tp_int(b, 2)), 8);
    tp_expr *lane_outer = tp_add(b, outer0, q_outer), *lane_k = tp_add(b, k0, q_k);
    if (k_along_rows)
        lane_outer = tp_add(b, lane_outer, row);
    else
        lane_k = tp_add(b, lane_k, row);
    tp_expr *elem = is_a ? lower_shared_elem(ctx, o->tile, o->stage, lane_outer, lane_k)
                         : lower_shared_elem(ctx, o->tile, o->stage, lane_k, lane_outer);
    for (int i = 0; i < count; i++) {
        regs[i] = lower_temp(ctx, is_a ? "fa" : "fb", TSR_I32);
        tp_decl(b, out, regs[i], NULL);
    }
    tp_ldmatrix(b, out, count, !k_along_rows, regs, elem);
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* A's registers for the k-step at k0 (a multiple of 16) from another
 * accumulator tile of the same warp rows (flash attention's P): element
 * (2 fm + r, 2 fn + c) is row 16 fm + 8 r + g, col 8 fn + 2t + c of the
 * warp's block, which is where A's a0 .. a7 want rows g, g + 8 and k 2t,
 * 2t + 1 (+ 8): the pairs of fragments fn = k0 / 8 and k0 / 8 + 1, packed
 * to the 16-bit type of B. */
static void pack_register_a(lower_ctx *ctx, tp_block *out, const tsr_tile *a_tile,
                            const lower_tile *a, tsr_dtype type, int fm, int k0,
                            const tp_var **regs)
{
    tp_builder *b = ctx->b;
    tp_func pack = type == TSR_BF16 ? TP_PACK_BF16X2 : TP_PACK_F16X2;
    int cols = a_tile->cols;
    for (int e = 0; e < TP_MMA_A; e++) {
        int row = 2 * fm + e % 2, col = 2 * (k0 / 8 + e / 2);
        regs[e] = lower_temp(ctx, "fa", TSR_I32);
        tp_decl(b, out, regs[e],
                tp_call(b, pack, 2, tp_ref(b, a->scalars[row * cols + col]),
                        tp_ref(b, a->scalars[row * cols + col + 1]), NULL));
    }
}

/* The same multiply with A in registers (pack_register_a): its k-steps
 * unrolled, since which registers a step reads is fixed as it is printed. */
static tsr_status mma_register_a(lower_ctx *ctx, const tsr_stmt *s, const lower_tile *acc,
                                 tp_block *out)
{
    tp_builder *b = ctx->b;
    const tsr_tile *acc_tile = s->tile, *a_tile = s->a.tile;
    const lower_tile *a = lower_find_tile(ctx, a_tile);
    tsr_dtype type = s->b.tile->dtype;
    int fm = acc_tile->rows / 2, fn = acc_tile->cols / 2;
    if (!a || !a->scalars || a_tile->rows != acc_tile->rows || a_tile->lanes != 1 ||
        a_tile->cols * 8 / 2 < s->k_count || s->map.threads_cols != 1)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "mma.sync reads A from registers only as a warp's accumulators of the "
                        "same rows, holding every k, one warp along the cols");
    for (int k0 = 0; k0 < s->k_count; k0 += 16) {
        tp_stmt *step = tp_scope(b, out);
        if (!step)
            return TSR_ERR_NOMEM;
        const tp_var *b_regs[16][TP_MMA_B];
        for (int j = 0; j < fn; j += 2) {
            tp_expr *n = tp_addi(b, warp_col0(ctx, acc_tile), (long)j * 8);
            const tp_var *regs[4];
            int count = j + 1 < fn ? 4 : 2;
            TSR_TRY(load_fragments(ctx, &step->body, &s->b, false, n, tp_int(b, k0), 1, 0, count,
                                   regs));
            for (int e = 0; e < count; e++)
                b_regs[j + e / 2][e % 2] = regs[e];
        }
        for (int i = 0; i < fm; i++) {
            const tp_var *a_regs[TP_MMA_A];
            pack_register_a(ctx, &step->body, a_tile, a, type, i, k0, a_regs);
            for (int j = 0; j < fn; j++) {
                tp_expr *operands[TP_MMA_OPERANDS];
                for (int e = 0; e < TP_MMA_ACC; e++)
                    operands[e] =
                        tp_ref(b, acc->scalars[(2 * i + e / 2) * acc_tile->cols + 2 * j + e % 2]);
                for (int e = 0; e < TP_MMA_A; e++)
                    operands[TP_MMA_ACC + e] = tp_ref(b, a_regs[e]);
                for (int e = 0; e < TP_MMA_B; e++)
                    operands[TP_MMA_ACC + TP_MMA_A + e] = tp_ref(b, b_regs[j][e]);
                tp_mma_sync(b, &step->body, type, operands);
            }
        }
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

/* The multiplies of the fragments' operands in a_regs and b_regs into the
 * accumulators, fragment (i, j) on A's fragment row i and B's col j. */
static void multiply_fragments(lower_ctx *ctx, tp_block *body, tsr_dtype type, bool k4,
                               const tsr_tile *acc_tile, const lower_tile *acc,
                               const tp_var *const (*a_regs)[TP_MMA_A],
                               const tp_var *const (*b_regs)[TP_MMA_B])
{
    tp_builder *b = ctx->b;
    int cols = acc_tile->cols;
    for (int i = 0; i < acc_tile->rows / 2; i++)
        for (int j = 0; j < cols / 2; j++) {
            tp_expr *operands[TP_MMA_OPERANDS];
            for (int e = 0; e < TP_MMA_ACC; e++)
                operands[e] = tp_ref(b, acc->scalars[(2 * i + e / 2) * cols + 2 * j + e % 2]);
            for (int e = 0; e < TP_MMA_A; e++)
                operands[TP_MMA_ACC + e] = tp_ref(b, a_regs[i][e]);
            for (int e = 0; e < TP_MMA_B; e++)
                operands[TP_MMA_ACC + TP_MMA_A + e] = tp_ref(b, b_regs[j][e]);
            tp_stmt *mma = tp_mma_sync(b, body, type, operands);
            if (mma)
                mma->mma_k4 = k4;
        }
}

/* The k loop over a multiply's k_count in steps of the unit's `step`, for
 * a warp block of at most 8 x 16 fragments: its body in *body and the
 * step's first k in *k0. */
static tsr_status open_k_loop(lower_ctx *ctx, const tsr_stmt *s, int step, tp_block *out,
                              tp_block **body, tp_expr **k0)
{
    tp_builder *b = ctx->b;
    int fm = s->tile->rows / 2, fn = s->tile->cols / 2;
    if (fm > 8 || fn > 16)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "a warp block of %dx%d fragments is too large", fm, fn);
    const tp_var *kk = lower_temp(ctx, "kk", TSR_I32);
    tp_stmt *loop =
        tp_for(b, out, kk, tp_int(b, 0), tp_int(b, s->k_count), tp_int(b, step), s->k_unroll);
    if (!loop)
        return TSR_ERR_NOMEM;
    *body = &loop->body;
    *k0 = lower_declare_const(ctx, *body, "k", tp_ref(b, kk));
    return TSR_OK;
}

/* One operand value of the shared tile at (row, col) in a fresh register:
 * rounded to tf32 (a 32-bit register) or, on f64 tiles, as it is. */
static const tp_var *k8_register(lower_ctx *ctx, tp_block *body, const tsr_operand *o,
                                 const char *name, tp_expr *row, tp_expr *col)
{
    tp_expr *elem = lower_shared_elem(ctx, o->tile, o->stage, row, col);
    bool f64 = o->tile->dtype == TSR_F64;
    const tp_var *reg = lower_temp(ctx, name, f64 ? TSR_F64 : TSR_I32);
    tp_decl(ctx->b, body, reg, f64 ? elem : tp_call(ctx->b, TP_TO_TF32, 1, elem, NULL, NULL));
    return reg;
}

/* m16n8k8 on f32 tiles whose values the unit takes as tf32, or on f64
 * tiles (sm_90 and later). Each lane's operand registers hold one value
 * each, and both types place them alike (PTX ISA, "Matrix Fragments for
 * mma.m16n8k8", .tf32 and .f64): A's a0 .. a3 at rows g, g + 8, g, g + 8
 * and k t, t, t + 4, t + 4 of its fragment; B's b0 b1 at k t, t + 4 and
 * col g; the accumulators as for m16n8k16 (doubles on f64). ldmatrix
 * moves 16-bit pairs, so each is read from shared memory by itself (and
 * rounded to tf32 as it is read), once for the fragments of the other
 * operand it meets. sm_80's unit for doubles, m8n8k4 (A row g, k t; B k
 * t, col g; accumulators row g, cols 2t and 2t + 1), takes the same
 * registers four at a time: m16n8k8's rows g and g + 8 by k 0 .. 3 and
 * 4 .. 7, each product spelled as four (TP_MMA_SYNC's mma_k4). */
static tsr_status mma_k8(lower_ctx *ctx, const tsr_stmt *s, const lower_tile *acc, tp_block *out)
{
    tp_builder *b = ctx->b;
    const tsr_tile *acc_tile = s->tile;
    bool f64 = s->unit == TSR_UNIT_MMA_M16N8K8_F64 || s->unit == TSR_UNIT_MMA_M8N8K4_F64;
    tsr_dtype tile_type = f64 ? TSR_F64 : TSR_F32;
    if (s->a.tile->dtype != tile_type || s->b.tile->dtype != tile_type ||
        acc_tile->dtype != tile_type || s->k_count % 8)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "mma.sync m16n8k8 %s reads %s tiles into %s accumulators in k-steps of 8 "
                        "(A %s, B %s, accumulators %s, k %d)",
                        f64 ? "f64" : "tf32", tsr_dtype_name(tile_type), tsr_dtype_name(tile_type),
                        tsr_dtype_name(s->a.tile->dtype), tsr_dtype_name(s->b.tile->dtype),
                        tsr_dtype_name(acc_tile->dtype), s->k_count);
    int fm = acc_tile->rows / 2, fn = acc_tile->cols / 2;
    tp_block *body;
    tp_expr *k0;
    TSR_TRY(open_k_loop(ctx, s, 8, out, &body, &k0));
    const tp_var *a_regs[8][TP_MMA_A], *b_regs[16][TP_MMA_B];
    for (int i = 0; i < fm; i++)
        for (int e = 0; e < TP_MMA_A; e++) {
            tp_expr *row = tp_add(
                b, tp_addi(b, warp_row0(ctx, acc_tile), (long)i * 16 + (e % 2) * 8), group_of(ctx));
            tp_expr *k = tp_add(b, tp_addi(b, k0, (e / 2) * 4), place_of(ctx));
            a_regs[i][e] = k8_register(ctx, body, &s->a, "fa", row, k);
        }
    for (int j = 0; j < fn; j++)
        for (int e = 0; e < TP_MMA_B; e++) {
            tp_expr *k = tp_add(b, tp_addi(b, k0, e * 4), place_of(ctx));
            tp_expr *col =
                tp_add(b, tp_addi(b, warp_col0(ctx, acc_tile), (long)j * 8), group_of(ctx));
            b_regs[j][e] = k8_register(ctx, body, &s->b, "fb", k, col);
        }
    multiply_fragments(ctx, body, f64 ? TSR_F64 : TSR_TF32, s->unit == TSR_UNIT_MMA_M8N8K4_F64,
                       acc_tile, acc, a_regs, b_regs);
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

tsr_status lower_mma_sync(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    const tsr_tile *acc_tile = s->tile;
    const lower_tile *acc = lower_find_tile(ctx, acc_tile);
    if (!acc || !acc->scalars)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "mma into a tile that is not in registers");
    bool a_in_registers = s->a.tile && s->a.tile->space == TSR_SPACE_REGISTER;
    bool k8 = s->unit == TSR_UNIT_MMA_M16N8K8_TF32 || s->unit == TSR_UNIT_MMA_M16N8K8_F64 ||
              s->unit == TSR_UNIT_MMA_M8N8K4_F64;
    int unit_k = k8 ? 8 : 16;
    if (!k8 && a_in_registers && s->b.tile && s->map.fragments && acc_tile->lanes == 1 &&
        acc_tile->rows % 2 == 0 && acc_tile->cols % 2 == 0 && s->k_count % 16 == 0 &&
        (s->b.tile->dtype == TSR_F16 || s->b.tile->dtype == TSR_BF16) &&
        ldmatrix_reads(s->b.tile) && acc_tile->cols / 2 <= 16)
        return mma_register_a(ctx, s, acc, out);
    if (!s->a.tile || !s->b.tile || a_in_registers || !s->map.fragments || acc_tile->lanes != 1 ||
        acc_tile->rows % 2 || acc_tile->cols % 2 || s->k_count % unit_k)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "mma.sync needs both operands in shared memory, a fragment map, scalar "
                        "accumulators in whole fragments and k-steps of %d",
                        unit_k);
    if (k8)
        return mma_k8(ctx, s, acc, out);
    tsr_dtype type = s->a.tile->dtype;
    if ((type != TSR_F16 && type != TSR_BF16) || s->b.tile->dtype != type ||
        !ldmatrix_reads(s->a.tile) || !ldmatrix_reads(s->b.tile))
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "mma.sync m16n8k16 reads f16 or bf16 tiles whose stored rows are whole "
                        "16-byte rows (A %s, B %s)",
                        tsr_dtype_name(s->a.tile->dtype), tsr_dtype_name(s->b.tile->dtype));
    int fm = acc_tile->rows / 2, fn = acc_tile->cols / 2;
    tp_block *body;
    tp_expr *k0;
    TSR_TRY(open_k_loop(ctx, s, 16, out, &body, &k0));
    /* A's registers a0a1, a2a3, a4a5, a6a7 are the matrices at (rows, k)
     * = (0, 0), (8, 0), (0, 8), (8, 8) of its fragment: rows by bit 0 of
     * the matrix's number, k by bit 1. B's b0b1, b2b3 of fragments j and
     * j + 1 are at (cols, k) = (0, 0), (0, 8), (8, 0), (8, 8): k by bit 0,
     * cols by bit 1 (a lone last fragment takes the first two). */
    const tp_var *a_regs[8][TP_MMA_A], *b_regs[16][TP_MMA_B];
    for (int i = 0; i < fm; i++) {
        tp_expr *m = tp_addi(b, warp_row0(ctx, acc_tile), (long)i * 16);
        TSR_TRY(load_fragments(ctx, body, &s->a, true, m, k0, 0, 1, 4, a_regs[i]));
    }
    for (int j = 0; j < fn; j += 2) {
        tp_expr *n = tp_addi(b, warp_col0(ctx, acc_tile), (long)j * 8);
        const tp_var *regs[4];
        int count = j + 1 < fn ? 4 : 2;
        TSR_TRY(load_fragments(ctx, body, &s->b, false, n, k0, 1, 0, count, regs));
        for (int e = 0; e < count; e++)
            b_regs[j + e / 2][e % 2] = regs[e];
    }
    multiply_fragments(ctx, body, type, false, acc_tile, acc, a_regs, b_regs);
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}
