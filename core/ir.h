/* The tile program: the vendor-neutral description of one kernel.
 *
 * An op definition builds it from (op spec, config, profile). It speaks of
 * tiles (a shape, a data type, a memory space, a stored layout), of views
 * of global buffers, and of statements on whole tiles: cooperative loads
 * into shared memory, barriers, loops over tile steps, matrix
 * multiply-accumulate on register tiles, stores through an epilogue, and
 * row-wise reductions and maps. Lowering (core/lower.h) decides which
 * thread does which part of each statement. */
#ifndef TSR_IR_H
#define TSR_IR_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/strbuf.h"
#include "core/tprog.h"

typedef enum tsr_space { TSR_SPACE_GLOBAL, TSR_SPACE_SHARED, TSR_SPACE_REGISTER } tsr_space;

typedef struct tsr_tile {
    const char *name;
    tsr_dtype dtype;
    tsr_space space; /* shared: one per work-group; register: one per thread */
    int rows, cols;  /* logical shape */
    int pad;         /* extra elements per stored row, against bank conflicts */
    bool transposed; /* stored as [cols][rows]: element (r, c) at [c][r] */
    int lanes;       /* register tiles: cols held as vectors of this many lanes */
    /* Shared tiles: how many copies (stages) are stored, one after another,
     * so that one can be filled while another is read; 1 when not staged. */
    int stages;
    /* Shared tiles of 16-bit values or f32: stored in the warpgroup matrix
     * unit's 128-byte swizzle (see core/lower_wgmma.c). The stored
     * [outer][inner] array is cut along inner into columns of 128 bytes
     * (64 16-bit values, 32 f32), stored one after another, each as
     * `outer` rows; within a row, its eight 16-byte chunks are permuted,
     * chunk c at c ^ (row % 8). The array starts 1024-byte aligned; inner
     * is a multiple of a column and `pad` 0. */
    bool swizzled;
} tsr_tile;

/* A 2-D window onto a global buffer: element (r, c) lives at
 * buffer[base + r * row_stride + c * col_stride] and exists for r < rows,
 * c < cols. Extents, strides and base are expressions over the kernel's
 * scalar params and ids; base may be NULL (0): it picks one matrix of a
 * batch. A stride of 0 broadcasts, e.g. a bias vector over the rows. */
typedef struct tsr_view {
    const tp_param *buffer;
    tp_expr *rows, *cols;
    tp_expr *row_stride, *col_stride;
    tp_expr *base;
    /* NULL for the plain view above; else the view is gathered (see
     * tsr_gather) and its strides only say which of its dims runs along
     * memory: a unit col_stride for the cols, which the threads of a
     * cooperative load then walk side by side. */
    const struct tsr_gather *gather;
} tsr_view;

/* A gathered view: the B (K x P) or A (P x K) operand of a convolution's
 * implicit GEMM, read straight from the image X. Its k dim counts the
 * filter's taps, k = (c, fr, fs) with fs fastest, or (fr, fs, c) with the
 * channel c fastest (channels_inner); its p dim counts output pixels,
 * p = (image, oh, ow) with ow fastest. Element (k, p) is X at channel c,
 * row ih = oh * stride - pad + fr * dilation (cols likewise) of the image:
 * buffer[base + image * image_stride + c * channel_stride
 *        + ih * in_row_stride + iw * in_col_stride],
 * and 0 where (ih, iw) falls into the padding outside the in_rows x
 * in_cols image. Filter size, stride, pad and dilation are constants, so
 * the divisions that split k are by constants. */
typedef struct tsr_gather {
    bool k_along_rows;   /* k is the view's row index (a B operand), else its col index */
    bool channels_inner; /* k = (fr, fs, c); else (c, fr, fs) */
    int filter[2], stride[2], pad[2], dilation[2]; /* [0] along rows, [1] along cols */
    tp_expr *channels;                             /* the extent of k's channel digit */
    tp_expr *out_rows, *out_cols;                  /* OH, OW */
    tp_expr *in_rows, *in_cols;                    /* H, W */
    tp_expr *channel_stride, *in_row_stride, *in_col_stride;
    tp_expr *image_stride; /* NULL when p spans one image (its pixels only) */
} tsr_gather;

