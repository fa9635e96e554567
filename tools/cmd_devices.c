/* placeholder: filled in by its owner */
#include "tools/cli.h"

int cmd_devices(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_report(TSR_ERR_UNSUPPORTED, "devices: not built yet");
}
