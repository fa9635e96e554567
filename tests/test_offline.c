/* The offline backend: the parsers on output captured from the real vendor
 * compilers (CUDA 13 ptxas, Debian's hipcc 5.2 / clang 15, ocloc 22.43),
 * the messages for a missing compiler and an unknown target, and real
 * compiles where the compilers are installed. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/offline.h"
#include "check.h"

/* nvcc -cubin -arch=sm_90 -Xptxas -v on a 256-thread kernel with a
 * 256-float shared array (small_cuda below), after a hand-written section
 * of another kernel in the same format, to pin where a section ends. */
static const char ptxas_sm90[] =
    "ptxas info    : 0 bytes gmem\n"
    "ptxas info    : Compiling entry function 'tsr_other' for 'sm_90'\n"
    "ptxas info    : Function properties for tsr_other\n"
    "    8 bytes stack frame, 4 bytes spill stores, 4 bytes spill loads\n"
    "ptxas info    : Used 99 registers, used 0 barriers, 8 bytes cumulative stack size\n"
    "ptxas info    : Compiling entry function 'tsr_gemm' for 'sm_90'\n"
    "ptxas info    : Function properties for tsr_gemm\n"
    "    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
    "ptxas info    : Used 10 registers, used 1 barriers, 1024 bytes smem\n"
    "ptxas info    : Compile time = 4.440 ms\n";

/* nvcc -cubin -arch=sm_80 -maxrregcount=32 on a kernel of 64 live floats
 * with __launch_bounds__(1024): it spills. */
static const char ptxas_spill_sm80[] =
    "ptxas info    : 0 bytes gmem\n"
    "ptxas info    : Compiling entry function 'tsr_gemm' for 'sm_80'\n"
    "ptxas info    : Function properties for tsr_gemm\n"
    "    336 bytes stack frame, 160 bytes spill stores, 164 bytes spill loads\n"
    "ptxas info    : Used 64 registers, used 0 barriers, 336 bytes cumulative stack size, "
    "372 bytes cmem[0]\n"
    "ptxas info    : Compile time = 27.048 ms\n";

/* hipcc --offload-arch=gfx90a -O3 -c -Rpass-analysis=kernel-resource-usage
 * on `tessera gen ops/sgemm.yaml --profile nvidia-h100-sxm --backend hip`,
 * with the rocm_agent_enumerator traceback hipcc prints without a GPU. */
static const char amdgpu_gfx90a[] =
    "Traceback (most recent call last):\n"
    "  File \"/usr/bin/rocm_agent_enumerator\", line 257, in <module>\n"
    "FileNotFoundError: [Errno 2] No such file or directory: "
    "'/sys/class/kfd/kfd/topology/nodes/'\n"
    "g.hip:74:1: remark: Function Name: tsr_gemm [-Rpass-analysis=kernel-resource-usage]\n"
    "{\n"
    "^\n"
    "g.hip:74:1: remark:     SGPRs: 37 [-Rpass-analysis=kernel-resource-usage]\n"
    "g.hip:74:1: remark:     VGPRs: 70 [-Rpass-analysis=kernel-resource-usage]\n"
    "g.hip:74:1: remark:     AGPRs: 0 [-Rpass-analysis=kernel-resource-usage]\n"
    "g.hip:74:1: remark:     ScratchSize [bytes/lane]: 0 [-Rpass-analysis=kernel-resource-usage]\n"
    "g.hip:74:1: remark:     Occupancy [waves/SIMD]: 7 [-Rpass-analysis=kernel-resource-usage]\n"
    "g.hip:74:1: remark:     SGPRs Spill: 0 [-Rpass-analysis=kernel-resource-usage]\n"
    "g.hip:74:1: remark:     VGPRs Spill: 0 [-Rpass-analysis=kernel-resource-usage]\n"
    "g.hip:74:1: remark:     LDS Size [bytes/block]: 8192 "
    "[-Rpass-analysis=kernel-resource-usage]\n";

/* The same for gfx1030 (no AGPRs on RDNA), followed by a hand-written
 * spilling kernel in the same format whose figures must not leak into
 * tsr_softmax's. */
