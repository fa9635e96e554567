/* tessera compile: a config's kernel through the vendor's own compiler for
 * a device that is not attached, and the resources it reports. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/offline.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "runner/runner.h"
#include "tools/cli.h"

static const char compile_usage[] =
    "usage: tessera compile SPEC --profile P [--config K=V,...] [--compiler C --target T]\n"
    "\n"
    "Generates the kernel that the op spec SPEC and the config give for profile P,\n"
    "compiles it with the profile's offline compiler and target (nvcc/sm_90,\n"
    "hipcc/gfx90a, ocloc/dg2, ...; --compiler and --target override them) and prints\n"
    "the compiler's resource report: registers, spills, shared memory and the blocks\n"
    "per SM/CU this gives on P. Exit status: 0 compiled, 1 the compiler rejected the\n"
    "kernel or is missing, 2 bad input.\n";

static void print_report(const tsr_offline_report *r, const tsr_kernel_text *text,
                         const tsr_profile *profile)
{
    int threads = 1;
    for (int a = 0; a < text->rule.dims; a++)
        threads *= (int)text->rule.local[a];
    printf("compiler:   %s\n", r->compiler);
    printf("target:     %s\n", r->target);
    printf("kernel:     %s (%d threads per block)\n", text->kernel_name, threads);
    printf("ok:         %s\n", r->ok ? "yes" : "no");
    if (!r->ok) {
        printf("log:\n%s\n", r->log);
        return;
    }
    if (r->registers > 0)
        printf("registers:  %d\n", r->registers);
    else
        printf("registers:  not reported by %s\n", r->compiler);
    if (strcmp(r->compiler, "hipcc") == 0)
        printf("sgprs:      %d\nagprs:      %d\nwaves/simd: %d\n", r->sgprs, r->agprs,
               r->occupancy_waves);
    if (r->grf_mode[0])
        printf("grf mode:   %s\n", r->grf_mode);
    printf("spills:     %ld bytes\n", r->spill_bytes);
    printf("private:    %ld bytes\n", r->private_bytes);
    printf("shared:     %ld bytes\n", r->shared_bytes);
    int blocks = tsr_offline_occupancy(profile, r, threads);
    if (blocks >= 0 && r->registers > 0)
        printf("occupancy:  %d blocks per unit on %s\n", blocks, profile->name);
    else
        printf("occupancy:  unknown (no register count or profile figures)\n");
}

int cmd_compile(int argc, char **argv)
{
    static const struct option options[] = {
        {"profile", required_argument, NULL, 'p'},  {"config", required_argument, NULL, 'c'},
        {"compiler", required_argument, NULL, 'C'}, {"target", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *profile_arg = NULL, *config_arg = NULL, *compiler = NULL, *target = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "p:c:C:t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'p': profile_arg = optarg; break;
        case 'c': config_arg = optarg; break;
        case 'C': compiler = optarg; break;
        case 't': target = optarg; break;
        case 'h': fputs(compile_usage, stdout); return 0;
        default: return cli_usage_error("compile", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("compile", "expected one op spec file");
    if (!profile_arg)
        return cli_usage_error("compile", "--profile is required");
    tsr_opspec *spec = NULL;
    tsr_profile *profile = NULL;
    int rc = cli_load_spec(argv[optind], &spec);
    if (!rc)
        rc = cli_load_profile(profile_arg, &profile);
    if (!rc) {
        compiler = compiler ? compiler : profile->offline_compiler;
        target = target ? target : profile->offline_target;
        if (!compiler || !target)
            rc = cli_usage_error("compile",
                                 "profile %s names no offline compiler and target; give "
                                 "--compiler and --target",
                                 profile->name);
        else if (!tsr_offline_dialect(compiler))
            rc = cli_usage_error("compile", "unknown compiler '%s' (nvcc, hipcc or ocloc)",
                                 compiler);
    }
    tsr_config config;
    tsr_error err = {{0}};
    if (!rc)
        rc = cli_config(spec, profile, config_arg, &config);
    if (!rc) {
        tsr_kernel_text text;
        const char *dialect = tsr_offline_dialect(compiler);
        tsr_status st = tsr_kernel_generate(spec, profile, &config, dialect, &text, &err);
        if (st != TSR_OK) {
            rc = cli_report(st, err.msg);
        } else {
            tsr_offline_report report;
            st = tsr_offline_compile(compiler, target, text.source, text.kernel_name, dialect,
                                     &report, &err);
            if (st != TSR_OK)
                rc = cli_report(st, err.msg);
            else {
                print_report(&report, &text, profile);
                rc = report.ok ? 0 : 1;
            }
            tsr_kernel_text_free(&text);
        }
    }
    tsr_opspec_free(spec);
    tsr_profile_free(profile);
    return rc;
}
