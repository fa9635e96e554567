/* Shared between the lowering files: the state of one lowering. */
#ifndef TSR_LOWER_INTERNAL_H
#define TSR_LOWER_INTERNAL_H

#include "core/lower.h"

typedef struct lower_tile {
    const tsr_tile *tile;
    const tp_var *array;    /* shared tiles: the array */
    const tp_var **scalars; /* register tiles: one variable per element, row-major */
    /* Shared tiles loaded in two halves: the registers a FETCH fills and
     * its DEPOSIT empties, one vector per share of the thread's. */
    const tp_var **staging;
    int n_staging;
} lower_tile;

/* A gathered view's output pixel decoded once for a load item
 * (core/lower_gather.c): `pixel` the expression it was decoded from, `row`
 * and `col` its filter's first tap in the image (may be padding), `offset`
 * that tap's channel 0 in the buffer. */
typedef struct lower_pixel {
    const struct tsr_gather *gather;
    const tp_expr *pixel;
    tp_expr *row, *col, *offset;
} lower_pixel;

enum { LOWER_MAX_LANES = 16 };

/* A gathered view's taps along k (channel fastest) as a load sees them:
 * the tile's first tap (its origin) decoded once into filter position `tap`
 * and channel `channel`; and, while a whole vector's copy is lowered, its
 * k and offset from the origin, so that its decode is an add (see
 * lower_gather_index). */
typedef struct lower_taps {
    const struct tsr_gather *gather; /* NULL: none decoded */
    tp_expr *tap, *channel;
    const tp_expr *k; /* NULL: no vector being lowered */
    tp_expr *offset;
} lower_taps;

typedef struct lower_ctx {
    tp_builder *b;
    const tsr_tile_program *program;
    const tp_var *tx, *ty, *tid; /* local ids along x and y, flat id */
    int threads;                 /* work-group size */
    lower_tile tiles[16];
    int n_tiles;
    tp_block *top; /* the kernel's outermost block, where staging registers are declared */
    int serial;    /* for unique names */
    /* The current load item's decoded pixels, which its gathered indices reuse. */
    lower_pixel pixels[LOWER_MAX_LANES];
    int n_pixels;
    lower_taps taps;   /* the current load's */
    int subgroup_size; /* the sub-group size a statement requires (tp_kernel's); 0: any */
    tsr_error *err;
} lower_ctx;

const lower_tile *lower_find_tile(const lower_ctx *ctx, const tsr_tile *tile);
/* A fresh private int or float variable named prefix + serial. */
const tp_var *lower_temp(lower_ctx *ctx, const char *prefix, tsr_dtype dtype);
/* buffer[r * row_stride + c * col_stride] index expression of a view. */
tp_expr *lower_view_index(lower_ctx *ctx, const tsr_view *view, tp_expr *r, tp_expr *c);

/* Element (r, c) of gathered view v: its index in the buffer, and in
 * *in_image the predicate that it is not padding (NULL when no element can
 * be). Reuses a pixel of ctx->pixels where c (or r) is its expression; for
 * the k of ctx->taps, decodes from the tile's first tap, and *in_image
 * then also requires that k shares that tap's filter position. */
tp_expr *lower_gather_index(lower_ctx *ctx, const tsr_view *v, tp_expr *r, tp_expr *c,
                            tp_expr **in_image);
/* Before a load of view v whose tile starts at (row0, col0): where v is
 * gathered with the channel fastest, declares into `out` the decode of the
 * tile's first tap, kept in ctx->taps until lower_gather_forget. */
void lower_gather_origin(lower_ctx *ctx, tp_block *out, const tsr_view *v, tp_expr *row0,
                         tp_expr *col0);
/* Before a load item of view v whose `lanes` elements lie at (gr[u],
 * gc[u]) of the view, (r[u], c[u]) from the tile's origin: where v is
 * gathered, declares into `out` the decode of each distinct pixel among
 * them, kept in ctx->pixels until the next call or lower_gather_forget;
 * and with more than one lane, notes the first's k and offset in ctx->taps
 * for the whole vector's copy, until lower_gather_lanes. */
void lower_gather_pixels(lower_ctx *ctx, tp_block *out, const tsr_view *v, int lanes,
                         tp_expr *const *gr, tp_expr *const *gc, tp_expr *const *r,
                         tp_expr *const *c);
/* After the whole vector's copy, before the item's lanes one by one: each
 * lane decodes its tap by itself again. */
void lower_gather_lanes(lower_ctx *ctx);
void lower_gather_forget(lower_ctx *ctx);

/* Lowers the statements of a list into `out`, in order. */
tsr_status lower_list(lower_ctx *ctx, const tsr_stmt_list *list, tp_block *out);
/* A join's arrival: in `first` (the block the group's first thread runs,
 * after it has fenced what the group brings) an atomic add of 1 on the
 * workspace word `count`, its old value into the shared 1 x 1 `arrival`;
 * then a barrier, and a branch that the group counting last of `parts`
 * takes, fenced: its block is returned (NULL when out of memory). */
tp_block *lower_join_arrival(lower_ctx *ctx, tp_block *out, tp_block *first, tp_expr *count,
                             const lower_tile *arrival, tp_expr *parts);
/* `value`'s 32 bits read as `dtype` (TP_FLOAT_BITS, TP_BITS_FLOAT). */
tp_expr *lower_bit_cast(tp_builder *b, tp_func func, tp_expr *value, tsr_dtype dtype);
/* `value` as a const private int named prefix + serial (a constant as it
 * is). */
