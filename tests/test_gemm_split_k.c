/* Split K on PoCL: GEMMs whose tiles' K is shared by SK groups, which
 * join their accumulators through the launch's workspace, must verify in
 * every layout, with and without beta, over ragged shapes (K shorter than
 * the splits' k-steps leaves groups nothing to multiply; K = 1001 leaves
 * the last share short) and batches; with every epilogue, 16-bit inputs
 * and outputs; on an emulated wave unit. SK's refusals are one line. */
#include <stdio.h>
#include <string.h>

#include "core/opspec.h"
#include "core/profile.h"
#include "runner/runner.h"
#include "tests/check.h"
#include "tests/check_pocl.h"
#include "tests/check_profile.h"

static tsr_device *device;
static tsr_profile *pocl;

static const char *const layouts[4][2] = {
    {"row", "row"}, {"row", "col"}, {"col", "row"}, {"col", "col"}};

static const tsr_shape shapes[] = {
    {{1, 1, 1, 1}}, {{7, 13, 17, 1}}, {{37, 53, 1001, 1}}, {{67, 35, 41, 2}}, {{3, 129, 300, 3}},
};

/* Two to sixteen splits; vector accumulators; the shortest k-step (most
 * groups with nothing to do); the next step fetched ahead; one-element
 * and 8x8 register tiles. */
static const char *const configs[] = {
    "SK=2",
    "SK=4,TN=8,VN=4",
    "SK=16,BK=2,KU=1,VW=2",
    "SK=8,PF=1,VW=2",
    "SK=4,BM=16,BN=16,TM=1,TN=1,STRN=0",
    "SK=2,BM=128,BN=64,TM=8,TN=8,VW=4",
};

/* Every config of `texts` on every shape of `sweep` (n_shapes of them);
 * returns the failures, counting the evaluations in *evaluated. */
static int sweep(const tsr_opspec *spec, const tsr_profile *profile, const char *const *texts,
                 int n_texts, const tsr_shape *sweep_shapes, int n_shapes, int *evaluated)
{
    int failed = 0;
    for (int i = 0; i < n_shapes; i++) {
        tsr_problem *problem = NULL;
        tsr_error err = {{0}};
        if (tsr_problem_create(device, spec, &sweep_shapes[i], 11 + (uint64_t)i, &problem, &err) !=
            TSR_OK) {
            CHECK_MSG(false, "%s", err.msg);
            return failed + 1;
        }
        for (int c = 0; c < n_texts; c++) {
            tsr_config config = check_config(spec->op, texts[c]);
            char what[256], shape[128];
            tsr_shape_format(spec->op, &sweep_shapes[i], shape, sizeof shape);
            snprintf(what, sizeof what, "%s %s", shape, texts[c]);
            ++*evaluated;
            failed += !check_verifies(problem, profile, spec, &config, what);
        }
        tsr_problem_free(problem);
    }
    return failed;
}

/* Half the configs per (layout, scaling), taking turns, so that each
 * meets both scalings and every layout while PoCL compiles half the
 * kernels. */
static void splits_verify_in_every_layout_and_scaling(void)
{
    int evaluated = 0, failed = 0;
    static const char *const scalings[2] = {"alpha: 1.0, beta: 0.0", "alpha: -0.75, beta: 1.5"};
    int n_configs = (int)(sizeof configs / sizeof configs[0]);
    for (int l = 0; l < 4; l++)
        for (int s = 0; s < 2; s++) {
            tsr_opspec *spec = check_gemm_spec("f32", layouts[l][0], layouts[l][1], scalings[s]);
            if (!spec)
                continue;
            const char *half[8];
            int n_half = 0;
            for (int c = 0; c < n_configs; c++)
                if ((c + l + s) % 2 == 0)
                    half[n_half++] = configs[c];
            failed += sweep(spec, pocl, half, n_half, shapes,
                            (int)(sizeof shapes / sizeof shapes[0]), &evaluated);
            tsr_opspec_free(spec);
        }
    printf("     %d evaluations, %d not ok\n", evaluated, failed);
    CHECK(evaluated > 0 && failed == 0);
}

