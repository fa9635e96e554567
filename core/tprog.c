#include "core/tprog.h"

#include <stdlib.h>
#include <string.h>

static tp_expr *new_expr(tp_builder *b, tp_expr_kind kind, tsr_dtype dtype)
{
    tp_expr *e = TSR_ARENA_NEW(b->arena, tp_expr);
    if (!e) {
        b->failed = true;
        return NULL;
    }
    e->kind = kind;
    e->dtype = dtype;
    e->width = 1;
    return e;
}

tp_expr *tp_int(tp_builder *b, long value)
{
    tp_expr *e = new_expr(b, TP_INT, TSR_I32);
    if (e)
        e->ival = value;
    return e;
}

tp_expr *tp_float(tp_builder *b, tsr_dtype dtype, double value)
{
    tp_expr *e = new_expr(b, TP_FLOAT, dtype);
    if (e)
        e->fval = value;
    return e;
}

tp_expr *tp_ref(tp_builder *b, const tp_var *var)
{
    if (!var)
        return NULL;
    tp_expr *e = new_expr(b, TP_VAR, var->dtype);
    if (e) {
        e->var = var;
        e->width = var->width;
    }
    return e;
}

tp_expr *tp_param_ref(tp_builder *b, const tp_param *param)
{
    if (!param)
        return NULL;
    tp_expr *e = new_expr(b, TP_PARAM, param->dtype);
    if (e)
        e->param = param;
    return e;
}

tp_expr *tp_builtin_ref(tp_builder *b, tp_builtin which, int axis)
{
    tp_expr *e = new_expr(b, TP_BUILTIN, TSR_I32);
    if (e) {
        e->builtin = which;
        e->axis = axis;
    }
    return e;
}

static bool is_comparison(tp_binop op)
{
    return op >= TP_LT && op <= TP_OR;
}

tp_expr *tp_bin(tp_builder *b, tp_binop op, tp_expr *lhs, tp_expr *rhs)
{
    if (!lhs || !rhs)
        return NULL;
    tsr_dtype type = is_comparison(op) ? TSR_I32 : lhs->dtype;
    tp_expr *e = new_expr(b, TP_BINARY, type);
    if (e) {
        e->op = op;
        e->n_args = 2;
        e->args[0] = lhs;
        e->args[1] = rhs;
        e->width = lhs->width > rhs->width ? lhs->width : rhs->width;
    }
    return e;
}

tp_expr *tp_call(tp_builder *b, tp_func func, int n_args, tp_expr *a0, tp_expr *a1, tp_expr *a2)
{
    tp_expr *args[3] = {a0, a1, a2};
    for (int i = 0; i < n_args; i++)
        if (!args[i])
            return NULL;
    tp_expr *e = new_expr(b, TP_CALL, a0->dtype);
    if (e) {
        e->func = func;
        e->n_args = n_args;
        memcpy(e->args, args, sizeof args);
        e->width = a0->width;
    }
    return e;
}

tp_expr *tp_select(tp_builder *b, tp_expr *cond, tp_expr *then, tp_expr *otherwise)
{
    if (!cond || !then || !otherwise)
        return NULL;
    tp_expr *e = new_expr(b, TP_SELECT, then->dtype);
    if (e) {
        e->n_args = 3;
        e->args[0] = cond;
        e->args[1] = then;
        e->args[2] = otherwise;
        e->width = then->width;
    }
    return e;
}

tp_expr *tp_elem(tp_builder *b, const tp_var *array, tp_expr *i0, tp_expr *i1)
{
    if (!array || !i0 || (array->n_dims == 2 && !i1))
        return NULL;
    tp_expr *e = new_expr(b, TP_ELEM, array->dtype);
    if (e) {
        e->var = array;
        e->n_args = array->n_dims;
        e->args[0] = i0;
        e->args[1] = array->n_dims == 2 ? i1 : NULL;
    }
    return e;
}

