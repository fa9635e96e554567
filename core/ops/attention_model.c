/* What a cost model sees of a fused attention kernel: the quantities that
 * decide its speed on a profile (threads, shared memory, registers,
 * resident groups per compute unit, waves, the multiplies' share of a
 * step's instructions), and a first-order time estimate from the profile's
 * rates: the slowest of arithmetic, cached K/V traffic and on-chip traffic,
 * per wave, plus the launch latency, as for GEMM (core/ops/gemm_model.c).
 *
 * A step of BN keys multiplies Q by K^T and P by V (2 BM BN d FMAs), and
 * around them works on each score (scale, running max, exponential, sum,
 * conversion) and rescales the whole output once: that overhead per
 * multiply shrinks as BN grows, and is what keeps a small BN slow. */
#include <math.h>

#include "core/resources.h"

#include "core/ops/attention_internal.h"
#include "core/ops/gemm_internal.h"
#include "core/ops/model_rates.h"
#include "core/ops/ops.h"

/* As GEMM's: caches serve tile traffic at 1.2 times the memory bandwidth. */
#define CACHE_FACTOR 1.2
/* Instructions per score a step spends outside the multiplies (scale,
 * max, subtract, exponential, sum, conversion to the multiply's type), and
 * per output value (the rescale by the running max's change). */
#define SCORE_INSTRUCTIONS 8.0
#define OUTPUT_INSTRUCTIONS 1.0
#define BARRIER_INSTRUCTIONS 30.0

const char *const attention_feature_names[ATT_FEATURE_COUNT] = {
    [ATT_F_THREADS] = "threads per group",
    [ATT_F_SHARED] = "shared bytes per group",
    [ATT_F_REGISTERS] = "registers per thread",
    [ATT_F_GROUPS_PER_UNIT] = "resident groups per unit",
    [ATT_F_WAVES] = "waves",
    [ATT_F_WAVE_EFFICIENCY] = "busy fraction of the last wave",
    [ATT_F_ISSUE_EFFICIENCY] = "multiplies over all instructions of a step",
    [ATT_F_LATENCY_HIDING] = "resident sub-groups over those needed",
    [ATT_F_LOG_COMPUTE_S] = "log2 arithmetic seconds",
    [ATT_F_LOG_MEMORY_S] = "log2 global-traffic seconds",
    [ATT_F_LOG_SHARED_S] = "log2 shared-traffic seconds",
    [ATT_F_LOG_ESTIMATE_S] = "log2 estimated seconds",
};

/* Keys the query blocks see in all, summed over the blocks of one head:
 * every key, or under the causal mask those up to each block's last row. */
static double visible_keys(const tsr_opspec *spec, double q, double kv, int bm)
{
    double blocks = ceil(q / bm);
    if (!spec->attention.causal)
        return blocks * kv;
    double sum = 0;
    for (double i = 0; i < blocks; i++)
        sum += fmin(kv, (i + 1) * bm);
    return sum;
}

