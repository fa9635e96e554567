/* The OpenCL backend on PoCL: listing, opening, compiling, launching,
 * timing, error messages, device ids, and matching devices to profiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/op.h"
#include "core/opspec.h"
#include "devices/devices.h"
#include "tests/check.h"
#include "tests/check_profile.h"

/* y[i] = a * x[i] + i for i < n; work-items past n leave y alone. */
static const char *axpy_source =
    "__kernel void axpy(__global const float *x, __global float *y, float a, int n)\n"
    "{\n"
    "    int i = get_global_id(0);\n"
    "    if (i < n)\n"
    "        y[i] = a * x[i] + (float)i;\n"
    "}\n";

/* Enough work that the device clock sees it, with a local array so that
 * the kernel's local memory shows in its info. */
static const char *busy_source = "__kernel void busy(__global float *y, int steps)\n"
                                 "{\n"
                                 "    __local float scratch[64];\n"
                                 "    int i = get_global_id(0);\n"
                                 "    float v = (float)i;\n"
                                 "    for (int s = 0; s < steps; s++)\n"
                                 "        v = v * 0.999f + 1.0f;\n"
                                 "    scratch[get_local_id(0) % 64] = v;\n"
                                 "    barrier(CLK_LOCAL_MEM_FENCE);\n"
                                 "    y[i] = scratch[get_local_id(0) % 64];\n"
                                 "}\n";

static tsr_device *open_first(void)
{
    tsr_device *device = NULL;
    tsr_error err = {{0}};
    tsr_status status = tsr_device_open("opencl:0", &device, &err);
    CHECK_MSG(status == TSR_OK, "%s", err.msg);
    return device;
}

static void test_list_reports_at_least_one_device(void)
{
    tsr_device_info infos[TSR_MAX_DEVICES];
    int count = -1;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_devices_list(infos, TSR_MAX_DEVICES, &count, &err) == TSR_OK, "%s", err.msg);
    CHECK(count >= 1);
    if (count < 1)
        return;
    CHECK(strcmp(infos[0].id, "opencl:0") == 0);
    CHECK(strcmp(infos[0].backend, "opencl") == 0);
    CHECK(infos[0].name[0] != '\0');
    CHECK(infos[0].vendor[0] != '\0');
    CHECK(infos[0].platform[0] != '\0');
    CHECK_STR_CONTAINS(infos[0].version, "OpenCL");
    CHECK(infos[0].compute_units >= 1);
    CHECK(infos[0].max_work_group_size >= 1);
    CHECK(infos[0].max_work_item_sizes[0] >= 1 && infos[0].max_work_item_sizes[2] >= 1);
    CHECK(infos[0].global_bytes > 0 && infos[0].local_bytes > 0);
    CHECK(infos[0].preferred_vector_width_float >= 1);
    for (int i = 1; i < count; i++) {
        char id[32];
        snprintf(id, sizeof id, "opencl:%d", i);
        CHECK(strcmp(infos[i].id, id) == 0);
    }
}

static void test_list_honours_max(void)
{
    tsr_device_info info;
    int count = -1;
    tsr_error err = {{0}};
    CHECK(tsr_devices_list(&info, 1, &count, &err) == TSR_OK);
    CHECK(count == 1);
}

static void test_open_describes_the_device_it_opened(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    tsr_device_info listed;
    int count = 0;
    tsr_error err = {{0}};
    CHECK(tsr_devices_list(&listed, 1, &count, &err) == TSR_OK);
    CHECK(strcmp(device->info.id, "opencl:0") == 0);
    CHECK(strcmp(device->info.name, listed.name) == 0);
    CHECK(strcmp(device->backend->name, "opencl") == 0);
    tsr_device_close(device);
}

