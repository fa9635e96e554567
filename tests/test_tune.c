/* The tuner: strategies visit the space in the order they promise, the
 * budget and the stop flag end a run early, the store makes a rerun resume
 * where the last one stopped, and failures are counted, never chosen.
 * A fake evaluator (times from a formula, no device) drives most tests;
 * the last one tunes a real GEMM on PoCL. */
#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "core/space.h"
#include "core/store.h"
#include "core/tune.h"
#include "devices/devices.h"
#include "runner/runner.h"
#include "tests/check.h"

static char temp_dir[64];

/* ---- fixtures ------------------------------------------------------------------ */

enum { MAX_VISITS = 64 };

/* Softmax's space on a profile of at most 64 threads and no sub-group
 * shuffles: WG 8..64 (4 of its 8 values) x VW 1..8 (all 4) x ONLINE 0, 1
 * with SG 0 = 32 configs; the 96 others (WG above 64, or SG=1) refused.
 * ONLINE doubled the space and SG, which the profile cannot run, the
 * refused part. */
static const int SPACE_SIZE = 32, SPACE_REJECTED = 96;

typedef struct fake {
    const tsr_op_def *op;
    int calls;
    int visited[MAX_VISITS]; /* ONLINE * 10000 + WG * 100 + VW, in call order */
    int stop_after;          /* raise *stop after this many calls; 0: never */
    volatile sig_atomic_t *stop;
} fake;

static int code_of(const tsr_op_def *op, const tsr_config *config)
{
    return tsr_config_get(op, config, "ONLINE") * 10000 + tsr_config_get(op, config, "WG") * 100 +
           tsr_config_get(op, config, "VW");
}

/* Time 1 + |log2 WG - 5| + |log2 VW - 2| ms, half a ms more with ONLINE:
 * the unique best is WG=32, VW=4, ONLINE=0 at 1 ms. WG=8 with VW=8 "computes
 * wrong results" and WG=16 with VW=8 "fails to build" (ONLINE=0 both),
 * faster than the best, so choosing either shows. */
static tsr_status fake_evaluate(void *ctx_ptr, const tsr_config *config, tsr_arena *arena,
                                tsr_result *result, tsr_error *err)
{
    (void)err;
    fake *f = ctx_ptr;
    int wg = tsr_config_get(f->op, config, "WG"), vw = tsr_config_get(f->op, config, "VW");
    int online = tsr_config_get(f->op, config, "ONLINE");
    if (f->calls < MAX_VISITS)
        f->visited[f->calls] = code_of(f->op, config);
    f->calls++;
    if (f->stop_after && f->calls >= f->stop_after)
        *f->stop = 1;
    if (vw == 8 && (wg == 8 || wg == 16) && !online) {
        result->outcome = wg == 8 ? TSR_OUTCOME_WRONG : TSR_OUTCOME_BUILD_FAILED;
        result->reason = tsr_arena_strdup(arena, "planted by the test");
        result->time_ms = 0.01;
        return TSR_OK;
    }
    result->outcome = TSR_OUTCOME_OK;
    result->time_ms = 1.0 + fabs(log2(wg) - 5.0) + fabs(log2(vw) - 2.0) + 0.5 * online;
    result->gflops = 2.0 * 256 * 256 * 256 / (result->time_ms * 1e6); /* the bowl's shape */
    result->kernel_name = "fake";
    result->language = "none";
    return TSR_OK;
}

static tsr_opspec *softmax_spec(void)
{
    static const char text[] = "schema: 1\nname: s\nop: softmax\ndtype: f32\n"
                               "shapes:\n  - {rows: 3, cols: 5}\n";
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("s.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    return spec;
}

static tsr_profile *small_profile(void)
{
    static const char text[] =
        "schema: 1\nname: small\ndescription: \"made by the test\"\nvendor: v\narch: a\n"
        "compute:\n"
        "  units: {value: 1, source: \"test\"}\n"
        "  simd_width: {value: 8, source: \"test\"}\n"
        "  max_work_group_size: {value: 64, source: \"test\"}\n"
        "memory:\n  shared_per_block: {value: 4096, source: \"test\"}\n"
        "backends: [opencl]\n";
    tsr_profile *profile = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_profile_parse("small.yaml", text, strlen(text), &profile, &err) == TSR_OK, "%s",
              err.msg);
    return profile;
}

static tsr_store *open_store(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s.db", temp_dir, name);
    tsr_store *store = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_store_open(path, &store, &err) == TSR_OK, "%s", err.msg);
    return store;
}

/* Everything one fake run needs, made and freed together. */
typedef struct bench {
    tsr_opspec *spec;
    tsr_profile *profile;
    tsr_shape shape;
    fake fake;
    volatile sig_atomic_t stop;
    tsr_tune_options options;
} bench;

static bool bench_init(bench *b, tsr_strategy strategy, uint64_t seed)
{
    memset(b, 0, sizeof *b);
    b->spec = softmax_spec();
    b->profile = small_profile();
    b->shape = (tsr_shape){{3, 5}};
    if (!b->spec || !b->profile)
        return false;
    b->fake.op = b->spec->op;
    b->fake.stop = &b->stop;
    b->options = (tsr_tune_options){.strategy = strategy,
                                    .seed = seed,
                                    .device = "fake|test",
                                    .evaluate = fake_evaluate,
                                    .evaluate_ctx = &b->fake,
                                    .stop = &b->stop};
    return true;
}

