/* The micro-benchmarks (see microbench.h). */
#include "runner/microbench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The dialect macros and kernels, for OpenCL C and CUDA/HIP C++ alike.
 * T is the data type of the FMA kernel; the others are float. */
static const char prelude[] = "#ifdef __OPENCL_VERSION__\n"
                              "#ifdef TSR_FP64\n"
                              "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
                              "#endif\n"
                              "#define KERNEL __kernel\n"
                              "#define GLOBAL __global\n"
                              "#define SHARED __local\n"
                              "#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)\n"
                              "#define GID() ((int)get_global_id(0))\n"
                              "#define LID() ((int)get_local_id(0))\n"
                              "#else\n"
                              "#define KERNEL extern \"C\" __global__\n"
                              "#define GLOBAL\n"
                              "#define SHARED __shared__\n"
                              "#define BARRIER() __syncthreads()\n"
                              "#define GID() ((int)(blockIdx.x * blockDim.x + threadIdx.x))\n"
                              "#define LID() ((int)threadIdx.x)\n"
                              "#endif\n";

/* Sixteen independent multiply-add chains per thread, so that neither the
 * latency of one nor a compiler can hide the work; the sum is stored so
 * that none is dead. Written out as scalars (fma_source), since a private
 * array in a loop may live in memory on some compilers (PoCL's does). */
enum { CHAINS = 16 };

static char *fma_source(void)
{
    enum { SIZE = 4096 };
    char *s = malloc(SIZE);
    if (!s)
        return NULL;
    size_t n = (size_t)snprintf(s, SIZE,
                                "KERNEL void tsr_fma(GLOBAL T *out, float seed_f, int iterations)\n"
                                "{\n"
                                "    T seed = (T)seed_f, m = seed * (T)0.5;\n");
    for (int c = 0; c < CHAINS; c++)
        n += (size_t)snprintf(s + n, SIZE - n, "    T a%d = seed + (T)(GID() + %d);\n", c, c);
    n += (size_t)snprintf(s + n, SIZE - n, "    for (int i = 0; i < iterations; i++) {\n");
    for (int c = 0; c < CHAINS; c++)
        n += (size_t)snprintf(s + n, SIZE - n, "        a%d = a%d * m + seed;\n", c, c);
    n += (size_t)snprintf(s + n, SIZE - n, "    }\n    out[GID()] = a0");
    for (int c = 1; c < CHAINS; c++)
        n += (size_t)snprintf(s + n, SIZE - n, " + a%d", c);
    snprintf(s + n, SIZE - n, ";\n}\n");
    return s;
}

/* 16 bytes per load and store. */
static const char copy_kernel[] =
    "KERNEL void tsr_copy(GLOBAL const float4 *in, GLOBAL float4 *out, int n)\n"
    "{\n"
    "    int i = GID();\n"
    "    if (i < n)\n"
    "        out[i] = in[i];\n"
    "}\n";

/* Four reads per step from a 4 KiB tile, consecutive across threads (no
 * bank conflicts), at addresses that move every step. */
static const char shared_kernel[] = "KERNEL void tsr_shared(GLOBAL float *out, int iterations)\n"
                                    "{\n"
                                    "    SHARED float tile[1024];\n"
                                    "    int l = LID();\n"
                                    "    for (int j = l; j < 1024; j += 256)\n"
                                    "        tile[j] = (float)j;\n"
                                    "    BARRIER();\n"
                                    "    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;\n"
                                    "    for (int i = 0; i < iterations; i++) {\n"
                                    "        s0 += tile[(l + i) & 1023];\n"
                                    "        s1 += tile[(l + i + 256) & 1023];\n"
                                    "        s2 += tile[(l + i + 512) & 1023];\n"
                                    "        s3 += tile[(l + i + 768) & 1023];\n"
                                    "    }\n"
                                    "    out[GID()] = s0 + s1 + s2 + s3;\n"
                                    "}\n";

static const char empty_kernel[] = "KERNEL void tsr_empty(GLOBAL float *out)\n"
                                   "{\n"
                                   "    if (GID() < 0)\n"
                                   "        out[0] = 0.0f;\n"
                                   "}\n";

enum {
    GROUP = 256,    /* threads per work-group in every benchmark */
    BEST_OF = 3,    /* runs per measurement; the fastest counts */
    LAUNCHES = 101, /* for the latency median */
};
/* Each timed run is grown until it takes at least this long. */
#define TARGET_MS 20.0

typedef struct bench {
    tsr_device *device;
    const tsr_backend *be;
    size_t threads; /* enough work-groups to fill every unit several times */
} bench;

