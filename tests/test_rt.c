/* libtessera-rt on PoCL through OpenCL, with nothing of libtessera: a
 * bundle's GEMM and softmax on the program's own context, queue and
 * buffers, for shapes never tuned, checked in double precision; and the
 * runtime's refusals, each a code and one line.
 *
 * usage: test_rt BUNDLE_DIR   (tests/test_rt.sh makes the bundle) */
#define CL_TARGET_OPENCL_VERSION 120
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CL/cl.h>
#include <tessera/tessera_rt.h>
#include <tessera/tessera_rt_cuda.h>
#include <tessera/tessera_rt_hip.h>
#include <tessera/tessera_rt_opencl.h>

#include "tests/check.h"

static const char *bundle_dir;
static cl_context context;
static cl_command_queue queue;

static float next_value(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static cl_mem upload(const float *data, size_t n)
{
    cl_int status;
    return clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * sizeof(float),
                          (void *)data, &status);
}

static void gemm_of_an_untuned_shape_is_right(void)
{
    tsr_rt_bundle *b = NULL;
    char err[512] = "";
    CHECK_MSG(tsr_rt_open(bundle_dir, &b, err, sizeof err) == TSR_RT_OK, "%s", err);
    if (!b)
        return;
    enum { M = 57, N = 33, K = 71 };
    static float a[M * K], bb[K * N], c[M * N];
    unsigned state = 7;
    for (int i = 0; i < M * K; i++)
        a[i] = next_value(&state);
    for (int i = 0; i < K * N; i++)
        bb[i] = next_value(&state);
    for (int i = 0; i < M * N; i++)
        c[i] = NAN;
    cl_mem da = upload(a, M * K), db = upload(bb, K * N), dc = upload(c, M * N);
    CHECK_MSG(tsr_rt_gemm_opencl(b, queue, TSR_RT_ROW, TSR_RT_ROW, M, N, K, 1.0f, da, db, 0.0f, dc,
                                 NULL, err, sizeof err) == TSR_RT_OK,
              "%s", err);
    CHECK(clEnqueueReadBuffer(queue, dc, CL_TRUE, 0, sizeof c, c, 0, NULL, NULL) == CL_SUCCESS);
    double worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double sum = 0, mag = 0;
            for (int p = 0; p < K; p++) {
                sum += (double)a[i * K + p] * bb[p * N + j];
                mag += fabs((double)a[i * K + p] * bb[p * N + j]);
            }
            double e = fabs(c[i * N + j] - sum) / mag;
            worst = isnan(e) ? INFINITY : fmax(worst, e);
        }
    CHECK_MSG(worst < 1e-5, "max relative error %g", worst);
    long shape[3] = {M, N, K};
    char key[64];
    long pick = tsr_rt_pick(b, tsr_rt_gemm_key(TSR_RT_ROW, TSR_RT_ROW, false, key, sizeof key),
                            "opencl", shape, 3);
    CHECK(pick >= 0);
    const char *loaded = pick >= 0 ? tsr_rt_loaded_from(b, (size_t)pick) : NULL;
    CHECK(loaded && strcmp(loaded, "OpenCL C source") == 0);
    clReleaseMemObject(da);
    clReleaseMemObject(db);
    clReleaseMemObject(dc);
    tsr_rt_close(b);
}

