/* Multiplies two matrices with the GEMM of a tessera bundle through CUDA,
 * on the program's own context, stream and device memory, and compares it
 * with cuBLAS on the same buffers: the answer (against cuBLAS, and for
 * small shapes against a double-precision product on the CPU) and the
 * speed, both timed by events on the same stream.
 *
 *   cc cuda_gemm.c $(pkg-config --cflags --libs tessera-rt) \
 *      -I/usr/local/cuda/include -L/usr/local/cuda/lib64 -lcublas -lcuda -lm
 *   ./cuda_gemm BUNDLE_DIR [M N K [RUNS]]     (default 4096 4096 4096, 20 runs)
 *
 * Exit status 0 when the product is right. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cublas_v2.h>
#include <cuda.h>
#include <tessera/tessera_rt.h>
#include <tessera/tessera_rt_cuda.h>

#define CHECK_CU(call)                                                                             \
    do {                                                                                           \
        CUresult rc_ = (call);                                                                     \
        if (rc_ != CUDA_SUCCESS) {                                                                 \
            const char *name_ = "?";                                                               \
            cuGetErrorName(rc_, &name_);                                                           \
            fprintf(stderr, "%s: %s\n", #call, name_);                                             \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static float next_value(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static int compare_floats(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s BUNDLE_DIR [M N K [RUNS]]\n", argv[0]);
        return 2;
    }
    int m = argc >= 5 ? atoi(argv[2]) : 4096, n = argc >= 5 ? atoi(argv[3]) : 4096,
        k = argc >= 5 ? atoi(argv[4]) : 4096, runs = argc == 6 ? atoi(argv[5]) : 20;
    if (m < 1 || n < 1 || k < 1 || runs < 1 || runs > 1000) {
        fprintf(stderr, "M, N, K must be positive, RUNS 1 to 1000\n");
        return 2;
    }
    char err[512];
    tsr_rt_bundle *bundle;
    if (tsr_rt_open(argv[1], &bundle, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    CUdevice device;
    CUcontext context;
    CHECK_CU(cuInit(0));
    CHECK_CU(cuDeviceGet(&device, 0));
    CHECK_CU(cuDevicePrimaryCtxRetain(&context, device));
    CHECK_CU(cuCtxSetCurrent(context));
    CUstream stream;
    CHECK_CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));

    size_t na = (size_t)m * k, nb = (size_t)k * n, nc = (size_t)m * n;
    float *a = malloc(na * 4), *b = malloc(nb * 4), *ours = malloc(nc * 4),
          *theirs = malloc(nc * 4);
    unsigned state = 42;
    for (size_t i = 0; i < na; i++)
        a[i] = next_value(&state);
    for (size_t i = 0; i < nb; i++)
        b[i] = next_value(&state);
    CUdeviceptr da, db, dc;
    CHECK_CU(cuMemAlloc(&da, na * 4));
    CHECK_CU(cuMemAlloc(&db, nb * 4));
    CHECK_CU(cuMemAlloc(&dc, nc * 4));
    CHECK_CU(cuMemcpyHtoD(da, a, na * 4));
    CHECK_CU(cuMemcpyHtoD(db, b, nb * 4));

    cublasHandle_t handle;
    if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS ||
        cublasSetStream(handle, (cudaStream_t)stream) != CUBLAS_STATUS_SUCCESS ||
        cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH) != CUBLAS_STATUS_SUCCESS) {
        fprintf(stderr, "cuBLAS does not start\n");
        return 1;
    }
    const float one = 1.0f, zero = 0.0f;
    /* Row-major C = A B is column-major C^T = B^T A^T. */
#define RUN_CUBLAS()                                                                               \
    cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, (const float *)db, n,             \
                (const float *)da, k, &zero, (float *)dc, n)
