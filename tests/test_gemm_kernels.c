/* Generated GEMM kernels on PoCL: every layout, with and without beta,
 * over ragged shapes and a sample of the space, must verify, and so must
 * every fused epilogue and batched problems; the verifier must catch
 * planted faults, in the epilogue too; CLBlast must agree with tessera. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "core/space.h"
#include "runner/runner.h"
#include "tests/check.h"
#include "tests/check_profile.h"
#include "tests/check_pocl.h"

/* Configs drawn from each layout's space, 12 in all. PoCL compiles every
 * kernel once (about a second, more for large register tiles), which is
 * most of this test's time; runs are cheap. */
enum { N_SHAPES = 6, N_SAMPLED = 3 };

static const char *const layouts[4][2] = {
    {"row", "row"}, {"row", "col"}, {"col", "row"}, {"col", "col"}};
static const struct {
    double alpha, beta;
} scalings[2] = {{1.0, 0.0}, {-0.75, 1.5}};
/* 1, primes, and non-multiples of every tile size; n = 4097 and m = 257
 * cross many work-groups along one axis with a lone row or column. */
static const tsr_shape shapes[N_SHAPES] = {
    {{1, 1, 1, 1}},     {{7, 13, 17, 1}},  {{1, 4097, 3, 1}},
    {{257, 1, 511, 1}}, {{67, 35, 41, 1}}, {{129, 65, 33, 1}},
};
/* Chosen by hand, each valid in every layout: the default, both operands
 * read straight from global memory, one staged and one not, every thread
 * map, padding, every vector width, the shortest k-step, the deepest
 * unroll, a one-element and an 8x8 register tile. */
static const char *const chosen[] = {
    "",
    "SA=0,SB=0,VW=1,PAD=0",
    "SA=1,SB=0",
    "SA=0,SB=1",
    "STRM=0,STRN=0",
    "STRM=1,STRN=1",
    "STRM=1,STRN=0,PAD=1",
    "PAD=1",
    "VW=1",
    "VW=2",
    "VW=8",
    "BK=2,KU=1,VW=2",
    "KU=8",
    "BM=16,BN=16,TM=1,TN=1,STRN=0",
    "TM=8,TN=8",
    /* The next k-step fetched ahead into a second stage (PF): both
     * operands, each alone, the shortest step, vectors of 8, a thread
     * with several shares of a tile. */
    "PF=1",
    "PF=1,SA=1,SB=0,STRM=1,PAD=1",
    "PF=1,SA=0,SB=1,VW=8",
    "PF=1,BK=2,KU=1,VW=2",
    "PF=1,BM=128,BN=128,BK=32,TM=8,TN=8,VW=1",
    /* Tiles taken in bands of RS tile rows: small tiles, so that the
     * shapes' 9 and 17 tile rows leave a narrower last band; a band wider
     * than every shape's rows. */
    "RS=8,BM=16,BN=16,TM=1,TN=1,STRN=0",
    "RS=8,BM=128,TM=8",
};
/* Vector accumulators, where the op has them. */
static const char *const chosen_vn[] = {"VN=2", "VN=4,SA=0,SB=0,VW=1,STRN=0", "TN=8,VN=8,STRN=0"};

typedef struct suite {
    tsr_device *device;
    tsr_profile *profile;
    tsr_eval_options options;
    int evaluated, failed;
} suite;

