/* Op spec schema v1: YAML in, struct tsr_opspec out, plus the shape text
 * form "m=..,n=..,k=.." that the CLI and the store use. */
#include "core/opspec.h"

#include <errno.h>
#include <float.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/op.h"
#include "core/ops/attention_spec.h"
#include "core/ops/conv2d_spec.h"
#include "core/strbuf.h"
#include "core/yaml_doc.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Kernels index buffers with 32-bit ints. */
#define MAX_DIM 2147483647LL
#define MAX_ELEMS 2147483648LL

static const char *const layout_names[] = {"row", "col"};

bool tsr_shape_dim_written(const tsr_op_def *op, const tsr_shape *shape, int d)
{
    return d < op->n_dims && (op->dim_default[d] == 0 || shape->dim[d] != op->dim_default[d]);
}

/* Every buffer of the ops so far spans two of the required dims, once per
 * index of the optional ones (gemm: A m*k, B k*n, C m*n, each `batch`
 * times; softmax: rows*cols), or the one required dim times the optional
 * ones (permute: d0*d1*d2*d3), so bounding the product of every pair of
 * required dims times the optional ones bounds every buffer without asking
 * the op. Returns false and writes the reason when a buffer is too large. */
static bool products_fit(const tsr_op_def *op, const tsr_shape *shape, char *why, size_t size)
{
    long long copies = 1; /* capped at MAX_ELEMS, so every product below fits in 62 bits */
    char copies_text[64] = "";
    size_t used = 0;
    for (int d = 0; d < op->n_dims; d++)
        if (tsr_shape_dim_written(op, shape, d) && op->dim_default[d]) {
            copies *= shape->dim[d];
            copies = copies < MAX_ELEMS ? copies : MAX_ELEMS;
            tsr_bufprintf(copies_text, sizeof copies_text, &used, "*%s", op->dim_names[d]);
        }
    for (int i = 0; i < op->n_dims; i++)
        for (int j = i + 1; j < op->n_dims; j++) {
            if (op->dim_default[i] || op->dim_default[j])
                continue;
            long long elems = (long long)shape->dim[i] * shape->dim[j];
            bool alone = elems >= MAX_ELEMS;
            elems = alone ? elems : elems * copies;
            if (elems >= MAX_ELEMS) {
                snprintf(why, size,
                         "%s*%s%s = %lld elements, must stay below 2^31 (kernels index with "
                         "32-bit ints)",
                         op->dim_names[i], op->dim_names[j], alone ? "" : copies_text, elems);
                return false;
            }
        }
    /* An op with one required dim (permute's d0; its other dims default
     * to 1) has buffers of that dim times the optional ones. */
    int required = -1, n_required = 0;
    for (int d = 0; d < op->n_dims; d++)
        if (!op->dim_default[d])
            required = d, n_required++;
    if (n_required == 1 && shape->dim[required] * copies >= MAX_ELEMS) {
        snprintf(why, size,
                 "%s%s = %lld elements, must stay below 2^31 (kernels index with 32-bit ints)",
                 op->dim_names[required], copies_text, shape->dim[required] * copies);
        return false;
    }
    return true;
}

/* ---- YAML ------------------------------------------------------------------- */

enum {
    K_SCHEMA,
    K_NAME,
    K_OP,
    K_DTYPE,
    K_GEMM,
    K_REDUCE,
    K_RMSNORM,
    K_LAYERNORM,
    K_PERMUTE,
    K_CONV2D,
    K_ATTENTION,
    K_SHAPES,
    K_COUNT
};

static const char *const top_keys[K_COUNT] = {"schema",  "name",   "op",        "dtype",
                                              "gemm",    "reduce", "rmsnorm",   "layernorm",
                                              "permute", "conv2d", "attention", "shapes"};

#define REQ(k) ((uint64_t)1 << (k))

