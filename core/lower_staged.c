/* Loads in two halves (TSR_LOAD_FETCH, then TSR_LOAD_DEPOSIT): a fetch
 * reads the thread's share of a window from global memory into registers
 * and is done once the loads are issued, so that they are in flight while
 * the statements after it (the multiply of the previous k-step) run; the
 * deposit later writes those registers into a shared tile.
 *
 * The thread's share is cut as lower_load cuts it: the window's vectors
 * of `vector_width` values along its contiguous dim, vector e to thread
 * e % threads. Here each of the thread's vectors is unrolled in the kernel
 * text, since the registers it goes through must be named. */
#include <stdio.h>

#include "core/lower_internal.h"

/* How a window's vectors are shared among the group's threads. */
typedef struct share_plan {
    int inner_dim; /* 1: the view's cols are contiguous; 0: its rows */
    int per_line;  /* vectors along the contiguous dim */
    int vectors;   /* in the window */
    int shares;    /* vectors per thread, rounded up */
} share_plan;

static tsr_status plan_shares(lower_ctx *ctx, const tsr_stmt *s, share_plan *plan)
{
    const tsr_tile *t = s->tile;
    plan->inner_dim = lower_contiguous_dim(s->view);
    int inner = plan->inner_dim == 1 ? t->cols : t->rows;
    int outer = plan->inner_dim == 1 ? t->rows : t->cols;
    if (s->vector_width < 1 || inner % s->vector_width != 0)
        return tsr_fail(ctx->err, TSR_ERR_UNSUPPORTED,
                        "two-step load of %s: vector width %d does not divide its contiguous "
                        "extent %d",
                        t->name, s->vector_width, inner);
    plan->per_line = inner / s->vector_width;
    plan->vectors = outer * plan->per_line;
    plan->shares = (plan->vectors + ctx->threads - 1) / ctx->threads;
    return TSR_OK;
}

/* Where the thread's vector `share` lies in the tile, (*r, *c) its first
 * element; declared in the returned block, which is `out` or, when not
 * every thread has this share, the body of a guard inside it. */
static tp_block *share_position(lower_ctx *ctx, const share_plan *plan, int share, int width,
                                tp_block *out, tp_expr **r, tp_expr **c)
{
    tp_builder *b = ctx->b;
    tp_expr *e = tp_addi(b, tp_ref(b, ctx->tid), (long)share * ctx->threads);
    tp_block *body = out;
    if ((long)(share + 1) * ctx->threads > plan->vectors) {
        tp_stmt *guard = tp_if(b, out, tp_bin(b, TP_LT, e, tp_int(b, plan->vectors)));
        if (!guard)
            return NULL;
        body = &guard->body;
    }
    tp_expr *ev = lower_declare_const(ctx, body, "e", e);
    tp_expr *o =
        lower_declare_const(ctx, body, "o", tp_bin(b, TP_DIV, ev, tp_int(b, plan->per_line)));
    tp_expr *i = lower_declare_const(
        ctx, body, "i", tp_muli(b, tp_bin(b, TP_MOD, ev, tp_int(b, plan->per_line)), width));
    *r = plan->inner_dim == 1 ? o : i;
    *c = plan->inner_dim == 1 ? i : o;
    return body;
}

/* Element u of a vector along the contiguous dim from (r, c). */
static void lane_position(lower_ctx *ctx, const share_plan *plan, tp_expr *r, tp_expr *c, int u,
                          tp_expr **ru, tp_expr **cu)
{
    *ru = plan->inner_dim == 1 ? r : tp_addi(ctx->b, r, u);
    *cu = plan->inner_dim == 1 ? tp_addi(ctx->b, c, u) : c;
}

/* The tile's staging registers, made at its first fetch; that fetch must be
 * in the kernel's outermost block, where they are declared, so that every
 * later fetch and deposit sees them. */
