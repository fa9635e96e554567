/* Device profile schema v1: YAML in, struct tsr_profile out. Every number
 * is a quantity `{value: N, source: "..."}`; the sections of quantities are
 * tables (profile_fields.c), so adding a field is one row. A profile may
 * name a `base` whose values it inherits (profile_base.c). */
#include "core/profile.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile_base.h"
#include "core/profile_fields.h"
#include "core/yaml_doc.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static const char *const backend_names[] = {"opencl", "cuda", "hip"};
static const char *const matrix_kinds[] = {"mma", "wgmma", "mfma", "wmma", "dpas"};
static const char *const compiler_names[] = {"nvcc", "hipcc", "ocloc"};

/* Everything a section parser needs, so that signatures stay short. */
typedef struct parse_ctx {
    tsr_yaml_doc doc;
    tsr_profile *profile;
    int depth; /* of this file in a chain of bases: 0 for the file asked for */
} parse_ctx;

static tsr_status nomem(parse_ctx *ctx)
{
    return tsr_fail(ctx->doc.err, TSR_ERR_NOMEM, "%s: out of memory", ctx->doc.path);
}

/* ---- quantities -------------------------------------------------------------- */

/* A list of 1 to TSR_MAX_SUBGROUP_SIZES powers of two, smallest first. */
static tsr_status sizes_value(parse_ctx *ctx, yaml_node_t *node, const char *what,
                              const tsr_profile_field *f, tsr_quantity *q)
{
    tsr_yaml_doc *doc = &ctx->doc;
    size_t count;
    TSR_TRY(tsr_yaml_sequence(doc, node, what, &count));
    if (count < 1 || count > TSR_MAX_SUBGROUP_SIZES)
        return tsr_yaml_fail(doc, node, "%s: expected 1 to %d sizes, got %zu", what,
                             TSR_MAX_SUBGROUP_SIZES, count);
    for (size_t i = 0; i < count; i++) {
        long long n;
        yaml_node_t *item = tsr_yaml_item(doc, node, i);
        TSR_TRY(tsr_yaml_int(doc, item, what, (long long)f->min, (long long)f->max, &n));
        if (n & (n - 1))
            return tsr_yaml_fail(doc, item, "%s: %lld is not a power of two", what, n);
        if (i > 0 && n <= q[i - 1].value)
            return tsr_yaml_fail(doc, item, "%s: sizes must rise, %lld follows %.0f", what, n,
                                 q[i - 1].value);
        q[i].value = (double)n;
        q[i].present = true;
    }
    return TSR_OK;
}

static tsr_status quantity_value(parse_ctx *ctx, yaml_node_t *node, const char *what,
                                 const tsr_profile_field *f, tsr_quantity *q)
{
    tsr_yaml_doc *doc = &ctx->doc;
    long long n[3];
    switch (f->kind) {
    case TSR_Q_NUMBER: return tsr_yaml_number(doc, node, what, f->min, true, f->max, &q->value);
    case TSR_Q_SIZES: return sizes_value(ctx, node, what, f, q);
    case TSR_Q_TRIPLE:
        TSR_TRY(tsr_yaml_int_list(doc, node, what, 3, (long long)f->min, (long long)f->max, n));
        for (int i = 0; i < 3; i++)
            q[i].value = (double)n[i];
        return TSR_OK;
    default: break;
    }
    TSR_TRY(tsr_yaml_int(doc, node, what, (long long)f->min, (long long)f->max, n));
    if (f->kind == TSR_Q_POW2 && (n[0] & (n[0] - 1)))
        return tsr_yaml_fail(doc, node, "%s: %lld is not a power of two", what, n[0]);
    if (f->kind == TSR_Q_VECTOR_WIDTH && (n[0] & (n[0] - 1)))
        return tsr_yaml_fail(doc, node, "%s: %lld is not one of 1, 2, 4, 8, 16", what, n[0]);
    q->value = (double)n[0];
    return TSR_OK;
}

