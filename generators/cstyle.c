/* The C-style printer shared by every dialect: walks the thread program and
 * asks the dialect table how to spell what differs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generators/generator.h"

typedef struct printer {
    const tsr_dialect *d;
    tsr_strbuf *out;
    int depth;
    const char *refused;  /* why the program cannot be printed; NULL while it can */
    bool dynamic_shared;  /* shared arrays are placed in tsr_shared, not declared */
    size_t shared_offset; /* where the next one goes */
    bool unit_helpers;    /* it used NVIDIA's matrix units or asynchronous copies */
    bool wave_helpers;    /* it used a unit of a wave or sub-group (AMD's, Intel's) */
    bool f64_unit;        /* it used NVIDIA's warp unit on doubles (m16n8k8) */
    bool f64_k4_unit;     /* the same as four of sm_80's m8n8k4 */
    bool f64_words;       /* it moved doubles as pairs of 32-bit words */
} printer;

static const char *scalar_name(tsr_dtype dtype)
{
    switch (dtype) {
    case TSR_F64: return "double";
    case TSR_F16: return "half";
    case TSR_I32: return "int";
    default: return "float";
    }
}

static void print_type(printer *p, tsr_dtype dtype, int width)
{
    if (width == 1 && p->d->storage_names[dtype]) /* 16-bit floats, as stored */
        tsr_strbuf_append(p->out, p->d->storage_names[dtype]);
    else if (width > 1 && p->d->storage_names[dtype])
        p->d->print_vector_type(p->out, "ushort", width);
    else if (width > 1)
        p->d->print_vector_type(p->out, scalar_name(dtype), width);
    else
        tsr_strbuf_append(p->out, scalar_name(dtype));
}

static int precedence(const tp_expr *e)
{
    if (e->kind == TP_SELECT) /* ?: binds loosest of all */
        return -1;
    if (e->kind != TP_BINARY)
        return 10;
    switch (e->op) {
    case TP_MUL:
    case TP_DIV:
    case TP_MOD: return 5;
    case TP_ADD:
    case TP_SUB: return 4;
    case TP_LT:
    case TP_LE:
    case TP_GT:
    case TP_GE: return 3;
    case TP_EQ:
    case TP_NE: return 2;
    case TP_AND: return 1;
    case TP_OR: return 0;
    case TP_MIN:
    case TP_MAX: return 10;
    case TP_XOR: return 1; /* below ==, as in C; printed in parentheses under the rest */
    }
    return 0;
}

static const char *binop_text(tp_binop op)
{
    static const char *text[] = {
        [TP_ADD] = "+", [TP_SUB] = "-",   [TP_MUL] = "*",   [TP_DIV] = "/",
        [TP_MOD] = "%", [TP_LT] = "<",    [TP_LE] = "<=",   [TP_GT] = ">",
        [TP_GE] = ">=", [TP_EQ] = "==",   [TP_NE] = "!=",   [TP_AND] = "&&",
        [TP_OR] = "||", [TP_MIN] = "min", [TP_MAX] = "max", [TP_XOR] = "^",
    };
    return text[op];
}

static void print_expr(printer *p, const tp_expr *e);

static void print_child(printer *p, const tp_expr *child, int parent_prec, bool right_of_asym)
{
    int prec = precedence(child);
    bool parens = prec < parent_prec || (right_of_asym && prec == parent_prec);
    if (parens)
        tsr_strbuf_append(p->out, "(");
    print_expr(p, child);
    if (parens)
        tsr_strbuf_append(p->out, ")");
}

static void print_float(printer *p, const tp_expr *e)
{
    /* A double literal has no suffix and all 17 digits that tell its 53
     * bits apart; a float literal 9 digits and its 'f'. */
    bool wide = e->dtype == TSR_F64;
    const char *suffix = wide ? "" : "f";
    if (isinf(e->fval)) {
        tsr_strbuf_append(p->out, e->fval < 0 ? "-INFINITY" : "INFINITY");
        return;
    }
    char text[64];
    snprintf(text, sizeof text, wide ? "%.17g" : "%.9g", e->fval);
    if (!strpbrk(text, ".eEn"))
        strcat(text, ".0");
    tsr_strbuf_printf(p->out, "%s%s", text, suffix);
}

