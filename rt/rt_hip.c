/* libtessera-rt on HIP (see tessera_rt_hip.h): the runtime and hipRTC
 * loaded at run time, as the HIP backend loads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/hip_loader.h"
#include "rt/rt_internal.h"
#include <tessera/tessera_rt_hip.h>

/* One loaded module per (device, bundle entry). */
typedef struct rt_hip_entry {
    int device;
    long index;
    hipModule_t module;
    hipFunction_t function;
} rt_hip_entry;

/* hipStreamPerThread: one handle, each thread's own stream. */
#define RT_HIP_STREAM_PER_THREAD ((hipStream_t)0x2)

struct rt_hip_cache {
    const tsr_hip_runtime *hip;
    rt_hip_entry *entries;
    size_t count, capacity;
    rt_workspaces workspaces; /* place: the device; queue: the stream */
};

/* Modules are unloaded and workspaces freed on their own devices; the
 * caller's current device is put back. A workspace's stream may be gone,
 * so its whole device is waited for: a launch may still be using it. */
void rt_hip_release(struct rt_hip_cache *cache)
{
    if (!cache)
        return;
    const tsr_hip_runtime *hip = cache->hip;
    int current = 0;
    hip->hipGetDevice(&current);
    for (size_t i = 0; i < cache->count; i++)
        if (hip->hipSetDevice(cache->entries[i].device) == hipSuccess)
            hip->hipModuleUnload(cache->entries[i].module);
    for (size_t i = 0; i < cache->workspaces.count; i++) {
        const rt_workspace *w = &cache->workspaces.items[i];
        if (w->buffer && hip->hipSetDevice((int)w->place) == hipSuccess) {
            hip->hipDeviceSynchronize();
            hip->hipFree(w->buffer);
        }
    }
    hip->hipSetDevice(current);
    free(cache->entries);
    free(cache->workspaces.items);
    free(cache);
}

static int hip_fail(const tsr_hip_runtime *hip, char *err, size_t size, const char *call,
                    hipError_t rc)
{
    const char *name = hip->hipGetErrorName ? hip->hipGetErrorName(rc) : NULL;
    return rt_fail(err, size, TSR_RT_ERR_BACKEND, "%s: %s (%d)", call,
                   name ? name : "unknown HIP error", (int)rc);
}

/* The bundle's code object for this processor ("gfx90a" of
 * "gfx90a:sramecc+:xnack-"), read and checked; NULL when there is none. */
static int prebuilt_code(tsr_rt_bundle *b, long index, const char *arch, char **code, char *err,
                         size_t err_size)
{
    const tsr_manifest_kernel *k = &b->manifest->kernels[index];
    size_t processor = strcspn(arch, ":");
    *code = NULL;
    for (int i = 0; i < k->n_binaries; i++) {
        const tsr_manifest_binary *bin = &k->binaries[i];
        if (strcmp(bin->kind, "hsaco") != 0 || strlen(bin->target) != processor ||
            strncmp(bin->target, arch, processor) != 0)
            continue;
        int rc = rt_read_file(b, bin->file, bin->sha256, code, NULL, err, err_size);
        if (!rc)
            snprintf(b->kernels[index].loaded, sizeof b->kernels[index].loaded, "hsaco %s",
                     bin->target);
        return rc;
    }
    return TSR_RT_OK;
}

/* Loads the entry for the current device, or finds it loaded. Called
 * locked. */
