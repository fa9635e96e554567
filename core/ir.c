#include "core/ir.h"

#include <string.h>

tsr_tile_program *tsr_ir_new(tsr_arena *arena, const char *kernel_name, int n_params)
{
    tsr_tile_program *p = TSR_ARENA_NEW(arena, tsr_tile_program);
    if (!p)
        return NULL;
    p->arena = arena;
    p->builder.arena = arena;
    p->kernel_name = tsr_arena_strdup(arena, kernel_name);
    p->n_params = n_params;
    p->params = TSR_ARENA_ARRAY(arena, tp_param, n_params);
    p->dims = 1;
    p->local[0] = p->local[1] = p->local[2] = 1;
    if (!p->kernel_name || !p->params)
        return NULL;
    return p;
}

const tp_param *tsr_ir_add_workspace(tsr_tile_program *p)
{
    tp_param *params = TSR_ARENA_ARRAY(p->arena, tp_param, p->n_params + 1);
    if (!params) {
        p->builder.failed = true;
        return NULL;
    }
    memcpy(params, p->params, (size_t)p->n_params * sizeof *params);
    params[p->n_params] =
        (tp_param){.name = "workspace", .kind = TSR_ARG_BUFFER, .dtype = TSR_I32, .writable = true};
    p->params = params;
    return &p->params[p->n_params++];
}

const tsr_tile *tsr_ir_tile(tsr_tile_program *p, const char *name, tsr_dtype dtype, tsr_space space,
                            int rows, int cols, int pad, bool transposed)
{
    if (p->n_tiles == (int)(sizeof p->tiles / sizeof p->tiles[0])) {
        p->builder.failed = true;
        return NULL;
    }
    tsr_tile *t = TSR_ARENA_NEW(p->arena, tsr_tile);
    if (!t || !(t->name = tsr_arena_strdup(p->arena, name))) {
        p->builder.failed = true;
        return NULL;
    }
    t->dtype = dtype;
    t->space = space;
    t->rows = rows;
    t->cols = cols;
    t->pad = pad;
    t->transposed = transposed;
    t->lanes = 1;
    t->stages = 1;
    p->tiles[p->n_tiles++] = t;
    return t;
}

const tsr_tile *tsr_ir_staged_tile(tsr_tile_program *p, const char *name, tsr_dtype dtype, int rows,
                                   int cols, int pad, bool transposed, int stages)
{
    tsr_tile *t =
        (tsr_tile *)tsr_ir_tile(p, name, dtype, TSR_SPACE_SHARED, rows, cols, pad, transposed);
    if (t)
        t->stages = stages;
    return t;
}

const tsr_tile *tsr_ir_swizzled_tile(tsr_tile_program *p, const char *name, tsr_dtype dtype,
                                     int rows, int cols, bool transposed, int stages)
{
    tsr_tile *t = (tsr_tile *)tsr_ir_staged_tile(p, name, dtype, rows, cols, 0, transposed, stages);
    if (t)
        t->swizzled = true;
    return t;
}

const tsr_tile *tsr_ir_vector_tile(tsr_tile_program *p, const char *name, tsr_dtype dtype, int rows,
                                   int cols, int lanes)
{
    tsr_tile *t = (tsr_tile *)tsr_ir_tile(p, name, dtype, TSR_SPACE_REGISTER, rows, cols, 0, false);
    if (t)
        t->lanes = lanes;
    return t;
}

const tp_var *tsr_ir_scalar(tsr_tile_program *p, const char *name, tsr_dtype dtype)
{
    if (p->n_scalars == (int)(sizeof p->scalars / sizeof p->scalars[0])) {
        p->builder.failed = true;
        return NULL;
    }
    tp_var *v = tp_new_var(&p->builder, name, dtype, TP_PRIVATE, 0, 0, 0);
    if (v)
        p->scalars[p->n_scalars++] = v;
    return v;
}