static tsr_status parse_schema(tsr_yaml_doc *doc, yaml_node_t *root, tsr_opspec *spec)
{
    yaml_node_t *node = tsr_yaml_find(doc, root, "schema");
    if (!node)
        return tsr_yaml_fail(doc, root, "missing required key 'schema' in the op spec");
    long long version;
    TSR_TRY(tsr_yaml_int(doc, node, "schema", 0, 1000000, &version));
    if (version != TSR_OPSPEC_SCHEMA)
        return tsr_yaml_fail(doc, node, "schema: version %lld is not supported (supported: %d)",
                             version, TSR_OPSPEC_SCHEMA);
    spec->schema = (int)version;
    return TSR_OK;
}

static tsr_status parse_op(tsr_yaml_doc *doc, yaml_node_t *node, tsr_opspec *spec)
{
    const char *name;
    TSR_TRY(tsr_yaml_text(doc, node, "op", spec->arena, &name));
    spec->op = tsr_op_find(name);
    if (spec->op)
        return TSR_OK;
    int count;
    const tsr_op_def *const *ops = tsr_ops(&count);
    char known[256] = "";
    size_t used = 0;
    for (int i = 0; i < count && used < sizeof known; i++) {
        int w = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", ops[i]->name);
        used += w > 0 ? (size_t)w : 0;
    }
    return tsr_yaml_fail(doc, node, "unknown op '%s' (known: %s)", name, known);
}

static tsr_status parse_dtype(tsr_yaml_doc *doc, yaml_node_t *node, tsr_opspec *spec)
{
    const char *names[TSR_DTYPE_COUNT];
    for (int i = 0; i < TSR_DTYPE_COUNT; i++)
        names[i] = tsr_dtype_name((tsr_dtype)i);
    int dtype;
    TSR_TRY(tsr_yaml_enum(doc, node, "dtype", names, TSR_DTYPE_COUNT, &dtype));
    unsigned accepted = tsr_op_dtypes(spec->op);
    if (!(accepted & 1u << dtype)) {
        char known[64] = "";
        size_t used = 0;
        for (int i = 0; i < TSR_DTYPE_COUNT; i++)
            if (accepted & 1u << i)
                tsr_bufprintf(known, sizeof known, &used, "%s%s", used ? ", " : "", names[i]);
        return tsr_yaml_fail(doc, node, "dtype %s is not supported by op %s (supported: %s)",
                             names[dtype], spec->op->name, known);
    }
    spec->dtype = (tsr_dtype)dtype;
    return TSR_OK;
}

static const char *const bias_names[TSR_BIAS_COUNT] = {"none", "row", "col"};
static const char *const activation_names[TSR_ACT_COUNT] = {"none", "relu", "gelu", "silu"};

const char *tsr_activation_name(tsr_activation act)
{
    return act >= 0 && act < TSR_ACT_COUNT ? activation_names[act] : "?";
}

/* The fused epilogue's keys (see README.md, "Op specs"). */
static tsr_status parse_epilogue(tsr_yaml_doc *doc, const tsr_yaml_field *bias,
                                 const tsr_yaml_field *activation, const tsr_yaml_field *residual,
                                 tsr_opspec *spec)
{
    int value;
    if (bias->value) {
        TSR_TRY(tsr_yaml_enum(doc, bias->value, "gemm.bias", bias_names, TSR_BIAS_COUNT, &value));
        spec->bias = (tsr_bias)value;
    }
    if (activation->value) {
        TSR_TRY(tsr_yaml_enum(doc, activation->value, "gemm.activation", activation_names,
                              TSR_ACT_COUNT, &value));
        spec->activation = (tsr_activation)value;
    }
    if (residual->value)
        TSR_TRY(tsr_yaml_bool(doc, residual->value, "gemm.residual", &spec->residual));
    return TSR_OK;
}

