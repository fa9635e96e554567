/* tessera tune: search a spec's config space on a live device. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/opspec.h"
#include "core/profile.h"
#include "core/tune.h"
#include "devices/devices.h"
#include "runner/runner.h"
#include "runner/compile_ahead.h"
#include "runner/worker.h"
#include "tools/cli.h"

static const char tune_usage[] =
    "usage: tessera tune SPEC [--profile P] [--device opencl:I] [--strategy S]\n"
    "                    [--budget N] [--seconds T] [--seed N] [--shape m=..,n=..] [--db F]\n"
    "                    [--timeout S] [--jobs N] [--in-process] [--config K=V,...]...\n"
    "       tessera tune SPEC --offline --profile P [--learned] [--budget N] [--shape ..] [--db "
    "F]\n"
    "\n"
    "Searches the config space of op spec SPEC on a live device for each of its\n"
    "shapes (or only --shape), verifying every candidate against the CPU reference\n"
    "before its time counts, and stores every outcome in the results store as it\n"
    "lands. Re-running the same command skips what is stored, so it resumes a run\n"
    "that was stopped. Ctrl-C finishes the current candidate and stops.\n"
    "\n"
    "Candidates run in a worker process: one that crashes it is recorded as\n"
    "\"crashed\", one that does not finish in time as \"timeout\", the worker is\n"
    "restarted and the search goes on.\n"
    "\n"
    "  --profile P    device profile (name or file); default: the one matching the device\n"
    "  --device ID    default opencl:0 ('tessera devices' lists them)\n"
    "  --strategy S   exhaustive (default), random, anneal (simulated annealing),\n"
    "                 genetic (a genetic algorithm) or model (a cost model learned from\n"
    "                 every measurement of the op in the store picks what to measure)\n"
    "  --budget N     at most N candidates per shape (stored ones count); default all\n"
    "  --seconds T    start no candidate after T seconds per shape\n"
    "  --seed N       seed of the random strategy and of the test data (default 1)\n"
    "  --db F         results store (default tessera.db)\n"
    "  --timeout S    the most a candidate may take, compiling or running (default 60);\n"
    "                 once one has verified, a running one gets 200x the best time, >= 2 s\n"
    "                 (the cap for its first launch where the driver compiles then: PoCL)\n"
    "  --jobs N       compile the candidates that come next in N more processes while\n"
    "                 one is timed (default: the cores less one; on a CPU device all\n"
    "                 of them, compiling only between timings); 0: compile in turn\n"
    "  --in-process   evaluate in tessera's own process (no isolation; for debugging)\n"
    "  --config C     measure only this config (params not named keep their defaults;\n"
    "                 repeat for more, up to 16), which must fit the profile: one\n"
    "                 variant to compare, or a hand-picked kernel to store for export\n"
    "\n"
    "  --offline      no device: rank the whole space by the profile's analytic model,\n"
    "                 compile the best --budget (default 16) with the profile's vendor\n"
    "                 compiler and re-rank them by its resource report (registers,\n"
    "                 spills, shared memory); stored as predicted, exported alike\n"
    "  --learned      with --offline: rank by the cost model learned from the store's\n"
    "                 measurements (any device) instead of the analytic model\n";

static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct eval_ctx {
    const tsr_opspec *spec;
    const tsr_profile *profile;
    const char *dialect;
    tsr_problem *problem;     /* in-process evaluation */
    tsr_worker *worker;       /* else this */
    tsr_compile_ahead *ahead; /* may be NULL */
    double best_ms;
} eval_ctx;

/* A candidate the worker lost keeps its source in the store, for whoever
 * looks into why. */
static void fill_source(const eval_ctx *ctx, const tsr_config *config, tsr_arena *arena,
                        tsr_result *result)
{
    tsr_kernel_text text;
    if (tsr_kernel_generate(ctx->spec, ctx->profile, config, ctx->dialect, &text, NULL) != TSR_OK)
        return;
    result->source = tsr_arena_strdup(arena, text.source);
    result->kernel_name = tsr_arena_strdup(arena, text.kernel_name);
    result->language = text.language;
    result->geometry = tsr_arena_strdup(arena, text.geometry);
    result->args = tsr_arena_strdup(arena, text.args);
    tsr_kernel_text_free(&text);
}

