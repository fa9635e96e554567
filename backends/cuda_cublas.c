/* The cuBLAS reference GEMM (see gemm_ref.h), f32, f64, f32 multiplied
 * as tf32 or of 16-bit inputs: libcublas loaded at run time like the driver, one handle per
 * device made on first use and kept with the device, run on the same
 * primary context and default stream as tessera's kernels and timed by
 * device events around the call. */
#include <pthread.h>
#include <stdio.h>

#include "backends/cuda_impl.h"
#include "backends/dl_util.h"
#include "backends/gemm_ref_libs.h"

/* cublas_api.h's types and values (stable since CUDA 11). */
typedef struct cublasContext *cublasHandle_t;
typedef int cublasStatus_t;
enum { CUBLAS_STATUS_SUCCESS = 0, CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_DEFAULT_MATH = 0 };
/* library_types.h's cudaDataType, cublasComputeType_t, cublasGemmAlgo_t. */
enum { CUDA_R_32F = 0, CUDA_R_16F = 2, CUDA_R_16BF = 14 };
enum { CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_TF32 = 77, CUBLAS_GEMM_DEFAULT = -1 };

typedef struct cublas_api {
    cublasStatus_t (*cublasCreate_v2)(cublasHandle_t *handle);
    cublasStatus_t (*cublasDestroy_v2)(cublasHandle_t handle);
    cublasStatus_t (*cublasSetMathMode)(cublasHandle_t handle, int mode);
    cublasStatus_t (*cublasSgemm_v2)(cublasHandle_t handle, int transa, int transb, int m, int n,
                                     int k, const float *alpha, const float *a, int lda,
                                     const float *b, int ldb, const float *beta, float *c, int ldc);
    cublasStatus_t (*cublasDgemm_v2)(cublasHandle_t handle, int transa, int transb, int m, int n,
                                     int k, const double *alpha, const double *a, int lda,
                                     const double *b, int ldb, const double *beta, double *c,
                                     int ldc);
    /* Mixed precision: A and B of one type, C and the products of another. */
    cublasStatus_t (*cublasGemmEx)(cublasHandle_t handle, int transa, int transb, int m, int n,
                                   int k, const void *alpha, const void *a, int a_type, int lda,
                                   const void *b, int b_type, int ldb, const void *beta, void *c,
                                   int c_type, int ldc, int compute_type, int algo);
    const char *(*cublasGetStatusName)(cublasStatus_t status); /* CUDA 11.4+; may be NULL */
} cublas_api;

/* Filled once per process, then only read (as cuda_loader.c's tables). */
static cublas_api api;
static char api_error[256];
static pthread_once_t api_once = PTHREAD_ONCE_INIT;

static void load_api(void)
{
    static const char *const names[] = {"libcublas.so", "libcublas.so.13", "libcublas.so.12"};
    char home[448];
    tsr_dl_env_folder("CUDA_HOME", "lib64", home, sizeof home);
    const char *const folders[] = {NULL, home, "/usr/local/cuda/lib64"};
    void *handle = tsr_dl_open_first(names, 3, folders, 3);
    if (!handle) {
        snprintf(api_error, sizeof api_error,
                 "cuBLAS (libcublas.so.13 or .12) is not installed: install the CUDA toolkit's "
                 "libcublas package or set CUDA_HOME");
        return;
    }
    if (!tsr_dl_bind(handle, "cublasCreate_v2", &api.cublasCreate_v2) ||
        !tsr_dl_bind(handle, "cublasDestroy_v2", &api.cublasDestroy_v2) ||
        !tsr_dl_bind(handle, "cublasSetMathMode", &api.cublasSetMathMode) ||
        !tsr_dl_bind(handle, "cublasSgemm_v2", &api.cublasSgemm_v2) ||
        !tsr_dl_bind(handle, "cublasDgemm_v2", &api.cublasDgemm_v2) ||
        !tsr_dl_bind(handle, "cublasGemmEx", &api.cublasGemmEx)) {
        snprintf(api_error, sizeof api_error,
                 "libcublas lacks cublasCreate_v2, cublasSetMathMode, cublasSgemm_v2, "
                 "cublasDgemm_v2 or cublasGemmEx: install cuBLAS 12 or later");
        return;
    }
    tsr_dl_bind(handle, "cublasGetStatusName", &api.cublasGetStatusName);
}

static tsr_status cublas_fail(tsr_error *err, const char *call, cublasStatus_t status,
                              const tsr_device *device)
{
    const char *name = api.cublasGetStatusName ? api.cublasGetStatusName(status) : NULL;
    return tsr_fail(err, TSR_ERR_BACKEND, "%s failed on %s (%s): %s (%d)", call, device->info.id,
                    device->info.name, name ? name : "cuBLAS error", (int)status);
}

static void release_handle(void *handle)
{
    api.cublasDestroy_v2(handle);
}

/* The device's handle, made on first use. The default math mode keeps
 * SGEMM in full FP32 (no TF32 tensor cores), as tessera's kernels are. */
