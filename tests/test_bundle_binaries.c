/* tessera export --binaries: each kernel built by its profile's vendor
 * compiler into the bundle (cubin and PTX by nvcc, a HIP code object by
 * hipcc, a device binary and SPIR-V by ocloc), listed in the manifest with
 * digests that `bundle check` verifies. Needs the compilers: exits 77
 * (skipped) without one, unless CI is set. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/offline.h"
#include "core/bundle.h"
#include "core/manifest.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "runner/bundle_binaries.h"
#include "runner/runner.h"
#include "tests/check.h"
#include "tests/check_profile.h"

static char temp_dir[64];

static const char *path_in(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof paths[0], "%s/%s", temp_dir, name);
    return p;
}

/* The default GEMM config's kernel for `profile` in `dialect`, stored as
 * a verified result of `device`. */
static void put_kernel(tsr_store *store, const tsr_opspec *spec, const char *profile_name,
                       const char *dialect, const char *device)
{
    tsr_profile *profile = check_repo_profile(profile_name);
    tsr_error err = {{0}};
    if (!profile)
        return;
    tsr_config config;
    const char *origin;
    CHECK(tsr_config_start(spec, profile, &config, &origin, &err) == TSR_OK);
    char config_text[512];
    tsr_config_format(spec->op, &config, config_text, sizeof config_text);
    tsr_kernel_text text;
    CHECK_MSG(tsr_kernel_generate(spec, profile, &config, dialect, &text, &err) == TSR_OK, "%s",
              err.msg);
    tsr_result r = {.op_key = tsr_opspec_key(spec),
                    .op = spec->op->name,
                    .spec_name = spec->name,
                    .device = device,
                    .profile = profile->name,
                    .shape = "m=64,n=64,k=64",
                    .config = config_text,
                    .outcome = TSR_OUTCOME_OK,
                    .time_ms = 1.0,
                    .gflops = 1.0,
                    .max_error = 1e-7,
                    .kernel_name = text.kernel_name,
                    .source = text.source,
                    .language = text.language,
                    .geometry = text.geometry,
                    .args = text.args};
    CHECK_MSG(tsr_store_put(store, &r, &err) == TSR_OK, "%s", err.msg);
    tsr_kernel_text_free(&text);
    tsr_profile_free(profile);
}

static bool starts_with(const char *path, const void *magic, size_t n)
{
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(head, 1, n, f) : 0;
    if (f)
        fclose(f);
    return got == n && memcmp(head, magic, n) == 0;
}

static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    static char buf[1 << 20];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    /* Binary files hold NUL bytes: search the bytes, not a string. */
    size_t len = strlen(needle);
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp(buf + i, needle, len) == 0)
            return true;
    return false;
}

static void every_vendor_gets_its_binaries_and_the_check_covers_them(void)
{
    char spec_path[1024];
    snprintf(spec_path, sizeof spec_path, "%s/ops/sgemm.yaml", check_source_root());
    tsr_opspec *spec = NULL;
    tsr_store *store = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_opspec_load(spec_path, &spec, &err) == TSR_OK);
    CHECK(tsr_store_open(path_in("s.db"), &store, &err) == TSR_OK);
    if (!spec || !store)
        return;
    put_kernel(store, spec, "nvidia-h100-sxm", "cuda",
               "cuda|NVIDIA|NVIDIA H100 80GB HBM3|CUDA 13.0");
    put_kernel(store, spec, "amd-mi250x", "hip", "hip|AMD|AMD Instinct MI250X|HIP 5.2");
    put_kernel(store, spec, "intel-arc-a770", "opencl",
               "opencl|Intel(R) Corporation|Intel(R) Arc(TM) A770 Graphics|23.17");
    put_kernel(store, spec, "pocl-cpu", "opencl", "opencl|pocl|pthread-test|3.1");
    char profiles[1024];
    snprintf(profiles, sizeof profiles, "%s/profiles", check_source_root());
    tsr_bundle_options options = {.binaries = tsr_bundle_binaries_by_profile,
                                  .binaries_ctx = profiles};
    tsr_export_summary summary;
    CHECK_MSG(tsr_bundle_export_with(store, &options, path_in("b"), &summary, &err) == TSR_OK, "%s",
              err.msg);
    tsr_store_close(store);
    tsr_opspec_free(spec);

    tsr_manifest *m = NULL;
    CHECK_MSG(tsr_bundle_check(path_in("b"), &m, &err) == TSR_OK, "%s", err.msg);
    if (!m)
        return;
    static const unsigned char elf[4] = {0x7f, 'E', 'L', 'F'};
    static const unsigned char spirv[4] = {0x03, 0x02, 0x23, 0x07}; /* 0x07230203, little-endian */
    int seen = 0;
    char tampered[1024] = "";
    for (size_t i = 0; i < m->n_kernels; i++) {
        const tsr_manifest_kernel *k = &m->kernels[i];
        for (int b = 0; b < k->n_binaries; b++) {
            const tsr_manifest_binary *bin = &k->binaries[b];
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", path_in("b"), bin->file);
            if (!strcmp(bin->kind, "cubin")) {
                seen |= 1;
                CHECK(starts_with(path, elf, 4) && !strcmp(bin->target, "sm_90a"));
            } else if (!strcmp(bin->kind, "ptx")) {
                seen |= 2;
                CHECK(file_contains(path, ".target sm_90a"));
            } else if (!strcmp(bin->kind, "hsaco")) {
                seen |= 4;
                CHECK(file_contains(path, "gfx90a"));
            } else if (!strcmp(bin->kind, "bin")) {
                seen |= 8;
                CHECK(!strcmp(bin->target, "dg2") && access(path, R_OK) == 0);
            } else if (!strcmp(bin->kind, "spirv")) {
                seen |= 16;
                CHECK(starts_with(path, spirv, 4));
            }
            snprintf(tampered, sizeof tampered, "%s", path);
        }
        if (!strcmp(k->vendor, "cpu"))
            CHECK(k->n_binaries == 0); /* PoCL's profile names no offline compiler */
    }
    CHECK_MSG(seen == 31, "binary kinds seen: %#x", seen);
    tsr_manifest_free(m);
    /* A binary changed after export fails the check, by name. */
    FILE *f = fopen(tampered, "ab");
    if (f) {
        fputs("x", f);
        fclose(f);
    }
    CHECK(tsr_bundle_check(path_in("b"), NULL, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "was changed or damaged");
}

int main(void)
{
    static const char *const compilers[] = {"nvcc", "hipcc", "ocloc"};
    for (int c = 0; c < 3; c++) {
        char id[320];
        tsr_error err = {{0}};
        if (tsr_offline_compiler_id(compilers[c], id, sizeof id, &err) != TSR_OK) {
            printf("%s\n", err.msg);
            return getenv("CI") ? 1 : 77; /* CI has every compiler */
        }
    }
    snprintf(temp_dir, sizeof temp_dir, "/tmp/tsr_binaries_XXXXXX");
    if (!mkdtemp(temp_dir))
        return 1;
    RUN_TEST(every_vendor_gets_its_binaries_and_the_check_covers_them);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", temp_dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", temp_dir);
    return check_summary();
}