static tsr_status build(const bench *b, const char *body, const char *defines, const char *name,
                        tsr_kernel **out, tsr_error *err)
{
    size_t size = strlen(defines) + sizeof prelude + strlen(body) + 1;
    char *source = malloc(size);
    if (!source)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    snprintf(source, size, "%s%s%s", defines, prelude, body);
    tsr_error why = {{0}};
    tsr_status st = b->be->compile(b->device, source, name, NULL, out, &why);
    free(source);
    if (st != TSR_OK)
        return tsr_fail(err, st, "micro-benchmark %s on %s: %s", name, b->device->info.id, why.msg);
    return TSR_OK;
}

static tsr_geometry geometry_for(size_t threads)
{
    return (tsr_geometry){.dims = 1, .groups = {threads / GROUP, 1, 1}, .local = {GROUP, 1, 1}};
}

/* The fastest of BEST_OF launches, by the device's events. */
static tsr_status time_best(const bench *b, tsr_kernel *k, const tsr_arg *args, int n_args,
                            const tsr_geometry *g, double *best_ms, tsr_error *err)
{
    *best_ms = 0.0;
    for (int r = 0; r < BEST_OF; r++) {
        double ms = 0.0;
        TSR_TRY(b->be->launch(k, args, n_args, g, &ms, err));
        if (r == 0 || ms < *best_ms)
            *best_ms = ms;
    }
    return TSR_OK;
}

/* Runs `k` with iterations doubled until a run takes TARGET_MS, then best
 * of BEST_OF at that count. args[iter_arg] is the iteration count. */
static tsr_status time_scaled(const bench *b, tsr_kernel *k, tsr_arg *args, int n_args,
                              int iter_arg, double *ms, int *iterations, tsr_error *err)
{
    tsr_geometry g = geometry_for(b->threads);
    int n = 16;
    for (;;) {
        args[iter_arg].i = n;
        TSR_TRY(b->be->launch(k, args, n_args, &g, ms, err));
        if (*ms >= TARGET_MS || n >= (1 << 24))
            break;
        double grow = *ms > 0.0 ? TARGET_MS / *ms * 1.2 : 16.0;
        n = (int)(n * (grow > 16.0 ? 16.0 : grow < 2.0 ? 2.0 : grow));
    }
    *iterations = n;
    return time_best(b, k, args, n_args, &g, ms, err);
}

/* Lanes per chain: a CPU's OpenCL (a preferred float vector width of 8 or
 * more) vectorises explicit vectors far better than work-items, so each
 * chain is a vector there; a GPU runs scalars, one per thread. */
static int fma_lanes(const bench *b, bool f64)
{
    int width = b->device->info.preferred_vector_width_float;
    if (strcmp(b->device->backend->dialect, "opencl") != 0 || width < 8)
        return 1;
    int lanes = width >= 16 ? 16 : 8;
    return f64 ? lanes / 2 : lanes;
}

static tsr_status measure_fma(const bench *b, tsr_dtype type, double *gflops, tsr_error *err)
{
    bool f64 = type == TSR_F64;
    int lanes = fma_lanes(b, f64);
    char defines[96];
    snprintf(defines, sizeof defines, "%s#define T %s", f64 ? "#define TSR_FP64 1\n" : "",
             f64 ? "double" : "float");
    if (lanes > 1)
        snprintf(defines + strlen(defines), sizeof defines - strlen(defines), "%d", lanes);
    strcat(defines, "\n");
    tsr_kernel *k = NULL;
    char *source = fma_source();
    if (!source)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    tsr_status built = build(b, source, defines, "tsr_fma", &k, err);
    free(source);
    TSR_TRY(built);
    tsr_buffer *out = NULL;
    tsr_status st = b->be->alloc(b->device, b->threads * (f64 ? 8 : 4) * (size_t)lanes, &out, err);
    tsr_arg args[3] = {{.kind = TSR_ARG_BUFFER, .buffer = out},
                       {.kind = TSR_ARG_FLOAT, .f = 1e-3f},
                       {.kind = TSR_ARG_INT}};
    double ms = 0.0;
    int iterations = 0;
    if (st == TSR_OK)
        st = time_scaled(b, k, args, 3, 2, &ms, &iterations, err);
    if (st == TSR_OK)
        *gflops = 2.0 * CHAINS * lanes * iterations * (double)b->threads / (ms * 1e6);
    b->be->free(out);
    b->be->release(k);
    return st;
}