/* `{value: N, source: "..."}` into q (q[0..2] for a triple). */
static tsr_status parse_quantity(parse_ctx *ctx, yaml_node_t *node, const char *what,
                                 const tsr_profile_field *f, tsr_quantity *q)
{
    static const char *const keys[] = {"value", "source"};
    tsr_yaml_doc *doc = &ctx->doc;
    char buf[96];
    if (node->type != YAML_MAPPING_NODE)
        return tsr_yaml_fail(doc, node, "%s: expected {value: N, source: \"...\"}, got %s", what,
                             tsr_yaml_describe(node, buf, sizeof buf));
    tsr_yaml_field fields[2];
    TSR_TRY(tsr_yaml_fields(doc, node, what, keys, 2, TSR_YAML_ALL_REQUIRED, fields));
    /* The value is the quantity: "compute.units: 0 is out of range ...". */
    TSR_TRY(quantity_value(ctx, fields[0].value, what, f, q));
    char sub[160];
    snprintf(sub, sizeof sub, "%s.source", what);
    const char *source;
    TSR_TRY(tsr_yaml_text(doc, fields[1].value, sub, ctx->profile->arena, &source));
    for (size_t i = 0; i < tsr_quantity_slots(f->kind); i++) {
        q[i].source = source;
        /* A list of sizes marks the slots it filled. */
        q[i].present = f->kind == TSR_Q_SIZES ? q[i].present : true;
    }
    return TSR_OK;
}

/* One section of quantities; with a base nothing in it is required. */
static tsr_status parse_quantity_section(parse_ctx *ctx, yaml_node_t *node,
                                         const tsr_profile_section *section, bool has_base)
{
    const char *names[TSR_YAML_MAX_KEYS];
    uint64_t required = 0;
    for (size_t i = 0; i < section->n_fields; i++) {
        names[i] = section->fields[i].key;
        if (section->fields[i].required && !has_base)
            required |= (uint64_t)1 << i;
    }
    tsr_yaml_field fields[TSR_YAML_MAX_KEYS];
    TSR_TRY(tsr_yaml_fields(&ctx->doc, node, section->name, names, section->n_fields, required,
                            fields));
    for (size_t i = 0; i < section->n_fields; i++) {
        if (!fields[i].value)
            continue;
        char what[128];
        snprintf(what, sizeof what, "%s.%s", section->name, section->fields[i].key);
        tsr_quantity *q = tsr_profile_quantity(ctx->profile, &section->fields[i]);
        TSR_TRY(parse_quantity(ctx, fields[i].value, what, &section->fields[i], q));
    }
    return TSR_OK;
}

/* A rate in GFLOP/s: peak_gflops' values and a matrix unit's gflops. */
static const tsr_profile_field rate = {"", false, TSR_Q_NUMBER, 0, 1e9, 0};

static tsr_status parse_peak(parse_ctx *ctx, yaml_node_t *node)
{
    const char *names[TSR_DTYPE_COUNT];
    for (int i = 0; i < TSR_DTYPE_COUNT; i++)
        names[i] = tsr_dtype_name((tsr_dtype)i);
    tsr_yaml_field fields[TSR_DTYPE_COUNT];
    TSR_TRY(tsr_yaml_fields(&ctx->doc, node, "peak_gflops", names, TSR_DTYPE_COUNT, 0, fields));
    for (int i = 0; i < TSR_DTYPE_COUNT; i++) {
        if (!fields[i].value)
            continue;
        char what[64];
        snprintf(what, sizeof what, "peak_gflops.%s", names[i]);
        TSR_TRY(parse_quantity(ctx, fields[i].value, what, &rate, &ctx->profile->peak_gflops[i]));
    }
    return TSR_OK;
}

/* ---- the other sections ------------------------------------------------------ */