static void bench_free(bench *b)
{
    tsr_profile_free(b->profile);
    tsr_opspec_free(b->spec);
}

/* One run with fresh evaluator counters; the summary's strings live in
 * `arena`. */
static tsr_status run(bench *b, tsr_store *store, tsr_arena *arena, tsr_tune_summary *summary)
{
    b->fake.calls = 0;
    tsr_error err = {{0}};
    tsr_status st =
        tsr_tune(store, b->spec, b->profile, &b->shape, &b->options, arena, summary, &err);
    CHECK_MSG(st == TSR_OK, "%s", err.msg);
    return st;
}

/* ---- strategies ---------------------------------------------------------------- */

static void exhaustive_visits_every_config_in_space_order_and_finds_the_best(void)
{
    bench b;
    tsr_store *store = open_store("exhaustive");
    tsr_arena *arena = tsr_arena_create();
    tsr_tune_summary summary;
    if (!bench_init(&b, TSR_STRATEGY_EXHAUSTIVE, 1) || !store || !arena ||
        run(&b, store, arena, &summary) != TSR_OK)
        goto out;
    tsr_search_space space;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_space_build(arena, b.spec, b.profile, &space, &err) == TSR_OK, "%s", err.msg);
    CHECK(space.count == SPACE_SIZE && b.fake.calls == SPACE_SIZE);
    for (int i = 0; i < space.count && i < b.fake.calls; i++)
        CHECK_MSG(b.fake.visited[i] == code_of(b.spec->op, &space.configs[i]),
                  "visit %d was %d, expected %d", i, b.fake.visited[i],
                  code_of(b.spec->op, &space.configs[i]));
    CHECK(summary.visited == SPACE_SIZE && summary.evaluated == SPACE_SIZE);
    CHECK(!summary.interrupted);
    CHECK(summary.found && summary.best.outcome == TSR_OUTCOME_OK);
    CHECK_STR_CONTAINS(summary.best.config, "WG=32,VW=4");
    CHECK(summary.best.time_ms == 1.0);
out:
    tsr_arena_destroy(arena);
    tsr_store_close(store);
    bench_free(&b);
}

/* The visit order of a random run, in a store of its own. */
static int strategy_order(tsr_strategy strategy, const char *store_name, uint64_t seed, int *order)
{
    bench b;
    tsr_store *store = open_store(store_name);
    tsr_arena *arena = tsr_arena_create();
    tsr_tune_summary summary;
    int calls = -1;
    if (bench_init(&b, strategy, seed) && store && arena &&
        run(&b, store, arena, &summary) == TSR_OK) {
        calls = b.fake.calls;
        memcpy(order, b.fake.visited, sizeof b.fake.visited);
        CHECK_STR_CONTAINS(summary.best.config, "WG=32,VW=4");
    }
    tsr_arena_destroy(arena);
    tsr_store_close(store);
    bench_free(&b);
    return calls;
}

static int random_order(const char *store_name, uint64_t seed, int *order)
{
    return strategy_order(TSR_STRATEGY_RANDOM, store_name, seed, order);
}

static void random_order_follows_the_seed_and_covers_the_space(void)
{
    int first[MAX_VISITS], again[MAX_VISITS], other[MAX_VISITS];
    CHECK(random_order("random-a", 42, first) == SPACE_SIZE);
    CHECK(random_order("random-b", 42, again) == SPACE_SIZE);
    CHECK(random_order("random-c", 43, other) == SPACE_SIZE);
    CHECK(memcmp(first, again, sizeof(int) * (size_t)SPACE_SIZE) == 0);
    CHECK(memcmp(first, other, sizeof(int) * (size_t)SPACE_SIZE) != 0);
    /* a permutation: every config once */
    int seen = 0;
    for (int i = 0; i < SPACE_SIZE; i++)
        for (int j = 0; j < SPACE_SIZE; j++)
            seen += i != j && first[i] == first[j];
    CHECK(seen == 0);
    /* and not the exhaustive order */
    bool ascending = true;
    for (int i = 1; i < SPACE_SIZE; i++)
        ascending &= first[i] > first[i - 1];
    CHECK(!ascending);
}

/* A random search of a new shape first tries what won the other shapes of
 * the op on the device, then the op's starting config, then random ones. */
static void random_search_starts_from_other_shapes_winners_then_the_start_config(void)
{
    bench b;
    tsr_store *store = open_store("warm");
    tsr_arena *arena = tsr_arena_create();
    tsr_tune_summary summary;
    if (bench_init(&b, TSR_STRATEGY_RANDOM, 7) && store && arena &&
        run(&b, store, arena, &summary) == TSR_OK) {
        CHECK_STR_CONTAINS(summary.best.config, "WG=32,VW=4");
        b.shape = (tsr_shape){{4, 6}};
        b.options.budget_evals = 3;
        tsr_config start;
        const char *origin = NULL;
        tsr_error err = {{0}};
        CHECK(tsr_config_start(b.spec, b.profile, &start, &origin, &err) == TSR_OK);
        if (run(&b, store, arena, &summary) == TSR_OK) {
            CHECK(b.fake.calls == 3);
            CHECK_MSG(b.fake.visited[0] == 3204, "first visit %d, not the winner 3204",
                      b.fake.visited[0]);
            CHECK_MSG(b.fake.visited[1] == code_of(b.spec->op, &start),
                      "second visit %d, not the starting config %d", b.fake.visited[1],
                      code_of(b.spec->op, &start));
        }
    }
    tsr_arena_destroy(arena);
    tsr_store_close(store);
    bench_free(&b);
}

