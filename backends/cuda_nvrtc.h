/* Building CUDA source with NVRTC, for the CUDA backend and for the
 * runtime library (rt/), which launch on contexts of their own. Private to
 * backends/ and rt/. */
#ifndef TSR_CUDA_NVRTC_H
#define TSR_CUDA_NVRTC_H

#include "backends/cuda_loader.h"
#include "core/status.h"

/* Builds `source` into an image cuModuleLoadData takes, for compute
 * capability `capability` (90 for sm_90): a cubin when this NVRTC knows the
 * architecture, else PTX for the newest one it knows below, which the
 * driver compiles on load (TESSERA_CUDA_PTX=1 takes that path always).
 * `options` are split at blanks; `where` names the device in messages.
 * *image is malloc'd; *image_size (when not NULL) is its length in bytes. */
tsr_status tsr_cuda_build_image(int capability, const char *where, const char *source,
                                const char *options, char **image, size_t *image_size,
                                tsr_error *err);

#endif
