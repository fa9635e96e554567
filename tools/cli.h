/* The CLI's commands. Each takes the arguments after `tessera` (argv[0] is
 * the command's name) and returns the exit status: 0 ok, 1 failure, 2 bad
 * input. Only the CLI prints; the library reports through tsr_error. */
#ifndef TSR_CLI_H
#define TSR_CLI_H

#include <stdbool.h>

#include "core/op.h"
#include "core/opspec.h"
#include "core/status.h"

struct tsr_profile;
struct tsr_device;
struct tsr_device_info;

int cmd_devices(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int profile_detect(int argc, char **argv); /* tessera profile detect */

/* A profile for `device` from its queries and micro-benchmarks, as YAML
 * that has been read back (tools/cmd_profile_detect.c); the exit status. */
int cli_detect_profile(struct tsr_device *device, const char *name, char **text);
/* "detected-nvidia-h200" for a device named "NVIDIA H200". */
const char *cli_detected_name(const struct tsr_device_info *info, char *buf, size_t size);
int cmd_gen(int argc, char **argv);
int cmd_tune(int argc, char **argv);
/* tessera tune --offline (tools/cmd_tune_offline.c); budget 0: the default. */
int cli_tune_offline(const char *spec_path, const char *shape_arg, const char *profile_arg,
                     const char *db, int candidates, bool learned);
int cmd_verify(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_bundle(int argc, char **argv);

/* "tessera: <message>" on stderr; returns the exit code for the status. */
int cli_report(tsr_status status, const char *message);
/* "tessera: MESSAGE" on stderr as one line, control characters escaped. */
void cli_error_line(const char *message);
/* "tessera <command>: <printf message>" on stderr; returns 2 (bad usage). */
int cli_usage_error(const char *command, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* True when argv holds -h or --help. */
bool cli_wants_help(int argc, char **argv);

/* Loaders that print their one-line error and return the exit code
 * (0 on success), so that a command reads `if ((rc = cli_load_...)))`. */
int cli_load_spec(const char *path, tsr_opspec **out);
/* A profile by file path, or by name from the profiles directory. */
int cli_load_profile(const char *name_or_path, struct tsr_profile **out);
int cli_open_device(const char *id, struct tsr_device **out);
/* `name_or_path` when given, else the profile matching the device; says
 * which on stderr. */
int cli_resolve_profile(const char *name_or_path, const struct tsr_device *device,
                        struct tsr_profile **out);
/* The shapes to work on: the one given with --shape, or the spec's. */
int cli_shapes(const tsr_opspec *spec, const char *shape_arg, tsr_shape *one,
               const tsr_shape **shapes, int *count);

/* The config of --config (may be NULL) over the op's defaults, checked
 * against the profile; prints the error and returns the exit code. */
int cli_config(const tsr_opspec *spec, const struct tsr_profile *profile, const char *config_arg,
               tsr_config *out);

/* What tune, verify and the benchmark work on: a spec, its shapes (or the
 * one given), a live device and the profile for it. */
typedef struct cli_job {
    tsr_opspec *spec;
    const tsr_shape *shapes; /* the spec's, or &one */
    int n_shapes;
    tsr_shape one;
    struct tsr_device *device;
    struct tsr_profile *profile;
} cli_job;

/* Opens each part in turn, printing the first failure; returns its exit
 * code (0 on success). cli_job_close releases whatever was opened. */
int cli_job_open(cli_job *job, const char *spec_path, const char *shape_arg, const char *device_id,
                 const char *profile_arg);
void cli_job_close(cli_job *job);

#endif
