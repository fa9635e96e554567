/* Device profiles: what a GPU (or CPU OpenCL device) offers, as data.
 *
 * Schema version 1, parsed from YAML with libyaml. Every number carries the
 * place it came from (datasheet, whitepaper, ISA guide, or a measurement
 * with its command); the tuner asks the profile for capabilities and never
 * for a vendor name. */
#ifndef TSR_PROFILE_H
#define TSR_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/dtype.h"
#include "core/status.h"

#define TSR_PROFILE_SCHEMA 1
#define TSR_MAX_SUBGROUP_SIZES 4

/* A number and where it came from. `present` is false for an optional field
 * that the file leaves out. */
typedef struct tsr_quantity {
    double value;
    const char *source;
    bool present;
} tsr_quantity;

typedef enum tsr_feature {
    TSR_FEAT_SUBGROUP_SHUFFLE = 1u << 0, /* warp/wave/sub-group shuffles */
    TSR_FEAT_ASYNC_COPY = 1u << 1,       /* global->shared async copies (cp.async) */
    TSR_FEAT_FP16 = 1u << 2,             /* native half arithmetic */
    TSR_FEAT_FP64 = 1u << 3,             /* double precision */
    TSR_FEAT_INLINE_PTX = 1u << 4,       /* OpenCL compiler accepts inline PTX */
    TSR_FEAT_TMA = 1u << 5,              /* bulk tensor copies */
    TSR_FEAT_SUBGROUP_MATRIX = 1u << 6,  /* Intel sub-group matrix multiply */
    /* A CPU: a work-group is a loop over its work-items that the compiler
     * vectorises, and what a work-item keeps across a barrier goes to
     * memory and back. */
    TSR_FEAT_CPU = 1u << 7,
} tsr_feature;

typedef enum tsr_backend_kind {
    TSR_BACKEND_OPENCL = 1u << 0,
    TSR_BACKEND_CUDA = 1u << 1,
    TSR_BACKEND_HIP = 1u << 2,
} tsr_backend_kind;

typedef struct tsr_matrix_unit {
    const char *kind; /* "mma", "wgmma", "mfma", "wmma", "dpas" */
    int m, n, k;
    tsr_dtype a_type, acc_type;
    /* The unit's rate where it differs from peak_gflops' for a_type (FP64
     * on a tensor core beside the FMAs' f64); absent: peak_gflops'. */
    tsr_quantity gflops;
    const char *source;
} tsr_matrix_unit;

/* A live device matches a rule when every non-NULL field is a substring of
 * the device's corresponding (case-insensitive) string. */
typedef struct tsr_match_rule {
    const char *backend; /* "opencl", "cuda", "hip" */
    const char *vendor;
    const char *name;
} tsr_match_rule;

typedef struct tsr_profile {
    tsr_arena *arena; /* owns every string and array below */
    const char *path; /* file it was read from */
    int schema;
    const char *name, *description, *vendor, *arch;
    const char *base; /* the profile this one inherits from, or NULL */

    /* compute */
    tsr_quantity compute_units;
    tsr_quantity simd_width; /* warp 32, wave 64, Intel sub-group, CPU lanes */
    tsr_quantity max_work_group_size;
    tsr_quantity max_work_item_sizes[3];
    tsr_quantity clock_base_mhz, clock_boost_mhz;
    tsr_quantity preferred_vector_width; /* f32 lanes a load should fill */
    tsr_quantity max_threads_per_unit;   /* resident threads per SM/CU */
    tsr_quantity max_blocks_per_unit;    /* resident blocks per SM/CU */
    /* Warp/wave/sub-group sizes the device runs, fewest first; the unused
     * tail is not present. */
    tsr_quantity subgroup_sizes[TSR_MAX_SUBGROUP_SIZES];
    tsr_quantity launch_latency_us; /* an empty kernel, launch to completion */

    /* registers (32-bit) */
    tsr_quantity registers_per_unit;
    tsr_quantity registers_per_thread;
    tsr_quantity register_granularity; /* per-thread counts round up to a multiple of this */

    /* memory, in bytes and GB/s */
    tsr_quantity shared_per_unit;
    tsr_quantity shared_per_block;       /* without opting in: what static shared memory may use */
    tsr_quantity shared_per_block_optin; /* the most a kernel may opt in to (NVIDIA) */
    tsr_quantity global_bytes;
    tsr_quantity l1_bytes; /* L1 / data cache per unit */
    tsr_quantity l2_bytes;
    tsr_quantity bandwidth_gbs;        /* device memory */
    tsr_quantity shared_bandwidth_gbs; /* shared/local memory, the whole device */

    /* peak arithmetic rate per data type, GFLOP/s; absent where unsupported */
    tsr_quantity peak_gflops[TSR_DTYPE_COUNT];

    size_t n_matrix_units;
    tsr_matrix_unit *matrix_units;

    unsigned features; /* tsr_feature bits */
    unsigned backends; /* tsr_backend_kind bits */

    /* offline vendor compiler for a device that is not attached */
    const char *offline_compiler; /* "nvcc", "hipcc", "ocloc", or NULL */
    const char *offline_target;   /* "sm_90", "gfx90a", "dg2", ... */

    size_t n_match;
    tsr_match_rule *match;
} tsr_profile;

