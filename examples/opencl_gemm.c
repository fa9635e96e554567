/* Multiplies two matrices with the GEMM of a tessera bundle, through
 * OpenCL, on the program's own context, queue and buffers; checks the
 * product against a double-precision one on the CPU.
 *
 *   cc opencl_gemm.c $(pkg-config --cflags --libs tessera-rt) -o opencl_gemm
 *   ./opencl_gemm BUNDLE_DIR [M N K]      (default 300 200 100: any shape works)
 *
 * Exit status 0 when the product is right. */
#define CL_TARGET_OPENCL_VERSION 120
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <CL/cl.h>
#include <tessera/tessera_rt.h>
#include <tessera/tessera_rt_opencl.h>

static float next_value(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

/* The first device of the first platform that has one. */
static cl_device_id first_device(void)
{
    cl_platform_id platforms[16];
    cl_uint n = 0;
    if (clGetPlatformIDs(16, platforms, &n) != CL_SUCCESS)
        return NULL;
    for (cl_uint p = 0; p < n; p++) {
        cl_device_id device;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 1, &device, NULL) == CL_SUCCESS)
            return device;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 5) {
        fprintf(stderr, "usage: %s BUNDLE_DIR [M N K]\n", argv[0]);
        return 2;
    }
    int m = argc == 5 ? atoi(argv[2]) : 300, n = argc == 5 ? atoi(argv[3]) : 200,
        k = argc == 5 ? atoi(argv[4]) : 100;
    if (m < 1 || n < 1 || k < 1) {
        fprintf(stderr, "M, N and K must be positive\n");
        return 2;
    }
    char err[512];
    tsr_rt_bundle *bundle;
    if (tsr_rt_open(argv[1], &bundle, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }

    cl_device_id device = first_device();
    cl_int status;
    cl_context context = device ? clCreateContext(NULL, 1, &device, NULL, NULL, &status) : NULL;
    cl_command_queue queue =
        context ? clCreateCommandQueue(context, device, CL_QUEUE_PROFILING_ENABLE, &status) : NULL;
    if (!queue) {
        fprintf(stderr, "no OpenCL device\n");
        return 1;
    }
    size_t na = (size_t)m * k, nb = (size_t)k * n, nc = (size_t)m * n;
    float *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b), *c = malloc(nc * sizeof *c);
    unsigned state = 42;
    for (size_t i = 0; i < na; i++)
        a[i] = next_value(&state);
    for (size_t i = 0; i < nb; i++)
        b[i] = next_value(&state);
    cl_mem da =
        clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, na * 4, a, &status);
    cl_mem db =
        clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, nb * 4, b, &status);
    cl_mem dc = clCreateBuffer(context, CL_MEM_READ_WRITE, nc * 4, NULL, &status);

    /* C = A * B, both row-major, beta 0: the bundle's pick for this shape.
     * (A fused bias, activation or residual, or a batch: tsr_rt_gemm_ex_opencl
     * with a tsr_rt_gemm_desc, tessera_rt.h.) */
    cl_event done;
    if (tsr_rt_gemm_opencl(bundle, queue, TSR_RT_ROW, TSR_RT_ROW, m, n, k, 1.0f, da, db, 0.0f, dc,
                           &done, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    clEnqueueReadBuffer(queue, dc, CL_TRUE, 0, nc * 4, c, 1, &done, NULL);
    cl_ulong start = 0, end = 0;
    clGetEventProfilingInfo(done, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
    clGetEventProfilingInfo(done, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);

    /* Each element against the sum in double, relative to the sum of the
     * terms' magnitudes. */
    double worst = 0.0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double sum = 0.0, magnitude = 0.0;
            for (int p = 0; p < k; p++) {
                sum += (double)a[(size_t)i * k + p] * b[(size_t)p * n + j];
                magnitude += fabs((double)a[(size_t)i * k + p] * b[(size_t)p * n + j]);
            }
            double e = fabs(c[(size_t)i * n + j] - sum) / (magnitude > 0 ? magnitude : 1.0);
            worst = isnan(e) || e > worst ? (isnan(e) ? INFINITY : e) : worst;
        }
    double bound = (16.0 * sqrt((double)k) + 64.0) * ldexp(1.0, -24);
    double ms = (double)(end - start) * 1e-6;
    printf("%d x %d x %d on the bundle's GEMM: %.4f ms, %.2f GFLOP/s, max relative error %.3g "
           "(bound %.3g): %s\n",
           m, n, k, ms, ms > 0 ? 2.0 * m * n * k / (ms * 1e6) : 0.0, worst, bound,
           worst <= bound ? "ok" : "WRONG");

    clReleaseEvent(done);
    clReleaseMemObject(da);
    clReleaseMemObject(db);
    clReleaseMemObject(dc);
    tsr_rt_close(bundle);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
    free(a);
    free(b);
    free(c);
    return worst <= bound ? 0 : 1;
}
