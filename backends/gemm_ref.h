/* The vendor's SGEMM on a device's own backend: the reference tessera's GEMM
 * is checked against and measured against, on the same device, context and
 * buffers. CLBlast on OpenCL devices, cuBLAS on CUDA devices (loaded at run
 * time, like the driver); HIP devices have none yet. */
#ifndef TSR_GEMM_REF_H
#define TSR_GEMM_REF_H

#include <stdbool.h>

#include "backends/backend.h"
#include "core/dtype.h"
#include "core/status.h"

/* How a reference's elapsed time is taken. CLBlast may queue helper
 * kernels and hands back only the last one's event, so it is timed by the
 * wall clock from a drained queue to the end of its work; cuBLAS runs on a
 * stream that device events bracket exactly. */
typedef enum tsr_ref_clock { TSR_REF_WALL_CLOCK, TSR_REF_DEVICE_EVENTS } tsr_ref_clock;

/* The reference's name for `device` ("CLBlast", "cuBLAS"); NULL when its
 * backend has none in this build. */
const char *tsr_gemm_ref_name(const tsr_device *device);

tsr_ref_clock tsr_gemm_ref_clock(const tsr_device *device);

/* C = alpha * A * B + beta * C with C row-major M x N (ldc = N).
 * A is M x K: row-major (lda = K) or, with a_col_major, column-major
 * (lda = M). B is K x N: row-major (ldb = N) or column-major (ldb = K).
 * The buffers must be the device's own. elapsed_ms (may be NULL) as
 * tsr_gemm_ref_clock says. The first call per device also loads or builds
 * the library's kernels: time a later one. TSR_ERR_UNSUPPORTED when the
 * device's backend has no reference, or the library is not installed (the
 * message says how to get it). */
tsr_status tsr_gemm_ref_sgemm(tsr_device *device, bool a_col_major, bool b_col_major, int m, int n,
                              int k, float alpha, tsr_buffer *a, tsr_buffer *b, float beta,
                              tsr_buffer *c, double *elapsed_ms, tsr_error *err);

/* The same with A and B of `ab_type` (f32, f16 or bf16), accumulated and
 * C written in f32, as tessera's GEMM of that dtype: cuBLAS's GemmEx for
 * the 16-bit types (its tensor cores); CLBlast has no such mixed
 * precision, TSR_ERR_UNSUPPORTED there. tf32: f32 buffers that may be
 * multiplied as tf32, as a spec with `math: tf32` (cuBLAS's fast-TF32
 * compute type; CLBlast, which has none, multiplies them in full f32). */
tsr_status tsr_gemm_ref_gemm(tsr_device *device, tsr_dtype ab_type, bool a_col_major,
                             bool b_col_major, int m, int n, int k, float alpha, tsr_buffer *a,
                             tsr_buffer *b, float beta, tsr_buffer *c, double *elapsed_ms,
                             tsr_error *err);

/* DGEMM: A, B and C all f64, alpha and beta double (CLBlastDgemm,
 * cublasDgemm); otherwise as tsr_gemm_ref_sgemm. */
tsr_status tsr_gemm_ref_dgemm(tsr_device *device, bool a_col_major, bool b_col_major, int m, int n,
                              int k, double alpha, tsr_buffer *a, tsr_buffer *b, double beta,
                              tsr_buffer *c, double *elapsed_ms, tsr_error *err);

#endif
