/* Loading the CUDA driver and NVRTC at run time (see cuda_loader.h). */
#include "backends/cuda_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "backends/dl_util.h"

/* One table per library per process, filled once. This is the one piece of
 * global state in the backend, and it must be: dlopen handles are
 * process-wide, and the driver is initialised once per process whatever the
 * number of tuners. pthread_once writes each table; afterwards it is only
 * read, so any number of threads may share it. */
static tsr_cuda_driver driver;
static char driver_error[256];
static pthread_once_t driver_once = PTHREAD_ONCE_INIT;

static tsr_cuda_nvrtc nvrtc;
static char nvrtc_error[256];
static pthread_once_t nvrtc_once = PTHREAD_ONCE_INIT;

/* On a missing entry point: record which, and stop filling the table. */
#define BIND(handle, table, symbol, error, library)                                                \
    do {                                                                                           \
        if (!tsr_dl_bind(handle, #symbol, &table.symbol)) {                                        \
            snprintf(error, sizeof error, "%s lacks %s: install CUDA 12 or later", library,        \
                     #symbol);                                                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#define BIND_DRIVER(symbol) BIND(handle, driver, symbol, driver_error, "libcuda.so.1")
#define BIND_NVRTC(symbol) BIND(handle, nvrtc, symbol, nvrtc_error, "libnvrtc")

static void load_driver(void)
{
    void *handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(driver_error, sizeof driver_error,
                 "the CUDA driver libcuda.so.1 is not installed: install the NVIDIA driver");
        return;
    }
    BIND_DRIVER(cuInit);
    BIND_DRIVER(cuDriverGetVersion);
    BIND_DRIVER(cuDeviceGetCount);
    BIND_DRIVER(cuDeviceGet);
    BIND_DRIVER(cuDeviceGetName);
    BIND_DRIVER(cuDeviceGetAttribute);
    BIND_DRIVER(cuDeviceTotalMem_v2);
    BIND_DRIVER(cuDevicePrimaryCtxRetain);
    BIND_DRIVER(cuDevicePrimaryCtxRelease_v2);
    BIND_DRIVER(cuCtxSetCurrent);
    BIND_DRIVER(cuCtxGetCurrent);
    BIND_DRIVER(cuCtxGetDevice);
    BIND_DRIVER(cuCtxSynchronize);
    BIND_DRIVER(cuStreamSynchronize);
    BIND_DRIVER(cuModuleLoadDataEx);
    BIND_DRIVER(cuModuleUnload);
    BIND_DRIVER(cuModuleGetFunction);
    BIND_DRIVER(cuFuncGetAttribute);
    BIND_DRIVER(cuFuncSetAttribute);
    BIND_DRIVER(cuMemAlloc_v2);
    BIND_DRIVER(cuMemFree_v2);
    BIND_DRIVER(cuMemcpyHtoD_v2);
    BIND_DRIVER(cuMemcpyDtoH_v2);
    BIND_DRIVER(cuMemsetD8Async);
    BIND_DRIVER(cuLaunchKernel);
    BIND_DRIVER(cuEventCreate);
    BIND_DRIVER(cuEventRecord);
    BIND_DRIVER(cuEventSynchronize);
    BIND_DRIVER(cuEventElapsedTime);
    BIND_DRIVER(cuEventDestroy_v2);
    BIND_DRIVER(cuGetErrorName);
    BIND_DRIVER(cuGetErrorString);
    CUresult rc = driver.cuInit(0);
    if (rc != CUDA_SUCCESS) {
        const char *name = NULL;
        if (driver.cuGetErrorName(rc, &name) != CUDA_SUCCESS || !name)
            name = "unknown error";
        snprintf(driver_error, sizeof driver_error,
                 "the CUDA driver is installed but cuInit failed with %s (%d): no usable GPU", name,
                 (int)rc);
    }
}

/* The names a distribution or the toolkit gives NVRTC: the unversioned
 * link first, then the majors whose ABI cuda_loader.h follows; looked for
 * where the loader looks, then in the toolkit's own folders. */
static void *open_nvrtc(void)
{
    static const char *const names[] = {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12"};
    char home[448];
    tsr_dl_env_folder("CUDA_HOME", "lib64", home, sizeof home);
    const char *const folders[] = {NULL, home, "/usr/local/cuda/lib64"};
    return tsr_dl_open_first(names, 3, folders, 3);
}

static void load_nvrtc(void)
{
    void *handle = open_nvrtc();
    if (!handle) {
        snprintf(nvrtc_error, sizeof nvrtc_error,
                 "NVRTC (libnvrtc.so.13 or .12) is not installed: install the CUDA toolkit's "
                 "cuda-nvrtc package or set CUDA_HOME");
        return;
    }
    BIND_NVRTC(nvrtcVersion);
    BIND_NVRTC(nvrtcCreateProgram);
    BIND_NVRTC(nvrtcCompileProgram);
    BIND_NVRTC(nvrtcGetProgramLogSize);
    BIND_NVRTC(nvrtcGetProgramLog);
    BIND_NVRTC(nvrtcGetCUBINSize);
    BIND_NVRTC(nvrtcGetCUBIN);
    BIND_NVRTC(nvrtcGetPTXSize);
    BIND_NVRTC(nvrtcGetPTX);
    BIND_NVRTC(nvrtcDestroyProgram);
    BIND_NVRTC(nvrtcGetErrorString);
    /* Optional: without them the device's own architecture is tried. */
    tsr_dl_bind(handle, "nvrtcGetNumSupportedArchs", &nvrtc.nvrtcGetNumSupportedArchs);
    tsr_dl_bind(handle, "nvrtcGetSupportedArchs", &nvrtc.nvrtcGetSupportedArchs);
}

const tsr_cuda_driver *tsr_cuda_driver_load(const char **why)
{
    pthread_once(&driver_once, load_driver);
    if (driver_error[0]) {
        if (why)
            *why = driver_error;
        return NULL;
    }
    return &driver;
}

const tsr_cuda_nvrtc *tsr_cuda_nvrtc_load(const char **why)
{
    pthread_once(&nvrtc_once, load_nvrtc);
    if (nvrtc_error[0]) {
        if (why)
            *why = nvrtc_error;
        return NULL;
    }
    return &nvrtc;
}
