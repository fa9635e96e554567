/* tessera gen: print the kernel (or its tile program) for a spec and config. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/opspec.h"
#include "core/profile.h"
#include "runner/runner.h"
#include "tools/cli.h"

static const char gen_usage[] =
    "usage: tessera gen SPEC --profile P [--backend opencl] [--config K=V,...] [--ir]\n"
    "\n"
    "Prints the kernel that the op spec SPEC generates for profile P (a name from\n"
    "profiles/ or a file) with the given config; parameters not named keep their\n"
    "defaults. --ir prints the tile program instead of the kernel.\n";

int cmd_gen(int argc, char **argv)
{
    static const struct option options[] = {
        {"profile", required_argument, NULL, 'p'}, {"backend", required_argument, NULL, 'b'},
        {"config", required_argument, NULL, 'c'},  {"ir", no_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *profile_arg = NULL, *backend = "opencl", *config_arg = NULL;
    bool ir = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "p:b:c:ih", options, NULL)) != -1) {
        switch (opt) {
        case 'p': profile_arg = optarg; break;
        case 'b': backend = optarg; break;
        case 'c': config_arg = optarg; break;
        case 'i': ir = true; break;
        case 'h': fputs(gen_usage, stdout); return 0;
        default: return cli_usage_error("gen", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("gen", "expected one op spec file");
    if (!profile_arg)
        return cli_usage_error("gen", "--profile is required");
    tsr_opspec *spec = NULL;
    tsr_profile *profile = NULL;
    int rc = cli_load_spec(argv[optind], &spec);
    if (!rc)
        rc = cli_load_profile(profile_arg, &profile);
    tsr_config config;
    tsr_error err = {{0}};
    if (!rc)
        rc = cli_config(spec, profile, config_arg, &config);
    if (!rc && ir) {
        char *text = NULL;
        tsr_status st = tsr_kernel_ir(spec, profile, &config, &text, &err);
        rc = st == TSR_OK ? (fputs(text, stdout), 0) : cli_report(st, err.msg);
        free(text);
    } else if (!rc) {
        tsr_kernel_text text;
        tsr_status st = tsr_kernel_generate(spec, profile, &config, backend, &text, &err);
        /* A kernel the dialect cannot spell (a matrix unit in OpenCL) is
         * an impossible config, bad input as the checks' refusals are. */
        if (st == TSR_ERR_UNSUPPORTED)
            st = TSR_ERR_INPUT;
        rc = st == TSR_OK ? (fputs(text.source, stdout), 0) : cli_report(st, err.msg);
        if (st == TSR_OK)
            tsr_kernel_text_free(&text);
    }
    tsr_opspec_free(spec);
    tsr_profile_free(profile);
    return rc;
}
