/* What it takes to launch a kernel, in vendor-neutral terms: the argument
 * values and the launch geometry. Buffers are opaque here; a backend
 * defines them. */
#ifndef TSR_LAUNCH_H
#define TSR_LAUNCH_H

#include <stddef.h>
#include <stdint.h>

/* The most workspace one launch may take: kernels index its 32-bit words
 * with 32-bit ints. */
#define TSR_WORKSPACE_MAX_BYTES ((size_t)INT32_MAX * 4)

typedef struct tsr_buffer tsr_buffer;

typedef enum tsr_arg_kind {
    TSR_ARG_BUFFER,
    TSR_ARG_INT,
    TSR_ARG_FLOAT,
    TSR_ARG_DOUBLE
} tsr_arg_kind;

typedef struct tsr_arg {
    tsr_arg_kind kind;
    tsr_buffer *buffer; /* TSR_ARG_BUFFER */
    int i;              /* TSR_ARG_INT: 32-bit, as the kernels declare it */
    /* One scalar at one address: CUDA and HIP take a pointer to each
     * argument and read as many bytes as the kernel declares, so &f serves
     * a double parameter too. */
    union {
        float f;  /* TSR_ARG_FLOAT */
        double d; /* TSR_ARG_DOUBLE (f64 kernels' alpha and beta) */
    };
} tsr_arg;

/* Work-group (thread block) size and the number of groups per dimension;
 * a backend multiplies them out where its API wants a global size. */
typedef struct tsr_geometry {
    int dims;
    size_t groups[3];
    size_t local[3];
    size_t shared_bytes; /* dynamic shared memory each group is launched with */
    /* Bytes of the workspace the kernel takes as its last argument (0:
     * none): a global buffer through which its groups hand each other
     * results within the launch (several groups sharing one long row, or
     * one tile of C with split K). It is zero when first allocated, and
     * every kernel leaves all of it zero, so one workspace serves launch
     * after launch on one queue, of any kernels and shapes; launches that
     * may overlap need one each. */
    size_t workspace_bytes;
} tsr_geometry;

/* How the geometry follows from a shape, so that a bundle can launch a
 * kernel on shapes it was not tuned for: along axis a the launch has
 * ceil(shape.dim[dim[a]] / per_group[a]) groups of local[a] threads, or one
 * group when dim[a] is -1, those launched repeat[a] times over (a split-K
 * GEMM's splits for each problem of its batch). Text form, one axis per
 * comma: "n/64x16,m/32x8" (dim name / elements per group x threads per
 * group), "1x1" for a lone group; an axis launched R >= 2 times over
 * begins "R*": "4*batch/1x1", "4*1x1" (the prefix only then, so that the
 * text of a rule without a repeat is what it was). A kernel whose shared
 * arrays are not declared in its source but taken at launch (CUDA's
 * dynamic shared memory, for more than a static declaration may hold)
 * says how many bytes each group needs in an item after the axes,
 * "shared=BYTES"; without it, none. A kernel that takes a workspace says
 * how many bytes of it each group of the launch needs in a last item,
 * "workspace=BYTES". */
typedef struct tsr_geometry_rule {
    int dims;
    int dim[3];
    long per_group[3];
    /* Each axis's ceil(extent / per_group) groups (one for an axis along
     * no dim) launched this many times over; 0 or 1: once, so that a rule
     * built zero-initialised without it launches as before. */
    long repeat[3];
    size_t local[3];
    size_t shared_bytes;    /* dynamic shared memory per group; 0: none */
    size_t workspace_bytes; /* workspace per group of the launch; 0: none */
} tsr_geometry_rule;

struct tsr_op_def;
struct tsr_shape;

void tsr_geometry_apply(const tsr_geometry_rule *rule, const struct tsr_shape *shape,
                        tsr_geometry *out);
void tsr_geometry_rule_format(const struct tsr_op_def *op, const tsr_geometry_rule *rule, char *buf,
                              size_t size);

#endif
