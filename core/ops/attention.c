/* Attention: O = softmax(scale Q K^T [+ causal mask]) V for every (batch,
 * head), fused in the flash-attention style, as a tile program.
 *
 * A work-group owns BM query rows of one head. It stages them in shared
 * memory once, then walks the keys BN at a time: K's and V's tiles are
 * staged, the scores S = Q K^T of its rows land in registers (each thread
 * holding its part under a thread map, or the matrix unit's fragments),
 * are scaled and masked, and update an online softmax: the running row
 * max m and row sum l, with the output accumulator O rescaled by
 * exp(m_old - m_new) whenever the max grows. The probabilities P go
 * through a shared tile into the second multiply, O += P V, or (PR=1)
 * straight from the scores' registers. At the end O / l is stored. No
 * score matrix ever reaches global memory.
 *
 * The multiplies run on the threads' FMAs, the warp's matrix unit (MU=1,
 * mma.sync) or the warpgroup's (MU=2, wgmma, which reads its operands
 * from swizzled shared tiles, P included).
 *
 * The softmax runs in base 2: the scores are scaled by scale log2(e), so
 * that exp(scale (s - max)) is exp2 of their difference, which a GPU's
 * special-function unit computes in one instruction (expf takes eight on
 * NVIDIA's). m is then the running max of the scaled scores, and O / l is
 * the same quotient. */
#include "core/ir.h"
#include "core/ops/attention_internal.h"
#include "core/ops/attention_spec.h"
#include "core/ops/ops.h"

/* Scores of masked keys: far below any real score, yet finite, so that
 * exp(masked - max) is exactly 0 and no infinity meets another. */
#define MASKED_SCORE (-1.0e30)

static void attention_geometry_rule(const tsr_opspec *spec, const tsr_config *config,
                                    tsr_geometry_rule *rule)
{
    (void)spec;
    attention_cfg c = attention_cfg_of(config);
    *rule = (tsr_geometry_rule){
        .dims = 3,
        .dim = {ATT_DIM_Q, ATT_DIM_HEADS, ATT_DIM_BATCH},
        .per_group = {c.bm, 1, 1},
        .local = {(size_t)attention_local_x(&c), (size_t)attention_local_y(&c), 1},
    };
}

static void declare_params(tsr_tile_program *p, const tsr_opspec *spec)
{
    static const char *names[ATT_ARG_COUNT] = {"Q",    "K",     "V",     "O",
                                               "QLEN", "KVLEN", "HEADS", "scale"};
    for (int i = 0; i < ATT_ARG_COUNT; i++) {
        p->params[i].name = names[i];
        p->params[i].kind = i <= ATT_ARG_O       ? TSR_ARG_BUFFER
                            : i == ATT_ARG_SCALE ? TSR_ARG_FLOAT
                                                 : TSR_ARG_INT;
        p->params[i].dtype = i <= ATT_ARG_O ? spec->dtype : i == ATT_ARG_SCALE ? TSR_F32 : TSR_I32;
        p->params[i].writable = i == ATT_ARG_O;
    }
}

/* A [len][d] sequence of the work-group's (batch, head) as a view: rows
 * along the sequence, or (transposed) rows along d, as K is read for
 * Q K^T. Heads are group id 1, the batch group id 2. */
static tsr_view *sequence_view(tsr_tile_program *p, const tsr_opspec *spec, int buffer,
                               const tp_param *len, bool transposed)
{
    tp_builder *b = &p->builder;
    tsr_view *v = TSR_ARENA_NEW(p->arena, tsr_view);
    if (!v)
        return NULL;
    int d = spec->attention.head_dim;
    tp_expr *heads = tp_param_ref(b, &p->params[ATT_ARG_HEADS]);
    tp_expr *head = tp_builtin_ref(b, TP_GROUP_ID, 1), *batch = tp_builtin_ref(b, TP_GROUP_ID, 2);
    tp_expr *seq_stride =
        spec->attention.seq_major ? tp_muli(b, heads, d) : tp_int(b, d); /* between rows */
    /* bhsd: ((batch heads + head) len) d; bshd: (batch len heads + head) d */
    tp_expr *base =
        spec->attention.seq_major
            ? tp_muli(b, tp_add(b, tp_mul(b, tp_mul(b, batch, tp_param_ref(b, len)), heads), head),
                      d)
            : tp_muli(b, tp_mul(b, tp_add(b, tp_mul(b, batch, heads), head), tp_param_ref(b, len)),
                      d);
    v->buffer = &p->params[buffer];
    v->rows = transposed ? tp_int(b, d) : tp_param_ref(b, len);
    v->cols = transposed ? tp_param_ref(b, len) : tp_int(b, d);
    v->row_stride = transposed ? tp_int(b, 1) : seq_stride;
    v->col_stride = transposed ? seq_stride : tp_int(b, 1);
    v->base = base;
    return v;
}

