/* Permute (a transpose, for two dims): Y's dim i is X's dim perm[i], both
 * row-major, of 1 to 4 dims d0..d3 (X's; a shape gives the perm's rank of
 * them, the rest are 1).
 *
 * Each work-group copies one window of a 2-D plane of X: its cols along
 * X's innermost dim (contiguous in X), its rows along Y's innermost dim
 * when the perm moves X's innermost (then contiguous in Y), else along
 * Y's next-to-innermost. When the innermost dim moves, the window goes
 * through a shared tile, read along X's rows and written along Y's, so
 * that both sides touch memory in whole vectors; else it is a straight
 * vector copy of rows. Every other dim is a batch index: a launch axis
 * each, three in all, so with four dims the group loops over d0 (the one
 * required dim: a bundle may then launch the kernel on any value of the
 * others, which have axes). */
#include <math.h>

#include "core/ir.h"
#include "core/ops/ops.h"
#include "core/ops/stream_model.h"

enum { ARG_X, ARG_Y, ARG_D0 }; /* then d1 .. d(rank-1) */
enum { P_TR, P_TC, P_WG, P_VW, P_PAD, P_COUNT };

static const tsr_param_def permute_params[P_COUNT] = {
    [P_TR] = {"TR",
              "window rows: along Y's innermost dim when it moves, else Y's next (1-D: TR*TC "
              "elements)",
              4,
              {8, 16, 32, 64},
              32},
    [P_TC] = {"TC", "window cols: along X's innermost dim", 4, {16, 32, 64, 128}, 32},
    [P_WG] = {"WG", "threads per work-group", 4, {32, 64, 128, 256}, 256},
    [P_VW] = {"VW", "vector width of global reads and writes", 3, {1, 2, 4}, 4},
    [P_PAD] = {"PAD", "extra elements per shared tile row, against bank conflicts", 2, {0, 1}, 0},
};

/* Which of X's dims the kernel copies as a plane, launches along and
 * loops over; it follows from the perm alone. */
typedef struct plan {
    int rank;
    int inner;        /* X's innermost dim: the window's cols */
    int row_dim;      /* the window's rows; -1 for one dim */
    bool transposing; /* X's innermost is not Y's: through a shared tile */
    int n_axes;
    int axis_dim[3]; /* X's dim along launch axis a; axis 0 is inner */
    int looped;      /* the dim a group loops over (d0 with four dims), else -1 */
} plan;

static plan plan_of(const tsr_opspec *spec)
{
    int rank = spec->rank;
    plan pl = {.rank = rank, .inner = rank - 1, .row_dim = -1, .looped = -1};
    pl.transposing = spec->perm[rank - 1] != rank - 1;
    if (rank > 1)
        pl.row_dim = pl.transposing ? spec->perm[rank - 1] : spec->perm[rank - 2];
    int rest[3], n_rest = 0;
    if (pl.row_dim >= 0)
        rest[n_rest++] = pl.row_dim;
    for (int d = 0; d < rank; d++)
        if (d != pl.inner && d != pl.row_dim)
            rest[n_rest++] = d;
    pl.axis_dim[pl.n_axes++] = pl.inner;
    for (int i = 0; i < n_rest; i++) {
        if (n_rest == 3 && rest[i] == 0)
            pl.looped = 0;
        else
            pl.axis_dim[pl.n_axes++] = rest[i];
    }
    return pl;
}

/* The window: TR x TC; a 1-D permute, which has no row dim, copies one
 * row of TR * TC. */
static int window_rows(const plan *pl, const tsr_config *config)
{
    return pl->row_dim >= 0 ? config->value[P_TR] : 1;
}

static int window_cols(const plan *pl, const tsr_config *config)
{
    return config->value[P_TC] * (pl->row_dim >= 0 ? 1 : config->value[P_TR]);
}

