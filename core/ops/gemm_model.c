/* What a cost model sees of a GEMM kernel: the quantities of its lowered
 * program that decide its speed on a profile (threads, shared memory,
 * registers, loads per FMA, resident groups per compute unit, waves over the
 * units, tile waste at ragged edges), and a first-order time estimate from
 * the profile's rates: the slowest of arithmetic, cached global traffic and
 * on-chip (shared memory and L1) traffic, per wave, plus the launch latency.
 *
 * The estimate ranks configs for a device that is not attached (offline
 * tuning); a learned model trained on measurements corrects it. */
#include <math.h>

/* Tile traffic is served by the caches (L2) at about 1.2 times the memory
 * bandwidth (an H100's L2 reads at roughly 5.5 TB/s beside 3.35 TB/s of
 * HBM3), chosen against the measured tables of tests/test_cost_model.c;
 * arithmetic, cache and on-chip traffic partly overlap (tsr_model_overlap). */
#define CACHE_FACTOR 1.2

#include "core/resources.h"

#include "core/ops/gemm_internal.h"
#include "core/ops/model_rates.h"
#include "core/ops/ops.h"

const char *const gemm_feature_names[GEMM_FEATURE_COUNT] = {
    [GEMM_F_THREADS] = "threads per group",
    [GEMM_F_SHARED] = "shared bytes per group",
    [GEMM_F_REGISTERS] = "registers per thread",
    [GEMM_F_GROUPS_PER_UNIT] = "resident groups per unit",
    [GEMM_F_WAVES] = "waves",
    [GEMM_F_WAVE_EFFICIENCY] = "busy fraction of the last wave",
    [GEMM_F_TILE_WASTE] = "tile area over matrix area",
    [GEMM_F_ISSUE_EFFICIENCY] = "FMAs over all instructions of a k-step",
    [GEMM_F_LATENCY_HIDING] = "in-flight FMAs over those needed",
    [GEMM_F_LOG_COMPUTE_S] = "log2 arithmetic seconds",
    [GEMM_F_LOG_MEMORY_S] = "log2 global-traffic seconds",
    [GEMM_F_LOG_SHARED_S] = "log2 shared-traffic seconds",
    [GEMM_F_LOG_ESTIMATE_S] = "log2 estimated seconds",
};

static double ceil_div(double a, double b)
{
    return ceil(a / b);
}

double gemm_ldmatrix_conflict(long row_bytes)
{
    long step = row_bytes % 128, distinct = 1;
    for (long at = step; at != 0 && distinct < 8; at = (at + step) % 128)
        distinct++;
    return 8.0 / (double)distinct;
}

double gemm_fragment_conflict(long row, bool k_along_rows, int words)
{
    int half = words > 1 ? 16 : 32;
    double passes = 0;
    for (int first = 0; first < 32; first += half) {
        int lanes_in_bank[32] = {0}, worst = 0;
        for (int lane = first; lane < first + half; lane++) {
            long g = lane / 4, t = lane % 4;
            long value = k_along_rows ? g * row + t : t * row + g;
            for (int w = 0; w < words; w++) {
                int bank = (int)((value * words + w) % 32);
                if (++lanes_in_bank[bank] > worst)
                    worst = lanes_in_bank[bank];
            }
        }
        passes += worst;
    }
    return passes * half / 32.0;
}

/* A CPU runs a group's work-items as a loop on one core. Its SIMD lanes
 * are filled by the kernel's explicit vectors (VN lanes of accumulators);
 * without them the compiler vectorises the work-item loop, which measured
 * at about a third of the peak (PoCL 3.1, AVX-512). A core issues two
 * loads per FMA, so loads cost half. A barrier (two per k-step when an
 * operand is staged, one when the next step is fetched ahead) makes each
 * work-item store its accumulators and load them back: traffic through L1
 * at about 64 bytes per cycle per core. */