/* Renders into a string of its own, for the dialect functions that take
 * printed operands. NULL when out of memory. */
static char *render(printer *p, const tp_expr *e, bool as_pointer)
{
    tsr_strbuf text;
    tsr_strbuf_init(&text);
    printer sub = {.d = p->d, .out = &text};
    if (!as_pointer) {
        print_expr(&sub, e);
    } else if (e->param) {
        tsr_strbuf_printf(&text, "%s + ", e->param->name);
        print_child(&sub, e->args[0], 5, false);
    } else {
        tsr_strbuf_printf(&text, "&%s", e->var->name);
        for (int i = 0; i < e->n_args; i++) {
            tsr_strbuf_append(&text, "[");
            print_expr(&sub, e->args[i]);
            tsr_strbuf_append(&text, "]");
        }
    }
    if (text.failed) {
        tsr_strbuf_free(&text);
        p->out->failed = true;
        return NULL;
    }
    return tsr_strbuf_take(&text);
}

/* Whether `e` reads a buffer whose values are stored narrower than they
 * are computed in (f16, bf16). */
static bool is_widening(const tp_expr *e)
{
    return e->param && !e->raw && e->param->dtype != tsr_dtype_compute(e->param->dtype);
}

static void print_vector_access(printer *p, const tp_expr *e, const tp_expr *stored)
{
    char *pointer = render(p, e, true), *value = stored ? render(p, stored, false) : NULL;
    if (pointer && (!stored || value)) {
        if (!stored && is_widening(e))
            p->d->print_widening_load(p->out, e->param->dtype, e->width, pointer);
        else if (is_widening(e))
            p->d->print_narrowing_store(p->out, e->param->dtype, e->width, pointer, value);
        else if (stored && e->aligned && p->d->print_vstore_aligned)
            p->d->print_vstore_aligned(p->out, e->width, pointer, value);
        else if (stored)
            p->d->print_vstore(p->out, e->width, pointer, value);
        else if (e->raw && !p->d->print_raw_vload)
            p->refused = "loads 16-bit vectors as stored, which this dialect cannot spell";
        else if (e->raw)
            p->d->print_raw_vload(p->out, e->width, pointer);
        else if (e->aligned && p->d->print_vload_aligned)
            p->d->print_vload_aligned(p->out, e->width, pointer);
        else
            p->d->print_vload(p->out, e->width, pointer);
    }
    free(pointer);
    free(value);
}

