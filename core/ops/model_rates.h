/* What the ops' analytic models (core/ops/gemm_model.c and its kin) read
 * of a profile: its rates and limits, each a middling GPU's where the
 * profile leaves it out; and how their partial times combine. */
#ifndef TSR_MODEL_RATES_H
#define TSR_MODEL_RATES_H

#include "core/dtype.h"
#include "core/profile.h"

typedef struct tsr_model_rates {
    double units;            /* compute units */
    double bandwidth;        /* memory, bytes/s */
    double shared_bandwidth; /* shared memory, bytes/s (10x the memory's when not given) */
    double clock;            /* Hz, boost where given */
    double threads_per_unit, blocks_per_unit;
    double registers_per_unit, register_granularity;
    double shared_per_unit; /* bytes; a block's limit where the unit's is not given */
    double launch_latency;  /* s */
    double simd;            /* lanes a scheduler issues to */
} tsr_model_rates;

tsr_model_rates tsr_model_rates_of(const tsr_profile *profile);

/* A type's multiply-add rate in FLOP/s: the profile's (f64 at its own
 * rate, often a small fraction of f32's). A profile that gives no f64
 * figure gets f32's, its upper bound; any other missing rate, a middling
 * GPU's. */
double tsr_model_peak(const tsr_profile *profile, tsr_dtype dtype);

/* How many groups of `threads` fit on a unit at once: within its threads
 * and blocks, and, where given (nonzero), its registers for `registers`
 * a thread and its shared memory for `shared` bytes a group. */
double tsr_model_resident(const tsr_model_rates *rates, double threads, double registers,
                          double shared);

/* The slowest of partly overlapping times (a zero for one not there): the
 * others add a quarter of themselves, as chosen against GEMM's measured
 * tables (tests/test_cost_model.c). */
double tsr_model_overlap(double a, double b, double c);

#endif