static void budget_limits_the_visits_and_a_larger_one_resumes(void)
{
    bench b;
    tsr_store *store = open_store("budget");
    tsr_arena *arena = tsr_arena_create();
    tsr_tune_summary summary;
    if (!bench_init(&b, TSR_STRATEGY_RANDOM, 7) || !store || !arena)
        goto out;
    b.options.budget_evals = 5;
    if (run(&b, store, arena, &summary) != TSR_OK)
        goto out;
    CHECK(b.fake.calls == 5 && summary.visited == 5 && summary.evaluated == 5);
    int first_five[5];
    memcpy(first_five, b.fake.visited, sizeof first_five);
    /* the same seed walks the same prefix: the stored five are skipped */
    b.options.budget_evals = 7;
    if (run(&b, store, arena, &summary) != TSR_OK)
        goto out;
    CHECK_MSG(b.fake.calls == 2, "%d calls", b.fake.calls);
    CHECK(summary.visited == 7 && summary.evaluated == 2);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 5; j++)
            CHECK(b.fake.visited[i] != first_five[j]);
out:
    tsr_arena_destroy(arena);
    tsr_store_close(store);
    bench_free(&b);
}

/* ---- resuming -------------------------------------------------------------------- */

static void second_identical_run_evaluates_nothing_and_reports_the_same_best(void)
{
    bench b;
    tsr_store *store = open_store("resume");
    tsr_arena *arena = tsr_arena_create();
    tsr_tune_summary first, second;
    if (!bench_init(&b, TSR_STRATEGY_EXHAUSTIVE, 1) || !store || !arena ||
        run(&b, store, arena, &first) != TSR_OK || run(&b, store, arena, &second) != TSR_OK)
        goto out;
    CHECK(b.fake.calls == 0);
    CHECK(second.visited == SPACE_SIZE && second.evaluated == 0);
    CHECK(second.found && first.found);
    CHECK(second.found && !strcmp(second.best.config, first.best.config));
    CHECK(second.best.time_ms == first.best.time_ms);
    CHECK(memcmp(first.outcomes, second.outcomes, sizeof first.outcomes) == 0);
out:
    tsr_arena_destroy(arena);
    tsr_store_close(store);
    bench_free(&b);
}

static void stopped_run_resumes_with_exactly_the_remaining_evaluations(void)
{
    bench b;
    tsr_store *whole = open_store("whole"), *parts = open_store("parts");
    tsr_arena *arena = tsr_arena_create();
    tsr_tune_summary uninterrupted, stopped, resumed;
    if (!bench_init(&b, TSR_STRATEGY_RANDOM, 99) || !whole || !parts || !arena ||
        run(&b, whole, arena, &uninterrupted) != TSR_OK)
        goto out;
    enum { STOP_AFTER = 6 };
    b.fake.stop_after = STOP_AFTER;
    if (run(&b, parts, arena, &stopped) != TSR_OK)
        goto out;
    /* the candidate in flight finishes and is stored; no further one starts */
    CHECK(stopped.interrupted);
    CHECK_MSG(b.fake.calls == STOP_AFTER && stopped.evaluated == STOP_AFTER, "%d calls",
              b.fake.calls);
    b.fake.stop_after = 0;
    b.stop = 0;
    if (run(&b, parts, arena, &resumed) != TSR_OK)
        goto out;
    CHECK(!resumed.interrupted);
    CHECK_MSG(b.fake.calls == SPACE_SIZE - STOP_AFTER, "%d calls", b.fake.calls);
    CHECK(resumed.visited == SPACE_SIZE && resumed.evaluated == SPACE_SIZE - STOP_AFTER);
    CHECK(resumed.found && uninterrupted.found &&
          !strcmp(resumed.best.config, uninterrupted.best.config));
    CHECK(memcmp(resumed.outcomes, uninterrupted.outcomes, sizeof resumed.outcomes) == 0);
out:
    tsr_arena_destroy(arena);
    tsr_store_close(parts);
    tsr_store_close(whole);
    bench_free(&b);
}

/* ---- outcomes and counts --------------------------------------------------------- */