static tsr_status permute_check(const tsr_opspec *spec, const tsr_profile *profile,
                                const tsr_config *config, tsr_error *err)
{
    plan pl = plan_of(spec);
    int tr = config->value[P_TR], tc = config->value[P_TC], wg = config->value[P_WG],
        vw = config->value[P_VW], pad = config->value[P_PAD];
    int max_threads = (int)tsr_profile_value(&profile->max_work_group_size, 256);
    int subgroup = (int)tsr_profile_value(&profile->subgroup_sizes[0], 1);
    if (wg > max_threads)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "%d threads per work-group exceed the profile's limit of %d", wg,
                        max_threads);
    if (wg % subgroup)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "%d threads per work-group are not a whole number of the profile's "
                        "%d-wide sub-groups",
                        wg, subgroup);
    /* A param that changes nothing for this perm keeps its default, so that
     * the search never times one kernel twice. */
    int tc_default = permute_params[P_TC].default_value;
    int pad_default = permute_params[P_PAD].default_value;
    if (pl.row_dim < 0 && tc != tc_default)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "a 1-D permute copies rows of TR*TC elements: TC stays at %d, TR sets "
                        "the length",
                        tc_default);
    if (!pl.transposing && pad != pad_default)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "PAD=%d pads a shared tile, and a perm that keeps the innermost dim has "
                        "none",
                        pad);
    /* Loads vectorise along the window's cols, the transposed writes along
     * its rows. */
    if (tc % vw || (pl.transposing && tr % vw))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED, "VW=%d does not divide the %dx%d window", vw, tr,
                        tc);
    int vectors = window_rows(&pl, config) * window_cols(&pl, config) / vw;
    if (wg > vectors)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "%d threads for the %d vectors of a window: the rest would idle", wg,
                        vectors);
    if (vectors > 16 * wg)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "%d vectors a thread: more than 16 make the unrolled copy too long",
                        vectors / wg);
    long shared = pl.transposing
                      ? (long)tr * (tc + pad) * (long)tsr_dtype_size(tsr_dtype_compute(spec->dtype))
                      : 0;
    return tsr_profile_check_shared(profile, shared, err);
}

/* Where a launch along the plan puts its groups: for each of X's dims, the
 * index (a batch dim) or window origin (inner, row_dim) of this group. */
static void group_positions(tsr_tile_program *p, const plan *pl, const tsr_config *config,
                            const tp_var *looped, tp_expr **pos)
{
    tp_builder *b = &p->builder;
    for (int a = 0; a < pl->n_axes; a++) {
        int d = pl->axis_dim[a];
        int per_group = d == pl->inner     ? window_cols(pl, config)
                        : d == pl->row_dim ? config->value[P_TR]
                                           : 1;
        pos[d] = tp_muli(b, tp_builtin_ref(b, TP_GROUP_ID, a), per_group);
    }
    if (pl->looped >= 0)
        pos[pl->looped] = tp_ref(b, looped);
}

/* The stride of each of X's dims in X (in_stride) and in Y (out_stride). */
static void strides(tsr_tile_program *p, const tsr_opspec *spec, tp_expr **in_stride,
                    tp_expr **out_stride)
{
    tp_builder *b = &p->builder;
    tp_expr *in = tp_int(b, 1), *out = tp_int(b, 1);
    for (int d = spec->rank - 1; d >= 0; d--) {
        in_stride[d] = in;
        in = tp_mul(b, in, tp_param_ref(b, &p->params[ARG_D0 + d]));
    }
    for (int i = spec->rank - 1; i >= 0; i--) { /* Y's dim i is X's perm[i] */
        out_stride[spec->perm[i]] = out;
        out = tp_mul(b, out, tp_param_ref(b, &p->params[ARG_D0 + spec->perm[i]]));
    }
}

/* A window's view of X or Y: rows along `row_dim` (one row when -1), cols
 * along `col_dim`, each batch dim at this group's index. */
static tsr_view *plane_view(tsr_tile_program *p, const plan *pl, int buffer, int row_dim,
                            int col_dim, tp_expr **stride, tp_expr **pos)
{
    tp_builder *b = &p->builder;
    tsr_view *v = TSR_ARENA_NEW(p->arena, tsr_view);
    if (!v)
        return NULL;
    tp_expr *base = tp_int(b, 0);
    for (int d = 0; d < pl->rank; d++)
        if (d != pl->inner && d != pl->row_dim)
            base = tp_add(b, base, tp_mul(b, pos[d], stride[d]));
    *v = (tsr_view){.buffer = &p->params[buffer],
                    .rows =
                        row_dim >= 0 ? tp_param_ref(b, &p->params[ARG_D0 + row_dim]) : tp_int(b, 1),
                    .cols = tp_param_ref(b, &p->params[ARG_D0 + col_dim]),
                    .row_stride = row_dim >= 0 ? stride[row_dim] : tp_int(b, 0),
                    .col_stride = stride[col_dim],
                    .base = base};
    return v;
}