int attention_features(const tsr_opspec *spec, const tsr_profile *profile, const tsr_shape *shape,
                       const tsr_config *config, const struct tsr_resource_report *resources,
                       double *out)
{
    attention_cfg c = attention_cfg_of(config);
    double d = spec->attention.head_dim;
    double q = (double)shape->dim[ATT_DIM_Q], kv = (double)shape->dim[ATT_DIM_KV];
    double heads = (double)shape->dim[ATT_DIM_HEADS];
    double batch = shape->dim[ATT_DIM_BATCH] > 1 ? (double)shape->dim[ATT_DIM_BATCH] : 1.0;
    double in_elem = (double)tsr_dtype_size(spec->dtype);
    double staged_elem = (double)tsr_dtype_size(attention_staged_dtype(spec, &c));

    tsr_model_rates rates = tsr_model_rates_of(profile);
    double units = rates.units, bandwidth = rates.bandwidth, clock = rates.clock;
    double simd = rates.simd;

    double threads = (double)(attention_local_x(&c) * attention_local_y(&c));
    double shared = (double)attention_shared_bytes(spec, &c);
    double rows = c.mu ? 2 * c.tm : c.tm;
    double s_cols = attention_score_cols(&c), o_cols = attention_output_cols(spec, &c);
    /* The compiler's count when a report gave one; else the scores, the
     * output, the row statistics and two dozen for addressing. */
    double registers = resources && resources->registers > 0
                           ? resources->registers
                           : rows * (s_cols + o_cols) + 4 * rows + s_cols + o_cols + 24;
    double resident = tsr_model_resident(&rates, threads, registers, shared);

    double groups = ceil(q / c.bm) * heads * batch;
    double slots = units * fmax(resident, 1);
    double waves = ceil(groups / slots);
    /* Keys a group steps over, padded to whole steps, on average. */
    double keys = ceil(visible_keys(spec, q, kv, c.bm) / ceil(q / c.bm) / c.bn) * c.bn;

    /* One step's instructions, counted per thread: the multiplies (each
     * mma.sync m16n8k16 a warp's, each wgmma m64nBNk16 a warpgroup's),
     * their operands' loads (none on the warpgroup's unit, which reads
     * them itself), and the work on the scores and the output. */
    double per_multiply = c.mu == 2 ? 64.0 * c.bn * 16 / 128 : c.mu ? 2048.0 / 32 : 1;
    double multiplies = 2.0 * c.bm * c.bn * d / per_multiply / threads;
    /* With the warp's unit, ldmatrix replays its rows as often as they
     * collide in the banks: rows of d elements are a multiple of 128 bytes
     * unless padded (PAD). */
    double conflict =
        c.mu == 1 ? gemm_ldmatrix_conflict((long)((d + attention_shared_pad(&c)) * staged_elem))
                  : 1.0;
    double operand_loads = c.mu == 2 ? 0.0 : (c.mu ? 0.6 : 0.5) * multiplies * conflict;
    double elementwise =
        (SCORE_INSTRUCTIONS * c.bm * c.bn + OUTPUT_INSTRUCTIONS * c.bm * d) / threads;
    double copies = 2.0 * c.bn * d / c.vw / threads * 6.0 + 20.0;
    /* A step waits at two barriers (K and V staged), two more with P
     * through shared memory (stored, then read back as the multiply's A)
     * and four more with the row reductions through shared scratch (max
     * and sum, each written and read); a wait costs about a few dozen
     * issue slots, as the steps before a barrier drain. */
    bool runs = attention_reduces_in_runs(&c);
    double barriers = 2.0 + (c.pr ? 0.0 : 2.0) + (runs ? 0.0 : 4.0);
    double staged_p = c.pr ? 0.0 : 2.0 * c.bm * c.bn / threads;
    double scratch = runs ? 0.0 : 4.0 * c.bm * attention_row_sharers(&c) / threads;
    double synchronise = BARRIER_INSTRUCTIONS * barriers + staged_p + scratch;
    double issue = multiplies / (multiplies + operand_loads + elementwise + copies + synchronise);

    /* Latency: about four sub-groups per scheduler, two when the next K/V
     * tiles are copied during the step (PF). */
    double fma_lanes = tsr_model_peak(profile, TSR_F32) / (2 * units * clock);
    double schedulers = fmax(1.0, fma_lanes / simd);
    double active = fmin(fmax(resident, 1), ceil(groups / units)) * threads;
    double hiding = fmin(1.0, active / simd / ((c.pf ? 2.0 : 4.0) * schedulers));

    double peak = tsr_model_peak(profile, c.mu ? spec->dtype : TSR_F32);
    double per_unit = ceil(groups / units);
    double compute_s = per_unit * 4.0 * c.bm * keys * d / (peak / units * issue * hiding);
    /* K and V through the caches once per group; Q read and O written once. */
    double cached = groups * 2.0 * keys * d * in_elem / (CACHE_FACTOR * bandwidth);
    double compulsory =
        heads * batch * (2.0 * q * d * in_elem + 2.0 * kv * d * in_elem) / bandwidth;
    double memory_s = fmax(cached, compulsory);
    /* Each step the group's warps (threads) read K's and V's tiles, each
     * thread the ones its cols need, and Q's rows again. */
    double readers = attention_local_y(&c);
    double shared_s = groups * (keys / c.bn) *
                      (readers * 2.0 * c.bn * d + (double)c.bm * d * c.wc) * staged_elem /
                      rates.shared_bandwidth;
    double estimate = tsr_model_overlap(compute_s, memory_s, shared_s) + rates.launch_latency;
    if (resources && resources->spill_bytes > 0)
        estimate *= 2; /* spilled registers go through local memory */
    if (resident < 1)
        estimate = INFINITY; /* does not fit on a unit at all */

    out[ATT_F_THREADS] = threads;
    out[ATT_F_SHARED] = shared;
    out[ATT_F_REGISTERS] = registers;
    out[ATT_F_GROUPS_PER_UNIT] = resident;
    out[ATT_F_WAVES] = waves;
    out[ATT_F_WAVE_EFFICIENCY] = groups / (waves * slots);
    out[ATT_F_ISSUE_EFFICIENCY] = issue;
    out[ATT_F_LATENCY_HIDING] = hiding;
    out[ATT_F_LOG_COMPUTE_S] = log2(compute_s);
    out[ATT_F_LOG_MEMORY_S] = log2(memory_s);
    out[ATT_F_LOG_SHARED_S] = log2(shared_s);
    out[ATT_F_LOG_ESTIMATE_S] = isfinite(estimate) ? log2(estimate) : 60;
    return ATT_FEATURE_COUNT;
}