/* Which of the units shared by a wave or sub-group (AMD's MFMA and WMMA,
 * Intel's DPAS at sub-groups of 8 or 16) a thread map's fragments belong
 * to. */
typedef enum tsr_wave_unit {
    TSR_WAVES_NONE,
    TSR_WAVES_MFMA,
    TSR_WAVES_WMMA,
    TSR_WAVES_DPAS8,
    TSR_WAVES_DPAS16
} tsr_wave_unit;

/* How the threads of a group share a work-group tile of results: thread
 * (ty, tx) = (local id 1, local id 0) owns a register tile whose element
 * (i, j) is the group tile's (row(i), col(j)), where row(i) = ty * TM + i
 * (contiguous) or ty + i * threads_rows (strided), and likewise for cols.
 * With vector lanes L the cols go in chunks of L adjacent ones: chunk v of
 * thread tx starts at tx * TN + v * L, or (tx + v * threads_cols) * L. */
typedef struct tsr_thread_map {
    int threads_rows, threads_cols;
    bool strided_rows, strided_cols;
    /* Instead, a matrix unit's fragments: threads_rows x threads_cols
     * warps, warp (wm, wn) = (local id 1, local id 0 / 32) owning the
     * (8 * rows) x (4 * cols) block at (wm, wn) of the group tile, where
     * rows x cols is the register tile's shape; element (i, j) of a thread
     * is its m16n8 accumulator fragment's: see core/lower_mma_sync.c. */
    bool fragments;
    /* Instead, warpgroups of 128 threads on the warpgroup matrix unit:
     * threads_rows x threads_cols of them, warpgroup (wm, wn) = (local id
     * 1, local id 0 / 128) owning the (32 * rows) x (4 * cols) block at (wm,
     * wn) of the group tile: see core/lower_wgmma.c. */
    bool warpgroups;
    /* Instead, the fragments of a unit shared by a wave or sub-group:
     * threads_rows x threads_cols waves (of 64 threads for MFMA, 32 for
     * WMMA, 8 or 16 for DPAS), wave (wm, wn) = (local id 1, local id 0 /
     * the wave) owning a block of FM x cols fragments at (wm, wn) of the
     * group tile: see core/lower_wave_units.c. */
    tsr_wave_unit waves;
} tsr_thread_map;

/* An MMA operand: a shared tile (at a stage: NULL for the first), or a
 * global view at an origin. */
typedef struct tsr_operand {
    const tsr_tile *tile;
    const tsr_view *view;
    tp_expr *row0, *col0;
    tp_expr *stage;
} tsr_operand;

/* How a LOAD moves its window: straight into the shared tile; or in two
 * halves, FETCH (global memory into registers of the thread's own, which
 * the loads can be in flight in while other work runs) then DEPOSIT (those
 * registers into the shared tile). A FETCH and its DEPOSIT name the same
 * tile and vector width. */
/* ASYNC: a load whose whole vectors go straight into the shared tile by
 * the device's asynchronous copies, complete only at a later ASYNC_WAIT
 * (the rest, at the ragged edges, is stored at once). */
typedef enum tsr_load_mode {
    TSR_LOAD_DIRECT,
    TSR_LOAD_FETCH,
    TSR_LOAD_DEPOSIT,
    TSR_LOAD_ASYNC
} tsr_load_mode;

/* MAX_SUMEXP is softmax's in one pass: `result` the max m of the row's
 * values and `result_sum` the sum of exp(value - m), each thread keeping a
 * running max and rescaling its sum whenever the max grows. */
/* What an MMA multiplies with: the threads' own FMAs on the compute type,
 * or a warp-wide matrix unit, m16n8k16 with f32 products (mma.sync), on
 * operands of the view's 16-bit input type, or m16n8k8 on f32 operands
 * rounded to tf32; or the warpgroup-wide unit (m64nNk8 on tf32, K-major),
 * m64nNk16 with f32 products (wgmma), reading both operands from shared
 * tiles stored as core matrices. */