/* Parses and validates one profile file. On bad input returns TSR_ERR_INPUT
 * with "FILE:LINE:COL: message" in err. */
tsr_status tsr_profile_load(const char *path, tsr_profile **out, tsr_error *err);
/* The same from text in memory; `path` names it in messages. */
tsr_status tsr_profile_parse(const char *path, const char *text, size_t len, tsr_profile **out,
                             tsr_error *err);
void tsr_profile_free(tsr_profile *profile);

/* Human-readable dump (YAML-shaped) of every field with its source;
 * caller frees the returned string. NULL on out of memory. */
char *tsr_profile_format(const tsr_profile *profile);

/* Convenience for the tuner: the value, or `fallback` when absent. */
/* Where profiles are looked for: $TESSERA_PROFILES, else ./profiles, else
 * the installed folder, else the source tree's. */
const char *tsr_default_profiles_dir(void);

double tsr_profile_value(const tsr_quantity *q, double fallback);
/* TSR_OK when `bytes` of shared memory a work-group fit the profile's
 * shared_per_block (16 KiB where it gives none), else
 * TSR_ERR_UNSUPPORTED and the one-line reason: a config's check. */
tsr_status tsr_profile_check_shared(const tsr_profile *profile, long bytes, tsr_error *err);

/* The mma.sync m16n8kK unit the profile lists for `input` with f32
 * products (f64 ones on f64), or NULL. */
const tsr_matrix_unit *tsr_profile_mma_m16n8(const tsr_profile *profile, int k, tsr_dtype input);
/* NVIDIA's warp unit on doubles that the profile lists: mma.sync m16n8k8
 * (sm_90 and later) where it does, else m8n8k4 (sm_80), else NULL. */
const tsr_matrix_unit *tsr_profile_mma_f64(const tsr_profile *profile);
/* Whether the profile lists the matrix unit the generators drive: mma.sync
 * m16n8k16 on `input` (f16, bf16) with f32 products. */
bool tsr_profile_has_mma_m16n8k16(const tsr_profile *profile, tsr_dtype input);
/* Whether it lists mma.sync m16n8k8 on `input` with f32 products (tf32) or
 * f64 ones (f64). */
bool tsr_profile_has_mma_m16n8k8(const tsr_profile *profile, tsr_dtype input);
/* Whether it lists the warpgroup unit (wgmma m64nNk16, f32 products) for
 * `input` values (m64nNk8 for tf32). */
bool tsr_profile_has_wgmma(const tsr_profile *profile, tsr_dtype input);
/* Whether it lists AMD's wave unit MFMA 16x16x16 (CDNA) or WMMA 16x16x16
 * (RDNA3) on `input` (f16, bf16) with f32 products. */
bool tsr_profile_has_mfma_16x16x16(const tsr_profile *profile, tsr_dtype input);
bool tsr_profile_has_wmma_16x16x16(const tsr_profile *profile, tsr_dtype input);
/* Whether it lists Intel's sub-group unit DPAS 8 x `n` x 16 (n the
 * sub-group size) on `input` (f16, bf16) with f32 products. */
bool tsr_profile_has_dpas(const tsr_profile *profile, tsr_dtype input, int n);

const char *tsr_feature_name(tsr_feature feature);

#endif