static int function_for(tsr_rt_bundle *b, const tsr_hip_runtime *hip, int device, long index,
                        hipFunction_t *out, char *err, size_t err_size)
{
    if (!b->hip && !(b->hip = calloc(1, sizeof *b->hip)))
        return rt_fail(err, err_size, TSR_RT_ERR_BACKEND, "out of memory");
    struct rt_hip_cache *c = b->hip;
    c->hip = hip;
    for (size_t i = 0; i < c->count; i++)
        if (c->entries[i].device == device && c->entries[i].index == index) {
            *out = c->entries[i].function;
            return TSR_RT_OK;
        }
    void *entries = c->entries;
    int reserved = rt_reserve(&entries, &c->capacity, c->count, sizeof *c->entries, err, err_size);
    c->entries = entries;
    if (reserved)
        return reserved;
    char arch[128];
    tsr_hip_device_arch(hip, device, arch, sizeof arch);
    if (!arch[0])
        return rt_fail(err, err_size, TSR_RT_ERR_UNSUPPORTED,
                       "cannot tell the gfx target of HIP device %d (this runtime's device "
                       "properties are not in the ROCm 5 layout)",
                       device);
    const tsr_manifest_kernel *k = &b->manifest->kernels[index];
    char *code = NULL;
    int status = prebuilt_code(b, index, arch, &code, err, err_size);
    if (status)
        return status;
    if (!code) {
        char *source = NULL;
        status = rt_read_source(b, index, &source, err, err_size);
        if (status)
            return status;
        size_t size = 0;
        tsr_error e = {{0}};
        tsr_status st = tsr_hip_build(source, arch, NULL, &code, &size, &e);
        free(source);
        if (st != TSR_OK)
            return rt_fail(err, err_size,
                           st == TSR_ERR_UNSUPPORTED ? TSR_RT_ERR_UNSUPPORTED : TSR_RT_ERR_BACKEND,
                           "%s: %s", k->file, e.msg);
        snprintf(b->kernels[index].loaded, sizeof b->kernels[index].loaded, "HIP source (hipRTC)");
    }
    hipModule_t module;
    hipError_t rc = hip->hipModuleLoadData(&module, code);
    free(code);
    if (rc != hipSuccess)
        return hip_fail(hip, err, err_size, "hipModuleLoadData", rc);
    hipFunction_t function;
    rc = hip->hipModuleGetFunction(&function, module, k->kernel_name);
    if (rc != hipSuccess) {
        hip->hipModuleUnload(module);
        return hip_fail(hip, err, err_size, "hipModuleGetFunction", rc);
    }
    c->entries[c->count++] = (rt_hip_entry){device, index, module, function};
    *out = function;
    return TSR_RT_OK;
}

/* The stream's workspace on the current device, of at least `bytes`, or
 * a code with the message: allocated, or allocated again larger once the
 * stream's launches on the old one are done, and zeroed on the stream.
 * Called locked, after function_for made the cache. */
static int workspace_for(struct rt_hip_cache *c, int device, hipStream_t stream, size_t bytes,
                         void ***out, char *err, size_t err_size)
{
    const tsr_hip_runtime *hip = c->hip;
    rt_workspace *w = rt_workspace_slot(&c->workspaces, (uintptr_t)device, (uintptr_t)stream,
                                        stream == RT_HIP_STREAM_PER_THREAD, err, err_size);
    if (!w)
        return TSR_RT_ERR_BACKEND;
    *out = &w->buffer;
    if (w->bytes >= bytes)
        return TSR_RT_OK;
    hipError_t r;
    if (w->buffer) {
        r = hip->hipStreamSynchronize(stream);
        if (r != hipSuccess)
            return hip_fail(hip, err, err_size, "hipStreamSynchronize (to replace a workspace)", r);
        hip->hipFree(w->buffer);
        w->buffer = NULL;
        w->bytes = 0;
    }
    void *pointer = NULL;
    r = hip->hipMalloc(&pointer, bytes);
    if (r != hipSuccess)
        return hip_fail(hip, err, err_size, "hipMalloc (a workspace)", r);
    r = hip->hipMemsetAsync(pointer, 0, bytes, stream);
    if (r != hipSuccess) {
        hip->hipFree(pointer);
        return hip_fail(hip, err, err_size, "hipMemsetAsync (zeroing a workspace)", r);
    }
    w->buffer = pointer;
    w->bytes = bytes;
    return TSR_RT_OK;
}

/* Any op: the pick for the call, loaded for the current device, launched;
 * the stream's workspace in call->workspace when the kernel takes one. */