typedef enum tsr_mma_unit {
    TSR_UNIT_FMA,
    TSR_UNIT_MMA_M16N8K16,
    TSR_UNIT_MMA_M16N8K8_TF32,
    TSR_UNIT_WGMMA_M64NK16,
    TSR_UNIT_WGMMA_M64NK8_TF32,
    /* AMD's wave-wide units with f32 products on f16 or bf16 operands
     * read from shared tiles (see core/lower_wave_units.c): CDNA's MFMA
     * 16x16x16 on waves of 64, RDNA3's WMMA 16x16x16 on waves of 32. */
    TSR_UNIT_MFMA_16X16X16,
    TSR_UNIT_WMMA_16X16X16,
    /* Intel's sub-group unit, DPAS 8 x S x 16 with f32 products on f16 or
     * bf16 operands from shared tiles, S the sub-group size (8 or 16). */
    TSR_UNIT_DPAS,
    /* NVIDIA's warp unit on doubles, m16n8k8 with f64 products (sm_90 and
     * later), laid out as m16n8k8 on tf32. */
    TSR_UNIT_MMA_M16N8K8_F64,
    /* The same on sm_80's unit for doubles, m8n8k4: four of them make one
     * m16n8k8 with the same registers (rows g and g + 8, k 0 .. 3 and
     * 4 .. 7), so it lowers as TSR_UNIT_MMA_M16N8K8_F64 and each product
     * is spelled as four. */
    TSR_UNIT_MMA_M8N8K4_F64
} tsr_mma_unit;

typedef enum tsr_reduce_op { TSR_REDUCE_MAX, TSR_REDUCE_SUM, TSR_REDUCE_MAX_SUMEXP } tsr_reduce_op;

/* How many other views a row statement's template may read besides x. */
#define TSR_ROW_OPERANDS 2

typedef enum tsr_stmt_kind {
    TSR_S_LOOP,         /* for var in [begin, end) by step: body */
    TSR_S_BARRIER,      /* the work-group meets; shared tiles are consistent */
    TSR_S_FILL,         /* register tile := value */
    TSR_S_LOAD,         /* shared tile [stage] := view window at (row0, col0); zero outside */
    TSR_S_MMA,          /* acc += A[:, 0:k_count] * B[0:k_count, :] for this thread's part */
    TSR_S_STORE,        /* view window at (row0, col0) := epilogue(acc), in bounds */
    TSR_S_ROW_REDUCE,   /* result := reduce over row `row` of view of f(x) */
    TSR_S_ROW_MAP,      /* row `row` of dst := f(x) over row `row` of src */
    TSR_S_ROW_JOIN,     /* dst[row] := f(reduce over the row's groups of their results) */
    TSR_S_COL_REDUCE,   /* dst row `row` := f(reduce down each col of view of g(x)), a window */
    TSR_S_TILE_JOIN,    /* tile := sum over the groups of one tile of theirs; body in the last */
    TSR_S_COPY,         /* view window at (row0, col0) := src window [transposed], in bounds */
    TSR_S_ASYNC_COMMIT, /* the thread's ASYNC loads since the last commit form one group */
    TSR_S_ASYNC_WAIT,   /* until at most `pending` of the thread's groups are in flight */
    TSR_S_TILE_MAP,     /* register tile := f(its element, `with` tiles, the element's place) */
    TSR_S_TILE_REDUCE,  /* row vector := reduce over each row of a register tile, group-wide */
    TSR_S_TILE_STASH,   /* shared tile := register tile, each element at its place */
    TSR_S_UNIT_WAIT, /* until at most `pending` of the warpgroup unit's MMA groups are in flight */
    TSR_S_LET,       /* const var := begin, for the statements after it in the list */
} tsr_stmt_kind;

