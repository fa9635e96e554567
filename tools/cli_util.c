#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

void cli_error_line(const char *message)
{
    /* One line whatever the message quotes: a control character from the
     * input (a newline in a name) is written as an escape. */
    fputs("tessera: ", stderr);
    for (const unsigned char *c = (const unsigned char *)message; *c; c++) {
        if (*c == '\n')
            fputs("\\n", stderr);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(stderr, "\\x%02x", *c);
        else
            fputc(*c, stderr);
    }
    fputc('\n', stderr);
}

int cli_report(tsr_status status, const char *message)
{
    cli_error_line(message && *message ? message : tsr_status_name(status));
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
