/* The permute op. Without a device: its spec's perm and shapes, its keys,
 * the tile programs and launch rules it builds for perms that move the
 * innermost dim or keep it, the configs it refuses, and every perm tested
 * lowering and printing in every dialect. On PoCL: every perm of one and
 * two dims, every perm of three and a sample of four, on ragged shapes
 * (dims of 1, primes, non-multiples of every window), a sample of configs
 * that holds every value of every param, each verified exactly against
 * the reference on a poisoned output; and kernels that permute the wrong
 * way or leave an element out must fail verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "core/ir.h"
#include "core/lower.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "core/space.h"
#include "generators/generator.h"
#include "runner/runner.h"
#include "tests/check.h"
#include "tests/check_pocl.h"

enum { MAX_SHAPES = 5, N_CONFIGS = 4, N_CONFIGS_1D = 3 };

/* Every perm of one, two and three dims, and four-dim perms that keep the
 * innermost dim (attention's head permute among them) or move it
 * (NHWC->NCHW, its inverse, a full reversal, a rotation whose window rows
 * are d0, which the group then loops over in steps of TR). */
static const char *const perms[] = {
    "[0]",          "[0, 1]",       "[1, 0]",       "[0, 1, 2]",    "[0, 2, 1]",    "[1, 0, 2]",
    "[1, 2, 0]",    "[2, 0, 1]",    "[2, 1, 0]",    "[0, 1, 2, 3]", "[0, 2, 1, 3]", "[2, 0, 1, 3]",
    "[0, 1, 3, 2]", "[0, 3, 1, 2]", "[0, 2, 3, 1]", "[3, 2, 1, 0]", "[1, 2, 3, 0]", "[2, 0, 3, 1]",
};
#define N_PERMS ((int)(sizeof perms / sizeof perms[0]))

/* X's dims per rank: all ones, primes and dims of 1 between larger ones,
 * none a multiple of a window; rank 4 has a d0 above the largest TR. */
static const tsr_shape shapes[4][MAX_SHAPES] = {
    {{{1}}, {{7}}, {{1000}}, {{4099}}},
    {{{1, 1}}, {{7, 13}}, {{33, 65}}, {{1, 100}}, {{129, 3}}},
    {{{1, 1, 1}}, {{3, 5, 7}}, {{17, 1, 33}}, {{2, 37, 70}}},
    {{{1, 1, 1, 1}}, {{2, 3, 5, 7}}, {{3, 17, 1, 33}}, {{1, 2, 70, 37}}, {{70, 2, 3, 37}}},
};
static const int n_shapes[4] = {4, 5, 4, 5};

/* Together: every TR, TC, WG, VW and PAD. A perm that keeps the innermost
 * dim has no tile to pad (PAD=0 then); a 1-D perm keeps TC at 32. */
static const char *const configs[N_CONFIGS] = {
    "TR=8,TC=16,WG=32,VW=1,PAD=1",
    "TR=32,TC=32,WG=256,VW=4,PAD=0",
    "TR=64,TC=64,WG=128,VW=2,PAD=1",
    "TR=16,TC=128,WG=64,VW=4,PAD=1",
};
static const char *const configs_1d[N_CONFIGS_1D] = {
    "TR=8,TC=32,WG=32,VW=1",
    "TR=32,TC=32,WG=256,VW=4",
    "TR=64,TC=32,WG=128,VW=2",
};

static tsr_device *device;
static tsr_profile *profile;

static tsr_opspec *parse(const char *text, tsr_error *err)
{
    tsr_opspec *spec = NULL;
    if (tsr_opspec_parse("p.yaml", text, strlen(text), &spec, err) != TSR_OK)
        return NULL;
    return spec;
}

/* A spec of `perm` with one shape of as many dims, each 2. */
static tsr_opspec *permute_spec(const char *perm)
{
    static const char *const dims[] = {"{d0: 2}", "{d0: 2, d1: 2}", "{d0: 2, d1: 2, d2: 2}",
                                       "{d0: 2, d1: 2, d2: 2, d3: 2}"};
    int rank = 0;
    for (const char *c = perm; *c; c++)
        rank += *c >= '0' && *c <= '9';
    char text[256];
    snprintf(text, sizeof text,
             "schema: 1\nname: p\nop: permute\ndtype: f32\npermute: {perm: %s}\n"
             "shapes:\n  - %s\n",
             perm, dims[rank - 1]);
    tsr_error err = {{0}};
    tsr_opspec *spec = parse(text, &err);
    CHECK_MSG(spec != NULL, "%s: %s", perm, err.msg);
    return spec;
}