static tsr_status device_handle(tsr_device *device, cublasHandle_t *out, tsr_error *err)
{
    pthread_once(&api_once, load_api);
    if (api_error[0])
        return tsr_fail(err, TSR_ERR_UNSUPPORTED, "no cuBLAS for %s: %s", device->info.id,
                        api_error);
    cuda_device *dev = device->impl;
    if (!dev->library) {
        cublasHandle_t handle = NULL;
        dev->cu->cuCtxSetCurrent(dev->context);
        cublasStatus_t status = api.cublasCreate_v2(&handle);
        if (status != CUBLAS_STATUS_SUCCESS)
            return cublas_fail(err, "cublasCreate", status, device);
        status = api.cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH);
        if (status != CUBLAS_STATUS_SUCCESS) {
            api.cublasDestroy_v2(handle);
            return cublas_fail(err, "cublasSetMathMode", status, device);
        }
        dev->library = handle;
        dev->library_release = release_handle;
    }
    *out = dev->library;
    return TSR_OK;
}

static tsr_status driver_fail(const cuda_device *dev, tsr_error *err, const char *call, CUresult rc,
                              const tsr_device *device)
{
    const char *name = NULL;
    if (dev->cu->cuGetErrorName(rc, &name) != CUDA_SUCCESS || !name)
        name = "unknown CUDA error";
    return tsr_fail(err, TSR_ERR_BACKEND, "%s around cuBLAS failed on %s (%s): %s (%d)", call,
                    device->info.id, device->info.name, name, (int)rc);
}

tsr_status tsr_cublas_gemm(tsr_device *device, tsr_dtype ab_type, bool a_col_major,
                           bool b_col_major, int m, int n, int k, double alpha, tsr_buffer *a,
                           tsr_buffer *b, double beta, tsr_buffer *c, double *elapsed_ms,
                           tsr_error *err)
{
    float alpha32 = (float)alpha, beta32 = (float)beta;
    cublasHandle_t handle = NULL;
    TSR_TRY(device_handle(device, &handle, err));
    cuda_device *dev = device->impl;
    const tsr_cuda_driver *cu = dev->cu;
    /* cuBLAS is column-major, and a row-major matrix is its transpose
     * there: row-major C = A B is column-major C^T = B^T A^T, an N x M
     * product. A row-major operand is already transposed in that view (op
     * N, leading dimension its row length); a column-major one is passed
     * with op T and its column length. */
    int b_op = b_col_major ? CUBLAS_OP_T : CUBLAS_OP_N, ldb = b_col_major ? k : n;
    int a_op = a_col_major ? CUBLAS_OP_T : CUBLAS_OP_N, lda = a_col_major ? m : k;
    const void *pa = (const void *)(size_t)tsr_cuda_pointer(a);
    const void *pb = (const void *)(size_t)tsr_cuda_pointer(b);
    void *pc = (void *)(size_t)tsr_cuda_pointer(c);

    cu->cuCtxSetCurrent(dev->context);
    CUevent start = NULL, end = NULL;
    CUresult rc = CUDA_SUCCESS;
    const char *call = "cuEventCreate";
    if (elapsed_ms && (rc = cu->cuEventCreate(&start, 0)) == CUDA_SUCCESS &&
        (rc = cu->cuEventCreate(&end, 0)) == CUDA_SUCCESS) {
        call = "cuEventRecord";
        rc = cu->cuEventRecord(start, NULL);
    }
    tsr_status st = rc == CUDA_SUCCESS ? TSR_OK : driver_fail(dev, err, call, rc, device);
    if (st == TSR_OK) {
        /* f32 stays on Sgemm (the handle's default math: no TF32); 16-bit
         * inputs go through GemmEx with f32 products, on the tensor cores,
         * and so does f32 as tf32 (its fast-TF32 compute type). */
        int type = ab_type == TSR_F16 ? CUDA_R_16F : ab_type == TSR_BF16 ? CUDA_R_16BF : CUDA_R_32F;
        int compute = ab_type == TSR_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
        cublasStatus_t status =
            ab_type == TSR_F64 ? api.cublasDgemm_v2(handle, b_op, a_op, n, m, k, &alpha, pb, ldb,
                                                    pa, lda, &beta, pc, n)
            : ab_type == TSR_F32
                ? api.cublasSgemm_v2(handle, b_op, a_op, n, m, k, &alpha32, pb, ldb, pa, lda,
                                     &beta32, pc, n)
                : api.cublasGemmEx(handle, b_op, a_op, n, m, k, &alpha32, pb, type, ldb, pa, type,
                                   lda, &beta32, pc, CUDA_R_32F, n, compute, CUBLAS_GEMM_DEFAULT);
        if (status != CUBLAS_STATUS_SUCCESS)
            st = cublas_fail(err,
                             ab_type == TSR_F64   ? "cublasDgemm"
                             : ab_type == TSR_F32 ? "cublasSgemm"
                                                  : "cublasGemmEx",
                             status, device);
    }
    if (st == TSR_OK && elapsed_ms) {
        float ms = 0.0f;
        call = "cuEventRecord";
        if ((rc = cu->cuEventRecord(end, NULL)) == CUDA_SUCCESS) {
            call = "cuEventSynchronize";
            if ((rc = cu->cuEventSynchronize(end)) == CUDA_SUCCESS) {
                call = "cuEventElapsedTime";
                rc = cu->cuEventElapsedTime(&ms, start, end);
            }
        }
        *elapsed_ms = ms;
        if (rc != CUDA_SUCCESS)
            st = driver_fail(dev, err, call, rc, device);
    }
    /* As every launch: wait, so that a fault surfaces here. */
    if (st == TSR_OK && (rc = cu->cuCtxSynchronize()) != CUDA_SUCCESS)
        st = driver_fail(dev, err, "cuCtxSynchronize", rc, device);
    if (start)
        cu->cuEventDestroy_v2(start);
    if (end)
        cu->cuEventDestroy_v2(end);
    return st;
}
