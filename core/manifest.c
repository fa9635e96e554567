/* Manifest reading and bundle checking (see manifest.h). */
/* realpath() is XSI: checking where a bundle file really lies needs it. */
#define _XOPEN_SOURCE 700
#include "core/manifest.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/bundle.h"

typedef struct reader {
    const char *path;
    tsr_manifest *m;
    tsr_error *err;
} reader;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static tsr_status
bad(reader *r, const char *where, const char *fmt, ...)
{
    char detail[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return tsr_fail(r->err, TSR_ERR_INPUT, "%s: %s: %s", r->path, where, detail);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* A required string (`nullable`: or null) into the arena. */
static tsr_status text(reader *r, json_t *obj, const char *key, const char *where, bool nullable,
                       const char **out)
{
    json_t *v = json_object_get(obj, key);
    char at[160];
    snprintf(at, sizeof at, "%s.%s", where, key);
    *out = NULL;
    if (!v)
        return bad(r, at, "missing");
    if (nullable && json_is_null(v))
        return TSR_OK;
    if (!json_is_string(v))
        return bad(r, at, "expected a string, got %s", type_name(v));
    if (strlen(json_string_value(v)) != json_string_length(v))
        return bad(r, at, "a NUL byte in a string");
    *out = tsr_arena_strdup(r->m->arena, json_string_value(v));
    return *out ? TSR_OK : tsr_fail(r->err, TSR_ERR_NOMEM, "%s: out of memory", r->path);
}

static tsr_status number(reader *r, json_t *obj, const char *key, const char *where, double *out)
{
    json_t *v = json_object_get(obj, key);
    char at[160];
    snprintf(at, sizeof at, "%s.%s", where, key);
    if (!v)
        return bad(r, at, "missing");
    if (!json_is_number(v))
        return bad(r, at, "expected a number, got %s", type_name(v));
    *out = json_number_value(v);
    if (!isfinite(*out) || *out < 0)
        return bad(r, at, "%g is not a finite number >= 0", *out);
    return TSR_OK;
}

/* A path inside the bundle: relative, of [A-Za-z0-9_.-] parts joined by
 * '/', none of them "." or "..". What the exporter writes, and nothing
 * that could name a file elsewhere. */
static bool safe_relative_path(const char *p)
{
    if (!*p || *p == '/' || strlen(p) > 255)
        return false;
    for (const char *part = p; *part;) {
        size_t n = strcspn(part, "/");
        if (n == 0 || (n == 1 && part[0] == '.') || (n == 2 && part[0] == '.' && part[1] == '.'))
            return false;
        for (size_t i = 0; i < n; i++) {
            char c = part[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-'))
                return false;
        }
        part += n + (part[n] == '/');
    }
    return p[strlen(p) - 1] != '/';
}

static bool lowercase_hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return false;
    return true;
}

static tsr_status read_dims(reader *r, json_t *obj, const char *where, tsr_manifest_kernel *k)
{
    json_t *dims = json_object_get(obj, "shape_dims");
    char at[160];
    snprintf(at, sizeof at, "%s.shape_dims", where);
    if (!dims)
        return bad(r, at, "missing");
    if (!json_is_object(dims))
        return bad(r, at, "expected an object, got %s", type_name(dims));
    if (json_object_size(dims) < 1 || json_object_size(dims) > TSR_MAX_DIMS)
        return bad(r, at, "expected 1 to %d dims, got %zu", TSR_MAX_DIMS, json_object_size(dims));
    const char *name;
    json_t *v;
    k->n_dims = 0;
    json_object_foreach(dims, name, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 2147483647)
            return bad(r, at, "%s: expected an integer from 1 to 2^31-1", name);
        k->dim_names[k->n_dims] = tsr_arena_strdup(r->m->arena, name);
        if (!k->dim_names[k->n_dims])
            return tsr_fail(r->err, TSR_ERR_NOMEM, "%s: out of memory", r->path);
        k->shape_dims[k->n_dims++] = (long)json_integer_value(v);
    }
    return TSR_OK;
}

/* "binaries": [{"kind", "target", "file", "sha256"}, ...], optional. */
static tsr_status read_binaries(reader *r, json_t *obj, const char *where, tsr_manifest_kernel *k)
{
    json_t *list = json_object_get(obj, "binaries");
    char at[160];
    snprintf(at, sizeof at, "%s.binaries", where);
    if (!list)
        return TSR_OK;
    if (!json_is_array(list))
        return bad(r, at, "expected an array, got %s", type_name(list));
    if (json_array_size(list) > TSR_MANIFEST_MAX_BINARIES)
        return bad(r, at, "more than %d binaries", TSR_MANIFEST_MAX_BINARIES);
    for (size_t b = 0; b < json_array_size(list); b++) {
        json_t *item = json_array_get(list, b);
        char in[192];
        snprintf(in, sizeof in, "%s[%zu]", at, b);
        if (!json_is_object(item))
            return bad(r, in, "expected an object, got %s", type_name(item));
        tsr_manifest_binary *bin = &k->binaries[b];
        TSR_TRY(text(r, item, "kind", in, false, &bin->kind));
        TSR_TRY(text(r, item, "target", in, false, &bin->target));
        TSR_TRY(text(r, item, "file", in, false, &bin->file));
        TSR_TRY(text(r, item, "sha256", in, false, &bin->sha256));
        if (!safe_relative_path(bin->file))
            return bad(r, in, "file '%.200s' is not a path inside the bundle", bin->file);
        if (!lowercase_hex64(bin->sha256))
            return bad(r, in, "sha256: expected 64 lowercase hex digits");
        k->n_binaries++;
    }
    return TSR_OK;
}

static tsr_status read_kernel(reader *r, json_t *obj, size_t i, tsr_manifest_kernel *k)
{
    char where[48];
    snprintf(where, sizeof where, "kernels[%zu]", i);
    if (!json_is_object(obj))
        return bad(r, where, "expected an object, got %s", type_name(obj));
    json_t *index = json_object_get(obj, "index");
    if (!json_is_integer(index) || json_integer_value(index) != (json_int_t)i)
        return bad(r, where, "index: expected %zu, its position", i);
    k->index = (int)i;
    struct {
        const char *key;
        const char **out;
        bool nullable;
    } texts[] = {
        {"op", &k->op, false},
        {"spec_name", &k->spec_name, false},
        {"op_key", &k->op_key, false},
        {"shape", &k->shape, false},
        {"config", &k->config, false},
        {"geometry", &k->geometry, false},
        {"args", &k->args, false},
        {"kernel_name", &k->kernel_name, false},
        {"language", &k->language, false},
        {"file", &k->file, false},
        {"sha256", &k->sha256, false},
        {"device", &k->device, false},
        {"profile", &k->profile, true},
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
        TSR_TRY(text(r, obj, texts[t].key, where, texts[t].nullable, texts[t].out));
    char at[160];
    if (json_object_get(obj, "vendor"))
        TSR_TRY(text(r, obj, "vendor", where, false, &k->vendor));
    snprintf(at, sizeof at, "%s.file", where);
    if (!safe_relative_path(k->file))
        return bad(r, at,
                   "'%.200s' is not a path inside the bundle (relative, of letters, digits, "
                   "'_', '.', '-' and '/', no '..')",
                   k->file);
    snprintf(at, sizeof at, "%s.sha256", where);
    if (!lowercase_hex64(k->sha256))
        return bad(r, at, "expected 64 lowercase hex digits");
    TSR_TRY(read_dims(r, obj, where, k));
    TSR_TRY(number(r, obj, "time_ms", where, &k->time_ms));
    TSR_TRY(number(r, obj, "gflops", where, &k->gflops));
    TSR_TRY(number(r, obj, "max_error", where, &k->max_error));
    json_t *measured = json_object_get(obj, "measured");
    snprintf(at, sizeof at, "%s.measured", where);
    if (!json_is_boolean(measured))
        return bad(r, at, "expected true or false");
    k->measured = json_is_true(measured);
    return read_binaries(r, obj, where, k);
}

static tsr_status read_root(reader *r, json_t *root)
{
    if (!json_is_object(root))
        return bad(r, "the manifest", "expected an object, got %s", type_name(root));
    json_t *schema = json_object_get(root, "bundle_schema");
    if (!json_is_integer(schema))
        return bad(r, "bundle_schema", "missing, or not an integer");
    if (json_integer_value(schema) != TSR_BUNDLE_SCHEMA)
        return bad(r, "bundle_schema", "version %lld is not supported (supported: %d)",
                   (long long)json_integer_value(schema), TSR_BUNDLE_SCHEMA);
    r->m->schema = TSR_BUNDLE_SCHEMA;
    TSR_TRY(text(r, root, "tessera_version", "the manifest", false, &r->m->tessera_version));
    TSR_TRY(text(r, root, "created", "the manifest", false, &r->m->created));
    json_t *kernels = json_object_get(root, "kernels");
    if (!json_is_array(kernels))
        return bad(r, "kernels", "missing, or not an array");
    size_t n = json_array_size(kernels);
    r->m->kernels = TSR_ARENA_ARRAY(r->m->arena, tsr_manifest_kernel, n ? n : 1);
    if (!r->m->kernels)
        return tsr_fail(r->err, TSR_ERR_NOMEM, "%s: out of memory", r->path);
    for (size_t i = 0; i < n; i++)
        TSR_TRY(read_kernel(r, json_array_get(kernels, i), i, &r->m->kernels[i]));
    r->m->n_kernels = n;
    return TSR_OK;
}

tsr_status tsr_manifest_parse(const char *path, const char *text_in, size_t len, tsr_manifest **out,
                              tsr_error *err)
{
    *out = NULL;
    if (len > TSR_MANIFEST_MAX_BYTES)
        return tsr_fail(err, TSR_ERR_INPUT, "%s: %zu bytes, more than a manifest may have (%u)",
                        path, len, TSR_MANIFEST_MAX_BYTES);
    json_error_t jerr;
    /* Duplicate keys are refused: which of two values counts would be a guess. */
    json_t *root = json_loadb(text_in, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tsr_fail(err, TSR_ERR_INPUT, "%s:%d:%d: %s", path, jerr.line > 0 ? jerr.line : 1,
                        jerr.column > 0 ? jerr.column : 1, jerr.text);
    tsr_arena *arena = tsr_arena_create();
    tsr_manifest *m = arena ? TSR_ARENA_NEW(arena, tsr_manifest) : NULL;
    tsr_status st;
    if (!m) {
        st = tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", path);
    } else {
        m->arena = arena;
        reader r = {.path = path, .m = m, .err = err};
        st = read_root(&r, root);
    }
    json_decref(root);
    if (st != TSR_OK) {
        tsr_arena_destroy(arena);
        return st;
    }
    *out = m;
    return TSR_OK;
}

void tsr_manifest_free(tsr_manifest *manifest)
{
    if (manifest)
        tsr_arena_destroy(manifest->arena);
}

/* The file exists, is regular, lies inside `real_dir` once links are
 * resolved, and has the listed digest. */
static tsr_status check_file(const char *dir, const char *real_dir, const char *manifest_path,
                             const tsr_manifest_kernel *kernel, const char *file,
                             const char *sha256, tsr_error *err)
{
    struct {
        int index;
        const char *file, *sha256;
    } k_ = {kernel->index, file, sha256}, *k = &k_;
    char path[PATH_MAX + 300], real[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, k->file);
    if (!realpath(path, real))
        return tsr_fail(err, TSR_ERR_INPUT, "%s: kernels[%d].file: %s: %s", manifest_path, k->index,
                        k->file, strerror(errno));
    size_t n = strlen(real_dir);
    if (strncmp(real, real_dir, n) != 0 || real[n] != '/')
        return tsr_fail(err, TSR_ERR_INPUT,
                        "%s: kernels[%d].file: %s leads out of the bundle (to %s)", manifest_path,
                        k->index, k->file, real);
    struct stat sb;
    if (stat(real, &sb) != 0 || !S_ISREG(sb.st_mode))
        return tsr_fail(err, TSR_ERR_INPUT, "%s: kernels[%d].file: %s is not a regular file",
                        manifest_path, k->index, k->file);
    char digest[SHA256_DIGEST_STRING_LENGTH];
    if (!SHA256File(real, digest))
        return tsr_fail(err, TSR_ERR_IO, "%s: cannot read %s: %s", manifest_path, k->file,
                        strerror(errno));
    if (strcmp(digest, k->sha256) != 0)
        return tsr_fail(err, TSR_ERR_INPUT,
                        "%s: kernels[%d].file: %s has SHA-256 %.12s..., the manifest lists "
                        "%.12s...: the file was changed or damaged",
                        manifest_path, k->index, k->file, digest, k->sha256);
    return TSR_OK;
}

tsr_status tsr_bundle_check(const char *dir, tsr_manifest **out, tsr_error *err)
{
    if (out)
        *out = NULL;
    char manifest_path[PATH_MAX + 32], real_dir[PATH_MAX];
    snprintf(manifest_path, sizeof manifest_path, "%s/manifest.json", dir);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || !realpath(dir, real_dir))
        return tsr_fail(err, TSR_ERR_INPUT, "%s: not a bundle directory", dir);
    if (stat(manifest_path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return tsr_fail(err, TSR_ERR_INPUT, "%s: no manifest.json: not a bundle", dir);
    if (sb.st_size > (off_t)TSR_MANIFEST_MAX_BYTES)
        return tsr_fail(err, TSR_ERR_INPUT, "%s: %lld bytes, more than a manifest may have",
                        manifest_path, (long long)sb.st_size);
    FILE *f = fopen(manifest_path, "rb");
    char *data = f ? malloc((size_t)sb.st_size + 1) : NULL;
    size_t len = data ? fread(data, 1, (size_t)sb.st_size, f) : 0;
    if (f)
        fclose(f);
    if (!data) {
        free(data);
        return tsr_fail(err, TSR_ERR_IO, "%s: cannot read: %s", manifest_path, strerror(errno));
    }
    tsr_manifest *m = NULL;
    tsr_status st = tsr_manifest_parse(manifest_path, data, len, &m, err);
    free(data);
    for (size_t i = 0; st == TSR_OK && i < m->n_kernels; i++) {
        const tsr_manifest_kernel *k = &m->kernels[i];
        st = check_file(dir, real_dir, manifest_path, k, k->file, k->sha256, err);
        for (int b = 0; st == TSR_OK && b < k->n_binaries; b++)
            st = check_file(dir, real_dir, manifest_path, k, k->binaries[b].file,
                            k->binaries[b].sha256, err);
    }
    if (st == TSR_OK && out)
        *out = m;
    else
        tsr_manifest_free(m);
    return st;
}
