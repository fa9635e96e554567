/* The HIP backend. Everywhere: a machine without an AMD GPU has zero HIP
 * devices (not an error, even with libamdhip64 installed) and opening hip:0
 * names the device and what is missing; where hipRTC loads, it compiles a
 * kernel into a code object for a named target without any device, and its
 * errors come back on one line. Where a HIP device exists: compile, launch,
 * read back, time. Exits 77 (skip) after the first part when there is no
 * HIP device. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/hip_loader.h"
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
    "extern \"C\" __global__ void __launch_bounds__(64) busy(float *__restrict__ y, int steps)\n"
    "{\n"
    "    __shared__ float scratch[64];\n"
    "    int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "    float v = (float)i;\n"
    "    for (int s = 0; s < steps; s++)\n"
    "        v = v * 0.999f + 1.0f;\n"
    "    scratch[threadIdx.x % 64] = v;\n"
    "    __syncthreads();\n"
    "    y[i] = scratch[(threadIdx.x + 1) % 64];\n"
    "}\n";

static const char *broken_source = "extern \"C\" __global__ void axpy(float *y) { y[0] = 1.0f }\n";

static int hip_device_count(void)
{
    const tsr_backend *hip = tsr_backend_find("hip");
    tsr_device_info infos[TSR_MAX_DEVICES];
    int count = -1;
    if (!hip || hip->list(infos, TSR_MAX_DEVICES, &count, NULL) != TSR_OK)
        return 0;
    return count;
}

static void test_registry_has_hip_with_the_hip_dialect_after_opencl_and_cuda(void)
{
    const tsr_backend *hip = tsr_backend_find("hip");
    CHECK(hip != NULL);
    if (!hip)
        return;
    CHECK(strcmp(hip->name, "hip") == 0);
    CHECK(strcmp(hip->dialect, "hip") == 0);
    int count = 0;
    const tsr_backend *const *all = tsr_backends(&count);
    CHECK(count >= 3);
    if (count >= 3)
        CHECK(strcmp(all[0]->name, "opencl") == 0 && strcmp(all[1]->name, "cuda") == 0 &&
              all[2] == hip);
}

static void test_list_succeeds_and_describes_every_device(void)
{
    const tsr_backend *hip = tsr_backend_find("hip");
    tsr_device_info infos[TSR_MAX_DEVICES];
    int count = -1;
    tsr_error err = {{0}};
    CHECK_MSG(hip->list(infos, TSR_MAX_DEVICES, &count, &err) == TSR_OK, "%s", err.msg);
    CHECK(count >= 0);
    for (int i = 0; i < count; i++) {
        char id[32];
        snprintf(id, sizeof id, "hip:%d", i);
        CHECK(strcmp(infos[i].id, id) == 0);
        CHECK(strcmp(infos[i].backend, "hip") == 0);
        CHECK(infos[i].name[0] != '\0');
        CHECK_MSG(strncmp(infos[i].version, "gfx", 3) == 0, "gcnArchName '%s'", infos[i].version);
        CHECK(infos[i].compute_units > 0);
        CHECK(infos[i].max_work_group_size >= 256);
        CHECK(infos[i].local_bytes >= 32 * 1024);
        CHECK(infos[i].global_bytes > (1ull << 28));
    }
}

static void test_open_past_the_last_device_is_not_found_and_named(void)
{
    int count = hip_device_count();
    char id[32];
    snprintf(id, sizeof id, "hip:%d", count);
    tsr_device *device = (tsr_device *)&device; /* must be cleared */
    tsr_error err = {{0}};
    CHECK(tsr_device_open(id, &device, &err) == TSR_ERR_NOT_FOUND);
    CHECK(device == NULL);
    CHECK_STR_CONTAINS(err.msg, id);
    if (count == 0) /* either the runtime is missing or it found no GPU */
        CHECK_MSG(check_contains(err.msg, "libamdhip64") || check_contains(err.msg, "no AMD GPU"),
                  "%s", err.msg);
    else
        CHECK_STR_CONTAINS(err.msg, "hip:0");
    CHECK(strchr(err.msg, '\n') == NULL);
}

/* ---- hipRTC without a device: the compile path every HIP kernel takes ---- */

static int have_hiprtc(void)
{
    const char *why = NULL;
    if (tsr_hip_rtc_load(&why))
        return 1;
    printf("     hipRTC not loadable here (%s): device-less compile not checked\n", why);
    return 0;
}

/* An HSA code object is an AMDGPU ELF whose e_flags name the processor. */
static unsigned elf_mach(const char *code, size_t size)
{
    if (size < 64 || memcmp(code, "\177ELF", 4) != 0)
        return 0;
    uint16_t machine;
    uint32_t flags;
    memcpy(&machine, code + 18, sizeof machine);
    memcpy(&flags, code + 48, sizeof flags);
    return machine == 224 /* EM_AMDGPU */ ? (flags & 0xffu) : 0;
}