tp_expr *tp_buf(tp_builder *b, const tp_param *buffer, tp_expr *index)
{
    if (!buffer || !index)
        return NULL;
    /* A value read from a buffer is of the type it is computed in: the
     * dialects widen 16-bit floats as they load them. */
    tp_expr *e = new_expr(b, TP_ELEM, tsr_dtype_compute(buffer->dtype));
    if (e) {
        e->param = buffer;
        e->n_args = 1;
        e->args[0] = index;
    }
    return e;
}

tp_expr *tp_buf_raw(tp_builder *b, const tp_param *buffer, tp_expr *index)
{
    tp_expr *e = tp_buf(b, buffer, index);
    if (e) {
        e->dtype = buffer->dtype;
        e->raw = true;
    }
    return e;
}

tp_expr *tp_vload(tp_builder *b, const tp_param *buffer, tp_expr *index, int width)
{
    if (width == 1)
        return tp_buf(b, buffer, index);
    tp_expr *e = tp_buf(b, buffer, index);
    if (e) {
        e->kind = TP_VLOAD;
        e->width = width;
    }
    return e;
}

tp_expr *tp_vload_raw(tp_builder *b, const tp_param *buffer, tp_expr *index, int width)
{
    tp_expr *e = tp_vload(b, buffer, index, width);
    if (e) {
        e->dtype = buffer->dtype;
        e->raw = true;
    }
    return e;
}

tp_expr *tp_vload_array(tp_builder *b, const tp_var *array, tp_expr *i0, tp_expr *i1, int width)
{
    tp_expr *e = tp_elem(b, array, i0, i1);
    if (e && width > 1) {
        e->kind = TP_VLOAD;
        e->width = width;
    }
    return e;
}

tp_expr *tp_splat(tp_builder *b, tp_expr *scalar, int width)
{
    if (!scalar || width == 1)
        return scalar;
    tp_expr *e = new_expr(b, TP_SPLAT, scalar->dtype);
    if (e) {
        e->width = width;
        e->n_args = 1;
        e->args[0] = scalar;
    }
    return e;
}

tp_expr *tp_lane(tp_builder *b, tp_expr *vector, int lane)
{
    if (!vector)
        return NULL;
    if (vector->width == 1)
        return vector;
    tp_expr *e = new_expr(b, TP_LANE, vector->dtype);
    if (e) {
        e->lane = lane;
        e->n_args = 1;
        e->args[0] = vector;
    }
    return e;
}

tp_expr *tp_placeholder(tp_builder *b, tsr_dtype dtype)
{
    return new_expr(b, TP_PLACEHOLDER, dtype);
}

tp_expr *tp_placeholder_slot(tp_builder *b, tsr_dtype dtype, int slot)
{
    tp_expr *e = new_expr(b, TP_PLACEHOLDER, dtype);
    if (e)
        e->ival = slot;
    return e;
}

bool tp_is_int(const tp_expr *e, long value)
{
    return e && e->kind == TP_INT && e->ival == value;
}

tp_expr *tp_add(tp_builder *b, tp_expr *lhs, tp_expr *rhs)
{
    if (!lhs || !rhs)
        return NULL;
    if (lhs->kind == TP_INT && rhs->kind == TP_INT)
        return tp_int(b, lhs->ival + rhs->ival);
    if (tp_is_int(lhs, 0))
        return rhs;
    if (tp_is_int(rhs, 0))
        return lhs;
    /* (x + c1) + c2 -> x + (c1 + c2) */
    if (rhs->kind == TP_INT && lhs->kind == TP_BINARY && lhs->op == TP_ADD &&
        lhs->args[1]->kind == TP_INT)
        return tp_add(b, lhs->args[0], tp_int(b, lhs->args[1]->ival + rhs->ival));
    /* x + (y + c) -> (x + y) + c, so that constants gather at the end */
    if (rhs->kind == TP_BINARY && rhs->op == TP_ADD && rhs->args[1]->kind == TP_INT)
        return tp_add(b, tp_add(b, lhs, rhs->args[0]), rhs->args[1]);
    if (rhs->kind == TP_INT && rhs->ival < 0)
        return tp_bin(b, TP_SUB, lhs, tp_int(b, -rhs->ival));
    return tp_bin(b, TP_ADD, lhs, rhs);
}

