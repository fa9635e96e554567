/* The CUDA backend: the driver API and NVRTC, loaded at run time
 * (cuda_loader.c), so that the same tessera binary runs on machines with and
 * without CUDA. NVRTC compiles for the live device's compute capability;
 * every call is blocking, and every error becomes one line naming the call,
 * CUDA's error name and text, and the device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backends_list.h"
#include "backends/log_line.h"
#include "backends/cuda_impl.h"
#include "backends/cuda_nvrtc.h"
#include "backends/kernel_cache.h"

typedef struct cuda_kernel {
    CUmodule module;
    CUfunction function;
    size_t dynamic_shared_allowed; /* what the function may be launched with so far */
} cuda_kernel;

/* Errors after which the context refuses every later call (CUDA's "sticky"
 * errors); the tuner isolates candidates in processes for that reason. */
static int is_sticky(CUresult rc)
{
    return rc == CUDA_ERROR_ILLEGAL_ADDRESS || rc == CUDA_ERROR_LAUNCH_TIMEOUT ||
           (rc >= CUDA_ERROR_HARDWARE_STACK_ERROR && rc <= CUDA_ERROR_LAUNCH_FAILED);
}

static tsr_status cu_fail(const tsr_cuda_driver *cu, tsr_error *err, const char *call, CUresult rc,
                          const tsr_device_info *info)
{
    const char *name = NULL, *text = NULL;
    if (cu->cuGetErrorName(rc, &name) != CUDA_SUCCESS || !name)
        name = "unknown CUDA error";
    if (cu->cuGetErrorString(rc, &text) != CUDA_SUCCESS || !text)
        text = "";
    return tsr_fail(err, TSR_ERR_BACKEND, "%s failed on %s (%s): %s (%d): %s%s", call, info->id,
                    info->name, name, (int)rc, text,
                    is_sticky(rc) ? "; the CUDA context is now unusable: restart the process" : "");
}

static tsr_status describe(const tsr_cuda_driver *cu, int index, tsr_device_info *info,
                           tsr_error *err)
{
    memset(info, 0, sizeof *info);
    snprintf(info->id, sizeof info->id, "cuda:%d", index);
    snprintf(info->backend, sizeof info->backend, "cuda");
    snprintf(info->vendor, sizeof info->vendor, "NVIDIA");
    CUdevice device;
    CUresult rc = cu->cuDeviceGet(&device, index);
    if (rc != CUDA_SUCCESS)
        return cu_fail(cu, err, "cuDeviceGet", rc, info);
    int major = 0, minor = 0, value = 0, version = 0;
    size_t bytes = 0;
    rc = cu->cuDeviceGetName(info->name, (int)sizeof info->name, device);
    if (rc == CUDA_SUCCESS)
        rc = cu->cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
    if (rc == CUDA_SUCCESS)
        rc = cu->cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
    if (rc != CUDA_SUCCESS)
        return cu_fail(cu, err, "cuDeviceGetAttribute", rc, info);
    snprintf(info->version, sizeof info->version, "sm_%d%d", major, minor);
    snprintf(info->arch, sizeof info->arch, "sm_%d%d", major, minor);
    if (cu->cuDriverGetVersion(&version) == CUDA_SUCCESS)
        snprintf(info->driver, sizeof info->driver, "CUDA %d.%d", version / 1000,
                 version % 1000 / 10);
    /* The rest is informative: a driver that drops an attribute (CUDA 13
     * deprecates some) leaves the field at zero rather than failing. */
    if (cu->cuDeviceGetAttribute(&value, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device) == 0)
        info->compute_units = value;
    if (cu->cuDeviceGetAttribute(&value, CU_DEVICE_ATTRIBUTE_CLOCK_RATE, device) == 0)
        info->clock_mhz = value / 1000;
    if (cu->cuDeviceGetAttribute(&value, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, device) == 0)
        info->max_work_group_size = (size_t)value;
    static const int dims[3] = {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X,
                                CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y,
                                CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z};
    for (int d = 0; d < 3; d++)
        if (cu->cuDeviceGetAttribute(&value, dims[d], device) == 0)
            info->max_work_item_sizes[d] = (size_t)value;
    int shared = CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK; /* static, without opt-in */
    if (cu->cuDeviceGetAttribute(&value, shared, device) == 0)
        info->local_bytes = (unsigned long long)value;
    if (cu->cuDeviceTotalMem_v2(&bytes, device) == 0)
        info->global_bytes = bytes;
    info->preferred_vector_width_float = 1;
    info->has_fp64 = info->has_fp16 = major >= 6;
    return TSR_OK;
}

