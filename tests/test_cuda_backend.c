/* The CUDA backend. Everywhere: a machine without the driver has zero CUDA
 * devices (not an error) and opening cuda:0 names the device and what is
 * missing. Where a CUDA device exists: compile, launch, read back, time,
 * and the errors of a bad kernel and a bad launch. Exits 77 (skip) after
 * the first part when there is no CUDA device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "tests/check.h"

/* y[i] = a * x[i] + i for i < n; threads past n leave y alone. */
static const char *axpy_source =
    "extern \"C\" __global__ void __launch_bounds__(256)\n"
    "axpy(const float *__restrict__ x, float *__restrict__ y, float a, int n)\n"
    "{\n"
    "    int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "    if (i < n)\n"
    "        y[i] = a * x[i] + (float)i;\n"
    "}\n";

/* Enough work that the device clock sees it, with a static shared array
 * so that the kernel's shared memory shows in its info. */
static const char *busy_source =
    "extern \"C\" __global__ void busy(float *__restrict__ y, int steps)\n"
    "{\n"
    "    __shared__ float scratch[64];\n"
    "    int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "    float v = (float)i;\n"
    "    for (int s = 0; s < steps; s++)\n"
    "        v = v * 0.999f + 1.0f;\n"
    "    scratch[threadIdx.x % 64] = v;\n"
    "    __syncthreads();\n"
    "    y[i] = scratch[threadIdx.x % 64];\n"
    "}\n";

static int cuda_device_count(void)
{
    const tsr_backend *cuda = tsr_backend_find("cuda");
    tsr_device_info infos[TSR_MAX_DEVICES];
    int count = -1;
    if (!cuda || cuda->list(infos, TSR_MAX_DEVICES, &count, NULL) != TSR_OK)
        return 0;
    return count;
}

static void test_registry_has_cuda_with_the_cuda_dialect(void)
{
    const tsr_backend *cuda = tsr_backend_find("cuda");
    CHECK(cuda != NULL);
    if (!cuda)
        return;
    CHECK(strcmp(cuda->name, "cuda") == 0);
    CHECK(strcmp(cuda->dialect, "cuda") == 0);
}

static void test_list_succeeds_and_describes_every_device(void)
{
    const tsr_backend *cuda = tsr_backend_find("cuda");
    tsr_device_info infos[TSR_MAX_DEVICES];
    int count = -1;
    tsr_error err = {{0}};
    CHECK_MSG(cuda->list(infos, TSR_MAX_DEVICES, &count, &err) == TSR_OK, "%s", err.msg);
    CHECK(count >= 0);
    for (int i = 0; i < count; i++) {
        char id[32];
        snprintf(id, sizeof id, "cuda:%d", i);
        CHECK(strcmp(infos[i].id, id) == 0);
        CHECK(strcmp(infos[i].backend, "cuda") == 0);
        CHECK(infos[i].name[0] != '\0');
        CHECK_MSG(strncmp(infos[i].version, "sm_", 3) == 0 && strlen(infos[i].version) >= 5,
                  "compute capability '%s'", infos[i].version);
        CHECK(infos[i].compute_units > 0);
        CHECK(infos[i].max_work_group_size >= 256);
        CHECK(infos[i].local_bytes >= 16 * 1024);
        CHECK(infos[i].global_bytes > (1ull << 28));
    }
}

static void test_open_past_the_last_device_is_not_found_and_named(void)
{
    int count = cuda_device_count();
    char id[32];
    snprintf(id, sizeof id, "cuda:%d", count);
    tsr_device *device = (tsr_device *)&device; /* must be cleared */
    tsr_error err = {{0}};
    CHECK(tsr_device_open(id, &device, &err) == TSR_ERR_NOT_FOUND);
    CHECK(device == NULL);
    CHECK_STR_CONTAINS(err.msg, id);
    if (count == 0)
        CHECK_STR_CONTAINS(err.msg, "libcuda.so.1");
    else
        CHECK_STR_CONTAINS(err.msg, "cuda:0");
    CHECK(strchr(err.msg, '\n') == NULL);
}

/* ---- the device part: only where a CUDA device exists ---- */

static tsr_device *open_first(void)
{
    tsr_device *device = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_device_open("cuda:0", &device, &err) == TSR_OK, "%s", err.msg);
    return device;
}

