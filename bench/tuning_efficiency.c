/* tessera-bench-tuning: how soon each search strategy reaches the best
 * kernel, by replaying a measured table.
 *
 * A tuning run on the device (bench/tuning_efficiency.sh makes one) stores
 * every candidate it measured. This program takes those configs as the
 * whole space, their stored outcomes and times as the truth, and the
 * fastest of them as the exhaustive best; then it runs each strategy of the
 * tuner over that space, many seeds each, answering every evaluation from
 * the table. Per strategy it reports the evaluations needed to come within
 * 5% of the best (1.05x its time), the tuning time that would have cost on
 * the device (the sum of those candidates' measured wall times, from the
 * store's timestamps), and the strategy's own time (training the cost
 * model, proposing). Medians over the seeds; the ratio is random search's
 * evaluations over the strategy's. No strategy is warm-started (by other
 * shapes' winners or the op's suggested config): what is measured is the
 * search. Replaying makes the comparison exact
 * (every strategy sees the same numbers) and lets many seeds run in seconds
 * instead of hours. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/grow.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "core/store.h"
#include "core/tune.h"
#include "tools/cli.h"

#define PROGRAM "tessera-bench-tuning"
enum { MAX_SEEDS = 101 };

static const char usage[] =
    "usage: " PROGRAM " --db F --shape m=..,n=..,k=.. [--spec ops/sgemm.yaml]\n"
    "         [--device TEXT] [--profile P] [--seeds 9]\n"
    "\n"
    "Replays the candidates a tuning run stored in --db for the spec's op, this shape\n"
    "and one device (the first whose fingerprint contains --device): each strategy\n"
    "searches those configs, answered from the table, once per seed. Prints, per\n"
    "strategy, the median evaluations and device seconds to come within 5% of the\n"
    "table's best, and random search's evaluations over each strategy's.\n";

typedef struct entry {
    const char *config;
    tsr_outcome outcome;
    double time_ms, gflops, wall_s;
    char created[32];
} entry;

typedef struct table {
    const char *op_key, *shape, *device_filter;
    char device[768], profile[128];
    entry *entries;
    int count, cap;
} table;

static tsr_status collect(void *ctx, const tsr_result *r)
{
    table *t = ctx;
    if (strcmp(r->op_key, t->op_key) != 0 || strcmp(r->shape, t->shape) != 0)
        return TSR_OK;
    if (!t->device[0]) {
        if (t->device_filter && !strstr(r->device, t->device_filter))
            return TSR_OK;
        snprintf(t->device, sizeof t->device, "%s", r->device);
        snprintf(t->profile, sizeof t->profile, "%s", r->profile ? r->profile : "");
    }
    if (strcmp(r->device, t->device) != 0)
        return TSR_OK;
    entry *grown = tsr_grow(t->entries, t->count, &t->cap, sizeof *grown, 256);
    if (!grown)
        return TSR_ERR_NOMEM;
    t->entries = grown;
    entry *e = &t->entries[t->count++];
    *e = (entry){.config = strdup(r->config),
                 .outcome = r->outcome,
                 .time_ms = r->time_ms,
                 .gflops = r->gflops};
    snprintf(e->created, sizeof e->created, "%s", r->created ? r->created : "");
    return e->config ? TSR_OK : TSR_ERR_NOMEM;
}

/* Seconds since 1970 of "YYYY-MM-DDTHH:MM:SSZ" (UTC), by the civil-date
 * arithmetic, so that no time zone is consulted. */
static double epoch_of(const char *iso)
{
    int y, mo, d, h, mi, sec;
    if (sscanf(iso, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6)
        return 0;
    y -= mo <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = era * 146097 + doe - 719468;
    return (double)days * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
}

static int by_created(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->created, ((const entry *)b)->created);
}

/* Each candidate's wall time: the gap since the one stored before it (the
 * tuning run stores one at a time); the first gets the mean. */
static void assign_wall_times(table *t)
{
    qsort(t->entries, (size_t)t->count, sizeof *t->entries, by_created);
    double first = epoch_of(t->entries[0].created);
    double last = epoch_of(t->entries[t->count - 1].created);
    double mean = t->count > 1 ? (last - first) / (t->count - 1) : 0;
    for (int i = 0; i < t->count; i++)
        t->entries[i].wall_s =
            i == 0 ? mean : epoch_of(t->entries[i].created) - epoch_of(t->entries[i - 1].created);
}

