/* tessera export: the best kernels of a results store as a bundle. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/bundle.h"
#include "core/interop.h"
#include "core/store.h"
#include "runner/bundle_binaries.h"
#include "tools/cli.h"

static const char export_help[] =
    "usage: tessera export [--db FILE] [--device FINGERPRINT] [--vendors LIST]\n"
    "                      [--binaries] [--format F] --out DIR\n"
    "\n"
    "Writes the fastest verified kernel of every (op, device, shape) in the results\n"
    "store as a bundle: DIR/manifest.json, DIR/tessera_bundle.h (a standalone C\n"
    "header that embeds the sources and picks a kernel for a shape) and the sources\n"
    "under DIR/VENDOR/LANGUAGE/, each vendor folder with a header of its own\n"
    "kernels. The format is described in docs/bundle.md.\n"
    "\n"
    "  --db FILE             results store to read (default: tessera.db)\n"
    "  --device FINGERPRINT  export only the results of this device\n"
    "  --vendors LIST        only these vendors' kernels: nvidia, amd, intel, cpu,\n"
    "                        other, comma-separated (default: all)\n"
    "  --binaries            also build each kernel with its profile's vendor compiler:\n"
    "                        cubin and PTX (nvcc), a HIP code object (hipcc), a device\n"
    "                        binary and SPIR-V (ocloc)\n"
    "  --format F            bundle (default); t4: every result as Tuning and Testing\n"
    "                        Template JSON, one file per (op, device, shape); clblast:\n"
    "                        verified f32 GEMM results of OpenCL devices as CLBlast\n"
    "                        tuner JSON for its Xgemm kernel (docs/interop.md)\n"
    "  --out DIR             bundle directory, created if missing; files of an\n"
    "                        earlier export there are replaced\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 when kernels were exported, 1 when there were none or the\n"
    "export failed, 2 on bad usage.\n";

typedef struct export_args {
    const char *db, *device, *out, *format, *vendors;
    bool binaries;
} export_args;

/* Takes "--name VALUE" or "--name=VALUE"; returns 1 when argv[*i] is this
 * option, 0 when it is not, and -1 when its value is missing. */
static int option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) != 0)
        return 0;
    if (argv[*i][len] == '=') {
        *value = argv[*i] + len + 1;
        return 1;
    }
    if (argv[*i][len] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

static int parse_args(int argc, char **argv, export_args *args)
{
    static const char *const names[] = {"--db", "--device", "--out", "--format", "--vendors"};
    const char **slots[] = {&args->db, &args->device, &args->out, &args->format, &args->vendors};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--binaries") == 0) {
            args->binaries = true;
            continue;
        }
        int matched = 0;
        for (int o = 0; o < 5 && !matched; o++) {
            matched = option_value(argc, argv, &i, names[o], slots[o]);
            if (matched < 0)
                return cli_usage_error("export", "%s needs a value", names[o]);
            if (matched && !**slots[o])
                return cli_usage_error("export", "%s needs a non-empty value", names[o]);
        }
        if (!matched)
            return cli_usage_error("export", "unknown argument '%s'", argv[i]);
    }
    if (!args->out)
        return cli_usage_error("export", "--out DIR is required");
    if (strcmp(args->format, "bundle") != 0 && strcmp(args->format, "t4") != 0 &&
        strcmp(args->format, "clblast") != 0)
        return cli_usage_error("export", "unknown --format '%s' (bundle, t4 or clblast)",
                               args->format);
    return 0;
}

/* T4 or CLBlast files; closes the store. */
static int export_interop(tsr_store *store, const export_args *args)
{
    tsr_error err = {{0}};
    tsr_interop_summary summary;
    bool t4 = strcmp(args->format, "t4") == 0;
    tsr_status status = tsr_interop_export(store, t4 ? TSR_INTEROP_T4 : TSR_INTEROP_CLBLAST,
                                           args->device, args->out, &summary, &err);
    tsr_store_close(store);
    if (status != TSR_OK)
        return cli_report(status, err.msg);
    if (summary.files == 0) {
        char message[512];
        snprintf(message, sizeof message, "%s: no %s; nothing exported", args->db,
                 t4 ? "results" : "verified f32 GEMM results of an OpenCL device");
        cli_report(TSR_ERR_NOT_FOUND, message);
        return 1;
    }
    printf("exported %d results in %d %s files to %s", summary.results, summary.files,
           t4 ? "T4" : "CLBlast", args->out);
    if (summary.unmapped)
        printf(" (%d verified configs have no CLBlast equivalent)", summary.unmapped);
    printf("\n");
    return 0;
}

int cmd_export(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(export_help, stdout);
        return 0;
    }
    export_args args = {.db = "tessera.db", .format = "bundle"};
    int usage = parse_args(argc, argv, &args);
    if (usage != 0)
        return usage;

    /* Opening would create an empty store; a mistyped name should not. */
    struct stat st;
    char message[TSR_ERROR_MAX + 64];
    if (stat(args.db, &st) != 0) {
        snprintf(message, sizeof message, "%s: %s", args.db,
                 errno == ENOENT ? "no such results store" : strerror(errno));
        return cli_report(errno == ENOENT ? TSR_ERR_NOT_FOUND : TSR_ERR_IO, message);
    }
    tsr_store *store = NULL;
    tsr_error err = {{0}};
    tsr_status status = tsr_store_open(args.db, &store, &err);
    if (status != TSR_OK)
        return cli_report(status, err.msg);

    if (strcmp(args.format, "bundle") != 0)
        return export_interop(store, &args);
    tsr_export_summary summary = {0};
    tsr_bundle_options options = {.device = args.device,
                                  .vendors = args.vendors,
                                  .binaries =
                                      args.binaries ? tsr_bundle_binaries_by_profile : NULL};
    status = tsr_bundle_export_with(store, &options, args.out, &summary, &err);
    tsr_store_close(store);
    if (status != TSR_OK)
        return cli_report(status, err.msg);
    if (summary.kernels == 0) {
        if (args.device)
            snprintf(message, sizeof message,
                     "%s: no verified results for device '%s'; nothing exported", args.db,
                     args.device);
        else
            snprintf(message, sizeof message, "%s: no verified results; nothing exported", args.db);
        cli_report(TSR_ERR_NOT_FOUND, message);
        return 1;
    }
    printf("exported %d kernels to %s\n", summary.kernels, args.out);
    return 0;
}