/* axpy through the backend end to end: compile, launch, read back, with a
 * poisoned tail that must survive. */
static void check_axpy(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    const tsr_backend *be = device->backend;
    tsr_error err = {{0}};
    tsr_kernel *kernel = NULL;
    CHECK_MSG(be->compile(device, axpy_source, "axpy", NULL, &kernel, &err) == TSR_OK, "%s",
              err.msg);
    enum { N = 1000, PAD = 24 };
    float x[N + PAD], y[N + PAD];
    for (int i = 0; i < N + PAD; i++) {
        x[i] = (float)(i % 17) - 8.0f;
        y[i] = -12345.0f; /* poison: the tail must keep it */
    }
    tsr_buffer *bx = NULL, *by = NULL;
    if (kernel) {
        CHECK(kernel->max_work_group_size == 256); /* from __launch_bounds__ */
        CHECK_MSG(be->alloc(device, sizeof x, &bx, &err) == TSR_OK, "%s", err.msg);
        CHECK_MSG(be->alloc(device, sizeof y, &by, &err) == TSR_OK, "%s", err.msg);
    }
    if (bx && by) {
        CHECK(be->write(bx, x, sizeof x, &err) == TSR_OK);
        CHECK(be->write(by, y, sizeof y, &err) == TSR_OK);
        tsr_arg args[4] = {{.kind = TSR_ARG_BUFFER, .buffer = bx},
                           {.kind = TSR_ARG_BUFFER, .buffer = by},
                           {.kind = TSR_ARG_FLOAT, .f = 2.5f},
                           {.kind = TSR_ARG_INT, .i = N}};
        tsr_geometry g = {.dims = 1, .groups = {(N + 127) / 128, 1, 1}, .local = {128, 1, 1}};
        CHECK_MSG(be->launch(kernel, args, 4, &g, NULL, &err) == TSR_OK, "%s", err.msg);
        float out[N + PAD];
        CHECK(be->read(by, out, sizeof out, &err) == TSR_OK);
        int wrong = 0;
        for (int i = 0; i < N; i++)
            wrong += out[i] != 2.5f * x[i] + (float)i;
        for (int i = N; i < N + PAD; i++)
            wrong += out[i] != -12345.0f;
        CHECK_MSG(wrong == 0, "%d wrong elements", wrong);
    }
    be->free(bx);
    be->free(by);
    be->release(kernel);
    tsr_device_close(device);
}

static void test_axpy_runs_and_its_result_is_read_back(void)
{
    check_axpy();
}

/* The path a GPU newer than the toolkit takes: PTX, compiled by the driver
 * on load. TESSERA_CUDA_PTX=1 forces it on this one. */
static void test_ptx_path_runs_axpy_too(void)
{
    setenv("TESSERA_CUDA_PTX", "1", 1);
    check_axpy();
    unsetenv("TESSERA_CUDA_PTX");
}

static void test_syntax_error_gives_nvrtc_log_on_one_line(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    tsr_error err = {{0}};
    tsr_kernel *kernel = NULL;
    const char *bad = "extern \"C\" __global__ void broken(float *y) { y[0] = undeclared_name; }\n";
    CHECK(device->backend->compile(device, bad, "broken", NULL, &kernel, &err) == TSR_ERR_BACKEND);
    CHECK(kernel == NULL);
    CHECK_STR_CONTAINS(err.msg, "nvrtc: build failed for ");
    CHECK_STR_CONTAINS(err.msg, device->info.version);
    CHECK_STR_CONTAINS(err.msg, "undeclared_name");
    CHECK(strchr(err.msg, '\n') == NULL);
    tsr_device_close(device);
}

static void test_missing_kernel_name_is_not_found(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    tsr_error err = {{0}};
    tsr_kernel *kernel = NULL;
    CHECK(device->backend->compile(device, axpy_source, "no_such_kernel", NULL, &kernel, &err) ==
          TSR_ERR_NOT_FOUND);
    CHECK(kernel == NULL);
    CHECK_STR_CONTAINS(err.msg, "no_such_kernel");
    tsr_device_close(device);
}

/* A block larger than the kernel allows is refused with a message, and the
 * context survives it: the next launch works. */
