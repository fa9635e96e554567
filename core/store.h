/* The results store: one SQLite file (default tessera.db) holding every
 * measurement, written in a transaction as each one lands, so that a killed
 * run loses at most the candidate in flight and a re-run skips what is
 * stored. It also keeps the vendor compilers' resource reports of offline
 * compiles. The schema is versioned; an older schema is upgraded in place,
 * keeping every result; a file of another application, a newer schema or a
 * corrupt file is refused as bad input (TSR_ERR_INPUT) with a message
 * naming the file. */
#ifndef TSR_STORE_H
#define TSR_STORE_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/resources.h"
#include "core/status.h"

#define TSR_STORE_SCHEMA 4

typedef struct tsr_store tsr_store;

typedef enum tsr_outcome {
    TSR_OUTCOME_OK = 0,        /* built, ran, verified; time counts */
    TSR_OUTCOME_INVALID,       /* refused by the space's constraints or the device's limits */
    TSR_OUTCOME_BUILD_FAILED,  /* the device compiler rejected the source */
    TSR_OUTCOME_LAUNCH_FAILED, /* the runtime refused to launch or the kernel faulted */
    TSR_OUTCOME_WRONG,         /* ran, but outside the error bound */
    TSR_OUTCOME_TIMEOUT,       /* no answer within the watchdog's limit: the worker was killed */
    TSR_OUTCOME_CRASHED,       /* the worker process died (a signal, an abort) */
    TSR_OUTCOME_PREDICTED,     /* tuned offline: the time is the model's, nothing ran */
    TSR_OUTCOME_COUNT
} tsr_outcome;

const char *tsr_outcome_name(tsr_outcome outcome); /* "ok", "invalid", "build-failed", ... */
int tsr_outcome_from_name(const char *name);       /* -1 for an unknown name */

/* One measurement of one config of one op on one device for one shape.
 * The key is (op_key, device, shape, config). */
typedef struct tsr_result {
    const char *op_key;    /* tsr_opspec_key(): op, dtype, layouts ... */
    const char *op;        /* op name, "gemm" */
    const char *spec_name; /* the op spec's name */
    const char *device;    /* device fingerprint: "opencl|vendor|name|driver" */
    const char *profile;   /* profile name used for the constraints */
    const char *shape;     /* "m=1024,n=1024,k=1024" */
    const char *config;    /* "BM=64,BN=64,..." */
    tsr_outcome outcome;
    const char *reason; /* one line, why not ok; NULL when ok */
    double time_ms;     /* median device time; 0 unless ok */
    double gflops;
    double max_error; /* largest |got-ref|/magnitude seen in verification */
    const char *kernel_name;
    const char *source;   /* the generated kernel source */
    const char *language; /* "opencl" */
    const char *geometry; /* tsr_geometry_rule text, "n/64x16,m/64x16" */
    const char *args;     /* "buffer:A,buffer:B,buffer:C,int:M,...,float:alpha" */
    const char *created;  /* ISO-8601 UTC, filled by the store */
    /* Where the evaluation's wall time went, in seconds, for the tuner's
     * report (not stored): compiling, the first launch with its
     * verification, the timed runs. */
    double build_s, check_s, timing_s;
} tsr_result;

tsr_status tsr_store_open(const char *path, tsr_store **out, tsr_error *err);
void tsr_store_close(tsr_store *store);

/* Inserts or replaces the measurement with the same key, committed before
 * returning. */
tsr_status tsr_store_put(tsr_store *store, const tsr_result *result, tsr_error *err);

/* Looks a key up; strings of *out are allocated in `arena`. */
tsr_status tsr_store_get(tsr_store *store, tsr_arena *arena, const char *op_key, const char *device,
                         const char *shape, const char *config, tsr_result *out, bool *found,
                         tsr_error *err);

/* The fastest ok result for (op_key, device, shape). */
tsr_status tsr_store_best(tsr_store *store, tsr_arena *arena, const char *op_key,
                          const char *device, const char *shape, tsr_result *out, bool *found,
                          tsr_error *err);

/* Calls `visit` with the best ok result of every (op_key, device, shape) in
 * the store, ordered by op_key, device, shape. A non-OK return from visit
 * stops the walk and is returned. `device` filters when not NULL. */
typedef tsr_status (*tsr_store_visit)(void *ctx, const tsr_result *best);
tsr_status tsr_store_each_best(tsr_store *store, const char *device, tsr_store_visit visit,
                               void *ctx, tsr_error *err);

/* Calls `visit` with every stored result, whatever its outcome, ordered
 * by op_key, device, shape and config; `device` filters when not NULL. */
tsr_status tsr_store_each_result(tsr_store *store, const char *device, tsr_store_visit visit,
                                 void *ctx, tsr_error *err);

/* Number of stored results per outcome for (op_key, device, shape). */
tsr_status tsr_store_count(tsr_store *store, const char *op_key, const char *device,
                           const char *shape, int counts[TSR_OUTCOME_COUNT], tsr_error *err);

/* The key of a stored resource report: what was compiled, for which
 * profile, by which compiler for which target. A lookup matches only when
 * the source's hash and the compiler's build match as well, so that a
 * report made from other source (a newer generator) or by another build of
 * the compiler is never taken for this one. */
typedef struct tsr_report_key {
    const char *op_key, *profile, *config; /* as in tsr_result */
    const char *compiler, *target;         /* "nvcc", "sm_90" */
    const char *source_sha256;             /* hex SHA-256 of the generated source */
    const char *compiler_id;               /* tsr_resource_report.compiler_id */
} tsr_report_key;

/* Inserts or replaces the report for the key, committed before returning.
 * occupancy_blocks: blocks per unit on the profile, -1 when unknown. */
tsr_status tsr_store_put_report(tsr_store *store, const tsr_report_key *key,
                                const tsr_resource_report *report, int occupancy_blocks,
                                tsr_error *err);

/* The stored report for the key into *out (compiler, target and
 * compiler_id from the key), *occupancy_blocks and `created` (ISO-8601
 * UTC); *found false when there is none or it is stale. */
tsr_status tsr_store_get_report(tsr_store *store, const tsr_report_key *key,
                                tsr_resource_report *out, int *occupancy_blocks, char created[32],
                                bool *found, tsr_error *err);

#endif