/* The epilogue runs once, in the last group, on the joined sum: every
 * bias, activation and the residual over batches; 16-bit inputs (widened
 * to f32 accumulators) and outputs (rounded once, as stored). */
static void splits_verify_with_every_epilogue_and_type(void)
{
    static const struct {
        const char *dtype, *a, *b, *gemm;
    } cases[] = {
        {"f32", "col", "row",
         "bias: col, activation: gelu, residual: true, alpha: -0.75, beta: 1.5"},
        {"f16", "row", "col", "output: f16, bias: row, activation: silu, beta: 1.5"},
        {"bf16", "col", "col", "bias: col, activation: relu, residual: true"},
        {"f32", "row", "row", "output: bf16, bias: row, residual: true, beta: 1.5"},
    };
    static const tsr_shape epilogue_shapes[] = {
        {{37, 13, 71, 3}}, {{7, 13, 17, 1}}, {{5, 9, 300, 2}}};
    static const char *const epilogue_configs[] = {"SK=4", "SK=2,TN=8,VN=4,PF=1,VW=2"};
    int evaluated = 0, failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tsr_opspec *spec = check_gemm_spec(cases[i].dtype, cases[i].a, cases[i].b, cases[i].gemm);
        if (!spec)
            continue;
        failed += sweep(spec, pocl, epilogue_configs, 2, epilogue_shapes, 3, &evaluated);
        tsr_opspec_free(spec);
    }
    printf("     %d evaluations, %d not ok\n", evaluated, failed);
    CHECK(evaluated > 0 && failed == 0);
}

/* A wave unit's accumulators (AMD's MFMA, Intel's DPAS, emulated on PoCL
 * by tests/data/pocl-cpu-wave-units.yaml's units) join like the threads':
 * element by element of each thread's share, whatever rows they hold. */
static void splits_verify_on_the_emulated_wave_units(void)
{
    tsr_profile *units = check_test_profile("pocl-cpu-wave-units");
    if (!units)
        return;
    static const char *const unit_configs[] = {
        "MU=3,BM=32,BN=64,BK=16,TM=1,TN=2,STRN=0,KU=1,VW=1,PAD=0,SK=2",
        "MU=6,BM=16,BN=32,BK=16,TM=2,TN=1,STRN=0,KU=1,VW=2,PAD=0,SK=4",
    };
    static const tsr_shape unit_shapes[] = {{{7, 13, 17, 1}}, {{37, 53, 301, 2}}};
    int evaluated = 0, failed = 0;
    tsr_opspec *f16 = check_gemm_spec("f16", "row", "col", "beta: 1.5");
    tsr_opspec *bf16 = check_gemm_spec("bf16", "col", "row", "bias: row, activation: gelu");
    if (f16)
        failed += sweep(f16, units, unit_configs, 2, unit_shapes, 2, &evaluated);
    if (bf16)
        failed += sweep(bf16, units, unit_configs, 2, unit_shapes, 2, &evaluated);
    tsr_opspec_free(f16);
    tsr_opspec_free(bf16);
    tsr_profile_free(units);
    printf("     %d evaluations, %d not ok\n", evaluated, failed);
    CHECK(evaluated > 0 && failed == 0);
}

/* f64 accumulators join as pairs of 32-bit words (core/lower_tile_join.c):
 * each value's two halves stored and taken back apart, so a half of one
 * value put with the other of another, or a half left behind, shows as a
 * wrong or unwritten value against f64's bound. Both layouts of each
 * operand, both scalings, the epilogue over a batch; vector accumulators,
 * sixteen splits of the shortest k-step, one-element tiles. */