/* The statements on a whole register tile (TILE_*) see it as the thread's
 * share of a group tile under `map`, like MMA and STORE: element (i, j) is
 * the group tile's (row(i), col(j)). A row vector is a register tile of
 * one col whose element i belongs to row(i) of the tiles it goes with
 * (same rows and map): a per-row running max, say.
 *
 * TILE_MAP's template reads placeholder slot 0 (the element), slots 1 and
 * 2 (the element of `with[k]` at the same (i, j), or at i of a row
 * vector), and the element's row and col in the group tile as the
 * integers of slots TSR_SLOT_ROW and TSR_SLOT_COL: a causal mask. */
#define TSR_TILE_WITH 2
enum { TSR_SLOT_ROW = 1 + TSR_TILE_WITH, TSR_SLOT_COL, TSR_TILE_SLOTS };

typedef struct tsr_stmt tsr_stmt;
typedef struct tsr_stmt_list {
    tsr_stmt **items;
    int count, cap;
} tsr_stmt_list;

struct tsr_stmt {
    tsr_stmt_kind kind;
    /* LOOP; LET (its value in begin) */
    const tp_var *var;
    tp_expr *begin, *end, *step;
    int unroll;
    tsr_stmt_list body;
    /* FILL, MMA, STORE: the register tile; LOAD: the shared tile */
    const tsr_tile *tile;
    double fill_value;
    /* LOAD, STORE, ROW_*: the global view and the window's origin */
    const tsr_view *view;
    tp_expr *row0, *col0;
    int vector_width;
    /* LOAD: which half of a two-step load, and the stage it fills (NULL:
     * the first) */
    tsr_load_mode load_mode;
    tp_expr *stage;
    /* ASYNC_WAIT, UNIT_WAIT; an MMA on the warpgroup unit: how many of its
     * groups it leaves in flight (its accumulators are not read until a
     * UNIT_WAIT) */
    int pending;
    /* BARRIER: the shared tiles written before it are next read by the
     * warpgroup matrix unit, whose reads are asynchronous to the threads':
     * each thread orders its writes before them (a proxy fence) first. */
    bool async_proxy;
    /* BARRIER: only the thread's warpgroup of 128 meets, for shared tiles
     * whose parts each warpgroup writes and reads alone (the others go on). */
    bool warpgroup;
    /* MMA */
    tsr_operand a, b;
    int k_count, k_unroll;
    tsr_mma_unit unit;
    bool k_inside;      /* MMA: every k it reads lies inside the global operands */
    tsr_thread_map map; /* MMA, STORE */
    /* MMA on the warpgroup unit: where this int is 0, its first multiply
     * overwrites the accumulators instead of adding to them (NULL: it
     * always adds), so that no other instruction sets them while the unit
     * may be writing them. */
    tp_expr *accumulate;
    /* STORE epilogue, in this order: [alpha *] acc [+ beta * old] [+ bias],
     * then [activation], then [+ residual]. alpha and beta are scalar
     * params, alpha NULL for none, beta NULL when the old value is not read; bias and residual
     * are views of the same extent as the stored one (the bias broadcast
     * through a zero stride), NULL when absent; the activation is a
     * template over TP_PLACEHOLDER x, NULL for none. */
    const tp_param *alpha, *beta;
    const tsr_view *bias, *residual;
    tp_expr *activation;
    /* ROW_REDUCE, ROW_MAP, ROW_JOIN */
    tp_expr *row;
    tsr_reduce_op reduce;
    tp_expr *element;     /* template over TP_PLACEHOLDER x */
    const tp_var *result; /* ROW_REDUCE: a private scalar every thread ends with */
    const tsr_view *dst;  /* ROW_MAP */
    int threads;          /* ROW_*: threads along the row (the group) */
    /* ROW_*: what the template's placeholder of slot k + 1 stands for: the
     * element of operands[k] at (row, the column of x); NULL when unused.
     * A per-column vector (a norm's gamma and beta) is a view whose row
     * stride is 0. */
    const tsr_view *operands[TSR_ROW_OPERANDS];
    /* ROW_REDUCE with MAX_SUMEXP: the second result, the sum */
    const tp_var *result_sum;
    /* ROW_REDUCE: the row's columns [col_begin, col_end) alone (NULL: all
     * of them), a window that starts at a multiple of vector_width, so
     * that several groups may share a long row. */
    tp_expr *col_begin, *col_end;
    /* ROW_JOIN: the groups that share row `row` each bring their `result`
     * (a private scalar of every thread) as part `part` of `parts`; the
     * last of them to arrive combines the parts by `reduce` in a fixed
     * order (so the total does not depend on timing), as ROW_REDUCE
     * combines its threads' partials (in `tile`, by `subgroup_width`), and
     * its first thread stores `element` of the total at (row, 0) of `dst`.
     * `scratch` is a shared 1 x 1 int tile through which a group's first
     * thread tells the rest what the arrival count was.
     * They meet in `workspace`, two 32-bit words a group (core/launch.h):
     * group g = row * parts + part puts its part in word 2g, and the row's
     * arrival count is word 2r + 1 of its first group r = row * parts,
     * which the last group sets back to zero. It takes the parts by
     * exchanging them with zero: the workspace is all zero between
     * launches, whatever their kernels and shapes.
     * TILE_JOIN: the groups that share tile `row` (an index over the
     * launch's tiles) each bring their register tile `tile` as part `part`
     * of `parts` (a constant); the last to arrive sets its `tile` to the sum of all of
     * them, added in the parts' order (so the sum does not depend on
     * timing), and runs `body`, which the others skip. `scratch` is as
     * ROW_JOIN's. In `workspace`, each group of the launch has the tile's
     * R = threads x rows x cols values and 4 words more (tsr_tile_join_words),
     * group g = row * parts + part from word g (R + 4): element e of the
     * tile's thread t at word e * threads + t (an f64 tile's values take
     * two words each, e's low and high halves words 2e and 2e + 1, and R
     * twice as many), and the tile's arrival count
     * in the word after its first group's values. The last group takes the
     * values and resets the count, leaving the workspace zero as ROW_JOIN
     * does. */
    const tp_param *workspace;
    tp_expr *part, *parts;
    /* COL_REDUCE: the view's cols [col0, col0 + threads x vector_width)
     * (a window of W cols) reduced down its rows [begin, end) (NULL: all
     * of them), each col by `op` over `element` of its values; `threads`
     * threads side by side along the cols, each with vector_width of them,
     * and `row_threads` such runs along the rows, each taking every
     * row_threads-th row. Their partials meet in `tile` (row_threads x W,
     * shared) in a fixed order, and the first run stores `activation` of
     * each total at (row, col) of `dst`, where the col exists.
     * With a `workspace`, the groups that share window `join_index` (an
     * index over the launch's windows) each bring their totals as part
     * `part` of `parts`, as ROW_JOIN's groups do theirs (`scratch` the
     * same): group g = join_index * parts + part has the W + 1 words from
     * g (W + 1), its totals, and the window's arrival count is the last
     * word of its first group's; the last group to arrive combines the
     * parts (its runs each every row_threads-th part, then the runs, in
     * a fixed order) and stores. */
    int row_threads;
    tp_expr *join_index;
    /* ROW_REDUCE: 0 to combine the threads' partials in the shared tile
     * alone; else first within sub-groups of this many threads by
     * shuffles, so that only one partial a sub-group goes through it */
    int subgroup_width;
    /* COPY: the destination is `view`'s copy_rows x copy_cols window at
     * (row0, col0), written where it exists, in vectors of vector_width
     * along its cols (which must be contiguous when that is above 1).
     * Element (r, c) comes from src at (r, c), or at (c, r) when
     * `transpose`; src is a shared tile (which then holds the window
     * whole), or a global view at its own origin, read only where the
     * destination exists, so it must exist there too. */
    tsr_operand src;
    int copy_rows, copy_cols;
    bool transpose;
    /* TILE_MAP: the other register tiles its template reads (NULL when
     * unused). TILE_REDUCE: `target`, the row vector it sets, and `scratch`,
     * a shared tile of the group tile's rows x tsr_map_row_sharers(map)
     * cols through which the threads that share a row combine their
     * partials, unless `subgroup_width` is set: then they are one aligned
     * run of that many consecutive threads of a warp or wave, which combine
     * by shuffles. TILE_STASH: `target`, the shared tile it writes (at the
     * group tile's places, converted to the tile's type). */
    const tsr_tile *with[TSR_TILE_WITH];
    const tsr_tile *target, *scratch;
};

