/* Bundle export: the best result of every (op_key, device, shape) in the
 * store becomes a kernel source file, a manifest entry (bundle_manifest.c)
 * and an entry of the standalone dispatch header (bundle_header.c).
 * docs/bundle.md is the format's reference.
 *
 * Everything in the store is data from outside: it is checked and parsed
 * before anything is written, names of files are built from sanitized
 * pieces only, and every file is written to a temporary name, synced and
 * renamed, so an interrupted export leaves whole files or none. */
#include "core/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bundle_internal.h"
#include "core/files.h"
#include "tsr_config.h"

enum { SPEC_NAME_MAX = 48, PATH_MAX_LEN = 4096 };

typedef struct collected {
    tsr_bundle_binaries_fn binaries; /* NULL: sources only */
    void *binaries_ctx;
    tsr_arena *arena;
    tsr_bundle_entry *entries;
    int count, cap;
} collected;

/* ---- reading the store ------------------------------------------------ */

static tsr_status collect_best(void *ctx, const tsr_result *best)
{
    collected *c = ctx;
    if (c->count == c->cap) {
        int cap = c->cap ? c->cap * 2 : 16;
        tsr_bundle_entry *grown = realloc(c->entries, sizeof *grown * (size_t)cap);
        if (!grown)
            return TSR_ERR_NOMEM;
        c->entries = grown;
        c->cap = cap;
    }
    tsr_bundle_entry *e = &c->entries[c->count];
    memset(e, 0, sizeof *e);
    e->result = *best;
    tsr_result *r = &e->result;
    const char **texts[] = {&r->op_key, &r->op,          &r->spec_name, &r->device, &r->profile,
                            &r->shape,  &r->config,      &r->reason,    &r->source, &r->language,
                            &r->args,   &r->kernel_name, &r->geometry,  &r->created};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (*texts[i] && !(*texts[i] = tsr_arena_strdup(c->arena, *texts[i])))
            return TSR_ERR_NOMEM;
    c->count++;
    return TSR_OK;
}

/* ---- parsing the result's text fields --------------------------------- */

bool tsr_bundle_next_item(const char **cursor, char sep, const char **item, size_t *len)
{
    if (!*cursor)
        return false;
    const char *end = strchr(*cursor, sep);
    *item = *cursor;
    *len = end ? (size_t)(end - *cursor) : strlen(*cursor);
    *cursor = end ? end + 1 : NULL;
    return true;
}

bool tsr_bundle_parse_long(const char *text, size_t len, long min, long *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    long value = strtol(buf, &end, 10);
    if (errno || *end || buf[0] == ' ' || buf[0] == '+' || value < min)
        return false;
    *out = value;
    return true;
}

static int find_dim(const tsr_op_def *op, const char *name, size_t len)
{
    for (int d = 0; d < op->n_dims; d++)
        if (strlen(op->dim_names[d]) == len && memcmp(op->dim_names[d], name, len) == 0)
            return d;
    return -1;
}

/* "m=64,n=64,k=64": every dim of the op once, each >= 1; an optional dim
 * left out takes its default. */
static bool parse_shape(const tsr_op_def *op, const char *text, long *shape, char *why,
                        size_t why_size)
{
    bool seen[TSR_MAX_DIMS] = {false};
    const char *cursor = text, *item;
    size_t len;
    while (tsr_bundle_next_item(&cursor, ',', &item, &len)) {
        const char *eq = memchr(item, '=', len);
        int dim = eq ? find_dim(op, item, (size_t)(eq - item)) : -1;
        if (dim < 0 || seen[dim] ||
            !tsr_bundle_parse_long(eq + 1, len - (size_t)(eq + 1 - item), 1, &shape[dim])) {
            snprintf(why, why_size, "item '%.*s' is not a new dim of %s with a value >= 1",
                     (int)len, item, op->name);
            return false;
        }
        seen[dim] = true;
    }
    for (int d = 0; d < op->n_dims; d++) {
        if (!seen[d] && op->dim_default[d]) {
            shape[d] = op->dim_default[d];
        } else if (!seen[d]) {
            snprintf(why, why_size, "dim '%s' is missing", op->dim_names[d]);
            return false;
        }
    }
    return true;
}