static tsr_status parse_matrix_unit(parse_ctx *ctx, yaml_node_t *node, const char *what,
                                    tsr_matrix_unit *unit)
{
    /* Every key but gflops (5) is required. */
    static const char *const keys[] = {"kind", "shape", "a", "acc", "source", "gflops"};
    tsr_yaml_doc *doc = &ctx->doc;
    const char *dtypes[TSR_DTYPE_COUNT];
    for (int i = 0; i < TSR_DTYPE_COUNT; i++)
        dtypes[i] = tsr_dtype_name((tsr_dtype)i);
    tsr_yaml_field f[6];
    TSR_TRY(tsr_yaml_fields(doc, node, what, keys, 6, 0x1f, f));
    char sub[96];
    int kind, a_type, acc_type;
    long long shape[3];
    snprintf(sub, sizeof sub, "%s.kind", what);
    TSR_TRY(tsr_yaml_enum(doc, f[0].value, sub, matrix_kinds, COUNT(matrix_kinds), &kind));
    snprintf(sub, sizeof sub, "%s.shape", what);
    TSR_TRY(tsr_yaml_int_list(doc, f[1].value, sub, 3, 1, 1024, shape));
    snprintf(sub, sizeof sub, "%s.a", what);
    TSR_TRY(tsr_yaml_enum(doc, f[2].value, sub, dtypes, TSR_DTYPE_COUNT, &a_type));
    snprintf(sub, sizeof sub, "%s.acc", what);
    TSR_TRY(tsr_yaml_enum(doc, f[3].value, sub, dtypes, TSR_DTYPE_COUNT, &acc_type));
    snprintf(sub, sizeof sub, "%s.source", what);
    TSR_TRY(tsr_yaml_text(doc, f[4].value, sub, ctx->profile->arena, &unit->source));
    if (f[5].value) {
        snprintf(sub, sizeof sub, "%s.gflops", what);
        TSR_TRY(parse_quantity(ctx, f[5].value, sub, &rate, &unit->gflops));
    }
    unit->kind = matrix_kinds[kind];
    unit->m = (int)shape[0];
    unit->n = (int)shape[1];
    unit->k = (int)shape[2];
    unit->a_type = (tsr_dtype)a_type;
    unit->acc_type = (tsr_dtype)acc_type;
    return TSR_OK;
}

static tsr_status parse_matrix_units(parse_ctx *ctx, yaml_node_t *node)
{
    tsr_profile *p = ctx->profile;
    size_t count;
    TSR_TRY(tsr_yaml_sequence(&ctx->doc, node, "matrix_units", &count));
    p->matrix_units = TSR_ARENA_ARRAY(p->arena, tsr_matrix_unit, count ? count : 1);
    if (!p->matrix_units)
        return nomem(ctx);
    for (size_t i = 0; i < count; i++) {
        char what[64];
        snprintf(what, sizeof what, "matrix_units[%zu]", i);
        TSR_TRY(
            parse_matrix_unit(ctx, tsr_yaml_item(&ctx->doc, node, i), what, &p->matrix_units[i]));
    }
    p->n_matrix_units = count;
    return TSR_OK;
}

static tsr_status parse_features(parse_ctx *ctx, yaml_node_t *node)
{
    const char *names[32];
    size_t n = 0;
    while (n < 32 && tsr_feature_name((tsr_feature)(1u << n)))
        n++;
    for (size_t i = 0; i < n; i++)
        names[i] = tsr_feature_name((tsr_feature)(1u << i));
    return tsr_yaml_enum_set(&ctx->doc, node, "features", names, n, &ctx->profile->features);
}

static tsr_status parse_backends(parse_ctx *ctx, yaml_node_t *node)
{
    tsr_profile *p = ctx->profile;
    TSR_TRY(tsr_yaml_enum_set(&ctx->doc, node, "backends", backend_names, COUNT(backend_names),
                              &p->backends));
    if (!p->backends)
        return tsr_yaml_fail(&ctx->doc, node, "backends: at least one backend is required (%s)",
                             "opencl, cuda, hip");
    return TSR_OK;
}

static tsr_status parse_offline(parse_ctx *ctx, yaml_node_t *node)
{
    static const char *const keys[] = {"compiler", "target"};
    tsr_yaml_doc *doc = &ctx->doc;
    tsr_yaml_field f[2];
    int compiler;
    TSR_TRY(tsr_yaml_fields(doc, node, "offline", keys, 2, TSR_YAML_ALL_REQUIRED, f));
    TSR_TRY(tsr_yaml_enum(doc, f[0].value, "offline.compiler", compiler_names,
                          COUNT(compiler_names), &compiler));
    ctx->profile->offline_compiler = compiler_names[compiler];
    return tsr_yaml_ident(doc, f[1].value, "offline.target", ctx->profile->arena,
                          &ctx->profile->offline_target);
}