static void print_expr(printer *p, const tp_expr *e)
{
    tsr_strbuf *out = p->out;
    switch (e->kind) {
    case TP_INT: tsr_strbuf_printf(out, "%ld", e->ival); break;
    case TP_FLOAT: print_float(p, e); break;
    case TP_VAR: tsr_strbuf_append(out, e->var->name); break;
    case TP_PARAM: tsr_strbuf_append(out, e->param->name); break;
    case TP_BUILTIN: p->d->print_builtin(out, e->builtin, e->axis); break;
    case TP_PLACEHOLDER: tsr_strbuf_append(out, "/* unsubstituted */ 0"); break;
    case TP_BINARY:
        if (e->op == TP_MIN || e->op == TP_MAX) {
            tsr_strbuf_printf(out, "%s(", e->op == TP_MIN ? p->d->int_min : p->d->int_max);
            print_expr(p, e->args[0]);
            tsr_strbuf_append(out, ", ");
            print_expr(p, e->args[1]);
            tsr_strbuf_append(out, ")");
        } else {
            int prec = precedence(e);
            bool asym = e->op == TP_SUB || e->op == TP_DIV || e->op == TP_MOD;
            print_child(p, e->args[0], prec, false);
            tsr_strbuf_printf(out, " %s ", binop_text(e->op));
            /* a * (b / c) is not a * b / c in integers: a quotient or
             * remainder on the right of a product keeps its parentheses.
             * Nor is a + (b + c) a + b + c in floating point, where the
             * right operand keeps them at any precedence. */
            const tp_expr *r = e->args[1];
            bool quotient = e->op == TP_MUL && r->kind == TP_BINARY && r->op != TP_MUL;
            bool rounds = e->dtype != TSR_I32;
            print_child(p, r, prec, asym || prec <= 3 || quotient || rounds);
        }
        break;
    case TP_CALL:
        if (!p->d->func_names[e->func]) {
            p->refused = "calls a function this dialect cannot spell (16-bit rounding into shared "
                         "memory, or a shuffle within runs of threads)";
            break;
        }
        /* The copies' alignment test and the unit's roundings come with
         * the rest of the unit's helpers. */
        if (e->func == TP_ALIGNED || e->func == TP_TO_TF32 || e->func == TP_PACK_F16X2 ||
            e->func == TP_PACK_BF16X2)
            p->unit_helpers = true;
        p->f64_words = p->f64_words || e->func == TP_DOUBLE_LO_BITS ||
                       e->func == TP_DOUBLE_HI_BITS || e->func == TP_BITS_DOUBLE;
        tsr_strbuf_printf(
            out, "%s(",
            e->width > 1 && p->d->vector_func_names[e->func] ? p->d->vector_func_names[e->func]
            : e->dtype == TSR_F64 && p->d->f64_func_names[e->func] ? p->d->f64_func_names[e->func]
                                                                   : p->d->func_names[e->func]);
        for (int i = 0; i < e->n_args; i++) {
            if (i)
                tsr_strbuf_append(out, ", ");
            /* An atomic takes its element's address. */
            if (i == 0 && (e->func == TP_ATOMIC_ADD || e->func == TP_ATOMIC_XCHG))
                tsr_strbuf_append(out, "&");
            print_expr(p, e->args[i]);
        }
        tsr_strbuf_append(out, ")");
        break;
    case TP_SELECT:
        tsr_strbuf_append(out, "(");
        print_expr(p, e->args[0]);
        tsr_strbuf_append(out, ") ? ");
        print_child(p, e->args[1], 10, false);
        tsr_strbuf_append(out, " : ");
        print_child(p, e->args[2], 10, false);
        break;
    case TP_ELEM:
        if (is_widening(e)) {
            print_vector_access(p, e, NULL);
            break;
        }
        tsr_strbuf_append(out, e->var ? e->var->name : e->param->name);
        for (int i = 0; i < e->n_args; i++) {
            tsr_strbuf_append(out, "[");
            print_expr(p, e->args[i]);
            tsr_strbuf_append(out, "]");
        }
        break;
    case TP_VLOAD: print_vector_access(p, e, NULL); break;
    case TP_SPLAT: {
        char *value = render(p, e->args[0], false);
        if (value)
            p->d->print_splat(out, scalar_name(e->dtype), e->width, value);
        free(value);
        break;
    }
    case TP_LANE:
        print_child(p, e->args[0], 10, false);
        tsr_strbuf_printf(out, p->d->lane_format, e->lane);
        break;
    }
}

static void indent(printer *p)
{
    for (int i = 0; i < p->depth; i++)
        tsr_strbuf_append(p->out, "    ");
}

static void print_block(printer *p, const tp_block *block);

static void print_braced(printer *p, const tp_block *block)
{
    tsr_strbuf_append(p->out, "{\n");
    p->depth++;
    print_block(p, block);
    p->depth--;
    indent(p);
    tsr_strbuf_append(p->out, "}");
}

enum { SHARED_ALIGN = 16 }; /* what every shared array's start is aligned to */

static size_t shared_array_bytes(const tp_var *v)
{
    size_t bytes = tsr_dtype_size(v->dtype) * (size_t)v->width;
    for (int i = 0; i < v->n_dims; i++)
        bytes *= (size_t)v->dims[i];
    return bytes;
}

/* A shared array placed in the dynamic shared bytes: a pointer to its rows
 * (or a reference to a scalar), so that the statements index it as they
 * would the declared array. */
/* Where a shared array placed after `offset` bytes starts. */
static size_t shared_start(const tp_var *v, size_t offset)
{
    size_t align = v->align > SHARED_ALIGN ? (size_t)v->align : SHARED_ALIGN;
    return (offset + align - 1) / align * align;
}