tp_expr *tp_mul(tp_builder *b, tp_expr *lhs, tp_expr *rhs)
{
    if (!lhs || !rhs)
        return NULL;
    if (lhs->kind == TP_INT && rhs->kind == TP_INT)
        return tp_int(b, lhs->ival * rhs->ival);
    if (tp_is_int(lhs, 0) || tp_is_int(rhs, 0))
        return tp_int(b, 0);
    if (tp_is_int(lhs, 1))
        return rhs;
    if (tp_is_int(rhs, 1))
        return lhs;
    if (lhs->kind == TP_INT)
        return tp_bin(b, TP_MUL, rhs, lhs);
    return tp_bin(b, TP_MUL, lhs, rhs);
}

tp_expr *tp_addi(tp_builder *b, tp_expr *lhs, long rhs)
{
    return tp_add(b, lhs, tp_int(b, rhs));
}

tp_expr *tp_muli(tp_builder *b, tp_expr *lhs, long rhs)
{
    return tp_mul(b, lhs, tp_int(b, rhs));
}

tp_expr *tp_substitute_slots(tp_builder *b, const tp_expr *t, tp_expr *const *values, int n_values)
{
    if (!t)
        return NULL;
    if (t->kind == TP_PLACEHOLDER && t->ival >= 0 && t->ival < n_values)
        return values[t->ival];
    tp_expr *copy = new_expr(b, t->kind, t->dtype);
    if (!copy)
        return NULL;
    *copy = *t;
    for (int i = 0; i < t->n_args; i++) {
        if (!t->args[i])
            continue;
        copy->args[i] = tp_substitute_slots(b, t->args[i], values, n_values);
        if (!copy->args[i])
            return NULL;
    }
    return copy;
}

tp_expr *tp_substitute(tp_builder *b, const tp_expr *t, tp_expr *value)
{
    return tp_substitute_slots(b, t, &value, 1);
}

tp_var *tp_new_var(tp_builder *b, const char *name, tsr_dtype dtype, tp_space space, int n_dims,
                   int dim0, int dim1)
{
    tp_var *v = TSR_ARENA_NEW(b->arena, tp_var);
    if (!v) {
        b->failed = true;
        return NULL;
    }
    v->name = tsr_arena_strdup(b->arena, name);
    if (!v->name)
        b->failed = true;
    v->dtype = dtype;
    v->space = space;
    v->n_dims = n_dims;
    v->dims[0] = dim0;
    v->dims[1] = dim1;
    v->width = 1;
    return v;
}

static bool block_push(tp_builder *b, tp_block *block, tp_stmt *s)
{
    if (block->count == block->cap) {
        int cap = block->cap ? block->cap * 2 : 8;
        tp_stmt **items = TSR_ARENA_ARRAY(b->arena, tp_stmt *, cap);
        if (!items) {
            b->failed = true;
            return false;
        }
        if (block->count)
            memcpy(items, block->items, sizeof(tp_stmt *) * (size_t)block->count);
        block->items = items;
        block->cap = cap;
    }
    block->items[block->count++] = s;
    return true;
}

static tp_stmt *new_stmt(tp_builder *b, tp_block *block, tp_stmt_kind kind)
{
    tp_stmt *s = TSR_ARENA_NEW(b->arena, tp_stmt);
    if (!s || !block_push(b, block, s)) {
        b->failed = true;
        return NULL;
    }
    s->kind = kind;
    return s;
}

tp_stmt *tp_decl(tp_builder *b, tp_block *block, const tp_var *var, tp_expr *init)
{
    if (!var)
        return b->failed = true, NULL;
    tp_stmt *s = new_stmt(b, block, TP_DECL);
    if (s) {
        s->var = var;
        s->init = init;
    }
    return s;
}

static tp_stmt *assign(tp_builder *b, tp_block *block, tp_expr *target, tp_expr *value, bool acc)
{
    if (!target || !value)
        return b->failed = true, NULL;
    tp_stmt *s = new_stmt(b, block, TP_ASSIGN);
    if (s) {
        s->target = target;
        s->value = value;
        s->accumulate = acc;
    }
    return s;
}