static tsr_status cuda_list(tsr_device_info *out, int max, int *count, tsr_error *err)
{
    *count = 0;
    const tsr_cuda_driver *cu = tsr_cuda_driver_load(NULL);
    int n = 0;
    if (!cu || cu->cuDeviceGetCount(&n) != CUDA_SUCCESS)
        return TSR_OK; /* no CUDA here: zero devices, not an error */
    for (int i = 0; i < n && i < max; i++) {
        TSR_TRY(describe(cu, i, &out[i], err));
        (*count)++;
    }
    return TSR_OK;
}

static void cuda_close(tsr_device *device)
{
    if (!device)
        return;
    cuda_device *dev = device->impl;
    if (dev) {
        if (dev->library && dev->library_release) {
            dev->cu->cuCtxSetCurrent(dev->context);
            dev->library_release(dev->library);
        }
        if (dev->context)
            dev->cu->cuDevicePrimaryCtxRelease_v2(dev->device);
        free(dev);
    }
    free(device);
}

static tsr_status cuda_open(int index, tsr_device **out, tsr_error *err)
{
    const char *why = NULL;
    const tsr_cuda_driver *cu = tsr_cuda_driver_load(&why);
    int n = 0;
    if (!cu)
        return tsr_fail(err, TSR_ERR_NOT_FOUND, "no device cuda:%d (%s)", index, why);
    if (cu->cuDeviceGetCount(&n) != CUDA_SUCCESS || index < 0 || index >= n)
        return tsr_fail(err, TSR_ERR_NOT_FOUND, "no device cuda:%d (%d CUDA device%s)", index, n,
                        n == 1 ? "" : "s");
    tsr_device *device = calloc(1, sizeof *device);
    cuda_device *dev = calloc(1, sizeof *dev);
    if (!device || !dev) {
        free(device);
        free(dev);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory opening cuda:%d", index);
    }
    device->backend = &tsr_backend_cuda;
    device->impl = dev;
    dev->cu = cu;
    tsr_status st = describe(cu, index, &device->info, err);
    CUresult rc = CUDA_SUCCESS;
    const char *call = "cuDeviceGet";
    if (st == TSR_OK && (rc = cu->cuDeviceGet(&dev->device, index)) == CUDA_SUCCESS) {
        call = "cuDevicePrimaryCtxRetain";
        rc = cu->cuDevicePrimaryCtxRetain(&dev->context, dev->device);
    }
    if (st == TSR_OK && rc == CUDA_SUCCESS) {
        call = "cuCtxSetCurrent";
        rc = cu->cuCtxSetCurrent(dev->context);
    }
    if (st == TSR_OK && rc != CUDA_SUCCESS)
        st = cu_fail(cu, err, call, rc, &device->info);
    if (st != TSR_OK) {
        cuda_close(device);
        return st;
    }
    *out = device;
    return TSR_OK;
}

/* NVRTC for the device's compute capability (cuda_nvrtc.c), through the
 * kernel cache (kernel_cache.h): the image a compile-ahead process built
 * for the same source is loaded, not built again. */
