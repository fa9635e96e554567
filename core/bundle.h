/* Export of the winners in a results store as a bundle directory:
 *
 *   DIR/manifest.json        schema version, tessera version, and per kernel:
 *                            op, spec, op_key, shape, config, geometry rule,
 *                            arguments, device, profile, time, GFLOP/s,
 *                            file and its SHA-256
 *   DIR/opencl/NAME.cl       the kernel sources
 *   DIR/tessera_bundle.h     a standalone C header: the sources embedded and
 *                            a function that picks the kernel for a shape
 */
#ifndef TSR_BUNDLE_H
#define TSR_BUNDLE_H

#include "core/status.h"
#include "core/store.h"

#define TSR_BUNDLE_SCHEMA 1

typedef struct tsr_export_summary {
    int kernels;
} tsr_export_summary;

/* Writes the bundle for every best result (of `device` when not NULL).
 * The directory is created; existing bundle files in it are replaced. */
tsr_status tsr_bundle_export(tsr_store *store, const char *device, const char *dir,
                             tsr_export_summary *summary, tsr_error *err);

/* The same, keeping only the kernels of the vendors named in `vendors`
 * ("nvidia,amd"; NULL: all). Each kernel lies under its vendor's folder
 * (VENDOR/LANGUAGE/NNN_...), and each vendor's folder has a header of its
 * own kernels. TSR_ERR_INPUT names an unknown vendor. */
tsr_status tsr_bundle_export_vendors(tsr_store *store, const char *device, const char *vendors,
                                     const char *dir, tsr_export_summary *summary, tsr_error *err);

/* The vendor folder of a device fingerprint: "nvidia" (CUDA, NVIDIA's
 * OpenCL), "amd" (HIP, AMD's OpenCL), "intel", "cpu" (PoCL and other CPU
 * OpenCL), else "other". */
const char *tsr_bundle_vendor(const char *fingerprint);

#endif
