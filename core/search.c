/* Simulated annealing and a genetic algorithm over a search space (see
 * search.h). Moves are steps of one parameter to the next or previous value
 * of its list; a config outside the space (the constraints refused it) or
 * already visited is not proposed, so every step costs one new candidate. */
#include "core/search.h"

#include <math.h>
#include <string.h>

#include "core/rng.h"

enum {
    POPULATION = 16, /* the genetic algorithm's */
    TOURNAMENT = 2,  /* parents picked as the better of this many */
    TRIES = 64,      /* proposals before a random unvisited config instead */
    PATIENCE = 48,   /* annealing steps without a new best before a restart */
};
#define COOLING 0.95 /* temperature factor per step */
#define MIN_TEMPERATURE 0.01
#define MUTATION 0.3 /* chance that a child also takes one step */

typedef struct member {
    int index;
    double time_ms;
} member;

struct tsr_search {
    const tsr_search_space *space;
    const tsr_op_def *op;
    tsr_search_kind kind;
    uint64_t rng;
    unsigned char *visited;
    int n_visited;
    int *table; /* open addressing: config -> index, -1 empty */
    size_t table_mask;
    const int *first;
    int n_first, next_first;
    /* annealing */
    int current, best, since_best;
    double current_time, best_time, temperature;
    /* genetic */
    member population[POPULATION];
    int n_population;
};

static uint64_t config_hash(const tsr_op_def *op, const tsr_config *c)
{
    uint64_t h = 1469598103934665603ull;
    for (int p = 0; p < op->n_params; p++) {
        h ^= (uint64_t)(uint32_t)c->value[p];
        h *= 1099511628211ull;
    }
    return h;
}

static bool same(const tsr_op_def *op, const tsr_config *a, const tsr_config *b)
{
    for (int p = 0; p < op->n_params; p++)
        if (a->value[p] != b->value[p])
            return false;
    return true;
}

/* The config's index in the space, or -1 when the constraints refused it. */
static int lookup(const tsr_search *s, const tsr_config *c)
{
    for (size_t h = config_hash(s->op, c) & s->table_mask;; h = (h + 1) & s->table_mask) {
        int i = s->table[h];
        if (i < 0)
            return -1;
        if (same(s->op, &s->space->configs[i], c))
            return i;
    }
}

tsr_status tsr_search_create(tsr_arena *arena, const tsr_search_space *space, tsr_search_kind kind,
                             uint64_t seed, const int *first, int n_first, tsr_search **out,
                             tsr_error *err)
{
    tsr_search *s = TSR_ARENA_NEW(arena, tsr_search);
    size_t size = 1;
    while (size < 2 * (size_t)space->count)
        size *= 2;
    if (s) {
        s->visited = TSR_ARENA_ARRAY(arena, unsigned char, (size_t)space->count + 1);
        s->table = TSR_ARENA_ARRAY(arena, int, size);
    }
    if (!s || !s->visited || !s->table)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory for the search over %d configs",
                        space->count);
    memset(s->table, 0xff, size * sizeof *s->table);
    *s = (tsr_search){.space = space,
                      .op = space->op,
                      .kind = kind,
                      .rng = seed,
                      .visited = s->visited,
                      .table = s->table,
                      .table_mask = size - 1,
                      .first = first,
                      .n_first = n_first,
                      .current = -1,
                      .best = -1,
                      .temperature = 1.0};
    memset(s->visited, 0, (size_t)space->count);
    for (int i = 0; i < space->count; i++) {
        size_t h = config_hash(s->op, &space->configs[i]) & s->table_mask;
        while (s->table[h] >= 0)
            h = (h + 1) & s->table_mask;
        s->table[h] = i;
    }
    *out = s;
    return TSR_OK;
}

/* A random config not yet visited; -1 when there is none. */
static int random_unvisited(tsr_search *s)
{
    if (s->n_visited >= s->space->count)
        return -1;
    for (int t = 0; t < TRIES; t++) {
        int i = (int)tsr_rng_below(&s->rng, (uint64_t)s->space->count);
        if (!s->visited[i])
            return i;
    }
    int start = (int)tsr_rng_below(&s->rng, (uint64_t)s->space->count);
    for (int k = 0; k < s->space->count; k++) {
        int i = (start + k) % s->space->count;
        if (!s->visited[i])
            return i;
    }
    return -1;
}