/* How many threads hold a part of each row of a group tile under `map`:
 * the threads along the cols; for fragments, four lanes a warp (the
 * m16n8 accumulator's places) times the warps along the cols. */
static inline int tsr_map_row_sharers(const tsr_thread_map *map)
{
    return map->fragments || map->warpgroups ? 4 * map->threads_cols : map->threads_cols;
}

typedef struct tsr_tile_program {
    tsr_arena *arena;
    tp_builder builder; /* for the expressions the program holds */
    const char *kernel_name;
    int n_params;
    tp_param *params;
    int dims;
    int local[3]; /* work-group size */
    int n_tiles;
    const tsr_tile *tiles[16];
    int n_scalars; /* private scalars and loop variables the statements name */
    const tp_var *scalars[32];
    tsr_stmt_list body;
} tsr_tile_program;

/* Builders: each appends to `list` and returns the statement, or NULL once
 * the arena is exhausted (program->builder.failed is then set). */
tsr_tile_program *tsr_ir_new(tsr_arena *arena, const char *kernel_name, int n_params);
/* Appends the launch's workspace to the params: a buffer of 32-bit words,
 * the kernel's last argument, that the launch supplies (its size is the
 * geometry rule's workspace_bytes a group), zero where no launch has left
 * anything (core/launch.h). Before anything refers to a param: it moves
 * them. */
