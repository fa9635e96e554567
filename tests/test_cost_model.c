/* The cost models against measurements: the analytic model of GEMM
 * (core/ops/gemm_model.c) must rank kernels measured on an H200 and on PoCL
 * (the tables in tests/data) in about the order they ran, and the learned model
 * (core/cost_model.c) trained on one shape's measurements must rank another
 * shape's; plus the features' basic promises. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_profile.h"
#include "core/cost_model.h"
#include "core/opspec.h"
#include "core/profile.h"

enum { MAX_ROWS = 1024 };
/* The f16 table's floor: 0.63 before copies weighed their address
 * arithmetic in the matrix unit's issue, 0.67 after. */
#define HGEMM_SPEARMAN 0.5
/* The tf32 tables': 0.34 (row-major B) and 0.52 (a linear layer's K-major
 * pair) when they were measured. */
#define TF32_SPEARMAN 0.25

typedef struct table {
    tsr_config configs[MAX_ROWS];
    double ms[MAX_ROWS];
    int count;
} table;

static tsr_opspec *spec;

static bool read_table_of(const tsr_opspec *of, const char *name, table *t)
{
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/tests/data/%s", check_source_root(), name);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot read %s", path);
    if (!f)
        return false;
    t->count = 0;
    while (fgets(line, sizeof line, f) && t->count < MAX_ROWS) {
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab)
            continue;
        *tab = '\0';
        tsr_config_default(of->op, &t->configs[t->count]);
        tsr_error err = {{0}};
        CHECK_MSG(tsr_config_parse(of->op, line, &t->configs[t->count], &err) == TSR_OK, "%s",
                  err.msg);
        t->ms[t->count++] = strtod(tab + 1, NULL);
    }
    fclose(f);
    return t->count > 0;
}

static bool read_table(const char *name, table *t)
{
    return read_table_of(spec, name, t);
}

static int by_value(const void *a, const void *b, const double *v)
{
    double x = v[*(const int *)a], y = v[*(const int *)b];
    return (x > y) - (x < y);
}

static const double *sort_values;
static int compare_ranked(const void *a, const void *b)
{
    return by_value(a, b, sort_values);
}

static void ranks(const double *v, int n, double *rank)
{
    int *order = malloc((size_t)n * sizeof *order);
    for (int i = 0; i < n; i++)
        order[i] = i;
    sort_values = v;
    qsort(order, (size_t)n, sizeof *order, compare_ranked);
    for (int r = 0; r < n; r++)
        rank[order[r]] = r;
    free(order);
}

/* Spearman's rank correlation: 1 for the same order, 0 for none. */
static double spearman(const double *a, const double *b, int n)
{
    double *ra = malloc((size_t)n * sizeof *ra), *rb = malloc((size_t)n * sizeof *rb);
    ranks(a, n, ra);
    ranks(b, n, rb);
    double d = 0;
    for (int i = 0; i < n; i++)
        d += (ra[i] - rb[i]) * (ra[i] - rb[i]);
    free(ra);
    free(rb);
    return 1.0 - 6.0 * d / ((double)n * ((double)n * n - 1));
}

/* The measured time of the config the estimate puts first, as a fraction
 * of the best measured: what choosing by the model alone would give. */
static double pick_quality(const double *estimate, const double *ms, int n)
{
    int pick = 0;
    double best = ms[0];
    for (int i = 0; i < n; i++) {
        if (estimate[i] < estimate[pick])
            pick = i;
        best = fmin(best, ms[i]);
    }
    return best / ms[pick];
}

static void analytic_ranks_of(const tsr_opspec *spec, const char *data, const char *profile_name,
                              long size, double min_spearman)
{
    static table t;
    tsr_profile *profile = check_repo_profile(profile_name);
    if (!profile || !read_table_of(spec, data, &t)) {
        tsr_profile_free(profile);
        return;
    }
    tsr_shape shape = {{size, size, size, 1}}; /* m, n, k, one problem */
    static double estimate[MAX_ROWS];
    double f[TSR_MAX_OP_FEATURES];
    for (int i = 0; i < t.count; i++) {
        spec->op->features(spec, profile, &shape, &t.configs[i], NULL, f);
        estimate[i] = f[spec->op->n_features - 1];
    }
    double rho = spearman(estimate, t.ms, t.count);
    printf("note analytic model on %s (%d kernels): Spearman %.2f, its first choice runs at %.2f "
           "of the best\n",
           data, t.count, rho, pick_quality(estimate, t.ms, t.count));
    CHECK_MSG(rho >= min_spearman, "%s: Spearman %.2f below %.2f", data, rho, min_spearman);
    tsr_profile_free(profile);
}

