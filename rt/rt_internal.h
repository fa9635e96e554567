/* What the runtime's files share: the opened bundle, its parsed launch
 * rules and the caches of built kernels. Private to rt/. */
#ifndef TSR_RT_INTERNAL_H
#define TSR_RT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdarg.h>

#include "core/launch.h"
#include "core/manifest.h"
#include <tessera/tessera_rt.h>

/* Where a kernel argument comes from, by the name the manifest's argument
 * list gives it: one of the call's buffers, ints, floats or doubles (an
 * f64 GEMM's "double:alpha"), or the workspace ("buffer:workspace",
 * last), which the backend supplies. */
typedef enum rt_kind { RT_BUFFER, RT_INT, RT_FLOAT, RT_DOUBLE, RT_WORKSPACE } rt_kind;
typedef struct rt_arg {
    rt_kind kind;
    int slot;
    const char *name; /* "buffer:bias", for messages */
} rt_arg;

enum { RT_MAX_ARGS = 12, RT_MAX_BUFFERS = 5, RT_MAX_DIMS = 5, RT_MAX_INTS = 7 };

/* A kernel of the bundle: its launch rule (docs/bundle.md, "Geometry
 * rule") as the tuner holds it, so that a launch's groups come from the
 * tuner's own tsr_geometry_apply; its arguments; how it was built. */
typedef struct rt_kernel {
    tsr_geometry_rule geometry;
    int n_args;
    rt_arg args[RT_MAX_ARGS];
    char loaded[64]; /* how it was last built: "cubin sm_90", "OpenCL C source", ... */
} rt_kernel;

/* One op call, whatever the backend: the op key and shape pick the
 * kernel; the buffer handles (cl_mem, CUdeviceptr, HIP pointers), ints
 * and floats fill its arguments by the slots parse_args (rt_bundle.c)
 * gives their names. GEMM: shape m, n, k, batch; buffers A, B, C, bias,
 * R; ints M, N, K; floats alpha, beta, and the same as doubles for an
 * f64 kernel. Row ops: shape rows, cols; buffers
 * X, Y, gamma, beta; ints rows, cols; float eps. Permute: shape d0 .. d3;
 * buffers X, Y; ints d0 .. d3. Attention: shape q, kv, heads, batch;
 * buffers Q, K, V, O; ints QLEN, KVLEN, HEADS; float scale. conv2d:
 * shape n, c, h, w, k; buffers X, Y, W, bias; ints batch, in_c, in_h,
 * in_w, out_c, out_h, out_w; float alpha. A kernel whose geometry rule
 * has workspace=BYTES takes the workspace too, as its last argument
 * ("buffer:workspace"); the program passes none: the backend keeps one
 * per queue or stream in its cache, zeroed when made (docs/bundle.md,
 * "Geometry rule"), and points `workspace` at its handle before the
 * arguments are set (NULL for a kernel without one). */
typedef struct rt_call {
    char op_key[128];        /* the longest, a conv2d's with all of its epilogue: 101 */
    long shape[RT_MAX_DIMS]; /* every dim of the op, in its order */
    int n_dims;
    const void *buffers[RT_MAX_BUFFERS]; /* each points at the backend's handle */
    bool given[RT_MAX_BUFFERS];          /* whether that handle is not NULL (or 0) */
    int ints[RT_MAX_INTS];
    float floats[2];
    double doubles[2];     /* GEMM's alpha and beta, for an f64 kernel */
    const void *workspace; /* the backend's handle, as for buffers; set at launch */
} rt_call;

/* The desc of the plain calls (tsr_rt_gemm_opencl and its kin): one
 * problem, no epilogue. */
tsr_rt_gemm_desc rt_plain_gemm_desc(tsr_rt_layout a_layout, tsr_rt_layout b_layout, int m, int n,
                                    int k, float alpha, float beta);

/* The calls' descriptions, from the handles the program passed, in the
 * slots of rt_call's buffers (GEMM: A, B, C, bias, R; row ops: X, Y,
 * gamma, beta; permute: X, Y; attention: Q, K, V, O; conv2d: X, Y, W,
 * bias), each with whether it is not NULL (or 0); a code with the message
 * when the desc, its sizes or the buffers given do not agree (rt_gemm.c,
 * rt_rows.c, rt_permute.c, rt_attention.c, rt_conv2d.c). */
int rt_gemm_call(const tsr_rt_gemm_desc *desc, const void *const handles[RT_MAX_BUFFERS],
                 const bool given[RT_MAX_BUFFERS], rt_call *call, char *err, size_t err_size);
int rt_rows_call(const tsr_rt_rows_desc *desc, const void *const handles[4], const bool given[4],
                 rt_call *call, char *err, size_t err_size);
