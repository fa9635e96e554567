/* Offline tuning (see offline_tune.h). */
#include "runner/offline_tune.h"

#include <math.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/offline.h"
#include "core/cost_model.h"
#include "core/model_prior.h"
#include "core/space.h"
#include "runner/runner.h"

enum {
    DEFAULT_CANDIDATES = 16,
    CHUNK = 65536, /* configs featurised at once for the learned model */
    MIN_ROWS = 32, /* measurements the learned model needs */
};

typedef struct ranked {
    double score; /* lower is better: estimated log2 seconds */
    int index;
} ranked;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tsr_offline_device(const tsr_profile *p, char *out, size_t size)
{
    if (p->offline_compiler && p->offline_target)
        snprintf(out, size, "offline|%s|%s|%s %s", p->vendor ? p->vendor : "", p->name,
                 p->offline_compiler, p->offline_target);
    else
        snprintf(out, size, "offline|%s|%s|model", p->vendor ? p->vendor : "", p->name);
}

tsr_status tsr_offline_report(tsr_store *store, const tsr_opspec *spec, const tsr_profile *profile,
                              const char *config_text, const char *compiler, const char *target,
                              const char *source, const char *kernel_name, int threads_per_block,
                              long dynamic_shared, bool fresh, tsr_resource_report *out,
                              int *blocks, char created[32], bool *from_store, tsr_error *err)
{
    char sha[SHA256_DIGEST_STRING_LENGTH], compiler_id[320];
    SHA256Data((const uint8_t *)source, strlen(source), sha);
    TSR_TRY(tsr_offline_compiler_id(compiler, compiler_id, sizeof compiler_id, err));
    tsr_report_key key = {.op_key = tsr_opspec_key(spec),
                          .profile = profile->name,
                          .config = config_text,
                          .compiler = compiler,
                          .target = target,
                          .source_sha256 = sha,
                          .compiler_id = compiler_id};
    *from_store = false;
    *blocks = -1;
    created[0] = '\0';
    if (!fresh)
        TSR_TRY(tsr_store_get_report(store, &key, out, blocks, created, from_store, err));
    if (*from_store)
        return TSR_OK;
    TSR_TRY(tsr_offline_compile(compiler, target, source, kernel_name,
                                tsr_offline_dialect(compiler), out, err));
    /* The compiler's own description of itself, now that it ran. */
    key.compiler_id = out->compiler_id;
    *blocks = tsr_offline_occupancy(profile, out, threads_per_block, dynamic_shared);
    return tsr_store_put_report(store, &key, out, out->registers > 0 ? *blocks : -1, err);
}

/* Keeps the `keep` lowest scores seen (an insertion into a short sorted
 * array: keep is a few dozen). */
static void consider(ranked *best, int *n, int keep, double score, int index)
{
    if (*n == keep && score >= best[keep - 1].score)
        return;
    int at = *n < keep ? (*n)++ : keep - 1;
    while (at > 0 && best[at - 1].score > score) {
        best[at] = best[at - 1];
        at--;
    }
    best[at] = (ranked){score, index};
}

/* Estimated log2 seconds of every config by the op's analytic model. */
static void rank_analytic(const tsr_opspec *spec, const tsr_profile *profile,
                          const tsr_shape *shape, const tsr_search_space *space, ranked *best,
                          int *n, int keep)
{
    const tsr_op_def *op = spec->op;
    double f[TSR_MAX_OP_FEATURES];
    for (int i = 0; i < space->count; i++) {
        op->features(spec, profile, shape, &space->configs[i], NULL, f);
        consider(best, n, keep, f[op->n_features - 1], i);
    }
}

/* The same by the learned model: it predicts log2 GFLOP/s. */
static tsr_status rank_learned(const tsr_opspec *spec, const tsr_profile *profile,
                               const tsr_shape *shape, const tsr_search_space *space,
                               const tsr_model_rows *rows, ranked *best, int *n, int keep,
                               tsr_error *err)
{
    tsr_cost_model *model = NULL;
    TSR_TRY(
        tsr_cost_model_train(rows->x, rows->y, rows->base, rows->rows, rows->cols, 1, &model, err));
    float *x = malloc((size_t)CHUNK * (size_t)rows->cols * sizeof *x);
    float *y = malloc((size_t)CHUNK * sizeof *y);
    float *base = malloc((size_t)CHUNK * sizeof *base);
    tsr_status st = x && y && base ? TSR_OK : tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    double log2_flops = log2(spec->op->flops(spec, shape) * 1e-9);
    for (int start = 0; st == TSR_OK && start < space->count; start += CHUNK) {
        int count = space->count - start < CHUNK ? space->count - start : CHUNK;
        for (int k = 0; k < count; k++) {
            float *row = &x[(size_t)k * (size_t)rows->cols];
            tsr_model_features(spec, profile, shape, &space->configs[start + k], NULL, row);
            base[k] = tsr_model_base(spec, shape, row);
        }
        st = tsr_cost_model_predict(model, x, base, count, y, err);
        for (int k = 0; st == TSR_OK && k < count; k++)
            consider(best, n, keep, log2_flops - y[k], start + k); /* log2 seconds */
    }
    free(x);
    free(y);
    free(base);
    tsr_cost_model_free(model);
    return st;
}

