#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

int cli_report(tsr_status status, const char *message)
{
    fprintf(stderr, "tessera: %s\n", message && *message ? message : tsr_status_name(status));
    return tsr_status_exit_code(status);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tessera %s: ", command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'tessera %s --help')\n", command);
    return 2;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}
