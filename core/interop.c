/* T4 and CLBlast tuner files from the results store (see interop.h). */
#include "core/interop.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/profile.h"

/* ---- configs ---------------------------------------------------------------------- */

/* "BM=64,BN=32" as a JSON object of integers (strings where not one). */
static json_t *config_object(const char *config)
{
    json_t *obj = json_object();
    for (const char *p = config; obj && *p;) {
        size_t n = strcspn(p, ",");
        const char *eq = memchr(p, '=', n);
        if (eq) {
            char key[64], value[64];
            snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
            snprintf(value, sizeof value, "%.*s", (int)(n - (size_t)(eq - p) - 1), eq + 1);
            char *end;
            long v = strtol(value, &end, 10);
            json_object_set_new(obj, key, *end || !*value ? json_string(value) : json_integer(v));
        }
        p += n + (p[n] == ',');
    }
    return obj;
}

static long config_value(const char *config, const char *key, long fallback)
{
    size_t len = strlen(key);
    for (const char *p = config; *p;) {
        if (strncmp(p, key, len) == 0 && p[len] == '=')
            return strtol(p + len + 1, NULL, 10);
        p += strcspn(p, ",");
        p += *p == ',';
    }
    return fallback;
}

/* ---- CLBlast's Xgemm parameters ------------------------------------------------------ */

/* Xgemm (GEMMK=0) requires, with MWG, NWG, KWG the work-group tile:
 *   MWG % (MDIMC * VWM) == 0 and NWG % (NDIMC * VWN) == 0,
 *   MWG % (MDIMA * VWM) == 0 and NWG % (NDIMB * VWN) == 0,
 *   KWG % (MDIMC * NDIMC / MDIMA) == 0 and KWG % (MDIMC * NDIMC / NDIMB) == 0,
 *   KWG % KWI == 0.
 * tessera's tile is MWG=BM, NWG=BN, KWG=BK with BM/TM x BN/TN threads
 * (MDIMC x NDIMC); vector widths shrink and the loading shapes MDIMA, NDIMB
 * are chosen until the constraints hold. */
static int widest_vector(long tile, long threads, long want)
{
    int v = 1;
    while (v * 2 <= want && tile % (threads * v * 2) == 0)
        v *= 2;
    return v;
}

/* The loading dimension: the thread count along it if that fits, else the
 * largest power of two that does; 0 when none does. */
static long loading_dim(long tile, int vector, long mdimc, long ndimc, long kwg, long prefer)
{
    long best = 0;
    for (long d = 1; d <= tile; d *= 2) {
        bool fits =
            (mdimc * ndimc) % d == 0 && kwg % (mdimc * ndimc / d) == 0 && tile % (d * vector) == 0;
        if (fits && d == prefer)
            return d;
        if (fits)
            best = d;
    }
    return best;
}

bool tsr_interop_clblast_params(const char *config, char *out, size_t size)
{
    long bm = config_value(config, "BM", 0), bn = config_value(config, "BN", 0);
    long bk = config_value(config, "BK", 0), tm = config_value(config, "TM", 0);
    long tn = config_value(config, "TN", 0);
    if (bm < 1 || bn < 1 || bk < 1 || tm < 1 || tn < 1 || bm % tm || bn % tn)
        return false;
    long mdimc = bm / tm, ndimc = bn / tn;
    int vwm = widest_vector(bm, mdimc, config_value(config, "VW", 1));
    int vwn = widest_vector(bn, ndimc, config_value(config, "VN", 1));
    long mdima = loading_dim(bm, vwm, mdimc, ndimc, bk, mdimc);
    long ndimb = loading_dim(bn, vwn, mdimc, ndimc, bk, ndimc);
    long ku = config_value(config, "KU", 1), kwi = ku >= 1 && bk % ku == 0 ? ku : 1;
    if (!mdima || !ndimb)
        return false;
    /* CLBlast writes parameters in the order of its std::map: by name. */
    snprintf(out, size,
             "GEMMK=0 KREG=1 KWG=%ld KWI=%ld MDIMA=%ld MDIMC=%ld MWG=%ld NDIMB=%ld NDIMC=%ld "
             "NWG=%ld PRECISION=32 SA=%ld SB=%ld STRM=%ld STRN=%ld VWM=%d VWN=%d",
             bk, kwi, mdima, mdimc, bm, ndimb, ndimc, bn, config_value(config, "SA", 0),
             config_value(config, "SB", 0), config_value(config, "STRM", 0),
             config_value(config, "STRN", 0), vwm, vwn);
    return true;
}

/* "K=V K=V" as a JSON object of integers. */
static json_t *clblast_parameters(const char *params)
{
    json_t *obj = json_object();
    for (const char *p = params; obj && *p;) {
        size_t n = strcspn(p, " ");
        const char *eq = memchr(p, '=', n);
        if (eq) {
            char key[32];
            snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
            json_object_set_new(obj, key, json_integer(strtol(eq + 1, NULL, 10)));
        }
        p += n + (p[n] == ' ');
    }
    return obj;
}

