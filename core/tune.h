/* The tuner: walks an op's search space in the order a strategy chooses,
 * evaluates each candidate through a callback (the device part lives above
 * core), records every outcome in the results store as it lands, and skips
 * what the store already holds, so that the same command resumes a killed
 * run. */
#ifndef TSR_TUNE_H
#define TSR_TUNE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/op.h"
#include "core/space.h"
#include "core/store.h"

/* exhaustive: every config in enumeration order. random: a seeded shuffle.
 * anneal: simulated annealing, one-parameter steps from the current config,
 * worse ones taken less often as it cools. genetic: a steady-state genetic
 * algorithm, children of tournament-picked parents by uniform crossover and
 * a mutation step. All but exhaustive start from the configs that won other
 * shapes of the same op on the device, then the op's suggested config for
 * the profile (core/search.h has the adaptive two). model: a learned cost
 * model, trained on the store's measurements of the op and each new one,
 * picks the most promising untried configs (core/guided.h). */
typedef enum tsr_strategy {
    TSR_STRATEGY_EXHAUSTIVE,
    TSR_STRATEGY_RANDOM,
    TSR_STRATEGY_ANNEAL,
    TSR_STRATEGY_GENETIC,
    TSR_STRATEGY_MODEL
} tsr_strategy;

const char *tsr_strategy_name(tsr_strategy strategy);
/* -1 when the name is not a strategy. */
int tsr_strategy_from_name(const char *name);

/* Fills result->outcome, reason, time_ms, gflops, max_error, kernel_name,
 * source, language, geometry and args (strings in `arena`). Returns non-OK
 * only when evaluation itself broke down (out of memory, device lost);
 * a candidate that fails is an outcome, not an error. */
typedef tsr_status (*tsr_evaluate_fn)(void *ctx, const tsr_config *config, tsr_arena *arena,
                                      tsr_result *result, tsr_error *err);

typedef struct tsr_tune_progress {
    int done, total; /* candidates visited of those the budget allows */
    bool cached;     /* the latest came from the store */
    const tsr_result *latest;
    const tsr_result *best; /* NULL until one verified */
    double elapsed_s;
} tsr_tune_progress;

typedef void (*tsr_progress_fn)(void *ctx, const tsr_tune_progress *progress);

typedef struct tsr_tune_options {
    tsr_strategy strategy;
    int budget_evals;      /* at most this many candidates (stored ones count); 0: all */
    double budget_seconds; /* stop starting candidates after this long; 0: no limit */
    uint64_t seed;         /* for the random strategy */
    const char *device;    /* fingerprint, part of each result's key */
    tsr_evaluate_fn evaluate;
    void *evaluate_ctx;
    tsr_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    const volatile sig_atomic_t *stop; /* set (by SIGINT): finish the candidate, return */
    /* Search only these configs (a benchmark replaying a measured table);
     * NULL: the op's whole space on the profile. */
    const tsr_search_space *space;
    bool cold; /* no warm start: a benchmark of the search itself */
    /* Compile-ahead (runner/compile_ahead.h): before each evaluation, the
     * configs the search will visit next that the store does not hold, at
     * most `lookahead`, starting with the one about to be evaluated, so that
     * they compile while it runs. Annealing and the genetic search choose
     * each config from the last result and have none to tell; the
     * model-guided search measures `lookahead` configs per model. */
    tsr_status (*upcoming)(void *ctx, const tsr_config *const *configs, int n, tsr_error *err);
    void *upcoming_ctx;
    int lookahead;
} tsr_tune_options;

typedef struct tsr_tune_summary {
    int space_size, space_rejected;
    int visited;   /* candidates taken from the order */
    int evaluated; /* of those, run now (not from the store) */
    int outcomes[TSR_OUTCOME_COUNT];
    bool interrupted;
    bool found;
    tsr_result best; /* strings in the arena given to tsr_tune */
    double seconds;
    /* Where the time went, in seconds: candidates compiling, in their first
     * launch with its verification, in timed runs, and whole candidates lost
     * to timeouts and crashes. The rest of `seconds` went to generating
     * kernels, the store, the search and starting workers. */
    double build_s, check_s, timing_s, lost_s;
    /* The first reason seen for each failing outcome (in the arena). */
    const char *example_reason[TSR_OUTCOME_COUNT];
} tsr_tune_summary;

tsr_status tsr_tune(tsr_store *store, const tsr_opspec *spec, const tsr_profile *profile,
                    const tsr_shape *shape, const tsr_tune_options *options, tsr_arena *arena,
                    tsr_tune_summary *summary, tsr_error *err);

#endif
