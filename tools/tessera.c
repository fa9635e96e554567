/* The tessera command line: one entry, one table of commands. */
#include <stdio.h>
#include <string.h>

#include "runner/worker.h"
#include "tools/cli.h"
#include "tsr_config.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"devices", cmd_devices, "list live devices on every backend and the profile each matches"},
    {"profile", cmd_profile, "check or show device profiles"},
    {"gen", cmd_gen, "print the kernel an op spec and config generate"},
    {"tune", cmd_tune, "search the config space on a device and store the results"},
    {"verify", cmd_verify, "run a kernel against the CPU reference"},
    {"export", cmd_export, "write the best kernels of a store as a bundle"},
    {"compile", cmd_compile, "compile a kernel with a vendor compiler and report its resources"},
    {"bundle", cmd_bundle, "check a bundle directory against its manifest"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: tessera <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'tessera <command> --help' describes each. Exit status: 0 ok, 1 failure, "
                 "2 bad input.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("tessera %s\n", TSR_VERSION);
        return 0;
    }
    /* Not a user command: what `tessera tune` starts to evaluate candidates
     * in a process of their own (runner/worker.h). */
    if (strcmp(argv[1], "__worker") == 0 && argc == 2)
        return tsr_worker_serve(3, 4);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "tessera: unknown command '%s' (see 'tessera --help')\n", argv[1]);
    return 2;
}
