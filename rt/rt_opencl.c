/* libtessera-rt on OpenCL (see tessera_rt_opencl.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/rt_internal.h"
#include <tessera/tessera_rt_opencl.h>

/* One built kernel per (context, device, bundle entry). */
typedef struct rt_cl_entry {
    cl_context context;
    cl_device_id device;
    long index;
    cl_program program;
    cl_kernel kernel;
} rt_cl_entry;

struct rt_opencl_cache {
    rt_cl_entry *entries;
    size_t count, capacity;
    /* place: the context; queue: the queue, retained from the workspace's
     * first allocation (so that no other queue takes its address while
     * the bundle is open) until the bundle is closed; `last` the last
     * command on the buffer, the fill and then each launch: the next
     * launch waits for it, so that launches on an out-of-order queue do
     * not share it at once either. */
    rt_workspaces workspaces;
};

void rt_opencl_release(struct rt_opencl_cache *cache)
{
    if (!cache)
        return;
    for (size_t i = 0; i < cache->count; i++) {
        clReleaseKernel(cache->entries[i].kernel);
        clReleaseProgram(cache->entries[i].program);
        clReleaseContext(cache->entries[i].context);
    }
    /* A buffer released with commands pending lives until they finish. */
    for (size_t i = 0; i < cache->workspaces.count; i++) {
        const rt_workspace *w = &cache->workspaces.items[i];
        if (!w->buffer)
            continue;
        clReleaseEvent((cl_event)w->last);
        clReleaseMemObject((cl_mem)w->buffer);
        clReleaseCommandQueue((cl_command_queue)w->queue);
    }
    free(cache->entries);
    free(cache->workspaces.items);
    free(cache);
}

/* The build log's first line of interest, for the message. */
static void build_log(cl_program program, cl_device_id device, char *out, size_t size)
{
    size_t length = 0;
    out[0] = '\0';
    if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, NULL, &length) !=
        CL_SUCCESS)
        return;
    char *log = malloc(length + 1);
    if (log && clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, length, log, NULL) ==
                   CL_SUCCESS) {
        log[length] = '\0';
        for (char *c = log; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        snprintf(out, size, "%s", log);
    }
    free(log);
}

/* The ocloc binary of the bundle, on an Intel device: tried as it is, and
 * given up (for the source) when the driver will not take it, as for a
 * device of another generation. *program stays NULL then. */
static int program_from_binary(tsr_rt_bundle *b, cl_context context, cl_device_id device,
                               long index, cl_program *program, char *err, size_t err_size)
{
    *program = NULL;
    char vendor[128] = "";
    clGetDeviceInfo(device, CL_DEVICE_VENDOR, sizeof vendor - 1, vendor, NULL);
    if (!strstr(vendor, "Intel"))
        return TSR_RT_OK;
    const tsr_manifest_kernel *k = &b->manifest->kernels[index];
    for (int i = 0; i < k->n_binaries; i++) {
        const tsr_manifest_binary *bin = &k->binaries[i];
        if (strcmp(bin->kind, "bin") != 0)
            continue;
        char *data = NULL;
        size_t length = 0;
        int rc = rt_read_file(b, bin->file, bin->sha256, &data, &length, err, err_size);
        if (rc)
            return rc;
        cl_int status = CL_INVALID_BINARY, built = CL_INVALID_BINARY;
        const unsigned char *bytes = (const unsigned char *)data;
        cl_program p = length ? clCreateProgramWithBinary(context, 1, &device, &length, &bytes,
                                                          &built, &status)
                              : NULL;
        free(data);
        if (p && status == CL_SUCCESS && built == CL_SUCCESS &&
            clBuildProgram(p, 1, &device, "", NULL, NULL) == CL_SUCCESS) {
            *program = p;
            snprintf(b->kernels[index].loaded, sizeof b->kernels[index].loaded, "bin %s",
                     bin->target);
            return TSR_RT_OK;
        }
        if (p)
            clReleaseProgram(p);
    }
    return TSR_RT_OK;
}

/* Builds the entry's kernel for the queue's context and device, as the
 * tuner built it (-cl-mad-enable), or finds it built. Called locked. */