/* What the loop's statements share. */
typedef struct attention_parts {
    tsr_tile_program *p;
    const tsr_opspec *spec;
    attention_cfg c;
    tsr_thread_map map;
    const tsr_tile *qs, *ks, *vs, *ps, *max_scratch, *sum_scratch;
    const tsr_tile *s, *o, *m, *l, *row_max, *row_sum;
    tp_expr *q0, *kv0;
    tp_expr *stage; /* of K and V this step reads (NULL: one stage) */
} attention_parts;

static void append_load(const attention_parts *a, tsr_stmt_list *list, const tsr_tile *tile,
                        const tsr_view *view, tp_expr *row0, tp_expr *col0, tsr_load_mode mode,
                        tp_expr *stage)
{
    tsr_stmt *s = tsr_ir_append(a->p, list, TSR_S_LOAD);
    if (s)
        *s = (tsr_stmt){.kind = TSR_S_LOAD,
                        .tile = tile,
                        .view = view,
                        .row0 = row0,
                        .col0 = col0,
                        .vector_width = a->c.vw,
                        .load_mode = mode,
                        .stage = stage};
}

/* K's and V's tiles of the step at key `kv0`, into `stage`: at once, or
 * (PF=1) by asynchronous copies that form one group. */
static void append_kv_loads(const attention_parts *a, tsr_stmt_list *list, const tsr_view *k_view,
                            const tsr_view *v_view, tp_expr *kv0, tp_expr *stage)
{
    tp_expr *zero = tp_int(&a->p->builder, 0);
    tsr_load_mode mode = a->c.pf ? TSR_LOAD_ASYNC : TSR_LOAD_DIRECT;
    append_load(a, list, a->ks, k_view, zero, kv0, mode, stage);
    append_load(a, list, a->vs, v_view, kv0, zero, mode, stage);
    if (a->c.pf)
        tsr_ir_append(a->p, list, TSR_S_ASYNC_COMMIT);
}

/* A barrier; on the warpgroup's unit (MU=2), which reads shared tiles
 * asynchronously to the threads, each thread first fences its shared
 * writes (K's and V's copies, P) for those reads. */
static tsr_stmt *append_barrier(const attention_parts *a, tsr_stmt_list *list)
{
    tsr_stmt *s = tsr_ir_append(a->p, list, TSR_S_BARRIER);
    if (s)
        s->async_proxy = a->c.mu == 2;
    return s;
}

static void append_mma(const attention_parts *a, tsr_stmt_list *list, const tsr_tile *acc,
                       const tsr_tile *lhs, const tsr_tile *rhs, int k_count)
{
    tsr_stmt *s = tsr_ir_append(a->p, list, TSR_S_MMA);
    if (s)
        *s = (tsr_stmt){.kind = TSR_S_MMA,
                        .tile = acc,
                        .a = {.tile = lhs},
                        .b = {.tile = rhs, .stage = a->stage},
                        .k_count = k_count,
                        .k_unroll = a->c.ku,
                        .unit = a->c.mu == 2 ? TSR_UNIT_WGMMA_M64NK16
                                : a->c.mu    ? TSR_UNIT_MMA_M16N8K16
                                             : TSR_UNIT_FMA,
                        .map = a->map,
                        .vector_width = 1};
}

/* tile := element over x (slot 0), x1 and x2 (the `with` tiles). */
static void append_map(const attention_parts *a, tsr_stmt_list *list, const tsr_tile *tile,
                       tp_expr *element, const tsr_tile *with1, const tsr_tile *with2)
{
    tsr_stmt *s = tsr_ir_append(a->p, list, TSR_S_TILE_MAP);
    if (s)
        *s = (tsr_stmt){.kind = TSR_S_TILE_MAP,
                        .tile = tile,
                        .element = element,
                        .with = {with1, with2},
                        .map = a->map,
                        .vector_width = 1};
}

