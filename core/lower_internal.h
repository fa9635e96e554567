/* Shared between the lowering files: the state of one lowering. */
#ifndef TSR_LOWER_INTERNAL_H
#define TSR_LOWER_INTERNAL_H

#include "core/lower.h"

typedef struct lower_tile {
    const tsr_tile *tile;
    const tp_var *array;    /* shared tiles: the array */
    const tp_var **scalars; /* register tiles: one variable per element, row-major */
} lower_tile;

typedef struct lower_ctx {
    tp_builder *b;
    const tsr_tile_program *program;
    const tp_var *tx, *ty, *tid; /* local ids along x and y, flat id */
    int threads;                 /* work-group size */
    lower_tile tiles[16];
    int n_tiles;
    int serial; /* for unique names */
    tsr_error *err;
} lower_ctx;

const lower_tile *lower_find_tile(const lower_ctx *ctx, const tsr_tile *tile);
/* A fresh private int or float variable named prefix + serial. */
const tp_var *lower_temp(lower_ctx *ctx, const char *prefix, tsr_dtype dtype);
/* buffer[r * row_stride + c * col_stride] index expression of a view. */
tp_expr *lower_view_index(lower_ctx *ctx, const tsr_view *view, tp_expr *r, tp_expr *c);

tsr_status lower_row_reduce(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
tsr_status lower_row_map(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);

#endif
