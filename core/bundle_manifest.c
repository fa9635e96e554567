/* A bundle's manifest.json (docs/bundle.md is the format's reference):
 * the bundle's schema, tessera's version, the export's time, and per
 * kernel its op, spec, device, shape, config, launch, arguments, files,
 * hashes and measured time, as JSON text built from checked entries. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bundle_internal.h"
#include "tsr_config.h"

/* Length of the valid UTF-8 sequence at s, 0 when it is not one (JSON text
 * must be UTF-8; a stray byte becomes U+FFFD rather than invalid JSON). */
static int utf8_length(const unsigned char *s)
{
    int len = s[0] < 0x80   ? 1
              : s[0] < 0xc2 ? 0
              : s[0] < 0xe0 ? 2
              : s[0] < 0xf0 ? 3
              : s[0] < 0xf5 ? 4
                            : 0;
    for (int i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((len == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (len == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
        (len == 4 && s[0] == 0xf0 && s[1] < 0x90) || (len == 4 && s[0] == 0xf4 && s[1] >= 0x90))
        return 0; /* overlong, surrogate or beyond U+10FFFF */
    return len;
}

/* A JSON string per RFC 8259; NULL becomes null. */
static void json_string(tsr_strbuf *sb, const char *text)
{
    if (!text) {
        tsr_strbuf_append(sb, "null");
        return;
    }
    tsr_strbuf_append(sb, "\"");
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        int len = utf8_length(p);
        if (*p == '"' || *p == '\\')
            tsr_strbuf_printf(sb, "\\%c", *p);
        else if (*p == '\n')
            tsr_strbuf_append(sb, "\\n");
        else if (*p == '\t')
            tsr_strbuf_append(sb, "\\t");
        else if (*p < 0x20)
            tsr_strbuf_printf(sb, "\\u%04x", *p);
        else if (len == 0)
            tsr_strbuf_append(sb, "\\ufffd");
        else
            tsr_strbuf_appendn(sb, (const char *)p, (size_t)len);
        p += len ? len : 1;
    }
    tsr_strbuf_append(sb, "\"");
}

/* The shortest of %.15g..%.17g that reads back as the same double (finite,
 * by check_entry), so 0.1 stays "0.1" and no digit is lost. */
static void json_number(tsr_strbuf *sb, double value)
{
    char text[32];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, value);
        if (strtod(text, NULL) == value)
            break;
    }
    tsr_strbuf_append(sb, text);
}

static void json_key(tsr_strbuf *sb, const char *indent, const char *key)
{
    tsr_strbuf_printf(sb, ",\n%s", indent);
    json_string(sb, key);
    tsr_strbuf_append(sb, ": ");
}

/* An item "left<sep>right" of `len` characters (the separator in it, as
 * the store writes configs and argument lists), cut into its halves. */
static void split_item(const char *item, size_t len, char sep, char *left, size_t left_size,
                       char *right, size_t right_size)
{
    const char *at = memchr(item, sep, len);
    snprintf(left, left_size, "%.*s", (int)(at - item), item);
    snprintf(right, right_size, "%.*s", (int)(len - (size_t)(at + 1 - item)), at + 1);
}

/* {"BM": 64, ...}: integer values as numbers, anything else as strings. */
static void json_config(tsr_strbuf *sb, const char *config)
{
    const char *cursor = *config ? config : NULL, *item;
    size_t len;
    tsr_strbuf_append(sb, "{");
    for (int n = 0; tsr_bundle_next_item(&cursor, ',', &item, &len); n++) {
        char key[128], value[128];
        split_item(item, len, '=', key, sizeof key, value, sizeof value);
        long number;
        tsr_strbuf_append(sb, n ? ", " : "");
        json_string(sb, key);
        tsr_strbuf_append(sb, ": ");
        if (tsr_bundle_parse_long(value, strlen(value), -2147483647L, &number))
            tsr_strbuf_printf(sb, "%ld", number);
        else
            json_string(sb, value);
    }
    tsr_strbuf_append(sb, "}");
}

static void json_args(tsr_strbuf *sb, const char *args)
{
    const char *cursor = args, *item;
    size_t len;
    tsr_strbuf_append(sb, "[");
    for (int n = 0; tsr_bundle_next_item(&cursor, ',', &item, &len); n++) {
        char kind[16], name[128];
        split_item(item, len, ':', kind, sizeof kind, name, sizeof name);
        tsr_strbuf_append(sb, n ? ", {\"kind\": " : "{\"kind\": ");
        json_string(sb, kind);
        tsr_strbuf_append(sb, ", \"name\": ");
        json_string(sb, name);
        tsr_strbuf_append(sb, "}");
    }
    tsr_strbuf_append(sb, "]");
}

