/* libtessera-rt on CUDA: a bundle's kernels on a program's own stream and
 * device pointers (see tessera_rt.h), in the calling thread's current CUDA
 * context. The kernel is built once per context from the bundle's CUDA
 * source with NVRTC for the context's device, and kept until tsr_rt_close.
 * The CUDA driver and NVRTC are loaded at run time: a program built with
 * this header needs neither to link. */
#ifndef TESSERA_RT_CUDA_H
#define TESSERA_RT_CUDA_H

#include "tessera/tessera_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The driver API's own types (cuda.h declares the same). */
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;

/* As tsr_rt_gemm_opencl, on `stream` (NULL: the default stream); returns
 * once the launch is queued. */
int tsr_rt_gemm_cuda(tsr_rt_bundle *bundle, CUstream stream, tsr_rt_layout a_layout,
                     tsr_rt_layout b_layout, int m, int n, int k, float alpha, CUdeviceptr a,
                     CUdeviceptr b, float beta, CUdeviceptr c, char *err, size_t err_size);

/* As tsr_rt_gemm_ex_opencl, on `stream`; `bias` and `r` are 0 when the
 * desc does not use them. */
int tsr_rt_gemm_ex_cuda(tsr_rt_bundle *bundle, CUstream stream, const tsr_rt_gemm_desc *desc,
                        CUdeviceptr a, CUdeviceptr b, CUdeviceptr c, CUdeviceptr bias,
                        CUdeviceptr r, char *err, size_t err_size);

/* As tsr_rt_rows_opencl, on `stream`; `gamma` and `beta` are 0 when the
 * desc's op does not read them. */
int tsr_rt_rows_cuda(tsr_rt_bundle *bundle, CUstream stream, const tsr_rt_rows_desc *desc,
                     CUdeviceptr x, CUdeviceptr gamma, CUdeviceptr beta, CUdeviceptr y, char *err,
                     size_t err_size);

/* Row-wise softmax of the f32 matrix X (rows x cols, row-major) into Y. */
int tsr_rt_softmax_cuda(tsr_rt_bundle *bundle, CUstream stream, int rows, int cols, CUdeviceptr x,
                        CUdeviceptr y, char *err, size_t err_size);

/* As tsr_rt_permute_opencl, on `stream`. */
int tsr_rt_permute_cuda(tsr_rt_bundle *bundle, CUstream stream, const tsr_rt_permute_desc *desc,
                        CUdeviceptr x, CUdeviceptr y, char *err, size_t err_size);

/* As tsr_rt_attention_opencl, on `stream`. */
int tsr_rt_attention_cuda(tsr_rt_bundle *bundle, CUstream stream, const tsr_rt_attention_desc *desc,
                          CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, CUdeviceptr o, char *err,
                          size_t err_size);

/* As tsr_rt_conv2d_opencl, on `stream`; `bias` is 0 when the desc has
 * none. */
int tsr_rt_conv2d_cuda(tsr_rt_bundle *bundle, CUstream stream, const tsr_rt_conv2d_desc *desc,
                       CUdeviceptr x, CUdeviceptr w, CUdeviceptr bias, CUdeviceptr y, char *err,
                       size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