static void failed_candidates_are_counted_and_never_chosen(void)
{
    bench b;
    tsr_store *store = open_store("outcomes");
    tsr_arena *arena = tsr_arena_create();
    tsr_tune_summary summary;
    if (!bench_init(&b, TSR_STRATEGY_EXHAUSTIVE, 1) || !store || !arena ||
        run(&b, store, arena, &summary) != TSR_OK)
        goto out;
    CHECK(summary.outcomes[TSR_OUTCOME_WRONG] == 1);
    CHECK(summary.outcomes[TSR_OUTCOME_BUILD_FAILED] == 1);
    CHECK(summary.outcomes[TSR_OUTCOME_OK] == SPACE_SIZE - 2);
    CHECK(summary.best.outcome == TSR_OUTCOME_OK && summary.best.time_ms == 1.0);
    /* the store agrees, outcome by outcome, and picks the same best */
    char shape_text[64];
    tsr_shape_format(b.spec->op, &b.shape, shape_text, sizeof shape_text);
    int counts[TSR_OUTCOME_COUNT];
    tsr_error err = {{0}};
    CHECK(tsr_store_count(store, tsr_opspec_key(b.spec), "fake|test", shape_text, counts, &err) ==
          TSR_OK);
    CHECK(memcmp(counts, summary.outcomes, sizeof counts) == 0);
    tsr_result best;
    bool found = false;
    CHECK(tsr_store_best(store, arena, tsr_opspec_key(b.spec), "fake|test", shape_text, &best,
                         &found, &err) == TSR_OK);
    CHECK(found && !strcmp(best.config, summary.best.config));
    tsr_result wrong;
    CHECK(tsr_store_get(store, arena, tsr_opspec_key(b.spec), "fake|test", shape_text,
                        "WG=8,VW=8,SG=0,ONLINE=0", &wrong, &found, &err) == TSR_OK);
    CHECK(found && wrong.outcome == TSR_OUTCOME_WRONG);
    CHECK_STR_CONTAINS(wrong.reason, "planted");
out:
    tsr_arena_destroy(arena);
    tsr_store_close(store);
    bench_free(&b);
}

static void space_counts_add_up_to_every_combination(void)
{
    bench b;
    tsr_store *store = open_store("counts");
    tsr_arena *arena = tsr_arena_create();
    tsr_tune_summary summary;
    if (!bench_init(&b, TSR_STRATEGY_EXHAUSTIVE, 1) || !store || !arena)
        goto out;
    b.options.budget_evals = 3;
    if (run(&b, store, arena, &summary) != TSR_OK)
        goto out;
    int combinations = 1;
    for (int i = 0; i < b.spec->op->n_params; i++)
        combinations *= b.spec->op->params[i].n_values;
    CHECK(summary.space_size == SPACE_SIZE && summary.space_rejected == SPACE_REJECTED);
    CHECK(summary.space_size + summary.space_rejected == combinations);
    CHECK(summary.visited == 3);
out:
    tsr_arena_destroy(arena);
    tsr_store_close(store);
    bench_free(&b);
}

static void strategy_names_round_trip(void)
{
    CHECK(tsr_strategy_from_name("exhaustive") == TSR_STRATEGY_EXHAUSTIVE);
    CHECK(tsr_strategy_from_name("random") == TSR_STRATEGY_RANDOM);
    CHECK(tsr_strategy_from_name("bogus") == -1);
    CHECK(!strcmp(tsr_strategy_name(TSR_STRATEGY_RANDOM), "random"));
    CHECK(!strcmp(tsr_strategy_name(TSR_STRATEGY_EXHAUSTIVE), "exhaustive"));
    for (int k = TSR_STRATEGY_EXHAUSTIVE; k <= TSR_STRATEGY_MODEL; k++)
        CHECK(tsr_strategy_from_name(tsr_strategy_name((tsr_strategy)k)) == k);
}

/* ---- a real tune on PoCL --------------------------------------------------------- */

typedef struct real_ctx {
    tsr_problem *problem;
    const tsr_profile *profile;
} real_ctx;

static tsr_status real_evaluate(void *ctx_ptr, const tsr_config *config, tsr_arena *arena,
                                tsr_result *result, tsr_error *err)
{
    real_ctx *ctx = ctx_ptr;
    tsr_eval_options options = {.min_runs = 1, .max_runs = 3};
    return tsr_evaluate(ctx->problem, ctx->profile, config, &options, arena, result, err);
}

/* Says why a candidate failed, so that a failing run explains itself. */
static void report_failures(void *ctx, const tsr_tune_progress *progress)
{
    (void)ctx;
    const tsr_result *r = progress->latest;
    if (r->outcome != TSR_OUTCOME_OK)
        fprintf(stderr, "  %s: %s: %s\n", r->config, tsr_outcome_name(r->outcome),
                r->reason ? r->reason : "");
}