/* Load, barrier, copy out transposed (and a barrier before a loop's next
 * load overwrites the tile); or one copy straight from X. */
static bool append_copy(tsr_tile_program *p, const tsr_opspec *spec, const plan *pl,
                        const tsr_config *config, tsr_stmt_list *list, tp_expr **in_stride,
                        tp_expr **out_stride, tp_expr **pos)
{
    tp_builder *b = &p->builder;
    int tr = window_rows(pl, config), tc = window_cols(pl, config), vw = config->value[P_VW];
    tp_expr *row0 = pl->row_dim >= 0 ? pos[pl->row_dim] : tp_int(b, 0), *col0 = pos[pl->inner];
    tsr_view *x = plane_view(p, pl, ARG_X, pl->row_dim, pl->inner, in_stride, pos);
    if (!pl->transposing) {
        tsr_view *y = plane_view(p, pl, ARG_Y, pl->row_dim, pl->inner, out_stride, pos);
        tsr_stmt *copy = tsr_ir_append(p, list, TSR_S_COPY);
        if (!x || !y || !copy)
            return false;
        *copy = (tsr_stmt){.kind = TSR_S_COPY,
                           .view = y,
                           .row0 = row0,
                           .col0 = col0,
                           .src = {.view = x, .row0 = row0, .col0 = col0},
                           .copy_rows = tr,
                           .copy_cols = tc,
                           .vector_width = vw};
        return true;
    }
    tsr_view *y = plane_view(p, pl, ARG_Y, pl->inner, pl->row_dim, out_stride, pos);
    const tsr_tile *tile = tsr_ir_tile(p, "tile", tsr_dtype_compute(spec->dtype), TSR_SPACE_SHARED,
                                       tr, tc, config->value[P_PAD], false);
    tsr_stmt *load = tsr_ir_append(p, list, TSR_S_LOAD);
    tsr_stmt *barrier = tsr_ir_append(p, list, TSR_S_BARRIER);
    tsr_stmt *copy = tsr_ir_append(p, list, TSR_S_COPY);
    if (!x || !y || !tile || !load || !barrier || !copy)
        return false;
    *load = (tsr_stmt){.kind = TSR_S_LOAD,
                       .tile = tile,
                       .view = x,
                       .row0 = row0,
                       .col0 = col0,
                       .vector_width = vw};
    *copy = (tsr_stmt){.kind = TSR_S_COPY,
                       .view = y,
                       .row0 = col0,
                       .col0 = row0,
                       .src = {.tile = tile},
                       .copy_rows = tc,
                       .copy_cols = tr,
                       .transpose = true,
                       .vector_width = vw};
    return pl->looped < 0 || tsr_ir_append(p, list, TSR_S_BARRIER);
}