/* An entry speaks of the dims its shape's text gives: the required ones,
 * and optional ones up to the last off its default (gemm: m, n, k, and
 * batch only when it is not 1), so that the manifest and header entries
 * of shapes from before an op gained an optional dim do not change. A
 * launch axis along a dim left out has one group, still launched its
 * repeat times over ("4*batch/1x1" reads "4*1x1": a split-K GEMM tuned
 * on one problem launches its splits). */
static void entry_dims(tsr_bundle_entry *e, tsr_arena *arena)
{
    tsr_shape shape = {{0}};
    memcpy(shape.dim, e->shape, sizeof shape.dim);
    e->launch = e->geometry;
    e->n_dims = 0;
    for (int d = 0; d < e->op->n_dims; d++)
        if (tsr_shape_dim_written(e->op, &shape, d))
            e->n_dims = d + 1;
    bool dropped = false;
    for (int a = 0; a < e->geometry.dims; a++)
        if (e->geometry.dim[a] >= e->n_dims) {
            e->geometry.dim[a] = -1;
            e->geometry.per_group[a] = 1;
            dropped = true;
        }
    char text[128];
    tsr_geometry_rule_format(e->op, &e->geometry, text, sizeof text);
    const char *copy = dropped ? tsr_arena_strdup(arena, text) : NULL;
    if (copy)
        e->result.geometry = copy;
}

/* One axis of a geometry rule: "n/64x16" or, for a lone group, "1x1";
 * either after "R*" when its groups are launched R >= 2 times over
 * ("4*batch/1x1"). A repeat of 1 is written as none, so that one rule has
 * one text. */
static bool parse_axis(const tsr_op_def *op, const char *item, size_t len, tsr_geometry_rule *rule,
                       int axis)
{
    const char *star = memchr(item, '*', len);
    rule->repeat[axis] = 1;
    if (star) {
        if (!tsr_bundle_parse_long(item, (size_t)(star - item), 2, &rule->repeat[axis]))
            return false;
        len -= (size_t)(star + 1 - item);
        item = star + 1;
        if (memchr(item, '*', len))
            return false;
    }
    const char *slash = memchr(item, '/', len);
    const char *numbers = slash ? slash + 1 : item;
    size_t numbers_len = len - (size_t)(numbers - item);
    const char *x = memchr(numbers, 'x', numbers_len);
    long local = 0;
    rule->dim[axis] = slash ? find_dim(op, item, (size_t)(slash - item)) : -1;
    if ((slash && rule->dim[axis] < 0) || !x ||
        !tsr_bundle_parse_long(numbers, (size_t)(x - numbers), 1, &rule->per_group[axis]) ||
        !tsr_bundle_parse_long(x + 1, numbers_len - (size_t)(x + 1 - numbers), 1, &local))
        return false;
    rule->local[axis] = (size_t)local;
    return true;
}