static void real_tune_on_pocl_stores_its_results_and_resumes(void)
{
    tsr_device *device = NULL;
    tsr_error err = {{0}};
    if (tsr_device_open("opencl:0", &device, &err) != TSR_OK) {
        printf("     skipped: no OpenCL device: %s\n", err.msg);
        return;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/ops/sgemm.yaml", check_source_root());
    tsr_opspec *spec = NULL;
    tsr_profile *profile = NULL;
    tsr_store *store = open_store("real");
    tsr_arena *arena = tsr_arena_create();
    tsr_problem *problem = NULL;
    const tsr_shape shape = {{33, 17, 9, 1}};
    CHECK_MSG(tsr_opspec_load(path, &spec, &err) == TSR_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/profiles/pocl-cpu.yaml", check_source_root());
    CHECK_MSG(tsr_profile_load(path, &profile, &err) == TSR_OK, "%s", err.msg);
    if (!spec || !profile || !store || !arena ||
        tsr_problem_create(device, spec, &shape, 1, &problem, &err) != TSR_OK)
        goto out;
    char fingerprint[768], shape_text[64];
    tsr_device_fingerprint(&device->info, fingerprint, sizeof fingerprint);
    tsr_shape_format(spec->op, &shape, shape_text, sizeof shape_text);
    real_ctx ctx = {problem, profile};
    tsr_tune_options options = {.strategy = TSR_STRATEGY_RANDOM,
                                .budget_evals = 4,
                                .seed = 5,
                                .device = fingerprint,
                                .evaluate = real_evaluate,
                                .evaluate_ctx = &ctx,
                                .progress = report_failures};
    tsr_tune_summary first, second;
    CHECK_MSG(tsr_tune(store, spec, profile, &shape, &options, arena, &first, &err) == TSR_OK, "%s",
              err.msg);
    CHECK(first.visited == 4 && first.evaluated == 4);
    CHECK_MSG(first.outcomes[TSR_OUTCOME_OK] == 4, "%d of 4 ok", first.outcomes[TSR_OUTCOME_OK]);
    int counts[TSR_OUTCOME_COUNT], stored = 0;
    CHECK(tsr_store_count(store, tsr_opspec_key(spec), fingerprint, shape_text, counts, &err) ==
          TSR_OK);
    for (int o = 0; o < TSR_OUTCOME_COUNT; o++)
        stored += counts[o];
    CHECK_MSG(stored == 4, "%d stored", stored);
    tsr_result best;
    bool found = false;
    CHECK(tsr_store_best(store, arena, tsr_opspec_key(spec), fingerprint, shape_text, &best, &found,
                         &err) == TSR_OK);
    CHECK(found && best.source && strstr(best.source, "__kernel") && best.geometry && best.args);
    CHECK(found && first.found && !strcmp(best.config, first.best.config));

    CHECK_MSG(tsr_tune(store, spec, profile, &shape, &options, arena, &second, &err) == TSR_OK,
              "%s", err.msg);
    CHECK(second.visited == 4 && second.evaluated == 0);
    CHECK(second.found && first.found && !strcmp(second.best.config, first.best.config));
out:
    tsr_problem_free(problem);
    tsr_arena_destroy(arena);
    tsr_store_close(store);
    tsr_profile_free(profile);
    tsr_opspec_free(spec);
    tsr_device_close(device);
}

/* The temp dir holds only the stores (and SQLite's side files). */
/* ---- adaptive strategies ---------------------------------------------------------- */

/* Annealing, the genetic algorithm and the model-guided search on the small
 * space: each config once, the same walk for the same seed, and the best
 * found. */
static void adaptive_strategies_visit_each_config_once_and_follow_the_seed(void)
{
    static const tsr_strategy strategies[] = {TSR_STRATEGY_ANNEAL, TSR_STRATEGY_GENETIC,
                                              TSR_STRATEGY_MODEL};
    for (int k = 0; k < 3; k++) {
        int first[MAX_VISITS], again[MAX_VISITS], other[MAX_VISITS];
        char a[32], b[32], c[32];
        snprintf(a, sizeof a, "adaptive-%d-a", k);
        snprintf(b, sizeof b, "adaptive-%d-b", k);
        snprintf(c, sizeof c, "adaptive-%d-c", k);
        CHECK(strategy_order(strategies[k], a, 5, first) == SPACE_SIZE);
        CHECK(strategy_order(strategies[k], b, 5, again) == SPACE_SIZE);
        CHECK(strategy_order(strategies[k], c, 6, other) == SPACE_SIZE);
        CHECK(memcmp(first, again, sizeof(int) * (size_t)SPACE_SIZE) == 0);
        int repeats = 0;
        for (int i = 0; i < SPACE_SIZE; i++)
            for (int j = 0; j < SPACE_SIZE; j++)
                repeats += i != j && first[i] == first[j];
        CHECK_MSG(repeats == 0, "%s visited a config twice", tsr_strategy_name(strategies[k]));
    }
}

/* A larger space (GEMM on a small profile) with a smooth synthetic time:
 * fewer evaluations than random search to come within 5% of the best,
 * median over seeds. Deterministic: no device, no clock. */
typedef struct bowl {
    const tsr_op_def *op;
    int calls, reached; /* the call that first came within 5% of the best */
    double best_possible;
    volatile sig_atomic_t stop; /* set once reached: the rest would not count */
} bowl;

/* The bowl's centre is far from what the GEMM analytic estimate favours
 * (which starts the model-guided search), so that what is measured is the
 * search and what it learns, not the estimate's luck. */
static double bowl_time(const tsr_op_def *op, const tsr_config *c)
{
    static const struct {
        const char *name;
        double want;
    } centre[] = {{"BM", 16}, {"BN", 128}, {"BK", 4}, {"TM", 1}, {"TN", 16}, {"VW", 1}, {"KU", 1}};
    double t = 1.0;
    for (size_t i = 0; i < sizeof centre / sizeof centre[0]; i++) {
        double v = tsr_config_get(op, c, centre[i].name);
        t *= 1.0 + 0.3 * fabs(log2(v / centre[i].want));
    }
    return t;
}

static tsr_status bowl_evaluate(void *ctx, const tsr_config *config, tsr_arena *arena,
                                tsr_result *result, tsr_error *err)
{
    (void)arena;
    (void)err;
    bowl *w = ctx;
    w->calls++;
    result->outcome = TSR_OUTCOME_OK;
    result->time_ms = bowl_time(w->op, config);
    result->gflops = 2.0 * 256 * 256 * 256 / (result->time_ms * 1e6); /* the bowl's shape */
    if (!w->reached && result->time_ms <= 1.05 * w->best_possible) {
        w->reached = w->calls;
        w->stop = 1;
    }
    return TSR_OK;
}

static int compare_ints(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static const char bowl_spec_text[] =
    "schema: 1\nname: g\nop: gemm\ndtype: f32\n"
    "gemm: {a: row, b: row}\nshapes:\n  - {m: 256, n: 256, k: 256}\n";
static const char bowl_profile_text[] =
    "schema: 1\nname: bowl\ndescription: \"made by the test\"\nvendor: v\narch: a\n"
    "compute:\n  units: {value: 4, source: \"test\"}\n"
    "  simd_width: {value: 8, source: \"test\"}\n"
    "  max_work_group_size: {value: 256, source: \"test\"}\n"
    "  preferred_vector_width: {value: 4, source: \"test\"}\n"
    "memory:\n  shared_per_block: {value: 32768, source: \"test\"}\n"
    "registers:\n  per_thread: {value: 128, source: \"test\"}\n"
    "backends: [opencl]\n";

static void bowl_setup(tsr_opspec **spec, tsr_profile **profile)
{
    tsr_error err = {{0}};
    CHECK(tsr_opspec_parse("g.yaml", bowl_spec_text, strlen(bowl_spec_text), spec, &err) == TSR_OK);
    CHECK_MSG(tsr_profile_parse("bowl.yaml", bowl_profile_text, strlen(bowl_profile_text), profile,
                                &err) == TSR_OK,
              "%s", err.msg);
}

static void adaptive_strategies_need_fewer_evaluations_than_random(void)
{
    tsr_opspec *spec = NULL;
    tsr_profile *profile = NULL;
    tsr_error err = {{0}};
    bowl_setup(&spec, &profile);
    if (!spec || !profile)
        return;
    /* The best of the space, by brute force. Every tune below searches
     * this one space: built once, not once a run (a second each). */
    tsr_arena *arena = tsr_arena_create();
    tsr_search_space space;
    CHECK(tsr_space_build(arena, spec, profile, &space, &err) == TSR_OK);
    double best = INFINITY;
    for (int i = 0; i < space.count; i++)
        best = fmin(best, bowl_time(spec->op, &space.configs[i]));
    static const tsr_strategy strategies[] = {TSR_STRATEGY_RANDOM, TSR_STRATEGY_ANNEAL,
                                              TSR_STRATEGY_GENETIC, TSR_STRATEGY_MODEL};
    enum { SEEDS = 5, BUDGET = 600 };
    int median[4];
    for (int k = 0; k < 4; k++) {
        int reached[SEEDS];
        for (int seed = 0; seed < SEEDS; seed++) {
            char name[48];
            snprintf(name, sizeof name, "bowl-%d-%d", k, seed);
            tsr_store *store = open_store(name);
            bowl w = {.op = spec->op, .best_possible = best};
            tsr_tune_options options = {.strategy = strategies[k],
                                        .space = &space,
                                        .budget_evals = BUDGET,
                                        .seed = (uint64_t)seed + 1,
                                        .device = "fake|bowl",
                                        .evaluate = bowl_evaluate,
                                        .evaluate_ctx = &w,
                                        .stop = &w.stop};
            tsr_tune_summary summary;
            tsr_shape shape = {{256, 256, 256, 1}};
            CHECK(store && tsr_tune(store, spec, profile, &shape, &options, arena, &summary,
                                    &err) == TSR_OK);
            reached[seed] = w.reached ? w.reached : BUDGET + 1;
            tsr_store_close(store);
        }
        qsort(reached, SEEDS, sizeof reached[0], compare_ints);
        median[k] = reached[SEEDS / 2];
    }
    printf("note %d configs; evaluations to within 5%% of the best, median of %d seeds: random %d, "
           "anneal %d, genetic %d, model %d\n",
           space.count, SEEDS, median[0], median[1], median[2], median[3]);
    CHECK(median[1] < median[0] && median[2] < median[0]);
    /* The model-guided search, the target: 5x fewer than random. */
    CHECK_MSG(5 * median[3] <= median[0], "model %d, random %d", median[3], median[0]);
    /* What the store learned on one device helps on the next: the model
     * trained from the start on 100 measurements of another device. */
    int with_prior[SEEDS];
    for (int seed = 0; seed < SEEDS; seed++) {
        char name[48];
        snprintf(name, sizeof name, "bowl-prior-%d", seed);
        tsr_store *store = open_store(name);
        bowl first = {.op = spec->op, .best_possible = best};
        bowl next = {.op = spec->op, .best_possible = best};
        tsr_tune_options options = {.strategy = TSR_STRATEGY_RANDOM,
                                    .space = &space,
                                    .budget_evals = 100,
                                    .seed = (uint64_t)seed + 11,
                                    .device = "fake|first",
                                    .evaluate = bowl_evaluate,
                                    .evaluate_ctx = &first};
        tsr_tune_summary summary;
        tsr_shape shape = {{256, 256, 256, 1}};
        CHECK(store &&
              tsr_tune(store, spec, profile, &shape, &options, arena, &summary, &err) == TSR_OK);
        options.strategy = TSR_STRATEGY_MODEL;
        options.budget_evals = BUDGET;
        options.device = "fake|next";
        options.evaluate_ctx = &next;
        options.stop = &next.stop;
        CHECK(store &&
              tsr_tune(store, spec, profile, &shape, &options, arena, &summary, &err) == TSR_OK);
        with_prior[seed] = next.reached ? next.reached : BUDGET + 1;
        tsr_store_close(store);
    }
    qsort(with_prior, SEEDS, sizeof with_prior[0], compare_ints);
    printf("note model with 100 measurements of another device in the store: %d\n",
           with_prior[SEEDS / 2]);
    CHECK_MSG(with_prior[SEEDS / 2] < median[3], "with prior %d, without %d", with_prior[SEEDS / 2],
              median[3]);
    tsr_arena_destroy(arena);
    tsr_profile_free(profile);
    tsr_opspec_free(spec);
}

/* What a tune told compile-ahead, and when: each config's text and the
 * number of evaluations done when it was first announced. */
typedef struct lead {
    bowl w;
    int n, late;
    char text[1024][128];
    int at[1024];
} lead;

static int lead_find(const lead *l, const char *text)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->text[i], text) == 0)
            return i;
    return -1;
}

