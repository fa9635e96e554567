/* tessera devices: every live device and the profile it matches. */
#include <stdio.h>
#include <string.h>

#include "backends/backend.h"
#include "devices/devices.h"
#include "tools/cli.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: tessera devices [--profiles DIR]\n\n"
                 "Lists the live devices of every backend built in, with the profile each one\n"
                 "matches.\n\n"
                 "  --profiles DIR  where profiles are read (default: $TESSERA_PROFILES, else\n"
                 "                  ./profiles, else the installed profiles)\n"
                 "  -h, --help      this text\n");
}

/* The column of one device: its profile's name, "no profile", or "?" when
 * the profiles could not be read (the first such error is kept). */
static const char *profile_column(const char *dir, const tsr_device_info *info, char *buf,
                                  size_t size, tsr_status *status, tsr_error *first_err)
{
    tsr_profile *profile = NULL;
    tsr_error err = {{0}};
    tsr_status st = tsr_profile_find_for_device(dir, info, &profile, &err);
    if (st == TSR_OK) {
        snprintf(buf, size, "%s", profile->name ? profile->name : "(unnamed)");
        tsr_profile_free(profile);
        return buf;
    }
    if (st == TSR_ERR_NOT_FOUND)
        return "no profile";
    if (*status == TSR_OK) {
        *status = st;
        *first_err = err;
    }
    return "?";
}

static int width_of(const char *text, int width)
{
    int len = (int)strlen(text);
    return len > width ? len : width;
}

static void print_table(const tsr_device_info *infos, int count, char (*profiles)[128])
{
    int w_id = 2, w_name = 4, w_vendor = 6, w_driver = 6, w_arch = 4;
    for (int i = 0; i < count; i++) {
        w_id = width_of(infos[i].id, w_id);
        w_name = width_of(infos[i].name, w_name);
        w_vendor = width_of(infos[i].vendor, w_vendor);
        w_driver = width_of(infos[i].driver, w_driver);
        w_arch = width_of(infos[i].arch, w_arch);
    }
    printf("%-*s  %-*s  %-*s  %-*s  %-*s  %5s  %s\n", w_id, "id", w_name, "name", w_vendor,
           "vendor", w_driver, "driver", w_arch, "arch", "units", "profile");
    for (int i = 0; i < count; i++)
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %5d  %s\n", w_id, infos[i].id, w_name, infos[i].name,
               w_vendor, infos[i].vendor, w_driver, infos[i].driver, w_arch, infos[i].arch,
               infos[i].compute_units, profiles[i]);
}

static int parse_args(int argc, char **argv, const char **profiles_dir)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--profiles") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("devices", "--profiles needs a directory");
            *profiles_dir = argv[++i];
        } else if (strncmp(argv[i], "--profiles=", 11) == 0) {
            *profiles_dir = argv[i] + 11;
        } else {
            return cli_usage_error("devices", "unknown argument '%s'", argv[i]);
        }
    }
    return 0;
}

static void backend_names(char *buf, size_t size)
{
    int n = 0;
    const tsr_backend *const *backends = tsr_backends(&n);
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", backends[i]->name);
}

int cmd_devices(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *dir = NULL;
    int rc = parse_args(argc, argv, &dir);
    if (rc != 0)
        return rc;
    bool dir_given = dir != NULL;
    if (!dir)
        dir = tsr_default_profiles_dir();

    tsr_device_info infos[TSR_MAX_DEVICES];
    int count = 0;
    tsr_error err = {{0}};
    tsr_status status = tsr_devices_list(infos, TSR_MAX_DEVICES, &count, &err);
    if (status != TSR_OK)
        return cli_report(status, err.msg);
    if (count == 0) {
        char tried[256];
        backend_names(tried, sizeof tried);
        fprintf(stderr, "tessera: no devices found (backends tried: %s)\n", tried);
        return 1;
    }

    char profiles[TSR_MAX_DEVICES][128];
    tsr_status profile_status = TSR_OK;
    for (int i = 0; i < count; i++) {
        char name[128];
        const char *shown =
            profile_column(dir, &infos[i], name, sizeof name, &profile_status, &err);
        snprintf(profiles[i], sizeof profiles[i], "%s", shown);
    }
    /* A missing default directory only means no profiles are installed; a
     * directory the user named, or a broken profile, is an error. */
    bool no_default_dir = profile_status == TSR_ERR_IO && !dir_given;
    for (int i = 0; i < count && no_default_dir; i++)
        snprintf(profiles[i], sizeof profiles[i], "no profile");
    print_table(infos, count, profiles);
    if (no_default_dir) {
        fprintf(stderr, "tessera: note: %s\n", err.msg);
        return 0;
    }
    if (profile_status != TSR_OK)
        return cli_report(profile_status, err.msg);
    return 0;
}