tsr_stmt *tsr_ir_append(tsr_tile_program *p, tsr_stmt_list *list, tsr_stmt_kind kind)
{
    if (list->count == list->cap) {
        int cap = list->cap ? list->cap * 2 : 8;
        tsr_stmt **items = TSR_ARENA_ARRAY(p->arena, tsr_stmt *, cap);
        if (!items) {
            p->builder.failed = true;
            return NULL;
        }
        if (list->count)
            memcpy(items, list->items, sizeof(tsr_stmt *) * (size_t)list->count);
        list->items = items;
        list->cap = cap;
    }
    tsr_stmt *s = TSR_ARENA_NEW(p->arena, tsr_stmt);
    if (!s) {
        p->builder.failed = true;
        return NULL;
    }
    s->kind = kind;
    s->vector_width = 1;
    list->items[list->count++] = s;
    return s;
}

static const char *binop_text[] = {
    [TP_ADD] = "+", [TP_SUB] = "-",   [TP_MUL] = "*",   [TP_DIV] = "/",
    [TP_MOD] = "%", [TP_LT] = "<",    [TP_LE] = "<=",   [TP_GT] = ">",
    [TP_GE] = ">=", [TP_EQ] = "==",   [TP_NE] = "!=",   [TP_AND] = "&&",
    [TP_OR] = "||", [TP_MIN] = "min", [TP_MAX] = "max", [TP_XOR] = "^",
};
static const char *func_text[] = {
    [TP_FMA] = "fma",
    [TP_EXP] = "exp",
    [TP_EXP2] = "exp2",
    [TP_FMAX] = "fmax",
    [TP_FMIN] = "fmin",
    [TP_SQRT] = "sqrt",
    [TP_TANH] = "tanh",
    [TP_TO_F16] = "to_f16",
    [TP_TO_BF16] = "to_bf16",
    [TP_PACK_F16X2] = "pack_f16x2",
    [TP_PACK_BF16X2] = "pack_bf16x2",
    [TP_TO_TF32] = "to_tf32",
    [TP_ALIGNED] = "aligned",
    [TP_RUN_SUM] = "run_sum",
    [TP_RUN_MAX] = "run_max",
    [TP_ATOMIC_ADD] = "atomic_add",
    [TP_ATOMIC_XCHG] = "atomic_xchg",
    [TP_FLOAT_BITS] = "float_bits",
    [TP_BITS_FLOAT] = "bits_float",
    [TP_DOUBLE_LO_BITS] = "double_lo_bits",
    [TP_DOUBLE_HI_BITS] = "double_hi_bits",
    [TP_BITS_DOUBLE] = "bits_double",
};
static const char *builtin_text[] = {
    [TP_LOCAL_ID] = "local_id",
    [TP_GROUP_ID] = "group_id",
    [TP_LOCAL_SIZE] = "local_size",
    [TP_NUM_GROUPS] = "num_groups",
};