static void analytic_ranks(const char *data, const char *profile_name, long size,
                           double min_spearman)
{
    analytic_ranks_of(spec, data, profile_name, size, min_spearman);
}

static void the_analytic_model_ranks_h200_kernels(void)
{
    analytic_ranks("sgemm_h200_1024.tsv", "nvidia-h200", 1024, 0.35);
    analytic_ranks("sgemm_h200_4096.tsv", "nvidia-h200", 4096, 0.35);
}

/* Tables measured after the model's calibration, at its sizes and between
 * them: how it ranks kernels it was not fitted to. */
static void the_analytic_model_ranks_held_out_h200_kernels(void)
{
    analytic_ranks("sgemm_h200_1024_seed7.tsv", "nvidia-h200", 1024, 0.0);
    analytic_ranks("sgemm_h200_2048_seed7.tsv", "nvidia-h200", 2048, 0.0);
    analytic_ranks("sgemm_h200_3072_seed7.tsv", "nvidia-h200", 3072, 0.0);
}

/* f16 inputs: the matrix unit's configs beside the FMAs', from a tune of
 * its own. */
static void the_analytic_model_ranks_h200_half_kernels(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ops/hgemm.yaml", check_source_root());
    tsr_opspec *hgemm = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_load(path, &hgemm, &err) == TSR_OK, "%s", err.msg);
    if (hgemm)
        analytic_ranks_of(hgemm, "hgemm_h200_4096.tsv", "nvidia-h200", 4096, HGEMM_SPEARMAN);
    tsr_opspec_free(hgemm);
}

static void analytic_ranks_of_shipped(const char *spec_file, const char *data, double min)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ops/%s", check_source_root(), spec_file);
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_load(path, &spec, &err) == TSR_OK, "%s", err.msg);
    if (spec)
        analytic_ranks_of(spec, data, "nvidia-h200", 4096, min);
    tsr_opspec_free(spec);
}

/* f32 allowed to be multiplied as tf32: mma.sync m16n8k8's configs (most
 * of a model-guided tune's candidates) beside the threads' FMAs; and, for
 * K-major operands, wgmma m64nNk8's beside both. */
static void the_analytic_model_ranks_h200_tf32_kernels(void)
{
    analytic_ranks_of_shipped("sgemm-tf32.yaml", "sgemm_tf32_h200_4096.tsv", TF32_SPEARMAN);
    analytic_ranks_of_shipped("sgemm-nt-tf32.yaml", "sgemm_nt_tf32_h200_4096.tsv", TF32_SPEARMAN);
}

static void the_analytic_model_ranks_pocl_kernels(void)
{
    analytic_ranks("sgemm_pocl_1024.tsv", "pocl-cpu", 1024, 0.4);
}

/* Trained on n = 1024, it ranks n = 4096 on the same GPU: loosely (every
 * training row has the same shape, so it cannot learn what a larger one
 * favours), but its first choice is a good kernel. */
