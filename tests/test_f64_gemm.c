/* f64 GEMM: the spec's types, the profile's fp64 gate, kernels that are
 * double throughout in every dialect, PoCL runs over ragged shapes, every
 * layout and a sample of configs against the reference with f64's bound,
 * a verifier that catches a kernel with any f32 step or an element left
 * unwritten (poison), and CLBlast's DGEMM agreeing with tessera. */
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
#include "tests/check_pocl.h"

static tsr_device *device;
static tsr_profile *profile;

static const char *const layouts[4][2] = {
    {"row", "row"}, {"row", "col"}, {"col", "row"}, {"col", "col"}};

/* `gemm` is the rest of the gemm section after a and b. */
static tsr_opspec *f64_spec(const char *a, const char *b, const char *gemm)
{
    char text[512];
    snprintf(text, sizeof text,
             "schema: 1\nname: d\nop: gemm\ndtype: f64\n"
             "gemm: {a: %s, b: %s%s%s}\n"
             "shapes:\n  - {m: 7, n: 13, k: 17}\n",
             a, b, *gemm ? ", " : "", gemm);
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("d.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    return spec;
}

/* ---- the spec and the profile ---------------------------------------------- */

static void f64_spec_types_every_buffer_and_scalar_f64(void)
{
    tsr_opspec *spec = f64_spec("row", "row", "bias: row, residual: true, beta: 0.5");
    if (!spec)
        return;
    for (int i = 0; i < spec->op->n_buffers; i++)
        CHECK_MSG(tsr_op_buffer_dtype(spec, i) == TSR_F64, "buffer %d is %s", i,
                  tsr_dtype_name(tsr_op_buffer_dtype(spec, i)));
    CHECK_STR_CONTAINS(tsr_opspec_key(spec), "gemm.f64.");
    /* k = 71: (16 sqrt(71) + 64) 2^-53, about 2.2e-14, where one f32
     * rounding is 6e-8. */
    tsr_shape shape = {{37, 13, 71, 1}};
    double bound = spec->op->tolerance(spec, &shape);
    CHECK_MSG(bound > 1e-14 && bound < 1e-13, "bound %g", bound);
    tsr_opspec_free(spec);

    const char *narrowed = "schema: 1\nname: d\nop: gemm\ndtype: f64\ngemm: {output: f32}\n"
                           "shapes:\n  - {m: 7, n: 13, k: 17}\n";
    tsr_error err = {{0}};
    CHECK(tsr_opspec_parse("d.yaml", narrowed, strlen(narrowed), &spec, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "d.yaml:5:");
    CHECK_STR_CONTAINS(err.msg, "an f64 GEMM writes f64 only");
}

static void profile_without_fp64_refuses_f64(void)
{
    tsr_opspec *spec = f64_spec("row", "row", "");
    if (!spec)
        return;
    tsr_config config;
    tsr_config_default(spec->op, &config);
    tsr_error err = {{0}};
    CHECK_MSG(spec->op->check(spec, profile, &config, &err) == TSR_OK, "%s", err.msg);
    unsigned features = profile->features;
    profile->features &= ~(unsigned)TSR_FEAT_FP64;
    CHECK(spec->op->check(spec, profile, &config, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "features: fp64");
    CHECK(!strchr(err.msg, '\n'));
    profile->features = features;
    tsr_opspec_free(spec);
}

/* ---- generated text --------------------------------------------------------- */

static char *generate(const tsr_opspec *spec, const char *config_text, const char *dialect)
{
    tsr_config config = check_config(spec->op, config_text);
    tsr_kernel_text text;
    tsr_error err = {{0}};
    if (tsr_kernel_generate(spec, profile, &config, dialect, &text, &err) != TSR_OK) {
        CHECK_MSG(false, "%s %s: %s", dialect, config_text, err.msg);
        return NULL;
    }
    return text.source; /* the caller frees it */
}

/* Whether `text` has a float literal: a number with a '.' or an exponent
 * and an 'f' suffix (1.5f, 0.0f, 1e-3f). */
static bool has_float_literal(const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9' || (p > text && (p[-1] == '_' || (p[-1] | 32) >= 'a')))
            continue;
        size_t len = strspn(p, "0123456789.e-");
        if (p[len] == 'f' && strpbrk(p, ".e") && strpbrk(p, ".e") < p + len)
            return true;
        p += len ? len - 1 : 0;
    }
    return false;
}

/* From the kernel's head on, nothing is float: no float type, no float
 * literal, no float math; the GELU constant has all 17 digits. */
static void f64_kernels_are_double_throughout(void)
{
    tsr_opspec *spec = f64_spec("row", "col", "bias: col, activation: gelu, beta: 1.5");
    static const char *const configs[] = {"", "VN=4,TN=8,STRN=0", "SA=0,SB=0,VW=1"};
    static const char *const dialects[] = {"opencl", "cuda", "hip"};
    for (int c = 0; spec && c < 3; c++)
        for (int d = 0; d < 3; d++) {
            char *source = generate(spec, configs[c], dialects[d]);
            if (!source)
                continue;
            const char *kernel = strstr(source, d == 0 ? "__kernel" : "__global__");
            CHECK_MSG(kernel, "%s: no kernel", dialects[d]);
            kernel = kernel ? kernel : source;
            CHECK_MSG(!strstr(kernel, "float"), "%s %s: float in the kernel", dialects[d],
                      configs[c]);
            CHECK_MSG(!strstr(kernel, "fmaf") && !strstr(kernel, "tanhf"), "%s: f32 math",
                      dialects[d]);
            CHECK_STR_CONTAINS(kernel, "const double alpha");
            CHECK_STR_CONTAINS(kernel, "0.79788456080286541");
            CHECK_MSG(!has_float_literal(kernel), "%s %s: a float literal", dialects[d],
                      configs[c]);
            if (d == 0)
                CHECK_STR_CONTAINS(source, "#pragma OPENCL EXTENSION cl_khr_fp64 : enable");
            else
                CHECK_STR_CONTAINS(source, "struct tsr_doublev");
            free(source);
        }
    tsr_opspec_free(spec);

    /* An f32 kernel's text is unchanged: no pragma, no double helpers. */
    const char *f32_text =
        "schema: 1\nname: s\nop: gemm\ndtype: f32\nshapes:\n  - {m: 7, n: 13, k: 17}\n";
    tsr_opspec *f32 = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("s.yaml", f32_text, strlen(f32_text), &f32, &err) == TSR_OK, "%s",
              err.msg);
    for (int d = 0; f32 && d < 3; d++) {
        char *source = generate(f32, "", dialects[d]);
        CHECK(source && !strstr(source, "double") && !strstr(source, "cl_khr_fp64"));
        free(source);
    }
    tsr_opspec_free(f32);
}

/* ---- runs on PoCL ----------------------------------------------------------- */

/* Ragged and batched: 1, primes, non-multiples of every tile, a batch of 2. */
static const tsr_shape shapes[] = {
    {{1, 1, 1, 1}}, {{37, 13, 71, 1}}, {{129, 65, 33, 2}}, {{67, 35, 41, 1}}};
enum { N_SHAPES = sizeof shapes / sizeof shapes[0], N_SAMPLED = 3 };

/* Hand-chosen paths (staged and direct, every thread map, vectors of 2, 4
 * and 8 doubles, vector accumulators, fetched ahead), then a seeded draw. */
static const char *const chosen[] = {
    "",
    "SA=0,SB=0,VW=1",
    "SA=0,SB=1,VW=8,PAD=1",
    "STRM=1,STRN=0,VW=2",
    "TN=8,VN=4,STRN=0",
    "PF=1,BK=8,KU=2",
};
enum { N_CHOSEN = sizeof chosen / sizeof chosen[0] };

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Every config on every shape; returns the failures. */
static int sweep(const tsr_opspec *spec, const tsr_config *configs, int n_configs, int *evaluated)
{
    tsr_problem *problems[N_SHAPES] = {NULL};
    tsr_error err = {{0}};
    int failed = 0;
    for (int i = 0; i < N_SHAPES; i++)
        CHECK_MSG(tsr_problem_create(device, spec, &shapes[i], 11 + (uint64_t)i, &problems[i],
                                     &err) == TSR_OK,
                  "%s", err.msg);
    for (int c = 0; c < n_configs; c++)
        for (int i = 0; i < N_SHAPES && problems[i]; i++) {
            char what[700], config_text[512], shape_text[128];
            tsr_config_format(spec->op, &configs[c], config_text, sizeof config_text);
            tsr_shape_format(spec->op, &shapes[i], shape_text, sizeof shape_text);
            snprintf(what, sizeof what, "%s %s", shape_text, config_text);
            failed += !check_verifies(problems[i], profile, spec, &configs[c], what);
            (*evaluated)++;
        }
    for (int i = 0; i < N_SHAPES; i++)
        tsr_problem_free(problems[i]);
    return failed;
}

static void f64_ragged_shapes_layouts_and_sampled_configs_verify(void)
{
    int evaluated = 0, failed = 0;
    for (int l = 0; l < 4; l++) {
        tsr_opspec *spec = f64_spec(layouts[l][0], layouts[l][1],
                                    l % 2 ? "alpha: -0.75, beta: 1.5" : "alpha: 1.0");
        if (!spec)
            continue;
        tsr_config configs[N_CHOSEN + N_SAMPLED];
        int n = 0;
        /* Half the chosen configs per layout, taking turns, keep PoCL's
         * compile time in bounds; each runs in two layouts. */
        for (int i = 0; i < N_CHOSEN; i++)
            if ((i + l) % 2 == 0) {
                configs[n] = check_config(spec->op, chosen[i]);
                tsr_error err = {{0}};
                CHECK_MSG(spec->op->check(spec, profile, &configs[n], &err) == TSR_OK, "'%s': %s",
                          chosen[i], err.msg);
                n++;
            }
        tsr_arena *arena = tsr_arena_create();
        tsr_search_space space;
        tsr_error err = {{0}};
        tsr_status st = arena ? tsr_space_build(arena, spec, profile, &space, &err) : TSR_ERR_NOMEM;
        CHECK_MSG(st == TSR_OK && space.count > 0, "%s", err.msg);
        uint64_t state = 20261129u + (uint64_t)l;
        for (int i = 0; st == TSR_OK && i < N_SAMPLED; i++)
            configs[n++] = space.configs[next_random(&state) % (uint64_t)space.count];
        tsr_arena_destroy(arena);
        failed += sweep(spec, configs, n, &evaluated);
        tsr_opspec_free(spec);
    }
    printf("     %d evaluations, %d not ok\n", evaluated, failed);
    CHECK(evaluated > 0 && failed == 0);
}

static void f64_fused_epilogue_verifies(void)
{
    tsr_opspec *spec = f64_spec(
        "col", "row", "bias: col, activation: gelu, residual: true, alpha: -0.75, beta: 1.5");
    if (!spec)
        return;
    tsr_config configs[2] = {check_config(spec->op, ""),
                             check_config(spec->op, "TN=8,VN=4,STRN=0")};
    int evaluated = 0;
    CHECK(sweep(spec, configs, 2, &evaluated) == 0);
    tsr_opspec_free(spec);
}

/* ---- planted faults ---------------------------------------------------------- */

/* A naive f64 kernel whose accumulator, products and loads are of the
 * given types: all double is right; any f32 step must fail the bound.
 * `skip` may leave an element unwritten. */
static void naive_source(char *buf, size_t size, const char *acc_type, const char *load,
                         const char *skip)
{
    snprintf(buf, size,
             "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
             "__kernel void naive(__global const double *A, __global const double *B,\n"
             "                    __global double *C, int M, int N, int K, double alpha,\n"
             "                    double beta)\n"
             "{\n"
             "    int col = get_global_id(0), row = get_global_id(1);\n"
             "    if (row >= M || col >= N)\n"
             "        return;\n"
             "    %s\n"
             "    %s acc = 0;\n"
             "    for (int p = 0; p < K; p++)\n"
             "        acc += (%s)A[row * K + p] * (%s)B[p * N + col];\n"
             "    C[row * N + col] = alpha * acc;\n"
             "}\n",
             skip, acc_type, load, load);
}

static void verifier_catches_any_f32_step(void)
{
    tsr_opspec *spec = f64_spec("row", "row", "");
    const tsr_shape shape = {{37, 13, 71, 1}};
    tsr_problem *problem = NULL;
    tsr_arena *arena = tsr_arena_create();
    tsr_error err = {{0}};
    if (!spec || !arena || tsr_problem_create(device, spec, &shape, 5, &problem, &err) != TSR_OK) {
        CHECK_MSG(false, "setup: %s", err.msg);
        goto out;
    }
    tsr_geometry geometry = {.dims = 2, .groups = {2, 5, 1}, .local = {8, 8, 1}};
    tsr_eval_options options = {.min_runs = 1, .max_runs = 1};
    static const struct {
        const char *acc, *load, *skip, *reason;
        tsr_outcome expected;
    } cases[] = {
        /* the harness itself is sound */
        {"double", "double", "", "", TSR_OUTCOME_OK},
        /* f32 accumulation; inputs narrowed to f32 */
        {"float", "double", "", "bound", TSR_OUTCOME_WRONG},
        {"double", "float", "", "bound", TSR_OUTCOME_WRONG},
        /* one element (row 5, col 3 of 13) left as the poison it starts as */
        {"double", "double", "if (row == 5 && col == 3) return;", "C[68] is NaN (never written)",
         TSR_OUTCOME_WRONG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char source[1024];
        naive_source(source, sizeof source, cases[i].acc, cases[i].load, cases[i].skip);
        tsr_result r = {0};
        CHECK_MSG(tsr_evaluate_source(problem, source, "naive", &geometry, &options, arena, &r,
                                      &err) == TSR_OK,
                  "%s", err.msg);
        CHECK_MSG(r.outcome == cases[i].expected, "acc %s, loads %s: %s (%s)", cases[i].acc,
                  cases[i].load, tsr_outcome_name(r.outcome), r.reason ? r.reason : "");
        if (cases[i].expected == TSR_OUTCOME_WRONG) {
            CHECK_STR_CONTAINS(r.reason, cases[i].reason);
            CHECK(r.max_error > 1e3 * spec->op->tolerance(spec, &shape));
        }
    }
out:
    tsr_problem_free(problem);
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
}

/* ---- the vendor library ------------------------------------------------------ */

static void clblast_dgemm_agrees_with_tessera(void)
{
    for (int l = 0; l < 4; l++) {
        tsr_opspec *spec = f64_spec(layouts[l][0], layouts[l][1], "alpha: -0.75, beta: 1.5");
        const tsr_shape shape = {{67, 35, 41, 1}};
        tsr_problem *problem = NULL;
        tsr_error err = {{0}};
        bool ready = spec && tsr_problem_create(device, spec, &shape, 9, &problem, &err) == TSR_OK;
        tsr_config config = ready ? check_config(spec->op, "") : (tsr_config){0};
        ready = ready && check_verifies(problem, profile, spec, &config, layouts[l][0]);
        CHECK_MSG(ready, "a=%s b=%s: %s", layouts[l][0], layouts[l][1], err.msg);
        double diff = -1.0, ms = 0.0;
        tsr_status st =
            ready ? tsr_problem_check_reference(problem, &diff, &ms, &err) : TSR_ERR_UNSUPPORTED;
        if (ready && st == TSR_ERR_UNSUPPORTED)
            printf("     skipped: %s\n", err.msg);
        else if (ready)
            CHECK_MSG(st == TSR_OK && diff >= 0.0 && diff <= 2 * spec->op->tolerance(spec, &shape),
                      "a=%s b=%s: CLBlast differs by %g (%s)", layouts[l][0], layouts[l][1], diff,
                      err.msg);
        tsr_problem_free(problem);
        tsr_opspec_free(spec);
        if (ready && st == TSR_ERR_UNSUPPORTED)
            break; /* no CLBlast in this build: one note is enough */
    }
}

int main(void)
{
    int opened = check_open_pocl(&device, &profile);
    if (opened >= 0)
        return opened;
    RUN_TEST(f64_spec_types_every_buffer_and_scalar_f64);
    RUN_TEST(profile_without_fp64_refuses_f64);
    RUN_TEST(f64_kernels_are_double_throughout);
    if (!device->info.has_fp64) {
        printf("skipped the runs: %s has no cl_khr_fp64\n", device->info.name);
    } else {
        RUN_TEST(verifier_catches_any_f32_step);
        RUN_TEST(f64_fused_epilogue_verifies);
        RUN_TEST(f64_ragged_shapes_layouts_and_sampled_configs_verify);
        RUN_TEST(clblast_dgemm_agrees_with_tessera);
    }
    tsr_profile_free(profile);
    tsr_device_close(device);
    return check_summary();
}
