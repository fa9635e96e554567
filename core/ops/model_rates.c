/* The profile's figures the analytic models read (see model_rates.h). */
#include "core/ops/model_rates.h"

#include <math.h>

#define OVERLAP_SHARE 0.25

tsr_model_rates tsr_model_rates_of(const tsr_profile *p)
{
    tsr_model_rates r = {
        .units = tsr_profile_value(&p->compute_units, 64),
        .bandwidth = tsr_profile_value(&p->bandwidth_gbs, 1000) * 1e9,
        .shared_bandwidth = tsr_profile_value(&p->shared_bandwidth_gbs, 0) * 1e9,
        .clock =
            tsr_profile_value(&p->clock_boost_mhz, tsr_profile_value(&p->clock_base_mhz, 1500)) *
            1e6,
        .threads_per_unit = tsr_profile_value(&p->max_threads_per_unit, 2048),
        .blocks_per_unit = tsr_profile_value(&p->max_blocks_per_unit, 32),
        .registers_per_unit = tsr_profile_value(&p->registers_per_unit, 65536),
        .register_granularity = tsr_profile_value(&p->register_granularity, 1),
        .shared_per_unit =
            tsr_profile_value(&p->shared_per_unit, tsr_profile_value(&p->shared_per_block, 49152)),
        .launch_latency = tsr_profile_value(&p->launch_latency_us, 5) * 1e-6,
        .simd = tsr_profile_value(&p->simd_width, 32),
    };
    if (!(r.shared_bandwidth > 0))
        r.shared_bandwidth = 10 * r.bandwidth;
    return r;
}

double tsr_model_peak(const tsr_profile *profile, tsr_dtype dtype)
{
    double f32 = tsr_profile_value(&profile->peak_gflops[TSR_F32], 10000);
    return tsr_profile_value(&profile->peak_gflops[dtype], dtype == TSR_F64 ? f32 : 10000) * 1e9;
}

double tsr_model_resident(const tsr_model_rates *rates, double threads, double registers,
                          double shared)
{
    double resident = fmin(floor(rates->threads_per_unit / threads), rates->blocks_per_unit);
    if (registers > 0)
        resident = fmin(resident, floor(rates->registers_per_unit / (registers * threads)));
    if (shared > 0)
        resident = fmin(resident, floor(rates->shared_per_unit / shared));
    return resident;
}

double tsr_model_overlap(double a, double b, double c)
{
    double top = fmax(a, fmax(b, c));
    return top + OVERLAP_SHARE * (a + b + c - top);
}
