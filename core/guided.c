/* The model-guided search (see guided.h). Rounds: retrain the cost model on
 * everything known, score a random sample of untried configs, queue the
 * best-scored few, measure them, repeat. */
#include "core/guided.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/cost_model.h"
#include "core/grow.h"
#include "core/model_prior.h"
#include "core/rng.h"

enum {
    MIN_ROWS = 6,      /* rows needed to train at all */
    BATCH = 4,         /* configs measured per model, unless the setup asks for more */
    SAMPLE = 8192,     /* untried configs scored per model */
    EXPLORE_EVERY = 4, /* every this many batches, one pick is random */
};

struct tsr_guided {
    tsr_guided_setup setup;
    const tsr_op_def *op;
    int cols;
    uint64_t rng;
    unsigned char *visited;
    int n_visited;
    int *queue, n_queue, queue_at, queue_cap;
    int batches;
    bool analytic_pending; /* the first batch is still to be picked by the analytic estimate */
    tsr_model_rows train;  /* the prior, then every report */
    int ok_reports, failed_reports;
    float worst_label;
    /* Scratch for scoring a sample. */
    int *sample;
    float *sample_x, *score;
};

void tsr_guided_free(tsr_guided *g)
{
    if (!g)
        return;
    free(g->visited);
    free(g->queue);
    tsr_model_rows_free(&g->train);
    free(g->sample);
    free(g->sample_x);
    free(g->score);
    free(g);
}

static bool enqueue(tsr_guided *g, int index)
{
    int *q = tsr_grow(g->queue, g->n_queue, &g->queue_cap, sizeof *q, 64);
    if (!q)
        return false;
    g->queue = q;
    g->queue[g->n_queue++] = index;
    return true;
}

tsr_status tsr_guided_create(const tsr_guided_setup *setup, tsr_guided **out, tsr_error *err)
{
    *out = NULL;
    tsr_guided *g = calloc(1, sizeof *g);
    if (!g)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    g->setup = *setup;
    g->op = setup->spec->op;
    g->cols = g->train.cols = tsr_model_feature_count(g->op);
    g->rng = setup->seed ^ 0x6a09e667f3bcc909ull;
    int count = setup->space->count;
    int sample = count < SAMPLE ? count : SAMPLE;
    g->visited = calloc((size_t)count, 1);
    g->sample = malloc((size_t)sample * sizeof *g->sample);
    g->sample_x = malloc((size_t)sample * (size_t)g->cols * sizeof *g->sample_x);
    g->score = malloc((size_t)sample * sizeof *g->score);
    bool ok = g->visited && g->sample && g->sample_x && g->score &&
              tsr_model_rows_reserve(&g->train, setup->n_prior > 0 ? setup->n_prior : 1);
    tsr_model_rows *t = &g->train;
    if (ok && setup->n_prior > 0) {
        memcpy(t->x, setup->prior_x, (size_t)setup->n_prior * (size_t)g->cols * sizeof *t->x);
        memcpy(t->y, setup->prior_y, (size_t)setup->n_prior * sizeof *t->y);
        t->rows = setup->n_prior;
    }
    g->worst_label = INFINITY;
    for (int i = 0; i < t->rows; i++)
        g->worst_label = fminf(g->worst_label, t->y[i]);
    for (int i = 0; ok && i < setup->n_first; i++)
        ok = enqueue(g, setup->first[i]);
    /* Without earlier measurements there is no model yet: the op's analytic
     * estimate picks the first batch, which the first model trains on (an
     * op without an estimate starts from random configs). */
    g->analytic_pending = g->op->features && setup->n_prior < MIN_ROWS;
    if (!ok) {
        tsr_guided_free(g);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory for the guided search");
    }
    *out = g;
    return TSR_OK;
}

/* Whether `index` is chosen and still to come. */
static bool queued(const tsr_guided *g, int index)
{
    for (int at = g->queue_at; at < g->n_queue; at++)
        if (g->queue[at] == index)
            return true;
    return false;
}

/* Whether the trees can be trained: enough rows, and a measurement that
 * verified (of this search or of the prior). */
static bool model_ready(const tsr_guided *g)
{
    return g->train.rows >= MIN_ROWS && g->ok_reports + (g->setup.n_prior > 0) > 0;
}

/* A random unvisited index, or -1 when every config was visited. */
static int random_unvisited(tsr_guided *g)
{
    int count = g->setup.space->count;
    if (g->n_visited >= count)
        return -1;
    for (int tries = 0; tries < 64; tries++) {
        int i = (int)tsr_rng_below(&g->rng, (uint64_t)count);
        if (!g->visited[i])
            return i;
    }
    int start = (int)tsr_rng_below(&g->rng, (uint64_t)count);
    for (int k = 0; k < count; k++) {
        int i = (start + k) % count;
        if (!g->visited[i])
            return i;
    }
    return -1;
}

typedef struct scored {
    float score;
    int index;
} scored;

static int compare_scored(const void *a, const void *b)
{
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x < y) - (x > y); /* highest first */
}

/* Scores a sample of untried configs by the learned model (trained on
 * every row) or, with `analytic`, by the op's analytic estimate, and queues
 * the best-scored batch (one of them random every EXPLORE_EVERY batches). */