static bool parse_geometry(const tsr_op_def *op, const char *text, tsr_geometry_rule *rule,
                           char *why, size_t why_size)
{
    memset(rule, 0, sizeof *rule);
    const char *cursor = text, *item;
    size_t len;
    while (tsr_bundle_next_item(&cursor, ',', &item, &len)) {
        static const char shared[] = "shared=", workspace[] = "workspace=";
        long bytes = 0;
        if (len > strlen(shared) && memcmp(item, shared, strlen(shared)) == 0) {
            /* After every axis; before the workspace, if any, or last. */
            if (rule->dims == 0 || rule->shared_bytes || rule->workspace_bytes ||
                !tsr_bundle_parse_long(item + strlen(shared), len - strlen(shared), 1, &bytes)) {
                snprintf(why, why_size, "'%.*s' is not an item shared=BYTES after the axes",
                         (int)len, item);
                return false;
            }
            rule->shared_bytes = (size_t)bytes;
            continue;
        }
        if (len > strlen(workspace) && memcmp(item, workspace, strlen(workspace)) == 0) {
            /* The last item. */
            if (cursor || rule->dims == 0 ||
                !tsr_bundle_parse_long(item + strlen(workspace), len - strlen(workspace), 1,
                                       &bytes)) {
                snprintf(why, why_size, "'%.*s' is not a last item workspace=BYTES", (int)len,
                         item);
                return false;
            }
            rule->workspace_bytes = (size_t)bytes;
            continue;
        }
        if (rule->shared_bytes) {
            snprintf(why, why_size, "axis '%.*s' after shared=BYTES", (int)len, item);
            return false;
        }
        if (rule->dims == 3) {
            snprintf(why, why_size, "more than 3 axes");
            return false;
        }
        if (!parse_axis(op, item, len, rule, rule->dims)) {
            snprintf(why, why_size,
                     "axis '%.*s' is not [R*]DIM/PERxLOCAL or [R*]1xLOCAL (R: a repeat >= 2)",
                     (int)len, item);
            return false;
        }
        rule->dims++;
    }
    return true;
}

/* "buffer:A,int:M,float:alpha" (args; an f64 GEMM's scalars are
 * "double:"), or "BM=64,BN=64" (a config; empty for an op without
 * params). */
static bool check_list(const char *text, bool is_config, char *why, size_t why_size)
{
    static const char *const kinds[] = {"buffer:", "int:", "float:", "double:"};
    const char *cursor = is_config && !*text ? NULL : text, *item;
    size_t len;
    while (tsr_bundle_next_item(&cursor, ',', &item, &len)) {
        const char *eq = memchr(item, '=', len);
        bool ok = is_config && eq && eq != item;
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0] && !is_config && !ok; i++)
            ok = len > strlen(kinds[i]) && memcmp(item, kinds[i], strlen(kinds[i])) == 0;
        if (!ok) {
            snprintf(why, why_size, "%s item '%.*s' is not %s", is_config ? "config" : "args",
                     (int)len, item,
                     is_config ? "NAME=VALUE" : "buffer:, int:, float: or double:NAME");
            return false;
        }
    }
    return true;
}

/* ---- checking one entry ----------------------------------------------- */