static void test_hiprtc_builds_code_objects_for_named_targets_without_a_device(void)
{
    if (!have_hiprtc())
        return;
    /* EF_AMDGPU_MACH_AMDGCN_* from LLVM's ELF.h. */
    static const struct {
        const char *arch;
        unsigned mach;
    } targets[] = {{"gfx90a", 0x3f}, {"gfx908", 0x30}, {"gfx1030", 0x36}};
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        char *code = NULL;
        size_t size = 0;
        tsr_error err = {{0}};
        CHECK_MSG(tsr_hip_build(axpy_source, targets[t].arch, NULL, &code, &size, &err) == TSR_OK,
                  "%s", err.msg);
        CHECK_MSG(elf_mach(code, size) == targets[t].mach, "%s: mach 0x%x", targets[t].arch,
                  elf_mach(code, size));
        free(code);
    }
}

static void test_hiprtc_syntax_error_gives_its_log_on_one_line(void)
{
    if (!have_hiprtc())
        return;
    char *code = (char *)&code; /* must be cleared */
    size_t size = 1;
    tsr_error err = {{0}};
    CHECK(tsr_hip_build(broken_source, "gfx90a:sramecc+:xnack-", NULL, &code, &size, &err) ==
          TSR_ERR_BACKEND);
    CHECK(code == NULL && size == 0);
    CHECK_STR_CONTAINS(err.msg, "hiprtc: build failed for gfx90a: ");
    CHECK_STR_CONTAINS(err.msg, "expected ';'");
    CHECK(strchr(err.msg, '\n') == NULL);
}

static void test_hiprtc_unknown_target_is_an_error_not_a_crash(void)
{
    if (!have_hiprtc())
        return;
    char *code = NULL;
    size_t size = 0;
    tsr_error err = {{0}};
    CHECK(tsr_hip_build(axpy_source, "gfx9999", NULL, &code, &size, &err) == TSR_ERR_UNSUPPORTED);
    CHECK(code == NULL);
    CHECK_STR_CONTAINS(err.msg, "cannot compile for gfx9999");
    CHECK_STR_CONTAINS(err.msg, "gfx90a"); /* among those it knows */
    CHECK(strchr(err.msg, '\n') == NULL);
}

/* ---- the device part: only where a HIP device exists ---- */

static tsr_device *open_first(void)
{
    tsr_device *device = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_device_open("hip:0", &device, &err) == TSR_OK, "%s", err.msg);
    return device;
}

static void test_axpy_runs_and_its_result_is_read_back(void)
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

static void test_syntax_error_on_the_device_names_its_architecture(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    tsr_kernel *kernel = (tsr_kernel *)&kernel;
    tsr_error err = {{0}};
    CHECK(device->backend->compile(device, broken_source, "axpy", NULL, &kernel, &err) ==
          TSR_ERR_BACKEND);
    char expected[160];
    snprintf(expected, sizeof expected,
             "hiprtc: build failed for %.*s: ", (int)strcspn(device->info.version, ":"),
             device->info.version);
    CHECK_STR_CONTAINS(err.msg, expected);
    CHECK(strchr(err.msg, '\n') == NULL);
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
    enum { THREADS = 64 * 1024 };
    CHECK_MSG(be->compile(device, busy_source, "busy", NULL, &kernel, &err) == TSR_OK, "%s",
              err.msg);
    if (kernel) {
        CHECK(kernel->local_bytes >= 64 * sizeof(float));
        CHECK_MSG(be->alloc(device, THREADS * sizeof(float), &by, &err) == TSR_OK, "%s", err.msg);
    }
    if (by) {
        tsr_arg args[2] = {{.kind = TSR_ARG_BUFFER, .buffer = by},
                           {.kind = TSR_ARG_INT, .i = 4096}};
        tsr_geometry g = {.dims = 1, .groups = {THREADS / 64, 1, 1}, .local = {64, 1, 1}};
        double ms = -1.0;
        CHECK_MSG(be->launch(kernel, args, 2, &g, &ms, &err) == TSR_OK, "%s", err.msg);
        CHECK_MSG(ms > 0.0 && ms < 10000.0, "elapsed %g ms", ms);
    }
    be->free(by);
    be->release(kernel);
    tsr_device_close(device);
}

int main(void)
{
    RUN_TEST(test_registry_has_hip_with_the_hip_dialect_after_opencl_and_cuda);
    RUN_TEST(test_list_succeeds_and_describes_every_device);
    RUN_TEST(test_open_past_the_last_device_is_not_found_and_named);
    RUN_TEST(test_hiprtc_builds_code_objects_for_named_targets_without_a_device);
    RUN_TEST(test_hiprtc_syntax_error_gives_its_log_on_one_line);
    RUN_TEST(test_hiprtc_unknown_target_is_an_error_not_a_crash);
    if (hip_device_count() == 0) {
        printf("no HIP device: the device part is skipped\n");
        int status = check_summary();
        return status ? status : 77;
    }
    RUN_TEST(test_axpy_runs_and_its_result_is_read_back);
    RUN_TEST(test_syntax_error_on_the_device_names_its_architecture);
    RUN_TEST(test_event_time_is_positive_and_shared_memory_is_reported);
    return check_summary();
}