const tp_param *tsr_ir_add_workspace(tsr_tile_program *p);
/* The 32-bit words of workspace each group of a TILE_JOIN's launch needs
 * for a register tile of `elements` words a thread (an f64 value takes
 * two: tsr_tile_join_element_words). */
static inline long tsr_tile_join_words(int threads, int elements)
{
    return (long)threads * elements + 4;
}
static inline int tsr_tile_join_element_words(tsr_dtype dtype)
{
    return dtype == TSR_F64 ? 2 : 1;
}
const tsr_tile *tsr_ir_tile(tsr_tile_program *p, const char *name, tsr_dtype dtype, tsr_space space,
                            int rows, int cols, int pad, bool transposed);
/* A shared tile stored `stages` times over (see tsr_tile.stages). */
const tsr_tile *tsr_ir_staged_tile(tsr_tile_program *p, const char *name, tsr_dtype dtype, int rows,
                                   int cols, int pad, bool transposed, int stages);
/* The same in the 128-byte swizzle (tsr_tile.swizzled), unpadded. */
const tsr_tile *tsr_ir_swizzled_tile(tsr_tile_program *p, const char *name, tsr_dtype dtype,
                                     int rows, int cols, bool transposed, int stages);
/* A register tile whose cols are held as vectors of `lanes` lanes. */
const tsr_tile *tsr_ir_vector_tile(tsr_tile_program *p, const char *name, tsr_dtype dtype, int rows,
                                   int cols, int lanes);
const tp_var *tsr_ir_scalar(tsr_tile_program *p, const char *name, tsr_dtype dtype);
tsr_stmt *tsr_ir_append(tsr_tile_program *p, tsr_stmt_list *list, tsr_stmt_kind kind);

/* A readable dump of the program, for `tessera gen --ir` and tests. */
void tsr_ir_format(const tsr_tile_program *p, tsr_strbuf *out);
/* The same for one expression (used by the dump and by error messages). */
void tsr_expr_format(const tp_expr *e, tsr_strbuf *out);

#endif