static int launch(tsr_rt_bundle *b, hipStream_t stream, rt_call *call, char *err, size_t err_size)
{
    long index;
    int rc = rt_pick_call(b, "hip", call, &index, err, err_size);
    unsigned grid[3], local[3];
    if (!rc)
        rc = rt_grid(&b->kernels[index], call, grid, local, err, err_size);
    if (rc)
        return rc;
    const char *why = NULL;
    const tsr_hip_runtime *hip = tsr_hip_runtime_load(&why);
    if (!hip)
        return rt_fail(err, err_size, TSR_RT_ERR_UNSUPPORTED, "%s", why);
    int count = 0, device = 0;
    if (hip->hipGetDeviceCount(&count) != hipSuccess || count == 0)
        return rt_fail(err, err_size, TSR_RT_ERR_UNSUPPORTED,
                       "no HIP device here (install the amdgpu driver and check /dev/kfd)");
    hipError_t r = hip->hipGetDevice(&device);
    if (r != hipSuccess)
        return hip_fail(hip, err, err_size, "hipGetDevice", r);
    pthread_mutex_lock(&b->lock);
    hipFunction_t function = NULL;
    rc = function_for(b, hip, device, index, &function, err, err_size);
    const rt_kernel *rk = &b->kernels[index];
    tsr_geometry geometry;
    if (!rc)
        rc = rt_geometry(rk, call, &geometry, err, err_size);
    void **workspace = NULL;
    if (!rc && geometry.workspace_bytes)
        rc = workspace_for(b->hip, device, stream, geometry.workspace_bytes, &workspace, err,
                           err_size);
    if (!rc) {
        call->workspace = workspace;
        void *params[RT_MAX_ARGS];
        rt_param_pointers(rk, call, params);
        r = hip->hipModuleLaunchKernel(function, grid[0], grid[1], grid[2], local[0], local[1],
                                       local[2], 0, stream, params, NULL);
        if (r != hipSuccess)
            rc = hip_fail(hip, err, err_size, "hipModuleLaunchKernel", r);
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

int tsr_rt_gemm_ex_hip(tsr_rt_bundle *b, hipStream_t stream, const tsr_rt_gemm_desc *desc,
                       const void *a, const void *bm, void *c, const void *bias, const void *r,
                       char *err, size_t err_size)
{
    const void *const handles[RT_MAX_BUFFERS] = {&a, &bm, &c, &bias, &r};
    const bool given[RT_MAX_BUFFERS] = {a != NULL, bm != NULL, c != NULL, bias != NULL, r != NULL};
    rt_call call;
    int rc = rt_gemm_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, stream, &call, err, err_size);
}

int tsr_rt_gemm_hip(tsr_rt_bundle *b, hipStream_t stream, tsr_rt_layout a_layout,
                    tsr_rt_layout b_layout, int m, int n, int k, float alpha, const void *a,
                    const void *bm, float beta, void *c, char *err, size_t err_size)
{
    tsr_rt_gemm_desc desc = rt_plain_gemm_desc(a_layout, b_layout, m, n, k, alpha, beta);
    return tsr_rt_gemm_ex_hip(b, stream, &desc, a, bm, c, NULL, NULL, err, err_size);
}

int tsr_rt_rows_hip(tsr_rt_bundle *b, hipStream_t stream, const tsr_rt_rows_desc *desc,
                    const void *x, const void *gamma, const void *beta, void *y, char *err,
                    size_t err_size)
{
    const void *const handles[4] = {&x, &y, &gamma, &beta};
    const bool given[4] = {x != NULL, y != NULL, gamma != NULL, beta != NULL};
    rt_call call;
    int rc = rt_rows_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, stream, &call, err, err_size);
}

int tsr_rt_softmax_hip(tsr_rt_bundle *b, hipStream_t stream, int rows, int cols, const void *x,
                       void *y, char *err, size_t err_size)
{
    tsr_rt_rows_desc desc;
    tsr_rt_rows_desc_init(&desc, TSR_RT_SOFTMAX, rows, cols);
    return tsr_rt_rows_hip(b, stream, &desc, x, NULL, NULL, y, err, err_size);
}

int tsr_rt_permute_hip(tsr_rt_bundle *b, hipStream_t stream, const tsr_rt_permute_desc *desc,
                       const void *x, void *y, char *err, size_t err_size)
{
    const void *const handles[2] = {&x, &y};
    const bool given[2] = {x != NULL, y != NULL};
    rt_call call;
    int rc = rt_permute_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, stream, &call, err, err_size);
}

int tsr_rt_attention_hip(tsr_rt_bundle *b, hipStream_t stream, const tsr_rt_attention_desc *desc,
                         const void *q, const void *k, const void *v, void *o, char *err,
                         size_t err_size)
{
    const void *const handles[4] = {&q, &k, &v, &o};
    const bool given[4] = {q != NULL, k != NULL, v != NULL, o != NULL};
    rt_call call;
    int rc = rt_attention_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, stream, &call, err, err_size);
}

int tsr_rt_conv2d_hip(tsr_rt_bundle *b, hipStream_t stream, const tsr_rt_conv2d_desc *desc,
                      const void *x, const void *w, const void *bias, void *y, char *err,
                      size_t err_size)
{
    const void *const handles[4] = {&x, &y, &w, &bias};
    const bool given[4] = {x != NULL, y != NULL, w != NULL, bias != NULL};
    rt_call call;
    int rc = rt_conv2d_call(desc, handles, given, &call, err, err_size);
    return rc ? rc : launch(b, stream, &call, err, err_size);
}