static tsr_status parse_match_rule(parse_ctx *ctx, yaml_node_t *node, const char *what,
                                   tsr_match_rule *rule)
{
    static const char *const keys[] = {"backend", "vendor", "name"};
    tsr_yaml_doc *doc = &ctx->doc;
    tsr_arena *arena = ctx->profile->arena;
    tsr_yaml_field f[3];
    char sub[96];
    int backend;
    TSR_TRY(tsr_yaml_fields(doc, node, what, keys, 3, 1u, f));
    snprintf(sub, sizeof sub, "%s.backend", what);
    TSR_TRY(tsr_yaml_enum(doc, f[0].value, sub, backend_names, COUNT(backend_names), &backend));
    /* A rule for a backend that does not drive the device can never be
     * right; catching it here saves a puzzling "no profile matches". */
    if (!(ctx->profile->backends & 1u << backend))
        return tsr_yaml_fail(doc, f[0].value, "%s: backend %s is not listed in backends", sub,
                             backend_names[backend]);
    rule->backend = backend_names[backend];
    snprintf(sub, sizeof sub, "%s.vendor", what);
    if (f[1].value)
        TSR_TRY(tsr_yaml_string(doc, f[1].value, sub, arena, &rule->vendor));
    snprintf(sub, sizeof sub, "%s.name", what);
    if (f[2].value)
        TSR_TRY(tsr_yaml_string(doc, f[2].value, sub, arena, &rule->name));
    return TSR_OK;
}

static tsr_status parse_match(parse_ctx *ctx, yaml_node_t *node)
{
    tsr_profile *p = ctx->profile;
    size_t count;
    TSR_TRY(tsr_yaml_sequence(&ctx->doc, node, "match", &count));
    p->match = TSR_ARENA_ARRAY(p->arena, tsr_match_rule, count ? count : 1);
    if (!p->match)
        return nomem(ctx);
    for (size_t i = 0; i < count; i++) {
        char what[48];
        snprintf(what, sizeof what, "match[%zu]", i);
        TSR_TRY(parse_match_rule(ctx, tsr_yaml_item(&ctx->doc, node, i), what, &p->match[i]));
    }
    p->n_match = count;
    return TSR_OK;
}

/* ---- the whole file ---------------------------------------------------------- */

enum {
    K_SCHEMA,
    K_NAME,
    K_DESCRIPTION,
    K_VENDOR,
    K_ARCH,
    K_COMPUTE,
    K_REGISTERS,
    K_MEMORY,
    K_PEAK,
    K_MATRIX,
    K_FEATURES,
    K_BACKENDS,
    K_OFFLINE,
    K_MATCH,
    K_BASE,
    K_COUNT
};

static const char *const top_keys[K_COUNT] = {
    "schema",   "name",      "description", "vendor",      "arch",
    "compute",  "registers", "memory",      "peak_gflops", "matrix_units",
    "features", "backends",  "offline",     "match",       "base",
};

#define REQ(k) ((uint64_t)1 << (k))
static const uint64_t top_required = REQ(K_SCHEMA) | REQ(K_NAME) | REQ(K_DESCRIPTION) |
                                     REQ(K_VENDOR) | REQ(K_ARCH) | REQ(K_COMPUTE) | REQ(K_MEMORY) |
                                     REQ(K_BACKENDS);
/* A profile with a base needs only to say which, and its own name. */
static const uint64_t derived_required = REQ(K_SCHEMA) | REQ(K_NAME) | REQ(K_BASE);

/* The version comes first so that a newer file is told so, not flooded with
 * unknown keys. */
static tsr_status parse_schema(parse_ctx *ctx, yaml_node_t *root)
{
    yaml_node_t *node = tsr_yaml_find(&ctx->doc, root, "schema");
    if (!node)
        return tsr_yaml_fail(&ctx->doc, root, "missing required key 'schema' in the profile");
    long long version;
    TSR_TRY(tsr_yaml_int(&ctx->doc, node, "schema", 0, 1000000, &version));
    if (version != TSR_PROFILE_SCHEMA)
        return tsr_yaml_fail(&ctx->doc, node,
                             "schema: version %lld is not supported (supported: %d)", version,
                             TSR_PROFILE_SCHEMA);
    ctx->profile->schema = (int)version;
    return TSR_OK;
}

static tsr_status check_consistency(parse_ctx *ctx, tsr_yaml_field *top)
{
    const tsr_profile *p = ctx->profile;
    if (p->shared_per_unit.present && p->shared_per_block.value > p->shared_per_unit.value)
        return tsr_yaml_fail(&ctx->doc, top[K_MEMORY].value,
                             "memory.shared_per_block (%.0f) exceeds memory.shared_per_unit "
                             "(%.0f)",
                             p->shared_per_block.value, p->shared_per_unit.value);
    return TSR_OK;
}

