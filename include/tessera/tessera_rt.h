/* libtessera-rt: the kernels of a tessera bundle, launched from a
 * program's own code on its own buffers and queues or streams.
 *
 * A small library of its own: it needs jansson (the manifest), libmd (the
 * checksums) and, only for the backend used, the OpenCL loader or the CUDA
 * driver and NVRTC (loaded at run time); nothing of YAML, SQLite or the
 * vendor compilers. Build flags: pkg-config --cflags --libs tessera-rt.
 *
 *   tsr_rt_bundle *b;
 *   char err[256];
 *   if (tsr_rt_open("bundle", &b, err, sizeof err) != 0) { puts(err); ... }
 *   tsr_rt_gemm_opencl(b, queue, TSR_RT_ROW, TSR_RT_ROW, m, n, k, 1.0f, A, B, 0.0f, C,
 *                      NULL, err, sizeof err);    (tessera_rt_opencl.h)
 *   tsr_rt_close(b);
 *
 * Every function returns 0 on success, else a non-zero code with one line
 * in `err` (may be NULL) that names what went wrong. A bundle may be used
 * from several threads; launches through one bundle are serialised. */
#ifndef TESSERA_RT_H
#define TESSERA_RT_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsr_rt_bundle tsr_rt_bundle;

enum {
    TSR_RT_OK = 0,
    TSR_RT_ERR_INPUT = 2,       /* a bundle that does not check, a bad argument */
    TSR_RT_ERR_NOT_FOUND = 3,   /* no kernel in the bundle for this op and backend */
    TSR_RT_ERR_BACKEND = 4,     /* the OpenCL/CUDA runtime or compiler refused */
    TSR_RT_ERR_UNSUPPORTED = 5, /* the backend's runtime is not installed */
};

/* Matrix layouts of GEMM operands. */
typedef enum tsr_rt_layout { TSR_RT_ROW = 0, TSR_RT_COL = 1 } tsr_rt_layout;

/* Opens the bundle in `dir` and checks it whole (manifest, every file
 * inside the directory, every SHA-256) before anything of it is used. */
int tsr_rt_open(const char *dir, tsr_rt_bundle **out, char *err, size_t err_size);
/* Releases the bundle and every program and module built from it. */
void tsr_rt_close(tsr_rt_bundle *bundle);

/* What a bundle holds, for a program that wants to show it. */
typedef struct tsr_rt_kernel_info {
    const char *op_key;   /* "gemm.f32.a=row.b=row.beta=0" */
    const char *shape;    /* the tuned shape, "m=1024,n=1024,k=1024" */
    const char *config;   /* the winning config */
    const char *language; /* "opencl", "cuda", "hip" */
    const char *device;   /* the fingerprint of the device it was tuned on */
    double time_ms;       /* measured there, on the tuned shape */
} tsr_rt_kernel_info;

size_t tsr_rt_kernel_count(const tsr_rt_bundle *bundle);
int tsr_rt_kernel_info_at(const tsr_rt_bundle *bundle, size_t index, tsr_rt_kernel_info *out);

/* How the kernel at `index` was last built for a launch: "cubin sm_90",
 * "ptx compute_90", "CUDA source (NVRTC)", "OpenCL C source"; NULL before
 * its first launch. */
const char *tsr_rt_loaded_from(const tsr_rt_bundle *bundle, size_t index);

/* The op key of an f32 GEMM: C = alpha * op(A) * op(B) + beta * C with
 * C row-major; beta_nonzero says whether C is read. Into buf; returns buf. */
const char *tsr_rt_gemm_key(tsr_rt_layout a, tsr_rt_layout b, bool beta_nonzero, char *buf,
                            size_t size);

/* The entry the dispatch rule of docs/bundle.md picks among the kernels of
 * `op_key` in `language`, for a shape of n_dims values in the op's dim
 * order (GEMM: m, n, k); -1 when there is none. */
long tsr_rt_pick(const tsr_rt_bundle *bundle, const char *op_key, const char *language,
                 const long *shape, int n_dims);

#ifdef __cplusplus
}
#endif

#endif