static const char amdgpu_gfx1030[] =
    "s.hip:9:1: remark: Function Name: tsr_softmax [-Rpass-analysis=kernel-resource-usage]\n"
    "s.hip:9:1: remark:     SGPRs: 25 [-Rpass-analysis=kernel-resource-usage]\n"
    "s.hip:9:1: remark:     VGPRs: 61 [-Rpass-analysis=kernel-resource-usage]\n"
    "s.hip:9:1: remark:     ScratchSize [bytes/lane]: 0 [-Rpass-analysis=kernel-resource-usage]\n"
    "s.hip:9:1: remark:     Occupancy [waves/SIMD]: 16 [-Rpass-analysis=kernel-resource-usage]\n"
    "s.hip:9:1: remark:     SGPRs Spill: 0 [-Rpass-analysis=kernel-resource-usage]\n"
    "s.hip:9:1: remark:     VGPRs Spill: 0 [-Rpass-analysis=kernel-resource-usage]\n"
    "s.hip:9:1: remark:     LDS Size [bytes/block]: 1024 [-Rpass-analysis=kernel-resource-usage]\n"
    "s.hip:30:1: remark: Function Name: tsr_big [-Rpass-analysis=kernel-resource-usage]\n"
    "s.hip:30:1: remark:     VGPRs: 256 [-Rpass-analysis=kernel-resource-usage]\n"
    "s.hip:30:1: remark:     VGPRs Spill: 40 [-Rpass-analysis=kernel-resource-usage]\n";

static const char hipcc_error[] =
    "Traceback (most recent call last):\n"
    "  File \"/usr/bin/rocm_agent_enumerator\", line 257, in <module>\n"
    "FileNotFoundError: [Errno 2] No such file or directory: "
    "'/sys/class/kfd/kfd/topology/nodes/'\n"
    "bad.hip:1:56: error: use of undeclared identifier 'undefined_thing'\n"
    "extern \"C\" __global__ void tsr_gemm(float *x) { x[0] = undefined_thing; }\n"
    "1 error generated when compiling for gfx90a.\n";

static const char small_cuda[] =
    "extern \"C\" __global__ void __launch_bounds__(256) tsr_gemm(const float *__restrict__ A,\n"
    "    float *__restrict__ C, int M)\n"
    "{\n"
    "    __shared__ float s[256];\n"
    "    int i = blockIdx.x * 256 + threadIdx.x;\n"
    "    s[threadIdx.x] = i < M ? A[i] : 0.f;\n"
    "    __syncthreads();\n"
    "    if (i < M)\n"
    "        C[i] = s[255 - threadIdx.x] * 2.f;\n"
    "}\n";

static void ptxas_report_gives_the_named_kernels_registers_and_smem(void)
{
    tsr_resource_report r = {0};
    CHECK(tsr_offline_parse_ptxas(ptxas_sm90, "tsr_gemm", &r));
    CHECK(r.registers == 10);
    CHECK(r.shared_bytes == 1024);
    CHECK(r.spill_bytes == 0);
    CHECK(r.private_bytes == 0);
    tsr_resource_report other = {0};
    CHECK(tsr_offline_parse_ptxas(ptxas_sm90, "tsr_other", &other));
    CHECK(other.registers == 99 && other.spill_bytes == 8 && other.shared_bytes == 0);
    tsr_resource_report none = {0};
    CHECK(!tsr_offline_parse_ptxas(ptxas_sm90, "tsr_softmax", &none));
}

static void ptxas_spills_are_stores_plus_loads(void)
{
    tsr_resource_report r = {0};
    CHECK(tsr_offline_parse_ptxas(ptxas_spill_sm80, "tsr_gemm", &r));
    CHECK(r.registers == 64);
    CHECK(r.spill_bytes == 160 + 164);
    CHECK(r.private_bytes == 336);
    CHECK(r.shared_bytes == 0);
}

static void amdgpu_remarks_give_vgprs_sgprs_agprs_lds_and_waves(void)
{
    tsr_resource_report r = {0};
    CHECK(tsr_offline_parse_amdgpu(amdgpu_gfx90a, "tsr_gemm", &r));
    CHECK(r.registers == 70);
    CHECK(r.sgprs == 37);
    CHECK(r.agprs == 0);
    CHECK(r.occupancy_waves == 7);
    CHECK(r.shared_bytes == 8192);
    CHECK(r.spill_bytes == 0 && r.private_bytes == 0);
}

static void amdgpu_remarks_stop_at_the_next_kernel(void)
{
    tsr_resource_report r = {0};
    CHECK(tsr_offline_parse_amdgpu(amdgpu_gfx1030, "tsr_softmax", &r));
    CHECK(r.registers == 61 && r.sgprs == 25 && r.occupancy_waves == 16);
    CHECK(r.shared_bytes == 1024 && r.spill_bytes == 0);
    tsr_resource_report big = {0};
    CHECK(tsr_offline_parse_amdgpu(amdgpu_gfx1030, "tsr_big", &big));
    CHECK(big.registers == 256 && big.spill_bytes == 160);
    tsr_resource_report none = {0};
    CHECK(!tsr_offline_parse_amdgpu(amdgpu_gfx1030, "tsr_gemm", &none));
}

