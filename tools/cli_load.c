/* Loading what commands share: specs, profiles, devices, shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backends/backend.h"
#include "core/op.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "devices/devices.h"
#include "tools/cli.h"

int cli_load_spec(const char *path, tsr_opspec **out)
{
    tsr_error err = {{0}};
    tsr_status st = tsr_opspec_load(path, out, &err);
    /* A spec the user named that cannot be read is bad input too. */
    return st == TSR_OK ? 0 : cli_report(st == TSR_ERR_IO ? TSR_ERR_INPUT : st, err.msg);
}

int cli_load_profile(const char *name_or_path, tsr_profile **out)
{
    char path[4096];
    struct stat sb;
    if (stat(name_or_path, &sb) == 0 || strchr(name_or_path, '/') || strstr(name_or_path, ".yaml"))
        snprintf(path, sizeof path, "%s", name_or_path);
    else
        snprintf(path, sizeof path, "%s/%s.yaml", tsr_default_profiles_dir(), name_or_path);
    if (stat(path, &sb) != 0) {
        fprintf(stderr,
                "tessera: no profile '%s' (looked for %s; 'ls %s' lists the shipped ones)\n",
                name_or_path, path, tsr_default_profiles_dir());
        return 2;
    }
    tsr_error err = {{0}};
    tsr_status st = tsr_profile_load(path, out, &err);
    return st == TSR_OK ? 0 : cli_report(st == TSR_ERR_IO ? TSR_ERR_INPUT : st, err.msg);
}

int cli_open_device(const char *id, tsr_device **out)
{
    tsr_error err = {{0}};
    tsr_status st = tsr_device_open(id, out, &err);
    return st == TSR_OK ? 0 : cli_report(st, err.msg);
}

/* The profile must not promise the device more than it has, and is held
 * to what the device's API can give. */
static int check_against_device(const tsr_device *device, tsr_profile **profile)
{
    tsr_error err = {{0}};
    tsr_status st = tsr_profile_check_device(*profile, &device->info, &err);
    if (st == TSR_OK) {
        tsr_profile_fit_device(*profile, &device->info);
        return 0;
    }
    tsr_profile_free(*profile);
    *profile = NULL;
    return cli_report(st, err.msg);
}

int cli_resolve_profile(const char *name_or_path, const tsr_device *device, tsr_profile **out)
{
    if (name_or_path) {
        int rc = cli_load_profile(name_or_path, out);
        return rc ? rc : check_against_device(device, out);
    }
    tsr_error err = {{0}};
    tsr_status st =
        tsr_profile_find_for_device(tsr_default_profiles_dir(), &device->info, out, &err);
    if (st == TSR_ERR_NOT_FOUND) {
        /* No shipped profile fits: measure one now, and say so. */
        fprintf(stderr,
                "tessera: no profile in %s matches %s (%s); detecting one (keep it with "
                "'tessera profile detect --device %s -o FILE', or name one with --profile)\n",
                tsr_default_profiles_dir(), device->info.id, device->info.name, device->info.id);
        char name[200], *text = NULL;
        int rc = cli_detect_profile((tsr_device *)device,
                                    cli_detected_name(&device->info, name, sizeof name), &text);
        if (!rc && tsr_profile_parse("(detected)", text, strlen(text), out, &err) != TSR_OK)
            rc = cli_report(TSR_ERR_INPUT, err.msg);
        free(text);
        return rc;
    }
    if (st != TSR_OK)
        return cli_report(st, err.msg);
    fprintf(stderr, "tessera: using profile %s, which matches %s (%s)\n", (*out)->name,
            device->info.id, device->info.name);
    return check_against_device(device, out);
}

int cli_shapes(const tsr_opspec *spec, const char *shape_arg, tsr_shape *one,
               const tsr_shape **shapes, int *count)
{
    if (!shape_arg) {
        *shapes = spec->shapes;
        *count = (int)spec->n_shapes;
        return 0;
    }
    tsr_error err = {{0}};
    tsr_status st = tsr_shape_parse(spec->op, shape_arg, one, &err);
    if (st == TSR_OK)
        st = tsr_opspec_check_shape(spec, one, &err);
    if (st != TSR_OK)
        return cli_report(st, err.msg);
    *shapes = one;
    *count = 1;
    return 0;
}

int cli_job_open(cli_job *job, const char *spec_path, const char *shape_arg, const char *device_id,
                 const char *profile_arg)
{
    memset(job, 0, sizeof *job);
    int rc = cli_load_spec(spec_path, &job->spec);
    if (!rc)
        rc = cli_shapes(job->spec, shape_arg, &job->one, &job->shapes, &job->n_shapes);
    if (!rc)
        rc = cli_open_device(device_id, &job->device);
    if (!rc)
        rc = cli_resolve_profile(profile_arg, job->device, &job->profile);
    return rc;
}

void cli_job_close(cli_job *job)
{
    if (job->device)
        tsr_device_close(job->device);
    tsr_profile_free(job->profile);
    tsr_opspec_free(job->spec);
    memset(job, 0, sizeof *job);
}

int cli_config(const tsr_opspec *spec, const tsr_profile *profile, const char *config_arg,
               tsr_config *out)
{
    tsr_error err = {{0}};
    tsr_config_default(spec->op, out);
    if (config_arg && tsr_config_parse(spec->op, config_arg, out, &err) != TSR_OK)
        return cli_report(TSR_ERR_INPUT, err.msg);
    if (spec->op->check(spec, profile, out, &err) != TSR_OK)
        return cli_report(TSR_ERR_INPUT, err.msg);
    return 0;
}
