/* The OpenCL backend: OpenCL 1.2 through the ICD loader, so that one binary
 * drives every vendor's platform (and PoCL on the CPU in CI).
 *
 * Every call is blocking and every OpenCL error becomes one line naming the
 * call, the symbolic error and the device: the tuner records such a line as
 * a failed candidate and goes on. */
#include "backends/opencl_impl.h"

#include <CL/cl_ext.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backends_list.h"
#include "backends/log_line.h"

typedef struct ocl_device {
    cl_platform_id platform;
    cl_device_id id;
    cl_context context;
    cl_command_queue queue;
} ocl_device;

typedef struct ocl_kernel {
    cl_program program;
    cl_kernel kernel;
} ocl_kernel;

/* Build logs can run to pages; an error is one line, so the log is cut. */
enum { LOG_MAX_CHARS = 800 };

/* ---- devices ---------------------------------------------------------------- */

static void ocl_close(tsr_device *device)
{
    if (!device)
        return;
    ocl_device *dev = device->impl;
    if (dev) {
        if (dev->queue)
            clReleaseCommandQueue(dev->queue);
        if (dev->context)
            clReleaseContext(dev->context);
        free(dev);
    }
    free(device);
}

/* A context of its own and an in-order queue that records timestamps. */
static tsr_status create_context(tsr_device *device, ocl_device *dev, tsr_error *err)
{
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)dev->platform, 0};
    cl_int rc;
    dev->context = clCreateContext(props, 1, &dev->id, NULL, NULL, &rc);
    if (rc != CL_SUCCESS)
        return tsr_opencl_fail(err, "clCreateContext", rc, device->info.name);
    dev->queue = clCreateCommandQueue(dev->context, dev->id, CL_QUEUE_PROFILING_ENABLE, &rc);
    if (rc != CL_SUCCESS)
        return tsr_opencl_fail(err, "clCreateCommandQueue", rc, device->info.name);
    return TSR_OK;
}

static tsr_status ocl_open(int index, tsr_device **out, tsr_error *err)
{
    ocl_entry entries[TSR_MAX_DEVICES];
    int n = 0;
    *out = NULL;
    TSR_TRY(tsr_opencl_enumerate(entries, TSR_MAX_DEVICES, &n, err));
    if (index < 0 || index >= n)
        return tsr_fail(err, TSR_ERR_NOT_FOUND, "no device opencl:%d (%d OpenCL device%s)", index,
                        n, n == 1 ? "" : "s");
    tsr_device *device = calloc(1, sizeof *device);
    ocl_device *dev = calloc(1, sizeof *dev);
    if (!device || !dev) {
        free(device);
        free(dev);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory opening opencl:%d", index);
    }
    device->backend = &tsr_backend_opencl;
    device->impl = dev;
    dev->platform = entries[index].platform;
    dev->id = entries[index].device;
    tsr_status status = tsr_opencl_describe(index, &entries[index], &device->info, err);
    if (status == TSR_OK)
        status = create_context(device, dev, err);
    if (status != TSR_OK) {
        ocl_close(device);
        return status;
    }
    *out = device;
    return TSR_OK;
}

/* ---- programs and kernels -------------------------------------------------- */

static tsr_status build_failure(tsr_device *device, cl_program program, cl_int build_rc,
                                tsr_error *err)
{
    ocl_device *dev = device->impl;
    size_t size = 0;
    char *log = NULL;
    if (clGetProgramBuildInfo(program, dev->id, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) == CL_SUCCESS)
        log = calloc(size + 1, 1);
    if (log && clGetProgramBuildInfo(program, dev->id, CL_PROGRAM_BUILD_LOG, size, log, NULL) !=
                   CL_SUCCESS)
        log[0] = '\0';
    char line[LOG_MAX_CHARS + 1];
    tsr_squeeze_log(log ? log : "", line, sizeof line);
    free(log);
    if (line[0] == '\0')
        return tsr_opencl_fail(err, "clBuildProgram", build_rc, device->info.name);
    return tsr_fail(err, TSR_ERR_BACKEND, "build failed on %s: %s", device->info.name, line);
}