static void test_oversized_block_is_an_error_and_the_device_survives(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    const tsr_backend *be = device->backend;
    tsr_error err = {{0}};
    tsr_kernel *kernel = NULL;
    tsr_buffer *by = NULL;
    CHECK_MSG(be->compile(device, busy_source, "busy", NULL, &kernel, &err) == TSR_OK, "%s",
              err.msg);
    if (kernel)
        CHECK_MSG(be->alloc(device, 4096 * sizeof(float), &by, &err) == TSR_OK, "%s", err.msg);
    if (by) {
        tsr_arg args[2] = {{.kind = TSR_ARG_BUFFER, .buffer = by}, {.kind = TSR_ARG_INT, .i = 4}};
        tsr_geometry huge = {.dims = 1, .groups = {2, 1, 1}, .local = {2048, 1, 1}};
        tsr_status st = be->launch(kernel, args, 2, &huge, NULL, &err);
        CHECK(st != TSR_OK);
        CHECK_STR_CONTAINS(err.msg, "2048");
        tsr_geometry fine = {.dims = 1, .groups = {16, 1, 1}, .local = {256, 1, 1}};
        CHECK_MSG(be->launch(kernel, args, 2, &fine, NULL, &err) == TSR_OK, "%s", err.msg);
    }
    be->free(by);
    be->release(kernel);
    tsr_device_close(device);
}

static void test_event_time_is_positive_and_shared_memory_is_reported(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    const tsr_backend *be = device->backend;
    tsr_error err = {{0}};
    tsr_kernel *kernel = NULL;
    tsr_buffer *by = NULL;
    enum { THREADS = 1 << 20 };
    CHECK_MSG(be->compile(device, busy_source, "busy", NULL, &kernel, &err) == TSR_OK, "%s",
              err.msg);
    if (kernel) {
        CHECK(kernel->local_bytes >= 64 * sizeof(float));
        CHECK(kernel->max_work_group_size >= 256);
        CHECK_MSG(be->alloc(device, THREADS * sizeof(float), &by, &err) == TSR_OK, "%s", err.msg);
    }
    if (by) {
        tsr_arg args[2] = {{.kind = TSR_ARG_BUFFER, .buffer = by},
                           {.kind = TSR_ARG_INT, .i = 2000}};
        tsr_geometry g = {.dims = 1, .groups = {THREADS / 256, 1, 1}, .local = {256, 1, 1}};
        double ms = -1.0;
        CHECK_MSG(be->launch(kernel, args, 2, &g, &ms, &err) == TSR_OK, "%s", err.msg);
        CHECK_MSG(ms > 0.0 && ms < 10000.0, "elapsed %g ms", ms);
        float first[4];
        CHECK(be->read(by, first, sizeof first, &err) == TSR_OK);
        CHECK(first[1] > 1.0f); /* the loop ran: v grows towards 1000 */
    }
    be->free(by);
    be->release(kernel);
    tsr_device_close(device);
}

/* 96 KiB of dynamic shared memory, more than a block gets without opting
 * in: each thread writes its slots of the whole array, and reads back the
 * mirror image, which another thread wrote. Launched with the bytes, it
 * sums every slot; without them the launch faults or is refused. */
static const char *dynamic_shared_source =
    "extern \"C\" __global__ void __launch_bounds__(256) mirror(float *__restrict__ y)\n"
    "{\n"
    "    extern __shared__ __attribute__((aligned(16))) unsigned char tsr_shared[];\n"
    "    float *slots = (float *)(tsr_shared + 0);\n"
    "    const int n = 96 * 1024 / 4, t = (int)threadIdx.x;\n"
    "    for (int i = t; i < n; i += 256)\n"
    "        slots[i] = (float)i;\n"
    "    __syncthreads();\n"
    "    float sum = 0.0f;\n"
    "    for (int i = t; i < n; i += 256)\n"
    "        sum += slots[n - 1 - i];\n"
    "    y[t] = sum;\n"
    "}\n";

