/* tessera bundle check DIR: a bundle against its manifest. */
#include <stdio.h>
#include <string.h>

#include "core/manifest.h"
#include "tools/cli.h"

static const char bundle_usage[] =
    "usage: tessera bundle check DIR\n"
    "\n"
    "Checks the bundle in DIR (what 'tessera export' wrote): manifest.json against\n"
    "the bundle schema (docs/bundle.md), and every file it lists: inside DIR once\n"
    "links are resolved, a regular file, with the SHA-256 the manifest gives.\n"
    "Prints one line per kernel. Exit status: 0 the bundle is whole, 2 it is not\n"
    "(the first problem, in one line).\n";

int cmd_bundle(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(bundle_usage, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "check") != 0)
        return cli_usage_error("bundle", "expected 'check DIR'");
    if (argc != 3)
        return cli_usage_error("bundle check", "expected one bundle directory");
    tsr_manifest *m = NULL;
    tsr_error err = {{0}};
    tsr_status st = tsr_bundle_check(argv[2], &m, &err);
    if (st != TSR_OK)
        return cli_report(st == TSR_ERR_IO ? TSR_ERR_INPUT : st, err.msg);
    printf("%s: bundle schema %d, tessera %s, created %s, %zu kernel%s\n", argv[2], m->schema,
           m->tessera_version, m->created, m->n_kernels, m->n_kernels == 1 ? "" : "s");
    for (size_t i = 0; i < m->n_kernels; i++) {
        const tsr_manifest_kernel *k = &m->kernels[i];
        printf("  %3d  %s  %s  %s  %.4f ms%s  %s  sha256 ok\n", k->index, k->op_key, k->shape,
               k->language, k->time_ms, k->measured ? "" : " (predicted)", k->file);
    }
    tsr_manifest_free(m);
    return 0;
}