static tsr_status permute_build(tsr_arena *arena, const tsr_opspec *spec,
                                const tsr_profile *profile, const tsr_config *config,
                                tsr_tile_program **out, tsr_error *err)
{
    TSR_TRY(permute_check(spec, profile, config, err));
    static const char *const names[2 + TSR_PERM_MAX_RANK] = {"X", "Y", "d0", "d1", "d2", "d3"};
    plan pl = plan_of(spec);
    tsr_tile_program *p = tsr_ir_new(arena, "tsr_permute", ARG_D0 + spec->rank);
    if (!p)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building permute");
    for (int i = 0; i < p->n_params; i++) {
        bool buffer = i < ARG_D0;
        p->params[i] = (tp_param){.name = names[i],
                                  .kind = buffer ? TSR_ARG_BUFFER : TSR_ARG_INT,
                                  .dtype = buffer ? spec->dtype : TSR_I32,
                                  .writable = i == ARG_Y};
    }
    p->dims = 1;
    p->local[0] = config->value[P_WG];
    tp_builder *b = &p->builder;
    tsr_stmt_list *list = &p->body;
    tp_var *looped = NULL;
    if (pl.looped >= 0) {
        looped = tp_new_var(b, "i0", TSR_I32, TP_PRIVATE, 0, 0, 0);
        tsr_stmt *loop = tsr_ir_append(p, list, TSR_S_LOOP);
        if (!loop || !looped)
            return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building permute");
        int step = pl.looped == pl.row_dim ? config->value[P_TR] : 1;
        *loop = (tsr_stmt){.kind = TSR_S_LOOP,
                           .var = looped,
                           .begin = tp_int(b, 0),
                           .end = tp_param_ref(b, &p->params[ARG_D0 + pl.looped]),
                           .step = tp_int(b, step),
                           .vector_width = 1};
        list = &loop->body;
    }
    tp_expr *in_stride[TSR_PERM_MAX_RANK], *out_stride[TSR_PERM_MAX_RANK];
    tp_expr *pos[TSR_PERM_MAX_RANK] = {NULL};
    strides(p, spec, in_stride, out_stride);
    group_positions(p, &pl, config, looped, pos);
    if (!append_copy(p, spec, &pl, config, list, in_stride, out_stride, pos) || b->failed)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory building permute");
    *out = p;
    return TSR_OK;
}

/* Axis 0 along X's innermost dim, a window's cols a group; the others
 * along the row dim (a window's rows a group) and the batch dims (one
 * index a group). */
static void permute_geometry_rule(const tsr_opspec *spec, const tsr_config *config,
                                  tsr_geometry_rule *rule)
{
    plan pl = plan_of(spec);
    *rule = (tsr_geometry_rule){.dims = pl.n_axes};
    for (int a = 0; a < 3; a++) {
        int d = a < pl.n_axes ? pl.axis_dim[a] : -1;
        rule->dim[a] = d;
        rule->per_group[a] = d < 0             ? 1
                             : d == pl.inner   ? window_cols(&pl, config)
                             : d == pl.row_dim ? config->value[P_TR]
                                               : 1;
        rule->local[a] = a == 0 ? (size_t)config->value[P_WG] : 1;
    }
}

static size_t permute_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer)
{
    (void)buffer;
    size_t elems = 1;
    for (int d = 0; d < spec->op->n_dims; d++)
        elems *= (size_t)shape->dim[d];
    return elems;
}

static int permute_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
                        tsr_arg *out)
{
    out[ARG_X] = (tsr_arg){.kind = TSR_ARG_BUFFER, .buffer = buffers[ARG_X]};
    out[ARG_Y] = (tsr_arg){.kind = TSR_ARG_BUFFER, .buffer = buffers[ARG_Y]};
    for (int d = 0; d < spec->rank; d++)
        out[ARG_D0 + d] = (tsr_arg){.kind = TSR_ARG_INT, .i = (int)shape->dim[d]};
    return ARG_D0 + spec->rank;
}

/* Walks Y in order, finding each element's place in X. */
static void permute_reference(const tsr_opspec *spec, const tsr_shape *shape,
                              const float *const *buffers, double *out, double *magnitude)
{
    long dims[TSR_PERM_MAX_RANK], stride[TSR_PERM_MAX_RANK], step[TSR_PERM_MAX_RANK];
    long index[TSR_PERM_MAX_RANK] = {0}, elems = 1;
    int rank = spec->rank;
    for (int d = rank - 1; d >= 0; d--) {
        stride[d] = elems;
        elems *= shape->dim[d];
    }
    for (int i = 0; i < rank; i++) {
        dims[i] = shape->dim[spec->perm[i]];
        step[i] = stride[spec->perm[i]];
    }
    size_t n = permute_buffer_elems(spec, shape, ARG_Y);
    for (size_t k = 0; k < n; k++) {
        long from = 0;
        for (int i = 0; i < rank; i++)
            from += index[i] * step[i];
        out[k] = buffers[ARG_X][from];
        magnitude[k] = out[k] < 0 ? -out[k] : out[k];
        for (int i = rank - 1; i >= 0 && ++index[i] == dims[i]; i--)
            index[i] = 0;
    }
}