static int kernel_for(tsr_rt_bundle *b, cl_context context, cl_device_id device, long index,
                      cl_kernel *out, char *err, size_t err_size)
{
    if (!b->opencl && !(b->opencl = calloc(1, sizeof *b->opencl)))
        return rt_fail(err, err_size, TSR_RT_ERR_BACKEND, "out of memory");
    struct rt_opencl_cache *c = b->opencl;
    for (size_t i = 0; i < c->count; i++)
        if (c->entries[i].context == context && c->entries[i].device == device &&
            c->entries[i].index == index) {
            *out = c->entries[i].kernel;
            return TSR_RT_OK;
        }
    void *entries = c->entries;
    int reserved = rt_reserve(&entries, &c->capacity, c->count, sizeof *c->entries, err, err_size);
    c->entries = entries;
    if (reserved)
        return reserved;
    const tsr_manifest_kernel *k = &b->manifest->kernels[index];
    cl_program program = NULL;
    int rc = program_from_binary(b, context, device, index, &program, err, err_size);
    if (rc)
        return rc;
    cl_int status = CL_SUCCESS;
    if (!program) {
        char *source = NULL;
        rc = rt_read_source(b, index, &source, err, err_size);
        if (rc)
            return rc;
        const char *text = source;
        program = clCreateProgramWithSource(context, 1, &text, NULL, &status);
        free(source);
        if (status != CL_SUCCESS)
            return rt_fail(err, err_size, TSR_RT_ERR_BACKEND, "clCreateProgramWithSource: %d",
                           status);
        status = clBuildProgram(program, 1, &device, "-cl-mad-enable", NULL, NULL);
        snprintf(b->kernels[index].loaded, sizeof b->kernels[index].loaded, "OpenCL C source");
    }
    if (status != CL_SUCCESS) {
        char log[400];
        build_log(program, device, log, sizeof log);
        clReleaseProgram(program);
        return rt_fail(err, err_size, TSR_RT_ERR_BACKEND, "building %s: OpenCL error %d: %s",
                       k->file, status, log);
    }
    cl_kernel kernel = clCreateKernel(program, k->kernel_name, &status);
    if (status != CL_SUCCESS) {
        clReleaseProgram(program);
        return rt_fail(err, err_size, TSR_RT_ERR_BACKEND, "no kernel %s in %s: OpenCL error %d",
                       k->kernel_name, k->file, status);
    }
    clRetainContext(context);
    c->entries[c->count++] = (rt_cl_entry){context, device, index, program, kernel};
    *out = kernel;
    return TSR_RT_OK;
}

/* The queue's workspace, of at least `bytes` (rounded up to whole 32-bit
 * words), or a code with the message: made, or made again larger, and
 * zeroed on the queue. Called locked, after kernel_for made the cache. */
static int workspace_for(struct rt_opencl_cache *c, cl_context context, cl_command_queue queue,
                         size_t bytes, rt_workspace **out, char *err, size_t err_size)
{
    rt_workspace *w = rt_workspace_slot(&c->workspaces, (uintptr_t)context, (uintptr_t)queue, false,
                                        err, err_size);
    *out = w;
    if (!w)
        return TSR_RT_ERR_BACKEND;
    if (w->bytes >= bytes)
        return TSR_RT_OK;
    size_t words = bytes / sizeof(cl_int) + (bytes % sizeof(cl_int) != 0);
    cl_int status = CL_SUCCESS;
    cl_mem buffer =
        clCreateBuffer(context, CL_MEM_READ_WRITE, words * sizeof(cl_int), NULL, &status);
    if (status != CL_SUCCESS)
        return rt_fail(err, err_size, TSR_RT_ERR_BACKEND,
                       "clCreateBuffer (a workspace of %zu bytes): OpenCL error %d", bytes, status);
    const cl_int zero = 0;
    cl_event filled = NULL;
    status = clEnqueueFillBuffer(queue, buffer, &zero, sizeof zero, 0, words * sizeof(cl_int), 0,
                                 NULL, &filled);
    if (status != CL_SUCCESS) {
        clReleaseMemObject(buffer);
        return rt_fail(err, err_size, TSR_RT_ERR_BACKEND,
                       "clEnqueueFillBuffer (zeroing a workspace): OpenCL error %d", status);
    }
    if (w->buffer) {
        /* Launches still queued on the old buffer keep it until they end. */
        clReleaseEvent((cl_event)w->last);
        clReleaseMemObject((cl_mem)w->buffer);
    } else {
        clRetainCommandQueue(queue);
    }
    w->buffer = buffer;
    w->bytes = words * sizeof(cl_int);
    w->last = filled;
    return TSR_RT_OK;
}

