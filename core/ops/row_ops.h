/* What the row-wise ops (softmax, reduce, rmsnorm, layernorm) share: one work-group
 * per row, a search space of threads per row and vector width, the checks
 * a config must pass on a profile, and the pieces of their tile programs. */
#ifndef TSR_ROW_OPS_H
#define TSR_ROW_OPS_H

#include "core/ir.h"
#include "core/op.h"

enum { ROW_WG, ROW_VW, ROW_SG, ROW_PARAM_COUNT };
enum { ROW_DIM_ROWS, ROW_DIM_COLS };

/* The row params, as initialisers for an op that adds its own after them
 * (softmax's ONLINE). */
/* The row ops read and write f32, f16 or bf16 (X, Y and the per-column
 * vectors alike) and compute in f32. */
#define TSR_ROW_DTYPES (1u << TSR_F32 | 1u << TSR_F16 | 1u << TSR_BF16)

#define TSR_ROW_PARAM_DEFS                                                                         \
    [ROW_WG] = {"WG",                                                                              \
                "threads per row (one work-group per row)",                                        \
                8,                                                                                 \
                {8, 16, 32, 64, 128, 256, 512, 1024},                                              \
                64},                                                                               \
    [ROW_VW] = {"VW", "vector width of row loads", 4, {1, 2, 4, 8}, 4},                            \
    [ROW_SG] = {"SG",                                                                              \
                "1: reduce within sub-groups by shuffles first, so that one partial a "            \
                "sub-group goes through shared memory (needs the profile's subgroup_shuffle)",     \
                2,                                                                                 \
                {0, 1},                                                                            \
                0}

extern const tsr_param_def tsr_row_params[ROW_PARAM_COUNT];

tsr_status tsr_row_check(const tsr_opspec *spec, const tsr_profile *profile,
                         const tsr_config *config, tsr_error *err);
void tsr_row_geometry_rule(const tsr_opspec *spec, const tsr_config *config,
                           tsr_geometry_rule *rule);

/* A new program with the given params (buffers first, of the spec's
 * dtype; then ints; then floats), the first writable buffer `output`. */
tsr_tile_program *tsr_row_program(tsr_arena *arena, const tsr_opspec *spec,
                                  const tsr_config *config, const char *kernel_name,
                                  const char *const *names, int n_buffers, int n_ints, int n_floats,
                                  int output);
/* A rows x cols row-major view of buffer param `buffer`, with `rows` and
 * `cols` the int params; cols == NULL gives one column (a vector of rows);
 * broadcast gives a vector of cols shared by every row (row stride 0). */
tsr_view *tsr_row_view(tsr_tile_program *p, int buffer, int rows, int cols, bool broadcast);
/* A ROW_REDUCE or ROW_MAP over `view`'s row of this group. */
tsr_stmt *tsr_row_stmt(tsr_tile_program *p, tsr_stmt_kind kind, const tsr_view *view,
                       tp_expr *element, const tsr_config *config);
/* The sub-group width a config's reductions assume on the profile: 0
 * without SG; else the smallest sub-group size the profile lists, which
 * divides every size it lists (powers of two all), so that the kernel is
 * right whichever of them the device runs (an RDNA GPU's wave32 or wave64). */
int tsr_row_subgroup_width(const tsr_profile *profile, const tsr_config *config);
/* A ROW_REDUCE by `op` (results left to the caller), its partials in the
 * program's shared tile "partials" (made by the first), by sub-groups as
 * the config and profile say. */
tsr_stmt *tsr_row_reduce_stmt(tsr_tile_program *p, const tsr_view *view, tp_expr *element,
                              tsr_reduce_op op, const tsr_config *config,
                              const tsr_profile *profile);
/* The same into a new private scalar `name`, which it returns. */
const tp_var *tsr_row_reduce(tsr_tile_program *p, const tsr_view *view, tp_expr *element,
                             tsr_reduce_op op, const char *name, const tsr_config *config,
                             const tsr_profile *profile);
/* value / the int param `count` (C's conversions make the quotient a
 * float: the float comes first). */
tp_expr *tsr_row_average(tsr_tile_program *p, tp_expr *value, int count);

/* What the cost model sees of a row op's kernel (core/ops/stream_model.h):
 * one group a row reading X `passes` times (the later ones mostly from the
 * caches), `reductions` reductions across the group, and a row of Y
 * written (one value a row with `one_output`). */
int tsr_row_features(const tsr_opspec *spec, const tsr_profile *profile, const tsr_shape *shape,
                     const tsr_config *config, int passes, int reductions, bool one_output,
                     double *out);

/* rows * cols, the size of X (and of Y for the norms). */
size_t tsr_row_matrix_elems(const tsr_shape *shape);
/* The arguments of a row op: its `n_buffers` buffers in order, then rows
 * and cols; returns how many. */
int tsr_row_args(const tsr_shape *shape, tsr_buffer *const *buffers, int n_buffers, tsr_arg *out);
/* tsr_op_def.args of an op whose arguments are X, Y, rows, cols. */
int tsr_row_xy_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
                    tsr_arg *out);
/* |got - ref| / magnitude accepted for sums of `cols` terms in f32: a few
 * ulp for the arithmetic around them, plus rounding that grows like
 * sqrt(cols), as for softmax. */
/* The row ops' tolerance: f32 arithmetic's over a row, plus a 16-bit
 * output's one rounding. */
double tsr_row_tolerance(const tsr_opspec *spec, const tsr_shape *shape);

#endif