static void test_kernel_runs_and_results_read_back(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    const tsr_backend *be = device->backend;
    tsr_error err = {{0}};
    tsr_kernel *kernel = NULL;
    tsr_buffer *x = NULL, *y = NULL;
    enum { N = 50, PADDED = 64 }; /* 4 groups of 16: the last one ragged */
    float host_x[PADDED], host_y[PADDED];
    for (int i = 0; i < PADDED; i++) {
        host_x[i] = (float)(i % 7) - 3.0f;
        host_y[i] = -1.0f;
    }
    CHECK_MSG(be->compile(device, axpy_source, "axpy", "", &kernel, &err) == TSR_OK, "%s", err.msg);
    CHECK(be->alloc(device, sizeof host_x, &x, &err) == TSR_OK);
    CHECK(be->alloc(device, sizeof host_y, &y, &err) == TSR_OK);
    if (kernel && x && y) {
        CHECK(be->write(x, host_x, sizeof host_x, &err) == TSR_OK);
        CHECK(be->write(y, host_y, sizeof host_y, &err) == TSR_OK);
        tsr_arg args[4] = {{.kind = TSR_ARG_BUFFER, .buffer = x},
                           {.kind = TSR_ARG_BUFFER, .buffer = y},
                           {.kind = TSR_ARG_FLOAT, .f = 2.5f},
                           {.kind = TSR_ARG_INT, .i = N}};
        tsr_geometry geometry = {.dims = 1, .groups = {4, 1, 1}, .local = {16, 1, 1}};
        CHECK_MSG(be->launch(kernel, args, 4, &geometry, NULL, &err) == TSR_OK, "%s", err.msg);
        memset(host_y, 0, sizeof host_y);
        CHECK(be->read(y, host_y, sizeof host_y, &err) == TSR_OK);
        int wrong = 0;
        for (int i = 0; i < PADDED; i++) {
            float want = i < N ? 2.5f * host_x[i] + (float)i : -1.0f;
            wrong += host_y[i] != want;
        }
        CHECK_MSG(wrong == 0, "%d of %d elements wrong", wrong, PADDED);
    }
    be->free(x);
    be->free(y);
    be->release(kernel);
    tsr_device_close(device);
}

static void test_kernel_info_reports_limits_and_local_memory(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    tsr_kernel *kernel = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(device->backend->compile(device, busy_source, "busy", NULL, &kernel, &err) == TSR_OK,
              "%s", err.msg);
    if (kernel) {
        CHECK(kernel->max_work_group_size >= 1);
        CHECK(kernel->max_work_group_size <= device->info.max_work_group_size);
        CHECK(kernel->local_bytes >= 64 * sizeof(float));
        CHECK(kernel->device == device);
    }
    device->backend->release(kernel);
    tsr_device_close(device);
}

static void test_syntax_error_reports_compiler_message(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    tsr_kernel *kernel = NULL;
    tsr_error err = {{0}};
    const char *broken = "__kernel void k(__global float *y)\n"
                         "{\n"
                         "    y[0] = undeclared_thing;\n"
                         "}\n";
    CHECK(device->backend->compile(device, broken, "k", "", &kernel, &err) == TSR_ERR_BACKEND);
    CHECK(kernel == NULL);
    CHECK_STR_CONTAINS(err.msg, "build failed on ");
    CHECK_STR_CONTAINS(err.msg, device->info.name);
    CHECK_STR_CONTAINS(err.msg, "undeclared_thing");
    CHECK(strchr(err.msg, '\n') == NULL);
    CHECK(strlen(err.msg) < 1000);
    tsr_device_close(device);
}

static void test_unknown_kernel_name_names_the_kernel(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    tsr_kernel *kernel = NULL;
    tsr_error err = {{0}};
    CHECK(device->backend->compile(device, axpy_source, "no_such_kernel", "", &kernel, &err) ==
          TSR_ERR_BACKEND);
    CHECK(kernel == NULL);
    CHECK_STR_CONTAINS(err.msg, "no_such_kernel");
    CHECK_STR_CONTAINS(err.msg, "CL_INVALID_KERNEL_NAME");
    tsr_device_close(device);
}

