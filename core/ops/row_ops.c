/* The parts the row-wise ops share (see row_ops.h). */
#include "core/ops/row_ops.h"

#include <math.h>
#include <string.h>

#include "core/ops/stream_model.h"

const tsr_param_def tsr_row_params[ROW_PARAM_COUNT] = {TSR_ROW_PARAM_DEFS};

tsr_status tsr_row_check(const tsr_opspec *spec, const tsr_profile *profile,
                         const tsr_config *config, tsr_error *err)
{
    int wg = config->value[ROW_WG];
    int max_threads = (int)tsr_profile_value(&profile->max_work_group_size, 256);
    if (wg > max_threads)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "%d threads per work-group exceed the profile's limit of %d", wg,
                        max_threads);
    /* As for GEMM: whole sub-groups only. */
    int subgroup = (int)tsr_profile_value(&profile->subgroup_sizes[0], 1);
    if (wg % subgroup)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "%d threads per work-group are not a whole number of the profile's "
                        "%d-wide sub-groups",
                        wg, subgroup);
    long shared = (long)wg * (long)tsr_dtype_size(tsr_dtype_compute(spec->dtype));
    TSR_TRY(tsr_profile_check_shared(profile, shared, err));
    if (!config->value[ROW_SG])
        return TSR_OK;
    if (!(profile->features & TSR_FEAT_SUBGROUP_SHUFFLE))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "SG=1 needs sub-group shuffles, which the profile's features do not list "
                        "(subgroup_shuffle)");
    /* The shuffles combine runs of the profile's smallest sub-group size. */
    if (!profile->subgroup_sizes[0].present)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "SG=1 needs the profile's sub-group sizes (compute.subgroup_sizes), which "
                        "it does not list");
    if (tsr_row_subgroup_width(profile, config) < 2)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "SG=1 needs sub-groups of 2 threads or more; the profile's smallest is 1");
    return TSR_OK;
}

int tsr_row_subgroup_width(const tsr_profile *profile, const tsr_config *config)
{
    return config->value[ROW_SG] ? (int)tsr_profile_value(&profile->subgroup_sizes[0], 0) : 0;
}

void tsr_row_geometry_rule(const tsr_opspec *spec, const tsr_config *config,
                           tsr_geometry_rule *rule)
{
    (void)spec;
    *rule = (tsr_geometry_rule){.dims = 1,
                                .dim = {ROW_DIM_ROWS, -1, -1},
                                .per_group = {1, 1, 1},
                                .local = {(size_t)config->value[ROW_WG], 1, 1}};
}

tsr_tile_program *tsr_row_program(tsr_arena *arena, const tsr_opspec *spec,
                                  const tsr_config *config, const char *kernel_name,
                                  const char *const *names, int n_buffers, int n_ints, int n_floats,
                                  int output)
{
    int n_params = n_buffers + n_ints + n_floats;
    tsr_tile_program *p = tsr_ir_new(arena, kernel_name, n_params);
    if (!p)
        return NULL;
    for (int i = 0; i < n_params; i++) {
        bool buffer = i < n_buffers, integer = !buffer && i < n_buffers + n_ints;
        p->params[i].name = names[i];
        p->params[i].kind = buffer ? TSR_ARG_BUFFER : integer ? TSR_ARG_INT : TSR_ARG_FLOAT;
        p->params[i].dtype = buffer    ? spec->dtype
                             : integer ? TSR_I32
                                       : tsr_dtype_compute(spec->dtype);
        p->params[i].writable = i == output;
    }
    p->dims = 1;
    p->local[0] = config->value[ROW_WG];
    return p;
}

tsr_view *tsr_row_view(tsr_tile_program *p, int buffer, int rows, int cols, bool broadcast)
{
    tp_builder *b = &p->builder;
    tsr_view *v = TSR_ARENA_NEW(p->arena, tsr_view);
    if (!v)
        return NULL;
    tp_expr *col_count = cols >= 0 ? tp_param_ref(b, &p->params[cols]) : tp_int(b, 1);
    *v = (tsr_view){.buffer = &p->params[buffer],
                    .rows = tp_param_ref(b, &p->params[rows]),
                    .cols = col_count,
                    .row_stride = broadcast ? tp_int(b, 0) : col_count,
                    .col_stride = tp_int(b, 1)};
    return v;
}

tsr_stmt *tsr_row_stmt(tsr_tile_program *p, tsr_stmt_kind kind, const tsr_view *view,
                       tp_expr *element, const tsr_config *config)
{
    tsr_stmt *s = tsr_ir_append(p, &p->body, kind);
    if (s) {
        s->view = view;
        s->row = tp_builtin_ref(&p->builder, TP_GROUP_ID, 0);
        s->element = element;
        s->threads = config->value[ROW_WG];
        s->vector_width = config->value[ROW_VW];
    }
    return s;
}