static void json_shape_and_geometry(tsr_strbuf *sb, const tsr_bundle_entry *e, const char *in)
{
    json_key(sb, in, "shape_dims");
    tsr_strbuf_append(sb, "{");
    for (int d = 0; d < e->n_dims; d++) {
        tsr_strbuf_append(sb, d ? ", " : "");
        json_string(sb, e->op->dim_names[d]);
        tsr_strbuf_printf(sb, ": %ld", e->shape[d]);
    }
    tsr_strbuf_append(sb, "}");
    json_key(sb, in, "geometry");
    json_string(sb, e->result.geometry);
    json_key(sb, in, "geometry_axes");
    tsr_strbuf_append(sb, "[");
    for (int a = 0; a < e->geometry.dims; a++) {
        int dim = e->geometry.dim[a];
        tsr_strbuf_append(sb, a ? ", {\"dim\": " : "{\"dim\": ");
        json_string(sb, dim >= 0 ? e->op->dim_names[dim] : NULL);
        /* Always written, 1 for an axis launched once, so that a reader
         * need not know that a geometry without "R*" means 1. */
        long repeat = e->geometry.repeat[a] > 1 ? e->geometry.repeat[a] : 1;
        tsr_strbuf_printf(sb,
                          ", \"dim_index\": %d, \"per_group\": %ld, \"repeat\": %ld, "
                          "\"local\": %zu}",
                          dim, e->geometry.per_group[a], repeat, e->geometry.local[a]);
    }
    tsr_strbuf_append(sb, "]");
    json_key(sb, in, "shared_bytes");
    tsr_strbuf_printf(sb, "%zu", e->geometry.shared_bytes);
    json_key(sb, in, "workspace_bytes");
    tsr_strbuf_printf(sb, "%zu", e->geometry.workspace_bytes);
}

static void json_kernel(tsr_strbuf *sb, const tsr_bundle_entry *e, int index)
{
    const char *in = "      ";
    const tsr_result *r = &e->result;
    tsr_strbuf_printf(sb, "    {\n%s\"index\": %d", in, index);
    const char *texts[][2] = {
        {"op", r->op}, {"spec_name", r->spec_name}, {"op_key", r->op_key}, {"shape", r->shape}};
    for (int i = 0; i < 4; i++) {
        json_key(sb, in, texts[i][0]);
        json_string(sb, texts[i][1]);
    }
    json_shape_and_geometry(sb, e, in);
    json_key(sb, in, "config");
    json_string(sb, r->config);
    json_key(sb, in, "config_params");
    json_config(sb, r->config);
    json_key(sb, in, "args");
    json_string(sb, r->args);
    json_key(sb, in, "arg_list");
    json_args(sb, r->args);
    const char *more[][2] = {{"kernel_name", r->kernel_name},
                             {"language", r->language},
                             {"vendor", tsr_bundle_vendor(r->device)},
                             {"file", e->file},
                             {"sha256", e->sha256},
                             {"device", r->device},
                             {"profile", r->profile},
                             {"measured_at", r->created}};
    for (int i = 0; i < 8; i++) {
        json_key(sb, in, more[i][0]);
        json_string(sb, more[i][1]);
    }
    const char *number_keys[] = {"time_ms", "gflops", "max_error"};
    /* A prediction has no error measured: 0, with "measured": false. */
    const double numbers[] = {r->time_ms, r->gflops,
                              r->outcome == TSR_OUTCOME_PREDICTED ? 0.0 : r->max_error};
    for (int i = 0; i < 3; i++) {
        json_key(sb, in, number_keys[i]);
        json_number(sb, numbers[i]);
    }
    json_key(sb, in, "binaries");
    tsr_strbuf_append(sb, "[");
    for (int b = 0; b < e->n_binaries; b++) {
        const tsr_bundle_binary *bin = &e->binaries[b];
        tsr_strbuf_append(sb, b ? ", {\"kind\": " : "{\"kind\": ");
        json_string(sb, bin->kind);
        tsr_strbuf_append(sb, ", \"target\": ");
        json_string(sb, bin->target);
        tsr_strbuf_append(sb, ", \"file\": ");
        json_string(sb, bin->file);
        tsr_strbuf_append(sb, ", \"sha256\": ");
        json_string(sb, bin->sha256);
        tsr_strbuf_append(sb, "}");
    }
    tsr_strbuf_append(sb, "]");
    json_key(sb, in, "measured");
    tsr_strbuf_append(sb, r->outcome == TSR_OUTCOME_PREDICTED ? "false\n    }" : "true\n    }");
}

void tsr_bundle_manifest_text(tsr_strbuf *sb, const tsr_bundle_entry *entries, int count,
                              const char *created)
{
    tsr_strbuf_printf(sb, "{\n  \"bundle_schema\": %d", TSR_BUNDLE_SCHEMA);
    json_key(sb, "  ", "tessera_version");
    json_string(sb, TSR_VERSION);
    json_key(sb, "  ", "created");
    json_string(sb, created);
    json_key(sb, "  ", "kernels");
    tsr_strbuf_append(sb, "[\n");
    for (int i = 0; i < count; i++) {
        json_kernel(sb, &entries[i], i);
        tsr_strbuf_append(sb, i + 1 < count ? ",\n" : "\n");
    }
    tsr_strbuf_append(sb, "  ]\n}\n");
}
