/* libtessera-rt on CUDA (see tessera_rt_cuda.h): the driver API and NVRTC
 * loaded at run time, as the CUDA backend loads them. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cuda_loader.h"
#include "backends/cuda_nvrtc.h"
#include "rt/rt_internal.h"
#include <tessera/tessera_rt_cuda.h>

/* One loaded module per (context, bundle entry). */
typedef struct rt_cu_entry {
    CUcontext context;
    long index;
    CUmodule module;
    CUfunction function;
} rt_cu_entry;

/* CU_STREAM_PER_THREAD (the runtime's cudaStreamPerThread): one handle,
 * each thread's own stream. */
#define RT_CU_STREAM_PER_THREAD ((CUstream)0x2)

struct rt_cuda_cache {
    const tsr_cuda_driver *cu;
    rt_cu_entry *entries;
    size_t count, capacity;
    rt_workspaces workspaces; /* place: the context; queue: the stream */
};

/* Modules are unloaded and workspaces freed in their own contexts; the
 * caller's current context is put back. A context the program destroyed
 * took them with it, and the driver refuses to switch to it: nothing to do
 * then. A workspace's stream may be gone, so its whole context is waited
 * for: a launch may still be using it. */
void rt_cuda_release(struct rt_cuda_cache *cache)
{
    if (!cache)
        return;
    const tsr_cuda_driver *cu = cache->cu;
    CUcontext current = NULL;
    cu->cuCtxGetCurrent(&current);
    for (size_t i = 0; i < cache->count; i++)
        if (cu->cuCtxSetCurrent(cache->entries[i].context) == CUDA_SUCCESS)
            cu->cuModuleUnload(cache->entries[i].module);
    for (size_t i = 0; i < cache->workspaces.count; i++) {
        const rt_workspace *w = &cache->workspaces.items[i];
        if (w->device_pointer && cu->cuCtxSetCurrent((CUcontext)w->place) == CUDA_SUCCESS) {
            cu->cuCtxSynchronize();
            cu->cuMemFree_v2((CUdeviceptr)w->device_pointer);
        }
    }
    cu->cuCtxSetCurrent(current);
    free(cache->entries);
    free(cache->workspaces.items);
    free(cache);
}

static int driver_fail(const tsr_cuda_driver *cu, char *err, size_t size, const char *call,
                       CUresult rc)
{
    const char *name = NULL;
    if (cu->cuGetErrorName(rc, &name) != CUDA_SUCCESS || !name)
        name = "unknown CUDA error";
    return rt_fail(err, size, TSR_RT_ERR_BACKEND, "%s: %s (%d)", call, name, (int)rc);
}

/* A binary of the bundle the device can load as it is: the cubin of its
 * own architecture, else PTX of an architecture it includes (the driver
 * compiles it). *image stays NULL when there is none. */
static int prebuilt_image(tsr_rt_bundle *b, long index, int capability, char **image, char *err,
                          size_t err_size)
{
    const tsr_manifest_kernel *k = &b->manifest->kernels[index];
    /* sm_90 and sm_90a (its own features, such as the warpgroup matrix
     * unit) both run on sm_90 alone; PTX of an "a" target compiles for
     * its own architecture alone, plain PTX for any later one too. */
    char want[32], want_specific[32];
    snprintf(want, sizeof want, "sm_%d", capability);
    snprintf(want_specific, sizeof want_specific, "sm_%da", capability);
    const tsr_manifest_binary *pick = NULL;
    for (int i = 0; i < k->n_binaries; i++)
        if (!strcmp(k->binaries[i].kind, "cubin") &&
            (!strcmp(k->binaries[i].target, want) || !strcmp(k->binaries[i].target, want_specific)))
            pick = &k->binaries[i];
    for (int i = 0; !pick && i < k->n_binaries; i++) {
        int ptx_capability = 0, used = 0;
        const char *target = k->binaries[i].target;
        if (strcmp(k->binaries[i].kind, "ptx") ||
            sscanf(target, "compute_%d%n", &ptx_capability, &used) != 1)
            continue;
        bool specific = target[used] != '\0';
        if (specific ? ptx_capability == capability : ptx_capability <= capability)
            pick = &k->binaries[i];
    }
    *image = NULL;
    if (!pick)
        return TSR_RT_OK;
    int rc = rt_read_file(b, pick->file, pick->sha256, image, NULL, err, err_size);
    if (!rc)
        snprintf(b->kernels[index].loaded, sizeof b->kernels[index].loaded, "%s %s", pick->kind,
                 pick->target);
    return rc;
}