static void print_placed_shared(printer *p, const tp_var *v)
{
    size_t offset = shared_start(v, p->shared_offset);
    p->shared_offset = offset + shared_array_bytes(v);
    char rows[32] = "";
    if (v->n_dims == 2)
        snprintf(rows, sizeof rows, "[%d]", v->dims[1]);
    const char *open = v->n_dims == 0 ? " &" : v->n_dims == 1 ? " *" : " (*";
    print_type(p, v->dtype, v->width);
    tsr_strbuf_printf(p->out, "%s%s%s%s = ", open, v->name, v->n_dims == 2 ? ")" : "", rows);
    tsr_strbuf_append(p->out, v->n_dims == 0 ? "*(" : "(");
    print_type(p, v->dtype, v->width);
    tsr_strbuf_printf(p->out, " %s%s)(tsr_shared + %zu);\n", v->n_dims == 2 ? "(*)" : "*", rows,
                      offset);
}

static void print_decl(printer *p, const tp_stmt *s)
{
    const tp_var *v = s->var;
    if (v->space == TP_SHARED && p->dynamic_shared) {
        print_placed_shared(p, v);
        return;
    }
    if (v->space == TP_SHARED)
        tsr_strbuf_append(p->out, p->d->shared_qualifier);
    else if (v->is_const)
        tsr_strbuf_append(p->out, "const ");
    print_type(p, v->dtype, v->width);
    tsr_strbuf_printf(p->out, " %s", v->name);
    for (int i = 0; i < v->n_dims; i++)
        tsr_strbuf_printf(p->out, "[%d]", v->dims[i]);
    if (s->init) {
        tsr_strbuf_append(p->out, " = ");
        print_expr(p, s->init);
    }
    tsr_strbuf_append(p->out, ";\n");
}

static void print_for(printer *p, const tp_stmt *s)
{
    if (s->unroll == -1 && p->d->unroll_full) {
        tsr_strbuf_printf(p->out, "%s\n", p->d->unroll_full);
        indent(p);
    } else if (s->unroll > 0 && p->d->unroll_format) {
        tsr_strbuf_printf(p->out, p->d->unroll_format, s->unroll);
        tsr_strbuf_append(p->out, "\n");
        indent(p);
    }
    tsr_strbuf_printf(p->out, "for (int %s = ", s->var->name);
    print_expr(p, s->begin);
    tsr_strbuf_printf(p->out, "; %s < ", s->var->name);
    /* The right operand of < (precedence 3): a comparison or ?: there keeps its parentheses. */
    print_child(p, s->end, 3, true);
    if (tp_is_int(s->step, 1)) {
        tsr_strbuf_printf(p->out, "; %s++) ", s->var->name);
    } else {
        tsr_strbuf_printf(p->out, "; %s += ", s->var->name);
        print_expr(p, s->step);
        tsr_strbuf_append(p->out, ") ");
    }
    print_braced(p, &s->body);
    tsr_strbuf_append(p->out, "\n");
}

/* Whether a statement is a call of one of the units a wave or sub-group
 * shares (AMD's and Intel's), whose helpers and scratch come together. */
static bool is_wave_unit(tp_stmt_kind kind)
{
    return kind == TP_MFMA || kind == TP_WMMA || kind == TP_DPAS;
}

/* The `count` operands of a unit's call, printed into text[] (NULL where
 * out of memory, then false); free_operands releases them. */
static bool render_operands(printer *p, const tp_stmt *s, int count, char **text)
{
    bool ok = true;
    for (int i = 0; i < count; i++)
        ok = (text[i] = render(p, s->operands[i], false)) != NULL && ok;
    return ok;
}

static void free_operands(char **text, int count)
{
    for (int i = 0; i < count; i++)
        free(text[i]);
}

/* Which helpers a unit's call needs: AMD's and Intel's, or NVIDIA's. */
static void note_helpers(printer *p, const tp_stmt *s)
{
    if (is_wave_unit(s->kind))
        p->wave_helpers = true;
    else
        p->unit_helpers = true;
}

/* A matrix unit's call on its printed operands, by the dialect's
 * printer (NULL: refused as `refusal` says). */