static void append_reduce(const attention_parts *a, tsr_stmt_list *list, tsr_reduce_op op,
                          const tsr_tile *target, const tsr_tile *scratch)
{
    tsr_stmt *s = tsr_ir_append(a->p, list, TSR_S_TILE_REDUCE);
    if (s)
        *s = (tsr_stmt){.kind = TSR_S_TILE_REDUCE,
                        .tile = a->s,
                        .reduce = op,
                        .target = target,
                        .scratch = scratch,
                        .subgroup_width = scratch ? 0 : attention_row_sharers(&a->c),
                        .map = a->map,
                        .vector_width = 1};
}

/* The scores scaled by scale log2(e) (one product for the whole kernel,
 * hoisted). On a masked step, scores past the keys, or (causal) of keys
 * after the query, are masked: key kv0 + col is visible to query q0 + row
 * when it exists and, causal, is not later. */
static tp_expr *score_template(const attention_parts *a, bool masked)
{
    tp_builder *b = &a->p->builder;
    tp_expr *x = tp_placeholder(b, TSR_F32);
    tp_expr *scale_log2 = tp_bin(b, TP_MUL, tp_param_ref(b, &a->p->params[ATT_ARG_SCALE]),
                                 tp_float(b, TSR_F32, 1.4426950408889634));
    tp_expr *scaled = tp_bin(b, TP_MUL, x, scale_log2);
    if (!masked)
        return scaled;
    tp_expr *key = tp_add(b, a->kv0, tp_placeholder_slot(b, TSR_I32, TSR_SLOT_COL));
    tp_expr *visible = tp_bin(b, TP_LT, key, tp_param_ref(b, &a->p->params[ATT_ARG_KVLEN]));
    if (a->spec->attention.causal) {
        tp_expr *query = tp_add(b, a->q0, tp_placeholder_slot(b, TSR_I32, TSR_SLOT_ROW));
        visible = tp_bin(b, TP_AND, visible, tp_bin(b, TP_LE, key, query));
    }
    return tp_select(b, visible, scaled, tp_float(b, TSR_F32, MASKED_SCORE));
}

/* One step of BN keys at kv0 (see the file's comment). Nothing of the
 * shared tiles is written in a step before its first barrier, which every
 * thread reaches done with the previous step's tiles. With PF=1 its K and
 * V were copied during the previous step: the thread waits for its
 * copies, the barrier shows everyone's, and the next step's go into the
 * other stage, which no thread reads any more (past the end they copy
 * nothing: zero-filled outside the view). With PF=0 the step loads its
 * own K and V before that barrier, so it ends with one more, after its
 * reads. */
static bool append_step(const attention_parts *a, tsr_stmt_list *body, const tsr_view *k_view,
                        const tsr_view *v_view, bool masked)
{
    tsr_tile_program *p = a->p;
    tp_builder *b = &p->builder;
    if (a->c.pf) {
        tsr_stmt *wait = tsr_ir_append(p, body, TSR_S_ASYNC_WAIT);
        if (wait)
            wait->pending = 0;
        append_barrier(a, body);
        append_kv_loads(a, body, k_view, v_view, tp_addi(b, a->kv0, a->c.bn),
                        tp_bin(b, TP_SUB, tp_int(b, 1), a->stage));
    } else {
        append_kv_loads(a, body, k_view, v_view, a->kv0, NULL);
        append_barrier(a, body);
    }
    tsr_stmt *fill = tsr_ir_append(p, body, TSR_S_FILL);
    if (fill)
        fill->tile = a->s;
    append_mma(a, body, a->s, a->qs, a->ks, a->spec->attention.head_dim);
    append_map(a, body, a->s, score_template(a, masked), NULL, NULL);
    tp_expr *x = tp_placeholder(b, TSR_F32), *x1 = tp_placeholder_slot(b, TSR_F32, 1),
            *x2 = tp_placeholder_slot(b, TSR_F32, 2);
    /* row_max := max(its row's scores, m): the new running max */
    append_reduce(a, body, TSR_REDUCE_MAX, a->row_max, a->max_scratch);
    append_map(a, body, a->row_max, tp_call(b, TP_FMAX, 2, x, x1, NULL), a->m, NULL);
    tp_expr *shifted_exp = tp_call(b, TP_EXP2, 1, tp_bin(b, TP_SUB, x, x1), NULL, NULL);
    append_map(a, body, a->s, shifted_exp, a->row_max, NULL);
    /* m := exp2(m - row_max), the factor the old sums and outputs shrink by */
    append_map(a, body, a->m, shifted_exp, a->row_max, NULL);
    append_reduce(a, body, TSR_REDUCE_SUM, a->row_sum, a->sum_scratch);
    append_map(a, body, a->l, tp_call(b, TP_FMA, 3, x, x1, x2), a->m, a->row_sum);
    append_map(a, body, a->o, tp_bin(b, TP_MUL, x, x1), a->m, NULL);
    append_map(a, body, a->m, x1, a->row_max, NULL);
    if (a->c.pr) {
        /* P V straight from the scores' registers (PR=1) */
        append_mma(a, body, a->o, a->s, a->vs, a->c.bn);
        if (!a->c.pf)
            append_barrier(a, body);
        return !b->failed;
    }
    tsr_stmt *stash = tsr_ir_append(p, body, TSR_S_TILE_STASH);
    if (stash)
        *stash = (tsr_stmt){.kind = TSR_S_TILE_STASH,
                            .tile = a->s,
                            .target = a->ps,
                            .map = a->map,
                            .vector_width = 1};
    /* A warpgroup (MU=2) stashes and multiplies its own rows of P, so it
     * waits for itself alone; warps share rows. */
    tsr_stmt *stashed = append_barrier(a, body);
    if (stashed)
        stashed->warpgroup = a->c.mu == 2;
    append_mma(a, body, a->o, a->ps, a->vs, a->c.bn);
    if (!a->c.pf)
        append_barrier(a, body);
    return !b->failed;
}

