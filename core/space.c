#include "core/space.h"

#include <string.h>

/* Calls op->check on every combination, first param slowest, twice: once
 * to count, once to fill, so the array is allocated exactly. */
static int walk(const tsr_opspec *spec, const tsr_profile *profile, tsr_config *out, int *rejected)
{
    const tsr_op_def *op = spec->op;
    int digit[TSR_MAX_PARAMS] = {0};
    int valid = 0;
    *rejected = 0;
    for (;;) {
        tsr_config config;
        memset(&config, 0, sizeof config);
        for (int i = 0; i < op->n_params; i++)
            config.value[i] = op->params[i].values[digit[i]];
        if (op->check(spec, profile, &config, NULL) == TSR_OK) {
            if (out)
                out[valid] = config;
            valid++;
        } else {
            (*rejected)++;
        }
        int i = op->n_params - 1;
        while (i >= 0 && ++digit[i] == op->params[i].n_values)
            digit[i--] = 0;
        if (i < 0)
            return valid;
    }
}

tsr_status tsr_space_build(tsr_arena *arena, const tsr_opspec *spec, const tsr_profile *profile,
                           tsr_search_space *out, tsr_error *err)
{
    memset(out, 0, sizeof *out);
    out->op = spec->op;
    int count = walk(spec, profile, NULL, &out->rejected);
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
    if (!out->configs)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory enumerating %d configs", count);
    out->count = walk(spec, profile, out->configs, &out->rejected);
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
