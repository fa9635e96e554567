/* The backend table and device ids: "opencl:1" is the backend's name and
 * the device's index among that backend's devices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/backends_list.h"

/* One row per backend compiled into this build, in a fixed order. */
static const tsr_backend *const backend_table[] = {
    &tsr_backend_opencl,
    &tsr_backend_cuda,
    &tsr_backend_hip,
};

enum { N_BACKENDS = sizeof backend_table / sizeof backend_table[0] };

const tsr_backend *const *tsr_backends(int *count)
{
    *count = N_BACKENDS;
    return backend_table;
}

const tsr_backend *tsr_backend_find(const char *name)
{
    for (int i = 0; i < N_BACKENDS; i++)
        if (strcmp(backend_table[i]->name, name) == 0)
            return backend_table[i];
    return NULL;
}

/* How messages spell a backend; filled ahead for the planned backends so
 * that adding one still touches only backend_table. */
static const char *display_name(const tsr_backend *backend)
{
    static const struct {
        const char *name, *shown;
    } spellings[] = {{"opencl", "OpenCL"}, {"cuda", "CUDA"}, {"hip", "HIP"}};
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++)
        if (strcmp(spellings[i].name, backend->name) == 0)
            return spellings[i].shown;
    return backend->name;
}

/* Splits "opencl:1"; the index is plain decimal digits (no sign, no
 * spaces) so that "opencl:1x" or "opencl:-1" are refused, not misread. */
static tsr_status parse_id(const char *id, char *backend, size_t size, int *index, tsr_error *err)
{
    const char *colon = strchr(id, ':');
    const char *digits = colon ? colon + 1 : "";
    size_t n_digits = strspn(digits, "0123456789");
    if (!colon || colon == id || (size_t)(colon - id) >= size || n_digits == 0 ||
        digits[n_digits] != '\0' || n_digits > 6)
        return tsr_fail(err, TSR_ERR_INPUT,
                        "malformed device id '%s' (expected BACKEND:INDEX, e.g. opencl:0)", id);
    memcpy(backend, id, (size_t)(colon - id));
    backend[colon - id] = '\0';
    *index = atoi(digits);
    return TSR_OK;
}

static tsr_status unknown_backend(const char *name, const char *id, tsr_error *err)
{
    char known[256] = "";
    size_t used = 0;
    for (int i = 0; i < N_BACKENDS && used < sizeof known; i++)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                                 backend_table[i]->name);
    return tsr_fail(err, TSR_ERR_NOT_FOUND, "unknown backend '%s' in device id '%s' (known: %s)",
                    name, id, known);
}

/* Names every device the backend has, so that a typo is fixed at once. */
static tsr_status no_such_device(const tsr_backend *backend, const char *id, tsr_error *err)
{
    tsr_device_info infos[TSR_MAX_DEVICES];
    int count = 0;
    TSR_TRY(backend->list(infos, TSR_MAX_DEVICES, &count, err));
    const char *shown = display_name(backend);
    if (count == 0)
        return tsr_fail(err, TSR_ERR_NOT_FOUND, "no device %s (no %s devices found)", id, shown);
    char names[TSR_ERROR_MAX / 2] = "";
    size_t used = 0;
    for (int i = 0; i < count && used < sizeof names; i++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s %s", i ? ", " : "",
                                 infos[i].id, infos[i].name);
    return tsr_fail(err, TSR_ERR_NOT_FOUND, "no device %s (%d %s device%s: %s)", id, count, shown,
                    count == 1 ? "" : "s", names);
}

tsr_status tsr_device_open(const char *id, tsr_device **out, tsr_error *err)
{
    char name[32];
    int index = 0;
    *out = NULL;
    TSR_TRY(parse_id(id, name, sizeof name, &index, err));
    const tsr_backend *backend = tsr_backend_find(name);
    if (!backend)
        return unknown_backend(name, id, err);
    tsr_status status = backend->open(index, out, err);
    if (status != TSR_ERR_NOT_FOUND)
        return status;
    /* With no device at all, the backend's own reason (a missing driver)
     * says more than an empty list. */
    tsr_device_info info;
    int count = 0;
    if (backend->list(&info, 1, &count, NULL) == TSR_OK && count == 0)
        return status;
    return no_such_device(backend, id, err);
}

void tsr_device_close(tsr_device *device)
{
    if (device)
        device->backend->close(device);
}
