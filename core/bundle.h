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

/* A binary a vendor compiler made from a kernel's source. */
typedef struct tsr_bundle_binary {
    char kind[8];    /* "cubin", "ptx", "hsaco", "bin", "spirv" */
    char target[32]; /* "sm_90", "compute_90", "gfx90a", "dg2", "spirv" */
    char file[600];  /* path inside the bundle */
    char sha256[65];
} tsr_bundle_binary;

/* Builds a kernel's binaries into the bundle (the layer above core does
 * it: it runs the vendor compilers): writes them inside `dir` next to the
 * kernel's source, whose path without extension is `stem`, and fills
 * out[0..*count) with their kind, target and path inside `dir` (the export
 * fills the digests). Returning an error ends the export. */
typedef tsr_status (*tsr_bundle_binaries_fn)(void *ctx, const tsr_result *kernel, const char *dir,
                                             const char *stem, tsr_bundle_binary *out, int max,
                                             int *count, tsr_error *err);

typedef struct tsr_bundle_options {
    const char *device;              /* NULL: every device */
    const char *vendors;             /* NULL: every vendor */
    tsr_bundle_binaries_fn binaries; /* NULL: sources only */
    void *binaries_ctx;
} tsr_bundle_options;

tsr_status tsr_bundle_export_with(tsr_store *store, const tsr_bundle_options *options,
                                  const char *dir, tsr_export_summary *summary, tsr_error *err);

/* The vendor folder of a device fingerprint: "nvidia" (CUDA, NVIDIA's
 * OpenCL), "amd" (HIP, AMD's OpenCL), "intel", "cpu" (PoCL and other CPU
 * OpenCL), else "other". */
const char *tsr_bundle_vendor(const char *fingerprint);

#endif