#define RUN_TESSERA()                                                                              \
    tsr_rt_gemm_cuda(bundle, stream, TSR_RT_ROW, TSR_RT_ROW, m, n, k, 1.0f, da, db, 0.0f, dc, err, \
                     sizeof err)

    /* The answers: ours, then cuBLAS's, from the same inputs. */
    CHECK_CU(cuMemsetD32(dc, 0x7fc00000u, nc)); /* NaN: an unwritten element cannot pass */
    if (RUN_TESSERA() != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    CHECK_CU(cuStreamSynchronize(stream));
    CHECK_CU(cuMemcpyDtoH(ours, dc, nc * 4));
    if (RUN_CUBLAS() != CUBLAS_STATUS_SUCCESS) {
        fprintf(stderr, "cublasSgemm failed\n");
        return 1;
    }
    CHECK_CU(cuStreamSynchronize(stream));
    CHECK_CU(cuMemcpyDtoH(theirs, dc, nc * 4));
    double worst = 0.0, bound = (16.0 * sqrt((double)k) + 64.0) * ldexp(1.0, -24);
    bool on_cpu = (double)m * n * k <= 1e9; /* the double product, where it is quick */
    for (size_t i = 0; i < nc; i++) {
        double ref = theirs[i], magnitude = k; /* |a|, |b| < 1: the terms sum below k */
        if (on_cpu) {
            size_t row = i / (size_t)n, col = i % (size_t)n;
            ref = magnitude = 0.0;
            for (int p = 0; p < k; p++) {
                double t = (double)a[row * k + p] * b[(size_t)p * n + col];
                ref += t;
                magnitude += fabs(t);
            }
        }
        double e = fabs(ours[i] - ref) / (magnitude > 0 ? magnitude : 1.0);
        worst = isnan(e) ? INFINITY : fmax(worst, e);
    }
    /* Against cuBLAS both sides carry rounding error. */
    if (!on_cpu)
        bound *= 2;

    /* The speed: RUNS of each, alternating, on the stream's events. */
    CUevent start, end;
    CHECK_CU(cuEventCreate(&start, 0));
    CHECK_CU(cuEventCreate(&end, 0));
    float *t_ours = malloc((size_t)runs * 4), *t_theirs = malloc((size_t)runs * 4);
    for (int r = 0; r < runs; r++) {
        for (int side = 0; side < 2; side++) {
            CHECK_CU(cuEventRecord(start, stream));
            int rc = side == 0 ? RUN_TESSERA() : (int)RUN_CUBLAS();
            CHECK_CU(cuEventRecord(end, stream));
            CHECK_CU(cuEventSynchronize(end));
            if (rc != 0) {
                fprintf(stderr, "a timed run failed\n");
                return 1;
            }
            CHECK_CU(cuEventElapsedTime(side == 0 ? &t_ours[r] : &t_theirs[r], start, end));
        }
    }
    qsort(t_ours, (size_t)runs, 4, compare_floats);
    qsort(t_theirs, (size_t)runs, 4, compare_floats);
    double ms = t_ours[runs / 2], ms_ref = t_theirs[runs / 2], flop = 2.0 * m * n * k;
    long pick;
    long shape[3] = {m, n, k};
    char key[64];
    pick = tsr_rt_pick(bundle, tsr_rt_gemm_key(TSR_RT_ROW, TSR_RT_ROW, false, key, sizeof key),
                       "cuda", shape, 3);
    tsr_rt_kernel_info info = {0};
    tsr_rt_kernel_info_at(bundle, (size_t)pick, &info);
    const char *loaded = tsr_rt_loaded_from(bundle, (size_t)pick);
    printf("%d x %d x %d with the bundle's kernel tuned for %s (%s), loaded from %s:\n", m, n, k,
           info.shape, info.config, loaded ? loaded : "?");
    printf("  max relative error %.3g against %s (bound %.3g): %s\n", worst,
           on_cpu ? "a double product on the CPU" : "cuBLAS", bound,
           worst <= bound ? "ok" : "WRONG");
    printf("  tessera %.3f ms %.1f GFLOP/s, cuBLAS %.3f ms %.1f GFLOP/s, ratio %.2f "
           "(median of %d, events)\n",
           ms, flop / (ms * 1e6), ms_ref, flop / (ms_ref * 1e6), ms_ref / ms, runs);

    cublasDestroy(handle);
    cuMemFree(da);
    cuMemFree(db);
    cuMemFree(dc);
    tsr_rt_close(bundle);
    cuStreamDestroy(stream);
    cuDevicePrimaryCtxRelease(device);
    return worst <= bound ? 0 : 1;
}