/* A permute moves values without arithmetic: any difference is a fault. */
static double permute_tolerance(const tsr_opspec *spec, const tsr_shape *shape)
{
    (void)spec;
    (void)shape;
    return 0.0;
}

/* Nothing is computed, so the "operations" counted are the elements moved
 * (one read and one write of 4 bytes each): GFLOP/s reads as billions of
 * elements a second, and 8 times it is the GB/s of memory traffic. */
static double permute_flops(const tsr_opspec *spec, const tsr_shape *shape)
{
    return (double)permute_buffer_elems(spec, shape, ARG_Y);
}

/* Greatest common divisor, for bank conflicts. */
static long gcd(long a, long b)
{
    while (b) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* What the cost model sees: every element read once and written once. A
 * transposing window goes through a shared tile (one barrier), read down
 * its cols, whose rows lie (TC + PAD) elements apart: in 4-byte banks the
 * reads of a col collide gcd(row words, 32) times over; its writes to Y
 * run along the window's rows, TR elements, whole 32-byte sectors only
 * from 32 bytes up. */
static int permute_features(const tsr_opspec *spec, const tsr_profile *profile,
                            const tsr_shape *shape, const tsr_config *config,
                            const struct tsr_resource_report *resources, double *out)
{
    (void)resources;
    plan pl = plan_of(spec);
    double elem = (double)tsr_dtype_size(spec->dtype);
    double elems = (double)permute_buffer_elems(spec, shape, ARG_Y);
    double tr = window_rows(&pl, config), tc = window_cols(&pl, config);
    tsr_stream_kernel k = {
        .memory_bytes = 2.0 * elems * elem,
        .in_flight_bytes = config->value[P_WG] * config->value[P_VW] * elem,
        .coalescing = 1.0,
    };
    if (pl.transposing) {
        double row_bytes = (tc + config->value[P_PAD]) * elem;
        double conflict = fmod(row_bytes, 4) == 0 ? (double)gcd((long)(row_bytes / 4), 32) : 1.0;
        k.shared_bytes = tr * (tc + config->value[P_PAD]) * elem;
        k.shared_traffic = tr * tc * elem * (1.0 + conflict);
        k.syncs = 1;
        k.coalescing = (1.0 + fmin(1.0, tr * elem / 32.0)) / 2.0;
    }
    tsr_stream_launch(spec, config, shape, &k.groups, &k.threads);
    return tsr_stream_features(profile, &k, out);
}

/* The defaults, padded against bank conflicts where there is a tile. */
static void permute_suggest(const tsr_opspec *spec, const tsr_profile *profile, tsr_config *out)
{
    (void)profile;
    tsr_config_default(spec->op, out);
    if (plan_of(spec).transposing)
        out->value[P_PAD] = 1;
}

static const tsr_buffer_def permute_buffers[2] = {{"X", true, false}, {"Y", false, true}};

const tsr_op_def tsr_op_permute = {
    .name = "permute",
    .summary = "permute of 1 to 4 dims: Y's dim i is X's dim perm[i] (a transpose for two)",
    .n_dims = TSR_PERM_MAX_RANK,
    .dim_names = {"d0", "d1", "d2", "d3"},
    .dim_default = {0, 1, 1, 1},
    .n_params = P_COUNT,
    .params = permute_params,
    .n_buffers = 2,
    .buffers = permute_buffers,
    .dtypes = 1u << TSR_F32 | 1u << TSR_F16 | 1u << TSR_BF16,
    .check = permute_check,
    .build = permute_build,
    .geometry_rule = permute_geometry_rule,
    .buffer_elems = permute_buffer_elems,
    .args = permute_args,
    .reference = permute_reference,
    .tolerance = permute_tolerance,
    .flops = permute_flops,
    .output_buffer = ARG_Y,
    .suggest = permute_suggest,
    .n_features = TSR_STREAM_FEATURE_COUNT,
    .feature_names = tsr_stream_feature_names,
    .features = permute_features,
};
