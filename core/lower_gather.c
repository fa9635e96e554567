/* A gathered view's element addresses (see tsr_gather in core/ir.h): the
 * convolution's taps read straight from the image.
 *
 * An element (k, p) splits into the output pixel p, decoded by divisions
 * by the output's extents (kernel arguments), and the tap k, decoded by a
 * division by the channel count. A cooperative load's item decodes its
 * lanes' pixels once each (one when the lanes run along k), into consts
 * declared ahead of its loads and tests: a pixel does not change from one
 * k-step to the next, so the compiler can hoist its decode out of the
 * k-loop, which it cannot do for divisions reached only past a
 * short-circuit test. With the channel fastest, a load also splits its
 * tile's first tap once, and a whole vector's copy adds its offset to that
 * channel instead of dividing. */
#include "core/lower_internal.h"

/* x / n and x % n for a constant n > 0, without the operation when n is 1. */
static tp_expr *div_const(tp_builder *b, tp_expr *x, int n)
{
    return n == 1 ? x : tp_bin(b, TP_DIV, x, tp_int(b, n));
}

static tp_expr *mod_const(tp_builder *b, tp_expr *x, int n)
{
    return n == 1 ? tp_int(b, 0) : tp_bin(b, TP_MOD, x, tp_int(b, n));
}

/* lo <= x < hi as one predicate. */
static tp_expr *within(tp_builder *b, tp_expr *x, tp_expr *lo, tp_expr *hi)
{
    return tp_bin(b, TP_AND, tp_bin(b, TP_GE, x, lo), tp_bin(b, TP_LT, x, hi));
}

/* The index in v's buffer of channel 0 at image row `row`, col `col` of
 * image `image` (NULL: the view spans one image). */
static tp_expr *pixel_offset(tp_builder *b, const tsr_view *v, tp_expr *row, tp_expr *col,
                             tp_expr *image)
{
    const tsr_gather *g = v->gather;
    tp_expr *offset = tp_add(b, tp_mul(b, row, g->in_row_stride), tp_mul(b, col, g->in_col_stride));
    if (image)
        offset = tp_add(b, tp_mul(b, image, g->image_stride), offset);
    return v->base ? tp_add(b, v->base, offset) : offset;
}

/* Output pixel p of view v: the image row and col of its filter's first
 * tap (the padding subtracted, so they may lie outside the image) and, in
 * *image, its image (NULL where the view spans one). */
static lower_pixel decode_pixel(tp_builder *b, const tsr_view *v, tp_expr *pixel, tp_expr **image)
{
    const tsr_gather *g = v->gather;
    tp_expr *ow = tp_bin(b, TP_MOD, pixel, g->out_cols);
    tp_expr *rest = tp_bin(b, TP_DIV, pixel, g->out_cols);
    tp_expr *oh = g->image_stride ? tp_bin(b, TP_MOD, rest, g->out_rows) : rest;
    *image = g->image_stride ? tp_bin(b, TP_DIV, rest, g->out_rows) : NULL;
    return (lower_pixel){.gather = g,
                         .pixel = pixel,
                         .row = tp_addi(b, tp_muli(b, oh, g->stride[0]), -g->pad[0]),
                         .col = tp_addi(b, tp_muli(b, ow, g->stride[1]), -g->pad[1])};
}

void lower_gather_forget(lower_ctx *ctx)
{
    ctx->n_pixels = 0;
    ctx->taps = (lower_taps){0};
}

void lower_gather_lanes(lower_ctx *ctx)
{
    ctx->taps.k = NULL;
    ctx->taps.offset = NULL;
}

/* Whether k splits into (filter position, channel) by a division by the
 * channel count, a kernel argument. */
static bool divides_by_channels(const tsr_gather *g)
{
    return g && g->channels_inner && g->filter[0] * g->filter[1] > 1;
}

void lower_gather_origin(lower_ctx *ctx, tp_block *out, const tsr_view *v, tp_expr *row0,
                         tp_expr *col0)
{
    const tsr_gather *g = v->gather;
    lower_gather_forget(ctx);
    if (!divides_by_channels(g))
        return;
    tp_builder *b = ctx->b;
    tp_expr *origin = g->k_along_rows ? row0 : col0;
    ctx->taps = (lower_taps){
        .gather = g,
        .tap = lower_declare_const(ctx, out, "tap", tp_bin(b, TP_DIV, origin, g->channels)),
        .channel = lower_declare_const(ctx, out, "ch", tp_bin(b, TP_MOD, origin, g->channels)),
    };
}