static tsr_status evaluate(void *ctx_ptr, const tsr_config *config, tsr_arena *arena,
                           tsr_result *result, tsr_error *err)
{
    eval_ctx *ctx = ctx_ptr;
    tsr_status st;
    if (ctx->worker) {
        char text[512];
        tsr_config_format(ctx->spec->op, config, text, sizeof text);
        double ahead_s = 0;
        if (ctx->ahead &&
            tsr_compile_ahead_wait(ctx->ahead, text, &ahead_s) == TSR_AHEAD_TIMED_OUT) {
            char reason[160];
            snprintf(reason, sizeof reason,
                     "compiling ahead was killed after %.1f s, past the limit per candidate",
                     ahead_s);
            result->outcome = TSR_OUTCOME_TIMEOUT;
            result->reason = tsr_arena_strdup(arena, reason);
            st = result->reason ? TSR_OK : tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
        } else {
            tsr_worker_job job = {.config = text, .best_ms = ctx->best_ms};
            st = tsr_worker_evaluate(ctx->worker, &job, arena, result, err);
        }
        if (st == TSR_OK &&
            (result->outcome == TSR_OUTCOME_TIMEOUT || result->outcome == TSR_OUTCOME_CRASHED))
            fill_source(ctx, config, arena, result);
    } else {
        tsr_eval_options options = tsr_tuning_eval_options(ctx->best_ms);
        st = tsr_evaluate(ctx->problem, ctx->profile, config, &options, arena, result, err);
    }
    if (st == TSR_OK && result->outcome == TSR_OUTCOME_OK &&
        (ctx->best_ms == 0 || result->time_ms < ctx->best_ms))
        ctx->best_ms = result->time_ms;
    return st;
}

static tsr_status upcoming(void *ctx_ptr, const tsr_config *const *configs, int n, tsr_error *err)
{
    eval_ctx *ctx = ctx_ptr;
    char texts[64][512];
    const char *list[64];
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        tsr_config_format(ctx->spec->op, configs[i], texts[i], sizeof texts[i]);
        list[i] = texts[i];
    }
    return tsr_compile_ahead_queue(ctx->ahead, list, n, err);
}

typedef struct progress_ctx {
    bool tty;
    const char *shape;
    double seconds; /* the time budget, when it (not a count) ends the search */
} progress_ctx;

static void progress(void *ctx_ptr, const tsr_tune_progress *p)
{
    progress_ctx *ctx = ctx_ptr;
    const tsr_result *r = p->latest;
    char count[32];
    if (ctx->seconds > 0)
        snprintf(count, sizeof count, "%4d", p->done);
    else
        snprintf(count, sizeof count, "%4d/%d", p->done, p->total);
    if (ctx->tty) {
        double fraction = ctx->seconds > 0 ? p->elapsed_s / ctx->seconds
                                           : (double)p->done / (p->total ? p->total : 1);
        int width = 30, filled = fraction >= 1 ? width : (int)(fraction * width);
        fprintf(stderr, "\r%s [%.*s%*s] %s", ctx->shape, filled, "##############################",
                width - filled, "", count);
        if (p->best)
            fprintf(stderr, "  best %.1f GFLOP/s", p->best->gflops);
        fprintf(stderr, "  %.0fs ", p->elapsed_s);
        fflush(stderr);
        return;
    }
    if (r->outcome == TSR_OUTCOME_OK)
        printf("%s %-13s %10.4f ms %9.2f GFLOP/s  %s%s\n", count, tsr_outcome_name(r->outcome),
               r->time_ms, r->gflops, r->config, p->cached ? "  (stored)" : "");
    else
        printf("%s %-13s %s: %s%s\n", count, tsr_outcome_name(r->outcome), r->config,
               r->reason ? r->reason : "", p->cached ? "  (stored)" : "");
    fflush(stdout);
}

