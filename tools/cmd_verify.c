/* placeholder: filled in by its owner */
#include "tools/cli.h"

int cmd_verify(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_report(TSR_ERR_UNSUPPORTED, "verify: not built yet");
}
