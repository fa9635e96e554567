/* Generated row reductions and norms on PoCL: a sample of configs that
 * holds every WG and every VW, with and without sub-groups (SG), must
 * verify on ragged shapes for every reduce kind, rmsnorm and layernorm,
 * and so must reductions that split long rows among groups (CHUNK) and
 * reductions along the middle axis (RT; CHUNK there too); and kernels that leave out eps,
 * gamma or beta, or reduce the wrong way or along the wrong axis, must
 * fail verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "runner/runner.h"
#include "tests/check.h"
#include "tests/check_pocl.h"

enum { N_SHAPES = 5, N_CONFIGS = 8 };

/* One element, a prime, a typical row, a row longer than any work-group
 * times vector width, and many short rows. */
static const tsr_shape shapes[N_SHAPES] = {
    {{1, 1, 1}}, {{3, 7, 1}}, {{37, 1000, 1}}, {{5, 4097, 1}}, {{129, 33, 1}}};
/* Every WG and every VW at least once. */
static const char *const configs[N_CONFIGS] = {"WG=8,VW=1",   "WG=16,VW=2",  "WG=32,VW=4",
                                               "WG=64,VW=8",  "WG=128,VW=1", "WG=256,VW=4",
                                               "WG=512,VW=2", "WG=1024,VW=8"};
/* The same through sub-groups (every WG but 1024, every VW). */
enum { N_SG_CONFIGS = 7 };
static const char *const sg_configs[N_SG_CONFIGS] = {
    "WG=8,VW=2,SG=1",   "WG=16,VW=1,SG=1",  "WG=32,VW=8,SG=1", "WG=64,VW=4,SG=1",
    "WG=128,VW=2,SG=1", "WG=256,VW=1,SG=1", "WG=512,VW=4,SG=1"};

static tsr_device *device;
static tsr_profile *profile;
/* pocl-cpu as a device with sub-groups would describe itself. PoCL 3.1 has
 * none (clinfo: no cl_khr_subgroups), so SG=1 kernels take the OpenCL
 * dialect's fallback, a sub-group per work-item: that runs the sub-group
 * combine's indexing, barriers and second pass, though not a shuffle. */
static tsr_profile with_subgroups;

/* A spec of `op` on `dtype` with its section (may be ""), shapes left to
 * the test. */
