/* tessera verify: run one kernel per shape against the CPU reference (and,
 * for GEMM, against the vendor library on the same device). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backends/gemm_ref.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "devices/devices.h"
#include "runner/runner.h"
#include "tools/cli.h"

static const char verify_usage[] =
    "usage: tessera verify SPEC [--device opencl:I] [--profile P] [--shape m=..,n=..,k=..]\n"
    "                      [--config K=V,...] [--db F]\n"
    "\n"
    "Runs the kernel for each shape of op spec SPEC (or only --shape) on random\n"
    "non-zero data with a poisoned output, compares it with the CPU reference in\n"
    "double precision and prints the largest relative error, the bound, and PASS or\n"
    "FAIL. The kernel is the config given with --config, else the best stored in\n"
    "the results store for this device and shape, else the op's default config.\n"
    "SGEMM results are also compared with the vendor library on the same device\n"
    "(CLBlast on OpenCL devices, cuBLAS on CUDA devices).\n"
    "Exit status 1 when any shape fails.\n";

typedef struct verify_args {
    const char *device, *profile, *shape, *config, *db;
} verify_args;

/* --config, else the stored best, else the op's starting config for the profile. */
static int choose_config(const tsr_opspec *spec, const tsr_profile *profile, const verify_args *a,
                         const char *fingerprint, const char *shape_text, tsr_config *config,
                         const char **origin)
{
    tsr_error err = {{0}};
    tsr_config_default(spec->op, config);
    *origin = "default";
    if (a->config) {
        *origin = "given";
        return tsr_config_parse(spec->op, a->config, config, &err) == TSR_OK
                   ? 0
                   : cli_report(TSR_ERR_INPUT, err.msg);
    }
    struct stat sb;
    if (stat(a->db, &sb) == 0) {
        tsr_store *store;
        tsr_status opened = tsr_store_open(a->db, &store, &err);
        if (opened != TSR_OK)
            return cli_report(opened, err.msg);
        tsr_arena *arena = tsr_arena_create();
        tsr_result best;
        bool found = false;
        tsr_status st = arena ? tsr_store_best(store, arena, tsr_opspec_key(spec), fingerprint,
                                               shape_text, &best, &found, &err)
                              : tsr_fail(&err, TSR_ERR_NOMEM, "out of memory");
        if (st == TSR_OK && found) {
            st = tsr_config_parse(spec->op, best.config, config, &err);
            *origin = "best stored";
        }
        tsr_arena_destroy(arena);
        tsr_store_close(store);
        if (st != TSR_OK)
            return cli_report(st, err.msg);
        if (found)
            return 0;
    }
    if (tsr_config_start(spec, profile, config, origin, &err) != TSR_OK)
        return cli_report(TSR_ERR_UNSUPPORTED, err.msg);
    return 0;
}

static int verify_shape(tsr_device *device, const tsr_opspec *spec, const tsr_profile *profile,
                        const tsr_shape *shape, const verify_args *a)
{
    char fingerprint[768], shape_text[256], config_text[512];
    tsr_device_fingerprint(&device->info, fingerprint, sizeof fingerprint);
    tsr_shape_format(spec->op, shape, shape_text, sizeof shape_text);
    tsr_config config;
    const char *origin;
    int rc = choose_config(spec, profile, a, fingerprint, shape_text, &config, &origin);
    if (rc)
        return rc;
    tsr_config_format(spec->op, &config, config_text, sizeof config_text);
    tsr_error err = {{0}};
    tsr_problem *problem;
    tsr_status st = tsr_problem_create(device, spec, shape, 1, &problem, &err);
    if (st != TSR_OK)
        return cli_report(st, err.msg);
    tsr_arena *arena = tsr_arena_create();
    tsr_result r = {0};
    tsr_eval_options options = {.min_runs = 3, .max_runs = 10, .min_seconds = 0.05};
    st = arena ? tsr_evaluate(problem, profile, &config, &options, arena, &r, &err)
               : tsr_fail(&err, TSR_ERR_NOMEM, "out of memory");
    if (st != TSR_OK) {
        rc = cli_report(st, err.msg);
    } else if (r.outcome == TSR_OUTCOME_INVALID && strcmp(origin, "given") == 0) {
        /* --config that the profile or the device's dialect refuses: bad
         * input, not a kernel that failed. */
        tsr_fail(&err, TSR_ERR_INPUT, "--config %s: %s", config_text, r.reason ? r.reason : "");
        rc = cli_report(TSR_ERR_INPUT, err.msg);
    } else if (r.outcome != TSR_OUTCOME_OK) {
        printf("%s  %s config %s\n  FAIL (%s): %s\n", shape_text, origin, config_text,
               tsr_outcome_name(r.outcome), r.reason ? r.reason : "");
        rc = 1;
    } else {
        printf("%s  %s config %s\n  max relative error %.3g (bound %.3g)  %.4f ms  %.2f GFLOP/s  "
               "PASS\n",
               shape_text, origin, config_text, r.max_error, spec->op->tolerance(spec, shape),
               r.time_ms, r.gflops);
        double diff, reference_ms;
        st = tsr_problem_check_reference(problem, &diff, &reference_ms, &err);
        if (st == TSR_OK) {
            bool pass = diff <= 2 * spec->op->tolerance(spec, shape);
            printf("  %s on the same device: max relative difference %.3g  %s\n",
                   tsr_gemm_ref_name(device), diff, pass ? "PASS" : "FAIL");
            rc = pass ? 0 : 1;
        } else if (st != TSR_ERR_UNSUPPORTED) {
            rc = cli_report(st, err.msg);
        }
    }
    tsr_arena_destroy(arena);
    tsr_problem_free(problem);
    return rc;
}

int cmd_verify(int argc, char **argv)
{
    static const struct option options[] = {
        {"device", required_argument, NULL, 'd'},
        {"profile", required_argument, NULL, 'p'},
        {"shape", required_argument, NULL, 'x'},
        {"config", required_argument, NULL, 'c'},
        {"db", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    verify_args a = {.device = "opencl:0", .db = "tessera.db"};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "d:p:x:c:f:h", options, NULL)) != -1) {
        switch (opt) {
        case 'd': a.device = optarg; break;
        case 'p': a.profile = optarg; break;
        case 'x': a.shape = optarg; break;
        case 'c': a.config = optarg; break;
        case 'f': a.db = optarg; break;
        case 'h': fputs(verify_usage, stdout); return 0;
        default: return cli_usage_error("verify", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("verify", "expected one op spec file");
    cli_job job;
    int failures = 0;
    int rc = cli_job_open(&job, argv[optind], a.shape, a.device, a.profile);
    for (int i = 0; !rc && i < job.n_shapes; i++) {
        int shape_rc = verify_shape(job.device, job.spec, job.profile, &job.shapes[i], &a);
        if (shape_rc == 1)
            failures++;
        else
            rc = shape_rc;
    }
    cli_job_close(&job);
    return rc ? rc : failures ? 1 : 0;
}
