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
    const char *preamble;  /* then these: helpers the kernels use */
    /* Everything before the kernel's name: qualifiers, the return type and
     * the fixed work-group size ("__kernel __attribute__((...)) void "). */
    void (*print_kernel_head)(tsr_strbuf *out, const tp_kernel *kernel);
    const char *global_qualifier; /* pointer parameters */
    const char *shared_qualifier; /* shared arrays */
    const char *restrict_qualifier;
    const char *barrier; /* a statement, without the semicolon */
    /* Thread and group ids and sizes along an axis (0, 1, 2), as int. */
    void (*print_builtin)(tsr_strbuf *out, tp_builtin which, int axis);
    const char *func_names[TP_FUNC_COUNT];        /* on scalars */
    const char *vector_func_names[TP_FUNC_COUNT]; /* on vectors; NULL: as scalars */
    const char *int_min, *int_max;                /* min and max of ints */
    const char *unroll_format;                    /* "#pragma unroll %d"; NULL: no hints */
    const char *unroll_full;                      /* "#pragma unroll" */
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
    void (*print_splat)(tsr_strbuf *out, const char *scalar, int width, const char *value);
    const char *lane_format; /* ".s%x": printf format of lane i of a vector */
};

const tsr_dialect *tsr_dialect_find(const char *name);
/* "opencl, cuda, hip", for messages. */
const char *tsr_dialect_names(void);

/* Prints the kernel in `dialect`; `header_comment` (may be NULL) opens the
 * file as a comment. */
tsr_status tsr_generate(const tp_kernel *kernel, const tsr_dialect *dialect,
                        const char *header_comment, tsr_strbuf *out, tsr_error *err);

#endif
