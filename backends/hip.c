/* The HIP backend: the HIP runtime and hipRTC, loaded at run time
 * (hip_loader.c), so that the same tessera binary runs on machines with and
 * without ROCm. hipRTC compiles for the live device's gcnArchName; every
 * call is blocking, and every error becomes one line naming the call, HIP's
 * error name and text, and the device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backends_list.h"
#include "backends/log_line.h"
#include "backends/hip_loader.h"
#include "backends/kernel_cache.h"

typedef struct hip_device {
    const tsr_hip_runtime *hip;
    int ordinal;
    hipStream_t stream; /* one per open device, so that events time only our work */
} hip_device;

typedef struct hip_kernel {
    hipModule_t module;
    hipFunction_t function;
} hip_kernel;

static tsr_status hip_fail(const tsr_hip_runtime *hip, tsr_error *err, const char *call,
                           hipError_t rc, const tsr_device_info *info)
{
    const char *name = hip->hipGetErrorName(rc), *text = hip->hipGetErrorString(rc);
    /* A fault in a kernel leaves the device's queue unusable until the
     * process ends, as on CUDA. */
    int sticky = rc == hipErrorIllegalAddress || rc == hipErrorLaunchFailure;
    return tsr_fail(err, TSR_ERR_BACKEND, "%s failed on %s (%s): %s (%d): %s%s", call, info->id,
                    info->name, name ? name : "unknown HIP error", (int)rc, text ? text : "",
                    sticky ? "; the HIP device is now unusable: restart the process" : "");
}

/* gcnArchName ("gfx90a:sramecc+:xnack-") from the device properties; empty
 * when the runtime's layout is not the one hip_loader.h reads. */
static tsr_status describe(const tsr_hip_runtime *hip, int index, tsr_device_info *info,
                           tsr_error *err)
{
    memset(info, 0, sizeof *info);
    snprintf(info->id, sizeof info->id, "hip:%d", index);
    snprintf(info->backend, sizeof info->backend, "hip");
    snprintf(info->vendor, sizeof info->vendor, "AMD");
    hipError_t rc = hip->hipDeviceGetName(info->name, (int)sizeof info->name, index);
    if (rc != hipSuccess)
        return hip_fail(hip, err, "hipDeviceGetName", rc, info);
    tsr_hip_device_arch(hip, index, info->version, sizeof info->version);
    snprintf(info->arch, sizeof info->arch, "%.*s", (int)strcspn(info->version, ":"),
             info->version);
    int value = 0, version = 0;
    size_t bytes = 0;
    if (hip->hipDriverGetVersion(&version) == hipSuccess)
        snprintf(info->driver, sizeof info->driver, "HIP %d.%d.%d", version / 10000000,
                 version / 100000 % 100, version % 100000);
    /* The rest is informative: an attribute the runtime does not know
     * leaves the field at zero rather than failing. */
    if (hip->hipDeviceGetAttribute(&value, hipDeviceAttributeMultiprocessorCount, index) == 0)
        info->compute_units = value;
    if (hip->hipDeviceGetAttribute(&value, hipDeviceAttributeClockRate, index) == 0)
        info->clock_mhz = value / 1000;
    if (hip->hipDeviceGetAttribute(&value, hipDeviceAttributeMaxThreadsPerBlock, index) == 0)
        info->max_work_group_size = (size_t)value;
    static const int dims[3] = {hipDeviceAttributeMaxBlockDimX, hipDeviceAttributeMaxBlockDimY,
                                hipDeviceAttributeMaxBlockDimZ};
    for (int d = 0; d < 3; d++)
        if (hip->hipDeviceGetAttribute(&value, dims[d], index) == 0)
            info->max_work_item_sizes[d] = (size_t)value;
    if (hip->hipDeviceGetAttribute(&value, hipDeviceAttributeMaxSharedMemoryPerBlock, index) == 0)
        info->local_bytes = (unsigned long long)value;
    if (hip->hipDeviceTotalMem(&bytes, index) == 0)
        info->global_bytes = bytes;
    info->preferred_vector_width_float = 1;
    info->has_fp64 = info->has_fp16 = true;
    return TSR_OK;
}