static tsr_opspec *typed_gemm_spec(const char *dtype, const char *a, const char *b, double alpha,
                                   double beta)
{
    char text[512];
    snprintf(text, sizeof text,
             "schema: 1\nname: g\nop: gemm\ndtype: %s\n"
             "gemm: {a: %s, b: %s, alpha: %g, beta: %g}\n"
             "shapes:\n  - {m: 7, n: 13, k: 17}\n",
             dtype, a, b, alpha, beta);
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("g.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    return spec;
}

static tsr_opspec *gemm_spec(const char *a, const char *b, double alpha, double beta)
{
    return typed_gemm_spec("f32", a, b, alpha, beta);
}

/* f32 that may be multiplied as tf32 (math: tf32). */
static tsr_opspec *tf32_gemm_spec(const char *a, const char *b, double alpha, double beta)
{
    char text[512];
    snprintf(text, sizeof text,
             "schema: 1\nname: g\nop: gemm\ndtype: f32\n"
             "gemm: {a: %s, b: %s, alpha: %g, beta: %g, math: tf32}\n"
             "shapes:\n  - {m: 7, n: 13, k: 17}\n",
             a, b, alpha, beta);
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("g.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    return spec;
}

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The configs of one layout: the chosen ones, then a seeded draw of
 * N_SAMPLED from its space (the same draw for both scalings, as the space
 * does not depend on beta). Returns the count. */
static int configs_for(suite *s, const tsr_opspec *spec, int layout, tsr_config *out, int max)
{
    int n = 0;
    tsr_config probe;
    tsr_config_default(spec->op, &probe);
    bool has_vn = tsr_config_get(spec->op, &probe, "VN") >= 0;
    int n_chosen = (int)(sizeof chosen / sizeof chosen[0]);
    int n_vn = has_vn ? (int)(sizeof chosen_vn / sizeof chosen_vn[0]) : 0;
    for (int i = 0; i < n_chosen + n_vn && n < max; i++) {
        const char *text = i < n_chosen ? chosen[i] : chosen_vn[i - n_chosen];
        tsr_error err = {{0}};
        tsr_config_default(spec->op, &out[n]);
        CHECK_MSG(tsr_config_parse(spec->op, text, &out[n], &err) == TSR_OK, "%s", err.msg);
        CHECK_MSG(spec->op->check(spec, s->profile, &out[n], &err) == TSR_OK, "'%s': %s", text,
                  err.msg);
        n++;
    }
    tsr_arena *arena = tsr_arena_create();
    tsr_search_space space;
    tsr_error err = {{0}};
    tsr_status st = arena ? tsr_space_build(arena, spec, s->profile, &space, &err) : TSR_ERR_NOMEM;
    CHECK_MSG(st == TSR_OK, "%s", err.msg);
    uint64_t state = 20261124u + (uint64_t)layout;
    for (int i = 0; st == TSR_OK && i < N_SAMPLED && n < max; i++)
        out[n++] = space.configs[next_random(&state) % (uint64_t)space.count];
    tsr_arena_destroy(arena);
    return n;
}

static void report_failure(const tsr_opspec *spec, const tsr_config *config, const tsr_shape *shape,
                           const char *why)
{
    char config_text[512];
    tsr_config_format(spec->op, config, config_text, sizeof config_text);
    char shape_text[128];
    tsr_shape_format(spec->op, shape, shape_text, sizeof shape_text);
    fprintf(stderr, "  %s alpha=%g beta=%g %s %s: %s\n", tsr_opspec_key(spec), spec->alpha,
            spec->beta, shape_text, config_text, why);
}

/* Every config on every shape of one (layout, scaling); the problems are
 * made once and shared by the configs. */
static void sweep_shapes(suite *s, const tsr_opspec *spec, const tsr_config *configs, int n_configs,
                         const tsr_shape *shapes, int n_shapes)
{
    tsr_problem *problems[N_SHAPES] = {NULL};
    tsr_error err = {{0}};
    for (int i = 0; i < n_shapes; i++)
        CHECK_MSG(tsr_problem_create(s->device, spec, &shapes[i], 7 + (uint64_t)i, &problems[i],
                                     &err) == TSR_OK,
                  "%s", err.msg);
    for (int c = 0; c < n_configs; c++)
        for (int i = 0; i < n_shapes && problems[i]; i++) {
            tsr_arena *arena = tsr_arena_create();
            tsr_result r = {0};
            tsr_status st = arena ? tsr_evaluate(problems[i], s->profile, &configs[c], &s->options,
                                                 arena, &r, &err)
                                  : TSR_ERR_NOMEM;
            s->evaluated++;
            if (st != TSR_OK || r.outcome != TSR_OUTCOME_OK) {
                char why[1200];
                snprintf(why, sizeof why, "%s", st != TSR_OK ? err.msg : r.reason ? r.reason : "");
                report_failure(spec, &configs[c], &shapes[i],
                               st != TSR_OK ? why : tsr_outcome_name(r.outcome));
                fprintf(stderr, "    %s\n", why);
                s->failed++;
            }
            tsr_arena_destroy(arena);
        }
    for (int i = 0; i < n_shapes; i++)
        tsr_problem_free(problems[i]);
}

static void sweep(suite *s, const tsr_opspec *spec, const tsr_config *configs, int n_configs)
{
    sweep_shapes(s, spec, configs, n_configs, shapes, N_SHAPES);
}

static suite *the_suite;

static void every_layout_scaling_shape_and_sampled_config_verifies(void)
{
    suite *s = the_suite;
    s->evaluated = s->failed = 0;
    tsr_config configs[64];
    for (int l = 0; l < 4; l++) {
        int n_configs = 0;
        for (int sc = 0; sc < 2; sc++) {
            tsr_opspec *spec =
                gemm_spec(layouts[l][0], layouts[l][1], scalings[sc].alpha, scalings[sc].beta);
            if (!spec)
                continue;
            if (n_configs == 0)
                n_configs = configs_for(s, spec, l, configs, 64);
            /* Half the configs per (layout, scaling), taking turns, so that
             * every config meets both scalings and every layout while PoCL
             * compiles half the kernels (beta's read of C is one statement
             * of the epilogue; the configs are the loops around it). */
            tsr_config half[64];
            int n_half = 0;
            for (int c = 0; c < n_configs; c++)
                if ((c + l + sc) % 2 == 0)
                    half[n_half++] = configs[c];
            sweep(s, spec, half, n_half);
            tsr_opspec_free(spec);
        }
    }
    printf("     %d evaluations, %d not ok\n", s->evaluated, s->failed);
    CHECK(s->evaluated > 0 && s->failed == 0);
}

/* f16 and bf16 inputs in every layout, the scalings taking turns, every
 * ragged shape, with the configs `texts`: 1 in `turns` per (type, layout),
 * taking turns too, which keeps the kernel count (PoCL's compile time) in
 * bounds while every config runs for some layouts of each type. */
static void sweep_16_bit_types(suite *s, const char *const *texts, int n_texts, int turns)
{
    static const char *const types[] = {"f16", "bf16"};
    for (int t = 0; t < 2; t++)
        for (int l = 0; l < 4; l++) {
            tsr_opspec *spec =
                typed_gemm_spec(types[t], layouts[l][0], layouts[l][1], scalings[(t + l) % 2].alpha,
                                scalings[(t + l) % 2].beta);
            if (!spec)
                continue;
            tsr_config configs[64];
            int n = 0;
            for (int c = 0; c < n_texts && n < 64; c++)
                if ((c + t + l) % turns == 0)
                    configs[n++] = check_config(spec->op, texts[c]);
            sweep(s, spec, configs, n);
            tsr_opspec_free(spec);
        }
}

/* f16 and bf16 inputs (f32 accumulation and C): every layout and scaling,
 * the hand-chosen configs (every load path: scalar, vector, fetched ahead,
 * direct), every ragged shape. The inputs are rounded to their type before
 * the reference reads them, so the bound is f32's: a kernel that lost any
 * bits of an input, or rounded a product to 16 bits, fails. */
static void every_16_bit_input_type_verifies(void)
{
    suite *s = the_suite;
    s->evaluated = s->failed = 0;
    enum {
        N_PLAIN = sizeof chosen / sizeof chosen[0],
        N_CHOSEN = N_PLAIN + sizeof chosen_vn / sizeof chosen_vn[0]
    };
    const char *texts[N_CHOSEN];
    for (int i = 0; i < N_CHOSEN; i++)
        texts[i] = i < N_PLAIN ? chosen[i] : chosen_vn[i - N_PLAIN];
    sweep_16_bit_types(s, texts, N_CHOSEN, 3);
    printf("     %d evaluations, %d not ok\n", s->evaluated, s->failed);
    CHECK(s->evaluated > 0 && s->failed == 0);
}

/* ---- fused epilogues and batches ------------------------------------------- */

/* Each bias, each activation, the residual, with and without beta, over
 * layouts, plus a plain batched spec; the gemm section besides a and b. */
static const struct {
    const char *a, *b, *gemm;
} epilogue_cases[] = {
    {"row", "row", "bias: row"},
    {"col", "row", "bias: col, activation: relu, residual: true, alpha: -0.75, beta: 1.5"},
    {"row", "col", "activation: gelu, beta: 1.5"},
    {"row", "row", "bias: row, activation: silu, residual: true"},
    {"col", "col", "bias: col, activation: gelu, residual: true, alpha: -0.75, beta: 1.5"},
    {"row", "row", "residual: true, beta: 1.5"},
    {"row", "row", "bias: col, activation: silu"},
    {"row", "col", "alpha: 2"},
};
/* Ragged, batched and not; k = 71 puts the activations' inputs over
 * their bends (|x| up to about 5). */
static const tsr_shape epilogue_shapes[] = {
    {{37, 13, 71, 3}}, {{1, 1, 1, 1}}, {{7, 13, 17, 1}}, {{67, 35, 41, 2}}};
/* The default (staged), the direct variant, vector accumulators both
 * direct and staged, the next step fetched ahead (the batch offset in
 * its fetches), and tiles in bands (37 rows: one band of three tile rows,
 * narrower than RS; the bias and R at the band's tiles, in every
 * problem). */
static const char *const epilogue_configs[] = {"",
                                               "SA=0,SB=0,VW=1,PAD=0",
                                               "VN=4,SA=0,SB=0,VW=1,STRN=0",
                                               "TN=8,VN=8,STRN=0",
                                               "PF=1,VW=2",
                                               "RS=8,BM=16,BN=16,TM=1,TN=1,STRN=0"};

static tsr_opspec *fused_spec(const char *a, const char *b, const char *gemm)
{
    return check_gemm_spec("f32", a, b, gemm);
}

/* Sweeps one epilogue spec over the epilogue configs and shapes, and frees
 * it (NULL: its parse already failed a check). */
static void sweep_epilogue(suite *s, tsr_opspec *spec)
{
    if (!spec)
        return;
    enum { N_CONFIGS = sizeof epilogue_configs / sizeof epilogue_configs[0] };
    int n_shapes = (int)(sizeof epilogue_shapes / sizeof epilogue_shapes[0]);
    tsr_config configs[N_CONFIGS];
    for (int c = 0; c < N_CONFIGS; c++) {
        tsr_error err = {{0}};
        tsr_config_default(spec->op, &configs[c]);
        CHECK_MSG(tsr_config_parse(spec->op, epilogue_configs[c], &configs[c], &err) == TSR_OK,
                  "%s", err.msg);
    }
    sweep_shapes(s, spec, configs, N_CONFIGS, epilogue_shapes, n_shapes);
    tsr_opspec_free(spec);
}

/* 16-bit outputs: C, the bias and R of the output type, read (beta, the
 * epilogue) and written (rounded once, as stored) in scalars and vectors,
 * from f32 and from 16-bit inputs; the bound adds the store's rounding. */
static void every_16_bit_output_verifies(void)
{
    suite *s = the_suite;
    s->evaluated = s->failed = 0;
    static const struct {
        const char *dtype, *a, *b, *gemm;
    } cases[] = {
        {"f32", "row", "row", "output: f16"},
        {"f16", "col", "row",
         "output: f16, bias: col, activation: gelu, residual: true, beta: 1.5"},
        {"bf16", "row", "col", "output: bf16, bias: row, activation: silu, alpha: -0.75"},
        {"f32", "col", "col", "output: bf16, residual: true, beta: 1.5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        sweep_epilogue(s, check_gemm_spec(cases[i].dtype, cases[i].a, cases[i].b, cases[i].gemm));
    printf("     %d evaluations, %d not ok\n", s->evaluated, s->failed);
    CHECK(s->evaluated > 0 && s->failed == 0);
}

/* AMD's wave units, MFMA (MU=3) and WMMA (MU=4), and Intel's sub-group
 * unit, DPAS (MU=5, 6), on PoCL, where the OpenCL generator emulates them
 * as their vendors document them (tests/data/pocl-cpu-wave-units.yaml
 * lists the units on PoCL's device):
 * f16 and bf16 in every layout, loaded then multiplied and fetched ahead,
 * with vectors and padding, one fragment and four of a wave's rows, over
 * the ragged shapes; and a fused 16-bit epilogue over batched shapes. A
 * fragment layout that differs from the instruction's anywhere (which lane
 * holds which row, col or k) fails. */
static const char *const wave_unit_configs[] = {
    "MU=3,BM=64,BN=64,BK=32,TM=2,TN=2,STRN=0,KU=1,VW=8,PAD=1,PF=1",
    "MU=3,BM=32,BN=64,BK=16,TM=1,TN=2,STRN=0,KU=1,VW=1,PAD=0",
    "MU=3,BM=128,BN=32,BK=32,TM=4,TN=1,STRN=0,KU=2,VW=4,PAD=1",
    "MU=3,BM=16,BN=16,BK=16,TM=1,TN=1,STRN=0,KU=1,VW=2,PAD=0,PF=1",
    "MU=4,BM=64,BN=32,BK=32,TM=2,TN=1,STRN=0,KU=2,VW=8,PAD=1,PF=1",
    "MU=4,BM=16,BN=64,BK=16,TM=1,TN=2,STRN=0,KU=1,VW=1,PAD=0",
    "MU=5,BM=32,BN=32,BK=32,TM=2,TN=2,STRN=0,KU=2,VW=8,PAD=1,PF=1",
    "MU=6,BM=16,BN=32,BK=16,TM=2,TN=1,STRN=0,KU=1,VW=2,PAD=0",
};

static void wave_unit_kernels_verify_on_the_emulated_units(void)
{
    suite *s = the_suite;
    s->evaluated = s->failed = 0;
    tsr_profile *units = check_test_profile("pocl-cpu-wave-units");
    if (!units)
        return;
    tsr_profile *pocl = s->profile;
    s->profile = units;
    /* Half the configs per (type, layout), taking turns. */
    sweep_16_bit_types(s, wave_unit_configs,
                       (int)(sizeof wave_unit_configs / sizeof wave_unit_configs[0]), 2);
    tsr_opspec *fused = check_gemm_spec(
        "f16", "col", "row", "output: f16, bias: col, activation: gelu, residual: true, beta: 1.5");
    if (fused) {
        tsr_config configs[4] = {check_config(fused->op, wave_unit_configs[0]),
                                 check_config(fused->op, wave_unit_configs[3]),
                                 check_config(fused->op, wave_unit_configs[4]),
                                 check_config(fused->op, wave_unit_configs[6])};
        sweep_shapes(s, fused, configs, 4, epilogue_shapes,
                     (int)(sizeof epilogue_shapes / sizeof epilogue_shapes[0]));
        tsr_opspec_free(fused);
    }
    s->profile = pocl;
    tsr_profile_free(units);
    printf("     %d evaluations, %d not ok\n", s->evaluated, s->failed);
    CHECK(s->evaluated > 0 && s->failed == 0);
}

static void every_epilogue_and_batch_verifies(void)
{
    suite *s = the_suite;
    s->evaluated = s->failed = 0;
    for (size_t i = 0; i < sizeof epilogue_cases / sizeof epilogue_cases[0]; i++)
        sweep_epilogue(
            s, fused_spec(epilogue_cases[i].a, epilogue_cases[i].b, epilogue_cases[i].gemm));
    printf("     %d evaluations, %d not ok\n", s->evaluated, s->failed);
    CHECK(s->evaluated > 0 && s->failed == 0);
}

/* ---- planted faults ---------------------------------------------------------- */

/* A naive kernel, one work-item per element of C, with room for faults:
 * A and B of `type` with their elements (row, p) and (p, col) read as the
 * given expressions, the k loop's bound, and statements before and after
 * the store. */
static void naive_typed_source(char *buf, size_t size, const char *type, const char *a_read,
                               const char *b_read, const char *k_end, const char *before_store,
                               const char *after_store)
{
    snprintf(buf, size,
             "__kernel void naive(__global const %s *A, __global const %s *B,\n"
             "                    __global float *C, int M, int N, int K, float alpha,\n"
             "                    float beta)\n"
             "{\n"
             "    int col = get_global_id(0), row = get_global_id(1);\n"
             "    if (row >= M || col >= N)\n"
             "        return;\n"
             "    float acc = 0.0f;\n"
             "    for (int p = 0; p < %s; p++)\n"
             "        acc += %s * %s;\n"
             "    %s\n"
             "    float old = beta != 0.0f ? beta * C[row * N + col] : 0.0f;\n"
             "    C[row * N + col] = alpha * acc + old;\n"
             "    %s\n"
             "}\n",
             type, type, k_end, a_read, b_read, before_store, after_store);
}

/* The plain f32 one. */
static void naive_source(char *buf, size_t size, const char *k_end, const char *before_store,
                         const char *after_store)
{
    naive_typed_source(buf, size, "float", "A[row * K + p]", "B[p * N + col]", k_end, before_store,
                       after_store);
}

static tsr_geometry naive_geometry(const tsr_shape *shape, size_t lx, size_t ly)
{
    return (tsr_geometry){
        .dims = 2,
        .groups = {((size_t)shape->dim[1] + lx - 1) / lx, ((size_t)shape->dim[0] + ly - 1) / ly, 1},
        .local = {lx, ly, 1}};
}

/* A naive kernel for "bias: col, activation: gelu, residual: true" with
 * beta, over a batch, with room for faults: which problem a group works
 * on, which element of the bias it adds, and the activation of x. */
static void naive_fused_source(char *buf, size_t size, const char *problem, const char *bias_index,
                               const char *activation)
{
    snprintf(buf, size,
             "__kernel void naive(__global const float *A, __global const float *B,\n"
             "                    __global float *C, int M, int N, int K, float alpha,\n"
             "                    float beta, __global const float *bias,\n"
             "                    __global const float *R)\n"
             "{\n"
             "    int col = get_global_id(0), row = get_global_id(1), z = %s;\n"
             "    if (row >= M || col >= N)\n"
             "        return;\n"
             "    A += z * M * K;\n"
             "    B += z * K * N;\n"
             "    C += (int)get_group_id(2) * M * N;\n"
             "    R += z * M * N;\n"
             "    float acc = 0.0f;\n"
             "    for (int p = 0; p < K; p++)\n"
             "        acc += A[row * K + p] * B[p * N + col];\n"
             "    float x = alpha * acc + beta * C[row * N + col] + bias[%s];\n"
             "    C[row * N + col] = %s + R[row * N + col];\n"
             "}\n",
             problem, bias_index, activation);
}

static tsr_result run_source(tsr_problem *problem, tsr_arena *arena, const char *source,
                             const tsr_geometry *geometry)
{
    tsr_result r = {0};
    tsr_error err = {{0}};
    tsr_eval_options options = {.min_runs = 1, .max_runs = 1};
    tsr_status st =
        tsr_evaluate_source(problem, source, "naive", geometry, &options, arena, &r, &err);
    CHECK_MSG(st == TSR_OK, "%s", err.msg);
    return r;
}

#define CHECK_OUTCOME(r, expected)                                                                 \
    CHECK_MSG((r).outcome == (expected), "outcome %s (%s)", tsr_outcome_name((r).outcome),         \
              (r).reason ? (r).reason : "")

/* The problem the planted faults run on: 33 x 17 x 9 of `spec`, with an
 * arena for the results; false (and a failed check) when it cannot be made. */
static const tsr_shape planted_shape = {{33, 17, 9, 1}};

static bool planted_setup(const tsr_opspec *spec, tsr_arena **arena, tsr_problem **problem)
{
    tsr_error err = {{0}};
    *arena = tsr_arena_create();
    *problem = NULL;
    if (spec && *arena &&
        tsr_problem_create(the_suite->device, spec, &planted_shape, 3, problem, &err) == TSR_OK)
        return true;
    CHECK_MSG(false, "setup: %s", err.msg);
    return false;
}

static void verifier_catches_planted_faults(void)
{
    tsr_opspec *spec = gemm_spec("row", "row", 1.0, 0.0);
    tsr_arena *arena;
    tsr_problem *problem;
    const tsr_shape shape = planted_shape;
    if (!planted_setup(spec, &arena, &problem))
        goto out;
    char source[2048];
    tsr_geometry geometry = naive_geometry(&shape, 8, 8);

    naive_source(source, sizeof source, "K", "", "");
    tsr_result r = run_source(problem, arena, source, &geometry);
    CHECK_OUTCOME(r, TSR_OUTCOME_OK); /* the harness itself is sound */

    naive_source(source, sizeof source, "K - 1", "", "");
    r = run_source(problem, arena, source, &geometry);
    CHECK_OUTCOME(r, TSR_OUTCOME_WRONG);
    CHECK_STR_CONTAINS(r.reason, "error");
    CHECK_STR_CONTAINS(r.reason, "bound");
    CHECK(r.max_error > spec->op->tolerance(spec, &shape));

    naive_source(source, sizeof source, "K", "",
                 "if (row == M - 1 && col == N - 1) C[M * N] = 1.0f;");
    r = run_source(problem, arena, source, &geometry);
    CHECK_OUTCOME(r, TSR_OUTCOME_WRONG);
    CHECK_STR_CONTAINS(r.reason, "wrote past the end");

    naive_source(source, sizeof source, "K", "if (row == 5 && col == 3) return;", "");
    r = run_source(problem, arena, source, &geometry);
    CHECK_OUTCOME(r, TSR_OUTCOME_WRONG);
    CHECK_STR_CONTAINS(r.reason, "never written");

    naive_source(source, sizeof source, "K", "acc += undeclared_thing;", "");
    r = run_source(problem, arena, source, &geometry);
    CHECK_OUTCOME(r, TSR_OUTCOME_BUILD_FAILED);
    CHECK_STR_CONTAINS(r.reason, "undeclared_thing");

    /* more work-items per group than the device allows */
    naive_source(source, sizeof source, "K", "", "");
    tsr_geometry huge = naive_geometry(&shape, 256, 128);
    r = run_source(problem, arena, source, &huge);
    CHECK_MSG(r.outcome == TSR_OUTCOME_INVALID || r.outcome == TSR_OUTCOME_LAUNCH_FAILED,
              "outcome %s", tsr_outcome_name(r.outcome));
    CHECK(r.reason && r.reason[0]);

    /* a launch that contradicts the kernel's required work-group size */
    char required[2200];
    naive_source(source, sizeof source, "K", "", "");
    snprintf(required, sizeof required, "__attribute__((reqd_work_group_size(4, 4, 1)))\n%s",
             source);
    r = run_source(problem, arena, required, &geometry);
    CHECK_MSG(r.outcome == TSR_OUTCOME_INVALID || r.outcome == TSR_OUTCOME_LAUNCH_FAILED,
              "outcome %s", tsr_outcome_name(r.outcome));
out:
    tsr_problem_free(problem);
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
}

/* With f16 inputs the bound is still f32's, since the reference reads the
 * inputs rounded as the kernel does: a kernel that keeps only bf16's 8 bits
 * of each A value (f16 has 11) fails, and one that reads every bit passes. */
static void verifier_catches_lost_input_bits(void)
{
    tsr_opspec *spec = typed_gemm_spec("f16", "row", "row", 1.0, 0.0);
    tsr_arena *arena;
    tsr_problem *problem;
    const tsr_shape shape = planted_shape;
    if (!planted_setup(spec, &arena, &problem))
        goto out;
    static const char *const reads[2] = {"vload_half(row * K + p, A)",
                                         "as_float(as_uint(vload_half(row * K + p, A)) & "
                                         "0xffff0000u)"};
    for (int fault = 0; fault < 2; fault++) {
        char source[2048];
        naive_typed_source(source, sizeof source, "half", reads[fault],
                           "vload_half(p * N + col, B)", "K", "", "");
        tsr_geometry geometry = naive_geometry(&shape, 8, 8);
        tsr_result r = run_source(problem, arena, source, &geometry);
        CHECK_OUTCOME(r, fault ? TSR_OUTCOME_WRONG : TSR_OUTCOME_OK);
    }
out:
    tsr_problem_free(problem);
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
}

/* A spec that allows tf32 admits a kernel that keeps tf32's 10 bits of
 * each input (truncated, the coarser rounding), which the plain f32 spec
 * rejects; one that keeps bf16's 7 bits of A fails either way. */
static void tf32_bound_admits_tf32_inputs_and_no_fewer_bits(void)
{
    static const char *const tf32_a = "as_float(as_uint(A[row * K + p]) & 0xffffe000u)";
    static const char *const tf32_b = "as_float(as_uint(B[p * N + col]) & 0xffffe000u)";
    static const char *const bf16_a = "as_float(as_uint(A[row * K + p]) & 0xffff0000u)";
    for (int allowed = 0; allowed < 2; allowed++) {
        tsr_opspec *spec =
            allowed ? tf32_gemm_spec("row", "row", 1.0, 0.0) : gemm_spec("row", "row", 1.0, 0.0);
        tsr_arena *arena;
        tsr_problem *problem;
        const tsr_shape shape = planted_shape;
        if (planted_setup(spec, &arena, &problem)) {
            char source[2048];
            tsr_geometry geometry = naive_geometry(&shape, 8, 8);
            naive_typed_source(source, sizeof source, "float", tf32_a, tf32_b, "K", "", "");
            tsr_result r = run_source(problem, arena, source, &geometry);
            CHECK_OUTCOME(r, allowed ? TSR_OUTCOME_OK : TSR_OUTCOME_WRONG);
            naive_typed_source(source, sizeof source, "float", bf16_a, "B[p * N + col]", "K", "",
                               "");
            r = run_source(problem, arena, source, &geometry);
            CHECK_OUTCOME(r, TSR_OUTCOME_WRONG);
        }
        tsr_problem_free(problem);
        tsr_arena_destroy(arena);
        tsr_opspec_free(spec);
    }
}

/* A spec that allows tf32 still runs the threads' f32 kernels where the
 * device has no unit for it (PoCL): every layout and both scalings, a few
 * of the hand-chosen configs in turn, every ragged shape; and CLBlast,
 * which stands in with full f32, agrees within the tf32 bound. */
static void tf32_spec_verifies_on_f32_kernels_in_every_layout(void)
{
    suite *s = the_suite;
    s->evaluated = s->failed = 0;
    enum { N_CHOSEN = sizeof chosen / sizeof chosen[0] };
    for (int l = 0; l < 4; l++) {
        tsr_opspec *spec = tf32_gemm_spec(layouts[l][0], layouts[l][1], scalings[l % 2].alpha,
                                          scalings[l % 2].beta);
        if (!spec)
            continue;
        tsr_config configs[2];
        const char *texts[2] = {chosen[0], chosen[1 + 5 * l]};
        for (int i = 0; i < 2; i++) {
            tsr_error err = {{0}};
            tsr_config_default(spec->op, &configs[i]);
            CHECK_MSG(tsr_config_parse(spec->op, texts[i], &configs[i], &err) == TSR_OK, "%s",
                      err.msg);
        }
        sweep(s, spec, configs, 2);
        tsr_problem *problem = NULL;
        tsr_arena *arena = tsr_arena_create();
        tsr_error err = {{0}};
        tsr_result r = {0};
        double diff = -1.0, ms = 0.0;
        if (arena && tsr_problem_create(s->device, spec, &shapes[4], 5, &problem, &err) == TSR_OK &&
            tsr_evaluate(problem, s->profile, &configs[0], &s->options, arena, &r, &err) ==
                TSR_OK &&
            r.outcome == TSR_OUTCOME_OK) {
            tsr_status st = tsr_problem_check_reference(problem, &diff, &ms, &err);
            CHECK_MSG(st == TSR_OK || st == TSR_ERR_UNSUPPORTED, "%s", err.msg);
            if (st == TSR_OK)
                CHECK_MSG(diff >= 0.0 && diff <= 2 * spec->op->tolerance(spec, &shapes[4]),
                          "CLBlast differs by %g", diff);
        } else {
            CHECK_MSG(false, "%s %s", err.msg, r.reason ? r.reason : "");
        }
        tsr_problem_free(problem);
        tsr_arena_destroy(arena);
        tsr_opspec_free(spec);
    }
    printf("     %d evaluations, %d not ok\n", s->evaluated, s->failed);
    CHECK(s->evaluated > 0 && s->failed == 0);
}

/* The epilogue's faults show too: a wrong problem of the batch, a bias
 * along the wrong dim, and even GELU's exact (erf) form where the spec
 * means the tanh approximation (they differ by at most 4.7e-4). */
static void verifier_catches_planted_epilogue_faults(void)
{
    static const char *const tanh_gelu =
        "0.5f * x * (1.0f + tanh(0.7978845608f * (x + 0.044715f * x * x * x)))";
    tsr_opspec *spec =
        fused_spec("row", "row", "bias: col, activation: gelu, residual: true, beta: 1.5");
    tsr_arena *arena = tsr_arena_create();
    tsr_problem *problem = NULL;
    tsr_error err = {{0}};
    const tsr_shape shape = {{33, 17, 9, 3}};
    if (!spec || !arena ||
        tsr_problem_create(the_suite->device, spec, &shape, 5, &problem, &err) != TSR_OK) {
        CHECK_MSG(false, "setup: %s", err.msg);
        goto out;
    }
    char source[2048];
    tsr_geometry geometry = naive_geometry(&shape, 8, 8);
    geometry.dims = 3;
    geometry.groups[2] = (size_t)shape.dim[3];

    naive_fused_source(source, sizeof source, "(int)get_group_id(2)", "col", tanh_gelu);
    tsr_result r = run_source(problem, arena, source, &geometry);
    CHECK_OUTCOME(r, TSR_OUTCOME_OK); /* the harness and the reference agree */

    naive_fused_source(source, sizeof source, "0", "col", tanh_gelu);
    r = run_source(problem, arena, source, &geometry);
    CHECK_OUTCOME(r, TSR_OUTCOME_WRONG);

    naive_fused_source(source, sizeof source, "(int)get_group_id(2)", "row", tanh_gelu);
    r = run_source(problem, arena, source, &geometry);
    CHECK_OUTCOME(r, TSR_OUTCOME_WRONG);

    naive_fused_source(source, sizeof source, "(int)get_group_id(2)", "col",
                       "0.5f * x * (1.0f + erf(x * 0.70710678f))");
    r = run_source(problem, arena, source, &geometry);
    CHECK_OUTCOME(r, TSR_OUTCOME_WRONG);
out:
    tsr_problem_free(problem);
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
}

/* ---- CLBlast ------------------------------------------------------------------- */

static void clblast_agrees_with_tessera_in_every_layout(void)
{
    const tsr_shape shape = {{67, 35, 41, 1}};
    for (int l = 0; l < 4; l++) {
        tsr_opspec *spec = gemm_spec(layouts[l][0], layouts[l][1], -0.75, 1.5);
        tsr_arena *arena = tsr_arena_create();
        tsr_problem *problem = NULL;
        tsr_error err = {{0}};
        tsr_config config;
        tsr_result r = {0};
        bool ready =
            spec && arena &&
            tsr_problem_create(the_suite->device, spec, &shape, 11, &problem, &err) == TSR_OK;
        if (ready) {
            tsr_config_default(spec->op, &config);
            ready = tsr_evaluate(problem, the_suite->profile, &config, &the_suite->options, arena,
                                 &r, &err) == TSR_OK &&
                    r.outcome == TSR_OUTCOME_OK;
        }
        CHECK_MSG(ready, "a=%s b=%s: %s %s", layouts[l][0], layouts[l][1], err.msg,
                  r.reason ? r.reason : "");
        double diff = -1.0, clblast_ms = 0.0;
        tsr_status st = ready ? tsr_problem_check_reference(problem, &diff, &clblast_ms, &err)
                              : TSR_ERR_UNSUPPORTED;
        if (ready && st == TSR_ERR_UNSUPPORTED)
            printf("     skipped: %s\n", err.msg);
        else if (ready) {
            CHECK_MSG(st == TSR_OK, "%s", err.msg);
            CHECK_MSG(diff >= 0.0 && diff <= 2 * spec->op->tolerance(spec, &shape),
                      "a=%s b=%s: CLBlast differs by %g", layouts[l][0], layouts[l][1], diff);
        }
        tsr_problem_free(problem);
        tsr_arena_destroy(arena);
        tsr_opspec_free(spec);
        if (ready && st == TSR_ERR_UNSUPPORTED)
            break; /* no CLBlast in this build: one note is enough */
    }
}

/* The reference walks a column-major B by its columns and a row-major one
 * by its rows (core/ops/gemm_host.c): both add the terms in the order of k,
 * so B stored either way, and A likewise, gives the same sums and
 * magnitudes to the bit, in f32 and f64, over a batch. */
static void reference_is_the_same_in_every_layout(void)
{
    enum { M = 5, N = 7, K = 300, BATCH = 2 };
    const tsr_shape shape = {{M, N, K, BATCH}};
    static double a[BATCH * M * K], b[BATCH * K * N], at[BATCH * M * K], bt[BATCH * K * N];
    static double c[BATCH * M * N], out[4][BATCH * M * N], mag[4][BATCH * M * N];
    static float a32[BATCH * M * K], b32[BATCH * K * N], at32[BATCH * M * K], bt32[BATCH * K * N];
    static float c32[BATCH * M * N];
    uint64_t seed = 99u;
    for (int i = 0; i < BATCH * M * K; i++)
        a[i] = (double)(next_random(&seed) >> 11) * 0x1p-53 - 0.5;
    for (int i = 0; i < BATCH * K * N; i++)
        b[i] = (double)(next_random(&seed) >> 11) * 0x1p-53 - 0.5;
    /* at: each problem's A column-major; bt: B's. */
    for (int z = 0; z < BATCH; z++) {
        for (int i = 0; i < M; i++)
            for (int p = 0; p < K; p++)
                at[z * M * K + p * M + i] = a[z * M * K + i * K + p];
        for (int p = 0; p < K; p++)
            for (int j = 0; j < N; j++)
                bt[z * K * N + j * K + p] = b[z * K * N + p * N + j];
    }
    for (int i = 0; i < BATCH * M * K; i++) {
        a32[i] = (float)a[i];
        at32[i] = (float)at[i];
    }
    for (int i = 0; i < BATCH * K * N; i++) {
        b32[i] = (float)b[i];
        bt32[i] = (float)bt[i];
    }
    for (int t = 0; t < 2; t++) {
        bool wide = t == 1;
        for (int l = 0; l < 4; l++) {
            tsr_opspec *spec =
                typed_gemm_spec(wide ? "f64" : "f32", layouts[l][0], layouts[l][1], -0.75, 0.0);
            if (!spec)
                continue;
            bool a_col = l >= 2, b_col = l % 2;
            /* The op's buffers: A, B, C, then bias and R (unused here). */
            const void *buffers[5] = {
                wide ? (const void *)(a_col ? at : a) : (const void *)(a_col ? at32 : a32),
                wide ? (const void *)(b_col ? bt : b) : (const void *)(b_col ? bt32 : b32),
                wide ? (const void *)c : (const void *)c32};
            spec->op->reference(spec, &shape, (const float *const *)buffers, out[l], mag[l]);
            tsr_opspec_free(spec);
        }
        for (int l = 1; l < 4; l++)
            CHECK_MSG(!memcmp(out[l], out[0], sizeof out[0]) &&
                          !memcmp(mag[l], mag[0], sizeof mag[0]),
                      "%s: a %s, b %s differs from a row, b row", wide ? "f64" : "f32",
                      layouts[l][0], layouts[l][1]);
    }
}

int main(void)
{
    suite s = {.options = {.min_runs = 1, .max_runs = 1}};
    int opened = check_open_pocl(&s.device, &s.profile);
    if (opened >= 0)
        return opened;
    the_suite = &s;
    RUN_TEST(reference_is_the_same_in_every_layout);
    RUN_TEST(verifier_catches_planted_faults);
    RUN_TEST(verifier_catches_planted_epilogue_faults);
    RUN_TEST(verifier_catches_lost_input_bits);
    RUN_TEST(tf32_bound_admits_tf32_inputs_and_no_fewer_bits);
    RUN_TEST(tf32_spec_verifies_on_f32_kernels_in_every_layout);
    RUN_TEST(every_epilogue_and_batch_verifies);
    RUN_TEST(every_16_bit_input_type_verifies);
    RUN_TEST(every_16_bit_output_verifies);
    RUN_TEST(wave_unit_kernels_verify_on_the_emulated_units);
    RUN_TEST(every_layout_scaling_shape_and_sampled_config_verifies);
    RUN_TEST(clblast_agrees_with_tessera_in_every_layout);
    tsr_profile_free(s.profile);
    tsr_device_close(s.device);
    return check_summary();
}