void lower_gather_pixels(lower_ctx *ctx, tp_block *out, const tsr_view *v, int lanes,
                         tp_expr *const *gr, tp_expr *const *gc, tp_expr *const *r,
                         tp_expr *const *c)
{
    const tsr_gather *g = v->gather;
    ctx->n_pixels = 0;
    lower_gather_lanes(ctx);
    if (!g || lanes > LOWER_MAX_LANES)
        return;
    if (ctx->taps.gather == g && lanes > 1) {
        ctx->taps.k = g->k_along_rows ? gr[0] : gc[0];
        ctx->taps.offset = g->k_along_rows ? r[0] : c[0];
    }
    for (int u = 0; u < lanes; u++) {
        tp_expr *pixel = g->k_along_rows ? gc[u] : gr[u];
        bool seen = false;
        for (int i = 0; i < ctx->n_pixels && !seen; i++)
            seen = ctx->pixels[i].pixel == pixel;
        if (seen)
            continue;
        tp_expr *image;
        lower_pixel px = decode_pixel(ctx->b, v, pixel, &image);
        px.row = lower_declare_const(ctx, out, "ih", px.row);
        px.col = lower_declare_const(ctx, out, "iw", px.col);
        px.offset =
            lower_declare_const(ctx, out, "px", pixel_offset(ctx->b, v, px.row, px.col, image));
        ctx->pixels[ctx->n_pixels++] = px;
    }
}

tp_expr *lower_gather_index(lower_ctx *ctx, const tsr_view *v, tp_expr *r, tp_expr *c,
                            tp_expr **in_image)
{
    tp_builder *b = ctx->b;
    const tsr_gather *g = v->gather;
    tp_expr *k = g->k_along_rows ? r : c, *pixel = g->k_along_rows ? c : r;
    const lower_pixel *known = NULL;
    for (int i = 0; i < ctx->n_pixels && !known; i++)
        if (ctx->pixels[i].gather == g && ctx->pixels[i].pixel == pixel)
            known = &ctx->pixels[i];
    lower_pixel px;
    if (known) {
        px = *known;
    } else {
        tp_expr *image;
        px = decode_pixel(b, v, pixel, &image);
        px.offset = pixel_offset(b, v, px.row, px.col, image);
    }
    int taps = g->filter[0] * g->filter[1];
    tp_expr *channel, *tap, *same_tap = NULL;
    if (taps == 1) {
        channel = k;
        tap = tp_int(b, 0);
    } else if (ctx->taps.gather == g && ctx->taps.k == k) {
        /* k = origin + offset has the origin's filter position while the
         * origin's channel plus the offset stays below the channel count:
         * always when the count is a multiple of the tile's k extent. A
         * vector's lanes then share it too: the count is a multiple of the
         * width (the copy tests that) and so are the origin and offset.
         * Else the copy falls to the lanes, which divide. */
        channel = tp_add(b, ctx->taps.channel, ctx->taps.offset);
        tap = ctx->taps.tap;
        same_tap = tp_bin(b, TP_LT, channel, g->channels);
    } else if (g->channels_inner) {
        channel = tp_bin(b, TP_MOD, k, g->channels);
        tap = tp_bin(b, TP_DIV, k, g->channels);
    } else {
        channel = div_const(b, k, taps);
        tap = mod_const(b, k, taps);
    }
    tp_expr *fr = tp_muli(b, div_const(b, tap, g->filter[1]), g->dilation[0]);
    tp_expr *fs = tp_muli(b, mod_const(b, tap, g->filter[1]), g->dilation[1]);
    tp_expr *index =
        tp_add(b, px.offset,
               tp_add(b, tp_mul(b, channel, g->channel_stride),
                      tp_add(b, tp_mul(b, fr, g->in_row_stride), tp_mul(b, fs, g->in_col_stride))));
    *in_image = same_tap;
    if (g->pad[0]) {
        tp_expr *rows_ok = within(b, tp_add(b, px.row, fr), tp_int(b, 0), g->in_rows);
        *in_image = *in_image ? tp_bin(b, TP_AND, *in_image, rows_ok) : rows_ok;
    }
    if (g->pad[1]) {
        tp_expr *cols_ok = within(b, tp_add(b, px.col, fs), tp_int(b, 0), g->in_cols);
        *in_image = *in_image ? tp_bin(b, TP_AND, *in_image, cols_ok) : cols_ok;
    }
    return index;
}
