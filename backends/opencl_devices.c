/* The OpenCL backend's half that finds devices: enumeration across every
 * platform, what each device says about itself, and OpenCL's error names.
 * Nothing here opens a context, so listing is cheap and safe. */
#include "backends/opencl_impl.h"

#include <CL/cl_ext.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every error OpenCL 1.2 names, and the ICD loader's "no platform". */
#define E(code)                                                                                    \
    {                                                                                              \
        code, #code                                                                                \
    }
static const struct {
    cl_int code;
    const char *name;
} cl_errors[] = {
    E(CL_SUCCESS),
    E(CL_DEVICE_NOT_FOUND),
    E(CL_DEVICE_NOT_AVAILABLE),
    E(CL_COMPILER_NOT_AVAILABLE),
    E(CL_MEM_OBJECT_ALLOCATION_FAILURE),
    E(CL_OUT_OF_RESOURCES),
    E(CL_OUT_OF_HOST_MEMORY),
    E(CL_PROFILING_INFO_NOT_AVAILABLE),
    E(CL_MEM_COPY_OVERLAP),
    E(CL_IMAGE_FORMAT_MISMATCH),
    E(CL_IMAGE_FORMAT_NOT_SUPPORTED),
    E(CL_BUILD_PROGRAM_FAILURE),
    E(CL_MAP_FAILURE),
    E(CL_MISALIGNED_SUB_BUFFER_OFFSET),
    E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST),
    E(CL_COMPILE_PROGRAM_FAILURE),
    E(CL_LINKER_NOT_AVAILABLE),
    E(CL_LINK_PROGRAM_FAILURE),
    E(CL_DEVICE_PARTITION_FAILED),
    E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE),
    E(CL_INVALID_VALUE),
    E(CL_INVALID_DEVICE_TYPE),
    E(CL_INVALID_PLATFORM),
    E(CL_INVALID_DEVICE),
    E(CL_INVALID_CONTEXT),
    E(CL_INVALID_QUEUE_PROPERTIES),
    E(CL_INVALID_COMMAND_QUEUE),
    E(CL_INVALID_HOST_PTR),
    E(CL_INVALID_MEM_OBJECT),
    E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR),
    E(CL_INVALID_IMAGE_SIZE),
    E(CL_INVALID_SAMPLER),
    E(CL_INVALID_BINARY),
    E(CL_INVALID_BUILD_OPTIONS),
    E(CL_INVALID_PROGRAM),
    E(CL_INVALID_PROGRAM_EXECUTABLE),
    E(CL_INVALID_KERNEL_NAME),
    E(CL_INVALID_KERNEL_DEFINITION),
    E(CL_INVALID_KERNEL),
    E(CL_INVALID_ARG_INDEX),
    E(CL_INVALID_ARG_VALUE),
    E(CL_INVALID_ARG_SIZE),
    E(CL_INVALID_KERNEL_ARGS),
    E(CL_INVALID_WORK_DIMENSION),
    E(CL_INVALID_WORK_GROUP_SIZE),
    E(CL_INVALID_WORK_ITEM_SIZE),
    E(CL_INVALID_GLOBAL_OFFSET),
    E(CL_INVALID_EVENT_WAIT_LIST),
    E(CL_INVALID_EVENT),
    E(CL_INVALID_OPERATION),
    E(CL_INVALID_GL_OBJECT),
    E(CL_INVALID_BUFFER_SIZE),
    E(CL_INVALID_MIP_LEVEL),
    E(CL_INVALID_GLOBAL_WORK_SIZE),
    E(CL_INVALID_PROPERTY),
    E(CL_INVALID_IMAGE_DESCRIPTOR),
    E(CL_INVALID_COMPILER_OPTIONS),
    E(CL_INVALID_LINKER_OPTIONS),
    E(CL_INVALID_DEVICE_PARTITION_COUNT),
    E(CL_PLATFORM_NOT_FOUND_KHR),
};
#undef E

const char *tsr_opencl_error_name(cl_int code)
{
    for (size_t i = 0; i < sizeof cl_errors / sizeof cl_errors[0]; i++)
        if (cl_errors[i].code == code)
            return cl_errors[i].name;
    /* Outside the standard's range: NVIDIA's OpenCL reports a kernel's
     * illegal memory access so (seen on an H200, driver 580). */
    if (code == -9999)
        return "an illegal memory access (NVIDIA's code -9999)";
    return "unknown OpenCL error";
}

tsr_status tsr_opencl_fail(tsr_error *err, const char *call, cl_int code, const char *where)
{
    return tsr_fail(err, TSR_ERR_BACKEND, "%s: %s (%d) on %s", call, tsr_opencl_error_name(code),
                    (int)code, where);
}

/* ---- enumeration and device information ---------------------------------- */