/* Builds the entry for the current context's device, or finds it built.
 * Called locked. */
static int function_for(tsr_rt_bundle *b, const tsr_cuda_driver *cu, CUcontext context, long index,
                        CUfunction *out, char *err, size_t err_size)
{
    if (!b->cuda && !(b->cuda = calloc(1, sizeof *b->cuda)))
        return rt_fail(err, err_size, TSR_RT_ERR_BACKEND, "out of memory");
    struct rt_cuda_cache *c = b->cuda;
    c->cu = cu;
    for (size_t i = 0; i < c->count; i++)
        if (c->entries[i].context == context && c->entries[i].index == index) {
            *out = c->entries[i].function;
            return TSR_RT_OK;
        }
    void *entries = c->entries;
    int reserved = rt_reserve(&entries, &c->capacity, c->count, sizeof *c->entries, err, err_size);
    c->entries = entries;
    if (reserved)
        return reserved;
    CUdevice device;
    int major = 0, minor = 0;
    CUresult rc = cu->cuCtxGetDevice(&device);
    if (rc == CUDA_SUCCESS)
        rc = cu->cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
    if (rc == CUDA_SUCCESS)
        rc = cu->cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
    if (rc != CUDA_SUCCESS)
        return driver_fail(cu, err, err_size, "cuCtxGetDevice", rc);
    char *image = NULL;
    int status = prebuilt_image(b, index, major * 10 + minor, &image, err, err_size);
    if (status)
        return status;
    const tsr_manifest_kernel *k = &b->manifest->kernels[index];
    if (!image) {
        char *source = NULL;
        status = rt_read_source(b, index, &source, err, err_size);
        if (status)
            return status;
        char where[64];
        snprintf(where, sizeof where, "CUDA device %d (sm_%d%d)", (int)device, major, minor);
        tsr_error e = {{0}};
        tsr_status st =
            tsr_cuda_build_image(major * 10 + minor, where, source, NULL, &image, NULL, &e);
        free(source);
        if (st != TSR_OK)
            return rt_fail(err, err_size,
                           st == TSR_ERR_UNSUPPORTED ? TSR_RT_ERR_UNSUPPORTED : TSR_RT_ERR_BACKEND,
                           "%s: %s", k->file, e.msg);
        snprintf(b->kernels[index].loaded, sizeof b->kernels[index].loaded, "CUDA source (NVRTC)");
    }
    CUmodule module;
    rc = cu->cuModuleLoadDataEx(&module, image, 0, NULL, NULL);
    free(image);
    if (rc != CUDA_SUCCESS)
        return driver_fail(cu, err, err_size, "cuModuleLoadDataEx", rc);
    CUfunction function;
    rc = cu->cuModuleGetFunction(&function, module, k->kernel_name);
    if (rc != CUDA_SUCCESS) {
        cu->cuModuleUnload(module);
        return driver_fail(cu, err, err_size, "cuModuleGetFunction", rc);
    }
    /* A kernel launched with more than 48 KiB of dynamic shared memory
     * must be allowed it first (up to the GPU's opt-in limit). */
    size_t shared = b->kernels[index].geometry.shared_bytes;
    if (shared > 0x7fffffffu)
        rc = CUDA_ERROR_INVALID_VALUE;
    else if (shared)
        rc = cu->cuFuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                    (int)shared);
    if (rc != CUDA_SUCCESS) {
        cu->cuModuleUnload(module);
        return driver_fail(cu, err, err_size, "cuFuncSetAttribute (dynamic shared memory)", rc);
    }
    c->entries[c->count++] = (rt_cu_entry){context, index, module, function};
    *out = function;
    return TSR_RT_OK;
}