/* The steps over keys [begin, end) in `name`, masked or not. With PF=1
 * the stage a step reads follows from its key, so that the loops share
 * one ring: the last step of one prefetches the first of the next. */
static bool append_key_loop(attention_parts *a, const char *name, tp_expr *begin, tp_expr *end,
                            bool masked, const tsr_view *k_view, const tsr_view *v_view)
{
    tsr_tile_program *p = a->p;
    tp_builder *b = &p->builder;
    tp_var *kv = tp_new_var(b, name, TSR_I32, TP_PRIVATE, 0, 0, 0);
    tsr_stmt *loop = tsr_ir_append(p, &p->body, TSR_S_LOOP);
    if (!kv || !loop)
        return false;
    a->kv0 = tp_ref(b, kv);
    if (a->c.pf)
        a->stage = tp_bin(b, TP_MOD, tp_bin(b, TP_DIV, a->kv0, tp_int(b, a->c.bn)), tp_int(b, 2));
    *loop = (tsr_stmt){.kind = TSR_S_LOOP,
                       .var = kv,
                       .begin = begin,
                       .end = end,
                       .step = tp_int(b, a->c.bn),
                       .vector_width = 1};
    return append_step(a, &loop->body, k_view, v_view, masked);
}

/* The whole steps unmasked, then the rest masked (see build_body). */
static bool append_split_key_loops(attention_parts *a, tp_expr *kv_end, const tsr_view *k_view,
                                   const tsr_view *v_view)
{
    tsr_tile_program *p = a->p;
    tp_builder *b = &p->builder;
    tp_expr *zero = tp_int(b, 0), *bn = tp_int(b, a->c.bn);
    tp_expr *kv_whole =
        tp_mul(b, tp_bin(b, TP_DIV, tp_param_ref(b, &p->params[ATT_ARG_KVLEN]), bn), bn);
    if (a->spec->attention.causal)
        kv_whole =
            tp_bin(b, TP_MIN, kv_whole, tp_mul(b, tp_bin(b, TP_DIV, tp_addi(b, a->q0, 1), bn), bn));
    if (a->c.pf)
        append_kv_loads(a, &p->body, k_view, v_view, zero, zero);
    return append_key_loop(a, "kv0", zero, kv_whole, false, k_view, v_view) &&
           append_key_loop(a, "kv1", kv_whole, kv_end, true, k_view, v_view);
}

