/* Device discovery across backends and matching devices to profiles. */
#include "devices/devices.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tsr_config.h"

tsr_status tsr_devices_list(tsr_device_info *out, int max, int *count, tsr_error *err)
{
    int n_backends = 0;
    const tsr_backend *const *backends = tsr_backends(&n_backends);
    *count = 0;
    for (int i = 0; i < n_backends && *count < max; i++) {
        int found = 0;
        TSR_TRY(backends[i]->list(out + *count, max - *count, &found, err));
        *count += found;
    }
    return TSR_OK;
}

const char *tsr_device_fingerprint(const tsr_device_info *info, char *buf, size_t size)
{
    snprintf(buf, size, "%s|%s|%s|%s", info->backend, info->vendor, info->name, info->driver);
    return buf;
}

static bool contains_nocase(const char *haystack, const char *needle)
{
    size_t len = strlen(needle);
    for (const char *p = haystack;; p++) {
        size_t i = 0;
        while (i < len && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == len)
            return true;
        if (!*p)
            return false;
    }
}

static bool equals_nocase(const char *a, const char *b)
{
    return strlen(a) == strlen(b) && contains_nocase(a, b);
}

static bool rule_matches(const tsr_match_rule *rule, const tsr_device_info *info)
{
    if (rule->backend && !equals_nocase(info->backend, rule->backend))
        return false;
    if (rule->vendor && !contains_nocase(info->vendor, rule->vendor))
        return false;
    return !rule->name || contains_nocase(info->name, rule->name);
}

bool tsr_profile_matches(const tsr_profile *profile, const tsr_device_info *info)
{
    for (size_t i = 0; i < profile->n_match; i++)
        if (rule_matches(&profile->match[i], info))
            return true;
    return false;
}

static int is_yaml_file(const struct dirent *entry)
{
    const char *name = entry->d_name;
    size_t len = strlen(name);
    return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".yaml") == 0;
}

/* Byte order, not the locale's collation, so the pick is the same
 * everywhere. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Loads one candidate; *out stays NULL when it does not match. */
static tsr_status try_profile(const char *dir, const char *file, const tsr_device_info *info,
                              tsr_profile **out, tsr_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
        return tsr_fail(err, TSR_ERR_IO, "%s/%s: path too long", dir, file);
    tsr_profile *profile = NULL;
    TSR_TRY(tsr_profile_load(path, &profile, err));
    if (tsr_profile_matches(profile, info))
        *out = profile;
    else
        tsr_profile_free(profile);
    return TSR_OK;
}

tsr_status tsr_profile_find_for_device(const char *profiles_dir, const tsr_device_info *info,
                                       tsr_profile **out, tsr_error *err)
{
    struct dirent **entries = NULL;
    *out = NULL;
    int n = scandir(profiles_dir, &entries, is_yaml_file, by_name);
    if (n < 0)
        return tsr_fail(err, TSR_ERR_IO, "cannot read profiles directory '%s': %s", profiles_dir,
                        strerror(errno));
    tsr_status status = TSR_OK;
    for (int i = 0; i < n; i++) {
        if (status == TSR_OK && !*out)
            status = try_profile(profiles_dir, entries[i]->d_name, info, out, err);
        free(entries[i]);
    }
    free(entries);
    if (status == TSR_OK && !*out)
        status = tsr_fail(err, TSR_ERR_NOT_FOUND, "no profile in %s matches %s (%s, %s)",
                          profiles_dir, info->id, info->vendor, info->name);
    return status;
}

tsr_status tsr_profile_check_device(const tsr_profile *p, const tsr_device_info *info,
                                    tsr_error *err)
{
    const struct {
        const char *field, *unit;
        const tsr_quantity *promised;
        unsigned long long reported; /* 0: the device does not say */
    } limits[] = {
        {"memory.shared_per_block", " bytes", &p->shared_per_block, info->local_bytes},
        {"compute.max_work_group_size", " threads", &p->max_work_group_size,
         (unsigned long long)info->max_work_group_size},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        if (limits[i].promised->present && limits[i].reported > 0 &&
            limits[i].promised->value > (double)limits[i].reported)
            return tsr_fail(err, TSR_ERR_INPUT,
                            "profile %s (%s) gives %s as %.0f%s, but %s (%s) reports %llu%s: "
                            "fix the profile or name another with --profile",
                            p->name, p->path, limits[i].field, limits[i].promised->value,
                            limits[i].unit, info->id, info->name, limits[i].reported,
                            limits[i].unit);
    return TSR_OK;
}

void tsr_profile_fit_device(tsr_profile *profile, const tsr_device_info *info)
{
    if (equals_nocase(info->backend, "opencl"))
        profile->shared_per_block_optin.present = false;
}
