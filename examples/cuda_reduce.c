/* Runs the row sums of a tessera bundle through CUDA, on the program's own
 * context, stream and device memory, for each shape given: Y[r] = the sum
 * of X's row r, f32, checked against a double-precision sum on the CPU
 * after every launch, and timed by events on the same stream. A kernel
 * that splits long rows among groups takes a workspace, which libtessera-rt
 * keeps for the stream: the shapes run one after another on it, twice
 * each before the timing, so a kernel that left its counts behind, or a
 * workspace not grown or not zeroed, gives a wrong sum.
 *
 *   cc cuda_reduce.c $(pkg-config --cflags --libs tessera-rt) \
 *      -I/usr/local/cuda/include -L/usr/local/cuda/lib64 -lcuda -lm
 *   ./cuda_reduce BUNDLE_DIR ROWSxCOLS... [--runs N]   (default 20 runs)
 *
 * Prints one line a shape; exit status 0 when every sum is right. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Uniform in [-1, 1), never 0. */
static float next_value(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    float value = (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
    return value != 0.0f ? value : 0.5f;
}

static int compare_floats(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The largest |Y[r] - sum| / sum of |X[r][c]| over the rows, Y read back
 * from `dy`; infinite where a row is NaN (the poison: never written). */
static double worst_error(const float *x, CUdeviceptr dy, int rows, int cols, float *y)
{
    CHECK_CU(cuMemcpyDtoH(y, dy, (size_t)rows * sizeof *y));
    double worst = 0.0;
    for (int r = 0; r < rows; r++) {
        double sum = 0.0, magnitude = 0.0;
        for (int c = 0; c < cols; c++) {
            sum += x[(size_t)r * cols + c];
            magnitude += fabs(x[(size_t)r * cols + c]);
        }
        double e = fabs(y[r] - sum) / magnitude;
        worst = isnan(e) ? INFINITY : fmax(worst, e);
    }
    return worst;
}

/* One shape: launched twice and checked after each, then timed and
 * checked again. Returns whether every check passed. */
static int run_shape(tsr_rt_bundle *bundle, CUstream stream, int rows, int cols, int runs)
{
    size_t n = (size_t)rows * cols;
    float *x = malloc(n * sizeof *x), *y = malloc((size_t)rows * sizeof *y);
    float *times = malloc((size_t)runs * sizeof *times);
    if (!x || !y || !times) {
        fprintf(stderr, "out of memory for %dx%d\n", rows, cols);
        exit(1);
    }
    unsigned state = (unsigned)(rows * 131 + cols);
    for (size_t i = 0; i < n; i++)
        x[i] = next_value(&state);
    CUdeviceptr dx, dy;
    CHECK_CU(cuMemAlloc(&dx, n * sizeof *x));
    CHECK_CU(cuMemAlloc(&dy, (size_t)rows * sizeof *y));
    CHECK_CU(cuMemcpyHtoD(dx, x, n * sizeof *x));
    tsr_rt_rows_desc d;
    tsr_rt_rows_desc_init(&d, TSR_RT_REDUCE_SUM, rows, cols);
    char err[512];
    /* sqrt(cols) roundings of f32 sums, with room: a lost part of a split
     * row is off by far more. */
    double bound = (16.0 + 4.0 * sqrt((double)cols)) * ldexp(1.0, -23), worst = 0.0;
    for (int launch = 0; launch < 2; launch++) {
        CHECK_CU(cuMemsetD32(dy, 0x7fc00000u, (size_t)rows)); /* NaN: unwritten rows fail */
        if (tsr_rt_rows_cuda(bundle, stream, &d, dx, 0, 0, dy, err, sizeof err) != 0) {
            fprintf(stderr, "%dx%d: %s\n", rows, cols, err);
            exit(1);
        }
        CHECK_CU(cuStreamSynchronize(stream));
        worst = fmax(worst, worst_error(x, dy, rows, cols, y));
    }
    CUevent start, end;
    CHECK_CU(cuEventCreate(&start, 0));
    CHECK_CU(cuEventCreate(&end, 0));
    for (int r = 0; r < runs; r++) {
        CHECK_CU(cuEventRecord(start, stream));
        int rc = tsr_rt_rows_cuda(bundle, stream, &d, dx, 0, 0, dy, err, sizeof err);
        CHECK_CU(cuEventRecord(end, stream));
        CHECK_CU(cuEventSynchronize(end));
        if (rc != 0) {
            fprintf(stderr, "a timed run failed: %s\n", err);
            exit(1);
        }
        CHECK_CU(cuEventElapsedTime(&times[r], start, end));
    }
    /* And once more after the timing, on the workspace it left. */
    worst = fmax(worst, worst_error(x, dy, rows, cols, y));
    qsort(times, (size_t)runs, sizeof *times, compare_floats);
    double ms = times[runs / 2];
    char key[96];
    long shape[2] = {rows, cols};
    long pick = tsr_rt_pick(bundle, tsr_rt_rows_desc_key(&d, key, sizeof key), "cuda", shape, 2);
    tsr_rt_kernel_info info = {0};
    tsr_rt_kernel_info_at(bundle, (size_t)pick, &info);
    printf("%s %dx%d (kernel tuned for %s, %s): max error %.3g (bound %.3g) %s; %.4f ms, "
           "%.0f GB/s (median of %d, events)\n",
           key, rows, cols, info.shape, info.config, worst, bound, worst <= bound ? "ok" : "WRONG",
           ms, (double)(n + rows) * 4.0 / (ms * 1e6), runs);
    cuEventDestroy(start);
    cuEventDestroy(end);
    cuMemFree(dx);
    cuMemFree(dy);
    free(x);
    free(y);
    free(times);
    return worst <= bound;
}

int main(int argc, char **argv)
{
    int runs = 20, shapes = 0;
    if (argc >= 4 && strcmp(argv[argc - 2], "--runs") == 0) {
        runs = atoi(argv[argc - 1]);
        argc -= 2;
    }
    if (argc < 3 || runs < 1 || runs > 1000) {
        fprintf(stderr, "usage: %s BUNDLE_DIR ROWSxCOLS... [--runs N (1 to 1000)]\n", argv[0]);
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
    int right = 0;
    for (int i = 2; i < argc; i++, shapes++) {
        int rows = 0, cols = 0;
        char end = 0;
        if (sscanf(argv[i], "%dx%d%c", &rows, &cols, &end) != 2 || rows < 1 || cols < 1) {
            fprintf(stderr, "%s: a shape is ROWSxCOLS, each >= 1\n", argv[i]);
            return 2;
        }
        right += run_shape(bundle, stream, rows, cols, runs);
    }
    tsr_rt_close(bundle);
    cuStreamDestroy(stream);
    cuDevicePrimaryCtxRelease(device);
    return right == shapes ? 0 : 1;
}
