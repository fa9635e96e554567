/* What libtessera-rt's OpenCL test programs share: the bundle and the
 * queue (tests/check_cl_queue.h opens it), random non-zero inputs
 * uploaded as buffers, outputs poisoned with NaN and followed by guards,
 * read back with the guards checked; which entry a call ran; a program's
 * start and end. A test program includes this once. */
#ifndef TSR_TESTS_CHECK_RT_OPENCL_H
#define TSR_TESTS_CHECK_RT_OPENCL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CL/cl.h>
#include <tessera/tessera_rt.h>

#include "tests/check.h"
#include "tests/check_cl_queue.h"

static const char *bundle_dir;
static cl_context context;
static cl_command_queue queue;

/* Values past the end of each output: a kernel launched on too many
 * groups, or storing past its last element, overwrites them. */
enum { GUARD = 16 };
static const float guard_value = 12345.0f;

/* Uniform in [-1, 1), never 0: every product counts. */
static inline float next_value(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    float value = (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
    return value != 0.0f ? value : 0.5f;
}

static inline float *random_scaled(size_t n, unsigned seed, float scale)
{
    float *data = malloc(n * sizeof *data);
    for (size_t i = 0; data && i < n; i++)
        data[i] = scale * next_value(&seed);
    return data;
}

static inline float *random_floats(size_t n, unsigned seed)
{
    return random_scaled(n, seed, 1.0f);
}

static inline cl_mem upload(const float *data, size_t n)
{
    cl_int status;
    return clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * sizeof(float),
                          (void *)data, &status);
}

/* An output of n values, NaN (a value never written stays NaN and fails
 * every comparison), then GUARD guards. */
static inline cl_mem poisoned_output(size_t n)
{
    float *data = malloc((n + GUARD) * sizeof *data);
    for (size_t i = 0; data && i < n + GUARD; i++)
        data[i] = i < n ? NAN : guard_value;
    cl_mem buffer = data ? upload(data, n + GUARD) : NULL;
    free(data);
    return buffer;
}

/* The output read back, its guards checked; NULL when the read fails. */
static inline float *read_output(cl_mem buffer, size_t n, const char *what)
{
    float *data = malloc((n + GUARD) * sizeof *data);
    if (!data || clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, (n + GUARD) * sizeof *data, data, 0,
                                     NULL, NULL) != CL_SUCCESS) {
        CHECK_MSG(false, "%s: reading the output failed", what);
        free(data);
        return NULL;
    }
    int spoiled = 0;
    for (size_t i = n; i < n + GUARD; i++)
        spoiled += data[i] != guard_value;
    CHECK_MSG(spoiled == 0, "%s: %d values past the output's end were written", what, spoiled);
    return data;
}

static inline tsr_rt_bundle *open_bundle(void)
{
    tsr_rt_bundle *b = NULL;
    char err[512] = "";
    CHECK_MSG(tsr_rt_open(bundle_dir, &b, err, sizeof err) == TSR_RT_OK, "%s", err);
    return b;
}

/* The entry a call with `key` and `shape` runs was tuned on `tuned` and
 * was built for the launch: so each case runs the kernel it means to. */
static inline void check_ran(tsr_rt_bundle *b, const char *key, const long *shape, int n_dims,
                             const char *tuned)
{
    long pick = tsr_rt_pick(b, key, "opencl", shape, n_dims);
    tsr_rt_kernel_info info = {0};
    CHECK_MSG(pick >= 0 && tsr_rt_kernel_info_at(b, (size_t)pick, &info) == TSR_RT_OK,
              "no entry for %s", key);
    CHECK_MSG(info.shape && strcmp(info.shape, tuned) == 0, "%s picked %s, not %s", key,
              check_text(info.shape), tuned);
    CHECK(pick >= 0 && tsr_rt_loaded_from(b, (size_t)pick) != NULL);
}

/* Buffers for a call that may run (reading and writing at most 64 values
 * of each) or be refused: buffer i a zeroed one where given[i] is '1',
 * else NULL; then released. */
static inline void given_buffers(const char *given, cl_mem *buffers, int n)
{
    float zero[64] = {0};
    for (int i = 0; i < n; i++)
        buffers[i] = given[i] == '1' ? upload(zero, 64) : NULL;
}

static inline void release_buffers(cl_mem *buffers, int n)
{
    clFinish(queue);
    for (int i = 0; i < n; i++)
        if (buffers[i])
            clReleaseMemObject(buffers[i]);
}

/* A test program's start: its one argument, the bundle's directory, and
 * the queue opened. -1 to go on, else the status to exit with. */
static inline int check_rt_start(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s BUNDLE_DIR\n", argv[0]);
        return 2;
    }
    bundle_dir = argv[1];
    return check_cl_queue(&context, &queue) ? -1 : 1;
}

/* Its end: the queue and context released, the tests' summary. */
static inline int check_rt_finish(void)
{
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
    return check_summary();
}

#endif
