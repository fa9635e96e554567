/* Generators print a thread program as source text for one dialect.
 *
 * One C-style printer walks the program; a dialect is a table of strings
 * and a few small functions (qualifiers, thread and group ids, barriers,
 * vector types and loads, math names, unroll hints). Adding a dialect is
 * one file and one row in the registry. Generators include core only. */
#ifndef TSR_GENERATOR_H
#define TSR_GENERATOR_H

#include "core/status.h"
#include "core/strbuf.h"
#include "core/tprog.h"

typedef struct tsr_dialect tsr_dialect;

struct tsr_dialect {
    const char *name;      /* "opencl": the --backend name */
    const char *extension; /* ".cl" */
    const char *includes;  /* first lines of every file (may be NULL) */
    /* Then these: helpers of the dialect's own that the preamble builds on,
     * the 16-bit float conversions (and CUDA's matrix unit); may be NULL. */
    const char *own_helpers;
    const char *preamble; /* then these: helpers the kernels use */
    /* Then these, only in a kernel that uses the matrix unit or the
     * asynchronous copies: what spells them where the dialect cannot name
     * them everywhere (OpenCL's inline PTX, which only NVIDIA's compiler
     * takes); NULL: nothing. */
    const char *unit_helpers;
    /* Then these, only in a kernel that uses one of AMD's wave matrix
     * units (TP_MFMA, TP_WMMA): the tsr_mfma_T and tsr_wmma_T their calls
     * name; NULL: nothing. */
    const char *wave_unit_helpers;
    /* In such a kernel, the first statement of its body: a printf format
     * of the work-group's thread count, declaring what the helpers need
     * beside (OpenCL's local scratch for its emulation of the units); NULL:
     * nothing. */
    const char *wave_unit_scratch_format;
    /* Everything before the kernel's name: qualifiers, the return type and
     * the fixed work-group size ("__kernel __attribute__((...)) void "). */
    void (*print_kernel_head)(tsr_strbuf *out, const tp_kernel *kernel);
    const char *global_qualifier; /* pointer parameters */
    const char *shared_qualifier; /* shared arrays */
    /* The most bytes of shared arrays a kernel may declare in its source
     * (CUDA: 48 KiB, whatever the GPU); 0: no limit of the dialect's own.
     * A kernel whose shared arrays take more declares `dynamic_shared`
     * instead, one 16-byte aligned byte array named tsr_shared that the
     * launch sizes, and places each array in it at a 16-byte aligned
     * offset (tsr_dynamic_shared_bytes). */
    long static_shared_max;
    const char *dynamic_shared; /* a statement, with the semicolon */
    const char *restrict_qualifier;
    const char *barrier; /* a statement, without the semicolon */
    /* TP_GLOBAL_FENCE likewise: a device-wide fence on global memory */
    const char *global_fence;
    /* Thread and group ids and sizes along an axis (0, 1, 2), as int. */
    void (*print_builtin)(tsr_strbuf *out, tp_builtin which, int axis);
    const char *func_names[TP_FUNC_COUNT];        /* on scalars */
    const char *vector_func_names[TP_FUNC_COUNT]; /* on vectors; NULL: as scalars */
    const char *int_min, *int_max;                /* min and max of ints */
    const char *unroll_format;                    /* "#pragma unroll %d"; NULL: no hints */
    const char *unroll_full;                      /* "#pragma unroll" */
    /* On f64 scalars, where the name differs (CUDA's fmaf is fma for
     * double); NULL: func_names. */
    const char *f64_func_names[TP_FUNC_COUNT];
    /* Printed after the preamble of a kernel with f64 buffers: what double
     * precision needs (OpenCL's cl_khr_fp64 pragma, CUDA's and HIP's
     * vectors of double); NULL: nothing. */
    const char *f64_helpers;
    /* Printed after them into a kernel that uses NVIDIA's warp unit on
     * doubles (mma.sync m16n8k8, sm_90 and later): its helper, which no
     * other kernel's text carries; NULL: nothing. */
    const char *f64_unit_helpers;
    /* The same call's helper as four of sm_80's m8n8k4 (TP_MMA_SYNC's
     * mma_k4), printed instead into a kernel that spells it so. */
    const char *f64_k4_unit_helpers;
    /* Printed into a kernel that moves doubles as pairs of 32-bit words
     * (TP_DOUBLE_LO_BITS and its kin: split-K's join of f64 tiles) where
     * the dialect has no function for them; NULL: nothing. */
    const char *f64_word_helpers;
    /* Vector type name, e.g. float4. */
    void (*print_vector_type)(tsr_strbuf *out, const char *scalar, int width);
    /* Vector memory access and construction, given the pointer (and value)
     * already printed: "vload4(0, A + i)", "vstore4(v, 0, C + i)",
     * "(float4)(x)". */
    void (*print_vload)(tsr_strbuf *out, int width, const char *pointer);
    /* The same for a load the lowering marked aligned (tp_expr.aligned);
     * NULL: print_vload. */
    void (*print_vload_aligned)(tsr_strbuf *out, int width, const char *pointer);
    void (*print_vstore)(tsr_strbuf *out, int width, const char *pointer, const char *value);
    /* The same for a store the lowering marked aligned; NULL: print_vstore. */
    void (*print_vstore_aligned)(tsr_strbuf *out, int width, const char *pointer,
                                 const char *value);
    /* A load of `width` 16-bit floats as stored (tp_expr.raw), a vector of
     * print_vector_type(out, "ushort", width); NULL: the dialect has none
     * (a kernel using one is then refused). */
    void (*print_raw_vload)(tsr_strbuf *out, int width, const char *pointer);
    void (*print_splat)(tsr_strbuf *out, const char *scalar, int width, const char *value);
    const char *lane_format; /* ".s%x": printf format of lane i of a vector */
    /* How a buffer of f16 or bf16 values is declared ("half", "ushort");
     * a load of `width` of them from `pointer` widened to float (or a
     * vector of floats); and a statement (without the semicolon) storing a
     * float `value` of `width` lanes there, rounded to nearest even: the
     * kernels compute in f32 and round once, as they store. */
    const char *storage_names[TSR_DTYPE_COUNT];
    void (*print_widening_load)(tsr_strbuf *out, tsr_dtype dtype, int width, const char *pointer);
    void (*print_narrowing_store)(tsr_strbuf *out, tsr_dtype dtype, int width, const char *pointer,
                                  const char *value);
    /* A TP_MMA_SYNC of f16, bf16, tf32 or f64 inputs on its printed operands,
     * as a statement without the semicolon; NULL where the dialect has no
     * such unit (a kernel using one is then refused). */
    void (*print_mma_sync)(tsr_strbuf *out, tsr_dtype type, char *const *operands);
    /* A TP_MFMA (TP_WMMA) of f16 or bf16 inputs likewise, calling the
     * helpers of wave_unit_helpers; NULL where the dialect has no such
     * unit. */
    void (*print_mfma)(tsr_strbuf *out, tsr_dtype type, char *const *operands);
    void (*print_wmma)(tsr_strbuf *out, tsr_dtype type, char *const *operands);
    /* A TP_DPAS of f16 or bf16 inputs at a sub-group of `subgroup`
     * likewise; NULL where the dialect has no such unit. */
    void (*print_dpas)(tsr_strbuf *out, tsr_dtype type, int subgroup, char *const *operands);
    /* An asynchronous copy (a TP_ASSIGN marked async) of `width` values
     * from the global address `src` to the shared address `dst` (`aligned`:
     * the lowering tested that src is a multiple of the copy's size), and
     * the TP_ASYNC_COMMIT and TP_ASYNC_WAIT statements (the wait a printf
     * format of the pending count), without the semicolon; NULL where the
     * dialect has none. */
    void (*print_async_copy)(tsr_strbuf *out, int width, const char *dst, const char *src,
                             bool aligned);
    const char *async_commit, *async_wait_format;
    /* A TP_LDMATRIX into the printed registers from `pointer` (the lane's
     * row, printed as an address), as a statement without the semicolon;
     * NULL where the dialect has none. */
    void (*print_ldmatrix)(tsr_strbuf *out, int matrices, bool trans, char *const *registers,
                           const char *pointer);
    /* A TP_WGMMA on the printed accumulators (shape->n / 2 of them), the
     * addresses of A's and B's first cores and its int `accumulate` (NULL
     * unless shape->predicated), as a statement without the
     * semicolon; then the TP_WGMMA_FENCE, _COMMIT and _WAIT statements (the
     * wait a printf format of the pending count) and TP_ASYNC_PROXY_FENCE;
     * NULL where the dialect has no warpgroup matrix unit. */
    void (*print_wgmma)(tsr_strbuf *out, tsr_dtype type, const tp_wgmma_shape *shape,
                        char *const *accumulators, const char *a0, const char *b0,
                        const char *accumulate);
    const char *wgmma_fence, *wgmma_commit, *wgmma_wait_format, *async_proxy_fence;
    const char *warpgroup_barrier;
    /* A TP_REGISTER_FENCE's statement for one f32 variable, a printf
     * format of its name; NULL where the dialect has none. */
    const char *register_fence_format;
    /* The definitions of tsr_subgroup_sum, _max, _id, _lane, _size and
     * _count (the sub-group calls' func_names), printed after the preamble
     * of a kernel that makes sub-group calls, for sub-groups of `width`
     * threads (tp_subgroup_width); NULL: the dialect has none. */
    void (*print_subgroup_helpers)(tsr_strbuf *out, int width);
};

const tsr_dialect *tsr_dialect_find(const char *name);
/* "opencl, cuda, hip", for messages. */
const char *tsr_dialect_names(void);

/* Prints the kernel in `dialect`; `header_comment` (may be NULL) opens the
 * file as a comment. */
tsr_status tsr_generate(const tp_kernel *kernel, const tsr_dialect *dialect,
                        const char *header_comment, tsr_strbuf *out, tsr_error *err);

/* The bytes of dynamic shared memory a launch of the kernel as printed in
 * `dialect` must give each work-group: its shared arrays at 16-byte
 * aligned offsets, where they take more than the dialect may declare
 * (static_shared_max); else 0, and the kernel declares them itself. */
size_t tsr_dynamic_shared_bytes(const tp_kernel *kernel, const tsr_dialect *dialect);

#endif