static tsr_status parse_gemm(tsr_yaml_doc *doc, yaml_node_t *node, tsr_opspec *spec)
{
    static const char *const keys[] = {"a",          "b",        "alpha",  "beta", "bias",
                                       "activation", "residual", "output", "math"};
    tsr_yaml_field f[COUNT(keys)];
    int layout;
    TSR_TRY(tsr_yaml_fields(doc, node, "gemm", keys, COUNT(keys), 0, f));
    if (f[0].value) {
        TSR_TRY(tsr_yaml_enum(doc, f[0].value, "gemm.a", layout_names, 2, &layout));
        spec->layout_a = (tsr_layout)layout;
    }
    if (f[1].value) {
        TSR_TRY(tsr_yaml_enum(doc, f[1].value, "gemm.b", layout_names, 2, &layout));
        spec->layout_b = (tsr_layout)layout;
    }
    if (f[2].value)
        TSR_TRY(
            tsr_yaml_number(doc, f[2].value, "gemm.alpha", -DBL_MAX, false, DBL_MAX, &spec->alpha));
    if (f[3].value)
        TSR_TRY(
            tsr_yaml_number(doc, f[3].value, "gemm.beta", -DBL_MAX, false, DBL_MAX, &spec->beta));
    if (f[7].value) {
        /* The 32-bit float or a 16-bit one; an f64 GEMM writes f64. */
        static const char *const outputs[] = {"f32", "f16", "bf16"};
        static const tsr_dtype output_types[] = {TSR_F32, TSR_F16, TSR_BF16};
        int output;
        if (spec->dtype == TSR_F64)
            return tsr_yaml_fail(doc, f[7].value, "gemm.output: an f64 GEMM writes f64 only");
        TSR_TRY(tsr_yaml_enum(doc, f[7].value, "gemm.output", outputs, COUNT(outputs), &output));
        spec->output = output_types[output];
    }
    if (f[8].value) {
        /* full: the inputs multiplied as they are; tf32: f32 inputs may be
         * rounded to TF32 for a matrix unit (see tsr_opspec.tf32). */
        static const char *const maths[] = {"full", "tf32"};
        int math;
        TSR_TRY(tsr_yaml_enum(doc, f[8].value, "gemm.math", maths, COUNT(maths), &math));
        if (math == 1 && spec->dtype != TSR_F32)
            return tsr_yaml_fail(doc, f[8].value, "gemm.math: tf32 rounds f32 inputs only");
        spec->tf32 = math == 1;
    }
    return parse_epilogue(doc, &f[4], &f[5], &f[6], spec);
}

static const char *const reduce_kind_names[TSR_REDUCE_KIND_COUNT] = {"sum", "max", "mean", "l2"};

const char *tsr_reduce_kind_name(tsr_reduce_kind kind)
{
    return kind >= 0 && kind < TSR_REDUCE_KIND_COUNT ? reduce_kind_names[kind] : "?";
}

static const char *const reduce_axis_names[] = {"last", "middle"};

static tsr_status parse_reduce(tsr_yaml_doc *doc, yaml_node_t *node, tsr_opspec *spec)
{
    static const char *const keys[] = {"kind", "axis"};
    tsr_yaml_field f[COUNT(keys)];
    int kind, axis = 0;
    TSR_TRY(tsr_yaml_fields(doc, node, "reduce", keys, COUNT(keys), REQ(0), f));
    TSR_TRY(tsr_yaml_enum(doc, f[0].value, "reduce.kind", reduce_kind_names, TSR_REDUCE_KIND_COUNT,
                          &kind));
    if (f[1].value)
        TSR_TRY(tsr_yaml_enum(doc, f[1].value, "reduce.axis", reduce_axis_names,
                              COUNT(reduce_axis_names), &axis));
    spec->reduce_kind = (tsr_reduce_kind)kind;
    spec->reduce_middle = axis == 1;
    return TSR_OK;
}

/* rmsnorm's and layernorm's section: eps only, so far. */
static tsr_status parse_norm(tsr_yaml_doc *doc, yaml_node_t *node, tsr_opspec *spec)
{
    static const char *const keys[] = {"eps"};
    tsr_yaml_field f[COUNT(keys)];
    char what[32];
    TSR_TRY(tsr_yaml_fields(doc, node, spec->op->name, keys, COUNT(keys), 0, f));
    snprintf(what, sizeof what, "%s.eps", spec->op->name);
    /* A stabiliser against division by zero: above 1 it would swamp the
     * mean square of unit-scale data, so it is taken for a mistake. */
    if (f[0].value)
        TSR_TRY(tsr_yaml_number(doc, f[0].value, what, 0.0, false, 1.0, &spec->eps));
    return TSR_OK;
}