/* Appends the devices of one platform, all types, in the driver's order. */
static tsr_status enumerate_platform(cl_platform_id platform, ocl_entry *out, int max, int *count,
                                     tsr_error *err)
{
    cl_uint n = 0;
    cl_int rc = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, NULL, &n);
    if (rc == CL_DEVICE_NOT_FOUND || (rc == CL_SUCCESS && n == 0))
        return TSR_OK;
    if (rc != CL_SUCCESS)
        return tsr_opencl_fail(err, "clGetDeviceIDs", rc, "an OpenCL platform");
    cl_device_id *ids = calloc(n, sizeof *ids);
    if (!ids)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory listing OpenCL devices");
    rc = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n, ids, NULL);
    if (rc != CL_SUCCESS) {
        free(ids);
        return tsr_opencl_fail(err, "clGetDeviceIDs", rc, "an OpenCL platform");
    }
    for (cl_uint i = 0; i < n && *count < max; i++) {
        out[*count].platform = platform;
        out[*count].device = ids[i];
        (*count)++;
    }
    free(ids);
    return TSR_OK;
}

/* Every device of every platform, platforms in the loader's order: the
 * position in this list is the device's index, the same on every run while
 * the installed drivers stay the same. No platform at all is zero devices. */
tsr_status tsr_opencl_enumerate(ocl_entry *out, int max, int *count, tsr_error *err)
{
    *count = 0;
    cl_uint n_platforms = 0;
    cl_int rc = clGetPlatformIDs(0, NULL, &n_platforms);
    if (rc == CL_PLATFORM_NOT_FOUND_KHR || (rc == CL_SUCCESS && n_platforms == 0))
        return TSR_OK;
    if (rc != CL_SUCCESS)
        return tsr_opencl_fail(err, "clGetPlatformIDs", rc, "this machine");
    cl_platform_id *platforms = calloc(n_platforms, sizeof *platforms);
    if (!platforms)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory listing OpenCL platforms");
    rc = clGetPlatformIDs(n_platforms, platforms, NULL);
    tsr_status status =
        rc == CL_SUCCESS ? TSR_OK : tsr_opencl_fail(err, "clGetPlatformIDs", rc, "this machine");
    for (cl_uint p = 0; p < n_platforms && status == TSR_OK; p++)
        status = enumerate_platform(platforms[p], out, max, count, err);
    free(platforms);
    return status;
}

/* Copies a driver string without the padding some drivers leave around it. */
static void copy_trimmed(char *dst, size_t size, const char *src)
{
    while (*src == ' ' || *src == '\t')
        src++;
    size_t len = strlen(src);
    while (len > 0 && (src[len - 1] == ' ' || src[len - 1] == '\t' || src[len - 1] == '\n'))
        len--;
    snprintf(dst, size, "%.*s", (int)len, src);
}

/* A device string of any length; the caller frees it. */
static cl_int device_string(cl_device_id device, cl_device_info param, char **out)
{
    size_t size = 0;
    *out = NULL;
    cl_int rc = clGetDeviceInfo(device, param, 0, NULL, &size);
    if (rc != CL_SUCCESS)
        return rc;
    char *text = calloc(size + 1, 1);
    if (!text)
        return CL_OUT_OF_HOST_MEMORY;
    rc = clGetDeviceInfo(device, param, size, text, NULL);
    if (rc != CL_SUCCESS) {
        free(text);
        return rc;
    }
    *out = text;
    return CL_SUCCESS;
}

static cl_int device_string_into(cl_device_id device, cl_device_info param, char *dst, size_t size)
{
    char *text;
    cl_int rc = device_string(device, param, &text);
    if (rc == CL_SUCCESS)
        copy_trimmed(dst, size, text);
    free(text);
    return rc;
}

/* Whole-word search in a space-separated extension list. */
static bool has_extension(const char *extensions, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = extensions; (p = strstr(p, name)) != NULL; p += len) {
        bool starts = p == extensions || p[-1] == ' ';
        bool ends = p[len] == '\0' || p[len] == ' ';
        if (starts && ends)
            return true;
    }
    return false;
}

static cl_int query_work_item_sizes(cl_device_id device, size_t sizes[3])
{
    cl_uint dims = 0;
    cl_int rc =
        clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS, sizeof dims, &dims, NULL);
    if (rc != CL_SUCCESS)
        return rc;
    size_t *all = calloc(dims < 3 ? 3 : dims, sizeof *all);
    if (!all)
        return CL_OUT_OF_HOST_MEMORY;
    rc = clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_ITEM_SIZES, dims * sizeof *all, all, NULL);
    if (rc == CL_SUCCESS)
        for (int d = 0; d < 3; d++)
            sizes[d] = d < (int)dims ? all[d] : 1;
    free(all);
    return rc;
}

static cl_int query_numbers(cl_device_id device, tsr_device_info *info)
{
    cl_uint units = 0, clock = 0, vector = 0;
    size_t group = 0;
    cl_ulong global = 0, local = 0;
    cl_int rc = clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetDeviceInfo(device, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof clock, &clock, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetDeviceInfo(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof vector, &vector,
                             NULL);
    if (rc == CL_SUCCESS)
        rc = clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof group, &group, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL);
    if (rc == CL_SUCCESS)
        rc = query_work_item_sizes(device, info->max_work_item_sizes);
    info->compute_units = (int)units;
    info->clock_mhz = (int)clock;
    info->preferred_vector_width_float = (int)vector;
    info->max_work_group_size = group;
    info->global_bytes = global;
    info->local_bytes = local;
    return rc;
}