void tsr_expr_format(const tp_expr *e, tsr_strbuf *out)
{
    if (!e) {
        tsr_strbuf_append(out, "?");
        return;
    }
    switch (e->kind) {
    case TP_INT: tsr_strbuf_printf(out, "%ld", e->ival); break;
    case TP_FLOAT: tsr_strbuf_printf(out, "%g", e->fval); break;
    case TP_VAR: tsr_strbuf_append(out, e->var->name); break;
    case TP_PARAM: tsr_strbuf_append(out, e->param->name); break;
    case TP_BUILTIN: tsr_strbuf_printf(out, "%s(%d)", builtin_text[e->builtin], e->axis); break;
    case TP_PLACEHOLDER:
        if (e->ival)
            tsr_strbuf_printf(out, "x%ld", e->ival);
        else
            tsr_strbuf_append(out, "x");
        break;
    case TP_BINARY:
        if (e->op == TP_MIN || e->op == TP_MAX) {
            tsr_strbuf_printf(out, "%s(", binop_text[e->op]);
            tsr_expr_format(e->args[0], out);
            tsr_strbuf_append(out, ", ");
            tsr_expr_format(e->args[1], out);
            tsr_strbuf_append(out, ")");
        } else {
            tsr_strbuf_append(out, "(");
            tsr_expr_format(e->args[0], out);
            tsr_strbuf_printf(out, " %s ", binop_text[e->op]);
            tsr_expr_format(e->args[1], out);
            tsr_strbuf_append(out, ")");
        }
        break;
    case TP_CALL:
        tsr_strbuf_printf(out, "%s(", func_text[e->func]);
        for (int i = 0; i < e->n_args; i++) {
            if (i)
                tsr_strbuf_append(out, ", ");
            tsr_expr_format(e->args[i], out);
        }
        tsr_strbuf_append(out, ")");
        break;
    case TP_SELECT:
        tsr_strbuf_append(out, "(");
        tsr_expr_format(e->args[0], out);
        tsr_strbuf_append(out, " ? ");
        tsr_expr_format(e->args[1], out);
        tsr_strbuf_append(out, " : ");
        tsr_expr_format(e->args[2], out);
        tsr_strbuf_append(out, ")");
        break;
    case TP_ELEM:
    case TP_VLOAD:
        tsr_strbuf_append(out, e->var ? e->var->name : e->param->name);
        if (e->kind == TP_VLOAD)
            tsr_strbuf_printf(out, "<%d>", e->width);
        for (int i = 0; i < e->n_args; i++) {
            tsr_strbuf_append(out, "[");
            tsr_expr_format(e->args[i], out);
            tsr_strbuf_append(out, "]");
        }
        break;
    case TP_SPLAT:
        tsr_strbuf_printf(out, "splat%d(", e->width);
        tsr_expr_format(e->args[0], out);
        tsr_strbuf_append(out, ")");
        break;
    case TP_LANE:
        tsr_expr_format(e->args[0], out);
        tsr_strbuf_printf(out, ".%d", e->lane);
        break;
    }
}

static const char *space_text[] = {
    [TSR_SPACE_GLOBAL] = "global",
    [TSR_SPACE_SHARED] = "shared",
    [TSR_SPACE_REGISTER] = "register",
};

static void indent(tsr_strbuf *out, int depth)
{
    for (int i = 0; i < depth; i++)
        tsr_strbuf_append(out, "  ");
}

/* `what` [begin, end), a statement's part of its rows or cols. */
static void format_range(const char *what, const tp_expr *begin, const tp_expr *end,
                         tsr_strbuf *out)
{
    tsr_strbuf_printf(out, "%s [", what);
    tsr_expr_format(begin, out);
    tsr_strbuf_append(out, ", ");
    tsr_expr_format(end, out);
    tsr_strbuf_append(out, ")");
}

static void format_view_at(const tsr_view *v, tp_expr *row0, tp_expr *col0, tsr_strbuf *out)
{
    tsr_strbuf_printf(out, "%s[", v->buffer->name);
    tsr_expr_format(row0, out);
    tsr_strbuf_append(out, ", ");
    tsr_expr_format(col0, out);
    tsr_strbuf_append(out, "]");
}

static void format_operand(const tsr_operand *o, tsr_strbuf *out)
{
    if (o->tile && o->stage) {
        tsr_strbuf_printf(out, "%s[", o->tile->name);
        tsr_expr_format(o->stage, out);
        tsr_strbuf_append(out, "]");
    } else if (o->tile)
        tsr_strbuf_append(out, o->tile->name);
    else
        format_view_at(o->view, o->row0, o->col0, out);
}

static void format_list(const tsr_stmt_list *list, int depth, tsr_strbuf *out);

/* " <- act(alpha * acc + old * beta + bias[..]) + R[..]", the x of the
 * activation's template standing for what it applies to. */
static void format_epilogue(const tsr_stmt *s, tsr_strbuf *out)
{
    tsr_strbuf_printf(out, " <- %s%s%s%s%s%s", s->activation ? "act(" : "",
                      s->alpha ? s->alpha->name : "", s->alpha ? " * " : "", s->tile->name,
                      s->beta ? " + old * " : "", s->beta ? s->beta->name : "");
    if (s->bias) {
        tsr_strbuf_append(out, " + ");
        format_view_at(s->bias, s->row0, s->col0, out);
    }
    if (s->activation) {
        tsr_strbuf_append(out, ") with act(x) = ");
        tsr_expr_format(s->activation, out);
    }
    if (s->residual) {
        tsr_strbuf_append(out, " + ");
        format_view_at(s->residual, s->row0, s->col0, out);
    }
}

