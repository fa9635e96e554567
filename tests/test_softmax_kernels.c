/* Generated softmax kernels on PoCL: every config of the (small) space on
 * ragged shapes must verify, the sub-group (SG) and one-pass (ONLINE)
 * variants among them, and the verifier must tell a harmless
 * simplification from a wrong kernel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "core/space.h"
#include "runner/runner.h"
#include "tests/check.h"
#include "tests/check_pocl.h"

enum { N_SHAPES = 5 };

/* One element, a prime, a row longer than any work-group times vector
 * width (4097), a lone column, and many rows of a typical length. */
static const tsr_shape shapes[N_SHAPES] = {
    {{1, 1}}, {{7, 13}}, {{3, 4097}}, {{257, 1}}, {{33, 1000}}};

static tsr_device *device;
static tsr_profile *profile;

static tsr_opspec *softmax_spec(void)
{
    static const char text[] = "schema: 1\nname: s\nop: softmax\ndtype: f32\n"
                               "shapes:\n  - {rows: 3, cols: 5}\n";
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("s.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    return spec;
}

/* Whether one config verifies on one problem; prints why not. */
static bool verifies(tsr_problem *problem, const tsr_profile *on, const tsr_opspec *spec,
                     const tsr_config *config, const tsr_shape *shape)
{
    tsr_arena *scratch = tsr_arena_create();
    tsr_eval_options options = {.min_runs = 1, .max_runs = 1};
    tsr_result r = {0};
    tsr_error err = {{0}};
    tsr_status st =
        scratch ? tsr_evaluate(problem, on, config, &options, scratch, &r, &err) : TSR_ERR_NOMEM;
    bool ok = st == TSR_OK && r.outcome == TSR_OUTCOME_OK;
    if (!ok) {
        char config_text[128];
        tsr_config_format(spec->op, config, config_text, sizeof config_text);
        fprintf(stderr, "  rows=%ld,cols=%ld %s: %s: %s\n", shape->dim[0], shape->dim[1],
                config_text, st != TSR_OK ? tsr_status_name(st) : tsr_outcome_name(r.outcome),
                st != TSR_OK ? err.msg
                : r.reason   ? r.reason
                             : "");
    }
    tsr_arena_destroy(scratch);
    return ok;
}

static void every_config_of_the_space_verifies_on_ragged_shapes(void)
{
    tsr_opspec *spec = softmax_spec();
    tsr_arena *arena = tsr_arena_create();
    tsr_problem *problems[N_SHAPES] = {NULL};
    tsr_search_space space = {0};
    tsr_error err = {{0}};
    if (!spec || !arena)
        goto out;
    CHECK_MSG(tsr_space_build(arena, spec, profile, &space, &err) == TSR_OK, "%s", err.msg);
    CHECK(space.count >= 12); /* the whole space fits a CPU work-group */
    for (int i = 0; i < N_SHAPES; i++)
        CHECK_MSG(tsr_problem_create(device, spec, &shapes[i], 5 + (uint64_t)i, &problems[i],
                                     &err) == TSR_OK,
                  "%s", err.msg);
    int evaluated = 0, failed = 0, online = 0;
    for (int c = 0; c < space.count; c++) {
        online += tsr_config_get(spec->op, &space.configs[c], "ONLINE");
        for (int i = 0; i < N_SHAPES && problems[i]; i++, evaluated++)
            failed += !verifies(problems[i], profile, spec, &space.configs[c], &shapes[i]);
    }
    printf("     %d evaluations (%d configs one-pass), %d not ok\n", evaluated, online, failed);
    CHECK(evaluated == space.count * N_SHAPES && failed == 0);
    CHECK(online * 2 == space.count); /* ONLINE doubles the space */
out:
    for (int i = 0; i < N_SHAPES; i++)
        tsr_problem_free(problems[i]);
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
}

/* ---- sub-groups and the one-pass softmax ------------------------------------------- */

static void sub_group_configs_verify_on_ragged_shapes(void)
{
    /* Every WG but 1024 and every VW, with and without ONLINE; the shapes
     * as above and a lone row longer than any group covers. */
    static const char *const configs[] = {
        "WG=8,VW=1,SG=1",           "WG=16,VW=8,SG=1,ONLINE=1",  "WG=32,VW=4,SG=1",
        "WG=64,VW=2,SG=1,ONLINE=1", "WG=128,VW=1,SG=1,ONLINE=1", "WG=256,VW=4,SG=1",
        "WG=512,VW=8,SG=1,ONLINE=1"};
    enum { N_CONFIGS = sizeof configs / sizeof configs[0] };
    static const tsr_shape long_row = {{1, 4099}};
    tsr_opspec *spec = softmax_spec();
    tsr_profile with = check_subgroup_profile(profile);
    int evaluated = 0, failed = 0;
    for (int i = 0; spec && i <= N_SHAPES; i++) {
        const tsr_shape *shape = i < N_SHAPES ? &shapes[i] : &long_row;
        tsr_problem *problem = NULL;
        tsr_error err = {{0}};
        if (tsr_problem_create(device, spec, shape, 21 + (uint64_t)i, &problem, &err) != TSR_OK) {
            CHECK_MSG(false, "%s", err.msg);
            continue;
        }
        for (int c = 0; c < N_CONFIGS; c++, evaluated++) {
            tsr_config config = check_config(spec->op, configs[c]);
            failed += !verifies(problem, &with, spec, &config, shape);
        }
        tsr_problem_free(problem);
    }
    printf("     %d evaluations, %d not ok\n", evaluated, failed);
    CHECK(evaluated == N_CONFIGS * (N_SHAPES + 1) && failed == 0);
    tsr_opspec_free(spec);
}

/* SG=1 needs both the feature and a sub-group size of 2 or more; the space
 * holds SG=1 configs exactly where check() accepts them. */
static void sub_groups_need_the_profiles_shuffles_and_sizes(void)
{
    tsr_opspec *spec = softmax_spec();
    if (!spec)
        return;
    tsr_config config = check_config(spec->op, "WG=64,SG=1");
    tsr_error err = {{0}};
    CHECK(spec->op->check(spec, profile, &config, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "subgroup_shuffle");
    tsr_profile with = check_subgroup_profile(profile);
    CHECK_MSG(spec->op->check(spec, &with, &config, &err) == TSR_OK, "%s", err.msg);
    tsr_profile sizeless = with;
    sizeless.subgroup_sizes[0].present = false;
    CHECK(spec->op->check(spec, &sizeless, &config, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "subgroup_sizes");
    tsr_profile one_wide = with;
    one_wide.subgroup_sizes[0].value = 1;
    CHECK(spec->op->check(spec, &one_wide, &config, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "2 threads or more");

    tsr_arena *arena = tsr_arena_create();
    tsr_search_space plain = {0}, grouped = {0};
    if (arena && tsr_space_build(arena, spec, profile, &plain, &err) == TSR_OK &&
        tsr_space_build(arena, spec, &with, &grouped, &err) == TSR_OK) {
        int sg_plain = 0, sg_grouped = 0;
        for (int c = 0; c < plain.count; c++)
            sg_plain += tsr_config_get(spec->op, &plain.configs[c], "SG");
        for (int c = 0; c < grouped.count; c++)
            sg_grouped += tsr_config_get(spec->op, &grouped.configs[c], "SG");
        CHECK(sg_plain == 0 && sg_grouped == plain.count && grouped.count == 2 * plain.count);
    } else {
        CHECK_MSG(false, "%s", err.msg);
    }
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
}

/* The kernel text of `config` for profile `name` in `dialect`; caller frees. */
static char *kernel_text(const tsr_opspec *spec, const char *name, const char *config_text,
                         const char *dialect)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/profiles/%s.yaml", check_source_root(), name);
    tsr_profile *loaded = NULL;
    tsr_error err = {{0}};
    tsr_kernel_text text = {0};
    char *source = NULL;
    tsr_config config = check_config(spec->op, config_text);
    if (tsr_profile_load(path, &loaded, &err) == TSR_OK &&
        tsr_kernel_generate(spec, loaded, &config, dialect, &text, &err) == TSR_OK) {
        source = strdup(text.source);
        tsr_kernel_text_free(&text);
    }
    CHECK_MSG(source != NULL, "%s %s %s: %s", name, config_text, dialect, err.msg);
    tsr_profile_free(loaded);
    return source;
}

/* ONLINE=1 walks the row twice (a loop over its columns each), not three
 * times; SG=1 shuffles in each dialect's own words, over the width of the
 * profile's smallest sub-group, and a kernel without SG has no sub-group
 * helpers at all. */
static void online_reads_the_row_twice_and_sub_groups_shuffle_in_every_dialect(void)
{
    tsr_opspec *spec = softmax_spec();
    if (!spec)
        return;
    char *three = kernel_text(spec, "pocl-cpu", "ONLINE=0", "opencl");
    char *two = kernel_text(spec, "pocl-cpu", "ONLINE=1", "opencl");
    CHECK(check_count(three, "for (int c") == 3 && check_count(two, "for (int c") == 2);
    CHECK(!check_contains(three, "tsr_subgroup") && !check_contains(two, "tsr_subgroup"));
    char *cuda = kernel_text(spec, "nvidia-h100-sxm", "WG=128,SG=1,ONLINE=1", "cuda");
    CHECK_STR_CONTAINS(cuda, "__shfl_xor_sync(0xffffffffu, v, m)");
    CHECK_STR_CONTAINS(cuda, "tsr_subgroup_max(m0, 32)");
    char *hip = kernel_text(spec, "amd-mi300x", "WG=128,SG=1", "hip");
    CHECK_STR_CONTAINS(hip, "__shfl_xor(v, m)");
    CHECK_STR_CONTAINS(hip, "__AMDGCN_WAVEFRONT_SIZE % 64 != 0");
    CHECK_STR_CONTAINS(hip, ", 64);");
    char *opencl = kernel_text(spec, "intel-arc-a770", "WG=128,SG=1", "opencl");
    CHECK_STR_CONTAINS(opencl, "sub_group_reduce_add(v)");
    CHECK_STR_CONTAINS(opencl, "get_num_sub_groups()");
    free(three);
    free(two);
    free(cuda);
    free(hip);
    free(opencl);
    tsr_opspec_free(spec);
}

/* A one-work-item-per-row softmax; `shift` is what is subtracted before
 * exp, `extra` is added to the sum it divides by. */
static void planted_source(char *buf, size_t size, const char *shift, const char *extra)
{
    snprintf(buf, size,
             "__kernel void planted(__global const float *X, __global float *Y, int rows,\n"
             "                      int cols)\n"
             "{\n"
             "    int row = get_global_id(0);\n"
             "    if (row >= rows)\n"
             "        return;\n"
             "    __global const float *x = X + row * cols;\n"
             "    float max = x[0];\n"
             "    for (int c = 1; c < cols; c++)\n"
             "        max = fmax(max, x[c]);\n"
             "    float sum = 0.0f;\n"
             "    for (int c = 0; c < cols; c++)\n"
             "        sum += exp(x[c] - %s);\n"
             "    sum += %s;\n"
             "    for (int c = 0; c < cols; c++)\n"
             "        Y[row * cols + c] = exp(x[c] - %s) / sum;\n"
             "}\n",
             shift, extra, shift);
}

/* The outcome of a planted kernel; its reason is copied into `why`. */
static tsr_outcome run_planted(tsr_problem *problem, const char *source, const tsr_shape *shape,
                               double *max_error, char *why, size_t why_size)
{
    tsr_arena *arena = tsr_arena_create();
    tsr_error err = {{0}};
    tsr_geometry geometry = {
        .dims = 1, .groups = {(size_t)shape->dim[0], 1, 1}, .local = {1, 1, 1}};
    tsr_eval_options options = {.min_runs = 1, .max_runs = 1};
    tsr_result r = {0};
    CHECK(arena != NULL);
    tsr_status st = arena ? tsr_evaluate_source(problem, source, "planted", &geometry, &options,
                                                arena, &r, &err)
                          : TSR_ERR_NOMEM;
    CHECK_MSG(st == TSR_OK, "%s", err.msg);
    snprintf(why, why_size, "%s", r.reason ? r.reason : "");
    *max_error = r.max_error;
    tsr_arena_destroy(arena);
    return r.outcome;
}

#define CHECK_PLANTED(source, expected)                                                            \
    do {                                                                                           \
        tsr_outcome got_ = run_planted(problem, (source), &shape, &max_error, why, sizeof why);    \
        CHECK_MSG(got_ == (expected), "%s: %s", tsr_outcome_name(got_), why);                      \
    } while (0)

static void verifier_accepts_a_missing_max_shift_on_small_inputs_but_catches_a_wrong_sum(void)
{
    tsr_opspec *spec = softmax_spec();
    tsr_problem *problem = NULL;
    tsr_error err = {{0}};
    const tsr_shape shape = {{7, 13}};
    if (!spec || tsr_problem_create(device, spec, &shape, 9, &problem, &err) != TSR_OK) {
        CHECK_MSG(false, "setup: %s", err.msg);
        goto out;
    }
    char source[2048], why[1024];
    double max_error = 0.0;
    planted_source(source, sizeof source, "max", "0.0f");
    CHECK_PLANTED(source, TSR_OUTCOME_OK); /* the harness itself is sound */
    /* inputs lie in [-1, 1]: exp cannot overflow, so skipping the shift is
     * mathematically the same and numerically close enough */
    planted_source(source, sizeof source, "0.0f", "0.0f");
    CHECK_PLANTED(source, TSR_OUTCOME_OK);
    /* the last term counted twice: every output off by about 1/cols */
    planted_source(source, sizeof source, "max", "exp(x[cols - 1] - max)");
    CHECK_PLANTED(source, TSR_OUTCOME_WRONG);
    CHECK(max_error > spec->op->tolerance(spec, &shape));
    CHECK_STR_CONTAINS(why, "exceeds the bound");
out:
    tsr_problem_free(problem);
    tsr_opspec_free(spec);
}

int main(void)
{
    int opened = check_open_pocl(&device, &profile);
    if (opened >= 0)
        return opened;
    RUN_TEST(every_config_of_the_space_verifies_on_ragged_shapes);
    RUN_TEST(sub_group_configs_verify_on_ragged_shapes);
    RUN_TEST(sub_groups_need_the_profiles_shuffles_and_sizes);
    RUN_TEST(online_reads_the_row_twice_and_sub_groups_shuffle_in_every_dialect);
    RUN_TEST(verifier_accepts_a_missing_max_shift_on_small_inputs_but_catches_a_wrong_sum);
    tsr_profile_free(profile);
    tsr_device_close(device);
    return check_summary();
}