/* The config `text` over the defaults, adjusted to what the perm accepts. */
static tsr_config config_for(const tsr_opspec *spec, const char *text)
{
    tsr_config config;
    tsr_error err = {{0}};
    tsr_config_default(spec->op, &config);
    CHECK_MSG(tsr_config_parse(spec->op, text, &config, &err) == TSR_OK, "%s", err.msg);
    bool keeps_inner = spec->perm[spec->rank - 1] == spec->rank - 1;
    if (keeps_inner)
        CHECK(tsr_config_parse(spec->op, "PAD=0", &config, &err) == TSR_OK);
    return config;
}

/* ---- without a device ------------------------------------------------------------ */

static void perm_and_rank_come_from_the_spec_and_name_the_key(void)
{
    tsr_opspec *a = permute_spec("[1, 0]"), *b = permute_spec("[0, 2, 1, 3]");
    tsr_opspec *c = permute_spec("[0, 1, 3, 2]");
    if (!a || !b || !c)
        goto out;
    CHECK(a->rank == 2 && a->perm[0] == 1 && a->perm[1] == 0);
    CHECK(b->rank == 4 && b->perm[1] == 2 && b->perm[2] == 1);
    CHECK_MSG(!strcmp(tsr_opspec_key(a), "permute.f32.perm=1,0"), "%s", tsr_opspec_key(a));
    CHECK_MSG(!strcmp(tsr_opspec_key(b), "permute.f32.perm=0,2,1,3"), "%s", tsr_opspec_key(b));
    CHECK(strcmp(tsr_opspec_key(b), tsr_opspec_key(c)) != 0);
    /* Dims past the rank are 1 and stay out of the shape's text. */
    char text[64];
    CHECK(a->shapes[0].dim[2] == 1 && a->shapes[0].dim[3] == 1);
    tsr_shape_format(a->op, &a->shapes[0], text, sizeof text);
    CHECK_MSG(!strcmp(text, "d0=2,d1=2"), "%s", text);
out:
    tsr_opspec_free(a);
    tsr_opspec_free(b);
    tsr_opspec_free(c);
}

#define CHECK_REFUSED(perm, shape, where, message)                                                 \
    do {                                                                                           \
        char text_[256];                                                                           \
        tsr_error err_ = {{0}};                                                                    \
        snprintf(text_, sizeof text_,                                                              \
                 "schema: 1\nname: p\nop: permute\ndtype: f32\npermute: {perm: %s}\n"              \
                 "shapes:\n  - %s\n",                                                              \
                 (perm), (shape));                                                                 \
        tsr_opspec *spec_ = parse(text_, &err_);                                                   \
        CHECK_MSG(spec_ == NULL, "%s %s was accepted", (perm), (shape));                           \
        CHECK_STR_CONTAINS(err_.msg, (where));                                                     \
        CHECK_STR_CONTAINS(err_.msg, (message));                                                   \
        tsr_opspec_free(spec_);                                                                    \
    } while (0)

static void malformed_perms_and_shapes_are_refused_at_their_place(void)
{
    CHECK_REFUSED("[1, 1]", "{d0: 2, d1: 3}", "p.yaml:5:21:", "dim 1 is named twice");
    CHECK_REFUSED("[0, 2]", "{d0: 2, d1: 3}", "p.yaml:5:21:", "out of range 0..1");
    CHECK_REFUSED("[]", "{d0: 2}", "p.yaml:5:17:", "0 dims, a perm has 1 to 4");
    CHECK_REFUSED("[0, 1, 2, 3, 4]", "{d0: 2}", "p.yaml:5:17:", "5 dims");
    CHECK_REFUSED("[1, 0]", "{d0: 2, d1: 3, d3: 4}", "p.yaml:7:", "d3: the perm has 2 dims");
    CHECK_REFUSED("[1, 0, 2]", "{d0: 2, d2: 4}", "p.yaml:7:5:", "missing d1");
    CHECK_REFUSED("[1, 0]", "{d0: 65536, d1: 32768}", "p.yaml:7:5:", "d0*d1 = 2147483648");
}