static tsr_status parse_root(parse_ctx *ctx, yaml_node_t *root)
{
    tsr_profile *p = ctx->profile;
    tsr_yaml_doc *doc = &ctx->doc;
    tsr_yaml_field f[K_COUNT];
    TSR_TRY(parse_schema(ctx, root));
    bool has_base = tsr_yaml_find(doc, root, "base") != NULL;
    TSR_TRY(tsr_yaml_fields(doc, root, "the profile", top_keys, K_COUNT,
                            has_base ? derived_required : top_required, f));
    TSR_TRY(tsr_yaml_ident(doc, f[K_NAME].value, "name", p->arena, &p->name));
    const char **texts[] = {&p->description, &p->vendor, &p->arch};
    const char *text_keys[] = {"description", "vendor", "arch"};
    for (int i = 0; i < 3; i++)
        if (f[K_DESCRIPTION + i].value)
            TSR_TRY(
                tsr_yaml_text(doc, f[K_DESCRIPTION + i].value, text_keys[i], p->arena, texts[i]));
    const int section_keys[3] = {K_COMPUTE, K_REGISTERS, K_MEMORY};
    for (int i = 0; i < 3; i++)
        if (f[section_keys[i]].value)
            TSR_TRY(parse_quantity_section(ctx, f[section_keys[i]].value, &tsr_profile_sections[i],
                                           has_base));
    if (f[K_PEAK].value)
        TSR_TRY(parse_peak(ctx, f[K_PEAK].value));
    if (f[K_MATRIX].value)
        TSR_TRY(parse_matrix_units(ctx, f[K_MATRIX].value));
    if (f[K_FEATURES].value)
        TSR_TRY(parse_features(ctx, f[K_FEATURES].value));
    if (f[K_BACKENDS].value)
        TSR_TRY(parse_backends(ctx, f[K_BACKENDS].value));
    if (f[K_OFFLINE].value)
        TSR_TRY(parse_offline(ctx, f[K_OFFLINE].value));
    if (has_base) {
        tsr_profile_given given = {
            .matrix_units = f[K_MATRIX].value != NULL,
            .features = f[K_FEATURES].value != NULL,
            .backends = f[K_BACKENDS].value != NULL,
            .offline = f[K_OFFLINE].value != NULL,
        };
        TSR_TRY(tsr_profile_inherit(doc, f[K_BASE].value, p, &given, ctx->depth));
    }
    /* After the base: a rule is checked against the backends it inherited. */
    if (f[K_MATCH].value)
        TSR_TRY(parse_match(ctx, f[K_MATCH].value));
    return check_consistency(ctx, f);
}

tsr_status tsr_profile_parse_at_depth(const char *path, const char *text, size_t len, int depth,
                                      tsr_profile **out, tsr_error *err)
{
    *out = NULL;
    tsr_arena *arena = tsr_arena_create();
    tsr_profile *profile = arena ? TSR_ARENA_NEW(arena, tsr_profile) : NULL;
    const char *path_copy = profile ? tsr_arena_strdup(arena, path) : NULL;
    if (!path_copy) {
        tsr_arena_destroy(arena);
        return tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", path);
    }
    profile->arena = arena;
    profile->path = path_copy;

    parse_ctx ctx = {.profile = profile, .depth = depth};
    tsr_status status = tsr_yaml_doc_load(&ctx.doc, path_copy, text, len, err);
    if (status == TSR_OK) {
        yaml_node_t *root;
        status = tsr_yaml_root_mapping(&ctx.doc, "a device profile", &root);
        if (status == TSR_OK)
            status = parse_root(&ctx, root);
        tsr_yaml_doc_free(&ctx.doc);
    }
    if (status != TSR_OK) {
        tsr_arena_destroy(arena);
        return status;
    }
    *out = profile;
    return TSR_OK;
}

tsr_status tsr_profile_parse(const char *path, const char *text, size_t len, tsr_profile **out,
                             tsr_error *err)
{
    return tsr_profile_parse_at_depth(path, text, len, 0, out, err);
}

tsr_status tsr_profile_load_at_depth(const char *path, int depth, tsr_profile **out, tsr_error *err)
{
    char *text;
    size_t len;
    *out = NULL;
    TSR_TRY(tsr_yaml_read_file(path, &text, &len, err));
    tsr_status status = tsr_profile_parse_at_depth(path, text, len, depth, out, err);
    free(text);
    return status;
}

tsr_status tsr_profile_load(const char *path, tsr_profile **out, tsr_error *err)
{
    return tsr_profile_load_at_depth(path, 0, out, err);
}

void tsr_profile_free(tsr_profile *profile)
{
    if (profile)
        tsr_arena_destroy(profile->arena);
}