static void print_unit_call(printer *p, const tp_stmt *s, int count,
                            void (*print)(tsr_strbuf *, tsr_dtype, char *const *),
                            const char *refusal)
{
    if (!print) {
        p->refused = refusal;
        return;
    }
    note_helpers(p, s);
    char *text[TP_WMMA_OPERANDS] = {NULL}; /* the most any unit's call takes */
    if (render_operands(p, s, count, text)) {
        print(p->out, s->mma_type, text);
        tsr_strbuf_append(p->out, ";\n");
    }
    free_operands(text, count);
}

/* Intel's sub-group unit: its operands' count and spelling follow the
 * sub-group size. */
static void print_dpas(printer *p, const tp_stmt *s)
{
    if (!p->d->print_dpas) {
        p->refused = "uses a matrix unit (DPAS 8xSx16) this dialect cannot spell";
        return;
    }
    note_helpers(p, s);
    int count = TP_DPAS_ACC + tp_dpas_a_values(s->subgroup) + TP_DPAS_B;
    char *text[TP_DPAS_MOST_OPERANDS] = {NULL};
    if (render_operands(p, s, count, text)) {
        p->d->print_dpas(p->out, s->mma_type, s->subgroup, text);
        tsr_strbuf_append(p->out, ";\n");
    }
    free_operands(text, count);
}

static void print_mma_sync(printer *p, const tp_stmt *s)
{
    /* Both spellings of the unit on doubles are one call, tsr_mma_f64,
     * whose helper (one or the other) the kernel's text then carries. */
    bool f64 = s->mma_type == TSR_F64;
    p->f64_unit = p->f64_unit || (f64 && !s->mma_k4);
    p->f64_k4_unit = p->f64_k4_unit || (f64 && s->mma_k4);
    print_unit_call(p, s, TP_MMA_OPERANDS, p->d->print_mma_sync,
                    s->mma_type == TSR_TF32
                        ? "uses a matrix unit (mma.sync m16n8k8 tf32) this dialect cannot spell"
                    : f64 && s->mma_k4
                        ? "uses a matrix unit (mma.sync m8n8k4 f64) this dialect cannot spell"
                    : f64 ? "uses a matrix unit (mma.sync m16n8k8 f64) this dialect cannot spell"
                          : "uses a matrix unit (mma.sync m16n8k16) this dialect cannot spell");
}

static void print_ldmatrix(printer *p, const tp_stmt *s)
{
    if (!p->d->print_ldmatrix) {
        p->refused = "loads matrix-unit fragments (ldmatrix) this dialect cannot spell";
        return;
    }
    p->unit_helpers = true;
    char *text[5] = {NULL};
    bool ok = s->matrices <= 4;
    for (int i = 0; ok && i < s->matrices; i++)
        ok = (text[i] = render(p, s->operands[i], false)) != NULL;
    if (ok)
        ok = (text[4] = render(p, s->operands[s->matrices], true)) != NULL;
    if (ok) {
        p->d->print_ldmatrix(p->out, s->matrices, s->trans, text, text[4]);
        tsr_strbuf_append(p->out, ";\n");
    }
    for (int i = 0; i < 5; i++)
        free(text[i]);
}

static void print_wgmma(printer *p, const tp_stmt *s)
{
    if (!p->d->print_wgmma) {
        p->refused = "uses a warpgroup matrix unit (wgmma m64nNk16) this dialect cannot spell";
        return;
    }
    int count = s->wgmma->n / 2, given = count + 2 + s->wgmma->predicated;
    char **text = calloc((size_t)count + 3, sizeof *text);
    bool ok = text != NULL;
    for (int i = 0; ok && i < given; i++)
        ok = (text[i] = render(p, s->operands[i], i == count || i == count + 1)) != NULL;
    if (ok) {
        p->d->print_wgmma(p->out, s->mma_type, s->wgmma, text, text[count], text[count + 1],
                          text[count + 2]);
        tsr_strbuf_append(p->out, ";\n");
    } else if (!text) {
        p->refused = "ran out of memory printing a wgmma";
    }
    for (int i = 0; text && i < count + 3; i++)
        free(text[i]);
    free(text);
}

static void print_async_copy(printer *p, const tp_stmt *s)
{
    if (!p->d->print_async_copy) {
        p->refused = "copies asynchronously to shared memory, which this dialect cannot spell";
        return;
    }
    p->unit_helpers = true;
    char *dst = render(p, s->target, true), *src = render(p, s->value, true);
    if (dst && src) {
        p->d->print_async_copy(p->out, s->value->width, dst, src, s->value->aligned);
        tsr_strbuf_append(p->out, ";\n");
    }
    free(dst);
    free(src);
}