static tsr_status hip_list(tsr_device_info *out, int max, int *count, tsr_error *err)
{
    *count = 0;
    const tsr_hip_runtime *hip = tsr_hip_runtime_load(NULL);
    int n = 0;
    /* No runtime, or a runtime with no GPU (hipErrorNoDevice): zero
     * devices, not an error. */
    if (!hip || hip->hipGetDeviceCount(&n) != hipSuccess)
        return TSR_OK;
    for (int i = 0; i < n && i < max; i++) {
        TSR_TRY(describe(hip, i, &out[i], err));
        (*count)++;
    }
    return TSR_OK;
}

static void hip_close(tsr_device *device)
{
    if (!device)
        return;
    hip_device *dev = device->impl;
    if (dev) {
        if (dev->stream) {
            dev->hip->hipSetDevice(dev->ordinal);
            dev->hip->hipStreamDestroy(dev->stream);
        }
        free(dev);
    }
    free(device);
}

static tsr_status hip_open(int index, tsr_device **out, tsr_error *err)
{
    const char *why = NULL;
    const tsr_hip_runtime *hip = tsr_hip_runtime_load(&why);
    int n = 0;
    if (!hip)
        return tsr_fail(err, TSR_ERR_NOT_FOUND, "no device hip:%d (%s)", index, why);
    hipError_t rc = hip->hipGetDeviceCount(&n);
    if (rc != hipSuccess)
        return tsr_fail(err, TSR_ERR_NOT_FOUND,
                        "no device hip:%d (the HIP runtime finds no AMD GPU: %s; install the "
                        "amdgpu driver and check /dev/kfd)",
                        index, hip->hipGetErrorName(rc));
    if (index < 0 || index >= n)
        return tsr_fail(err, TSR_ERR_NOT_FOUND, "no device hip:%d (%d HIP device%s)", index, n,
                        n == 1 ? "" : "s");
    tsr_device *device = calloc(1, sizeof *device);
    hip_device *dev = calloc(1, sizeof *dev);
    if (!device || !dev) {
        free(device);
        free(dev);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory opening hip:%d", index);
    }
    device->backend = &tsr_backend_hip;
    device->impl = dev;
    dev->hip = hip;
    dev->ordinal = index;
    tsr_status st = describe(hip, index, &device->info, err);
    const char *call = "hipSetDevice";
    if (st == TSR_OK && (rc = hip->hipSetDevice(index)) == hipSuccess) {
        call = "hipStreamCreate";
        rc = hip->hipStreamCreate(&dev->stream);
    }
    if (st == TSR_OK && rc != hipSuccess)
        st = hip_fail(hip, err, call, rc, &device->info);
    if (st != TSR_OK) {
        hip_close(device);
        return st;
    }
    *out = device;
    return TSR_OK;
}

static void hip_release(tsr_kernel *kernel)
{
    if (!kernel)
        return;
    hip_kernel *impl = kernel->impl;
    hip_device *dev = kernel->device->impl;
    if (impl && impl->module) {
        dev->hip->hipSetDevice(dev->ordinal);
        dev->hip->hipModuleUnload(impl->module);
    }
    free(impl);
    free(kernel);
}