/* Vendor extensions' queries (cl_nv_device_attribute_query,
 * cl_intel_device_attribute_query); the values are from their
 * specifications, since the Khronos headers Debian ships may lack them. */
#define TSR_CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV 0x4000
#define TSR_CL_DEVICE_COMPUTE_CAPABILITY_MINOR_NV 0x4001
#define TSR_CL_DEVICE_IP_VERSION_INTEL 0x4250

/* info->arch: see backend.h. AMD's OpenCL names the device by its gfx
 * target ("gfx90a:sramecc+:xnack-"); the features after ':' are dropped. */
static void query_arch(cl_device_id device, const char *extensions, tsr_device_info *info)
{
    cl_uint major = 0, minor = 0, ip = 0;
    if (has_extension(extensions, "cl_nv_device_attribute_query") &&
        clGetDeviceInfo(device, TSR_CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV, sizeof major, &major,
                        NULL) == CL_SUCCESS &&
        clGetDeviceInfo(device, TSR_CL_DEVICE_COMPUTE_CAPABILITY_MINOR_NV, sizeof minor, &minor,
                        NULL) == CL_SUCCESS) {
        snprintf(info->arch, sizeof info->arch, "sm_%u%u", major, minor);
    } else if (has_extension(extensions, "cl_intel_device_attribute_query") &&
               clGetDeviceInfo(device, TSR_CL_DEVICE_IP_VERSION_INTEL, sizeof ip, &ip, NULL) ==
                   CL_SUCCESS) {
        /* CL_MAKE_VERSION packing: major 10 bits, minor 10, patch 12. */
        snprintf(info->arch, sizeof info->arch, "%u.%u.%u", ip >> 22, (ip >> 12) & 0x3ff,
                 ip & 0xfff);
    } else if (strncmp(info->name, "gfx", 3) == 0) {
        snprintf(info->arch, sizeof info->arch, "%.*s", (int)strcspn(info->name, ":"), info->name);
    } else {
        /* "OpenCL 3.0 PoCL HSTR: ..." to "OpenCL 3.0". */
        const char *space = strchr(info->version, ' ');
        size_t len = space ? strcspn(space + 1, " ") + (size_t)(space + 1 - info->version)
                           : strlen(info->version);
        snprintf(info->arch, sizeof info->arch, "%.*s", (int)len, info->version);
    }
}

static cl_int query_strings(const ocl_entry *entry, tsr_device_info *info)
{
    cl_device_id device = entry->device;
    cl_int rc = device_string_into(device, CL_DEVICE_NAME, info->name, sizeof info->name);
    if (rc == CL_SUCCESS)
        rc = device_string_into(device, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    if (rc == CL_SUCCESS)
        rc = device_string_into(device, CL_DRIVER_VERSION, info->driver, sizeof info->driver);
    if (rc == CL_SUCCESS)
        rc = device_string_into(device, CL_DEVICE_VERSION, info->version, sizeof info->version);
    if (rc == CL_SUCCESS) {
        char platform[sizeof info->platform] = "";
        rc = clGetPlatformInfo(entry->platform, CL_PLATFORM_NAME, sizeof platform, platform, NULL);
        copy_trimmed(info->platform, sizeof info->platform, platform);
        info->compiles_at_first_launch = strstr(platform, "Portable Computing Language") != NULL;
    }
    cl_device_type type = 0;
    if (rc == CL_SUCCESS)
        rc = clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    info->is_cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
    char *extensions = NULL;
    if (rc == CL_SUCCESS)
        rc = device_string(device, CL_DEVICE_EXTENSIONS, &extensions);
    if (rc == CL_SUCCESS) {
        info->has_fp64 = has_extension(extensions, "cl_khr_fp64");
        info->has_fp16 = has_extension(extensions, "cl_khr_fp16");
        query_arch(device, extensions, info);
    }
    free(extensions);
    return rc;
}

tsr_status tsr_opencl_describe(int index, const ocl_entry *entry, tsr_device_info *info,
                               tsr_error *err)
{
    memset(info, 0, sizeof *info);
    snprintf(info->id, sizeof info->id, "opencl:%d", index);
    snprintf(info->backend, sizeof info->backend, "opencl");
    cl_int rc = query_strings(entry, info);
    if (rc == CL_SUCCESS)
        rc = query_numbers(entry->device, info);
    if (rc != CL_SUCCESS)
        return tsr_opencl_fail(err, "clGetDeviceInfo", rc, info->id);
    return TSR_OK;
}

tsr_status tsr_opencl_list(tsr_device_info *out, int max, int *count, tsr_error *err)
{
    ocl_entry entries[TSR_MAX_DEVICES];
    int n = 0;
    *count = 0;
    if (max > TSR_MAX_DEVICES)
        max = TSR_MAX_DEVICES;
    TSR_TRY(tsr_opencl_enumerate(entries, max, &n, err));
    for (int i = 0; i < n; i++)
        TSR_TRY(tsr_opencl_describe(i, &entries[i], &out[i], err));
    *count = n;
    return TSR_OK;
}
