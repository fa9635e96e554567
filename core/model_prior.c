/* Training rows from the store (see model_prior.h). */
#include "core/model_prior.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cost_model.h"

enum { MAX_PROFILES = 32 };

typedef struct gather {
    const tsr_opspec *spec;
    const char *op_key;
    const tsr_profile *profile;
    tsr_model_rows *rows;
    /* Profiles read by name; a NULL profile remembers a name that failed. */
    char names[MAX_PROFILES][64];
    tsr_profile *loaded[MAX_PROFILES];
    int n_loaded;
} gather;

static const tsr_profile *profile_named(gather *g, const char *name)
{
    if (!name)
        return NULL;
    if (strcmp(name, g->profile->name) == 0)
        return g->profile;
    for (int i = 0; i < g->n_loaded; i++)
        if (strcmp(g->names[i], name) == 0)
            return g->loaded[i];
    if (g->n_loaded == MAX_PROFILES || strlen(name) >= sizeof g->names[0] || strchr(name, '/'))
        return NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.yaml", tsr_default_profiles_dir(), name);
    tsr_profile *p = NULL;
    if (tsr_profile_load(path, &p, NULL) != TSR_OK)
        p = NULL;
    snprintf(g->names[g->n_loaded], sizeof g->names[0], "%s", name);
    g->loaded[g->n_loaded++] = p;
    return p;
}

bool tsr_model_rows_reserve(tsr_model_rows *r, int need)
{
    if (need <= r->cap)
        return true;
    int cap = r->cap ? r->cap : 256;
    while (cap < need)
        cap *= 2;
    float *x = realloc(r->x, (size_t)cap * (size_t)r->cols * sizeof *x);
    if (x)
        r->x = x;
    float *y = realloc(r->y, (size_t)cap * sizeof *y);
    if (y)
        r->y = y;
    float *base = realloc(r->base, (size_t)cap * sizeof *base);
    if (base)
        r->base = base;
    if (!x || !y || !base)
        return false;
    r->cap = cap;
    return true;
}

static tsr_status add_row(void *ctx, const tsr_result *r)
{
    gather *g = ctx;
    if (r->outcome != TSR_OUTCOME_OK || !(r->gflops > 0) || strcmp(r->op_key, g->op_key) != 0)
        return TSR_OK;
    const tsr_op_def *op = g->spec->op;
    tsr_config config;
    tsr_config_default(op, &config);
    tsr_shape shape;
    if (tsr_config_parse(op, r->config, &config, NULL) != TSR_OK ||
        tsr_shape_parse(op, r->shape, &shape, NULL) != TSR_OK)
        return TSR_OK;
    const tsr_profile *profile = profile_named(g, r->profile);
    if (!profile)
        return TSR_OK;
    tsr_model_rows *rows = g->rows;
    if (!tsr_model_rows_reserve(rows, rows->rows + 1))
        return TSR_ERR_NOMEM;
    float *x = &rows->x[(size_t)rows->rows * (size_t)rows->cols];
    tsr_model_features(g->spec, profile, &shape, &config, NULL, x);
    rows->base[rows->rows] = tsr_model_base(g->spec, &shape, x);
    rows->y[rows->rows++] = (float)log2(r->gflops);
    return TSR_OK;
}

tsr_status tsr_model_rows_from_store(tsr_store *store, const tsr_opspec *spec,
                                     const tsr_profile *profile, tsr_model_rows *out,
                                     tsr_error *err)
{
    memset(out, 0, sizeof *out);
    out->cols = tsr_model_feature_count(spec->op);
    gather g = {.spec = spec, .op_key = tsr_opspec_key(spec), .profile = profile, .rows = out};
    tsr_status st = tsr_store_each_result(store, NULL, add_row, &g, err);
    if (st == TSR_ERR_NOMEM)
        st = tsr_fail(err, st, "out of memory reading the store's results for the cost model");
    for (int i = 0; i < g.n_loaded; i++)
        tsr_profile_free(g.loaded[i]);
    if (st != TSR_OK)
        tsr_model_rows_free(out);
    return st;
}

void tsr_model_rows_free(tsr_model_rows *rows)
{
    free(rows->x);
    free(rows->y);
    free(rows->base);
    memset(rows, 0, sizeof *rows);
}