typedef struct replay {
    const table *t;
    const tsr_op_def *op;
    double target_ms;
    int calls, reached;
    double wall_s, reached_wall_s;
    volatile sig_atomic_t stop;
} replay;

static tsr_status answer(void *ctx, const tsr_config *config, tsr_arena *arena, tsr_result *result,
                         tsr_error *err)
{
    replay *r = ctx;
    char text[512];
    tsr_config_format(r->op, config, text, sizeof text);
    for (int i = 0; i < r->t->count; i++) {
        const entry *e = &r->t->entries[i];
        if (strcmp(e->config, text) != 0)
            continue;
        r->calls++;
        r->wall_s += e->wall_s;
        result->outcome = e->outcome;
        result->reason = e->outcome == TSR_OUTCOME_OK ? NULL : "(as stored)";
        result->time_ms = e->time_ms;
        result->gflops = e->gflops;
        if (!r->reached && e->outcome == TSR_OUTCOME_OK && e->time_ms <= r->target_ms) {
            r->reached = r->calls;
            r->reached_wall_s = r->wall_s;
            r->stop = 1;
        }
        return TSR_OK;
    }
    (void)arena;
    return tsr_fail(err, TSR_ERR_NOT_FOUND, "the replay was asked for %s, not in the table", text);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *db = NULL, *spec_path = "ops/sgemm.yaml", *shape_arg = NULL, *device = NULL;
    const char *profile_arg = NULL;
    int seeds = 9;
    static const struct option options[] = {
        {"db", required_argument, NULL, 'f'},      {"spec", required_argument, NULL, 's'},
        {"shape", required_argument, NULL, 'x'},   {"device", required_argument, NULL, 'd'},
        {"profile", required_argument, NULL, 'p'}, {"seeds", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "f:s:x:d:p:n:h", options, NULL)) != -1) {
        switch (opt) {
        case 'f': db = optarg; break;
        case 's': spec_path = optarg; break;
        case 'x': shape_arg = optarg; break;
        case 'd': device = optarg; break;
        case 'p': profile_arg = optarg; break;
        case 'n':
            seeds = (int)strtol(optarg, &end, 10);
            if (*end || seeds < 1 || seeds > MAX_SEEDS) {
                fprintf(stderr, PROGRAM ": --seeds needs 1 to %d, not '%s'\n", MAX_SEEDS, optarg);
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!db || !shape_arg || optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    tsr_opspec *spec = NULL;
    if (cli_load_spec(spec_path, &spec))
        return 2;
    tsr_error err = {{0}};
    tsr_shape shape;
    char shape_text[256];
    if (tsr_shape_parse(spec->op, shape_arg, &shape, &err) != TSR_OK) {
        fprintf(stderr, PROGRAM ": --shape: %s\n", err.msg);
        return 2;
    }
    tsr_shape_format(spec->op, &shape, shape_text, sizeof shape_text);
    tsr_store *store = NULL;
    if (access(db, R_OK) != 0 || tsr_store_open(db, &store, &err) != TSR_OK) {
        fprintf(stderr, PROGRAM ": %s: %s\n", db, err.msg[0] ? err.msg : "cannot be read");
        return 2;
    }
    table t = {.op_key = tsr_opspec_key(spec), .shape = shape_text, .device_filter = device};
    tsr_status st = tsr_store_each_result(store, NULL, collect, &t, &err);
    tsr_store_close(store);
    if (st != TSR_OK)
        return cli_report(st, err.msg[0] ? err.msg : "out of memory");
    double best_ms = INFINITY;
    int ok = 0;
    for (int i = 0; i < t.count; i++)
        if (t.entries[i].outcome == TSR_OUTCOME_OK) {
            ok++;
            best_ms = fmin(best_ms, t.entries[i].time_ms);
        }
    if (ok < 2) {
        fprintf(stderr,
                PROGRAM ": %s holds %d verified results for %s at %s%s%s; run a tune first\n", db,
                ok, t.op_key, shape_text, device ? " on a device matching " : "",
                device ? device : "");
        return 2;
    }
    assign_wall_times(&t);
    tsr_profile *profile = NULL;
    if (cli_load_profile(profile_arg ? profile_arg : t.profile, &profile))
        return 2;

    tsr_arena *arena = tsr_arena_create();
    tsr_config *configs = arena ? TSR_ARENA_ARRAY(arena, tsr_config, t.count) : NULL;
    if (!configs)
        return cli_report(TSR_ERR_NOMEM, "out of memory");
    for (int i = 0; i < t.count; i++) {
        tsr_config_default(spec->op, &configs[i]);
        if (tsr_config_parse(spec->op, t.entries[i].config, &configs[i], &err) != TSR_OK) {
            fprintf(stderr, PROGRAM ": a stored config of another version: %s\n", err.msg);
            return 2;
        }
    }
    tsr_search_space space = {.op = spec->op, .count = t.count, .configs = configs};
    double total_wall = 0;
    for (int i = 0; i < t.count; i++)
        total_wall += t.entries[i].wall_s;
    printf("%s, %s, %s\n", t.op_key, shape_text, t.device);
    printf("table: %d candidates (%d verified), best %.4f ms (%.2f GFLOP/s); measuring them took "
           "%.0f s\n",
           t.count, ok, best_ms, spec->op->flops(spec, &shape) / (best_ms * 1e6), total_wall);

    static const tsr_strategy strategies[] = {TSR_STRATEGY_RANDOM, TSR_STRATEGY_ANNEAL,
                                              TSR_STRATEGY_GENETIC, TSR_STRATEGY_MODEL};
    enum { N_STRATEGIES = sizeof strategies / sizeof strategies[0] };
    double evals[N_STRATEGIES], device_s[N_STRATEGIES], own_s[N_STRATEGIES];
    int status = 0;
    for (int k = 0; k < N_STRATEGIES && status == 0; k++) {
        double e[MAX_SEEDS], d[MAX_SEEDS], o[MAX_SEEDS];
        for (int seed = 0; seed < seeds && status == 0; seed++) {
            char path[] = "/tmp/tsr_bench_tuning_XXXXXX";
            int fd = mkstemp(path);
            if (fd >= 0)
                close(fd);
            remove(path);
            replay r = {.t = &t, .op = spec->op, .target_ms = 1.05 * best_ms};
            tsr_tune_options options = {.strategy = strategies[k],
                                        .seed = (uint64_t)seed + 1,
                                        .device = "replay",
                                        .evaluate = answer,
                                        .evaluate_ctx = &r,
                                        .stop = &r.stop,
                                        .space = &space,
                                        .cold = true};
            tsr_tune_summary summary;
            double started = now_s();
            st = fd >= 0 ? tsr_store_open(path, &store, &err)
                         : tsr_fail(&err, TSR_ERR_IO, "cannot make a temporary store");
            if (st == TSR_OK)
                st = tsr_tune(store, spec, profile, &shape, &options, arena, &summary, &err);
            double took = now_s() - started;
            if (store)
                tsr_store_close(store);
            store = NULL;
            remove(path);
            if (st != TSR_OK) {
                status = cli_report(st, err.msg);
                break;
            }
            e[seed] = r.reached ? r.reached : t.count;
            d[seed] = r.reached ? r.reached_wall_s : total_wall;
            o[seed] = took;
        }
        if (status)
            break;
        evals[k] = median(e, seeds);
        device_s[k] = median(d, seeds);
        own_s[k] = median(o, seeds);
        printf("%-8s evaluations to within 5%%: %5.0f, device seconds %7.1f, its own %6.2f s\n",
               tsr_strategy_name(strategies[k]), evals[k], device_s[k], own_s[k]);
        fflush(stdout);
    }
    if (status == 0) {
        printf("\nstrategy  evaluations  device-s  own-s  random/strategy  (median of %d seeds, "
               "%d candidates)\n",
               seeds, t.count);
        for (int k = 0; k < N_STRATEGIES; k++)
            printf("%-8s  %11.0f  %8.1f  %5.2f  %15.2f\n", tsr_strategy_name(strategies[k]),
                   evals[k], device_s[k], own_s[k], evals[0] / evals[k]);
    }
    for (int i = 0; i < t.count; i++)
        free((char *)t.entries[i].config);
    free(t.entries);
    tsr_arena_destroy(arena);
    tsr_profile_free(profile);
    tsr_opspec_free(spec);
    return status;
}
