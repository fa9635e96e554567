/* `tessera tune --offline --profile P SPEC`: tuning for a device that is
 * not attached (runner/offline_tune.h), with the same store and the same
 * resume as a live tune. */
#include <stdio.h>
#include <sys/stat.h>

#include "core/profile.h"
#include "runner/offline_tune.h"
#include "tools/cli.h"

static void progress(void *ctx, int done, int total, const tsr_result *r, bool from_store)
{
    (void)ctx;
    if (r->outcome == TSR_OUTCOME_PREDICTED)
        printf("%4d/%d %-12s %10.4f ms %9.2f GFLOP/s  %s%s\n", done, total,
               tsr_outcome_name(r->outcome), r->time_ms, r->gflops, r->config,
               from_store ? "  (stored)" : "");
    else
        printf("%4d/%d %-12s %s: %s%s\n", done, total, tsr_outcome_name(r->outcome), r->config,
               r->reason ? r->reason : "", from_store ? "  (stored)" : "");
    fflush(stdout);
}

static void report(const tsr_offline_tune_summary *s, const char *shape)
{
    printf("%s: %d candidates of %d ranked by the %s model", shape,
           s->outcomes[TSR_OUTCOME_PREDICTED] + s->outcomes[TSR_OUTCOME_BUILD_FAILED] +
               s->outcomes[TSR_OUTCOME_INVALID],
           s->space_size, s->model_rows ? "learned" : "analytic");
    if (s->model_rows)
        printf(" (trained on %d measurements)", s->model_rows);
    if (s->compiler[0])
        printf(", compiled by %s for %s (%d now, the rest from the store)\n", s->compiler,
               s->target, s->compiled);
    else
        printf("; the profile names no offline compiler, so no resource report\n");
    printf("  outcomes: predicted %d, build-failed %d, invalid %d\n",
           s->outcomes[TSR_OUTCOME_PREDICTED], s->outcomes[TSR_OUTCOME_BUILD_FAILED],
           s->outcomes[TSR_OUTCOME_INVALID]);
    if (s->found)
        printf("  best (predicted): %.4f ms, %.2f GFLOP/s, %s\n  stored as device %s\n",
               s->best.time_ms, s->best.gflops, s->best.config, s->device);
    else
        printf("  no candidate compiled\n");
    printf("  took %.1f s\n", s->seconds);
}

int cli_tune_offline(const char *spec_path, const char *shape_arg, const char *profile_arg,
                     const char *db, int candidates, bool learned)
{
    if (!profile_arg)
        return cli_usage_error("tune", "--offline needs --profile: no device says which GPU");
    tsr_opspec *spec = NULL;
    tsr_profile *profile = NULL;
    tsr_store *store = NULL;
    tsr_error err = {{0}};
    int rc = cli_load_spec(spec_path, &spec);
    if (!rc)
        rc = cli_load_profile(profile_arg, &profile);
    tsr_shape one;
    const tsr_shape *shapes = NULL;
    int n_shapes = 0;
    if (!rc)
        rc = cli_shapes(spec, shape_arg, &one, &shapes, &n_shapes);
    tsr_status st = TSR_OK;
    if (!rc && (st = tsr_store_open(db, &store, &err)) != TSR_OK)
        rc = cli_report(st, err.msg);
    for (int i = 0; !rc && i < n_shapes; i++) {
        char shape_text[256];
        tsr_shape_format(spec->op, &shapes[i], shape_text, sizeof shape_text);
        printf("tuning %s (%s) offline for profile %s\n", spec->name, tsr_opspec_key(spec),
               profile->name);
        fflush(stdout);
        tsr_arena *arena = tsr_arena_create();
        tsr_offline_tune_summary summary;
        tsr_offline_tune_options options = {
            .candidates = candidates, .learned = learned, .progress = progress};
        st = arena ? tsr_offline_tune(store, spec, profile, &shapes[i], &options, arena, &summary,
                                      &err)
                   : tsr_fail(&err, TSR_ERR_NOMEM, "out of memory");
        if (st == TSR_OK) {
            report(&summary, shape_text);
            rc = summary.found ? 0 : 1;
        } else {
            rc = cli_report(st, err.msg);
        }
        tsr_arena_destroy(arena);
    }
    tsr_store_close(store);
    tsr_profile_free(profile);
    tsr_opspec_free(spec);
    return rc;
}