tp_expr *lower_declare_const(lower_ctx *ctx, tp_block *out, const char *prefix, tp_expr *value);
/* The group's threads share `count` items, thread tid taking items tid,
 * tid + threads, ...: a loop into `out` whose body (returned, guarded where
 * count is not a whole number of rounds) has the item's index as a const
 * in *item; NULL when out of memory. */
tp_block *lower_share_items(lower_ctx *ctx, tp_block *out, int count, tp_expr **item);
/* The same, also giving the round (the loop's variable): item = tid +
 * round * threads; item may be NULL where the caller needs only the
 * round. */
tp_block *lower_share_rounds(lower_ctx *ctx, tp_block *out, int count, tp_expr **item,
                             tp_expr **round);
/* Element (r, c) of a shared tile at `stage` (NULL: the first). */
tp_expr *lower_shared_elem(lower_ctx *ctx, const tsr_tile *tile, tp_expr *stage, tp_expr *r,
                           tp_expr *c);
/* Which of the view's dims is contiguous in memory: 1 for cols, 0 for rows. */
int lower_contiguous_dim(const tsr_view *view);
/* Whether the `width` elements from (gr, gc) along the view's contiguous
 * dim `inner_dim` (1: cols, 0: rows) all lie inside it. */
tp_expr *lower_vector_inside(lower_ctx *ctx, const tsr_view *v, int inner_dim, tp_expr *gr,
                             tp_expr *gc, int width);
/* The `width` elements from (gr, gc) along the view's contiguous dim, as
 * one vector of `dtype`: the tile's type, into which 16-bit values go as
 * stored, else widened to the computing type. */
tp_expr *lower_global_vector(lower_ctx *ctx, const tsr_view *v, tp_expr *gr, tp_expr *gc, int width,
                             tsr_dtype dtype);
/* tile(r, c) .. the `width` elements along dim `inner_dim` (1: cols, 0:
 * rows) as one aligned vector of the shared array, where they lie along a
 * stored row; else NULL. */
tp_expr *lower_shared_vector_slot(lower_ctx *ctx, const tsr_tile *tile, tp_expr *stage, tp_expr *r,
                                  tp_expr *c, int inner_dim, int width);
/* tile(r, c) .. the `width` elements along dim `inner_dim` (1: cols, 0:
 * rows) := the lanes of `vector`: one aligned vector store where they lie
 * along a stored row, else lane by lane. */
void lower_shared_store(lower_ctx *ctx, tp_block *out, const tsr_tile *tile, tp_expr *stage,
                        tp_expr *r, tp_expr *c, int inner_dim, tp_expr *vector, int width);
/* view(gr, gc) where it exists, else 0. */
tp_expr *lower_guarded_elem(lower_ctx *ctx, const tsr_view *v, tp_expr *gr, tp_expr *gc,
                            tsr_dtype dtype);
/* A cooperative load of a view's window into a shared tile
 * (core/lower_load.c). */
tsr_status lower_load(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
/* The halves of a two-step load (core/lower_staged.c). */
tsr_status lower_fetch(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
tsr_status lower_deposit(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);

/* An MMA on a matrix unit, and the place of a fragment's element (i, j)
 * in the group tile (core/lower_mma_sync.c). */
tsr_status lower_mma_sync(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
tp_expr *lower_fragment_row(lower_ctx *ctx, const tsr_tile *acc, int i);
tp_expr *lower_fragment_col(lower_ctx *ctx, const tsr_tile *acc, int j);
/* The same on the warpgroup matrix unit (core/lower_wgmma.c). */
tsr_status lower_wgmma(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
tp_expr *lower_warpgroup_row(lower_ctx *ctx, const tsr_tile *acc, int i);
tp_expr *lower_warpgroup_col(lower_ctx *ctx, const tsr_tile *acc, int j);

/* The same on the units shared by a wave or sub-group, AMD's MFMA and WMMA
 * and Intel's DPAS (core/lower_wave_units.c). */
tsr_status lower_wave_mma(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
tp_expr *lower_wave_row(lower_ctx *ctx, tsr_wave_unit unit, const tsr_tile *acc, int i);
tp_expr *lower_wave_col(lower_ctx *ctx, tsr_wave_unit unit, const tsr_tile *acc, int j);

/* Where element row i, or the first col of chunk `chunk`, of a thread's
 * register tile lies in the group tile under `map`. */
tp_expr *lower_tile_row(lower_ctx *ctx, const tsr_thread_map *map, const tsr_tile *tile, int i);
tp_expr *lower_tile_col(lower_ctx *ctx, const tsr_thread_map *map, const tsr_tile *tile, int chunk);
/* The statements on whole register tiles (core/lower_tile_rows.c). */
tsr_status lower_tile_map(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
tsr_status lower_tile_reduce(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
tsr_status lower_tile_stash(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);

tsr_status lower_row_reduce(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
tsr_status lower_row_map(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
tsr_status lower_row_join(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
tsr_status lower_col_reduce(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
/* acc combined with value by a reduction's op (max, or a sum), and the
 * value its partials start from. */
tp_expr *lower_reduce_combine(tp_builder *b, tsr_reduce_op op, tp_expr *acc, tp_expr *value);
double lower_reduce_identity(tsr_reduce_op op);
/* The groups of one tile add their register tiles (core/lower_tile_join.c). */
tsr_status lower_tile_join(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);
/* A window copied from a shared tile or a global view (core/lower_copy.c). */
tsr_status lower_copy(lower_ctx *ctx, const tsr_stmt *s, tp_block *out);

#endif