static void test_oversized_work_group_is_an_error_not_a_crash(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    const tsr_backend *be = device->backend;
    tsr_kernel *kernel = NULL;
    tsr_buffer *y = NULL;
    tsr_error err = {{0}};
    CHECK(be->compile(device, busy_source, "busy", "", &kernel, &err) == TSR_OK);
    if (kernel) {
        size_t local = kernel->max_work_group_size + 1;
        CHECK(be->alloc(device, local * sizeof(float), &y, &err) == TSR_OK);
        tsr_arg args[2] = {{.kind = TSR_ARG_BUFFER, .buffer = y}, {.kind = TSR_ARG_INT, .i = 1}};
        tsr_geometry geometry = {.dims = 1, .groups = {1, 1, 1}, .local = {local, 1, 1}};
        CHECK(be->launch(kernel, args, 2, &geometry, NULL, &err) == TSR_ERR_BACKEND);
        CHECK_STR_CONTAINS(err.msg, "clEnqueueNDRangeKernel");
        CHECK_STR_CONTAINS(err.msg, "CL_INVALID_WORK_");
        CHECK_STR_CONTAINS(err.msg, device->info.name);
        /* the queue is still usable after the refusal */
        geometry.local[0] = 1;
        CHECK_MSG(be->launch(kernel, args, 2, &geometry, NULL, &err) == TSR_OK, "%s", err.msg);
    }
    be->free(y);
    be->release(kernel);
    tsr_device_close(device);
}

static void test_malformed_geometry_and_copies_are_input_errors(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    const tsr_backend *be = device->backend;
    tsr_kernel *kernel = NULL;
    tsr_buffer *y = NULL;
    tsr_error err = {{0}};
    float big[32] = {0};
    CHECK(be->compile(device, busy_source, "busy", "", &kernel, &err) == TSR_OK);
    CHECK(be->alloc(device, 16 * sizeof(float), &y, &err) == TSR_OK);
    if (kernel && y) {
        tsr_arg args[2] = {{.kind = TSR_ARG_BUFFER, .buffer = y}, {.kind = TSR_ARG_INT, .i = 1}};
        tsr_geometry none = {.dims = 0};
        CHECK(be->launch(kernel, args, 2, &none, NULL, &err) == TSR_ERR_INPUT);
        tsr_geometry empty = {.dims = 1, .groups = {0, 1, 1}, .local = {16, 1, 1}};
        CHECK(be->launch(kernel, args, 2, &empty, NULL, &err) == TSR_ERR_INPUT);
        CHECK(be->write(y, big, sizeof big, &err) == TSR_ERR_INPUT);
        CHECK_STR_CONTAINS(err.msg, "holds 64");
        CHECK(be->read(y, big, sizeof big, &err) == TSR_ERR_INPUT);
    }
    tsr_buffer *nothing = NULL;
    CHECK(be->alloc(device, 0, &nothing, &err) == TSR_ERR_INPUT && nothing == NULL);
    be->free(y);
    be->release(kernel);
    tsr_device_close(device);
}

static void test_missing_kernel_arguments_are_reported(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    tsr_kernel *kernel = NULL;
    tsr_error err = {{0}};
    CHECK(device->backend->compile(device, axpy_source, "axpy", "", &kernel, &err) == TSR_OK);
    if (kernel) {
        tsr_geometry geometry = {.dims = 1, .groups = {1, 1, 1}, .local = {1, 1, 1}};
        CHECK(device->backend->launch(kernel, NULL, 0, &geometry, NULL, &err) == TSR_ERR_BACKEND);
        CHECK_STR_CONTAINS(err.msg, "CL_INVALID_KERNEL_ARGS");
        CHECK(strstr(err.msg, "work-items per group") == NULL);
    }
    device->backend->release(kernel);
    tsr_device_close(device);
}

