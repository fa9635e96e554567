/* The binaries of a bundle's kernels, built by the vendor compilers
 * (backends/offline.h) for the profile each kernel was tuned with: a
 * tsr_bundle_binaries_fn for tsr_bundle_export_with. */
#ifndef TSR_BUNDLE_BINARIES_H
#define TSR_BUNDLE_BINARIES_H

#include "core/bundle.h"

/* `ctx` is the profiles folder (NULL: tsr_default_profiles_dir()). A
 * kernel gets binaries when its profile can be read, names an offline
 * compiler and that compiler takes the kernel's language (nvcc for CUDA,
 * hipcc for HIP, ocloc for OpenCL C); else none. A missing compiler or a
 * failed build ends the export with the compiler's message. */
tsr_status tsr_bundle_binaries_by_profile(void *ctx, const tsr_result *kernel, const char *dir,
                                          const char *stem, tsr_bundle_binary *out, int max,
                                          int *count, tsr_error *err);

#endif
