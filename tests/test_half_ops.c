/* The ops besides GEMM and conv2d on 16-bit data: softmax (three-pass and
 * one-pass), rmsnorm, layernorm, the four row reductions and permutes, in
 * f16 and bf16, each verified on PoCL over ragged shapes and a sample of
 * configs (every vector width, sub-group combines through the dialect's
 * fallback) with poisoned outputs. Values are read widened to f32 and
 * rounded once as they are stored, so the bounds are f32's plus that one
 * rounding; a row long enough for f16's subnormal outputs (softmax over
 * 100003 columns) checks that their coarser spacing is allowed for and no
 * more. Permutes move the values exactly. */
#include <stdio.h>
#include <string.h>

#include "core/opspec.h"
#include "core/profile.h"
#include "runner/runner.h"
#include "tests/check.h"
#include "tests/check_pocl.h"

static tsr_device *device;
static tsr_profile *profile;

/* An op spec of `op` in `dtype` with the section `section` ("" for none)
 * and one shape, `shape`. */
static tsr_opspec *spec_of(const char *op, const char *dtype, const char *section,
                           const char *shape)
{
    char text[512];
    snprintf(text, sizeof text, "schema: 1\nname: t\nop: %s\ndtype: %s\n%s\nshapes:\n  - {%s}\n",
             op, dtype, section, shape);
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("t.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s: %s", text,
              err.msg);
    return spec;
}

/* Verifies `spec` on each shape with each config; returns the evaluations. */
static int verify_all(const tsr_opspec *spec, const tsr_profile *on, const tsr_shape *shapes,
                      int n_shapes, const char *const *configs, int n_configs, int *failed)
{
    int evaluated = 0;
    for (int s = 0; s < n_shapes; s++) {
        tsr_problem *problem = NULL;
        tsr_error err = {{0}};
        if (tsr_problem_create(device, spec, &shapes[s], 31 + (uint64_t)s, &problem, &err) !=
            TSR_OK) {
            CHECK_MSG(false, "%s", err.msg);
            continue;
        }
        for (int c = 0; c < n_configs; c++, evaluated++) {
            tsr_config config = check_config(spec->op, configs[c]);
            char what[160];
            snprintf(what, sizeof what, "shape %d %s", s, configs[c]);
            *failed += !check_verifies(problem, on, spec, &config, what);
        }
        tsr_problem_free(problem);
    }
    return evaluated;
}

static const char *const dtypes[] = {"f16", "bf16"};

/* A lone column, ragged widths around the vector widths, a row longer
 * than a work-group covers, many short rows. */
static const tsr_shape row_shapes[] = {{{1, 1, 1}}, {{7, 13, 1}}, {{3, 4097, 1}}, {{33, 1000, 1}}};
#define N_ROW_SHAPES ((int)(sizeof row_shapes / sizeof row_shapes[0]))

static void row_ops_verify_in_16_bits(void)
{
    static const struct {
        const char *op, *section;
    } ops[] = {
        {"softmax", ""},
        {"rmsnorm", "rmsnorm: {eps: 1e-6}"},
        {"layernorm", "layernorm: {eps: 1e-5}"},
        {"reduce", "reduce: {kind: sum}"},
        {"reduce", "reduce: {kind: max}"},
        {"reduce", "reduce: {kind: mean}"},
        {"reduce", "reduce: {kind: l2}"},
    };
    static const char *const configs[] = {"WG=8,VW=1", "WG=64,VW=4", "WG=256,VW=8",
                                          "WG=32,VW=2,SG=1"};
    enum { N_CONFIGS = sizeof configs / sizeof configs[0] };
    tsr_profile with = check_subgroup_profile(profile);
    int evaluated = 0, failed = 0;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        for (int d = 0; d < 2; d++) {
            tsr_opspec *spec = spec_of(ops[i].op, dtypes[d], ops[i].section, "rows: 3, cols: 5");
            if (spec)
                evaluated +=
                    verify_all(spec, &with, row_shapes, N_ROW_SHAPES, configs, N_CONFIGS, &failed);
            tsr_opspec_free(spec);
        }
    printf("     %d evaluations, %d not ok\n", evaluated, failed);
    CHECK(evaluated == 7 * 2 * N_ROW_SHAPES * N_CONFIGS && failed == 0);
}