static void ocloc_success_line_is_recognised(void)
{
    tsr_resource_report r = {0};
    CHECK(tsr_offline_parse_ocloc("Build succeeded.\n", &r));
    CHECK(r.spill_bytes == 0);
    tsr_resource_report bad = {0};
    CHECK(!tsr_offline_parse_ocloc("Build failed with error code: -11\n", &bad));
}

static void log_excerpt_starts_at_the_first_error(void)
{
    char out[256];
    tsr_offline_log_excerpt(hipcc_error, out, sizeof out);
    const char *first = "bad.hip:1:56: error: use of undeclared identifier";
    CHECK(strncmp(out, first, strlen(first)) == 0);
    tsr_offline_log_excerpt("warning: x\nnote: y\n", out, sizeof out);
    CHECK(strcmp(out, "warning: x\nnote: y\n") == 0);
}

/* hipcc spells MFMA for CDNA's targets and WMMA for RDNA3's alone, so an
 * RDNA2 target standing in for an RDNA3 GPU (the RX 7900 XTX profile's
 * gfx1030) has no WMMA; other compilers and kinds are the profile's own. */
static void offline_targets_have_only_their_own_wave_units(void)
{
    CHECK(tsr_offline_target_has_unit("hipcc", "gfx90a", "mfma"));
    CHECK(tsr_offline_target_has_unit("hipcc", "gfx942", "mfma"));
    CHECK(!tsr_offline_target_has_unit("hipcc", "gfx1030", "mfma"));
    CHECK(!tsr_offline_target_has_unit("hipcc", "gfx1030", "wmma"));
    CHECK(tsr_offline_target_has_unit("hipcc", "gfx1100", "wmma"));
    CHECK(!tsr_offline_target_has_unit("hipcc", "gfx90a", "wmma"));
    CHECK(tsr_offline_target_has_unit("nvcc", "sm_90a", "wgmma"));
    CHECK(tsr_offline_target_has_unit("hipcc", "gfx1030", "mma"));
    CHECK(!tsr_offline_target_has_unit("ocloc", "tgllp", "dpas"));
}

static void occupancy_is_the_tightest_of_registers_shared_and_threads(void)
{
    tsr_profile p = {0};
    p.registers_per_unit = (tsr_quantity){65536, "test", true};
    p.shared_per_unit = (tsr_quantity){233472, "test", true};
    tsr_resource_report r = {0};
    r.registers = 39;
    r.shared_bytes = 8192;
    CHECK(tsr_offline_occupancy(&p, &r, 256, 0) == 6); /* 65536 / (39 x 256) = 6.56 */
    r.registers = 16;
    CHECK(tsr_offline_occupancy(&p, &r, 256, 0) == 8); /* threads: 2048 / 256 */
    r.shared_bytes = 100000;
    CHECK(tsr_offline_occupancy(&p, &r, 256, 0) == 2); /* shared: 233472 / 100000 */
    /* The launch's dynamic shared memory counts beside the static. */
    r.shared_bytes = 0;
    CHECK(tsr_offline_occupancy(&p, &r, 256, 100000) == 2);
    r.shared_bytes = 1024;
    CHECK(tsr_offline_occupancy(&p, &r, 256, 116736) == 1); /* 233472 / 117760 */
    r.registers = 255;
    r.shared_bytes = 0;
    CHECK(tsr_offline_occupancy(&p, &r, 1024, 0) == 0); /* one block does not fit */
    tsr_profile empty = {0};
    CHECK(tsr_offline_occupancy(&empty, &r, 256, 0) == -1);
}

/* PATH and CUDA_HOME point at an empty directory for the duration. */
typedef struct saved_env {
    char *path, *cuda_home;
    char dir[64];
} saved_env;

static void empty_env(saved_env *s)
{
    const char *path = getenv("PATH"), *home = getenv("CUDA_HOME");
    s->path = path ? strdup(path) : NULL;
    s->cuda_home = home ? strdup(home) : NULL;
    snprintf(s->dir, sizeof s->dir, "/tmp/tsr_test_offline_XXXXXX");
    CHECK(mkdtemp(s->dir) != NULL);
    setenv("PATH", s->dir, 1);
    setenv("CUDA_HOME", s->dir, 1);
}

