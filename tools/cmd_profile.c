/* placeholder: filled in by its owner */
#include "tools/cli.h"

int cmd_profile(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_report(TSR_ERR_UNSUPPORTED, "profile: not built yet");
}