static tsr_status lead_upcoming(void *ctx, const tsr_config *const *configs, int n, tsr_error *err)
{
    (void)err;
    lead *l = ctx;
    for (int k = 0; k < n && l->n < 1024; k++) {
        char text[128];
        tsr_config_format(l->w.op, configs[k], text, sizeof text);
        if (lead_find(l, text) < 0) {
            snprintf(l->text[l->n], sizeof l->text[0], "%s", text);
            l->at[l->n++] = l->w.calls;
        }
    }
    return TSR_OK;
}

/* A config announced only just before its own evaluation had no time to
 * compile ahead: it is late. */
static tsr_status lead_evaluate(void *ctx, const tsr_config *config, tsr_arena *arena,
                                tsr_result *result, tsr_error *err)
{
    lead *l = ctx;
    char text[128];
    tsr_config_format(l->w.op, config, text, sizeof text);
    int i = lead_find(l, text);
    l->late += i < 0 || l->at[i] >= l->w.calls;
    return bowl_evaluate(&l->w, config, arena, result, err);
}

/* The model-guided search plans its next batch before this one runs out,
 * so that compile-ahead always has configs in hand: past the first model,
 * every config is announced at least one evaluation before its own. */
static void model_guided_search_keeps_compile_ahead_fed(void)
{
    tsr_opspec *spec = NULL;
    tsr_profile *profile = NULL;
    bowl_setup(&spec, &profile);
    tsr_store *store = open_store("lead");
    static lead l;
    memset(&l, 0, sizeof l);
    l.w = (bowl){.op = spec ? spec->op : NULL, .best_possible = 0};
    tsr_arena *arena = tsr_arena_create();
    tsr_tune_options options = {.strategy = TSR_STRATEGY_MODEL,
                                .budget_evals = 96,
                                .seed = 5,
                                .device = "fake|lead",
                                .evaluate = lead_evaluate,
                                .evaluate_ctx = &l,
                                .upcoming = lead_upcoming,
                                .upcoming_ctx = &l,
                                .lookahead = 8};
    tsr_tune_summary summary;
    tsr_shape shape = {{256, 256, 256, 1}};
    tsr_error err = {{0}};
    CHECK_MSG(spec && profile && store &&
                  tsr_tune(store, spec, profile, &shape, &options, arena, &summary, &err) == TSR_OK,
              "%s", err.msg);
    printf("note %d evaluations, %d announced only as they began\n", l.w.calls, l.late);
    /* Two: the very first, and the first of the first model's batch, which
     * needs the estimate's batch measured whole. */
    CHECK_MSG(l.w.calls == 96 && l.late <= 2, "%d of %d late", l.late, l.w.calls);
    tsr_store_close(store);
    tsr_arena_destroy(arena);
    tsr_profile_free(profile);
    tsr_opspec_free(spec);
}