/* permute's section: the perm, a permutation of 0..rank-1 (rank 1..4). */
static tsr_status parse_permute(tsr_yaml_doc *doc, yaml_node_t *node, tsr_opspec *spec)
{
    static const char *const keys[] = {"perm"};
    tsr_yaml_field f[COUNT(keys)];
    size_t rank;
    TSR_TRY(tsr_yaml_fields(doc, node, "permute", keys, COUNT(keys), REQ(0), f));
    TSR_TRY(tsr_yaml_sequence(doc, f[0].value, "permute.perm", &rank));
    if (rank < 1 || rank > TSR_PERM_MAX_RANK)
        return tsr_yaml_fail(doc, f[0].value,
                             "permute.perm: %zu dims, a perm has 1 to %d (one per dim of X)", rank,
                             TSR_PERM_MAX_RANK);
    unsigned seen = 0;
    for (size_t i = 0; i < rank; i++) {
        char what[48]; /* room for any size_t index, which -O2 cannot see is < 4 */
        long long dim;
        yaml_node_t *item = tsr_yaml_item(doc, f[0].value, i);
        snprintf(what, sizeof what, "permute.perm[%zu]", i);
        TSR_TRY(tsr_yaml_int(doc, item, what, 0, (long long)rank - 1, &dim));
        if (seen & 1u << dim)
            return tsr_yaml_fail(doc, item, "%s: dim %lld is named twice; a perm names each once",
                                 what, dim);
        seen |= 1u << dim;
        spec->perm[i] = (int)dim;
    }
    spec->rank = (int)rank;
    return TSR_OK;
}

/* An op's own section is named after it and allowed for that op only; the
 * reduce op cannot do without its kind, permute without its perm, nor
 * conv2d without its layout and filter. */
static tsr_status parse_sections(tsr_yaml_doc *doc, yaml_node_t *root, const tsr_yaml_field *f,
                                 tsr_opspec *spec)
{
    for (int k = K_GEMM; k <= K_ATTENTION; k++)
        if (f[k].key && strcmp(spec->op->name, top_keys[k]) != 0)
            return tsr_yaml_fail(doc, f[k].key, "key '%s' is only allowed for op %s", top_keys[k],
                                 top_keys[k]);
    if (!strcmp(spec->op->name, "reduce") && !f[K_REDUCE].value)
        return tsr_yaml_fail(doc, root, "op reduce needs 'reduce: {kind: sum|max|mean|l2}'");
    if (!strcmp(spec->op->name, "permute") && !f[K_PERMUTE].value)
        return tsr_yaml_fail(doc, root, "op permute needs 'permute: {perm: [...]}', e.g. [1, 0]");
    if (!strcmp(spec->op->name, "conv2d") && !f[K_CONV2D].value)
        return tsr_yaml_fail(doc, root,
                             "op conv2d needs 'conv2d: {layout: nchw|nhwc, filter: [r, s]}'");
    if (!strcmp(spec->op->name, "attention") && !f[K_ATTENTION].value)
        return tsr_yaml_fail(doc, root, "op attention needs 'attention: {head_dim: 64}'");
    if (!strcmp(spec->op->name, "rmsnorm"))
        spec->eps = 1e-6;
    if (!strcmp(spec->op->name, "layernorm"))
        spec->eps = 1e-5;
    if (f[K_GEMM].value)
        TSR_TRY(parse_gemm(doc, f[K_GEMM].value, spec));
    if (f[K_REDUCE].value)
        TSR_TRY(parse_reduce(doc, f[K_REDUCE].value, spec));
    if (f[K_RMSNORM].value)
        TSR_TRY(parse_norm(doc, f[K_RMSNORM].value, spec));
    if (f[K_LAYERNORM].value)
        TSR_TRY(parse_norm(doc, f[K_LAYERNORM].value, spec));
    if (f[K_PERMUTE].value)
        TSR_TRY(parse_permute(doc, f[K_PERMUTE].value, spec));
    if (f[K_CONV2D].value)
        TSR_TRY(tsr_conv2d_parse(doc, f[K_CONV2D].value, spec));
    if (f[K_ATTENTION].value)
        TSR_TRY(tsr_attention_parse(doc, f[K_ATTENTION].value, spec));
    return TSR_OK;
}