static void restore_env(saved_env *s)
{
    if (s->path)
        setenv("PATH", s->path, 1);
    if (s->cuda_home)
        setenv("CUDA_HOME", s->cuda_home, 1);
    else
        unsetenv("CUDA_HOME");
    free(s->path);
    free(s->cuda_home);
    rmdir(s->dir);
}

static void missing_compilers_say_how_to_get_them(void)
{
    saved_env s;
    empty_env(&s);
    tsr_resource_report r;
    tsr_error err = {{0}};
    CHECK(tsr_offline_compile("nvcc", "sm_90", small_cuda, "tsr_gemm", "cuda", &r, &err) ==
          TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "nvcc not found (install the CUDA toolkit or set CUDA_HOME)");
    CHECK(tsr_offline_compile("hipcc", "gfx90a", "", "k", "hip", &r, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "hipcc not found (apt-get install hipcc)");
    CHECK(tsr_offline_compile("ocloc", "dg2", "", "k", "opencl", &r, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "ocloc not found (apt-get install intel-opencl-icd)");
    restore_env(&s);
}

static void unknown_compilers_targets_and_languages_are_bad_input(void)
{
    tsr_resource_report r;
    tsr_error err = {{0}};
    CHECK(tsr_offline_compile("xlc", "sm_90", "", "k", NULL, &r, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "nvcc, hipcc, ocloc");
    CHECK(tsr_offline_compile("nvcc", "sm_90", "", "k", "opencl", &r, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "nvcc compiles cuda source, not opencl");
    /* The target check follows the compiler lookup; these need the tools. */
    if (tsr_offline_compile("hipcc", "gfx123", "", "k", "hip", &r, &err) != TSR_ERR_UNSUPPORTED) {
        CHECK_STR_CONTAINS(err.msg, "unsupported target 'gfx123'");
        CHECK_STR_CONTAINS(err.msg, "gfx90a");
    }
    if (tsr_offline_compile("ocloc", "xe9", "", "k", "opencl", &r, &err) != TSR_ERR_UNSUPPORTED) {
        CHECK_STR_CONTAINS(err.msg, "unsupported target 'xe9'");
        CHECK_STR_CONTAINS(err.msg, "dg2");
    }
    if (tsr_offline_compile("nvcc", "sm_90;x", "", "k", "cuda", &r, &err) != TSR_ERR_UNSUPPORTED)
        CHECK_STR_CONTAINS(err.msg, "unsupported target 'sm_90;x'");
    if (tsr_offline_compile("nvcc", "sm_10", "", "k", "cuda", &r, &err) != TSR_ERR_UNSUPPORTED) {
        CHECK_STR_CONTAINS(err.msg, "unsupported target 'sm_10'");
        CHECK_STR_CONTAINS(err.msg, "sm_90");
    }
}

static bool have_nvcc(void)
{
    tsr_resource_report r;
    tsr_error err = {{0}};
    return tsr_offline_compile("nvcc", "sm_90", "", "k", "cuda", &r, &err) != TSR_ERR_UNSUPPORTED;
}

static void nvcc_compiles_for_sm90_and_reports_registers(void)
{
    if (!have_nvcc() && !getenv("CI")) {
        printf("skip: nvcc not found\n");
        return;
    }
    tsr_resource_report r;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_offline_compile("nvcc", "sm_90", small_cuda, "tsr_gemm", "cuda", &r, &err) ==
                  TSR_OK,
              "%s", err.msg);
    CHECK_MSG(r.ok, "%s", r.log);
    CHECK(r.registers > 0);
    CHECK(r.shared_bytes == 1024);
    CHECK(strcmp(r.compiler, "nvcc") == 0 && strcmp(r.target, "sm_90") == 0);
}

static void nvcc_rejection_is_an_outcome_with_the_log(void)
{
    if (!have_nvcc())
        return;
    tsr_resource_report r;
    tsr_error err = {{0}};
    const char *bad = "extern \"C\" __global__ void tsr_gemm(float *x) { x[0] = nope; }\n";
    CHECK(tsr_offline_compile("nvcc", "sm_80", bad, "tsr_gemm", "cuda", &r, &err) == TSR_OK);
    CHECK(!r.ok);
    CHECK_STR_CONTAINS(r.log, "nope");
}

static const char small_hip[] =
    "#include <hip/hip_runtime.h>\n"
    "extern \"C\" __global__ void __launch_bounds__(256) tsr_gemm(const float *__restrict__ A,\n"
    "    float *__restrict__ C, int M)\n"
    "{\n"
    "    __shared__ float s[256];\n"
    "    int i = blockIdx.x * 256 + threadIdx.x;\n"
    "    s[threadIdx.x] = i < M ? A[i] : 0.f;\n"
    "    __syncthreads();\n"
    "    if (i < M)\n"
    "        C[i] = s[255 - threadIdx.x] * 2.f;\n"
    "}\n";

static const char small_opencl[] =
    "__kernel __attribute__((reqd_work_group_size(64, 1, 1)))\n"
    "void tsr_softmax(__global const float *restrict X, __global float *restrict Y, int rows,\n"
    "                 int cols)\n"
    "{\n"
    "    __local float s[64];\n"
    "    int i = get_global_id(0);\n"
    "    s[get_local_id(0)] = i < rows ? X[i] : 0.f;\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    if (i < rows)\n"
    "        Y[i] = s[63 - get_local_id(0)] * (float)cols;\n"
    "}\n";

/* CI installs hipcc and ocloc: there a missing one fails; elsewhere the
 * part that needs it is skipped. */
static bool have_or_ci(const char *compiler, const char *target, const char *language)
{
    tsr_resource_report r;
    tsr_error err = {{0}};
    if (tsr_offline_compile(compiler, target, "", "k", language, &r, &err) != TSR_ERR_UNSUPPORTED)
        return true;
    if (getenv("CI"))
        return true; /* the compile below fails and says what is missing */
    printf("skip: %s\n", err.msg);
    return false;
}

static void hipcc_compiles_for_each_amd_target_with_vgprs_and_lds(void)
{
    if (!have_or_ci("hipcc", "gfx90a", "hip"))
        return;
    const char *targets[] = {"gfx908", "gfx90a", "gfx940", "gfx1030"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        tsr_resource_report r;
        tsr_error err = {{0}};
        CHECK_MSG(tsr_offline_compile("hipcc", targets[i], small_hip, "tsr_gemm", "hip", &r,
                                      &err) == TSR_OK,
                  "%s", err.msg);
        CHECK_MSG(r.ok, "%s: %s", targets[i], r.log);
        CHECK_MSG(r.registers > 0 && r.sgprs > 0 && r.occupancy_waves > 0, "%s", targets[i]);
        CHECK_MSG(r.shared_bytes == 1024, "%s: LDS %ld", targets[i], r.shared_bytes);
    }
}

static void ocloc_compiles_for_each_intel_target_and_rejects_bad_source(void)
{
    if (!have_or_ci("ocloc", "dg2", "opencl"))
        return;
    const char *targets[] = {"dg2", "pvc", "tgllp"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        tsr_resource_report r;
        tsr_error err = {{0}};
        CHECK_MSG(tsr_offline_compile("ocloc", targets[i], small_opencl, "tsr_softmax", "opencl",
                                      &r, &err) == TSR_OK,
                  "%s", err.msg);
        CHECK_MSG(r.ok, "%s: %s", targets[i], r.log);
    }
    tsr_resource_report r;
    tsr_error err = {{0}};
    CHECK(tsr_offline_compile("ocloc", "dg2", "__kernel void tsr_softmax() { nope; }\n",
                              "tsr_softmax", "opencl", &r, &err) == TSR_OK);
    CHECK(!r.ok);
    CHECK_STR_CONTAINS(r.log, "nope");
}

int main(void)
{
    RUN_TEST(ptxas_report_gives_the_named_kernels_registers_and_smem);
    RUN_TEST(ptxas_spills_are_stores_plus_loads);
    RUN_TEST(amdgpu_remarks_give_vgprs_sgprs_agprs_lds_and_waves);
    RUN_TEST(amdgpu_remarks_stop_at_the_next_kernel);
    RUN_TEST(ocloc_success_line_is_recognised);
    RUN_TEST(log_excerpt_starts_at_the_first_error);
    RUN_TEST(offline_targets_have_only_their_own_wave_units);
    RUN_TEST(occupancy_is_the_tightest_of_registers_shared_and_threads);
    RUN_TEST(missing_compilers_say_how_to_get_them);
    RUN_TEST(unknown_compilers_targets_and_languages_are_bad_input);
    RUN_TEST(nvcc_compiles_for_sm90_and_reports_registers);
    RUN_TEST(nvcc_rejection_is_an_outcome_with_the_log);
    RUN_TEST(hipcc_compiles_for_each_amd_target_with_vgprs_and_lds);
    RUN_TEST(ocloc_compiles_for_each_intel_target_and_rejects_bad_source);
    return check_summary();
}