static void test_dynamic_shared_memory_past_48_kib_is_opted_in_and_launched(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    const tsr_backend *be = device->backend;
    tsr_error err = {{0}};
    tsr_kernel *kernel = NULL;
    tsr_buffer *by = NULL;
    CHECK_MSG(be->compile(device, dynamic_shared_source, "mirror", NULL, &kernel, &err) == TSR_OK,
              "%s", err.msg);
    if (kernel)
        CHECK_MSG(be->alloc(device, 256 * sizeof(float), &by, &err) == TSR_OK, "%s", err.msg);
    if (by) {
        tsr_arg args[1] = {{.kind = TSR_ARG_BUFFER, .buffer = by}};
        tsr_geometry g = {
            .dims = 1, .groups = {1, 1, 1}, .local = {256, 1, 1}, .shared_bytes = 96 * 1024};
        CHECK_MSG(be->launch(kernel, args, 1, &g, NULL, &err) == TSR_OK, "%s", err.msg);
        float y[256];
        CHECK(be->read(by, y, sizeof y, &err) == TSR_OK);
        /* Thread t reads slots n-1-i for i = t, t+256, ...: 96 whole
         * numbers, whose sums floats hold exactly. */
        const int n = 96 * 1024 / 4;
        int wrong = 0;
        for (int t = 0; t < 256; t++) {
            long want = 0;
            for (int i = t; i < n; i += 256)
                want += n - 1 - i;
            wrong += y[t] != (float)want;
        }
        CHECK_MSG(wrong == 0, "%d of 256 sums wrong", wrong);
        /* More than any GPU offers is the driver's refusal, on one line. */
        g.shared_bytes = 1u << 30;
        CHECK(be->launch(kernel, args, 1, &g, NULL, &err) == TSR_ERR_BACKEND);
        CHECK_STR_CONTAINS(err.msg, "dynamic shared memory");
        CHECK(strchr(err.msg, '\n') == NULL);
    }
    be->free(by);
    be->release(kernel);
    tsr_device_close(device);
}

/* A store far outside any allocation faults; CUDA then refuses every later
 * call in the context, and the message must say so (the tuner's isolation
 * of candidates relies on telling this apart). Runs last for that reason. */
static void test_illegal_address_says_the_context_is_unusable(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    const tsr_backend *be = device->backend;
    const char *wild = "extern \"C\" __global__ void wild(float *y)\n"
                       "{\n"
                       "    y[(1ull << 40) + threadIdx.x] = 1.0f;\n"
                       "}\n";
    tsr_error err = {{0}};
    tsr_kernel *kernel = NULL;
    tsr_buffer *by = NULL;
    CHECK_MSG(be->compile(device, wild, "wild", NULL, &kernel, &err) == TSR_OK, "%s", err.msg);
    if (kernel)
        CHECK_MSG(be->alloc(device, 64 * sizeof(float), &by, &err) == TSR_OK, "%s", err.msg);
    if (by) {
        tsr_arg args[1] = {{.kind = TSR_ARG_BUFFER, .buffer = by}};
        tsr_geometry g = {.dims = 1, .groups = {1, 1, 1}, .local = {32, 1, 1}};
        CHECK(be->launch(kernel, args, 1, &g, NULL, &err) == TSR_ERR_BACKEND);
        CHECK_STR_CONTAINS(err.msg, "CUDA_ERROR_ILLEGAL_ADDRESS");
        CHECK_STR_CONTAINS(err.msg, "unusable");
        CHECK_STR_CONTAINS(err.msg, "cuda:0");
    }
    be->free(by);
    be->release(kernel);
    tsr_device_close(device);
}

int main(void)
{
    RUN_TEST(test_registry_has_cuda_with_the_cuda_dialect);
    RUN_TEST(test_list_succeeds_and_describes_every_device);
    RUN_TEST(test_open_past_the_last_device_is_not_found_and_named);
    if (cuda_device_count() == 0) {
        printf("no CUDA device: the device part is skipped\n");
        int status = check_summary();
        return status ? status : 77;
    }
    RUN_TEST(test_axpy_runs_and_its_result_is_read_back);
    RUN_TEST(test_ptx_path_runs_axpy_too);
    RUN_TEST(test_syntax_error_gives_nvrtc_log_on_one_line);
    RUN_TEST(test_missing_kernel_name_is_not_found);
    RUN_TEST(test_oversized_block_is_an_error_and_the_device_survives);
    RUN_TEST(test_event_time_is_positive_and_shared_memory_is_reported);
    RUN_TEST(test_dynamic_shared_memory_past_48_kib_is_opted_in_and_launched);
    RUN_TEST(test_illegal_address_says_the_context_is_unusable);
    return check_summary();
}