static tsr_status parse_shape(tsr_yaml_doc *doc, yaml_node_t *node, const char *what,
                              const tsr_op_def *op, tsr_shape *shape)
{
    tsr_yaml_field f[TSR_MAX_DIMS];
    uint64_t required = 0;
    for (int d = 0; d < op->n_dims; d++)
        required |= op->dim_default[d] ? 0 : REQ(d);
    TSR_TRY(tsr_yaml_fields(doc, node, what, op->dim_names, (size_t)op->n_dims, required, f));
    for (int d = 0; d < op->n_dims; d++) {
        char sub[64];
        long long value;
        shape->dim[d] = op->dim_default[d];
        if (!f[d].value)
            continue;
        snprintf(sub, sizeof sub, "%s.%s", what, op->dim_names[d]);
        TSR_TRY(tsr_yaml_int(doc, f[d].value, sub, 1, MAX_DIM, &value));
        shape->dim[d] = (long)value;
    }
    char why[160];
    if (!products_fit(op, shape, why, sizeof why))
        return tsr_yaml_fail(doc, node, "%s: %s", what, why);
    return TSR_OK;
}

/* A permute's shape gives exactly X's dims d0..d(rank-1): the dims past
 * the rank exist in the op (up to 4) but not in this spec's kernels. */
static tsr_status check_rank_dims(tsr_yaml_doc *doc, yaml_node_t *node, const char *what,
                                  const tsr_opspec *spec)
{
    if (strcmp(spec->op->name, "permute") != 0)
        return TSR_OK;
    for (int d = 0; d < spec->op->n_dims; d++) {
        const char *name = spec->op->dim_names[d];
        yaml_node_t *value = tsr_yaml_find(doc, node, name);
        if (d < spec->rank && !value)
            return tsr_yaml_fail(doc, node, "%s: missing %s (the perm has %d dims: d0..d%d)", what,
                                 name, spec->rank, spec->rank - 1);
        if (d >= spec->rank && value)
            return tsr_yaml_fail(doc, value, "%s.%s: the perm has %d dims, so d0..d%d only", what,
                                 name, spec->rank, spec->rank - 1);
    }
    return TSR_OK;
}

/* A reduction along the last axis has no inner dim: its kernels never
 * launch along one, so a shape that gives it means the other axis. */
static tsr_status check_reduce_dims(tsr_yaml_doc *doc, yaml_node_t *node, const char *what,
                                    const tsr_opspec *spec)
{
    if (strcmp(spec->op->name, "reduce") != 0 || spec->reduce_middle)
        return TSR_OK;
    yaml_node_t *inner = tsr_yaml_find(doc, node, "inner");
    if (inner)
        return tsr_yaml_fail(doc, inner,
                             "%s.inner: only 'reduce: {axis: middle}' reduces X as rows x cols x "
                             "inner; this spec's axis is the last",
                             what);
    return TSR_OK;
}

static bool same_shape(const tsr_op_def *op, const tsr_shape *a, const tsr_shape *b)
{
    for (int d = 0; d < op->n_dims; d++)
        if (a->dim[d] != b->dim[d])
            return false;
    return true;
}