static tsr_status hip_compile(tsr_device *device, const char *source, const char *kernel_name,
                              const char *options, tsr_kernel **out, tsr_error *err)
{
    hip_device *dev = device->impl;
    const tsr_hip_runtime *hip = dev->hip;
    if (!device->info.version[0])
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "cannot tell the gcnArchName of %s (%s): this HIP runtime's device "
                        "properties are not in the ROCm 5 layout",
                        device->info.id, device->info.name);
    char *code = NULL;
    size_t size = 0;
    /* Through the kernel cache, as on CUDA (kernel_cache.h). */
    const char *key[] = {"hip hiprtc", device->info.version, options, source};
    int n_key = (int)(sizeof key / sizeof key[0]);
    if (!tsr_kernel_cache_get(key, n_key, &code, &size)) {
        TSR_TRY(tsr_hip_build(source, device->info.version, options, &code, &size, err));
        tsr_kernel_cache_put(key, n_key, code, size);
    }
    tsr_kernel *kernel = calloc(1, sizeof *kernel);
    hip_kernel *impl = calloc(1, sizeof *impl);
    if (!kernel || !impl) {
        free(kernel);
        free(impl);
        free(code);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory loading %s", kernel_name);
    }
    kernel->device = device;
    kernel->impl = impl;
    tsr_status st = TSR_OK;
    hipError_t rc = hip->hipSetDevice(dev->ordinal);
    if (rc == hipSuccess && (rc = hip->hipModuleLoadData(&impl->module, code)) != hipSuccess)
        st = hip_fail(hip, err, "hipModuleLoadData", rc, &device->info);
    free(code);
    if (st == TSR_OK &&
        hip->hipModuleGetFunction(&impl->function, impl->module, kernel_name) != hipSuccess)
        st = tsr_fail(err, TSR_ERR_NOT_FOUND, "no kernel '%s' in the program built for %s",
                      kernel_name, device->info.id);
    int threads = 0, shared = 0, local = 0;
    if (st == TSR_OK &&
        ((rc = hip->hipFuncGetAttribute(&threads, HIP_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
                                        impl->function)) ||
         (rc = hip->hipFuncGetAttribute(&shared, HIP_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES,
                                        impl->function)) ||
         (rc = hip->hipFuncGetAttribute(&local, HIP_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES,
                                        impl->function))))
        st = hip_fail(hip, err, "hipFuncGetAttribute", rc, &device->info);
    if (st != TSR_OK) {
        hip_release(kernel);
        return st;
    }
    kernel->max_work_group_size = (size_t)threads;
    kernel->local_bytes = (unsigned long long)shared;
    kernel->private_bytes = (unsigned long long)local;
    *out = kernel;
    return TSR_OK;
}

static tsr_status hip_alloc(tsr_device *device, size_t bytes, tsr_buffer **out, tsr_error *err)
{
    hip_device *dev = device->impl;
    tsr_buffer *buffer = calloc(1, sizeof *buffer);
    void **pointer = calloc(1, sizeof *pointer);
    if (!buffer || !pointer) {
        free(buffer);
        free(pointer);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    }
    hipError_t rc = dev->hip->hipSetDevice(dev->ordinal);
    if (rc == hipSuccess)
        rc = dev->hip->hipMalloc(pointer, bytes ? bytes : 1);
    if (rc != hipSuccess) {
        free(buffer);
        free(pointer);
        return hip_fail(dev->hip, err, "hipMalloc", rc, &device->info);
    }
    buffer->device = device;
    buffer->bytes = bytes;
    buffer->impl = pointer; /* holds the device pointer, whose address launch passes */
    *out = buffer;
    return TSR_OK;
}

static void hip_free(tsr_buffer *buffer)
{
    if (!buffer)
        return;
    hip_device *dev = buffer->device->impl;
    dev->hip->hipSetDevice(dev->ordinal);
    dev->hip->hipFree(*(void **)buffer->impl);
    free(buffer->impl);
    free(buffer);
}

/* hipMemcpy on the null stream waits for our (blocking) stream's work. */
static tsr_status copy(tsr_buffer *buffer, void *dst, const void *src, size_t bytes, int kind,
                       tsr_error *err)
{
    hip_device *dev = buffer->device->impl;
    const char *what = kind == hipMemcpyHostToDevice ? "write" : "read";
    if (bytes > buffer->bytes)
        return tsr_fail(err, TSR_ERR_INPUT, "%s of %zu bytes with a buffer of %zu", what, bytes,
                        buffer->bytes);
    hipError_t rc = dev->hip->hipSetDevice(dev->ordinal);
    if (rc == hipSuccess)
        rc = dev->hip->hipMemcpy(dst, src, bytes, kind);
    return rc ? hip_fail(dev->hip, err, "hipMemcpy", rc, &buffer->device->info) : TSR_OK;
}

static tsr_status hip_write(tsr_buffer *buffer, const void *src, size_t bytes, tsr_error *err)
{
    return copy(buffer, *(void **)buffer->impl, src, bytes, hipMemcpyHostToDevice, err);
}

static tsr_status hip_read(tsr_buffer *buffer, void *dst, size_t bytes, tsr_error *err)
{
    return copy(buffer, dst, *(void **)buffer->impl, bytes, hipMemcpyDeviceToHost, err);
}