static void report(const tsr_tune_summary *s, const tsr_compile_ahead *ahead, int jobs,
                   const char *shape, bool tty)
{
    if (tty)
        fputc('\n', stderr);
    printf("%s: %d candidates tried (%d run now, %d from the store) of %d in the space "
           "(%d combinations refused by the constraints)\n",
           shape, s->visited, s->evaluated, s->visited - s->evaluated, s->space_size,
           s->space_rejected);
    printf("  outcomes:");
    /* Every outcome a live run can have (predicted is offline tuning's). */
    for (int o = 0; o < TSR_OUTCOME_PREDICTED; o++)
        printf(" %s %d%s", tsr_outcome_name((tsr_outcome)o), s->outcomes[o],
               o + 1 < TSR_OUTCOME_PREDICTED ? "," : "\n");
    for (int o = 0; o < TSR_OUTCOME_COUNT; o++)
        if (o != TSR_OUTCOME_OK && s->outcomes[o] > 0)
            printf("  %s %d, first: %s\n", tsr_outcome_name((tsr_outcome)o), s->outcomes[o],
                   s->example_reason[o] ? s->example_reason[o] : "(no reason given)");
    if (s->found)
        printf("  best: %.4f ms, %.2f GFLOP/s, max error %.2g, %s\n", s->best.time_ms,
               s->best.gflops, s->best.max_error, s->best.config);
    else
        printf("  no candidate verified\n");
    double other = s->seconds - s->build_s - s->check_s - s->timing_s - s->lost_s;
    printf("  took %.1f s: compiling %.1f, first launch and verification %.1f, timed runs %.1f, "
           "lost to timeouts and crashes %.1f, the rest %.1f (generating, the store, workers)\n",
           s->seconds, s->build_s, s->check_s, s->timing_s, s->lost_s, other > 0 ? other : 0.0);
    if (ahead) {
        tsr_compile_ahead_stats st;
        tsr_compile_ahead_stats_get(ahead, &st);
        printf("  compiled ahead in %d processes: %d configs (%d did not compile, %d past the "
               "limit), %.1f s of compiling; waited on them %.1f s\n",
               jobs, st.compiled + st.failed + st.killed, st.failed, st.killed, st.busy_s,
               st.waited_s);
    }
}

enum { MAX_GIVEN_CONFIGS = 16 };

typedef struct tune_args {
    const char *profile, *device, *strategy, *shape, *db, *spec_path;
    const char *configs[MAX_GIVEN_CONFIGS]; /* --config: the only ones searched */
    int n_configs;
    int budget, jobs; /* jobs < 0: the default */
    double seconds, timeout;
    bool in_process, offline, learned;
    unsigned long long seed;
} tune_args;