int rt_permute_call(const tsr_rt_permute_desc *desc, const void *const handles[2],
                    const bool given[2], rt_call *call, char *err, size_t err_size);
int rt_attention_call(const tsr_rt_attention_desc *desc, const void *const handles[4],
                      const bool given[4], rt_call *call, char *err, size_t err_size);
int rt_conv2d_call(const tsr_rt_conv2d_desc *desc, const void *const handles[4],
                   const bool given[4], rt_call *call, char *err, size_t err_size);

/* The word an op key gives an element type ("f32"); NULL for a value
 * outside tsr_rt_dtype. */
const char *rt_dtype_name(tsr_rt_dtype dtype);
/* The word an op key gives an activation ("gelu"; "none" for
 * TSR_RT_ACT_NONE); NULL for a value outside tsr_rt_activation. */
const char *rt_activation_name(tsr_rt_activation activation);

struct rt_opencl_cache; /* rt_opencl.c */
struct rt_cuda_cache;   /* rt_cuda.c */
struct rt_hip_cache;    /* rt_hip.c */

struct tsr_rt_bundle {
    char *dir;
    tsr_manifest *manifest;
    rt_kernel *kernels; /* one per manifest entry */
    pthread_mutex_t lock;
    struct rt_opencl_cache *opencl;
    struct rt_cuda_cache *cuda;
    struct rt_hip_cache *hip;
};

/* One line into err (may be NULL); returns code. */
int rt_fail(char *err, size_t size, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The kernel for a call in `language`: its index, or a code with the
 * message; also refused when the kernel wants a buffer the call lacks. */
int rt_pick_call(const tsr_rt_bundle *b, const char *language, const rt_call *call, long *index,
                 char *err, size_t err_size);

/* A file of the bundle, read and checked against its SHA-256 again (the
 * bundle may have changed since it was opened); malloc'd, NUL-terminated,
 * its size in *length (may be NULL). */
int rt_read_file(const tsr_rt_bundle *b, const char *file, const char *sha256, char **out,
                 size_t *length, char *err, size_t err_size);
/* The kernel's source, so read. */
int rt_read_source(const tsr_rt_bundle *b, long index, char **out, char *err, size_t err_size);

/* The kernel's groups and work-group size for a call's shape: its rule
 * applied by tsr_geometry_apply (core/launch.c), as the tuner applies it
 * when it measures the kernel; an input error (said in err) when the
 * launch would need more workspace than its kernel can index. */
int rt_geometry(const rt_kernel *k, const rt_call *call, tsr_geometry *out, char *err,
                size_t err_size);

/* For a launch API that takes a pointer to each argument (CUDA, HIP): the
 * pointers, from the call (the workspace's once the backend has set it);
 * and the grid and block for the call's shape, or a code with the message
 * when the grid is past the API's limits. */
void rt_param_pointers(const rt_kernel *k, const rt_call *call, void **params);
int rt_grid(const rt_kernel *k, const rt_call *call, unsigned grid[3], unsigned block[3], char *err,
            size_t err_size);

/* A workspace the runtime keeps for the kernels that take one
 * (docs/bundle.md, "Geometry rule"): one per place (an OpenCL or CUDA
 * context, a HIP device) and queue or stream, and per thread as well for
 * a stream that stands for each thread's own, whose launches from two
 * threads may overlap. The backend allocates and frees it: `buffer` is a
 * cl_mem or HIP's device pointer, `device_pointer` CUDA's CUdeviceptr;
 * both 0 and `bytes` 0 until it is first allocated. */
typedef struct rt_workspace {
    uintptr_t place, queue;
    bool per_thread;
    pthread_t thread; /* per_thread's only */
    void *buffer;
    unsigned long long device_pointer;
    size_t bytes;
    void *last; /* OpenCL: the last command on it, a cl_event */
} rt_workspace;

typedef struct rt_workspaces {
    rt_workspace *items;
    size_t count, capacity;
} rt_workspaces;

/* The table's workspace for (place, queue), and this thread's where
 * per_thread: found, or added unallocated; NULL with the message when out
 * of memory. Called locked. */
rt_workspace *rt_workspace_slot(rt_workspaces *table, uintptr_t place, uintptr_t queue,
                                bool per_thread, char *err, size_t err_size);

/* Room for one more entry in a cache array of `entry_size` elements; a
 * code with the message when memory runs out. */
int rt_reserve(void **entries, size_t *capacity, size_t count, size_t entry_size, char *err,
               size_t err_size);

void rt_opencl_release(struct rt_opencl_cache *cache);
void rt_cuda_release(struct rt_cuda_cache *cache);
void rt_hip_release(struct rt_hip_cache *cache);

#endif
