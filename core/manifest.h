/* Reading a bundle's manifest.json (docs/bundle.md) and checking a bundle
 * directory against it: every field of the schema with its type, every
 * file inside the bundle directory (no absolute path, no "..", no symbolic
 * link leading out) and matching its SHA-256. JSON through jansson, with
 * duplicate keys refused. */
#ifndef TSR_MANIFEST_H
#define TSR_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/opspec.h"
#include "core/status.h"

#define TSR_MANIFEST_MAX_BINARIES 4

/* A binary a vendor compiler made from the kernel's source. */
typedef struct tsr_manifest_binary {
    const char *kind, *target, *file, *sha256;
} tsr_manifest_binary;

typedef struct tsr_manifest_kernel {
    int index;
    const char *op, *spec_name, *op_key, *shape, *config, *geometry, *args;
    const char *kernel_name, *language, *file, *sha256, *device, *profile;
    const char *vendor; /* the vendor folder; NULL in bundles written before it was added */
    int n_dims;
    const char *dim_names[TSR_MAX_DIMS]; /* "m", "n", "k": shape_dims' keys, in order */
    long shape_dims[TSR_MAX_DIMS];       /* in the manifest's order */
    double time_ms, gflops, max_error;
    bool measured;
    int n_binaries; /* "binaries", absent in older bundles */
    tsr_manifest_binary binaries[TSR_MANIFEST_MAX_BINARIES];
} tsr_manifest_kernel;

typedef struct tsr_manifest {
    tsr_arena *arena; /* owns everything below */
    int schema;
    const char *tessera_version, *created;
    size_t n_kernels;
    tsr_manifest_kernel *kernels;
} tsr_manifest;

/* The largest manifest read: far above any real bundle's. */
#define TSR_MANIFEST_MAX_BYTES (64u << 20)

/* Parses and validates manifest text; `path` names it in messages
 * ("PATH:LINE:COL: ..." for JSON syntax, "PATH: kernels[3].file: ..." for
 * the schema). TSR_ERR_INPUT on anything malformed. */
tsr_status tsr_manifest_parse(const char *path, const char *text, size_t len, tsr_manifest **out,
                              tsr_error *err);
void tsr_manifest_free(tsr_manifest *manifest);

/* Reads DIR/manifest.json and checks every file it lists: inside DIR
 * (after resolving links), a regular file, with the listed SHA-256.
 * *out (when not NULL) receives the manifest. TSR_ERR_INPUT for a bundle
 * that does not pass, TSR_ERR_IO when DIR cannot be read. */
tsr_status tsr_bundle_check(const char *dir, tsr_manifest **out, tsr_error *err);

#endif
