/* Loading the CUDA driver and NVRTC at run time (see cuda_api.h). */
#include "backends/cuda_api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* One table per process, filled once: dlopen handles are process-wide and
 * the driver may be initialised only once, so this is the one piece of
 * global state, written under pthread_once and read-only afterwards. */
static tsr_cuda_api api;
static const char *load_error;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void *open_first(const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        void *handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (handle)
            return handle;
    }
    return NULL;
}

#define LOAD(handle, symbol)                                                                       \
    do {                                                                                           \
        *(void **)&api.symbol = dlsym(handle, #symbol);                                            \
        if (!api.symbol) {                                                                         \
            load_error = "the CUDA libraries lack " #symbol;                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static void load(void)
{
    static const char *const driver_names[] = {"libcuda.so.1", "libcuda.so", NULL};
    static const char *const nvrtc_names[] = {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12",
                                              "/usr/local/cuda/lib64/libnvrtc.so", NULL};
    void *driver = open_first(driver_names);
    if (!driver) {
        load_error = "the CUDA driver (libcuda.so.1) is not installed";
        return;
    }
    void *nvrtc = open_first(nvrtc_names);
    if (!nvrtc) {
        load_error = "NVRTC (libnvrtc.so) is not installed: install the CUDA toolkit's NVRTC";
        return;
    }
    LOAD(driver, cuInit);
    LOAD(driver, cuDriverGetVersion);
    LOAD(driver, cuDeviceGetCount);
    LOAD(driver, cuDeviceGet);
    LOAD(driver, cuDeviceGetName);
    LOAD(driver, cuDeviceGetAttribute);
    LOAD(driver, cuDeviceTotalMem_v2);
    LOAD(driver, cuDevicePrimaryCtxRetain);
    LOAD(driver, cuDevicePrimaryCtxRelease_v2);
    LOAD(driver, cuCtxSetCurrent);
    LOAD(driver, cuCtxSynchronize);
    LOAD(driver, cuModuleLoadData);
    LOAD(driver, cuModuleUnload);
    LOAD(driver, cuModuleGetFunction);
    LOAD(driver, cuFuncGetAttribute);
    LOAD(driver, cuMemAlloc_v2);
    LOAD(driver, cuMemFree_v2);
    LOAD(driver, cuMemcpyHtoD_v2);
    LOAD(driver, cuMemcpyDtoH_v2);
    LOAD(driver, cuLaunchKernel);
    LOAD(driver, cuEventCreate);
    LOAD(driver, cuEventRecord);
    LOAD(driver, cuEventSynchronize);
    LOAD(driver, cuEventElapsedTime);
    LOAD(driver, cuEventDestroy_v2);
    LOAD(driver, cuGetErrorName);
    LOAD(driver, cuGetErrorString);
    LOAD(nvrtc, nvrtcCreateProgram);
    LOAD(nvrtc, nvrtcCompileProgram);
    LOAD(nvrtc, nvrtcGetProgramLogSize);
    LOAD(nvrtc, nvrtcGetProgramLog);
    LOAD(nvrtc, nvrtcGetCUBINSize);
    LOAD(nvrtc, nvrtcGetCUBIN);
    LOAD(nvrtc, nvrtcDestroyProgram);
    LOAD(nvrtc, nvrtcGetErrorString);
    if (api.cuInit(0) != 0) {
        load_error = "the CUDA driver is installed but cuInit failed (no usable GPU?)";
        return;
    }
}

const tsr_cuda_api *tsr_cuda_api_load(const char **why)
{
    pthread_once(&load_once, load);
    if (load_error) {
        if (why)
            *why = load_error;
        return NULL;
    }
    return &api;
}
