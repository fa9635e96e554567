/* hipRTC builds and device architectures for the HIP backend and the
 * runtime library (see hip_loader.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/hip_loader.h"
#include "backends/log_line.h"

void tsr_hip_device_arch(const tsr_hip_runtime *hip, int index, char *arch, size_t size)
{
    arch[0] = '\0';
    unsigned char *props = calloc(1, TSR_HIP_PROPS_BYTES);
    if (!props)
        return;
    if (hip->hipGetDeviceProperties(props, index) == hipSuccess) {
        const char *name = (const char *)props + TSR_HIP_GCN_ARCH_NAME_OFFSET;
        if (strncmp(name, "gfx", 3) == 0 && memchr(name, '\0', 256))
            snprintf(arch, size, "%s", name);
    }
    free(props);
}

/* The compiler log, squeezed onto one line and cut. */
static void rtc_log(const tsr_hip_rtc *rtc, hiprtcProgram program, char *out, size_t size)
{
    size_t length = 0;
    out[0] = '\0';
    if (rtc->hiprtcGetProgramLogSize(program, &length) != 0 || length == 0)
        return;
    char *log = malloc(length + 1);
    if (!log || rtc->hiprtcGetProgramLog(program, log) != 0) {
        free(log);
        return;
    }
    log[length] = '\0';
    tsr_squeeze_log(log, out, size);
    free(log);
}

/* Refuses a processor that hipRTC's compiler does not list, naming those it
 * does; without comgr's list every target is tried. */
static tsr_status check_target(const tsr_hip_rtc *rtc, const char *processor, tsr_error *err)
{
    size_t count = 0;
    if (!rtc->amd_comgr_get_isa_count || rtc->amd_comgr_get_isa_count(&count) != 0 || count == 0)
        return TSR_OK;
    char known[TSR_ERROR_MAX / 2] = "";
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        const char *isa = NULL;
        if (rtc->amd_comgr_get_isa_name(i, &isa) != 0 || !isa)
            continue;
        const char *name = strstr(isa, "--") ? strstr(isa, "--") + 2 : isa;
        if (strcmp(name, processor) == 0)
            return TSR_OK;
        if (used < sizeof known)
            used +=
                (size_t)snprintf(known + used, sizeof known - used, "%s%s", used ? " " : "", name);
    }
    return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                    "hiprtc cannot compile for %s: this ROCm's compiler does not know it; install "
                    "a newer ROCm (it knows: %s)",
                    processor, known);
}

tsr_status tsr_hip_build(const char *source, const char *arch, const char *options, char **code,
                         size_t *size, tsr_error *err)
{
    *code = NULL;
    *size = 0;
    const char *why = NULL;
    const tsr_hip_rtc *rtc = tsr_hip_rtc_load(&why);
    if (!rtc)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED, "cannot compile for %s: %s", arch, why);
    /* Messages name the processor; the compiler gets the whole target id. */
    char processor[64];
    size_t processor_len = strcspn(arch, ":");
    if (processor_len >= sizeof processor)
        processor_len = sizeof processor - 1;
    memcpy(processor, arch, processor_len);
    processor[processor_len] = '\0';
    char target[160], extra[512];
    if (strlen(arch) + 16 >= sizeof target || (options && strlen(options) >= sizeof extra))
        return tsr_fail(err, TSR_ERR_INPUT, "compiler options or target '%s' too long", processor);
    TSR_TRY(check_target(rtc, processor, err));
    snprintf(target, sizeof target, "--offload-arch=%s", arch);
    snprintf(extra, sizeof extra, "%s", options ? options : "");
    const char *argv[33] = {target};
    int argc = 1;
    for (char *save = NULL, *word = strtok_r(extra, " \t", &save); word;
         word = strtok_r(NULL, " \t", &save)) {
        if (argc == (int)(sizeof argv / sizeof argv[0]))
            return tsr_fail(err, TSR_ERR_INPUT, "more than %d compiler options", argc - 1);
        argv[argc++] = word;
    }
    hiprtcProgram program;
    hiprtcResult rc = rtc->hiprtcCreateProgram(&program, source, "tessera.hip", 0, NULL, NULL);
    if (rc != HIPRTC_SUCCESS)
        return tsr_fail(err, TSR_ERR_BACKEND, "hiprtcCreateProgram: %s",
                        rtc->hiprtcGetErrorString(rc));
    tsr_status st = TSR_OK;
    rc = rtc->hiprtcCompileProgram(program, argc, argv);
    size_t bytes = 0;
    if (rc == HIPRTC_SUCCESS)
        rc = rtc->hiprtcGetCodeSize(program, &bytes);
    /* ROCm 5.2's hipRTC can report success with no code after a failed
     * build: an empty code object is a failure too. */
    if (rc != HIPRTC_SUCCESS || bytes == 0) {
        char log[700];
        rtc_log(rtc, program, log, sizeof log);
        st = tsr_fail(err, TSR_ERR_BACKEND, "hiprtc: build failed for %s: %s", processor,
                      log[0]                 ? log
                      : rc != HIPRTC_SUCCESS ? rtc->hiprtcGetErrorString(rc)
                                             : "no code object and no log");
    }
    if (st == TSR_OK && !(*code = malloc(bytes)))
        st = tsr_fail(err, TSR_ERR_NOMEM, "out of memory for a %zu-byte %s code object", bytes,
                      processor);
    if (st == TSR_OK && (rc = rtc->hiprtcGetCode(program, *code)) != HIPRTC_SUCCESS) {
        free(*code);
        *code = NULL;
        st = tsr_fail(err, TSR_ERR_BACKEND, "hiprtc: cannot fetch the %s code object: %s",
                      processor, rtc->hiprtcGetErrorString(rc));
    }
    if (st == TSR_OK)
        *size = bytes;
    rtc->hiprtcDestroyProgram(&program);
    return st;
}
