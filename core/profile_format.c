/* Prints a profile back as YAML with every source, in the schema's own
 * layout, so that the output is itself a valid profile (fields the file left
 * out appear as comments). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "core/profile_fields.h"
#include "core/strbuf.h"

static const char *const feature_names[] = {
    "subgroup_shuffle", "async_copy", "fp16", "fp64", "inline_ptx", "tma", "subgroup_matrix", "cpu",
};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* NULL for a value that is not exactly one known feature bit; the parser
 * relies on this to learn the list. */
const char *tsr_feature_name(tsr_feature feature)
{
    for (size_t i = 0; i < COUNT(feature_names); i++)
        if ((unsigned)feature == 1u << i)
            return feature_names[i];
    return NULL;
}

double tsr_profile_value(const tsr_quantity *q, double fallback)
{
    return q && q->present ? q->value : fallback;
}

tsr_status tsr_profile_check_shared(const tsr_profile *profile, long bytes, tsr_error *err)
{
    long limit = (long)tsr_profile_value(&profile->shared_per_block, 16384);
    if (bytes > limit)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "%ld bytes of shared memory exceed the profile's %ld per work-group", bytes,
                        limit);
    return TSR_OK;
}

const tsr_matrix_unit *tsr_profile_mma_m16n8(const tsr_profile *profile, int k, tsr_dtype input)
{
    tsr_dtype products = input == TSR_F64 ? TSR_F64 : TSR_F32;
    for (size_t i = 0; i < profile->n_matrix_units; i++) {
        const tsr_matrix_unit *u = &profile->matrix_units[i];
        if (u->kind && strcmp(u->kind, "mma") == 0 && u->m == 16 && u->n == 8 && u->k == k &&
            u->a_type == input && u->acc_type == products)
            return u;
    }
    return NULL;
}

const tsr_matrix_unit *tsr_profile_mma_f64(const tsr_profile *profile)
{
    const tsr_matrix_unit *unit = tsr_profile_mma_m16n8(profile, 8, TSR_F64);
    for (size_t i = 0; !unit && i < profile->n_matrix_units; i++) {
        const tsr_matrix_unit *u = &profile->matrix_units[i];
        if (u->kind && strcmp(u->kind, "mma") == 0 && u->m == 8 && u->n == 8 && u->k == 4 &&
            u->a_type == TSR_F64 && u->acc_type == TSR_F64)
            unit = u;
    }
    return unit;
}

bool tsr_profile_has_mma_m16n8k16(const tsr_profile *profile, tsr_dtype input)
{
    return tsr_profile_mma_m16n8(profile, 16, input) != NULL;
}

bool tsr_profile_has_mma_m16n8k8(const tsr_profile *profile, tsr_dtype input)
{
    return tsr_profile_mma_m16n8(profile, 8, input) != NULL;
}

bool tsr_profile_has_wgmma(const tsr_profile *profile, tsr_dtype input)
{
    for (size_t i = 0; i < profile->n_matrix_units; i++) {
        const tsr_matrix_unit *u = &profile->matrix_units[i];
        if (u->kind && strcmp(u->kind, "wgmma") == 0 && u->m == 64 &&
            u->k == (input == TSR_TF32 ? 8 : 16) && u->a_type == input && u->acc_type == TSR_F32)
            return true;
    }
    return false;
}

/* Whether it lists a unit of `kind` of shape m x n x 16 on `input` with
 * f32 products. */
static bool has_unit(const tsr_profile *profile, const char *kind, int m, int n, tsr_dtype input)
{
    for (size_t i = 0; i < profile->n_matrix_units; i++) {
        const tsr_matrix_unit *u = &profile->matrix_units[i];
        if (u->kind && strcmp(u->kind, kind) == 0 && u->m == m && u->n == n && u->k == 16 &&
            u->a_type == input && u->acc_type == TSR_F32)
            return true;
    }
    return false;
}

bool tsr_profile_has_mfma_16x16x16(const tsr_profile *profile, tsr_dtype input)
{
    return has_unit(profile, "mfma", 16, 16, input);
}