static void test_profiling_time_is_positive(void)
{
    tsr_device *device = open_first();
    if (!device)
        return;
    const tsr_backend *be = device->backend;
    tsr_kernel *kernel = NULL;
    tsr_buffer *y = NULL;
    tsr_error err = {{0}};
    CHECK(be->compile(device, busy_source, "busy", "", &kernel, &err) == TSR_OK);
    CHECK(be->alloc(device, 256 * sizeof(float), &y, &err) == TSR_OK);
    if (kernel && y) {
        tsr_arg args[2] = {{.kind = TSR_ARG_BUFFER, .buffer = y},
                           {.kind = TSR_ARG_INT, .i = 20000}};
        tsr_geometry geometry = {.dims = 1, .groups = {16, 1, 1}, .local = {16, 1, 1}};
        double ms = -1.0;
        CHECK_MSG(be->launch(kernel, args, 2, &geometry, &ms, &err) == TSR_OK, "%s", err.msg);
        CHECK_MSG(ms > 0.0 && ms < 60000.0, "elapsed %g ms", ms);
    }
    be->free(y);
    be->release(kernel);
    tsr_device_close(device);
}

static void test_unknown_backend_is_named_with_the_known_ones(void)
{
    static tsr_device stale;
    tsr_device *device = &stale; /* must be reset to NULL */
    tsr_error err = {{0}};
    CHECK(tsr_device_open("foo:0", &device, &err) == TSR_ERR_NOT_FOUND);
    CHECK(device == NULL);
    CHECK(strcmp(err.msg,
                 "unknown backend 'foo' in device id 'foo:0' (known: opencl, cuda, hip)") == 0);
}

static void test_missing_device_lists_the_devices_there_are(void)
{
    tsr_device *device = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_device_open("opencl:7", &device, &err) == TSR_ERR_NOT_FOUND);
    CHECK(device == NULL);
    CHECK_STR_CONTAINS(err.msg, "no device opencl:7 (");
    CHECK_STR_CONTAINS(err.msg, "OpenCL device");
    CHECK_STR_CONTAINS(err.msg, "opencl:0 ");
}

static void test_malformed_ids_are_input_errors(void)
{
    const char *bad[] = {"opencl",    "opencl:",   "opencl:x",  ":0",
                         "opencl:-1", "opencl:1x", "opencl: 1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tsr_device *device = NULL;
        tsr_error err = {{0}};
        CHECK_MSG(tsr_device_open(bad[i], &device, &err) == TSR_ERR_INPUT, "'%s'", bad[i]);
        CHECK_STR_CONTAINS(err.msg, "malformed device id");
        CHECK(device == NULL);
    }
}

static void test_backend_registry_finds_opencl_only(void)
{
    int count = 0;
    const tsr_backend *const *all = tsr_backends(&count);
    CHECK(count >= 1 && strcmp(all[0]->name, "opencl") == 0);
    CHECK(tsr_backend_find("opencl") == all[0]);
    CHECK(tsr_backend_find("OpenCL") == NULL);
    CHECK(tsr_backend_find("vulkan") == NULL);
}

/* ---- fingerprints and profiles --------------------------------------------------- */

static tsr_device_info made_up_device(void)
{
    tsr_device_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.id, sizeof info.id, "opencl:3");
    snprintf(info.backend, sizeof info.backend, "opencl");
    snprintf(info.vendor, sizeof info.vendor, "Intel(R) Corporation");
    snprintf(info.name, sizeof info.name, "Intel(R) Arc(TM) A770 Graphics");
    snprintf(info.driver, sizeof info.driver, "23.17.26241.33");
    return info;
}

static void test_fingerprint_is_backend_vendor_name_driver(void)
{
    tsr_device_info info = made_up_device();
    char buf[512];
    CHECK(tsr_device_fingerprint(&info, buf, sizeof buf) == buf);
    CHECK(strcmp(buf, "opencl|Intel(R) Corporation|Intel(R) Arc(TM) A770 Graphics|"
                      "23.17.26241.33") == 0);
    char tiny[8];
    tsr_device_fingerprint(&info, tiny, sizeof tiny);
    CHECK(strcmp(tiny, "opencl|") == 0);
}