static void the_learned_model_carries_over_to_another_shape(void)
{
    static table train, test;
    tsr_profile *profile = check_repo_profile("nvidia-h200");
    if (!profile || !read_table("sgemm_h200_1024.tsv", &train) ||
        !read_table("sgemm_h200_4096.tsv", &test)) {
        tsr_profile_free(profile);
        return;
    }
    int cols = tsr_model_feature_count(spec->op);
    float *x = malloc((size_t)MAX_ROWS * (size_t)cols * sizeof *x);
    float *y = malloc((size_t)MAX_ROWS * sizeof *y);
    float *base = malloc((size_t)MAX_ROWS * sizeof *base);
    tsr_shape small = {{1024, 1024, 1024, 1}}, large = {{4096, 4096, 4096, 1}};
    for (int i = 0; i < train.count; i++) {
        tsr_model_features(spec, profile, &small, &train.configs[i], NULL, &x[(size_t)i * cols]);
        base[i] = tsr_model_base(spec, &small, &x[(size_t)i * cols]);
        y[i] = (float)log2(spec->op->flops(spec, &small) / (train.ms[i] * 1e6));
    }
    tsr_cost_model *model = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_cost_model_train(x, y, base, train.count, cols, 1, &model, &err) == TSR_OK, "%s",
              err.msg);
    for (int i = 0; i < test.count; i++) {
        tsr_model_features(spec, profile, &large, &test.configs[i], NULL, &x[(size_t)i * cols]);
        base[i] = tsr_model_base(spec, &large, &x[(size_t)i * cols]);
    }
    static double predicted_ms[MAX_ROWS];
    CHECK(model && tsr_cost_model_predict(model, x, base, test.count, y, &err) == TSR_OK);
    for (int i = 0; model && i < test.count; i++)
        predicted_ms[i] = spec->op->flops(spec, &large) / (exp2(y[i]) * 1e6);
    double rho = model ? spearman(predicted_ms, test.ms, test.count) : 0;
    double pick = model ? pick_quality(predicted_ms, test.ms, test.count) : 0;
    printf("note learned model, trained on 1024 (%d kernels), on 4096 (%d): Spearman %.2f, its "
           "first choice runs at %.2f of the best\n",
           train.count, test.count, rho, pick);
    CHECK_MSG(rho > 0 && pick >= 0.7, "Spearman %.2f, first choice at %.2f", rho, pick);
    tsr_cost_model_free(model);
    free(x);
    free(y);
    free(base);
    tsr_profile_free(profile);
}

/* The features are finite for every valid config; one that cannot fit on
 * a unit is estimated as slower than anything. */
static void features_are_finite_and_a_misfit_is_slowest(void)
{
    tsr_profile *profile = check_repo_profile("nvidia-h100-sxm");
    if (!profile)
        return;
    tsr_shape shape = {{300, 200, 100, 1}};
    tsr_config c;
    tsr_config_default(spec->op, &c);
    double f[TSR_MAX_OP_FEATURES];
    int n = spec->op->features(spec, profile, &shape, &c, NULL, f);
    CHECK(n == spec->op->n_features && n <= TSR_MAX_OP_FEATURES);
    for (int i = 0; i < n; i++)
        CHECK_MSG(isfinite(f[i]), "feature %s is %g", spec->op->feature_names[i], f[i]);
    double fits = f[n - 1];
    tsr_resource_report huge = {.ok = true, .registers = 255};
    /* 255 registers x 1024 threads exceed the 64K register file. */
    CHECK(tsr_config_parse(spec->op, "BM=128,BN=128,TM=4,TN=4", &c, NULL) == TSR_OK);
    spec->op->features(spec, profile, &shape, &c, &huge, f);
    CHECK_MSG(f[n - 1] > fits, "a misfit is estimated at 2^%g s", f[n - 1]);
    float v[TSR_MAX_MODEL_FEATURES];
    tsr_model_features(spec, profile, &shape, &c, NULL, v);
    for (int i = 0; i < tsr_model_feature_count(spec->op); i++)
        CHECK(isfinite(v[i]));
    tsr_profile_free(profile);
}

/* An op spec of ops/NAME.yaml; NULL (a failed check) when it cannot load. */
static tsr_opspec *load_spec(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ops/%s.yaml", check_source_root(), name);
    tsr_opspec *s = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_load(path, &s, &err) == TSR_OK, "%s", err.msg);
    return s;
}

/* log2 of the estimated seconds of `config_text` over the op's defaults
 * on shape `shape_text`, every feature finite. */
