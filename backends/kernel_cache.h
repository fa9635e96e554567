/* A cache of compiled kernel images on disk, for the backends whose
 * compiler keeps none of its own (NVRTC, hipRTC): the tuner's compile-ahead
 * processes (runner/compile_ahead.h) fill it, and the worker that times a
 * candidate then loads the image instead of compiling again. OpenCL
 * drivers keep caches of their own (PoCL's kernel cache, NVIDIA's compute
 * cache) and do not use this one. Private to backends/. */
#ifndef TSR_KERNEL_CACHE_H
#define TSR_KERNEL_CACHE_H

#include <stdbool.h>
#include <stddef.h>

/* The environment variable naming the cache's directory; unset or empty,
 * nothing is cached. The tuner sets it to a directory of its own for one
 * run; images are never shared between runs. */
#define TSR_KERNEL_CACHE_ENV "TESSERA_KERNEL_CACHE"

/* The image built from `parts` (everything the compiler's output depends
 * on: compiler, target, options, source), malloc'd into *image; false when
 * caching is off, the image is not there, or its file does not check out
 * (a torn or foreign file is a miss, never an error). */
bool tsr_kernel_cache_get(const char *const *parts, int n_parts, char **image, size_t *size);

/* Keeps `image` for `parts`; a failure to write only loses the saving. */
void tsr_kernel_cache_put(const char *const *parts, int n_parts, const char *image, size_t size);

#endif