/* The stream's workspace in the current context, of at least `bytes`, or
 * a code with the message: allocated, or allocated again larger once the
 * stream's launches on the old one are done, and zeroed on the stream.
 * Called locked, after function_for made the cache. */
static int workspace_for(struct rt_cuda_cache *c, CUcontext context, CUstream stream, size_t bytes,
                         CUdeviceptr **out, char *err, size_t err_size)
{
    const tsr_cuda_driver *cu = c->cu;
    rt_workspace *w = rt_workspace_slot(&c->workspaces, (uintptr_t)context, (uintptr_t)stream,
                                        stream == RT_CU_STREAM_PER_THREAD, err, err_size);
    if (!w)
        return TSR_RT_ERR_BACKEND;
    *out = &w->device_pointer;
    if (w->bytes >= bytes)
        return TSR_RT_OK;
    CUresult r;
    if (w->device_pointer) {
        r = cu->cuStreamSynchronize(stream);
        if (r != CUDA_SUCCESS)
            return driver_fail(cu, err, err_size, "cuStreamSynchronize (to replace a workspace)",
                               r);
        cu->cuMemFree_v2((CUdeviceptr)w->device_pointer);
        w->device_pointer = 0;
        w->bytes = 0;
    }
    CUdeviceptr pointer = 0;
    r = cu->cuMemAlloc_v2(&pointer, bytes);
    if (r != CUDA_SUCCESS)
        return driver_fail(cu, err, err_size, "cuMemAlloc (a workspace)", r);
    r = cu->cuMemsetD8Async(pointer, 0, bytes, stream);
    if (r != CUDA_SUCCESS) {
        cu->cuMemFree_v2(pointer);
        return driver_fail(cu, err, err_size, "cuMemsetD8Async (zeroing a workspace)", r);
    }
    w->device_pointer = pointer;
    w->bytes = bytes;
    return TSR_RT_OK;
}

/* Any op: the pick for the call, built for the current context, launched;
 * the stream's workspace in call->workspace when the kernel takes one. */
static int launch(tsr_rt_bundle *b, CUstream stream, rt_call *call, char *err, size_t err_size)
{
    long index;
    int rc = rt_pick_call(b, "cuda", call, &index, err, err_size);
    unsigned grid[3], local[3];
    if (!rc)
        rc = rt_grid(&b->kernels[index], call, grid, local, err, err_size);
    if (rc)
        return rc;
    const char *why = NULL;
    const tsr_cuda_driver *cu = tsr_cuda_driver_load(&why);
    if (!cu)
        return rt_fail(err, err_size, TSR_RT_ERR_UNSUPPORTED, "%s", why);
    CUcontext context = NULL;
    if (cu->cuCtxGetCurrent(&context) != CUDA_SUCCESS || !context)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "no current CUDA context in this thread (make one current first, e.g. "
                       "with cudaSetDevice or cuCtxSetCurrent)");
    pthread_mutex_lock(&b->lock);
    CUfunction function = NULL;
    rc = function_for(b, cu, context, index, &function, err, err_size);
    const rt_kernel *rk = &b->kernels[index];
    tsr_geometry geometry;
    if (!rc)
        rc = rt_geometry(rk, call, &geometry, err, err_size);
    CUdeviceptr *workspace = NULL;
    if (!rc && geometry.workspace_bytes)
        rc = workspace_for(b->cuda, context, stream, geometry.workspace_bytes, &workspace, err,
                           err_size);
    if (!rc) {
        call->workspace = workspace;
        void *params[RT_MAX_ARGS];
        rt_param_pointers(rk, call, params);
        CUresult r =
            cu->cuLaunchKernel(function, grid[0], grid[1], grid[2], local[0], local[1], local[2],
                               (unsigned)rk->geometry.shared_bytes, stream, params, NULL);
        if (r != CUDA_SUCCESS)
            rc = driver_fail(cu, err, err_size, "cuLaunchKernel", r);
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

int tsr_rt_gemm_ex_cuda(tsr_rt_bundle *b, CUstream stream, const tsr_rt_gemm_desc *desc,
                        CUdeviceptr a, CUdeviceptr bm, CUdeviceptr c, CUdeviceptr bias,
                        CUdeviceptr r, char *err, size_t err_size)
{
    const void *const handles[RT_MAX_BUFFERS] = {&a, &bm, &c, &bias, &r};
    const bool given[RT_MAX_BUFFERS] = {a != 0, bm != 0, c != 0, bias != 0, r != 0};
    rt_call call;
    int rc = rt_gemm_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, stream, &call, err, err_size);
}