static tsr_status build_image(tsr_device *device, const char *source, const char *options,
                              char **image, tsr_error *err)
{
    int major = 0, minor = 0;
    if (sscanf(device->info.version, "sm_%1d%d", &major, &minor) != 2)
        return tsr_fail(err, TSR_ERR_BACKEND, "cannot read the compute capability '%s' of %s",
                        device->info.version, device->info.id);
    const char *ptx = getenv("TESSERA_CUDA_PTX");
    const char *key[] = {"cuda nvrtc", device->info.version, ptx ? ptx : "", options, source};
    int n_key = (int)(sizeof key / sizeof key[0]);
    size_t size = 0;
    if (tsr_kernel_cache_get(key, n_key, image, &size))
        return TSR_OK;
    TSR_TRY(tsr_cuda_build_image(major * 10 + minor, device->info.id, source, options, image, &size,
                                 err));
    tsr_kernel_cache_put(key, n_key, *image, size);
    return TSR_OK;
}

static void cuda_release(tsr_kernel *kernel)
{
    if (!kernel)
        return;
    cuda_kernel *impl = kernel->impl;
    cuda_device *dev = kernel->device->impl;
    if (impl && impl->module) {
        dev->cu->cuCtxSetCurrent(dev->context);
        dev->cu->cuModuleUnload(impl->module);
    }
    free(impl);
    free(kernel);
}

/* Loads the image; a PTX image is compiled by the driver here, so its log
 * is kept for the message. */
static tsr_status load_module(tsr_device *device, const char *image, CUmodule *module,
                              tsr_error *err)
{
    cuda_device *dev = device->impl;
    char log[512] = "";
    CUjit_option keys[2] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[2] = {log, (void *)(size_t)sizeof log};
    dev->cu->cuCtxSetCurrent(dev->context);
    CUresult rc = dev->cu->cuModuleLoadDataEx(module, image, 2, keys, values);
    if (rc == CUDA_SUCCESS)
        return TSR_OK;
    for (char *c = log; *c; c++)
        if (*c == '\n')
            *c = ' ';
    tsr_status st = cu_fail(dev->cu, err, "cuModuleLoadDataEx", rc, &device->info);
    if (log[0] && err) {
        size_t used = strlen(err->msg);
        snprintf(err->msg + used, sizeof err->msg - used, " (%s)", log);
    }
    return st;
}

static tsr_status cuda_compile(tsr_device *device, const char *source, const char *kernel_name,
                               const char *options, tsr_kernel **out, tsr_error *err)
{
    cuda_device *dev = device->impl;
    const tsr_cuda_driver *cu = dev->cu;
    char *image = NULL;
    TSR_TRY(build_image(device, source, options, &image, err));
    tsr_kernel *kernel = calloc(1, sizeof *kernel);
    cuda_kernel *impl = calloc(1, sizeof *impl);
    if (!kernel || !impl) {
        free(kernel);
        free(impl);
        free(image);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory loading %s", kernel_name);
    }
    kernel->device = device;
    kernel->impl = impl;
    tsr_status st = load_module(device, image, &impl->module, err);
    free(image);
    CUresult rc = CUDA_SUCCESS;
    if (st == TSR_OK &&
        (rc = cu->cuModuleGetFunction(&impl->function, impl->module, kernel_name)) != 0)
        st = tsr_fail(err, TSR_ERR_NOT_FOUND, "no kernel '%s' in the program built for %s",
                      kernel_name, device->info.id);
    int threads = 0, shared = 0, local = 0;
    if (st == TSR_OK &&
        ((rc = cu->cuFuncGetAttribute(&threads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
                                      impl->function)) ||
         (rc = cu->cuFuncGetAttribute(&shared, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES,
                                      impl->function)) ||
         (rc = cu->cuFuncGetAttribute(&local, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES, impl->function))))
        st = cu_fail(cu, err, "cuFuncGetAttribute", rc, &device->info);
    if (st != TSR_OK) {
        cuda_release(kernel);
        return st;
    }
    kernel->max_work_group_size = (size_t)threads;
    kernel->local_bytes = (unsigned long long)shared;
    kernel->private_bytes = (unsigned long long)local;
    *out = kernel;
    return TSR_OK;
}

