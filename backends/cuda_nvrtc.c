/* Building CUDA source with NVRTC (see cuda_nvrtc.h). */
#include "backends/cuda_nvrtc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/log_line.h"

/* The compiler log, squeezed onto one line and cut. */
static void nvrtc_log(const tsr_cuda_nvrtc *rtc, nvrtcProgram program, char *out, size_t size)
{
    size_t length = 0;
    out[0] = '\0';
    if (rtc->nvrtcGetProgramLogSize(program, &length) != 0 || length == 0)
        return;
    char *log = malloc(length + 1);
    if (!log || rtc->nvrtcGetProgramLog(program, log) != 0) {
        free(log);
        return;
    }
    log[length] = '\0';
    tsr_squeeze_log(log, out, size);
    free(log);
}

/* Whether the device's own architecture has features that only its "a"
 * target enables and a kernel may use: sm_90's warpgroup matrix unit
 * (wgmma). Code for sm_90a runs on sm_90 devices alone, which is where a
 * build for the device's own architecture runs. */
static bool has_arch_specific_target(int capability)
{
    return capability == 90;
}

/* The target NVRTC builds for: a cubin for the device's own architecture
 * when this NVRTC knows it; otherwise PTX for the newest architecture it
 * knows below the device, which the driver compiles on load. TESSERA_CUDA_PTX=1
 * takes the PTX path even where a cubin could be had (PTX of the device's
 * own architecture), so that path is run on any GPU, not only on one newer
 * than the toolkit. */
static tsr_status pick_target(const tsr_cuda_nvrtc *rtc, int capability, const char *where,
                              char *arch, size_t size, int *want_cubin, tsr_error *err)
{
    int count = 0, best = 0;
    const char *force_ptx = getenv("TESSERA_CUDA_PTX");
    *want_cubin = !(force_ptx && force_ptx[0] && strcmp(force_ptx, "0") != 0);
    snprintf(arch, size, "--gpu-architecture=%s_%d%s", *want_cubin ? "sm" : "compute", capability,
             has_arch_specific_target(capability) ? "a" : "");
    if (!rtc->nvrtcGetNumSupportedArchs || !rtc->nvrtcGetSupportedArchs ||
        rtc->nvrtcGetNumSupportedArchs(&count) != 0 || count <= 0 || count > 256)
        return TSR_OK;
    int archs[256];
    if (rtc->nvrtcGetSupportedArchs(archs) != 0)
        return TSR_OK;
    for (int i = 0; i < count; i++) {
        if (archs[i] == capability)
            return TSR_OK;
        if (archs[i] < capability && archs[i] > best)
            best = archs[i];
    }
    int v_major = 0, v_minor = 0;
    rtc->nvrtcVersion(&v_major, &v_minor);
    if (best == 0)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "NVRTC %d.%d cannot compile for sm_%d of %s (oldest it knows: sm_%d); "
                        "use the NVRTC of an older CUDA toolkit",
                        v_major, v_minor, capability, where, archs[0]);
    *want_cubin = 0;
    snprintf(arch, size, "--gpu-architecture=compute_%d", best);
    return TSR_OK;
}

tsr_status tsr_cuda_build_image(int capability, const char *where, const char *source,
                                const char *options, char **image, size_t *image_size,
                                tsr_error *err)
{
    const char *why = NULL;
    const tsr_cuda_nvrtc *rtc = tsr_cuda_nvrtc_load(&why);
    if (!rtc)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED, "cannot compile for %s: %s", where, why);
    char arch[64];
    int want_cubin = 1;
    TSR_TRY(pick_target(rtc, capability, where, arch, sizeof arch, &want_cubin, err));
    char extra[512] = "";
    const char *argv[34] = {arch, "-default-device"};
    int argc = 2;
    if (options && strlen(options) >= sizeof extra)
        return tsr_fail(err, TSR_ERR_INPUT, "compiler options longer than %zu characters",
                        sizeof extra - 1);
    snprintf(extra, sizeof extra, "%s", options ? options : "");
    for (char *save = NULL, *word = strtok_r(extra, " \t", &save); word;
         word = strtok_r(NULL, " \t", &save)) {
        if (argc == (int)(sizeof argv / sizeof argv[0]))
            return tsr_fail(err, TSR_ERR_INPUT, "more than %d compiler options", argc - 2);
        argv[argc++] = word;
    }
    nvrtcProgram program;
    nvrtcResult rc = rtc->nvrtcCreateProgram(&program, source, "tessera.cu", 0, NULL, NULL);
    if (rc != 0)
        return tsr_fail(err, TSR_ERR_BACKEND, "nvrtcCreateProgram: %s",
                        rtc->nvrtcGetErrorString(rc));
    const char *target = arch + strlen("--gpu-architecture=");
    tsr_status st = TSR_OK;
    rc = rtc->nvrtcCompileProgram(program, argc, argv);
    if (rc != 0) {
        char log[700];
        nvrtc_log(rtc, program, log, sizeof log);
        st = tsr_fail(err, TSR_ERR_BACKEND, "nvrtc: build failed for %s: %s", target,
                      log[0] ? log : rtc->nvrtcGetErrorString(rc));
    }
    size_t size = 0;
    if (st == TSR_OK)
        rc = want_cubin ? rtc->nvrtcGetCUBINSize(program, &size)
                        : rtc->nvrtcGetPTXSize(program, &size);
    if (st == TSR_OK && rc == 0) {
        *image = malloc(size ? size : 1);
        if (!*image)
            st =
                tsr_fail(err, TSR_ERR_NOMEM, "out of memory for a %zu-byte %s image", size, target);
        else if ((rc = want_cubin ? rtc->nvrtcGetCUBIN(program, *image)
                                  : rtc->nvrtcGetPTX(program, *image)) != 0) {
            free(*image);
            *image = NULL;
        }
    }
    if (st == TSR_OK && rc == 0 && image_size)
        *image_size = size;
    if (st == TSR_OK && rc != 0)
        st = tsr_fail(err, TSR_ERR_BACKEND, "nvrtc: cannot fetch the %s image: %s", target,
                      rtc->nvrtcGetErrorString(rc));
    rtc->nvrtcDestroyProgram(&program);
    return st;
}