bool tsr_profile_has_wmma_16x16x16(const tsr_profile *profile, tsr_dtype input)
{
    return has_unit(profile, "wmma", 16, 16, input);
}

bool tsr_profile_has_dpas(const tsr_profile *profile, tsr_dtype input, int n)
{
    return has_unit(profile, "dpas", 8, n, input);
}

static const char *const backend_names[] = {"opencl", "cuda", "hip"};

/* A YAML double-quoted scalar. The text came through libyaml, so it is
 * valid UTF-8; what YAML forbids raw (C0 and C1 controls, DEL, U+FFFE and
 * U+FFFF) is written as an escape so that the output reads back. */
static void put_quoted(tsr_strbuf *sb, const char *text)
{
    tsr_strbuf_append(sb, "\"");
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\')
            tsr_strbuf_printf(sb, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f)
            tsr_strbuf_printf(sb, "\\x%02x", *c);
        else if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
            tsr_strbuf_printf(sb, "\\x%02x", *++c);
        else if (c[0] == 0xef && c[1] == 0xbf && (c[2] == 0xbe || c[2] == 0xbf)) {
            tsr_strbuf_printf(sb, "\\u%04X", 0xff00u | (c[2] == 0xbe ? 0xfe : 0xff));
            c += 2;
        } else if (c[0] == 0xe2 && c[1] == 0x80 && (c[2] == 0xa8 || c[2] == 0xa9)) {
            /* Line and paragraph separators would be folded as breaks. */
            tsr_strbuf_printf(sb, "\\u%04X", c[2] == 0xa8 ? 0x2028u : 0x2029u);
            c += 2;
        } else
            tsr_strbuf_appendn(sb, (const char *)c, 1);
    }
    tsr_strbuf_append(sb, "\"");
}

/* Integers as integers (the parser reads them strictly); other numbers in
 * the fewest digits that read back to the same double. */
static void put_number(tsr_strbuf *sb, double value)
{
    if (value == floor(value) && fabs(value) < 1e18) {
        tsr_strbuf_printf(sb, "%.0f", value);
        return;
    }
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", value);
    if (strtod(buf, NULL) != value)
        snprintf(buf, sizeof buf, "%.17g", value);
    tsr_strbuf_append(sb, buf);
}

static void put_quantity(tsr_strbuf *sb, const char *indent, const char *key, const tsr_quantity *q,
                         tsr_quantity_kind kind)
{
    if (!q->present) {
        /* In a section that is itself left out, the indent is the comment. */
        tsr_strbuf_printf(sb, "%s%s%s: not given\n", indent, indent[0] == '#' ? "" : "# ", key);
        return;
    }
    tsr_strbuf_printf(sb, "%s%s: {value: ", indent, key);
    if (kind == TSR_Q_TRIPLE || kind == TSR_Q_SIZES) {
        for (size_t i = 0; i < tsr_quantity_slots(kind) && q[i].present; i++) {
            tsr_strbuf_append(sb, i ? ", " : "[");
            put_number(sb, q[i].value);
        }
        tsr_strbuf_append(sb, "]");
    } else {
        put_number(sb, q->value);
    }
    tsr_strbuf_append(sb, ", source: ");
    put_quoted(sb, q->source);
    tsr_strbuf_append(sb, "}\n");
}

static void put_section(tsr_strbuf *sb, const tsr_profile *p, const tsr_profile_section *section)
{
    bool any = false;
    for (size_t i = 0; i < section->n_fields; i++)
        any = any || tsr_profile_quantity((tsr_profile *)p, &section->fields[i])->present;
    /* An empty section would read back as null, which the parser refuses. */
    tsr_strbuf_printf(sb, any ? "%s:\n" : "# %s: not given\n", section->name);
    for (size_t i = 0; i < section->n_fields; i++) {
        const tsr_profile_field *f = &section->fields[i];
        put_quantity(sb, any ? "  " : "#   ", f->key, tsr_profile_quantity((tsr_profile *)p, f),
                     f->kind);
    }
}