static const char *dialect_of(const tsr_profile *p)
{
    if (p->offline_compiler)
        return tsr_offline_dialect(p->offline_compiler);
    if (p->backends & TSR_BACKEND_CUDA)
        return "cuda";
    if (p->backends & TSR_BACKEND_HIP)
        return "hip";
    return "opencl";
}

static int threads_of(const tsr_kernel_text *text)
{
    int threads = 1;
    for (int a = 0; a < text->rule.dims; a++)
        threads *= (int)text->rule.local[a];
    return threads;
}

/* One ranked candidate: generated, compiled (or its report taken from the
 * store), re-estimated, stored. */
static tsr_status predict_one(tsr_store *store, const tsr_opspec *spec, const tsr_profile *profile,
                              const tsr_shape *shape, const tsr_config *config, double learned_s,
                              tsr_offline_tune_summary *s, tsr_arena *arena, tsr_result *r,
                              bool *from_store, tsr_error *err)
{
    const tsr_op_def *op = spec->op;
    char config_text[512], shape_text[256];
    tsr_config_format(op, config, config_text, sizeof config_text);
    tsr_shape_format(op, shape, shape_text, sizeof shape_text);
    const char *op_key = tsr_opspec_key(spec);
    TSR_TRY(tsr_store_get(store, arena, op_key, s->device, shape_text, config_text, r, from_store,
                          err));
    if (*from_store)
        return TSR_OK;
    tsr_kernel_text text;
    TSR_TRY(tsr_kernel_generate(spec, profile, config, dialect_of(profile), &text, err));
    memset(r, 0, sizeof *r);
    r->op_key = op_key;
    r->op = op->name;
    r->spec_name = spec->name;
    r->device = s->device;
    r->profile = profile->name;
    r->shape = tsr_arena_strdup(arena, shape_text);
    r->config = tsr_arena_strdup(arena, config_text);
    r->kernel_name = tsr_arena_strdup(arena, text.kernel_name);
    r->source = tsr_arena_strdup(arena, text.source);
    r->language = text.language;
    r->geometry = tsr_arena_strdup(arena, text.geometry);
    r->args = tsr_arena_strdup(arena, text.args);
    r->max_error = NAN;
    tsr_resource_report report = {0};
    bool have_report = false, cached = false;
    int blocks = -1;
    char created[32];
    tsr_status st = TSR_OK;
    if (s->compiler[0]) {
        st = tsr_offline_report(store, spec, profile, config_text, s->compiler, s->target,
                                text.source, text.kernel_name, threads_of(&text),
                                (long)text.rule.shared_bytes, false, &report, &blocks, created,
                                &cached, err);
        have_report = st == TSR_OK;
        s->compiled += have_report && !cached;
    }
    size_t rule_shared = text.rule.shared_bytes;
    tsr_kernel_text_free(&text);
    if (st != TSR_OK)
        return st;
    char reason[512];
    if (have_report && !report.ok) {
        r->outcome = TSR_OUTCOME_BUILD_FAILED;
        snprintf(reason, sizeof reason, "%s %s rejected it: %.400s", s->compiler, s->target,
                 report.log);
    } else {
        double f[TSR_MAX_OP_FEATURES];
        op->features(spec, profile, shape, config, have_report ? &report : NULL, f);
        double seconds = exp2(f[op->n_features - 1]);
        if (learned_s > 0) /* the learned model's time, with the spill penalty */
            seconds = learned_s * (have_report && report.spill_bytes > 0 ? 2 : 1);
        r->outcome = isfinite(seconds) ? TSR_OUTCOME_PREDICTED : TSR_OUTCOME_INVALID;
        r->time_ms = isfinite(seconds) ? seconds * 1e3 : 0;
        r->gflops = r->time_ms > 0 ? op->flops(spec, shape) / (r->time_ms * 1e6) : 0;
        if (have_report)
            snprintf(reason, sizeof reason,
                     "predicted by the %s model of %s with %s %s's report: %d registers, %ld "
                     "spill bytes, %ld shared bytes (%ld static)",
                     learned_s > 0 ? "learned" : "analytic", profile->name, s->compiler, s->target,
                     report.registers, report.spill_bytes, report.shared_bytes + (long)rule_shared,
                     report.shared_bytes);
        else
            snprintf(reason, sizeof reason, "predicted by the %s model of %s (no compiler report)",
                     learned_s > 0 ? "learned" : "analytic", profile->name);
        if (!isfinite(seconds))
            snprintf(reason, sizeof reason, "does not fit on a compute unit of %s", profile->name);
    }
    r->reason = tsr_arena_strdup(arena, reason);
    if (!r->shape || !r->config || !r->kernel_name || !r->source || !r->geometry || !r->args ||
        !r->reason)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    return tsr_store_put(store, r, err);
}

