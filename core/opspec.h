/* Op specs: the user's description of one operation and the problem shapes
 * to tune it for, read from YAML (the files in ops/). */
#ifndef TSR_OPSPEC_H
#define TSR_OPSPEC_H

#include <stddef.h>

#include "core/arena.h"
#include "core/dtype.h"
#include "core/status.h"

#define TSR_OPSPEC_SCHEMA 1
#define TSR_MAX_DIMS 6

struct tsr_op_def;

typedef enum tsr_layout { TSR_ROW_MAJOR = 0, TSR_COL_MAJOR = 1 } tsr_layout;

/* One problem size: the values of the op's named dims (gemm: m, n, k). */
typedef struct tsr_shape {
    long dim[TSR_MAX_DIMS];
} tsr_shape;

typedef struct tsr_opspec {
    tsr_arena *arena; /* owns everything below */
    const char *path;
    int schema;
    const char *name; /* the spec's own name, e.g. "sgemm-nn" */
    const struct tsr_op_def *op;
    tsr_dtype dtype;

    /* gemm: C = alpha * op(A) * op(B) + beta * C */
    tsr_layout layout_a, layout_b;
    double alpha, beta;

    size_t n_shapes;
    tsr_shape *shapes;
} tsr_opspec;

tsr_status tsr_opspec_load(const char *path, tsr_opspec **out, tsr_error *err);
tsr_status tsr_opspec_parse(const char *path, const char *text, size_t len, tsr_opspec **out,
                            tsr_error *err);
void tsr_opspec_free(tsr_opspec *spec);

/* A stable identity of everything in the spec that changes the kernel
 * (op, dtype, layouts, alpha/beta being zero or not), used as the store's
 * key: "gemm.f32.a=row.b=col.beta=1". Allocated in the spec's arena. */
const char *tsr_opspec_key(const tsr_opspec *spec);

/* "m=1024,n=1024,k=1024" with the op's dim names, into buf. */
void tsr_shape_format(const struct tsr_op_def *op, const tsr_shape *shape, char *buf, size_t size);
/* Parses "m=..,n=..,k=.." against the op's dim names; every dim required,
 * each >= 1. */
tsr_status tsr_shape_parse(const struct tsr_op_def *op, const char *text, tsr_shape *out,
                           tsr_error *err);

#endif