/* A statement of the dialect's own text, or a refusal where it has none. */
static void print_fixed(printer *p, const char *format, int value, const char *what)
{
    if (!format) {
        p->refused = what;
        return;
    }
    tsr_strbuf_printf(p->out, format, value);
    tsr_strbuf_append(p->out, ";\n");
}

static void print_stmt(printer *p, const tp_stmt *s)
{
    indent(p);
    switch (s->kind) {
    case TP_DECL: print_decl(p, s); break;
    case TP_ASSIGN:
        /* A 16-bit buffer's element is assigned through a rounding store;
         * adding to one in place would round twice, so it is refused. */
        if (s->accumulate && is_widening(s->target))
            p->refused = "adds to a 16-bit buffer in place";
        if (s->async) {
            print_async_copy(p, s);
            break;
        }
        if (s->target->kind == TP_VLOAD || is_widening(s->target)) {
            print_vector_access(p, s->target, s->value);
            tsr_strbuf_append(p->out, ";\n");
            break;
        }
        print_expr(p, s->target);
        tsr_strbuf_append(p->out, s->accumulate ? " += " : " = ");
        print_expr(p, s->value);
        tsr_strbuf_append(p->out, ";\n");
        break;
    case TP_FOR: print_for(p, s); break;
    case TP_IF:
        tsr_strbuf_append(p->out, "if (");
        print_expr(p, s->cond);
        tsr_strbuf_append(p->out, ") ");
        print_braced(p, &s->body);
        if (s->orelse.count) {
            tsr_strbuf_append(p->out, " else ");
            print_braced(p, &s->orelse);
        }
        tsr_strbuf_append(p->out, "\n");
        break;
    case TP_BARRIER: tsr_strbuf_printf(p->out, "%s;\n", p->d->barrier); break;
    case TP_GLOBAL_FENCE: tsr_strbuf_printf(p->out, "%s;\n", p->d->global_fence); break;
    case TP_BLOCK:
        print_braced(p, &s->body);
        tsr_strbuf_append(p->out, "\n");
        break;
    case TP_COMMENT: tsr_strbuf_printf(p->out, "/* %s */\n", s->text); break;
    case TP_MMA_SYNC: print_mma_sync(p, s); break;
    case TP_MFMA:
        print_unit_call(p, s, TP_MFMA_OPERANDS, p->d->print_mfma,
                        "uses a matrix unit (MFMA 16x16x16) this dialect cannot spell");
        break;
    case TP_WMMA:
        print_unit_call(p, s, TP_WMMA_OPERANDS, p->d->print_wmma,
                        "uses a matrix unit (WMMA 16x16x16) this dialect cannot spell");
        break;
    case TP_DPAS: print_dpas(p, s); break;
    case TP_LDMATRIX: print_ldmatrix(p, s); break;
    case TP_ASYNC_COMMIT:
        p->unit_helpers = true;
        print_fixed(p, p->d->async_commit, 0,
                    "commits asynchronous copies this dialect cannot spell");
        break;
    case TP_ASYNC_WAIT:
        p->unit_helpers = true;
        print_fixed(p, p->d->async_wait_format, s->pending,
                    "waits for asynchronous copies this dialect cannot spell");
        break;
    case TP_WGMMA: print_wgmma(p, s); break;
    case TP_WGMMA_FENCE:
        print_fixed(p, p->d->wgmma_fence, 0, "fences a warpgroup matrix unit it cannot spell");
        break;
    case TP_WGMMA_COMMIT:
        print_fixed(p, p->d->wgmma_commit, 0, "commits a warpgroup matrix unit it cannot spell");
        break;
    case TP_WGMMA_WAIT:
        print_fixed(p, p->d->wgmma_wait_format, s->pending,
                    "waits for a warpgroup matrix unit it cannot spell");
        break;
    case TP_REGISTER_FENCE:
        if (!p->d->register_fence_format) {
            p->refused = "pins registers, which this dialect cannot spell";
            break;
        }
        for (int i = 0; i < s->matrices; i++) {
            if (i)
                indent(p);
            tsr_strbuf_printf(p->out, p->d->register_fence_format, s->operands[i]->var->name);
            tsr_strbuf_append(p->out, ";\n");
        }
        break;
    case TP_ASYNC_PROXY_FENCE:
        print_fixed(p, p->d->async_proxy_fence, 0,
                    "fences shared memory for asynchronous reads it cannot spell");
        break;
    case TP_WARPGROUP_BARRIER:
        print_fixed(p, p->d->warpgroup_barrier, 0, "meets a warpgroup, which it cannot spell");
        break;
    }
}

