/* libtessera-rt on HIP: a bundle's kernels on a program's own stream and
 * device pointers (see tessera_rt.h), on the calling thread's current HIP
 * device. A kernel is loaded from the bundle's code object for the device's
 * gfx target when there is one (export --binaries), else built from its
 * HIP source with hipRTC; once per device. The HIP runtime and hipRTC are
 * loaded at run time: a program built with this header needs neither to
 * link. */
#ifndef TESSERA_RT_HIP_H
#define TESSERA_RT_HIP_H

#include "tessera/tessera_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The HIP runtime's own stream type (hip_runtime_api.h declares the same). */
typedef struct ihipStream_t *hipStream_t;

int tsr_rt_gemm_hip(tsr_rt_bundle *bundle, hipStream_t stream, tsr_rt_layout a_layout,
                    tsr_rt_layout b_layout, int m, int n, int k, float alpha, const void *a,
                    const void *b, float beta, void *c, char *err, size_t err_size);

/* As tsr_rt_gemm_ex_opencl, on `stream`; `bias` and `r` are NULL when
 * the desc does not use them. */
int tsr_rt_gemm_ex_hip(tsr_rt_bundle *bundle, hipStream_t stream, const tsr_rt_gemm_desc *desc,
                       const void *a, const void *b, void *c, const void *bias, const void *r,
                       char *err, size_t err_size);

/* As tsr_rt_rows_opencl, on `stream`; `gamma` and `beta` are NULL when
 * the desc's op does not read them. */
int tsr_rt_rows_hip(tsr_rt_bundle *bundle, hipStream_t stream, const tsr_rt_rows_desc *desc,
                    const void *x, const void *gamma, const void *beta, void *y, char *err,
                    size_t err_size);

int tsr_rt_softmax_hip(tsr_rt_bundle *bundle, hipStream_t stream, int rows, int cols, const void *x,
                       void *y, char *err, size_t err_size);

/* As tsr_rt_permute_opencl, on `stream`. */
int tsr_rt_permute_hip(tsr_rt_bundle *bundle, hipStream_t stream, const tsr_rt_permute_desc *desc,
                       const void *x, void *y, char *err, size_t err_size);

/* As tsr_rt_attention_opencl, on `stream`. */
int tsr_rt_attention_hip(tsr_rt_bundle *bundle, hipStream_t stream,
                         const tsr_rt_attention_desc *desc, const void *q, const void *k,
                         const void *v, void *o, char *err, size_t err_size);

/* As tsr_rt_conv2d_opencl, on `stream`; `bias` is NULL when the desc has
 * none. */
int tsr_rt_conv2d_hip(tsr_rt_bundle *bundle, hipStream_t stream, const tsr_rt_conv2d_desc *desc,
                      const void *x, const void *w, const void *bias, void *y, char *err,
                      size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