static tsr_status entry_fail(tsr_error *err, const tsr_result *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static tsr_status entry_fail(tsr_error *err, const tsr_result *r, const char *fmt, ...)
{
    char why[TSR_ERROR_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return tsr_fail(err, TSR_ERR_INPUT, "bundle: result %.120s %.80s %.120s: %s", r->op_key,
                    r->shape, r->config, why);
}

static tsr_status check_entry(tsr_bundle_entry *e, tsr_arena *arena, tsr_error *err)
{
    const tsr_result *r = &e->result;
    const char *required[] = {r->op, r->kernel_name, r->source, r->language, r->geometry, r->args};
    static const char *const names[] = {"op",       "kernel_name", "source",
                                        "language", "geometry",    "args"};
    for (int i = 0; i < 6; i++)
        if (!required[i] || (i != 2 && !*required[i]))
            return entry_fail(err, r, "has no %s", names[i]);
    e->op = tsr_op_find(r->op);
    if (!e->op)
        return entry_fail(err, r, "unknown op '%.64s'", r->op);
    /* A prediction has no measured error. */
    double numbers[] = {r->time_ms, r->gflops,
                        r->outcome == TSR_OUTCOME_PREDICTED ? 0.0 : r->max_error};
    for (int i = 0; i < 3; i++)
        if (!isfinite(numbers[i]))
            return entry_fail(err, r, "time, GFLOP/s and error must be finite numbers");
    char why[256];
    if (!parse_shape(e->op, r->shape, e->shape, why, sizeof why))
        return entry_fail(err, r, "shape: %s", why);
    if (!parse_geometry(e->op, r->geometry, &e->geometry, why, sizeof why))
        return entry_fail(err, r, "geometry '%.64s': %s", r->geometry, why);
    if (!check_list(r->args, false, why, sizeof why) ||
        !check_list(r->config, true, why, sizeof why))
        return entry_fail(err, r, "%s", why);
    entry_dims(e, arena);
    return TSR_OK;
}

/* ---- file names --------------------------------------------------------- */

/* Keeps [A-Za-z0-9_-] (and '.' when allowed), maps the rest to '_', so
 * that no piece of store data can name a directory or climb out of one. */
static void sanitize(char *out, size_t size, const char *text, bool allow_dot)
{
    size_t n = 0;
    for (; text[n] && n + 1 < size; n++) {
        char c = text[n];
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || (allow_dot && c == '.');
        out[n] = keep ? c : '_';
    }
    out[n] = '\0';
}

static const char *language_extension(const char *language)
{
    static const char *const table[][2] = {{"opencl", "cl"}, {"cuda", "cu"}, {"hip", "hip"}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(language, table[i][0]) == 0)
            return table[i][1];
    return "src";
}

static bool contains_nocase(const char *text, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(text + i, word, n) == 0)
            return true;
    return false;
}

const char *tsr_bundle_vendor(const char *fingerprint)
{
    /* backend|vendor|name|driver */
    const char *vendor = strchr(fingerprint, '|');
    const char *name = vendor ? strchr(vendor + 1, '|') : NULL;
    size_t vendor_len = vendor && name ? (size_t)(name - vendor - 1) : 0;
    const char *name_end = name ? strchr(name + 1, '|') : NULL;
    size_t name_len = name ? (name_end ? (size_t)(name_end - name - 1) : strlen(name + 1)) : 0;
    if (strncmp(fingerprint, "cuda|", 5) == 0)
        return "nvidia";
    if (strncmp(fingerprint, "hip|", 4) == 0)
        return "amd";
    vendor = vendor ? vendor + 1 : "";
    name = name ? name + 1 : "";
    /* PoCL's CPU device: "pthread-<cpu>" or "cpu-<cpu>", a CPU vendor. */
    if (strncmp(name, "pthread-", 8) == 0 || strncmp(name, "cpu-", 4) == 0 ||
        contains_nocase(vendor, vendor_len, "pocl") || contains_nocase(name, name_len, " CPU"))
        return "cpu";
    if (contains_nocase(vendor, vendor_len, "nvidia"))
        return "nvidia";
    if (contains_nocase(vendor, vendor_len, "advanced micro") ||
        contains_nocase(vendor, vendor_len, "amd"))
        return "amd";
    if (contains_nocase(vendor, vendor_len, "intel"))
        return "intel";
    return "other";
}

/* "cpu/opencl/003_sgemm-nn_m64_n64_k64.cl": the vendor's folder, the
 * language's; the index keeps names unique and a leading digit means the
 * sanitized name is never "." or "..". */
static const char *entry_file(tsr_arena *arena, const tsr_bundle_entry *e, int index)
{
    char language[64], spec[SPEC_NAME_MAX + 1], shape[256] = "";
    sanitize(language, sizeof language, e->result.language, false);
    sanitize(spec, sizeof spec, e->result.spec_name ? e->result.spec_name : "", true);
    for (int d = 0; d < e->n_dims; d++) {
        size_t used = strlen(shape);
        snprintf(shape + used, sizeof shape - used, "%s%s%ld", d ? "_" : "", e->op->dim_names[d],
                 e->shape[d]);
    }
    char safe_shape[256];
    sanitize(safe_shape, sizeof safe_shape, shape, false);
    return tsr_arena_printf(arena, "%s/%s/%03d_%s_%s.%s", tsr_bundle_vendor(e->result.device),
                            language, index, spec[0] ? spec : "kernel", safe_shape,
                            language_extension(e->result.language));
}

/* ---- writing files ------------------------------------------------------ */

static tsr_status write_sources(const char *dir, collected *c, tsr_error *err)
{
    for (int i = 0; i < c->count; i++) {
        tsr_bundle_entry *e = &c->entries[i];
        char sub[PATH_MAX_LEN];
        snprintf(sub, sizeof sub, "%s/%.*s", dir, (int)(strrchr(e->file, '/') - e->file), e->file);
        TSR_TRY(tsr_make_dirs(sub, err));
        size_t len = strlen(e->result.source);
        SHA256Data((const uint8_t *)e->result.source, len, e->sha256);
        TSR_TRY(tsr_write_file_atomic(dir, e->file, e->result.source, len, err));
    }
    return TSR_OK;
}

/* ---- export ------------------------------------------------------------- */

/* Each kernel's binaries, by the caller's compilers, and their digests. */
static tsr_status write_binaries(const char *dir, collected *c, tsr_error *err)
{
    for (int i = 0; i < c->count; i++) {
        tsr_bundle_entry *e = &c->entries[i];
        char stem[PATH_MAX_LEN];
        snprintf(stem, sizeof stem, "%.*s", (int)(strrchr(e->file, '.') - e->file), e->file);
        TSR_TRY(c->binaries(c->binaries_ctx, &e->result, dir, stem, e->binaries,
                            TSR_BUNDLE_MAX_BINARIES, &e->n_binaries, err));
        for (int b = 0; b < e->n_binaries; b++) {
            char path[PATH_MAX_LEN + 700];
            snprintf(path, sizeof path, "%s/%s", dir, e->binaries[b].file);
            if (!SHA256File(path, e->binaries[b].sha256))
                return tsr_fail(err, TSR_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
        }
    }
    return TSR_OK;
}

static const char *const vendor_names[] = {"nvidia", "amd", "intel", "cpu", "other"};
enum { N_VENDORS = sizeof vendor_names / sizeof vendor_names[0] };

/* Each vendor folder's own header: the same text, over its kernels only. */
static tsr_status write_vendor_headers(const char *dir, const collected *c, const char *created,
                                       tsr_error *err)
{
    tsr_bundle_entry *subset = malloc(sizeof *subset * (size_t)(c->count ? c->count : 1));
    if (!subset)
        return tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", dir);
    tsr_status status = TSR_OK;
    for (int v = 0; v < N_VENDORS && status == TSR_OK; v++) {
        int n = 0;
        for (int i = 0; i < c->count; i++)
            if (strcmp(tsr_bundle_vendor(c->entries[i].result.device), vendor_names[v]) == 0)
                subset[n++] = c->entries[i];
        if (n == 0)
            continue;
        tsr_strbuf sb;
        tsr_strbuf_init(&sb);
        tsr_bundle_header_text(&sb, subset, n, created);
        char sub[PATH_MAX_LEN];
        snprintf(sub, sizeof sub, "%s/%s", dir, vendor_names[v]);
        status = sb.failed ? tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", dir)
                           : tsr_write_file_atomic(sub, "tessera_bundle.h", sb.data, sb.len, err);
        tsr_strbuf_free(&sb);
    }
    free(subset);
    return status;
}

static tsr_status export_entries(const char *dir, collected *c, tsr_error *err)
{
    for (int i = 0; i < c->count; i++) {
        TSR_TRY(check_entry(&c->entries[i], c->arena, err));
        c->entries[i].file = entry_file(c->arena, &c->entries[i], i);
        if (!c->entries[i].file)
            return tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", dir);
    }
    TSR_TRY(tsr_make_dirs(dir, err));
    TSR_TRY(write_sources(dir, c, err));
    if (c->binaries)
        TSR_TRY(write_binaries(dir, c, err));

    char created[32];
    time_t now = time(NULL);
    struct tm utc;
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &utc));
    TSR_TRY(write_vendor_headers(dir, c, created, err));

    /* The manifest goes last: once it is there, everything it lists is. */
    static const char *const names[] = {"tessera_bundle.h", "manifest.json"};
    tsr_strbuf docs[2];
    tsr_strbuf_init(&docs[0]);
    tsr_strbuf_init(&docs[1]);
    tsr_bundle_header_text(&docs[0], c->entries, c->count, created);
    tsr_bundle_manifest_text(&docs[1], c->entries, c->count, created);
    tsr_status status = TSR_OK;
    for (int i = 0; i < 2 && status == TSR_OK; i++)
        status = docs[i].failed
                     ? tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", dir)
                     : tsr_write_file_atomic(dir, names[i], docs[i].data, docs[i].len, err);
    tsr_strbuf_free(&docs[0]);
    tsr_strbuf_free(&docs[1]);
    return status;
}