static cl_int set_args(cl_kernel kernel, const rt_kernel *k, const rt_call *call)
{
    cl_int status = CL_SUCCESS;
    for (int i = 0; i < k->n_args && status == CL_SUCCESS; i++) {
        const rt_arg *a = &k->args[i];
        if (a->kind == RT_BUFFER)
            status = clSetKernelArg(kernel, (cl_uint)i, sizeof(cl_mem), call->buffers[a->slot]);
        else if (a->kind == RT_WORKSPACE)
            status = clSetKernelArg(kernel, (cl_uint)i, sizeof(cl_mem), call->workspace);
        else if (a->kind == RT_INT)
            status = clSetKernelArg(kernel, (cl_uint)i, sizeof(int), &call->ints[a->slot]);
        else if (a->kind == RT_DOUBLE)
            status = clSetKernelArg(kernel, (cl_uint)i, sizeof(double), &call->doubles[a->slot]);
        else
            status = clSetKernelArg(kernel, (cl_uint)i, sizeof(float), &call->floats[a->slot]);
    }
    return status;
}

/* The kernel on the queue, its arguments set; with a workspace, after the
 * last command on it, and then the last itself. Called locked. */
static cl_int enqueue(cl_command_queue queue, cl_kernel kernel, const rt_kernel *rk,
                      const rt_call *call, const tsr_geometry *geometry, rt_workspace *w,
                      cl_event *done)
{
    size_t global[3];
    for (int d = 0; d < 3; d++)
        global[d] = geometry->groups[d] * geometry->local[d];
    cl_int status = set_args(kernel, rk, call);
    cl_event last = w ? (cl_event)w->last : NULL, launched = NULL;
    if (status == CL_SUCCESS)
        status = clEnqueueNDRangeKernel(queue, kernel, (cl_uint)geometry->dims, NULL, global,
                                        geometry->local, w ? 1 : 0, w ? &last : NULL,
                                        w ? &launched : done);
    if (status == CL_SUCCESS && w) {
        clReleaseEvent(last);
        w->last = launched;
        if (done && clRetainEvent(launched) == CL_SUCCESS)
            *done = launched;
    }
    return status;
}

/* Any op: the pick for the call, built for the queue, launched; the
 * queue's workspace in call->workspace when the kernel takes one. */
static int launch(tsr_rt_bundle *b, cl_command_queue queue, rt_call *call, cl_event *done,
                  char *err, size_t err_size)
{
    long index;
    int rc = rt_pick_call(b, "opencl", call, &index, err, err_size);
    if (rc)
        return rc;
    cl_context context;
    cl_device_id device;
    if (clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof context, &context, NULL) !=
            CL_SUCCESS ||
        clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL) != CL_SUCCESS)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "not an OpenCL command queue");
    pthread_mutex_lock(&b->lock);
    const rt_kernel *rk = &b->kernels[index];
    cl_kernel kernel = NULL;
    rt_workspace *w = NULL;
    rc = kernel_for(b, context, device, index, &kernel, err, err_size);
    tsr_geometry geometry;
    if (!rc)
        rc = rt_geometry(rk, call, &geometry, err, err_size);
    if (!rc && geometry.workspace_bytes)
        rc = workspace_for(b->opencl, context, queue, geometry.workspace_bytes, &w, err, err_size);
    if (!rc) {
        call->workspace = w ? &w->buffer : NULL;
        cl_int status = enqueue(queue, kernel, rk, call, &geometry, w, done);
        if (status != CL_SUCCESS)
            rc = rt_fail(err, err_size, TSR_RT_ERR_BACKEND, "launching %s: OpenCL error %d",
                         b->manifest->kernels[index].file, status);
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

int tsr_rt_gemm_ex_opencl(tsr_rt_bundle *b, cl_command_queue queue, const tsr_rt_gemm_desc *desc,
                          cl_mem a, cl_mem bm, cl_mem c, cl_mem bias, cl_mem r, cl_event *done,
                          char *err, size_t err_size)
{
    const void *const handles[RT_MAX_BUFFERS] = {&a, &bm, &c, &bias, &r};
    const bool given[RT_MAX_BUFFERS] = {a != NULL, bm != NULL, c != NULL, bias != NULL, r != NULL};
    rt_call call;
    int rc = rt_gemm_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, queue, &call, done, err, err_size);
}