static tsr_status cuda_alloc(tsr_device *device, size_t bytes, tsr_buffer **out, tsr_error *err)
{
    cuda_device *dev = device->impl;
    tsr_buffer *buffer = calloc(1, sizeof *buffer);
    CUdeviceptr *pointer = calloc(1, sizeof *pointer);
    if (!buffer || !pointer) {
        free(buffer);
        free(pointer);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    }
    dev->cu->cuCtxSetCurrent(dev->context);
    CUresult rc = dev->cu->cuMemAlloc_v2(pointer, bytes ? bytes : 1);
    if (rc != CUDA_SUCCESS) {
        free(buffer);
        free(pointer);
        return cu_fail(dev->cu, err, "cuMemAlloc", rc, &device->info);
    }
    buffer->device = device;
    buffer->bytes = bytes;
    buffer->impl = pointer;
    *out = buffer;
    return TSR_OK;
}

static void cuda_free(tsr_buffer *buffer)
{
    if (!buffer)
        return;
    cuda_device *dev = buffer->device->impl;
    dev->cu->cuCtxSetCurrent(dev->context);
    dev->cu->cuMemFree_v2(*(CUdeviceptr *)buffer->impl);
    free(buffer->impl);
    free(buffer);
}

static tsr_status cuda_write(tsr_buffer *buffer, const void *src, size_t bytes, tsr_error *err)
{
    cuda_device *dev = buffer->device->impl;
    if (bytes > buffer->bytes)
        return tsr_fail(err, TSR_ERR_INPUT, "write of %zu bytes into a buffer of %zu", bytes,
                        buffer->bytes);
    dev->cu->cuCtxSetCurrent(dev->context);
    CUresult rc = dev->cu->cuMemcpyHtoD_v2(*(CUdeviceptr *)buffer->impl, src, bytes);
    return rc ? cu_fail(dev->cu, err, "cuMemcpyHtoD", rc, &buffer->device->info) : TSR_OK;
}

static tsr_status cuda_read(tsr_buffer *buffer, void *dst, size_t bytes, tsr_error *err)
{
    cuda_device *dev = buffer->device->impl;
    if (bytes > buffer->bytes)
        return tsr_fail(err, TSR_ERR_INPUT, "read of %zu bytes from a buffer of %zu", bytes,
                        buffer->bytes);
    dev->cu->cuCtxSetCurrent(dev->context);
    CUresult rc = dev->cu->cuMemcpyDtoH_v2(dst, *(CUdeviceptr *)buffer->impl, bytes);
    return rc ? cu_fail(dev->cu, err, "cuMemcpyDtoH", rc, &buffer->device->info) : TSR_OK;
}

/* Refuses a launch the driver would refuse, with the numbers that say why. */
static tsr_status check_geometry(const tsr_kernel *kernel, const tsr_geometry *g, tsr_error *err)
{
    size_t threads = 1;
    for (int d = 0; d < 3; d++) {
        size_t local = d < g->dims ? g->local[d] : 1, groups = d < g->dims ? g->groups[d] : 1;
        if (local == 0 || groups == 0 || groups > 0x7fffffffu || local > 0xffffu)
            return tsr_fail(err, TSR_ERR_INPUT,
                            "launch of %zu groups of %zu threads in axis %d on %s", groups, local,
                            d, kernel->device->info.id);
        threads *= local;
    }
    if (g->shared_bytes > 0x7fffffffu)
        return tsr_fail(err, TSR_ERR_INPUT, "launch with %zu bytes of dynamic shared memory on %s",
                        g->shared_bytes, kernel->device->info.id);
    if (threads > kernel->max_work_group_size)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "block of %zu threads exceeds this kernel's limit of %zu on %s", threads,
                        kernel->max_work_group_size, kernel->device->info.id);
    return TSR_OK;
}

enum { MAX_KERNEL_ARGS = 32 };