/* "nvidia,amd" into a mask over vendor_names; false for an unknown name. */
static bool parse_vendors(const char *list, unsigned *mask, tsr_error *err)
{
    *mask = 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        int found = -1;
        for (int v = 0; v < N_VENDORS; v++)
            if (strlen(vendor_names[v]) == n && strncmp(vendor_names[v], p, n) == 0)
                found = v;
        if (found < 0) {
            tsr_fail(err, TSR_ERR_INPUT,
                     "bundle: unknown vendor '%.*s' (known: nvidia, amd, intel, cpu, other)",
                     (int)(n > 64 ? 64 : n), p);
            return false;
        }
        *mask |= 1u << found;
        p += n + (p[n] == ',');
    }
    if (!*mask)
        tsr_fail(err, TSR_ERR_INPUT, "bundle: no vendor named (nvidia, amd, intel, cpu, other)");
    return *mask != 0;
}

static unsigned vendor_bit(const char *fingerprint)
{
    const char *vendor = tsr_bundle_vendor(fingerprint);
    for (int v = 0; v < N_VENDORS; v++)
        if (strcmp(vendor, vendor_names[v]) == 0)
            return 1u << v;
    return 0;
}

tsr_status tsr_bundle_export_with(tsr_store *store, const tsr_bundle_options *options,
                                  const char *dir, tsr_export_summary *summary, tsr_error *err)
{
    if (summary)
        summary->kernels = 0;
    unsigned mask = ~0u;
    const char *device = options->device;
    if (options->vendors && !parse_vendors(options->vendors, &mask, err))
        return TSR_ERR_INPUT;
    collected c = {.arena = tsr_arena_create(),
                   .binaries = options->binaries,
                   .binaries_ctx = options->binaries_ctx};
    if (!c.arena)
        return tsr_fail(err, TSR_ERR_NOMEM, "bundle: out of memory");
    tsr_status status = tsr_store_each_best(store, device, collect_best, &c, err);
    if (status == TSR_ERR_NOMEM)
        tsr_fail(err, status, "bundle: out of memory reading the store");
    int kept = 0;
    for (int i = 0; status == TSR_OK && i < c.count; i++)
        if (vendor_bit(c.entries[i].result.device) & mask)
            c.entries[kept++] = c.entries[i];
    c.count = kept;
    /* With nothing to export nothing is written; the summary says so. */
    if (status == TSR_OK && c.count > 0)
        status = export_entries(dir, &c, err);
    if (status == TSR_OK && summary)
        summary->kernels = c.count;
    free(c.entries);
    tsr_arena_destroy(c.arena);
    return status;
}

tsr_status tsr_bundle_export_vendors(tsr_store *store, const char *device, const char *vendors,
                                     const char *dir, tsr_export_summary *summary, tsr_error *err)
{
    tsr_bundle_options options = {.device = device, .vendors = vendors};
    return tsr_bundle_export_with(store, &options, dir, summary, err);
}

tsr_status tsr_bundle_export(tsr_store *store, const char *device, const char *dir,
                             tsr_export_summary *summary, tsr_error *err)
{
    return tsr_bundle_export_vendors(store, device, NULL, dir, summary, err);
}