/* ---- SIGKILL at any moment ------------------------------------------------------ */

/* The fake evaluator, 3 ms a candidate, so that a kill lands mid-run. */
static tsr_status slow_fake_evaluate(void *ctx, const tsr_config *config, tsr_arena *arena,
                                     tsr_result *result, tsr_error *err)
{
    struct timespec pause = {.tv_nsec = 3000000};
    nanosleep(&pause, NULL);
    return fake_evaluate(ctx, config, arena, result, err);
}

/* A child that tunes into the store `name` to the end, or until killed. */
static pid_t start_tuning_child(const char *name)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    bench b;
    tsr_store *store = open_store(name);
    int status = 1;
    if (store && bench_init(&b, TSR_STRATEGY_RANDOM, 11)) {
        b.options.evaluate = slow_fake_evaluate;
        tsr_arena *arena = tsr_arena_create();
        tsr_tune_summary summary;
        tsr_error err = {{0}};
        status = tsr_tune(store, b.spec, b.profile, &b.shape, &b.options, arena, &summary, &err) ==
                         TSR_OK
                     ? 0
                     : 1;
        tsr_arena_destroy(arena);
        bench_free(&b);
    }
    tsr_store_close(store);
    _exit(status);
}

/* SQLite's own check of every page and index, and the number of results. */
static bool store_is_intact(const char *name, int *rows)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s.db", temp_dir, name);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    bool ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL) == SQLITE_OK &&
              sqlite3_step(stmt) == SQLITE_ROW &&
              strcmp((const char *)sqlite3_column_text(stmt, 0), "ok") == 0;
    sqlite3_finalize(stmt);
    stmt = NULL;
    /* Killed before its schema was committed, a new store is an empty
     * database: intact, and holding nothing. */
    *rows = 0;
    if (ok &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM results", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        *rows = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return ok;
}