/* ---- grouping the store's results -------------------------------------------------- */

typedef struct group {
    char op_key[160], device[768], shape[160], spec_name[96], profile[96];
    json_t *results; /* per format */
    double best_time;
    char best_params[320], best_created[32];
    int count;
} group;

typedef struct writer {
    tsr_interop_format format;
    const char *dir;
    group g;
    bool open;
    tsr_interop_summary *summary;
    tsr_error *err;
} writer;

static void sanitize(char *out, size_t size, const char *text)
{
    size_t n = 0;
    for (const char *c = text; *c && n + 1 < size; c++)
        out[n++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                           (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'
                       ? *c
                       : '_';
    out[n] = '\0';
}

static const char *t4_invalidity(tsr_outcome o)
{
    switch (o) {
    case TSR_OUTCOME_OK: return "correct";
    case TSR_OUTCOME_INVALID: return "constraints";
    case TSR_OUTCOME_BUILD_FAILED: return "compile";
    case TSR_OUTCOME_WRONG: return "correctness";
    case TSR_OUTCOME_TIMEOUT: return "timeout";
    default: return "runtime";
    }
}

static json_t *measurement(const char *name, double value, const char *unit)
{
    return json_pack("{s:s, s:f, s:s}", "name", name, "value", value, "unit", unit);
}

static json_t *t4_result(const tsr_result *r)
{
    bool ok = r->outcome == TSR_OUTCOME_OK;
    json_t *times = json_object(), *measurements = json_array();
    if (ok) {
        json_object_set_new(times, "runtimes", json_pack("[f]", r->time_ms));
        json_array_append_new(measurements, measurement("time", r->time_ms, "ms"));
        json_array_append_new(measurements, measurement("GFLOP/s", r->gflops, "GFLOP/s"));
        json_array_append_new(measurements, measurement("max_relative_error", r->max_error, ""));
    }
    json_t *result = json_pack(
        "{s:s, s:o, s:[s], s:o, s:s, s:i, s:o}", "timestamp", r->created ? r->created : "",
        "configuration", config_object(r->config), "objectives", "time", "times", times,
        "invalidity", t4_invalidity(r->outcome), "correctness",
        r->outcome == TSR_OUTCOME_WRONG ? 0 : 1, "measurements", measurements);
    if (result && !ok && r->reason)
        json_object_set_new(result, "tessera_reason", json_string(r->reason));
    return result;
}

/* The device part of CLBlast's file, from the fingerprint
 * "opencl|VENDOR|NAME|DRIVER" and the profile when it can be read. */
static void clblast_device(json_t *root, const group *g)
{
    char vendor[256] = "", name[512] = "";
    const char *p = strchr(g->device, '|');
    if (p) {
        const char *q = strchr(p + 1, '|');
        snprintf(vendor, sizeof vendor, "%.*s", q ? (int)(q - p - 1) : 0, p + 1);
        const char *r = q ? strchr(q + 1, '|') : NULL;
        if (q)
            snprintf(name, sizeof name, "%.*s", r ? (int)(r - q - 1) : (int)strlen(q + 1), q + 1);
    }
    tsr_profile *profile = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.yaml", tsr_default_profiles_dir(), g->profile);
    if (g->profile[0])
        tsr_profile_load(path, &profile, NULL);
    /* PoCL names its CPU device "pthread-..." or "cpu-..."; others say CPU. */
    bool cpu = strncmp(name, "pthread-", 8) == 0 || strncmp(name, "cpu-", 4) == 0 ||
               strstr(name, "CPU") != NULL;
    char units[32] = "0", clock[32] = "0";
    if (profile) {
        snprintf(units, sizeof units, "%.0f", tsr_profile_value(&profile->compute_units, 0));
        snprintf(clock, sizeof clock, "%.0f", tsr_profile_value(&profile->clock_boost_mhz, 0));
    }
    json_object_set_new(root, "clblast_device_type", json_string(cpu ? "CPU" : "GPU"));
    json_object_set_new(root, "clblast_device_vendor", json_string(vendor));
    json_object_set_new(root, "clblast_device_architecture",
                        json_string(profile && profile->arch ? profile->arch : ""));
    json_object_set_new(root, "clblast_device_name", json_string(name));
    json_object_set_new(root, "device", json_string(name));
    json_object_set_new(root, "platform_vendor", json_string(vendor));
    json_object_set_new(root, "platform_version", json_string(""));
    json_object_set_new(root, "device_vendor", json_string(vendor));
    json_object_set_new(root, "device_type", json_string(cpu ? "CPU" : "GPU"));
    json_object_set_new(root, "device_core_clock", json_string(clock));
    json_object_set_new(root, "device_compute_units", json_string(units));
    json_object_set_new(root, "device_extra_info", json_string(""));
    tsr_profile_free(profile);
}

static tsr_status flush(writer *w)
{
    if (!w->open)
        return TSR_OK;
    group *g = &w->g;
    w->open = false;
    json_t *root = NULL;
    char file[512], spec[96], shape[160];
    sanitize(spec, sizeof spec, g->spec_name);
    sanitize(shape, sizeof shape, g->shape);
    if (w->format == TSR_INTEROP_T4) {
        root = json_pack("{s:s, s:o, s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "schema_version", "1.0.0",
                         "results", g->results, "metadata", "tool", "tessera", "op_key", g->op_key,
                         "spec_name", g->spec_name, "device", g->device, "shape", g->shape,
                         "profile", g->profile);
        snprintf(file, sizeof file, "%03d_%s_%s.t4.json", w->summary->files, spec, shape);
    } else {
        if (g->count == 0) {
            json_decref(g->results);
            return TSR_OK;
        }
        char best_time[32], m[32] = "0", n[32] = "0", k[32] = "0";
        snprintf(best_time, sizeof best_time, "%.3f", g->best_time);
        sscanf(g->shape, "m=%31[0-9],n=%31[0-9],k=%31[0-9]", m, n, k);
        root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kernel_family",
                         "xgemm_1", "precision", "32", "best_kernel", "Xgemm", "best_time",
                         best_time, "best_parameters", g->best_params, "arg_m", m, "arg_n", n,
                         "arg_k", k, "arg_alpha", "1.00", "arg_beta",
                         strstr(g->op_key, "beta=1") ? "1.00" : "0.00");
        if (root) {
            clblast_device(root, g);
            json_object_set_new(root, "results", g->results);
        }
        snprintf(file, sizeof file, "clblast_xgemm_1_32_%03d_%s.json", w->summary->files, shape);
    }
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!text)
        return tsr_fail(w->err, TSR_ERR_NOMEM, "out of memory writing %s", file);
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps' buffer has room for the NUL we overwrite */
    tsr_status st = tsr_write_file_atomic(w->dir, file, text, len + 1, w->err);
    free(text);
    if (st == TSR_OK)
        w->summary->files++;
    return st;
}