tp_stmt *tp_assign(tp_builder *b, tp_block *block, tp_expr *target, tp_expr *value)
{
    return assign(b, block, target, value, false);
}

tp_stmt *tp_accumulate(tp_builder *b, tp_block *block, tp_expr *target, tp_expr *value)
{
    return assign(b, block, target, value, true);
}

tp_stmt *tp_for(tp_builder *b, tp_block *block, const tp_var *var, tp_expr *begin, tp_expr *end,
                tp_expr *step, int unroll)
{
    if (!var || !begin || !end || !step)
        return b->failed = true, NULL;
    tp_stmt *s = new_stmt(b, block, TP_FOR);
    if (s) {
        s->var = var;
        s->begin = begin;
        s->end = end;
        s->step = step;
        s->unroll = unroll;
    }
    return s;
}

tp_stmt *tp_if(tp_builder *b, tp_block *block, tp_expr *cond)
{
    if (!cond)
        return b->failed = true, NULL;
    tp_stmt *s = new_stmt(b, block, TP_IF);
    if (s)
        s->cond = cond;
    return s;
}

tp_stmt *tp_barrier(tp_builder *b, tp_block *block)
{
    return new_stmt(b, block, TP_BARRIER);
}

tp_stmt *tp_global_fence(tp_builder *b, tp_block *block)
{
    return new_stmt(b, block, TP_GLOBAL_FENCE);
}

tp_stmt *tp_comment(tp_builder *b, tp_block *block, const char *text)
{
    tp_stmt *s = new_stmt(b, block, TP_COMMENT);
    if (s)
        s->text = tsr_arena_strdup(b->arena, text);
    return s;
}

/* A statement of `kind` over `count` operands, copied into the arena. */
static tp_stmt *unit_stmt(tp_builder *b, tp_block *block, tp_stmt_kind kind, tsr_dtype type,
                          tp_expr *const *operands, int count)
{
    for (int i = 0; i < count; i++)
        if (!operands[i])
            return NULL;
    tp_expr **copy = TSR_ARENA_ARRAY(b->arena, tp_expr *, count);
    tp_stmt *s = copy ? new_stmt(b, block, kind) : NULL;
    if (!s) {
        b->failed = true;
        return NULL;
    }
    for (int i = 0; i < count; i++)
        copy[i] = operands[i];
    s->mma_type = type;
    s->operands = copy;
    return s;
}

tp_stmt *tp_mma_sync(tp_builder *b, tp_block *block, tsr_dtype type, tp_expr *const *operands)
{
    return unit_stmt(b, block, TP_MMA_SYNC, type, operands, TP_MMA_OPERANDS);
}

tp_stmt *tp_mfma(tp_builder *b, tp_block *block, tsr_dtype type, tp_expr *const *operands)
{
    return unit_stmt(b, block, TP_MFMA, type, operands, TP_MFMA_OPERANDS);
}

tp_stmt *tp_wmma(tp_builder *b, tp_block *block, tsr_dtype type, tp_expr *const *operands)
{
    return unit_stmt(b, block, TP_WMMA, type, operands, TP_WMMA_OPERANDS);
}

tp_stmt *tp_dpas(tp_builder *b, tp_block *block, tsr_dtype type, int subgroup,
                 tp_expr *const *operands)
{
    int count = TP_DPAS_ACC + tp_dpas_a_values(subgroup) + TP_DPAS_B;
    tp_stmt *s = unit_stmt(b, block, TP_DPAS, type, operands, count);
    if (s)
        s->subgroup = subgroup;
    return s;
}

tp_stmt *tp_async_copy(tp_builder *b, tp_block *block, tp_expr *target, tp_expr *value)
{
    tp_stmt *s = tp_assign(b, block, target, value);
    if (s)
        s->async = true;
    return s;
}

tp_stmt *tp_async_commit(tp_builder *b, tp_block *block)
{
    return new_stmt(b, block, TP_ASYNC_COMMIT);
}

tp_stmt *tp_async_wait(tp_builder *b, tp_block *block, int pending)
{
    tp_stmt *s = new_stmt(b, block, TP_ASYNC_WAIT);
    if (s)
        s->pending = pending;
    return s;
}

