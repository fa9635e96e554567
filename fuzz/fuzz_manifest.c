/* Fuzz target: the bundle-manifest reader. Any input must be read or
 * refused with a message; a manifest that is read names only files inside
 * the bundle (relative paths, no "..") and finite, non-negative times. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path that is absolute or has a ".." part. */
static bool climbs(const char *f)
{
    size_t n = f ? strlen(f) : 0;
    return n == 0 || f[0] == '/' || strcmp(f, "..") == 0 || strncmp(f, "../", 3) == 0 ||
           strstr(f, "/../") || (n >= 3 && strcmp(f + n - 3, "/..") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsr_manifest *m = NULL;
    tsr_error err = {{0}};
    if (tsr_manifest_parse("manifest.json", (const char *)data, size, &m, &err) != TSR_OK) {
        if (!err.msg[0])
            abort();
        return 0;
    }
    for (size_t i = 0; i < m->n_kernels; i++) {
        const tsr_manifest_kernel *k = &m->kernels[i];
        for (int b = 0; b < k->n_binaries; b++)
            if (climbs(k->binaries[b].file))
                abort();
        if (climbs(k->file) || !isfinite(k->time_ms) || k->time_ms < 0 || k->n_dims < 1)
            abort();
    }
    tsr_manifest_free(m);
    return 0;
}
