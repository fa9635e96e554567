/* A memory-bound kernel's time on a profile: its compulsory traffic at the
 * bandwidth it can draw, which needs enough bytes in flight on every unit
 * to cover the memory's latency (Little's law), the bytes later passes read
 * again from the caches, and the barriers of its reductions, which only
 * the other resident groups' loads hide; plus the launch latency. */
#include "core/ops/stream_model.h"

#include <math.h>

#include "core/launch.h"
#include "core/ops/model_rates.h"

/* Later passes read from the caches at about twice the memory bandwidth;
 * a load waits about this long for memory; a barrier or reduction round
 * costs about this long where nothing else runs. */
#define CACHE_FACTOR 2.0
#define MEMORY_LATENCY_S 0.8e-6
#define SYNC_S 0.15e-6

const char *const tsr_stream_feature_names[TSR_STREAM_FEATURE_COUNT] = {
    [TSR_STREAM_F_THREADS] = "threads per group",
    [TSR_STREAM_F_SHARED] = "shared bytes per group",
    [TSR_STREAM_F_GROUPS_PER_UNIT] = "resident groups per unit",
    [TSR_STREAM_F_WAVES] = "waves",
    [TSR_STREAM_F_WAVE_EFFICIENCY] = "busy fraction of the last wave",
    [TSR_STREAM_F_IN_FLIGHT] = "bytes in flight over those the latency needs",
    [TSR_STREAM_F_COALESCING] = "useful share of the bytes moved",
    [TSR_STREAM_F_LOG_MEMORY_S] = "log2 memory seconds",
    [TSR_STREAM_F_LOG_SYNC_S] = "log2 synchronisation seconds",
    [TSR_STREAM_F_LOG_ESTIMATE_S] = "log2 estimated seconds",
};

void tsr_stream_launch(const tsr_opspec *spec, const tsr_config *config, const tsr_shape *shape,
                       double *groups, double *threads)
{
    tsr_geometry g;
    tsr_op_geometry(spec, config, shape, &g);
    *groups = 1;
    *threads = 1;
    for (int a = 0; a < g.dims; a++) {
        *groups *= (double)g.groups[a];
        *threads *= (double)g.local[a];
    }
}

int tsr_stream_features(const tsr_profile *profile, const tsr_stream_kernel *k, double *out)
{
    tsr_model_rates rates = tsr_model_rates_of(profile);
    double units = rates.units, bandwidth = rates.bandwidth;

    double resident = tsr_model_resident(&rates, k->threads, 0, k->shared_bytes);
    double slots = units * fmax(resident, 1);
    double waves = ceil(k->groups / slots);
    /* Bytes a unit has in flight against those that cover the latency at
     * its share of the bandwidth. */
    double active = fmin(fmax(resident, 1), ceil(k->groups / units));
    double needed = bandwidth / units * MEMORY_LATENCY_S;
    double in_flight = active * k->in_flight_bytes / needed;
    double busy_units = fmin(units, k->groups);
    double drawn = bandwidth * fmin(1.0, in_flight) * busy_units / units * k->coalescing;
    double memory_s = k->memory_bytes / drawn + k->cached_bytes / (CACHE_FACTOR * bandwidth) +
                      k->groups * k->shared_traffic / rates.shared_bandwidth;
    /* A group's barriers stall it; the other resident groups' loads go on. */
    double sync_s = ceil(k->groups / units) * k->syncs * SYNC_S / fmax(active, 1);
    double estimate = tsr_model_overlap(memory_s, sync_s, 0) + rates.launch_latency;
    if (resident < 1)
        estimate = INFINITY; /* a group does not fit on a unit */

    out[TSR_STREAM_F_THREADS] = k->threads;
    out[TSR_STREAM_F_SHARED] = k->shared_bytes;
    out[TSR_STREAM_F_GROUPS_PER_UNIT] = resident;
    out[TSR_STREAM_F_WAVES] = waves;
    out[TSR_STREAM_F_WAVE_EFFICIENCY] = k->groups / (waves * slots);
    out[TSR_STREAM_F_IN_FLIGHT] = in_flight;
    out[TSR_STREAM_F_COALESCING] = k->coalescing;
    out[TSR_STREAM_F_LOG_MEMORY_S] = log2(memory_s);
    out[TSR_STREAM_F_LOG_SYNC_S] = log2(fmax(sync_s, 1e-12));
    out[TSR_STREAM_F_LOG_ESTIMATE_S] = isfinite(estimate) ? log2(estimate) : 60;
    return TSR_STREAM_FEATURE_COUNT;
}
