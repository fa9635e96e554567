/* The kernel tests' device: OpenCL device 0 (PoCL on the CPU in CI) with
 * the pocl-cpu profile. */
#ifndef TSR_TESTS_CHECK_POCL_H
#define TSR_TESTS_CHECK_POCL_H

#include <stdbool.h>

#include "backends/backend.h"
#include "core/profile.h"
#include "runner/runner.h"
#include "tests/check.h"

/* Opens both; returns -1 to go on, else the exit status: 77 (skipped) when
 * there is no OpenCL device, 1 when the profile does not load. */
static inline int check_open_pocl(tsr_device **device, tsr_profile **profile)
{
    tsr_error err = {{0}};
    if (tsr_device_open("opencl:0", device, &err) != TSR_OK) {
        printf("skipped: no OpenCL device: %s\n", err.msg);
        return 77;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/profiles/pocl-cpu.yaml", check_source_root());
    if (tsr_profile_load(path, profile, &err) != TSR_OK) {
        fprintf(stderr, "%s\n", err.msg);
        tsr_device_close(*device);
        return 1;
    }
    return -1;
}

/* One verifying run of `config` on `problem`: true when it passes; else
 * prints the spec's key, `what` (the shape and config) and why. */
static inline bool check_verifies(tsr_problem *problem, const tsr_profile *profile,
                                  const tsr_opspec *spec, const tsr_config *config,
                                  const char *what)
{
    tsr_arena *scratch = tsr_arena_create();
    tsr_eval_options options = {.min_runs = 1, .max_runs = 1};
    tsr_result r = {0};
    tsr_error err = {{0}};
    tsr_status st = scratch ? tsr_evaluate(problem, profile, config, &options, scratch, &r, &err)
                            : TSR_ERR_NOMEM;
    bool ok = st == TSR_OK && r.outcome == TSR_OUTCOME_OK;
    if (!ok)
        fprintf(stderr, "  %s %s: %s: %s\n", tsr_opspec_key(spec), what,
                st != TSR_OK ? tsr_status_name(st) : tsr_outcome_name(r.outcome),
                st != TSR_OK ? err.msg
                : r.reason   ? r.reason
                             : "");
    tsr_arena_destroy(scratch);
    return ok;
}

#endif
