/* What a cost model sees of a memory-bound kernel (the row ops, permute):
 * how much it moves and how, and a first-order time from the profile's
 * bandwidth. Shared by those ops' features. */
#ifndef TSR_STREAM_MODEL_H
#define TSR_STREAM_MODEL_H

#include "core/op.h"

/* One launch of a streaming kernel. */
typedef struct tsr_stream_kernel {
    double groups, threads; /* work-groups launched, threads in each */
    double shared_bytes;    /* per group */
    double memory_bytes;    /* compulsory traffic: every input read, every output written */
    double cached_bytes;    /* read again by later passes, mostly from the caches */
    double in_flight_bytes; /* a group's loads in flight at once (one vector a thread) */
    double syncs;           /* barriers (reduction rounds) per group */
    double shared_traffic;  /* bytes through shared memory per group, bank replays counted */
    double coalescing;      /* useful share of the bytes the memory moves (0..1] */
} tsr_stream_kernel;

enum tsr_stream_feature {
    TSR_STREAM_F_THREADS,
    TSR_STREAM_F_SHARED,
    TSR_STREAM_F_GROUPS_PER_UNIT,
    TSR_STREAM_F_WAVES,
    TSR_STREAM_F_WAVE_EFFICIENCY,
    TSR_STREAM_F_IN_FLIGHT,
    TSR_STREAM_F_COALESCING,
    TSR_STREAM_F_LOG_MEMORY_S,
    TSR_STREAM_F_LOG_SYNC_S,
    TSR_STREAM_F_LOG_ESTIMATE_S, /* last, as tsr_op_def.features asks */
    TSR_STREAM_FEATURE_COUNT
};
extern const char *const tsr_stream_feature_names[TSR_STREAM_FEATURE_COUNT];

/* Fills TSR_STREAM_FEATURE_COUNT features of kernel k on the profile;
 * returns the count. */
int tsr_stream_features(const tsr_profile *profile, const tsr_stream_kernel *k, double *out);

/* The launched work-groups and the threads in each, from the op's
 * geometry for the shape. */
void tsr_stream_launch(const tsr_opspec *spec, const tsr_config *config, const tsr_shape *shape,
                       double *groups, double *threads);

#endif