/* The plain-text geometry rule of `perm` with `config_text`. */
static void expect_geometry(const char *perm, const char *config_text, const char *expected)
{
    tsr_opspec *spec = permute_spec(perm);
    if (!spec)
        return;
    tsr_config config = config_for(spec, config_text);
    tsr_geometry_rule rule;
    char text[128];
    spec->op->geometry_rule(spec, &config, &rule);
    tsr_geometry_rule_format(spec->op, &rule, text, sizeof text);
    CHECK_MSG(!strcmp(text, expected), "%s: %s, expected %s", perm, text, expected);
    tsr_opspec_free(spec);
}

static void geometry_tiles_the_plane_and_launches_along_the_batch_dims(void)
{
    const char *config = "TR=16,TC=64,WG=128";
    expect_geometry("[0]", "TR=16,TC=32,WG=128", "d0/512x128"); /* one row of TR * TC */
    expect_geometry("[1, 0]", config, "d1/64x128,d0/16x1");
    expect_geometry("[0, 1]", config, "d1/64x128,d0/16x1");
    expect_geometry("[2, 0, 1]", config, "d2/64x128,d1/16x1,d0/1x1");
    /* Four dims, three axes: d0 is looped over. */
    expect_geometry("[0, 2, 1, 3]", config, "d3/64x128,d1/16x1,d2/1x1");
    expect_geometry("[0, 3, 1, 2]", config, "d3/64x128,d2/16x1,d1/1x1");
    expect_geometry("[1, 2, 3, 0]", config, "d3/64x128,d1/1x1,d2/1x1");
}

/* The program `perm` builds with the default config, as text. */
static char *program_text(const char *perm)
{
    tsr_opspec *spec = permute_spec(perm);
    tsr_arena *arena = tsr_arena_create();
    tsr_tile_program *p = NULL;
    tsr_error err = {{0}};
    char *text = NULL;
    tsr_config config = spec ? config_for(spec, "") : (tsr_config){{0}};
    if (spec && arena && spec->op->build(arena, spec, profile, &config, &p, &err) == TSR_OK) {
        tsr_strbuf out;
        tsr_strbuf_init(&out);
        tsr_ir_format(p, &out);
        text = strdup(out.data ? out.data : "");
        tsr_strbuf_free(&out);
    }
    CHECK_MSG(text != NULL, "%s: %s", perm, err.msg);
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
    return text;
}

static void moving_the_innermost_dim_goes_through_a_shared_tile(void)
{
    char *text = program_text("[1, 0]");
    if (text) {
        CHECK_STR_CONTAINS(text, "tile tile shared f32 32x32");
        CHECK_STR_CONTAINS(text, "load tile <- X[");
        CHECK_STR_CONTAINS(text, "barrier\n  copy Y[");
        CHECK_STR_CONTAINS(text, "32x32 <- transpose tile vector 4");
        CHECK_MSG(!strstr(text, "loop"), "%s", text);
    }
    free(text);
    /* In a loop the tile is refilled only after every thread has read it. */
    text = program_text("[0, 3, 1, 2]");
    if (text) {
        CHECK_STR_CONTAINS(text, "loop i0 in [0, d0) step 1:\n    load tile");
        CHECK_STR_CONTAINS(text, "transpose tile vector 4\n    barrier\n");
    }
    free(text);
    text = program_text("[1, 2, 3, 0]"); /* the window's rows are d0's */
    if (text)
        CHECK_STR_CONTAINS(text, "loop i0 in [0, d0) step 32:");
    free(text);
}

static void keeping_the_innermost_dim_copies_rows_straight(void)
{
    char *text = program_text("[0, 2, 1, 3]");
    if (text) {
        CHECK_MSG(!strstr(text, "shared") && !strstr(text, "barrier"), "%s", text);
        CHECK_STR_CONTAINS(text, "loop i0 in [0, d0) step 1:\n    copy Y[");
        CHECK_STR_CONTAINS(text, "32x32 <- X[");
    }
    free(text);
    text = program_text("[0]");
    if (text)
        CHECK_STR_CONTAINS(text, "copy Y[0, (group_id(0) * 1024)] 1x1024 <- X[");
    free(text);
}

