/* What bundle.c hands bundle_manifest.c and bundle_header.c: one checked,
 * parsed kernel entry per best result. Not installed; the bundle's public face is core/bundle.h. */
#ifndef TSR_BUNDLE_INTERNAL_H
#define TSR_BUNDLE_INTERNAL_H

#include <sha2.h>

#include "core/launch.h"
#include "core/op.h"
#include "core/store.h"
#include "core/bundle.h"
#include "core/strbuf.h"

#define TSR_BUNDLE_MAX_BINARIES 4

typedef struct tsr_bundle_entry {
    tsr_result result;          /* strings owned by the export's arena */
    const tsr_op_def *op;       /* from result.op */
    long shape[TSR_MAX_DIMS];   /* result.shape, in the op's dim order */
    int n_dims;                 /* the dims the shape's text gives (see check_entry) */
    tsr_geometry_rule geometry; /* result.geometry, parsed, as this entry launches */
    /* result.geometry as the kernel was built, every axis along its dim
     * (geometry drops those along dims the shape's text leaves out): for
     * tessera_bundle.h, whose callers pass every dim of the op. */
    tsr_geometry_rule launch;
    const char *file; /* path inside the bundle: "opencl/000_sgemm_m64.cl" */
    char sha256[SHA256_DIGEST_STRING_LENGTH];
    int n_binaries;
    tsr_bundle_binary binaries[TSR_BUNDLE_MAX_BINARIES];
} tsr_bundle_entry;

/* Steps through "a,b,c": each call yields one item (possibly empty). */
bool tsr_bundle_next_item(const char **cursor, char sep, const char **item, size_t *len);
/* A decimal integer filling exactly text[0..len), at least `min`. */
bool tsr_bundle_parse_long(const char *text, size_t len, long min, long *out);

/* Appends manifest.json for the entries to sb (core/bundle_manifest.c). */
void tsr_bundle_manifest_text(tsr_strbuf *sb, const tsr_bundle_entry *entries, int count,
                              const char *created);
/* Appends the text of tessera_bundle.h for the entries to sb (whose
 * `failed` flag reports out of memory). */
void tsr_bundle_header_text(tsr_strbuf *sb, const tsr_bundle_entry *entries, int count,
                            const char *created);

#endif