static void f64_splits_verify(void)
{
    static const struct {
        const char *a, *b, *gemm;
    } cases[] = {
        {"row", "row", "alpha: 1.0, beta: 0.0"},
        {"col", "col", "alpha: -0.75, beta: 1.5"},
        {"col", "row", "bias: col, activation: gelu, residual: true, alpha: -0.75, beta: 1.5"},
    };
    static const char *const f64_configs[] = {"SK=4,TN=8,VN=4", "SK=16,BK=2,KU=1,VW=2",
                                              "SK=4,BM=16,BN=16,TM=1,TN=1,STRN=0"};
    static const tsr_shape f64_shapes[] = {
        {{1, 1, 1, 1}}, {{37, 53, 1001, 1}}, {{67, 35, 41, 2}}, {{3, 129, 300, 3}}};
    int evaluated = 0, failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tsr_opspec *spec = check_gemm_spec("f64", cases[i].a, cases[i].b, cases[i].gemm);
        if (!spec)
            continue;
        failed += sweep(spec, pocl, f64_configs, 3, f64_shapes, 4, &evaluated);
        tsr_opspec_free(spec);
    }
    printf("     %d evaluations, %d not ok\n", evaluated, failed);
    CHECK(evaluated > 0 && failed == 0);
}

static void refused(const tsr_opspec *spec, const char *text, const char *says)
{
    tsr_config config = check_config(spec->op, text);
    tsr_error err = {{0}};
    CHECK_MSG(spec->op->check(spec, pocl, &config, &err) == TSR_ERR_UNSUPPORTED, "%s accepted",
              text);
    CHECK_MSG(strstr(err.msg, says) && !strchr(err.msg, '\n'), "%s: '%s'", text, err.msg);
}

/* The threads' FMAs split only on one mapping of staged tiles
 * (core/ops/gemm.c, check_split), f64 as f32; no f64 split's unrolled
 * join takes back more than 512 words a thread (two a value). */
static void refusals_are_one_line(void)
{
    tsr_opspec *f64 = check_gemm_spec("f64", "row", "row", "");
    tsr_opspec *f32 = check_gemm_spec("f32", "row", "row", "");
    if (f64) {
        refused(f64, "SK=2,PAD=1", "SK=2 with the threads' FMAs is tried at RS=0, PAD=0");
        tsr_config split = check_config(f64->op, "SK=2");
        CHECK(f64->op->check(f64, pocl, &split, NULL) == TSR_OK);
        /* 64 values a thread are 128 words in f64: 8 parts of them are
         * past the f64 join's 512, 4 are not; f32's take no limit. */
        refused(f64, "SK=8,BM=128,BN=128,TM=8,TN=8",
                "SK=8 takes back 128 words a thread from each part, 1024 in the unrolled "
                "join: an f64 join of more than 512");
        tsr_config wide = check_config(f64->op, "SK=4,BM=128,BN=128,TM=8,TN=8");
        CHECK(f64->op->check(f64, pocl, &wide, NULL) == TSR_OK);
    }
    if (f32) {
        refused(f32, "SK=4,SA=0", "SK=4 with the threads' FMAs is tried at RS=0, PAD=0");
        refused(f32, "SK=8,RS=8", "RS=8");
        refused(f32, "SK=2,PAD=1", "PAD=1");
        tsr_config wide = check_config(f32->op, "SK=16,BM=128,BN=128,TM=8,TN=8");
        CHECK(f32->op->check(f32, pocl, &wide, NULL) == TSR_OK);
        tsr_config split = check_config(f32->op, "SK=16");
        CHECK(f32->op->check(f32, pocl, &split, NULL) == TSR_OK);
    }
    tsr_opspec_free(f64);
    tsr_opspec_free(f32);
}

int main(void)
{
    int opened = check_open_pocl(&device, &pocl);
    if (opened >= 0)
        return opened;
    RUN_TEST(refusals_are_one_line);
    RUN_TEST(splits_verify_in_every_layout_and_scaling);
    RUN_TEST(splits_verify_with_every_epilogue_and_type);
    RUN_TEST(splits_verify_on_the_emulated_wave_units);
    RUN_TEST(f64_splits_verify);
    tsr_profile_free(pocl);
    tsr_device_close(device);
    return check_summary();
}
