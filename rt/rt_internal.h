/* What the runtime's files share: the opened bundle, its parsed launch
 * rules and the caches of built kernels. Private to rt/. */
#ifndef TSR_RT_INTERNAL_H
#define TSR_RT_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>

#include "core/manifest.h"
#include <tessera/tessera_rt.h>

/* A kernel's launch rule (docs/bundle.md, "Geometry rule"). */
typedef struct rt_geometry {
    int dims;
    int axis_dim[3]; /* index into the shape, -1: one group */
    long per_group[3];
    size_t local[3];
} rt_geometry;

/* GEMM arguments by the names the manifest's argument list uses. */
typedef enum rt_arg {
    RT_ARG_A,
    RT_ARG_B,
    RT_ARG_C,
    RT_ARG_M,
    RT_ARG_N,
    RT_ARG_K,
    RT_ARG_ALPHA,
    RT_ARG_BETA,
    RT_ARG_COUNT
} rt_arg;

typedef struct rt_kernel {
    rt_geometry geometry;
    int n_args;
    rt_arg args[RT_ARG_COUNT];
    char loaded[64]; /* how it was last built: "cubin sm_90", "OpenCL C source", ... */
} rt_kernel;

struct rt_opencl_cache; /* rt_opencl.c */
struct rt_cuda_cache;   /* rt_cuda.c */

struct tsr_rt_bundle {
    char *dir;
    tsr_manifest *manifest;
    rt_kernel *kernels; /* one per manifest entry */
    pthread_mutex_t lock;
    struct rt_opencl_cache *opencl;
    struct rt_cuda_cache *cuda;
};

/* One line into err (may be NULL); returns code. */
int rt_fail(char *err, size_t size, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The kernel for a GEMM call: its index, or a code with the message. */
int rt_pick_gemm(const tsr_rt_bundle *b, const char *language, tsr_rt_layout a_layout,
                 tsr_rt_layout b_layout, float beta, int m, int n, int k, long *index, char *err,
                 size_t err_size);

/* A file of the bundle, read and checked against its SHA-256 again (the
 * bundle may have changed since it was opened); malloc'd, NUL-terminated. */
int rt_read_file(const tsr_rt_bundle *b, const char *file, const char *sha256, char **out,
                 char *err, size_t err_size);
/* The kernel's source, so read. */
int rt_read_source(const tsr_rt_bundle *b, long index, char **out, char *err, size_t err_size);

/* Groups per axis for a shape (m, n, k). */
void rt_groups(const rt_geometry *g, const long *shape, size_t groups[3]);

void rt_opencl_release(struct rt_opencl_cache *cache);
void rt_cuda_release(struct rt_cuda_cache *cache);

#endif