int tsr_rt_gemm_opencl(tsr_rt_bundle *b, cl_command_queue queue, tsr_rt_layout a_layout,
                       tsr_rt_layout b_layout, int m, int n, int k, float alpha, cl_mem a,
                       cl_mem bm, float beta, cl_mem c, cl_event *done, char *err, size_t err_size)
{
    tsr_rt_gemm_desc desc = rt_plain_gemm_desc(a_layout, b_layout, m, n, k, alpha, beta);
    return tsr_rt_gemm_ex_opencl(b, queue, &desc, a, bm, c, NULL, NULL, done, err, err_size);
}

int tsr_rt_rows_opencl(tsr_rt_bundle *b, cl_command_queue queue, const tsr_rt_rows_desc *desc,
                       cl_mem x, cl_mem gamma, cl_mem beta, cl_mem y, cl_event *done, char *err,
                       size_t err_size)
{
    const void *const handles[4] = {&x, &y, &gamma, &beta};
    const bool given[4] = {x != NULL, y != NULL, gamma != NULL, beta != NULL};
    rt_call call;
    int rc = rt_rows_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, queue, &call, done, err, err_size);
}

int tsr_rt_softmax_opencl(tsr_rt_bundle *b, cl_command_queue queue, int rows, int cols, cl_mem x,
                          cl_mem y, cl_event *done, char *err, size_t err_size)
{
    tsr_rt_rows_desc desc;
    tsr_rt_rows_desc_init(&desc, TSR_RT_SOFTMAX, rows, cols);
    return tsr_rt_rows_opencl(b, queue, &desc, x, NULL, NULL, y, done, err, err_size);
}

int tsr_rt_permute_opencl(tsr_rt_bundle *b, cl_command_queue queue, const tsr_rt_permute_desc *desc,
                          cl_mem x, cl_mem y, cl_event *done, char *err, size_t err_size)
{
    const void *const handles[2] = {&x, &y};
    const bool given[2] = {x != NULL, y != NULL};
    rt_call call;
    int rc = rt_permute_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, queue, &call, done, err, err_size);
}

int tsr_rt_attention_opencl(tsr_rt_bundle *b, cl_command_queue queue,
                            const tsr_rt_attention_desc *desc, cl_mem q, cl_mem k, cl_mem v,
                            cl_mem o, cl_event *done, char *err, size_t err_size)
{
    const void *const handles[4] = {&q, &k, &v, &o};
    const bool given[4] = {q != NULL, k != NULL, v != NULL, o != NULL};
    rt_call call;
    int rc = rt_attention_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, queue, &call, done, err, err_size);
}

int tsr_rt_conv2d_opencl(tsr_rt_bundle *b, cl_command_queue queue, const tsr_rt_conv2d_desc *desc,
                         cl_mem x, cl_mem w, cl_mem bias, cl_mem y, cl_event *done, char *err,
                         size_t err_size)
{
    const void *const handles[4] = {&x, &y, &w, &bias};
    const bool given[4] = {x != NULL, y != NULL, w != NULL, bias != NULL};
    rt_call call;
    int rc = rt_conv2d_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, queue, &call, done, err, err_size);
}