static bool declare_tiles(attention_parts *a)
{
    tsr_tile_program *p = a->p;
    const attention_cfg *c = &a->c;
    int d = a->spec->attention.head_dim, pad = attention_shared_pad(c);
    tsr_dtype staged = attention_staged_dtype(a->spec, c), compute = TSR_F32;
    /* For the threads' FMAs the multiplies' A tiles (Q, P) are stored
     * k-major, a thread's rows of one k side by side; for the matrix unit
     * each as its matrix lies: Q and P [rows][k], K [key][d] (k across the
     * stored rows of B), V [key][d]. */
    bool fma = !c->mu;
    int stages = c->pf ? 2 : 1;
    if (c->mu == 2) {
        /* the warpgroup's unit reads them in its 128-byte swizzle */
        a->qs = tsr_ir_swizzled_tile(p, "Qs", staged, c->bm, d, false, 1);
        a->ks = tsr_ir_swizzled_tile(p, "Ks", staged, d, c->bn, true, stages);
        a->vs = tsr_ir_swizzled_tile(p, "Vs", staged, c->bn, d, false, stages);
        a->ps = tsr_ir_swizzled_tile(p, "Ps", staged, c->bm, c->bn, false, 1);
    } else {
        a->qs = tsr_ir_tile(p, "Qs", staged, TSR_SPACE_SHARED, c->bm, d, pad, fma);
        a->ks = tsr_ir_staged_tile(p, "Ks", staged, d, c->bn, pad, !fma, stages);
        a->vs = tsr_ir_staged_tile(p, "Vs", staged, c->bn, d, pad, false, stages);
        a->ps =
            c->pr ? NULL : tsr_ir_tile(p, "Ps", staged, TSR_SPACE_SHARED, c->bm, c->bn, pad, fma);
    }
    int sharers = tsr_map_row_sharers(&a->map);
    if (!attention_reduces_in_runs(c)) {
        a->max_scratch =
            tsr_ir_tile(p, "row_maxes", compute, TSR_SPACE_SHARED, c->bm, sharers, 0, false);
        a->sum_scratch =
            tsr_ir_tile(p, "row_sums", compute, TSR_SPACE_SHARED, c->bm, sharers, 0, false);
        if (!a->max_scratch || !a->sum_scratch)
            return false;
    }
    int rows = c->mu ? 2 * c->tm : c->tm, lanes = c->mu ? 1 : c->vn;
    a->s = tsr_ir_vector_tile(p, "s", compute, rows, attention_score_cols(c), lanes);
    a->o = tsr_ir_vector_tile(p, "o", compute, rows, attention_output_cols(a->spec, c), lanes);
    a->m = tsr_ir_vector_tile(p, "m", compute, rows, 1, 1);
    a->l = tsr_ir_vector_tile(p, "l", compute, rows, 1, 1);
    a->row_max = tsr_ir_vector_tile(p, "row_max", compute, rows, 1, 1);
    a->row_sum = tsr_ir_vector_tile(p, "row_sum", compute, rows, 1, 1);
    return a->qs && a->ks && a->vs && (a->ps || c->pr) && a->s && a->o && a->m && a->l &&
           a->row_max && a->row_sum;
}

static void append_fill(tsr_tile_program *p, const tsr_tile *tile, double value)
{
    tsr_stmt *fill = tsr_ir_append(p, &p->body, TSR_S_FILL);
    if (fill) {
        fill->tile = tile;
        fill->fill_value = value;
    }
}