static tsr_status plan_batch(tsr_guided *g, bool analytic, tsr_error *err)
{
    tsr_cost_model *model = NULL;
    /* The trees learn the labels themselves, the estimate being one of
     * their features: learning only its correction (tsr_model_base) kept
     * the search too close to the estimate's ranking, which replays of
     * measured tables showed to cost evaluations where that ranking is
     * weak (bench/tuning_efficiency.sh). */
    if (!analytic)
        TSR_TRY(tsr_cost_model_train(g->train.x, g->train.y, NULL, g->train.rows, g->cols,
                                     g->setup.seed + (uint64_t)g->batches, &model, err));
    int count = g->setup.space->count, n = 0;
    int want = count - g->n_visited < SAMPLE ? count - g->n_visited : SAMPLE;
    if (want == count - g->n_visited) {
        for (int i = 0; i < count; i++)
            if (!g->visited[i])
                g->sample[n++] = i;
    } else {
        /* Distinct by marking them visited while drawing. */
        while (n < want) {
            int i = random_unvisited(g);
            g->visited[i] = 2;
            g->n_visited++;
            g->sample[n++] = i;
        }
        for (int k = 0; k < n; k++)
            g->visited[g->sample[k]] = 0;
        g->n_visited -= n;
    }
    for (int k = 0; k < n; k++)
        tsr_model_features(g->setup.spec, g->setup.profile, g->setup.shape,
                           &g->setup.space->configs[g->sample[k]], NULL,
                           &g->sample_x[(size_t)k * (size_t)g->cols]);
    tsr_status st = TSR_OK;
    if (analytic)
        for (int k = 0; k < n; k++)
            g->score[k] = tsr_model_base(g->setup.spec, g->setup.shape,
                                         &g->sample_x[(size_t)k * (size_t)g->cols]);
    else
        st = tsr_cost_model_predict(model, g->sample_x, NULL, n, g->score, err);
    tsr_cost_model_free(model);
    if (st != TSR_OK)
        return st;
    /* Rank the sample by score; queue the best. */
    scored *ranked = malloc((size_t)n * sizeof *ranked);
    if (!ranked)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    for (int k = 0; k < n; k++)
        ranked[k] = (scored){g->score[k], g->sample[k]};
    qsort(ranked, (size_t)n, sizeof *ranked, compare_scored);
    bool explore = !analytic && ++g->batches % EXPLORE_EVERY == 0;
    int batch = g->setup.batch > BATCH ? g->setup.batch : BATCH;
    /* The estimate's batch is what the first model trains on: as many as it
     * needs, the estimate's best rather than random ones. */
    if (analytic && batch < MIN_ROWS)
        batch = MIN_ROWS;
    int picks = n < batch ? n : batch, picked = 0;
    for (int k = 0; k < n && picked < picks && st == TSR_OK; k++) {
        int index = explore && picked == picks - 1
                        ? ranked[tsr_rng_below(&g->rng, (uint64_t)n)].index
                        : ranked[k].index;
        if (queued(g, index))
            continue; /* chosen by the batch before, planned ahead of its end */
        if (!enqueue(g, index))
            st = tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
        picked++;
    }
    free(ranked);
    return st;
}

tsr_status tsr_guided_next(tsr_guided *g, int *index, tsr_error *err)
{
    for (;;) {
        while (g->queue_at < g->n_queue) {
            int i = g->queue[g->queue_at++];
            if (!g->visited[i]) {
                g->visited[i] = 1;
                g->n_visited++;
                *index = i;
                return TSR_OK;
            }
        }
        g->queue_at = g->n_queue = 0;
        if (g->n_visited >= g->setup.space->count) {
            *index = -1;
            return TSR_OK;
        }
        if (g->analytic_pending) {
            g->analytic_pending = false;
            TSR_TRY(plan_batch(g, true, err));
            continue;
        }
        if (!model_ready(g)) {
            int i = random_unvisited(g);
            g->visited[i] = 1;
            g->n_visited++;
            *index = i;
            return TSR_OK;
        }
        TSR_TRY(plan_batch(g, false, err));
    }
}

tsr_status tsr_guided_plan_ahead(tsr_guided *g, int low, tsr_error *err)
{
    int remaining = 0;
    for (int at = g->queue_at; at < g->n_queue; at++)
        remaining += !g->visited[g->queue[at]];
    if (remaining >= low || g->analytic_pending || !model_ready(g) ||
        g->n_visited + remaining >= g->setup.space->count)
        return TSR_OK;
    return plan_batch(g, false, err);
}

int tsr_guided_upcoming(const tsr_guided *g, int *out, int max)
{
    int n = 0;
    for (int at = g->queue_at; at < g->n_queue && n < max; at++)
        if (!g->visited[g->queue[at]])
            out[n++] = g->queue[at];
    return n;
}

tsr_status tsr_guided_report(tsr_guided *g, int index, bool ok, double time_ms, tsr_error *err)
{
    if (index < 0 || index >= g->setup.space->count)
        return TSR_OK;
    float label;
    if (ok && time_ms > 0) {
        double flops = g->op->flops(g->setup.spec, g->setup.shape);
        label = (float)log2(flops / (time_ms * 1e6));
        g->ok_reports++;
    } else {
        /* Failures teach the model where not to look: below the worst seen. */
        if (!isfinite(g->worst_label))
            return TSR_OK; /* nothing to be below yet */
        label = g->worst_label - 1.0f;
        g->failed_reports++;
    }
    tsr_model_rows *t = &g->train;
    if (!tsr_model_rows_reserve(t, t->rows + 1))
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    tsr_model_features(g->setup.spec, g->setup.profile, g->setup.shape,
                       &g->setup.space->configs[index], NULL,
                       &t->x[(size_t)t->rows * (size_t)g->cols]);
    t->y[t->rows++] = label;
    if (ok)
        g->worst_label = fminf(g->worst_label, label);
    return TSR_OK;
}
