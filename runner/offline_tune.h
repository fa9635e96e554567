/* Offline tuning: the best config for a profile whose device is not
 * attached. Every config of the space is ranked by the op's analytic model
 * of the profile (occupancy from registers, shared memory and group size;
 * traffic per tile against bandwidth and caches; arithmetic against the
 * peak rate; waves over the compute units), optionally by a cost model
 * learned from the store's measurements instead; the best-ranked few are
 * compiled by the profile's vendor compiler, whose resource report
 * (registers, spills, shared memory) re-estimates each; the winner and the
 * rest are stored as "predicted" results under the offline device
 * fingerprint, from which `tessera export` works as from measurements. */
#ifndef TSR_OFFLINE_TUNE_H
#define TSR_OFFLINE_TUNE_H

#include <stdbool.h>

#include "core/opspec.h"
#include "core/profile.h"
#include "core/resources.h"
#include "core/store.h"

typedef struct tsr_offline_tune_options {
    int candidates; /* compiled and stored: the best-ranked this many (0: 16) */
    bool learned;   /* rank by the learned cost model (needs measurements in the store) */
    /* Called after each candidate (may be NULL). */
    void (*progress)(void *ctx, int done, int total, const tsr_result *result, bool from_store);
    void *progress_ctx;
} tsr_offline_tune_options;

typedef struct tsr_offline_tune_summary {
    char device[256];  /* the fingerprint the results are stored under */
    char compiler[16]; /* "" when the profile names none: the model alone */
    char target[32];
    int space_size;
    int model_rows; /* measurements the learned model was trained on (0: analytic) */
    int compiled;   /* compiles run now (the rest came from the store) */
    int outcomes[TSR_OUTCOME_COUNT];
    bool found;
    tsr_result best; /* strings in the arena given to tsr_offline_tune */
    double seconds;
} tsr_offline_tune_summary;

/* The offline device fingerprint of a profile:
 * "offline|VENDOR|PROFILE|COMPILER TARGET" (or "... |model" without a
 * compiler). */
void tsr_offline_device(const tsr_profile *profile, char *out, size_t size);

/* The resource report of a kernel by the profile's compiler: the stored
 * one when current (same source, same compiler build), else a compile,
 * stored. *from_store says which; *occupancy_blocks counts the launch's
 * dynamic shared memory beside the report's static. */
tsr_status tsr_offline_report(tsr_store *store, const tsr_opspec *spec, const tsr_profile *profile,
                              const char *config_text, const char *compiler, const char *target,
                              const char *source, const char *kernel_name, int threads_per_block,
                              long dynamic_shared, bool fresh, tsr_resource_report *out,
                              int *occupancy_blocks, char created[32], bool *from_store,
                              tsr_error *err);

tsr_status tsr_offline_tune(tsr_store *store, const tsr_opspec *spec, const tsr_profile *profile,
                            const tsr_shape *shape, const tsr_offline_tune_options *options,
                            tsr_arena *arena, tsr_offline_tune_summary *summary, tsr_error *err);

#endif