static bool build_body(attention_parts *a)
{
    tsr_tile_program *p = a->p;
    tp_builder *b = &p->builder;
    const tp_param *P = p->params;
    const tsr_view *q_view = sequence_view(p, a->spec, ATT_ARG_Q, &P[ATT_ARG_QLEN], false);
    const tsr_view *k_view = sequence_view(p, a->spec, ATT_ARG_K, &P[ATT_ARG_KVLEN], true);
    const tsr_view *v_view = sequence_view(p, a->spec, ATT_ARG_V, &P[ATT_ARG_KVLEN], false);
    const tsr_view *o_view = sequence_view(p, a->spec, ATT_ARG_O, &P[ATT_ARG_QLEN], false);
    if (!q_view || !k_view || !v_view || !o_view || !declare_tiles(a))
        return false;
    tp_expr *zero = tp_int(b, 0);
    append_load(a, &p->body, a->qs, q_view, a->q0, zero, TSR_LOAD_DIRECT, NULL);
    append_fill(p, a->o, 0.0);
    append_fill(p, a->m, MASKED_SCORE);
    append_fill(p, a->l, 0.0);
    /* Causal: keys past the group's last query are hidden from all its
     * rows. */
    tp_expr *kv_end = tp_param_ref(b, &P[ATT_ARG_KVLEN]);
    if (a->spec->attention.causal)
        kv_end = tp_bin(b, TP_MIN, kv_end, tp_addi(b, a->q0, a->c.bm));
    /* On a matrix unit, steps every row sees whole, [0, kv_whole), need
     * no mask: those before the keys' last partial step and, causal,
     * before the group's first query (key kv0 + BN - 1 <= q0). The rest,
     * at most the partial step or the steps along the diagonal, are
     * masked. There the mask's compares and selects compete with the
     * multiplies for issue (on an H200 the split made the causal d = 64
     * kernel a fifth faster, with exp2); with the threads' FMAs they are
     * a small share, and one masked loop keeps the kernel half as long
     * (PoCL compiled the split kernels three times as slowly). */
    if (!a->c.mu) {
        if (a->c.pf)
            append_kv_loads(a, &p->body, k_view, v_view, zero, zero);
        if (!append_key_loop(a, "kv0", zero, kv_end, true, k_view, v_view))
            return false;
    } else if (!append_split_key_loops(a, kv_end, k_view, v_view)) {
        return false;
    }

    if (a->c.pf) {
        tsr_stmt *drain = tsr_ir_append(p, &p->body, TSR_S_ASYNC_WAIT);
        if (drain)
            drain->pending = 0;
    }
    tp_expr *x = tp_placeholder(b, TSR_F32), *x1 = tp_placeholder_slot(b, TSR_F32, 1);
    append_map(a, &p->body, a->o, tp_bin(b, TP_DIV, x, x1), a->l, NULL);
    tsr_stmt *store = tsr_ir_append(p, &p->body, TSR_S_STORE);
    if (!store)
        return false;
    *store = (tsr_stmt){.kind = TSR_S_STORE,
                        .tile = a->o,
                        .view = o_view,
                        .row0 = a->q0,
                        .col0 = zero,
                        .map = a->map,
                        .vector_width = 1};
    return !b->failed;
}

static tsr_status attention_build(tsr_arena *arena, const tsr_opspec *spec,
                                  const tsr_profile *profile, const tsr_config *config,
                                  tsr_tile_program **out, tsr_error *err)
{
    TSR_TRY(attention_check(spec, profile, config, err));
    attention_cfg c = attention_cfg_of(config);
    tsr_tile_program *p = tsr_ir_new(arena, "tsr_attention", ATT_ARG_COUNT);
    if (!p)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building attention");
    declare_params(p, spec);
    p->dims = 3;
    p->local[0] = attention_local_x(&c);
    p->local[1] = attention_local_y(&c);
    attention_parts a = {
        .p = p,
        .spec = spec,
        .c = c,
        .map = {.threads_rows = attention_local_y(&c),
                .threads_cols = c.wc,
                .fragments = c.mu == 1,
                .warpgroups = c.mu == 2},
        .q0 = tp_muli(&p->builder, tp_builtin_ref(&p->builder, TP_GROUP_ID, 0), c.bm),
    };
    if (!build_body(&a))
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building attention");
    *out = p;
    return TSR_OK;
}

static const tsr_buffer_def attention_buffers[] = {
    {"Q", true, false}, {"K", true, false}, {"V", true, false}, {"O", false, true}};

const tsr_op_def tsr_op_attention = {
    .name = "attention",
    .summary = "O = softmax(scale Q K^T [causal]) V per head, fused (flash attention)",
    .n_dims = 4,
    .dim_names = {"q", "kv", "heads", "batch"},
    .dim_default = {[ATT_DIM_HEADS] = 1, [ATT_DIM_BATCH] = 1},
    .n_params = ATT_PARAM_COUNT,
    .params = attention_params,
    .n_buffers = 4,
    .buffers = attention_buffers,
    .dtypes = 1u << TSR_F32 | 1u << TSR_F16 | 1u << TSR_BF16,
    .check = attention_check,
    .build = attention_build,
    .geometry_rule = attention_geometry_rule,
    .buffer_elems = attention_buffer_elems,
    .args = attention_args,
    .reference = attention_reference,
    .tolerance = attention_tolerance,
    .flops = attention_flops,
    .output_buffer = ATT_ARG_O,
    .suggest = attention_suggest,
    .n_features = ATT_FEATURE_COUNT,
    .feature_names = attention_feature_names,
    .features = attention_features,
};
