#include "core/tune.h"

#include <string.h>
#include <time.h>

#include "core/guided.h"
#include "core/model_prior.h"
#include "core/rng.h"
#include "core/search.h"
#include "core/space.h"

static const char *const strategy_names[] = {"exhaustive", "random", "anneal", "genetic", "model"};

const char *tsr_strategy_name(tsr_strategy strategy)
{
    return (unsigned)strategy < sizeof strategy_names / sizeof strategy_names[0]
               ? strategy_names[strategy]
               : "exhaustive";
}

int tsr_strategy_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof strategy_names / sizeof strategy_names[0]; i++)
        if (strcmp(name, strategy_names[i]) == 0)
            return (int)i;
    return -1;
}

static void shuffle(int *order, int count, uint64_t seed)
{
    uint64_t state = seed;
    for (int i = count - 1; i > 0; i--) {
        int j = (int)(tsr_rng_next(&state) % (uint64_t)(i + 1));
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *copy(tsr_arena *arena, const char *text)
{
    return text ? tsr_arena_strdup(arena, text) : NULL;
}

static void keep_best(tsr_arena *arena, const tsr_result *r, tsr_tune_summary *summary)
{
    if (r->outcome != TSR_OUTCOME_OK || (summary->found && r->time_ms >= summary->best.time_ms))
        return;
    tsr_result *b = &summary->best;
    *b = *r;
    b->op_key = copy(arena, r->op_key);
    b->op = copy(arena, r->op);
    b->spec_name = copy(arena, r->spec_name);
    b->device = copy(arena, r->device);
    b->profile = copy(arena, r->profile);
    b->shape = copy(arena, r->shape);
    b->config = copy(arena, r->config);
    b->reason = copy(arena, r->reason);
    b->kernel_name = copy(arena, r->kernel_name);
    b->source = copy(arena, r->source);
    b->language = copy(arena, r->language);
    b->geometry = copy(arena, r->geometry);
    b->args = copy(arena, r->args);
    b->created = copy(arena, r->created);
    summary->found = true;
}

/* Adds a visited candidate to the outcome counts and the time account. */
static void count(tsr_arena *arena, const tsr_result *r, bool cached, double wall_s,
                  tsr_tune_summary *summary)
{
    if ((unsigned)r->outcome >= TSR_OUTCOME_COUNT)
        return;
    summary->outcomes[r->outcome]++;
    if (r->outcome != TSR_OUTCOME_OK && !summary->example_reason[r->outcome] && r->reason)
        summary->example_reason[r->outcome] = copy(arena, r->reason);
    if (cached)
        return;
    if (r->outcome == TSR_OUTCOME_TIMEOUT || r->outcome == TSR_OUTCOME_CRASHED) {
        summary->lost_s += wall_s;
        return;
    }
    summary->build_s += r->build_s;
    summary->check_s += r->check_s;
    summary->timing_s += r->timing_s;
}

/* One candidate: from the store when it is there, else evaluated and
 * committed before the next one starts. */
static tsr_status visit(tsr_store *store, const tsr_opspec *spec, const tsr_profile *profile,
                        const char *shape_text, const tsr_config *config,
                        const tsr_tune_options *options, tsr_arena *scratch, tsr_result *result,
                        bool *cached, double *wall_s, tsr_error *err)
{
    *wall_s = 0;
    char config_buf[512];
    tsr_config_format(spec->op, config, config_buf, sizeof config_buf);
    const char *config_text = tsr_arena_strdup(scratch, config_buf);
    if (!config_text)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    const char *op_key = tsr_opspec_key(spec);
    TSR_TRY(tsr_store_get(store, scratch, op_key, options->device, shape_text, config_text, result,
                          cached, err));
    if (*cached)
        return TSR_OK;
    memset(result, 0, sizeof *result);
    double started = now_seconds();
    TSR_TRY(options->evaluate(options->evaluate_ctx, config, scratch, result, err));
    *wall_s = now_seconds() - started;
    result->op_key = op_key;
    result->op = spec->op->name;
    result->spec_name = spec->name;
    result->device = options->device;
    result->profile = profile->name;
    result->shape = shape_text;
    result->config = config_text;
    return tsr_store_put(store, result, err);
}

/* Warm start for the random strategy: the configs that won other shapes of
 * the same op on the same device go first, since neighbouring shapes tend
 * to share a winner; then the op's suggestion for the profile. */
typedef struct warm_start {
    const tsr_opspec *spec;
    const char *shape;
    const tsr_search_space *space;
    int *order;
    int placed;
} warm_start;

static void place_config(warm_start *ws, const tsr_config *config)
{
    for (int i = ws->placed; i < ws->space->count; i++) {
        if (memcmp(&ws->space->configs[ws->order[i]], config, sizeof *config) != 0)
            continue;
        int t = ws->order[ws->placed];
        ws->order[ws->placed++] = ws->order[i];
        ws->order[i] = t;
        return;
    }
}

static tsr_status place_winner(void *ctx_ptr, const tsr_result *best)
{
    warm_start *ws = ctx_ptr;
    if (strcmp(best->op_key, tsr_opspec_key(ws->spec)) != 0 || strcmp(best->shape, ws->shape) == 0)
        return TSR_OK;
    tsr_config config;
    tsr_config_default(ws->spec->op, &config);
    if (tsr_config_parse(ws->spec->op, best->config, &config, NULL) == TSR_OK)
        place_config(ws, &config); /* else a config of an older space: nothing to reuse */
    return TSR_OK;
}

/* The model-guided search, warm-started like the others and trained from
 * the first on what the store knows of the op. */
static tsr_status start_guided(tsr_store *store, const tsr_opspec *spec, const tsr_profile *profile,
                               const tsr_shape *shape, const tsr_search_space *space, uint64_t seed,
                               const int *first, int n_first, int batch, tsr_guided **out,
                               tsr_error *err)
{
    tsr_model_rows prior;
    TSR_TRY(tsr_model_rows_from_store(store, spec, profile, &prior, err));
    tsr_guided_setup setup = {.spec = spec,
                              .profile = profile,
                              .shape = shape,
                              .space = space,
                              .seed = seed,
                              .first = first,
                              .n_first = n_first,
                              .prior_x = prior.x,
                              .prior_y = prior.y,
                              .n_prior = prior.rows,
                              .batch = batch};
    tsr_status st = tsr_guided_create(&setup, out, err);
    tsr_model_rows_free(&prior);
    return st;
}

/* Tells options->upcoming which configs come next: `pick`, then the next
 * ones of the fixed order or of the guided search's batch, less those the
 * store already holds. */
static tsr_status tell_upcoming(tsr_store *store, const tsr_opspec *spec, const char *shape_text,
                                const tsr_search_space *space, const int *order, int i, int total,
                                tsr_guided *guided, int pick, const tsr_tune_options *options,
                                tsr_error *err)
{
    enum { MAX_AHEAD = 64 };
    int ahead = options->lookahead < MAX_AHEAD ? options->lookahead : MAX_AHEAD;
    int next[MAX_AHEAD], n_next = 0;
    if (ahead < 1)
        return TSR_OK;
    next[n_next++] = pick;
    /* The model-guided search plans its next batch once half the
     * processes' worth of configs remain, so that they never run dry. */
    if (guided) {
        TSR_TRY(tsr_guided_plan_ahead(guided, ahead / 2 + 1, err));
        n_next += tsr_guided_upcoming(guided, next + 1, ahead - 1);
    } else
        for (int k = i + 1; k < total && n_next < ahead; k++)
            next[n_next++] = order[k];
    tsr_arena *scratch = tsr_arena_create();
    if (!scratch)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    const tsr_config *configs[MAX_AHEAD];
    int n = 0;
    tsr_status st = TSR_OK;
    for (int k = 0; k < n_next && st == TSR_OK; k++) {
        char text[512];
        tsr_config_format(spec->op, &space->configs[next[k]], text, sizeof text);
        tsr_result stored;
        bool cached = false;
        st = tsr_store_get(store, scratch, tsr_opspec_key(spec), options->device, shape_text, text,
                           &stored, &cached, err);
        if (st == TSR_OK && !cached)
            configs[n++] = &space->configs[next[k]];
    }
    tsr_arena_destroy(scratch);
    if (st == TSR_OK && n > 0)
        st = options->upcoming(options->upcoming_ctx, configs, n, err);
    return st;
}

tsr_status tsr_tune(tsr_store *store, const tsr_opspec *spec, const tsr_profile *profile,
                    const tsr_shape *shape, const tsr_tune_options *options, tsr_arena *arena,
                    tsr_tune_summary *summary, tsr_error *err)
{
    memset(summary, 0, sizeof *summary);
    double start = now_seconds();
    tsr_search_space space;
    if (options->space)
        space = *options->space;
    else
        TSR_TRY(tsr_space_build(arena, spec, profile, &space, err));
    summary->space_size = space.count;
    summary->space_rejected = space.rejected;
    int *order = TSR_ARENA_ARRAY(arena, int, space.count);
    if (!order)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory ordering %d configs", space.count);
    for (int i = 0; i < space.count; i++)
        order[i] = i;
    bool adaptive =
        options->strategy == TSR_STRATEGY_ANNEAL || options->strategy == TSR_STRATEGY_GENETIC;
    if (options->strategy != TSR_STRATEGY_EXHAUSTIVE)
        shuffle(order, space.count, options->seed);
    int total = options->budget_evals > 0 && options->budget_evals < space.count
                    ? options->budget_evals
                    : space.count;
    char shape_text[256];
    tsr_shape_format(spec->op, shape, shape_text, sizeof shape_text);
    tsr_search *search = NULL;
    tsr_guided *guided = NULL;
    if (options->strategy != TSR_STRATEGY_EXHAUSTIVE) {
        warm_start ws = {spec, shape_text, &space, order, 0};
        tsr_config start;
        const char *origin;
        if (!options->cold) {
            TSR_TRY(tsr_store_each_best(store, options->device, place_winner, &ws, err));
            if (tsr_config_start(spec, profile, &start, &origin, NULL) == TSR_OK)
                place_config(&ws, &start);
        }
        if (adaptive)
            TSR_TRY(tsr_search_create(arena, &space,
                                      options->strategy == TSR_STRATEGY_ANNEAL ? TSR_SEARCH_ANNEAL
                                                                               : TSR_SEARCH_GENETIC,
                                      options->seed, order, ws.placed, &search, err));
        if (options->strategy == TSR_STRATEGY_MODEL)
            TSR_TRY(start_guided(store, spec, profile, shape, &space, options->seed, order,
                                 ws.placed, options->upcoming ? options->lookahead : 0, &guided,
                                 err));
    }

    tsr_status status = TSR_OK;
    for (int i = 0; i < total; i++) {
        if (options->stop && *options->stop) {
            summary->interrupted = true;
            break;
        }
        if (options->budget_seconds > 0 && now_seconds() - start > options->budget_seconds)
            break;
        tsr_arena *scratch = tsr_arena_create();
        if (!scratch) {
            status = tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
            break;
        }
        tsr_result result;
        bool cached = false;
        int pick = order[i];
        if (search)
            pick = tsr_search_next(search);
        else if (guided && (status = tsr_guided_next(guided, &pick, err)) != TSR_OK) {
            tsr_arena_destroy(scratch);
            break;
        }
        if (pick < 0) {
            tsr_arena_destroy(scratch);
            break; /* every config visited */
        }
        double wall_s;
        if (options->upcoming && !search &&
            (status = tell_upcoming(store, spec, shape_text, &space, order, i, total, guided, pick,
                                    options, err)) != TSR_OK) {
            tsr_arena_destroy(scratch);
            break;
        }
        status = visit(store, spec, profile, shape_text, &space.configs[pick], options, scratch,
                       &result, &cached, &wall_s, err);
        if (status == TSR_OK && search)
            tsr_search_report(search, pick, result.outcome == TSR_OUTCOME_OK, result.time_ms);
        if (status == TSR_OK && guided)
            status = tsr_guided_report(guided, pick, result.outcome == TSR_OUTCOME_OK,
                                       result.time_ms, err);
        if (status == TSR_OK) {
            summary->visited++;
            summary->evaluated += !cached;
            count(arena, &result, cached, wall_s, summary);
            keep_best(arena, &result, summary);
            if (options->progress) {
                tsr_tune_progress progress = {
                    .done = i + 1,
                    .total = total,
                    .cached = cached,
                    .latest = &result,
                    .best = summary->found ? &summary->best : NULL,
                    .elapsed_s = now_seconds() - start,
                };
                options->progress(options->progress_ctx, &progress);
            }
        }
        tsr_arena_destroy(scratch);
        if (status != TSR_OK)
            break;
    }
    tsr_guided_free(guided);
    summary->seconds = now_seconds() - start;
    return status;
}