/* The program's shared tile of WG partials, made by its first reduction. */
static const tsr_tile *row_partials(tsr_tile_program *p, tsr_dtype dtype, const tsr_config *config)
{
    for (int i = 0; i < p->n_tiles; i++)
        if (!strcmp(p->tiles[i]->name, "partials"))
            return p->tiles[i];
    return tsr_ir_tile(p, "partials", dtype, TSR_SPACE_SHARED, config->value[ROW_WG], 1, 0, false);
}

tsr_stmt *tsr_row_reduce_stmt(tsr_tile_program *p, const tsr_view *view, tp_expr *element,
                              tsr_reduce_op op, const tsr_config *config,
                              const tsr_profile *profile)
{
    const tsr_tile *tile =
        view ? row_partials(p, tsr_dtype_compute(view->buffer->dtype), config) : NULL;
    tsr_stmt *s = tile ? tsr_row_stmt(p, TSR_S_ROW_REDUCE, view, element, config) : NULL;
    if (s) {
        s->tile = tile;
        s->reduce = op;
        s->subgroup_width = tsr_row_subgroup_width(profile, config);
    }
    return s;
}

const tp_var *tsr_row_reduce(tsr_tile_program *p, const tsr_view *view, tp_expr *element,
                             tsr_reduce_op op, const char *name, const tsr_config *config,
                             const tsr_profile *profile)
{
    if (!view)
        return NULL;
    const tp_var *result = tsr_ir_scalar(p, name, tsr_dtype_compute(view->buffer->dtype));
    tsr_stmt *s = tsr_row_reduce_stmt(p, view, element, op, config, profile);
    if (!s || !result)
        return NULL;
    s->result = result;
    return result;
}

tp_expr *tsr_row_average(tsr_tile_program *p, tp_expr *value, int count)
{
    return tp_bin(&p->builder, TP_DIV, value, tp_param_ref(&p->builder, &p->params[count]));
}

size_t tsr_row_matrix_elems(const tsr_shape *shape)
{
    return (size_t)shape->dim[ROW_DIM_ROWS] * (size_t)shape->dim[ROW_DIM_COLS];
}

double tsr_row_tolerance(const tsr_opspec *spec, const tsr_shape *shape)
{
    return (16.0 + 4.0 * sqrt((double)shape->dim[ROW_DIM_COLS])) * ldexp(1.0, -23) +
           tsr_dtype_store_rounding(spec->dtype);
}

int tsr_row_args(const tsr_shape *shape, tsr_buffer *const *buffers, int n_buffers, tsr_arg *out)
{
    for (int i = 0; i < n_buffers; i++)
        out[i] = (tsr_arg){.kind = TSR_ARG_BUFFER, .buffer = buffers[i]};
    out[n_buffers] = (tsr_arg){.kind = TSR_ARG_INT, .i = (int)shape->dim[ROW_DIM_ROWS]};
    out[n_buffers + 1] = (tsr_arg){.kind = TSR_ARG_INT, .i = (int)shape->dim[ROW_DIM_COLS]};
    return n_buffers + 2;
}

int tsr_row_xy_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
                    tsr_arg *out)
{
    (void)spec;
    return tsr_row_args(shape, buffers, 2, out);
}

int tsr_row_features(const tsr_opspec *spec, const tsr_profile *profile, const tsr_shape *shape,
                     const tsr_config *config, int passes, int reductions, bool one_output,
                     double *out)
{
    double rows = (double)shape->dim[ROW_DIM_ROWS], cols = (double)shape->dim[ROW_DIM_COLS];
    double elem = (double)tsr_dtype_size(spec->dtype);
    double wg = config->value[ROW_WG], vw = config->value[ROW_VW];
    int subgroup = tsr_row_subgroup_width(profile, config);
    /* A reduction's rounds: a shuffle run and one pass through shared
     * memory with sub-groups, else a tree of log2(WG) barriers. */
    double rounds = subgroup >= 2 ? 2.0 : fmax(1.0, log2(wg));
    tsr_stream_kernel k = {
        .shared_bytes = (subgroup >= 2 ? ceil(wg / subgroup) : wg) * 4.0,
        .memory_bytes = rows * cols * elem + (one_output ? rows : rows * cols) * elem,
        .cached_bytes = (passes - 1) * rows * cols * elem,
        .in_flight_bytes = wg * vw * elem,
        .syncs = reductions * rounds,
        /* Rows that are no whole number of vectors fall to single lanes. */
        .coalescing = fmod(cols, vw) == 0 ? 1.0 : 0.5,
    };
    tsr_stream_launch(spec, config, shape, &k.groups, &k.threads);
    return tsr_stream_features(profile, &k, out);
}