int tsr_rt_gemm_cuda(tsr_rt_bundle *b, CUstream stream, tsr_rt_layout a_layout,
                     tsr_rt_layout b_layout, int m, int n, int k, float alpha, CUdeviceptr a,
                     CUdeviceptr bm, float beta, CUdeviceptr c, char *err, size_t err_size)
{
    tsr_rt_gemm_desc desc = rt_plain_gemm_desc(a_layout, b_layout, m, n, k, alpha, beta);
    return tsr_rt_gemm_ex_cuda(b, stream, &desc, a, bm, c, 0, 0, err, err_size);
}

int tsr_rt_rows_cuda(tsr_rt_bundle *b, CUstream stream, const tsr_rt_rows_desc *desc, CUdeviceptr x,
                     CUdeviceptr gamma, CUdeviceptr beta, CUdeviceptr y, char *err, size_t err_size)
{
    const void *const handles[4] = {&x, &y, &gamma, &beta};
    const bool given[4] = {x != 0, y != 0, gamma != 0, beta != 0};
    rt_call call;
    int rc = rt_rows_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, stream, &call, err, err_size);
}

int tsr_rt_softmax_cuda(tsr_rt_bundle *b, CUstream stream, int rows, int cols, CUdeviceptr x,
                        CUdeviceptr y, char *err, size_t err_size)
{
    tsr_rt_rows_desc desc;
    tsr_rt_rows_desc_init(&desc, TSR_RT_SOFTMAX, rows, cols);
    return tsr_rt_rows_cuda(b, stream, &desc, x, 0, 0, y, err, err_size);
}

int tsr_rt_permute_cuda(tsr_rt_bundle *b, CUstream stream, const tsr_rt_permute_desc *desc,
                        CUdeviceptr x, CUdeviceptr y, char *err, size_t err_size)
{
    const void *const handles[2] = {&x, &y};
    const bool given[2] = {x != 0, y != 0};
    rt_call call;
    int rc = rt_permute_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, stream, &call, err, err_size);
}

int tsr_rt_attention_cuda(tsr_rt_bundle *b, CUstream stream, const tsr_rt_attention_desc *desc,
                          CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, CUdeviceptr o, char *err,
                          size_t err_size)
{
    const void *const handles[4] = {&q, &k, &v, &o};
    const bool given[4] = {q != 0, k != 0, v != 0, o != 0};
    rt_call call;
    int rc = rt_attention_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, stream, &call, err, err_size);
}

int tsr_rt_conv2d_cuda(tsr_rt_bundle *b, CUstream stream, const tsr_rt_conv2d_desc *desc,
                       CUdeviceptr x, CUdeviceptr w, CUdeviceptr bias, CUdeviceptr y, char *err,
                       size_t err_size)
{
    const void *const handles[4] = {&x, &y, &w, &bias};
    const bool given[4] = {x != 0, y != 0, w != 0, bias != 0};
    rt_call call;
    int rc = rt_conv2d_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, stream, &call, err, err_size);
}