static void print_block(printer *p, const tp_block *block)
{
    for (int i = 0; i < block->count; i++)
        print_stmt(p, block->items[i]);
}

static void print_params(printer *p, const tp_kernel *k)
{
    for (int i = 0; i < k->n_params; i++) {
        const tp_param *param = &k->params[i];
        tsr_strbuf_append(p->out, i ? ",\n        " : "");
        if (param->kind == TSR_ARG_BUFFER) {
            tsr_strbuf_printf(p->out, "%s%s", p->d->global_qualifier,
                              param->writable ? "" : "const ");
            print_type(p, param->dtype, 1);
            tsr_strbuf_printf(p->out, " *%s%s", p->d->restrict_qualifier, param->name);
        } else {
            tsr_strbuf_append(p->out, "const ");
            print_type(p, param->kind == TSR_ARG_INT ? TSR_I32 : param->dtype, 1);
            tsr_strbuf_printf(p->out, " %s", param->name);
        }
    }
}

/* Names reach generated code only from tessera's own tables and from
 * identifier-checked specs; refuse anything else rather than print it. */
static bool is_identifier(const char *name)
{
    if (!name || !*name || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (const char *c = name; *c; c++)
        if (!(*c == '_' || (*c >= '0' && *c <= '9') || ((*c | 32) >= 'a' && (*c | 32) <= 'z')))
            return false;
    return true;
}

/* The shared arrays' end, placed one after another in the order they are
 * printed, each at an aligned offset. */
static size_t shared_end(const tp_block *block, size_t offset)
{
    for (int i = 0; i < block->count; i++) {
        const tp_stmt *s = block->items[i];
        if (s->kind == TP_DECL && s->var->space == TP_SHARED)
            offset = shared_start(s->var, offset) + shared_array_bytes(s->var);
        offset = shared_end(&s->orelse, shared_end(&s->body, offset));
    }
    return offset;
}

/* Whether a shared array asks for more alignment than declarations get. */
static bool wants_alignment(const tp_block *block)
{
    for (int i = 0; i < block->count; i++) {
        const tp_stmt *s = block->items[i];
        if ((s->kind == TP_DECL && s->var->space == TP_SHARED && s->var->align > SHARED_ALIGN) ||
            wants_alignment(&s->body) || wants_alignment(&s->orelse))
            return true;
    }
    return false;
}

/* Whether a wave or sub-group unit's call appears anywhere in the block. */
static bool uses_wave_unit(const tp_block *block)
{
    for (int i = 0; i < block->count; i++) {
        const tp_stmt *s = block->items[i];
        if (is_wave_unit(s->kind) || uses_wave_unit(&s->body) || uses_wave_unit(&s->orelse))
            return true;
    }
    return false;
}

size_t tsr_dynamic_shared_bytes(const tp_kernel *k, const tsr_dialect *d)
{
    if (!d->static_shared_max || !d->dynamic_shared)
        return 0;
    size_t bytes = shared_end(&k->body, 0);
    return bytes > (size_t)d->static_shared_max || wants_alignment(&k->body) ? bytes : 0;
}

tsr_status tsr_generate(const tp_kernel *k, const tsr_dialect *d, const char *header_comment,
                        tsr_strbuf *out, tsr_error *err)
{
    if (!is_identifier(k->name))
        return tsr_fail(err, TSR_ERR_INPUT, "kernel name '%s' is not an identifier", k->name);
    for (int i = 0; i < k->n_params; i++) {
        const tp_param *param = &k->params[i];
        if (!is_identifier(param->name))
            return tsr_fail(err, TSR_ERR_INPUT, "parameter name '%s' is not an identifier",
                            param->name);
        if (param->kind == TSR_ARG_BUFFER && param->dtype != tsr_dtype_compute(param->dtype) &&
            (!d->storage_names[param->dtype] || !d->print_widening_load ||
             !d->print_narrowing_store))
            return tsr_fail(err, TSR_ERR_UNSUPPORTED, "buffer %s holds %s, which %s kernels lack",
                            param->name, tsr_dtype_name(param->dtype), d->name);
    }
    if (header_comment && strstr(header_comment, "*/"))
        return tsr_fail(err, TSR_ERR_INPUT, "header comment may not contain '*/'");
    int subgroup_width = tp_subgroup_width(k);
    if (subgroup_width && !d->print_subgroup_helpers)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED, "%s kernels have no sub-group operations",
                        d->name);
    /* The kernel is printed first, so that the helpers it turns out to
     * need (unit_helpers) can go before it. */
    tsr_strbuf kernel_text;
    tsr_strbuf_init(&kernel_text);
    printer p = {.d = d, .out = &kernel_text};
    d->print_kernel_head(&kernel_text, k);
    tsr_strbuf_printf(&kernel_text, "%s(", k->name);
    print_params(&p, k);
    tsr_strbuf_append(&kernel_text, ")\n");
    bool dynamic = tsr_dynamic_shared_bytes(k, d) != 0;
    bool scratch = d->wave_unit_scratch_format && uses_wave_unit(&k->body);
    if (dynamic || scratch) {
        p.dynamic_shared = dynamic;
        tsr_strbuf_append(&kernel_text, "{\n");
        if (dynamic)
            tsr_strbuf_printf(&kernel_text, "    %s\n", d->dynamic_shared);
        if (scratch) {
            tsr_strbuf_append(&kernel_text, "    ");
            tsr_strbuf_printf(&kernel_text, d->wave_unit_scratch_format,
                              k->local[0] * k->local[1] * k->local[2]);
            tsr_strbuf_append(&kernel_text, "\n");
        }
        p.depth = 1;
        print_block(&p, &k->body);
        tsr_strbuf_append(&kernel_text, "}");
    } else {
        print_braced(&p, &k->body);
    }
    tsr_strbuf_append(&kernel_text, "\n");
    if (header_comment)
        tsr_strbuf_printf(out, "/* %s */\n", header_comment);
    if (d->includes)
        tsr_strbuf_append(out, d->includes);
    if (d->own_helpers)
        tsr_strbuf_append(out, d->own_helpers);
    tsr_strbuf_append(out, d->preamble);
    /* The helpers of a unit whose operands lie across a sub-group of a
     * given size pick their spelling by it. */
    if (k->subgroup_size)
        tsr_strbuf_printf(out, "#define TSR_REQD_SUBGROUP_SIZE %d\n", k->subgroup_size);
    if (p.unit_helpers && d->unit_helpers)
        tsr_strbuf_append(out, d->unit_helpers);
    if (p.wave_helpers && d->wave_unit_helpers)
        tsr_strbuf_append(out, d->wave_unit_helpers);
    bool f64 = false;
    for (int i = 0; i < k->n_params; i++)
        f64 = f64 || k->params[i].dtype == TSR_F64;
    if (f64 && d->f64_helpers)
        tsr_strbuf_append(out, d->f64_helpers);
    if (p.f64_unit && d->f64_unit_helpers)
        tsr_strbuf_append(out, d->f64_unit_helpers);
    if (p.f64_k4_unit && d->f64_k4_unit_helpers)
        tsr_strbuf_append(out, d->f64_k4_unit_helpers);
    if (p.f64_words && d->f64_word_helpers)
        tsr_strbuf_append(out, d->f64_word_helpers);
    if (subgroup_width)
        d->print_subgroup_helpers(out, subgroup_width);
    if (kernel_text.failed)
        out->failed = true;
    else
        tsr_strbuf_append(out, kernel_text.data);
    tsr_strbuf_free(&kernel_text);
    if (p.refused)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED, "kernel %s %s", k->name, p.refused);
    if (out->failed)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory printing %s", k->name);
    return TSR_OK;
}
