/* Fuzz target: the generators. The input picks an op spec and a value for
 * every parameter; a config the op accepts for the PoCL profile must
 * generate OpenCL C, CUDA and HIP, and the OpenCL C must build on the
 * OpenCL device opencl:0 (PoCL). Inputs are indices, never text: nothing
 * of the input can reach a kernel. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "core/op.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "runner/runner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const specs[] = {
    "schema: 1\nname: nn\nop: gemm\ndtype: f32\ngemm: {a: row, b: row}\n"
    "shapes:\n  - {m: 8, n: 8, k: 8}\n",
    "schema: 1\nname: tn\nop: gemm\ndtype: f32\ngemm: {a: col, b: row, alpha: 1.5, beta: 0.5}\n"
    "shapes:\n  - {m: 8, n: 8, k: 8}\n",
    "schema: 1\nname: nt\nop: gemm\ndtype: f32\ngemm: {a: row, b: col}\n"
    "shapes:\n  - {m: 8, n: 8, k: 8}\n",
    "schema: 1\nname: sm\nop: softmax\ndtype: f32\nshapes:\n  - {rows: 3, cols: 5}\n",
};
#define N_SPECS (sizeof specs / sizeof specs[0])

/* Loaded once: the fuzzer calls the target thousands of times. */
static tsr_opspec *spec_at[N_SPECS];
static tsr_profile *profile;
static tsr_device *device;

static void set_up(void)
{
    tsr_error err = {{0}};
    for (size_t i = 0; i < N_SPECS; i++)
        if (tsr_opspec_parse("fuzz.yaml", specs[i], strlen(specs[i]), &spec_at[i], &err) != TSR_OK)
            abort();
    char path[4096];
    snprintf(path, sizeof path, "%s/pocl-cpu.yaml", tsr_default_profiles_dir());
    if (tsr_profile_load(path, &profile, &err) != TSR_OK ||
        tsr_device_open("opencl:0", &device, &err) != TSR_OK) {
        fprintf(stderr, "fuzz_generator: %s\n", err.msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!profile)
        set_up();
    if (size < 1)
        return 0;
    const tsr_opspec *spec = spec_at[data[0] % N_SPECS];
    const tsr_op_def *op = spec->op;
    tsr_config config;
    tsr_config_default(op, &config);
    for (int p = 0; p < op->n_params && (size_t)p + 1 < size; p++)
        config.value[p] = op->params[p].values[data[p + 1] % op->params[p].n_values];
    tsr_error err = {{0}};
    if (op->check(spec, profile, &config, &err) != TSR_OK)
        return 0; /* a config the space would not hold */
    static const char *const dialects[] = {"opencl", "cuda", "hip"};
    for (int d = 0; d < 3; d++) {
        tsr_kernel_text text;
        if (tsr_kernel_generate(spec, profile, &config, dialects[d], &text, &err) != TSR_OK) {
            char shown[512];
            tsr_config_format(op, &config, shown, sizeof shown);
            fprintf(stderr, "%s %s: a valid config does not generate %s: %s\n", spec->name, shown,
                    dialects[d], err.msg);
            abort();
        }
        tsr_kernel *kernel = NULL;
        if (d == 0 && device->backend->compile(device, text.source, text.kernel_name, NULL, &kernel,
                                               &err) != TSR_OK) {
            char shown[512];
            tsr_config_format(op, &config, shown, sizeof shown);
            fprintf(stderr, "%s %s: PoCL refuses the generated kernel: %s\n", spec->name, shown,
                    err.msg);
            abort();
        }
        if (kernel)
            device->backend->release(kernel);
        tsr_kernel_text_free(&text);
    }
    return 0;
}