/* One parameter of `c` moved to the next or previous value of its list. */
static void step(tsr_search *s, tsr_config *c)
{
    const tsr_op_def *op = s->op;
    for (int t = 0; t < TRIES; t++) {
        const tsr_param_def *p = &op->params[tsr_rng_below(&s->rng, (uint64_t)op->n_params)];
        if (p->n_values < 2)
            continue;
        int param = (int)(p - op->params), at = 0;
        while (at < p->n_values && p->values[at] != c->value[param])
            at++;
        int to = at + (tsr_rng_next(&s->rng) & 1 ? 1 : -1);
        if (to < 0 || to >= p->n_values)
            to = at + (at + 1 < p->n_values ? 1 : -1);
        c->value[param] = p->values[to];
        return;
    }
}

/* An unvisited neighbour of config `index`, else -1. */
static int neighbour(tsr_search *s, int index)
{
    for (int t = 0; t < TRIES; t++) {
        tsr_config c = s->space->configs[index];
        step(s, &c);
        if (tsr_rng_next(&s->rng) & 1)
            step(s, &c); /* now and then two steps, to leave a flat region */
        int i = lookup(s, &c);
        if (i >= 0 && !s->visited[i])
            return i;
    }
    return -1;
}

static int anneal_next(tsr_search *s)
{
    if (s->since_best >= PATIENCE && s->best >= 0) {
        /* Stuck: back to the best, warm again. */
        s->current = s->best;
        s->current_time = s->best_time;
        s->temperature = 1.0;
        s->since_best = 0;
    }
    int i = s->current >= 0 ? neighbour(s, s->current) : -1;
    return i >= 0 ? i : random_unvisited(s);
}

static const member *tournament(tsr_search *s)
{
    const member *pick = NULL;
    for (int t = 0; t < TOURNAMENT; t++) {
        const member *m = &s->population[tsr_rng_below(&s->rng, (uint64_t)s->n_population)];
        if (!pick || m->time_ms < pick->time_ms)
            pick = m;
    }
    return pick;
}

static int genetic_next(tsr_search *s)
{
    if (s->n_population < 4)
        return random_unvisited(s); /* the first generation: random */
    for (int t = 0; t < TRIES; t++) {
        const tsr_config *a = &s->space->configs[tournament(s)->index];
        const tsr_config *b = &s->space->configs[tournament(s)->index];
        tsr_config child = *a;
        for (int p = 0; p < s->op->n_params; p++)
            if (tsr_rng_next(&s->rng) & 1)
                child.value[p] = b->value[p];
        if (tsr_rng_unit(&s->rng) < MUTATION)
            step(s, &child);
        int i = lookup(s, &child);
        if (i >= 0 && !s->visited[i])
            return i;
    }
    return random_unvisited(s);
}

int tsr_search_next(tsr_search *s)
{
    int i = -1;
    while (s->next_first < s->n_first && i < 0) {
        int f = s->first[s->next_first++];
        if (f >= 0 && f < s->space->count && !s->visited[f])
            i = f;
    }
    if (i < 0)
        i = s->kind == TSR_SEARCH_ANNEAL ? anneal_next(s) : genetic_next(s);
    if (i >= 0) {
        s->visited[i] = 1;
        s->n_visited++;
    }
    return i;
}

static void anneal_report(tsr_search *s, int index, bool ok, double t)
{
    s->since_best++;
    s->temperature = fmax(MIN_TEMPERATURE, s->temperature * COOLING);
    if (!ok)
        return;
    if (s->best < 0 || t < s->best_time) {
        s->best = index;
        s->best_time = t;
        s->since_best = 0;
    }
    /* Worse moves are taken now and then, less as it cools: by how much
     * worse, relative to where it stands. */
    bool accept =
        s->current < 0 || t <= s->current_time ||
        tsr_rng_unit(&s->rng) < exp(-(t - s->current_time) / s->current_time / s->temperature);
    if (accept) {
        s->current = index;
        s->current_time = t;
    }
}

static void genetic_report(tsr_search *s, int index, bool ok, double t)
{
    if (!ok)
        return;
    if (s->n_population < POPULATION) {
        s->population[s->n_population++] = (member){index, t};
        return;
    }
    member *worst = &s->population[0];
    for (int m = 1; m < POPULATION; m++)
        if (s->population[m].time_ms > worst->time_ms)
            worst = &s->population[m];
    if (t < worst->time_ms)
        *worst = (member){index, t};
}

void tsr_search_report(tsr_search *s, int index, bool ok, double time_ms)
{
    ok = ok && isfinite(time_ms) && time_ms > 0;
    if (s->kind == TSR_SEARCH_ANNEAL)
        anneal_report(s, index, ok, time_ms);
    else
        genetic_report(s, index, ok, time_ms);
}