static void put_peaks(tsr_strbuf *sb, const tsr_profile *p)
{
    bool any = false;
    for (int i = 0; i < TSR_DTYPE_COUNT; i++)
        any = any || p->peak_gflops[i].present;
    tsr_strbuf_printf(sb, any ? "%s:\n" : "# %s: not given\n", "peak_gflops");
    for (int i = 0; i < TSR_DTYPE_COUNT; i++)
        put_quantity(sb, any ? "  " : "#   ", tsr_dtype_name((tsr_dtype)i), &p->peak_gflops[i],
                     TSR_Q_NUMBER);
}

static void put_matrix_units(tsr_strbuf *sb, const tsr_profile *p)
{
    tsr_strbuf_append(sb, p->n_matrix_units ? "matrix_units:\n" : "matrix_units: []\n");
    for (size_t i = 0; i < p->n_matrix_units; i++) {
        const tsr_matrix_unit *u = &p->matrix_units[i];
        tsr_strbuf_printf(sb,
                          "  - {kind: %s, shape: [%d, %d, %d], a: %s, acc: %s, source: ", u->kind,
                          u->m, u->n, u->k, tsr_dtype_name(u->a_type), tsr_dtype_name(u->acc_type));
        put_quoted(sb, u->source);
        tsr_strbuf_append(sb, "}\n");
    }
}

static void put_flags(tsr_strbuf *sb, const char *key, unsigned bits, const char *const *names,
                      size_t n)
{
    tsr_strbuf_printf(sb, "%s: [", key);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!(bits & 1u << i))
            continue;
        tsr_strbuf_printf(sb, "%s%s", first ? "" : ", ", names[i]);
        first = false;
    }
    tsr_strbuf_append(sb, "]\n");
}

static void put_match(tsr_strbuf *sb, const tsr_profile *p)
{
    if (p->offline_compiler)
        tsr_strbuf_printf(sb, "offline: {compiler: %s, target: %s}\n", p->offline_compiler,
                          p->offline_target);
    else
        tsr_strbuf_append(sb, "# offline: not given\n");
    tsr_strbuf_append(sb, p->n_match ? "match:\n" : "match: []\n");
    for (size_t i = 0; i < p->n_match; i++) {
        const tsr_match_rule *r = &p->match[i];
        tsr_strbuf_printf(sb, "  - {backend: %s", r->backend);
        if (r->vendor) {
            tsr_strbuf_append(sb, ", vendor: ");
            put_quoted(sb, r->vendor);
        }
        if (r->name) {
            tsr_strbuf_append(sb, ", name: ");
            put_quoted(sb, r->name);
        }
        tsr_strbuf_append(sb, "}\n");
    }
}

char *tsr_profile_format(const tsr_profile *p)
{
    tsr_strbuf sb;
    tsr_strbuf_init(&sb);
    tsr_strbuf_printf(&sb, "# device profile %s, read from ", p->name);
    put_quoted(&sb, p->path); /* quoted: a newline in a path must not end the comment */
    tsr_strbuf_append(&sb, "\n");
    /* The values of a base are written out in full, so the output stands
     * alone; the base is named in a comment. */
    if (p->base)
        tsr_strbuf_printf(&sb, "# inherits from %s\n", p->base);
    tsr_strbuf_printf(&sb, "schema: %d\nname: %s\ndescription: ", p->schema, p->name);
    put_quoted(&sb, p->description);
    tsr_strbuf_append(&sb, "\nvendor: ");
    put_quoted(&sb, p->vendor);
    tsr_strbuf_append(&sb, "\narch: ");
    put_quoted(&sb, p->arch);
    tsr_strbuf_append(&sb, "\n");
    for (size_t i = 0; i < COUNT(tsr_profile_sections); i++)
        put_section(&sb, p, &tsr_profile_sections[i]);
    put_peaks(&sb, p);
    put_matrix_units(&sb, p);
    put_flags(&sb, "features", p->features, feature_names, COUNT(feature_names));
    put_flags(&sb, "backends", p->backends, backend_names, COUNT(backend_names));
    put_match(&sb, p);
    if (sb.failed) {
        tsr_strbuf_free(&sb);
        return NULL;
    }
    return tsr_strbuf_take(&sb);
}