static void test_profile_matches_by_backend_and_case_insensitive_substrings(void)
{
    tsr_device_info info = made_up_device();
    tsr_match_rule rules[] = {
        {.backend = "cuda", .vendor = "intel"},    /* wrong backend */
        {.backend = "opencl", .vendor = "nvidia"}, /* wrong vendor */
        {.backend = "opencl", .vendor = "INTEL", .name = "arc(tm) a7"},
    };
    tsr_profile profile;
    memset(&profile, 0, sizeof profile);
    profile.match = rules;

    profile.n_match = 0;
    CHECK(!tsr_profile_matches(&profile, &info));
    profile.n_match = 2;
    CHECK(!tsr_profile_matches(&profile, &info));
    profile.n_match = 3;
    CHECK(tsr_profile_matches(&profile, &info));

    rules[2].name = "A750"; /* a sibling model must not match */
    CHECK(!tsr_profile_matches(&profile, &info));
    rules[2].name = NULL; /* vendor alone suffices */
    CHECK(tsr_profile_matches(&profile, &info));
    snprintf(info.backend, sizeof info.backend, "hip");
    CHECK(!tsr_profile_matches(&profile, &info));
}

/* A valid schema-1 profile whose one rule is {backend: opencl, vendor: VENDOR}. */
static void write_profile(const char *dir, const char *file, const char *name, const char *vendor)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f,
            "schema: 1\n"
            "name: %s\n"
            "description: \"made by test_opencl_backend\"\n"
            "vendor: \"Test\"\n"
            "arch: \"test\"\n"
            "compute:\n"
            "  units: {value: 4, source: \"test\"}\n"
            "  simd_width: {value: 8, source: \"test\"}\n"
            "  max_work_group_size: {value: 256, source: \"test\"}\n"
            "memory:\n"
            "  shared_per_block: {value: 32768, source: \"test\"}\n"
            "backends: [opencl]\n"
            "match:\n"
            "  - {backend: opencl, vendor: \"%s\"}\n",
            name, vendor);
    fclose(f);
}

static void write_text(const char *dir, const char *file, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void remove_files(const char *dir, const char *const *files, size_t n)
{
    char path[512];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void test_profile_search_takes_first_match_in_name_order(void)
{
    char dir[] = "/tmp/tsr-profiles-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    /* b and c both match; a does not; the .txt is not a profile at all */
    write_profile(dir, "c-second.yaml", "second-match", "intel");
    write_profile(dir, "a-other.yaml", "other-vendor", "nvidia");
    write_profile(dir, "b-first.yaml", "first-match", "Intel(R)");
    write_text(dir, "notes.txt", "not yaml: [");
    tsr_device_info info = made_up_device();
    tsr_profile *profile = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_profile_find_for_device(dir, &info, &profile, &err) == TSR_OK, "%s", err.msg);
    CHECK(profile && strcmp(profile->name, "first-match") == 0);
    tsr_profile_free(profile);

    snprintf(info.vendor, sizeof info.vendor, "NVIDIA Corporation");
    CHECK(tsr_profile_find_for_device(dir, &info, &profile, &err) == TSR_OK);
    CHECK(profile && strcmp(profile->name, "other-vendor") == 0);
    tsr_profile_free(profile);
    const char *files[] = {"a-other.yaml", "b-first.yaml", "c-second.yaml", "notes.txt"};
    remove_files(dir, files, 4);
}

static void test_profile_search_reports_none_and_broken_files(void)
{
    char dir[] = "/tmp/tsr-profiles-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    write_profile(dir, "a.yaml", "other-vendor", "nvidia");
    tsr_device_info info = made_up_device();
    tsr_profile *profile = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_profile_find_for_device(dir, &info, &profile, &err) == TSR_ERR_NOT_FOUND);
    CHECK(profile == NULL);
    CHECK_STR_CONTAINS(err.msg, "opencl:3");

    write_text(dir, "b.yaml", "schema: 1\nname: [\n");
    CHECK(tsr_profile_find_for_device(dir, &info, &profile, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "b.yaml:");

    CHECK(tsr_profile_find_for_device("/nonexistent/tsr-profiles", &info, &profile, &err) ==
          TSR_ERR_IO);
    CHECK_STR_CONTAINS(err.msg, "/nonexistent/tsr-profiles");
    const char *files[] = {"a.yaml", "b.yaml"};
    remove_files(dir, files, 2);
}

/* An NVIDIA profile reached through OpenCL loses CUDA's opt-in to more
 * shared memory, which OpenCL cannot ask for: a GEMM whose tiles take
 * 192 KiB (the f32 start through CUDA) is then refused by the op's check,
 * as NVIDIA's OpenCL would refuse to launch it; through CUDA it stays. */
static void test_profile_fit_drops_the_shared_memory_opt_in_on_opencl(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ops/sgemm.yaml", check_source_root());
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_load(path, &spec, &err) == TSR_OK, "%s", err.msg);
    static const char *const backends[] = {"cuda", "opencl"};
    for (int i = 0; spec && i < 2; i++) {
        tsr_profile *h200 = check_repo_profile("nvidia-h200");
        if (!h200)
            break;
        tsr_device_info info = made_up_device();
        snprintf(info.backend, sizeof info.backend, "%s", backends[i]);
        snprintf(info.vendor, sizeof info.vendor, "NVIDIA Corporation");
        snprintf(info.name, sizeof info.name, "NVIDIA H200");
        CHECK(h200->shared_per_block_optin.present);
        tsr_profile_fit_device(h200, &info);
        CHECK(h200->shared_per_block_optin.present == (i == 0));
        tsr_config config;
        tsr_config_default(spec->op, &config);
        CHECK(tsr_config_parse(spec->op, "BM=128,BN=256,BK=32,TM=8,TN=16,VW=8,KU=4,VN=2,PF=3",
                               &config, &err) == TSR_OK);
        tsr_status st = spec->op->check(spec, h200, &config, &err);
        CHECK_MSG(st == (i == 0 ? TSR_OK : TSR_ERR_UNSUPPORTED), "%s: %s", backends[i], err.msg);
        if (i == 1)
            CHECK_STR_CONTAINS(err.msg, "shared");
        tsr_profile_free(h200);
    }
    tsr_opspec_free(spec);
}