static double estimate_of(const tsr_opspec *s, const tsr_profile *p, const char *shape_text,
                          const char *config_text)
{
    tsr_shape shape;
    tsr_config c;
    tsr_error err = {{0}};
    tsr_config_default(s->op, &c);
    CHECK_MSG(tsr_shape_parse(s->op, shape_text, &shape, &err) == TSR_OK, "%s", err.msg);
    CHECK_MSG(tsr_config_parse(s->op, config_text, &c, &err) == TSR_OK, "%s", err.msg);
    CHECK_MSG(s->op->check(s, p, &c, &err) == TSR_OK, "%s %s: %s", s->op->name, config_text,
              err.msg);
    double f[TSR_MAX_OP_FEATURES];
    int n = s->op->features(s, p, &shape, &c, NULL, f);
    CHECK(n == s->op->n_features && n <= TSR_MAX_OP_FEATURES);
    for (int i = 0; i < n; i++)
        CHECK_MSG(isfinite(f[i]), "%s: feature %s is %g", s->op->name, s->op->feature_names[i],
                  f[i]);
    return f[n - 1];
}

/* Every op has an analytic model, so every op tunes offline and the model
 * strategy's first batch is the estimate's best. The memory-bound ops' see
 * their traffic: softmax's online form saves a pass; a transposing tile
 * padded against bank conflicts beats one whose cols collide; one row
 * alone, on one unit, is slower than the same bytes over many rows. */
static void every_op_has_a_model_and_memory_bound_ops_see_their_traffic(void)
{
    int count = 0;
    const tsr_op_def *const *ops = tsr_ops(&count);
    for (int i = 0; i < count; i++)
        CHECK_MSG(ops[i]->features && ops[i]->n_features > 0 && ops[i]->feature_names,
                  "%s has no analytic model", ops[i]->name);
    tsr_profile *h200 = check_repo_profile("nvidia-h200");
    tsr_opspec *softmax = load_spec("softmax"), *reduce = load_spec("reduce-sum");
    tsr_opspec *transpose = load_spec("transpose"), *rmsnorm = load_spec("rmsnorm");
    if (h200 && softmax && reduce && transpose && rmsnorm) {
        const char *big = "rows=8192,cols=8192";
        CHECK(estimate_of(softmax, h200, big, "WG=512,VW=4,SG=1,ONLINE=1") <
              estimate_of(softmax, h200, big, "WG=512,VW=4,SG=1,ONLINE=0"));
        CHECK(estimate_of(rmsnorm, h200, big, "WG=512,VW=4,SG=1") <
              estimate_of(softmax, h200, big, "WG=512,VW=4,SG=1,ONLINE=0"));
        CHECK(estimate_of(transpose, h200, "d0=4096,d1=4096", "TR=32,TC=32,WG=256,VW=4,PAD=1") <
              estimate_of(transpose, h200, "d0=4096,d1=4096", "TR=32,TC=32,WG=256,VW=4,PAD=0"));
        CHECK(estimate_of(reduce, h200, "rows=4096,cols=4096", "WG=1024,VW=4,SG=1") + 3 <
              estimate_of(reduce, h200, "rows=1,cols=16777216", "WG=1024,VW=4,SG=1"));
    }
    tsr_opspec_free(softmax);
    tsr_opspec_free(reduce);
    tsr_opspec_free(transpose);
    tsr_opspec_free(rmsnorm);
    tsr_profile_free(h200);
}

int main(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ops/sgemm.yaml", check_source_root());
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_load(path, &spec, &err) == TSR_OK, "%s", err.msg);
    if (!spec)
        return check_summary();
    RUN_TEST(features_are_finite_and_a_misfit_is_slowest);
    RUN_TEST(every_op_has_a_model_and_memory_bound_ops_see_their_traffic);
    RUN_TEST(the_analytic_model_ranks_h200_kernels);
    RUN_TEST(the_analytic_model_ranks_held_out_h200_kernels);
    RUN_TEST(the_analytic_model_ranks_h200_half_kernels);
    RUN_TEST(the_analytic_model_ranks_h200_tf32_kernels);
    RUN_TEST(the_analytic_model_ranks_pocl_kernels);
    RUN_TEST(the_learned_model_carries_over_to_another_shape);
    tsr_opspec_free(spec);
    return check_summary();
}