/* Refuses a launch the runtime would refuse, with the numbers that say why. */
static tsr_status check_geometry(const tsr_kernel *kernel, const tsr_geometry *g, tsr_error *err)
{
    size_t threads = 1;
    for (int d = 0; d < 3; d++) {
        size_t local = d < g->dims ? g->local[d] : 1, groups = d < g->dims ? g->groups[d] : 1;
        if (local == 0 || groups == 0 || groups > 0x7fffffffu || local > 1024)
            return tsr_fail(err, TSR_ERR_INPUT,
                            "launch of %zu groups of %zu threads in dimension %d on %s", groups,
                            local, d, kernel->device->info.id);
        threads *= local;
    }
    if (threads > kernel->max_work_group_size)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "block of %zu threads exceeds this kernel's limit of %zu on %s", threads,
                        kernel->max_work_group_size, kernel->device->info.id);
    return TSR_OK;
}

enum { MAX_KERNEL_ARGS = 32 };

static tsr_status hip_launch(tsr_kernel *kernel, const tsr_arg *args, int n_args,
                             const tsr_geometry *g, double *elapsed_ms, tsr_error *err)
{
    hip_device *dev = kernel->device->impl;
    const tsr_hip_runtime *hip = dev->hip;
    if (n_args < 0 || n_args > MAX_KERNEL_ARGS)
        return tsr_fail(err, TSR_ERR_INPUT, "%d kernel arguments (at most %d)", n_args,
                        MAX_KERNEL_ARGS);
    TSR_TRY(check_geometry(kernel, g, err));
    /* hipModuleLaunchKernel takes the address of each argument's value. */
    void *params[MAX_KERNEL_ARGS + 1] = {NULL};
    for (int i = 0; i < n_args; i++)
        params[i] = args[i].kind == TSR_ARG_BUFFER ? args[i].buffer->impl
                    : args[i].kind == TSR_ARG_INT  ? (void *)&args[i].i
                                                   : (void *)&args[i].f;
    unsigned size[2][3];
    for (int d = 0; d < 3; d++) {
        size[0][d] = (unsigned)(d < g->dims ? g->groups[d] : 1);
        size[1][d] = (unsigned)(d < g->dims ? g->local[d] : 1);
    }
    hipEvent_t start = NULL, end = NULL;
    const char *call = "hipSetDevice";
    hipError_t rc = hip->hipSetDevice(dev->ordinal);
    if (rc == hipSuccess && elapsed_ms) {
        call = "hipEventCreate";
        if ((rc = hip->hipEventCreate(&start)) == hipSuccess)
            rc = hip->hipEventCreate(&end);
        if (rc == hipSuccess) {
            call = "hipEventRecord";
            rc = hip->hipEventRecord(start, dev->stream);
        }
    }
    if (rc == hipSuccess) {
        call = "hipModuleLaunchKernel";
        rc = hip->hipModuleLaunchKernel(((hip_kernel *)kernel->impl)->function, size[0][0],
                                        size[0][1], size[0][2], size[1][0], size[1][1], size[1][2],
                                        0, dev->stream, params, NULL);
    }
    if (rc == hipSuccess && elapsed_ms) {
        call = "hipEventRecord";
        rc = hip->hipEventRecord(end, dev->stream);
        if (rc == hipSuccess) {
            call = "the kernel run (hipEventSynchronize)";
            rc = hip->hipEventSynchronize(end);
        }
        float ms = 0;
        if (rc == hipSuccess) {
            call = "hipEventElapsedTime";
            rc = hip->hipEventElapsedTime(&ms, start, end);
        }
        *elapsed_ms = ms;
    }
    /* Always wait: a fault surfaces here, not in some later call. */
    if (rc == hipSuccess) {
        call = "the kernel run (hipStreamSynchronize)";
        rc = hip->hipStreamSynchronize(dev->stream);
    }
    if (start)
        hip->hipEventDestroy(start);
    if (end)
        hip->hipEventDestroy(end);
    return rc == hipSuccess ? TSR_OK : hip_fail(hip, err, call, rc, &kernel->device->info);
}

const tsr_backend tsr_backend_hip = {
    .name = "hip",
    .dialect = "hip",
    .list = hip_list,
    .open = hip_open,
    .close = hip_close,
    .compile = hip_compile,
    .release = hip_release,
    .alloc = hip_alloc,
    .free = hip_free,
    .write = hip_write,
    .read = hip_read,
    .launch = hip_launch,
};