static tsr_status cuda_launch(tsr_kernel *kernel, const tsr_arg *args, int n_args,
                              const tsr_geometry *g, double *elapsed_ms, tsr_error *err)
{
    cuda_device *dev = kernel->device->impl;
    const tsr_cuda_driver *cu = dev->cu;
    const tsr_device_info *info = &kernel->device->info;
    if (n_args < 0 || n_args > MAX_KERNEL_ARGS)
        return tsr_fail(err, TSR_ERR_INPUT, "%d kernel arguments (at most %d)", n_args,
                        MAX_KERNEL_ARGS);
    TSR_TRY(check_geometry(kernel, g, err));
    /* cuLaunchKernel takes the address of each argument's value. */
    void *params[MAX_KERNEL_ARGS + 1] = {NULL};
    for (int i = 0; i < n_args; i++)
        params[i] = args[i].kind == TSR_ARG_BUFFER ? args[i].buffer->impl
                    : args[i].kind == TSR_ARG_INT  ? (void *)&args[i].i
                                                   : (void *)&args[i].f;
    size_t size[2][3];
    for (int d = 0; d < 3; d++) {
        size[0][d] = d < g->dims ? g->groups[d] : 1;
        size[1][d] = d < g->dims ? g->local[d] : 1;
    }
    cu->cuCtxSetCurrent(dev->context);
    CUevent start = NULL, end = NULL;
    CUresult rc = CUDA_SUCCESS;
    const char *call = "cuFuncSetAttribute (dynamic shared memory)";
    /* More than 48 KiB of dynamic shared memory needs the function's
     * consent first; the driver refuses more than the GPU's opt-in limit. */
    cuda_kernel *impl = kernel->impl;
    if (g->shared_bytes > impl->dynamic_shared_allowed) {
        rc = cu->cuFuncSetAttribute(impl->function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                    (int)g->shared_bytes);
        if (rc == CUDA_SUCCESS)
            impl->dynamic_shared_allowed = g->shared_bytes;
    }
    if (rc == CUDA_SUCCESS)
        call = "cuEventCreate";
    if (elapsed_ms && rc == CUDA_SUCCESS && (rc = cu->cuEventCreate(&start, 0)) == CUDA_SUCCESS)
        rc = cu->cuEventCreate(&end, 0);
    if (elapsed_ms && rc == CUDA_SUCCESS) {
        call = "cuEventRecord";
        rc = cu->cuEventRecord(start, NULL);
    }
    if (rc == CUDA_SUCCESS) {
        call = "cuLaunchKernel";
        rc =
            cu->cuLaunchKernel(impl->function, (unsigned)size[0][0], (unsigned)size[0][1],
                               (unsigned)size[0][2], (unsigned)size[1][0], (unsigned)size[1][1],
                               (unsigned)size[1][2], (unsigned)g->shared_bytes, NULL, params, NULL);
    }
    if (rc == CUDA_SUCCESS && elapsed_ms) {
        call = "cuEventRecord";
        rc = cu->cuEventRecord(end, NULL);
        if (rc == CUDA_SUCCESS) {
            call = "the kernel run (cuEventSynchronize)";
            rc = cu->cuEventSynchronize(end);
        }
        float ms = 0;
        if (rc == CUDA_SUCCESS) {
            call = "cuEventElapsedTime";
            rc = cu->cuEventElapsedTime(&ms, start, end);
        }
        *elapsed_ms = ms;
    }
    /* Always wait: a fault surfaces here, not in some later call. */
    if (rc == CUDA_SUCCESS) {
        call = "the kernel run (cuCtxSynchronize)";
        rc = cu->cuCtxSynchronize();
    }
    if (start)
        cu->cuEventDestroy_v2(start);
    if (end)
        cu->cuEventDestroy_v2(end);
    return rc == CUDA_SUCCESS ? TSR_OK : cu_fail(cu, err, call, rc, info);
}

const tsr_backend tsr_backend_cuda = {
    .name = "cuda",
    .dialect = "cuda",
    .list = cuda_list,
    .open = cuda_open,
    .close = cuda_close,
    .compile = cuda_compile,
    .release = cuda_release,
    .alloc = cuda_alloc,
    .free = cuda_free,
    .write = cuda_write,
    .read = cuda_read,
    .launch = cuda_launch,
};