static tsr_status measure_copy(const bench *b, double *gbs, tsr_error *err)
{
    /* Far beyond any cache: a quarter of the memory, at most 256 MiB each way. */
    unsigned long long global = b->device->info.global_bytes;
    size_t bytes = 256u << 20;
    if (global && global / 8 < bytes)
        bytes = (size_t)(global / 8);
    bytes -= bytes % (16 * GROUP);
    tsr_kernel *k = NULL;
    TSR_TRY(build(b, copy_kernel, "", "tsr_copy", &k, err));
    tsr_buffer *in = NULL, *out = NULL;
    tsr_status st = b->be->alloc(b->device, bytes, &in, err);
    if (st == TSR_OK)
        st = b->be->alloc(b->device, bytes, &out, err);
    void *zeros = st == TSR_OK ? calloc(1, bytes) : NULL;
    if (st == TSR_OK && !zeros)
        st = tsr_fail(err, TSR_ERR_NOMEM, "out of memory for %zu bytes", bytes);
    if (st == TSR_OK) /* touched once, so that first-use paging is not timed */
        st = b->be->write(in, zeros, bytes, err);
    free(zeros);
    size_t n = bytes / 16;
    tsr_arg args[3] = {{.kind = TSR_ARG_BUFFER, .buffer = in},
                       {.kind = TSR_ARG_BUFFER, .buffer = out},
                       {.kind = TSR_ARG_INT, .i = (int)n}};
    tsr_geometry g = geometry_for(n);
    double ms = 0.0;
    if (st == TSR_OK)
        st = b->be->launch(k, args, 3, &g, NULL, err); /* warm-up */
    if (st == TSR_OK)
        st = time_best(b, k, args, 3, &g, &ms, err);
    if (st == TSR_OK)
        *gbs = 2.0 * (double)bytes / (ms * 1e6);
    b->be->free(in);
    b->be->free(out);
    b->be->release(k);
    return st;
}

static tsr_status measure_shared(const bench *b, double *gbs, tsr_error *err)
{
    tsr_kernel *k = NULL;
    TSR_TRY(build(b, shared_kernel, "", "tsr_shared", &k, err));
    tsr_buffer *out = NULL;
    tsr_status st = b->be->alloc(b->device, b->threads * 4, &out, err);
    tsr_arg args[2] = {{.kind = TSR_ARG_BUFFER, .buffer = out}, {.kind = TSR_ARG_INT}};
    double ms = 0.0;
    int iterations = 0;
    if (st == TSR_OK)
        st = time_scaled(b, k, args, 2, 1, &ms, &iterations, err);
    if (st == TSR_OK)
        *gbs = 4.0 * 4.0 * iterations * (double)b->threads / (ms * 1e6);
    b->be->free(out);
    b->be->release(k);
    return st;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Wall clock from the call to the kernel's end (the backend waits), one
 * work-group of GROUP threads; the median of LAUNCHES after a warm-up. */
static tsr_status measure_latency(const bench *b, double *us, tsr_error *err)
{
    tsr_kernel *k = NULL;
    TSR_TRY(build(b, empty_kernel, "", "tsr_empty", &k, err));
    tsr_buffer *out = NULL;
    tsr_status st = b->be->alloc(b->device, 4, &out, err);
    tsr_arg arg = {.kind = TSR_ARG_BUFFER, .buffer = out};
    tsr_geometry g = geometry_for(GROUP);
    double samples[LAUNCHES];
    if (st == TSR_OK)
        st = b->be->launch(k, &arg, 1, &g, NULL, err);
    for (int i = 0; i < LAUNCHES && st == TSR_OK; i++) {
        double start = now_us();
        st = b->be->launch(k, &arg, 1, &g, NULL, err);
        samples[i] = now_us() - start;
    }
    if (st == TSR_OK) {
        qsort(samples, LAUNCHES, sizeof samples[0], compare_doubles);
        *us = samples[LAUNCHES / 2];
    }
    b->be->free(out);
    b->be->release(k);
    return st;
}

tsr_status tsr_microbench_run(tsr_device *device, tsr_microbench *out, tsr_error *err)
{
    memset(out, 0, sizeof *out);
    const tsr_device_info *info = &device->info;
    if (info->max_work_group_size && info->max_work_group_size < GROUP)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "%s allows %zu threads per work-group; the micro-benchmarks need %d",
                        info->id, info->max_work_group_size, GROUP);
    /* 2048 threads per unit fill an NVIDIA SM; a CPU unit gets as many, which
     * PoCL runs as a loop. */
    int units = info->compute_units > 0 ? info->compute_units : 1;
    bench b = {.device = device, .be = device->backend, .threads = (size_t)units * 2048};
    TSR_TRY(measure_copy(&b, &out->bandwidth_gbs, err));
    TSR_TRY(measure_shared(&b, &out->shared_bandwidth_gbs, err));
    TSR_TRY(measure_fma(&b, TSR_F32, &out->gflops[TSR_F32], err));
    if (info->has_fp64)
        TSR_TRY(measure_fma(&b, TSR_F64, &out->gflops[TSR_F64], err));
    else
        snprintf(out->notes, sizeof out->notes, "f64: the device has no double precision; ");
    size_t used = strlen(out->notes);
    snprintf(out->notes + used, sizeof out->notes - used,
             "f16 and the matrix units (their rates need kernels of their own)");
    return measure_latency(&b, &out->launch_latency_us, err);
}