static void softmax_verifies_in_16_bits_one_pass_and_into_subnormals(void)
{
    static const char *const configs[] = {"WG=128,VW=4", "WG=64,VW=8,ONLINE=1",
                                          "WG=16,VW=1,SG=1,ONLINE=1"};
    enum { N_CONFIGS = sizeof configs / sizeof configs[0] };
    /* exp(x - max) / sum over 100003 columns: outputs near 1e-5, below
     * f16's smallest normal 2^-14. */
    static const tsr_shape shapes[] = {{{5, 300}}, {{2, 100003}}};
    tsr_profile with = check_subgroup_profile(profile);
    int evaluated = 0, failed = 0;
    for (int d = 0; d < 2; d++) {
        tsr_opspec *spec = spec_of("softmax", dtypes[d], "", "rows: 3, cols: 5");
        if (spec)
            evaluated += verify_all(spec, &with, shapes, 2, configs, N_CONFIGS, &failed);
        tsr_opspec_free(spec);
    }
    printf("     %d evaluations, %d not ok\n", evaluated, failed);
    CHECK(evaluated == 2 * 2 * N_CONFIGS && failed == 0);
}

static void permutes_move_16_bit_values_exactly(void)
{
    /* The transpose and a 4-dim perm that move the innermost dim (through
     * a padded shared tile), and attention's head permute, which keeps it
     * (rows copied straight: no tile to pad). */
    static const struct {
        const char *perm, *shape, *pad;
        int n_shapes;
    } cases[] = {
        {"permute: {perm: [1, 0]}", "d0: 3, d1: 5", "PAD=1", 1},
        {"permute: {perm: [0, 3, 1, 2]}", "d0: 3, d1: 5, d2: 2, d3: 7", "PAD=1", 2},
        {"permute: {perm: [0, 2, 1, 3]}", "d0: 3, d1: 5, d2: 2, d3: 7", "PAD=0", 2},
    };
    /* Ragged: primes and ones; the transpose's dims past two are 1. */
    static const tsr_shape shapes[][2] = {{{{37, 71, 1, 1}}},
                                          {{{3, 17, 5, 33}}, {{2, 1, 40, 9}}},
                                          {{{3, 17, 5, 33}}, {{2, 1, 40, 9}}}};
    int evaluated = 0, failed = 0;
    for (int d = 0; d < 2; d++)
        for (int p = 0; p < 3; p++) {
            char configs[3][64];
            snprintf(configs[0], sizeof configs[0], "TR=8,TC=16,WG=32,VW=1,PAD=0");
            snprintf(configs[1], sizeof configs[1], "TR=32,TC=32,WG=128,VW=4,%s", cases[p].pad);
            snprintf(configs[2], sizeof configs[2], "TR=16,TC=64,WG=256,VW=2,%s", cases[p].pad);
            const char *const texts[3] = {configs[0], configs[1], configs[2]};
            tsr_opspec *spec = spec_of("permute", dtypes[d], cases[p].perm, cases[p].shape);
            if (spec)
                evaluated +=
                    verify_all(spec, profile, shapes[p], cases[p].n_shapes, texts, 3, &failed);
            tsr_opspec_free(spec);
        }
    printf("     %d evaluations, %d not ok\n", evaluated, failed);
    CHECK(evaluated == 2 * (1 + 2 + 2) * 3 && failed == 0);
}

int main(void)
{
    int opened = check_open_pocl(&device, &profile);
    if (opened == 77)
        return check_summary();
    if (opened >= 0)
        return opened;
    RUN_TEST(row_ops_verify_in_16_bits);
    RUN_TEST(softmax_verifies_in_16_bits_one_pass_and_into_subnormals);
    RUN_TEST(permutes_move_16_bit_values_exactly);
    tsr_profile_free(profile);
    tsr_device_close(device);
    return check_summary();
}
