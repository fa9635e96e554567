/* `tessera profile check FILE...`, `tessera profile show FILE` and
 * `tessera profile detect` (cmd_profile_detect.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "tools/cli.h"

static const char profile_help[] =
    "usage: tessera profile <check|show|detect> ...\n"
    "\n"
    "  check FILE...   validate device profiles; prints \"FILE: ok\" for each good one\n"
    "  show FILE|NAME  print a profile with every value and its source\n"
    "  detect --device ID [-o FILE]  write a profile for a live device, measured\n"
    "\n"
    "'tessera profile <subcommand> --help' describes each.\n";

static const char check_help[] =
    "usage: tessera profile check FILE...\n"
    "\n"
    "Validates each device profile (schema v1). Prints \"FILE: ok\" on stdout for\n"
    "each good file and one \"FILE:LINE:COL: message\" line on stderr for each bad\n"
    "one. Exit status: 0 when every file is good, 2 when any is not.\n";

static const char show_help[] =
    "usage: tessera profile show FILE|NAME\n"
    "\n"
    "Prints the profile (a file, or a name from the profiles directory) as YAML with every field "
    "and where its value came from;\n"
    "fields the file leaves out are listed as comments.\n";

static int profile_check(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(check_help, stdout);
        return 0;
    }
    if (argc < 2)
        return cli_usage_error("profile check", "expected at least one FILE");
    int exit_code = 0;
    for (int i = 1; i < argc; i++) {
        tsr_profile *profile;
        tsr_error err;
        tsr_status status = tsr_profile_load(argv[i], &profile, &err);
        if (status != TSR_OK) {
            /* Every bad file is reported, not only the first. */
            cli_error_line(err.msg);
            exit_code = 2;
            continue;
        }
        printf("%s: ok\n", argv[i]);
        tsr_profile_free(profile);
    }
    return exit_code;
}

static int profile_show(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(show_help, stdout);
        return 0;
    }
    if (argc != 2)
        return cli_usage_error("profile show", "expected exactly one FILE or NAME");
    tsr_profile *profile;
    int rc = cli_load_profile(argv[1], &profile);
    if (rc)
        return rc;
    char *text = tsr_profile_format(profile);
    tsr_profile_free(profile);
    if (!text)
        return cli_report(TSR_ERR_NOMEM, "profile show: out of memory");
    fputs(text, stdout);
    free(text);
    return 0;
}

int cmd_profile(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("profile", "expected a subcommand: check, show or detect");
    if (strcmp(argv[1], "check") == 0)
        return profile_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return profile_show(argc - 1, argv + 1);
    if (strcmp(argv[1], "detect") == 0)
        return profile_detect(argc - 1, argv + 1);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(profile_help, stdout);
        return 0;
    }
    return cli_usage_error("profile", "unknown subcommand '%s' (expected check, show or detect)",
                           argv[1]);
}
