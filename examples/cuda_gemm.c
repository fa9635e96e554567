/* Multiplies two matrices with the GEMM of a tessera bundle through CUDA,
 * on the program's own context, stream and device memory, and compares it
 * with cuBLAS on the same buffers: the answer (against cuBLAS, and for
 * small shapes against a long double product on the CPU) and the speed,
 * both timed by events on the same stream. f32 (cublasSgemm, TF32 off),
 * or f64 with --f64 (the bundle's gemm.f64 kernels, cublasDgemm).
 *
 *   cc cuda_gemm.c $(pkg-config --cflags --libs tessera-rt) \
 *      -I/usr/local/cuda/include -L/usr/local/cuda/lib64 -lcublas -lcuda -lm
 *   ./cuda_gemm [--f64] BUNDLE_DIR [M N K [RUNS]]   (default 4096 4096 4096, 20 runs)
 *
 * Exit status 0 when the product is right. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Uniform in [-1, 1) with 53 random bits; an f32 run rounds them. */
static double next_value(unsigned long long *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*state >> 11) * 0x1p-52 - 1.0;
}

/* The host's doubles as the device holds them: each rounded to float for
 * f32 (and the host's copy with it, so the reference reads what the GPU
 * reads). */
static void upload(CUdeviceptr to, double *values, size_t n, bool f64)
{
    if (f64) {
        CHECK_CU(cuMemcpyHtoD(to, values, n * sizeof *values));
        return;
    }
    float *rounded = malloc(n * sizeof *rounded);
    for (size_t i = 0; i < n; i++)
        values[i] = rounded[i] = (float)values[i];
    CHECK_CU(cuMemcpyHtoD(to, rounded, n * sizeof *rounded));
    free(rounded);
}

static void download(double *values, CUdeviceptr from, size_t n, bool f64)
{
    if (f64) {
        CHECK_CU(cuMemcpyDtoH(values, from, n * sizeof *values));
        return;
    }
    float *read = malloc(n * sizeof *read);
    CHECK_CU(cuMemcpyDtoH(read, from, n * sizeof *read));
    for (size_t i = 0; i < n; i++)
        values[i] = read[i];
    free(read);
}

static int compare_floats(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* cuBLAS's product of the same buffers, row-major C = A B as
 * column-major C^T = B^T A^T. */
static cublasStatus_t run_cublas(cublasHandle_t handle, bool f64, int m, int n, int k,
                                 CUdeviceptr a, CUdeviceptr b, CUdeviceptr c)
{
    if (f64) {
        const double one = 1.0, zero = 0.0;
        return cublasDgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, (const double *)b, n,
                           (const double *)a, k, &zero, (double *)c, n);
    }
    const float one = 1.0f, zero = 0.0f;
    return cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, (const float *)b, n,
                       (const float *)a, k, &zero, (float *)c, n);
}

int main(int argc, char **argv)
{
    bool f64 = argc > 1 && strcmp(argv[1], "--f64") == 0;
    argc -= f64, argv += f64;
    if (argc != 2 && argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s [--f64] BUNDLE_DIR [M N K [RUNS]]\n", argv[0]);
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
    size_t size = f64 ? sizeof(double) : sizeof(float);
    double *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b),
           *ours = malloc(nc * sizeof *ours), *theirs = malloc(nc * sizeof *theirs);
    unsigned long long state = 42;
    for (size_t i = 0; i < na; i++)
        a[i] = next_value(&state);
    for (size_t i = 0; i < nb; i++)
        b[i] = next_value(&state);
    CUdeviceptr da, db, dc;
    CHECK_CU(cuMemAlloc(&da, na * size));
    CHECK_CU(cuMemAlloc(&db, nb * size));
    CHECK_CU(cuMemAlloc(&dc, nc * size));
    upload(da, a, na, f64);
    upload(db, b, nb, f64);

    cublasHandle_t handle;
    if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS ||
        cublasSetStream(handle, (cudaStream_t)stream) != CUBLAS_STATUS_SUCCESS ||
        cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH) != CUBLAS_STATUS_SUCCESS) {
        fprintf(stderr, "cuBLAS does not start\n");
        return 1;
    }
    tsr_rt_gemm_desc desc;
    tsr_rt_gemm_desc_init(&desc, m, n, k);
    desc.ab_type = desc.c_type = f64 ? TSR_RT_F64 : TSR_RT_F32;

    /* The answers: ours, then cuBLAS's, from the same inputs; all ones
     * is NaN as a float and as a double, so an unwritten element cannot
     * pass. */
    CHECK_CU(cuMemsetD32(dc, 0xffffffffu, nc * size / 4));
    if (tsr_rt_gemm_ex_cuda(bundle, stream, &desc, da, db, dc, 0, 0, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    CHECK_CU(cuStreamSynchronize(stream));
    download(ours, dc, nc, f64);
    if (run_cublas(handle, f64, m, n, k, da, db, dc) != CUBLAS_STATUS_SUCCESS) {
        fprintf(stderr, "cuBLAS's GEMM failed\n");
        return 1;
    }
    CHECK_CU(cuStreamSynchronize(stream));
    download(theirs, dc, nc, f64);
    double worst = 0.0, unit = ldexp(1.0, f64 ? -53 : -24);
    double bound = (16.0 * sqrt((double)k) + 64.0) * unit;
    bool on_cpu = (double)m * n * k <= 1e9; /* the long double product, where it is quick */
    for (size_t i = 0; i < nc; i++) {
        long double ref = theirs[i], magnitude = k; /* |a|, |b| < 1: the terms sum below k */
        if (on_cpu) {
            size_t row = i / (size_t)n, col = i % (size_t)n;
            ref = magnitude = 0.0L;
            for (int p = 0; p < k; p++) {
                long double t = (long double)a[row * k + p] * b[(size_t)p * n + col];
                ref += t;
                magnitude += fabsl(t);
            }
        }
        double e = (double)(fabsl(ours[i] - ref) / (magnitude > 0 ? magnitude : 1.0L));
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
            int rc = side == 0 ? tsr_rt_gemm_ex_cuda(bundle, stream, &desc, da, db, dc, 0, 0, err,
                                                     sizeof err)
                               : (int)run_cublas(handle, f64, m, n, k, da, db, dc);
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
    long shape[3] = {m, n, k};
    char key[64];
    long pick = tsr_rt_pick(bundle, tsr_rt_gemm_desc_key(&desc, key, sizeof key), "cuda", shape, 3);
    tsr_rt_kernel_info info = {0};
    tsr_rt_kernel_info_at(bundle, (size_t)pick, &info);
    const char *loaded = tsr_rt_loaded_from(bundle, (size_t)pick);
    printf("%s %d x %d x %d with the bundle's kernel tuned for %s (%s), loaded from %s:\n",
           f64 ? "f64" : "f32", m, n, k, info.shape, info.config, loaded ? loaded : "?");
    printf("  max relative error %.3g against %s (bound %.3g): %s\n", worst,
           on_cpu ? "a long double product on the CPU" : "cuBLAS", bound,
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