static int parse_args(int argc, char **argv, tune_args *a, int *spec_index)
{
    static const struct option options[] = {
        {"profile", required_argument, NULL, 'p'},  {"device", required_argument, NULL, 'd'},
        {"strategy", required_argument, NULL, 's'}, {"budget", required_argument, NULL, 'b'},
        {"seconds", required_argument, NULL, 't'},  {"seed", required_argument, NULL, 'r'},
        {"shape", required_argument, NULL, 'x'},    {"db", required_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 'T'},  {"in-process", no_argument, NULL, 'I'},
        {"offline", no_argument, NULL, 'O'},        {"learned", no_argument, NULL, 'L'},
        {"jobs", required_argument, NULL, 'j'},     {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    *a = (tune_args){.device = "opencl:0",
                     .strategy = "exhaustive",
                     .db = "tessera.db",
                     .seed = 1,
                     .jobs = -1,
                     .timeout = 60};
    int opt;
    char *end;
    long budget;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "p:d:s:b:t:r:x:f:T:j:IOLh", options, NULL)) != -1) {
        switch (opt) {
        case 'p': a->profile = optarg; break;
        case 'd': a->device = optarg; break;
        case 's': a->strategy = optarg; break;
        case 'x': a->shape = optarg; break;
        case 'f': a->db = optarg; break;
        case 'b':
            errno = 0;
            budget = strtol(optarg, &end, 10);
            a->budget = budget > INT_MAX ? INT_MAX : (int)budget;
            if (*end || budget < 1 || errno == ERANGE)
                return cli_usage_error("tune", "--budget needs a positive integer, not '%s'",
                                       optarg);
            break;
        case 't':
            a->seconds = strtod(optarg, &end);
            if (*end || !(a->seconds > 0) || !isfinite(a->seconds))
                return cli_usage_error("tune", "--seconds needs a positive number, not '%s'",
                                       optarg);
            break;
        case 'T':
            a->timeout = strtod(optarg, &end);
            if (*end || !(a->timeout > 0) || a->timeout > 86400)
                return cli_usage_error("tune", "--timeout needs seconds, 0 < S <= 86400, not '%s'",
                                       optarg);
            break;
        case 'j':
            errno = 0;
            budget = strtol(optarg, &end, 10);
            if (*end || !*optarg || budget < 0 || budget > 64 || errno == ERANGE)
                return cli_usage_error(
                    "tune", "--jobs needs a count of processes, 0 to 64, not '%s'", optarg);
            a->jobs = (int)budget;
            break;
        case 'I': a->in_process = true; break;
        case 'c':
            if (a->n_configs == MAX_GIVEN_CONFIGS)
                return cli_usage_error("tune", "at most %d --config", MAX_GIVEN_CONFIGS);
            a->configs[a->n_configs++] = optarg;
            break;
        case 'O': a->offline = true; break;
        case 'L': a->learned = true; break;
        case 'r':
            errno = 0;
            a->seed = strtoull(optarg, &end, 10);
            if (*end || !*optarg || *optarg == '-' || errno == ERANGE)
                return cli_usage_error("tune", "--seed needs an integer, not '%s'", optarg);
            break;
        case 'h': fputs(tune_usage, stdout); return -1;
        default: return cli_usage_error("tune", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("tune", "expected one op spec file");
    if (a->learned && !a->offline)
        return cli_usage_error("tune", "--learned ranks offline tuning; it needs --offline");
    if (a->n_configs && a->offline)
        return cli_usage_error("tune", "--config measures on a live device; not with --offline");
    if (tsr_strategy_from_name(a->strategy) < 0)
        return cli_usage_error("tune",
                               "unknown strategy '%s' (known: exhaustive, random, anneal, genetic, "
                               "model)",
                               a->strategy);
    *spec_index = optind;
    a->spec_path = argv[optind];
    return 0;
}

/* How many compile-ahead processes: --jobs, else the cores less the one
 * the evaluation worker uses; on a CPU device all of them, since they
 * compile only while nothing is timed. */
static int compile_jobs(const tune_args *a, const tsr_device *device)
{
    if (a->in_process)
        return 0;
    if (a->jobs >= 0)
        return a->jobs;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    long jobs = device->info.is_cpu ? cores : cores - 1;
    return jobs > 16 ? 16 : (int)jobs;
}

/* The worker runs this same executable; the compile-ahead processes too. */
static int open_worker(const tune_args *a, const tsr_profile *profile, const char *shape_text,
                       int jobs, bool quiet, tsr_worker **out, tsr_compile_ahead **ahead)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return cli_report(TSR_ERR_IO, "cannot find the tessera executable (/proc/self/exe) to "
                                      "start the evaluation worker; use --in-process");
    exe[n] = '\0';
    char *yaml = tsr_profile_format(profile);
    if (!yaml)
        return cli_report(TSR_ERR_NOMEM, "out of memory");
    tsr_worker_setup setup = {.exe = exe,
                              .spec_path = a->spec_path,
                              .profile_yaml = yaml,
                              .device_id = a->device,
                              .shape = shape_text,
                              .seed = a->seed,
                              .timeout_s = a->timeout};
    tsr_error err = {{0}};
    tsr_status st = tsr_worker_create(&setup, out, &err);
    if (st == TSR_OK && jobs > 0)
        st = tsr_compile_ahead_create(&setup, jobs, quiet, ahead, &err);
    free(yaml);
    return st == TSR_OK ? 0 : cli_report(st, err.msg);
}

/* --config: each text onto the op's defaults, checked against the
 * profile, once each; a space of them alone. Returns non-zero after
 * saying why. */
static int given_space(const tune_args *a, const tsr_opspec *spec, const tsr_profile *profile,
                       tsr_config *configs, tsr_search_space *space)
{
    int n = 0;
    for (int i = 0; i < a->n_configs; i++) {
        tsr_error err = {{0}};
        tsr_config_default(spec->op, &configs[n]);
        tsr_status st = tsr_config_parse(spec->op, a->configs[i], &configs[n], &err);
        if (st == TSR_OK && spec->op->check(spec, profile, &configs[n], &err) != TSR_OK)
            st = TSR_ERR_INPUT;
        if (st != TSR_OK) {
            /* The parser's own "config: " prefix said once. */
            const char *why = strncmp(err.msg, "config: ", 8) == 0 ? err.msg + 8 : err.msg;
            char line[1536];
            snprintf(line, sizeof line, "tune: --config %s: %s", a->configs[i], why);
            return cli_report(TSR_ERR_INPUT, line);
        }
        bool again = false;
        for (int j = 0; j < n && !again; j++)
            again = memcmp(&configs[j], &configs[n], sizeof configs[n]) == 0;
        n += !again;
    }
    *space = (tsr_search_space){.op = spec->op, .count = n, .configs = configs};
    return 0;
}

static int tune_shape(tsr_store *store, const tsr_opspec *spec, const tsr_profile *profile,
                      tsr_device *device, const tsr_shape *shape, const tune_args *a,
                      const tsr_search_space *given)
{
    char fingerprint[768], shape_text[256];
    tsr_device_fingerprint(&device->info, fingerprint, sizeof fingerprint);
    tsr_shape_format(spec->op, shape, shape_text, sizeof shape_text);
    tsr_error err = {{0}};
    eval_ctx ectx = {.spec = spec, .profile = profile, .dialect = device->backend->dialect};
    tsr_status st = TSR_OK;
    int jobs = compile_jobs(a, device);
    if (a->in_process)
        st = tsr_problem_create(device, spec, shape, a->seed, &ectx.problem, &err);
    else if (open_worker(a, profile, shape_text, jobs, device->info.is_cpu, &ectx.worker,
                         &ectx.ahead)) {
        tsr_worker_free(ectx.worker);
        return 1;
    }
    if (st != TSR_OK)
        return cli_report(st, err.msg);
    progress_ctx pctx = {.tty = isatty(STDERR_FILENO),
                         .shape = shape_text,
                         .seconds = a->budget == 0 ? a->seconds : 0};
    tsr_tune_options options = {
        .strategy = (tsr_strategy)tsr_strategy_from_name(a->strategy),
        .budget_evals = a->budget,
        .budget_seconds = a->seconds,
        .seed = a->seed,
        .device = fingerprint,
        .evaluate = evaluate,
        .evaluate_ctx = &ectx,
        .progress = progress,
        .progress_ctx = &pctx,
        .stop = &stop_requested,
        .upcoming = ectx.ahead ? upcoming : NULL,
        .upcoming_ctx = &ectx,
        .lookahead = jobs + 1,
        .space = given,
    };
    tsr_arena *arena = tsr_arena_create();
    tsr_tune_summary summary;
    st = arena ? tsr_tune(store, spec, profile, shape, &options, arena, &summary, &err)
               : tsr_fail(&err, TSR_ERR_NOMEM, "out of memory");
    int rc = 0;
    if (st == TSR_OK) {
        report(&summary, ectx.ahead, jobs, shape_text, pctx.tty);
        rc = summary.found ? 0 : 1;
    } else {
        if (pctx.tty)
            fputc('\n', stderr);
        rc = cli_report(st, err.msg);
    }
    tsr_arena_destroy(arena);
    tsr_problem_free(ectx.problem);
    tsr_compile_ahead_free(ectx.ahead);
    tsr_worker_free(ectx.worker);
    return rc;
}

int cmd_tune(int argc, char **argv)
{
    tune_args a;
    int spec_index = 0, rc = parse_args(argc, argv, &a, &spec_index);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.offline)
        return cli_tune_offline(a.spec_path, a.shape, a.profile, a.db, a.budget, a.learned);
    cli_job job;
    tsr_store *store = NULL;
    tsr_error err = {{0}};
    /* A store that exists is checked before any device work, so that a
     * file that is not one is said at once; a new one is made only once
     * everything else is known to be good. */
    struct stat sb;
    tsr_status st = stat(a.db, &sb) == 0 ? tsr_store_open(a.db, &store, &err) : TSR_OK;
    if (st != TSR_OK)
        return cli_report(st, err.msg);
    rc = cli_job_open(&job, argv[spec_index], a.shape, a.device, a.profile);
    /* --config is checked before a store is made or anything is tuned. */
    tsr_config given[MAX_GIVEN_CONFIGS];
    tsr_search_space given_configs;
    if (!rc && a.n_configs)
        rc = given_space(&a, job.spec, job.profile, given, &given_configs);
    st = rc || store ? TSR_OK : tsr_store_open(a.db, &store, &err);
    if (st != TSR_OK)
        rc = cli_report(st, err.msg);
    struct sigaction action = {.sa_handler = on_sigint}, previous;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous);
    for (int i = 0; !rc && i < job.n_shapes && !stop_requested; i++) {
        printf("tuning %s (%s) on %s (%s) with profile %s, strategy %s\n", job.spec->name,
               tsr_opspec_key(job.spec), job.device->info.id, job.device->info.name,
               job.profile->name, a.strategy);
        fflush(stdout);
        rc = tune_shape(store, job.spec, job.profile, job.device, &job.shapes[i], &a,
                        a.n_configs ? &given_configs : NULL);
    }
    if (stop_requested) {
        fprintf(stderr,
                "tessera: interrupted; every finished candidate is stored in %s. "
                "Run the same command to resume.\n",
                a.db);
        rc = 1; /* not finished: a failure, though nothing is lost */
    }
    sigaction(SIGINT, &previous, NULL);
    tsr_store_close(store);
    cli_job_close(&job);
    return rc;
}
