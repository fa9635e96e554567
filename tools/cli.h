/* The CLI's commands. Each takes the arguments after `tessera` (argv[0] is
 * the command's name) and returns the exit status: 0 ok, 1 failure, 2 bad
 * input. Only the CLI prints; the library reports through tsr_error. */
#ifndef TSR_CLI_H
#define TSR_CLI_H

#include <stdbool.h>

#include "core/status.h"

int cmd_devices(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* "tessera: <message>" on stderr; returns the exit code for the status. */
int cli_report(tsr_status status, const char *message);
/* "tessera <command>: <printf message>" on stderr; returns 2 (bad usage). */
int cli_usage_error(const char *command, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* True when argv holds -h or --help. */
bool cli_wants_help(int argc, char **argv);

#endif
