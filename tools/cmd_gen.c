/* placeholder: filled in by its owner */
#include "tools/cli.h"

int cmd_gen(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_report(TSR_ERR_UNSUPPORTED, "gen: not built yet");
}