/* Killed with SIGKILL at 25 random moments, each time resumed by the same
 * run: the store passes SQLite's integrity check after every kill, never
 * loses a stored result, and the run that finally completes picks the same
 * best as one never interrupted. */
static void runs_killed_at_random_moments_resume_to_the_same_best(void)
{
    unsigned seed = 12345;
    int kills = 0, last_rows = 0;
    for (int round = 0; round < 25; round++) {
        pid_t pid = start_tuning_child("killed");
        seed = seed * 1103515245u + 12345u;
        struct timespec wait = {.tv_nsec = (long)(1000000 + (seed >> 8) % 40000000)};
        nanosleep(&wait, NULL);
        kills += kill(pid, SIGKILL) == 0;
        int status;
        waitpid(pid, &status, 0);
        int rows;
        CHECK_MSG(store_is_intact("killed", &rows), "round %d: the store is damaged", round);
        CHECK_MSG(rows >= last_rows, "round %d: %d results, %d before the kill", round, rows,
                  last_rows);
        last_rows = rows;
    }
    CHECK(kills > 0);
    int status;
    waitpid(start_tuning_child("killed"), &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    waitpid(start_tuning_child("never-killed"), &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    bench b;
    if (!bench_init(&b, TSR_STRATEGY_RANDOM, 11))
        return;
    tsr_store *killed = open_store("killed"), *clean = open_store("never-killed");
    tsr_arena *arena = tsr_arena_create();
    tsr_tune_summary a, c;
    if (killed && clean && run(&b, killed, arena, &a) == TSR_OK &&
        run(&b, clean, arena, &c) == TSR_OK) {
        CHECK(b.fake.calls == 0); /* both complete: nothing left to evaluate */
        CHECK(a.found && c.found && strcmp(a.best.config, c.best.config) == 0);
        CHECK(a.best.time_ms == c.best.time_ms);
        CHECK(a.visited == SPACE_SIZE && c.visited == SPACE_SIZE);
    }
    printf("note %d kills, %d results stored before the last\n", kills, last_rows);
    tsr_arena_destroy(arena);
    tsr_store_close(killed);
    tsr_store_close(clean);
    bench_free(&b);
}

static void remove_temp_dir(void)
{
    DIR *dir = opendir(temp_dir);
    if (!dir)
        return;
    for (struct dirent *e; (e = readdir(dir));) {
        char path[512];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", temp_dir, e->d_name);
        unlink(path);
    }
    closedir(dir);
    if (rmdir(temp_dir) != 0)
        fprintf(stderr, "could not remove %s\n", temp_dir);
}

int main(void)
{
    snprintf(temp_dir, sizeof temp_dir, "/tmp/tsr_tune_XXXXXX");
    if (!mkdtemp(temp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN_TEST(strategy_names_round_trip);
    RUN_TEST(exhaustive_visits_every_config_in_space_order_and_finds_the_best);
    RUN_TEST(random_order_follows_the_seed_and_covers_the_space);
    RUN_TEST(random_search_starts_from_other_shapes_winners_then_the_start_config);
    RUN_TEST(budget_limits_the_visits_and_a_larger_one_resumes);
    RUN_TEST(second_identical_run_evaluates_nothing_and_reports_the_same_best);
    RUN_TEST(stopped_run_resumes_with_exactly_the_remaining_evaluations);
    RUN_TEST(failed_candidates_are_counted_and_never_chosen);
    RUN_TEST(space_counts_add_up_to_every_combination);
    RUN_TEST(adaptive_strategies_visit_each_config_once_and_follow_the_seed);
    RUN_TEST(adaptive_strategies_need_fewer_evaluations_than_random);
    RUN_TEST(model_guided_search_keeps_compile_ahead_fed);
    RUN_TEST(runs_killed_at_random_moments_resume_to_the_same_best);
    RUN_TEST(real_tune_on_pocl_stores_its_results_and_resumes);
    remove_temp_dir();
    return check_summary();
}