tp_stmt *tp_wgmma(tp_builder *b, tp_block *block, tsr_dtype type, const tp_wgmma_shape *shape,
                  const tp_var *const *acc, tp_expr *a0, tp_expr *b0, tp_expr *accumulate)
{
    int count = shape->n / 2;
    tp_expr **operands = TSR_ARENA_ARRAY(b->arena, tp_expr *, count + 3);
    tp_wgmma_shape *copy = TSR_ARENA_NEW(b->arena, tp_wgmma_shape);
    tp_stmt *s = operands && copy && a0 && b0 ? new_stmt(b, block, TP_WGMMA) : NULL;
    if (!s) {
        b->failed = true;
        return NULL;
    }
    for (int i = 0; i < count; i++)
        operands[i] = tp_ref(b, acc[i]);
    operands[count] = a0;
    operands[count + 1] = b0;
    operands[count + 2] = accumulate;
    *copy = *shape;
    copy->predicated = accumulate != NULL;
    s->operands = operands;
    s->mma_type = type;
    s->wgmma = copy;
    return b->failed ? NULL : s;
}

tp_stmt *tp_register_fence(tp_builder *b, tp_block *block, const tp_var *const *vars, int count)
{
    tp_expr **operands = TSR_ARENA_ARRAY(b->arena, tp_expr *, count);
    tp_stmt *s = operands ? new_stmt(b, block, TP_REGISTER_FENCE) : NULL;
    if (!s) {
        b->failed = true;
        return NULL;
    }
    for (int i = 0; i < count; i++)
        operands[i] = tp_ref(b, vars[i]);
    s->operands = operands;
    s->matrices = count;
    return b->failed ? NULL : s;
}

tp_stmt *tp_sync(tp_builder *b, tp_block *block, tp_stmt_kind kind, int pending)
{
    tp_stmt *s = new_stmt(b, block, kind);
    if (s)
        s->pending = pending;
    return s;
}

tp_stmt *tp_ldmatrix(tp_builder *b, tp_block *block, int matrices, bool trans,
                     const tp_var *const *dst, tp_expr *row)
{
    tp_expr **operands = TSR_ARENA_ARRAY(b->arena, tp_expr *, matrices + 1);
    tp_stmt *s = operands && row ? new_stmt(b, block, TP_LDMATRIX) : NULL;
    if (!s) {
        b->failed = true;
        return NULL;
    }
    for (int i = 0; i < matrices; i++)
        operands[i] = tp_ref(b, dst[i]);
    operands[matrices] = row;
    s->operands = operands;
    s->matrices = matrices;
    s->trans = trans;
    return b->failed ? NULL : s;
}

tp_stmt *tp_scope(tp_builder *b, tp_block *block)
{
    return new_stmt(b, block, TP_BLOCK);
}

static int expr_subgroup_width(const tp_expr *e)
{
    if (!e)
        return 0;
    if (e->kind == TP_CALL && e->func >= TP_SUBGROUP_SUM && e->func < TP_FUNC_COUNT &&
        e->args[e->n_args - 1]->kind == TP_INT)
        return (int)e->args[e->n_args - 1]->ival;
    for (int i = 0; i < e->n_args; i++) {
        int width = expr_subgroup_width(e->args[i]);
        if (width)
            return width;
    }
    return 0;
}

static int block_subgroup_width(const tp_block *block)
{
    for (int i = 0; i < block->count; i++) {
        const tp_stmt *s = block->items[i];
        const tp_expr *exprs[] = {s->init, s->target, s->value, s->begin, s->end, s->step, s->cond};
        int width = 0;
        for (size_t k = 0; k < sizeof exprs / sizeof exprs[0] && !width; k++)
            width = expr_subgroup_width(exprs[k]);
        if (!width)
            width = block_subgroup_width(&s->body);
        if (!width)
            width = block_subgroup_width(&s->orelse);
        if (width)
            return width;
    }
    return 0;
}

int tp_subgroup_width(const tp_kernel *kernel)
{
    return block_subgroup_width(&kernel->body);
}