static tsr_status staging_of(lower_ctx *ctx, const tsr_stmt *s, const share_plan *plan,
                             tp_block *out, const tp_var ***staging)
{
    lower_tile *lt = (lower_tile *)lower_find_tile(ctx, s->tile);
    if (!lt)
        return tsr_fail(ctx->err, TSR_ERR_INPUT, "two-step load into an undeclared tile");
    if (lt->staging) {
        if (lt->n_staging != plan->shares)
            return tsr_fail(ctx->err, TSR_ERR_INPUT,
                            "two-step loads of %s disagree on its shares (%d and %d)",
                            s->tile->name, lt->n_staging, plan->shares);
        *staging = lt->staging;
        return TSR_OK;
    }
    if (s->load_mode != TSR_LOAD_FETCH || out != ctx->top)
        return tsr_fail(ctx->err, TSR_ERR_INPUT,
                        "the first two-step load of %s must be a fetch in the kernel's outermost "
                        "block",
                        s->tile->name);
    lt->staging = TSR_ARENA_ARRAY(ctx->b->arena, const tp_var *, plan->shares);
    if (!lt->staging)
        return TSR_ERR_NOMEM;
    for (int k = 0; k < plan->shares; k++) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "f%s_", s->tile->name);
        tp_var *v = (tp_var *)lower_temp(ctx, prefix, s->tile->dtype);
        if (!v)
            return TSR_ERR_NOMEM;
        v->width = s->vector_width;
        tp_decl(ctx->b, ctx->top, v, NULL);
        lt->staging[k] = v;
    }
    lt->n_staging = plan->shares;
    *staging = lt->staging;
    return TSR_OK;
}

/* What both halves start with: the plan, the staging registers and a
 * scope of their own in `out`. */
static tsr_status begin_half(lower_ctx *ctx, const tsr_stmt *s, tp_block *out, share_plan *plan,
                             const tp_var ***staging, tp_stmt **scope)
{
    TSR_TRY(plan_shares(ctx, s, plan));
    TSR_TRY(staging_of(ctx, s, plan, out, staging));
    *scope = tp_scope(ctx->b, out);
    return *scope ? TSR_OK : TSR_ERR_NOMEM;
}

tsr_status lower_fetch(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    share_plan plan;
    const tp_var **staging;
    tp_stmt *scope;
    TSR_TRY(begin_half(ctx, s, out, &plan, &staging, &scope));
    int width = s->vector_width;
    tp_expr *row0 = lower_declare_const(ctx, &scope->body, "r0_", s->row0);
    tp_expr *col0 = lower_declare_const(ctx, &scope->body, "c0_", s->col0);
    for (int k = 0; k < plan.shares; k++) {
        tp_expr *r, *c;
        tp_block *body = share_position(ctx, &plan, k, width, &scope->body, &r, &c);
        if (!body)
            return TSR_ERR_NOMEM;
        tp_expr *gr = lower_declare_const(ctx, body, "gr", tp_add(b, row0, r));
        tp_expr *gc = lower_declare_const(ctx, body, "gc", tp_add(b, col0, c));
        tp_expr *dst = tp_ref(b, staging[k]);
        if (width == 1) {
            tp_assign(b, body, dst, lower_guarded_elem(ctx, s->view, gr, gc, s->tile->dtype));
            continue;
        }
        /* The whole vector inside the view: one vector load; else lane by
         * lane, zero outside. */
        tp_stmt *whole =
            tp_if(b, body, lower_vector_inside(ctx, s->view, plan.inner_dim, gr, gc, width));
        if (!whole)
            return TSR_ERR_NOMEM;
        tp_assign(b, &whole->body, dst,
                  lower_global_vector(ctx, s->view, gr, gc, width, s->tile->dtype));
        for (int u = 0; u < width; u++) {
            tp_expr *gru, *gcu;
            lane_position(ctx, &plan, gr, gc, u, &gru, &gcu);
            tp_assign(b, &whole->orelse, tp_lane(b, tp_ref(b, staging[k]), u),
                      lower_guarded_elem(ctx, s->view, gru, gcu, s->tile->dtype));
        }
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}

tsr_status lower_deposit(lower_ctx *ctx, const tsr_stmt *s, tp_block *out)
{
    tp_builder *b = ctx->b;
    share_plan plan;
    const tp_var **staging;
    tp_stmt *scope;
    TSR_TRY(begin_half(ctx, s, out, &plan, &staging, &scope));
    int width = s->vector_width;
    for (int k = 0; k < plan.shares; k++) {
        tp_expr *r, *c;
        tp_block *body = share_position(ctx, &plan, k, width, &scope->body, &r, &c);
        if (!body)
            return TSR_ERR_NOMEM;
        lower_shared_store(ctx, body, s->tile, s->stage, r, c, plan.inner_dim,
                           tp_ref(b, staging[k]), width);
    }
    return b->failed ? TSR_ERR_NOMEM : TSR_OK;
}