static void keep_best(tsr_arena *arena, const tsr_result *r, tsr_offline_tune_summary *s)
{
    if (r->outcome != TSR_OUTCOME_PREDICTED || (s->found && r->time_ms >= s->best.time_ms))
        return;
    s->best = *r;
    const char **texts[] = {&s->best.op_key, &s->best.op,       &s->best.spec_name,
                            &s->best.device, &s->best.profile,  &s->best.shape,
                            &s->best.config, &s->best.reason,   &s->best.kernel_name,
                            &s->best.source, &s->best.language, &s->best.geometry,
                            &s->best.args,   &s->best.created};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        *texts[i] = *texts[i] ? tsr_arena_strdup(arena, *texts[i]) : NULL;
    s->found = true;
}

/* The profile as its offline target compiles for it: a copy (in `arena`,
 * sharing the rest) without the matrix units the target lacks, so that no
 * candidate needs a unit its stand-in compiler cannot spell. NULL when out
 * of memory. */
static const tsr_profile *as_compiled(const tsr_profile *profile, tsr_arena *arena)
{
    tsr_profile *copy = TSR_ARENA_NEW(arena, tsr_profile);
    tsr_matrix_unit *units = profile->n_matrix_units
                                 ? TSR_ARENA_ARRAY(arena, tsr_matrix_unit, profile->n_matrix_units)
                                 : NULL;
    if (!copy || (profile->n_matrix_units && !units))
        return NULL;
    *copy = *profile;
    copy->matrix_units = units;
    copy->n_matrix_units = 0;
    for (size_t i = 0; i < profile->n_matrix_units; i++)
        if (tsr_offline_target_has_unit(profile->offline_compiler, profile->offline_target,
                                        profile->matrix_units[i].kind))
            units[copy->n_matrix_units++] = profile->matrix_units[i];
    return copy;
}

tsr_status tsr_offline_tune(tsr_store *store, const tsr_opspec *spec, const tsr_profile *profile,
                            const tsr_shape *shape, const tsr_offline_tune_options *options,
                            tsr_arena *arena, tsr_offline_tune_summary *s, tsr_error *err)
{
    memset(s, 0, sizeof *s);
    double start = now_s();
    const tsr_op_def *op = spec->op;
    if (!op->features)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "op %s has no analytic model yet: it can only be tuned on a device",
                        op->name);
    tsr_offline_device(profile, s->device, sizeof s->device);
    if (!(profile = as_compiled(profile, arena)))
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    if (profile->offline_compiler && profile->offline_target) {
        snprintf(s->compiler, sizeof s->compiler, "%s", profile->offline_compiler);
        snprintf(s->target, sizeof s->target, "%s", profile->offline_target);
        char id[320]; /* a missing compiler is said before any work */
        TSR_TRY(tsr_offline_compiler_id(s->compiler, id, sizeof id, err));
    }
    tsr_search_space space;
    TSR_TRY(tsr_space_build(arena, spec, profile, &space, err));
    s->space_size = space.count;
    int candidates = options->candidates > 0 ? options->candidates : DEFAULT_CANDIDATES;
    if (candidates > space.count)
        candidates = space.count;
    ranked *best = TSR_ARENA_ARRAY(arena, ranked, candidates);
    if (!best)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    int n = 0;
    if (options->learned) {
        tsr_model_rows rows;
        TSR_TRY(tsr_model_rows_from_store(store, spec, profile, &rows, err));
        tsr_status st = TSR_OK;
        if (rows.rows < MIN_ROWS)
            st = tsr_fail(err, TSR_ERR_NOT_FOUND,
                          "the learned model needs %d measurements of %s in the store, which "
                          "holds %d; tune on a device first, or leave out --learned",
                          MIN_ROWS, op->name, rows.rows);
        else
            st = rank_learned(spec, profile, shape, &space, &rows, best, &n, candidates, err);
        s->model_rows = rows.rows;
        tsr_model_rows_free(&rows);
        TSR_TRY(st);
    } else {
        rank_analytic(spec, profile, shape, &space, best, &n, candidates);
    }
    for (int k = 0; k < n; k++) {
        tsr_arena *scratch = tsr_arena_create();
        if (!scratch)
            return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
        tsr_result r;
        bool from_store = false;
        double learned_s = options->learned ? exp2(best[k].score) : 0;
        tsr_status st = predict_one(store, spec, profile, shape, &space.configs[best[k].index],
                                    learned_s, s, scratch, &r, &from_store, err);
        if (st == TSR_OK) {
            s->outcomes[r.outcome]++;
            keep_best(arena, &r, s);
            if (options->progress)
                options->progress(options->progress_ctx, k + 1, n, &r, from_store);
        }
        tsr_arena_destroy(scratch);
        TSR_TRY(st);
    }
    s->seconds = now_s() - start;
    return TSR_OK;
}