#define CHECK_CONFIG(perm, config_text, prof, message)                                             \
    do {                                                                                           \
        tsr_opspec *spec_ = permute_spec(perm);                                                    \
        tsr_config config_;                                                                        \
        tsr_error err_ = {{0}};                                                                    \
        if (!spec_)                                                                                \
            break;                                                                                 \
        tsr_config_default(spec_->op, &config_);                                                   \
        CHECK(tsr_config_parse(spec_->op, (config_text), &config_, &err_) == TSR_OK);              \
        tsr_status st_ = spec_->op->check(spec_, (prof), &config_, &err_);                         \
        if (*(message))                                                                            \
            CHECK_MSG(st_ == TSR_ERR_UNSUPPORTED && strstr(err_.msg, (message)), "%s %s: %s",      \
                      (perm), (config_text), st_ == TSR_OK ? "accepted" : err_.msg);               \
        else                                                                                       \
            CHECK_MSG(st_ == TSR_OK, "%s %s: %s", (perm), (config_text), err_.msg);                \
        tsr_opspec_free(spec_);                                                                    \
    } while (0)

static void check_refuses_what_a_profile_cannot_run_or_what_changes_nothing(void)
{
    tsr_profile *mi300x = check_load_profile("amd-mi300x");
    CHECK_CONFIG("[1, 0]", "TR=32,TC=32,WG=256,VW=4,PAD=1", profile, "");
    CHECK_CONFIG("[0, 2, 1, 3]", "PAD=1", profile, "PAD=1 pads a shared tile");
    CHECK_CONFIG("[0]", "TC=64", profile, "TC stays at 32");
    CHECK_CONFIG("[1, 0]", "TR=8,TC=16,VW=4,WG=256", profile, "256 threads for the 32 vectors");
    CHECK_CONFIG("[1, 0]", "TR=64,TC=128,VW=1,WG=32", profile, "256 vectors a thread");
    if (mi300x)
        CHECK_CONFIG("[1, 0]", "TR=8,TC=16,VW=1,WG=32", mi300x, "64-wide sub-groups");
    tsr_profile_free(mi300x);
}

/* Each perm's space is small, and every config in it lowers. */
static void every_perm_has_a_small_space_and_prints_in_every_dialect(void)
{
    static const char *const dialects[] = {"opencl", "cuda", "hip"};
    for (int i = 0; i < N_PERMS; i++) {
        tsr_opspec *spec = permute_spec(perms[i]);
        tsr_arena *arena = tsr_arena_create();
        tsr_search_space space;
        tsr_error err = {{0}};
        if (!spec || !arena || tsr_space_build(arena, spec, profile, &space, &err) != TSR_OK) {
            CHECK_MSG(false, "%s: %s", perms[i], err.msg);
            tsr_arena_destroy(arena);
            tsr_opspec_free(spec);
            continue;
        }
        CHECK_MSG(space.count >= 10 && space.count <= 300, "%s: %d configs", perms[i], space.count);
        for (int c = 0; c < space.count; c += 7) {
            tsr_tile_program *p = NULL;
            tp_kernel *kernel = NULL;
            tsr_strbuf out;
            tsr_strbuf_init(&out);
            tsr_status st = spec->op->build(arena, spec, profile, &space.configs[c], &p, &err);
            if (st == TSR_OK)
                st = tsr_lower(p, arena, &kernel, &err);
            for (int d = 0; d < 3 && st == TSR_OK; d++)
                st = tsr_generate(kernel, tsr_dialect_find(dialects[d]), NULL, &out, &err);
            CHECK_MSG(st == TSR_OK && strstr(out.data, "tsr_permute"), "%s config %d: %s", perms[i],
                      c, err.msg);
            tsr_strbuf_free(&out);
        }
        tsr_arena_destroy(arena);
        tsr_opspec_free(spec);
    }
}

/* ---- on PoCL ------------------------------------------------------------------ */

/* Whether one config verifies on one shape; prints why not. */
static bool verifies(tsr_problem *problem, const tsr_opspec *spec, const tsr_config *config,
                     const char *config_text, int shape)
{
    char what[160];
    snprintf(what, sizeof what, "shape %d %s", shape, config_text);
    return check_verifies(problem, profile, spec, config, what);
}

