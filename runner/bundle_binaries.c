/* Bundle binaries by the profile's offline compiler (see bundle_binaries.h). */
#include "runner/bundle_binaries.h"

#include <stdio.h>
#include <string.h>

#include "backends/offline.h"
#include "core/profile.h"

tsr_status tsr_bundle_binaries_by_profile(void *ctx, const tsr_result *kernel, const char *dir,
                                          const char *stem, tsr_bundle_binary *out, int max,
                                          int *count, tsr_error *err)
{
    *count = 0;
    if (!kernel->profile || !kernel->language)
        return TSR_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.yaml", ctx ? (const char *)ctx : tsr_default_profiles_dir(),
             kernel->profile);
    tsr_profile *profile = NULL;
    if (tsr_profile_load(path, &profile, NULL) != TSR_OK)
        return TSR_OK; /* a detected or private profile: no target known */
    const char *compiler = profile->offline_compiler;
    const char *dialect = compiler ? tsr_offline_dialect(compiler) : NULL;
    tsr_status st = TSR_OK;
    if (dialect && strcmp(dialect, kernel->language) == 0) {
        /* The compiler writes beside the source: STEM's folder, STEM's name. */
        const char *slash = strrchr(stem, '/');
        char folder[4096];
        snprintf(folder, sizeof folder, "%s/%.*s", dir, slash ? (int)(slash - stem) : 0, stem);
        tsr_offline_binary built[TSR_OFFLINE_MAX_BINARIES];
        int n = 0;
        st = tsr_offline_binaries(compiler, profile->offline_target, kernel->source,
                                  kernel->language, folder, slash ? slash + 1 : stem, built, &n,
                                  err);
        for (int i = 0; st == TSR_OK && i < n && *count < max; i++) {
            tsr_bundle_binary *b = &out[(*count)++];
            /* The same sizes on both sides (offline.h, bundle.h). */
            _Static_assert(sizeof b->kind == sizeof built[i].kind, "kind sizes");
            _Static_assert(sizeof b->target == sizeof built[i].target, "target sizes");
            memcpy(b->kind, built[i].kind, sizeof b->kind);
            memcpy(b->target, built[i].target, sizeof b->target);
            snprintf(b->file, sizeof b->file, "%.*s%s%s", slash ? (int)(slash - stem) : 0, stem,
                     slash ? "/" : "", built[i].name);
        }
    }
    tsr_profile_free(profile);
    return st;
}