static tsr_status parse_shapes(tsr_yaml_doc *doc, yaml_node_t *node, tsr_opspec *spec)
{
    size_t count;
    TSR_TRY(tsr_yaml_sequence(doc, node, "shapes", &count));
    if (count == 0)
        return tsr_yaml_fail(doc, node, "shapes: at least one shape is required");
    spec->shapes = TSR_ARENA_ARRAY(spec->arena, tsr_shape, count);
    if (!spec->shapes)
        return tsr_fail(doc->err, TSR_ERR_NOMEM, "%s: out of memory", doc->path);
    for (size_t i = 0; i < count; i++) {
        char what[48];
        snprintf(what, sizeof what, "shapes[%zu]", i);
        yaml_node_t *item = tsr_yaml_item(doc, node, i);
        TSR_TRY(parse_shape(doc, item, what, spec->op, &spec->shapes[i]));
        TSR_TRY(check_rank_dims(doc, item, what, spec));
        TSR_TRY(check_reduce_dims(doc, item, what, spec));
        char why[200];
        if (!tsr_conv2d_shape_fits(spec, &spec->shapes[i], why, sizeof why))
            return tsr_yaml_fail(doc, item, "%s: %s", what, why);
        for (size_t j = 0; j < i; j++) {
            if (!same_shape(spec->op, &spec->shapes[i], &spec->shapes[j]))
                continue;
            char text[160];
            tsr_shape_format(spec->op, &spec->shapes[i], text, sizeof text);
            return tsr_yaml_fail(doc, item, "%s: duplicate of shapes[%zu] (%s)", what, j, text);
        }
    }
    spec->n_shapes = count;
    return TSR_OK;
}

static tsr_status parse_root(tsr_yaml_doc *doc, yaml_node_t *root, tsr_opspec *spec)
{
    static const uint64_t required =
        REQ(K_SCHEMA) | REQ(K_NAME) | REQ(K_OP) | REQ(K_DTYPE) | REQ(K_SHAPES);
    tsr_yaml_field f[K_COUNT];
    TSR_TRY(parse_schema(doc, root, spec));
    TSR_TRY(tsr_yaml_fields(doc, root, "the op spec", top_keys, K_COUNT, required, f));
    TSR_TRY(tsr_yaml_ident(doc, f[K_NAME].value, "name", spec->arena, &spec->name));
    TSR_TRY(parse_op(doc, f[K_OP].value, spec));
    TSR_TRY(parse_dtype(doc, f[K_DTYPE].value, spec));
    spec->output = tsr_dtype_compute(spec->dtype);
    TSR_TRY(parse_sections(doc, root, f, spec));
    return parse_shapes(doc, f[K_SHAPES].value, spec);
}

tsr_status tsr_opspec_parse(const char *path, const char *text, size_t len, tsr_opspec **out,
                            tsr_error *err)
{
    *out = NULL;
    tsr_arena *arena = tsr_arena_create();
    tsr_opspec *spec = arena ? TSR_ARENA_NEW(arena, tsr_opspec) : NULL;
    const char *path_copy = spec ? tsr_arena_strdup(arena, path) : NULL;
    if (!path_copy) {
        tsr_arena_destroy(arena);
        return tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", path);
    }
    spec->arena = arena;
    spec->path = path_copy;
    spec->layout_a = TSR_ROW_MAJOR;
    spec->layout_b = TSR_ROW_MAJOR;
    spec->alpha = 1.0;
    spec->beta = 0.0;
    spec->conv = (tsr_conv2d){.stride = {1, 1}, .dilation = {1, 1}, .groups = 1};

    tsr_yaml_doc doc;
    tsr_status status = tsr_yaml_doc_load(&doc, path_copy, text, len, err);
    if (status == TSR_OK) {
        yaml_node_t *root;
        status = tsr_yaml_root_mapping(&doc, "an op spec", &root);
        if (status == TSR_OK)
            status = parse_root(&doc, root, spec);
        tsr_yaml_doc_free(&doc);
    }
    if (status != TSR_OK) {
        tsr_arena_destroy(arena);
        return status;
    }
    *out = spec;
    return TSR_OK;
}

tsr_status tsr_opspec_load(const char *path, tsr_opspec **out, tsr_error *err)
{
    char *text;
    size_t len;
    *out = NULL;
    TSR_TRY(tsr_yaml_read_file(path, &text, &len, err));
    tsr_status status = tsr_opspec_parse(path, text, len, out, err);
    free(text);
    return status;
}

void tsr_opspec_free(tsr_opspec *spec)
{
    if (spec)
        tsr_arena_destroy(spec->arena);
}

