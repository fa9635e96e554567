/* The CUDA backend: without a CUDA driver it reports zero devices and a
 * clear reason; with one it compiles through NVRTC, runs, reads back,
 * times with events and reports compiler errors in one line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "check.h"

static const tsr_backend *cuda_backend(void)
{
    const tsr_backend *backend = tsr_backend_find("cuda");
    CHECK(backend != NULL);
    return backend;
}

static int device_count(void)
{
    const tsr_backend *backend = cuda_backend();
    tsr_device_info infos[TSR_MAX_DEVICES];
    int count = -1;
    tsr_error err = {{0}};
    if (backend)
        CHECK_MSG(backend->list(infos, TSR_MAX_DEVICES, &count, &err) == TSR_OK, "%s", err.msg);
    return count;
}

static void listing_never_fails_and_opening_a_missing_device_says_why(void)
{
    int count = device_count();
    CHECK(count >= 0);
    tsr_device *device = NULL;
    tsr_error err = {{0}};
    char id[32];
    snprintf(id, sizeof id, "cuda:%d", count);
    CHECK(tsr_device_open(id, &device, &err) == TSR_ERR_NOT_FOUND);
    CHECK(device == NULL);
    CHECK_STR_CONTAINS(err.msg, id);
    CHECK(strchr(err.msg, '\n') == NULL);
}

static const char scale_source[] =
    "extern \"C\" __global__ void scale(float *__restrict__ y, const int n, const float a)\n"
    "{\n"
    "    int i = (int)(blockIdx.x * blockDim.x + threadIdx.x);\n"
    "    if (i < n)\n"
    "        y[i] = a * y[i] + (float)i;\n"
    "}\n";

/* The device the remaining tests run on, opened once by main. */
static tsr_device *device;

static void a_kernel_compiles_runs_and_is_timed(void)
{
    const tsr_backend *be = device->backend;
    enum { N = 1000 };
    float host[N];
    for (int i = 0; i < N; i++)
        host[i] = 0.5f * (float)(i % 17) + 1.0f;
    tsr_kernel *kernel = NULL;
    tsr_buffer *y = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(be->compile(device, scale_source, "scale", NULL, &kernel, &err) == TSR_OK, "%s",
              err.msg);
    CHECK_MSG(be->alloc(device, sizeof host, &y, &err) == TSR_OK, "%s", err.msg);
    if (kernel && y && be->write(y, host, sizeof host, &err) == TSR_OK) {
        CHECK(kernel->max_work_group_size >= 128);
        tsr_arg args[3] = {{.kind = TSR_ARG_BUFFER, .buffer = y},
                           {.kind = TSR_ARG_INT, .i = N},
                           {.kind = TSR_ARG_FLOAT, .f = 3.0f}};
        tsr_geometry geometry = {
            .dims = 1, .groups = {(N + 127) / 128, 1, 1}, .local = {128, 1, 1}};
        double ms = -1;
        CHECK_MSG(be->launch(kernel, args, 3, &geometry, &ms, &err) == TSR_OK, "%s", err.msg);
        CHECK(ms > 0);
        float back[N];
        CHECK(be->read(y, back, sizeof back, &err) == TSR_OK);
        int wrong = 0;
        for (int i = 0; i < N; i++)
            wrong += fabsf(back[i] - (3.0f * host[i] + (float)i)) > 1e-4f;
        CHECK_MSG(wrong == 0, "%d of %d elements wrong", wrong, N);
    }
    be->free(y);
    be->release(kernel);
}

static void a_compiler_error_is_one_line_with_nvrtcs_message(void)
{
    tsr_kernel *kernel = NULL;
    tsr_error err = {{0}};
    const char *broken = "extern \"C\" __global__ void broken(float *y) { y[0] = undeclared; }";
    CHECK(device->backend->compile(device, broken, "broken", NULL, &kernel, &err) ==
          TSR_ERR_BACKEND);
    CHECK(kernel == NULL);
    CHECK_STR_CONTAINS(err.msg, "nvrtc");
    CHECK_STR_CONTAINS(err.msg, "undeclared");
    CHECK(strchr(err.msg, '\n') == NULL);
}

int main(void)
{
    RUN_TEST(listing_never_fails_and_opening_a_missing_device_says_why);
    if (device_count() <= 0) {
        printf("no CUDA device here: the tests that need one did not run\n");
        return check_summary();
    }
    tsr_error err = {{0}};
    CHECK_MSG(tsr_device_open("cuda:0", &device, &err) == TSR_OK, "%s", err.msg);
    if (device) {
        printf("device cuda:0: %s (%s)\n", device->info.name, device->info.version);
        RUN_TEST(a_kernel_compiles_runs_and_is_timed);
        RUN_TEST(a_compiler_error_is_one_line_with_nvrtcs_message);
        tsr_device_close(device);
    }
    return check_summary();
}