static tsr_opspec *typed_row_spec(const char *op, const char *dtype, const char *section)
{
    char text[256];
    snprintf(text, sizeof text,
             "schema: 1\nname: r\nop: %s\ndtype: %s\n%s\nshapes:\n  - {rows: 3, cols: 5}\n", op,
             dtype, section);
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("r.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    return spec;
}

static tsr_opspec *row_spec(const char *op, const char *section)
{
    return typed_row_spec(op, "f32", section);
}

/* Whether one config verifies on one shape; prints why not. */
static bool verifies(tsr_problem *problem, const tsr_profile *on, const tsr_opspec *spec,
                     const char *config_text, const tsr_shape *shape)
{
    tsr_config config;
    tsr_error err = {{0}};
    tsr_config_default(spec->op, &config);
    if (tsr_config_parse(spec->op, config_text, &config, &err) != TSR_OK) {
        fprintf(stderr, "  %s: %s\n", config_text, err.msg);
        return false;
    }
    char what[160];
    snprintf(what, sizeof what, "rows=%ld,cols=%ld,inner=%ld %s", shape->dim[0], shape->dim[1],
             shape->dim[2], config_text);
    return check_verifies(problem, on, spec, &config, what);
}

/* The first n_configs of `sample` on each of `on_shapes`, on profile `on`. */
static void check_sample(const tsr_profile *on, tsr_opspec *spec, const tsr_shape *on_shapes,
                         int n_shapes, const char *const *sample, int n_configs)
{
    int evaluated = 0, failed = 0;
    for (int i = 0; spec && i < n_shapes; i++) {
        tsr_problem *problem = NULL;
        tsr_error err = {{0}};
        if (tsr_problem_create(device, spec, &on_shapes[i], 11 + (uint64_t)i, &problem, &err) !=
            TSR_OK) {
            CHECK_MSG(false, "%s", err.msg);
            continue;
        }
        for (int c = 0; c < n_configs; c++, evaluated++)
            failed += !verifies(problem, on, spec, sample[c], &on_shapes[i]);
        tsr_problem_free(problem);
    }
    printf("     %s: %d evaluations, %d not ok\n", spec ? tsr_opspec_key(spec) : "no spec",
           evaluated, failed);
    CHECK(spec && evaluated == n_configs * n_shapes && failed == 0);
    tsr_opspec_free(spec);
}

static void check_spec_on(const tsr_profile *on, const char *op, const char *section,
                          const char *const *sample, int n_configs)
{
    check_sample(on, row_spec(op, section), shapes, N_SHAPES, sample, n_configs);
}

static void check_spec(const char *op, const char *section, int n_configs)
{
    check_spec_on(profile, op, section, configs, n_configs);
}

static void every_reduce_kind_verifies_on_ragged_shapes(void)
{
    check_spec("reduce", "reduce: {kind: sum}", N_CONFIGS);
    check_spec("reduce", "reduce: {kind: max}", N_CONFIGS);
    check_spec("reduce", "reduce: {kind: mean}", N_CONFIGS);
    check_spec("reduce", "reduce: {kind: l2}", N_CONFIGS);
}

static void rmsnorm_verifies_on_ragged_shapes(void)
{
    check_spec("rmsnorm", "rmsnorm: {eps: 1e-6}", N_CONFIGS);
}

static void layernorm_verifies_on_ragged_shapes(void)
{
    check_spec("layernorm", "", N_CONFIGS);
}

static void sub_group_configs_verify_for_every_reduce_kind_and_norm(void)
{
    static const char *const sections[][2] = {
        {"reduce", "reduce: {kind: sum}"},   {"reduce", "reduce: {kind: max}"},
        {"reduce", "reduce: {kind: mean}"},  {"reduce", "reduce: {kind: l2}"},
        {"rmsnorm", "rmsnorm: {eps: 1e-6}"}, {"layernorm", ""}};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        check_spec_on(&with_subgroups, sections[i][0], sections[i][1], sg_configs, N_SG_CONFIGS);
}

/* Long rows split among groups (CHUNK), which join their results through
 * the workspace: every kind, each row type, shapes from one element to
 * rows of many chunks with a ragged last one, with and without
 * sub-groups. */
static void split_rows_join_through_the_workspace(void)
{
    enum { N_SPLIT_SHAPES = 5, N_SPLIT_CONFIGS = 5 };
    static const tsr_shape split_shapes[N_SPLIT_SHAPES] = {
        {{1, 1, 1}}, {{5, 4097, 1}}, {{2, 70001, 1}}, {{37, 1000, 1}}, {{1, 262147, 1}}};
    static const char *const split_configs[N_SPLIT_CONFIGS] = {
        "WG=8,VW=1,CHUNK=4096", "WG=64,VW=8,CHUNK=4096", "WG=1024,VW=4,CHUNK=4096",
        "WG=256,VW=2,CHUNK=16384", "WG=64,VW=4,SG=1,CHUNK=65536"};
    static const char *const kinds[][2] = {{"f32", "reduce: {kind: sum}"},
                                           {"f16", "reduce: {kind: max}"},
                                           {"bf16", "reduce: {kind: mean}"},
                                           {"f32", "reduce: {kind: l2}"}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        check_sample(&with_subgroups, typed_row_spec("reduce", kinds[i][0], kinds[i][1]),
                     split_shapes, N_SPLIT_SHAPES, split_configs, N_SPLIT_CONFIGS);
}

/* A spec along the middle axis, as typed_row_spec. */
static tsr_opspec *middle_spec(const char *dtype, const char *kind)
{
    char text[256];
    snprintf(text, sizeof text,
             "schema: 1\nname: r\nop: reduce\ndtype: %s\nreduce: {kind: %s, axis: middle}\n"
             "shapes:\n  - {rows: 3, cols: 5, inner: 7}\n",
             dtype, kind);
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("r.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    return spec;
}

/* Reductions along the middle axis (X rows x cols x inner): every kind and
 * element type, a sample that holds every WG, VW and RT, on shapes from
 * one element to inner dims that are no whole number of vectors or of
 * windows, reduced dims shorter than the runs, and many rows. */
static void middle_axis_reductions_verify_on_ragged_shapes(void)
{
    enum { N_MIDDLE_SHAPES = 6, N_MIDDLE_CONFIGS = 8 };
    static const tsr_shape middle_shapes[N_MIDDLE_SHAPES] = {
        {{1, 1, 1}}, {{3, 7, 5}}, {{2, 1000, 37}}, {{1, 4097, 3}}, {{5, 33, 129}}, {{4, 2, 1030}}};
    static const char *const middle_configs[N_MIDDLE_CONFIGS] = {
        "WG=8,VW=1,RT=1",    "WG=16,VW=2,RT=2",   "WG=32,VW=4,RT=4",  "WG=64,VW=8,RT=8",
        "WG=128,VW=1,RT=16", "WG=256,VW=4,RT=32", "WG=512,VW=2,RT=1", "WG=1024,VW=8,RT=4"};
    static const char *const kinds[][2] = {
        {"f32", "sum"}, {"f16", "max"}, {"bf16", "mean"}, {"f32", "l2"}, {"f32", "max"}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        check_sample(profile, middle_spec(kinds[i][0], kinds[i][1]), middle_shapes, N_MIDDLE_SHAPES,
                     middle_configs, N_MIDDLE_CONFIGS);
}

/* The middle axis's reduced rows split among groups (CHUNK), a window's
 * groups joining through the workspace: every kind, each element type,
 * one group a window up to many with a ragged last chunk, with and
 * without runs. */
static void middle_axis_splits_join_through_the_workspace(void)
{
    enum { N_SPLIT_SHAPES = 5, N_SPLIT_CONFIGS = 4 };
    static const tsr_shape split_shapes[N_SPLIT_SHAPES] = {
        {{1, 1, 1}}, {{2, 9000, 37}}, {{1, 70001, 3}}, {{3, 4096, 130}}, {{1, 262147, 2}}};
    static const char *const split_configs[N_SPLIT_CONFIGS] = {
        "WG=8,VW=1,CHUNK=4096", "WG=64,VW=2,RT=4,CHUNK=4096", "WG=1024,VW=8,RT=32,CHUNK=16384",
        "WG=256,VW=4,RT=8,CHUNK=65536"};
    static const char *const kinds[][2] = {
        {"f32", "sum"}, {"f16", "max"}, {"bf16", "mean"}, {"f32", "l2"}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        check_sample(profile, middle_spec(kinds[i][0], kinds[i][1]), split_shapes, N_SPLIT_SHAPES,
                     split_configs, N_SPLIT_CONFIGS);
}

/* ---- planted faults: one work-item a row, written by hand ---------------- */

/* The outcome of a planted kernel on `shape`. */
static tsr_outcome run_planted(const tsr_opspec *spec, const char *source, const tsr_shape *shape)
{
    tsr_problem *problem = NULL;
    tsr_arena *arena = tsr_arena_create();
    tsr_error err = {{0}};
    tsr_result r = {0};
    tsr_geometry geometry = {
        .dims = 1, .groups = {(size_t)shape->dim[0], 1, 1}, .local = {1, 1, 1}};
    tsr_eval_options options = {.min_runs = 1, .max_runs = 1};
    tsr_status st =
        arena ? tsr_problem_create(device, spec, shape, 9, &problem, &err) : TSR_ERR_NOMEM;
    if (st == TSR_OK)
        st = tsr_evaluate_source(problem, source, "planted", &geometry, &options, arena, &r, &err);
    CHECK_MSG(st == TSR_OK, "%s", err.msg);
    tsr_problem_free(problem);
    tsr_arena_destroy(arena);
    return st == TSR_OK ? r.outcome : TSR_OUTCOME_CRASHED;
}

#define CHECK_PLANTED(spec, source, shape, expected)                                               \
    do {                                                                                           \
        tsr_outcome got_ = run_planted((spec), (source), (shape));                                 \
        CHECK_MSG(got_ == (expected), "%s, expected %s", tsr_outcome_name(got_),                   \
                  tsr_outcome_name(expected));                                                     \
    } while (0)

/* rmsnorm by one work-item a row; `eps` and `gamma` are what the kernel
 * adds and multiplies by. */
static void planted_rmsnorm(char *buf, size_t size, const char *eps, const char *gamma)
{
    snprintf(buf, size,
             "__kernel void planted(__global const float *X, __global const float *gamma,\n"
             "                      __global float *Y, int rows, int cols, float eps)\n"
             "{\n"
             "    int row = get_global_id(0);\n"
             "    __global const float *x = X + row * cols;\n"
             "    float squares = 0.0f;\n"
             "    for (int c = 0; c < cols; c++)\n"
             "        squares += x[c] * x[c];\n"
             "    float scale = 1.0f / sqrt(squares / cols + %s);\n"
             "    for (int c = 0; c < cols; c++)\n"
             "        Y[row * cols + c] = x[c] * scale * %s;\n"
             "}\n",
             eps, gamma);
}

/* layernorm likewise; `beta` is what the kernel adds last. */
static void planted_layernorm(char *buf, size_t size, const char *eps, const char *beta)
{
    snprintf(buf, size,
             "__kernel void planted(__global const float *X, __global const float *gamma,\n"
             "                      __global const float *beta, __global float *Y, int rows,\n"
             "                      int cols, float eps)\n"
             "{\n"
             "    int row = get_global_id(0);\n"
             "    __global const float *x = X + row * cols;\n"
             "    float sum = 0.0f, squares = 0.0f;\n"
             "    for (int c = 0; c < cols; c++)\n"
             "        sum += x[c];\n"
             "    float mean = sum / cols;\n"
             "    for (int c = 0; c < cols; c++)\n"
             "        squares += (x[c] - mean) * (x[c] - mean);\n"
             "    float scale = 1.0f / sqrt(squares / cols + %s);\n"
             "    for (int c = 0; c < cols; c++)\n"
             "        Y[row * cols + c] = (x[c] - mean) * scale * gamma[c] + %s;\n"
             "}\n",
             eps, beta);
}

/* A large eps makes leaving it out visible above the rounding. */
static void verifier_catches_a_norm_without_eps_or_gamma(void)
{
    tsr_opspec *spec = row_spec("rmsnorm", "rmsnorm: {eps: 0.5}");
    const tsr_shape shape = {{7, 13, 1}};
    char source[2048];
    if (!spec)
        return;
    planted_rmsnorm(source, sizeof source, "eps", "gamma[c]");
    CHECK_PLANTED(spec, source, &shape, TSR_OUTCOME_OK); /* the harness itself is sound */
    planted_rmsnorm(source, sizeof source, "0.0f", "gamma[c]");
    CHECK_PLANTED(spec, source, &shape, TSR_OUTCOME_WRONG);
    planted_rmsnorm(source, sizeof source, "eps", "1.0f");
    CHECK_PLANTED(spec, source, &shape, TSR_OUTCOME_WRONG);
    tsr_opspec_free(spec);
}

static void verifier_catches_a_layernorm_without_eps_or_beta(void)
{
    tsr_opspec *spec = row_spec("layernorm", "layernorm: {eps: 0.5}");
    const tsr_shape shape = {{7, 13, 1}};
    char source[2048];
    if (!spec)
        return;
    planted_layernorm(source, sizeof source, "eps", "beta[c]");
    CHECK_PLANTED(spec, source, &shape, TSR_OUTCOME_OK);
    planted_layernorm(source, sizeof source, "0.0f", "beta[c]");
    CHECK_PLANTED(spec, source, &shape, TSR_OUTCOME_WRONG);
    planted_layernorm(source, sizeof source, "eps", "0.0f");
    CHECK_PLANTED(spec, source, &shape, TSR_OUTCOME_WRONG);
    tsr_opspec_free(spec);
}

/* A mean that forgets to divide is a sum: wrong for kind mean. */
static void verifier_catches_a_mean_that_is_a_sum(void)
{
    static const char format[] =
        "__kernel void planted(__global const float *X, __global float *Y, int rows, int cols)\n"
        "{\n"
        "    int row = get_global_id(0);\n"
        "    float sum = 0.0f;\n"
        "    for (int c = 0; c < cols; c++)\n"
        "        sum += X[row * cols + c];\n"
        "    Y[row] = sum%s;\n"
        "}\n";
    tsr_opspec *spec = row_spec("reduce", "reduce: {kind: mean}");
    const tsr_shape shape = {{7, 13, 1}};
    char source[1024];
    if (!spec)
        return;
    snprintf(source, sizeof source, format, " / cols");
    CHECK_PLANTED(spec, source, &shape, TSR_OUTCOME_OK);
    snprintf(source, sizeof source, format, "");
    CHECK_PLANTED(spec, source, &shape, TSR_OUTCOME_WRONG);
    tsr_opspec_free(spec);
}

/* Sums along the middle axis by one work-item a row of Y: right, and
 * wrong when it takes X as rows x inner x cols (the reduced axis last). */
static void verifier_catches_a_reduction_along_the_wrong_axis(void)
{
    static const char format[] =
        "__kernel void planted(__global const float *X, __global float *Y, int rows, int cols,\n"
        "                      int inner)\n"
        "{\n"
        "    int row = get_global_id(0);\n"
        "    for (int i = 0; i < inner; i++) {\n"
        "        float sum = 0.0f;\n"
        "        for (int c = 0; c < cols; c++)\n"
        "            sum += X[row * cols * inner + %s];\n"
        "        Y[row * inner + i] = sum;\n"
        "    }\n"
        "}\n";
    tsr_opspec *spec = middle_spec("f32", "sum");
    const tsr_shape shape = {{4, 6, 5}};
    char source[1024];
    if (!spec)
        return;
    snprintf(source, sizeof source, format, "c * inner + i");
    CHECK_PLANTED(spec, source, &shape, TSR_OUTCOME_OK);
    snprintf(source, sizeof source, format, "i * cols + c");
    CHECK_PLANTED(spec, source, &shape, TSR_OUTCOME_WRONG);
    tsr_opspec_free(spec);
}

int main(void)
{
    int opened = check_open_pocl(&device, &profile);
    if (opened >= 0)
        return opened;
    RUN_TEST(every_reduce_kind_verifies_on_ragged_shapes);
    RUN_TEST(rmsnorm_verifies_on_ragged_shapes);
    RUN_TEST(layernorm_verifies_on_ragged_shapes);
    with_subgroups = *profile; /* shares the loaded profile's strings */
    with_subgroups.features |= TSR_FEAT_SUBGROUP_SHUFFLE;
    with_subgroups.subgroup_sizes[0] =
        (tsr_quantity){8, "test: PoCL's preferred work-group multiple", true};
    RUN_TEST(sub_group_configs_verify_for_every_reduce_kind_and_norm);
    RUN_TEST(split_rows_join_through_the_workspace);
    RUN_TEST(middle_axis_reductions_verify_on_ragged_shapes);
    RUN_TEST(middle_axis_splits_join_through_the_workspace);
    RUN_TEST(verifier_catches_a_norm_without_eps_or_gamma);
    RUN_TEST(verifier_catches_a_layernorm_without_eps_or_beta);
    RUN_TEST(verifier_catches_a_mean_that_is_a_sum);
    RUN_TEST(verifier_catches_a_reduction_along_the_wrong_axis);
    tsr_profile_free(profile);
    tsr_device_close(device);
    return check_summary();
}
