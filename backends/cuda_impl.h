/* What the CUDA backend keeps per device and per buffer, shared with the
 * cuBLAS reference (cuda_cublas.c), which runs on the same context and
 * buffers. Private to backends/. */
#ifndef TSR_CUDA_IMPL_H
#define TSR_CUDA_IMPL_H

#include "backends/backend.h"
#include "backends/cuda_loader.h"

typedef struct cuda_device {
    const tsr_cuda_driver *cu;
    CUdevice device;
    CUcontext context; /* the device's primary context, shared with cuBLAS & co. */
    /* A library handle made for this device on first use (cuBLAS's), and
     * how to release it when the device closes; NULL until then. */
    void *library;
    void (*library_release)(void *library);
} cuda_device;

/* The device pointer a CUDA buffer holds. */
static inline CUdeviceptr tsr_cuda_pointer(const tsr_buffer *buffer)
{
    return *(const CUdeviceptr *)buffer->impl;
}

#endif
