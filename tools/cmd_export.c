/* placeholder: filled in by its owner */
#include "tools/cli.h"

int cmd_export(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_report(TSR_ERR_UNSUPPORTED, "export: not built yet");
}