static void ocl_release(tsr_kernel *kernel)
{
    if (!kernel)
        return;
    ocl_kernel *impl = kernel->impl;
    if (impl) {
        if (impl->kernel)
            clReleaseKernel(impl->kernel);
        if (impl->program)
            clReleaseProgram(impl->program);
        free(impl);
    }
    free(kernel);
}

/* What the compiler made of the kernel: the work-group limit for this
 * kernel (often below the device's) and its memory footprint. */
static cl_int query_kernel(tsr_kernel *kernel, cl_device_id device)
{
    ocl_kernel *impl = kernel->impl;
    size_t group = 0;
    cl_ulong local = 0, private_bytes = 0;
    cl_int rc = clGetKernelWorkGroupInfo(impl->kernel, device, CL_KERNEL_WORK_GROUP_SIZE,
                                         sizeof group, &group, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetKernelWorkGroupInfo(impl->kernel, device, CL_KERNEL_LOCAL_MEM_SIZE, sizeof local,
                                      &local, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetKernelWorkGroupInfo(impl->kernel, device, CL_KERNEL_PRIVATE_MEM_SIZE,
                                      sizeof private_bytes, &private_bytes, NULL);
    kernel->max_work_group_size = group;
    kernel->local_bytes = local;
    kernel->private_bytes = private_bytes;
    return rc;
}

static tsr_status ocl_compile(tsr_device *device, const char *source, const char *kernel_name,
                              const char *options, tsr_kernel **out, tsr_error *err)
{
    ocl_device *dev = device->impl;
    *out = NULL;
    tsr_kernel *kernel = calloc(1, sizeof *kernel);
    ocl_kernel *impl = calloc(1, sizeof *impl);
    if (!kernel || !impl) {
        free(kernel);
        free(impl);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory compiling %s", kernel_name);
    }
    kernel->device = device;
    kernel->impl = impl;
    cl_int rc;
    tsr_status status = TSR_OK;
    impl->program = clCreateProgramWithSource(dev->context, 1, &source, NULL, &rc);
    if (rc != CL_SUCCESS)
        status = tsr_opencl_fail(err, "clCreateProgramWithSource", rc, device->info.name);
    if (status == TSR_OK) {
        /* a*b+c may fuse: the verifier's bounds allow it, and GPUs want it */
        char all_options[1024];
        snprintf(all_options, sizeof all_options, "-cl-mad-enable %s", options ? options : "");
        rc = clBuildProgram(impl->program, 1, &dev->id, all_options, NULL, NULL);
        if (rc != CL_SUCCESS)
            status = build_failure(device, impl->program, rc, err);
    }
    if (status == TSR_OK) {
        impl->kernel = clCreateKernel(impl->program, kernel_name, &rc);
        if (rc != CL_SUCCESS)
            status = tsr_fail(err, TSR_ERR_BACKEND, "clCreateKernel('%s'): %s (%d) on %s",
                              kernel_name, tsr_opencl_error_name(rc), (int)rc, device->info.name);
    }
    if (status == TSR_OK && (rc = query_kernel(kernel, dev->id)) != CL_SUCCESS)
        status = tsr_opencl_fail(err, "clGetKernelWorkGroupInfo", rc, device->info.name);
    if (status != TSR_OK) {
        ocl_release(kernel);
        return status;
    }
    *out = kernel;
    return TSR_OK;
}

/* ---- buffers ---------------------------------------------------------------- */

static tsr_status ocl_alloc(tsr_device *device, size_t bytes, tsr_buffer **out, tsr_error *err)
{
    ocl_device *dev = device->impl;
    *out = NULL;
    if (bytes == 0)
        return tsr_fail(err, TSR_ERR_INPUT, "cannot allocate an empty buffer on %s",
                        device->info.name);
    tsr_buffer *buffer = calloc(1, sizeof *buffer);
    if (!buffer)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory allocating a buffer");
    cl_int rc;
    cl_mem mem = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, bytes, NULL, &rc);
    if (rc != CL_SUCCESS) {
        free(buffer);
        return tsr_fail(err, TSR_ERR_BACKEND, "clCreateBuffer(%zu bytes): %s (%d) on %s", bytes,
                        tsr_opencl_error_name(rc), (int)rc, device->info.name);
    }
    buffer->device = device;
    buffer->bytes = bytes;
    buffer->impl = mem;
    *out = buffer;
    return TSR_OK;
}

static void ocl_free(tsr_buffer *buffer)
{
    if (!buffer)
        return;
    if (buffer->impl)
        clReleaseMemObject((cl_mem)buffer->impl);
    free(buffer);
}

static tsr_status check_copy(const tsr_buffer *buffer, size_t bytes, const char *what,
                             tsr_error *err)
{
    if (bytes > buffer->bytes)
        return tsr_fail(err, TSR_ERR_INPUT, "cannot %s %zu bytes: the buffer holds %zu", what,
                        bytes, buffer->bytes);
    return TSR_OK;
}

static tsr_status ocl_write(tsr_buffer *buffer, const void *src, size_t bytes, tsr_error *err)
{
    TSR_TRY(check_copy(buffer, bytes, "write", err));
    if (bytes == 0)
        return TSR_OK;
    ocl_device *dev = buffer->device->impl;
    cl_int rc = clEnqueueWriteBuffer(dev->queue, (cl_mem)buffer->impl, CL_TRUE, 0, bytes, src, 0,
                                     NULL, NULL);
    if (rc != CL_SUCCESS)
        return tsr_opencl_fail(err, "clEnqueueWriteBuffer", rc, buffer->device->info.name);
    return TSR_OK;
}

static tsr_status ocl_read(tsr_buffer *buffer, void *dst, size_t bytes, tsr_error *err)
{
    TSR_TRY(check_copy(buffer, bytes, "read", err));
    if (bytes == 0)
        return TSR_OK;
    ocl_device *dev = buffer->device->impl;
    cl_int rc = clEnqueueReadBuffer(dev->queue, (cl_mem)buffer->impl, CL_TRUE, 0, bytes, dst, 0,
                                    NULL, NULL);
    if (rc != CL_SUCCESS)
        return tsr_opencl_fail(err, "clEnqueueReadBuffer", rc, buffer->device->info.name);
    return TSR_OK;
}

/* ---- launches --------------------------------------------------------------- */

static tsr_status set_args(tsr_kernel *kernel, const tsr_arg *args, int n_args, tsr_error *err)
{
    cl_kernel k = ((ocl_kernel *)kernel->impl)->kernel;
    for (int i = 0; i < n_args; i++) {
        cl_int rc = CL_INVALID_ARG_VALUE;
        cl_int as_int = args[i].i;
        cl_float as_float = args[i].f;
        cl_mem mem = args[i].buffer ? (cl_mem)args[i].buffer->impl : NULL;
        switch (args[i].kind) {
        case TSR_ARG_BUFFER:
            if (!mem)
                return tsr_fail(err, TSR_ERR_INPUT, "kernel argument %d: no buffer given", i);
            rc = clSetKernelArg(k, (cl_uint)i, sizeof mem, &mem);
            break;
        case TSR_ARG_INT: rc = clSetKernelArg(k, (cl_uint)i, sizeof as_int, &as_int); break;
        case TSR_ARG_FLOAT: rc = clSetKernelArg(k, (cl_uint)i, sizeof as_float, &as_float); break;
        case TSR_ARG_DOUBLE: {
            cl_double as_double = args[i].d;
            rc = clSetKernelArg(k, (cl_uint)i, sizeof as_double, &as_double);
            break;
        }
        }
        if (rc != CL_SUCCESS)
            return tsr_fail(err, TSR_ERR_BACKEND, "clSetKernelArg(argument %d): %s (%d) on %s", i,
                            tsr_opencl_error_name(rc), (int)rc, kernel->device->info.name);
    }
    return TSR_OK;
}

static tsr_status global_size(const tsr_geometry *geometry, size_t global[3], tsr_error *err)
{
    if (geometry->dims < 1 || geometry->dims > 3)
        return tsr_fail(err, TSR_ERR_INPUT, "a launch has 1 to 3 dimensions, not %d",
                        geometry->dims);
    for (int d = 0; d < geometry->dims; d++) {
        size_t groups = geometry->groups[d], local = geometry->local[d];
        if (groups == 0 || local == 0)
            return tsr_fail(err, TSR_ERR_INPUT, "empty launch: %zu groups of %zu in dimension %d",
                            groups, local, d);
        if (groups > SIZE_MAX / local)
            return tsr_fail(err, TSR_ERR_INPUT, "launch too large in dimension %d", d);
        global[d] = groups * local;
    }
    return TSR_OK;
}

static tsr_status enqueue_failure(tsr_kernel *kernel, const tsr_geometry *g, cl_int rc,
                                  tsr_error *err)
{
    const tsr_device_info *info = &kernel->device->info;
    size_t l[3] = {1, 1, 1};
    for (int d = 0; d < g->dims; d++)
        l[d] = g->local[d];
    /* The limit that was broken, so the reader needs no second query. */
    char limit[128] = "";
    if (rc == CL_INVALID_WORK_GROUP_SIZE)
        snprintf(limit, sizeof limit, " (this kernel allows %zu work-items per group)",
                 kernel->max_work_group_size);
    else if (rc == CL_INVALID_WORK_ITEM_SIZE)
        snprintf(limit, sizeof limit, " (the device allows %zux%zux%zu)",
                 info->max_work_item_sizes[0], info->max_work_item_sizes[1],
                 info->max_work_item_sizes[2]);
    return tsr_fail(err, TSR_ERR_BACKEND,
                    "clEnqueueNDRangeKernel(local %zux%zux%zu): %s (%d) on %s%s", l[0], l[1], l[2],
                    tsr_opencl_error_name(rc), (int)rc, info->name, limit);
}

/* Waits for the launch; a kernel that faulted shows as a negative status. */
static tsr_status finish(tsr_kernel *kernel, cl_event event, double *elapsed_ms, tsr_error *err)
{
    const char *name = kernel->device->info.name;
    cl_int rc = clWaitForEvents(1, &event);
    cl_int state = CL_COMPLETE;
    if (clGetEventInfo(event, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof state, &state, NULL) ==
            CL_SUCCESS &&
        state < 0)
        rc = state;
    if (rc != CL_SUCCESS)
        return tsr_opencl_fail(err, "kernel execution", rc, name);
    if (!elapsed_ms)
        return TSR_OK;
    cl_ulong start = 0, end = 0;
    rc = clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
    if (rc != CL_SUCCESS)
        return tsr_opencl_fail(err, "clGetEventProfilingInfo", rc, name);
    *elapsed_ms = end > start ? (double)(end - start) * 1e-6 : 0.0;
    return TSR_OK;
}

static tsr_status ocl_launch(tsr_kernel *kernel, const tsr_arg *args, int n_args,
                             const tsr_geometry *geometry, double *elapsed_ms, tsr_error *err)
{
    size_t global[3];
    TSR_TRY(global_size(geometry, global, err));
    TSR_TRY(set_args(kernel, args, n_args, err));
    ocl_device *dev = kernel->device->impl;
    cl_event event = NULL;
    cl_int rc = clEnqueueNDRangeKernel(dev->queue, ((ocl_kernel *)kernel->impl)->kernel,
                                       (cl_uint)geometry->dims, NULL, global, geometry->local, 0,
                                       NULL, &event);
    if (rc != CL_SUCCESS)
        return enqueue_failure(kernel, geometry, rc, err);
    tsr_status status = finish(kernel, event, elapsed_ms, err);
    clReleaseEvent(event);
    return status;
}

/* ---- what opencl_clblast.c needs -------------------------------------------- */

cl_context tsr_opencl_context(const tsr_device *device)
{
    return ((const ocl_device *)device->impl)->context;
}

cl_command_queue tsr_opencl_queue(const tsr_device *device)
{
    return ((const ocl_device *)device->impl)->queue;
}

cl_device_id tsr_opencl_device_id(const tsr_device *device)
{
    return ((const ocl_device *)device->impl)->id;
}

cl_mem tsr_opencl_mem(const tsr_buffer *buffer)
{
    return (cl_mem)buffer->impl;
}

const tsr_backend tsr_backend_opencl = {
    .name = "opencl",
    .dialect = "opencl",
    .list = tsr_opencl_list,
    .open = ocl_open,
    .close = ocl_close,
    .compile = ocl_compile,
    .release = ocl_release,
    .alloc = ocl_alloc,
    .free = ocl_free,
    .write = ocl_write,
    .read = ocl_read,
    .launch = ocl_launch,
};
