/* Short micro-benchmarks of a live device, for `tessera profile detect`:
 * device-memory bandwidth, shared/local-memory bandwidth, FMA throughput
 * per data type, and kernel launch latency. One kernel source serves every
 * backend (a few macros hide the dialect), so the numbers of an NVIDIA GPU
 * through CUDA and through OpenCL are measured alike. */
#ifndef TSR_MICROBENCH_H
#define TSR_MICROBENCH_H

#include "backends/backend.h"
#include "core/dtype.h"
#include "core/status.h"

typedef struct tsr_microbench {
    double bandwidth_gbs;           /* copy: bytes read + written / time */
    double shared_bandwidth_gbs;    /* local memory reads / time, whole device */
    double gflops[TSR_DTYPE_COUNT]; /* FMA chains, 2 flops each; 0: not measured */
    double launch_latency_us;       /* an empty kernel, launch to completion, median */
    char notes[512];                /* what was not measured, and why */
} tsr_microbench;

/* Runs every benchmark the device supports (f64 only with fp64), each
 * sized to run tens of milliseconds and timed by the device's own events,
 * best of a few runs; under ten seconds on a GPU. A kernel that fails to
 * build or run is an error naming the benchmark. */
tsr_status tsr_microbench_run(tsr_device *device, tsr_microbench *out, tsr_error *err);

#endif
