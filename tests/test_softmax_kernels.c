/* Generated softmax kernels on PoCL: every config of the (small) space on
 * ragged shapes must verify, and the verifier must tell a harmless
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
    tsr_eval_options options = {.min_runs = 1, .max_runs = 1};
    int evaluated = 0, failed = 0;
    for (int c = 0; c < space.count; c++)
        for (int i = 0; i < N_SHAPES && problems[i]; i++) {
            tsr_arena *scratch = tsr_arena_create();
            tsr_result r = {0};
            tsr_status st = scratch ? tsr_evaluate(problems[i], profile, &space.configs[c],
                                                   &options, scratch, &r, &err)
                                    : TSR_ERR_NOMEM;
            evaluated++;
            if (st != TSR_OK || r.outcome != TSR_OUTCOME_OK) {
                char config_text[128];
                tsr_config_format(spec->op, &space.configs[c], config_text, sizeof config_text);
                fprintf(stderr, "  rows=%ld,cols=%ld %s: %s: %s\n", shapes[i].dim[0],
                        shapes[i].dim[1], config_text,
                        st != TSR_OK ? tsr_status_name(st) : tsr_outcome_name(r.outcome),
                        st != TSR_OK ? err.msg
                        : r.reason   ? r.reason
                                     : "");
                failed++;
            }
            tsr_arena_destroy(scratch);
        }
    printf("     %d evaluations, %d not ok\n", evaluated, failed);
    CHECK(evaluated == space.count * N_SHAPES && failed == 0);
out:
    for (int i = 0; i < N_SHAPES; i++)
        tsr_problem_free(problems[i]);
    tsr_arena_destroy(arena);
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
    RUN_TEST(verifier_accepts_a_missing_max_shift_on_small_inputs_but_catches_a_wrong_sum);
    tsr_profile_free(profile);
    tsr_device_close(device);
    return check_summary();
}