static void format_map(const tsr_thread_map *map, tsr_strbuf *out)
{
    tsr_strbuf_printf(out, " %s %dx%d%s%s",
                      map->warpgroups                  ? "warpgroups"
                      : map->fragments                 ? "warps"
                      : map->waves == TSR_WAVES_MFMA   ? "waves"
                      : map->waves == TSR_WAVES_WMMA   ? "waves32"
                      : map->waves == TSR_WAVES_DPAS8  ? "subgroups8"
                      : map->waves == TSR_WAVES_DPAS16 ? "subgroups16"
                                                       : "threads",
                      map->threads_rows, map->threads_cols,
                      map->strided_rows ? " strided-rows" : "",
                      map->strided_cols ? " strided-cols" : "");
}

static void format_stmt(const tsr_stmt *s, int depth, tsr_strbuf *out)
{
    indent(out, depth);
    switch (s->kind) {
    case TSR_S_LOOP:
        tsr_strbuf_printf(out, "loop %s in [", s->var->name);
        tsr_expr_format(s->begin, out);
        tsr_strbuf_append(out, ", ");
        tsr_expr_format(s->end, out);
        tsr_strbuf_append(out, ") step ");
        tsr_expr_format(s->step, out);
        tsr_strbuf_append(out, ":\n");
        format_list(&s->body, depth + 1, out);
        return;
    case TSR_S_BARRIER:
        tsr_strbuf_printf(out, "%s%s", s->warpgroup ? "warpgroup barrier" : "barrier",
                          s->async_proxy ? " for the async proxy" : "");
        break;
    case TSR_S_FILL: tsr_strbuf_printf(out, "fill %s = %g", s->tile->name, s->fill_value); break;
    case TSR_S_LOAD:
        if (s->load_mode == TSR_LOAD_DEPOSIT) {
            tsr_strbuf_printf(out, "deposit %s[", s->tile->name);
            if (s->stage)
                tsr_expr_format(s->stage, out);
            else
                tsr_strbuf_append(out, "0");
            tsr_strbuf_printf(out, "] <- its fetched registers vector %d", s->vector_width);
            break;
        }
        tsr_strbuf_printf(out, "%s %s <- ",
                          s->load_mode == TSR_LOAD_FETCH   ? "fetch"
                          : s->load_mode == TSR_LOAD_ASYNC ? "async load"
                                                           : "load",
                          s->tile->name);
        format_view_at(s->view, s->row0, s->col0, out);
        tsr_strbuf_printf(out, " vector %d", s->vector_width);
        if (s->load_mode == TSR_LOAD_ASYNC && s->stage) {
            tsr_strbuf_append(out, " into stage ");
            tsr_expr_format(s->stage, out);
        }
        break;
    case TSR_S_MMA:
        tsr_strbuf_printf(out, "mma %s += ", s->tile->name);
        format_operand(&s->a, out);
        tsr_strbuf_append(out, " * ");
        format_operand(&s->b, out);
        tsr_strbuf_printf(out, " k %d unroll %d", s->k_count, s->k_unroll);
        format_map(&s->map, out);
        if (s->unit == TSR_UNIT_MMA_M16N8K16)
            tsr_strbuf_append(out, " on mma.sync m16n8k16");
        if (s->unit == TSR_UNIT_MMA_M16N8K8_TF32)
            tsr_strbuf_append(out, " on mma.sync m16n8k8 tf32");
        if (s->unit == TSR_UNIT_MMA_M16N8K8_F64)
            tsr_strbuf_append(out, " on mma.sync m16n8k8 f64");
        if (s->unit == TSR_UNIT_MMA_M8N8K4_F64)
            tsr_strbuf_append(out, " on mma.sync m8n8k4 f64, four a 16 x 8 x 8");
        if (s->unit == TSR_UNIT_WGMMA_M64NK16)
            tsr_strbuf_printf(out, " on wgmma m64nNk16, %d pending", s->pending);
        if (s->unit == TSR_UNIT_WGMMA_M64NK8_TF32)
            tsr_strbuf_printf(out, " on wgmma m64nNk8 tf32, %d pending", s->pending);
        if (s->unit == TSR_UNIT_MFMA_16X16X16)
            tsr_strbuf_append(out, " on mfma 16x16x16");
        if (s->unit == TSR_UNIT_WMMA_16X16X16)
            tsr_strbuf_append(out, " on wmma 16x16x16");
        if (s->unit == TSR_UNIT_DPAS)
            tsr_strbuf_append(out, " on dpas 8xSx16");
        break;
    case TSR_S_STORE:
        tsr_strbuf_append(out, "store ");
        format_view_at(s->view, s->row0, s->col0, out);
        format_epilogue(s, out);
        break;
    case TSR_S_ROW_REDUCE:
    case TSR_S_ROW_MAP:
        if (s->kind == TSR_S_ROW_REDUCE)
            tsr_strbuf_printf(out, "%s%s%s = %s over ", s->result->name, s->result_sum ? ", " : "",
                              s->result_sum ? s->result_sum->name : "",
                              s->reduce == TSR_REDUCE_MAX          ? "max"
                              : s->reduce == TSR_REDUCE_MAX_SUMEXP ? "max, sum of exp(x - max)"
                                                                   : "sum");
        else
            tsr_strbuf_printf(out, "map %s <- ", s->dst->buffer->name);
        tsr_strbuf_printf(out, "%s row ", s->view->buffer->name);
        tsr_expr_format(s->row, out);
        if (s->col_begin) {
            format_range(" cols", s->col_begin, s->col_end, out);
        }
        tsr_strbuf_append(out, " of x");
        for (int k = 0; k < TSR_ROW_OPERANDS; k++)
            if (s->operands[k])
                tsr_strbuf_printf(out, ", x%d of %s", k + 1, s->operands[k]->buffer->name);
        tsr_strbuf_append(out, " -> ");
        tsr_expr_format(s->element, out);
        tsr_strbuf_printf(out, " threads %d vector %d", s->threads, s->vector_width);
        if (s->subgroup_width)
            tsr_strbuf_printf(out, " sub-groups %d", s->subgroup_width);
        break;
    case TSR_S_ROW_JOIN:
        tsr_strbuf_printf(out, "join %s row ", s->dst->buffer->name);
        tsr_expr_format(s->row, out);
        tsr_strbuf_printf(out, " <- %s of %s, part ", s->reduce == TSR_REDUCE_MAX ? "max" : "sum",
                          s->result->name);
        tsr_expr_format(s->part, out);
        tsr_strbuf_append(out, " of ");
        tsr_expr_format(s->parts, out);
        tsr_strbuf_printf(out, " through %s -> ", s->workspace->name);
        tsr_expr_format(s->element, out);
        break;
    case TSR_S_COL_REDUCE:
        tsr_strbuf_printf(out, "%s row ", s->dst->buffer->name);
        tsr_expr_format(s->row, out);
        tsr_strbuf_printf(out, " <- %s down the cols from ",
                          s->reduce == TSR_REDUCE_MAX ? "max" : "sum");
        tsr_expr_format(s->col0, out);
        tsr_strbuf_printf(out, " of %s, x -> ", s->view->buffer->name);
        tsr_expr_format(s->element, out);
        tsr_strbuf_append(out, ", then -> ");
        tsr_expr_format(s->activation, out);
        tsr_strbuf_printf(out, " threads %d x %d vector %d", s->threads, s->row_threads,
                          s->vector_width);
        if (s->begin) {
            format_range(" rows", s->begin, s->end, out);
        }
        if (s->workspace) {
            tsr_strbuf_append(out, ", window ");
            tsr_expr_format(s->join_index, out);
            tsr_strbuf_append(out, " part ");
            tsr_expr_format(s->part, out);
            tsr_strbuf_append(out, " of ");
            tsr_expr_format(s->parts, out);
            tsr_strbuf_printf(out, " through %s", s->workspace->name);
        }
        break;
    case TSR_S_TILE_JOIN:
        tsr_strbuf_printf(out, "join %s of tile ", s->tile->name);
        tsr_expr_format(s->row, out);
        tsr_strbuf_append(out, " <- sum, part ");
        tsr_expr_format(s->part, out);
        tsr_strbuf_append(out, " of ");
        tsr_expr_format(s->parts, out);
        tsr_strbuf_printf(out, " through %s; the last:\n", s->workspace->name);
        format_list(&s->body, depth + 1, out);
        return;
    case TSR_S_COPY:
        tsr_strbuf_append(out, "copy ");
        format_view_at(s->view, s->row0, s->col0, out);
        tsr_strbuf_printf(out, " %dx%d <- %s", s->copy_rows, s->copy_cols,
                          s->transpose ? "transpose " : "");
        format_operand(&s->src, out);
        tsr_strbuf_printf(out, " vector %d", s->vector_width);
        break;
    case TSR_S_TILE_MAP:
        tsr_strbuf_printf(out, "map %s", s->tile->name);
        for (int k = 0; k < TSR_TILE_WITH; k++)
            if (s->with[k])
                tsr_strbuf_printf(out, ", x%d of %s", k + 1, s->with[k]->name);
        tsr_strbuf_append(out, " -> ");
        tsr_expr_format(s->element, out);
        format_map(&s->map, out);
        break;
    case TSR_S_TILE_REDUCE:
        tsr_strbuf_printf(out, "%s = %s over the rows of %s", s->target->name,
                          s->reduce == TSR_REDUCE_MAX ? "max" : "sum", s->tile->name);
        if (s->subgroup_width)
            tsr_strbuf_printf(out, " by shuffles in runs of %d", s->subgroup_width);
        else if (s->scratch)
            tsr_strbuf_printf(out, " through %s", s->scratch->name);
        format_map(&s->map, out);
        break;
    case TSR_S_TILE_STASH:
        tsr_strbuf_printf(out, "stash %s <- %s", s->target->name, s->tile->name);
        format_map(&s->map, out);
        break;
    case TSR_S_ASYNC_COMMIT: tsr_strbuf_append(out, "commit async loads"); break;
    case TSR_S_ASYNC_WAIT:
        tsr_strbuf_printf(out, "wait for async loads, %d pending", s->pending);
        break;
    case TSR_S_UNIT_WAIT:
        tsr_strbuf_printf(out, "wait for the matrix unit, %d pending", s->pending);
        break;
    case TSR_S_LET:
        tsr_strbuf_printf(out, "let %s = ", s->var->name);
        tsr_expr_format(s->begin, out);
        break;
    }
    tsr_strbuf_append(out, "\n");
}

