/* Loading the HIP runtime and hipRTC at run time (see hip_loader.h). */
#include "backends/hip_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "backends/dl_util.h"

/* One table per library per process, filled once. This is the one piece of
 * global state in the backend, and it must be: dlopen handles are
 * process-wide, and the runtime initialises itself once per process whatever
 * the number of tuners. pthread_once writes each table; afterwards it is only
 * read, so any number of threads may share it. */
static void *runtime_handle;
static tsr_hip_runtime runtime;
static char runtime_error[256];
static pthread_once_t runtime_once = PTHREAD_ONCE_INIT;

static tsr_hip_rtc rtc;
static char rtc_error[256];
static pthread_once_t rtc_once = PTHREAD_ONCE_INIT;

/* On a missing entry point: record which, and stop filling the table. */
#define BIND(handle, table, symbol, error, library)                                                \
    do {                                                                                           \
        if (!tsr_dl_bind(handle, #symbol, &table.symbol)) {                                        \
            snprintf(error, sizeof error, "%s lacks %s: install ROCm 5.2 or later", library,       \
                     #symbol);                                                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#define BIND_RUNTIME(symbol) BIND(runtime_handle, runtime, symbol, runtime_error, "libamdhip64")
#define BIND_RTC(symbol) BIND(handle, rtc, symbol, rtc_error, library)

/* The first of `names` that opens, in the loader's default paths, then
 * $ROCM_PATH/lib, then /opt/rocm/lib. */
static void *open_first(const char *const *names, size_t n_names)
{
    char home[448];
    tsr_dl_env_folder("ROCM_PATH", "lib", home, sizeof home);
    const char *const folders[] = {NULL, home, "/opt/rocm/lib"};
    return tsr_dl_open_first(names, n_names, folders, 3);
}

static void load_runtime(void)
{
    static const char *const names[] = {"libamdhip64.so", "libamdhip64.so.5", "libamdhip64.so.6"};
    runtime_handle = open_first(names, sizeof names / sizeof names[0]);
    if (!runtime_handle) {
        snprintf(runtime_error, sizeof runtime_error,
                 "the HIP runtime libamdhip64.so is not installed: install ROCm (libamdhip64) or "
                 "set ROCM_PATH");
        return;
    }
    BIND_RUNTIME(hipGetDeviceCount);
    BIND_RUNTIME(hipDeviceGetName);
    BIND_RUNTIME(hipDeviceGetAttribute);
    BIND_RUNTIME(hipDeviceTotalMem);
    BIND_RUNTIME(hipDriverGetVersion);
    BIND_RUNTIME(hipSetDevice);
    BIND_RUNTIME(hipGetDevice);
    BIND_RUNTIME(hipStreamCreate);
    BIND_RUNTIME(hipStreamDestroy);
    BIND_RUNTIME(hipStreamSynchronize);
    BIND_RUNTIME(hipDeviceSynchronize);
    BIND_RUNTIME(hipModuleLoadData);
    BIND_RUNTIME(hipModuleUnload);
    BIND_RUNTIME(hipModuleGetFunction);
    BIND_RUNTIME(hipFuncGetAttribute);
    BIND_RUNTIME(hipMalloc);
    BIND_RUNTIME(hipFree);
    BIND_RUNTIME(hipMemcpy);
    BIND_RUNTIME(hipMemsetAsync);
    BIND_RUNTIME(hipModuleLaunchKernel);
    BIND_RUNTIME(hipEventCreate);
    BIND_RUNTIME(hipEventRecord);
    BIND_RUNTIME(hipEventSynchronize);
    BIND_RUNTIME(hipEventElapsedTime);
    BIND_RUNTIME(hipEventDestroy);
    BIND_RUNTIME(hipGetErrorName);
    BIND_RUNTIME(hipGetErrorString);
    /* ROCm 6 names the ROCm 5 layout of hipDeviceProp_t R0000 and gives the
     * plain name to a new layout; hip_loader.h reads the old one. */
    if (!tsr_dl_bind(runtime_handle, "hipGetDevicePropertiesR0000",
                     &runtime.hipGetDeviceProperties))
        BIND_RUNTIME(hipGetDeviceProperties);
}

static void load_rtc(void)
{
    static const char *const names[] = {"libhiprtc.so", "libhiprtc.so.5", "libhiprtc.so.6"};
    void *handle = open_first(names, sizeof names / sizeof names[0]);
    const char *library = "libhiprtc";
    if (!handle) {
        /* ROCm 5.2 builds hipRTC into the runtime library. */
        pthread_once(&runtime_once, load_runtime);
        if (runtime_handle && dlsym(runtime_handle, "hiprtcCreateProgram")) {
            handle = runtime_handle;
            library = "libamdhip64";
        }
    }
    if (!handle) {
        snprintf(rtc_error, sizeof rtc_error,
                 "hipRTC (libhiprtc.so, or libamdhip64 of ROCm 5.2) is not installed: install "
                 "ROCm's hiprtc package or set ROCM_PATH");
        return;
    }
    BIND_RTC(hiprtcVersion);
    BIND_RTC(hiprtcCreateProgram);
    BIND_RTC(hiprtcCompileProgram);
    BIND_RTC(hiprtcGetProgramLogSize);
    BIND_RTC(hiprtcGetProgramLog);
    BIND_RTC(hiprtcGetCodeSize);
    BIND_RTC(hiprtcGetCode);
    BIND_RTC(hiprtcDestroyProgram);
    BIND_RTC(hiprtcGetErrorString);
    static const char *const comgr_names[] = {"libamd_comgr.so.2", "libamd_comgr.so",
                                              "libamd_comgr.so.3"};
    void *comgr = open_first(comgr_names, sizeof comgr_names / sizeof comgr_names[0]);
    if (comgr && !(tsr_dl_bind(comgr, "amd_comgr_get_isa_count", &rtc.amd_comgr_get_isa_count) &&
                   tsr_dl_bind(comgr, "amd_comgr_get_isa_name", &rtc.amd_comgr_get_isa_name)))
        rtc.amd_comgr_get_isa_count = NULL;
}

const tsr_hip_runtime *tsr_hip_runtime_load(const char **why)
{
    pthread_once(&runtime_once, load_runtime);
    if (runtime_error[0]) {
        if (why)
            *why = runtime_error;
        return NULL;
    }
    return &runtime;
}

const tsr_hip_rtc *tsr_hip_rtc_load(const char **why)
{
    pthread_once(&rtc_once, load_rtc);
    if (rtc_error[0]) {
        if (why)
            *why = rtc_error;
        return NULL;
    }
    return &rtc;
}