const char *tsr_opspec_key(const tsr_opspec *spec)
{
    const char *dtype = tsr_dtype_name(spec->dtype);
    /* The kind changes the kernel; eps is an argument, so it does not. */
    if (!strcmp(spec->op->name, "reduce"))
        return tsr_arena_printf(spec->arena, "reduce.%s.kind=%s%s", dtype,
                                reduce_kind_names[spec->reduce_kind],
                                spec->reduce_middle ? ".axis=middle" : "");
    /* The perm decides which dims the kernel tiles and strides. */
    if (!strcmp(spec->op->name, "permute")) {
        char perm[16] = "";
        size_t used = 0;
        for (int i = 0; i < spec->rank; i++)
            tsr_bufprintf(perm, sizeof perm, &used, "%s%d", i ? "," : "", spec->perm[i]);
        return tsr_arena_printf(spec->arena, "permute.%s.perm=%s", dtype, perm);
    }
    if (!strcmp(spec->op->name, "conv2d"))
        return tsr_conv2d_key(spec);
    if (!strcmp(spec->op->name, "attention"))
        return tsr_attention_key(spec);
    if (strcmp(spec->op->name, "gemm") != 0)
        return tsr_arena_printf(spec->arena, "%s.%s", spec->op->name, dtype);
    /* alpha is a kernel argument, but beta == 0 lets the kernel skip reading
     * C, so only its being zero or not changes the code. The epilogue's
     * parts come only when used, so that the keys of specs without one stay
     * what the store already holds. */
    char epilogue[64] = "";
    size_t used = 0;
    if (spec->bias != TSR_BIAS_NONE)
        tsr_bufprintf(epilogue, sizeof epilogue, &used, ".bias=%s", bias_names[spec->bias]);
    if (spec->activation != TSR_ACT_NONE)
        tsr_bufprintf(epilogue, sizeof epilogue, &used, ".act=%s",
                      activation_names[spec->activation]);
    if (spec->residual)
        tsr_bufprintf(epilogue, sizeof epilogue, &used, ".res=1");
    if (spec->output != tsr_dtype_compute(spec->dtype))
        tsr_bufprintf(epilogue, sizeof epilogue, &used, ".out=%s", tsr_dtype_name(spec->output));
    if (spec->tf32)
        tsr_bufprintf(epilogue, sizeof epilogue, &used, ".math=tf32");
    return tsr_arena_printf(spec->arena, "%s.%s.a=%s.b=%s.beta=%d%s", spec->op->name, dtype,
                            layout_names[spec->layout_a], layout_names[spec->layout_b],
                            spec->beta != 0.0, epilogue);
}

/* ---- shape text --------------------------------------------------------------- */

