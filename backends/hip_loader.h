/* The few HIP runtime and hipRTC entry points the HIP backend calls,
 * declared here with their documented signatures (the ABI of ROCm 5.x, which
 * ROCm 6 keeps for these calls) so that tessera builds without ROCm's
 * headers, and loaded at run time (dlopen) so that one binary runs where ROCm
 * is absent. Private to backends/ (and the HIP backend's test). */
#ifndef TSR_HIP_LOADER_H
#define TSR_HIP_LOADER_H

#include <stddef.h>

#include "core/status.h"

typedef int hipError_t;
typedef int hipDevice_t;
typedef struct ihipModule_t *hipModule_t;
typedef struct ihipModuleSymbol_t *hipFunction_t;
typedef struct ihipStream_t *hipStream_t;
typedef struct ihipEvent_t *hipEvent_t;
typedef struct _hiprtcProgram *hiprtcProgram;
typedef int hiprtcResult;

/* Values from ROCm 5.2's hip_runtime_api.h and hiprtc.h. */
enum {
    hipSuccess = 0,
    hipErrorNoDevice = 100,
    hipErrorIllegalAddress = 700,
    hipErrorLaunchFailure = 719,
    HIPRTC_SUCCESS = 0,
    hipMemcpyHostToDevice = 1,
    hipMemcpyDeviceToHost = 2,
    hipDeviceAttributeClockRate = 5, /* kHz */
    hipDeviceAttributeMaxBlockDimX = 26,
    hipDeviceAttributeMaxBlockDimY = 27,
    hipDeviceAttributeMaxBlockDimZ = 28,
    hipDeviceAttributeMaxThreadsPerBlock = 56,
    hipDeviceAttributeMultiprocessorCount = 63,
    hipDeviceAttributeMaxSharedMemoryPerBlock = 74,
    HIP_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
    HIP_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
    HIP_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,
};

/* hipDeviceProp_t is not declared: of it only gcnArchName is read, at its
 * offset in the ROCm 5.x layout (which hipGetDevicePropertiesR0000 keeps in
 * ROCm 6), into a buffer larger than any layout. */
enum { TSR_HIP_PROPS_BYTES = 4096, TSR_HIP_GCN_ARCH_NAME_OFFSET = 396 };

/* The runtime's entry points, by the names libamdhip64 exports. */
typedef struct tsr_hip_runtime {
    hipError_t (*hipGetDeviceCount)(int *count);
    hipError_t (*hipDeviceGetName)(char *name, int length, hipDevice_t device);
    hipError_t (*hipDeviceGetAttribute)(int *value, int attribute, int device);
    hipError_t (*hipDeviceTotalMem)(size_t *bytes, hipDevice_t device);
    hipError_t (*hipDriverGetVersion)(int *version);
    hipError_t (*hipGetDeviceProperties)(void *props, int device);
    hipError_t (*hipSetDevice)(int device);
    hipError_t (*hipGetDevice)(int *device);
    hipError_t (*hipStreamCreate)(hipStream_t *stream);
    hipError_t (*hipStreamDestroy)(hipStream_t stream);
    hipError_t (*hipStreamSynchronize)(hipStream_t stream);
    hipError_t (*hipDeviceSynchronize)(void);
    hipError_t (*hipModuleLoadData)(hipModule_t *module, const void *image);
    hipError_t (*hipModuleUnload)(hipModule_t module);
    hipError_t (*hipModuleGetFunction)(hipFunction_t *function, hipModule_t module,
                                       const char *name);
    hipError_t (*hipFuncGetAttribute)(int *value, int attribute, hipFunction_t function);
    hipError_t (*hipMalloc)(void **pointer, size_t bytes);
    hipError_t (*hipFree)(void *pointer);
    hipError_t (*hipMemcpy)(void *dst, const void *src, size_t bytes, int kind);
    hipError_t (*hipMemsetAsync)(void *dst, int value, size_t bytes, hipStream_t stream);
    hipError_t (*hipModuleLaunchKernel)(hipFunction_t function, unsigned gx, unsigned gy,
                                        unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                        unsigned shared_bytes, hipStream_t stream, void **params,
                                        void **extra);
    hipError_t (*hipEventCreate)(hipEvent_t *event);
    hipError_t (*hipEventRecord)(hipEvent_t event, hipStream_t stream);
    hipError_t (*hipEventSynchronize)(hipEvent_t event);
    hipError_t (*hipEventElapsedTime)(float *ms, hipEvent_t start, hipEvent_t end);
    hipError_t (*hipEventDestroy)(hipEvent_t event);
    const char *(*hipGetErrorName)(hipError_t error);
    const char *(*hipGetErrorString)(hipError_t error);
} tsr_hip_runtime;

/* hipRTC's entry points. */
typedef struct tsr_hip_rtc {
    hiprtcResult (*hiprtcVersion)(int *major, int *minor);
    hiprtcResult (*hiprtcCreateProgram)(hiprtcProgram *program, const char *source,
                                        const char *name, int n_headers, const char **headers,
                                        const char **include_names);
    hiprtcResult (*hiprtcCompileProgram)(hiprtcProgram program, int n_options,
                                         const char **options);
    hiprtcResult (*hiprtcGetProgramLogSize)(hiprtcProgram program, size_t *size);
    hiprtcResult (*hiprtcGetProgramLog)(hiprtcProgram program, char *log);
    hiprtcResult (*hiprtcGetCodeSize)(hiprtcProgram program, size_t *size);
    hiprtcResult (*hiprtcGetCode)(hiprtcProgram program, char *code);
    hiprtcResult (*hiprtcDestroyProgram)(hiprtcProgram *program);
    const char *(*hiprtcGetErrorString)(hiprtcResult result);
    /* From libamd_comgr, the compiler library behind hipRTC; NULL when it
     * cannot be opened. Its list of processors lets a target be checked
     * first: ROCm 5.2's comgr crashes on a processor it does not know. */
    int (*amd_comgr_get_isa_count)(size_t *count);
    int (*amd_comgr_get_isa_name)(size_t index, const char **name);
} tsr_hip_rtc;

/* The runtime, loaded once per process, or NULL with a one-line reason in
 * `why` that names what is missing and how to get it. A runtime without a
 * device loads: hipGetDeviceCount then says how many there are. */
const tsr_hip_runtime *tsr_hip_runtime_load(const char **why);

/* hipRTC, loaded once per process (libhiprtc, or libamdhip64 itself where
 * ROCm 5.2 keeps it there); NULL with the reason in `why`. */
const tsr_hip_rtc *tsr_hip_rtc_load(const char **why);

/* Compiles `source` with hipRTC for `arch` (a target id such as "gfx90a" or
 * "gfx90a:sramecc+:xnack-") into an HSA code object, without any device:
 * this is the path every HIP kernel takes. `options` (may be NULL) are split
 * at blanks. On success *code is malloc'd and holds *size bytes. */
tsr_status tsr_hip_build(const char *source, const char *arch, const char *options, char **code,
                         size_t *size, tsr_error *err);

/* The target id of device `index` ("gfx90a:sramecc+:xnack-") from its
 * properties, or "" when they are not in the ROCm 5 layout (hip_rtc.c). */
void tsr_hip_device_arch(const tsr_hip_runtime *hip, int index, char *arch, size_t size);

#endif