static void cpu_times(const gemm_cfg *c, double groups, double threads, double kp, double elem,
                      double peak, double units, double clock, double simd, double *issue,
                      double *lanes, double *compute_s, double *barrier_s)
{
    double vfmas = c->bk * (double)(c->tm * c->tn) / c->vn;
    double loads = c->bk * (c->tm + c->tn / (double)c->vn);
    *issue = vfmas / (vfmas + 0.5 * loads + 4.0);
    *lanes = fmax(fmin(c->vn, simd) / simd, 1.0 / 3.0);
    double per_unit = ceil_div(groups, units);
    *compute_s = per_unit * 2.0 * c->bm * c->bn * kp / (peak / units * *issue * *lanes);
    double barriers = c->sa || c->sb ? (c->pf ? 1.0 : 2.0) : 0.0;
    double spilled = barriers * (kp / c->bk) * threads * (c->tm * c->tn) * elem * 2;
    *barrier_s = per_unit * spilled / (64.0 * clock);
}

int gemm_features(const tsr_opspec *spec, const tsr_profile *profile, const tsr_shape *shape,
                  const tsr_config *config, const tsr_resource_report *resources, double *out)
{
    gemm_cfg c = gemm_cfg_of(config);
    double m = (double)shape->dim[GEMM_DIM_M], n = (double)shape->dim[GEMM_DIM_N];
    double k = (double)shape->dim[GEMM_DIM_K];
    /* A batch is that many independent problems, its groups side by side. */
    double batch = shape->dim[GEMM_DIM_BATCH] > 1 ? (double)shape->dim[GEMM_DIM_BATCH] : 1.0;
    /* Values are computed and staged in the compute type; A and B cross
     * global memory in their own (f16 inputs move half the bytes). */
    tsr_dtype compute = tsr_dtype_compute(spec->dtype);
    double elem = (double)tsr_dtype_size(compute);
    double in_elem = (double)tsr_dtype_size(spec->dtype);

    /* The profile's rates; where a profile leaves one out, a middling GPU's. */
    tsr_model_rates rates = tsr_model_rates_of(profile);
    double units = rates.units;
    /* A matrix unit runs at the input type's peak (the profile's tensor
     * rate), the threads' FMAs at the compute type's. */
    bool tf32 = c.mu && gemm_unit_input(spec) == TSR_TF32;
    double peak = tsr_model_peak(profile, c.mu ? gemm_unit_input(spec) : compute);
    /* f64's mma.sync is fed as tf32's, a value a register, at its own rate
     * (FP64 on the tensor cores; m8n8k4's four take the registers of one
     * m16n8k8). */
    bool f64_unit = c.mu == GEMM_MU_MMA_SYNC && spec->dtype == TSR_F64;
    const tsr_matrix_unit *f64_mma = f64_unit ? tsr_profile_mma_f64(profile) : NULL;
    if (f64_mma && f64_mma->gflops.present)
        peak = f64_mma->gflops.value * 1e9;
    bool scalar_fragments = tf32 || f64_unit;
    double unit_k = scalar_fragments ? 8.0 : 16.0; /* k per mma.sync or wgmma */
    double bandwidth = rates.bandwidth, shared_bw = rates.shared_bandwidth, clock = rates.clock;
    double granularity = rates.register_granularity, latency = rates.launch_latency;
    double simd = rates.simd;

    double threads = (double)(gemm_local_x(&c) * gemm_local_y(&c));
    double shared = (double)gemm_shared_bytes(&c, spec, c.mu ? (size_t)in_elem : (size_t)elem);
    /* The compiler's count when a resource report gave one; else the
     * accumulators, a column of A, a row of B and a dozen for addressing. */
    int fetched = c.pf == 1
                      ? (c.sa ? gemm_staging_registers(c.bm * c.bk, c.vw, (int)threads) : 0) +
                            (c.sb ? gemm_staging_registers(c.bk * c.bn, c.vw, (int)threads) : 0)
                      : 0;
    double registers =
        resources && resources->registers > 0
            ? resources->registers
            : (double)(c.mu ? (f64_unit ? 2 : 1) * (4 * c.tm * c.tn + 4 * c.tm + 2 * c.tn) +
                                  fetched + 12
                            : c.tm * c.tn + c.tm + c.tn + fetched + 12);
    if (granularity > 1)
        registers = ceil_div(registers, granularity) * granularity;

    double resident = tsr_model_resident(&rates, threads, registers, shared);

    /* With split K, SK groups a tile, each over its share of K. */
    double tiles = ceil_div(m, c.bm) * ceil_div(n, c.bn) * batch;
    double groups = tiles * c.sk;
    double slots = units * fmax(resident, 1);
    double waves = ceil_div(groups, slots);
    double kp = c.sk > 1 ? (double)gemm_split_k(&c, (long)k) : ceil_div(k, c.bk) * c.bk;

    /* Neighbouring threads of a sub-group differ along N. Reading B, each
     * takes TN/VN vectors of VN values: contiguous per thread (STRN=0), the
     * threads are TN values apart and their reads collide in the banks of
     * shared memory (or fall into separate cache lines from global memory)
     * about TN/VN' times over, VN' the vector a load moves at once (at most
     * four values); strided (STRN=1), neighbours read neighbouring vectors. */
    double vector = fmin(c.vn, 4);
    double a_conflict = 1.0, b_conflict = c.strn ? 1.0 : fmax(1.0, fmin(c.tn / vector, 32.0));

    /* Instructions per thread per k-step (BK values of k): the FMAs of the
     * micro-tile; the loads that feed them, from shared memory when the
     * operand is staged, else from global memory through L1 (counted
     * twice: address arithmetic and a longer latency), B's replayed as often
     * as its reads collide; staging's global loads and shared stores; two
     * barriers and the loop. A unit needs about four FMAs in flight per lane
     * to hide their latency. */
    double fmas = (double)(c.tm * c.tn);
    double per_step_fmas = c.bk * fmas;
    double b_loads = c.bk * c.tn / vector * b_conflict;
    double from_shared = c.bk * c.sa * c.tm + c.sb * b_loads;
    double from_global = c.bk * (1 - c.sa) * c.tm + (1 - c.sb) * b_loads;
    /* Staging: a load and a store per vector, or one asynchronous copy. */
    double staging =
        (c.pf >= 2 ? 1.0 : 2.0) * (c.sa * c.bm * c.bk + c.sb * c.bk * c.bn) / (threads * c.vw);
    double overhead = 12.0 + 2.0 * c.bk / c.ku;
    double issue =
        per_step_fmas / (per_step_fmas + from_shared + 2 * from_global + staging + overhead);
    if (c.mu) {
        /* Per thread and k-step: TM x TN mma.sync per 16 of k, fed by an
         * ldmatrix per fragment row of A and per pair of B's, in a loop of
         * BK / 16 unrolled KU times. tf32: per 8 of k, fed by a load and a
         * rounding of each of A's 4 and B's 2 values per fragment (f64: the
         * loads alone). */
        double steps = c.bk / unit_k, units_issued = steps * c.tm * c.tn;
        int pad = gemm_shared_pad(&c, spec->dtype);
        bool at = gemm_a_tile_transposed(&c, spec->layout_a);
        bool bt = gemm_b_tile_transposed(&c, spec->layout_b);
        long a_row = at ? c.bm + pad : c.bk + pad, b_row = bt ? c.bk + pad : c.bn + pad;
        int words = f64_unit ? 2 : 1;
        a_conflict = scalar_fragments ? gemm_fragment_conflict(a_row, !at, words)
                                      : gemm_ldmatrix_conflict(a_row * (long)in_elem);
        b_conflict = scalar_fragments ? gemm_fragment_conflict(b_row, bt, words)
                                      : gemm_ldmatrix_conflict(b_row * (long)in_elem);
        double fragment_loads =
            scalar_fragments ? steps * 2.0 * (4.0 * c.tm * a_conflict + 2.0 * c.tn * b_conflict)
                             : steps * (c.tm * a_conflict + ceil(c.tn / 2.0) * b_conflict);
        /* AMD's MFMA 16x16x16: four 16-bit reads of A per fragment row and
         * four of B per fragment col, each lane its own; WMMA sixteen;
         * Intel's DPAS eight or sixteen of A and sixteen of B. */
        if (gemm_wave(&c))
            fragment_loads = steps * (c.mu == GEMM_MU_MFMA ? 4.0 : 16.0) * (c.tm + c.tn);
        overhead = 12.0 + 2.0 * steps / fmin(c.ku, steps);
        /* Beside mma.sync, one instruction per 16 x 8 x 16, a vector's copy
         * weighs its address arithmetic and bounds test too: about five
         * instructions an asynchronous copy in the SASS of an H200 kernel's
         * k-loop, so narrow vectors (VW) cost the unit most of its issue. */
        double copies = (c.sa * c.bm * c.bk + c.sb * c.bk * c.bn) / (threads * c.vw);
        staging = copies * (c.pf >= 2 ? 5.0 : 6.0);
        issue = units_issued / (units_issued + fragment_loads + staging + overhead);
        if (f64_unit) {
            /* An m16n8k8 of doubles holds its scheduler's share of the unit
             * for many issue slots (32 on an H200: 2048 flops at 67 TFLOP/s
             * over 132 units of four schedulers at 1.98 GHz), in whose
             * shadow its loads issue; the 16-bit and tf32 units, a few
             * slots an instruction, stay as calibrated. sm_80's m8n8k4
             * issues four instructions for each. */
            double f32_lanes = tsr_model_peak(profile, TSR_F32) / (2 * units * clock);
            double slots =
                2.0 * 16 * 8 * 8 / (peak / (units * clock)) * fmax(1.0, f32_lanes / simd);
            double instructions = units_issued * (f64_mma && f64_mma->k == 4 ? 4.0 : 1.0);
            issue = fmin(1.0, units_issued * slots /
                                  (instructions + fragment_loads + staging + overhead));
        }
        fmas = 2.0 * c.tm * c.tn; /* independent mma.sync in flight per warp, as FMAs */
    }
    if (c.mu == GEMM_MU_WGMMA) {
        /* The warpgroup's unit takes a whole k-step in BK / 16 x TM
         * instructions (BK / 8 x TM on tf32, each as long) and runs them while the threads issue
         * the copies, whose swizzled addresses (about ten instructions each in the SASS) bound it:
         * on an H200 the multiplies alone ran at 622 TFLOP/s of 989 and the copies alone took as
         * long as the whole kernel (hgemm at 4096, 128 x 256 tiles). */
        double copies = (c.sa * c.bm * c.bk + c.sb * c.bk * c.bn) / (threads * c.vw);
        double unit_cycles = c.bk / unit_k * c.tm * 8.0 * c.tn;
        issue = 0.6 * unit_cycles / fmax(unit_cycles, 10.0 * copies + 12.0);
        fmas = 8.0;
        a_conflict = b_conflict = 1.0;
    }
    /* Groups spread evenly over the units; a unit's share runs at its part
     * of the peak rate, with `resident` of them at a time. Latency is hidden
     * with about four sub-groups per scheduler (a scheduler issues to one
     * SIMD's lanes) and enough independent FMAs per thread. */
    /* The lanes are the threads' FMA lanes, whatever unit multiplies. */
    double fma_peak = tsr_model_peak(profile, compute);
    double lanes_per_unit = fma_peak / (2 * units * clock);
    double per_unit = ceil_div(groups, units);
    double active = fmin(fmax(resident, 1), per_unit) * threads;
    double schedulers = fmax(1.0, lanes_per_unit / simd);
    /* A step fetched ahead (PF) is in flight across the multiply, so the
     * memory latency is hidden within a sub-group: half as many suffice,
     * and a quarter with a ring of asynchronous copies several steps deep. */
    double per_scheduler = c.pf >= 2 ? 1.0 : c.pf ? 2.0 : 4.0;
    double hiding = fmin(1.0, active / simd / (per_scheduler * schedulers)) * fmin(1.0, fmas / 4);
    double compute_s = per_unit * 2.0 * c.bm * c.bn * kp / (peak / units * issue * hiding);
    /* Tiles of A and B per group, from the caches, and at least the
     * compulsory traffic from memory. */
    double cached = groups * kp * (c.bm + c.bn) * in_elem / (CACHE_FACTOR * bandwidth);
    double outputs = (spec->residual ? 3 : 2) * m * n; /* C written, read for beta, R read */
    double compulsory = batch * ((m * k + k * n) * in_elem + outputs * elem) / bandwidth;
    /* Split K: each group's accumulators cross the caches twice (stored,
     * then taken back by an atomic exchange, counted as two accesses). */
    double acc_bytes = (double)tsr_dtype_size(tsr_dtype_compute(spec->dtype));
    double joined =
        c.sk > 1 ? groups * c.bm * c.bn * acc_bytes * 3.0 / (CACHE_FACTOR * bandwidth) : 0.0;
    double memory_s = fmax(cached, compulsory) + joined;
    /* Every operand value a thread reads comes through the on-chip memory
     * (shared memory or L1, one array on most GPUs). */
    double shared_s = groups * threads * kp *
                      (c.mu ? (4.0 * c.tm * a_conflict + 2.0 * c.tn * b_conflict) / unit_k
                            : c.tm + c.tn * b_conflict) *
                      elem / shared_bw;
    /* The warpgroup's unit reads A's slices and B's cols once a warpgroup. */
    if (c.mu == GEMM_MU_WGMMA)
        shared_s = groups * kp *
                   ((double)c.bm * (c.bn / (8 * c.tn)) + (double)c.bn * (c.bm / (64 * c.tm))) *
                   in_elem / shared_bw;
    /* On a CPU the latency-hiding feature holds the SIMD lanes filled, and
     * the on-chip one the time barriers cost. */
    if (profile->features & TSR_FEAT_CPU)
        cpu_times(&c, groups, threads, kp, elem, peak, units, clock, simd, &issue, &hiding,
                  &compute_s, &shared_s);
    double estimate = profile->features & TSR_FEAT_CPU
                          ? fmax(compute_s + shared_s, memory_s) + latency
                          : tsr_model_overlap(compute_s, memory_s, shared_s) + latency;
    if (resources && resources->spill_bytes > 0)
        estimate *= 2; /* spilled registers go through local memory */
    if (resident < 1)
        estimate = INFINITY; /* does not fit on a unit at all */

    out[GEMM_F_THREADS] = threads;
    out[GEMM_F_SHARED] = shared;
    out[GEMM_F_REGISTERS] = registers;
    out[GEMM_F_GROUPS_PER_UNIT] = resident;
    out[GEMM_F_WAVES] = waves;
    out[GEMM_F_WAVE_EFFICIENCY] = groups / (waves * slots);
    out[GEMM_F_TILE_WASTE] = ceil_div(m, c.bm) * c.bm * ceil_div(n, c.bn) * c.bn / (m * n);
    out[GEMM_F_ISSUE_EFFICIENCY] = issue;
    out[GEMM_F_LATENCY_HIDING] = hiding;
    out[GEMM_F_LOG_COMPUTE_S] = log2(compute_s);
    out[GEMM_F_LOG_MEMORY_S] = log2(memory_s);
    out[GEMM_F_LOG_SHARED_S] = log2(shared_s);
    out[GEMM_F_LOG_ESTIMATE_S] = isfinite(estimate) ? log2(estimate) : 60;
    return GEMM_FEATURE_COUNT;
}
