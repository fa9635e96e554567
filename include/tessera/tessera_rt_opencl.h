/* libtessera-rt on OpenCL: a bundle's kernels on a program's own queue and
 * buffers (see tessera_rt.h). The kernel is built once per context and
 * device from the bundle's OpenCL C source, and kept until tsr_rt_close. */
#ifndef TESSERA_RT_OPENCL_H
#define TESSERA_RT_OPENCL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "tessera/tessera_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C = alpha * op(A) * op(B) + beta * C for f32 matrices in the queue's
 * context: C row-major M x N; A M x K and B K x N in the layouts given
 * (leading dimensions packed). Enqueues and returns; *done (may be NULL)
 * receives the kernel's event. The kernel is the bundle's pick for this
 * op and shape; every kernel is correct for every shape. The same as
 * tsr_rt_gemm_ex_opencl with batch 1 and no epilogue. */
int tsr_rt_gemm_opencl(tsr_rt_bundle *bundle, cl_command_queue queue, tsr_rt_layout a_layout,
                       tsr_rt_layout b_layout, int m, int n, int k, float alpha, cl_mem a, cl_mem b,
                       float beta, cl_mem c, cl_event *done, char *err, size_t err_size);

/* The GEMM `desc` describes (tessera_rt.h), with its fused epilogue and
 * batch, in the queue's context. `bias` is given exactly when desc->bias
 * is not TSR_RT_BIAS_NONE (M floats for _ROW, N for _COL), `r` exactly
 * when desc->residual is true (batch x M x N floats); pass NULL otherwise.
 * Enqueues and returns; *done (may be NULL) receives the kernel's event.
 * Any kernel of the desc's op key runs any shape and batch (but one from a
 * bundle written before batching, batch 1 only): the pick chooses among
 * them by the dispatch rule of docs/bundle.md. */
int tsr_rt_gemm_ex_opencl(tsr_rt_bundle *bundle, cl_command_queue queue,
                          const tsr_rt_gemm_desc *desc, cl_mem a, cl_mem b, cl_mem c, cl_mem bias,
                          cl_mem r, cl_event *done, char *err, size_t err_size);

/* The row op `desc` describes (tessera_rt.h) in the queue's context.
 * `gamma` is given exactly for rmsnorm and layernorm, `beta` exactly for
 * layernorm (cols values each); pass NULL otherwise. Y is rows x cols,
 * or rows values for a reduction. Enqueues and returns; *done (may be
 * NULL) receives the kernel's event. */
int tsr_rt_rows_opencl(tsr_rt_bundle *bundle, cl_command_queue queue, const tsr_rt_rows_desc *desc,
                       cl_mem x, cl_mem gamma, cl_mem beta, cl_mem y, cl_event *done, char *err,
                       size_t err_size);

/* Row-wise softmax of the f32 matrix X (rows x cols, row-major) into Y:
 * tsr_rt_rows_opencl with TSR_RT_SOFTMAX. */
int tsr_rt_softmax_opencl(tsr_rt_bundle *bundle, cl_command_queue queue, int rows, int cols,
                          cl_mem x, cl_mem y, cl_event *done, char *err, size_t err_size);

/* The permute `desc` describes (tessera_rt.h) of X into Y in the queue's
 * context. Enqueues and returns; *done (may be NULL) receives the
 * kernel's event. */
int tsr_rt_permute_opencl(tsr_rt_bundle *bundle, cl_command_queue queue,
                          const tsr_rt_permute_desc *desc, cl_mem x, cl_mem y, cl_event *done,
                          char *err, size_t err_size);

/* The attention `desc` describes (tessera_rt.h) in the queue's context:
 * Q, K and V read, O written; every one is needed. Enqueues and returns;
 * *done (may be NULL) receives the kernel's event. */
int tsr_rt_attention_opencl(tsr_rt_bundle *bundle, cl_command_queue queue,
                            const tsr_rt_attention_desc *desc, cl_mem q, cl_mem k, cl_mem v,
                            cl_mem o, cl_event *done, char *err, size_t err_size);

/* The conv2d `desc` describes (tessera_rt.h) in the queue's context: X
 * and W read, Y written; `bias` (one value per filter) given exactly when
 * desc->bias is true, NULL otherwise. Enqueues and returns; *done (may
 * be NULL) receives the kernel's event. */
int tsr_rt_conv2d_opencl(tsr_rt_bundle *bundle, cl_command_queue queue,
                         const tsr_rt_conv2d_desc *desc, cl_mem x, cl_mem w, cl_mem bias, cl_mem y,
                         cl_event *done, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
