/* tessera compile: a config's kernel through the vendor's own compiler for
 * a device that is not attached, and the resources it reports, kept in the
 * results store so that the same compile is not run twice. */
#include <getopt.h>
#include <sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/offline.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "core/store.h"
#include "runner/runner.h"
#include "tools/cli.h"

static const char compile_usage[] =
    "usage: tessera compile SPEC --profile P [--config K=V,...] [--compiler C --target T]\n"
    "                       [--db F] [--fresh]\n"
    "\n"
    "Generates the kernel that the op spec SPEC and the config give for profile P,\n"
    "compiles it with the profile's offline compiler and target (nvcc/sm_90,\n"
    "hipcc/gfx90a, ocloc/dg2, ...; --compiler and --target override them) and prints\n"
    "the compiler's resource report: registers, spills, shared memory and the blocks\n"
    "per SM/CU this gives on P. The report is kept in the results store --db\n"
    "(default tessera.db); a later compile of the same source by the same compiler\n"
    "build is answered from it, unless --fresh. Exit status: 0 compiled, 1 the\n"
    "compiler rejected the kernel or is missing, 2 bad input.\n";

static int threads_per_block(const tsr_kernel_text *text)
{
    int threads = 1;
    for (int a = 0; a < text->rule.dims; a++)
        threads *= (int)text->rule.local[a];
    return threads;
}

static void print_report(const tsr_resource_report *r, const tsr_kernel_text *text,
                         const tsr_profile *profile)
{
    int threads = threads_per_block(text);
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
    printf("shared:     %ld bytes static, %zu dynamic\n", r->shared_bytes, text->rule.shared_bytes);
    int blocks = tsr_offline_occupancy(profile, r, threads, (long)text->rule.shared_bytes);
    if (blocks >= 0 && r->registers > 0)
        printf("occupancy:  %d blocks per unit on %s\n", blocks, profile->name);
    else
        printf("occupancy:  unknown (no register count or profile figures)\n");
}

typedef struct compile_job {
    const tsr_opspec *spec;
    const tsr_profile *profile;
    const char *compiler, *target, *db;
    bool fresh;
    char config_text[512];
} compile_job;

/* The stored report when there is a current one (and not --fresh), else a
 * new compile, stored. Prints the report and where it came from; returns
 * the exit status. */
static int report_for(const compile_job *job, tsr_store *store, const tsr_kernel_text *text)
{
    tsr_error err = {{0}};
    char sha[SHA256_DIGEST_STRING_LENGTH], compiler_id[320];
    SHA256Data((const uint8_t *)text->source, strlen(text->source), sha);
    tsr_status st = tsr_offline_compiler_id(job->compiler, compiler_id, sizeof compiler_id, &err);
    if (st != TSR_OK)
        return cli_report(st, err.msg);
    tsr_report_key key = {.op_key = tsr_opspec_key(job->spec),
                          .profile = job->profile->name,
                          .config = job->config_text,
                          .compiler = job->compiler,
                          .target = job->target,
                          .source_sha256 = sha,
                          .compiler_id = compiler_id};
    tsr_resource_report report;
    int blocks = -1;
    char created[32] = "";
    bool found = false;
    if (!job->fresh)
        st = tsr_store_get_report(store, &key, &report, &blocks, created, &found, &err);
    if (st == TSR_OK && !found) {
        st = tsr_offline_compile(job->compiler, job->target, text->source, text->kernel_name,
                                 tsr_offline_dialect(job->compiler), &report, &err);
        /* The compiler's own description of itself, now that it ran. */
        key.compiler_id = report.compiler_id;
        blocks = tsr_offline_occupancy(job->profile, &report, threads_per_block(text),
                                       (long)text->rule.shared_bytes);
        if (st == TSR_OK)
            st = tsr_store_put_report(store, &key, &report, report.registers > 0 ? blocks : -1,
                                      &err);
    }
    if (st != TSR_OK)
        return cli_report(st, err.msg);
    print_report(&report, text, job->profile);
    if (found)
        printf("stored:     %s, compiled %s (--fresh compiles again)\n", job->db, created);
    else
        printf("stored:     %s\n", job->db);
    return report.ok ? 0 : 1;
}

int cmd_compile(int argc, char **argv)
{
    static const struct option options[] = {
        {"profile", required_argument, NULL, 'p'},  {"config", required_argument, NULL, 'c'},
        {"compiler", required_argument, NULL, 'C'}, {"target", required_argument, NULL, 't'},
        {"db", required_argument, NULL, 'f'},       {"fresh", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *profile_arg = NULL, *config_arg = NULL, *compiler = NULL, *target = NULL;
    const char *db = "tessera.db";
    bool fresh = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "p:c:C:t:f:Fh", options, NULL)) != -1) {
        switch (opt) {
        case 'p': profile_arg = optarg; break;
        case 'c': config_arg = optarg; break;
        case 'C': compiler = optarg; break;
        case 't': target = optarg; break;
        case 'f': db = optarg; break;
        case 'F': fresh = true; break;
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
    /* The store is opened before anything is compiled: a file that is not
     * a store is bad input, said at once. */
    tsr_store *store = NULL;
    if (!rc) {
        tsr_status st = tsr_store_open(db, &store, &err);
        if (st != TSR_OK)
            rc = cli_report(st, err.msg);
    }
    if (!rc) {
        compile_job job = {.spec = spec,
                           .profile = profile,
                           .compiler = compiler,
                           .target = target,
                           .db = db,
                           .fresh = fresh};
        tsr_config_format(spec->op, &config, job.config_text, sizeof job.config_text);
        tsr_kernel_text text;
        tsr_status st =
            tsr_kernel_generate(spec, profile, &config, tsr_offline_dialect(compiler), &text, &err);
        if (st != TSR_OK) {
            rc = cli_report(st, err.msg);
        } else {
            rc = report_for(&job, store, &text);
            tsr_kernel_text_free(&text);
        }
    }
    tsr_store_close(store);
    tsr_opspec_free(spec);
    tsr_profile_free(profile);
    return rc;
}