static void format_list(const tsr_stmt_list *list, int depth, tsr_strbuf *out)
{
    for (int i = 0; i < list->count; i++)
        format_stmt(list->items[i], depth, out);
}

void tsr_ir_format(const tsr_tile_program *p, tsr_strbuf *out)
{
    tsr_strbuf_printf(out, "tile program %s, work-group %dx%dx%d\n", p->kernel_name, p->local[0],
                      p->local[1], p->local[2]);
    for (int i = 0; i < p->n_params; i++)
        tsr_strbuf_printf(out, "  param %s %s%s\n", p->params[i].name,
                          p->params[i].kind == TSR_ARG_BUFFER ? "buffer " : "",
                          tsr_dtype_name(p->params[i].dtype));
    for (int i = 0; i < p->n_tiles; i++) {
        const tsr_tile *t = p->tiles[i];
        tsr_strbuf_printf(out, "  tile %s %s %s %dx%d", t->name, space_text[t->space],
                          tsr_dtype_name(t->dtype), t->rows, t->cols);
        if (t->pad)
            tsr_strbuf_printf(out, " pad %d", t->pad);
        if (t->transposed)
            tsr_strbuf_append(out, " transposed");
        if (t->lanes > 1)
            tsr_strbuf_printf(out, " vectors of %d", t->lanes);
        if (t->stages > 1)
            tsr_strbuf_printf(out, " stages %d", t->stages);
        if (t->swizzled)
            tsr_strbuf_append(out, " swizzled by 128 bytes");
        tsr_strbuf_append(out, "\n");
    }
    format_list(&p->body, 1, out);
}