static void every_perm_verifies_exactly_on_ragged_shapes(void)
{
    int evaluated = 0, failed = 0;
    for (int i = 0; i < N_PERMS; i++) {
        tsr_opspec *spec = permute_spec(perms[i]);
        if (!spec)
            continue;
        int rank = spec->rank;
        const char *const *sample = rank == 1 ? configs_1d : configs;
        int n_configs = rank == 1 ? N_CONFIGS_1D : N_CONFIGS;
        for (int s = 0; s < n_shapes[rank - 1]; s++) {
            tsr_shape shape = shapes[rank - 1][s];
            for (int d = rank; d < TSR_PERM_MAX_RANK; d++)
                shape.dim[d] = 1;
            tsr_problem *problem = NULL;
            tsr_error err = {{0}};
            if (tsr_problem_create(device, spec, &shape, 3 + (uint64_t)s, &problem, &err) !=
                TSR_OK) {
                CHECK_MSG(false, "%s", err.msg);
                continue;
            }
            for (int c = 0; c < n_configs; c++, evaluated++) {
                tsr_config config = config_for(spec, sample[c]);
                failed += !verifies(problem, spec, &config, sample[c], s);
            }
            tsr_problem_free(problem);
        }
        tsr_opspec_free(spec);
    }
    printf("     %d perms: %d evaluations, %d not ok\n", N_PERMS, evaluated, failed);
    CHECK(evaluated > 250 && failed == 0);
}

/* The outcome of a hand-written kernel, one work-item an element of X, on
 * a 7 x 13 transpose. */
static tsr_outcome run_planted(const char *store)
{
    char source[1024];
    snprintf(source, sizeof source,
             "__kernel void planted(__global const float *X, __global float *Y, int d0, int "
             "d1)\n"
             "{\n"
             "    int i = get_global_id(0), j = get_global_id(1);\n"
             "    %s\n"
             "}\n",
             store);
    tsr_opspec *spec = permute_spec("[1, 0]");
    const tsr_shape shape = {{7, 13, 1, 1}};
    tsr_geometry geometry = {.dims = 2, .groups = {7, 13, 1}, .local = {1, 1, 1}};
    tsr_eval_options options = {.min_runs = 1, .max_runs = 1};
    tsr_problem *problem = NULL;
    tsr_arena *arena = tsr_arena_create();
    tsr_error err = {{0}};
    tsr_result r = {0};
    tsr_status st =
        spec && arena ? tsr_problem_create(device, spec, &shape, 5, &problem, &err) : TSR_ERR_NOMEM;
    if (st == TSR_OK)
        st = tsr_evaluate_source(problem, source, "planted", &geometry, &options, arena, &r, &err);
    CHECK_MSG(st == TSR_OK, "%s", err.msg);
    tsr_problem_free(problem);
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
    return st == TSR_OK ? r.outcome : TSR_OUTCOME_CRASHED;
}

static void verifier_catches_a_wrong_perm_and_a_missing_element(void)
{
    /* The harness itself is sound. */
    CHECK(run_planted("Y[j * d0 + i] = X[i * d1 + j];") == TSR_OUTCOME_OK);
    /* A copy that does not permute. */
    CHECK(run_planted("Y[i * d1 + j] = X[i * d1 + j];") == TSR_OUTCOME_WRONG);
    /* The last element left poisoned. */
    CHECK(run_planted("if (i < d0 - 1 || j < d1 - 1) Y[j * d0 + i] = X[i * d1 + j];") ==
          TSR_OUTCOME_WRONG);
    /* One element off by its last bit: the tolerance is 0. */
    CHECK(run_planted("Y[j * d0 + i] = X[i * d1 + j] * (i == 3 && j == 5 ? 1.0000001f : 1.0f);") ==
          TSR_OUTCOME_WRONG);
}

int main(void)
{
    profile = check_load_profile("pocl-cpu");
    if (!profile)
        return check_summary();
    RUN_TEST(perm_and_rank_come_from_the_spec_and_name_the_key);
    RUN_TEST(malformed_perms_and_shapes_are_refused_at_their_place);
    RUN_TEST(geometry_tiles_the_plane_and_launches_along_the_batch_dims);
    RUN_TEST(moving_the_innermost_dim_goes_through_a_shared_tile);
    RUN_TEST(keeping_the_innermost_dim_copies_rows_straight);
    RUN_TEST(check_refuses_what_a_profile_cannot_run_or_what_changes_nothing);
    RUN_TEST(every_perm_has_a_small_space_and_prints_in_every_dialect);
    tsr_profile_free(profile);
    int opened = check_open_pocl(&device, &profile);
    if (opened == 77)
        return check_summary();
    if (opened >= 0)
        return opened;
    RUN_TEST(every_perm_verifies_exactly_on_ragged_shapes);
    RUN_TEST(verifier_catches_a_wrong_perm_and_a_missing_element);
    tsr_profile_free(profile);
    tsr_device_close(device);
    return check_summary();
}
