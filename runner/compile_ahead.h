/* Compile-ahead: while the evaluation worker times one candidate, a few
 * more worker processes compile the candidates the search will visit next,
 * so that the device does not wait for the compiler. They fill the
 * compiler's cache (the driver's own on OpenCL, tessera's kernel cache on
 * CUDA and HIP: backends/kernel_cache.h), and the evaluation worker's
 * compile of the same source is then a cache hit. Compiling ahead only
 * saves time: a config that fails or hangs here is evaluated as usual, and
 * its outcome comes from the evaluation.
 *
 * Where the device is the host's own CPU, a compiler running beside a
 * timed kernel would take its cores and its time would be wrong: there the
 * processes compile a batch while nothing is timed, then stay quiet while
 * the batch is evaluated. */
#ifndef TSR_COMPILE_AHEAD_H
#define TSR_COMPILE_AHEAD_H

#include <stdbool.h>

#include "runner/worker.h"

typedef struct tsr_compile_ahead tsr_compile_ahead;

typedef struct tsr_compile_ahead_stats {
    int queued, compiled, failed, killed; /* configs; killed: past the time limit */
    double busy_s;                        /* compile seconds the processes reported */
    double waited_s;                      /* seconds tessera waited on them */
} tsr_compile_ahead_stats;

/* `jobs` processes (>= 1), each set up like an evaluation worker from
 * `setup` (copied; its compile_only is set here). `quiet_while_timing`: the
 * CPU-device mode above. Processes start with their first config. Makes a
 * kernel cache of its own in TMPDIR for its life and names it in the
 * environment, where the evaluation worker, started after, finds it. */
tsr_status tsr_compile_ahead_create(const tsr_worker_setup *setup, int jobs,
                                    bool quiet_while_timing, tsr_compile_ahead **out,
                                    tsr_error *err);
/* Ends the processes and frees everything. */
void tsr_compile_ahead_free(tsr_compile_ahead *ahead);

/* Adds configs (tsr_config_format text) to compile, in the order they will
 * be evaluated; ones already queued are skipped. Starts what it can at once
 * unless quiet_while_timing. Returns an error only when out of memory. */
tsr_status tsr_compile_ahead_queue(tsr_compile_ahead *ahead, const char *const *configs, int n,
                                   tsr_error *err);

typedef enum tsr_compile_ahead_outcome {
    TSR_AHEAD_NOT_COMPILED, /* not queued, or its process did not come up or died */
    TSR_AHEAD_COMPILED,     /* in the cache: the evaluation's compile is a hit */
    TSR_AHEAD_FAILED,       /* the config is invalid or did not compile: evaluate to record why */
    TSR_AHEAD_TIMED_OUT,    /* compiling took longer than the setup's timeout_s */
} tsr_compile_ahead_outcome;

/* Call before evaluating `config`: waits until it has been compiled ahead
 * when it was queued (in the quiet mode, compiling the whole pending batch
 * with it), and in the quiet mode until no process is compiling. Says how
 * compiling it went, and how long it took in *seconds. A config that timed
 * out here would time out in the evaluation too, since the limit is the
 * same: record it as a timeout and spare the device. */
tsr_compile_ahead_outcome tsr_compile_ahead_wait(tsr_compile_ahead *ahead, const char *config,
                                                 double *seconds);

void tsr_compile_ahead_stats_get(const tsr_compile_ahead *ahead, tsr_compile_ahead_stats *out);

#endif