static void test_default_profiles_dir_prefers_the_environment(void)
{
    setenv("TESSERA_PROFILES", "/somewhere/profiles", 1);
    CHECK(strcmp(tsr_default_profiles_dir(), "/somewhere/profiles") == 0);
    unsetenv("TESSERA_PROFILES");
    CHECK(strcmp(tsr_default_profiles_dir(), "/somewhere/profiles") != 0);
}

int main(void)
{
    RUN_TEST(test_profile_fit_drops_the_shared_memory_opt_in_on_opencl);
    RUN_TEST(test_list_reports_at_least_one_device);
    RUN_TEST(test_list_honours_max);
    RUN_TEST(test_open_describes_the_device_it_opened);
    RUN_TEST(test_kernel_runs_and_results_read_back);
    RUN_TEST(test_kernel_info_reports_limits_and_local_memory);
    RUN_TEST(test_syntax_error_reports_compiler_message);
    RUN_TEST(test_unknown_kernel_name_names_the_kernel);
    RUN_TEST(test_oversized_work_group_is_an_error_not_a_crash);
    RUN_TEST(test_malformed_geometry_and_copies_are_input_errors);
    RUN_TEST(test_missing_kernel_arguments_are_reported);
    RUN_TEST(test_profiling_time_is_positive);
    RUN_TEST(test_unknown_backend_is_named_with_the_known_ones);
    RUN_TEST(test_missing_device_lists_the_devices_there_are);
    RUN_TEST(test_malformed_ids_are_input_errors);
    RUN_TEST(test_backend_registry_finds_opencl_only);
    RUN_TEST(test_fingerprint_is_backend_vendor_name_driver);
    RUN_TEST(test_profile_matches_by_backend_and_case_insensitive_substrings);
    RUN_TEST(test_profile_search_takes_first_match_in_name_order);
    RUN_TEST(test_profile_search_reports_none_and_broken_files);
    RUN_TEST(test_default_profiles_dir_prefers_the_environment);
    return check_summary();
}
