/* The learned cost model (see cost_model.h) over XGBoost's C API. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <xgboost/c_api.h>

#include "core/cost_model.h"

/* Few and shallow trees: the tuner retrains after every handful of
 * measurements on at most some thousands of rows, and must stay far
 * cheaper than one kernel evaluation. */
#define ROUNDS 60
#define DEPTH "6"

struct tsr_cost_model {
    BoosterHandle booster;
    int cols;
};

int tsr_model_feature_count(const tsr_op_def *op)
{
    return op->n_params + op->n_dims + (op->features ? op->n_features : 0) + TSR_PROFILE_FEATURES;
}

static float log2_or_zero(double v)
{
    return v > 0 ? (float)log2(v) : 0.0f;
}

void tsr_model_features(const tsr_opspec *spec, const tsr_profile *profile, const tsr_shape *shape,
                        const tsr_config *config, const tsr_resource_report *resources, float *out)
{
    const tsr_op_def *op = spec->op;
    int n = 0;
    for (int i = 0; i < op->n_params; i++)
        out[n++] = (float)config->value[i];
    for (int d = 0; d < op->n_dims; d++)
        out[n++] = log2_or_zero((double)shape->dim[d]);
    if (op->features) {
        double derived[TSR_MAX_OP_FEATURES];
        int got = op->features(spec, profile, shape, config, resources, derived);
        for (int i = 0; i < op->n_features; i++)
            out[n++] = i < got && isfinite(derived[i]) ? (float)derived[i] : 0.0f;
    }
    out[n++] = log2_or_zero(tsr_profile_value(&profile->compute_units, 0));
    out[n++] = log2_or_zero(tsr_profile_value(&profile->peak_gflops[spec->dtype], 0));
    out[n++] = log2_or_zero(tsr_profile_value(&profile->bandwidth_gbs, 0));
    out[n++] = log2_or_zero(tsr_profile_value(&profile->shared_per_block, 0));
    out[n++] = (float)tsr_profile_value(&profile->simd_width, 0);
    out[n++] = (float)tsr_profile_value(&profile->preferred_vector_width, 0);
}

/* A misfit's estimate is "slower than anything"; its base stays finite. */
#define LOWEST_BASE (-10.0f)

float tsr_model_base(const tsr_opspec *spec, const tsr_shape *shape, const float *features)
{
    const tsr_op_def *op = spec->op;
    if (!op->features || op->n_features < 1)
        return 0.0f;
    float log2_seconds = features[op->n_params + op->n_dims + op->n_features - 1];
    double base = log2(op->flops(spec, shape) * 1e-9) - log2_seconds;
    return base > LOWEST_BASE ? (float)base : LOWEST_BASE;
}

static tsr_status xgb_fail(tsr_error *err, const char *what)
{
    return tsr_fail(err, TSR_ERR_BACKEND, "cost model: %s: %s", what, XGBGetLastError());
}

tsr_status tsr_cost_model_train(const float *x, const float *y, const float *base, int rows,
                                int cols, uint64_t seed, tsr_cost_model **out, tsr_error *err)
{
    *out = NULL;
    if (rows < 1 || cols < 1)
        return tsr_fail(err, TSR_ERR_INPUT, "cost model: nothing to train on");
    /* The trees learn what the base leaves over. */
    float *residual = malloc((size_t)rows * sizeof *residual);
    if (!residual)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    for (int i = 0; i < rows; i++)
        residual[i] = y[i] - (base ? base[i] : 0.0f);
    XGBSetGlobalConfig("{\"verbosity\": 0}");
    DMatrixHandle data = NULL;
    if (XGDMatrixCreateFromMat(x, (bst_ulong)rows, (bst_ulong)cols, NAN, &data) != 0) {
        free(residual);
        return xgb_fail(err, "building the training matrix");
    }
    tsr_cost_model *m = calloc(1, sizeof *m);
    tsr_status st = m ? TSR_OK : tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    if (st == TSR_OK && XGDMatrixSetFloatInfo(data, "label", residual, (bst_ulong)rows) != 0)
        st = xgb_fail(err, "setting the labels");
    free(residual);
    if (st == TSR_OK && XGBoosterCreate(&data, 1, &m->booster) != 0)
        st = xgb_fail(err, "creating the booster");
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%u", (unsigned)(seed & 0x7fffffff));
    const char *params[][2] = {
        {"objective", "reg:squarederror"},
        {"max_depth", DEPTH},
        {"eta", "0.2"},
        {"subsample", "0.9"},
        {"min_child_weight", "1"},
        {"nthread", "1"}, /* deterministic, and the device may be this CPU */
        {"seed", seed_text},
    };
    for (size_t i = 0; st == TSR_OK && i < sizeof params / sizeof params[0]; i++)
        if (XGBoosterSetParam(m->booster, params[i][0], params[i][1]) != 0)
            st = xgb_fail(err, "setting a parameter");
    for (int round = 0; st == TSR_OK && round < ROUNDS; round++)
        if (XGBoosterUpdateOneIter(m->booster, round, data) != 0)
            st = xgb_fail(err, "training");
    XGDMatrixFree(data);
    if (st != TSR_OK) {
        tsr_cost_model_free(m);
        return st;
    }
    m->cols = cols;
    *out = m;
    return TSR_OK;
}

tsr_status tsr_cost_model_predict(const tsr_cost_model *m, const float *x, const float *base,
                                  int rows, float *out, tsr_error *err)
{
    DMatrixHandle data = NULL;
    if (XGDMatrixCreateFromMat(x, (bst_ulong)rows, (bst_ulong)m->cols, NAN, &data) != 0)
        return xgb_fail(err, "building the matrix to predict");
    bst_ulong len = 0;
    const float *result = NULL;
    tsr_status st = TSR_OK;
    if (XGBoosterPredict(m->booster, data, 0, 0, 0, &len, &result) != 0)
        st = xgb_fail(err, "predicting");
    else if (len != (bst_ulong)rows)
        st = tsr_fail(err, TSR_ERR_BACKEND, "cost model: %lu predictions for %d rows",
                      (unsigned long)len, rows);
    else
        for (int i = 0; i < rows; i++)
            out[i] = result[i] + (base ? base[i] : 0.0f);
    XGDMatrixFree(data);
    return st;
}

void tsr_cost_model_free(tsr_cost_model *m)
{
    if (!m)
        return;
    if (m->booster)
        XGBoosterFree(m->booster);
    free(m);
}
