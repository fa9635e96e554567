#include "core/space.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The configs accepted so far, in malloc'd blocks: one walk of the space
 * fills them, and the arena's array is sized from the count at the end.
 * (The walk costs seconds on GEMM's tens of millions of combinations, so
 * it runs once, not once to count and once to fill.) */
enum { BLOCK_CONFIGS = 1 << 16 };

typedef struct block {
    struct block *next;
    int used;
    tsr_config configs[BLOCK_CONFIGS];
} block;

static void free_blocks(block *head)
{
    while (head) {
        block *next = head->next;
        free(head);
        head = next;
    }
}

typedef struct walk_state {
    const tsr_opspec *spec;
    const tsr_profile *profile;
    block *head, *tail;
    int valid, rejected;
} walk_state;

/* Checks one combination and chains it when accepted; returns whether it
 * was, or -1 when out of memory. */
static int consider(walk_state *w, const tsr_config *config)
{
    if (w->spec->op->check(w->spec, w->profile, config, NULL) != TSR_OK) {
        w->rejected++;
        return 0;
    }
    if (!w->tail || w->tail->used == BLOCK_CONFIGS) {
        block *b = malloc(sizeof *b);
        if (!b)
            return -1;
        b->next = NULL;
        b->used = 0;
        *(w->tail ? &w->tail->next : &w->head) = b;
        w->tail = b;
    }
    w->tail->configs[w->tail->used++] = *config;
    w->valid++;
    return 1;
}

/* Steps the odometer of params [first, last) (the last fastest) and sets
 * their values in `config`; false once it has gone round. */
static bool next_combination(const tsr_op_def *op, int first, int last, int *digit,
                             tsr_config *config)
{
    int i = last - 1;
    while (i >= first && ++digit[i] == op->params[i].n_values) {
        digit[i] = 0;
        config->value[i] = op->params[i].values[0];
        i--;
    }
    if (i < first)
        return false;
    config->value[i] = op->params[i].values[digit[i]];
    return true;
}

/* Calls op->check on every combination, first param slowest, and chains
 * the accepted ones from *head; the refining params (tsr_param_def) past
 * their first values only on combinations accepted at them. Returns false
 * when out of memory. */
static bool walk(const tsr_opspec *spec, const tsr_profile *profile, block **head, int *valid,
                 int *rejected)
{
    const tsr_op_def *op = spec->op;
    int digit[TSR_MAX_PARAMS] = {0};
    tsr_config config;
    memset(&config, 0, sizeof config);
    int outer = op->n_params;
    while (outer > 0 && op->params[outer - 1].refines)
        outer--;
    for (int i = 0; i < op->n_params; i++)
        config.value[i] = op->params[i].values[0];
    walk_state w = {.spec = spec, .profile = profile};
    int accepted = 1;
    do {
        accepted = consider(&w, &config);
        if (accepted > 0)
            while (accepted >= 0 && next_combination(op, outer, op->n_params, digit, &config))
                accepted = consider(&w, &config);
    } while (accepted >= 0 && next_combination(op, 0, outer, digit, &config));
    *head = w.head;
    *valid = w.valid;
    *rejected = w.rejected;
    return accepted >= 0;
}

tsr_status tsr_space_build(tsr_arena *arena, const tsr_opspec *spec, const tsr_profile *profile,
                           tsr_search_space *out, tsr_error *err)
{
    memset(out, 0, sizeof *out);
    out->op = spec->op;
    block *head;
    int count;
    if (!walk(spec, profile, &head, &count, &out->rejected)) {
        free_blocks(head);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory enumerating the configs of %s",
                        spec->op->name);
    }
    if (count == 0) {
        tsr_config config;
        tsr_error why = {{0}};
        tsr_config_default(spec->op, &config);
        spec->op->check(spec, profile, &config, &why);
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "no config of %s fits profile %s (the default is refused: %s)",
                        spec->op->name, profile->name, why.msg);
    }
    out->configs = TSR_ARENA_ARRAY(arena, tsr_config, count);
    if (!out->configs) {
        free_blocks(head);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory enumerating %d configs", count);
    }
    for (block *b = head; b; b = b->next) {
        memcpy(out->configs + out->count, b->configs, sizeof b->configs[0] * (size_t)b->used);
        out->count += b->used;
    }
    free_blocks(head);
    return TSR_OK;
}

tsr_status tsr_config_start(const tsr_opspec *spec, const tsr_profile *profile, tsr_config *out,
                            const char **origin, tsr_error *err)
{
    const tsr_op_def *op = spec->op;
    tsr_config defaults;
    tsr_config_default(op, &defaults);
    if (op->suggest) {
        op->suggest(spec, profile, out);
        *origin = memcmp(out, &defaults, sizeof defaults) ? "suggested" : "default";
        if (op->check(spec, profile, out, NULL) == TSR_OK)
            return TSR_OK;
    }
    *out = defaults;
    *origin = "default";
    if (op->check(spec, profile, out, NULL) == TSR_OK)
        return TSR_OK;
    tsr_arena *arena = tsr_arena_create();
    if (!arena)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    tsr_search_space space;
    tsr_status st = tsr_space_build(arena, spec, profile, &space, err);
    if (st == TSR_OK)
        *out = space.configs[0];
    tsr_arena_destroy(arena);
    *origin = "first valid";
    return st;
}
