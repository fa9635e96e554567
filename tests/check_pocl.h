/* The kernel tests' device: OpenCL device 0 (PoCL on the CPU in CI) with
 * the pocl-cpu profile. */
#ifndef TSR_TESTS_CHECK_POCL_H
#define TSR_TESTS_CHECK_POCL_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "backends/backend.h"
#include "core/opspec.h"
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

/* A GEMM spec of `dtype` inputs, A and B `a` and `b` (row, col), and more
 * of its gemm section in `gemm` ("" for none: alpha 1, beta 0); a parse
 * error is a failed check (NULL). */
static inline tsr_opspec *check_gemm_spec(const char *dtype, const char *a, const char *b,
                                          const char *gemm)
{
    char text[512];
    snprintf(text, sizeof text,
             "schema: 1\nname: g\nop: gemm\ndtype: %s\n"
             "gemm: {a: %s, b: %s%s%s}\n"
             "shapes:\n  - {m: 7, n: 13, k: 17}\n",
             dtype, a, b, gemm[0] ? ", " : "", gemm);
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("g.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    return spec;
}

/* `text` (K=V,...) over the op's defaults; a parse error is a failed check. */
static inline tsr_config check_config(const tsr_op_def *op, const char *text)
{
    tsr_config config;
    tsr_error err = {{0}};
    tsr_config_default(op, &config);
    CHECK_MSG(tsr_config_parse(op, text, &config, &err) == TSR_OK, "%s: %s", text, err.msg);
    return config;
}

/* pocl-cpu as a device with 8-wide sub-groups would describe itself. PoCL
 * 3.1 has none (clinfo: no cl_khr_subgroups), so an SG=1 kernel takes the
 * OpenCL dialect's fallback there, a sub-group per work-item: that runs the
 * sub-group combine's indexing, its barriers and its second pass over the
 * partials, though not a shuffle. Shares the profile's strings. */
static inline tsr_profile check_subgroup_profile(const tsr_profile *pocl)
{
    tsr_profile with = *pocl;
    with.features |= TSR_FEAT_SUBGROUP_SHUFFLE;
    with.subgroup_sizes[0] = (tsr_quantity){8, "test: PoCL's preferred work-group multiple", true};
    return with;
}

/* profiles/NAME.yaml of the source tree; NULL (a failed check) when it
 * does not load. */
static inline tsr_profile *check_load_profile(const char *name)
{
    char path[1024];
    tsr_profile *p = NULL;
    tsr_error err = {{0}};
    snprintf(path, sizeof path, "%s/profiles/%s.yaml", check_source_root(), name);
    CHECK_MSG(tsr_profile_load(path, &p, &err) == TSR_OK, "%s", err.msg);
    return p;
}

#endif
