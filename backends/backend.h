/* One struct of function pointers per backend (OpenCL now; CUDA and HIP
 * later), one row per backend in the registry. Backends include core only. */
#ifndef TSR_BACKEND_H
#define TSR_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "core/launch.h"
#include "core/status.h"

#define TSR_MAX_DEVICES 32

/* What a live device says about itself; also its fingerprint. */
typedef struct tsr_device_info {
    char id[32];      /* "opencl:0": backend name and index across its platforms */
    char backend[16]; /* "opencl" */
    char vendor[128]; /* as the driver reports it */
    char name[256];
    char driver[128];   /* driver version */
    char version[128];  /* API/device version, e.g. "OpenCL 3.0 PoCL ..." */
    char platform[128]; /* OpenCL platform name; empty elsewhere */
    /* The architecture in the vendor's own terms: "sm_90" (NVIDIA, also
     * through OpenCL), "gfx90a" (AMD), the IP version "12.55.8" (Intel
     * OpenCL), else the OpenCL version ("OpenCL 3.0"). */
    char arch[64];
    int compute_units;
    int clock_mhz;
    size_t max_work_group_size;
    size_t max_work_item_sizes[3];
    unsigned long long global_bytes;
    unsigned long long local_bytes; /* shared/local memory per work-group */
    int preferred_vector_width_float;
    bool has_fp64, has_fp16;
    /* The driver finishes compiling a kernel only when it is first launched
     * (PoCL, for the launch's work-group size): that launch may take as long
     * as a build, and a watchdog must allow it. */
    bool compiles_at_first_launch;
    bool is_cpu; /* the device is the host's CPU (OpenCL's CL_DEVICE_TYPE_CPU) */
} tsr_device_info;

typedef struct tsr_backend tsr_backend;

struct tsr_device {
    const tsr_backend *backend;
    tsr_device_info info;
    void *impl;
};
typedef struct tsr_device tsr_device;

typedef struct tsr_kernel {
    tsr_device *device;
    size_t max_work_group_size; /* for this kernel, as compiled */
    unsigned long long local_bytes, private_bytes;
    void *impl;
} tsr_kernel;

struct tsr_buffer {
    tsr_device *device;
    size_t bytes;
    void *impl;
};

struct tsr_backend {
    const char *name;    /* "opencl": the prefix of device ids */
    const char *dialect; /* the generator dialect its compiler takes: "opencl", "cuda", "hip" */

    /* Fills up to `max` entries; a backend whose runtime is absent reports
     * zero devices, not an error. */
    tsr_status (*list)(tsr_device_info *out, int max, int *count, tsr_error *err);
    tsr_status (*open)(int index, tsr_device **out, tsr_error *err);
    void (*close)(tsr_device *device);

    /* Builds `source`, picks `kernel_name`. `options` (may be NULL) are
     * added to the backend's own defaults. On a compiler failure the error
     * holds the first lines of the build log. */
    tsr_status (*compile)(tsr_device *device, const char *source, const char *kernel_name,
                          const char *options, tsr_kernel **out, tsr_error *err);
    void (*release)(tsr_kernel *kernel);

    tsr_status (*alloc)(tsr_device *device, size_t bytes, tsr_buffer **out, tsr_error *err);
    void (*free)(tsr_buffer *buffer);
    tsr_status (*write)(tsr_buffer *buffer, const void *src, size_t bytes, tsr_error *err);
    tsr_status (*read)(tsr_buffer *buffer, void *dst, size_t bytes, tsr_error *err);

    /* Launches and waits. With `elapsed_ms` non-NULL the kernel's own run
     * time comes from the device's profiling events. */
    tsr_status (*launch)(tsr_kernel *kernel, const tsr_arg *args, int n_args,
                         const tsr_geometry *geometry, double *elapsed_ms, tsr_error *err);
};

/* The registry: every backend compiled into this build, in a fixed order. */
const tsr_backend *const *tsr_backends(int *count);
const tsr_backend *tsr_backend_find(const char *name);

/* Opens "opencl:1" style ids. TSR_ERR_NOT_FOUND names the id when there is
 * no such device. */
tsr_status tsr_device_open(const char *id, tsr_device **out, tsr_error *err);
void tsr_device_close(tsr_device *device);

/* backends/buffers.c: `bytes` of zeros written into a buffer of the
 * device's; a new buffer of them (NULL on failure). */
tsr_status tsr_buffer_write_zeros(tsr_device *device, tsr_buffer *buffer, size_t bytes,
                                  tsr_error *err);
tsr_status tsr_buffer_alloc_zeroed(tsr_device *device, size_t bytes, tsr_buffer **out,
                                   tsr_error *err);

#endif
