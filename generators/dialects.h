/* The dialect tables compiled into tessera (private to generators/). */
#ifndef TSR_DIALECTS_H
#define TSR_DIALECTS_H

#include "generators/generator.h"

extern const tsr_dialect tsr_dialect_opencl;
extern const tsr_dialect tsr_dialect_cuda;
extern const tsr_dialect tsr_dialect_hip;

/* Shared by the CUDA and HIP tables (generators/cuda_family.c). */
extern const char tsr_cuda_family_preamble[];
/* Vectors of double and their loads, stores and math, after the preamble
 * (generators/cuda_family_f64.c). */
extern const char tsr_cuda_family_f64_helpers[];
void tsr_cuda_family_builtin(tsr_strbuf *out, tp_builtin which, int axis);
void tsr_cuda_family_vector_type(tsr_strbuf *out, const char *scalar, int width);
void tsr_cuda_family_vload(tsr_strbuf *out, int width, const char *pointer);
void tsr_cuda_family_vload_aligned(tsr_strbuf *out, int width, const char *pointer);
void tsr_cuda_family_vstore_aligned(tsr_strbuf *out, int width, const char *pointer,
                                    const char *value);
void tsr_cuda_family_raw_vload(tsr_strbuf *out, int width, const char *pointer);
void tsr_cuda_family_vstore(tsr_strbuf *out, int width, const char *pointer, const char *value);
void tsr_cuda_family_splat(tsr_strbuf *out, const char *scalar, int width, const char *value);
void tsr_cuda_family_widening_load(tsr_strbuf *out, tsr_dtype dtype, int width,
                                   const char *pointer);
void tsr_cuda_family_narrowing_store(tsr_strbuf *out, tsr_dtype dtype, int width,
                                     const char *pointer, const char *value);
/* The sub-group helpers of CUDA and HIP, `shuffle_xor` the dialect's
 * exchange of float v with the lane m apart ("__shfl_xor(v, m)"). */
void tsr_cuda_family_subgroup_helpers(tsr_strbuf *out, int width, const char *shuffle_xor);

/* The warp matrix unit's calls, as CUDA and OpenCL print them
 * (generators/nvidia_calls.c). */
void tsr_nvidia_print_mma_sync(tsr_strbuf *out, tsr_dtype type, char *const *operands);
void tsr_nvidia_print_ldmatrix(tsr_strbuf *out, int matrices, bool trans, char *const *registers,
                               const char *pointer);

/* Every dialect names its sub-group helpers alike and defines them in
 * print_subgroup_helpers. */
#define TSR_SUBGROUP_FUNC_NAMES                                                                    \
    [TP_SUBGROUP_SUM] = "tsr_subgroup_sum", [TP_SUBGROUP_MAX] = "tsr_subgroup_max",                \
    [TP_SUBGROUP_ID] = "tsr_subgroup_id", [TP_SUBGROUP_LANE] = "tsr_subgroup_lane",                \
    [TP_SUBGROUP_SIZE] = "tsr_subgroup_size", [TP_SUBGROUP_COUNT] = "tsr_subgroup_count"

/* The table fields CUDA and HIP spell alike. */
#define TSR_CUDA_FAMILY_FIELDS                                                                     \
    .global_qualifier = "", .shared_qualifier = "__shared__ __attribute__((aligned(16))) ",        \
    .restrict_qualifier = "__restrict__ ", .barrier = "__syncthreads()",                           \
    .global_fence = "__threadfence()", .print_builtin = tsr_cuda_family_builtin,                   \
    .func_names = {[TP_FMA] = "fmaf",                                                              \
                   [TP_EXP] = "expf",                                                              \
                   [TP_EXP2] = "tsr_exp2",                                                         \
                   [TP_FMAX] = "fmaxf",                                                            \
                   [TP_FMIN] = "fminf",                                                            \
                   [TP_SQRT] = "sqrtf",                                                            \
                   [TP_TANH] = "tanhf",                                                            \
                   [TP_TO_F16] = "tsr_f32_to_f16",                                                 \
                   [TP_TO_BF16] = "tsr_f32_to_bf16",                                               \
                   [TP_RUN_SUM] = "tsr_subgroup_sum",                                              \
                   [TP_RUN_MAX] = "tsr_subgroup_max",                                              \
                   [TP_PACK_F16X2] = "tsr_pack_f16x2",                                             \
                   [TP_PACK_BF16X2] = "tsr_pack_bf16x2",                                           \
                   [TP_TO_TF32] = "tsr_to_tf32",                                                   \
                   [TP_ALIGNED] = "tsr_aligned",                                                   \
                   [TP_ATOMIC_ADD] = "atomicAdd",                                                  \
                   [TP_ATOMIC_XCHG] = "atomicExch",                                                \
                   [TP_FLOAT_BITS] = "__float_as_int",                                             \
                   [TP_BITS_FLOAT] = "__int_as_float",                                             \
                   [TP_DOUBLE_LO_BITS] = "__double2loint",                                         \
                   [TP_DOUBLE_HI_BITS] = "__double2hiint",                                         \
                   [TP_BITS_DOUBLE] = "__hiloint2double",                                          \
                   TSR_SUBGROUP_FUNC_NAMES},                                                       \
    .vector_func_names = {[TP_FMA] = "tsr_fma"},                                                   \
    .f64_func_names = {[TP_FMA] = "fma",   [TP_EXP] = "exp",   [TP_FMAX] = "fmax",                 \
                       [TP_FMIN] = "fmin", [TP_SQRT] = "sqrt", [TP_TANH] = "tanh"},                \
    .f64_helpers = tsr_cuda_family_f64_helpers, .int_min = "tsr_imin", .int_max = "tsr_imax",      \
    .unroll_format = "#pragma unroll %d", .unroll_full = "#pragma unroll",                         \
    .print_vector_type = tsr_cuda_family_vector_type, .print_vload = tsr_cuda_family_vload,        \
    .print_vload_aligned = tsr_cuda_family_vload_aligned, .print_vstore = tsr_cuda_family_vstore,  \
    .print_vstore_aligned = tsr_cuda_family_vstore_aligned,                                        \
    .print_raw_vload = tsr_cuda_family_raw_vload, .print_splat = tsr_cuda_family_splat,            \
    .lane_format = ".s[%d]",                                                                       \
    .storage_names = {[TSR_F16] = "unsigned short", [TSR_BF16] = "unsigned short"},                \
    .print_widening_load = tsr_cuda_family_widening_load,                                          \
    .print_narrowing_store = tsr_cuda_family_narrowing_store

#endif