static tsr_status visit(void *ctx, const tsr_result *r)
{
    writer *w = ctx;
    group *g = &w->g;
    if (r->outcome == TSR_OUTCOME_PREDICTED)
        return TSR_OK; /* both formats are of measurements; a prediction is none */
    bool same = w->open && strcmp(g->op_key, r->op_key) == 0 && strcmp(g->device, r->device) == 0 &&
                strcmp(g->shape, r->shape) == 0;
    if (!same) {
        TSR_TRY(flush(w));
        memset(g, 0, sizeof *g);
        snprintf(g->op_key, sizeof g->op_key, "%s", r->op_key);
        snprintf(g->device, sizeof g->device, "%s", r->device);
        snprintf(g->shape, sizeof g->shape, "%s", r->shape);
        snprintf(g->spec_name, sizeof g->spec_name, "%s", r->spec_name ? r->spec_name : "");
        snprintf(g->profile, sizeof g->profile, "%s", r->profile ? r->profile : "");
        g->results = json_array();
        w->open = true;
    }
    if (w->format == TSR_INTEROP_T4) {
        json_array_append_new(g->results, t4_result(r));
        g->count++;
        w->summary->results++;
        return TSR_OK;
    }
    /* CLBlast: verified f32 GEMM results of OpenCL devices only. */
    if (r->outcome != TSR_OUTCOME_OK || strncmp(r->op_key, "gemm.f32.", 9) != 0 ||
        strncmp(r->device, "opencl|", 7) != 0)
        return TSR_OK;
    char params[320];
    if (!tsr_interop_clblast_params(r->config, params, sizeof params)) {
        w->summary->unmapped++;
        return TSR_OK;
    }
    json_array_append_new(g->results,
                          json_pack("{s:s, s:f, s:o}", "kernel", "Xgemm", "time", r->time_ms,
                                    "parameters", clblast_parameters(params)));
    if (g->count == 0 || r->time_ms < g->best_time) {
        g->best_time = r->time_ms;
        snprintf(g->best_params, sizeof g->best_params, "%s", params);
    }
    g->count++;
    w->summary->results++;
    return TSR_OK;
}

tsr_status tsr_interop_export(tsr_store *store, tsr_interop_format format, const char *device,
                              const char *dir, tsr_interop_summary *summary, tsr_error *err)
{
    *summary = (tsr_interop_summary){0};
    TSR_TRY(tsr_make_dirs(dir, err));
    writer w = {.format = format, .dir = dir, .summary = summary, .err = err};
    tsr_status st = tsr_store_each_result(store, device, visit, &w, err);
    if (st == TSR_OK)
        st = flush(&w);
    else if (w.open)
        json_decref(w.g.results);
    return st;
}
