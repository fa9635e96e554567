/* The model-guided strategy of the tuner: a learned cost model
 * (cost_model.h), trained on every measurement of the op that the store
 * holds (any device, any shape) and on each new one, ranks a large sample of
 * untried configs, and the most promising few are measured next; some picks
 * stay random so the model sees what it does not yet know. Never visits a
 * config twice. */
#ifndef TSR_GUIDED_H
#define TSR_GUIDED_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/space.h"
#include "core/status.h"

typedef struct tsr_guided tsr_guided;

typedef struct tsr_guided_setup {
    const tsr_opspec *spec;
    const tsr_profile *profile;
    const tsr_shape *shape;
    const tsr_search_space *space;
    uint64_t seed;
    const int *first; /* tried before anything else: the warm start */
    int n_first;
    /* Earlier measurements, n_prior rows of tsr_model_feature_count()
     * features with their labels (log2 GFLOP/s); copied. */
    const float *prior_x, *prior_y;
    int n_prior;
    /* Configs measured per model: 4 when smaller. More lets that many
     * compile ahead at once (runner/compile_ahead.h), at some cost in
     * evaluations, since the model learns less often. */
    int batch;
} tsr_guided_setup;

tsr_status tsr_guided_create(const tsr_guided_setup *setup, tsr_guided **out, tsr_error *err);
void tsr_guided_free(tsr_guided *guided);

/* The next index to visit in *index, -1 once every config was visited. */
tsr_status tsr_guided_next(tsr_guided *guided, int *index, tsr_error *err);

/* The indices already chosen to come next (the rest of the current batch),
 * at most `max` of them, in order; how many. */
int tsr_guided_upcoming(const tsr_guided *guided, int *out, int max);

/* When fewer than `low` chosen indices remain, chooses the next batch now
 * from what is known so far, so that it can be compiled while the rest of
 * this one is measured (the model then lags a few results behind, and the
 * device does not wait on the compiler). Does nothing before the first
 * model can be trained. */
tsr_status tsr_guided_plan_ahead(tsr_guided *guided, int low, tsr_error *err);

/* What visiting `index` gave: its time when it verified (ok), else a
 * failure, which the model learns as slower than anything seen. */
tsr_status tsr_guided_report(tsr_guided *guided, int index, bool ok, double time_ms,
                             tsr_error *err);

#endif