void tsr_shape_format(const tsr_op_def *op, const tsr_shape *shape, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (int d = 0; d < op->n_dims && used < size; d++) {
        if (!tsr_shape_dim_written(op, shape, d))
            continue;
        int w = snprintf(buf + used, size - used, "%s%s=%ld", used ? "," : "", op->dim_names[d],
                         shape->dim[d]);
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

static int find_dim(const tsr_op_def *op, const char *name, size_t len)
{
    for (int d = 0; d < op->n_dims; d++)
        if (strlen(op->dim_names[d]) == len && !strncmp(op->dim_names[d], name, len))
            return d;
    return -1;
}

static void dim_list(const tsr_op_def *op, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int d = 0; d < op->n_dims && used < size; d++) {
        int w = snprintf(buf + used, size - used, "%s%s", d ? ", " : "", op->dim_names[d]);
        used += w > 0 ? (size_t)w : 0;
    }
}

/* One "name=value" part, spaces around either side allowed. */
static tsr_status parse_part(const tsr_op_def *op, const char *text, const char *part, size_t len,
                             tsr_shape *out, bool *seen, tsr_error *err)
{
    while (len && (*part == ' ' || *part == '\t'))
        part++, len--;
    while (len && (part[len - 1] == ' ' || part[len - 1] == '\t'))
        len--;
    const char *eq = memchr(part, '=', len);
    if (!eq)
        return tsr_fail(err, TSR_ERR_INPUT, "shape '%s': '%.*s' is not name=value", text, (int)len,
                        part);
    size_t name_len = (size_t)(eq - part);
    while (name_len && (part[name_len - 1] == ' ' || part[name_len - 1] == '\t'))
        name_len--;
    int d = find_dim(op, part, name_len);
    if (d < 0) {
        char dims[128];
        dim_list(op, dims, sizeof dims);
        return tsr_fail(err, TSR_ERR_INPUT, "shape '%s': unknown dim '%.*s' (op %s has: %s)", text,
                        (int)name_len, part, op->name, dims);
    }
    if (seen[d])
        return tsr_fail(err, TSR_ERR_INPUT, "shape '%s': dim '%s' is given twice", text,
                        op->dim_names[d]);
    char value[32];
    const char *v = eq + 1;
    size_t value_len = len - (size_t)(v - part);
    while (value_len && (*v == ' ' || *v == '\t'))
        v++, value_len--;
    bool digits = value_len > 0 && value_len < sizeof value;
    for (size_t i = 0; digits && i < value_len; i++)
        digits = v[i] >= '0' && v[i] <= '9';
    long long n = 0;
    if (digits) {
        memcpy(value, v, value_len);
        value[value_len] = '\0';
        errno = 0;
        n = strtoll(value, NULL, 10);
        digits = errno == 0;
    }
    if (!digits || n < 1 || n > MAX_DIM)
        return tsr_fail(err, TSR_ERR_INPUT,
                        "shape '%s': %s='%.*s' is not an integer in 1..2147483647", text,
                        op->dim_names[d], (int)value_len, v);
    seen[d] = true;
    out->dim[d] = (long)n;
    return TSR_OK;
}

tsr_status tsr_opspec_check_shape(const tsr_opspec *spec, const tsr_shape *shape, tsr_error *err)
{
    char why[200];
    if (!tsr_conv2d_shape_fits(spec, shape, why, sizeof why))
        return tsr_fail(err, TSR_ERR_INPUT, "shape for %s: %s", spec->path, why);
    if (!strcmp(spec->op->name, "reduce") && !spec->reduce_middle &&
        shape->dim[TSR_REDUCE_DIM_INNER] != 1)
        return tsr_fail(err, TSR_ERR_INPUT,
                        "shape inner=%ld: %s reduces along the last axis, which has no inner dim "
                        "(that is 'reduce: {axis: middle}')",
                        shape->dim[TSR_REDUCE_DIM_INNER], spec->path);
    if (strcmp(spec->op->name, "permute") != 0)
        return TSR_OK;
    for (int d = spec->rank; d < spec->op->n_dims; d++)
        if (shape->dim[d] != 1)
            return tsr_fail(
                err, TSR_ERR_INPUT, "shape %s=%ld: the perm of %s has %d dims, so d0..d%d only",
                spec->op->dim_names[d], shape->dim[d], spec->path, spec->rank, spec->rank - 1);
    return TSR_OK;
}

tsr_status tsr_shape_parse(const tsr_op_def *op, const char *text, tsr_shape *out, tsr_error *err)
{
    tsr_shape shape;
    bool seen[TSR_MAX_DIMS] = {false};
    memset(&shape, 0, sizeof shape);
    const char *part = text;
    for (;;) {
        const char *comma = strchr(part, ',');
        size_t len = comma ? (size_t)(comma - part) : strlen(part);
        TSR_TRY(parse_part(op, text, part, len, &shape, seen, err));
        if (!comma)
            break;
        part = comma + 1;
    }
    for (int d = 0; d < op->n_dims; d++) {
        if (!seen[d] && op->dim_default[d])
            shape.dim[d] = op->dim_default[d];
        else if (!seen[d])
            return tsr_fail(err, TSR_ERR_INPUT, "shape '%s': missing dim '%s'", text,
                            op->dim_names[d]);
    }
    char why[160];
    if (!products_fit(op, &shape, why, sizeof why))
        return tsr_fail(err, TSR_ERR_INPUT, "shape '%s': %s", text, why);
    *out = shape;
    return TSR_OK;
}