static void softmax_of_an_untuned_shape_is_right(void)
{
    tsr_rt_bundle *b = NULL;
    char err[512] = "";
    CHECK_MSG(tsr_rt_open(bundle_dir, &b, err, sizeof err) == TSR_RT_OK, "%s", err);
    if (!b)
        return;
    enum { ROWS = 13, COLS = 1001 };
    static float x[ROWS * COLS], y[ROWS * COLS];
    unsigned state = 11;
    for (int i = 0; i < ROWS * COLS; i++) {
        x[i] = 8.0f * next_value(&state);
        y[i] = NAN;
    }
    cl_mem dx = upload(x, ROWS * COLS), dy = upload(y, ROWS * COLS);
    CHECK_MSG(tsr_rt_softmax_opencl(b, queue, ROWS, COLS, dx, dy, NULL, err, sizeof err) ==
                  TSR_RT_OK,
              "%s", err);
    CHECK(clEnqueueReadBuffer(queue, dy, CL_TRUE, 0, sizeof y, y, 0, NULL, NULL) == CL_SUCCESS);
    double worst = 0;
    for (int r = 0; r < ROWS; r++) {
        double top = -INFINITY, sum = 0;
        for (int j = 0; j < COLS; j++)
            top = fmax(top, x[r * COLS + j]);
        for (int j = 0; j < COLS; j++)
            sum += exp((double)x[r * COLS + j] - top);
        for (int j = 0; j < COLS; j++) {
            double want = exp((double)x[r * COLS + j] - top) / sum;
            double e = fabs(y[r * COLS + j] - want) / want;
            worst = isnan(e) ? INFINITY : fmax(worst, e);
        }
    }
    CHECK_MSG(worst < 1e-4, "max relative error %g", worst);
    clReleaseMemObject(dx);
    clReleaseMemObject(dy);
    tsr_rt_close(b);
}

static void refusals_are_a_code_and_one_line(void)
{
    tsr_rt_bundle *b = NULL;
    char err[512] = "";
    CHECK(tsr_rt_open("/nonexistent-bundle", &b, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK(b == NULL && strstr(err, "/nonexistent-bundle") && !strchr(err, '\n'));
    CHECK(tsr_rt_open(bundle_dir, &b, err, sizeof err) == TSR_RT_OK);
    if (!b)
        return;
    /* No kernel for column-major A in this bundle. */
    CHECK(tsr_rt_gemm_opencl(b, queue, TSR_RT_COL, TSR_RT_ROW, 8, 8, 8, 1.0f, NULL, NULL, 0.0f,
                             NULL, NULL, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no opencl kernel for gemm.f32.a=col.b=row.beta=0");
    CHECK(tsr_rt_gemm_opencl(b, queue, TSR_RT_ROW, TSR_RT_ROW, 0, 8, 8, 1.0f, NULL, NULL, 0.0f,
                             NULL, NULL, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "m=0");
    CHECK(tsr_rt_softmax_opencl(b, queue, 4, -1, NULL, NULL, NULL, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    /* A bundle tuned on PoCL has no CUDA or HIP kernels: said so, before
     * any driver is touched. */
    CHECK(tsr_rt_gemm_cuda(b, NULL, TSR_RT_ROW, TSR_RT_ROW, 8, 8, 8, 1.0f, 0, 0, 0.0f, 0, err,
                           sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no cuda kernel");
    CHECK(tsr_rt_softmax_hip(b, NULL, 4, 4, NULL, NULL, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no hip kernel for softmax.f32");
    CHECK(tsr_rt_kernel_count(b) >= 2);
    tsr_rt_kernel_info info;
    CHECK(tsr_rt_kernel_info_at(b, 0, &info) == TSR_RT_OK && info.op_key && info.time_ms > 0);
    CHECK(tsr_rt_kernel_info_at(b, 999, &info) == TSR_RT_ERR_INPUT);
    tsr_rt_close(b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s BUNDLE_DIR\n", argv[0]);
        return 2;
    }
    bundle_dir = argv[1];
    cl_platform_id platform;
    cl_device_id device;
    cl_int status = clGetPlatformIDs(1, &platform, NULL);
    if (status == CL_SUCCESS)
        status = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL);
    context = status == CL_SUCCESS ? clCreateContext(NULL, 1, &device, NULL, NULL, &status) : NULL;
    queue = context ? clCreateCommandQueue(context, device, 0, &status) : NULL;
    if (!queue) {
        fprintf(stderr, "no OpenCL device\n");
        return 1;
    }
    RUN_TEST(gemm_of_an_untuned_shape_is_right);
    RUN_TEST(softmax_of_an_untuned_shape_is_right);
    RUN_TEST(refusals_are_a_code_and_one_line);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
    return check_summary();
}
