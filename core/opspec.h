/* Op specs: the user's description of one operation and the problem shapes
 * to tune it for, read from YAML (the files in ops/). */
#ifndef TSR_OPSPEC_H
#define TSR_OPSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/dtype.h"
#include "core/status.h"

#define TSR_OPSPEC_SCHEMA 1
#define TSR_MAX_DIMS 6
#define TSR_PERM_MAX_RANK 4

struct tsr_op_def;

typedef enum tsr_layout { TSR_ROW_MAJOR = 0, TSR_COL_MAJOR = 1 } tsr_layout;

/* GEMM's fused epilogue (see the op spec section of README.md):
 * D = act(alpha * op(A) * op(B) + beta * C + bias) + R. */
typedef enum tsr_bias { TSR_BIAS_NONE, TSR_BIAS_ROW, TSR_BIAS_COL, TSR_BIAS_COUNT } tsr_bias;
typedef enum tsr_activation {
    TSR_ACT_NONE,
    TSR_ACT_RELU,
    TSR_ACT_GELU, /* the tanh approximation */
    TSR_ACT_SILU,
    TSR_ACT_COUNT
} tsr_activation;

/* reduce's third dim, inner: its dims are rows, cols, inner (core/ops/reduce.c). */
enum { TSR_REDUCE_DIM_INNER = 2 };

/* What op `reduce` computes over each row (l2: sqrt of the sum of squares). */
typedef enum tsr_reduce_kind {
    TSR_REDUCE_KIND_SUM,
    TSR_REDUCE_KIND_MAX,
    TSR_REDUCE_KIND_MEAN,
    TSR_REDUCE_KIND_L2,
    TSR_REDUCE_KIND_COUNT
} tsr_reduce_kind;

/* conv2d's constants, which the kernel is compiled for (see docs/conv2d.md):
 * nchw: X [n][c][h][w], W [k][c/groups][r][s], Y [n][k][oh][ow];
 * nhwc: X [n][h][w][c], W [k][r][s][c/groups], Y [n][oh][ow][k].
 * Index 0 of each pair is along the image's rows (h), 1 along its cols. */
typedef struct tsr_conv2d {
    bool channels_last; /* nhwc */
    int filter[2];      /* r, s */
    int stride[2], pad[2], dilation[2];
    int groups;
    bool bias; /* one value per output channel, added before the activation */
} tsr_conv2d;

/* attention's constants: O = softmax(scale Q K^T [+ causal mask]) V per
 * (batch, head), Q and O [q][head_dim], K and V [kv][head_dim] of each;
 * bhsd stores [batch][heads][seq][head_dim], bshd [batch][seq][heads]
 * [head_dim]. The causal mask lets query i see keys j <= i. */
typedef struct tsr_attention {
    int head_dim;
    bool causal;
    bool seq_major; /* bshd */
    double scale;   /* 0: 1 / sqrt(head_dim); a kernel argument */
} tsr_attention;

/* One problem size: the values of the op's named dims (gemm: m, n, k,
 * batch). */
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

    /* gemm: C = act(alpha * op(A) * op(B) + beta * C + bias) + R; conv2d:
     * its implicit GEMM's layouts, which its layout sets */
    tsr_layout layout_a, layout_b;
    double alpha, beta;
    tsr_bias bias;             /* row: one value per row of C (M); col: per col (N) */
    tsr_activation activation; /* applied after the bias */
    bool residual;             /* R, an M x N row-major input, added last */
    /* What C, the bias and R hold: f32, f16 or bf16; the compute type (f32)
     * unless the spec says otherwise. Results are rounded to it once, as
     * they are stored. */
    tsr_dtype output;
    /* gemm `math: tf32`: f32 inputs may be multiplied as TF32 (10-bit
     * mantissas, rounded to nearest) on a matrix unit that takes them, with
     * f32 products and sums, as cuBLAS's TF32 math mode. A permission: the
     * tuner may still pick kernels that multiply in full f32. */
    bool tf32;

    /* reduce: the kind; rmsnorm, layernorm: eps, a kernel argument (so not
     * part of the key), 1e-6 and 1e-5 unless given */
    tsr_reduce_kind reduce_kind;
    double eps;
    /* reduce `axis: middle`: X is rows x cols x inner, reduced over cols
     * into Y (rows x inner); `axis: last` (false), the default: X is rows x
     * cols, reduced over cols into Y (rows), and shapes give no inner. */
    bool reduce_middle;

    /* permute: Y's dim i is X's dim perm[i], for i < rank (1..4, the
     * perm's length); a shape gives X's dims d0..d(rank-1) */
    int rank;
    int perm[TSR_PERM_MAX_RANK];

    /* conv2d: Y = act(conv(X, W) + bias); the activation and the output
     * type are the fields above, as for gemm */
    tsr_conv2d conv;

    /* attention: O = softmax(scale Q K^T) V */
    tsr_attention attention;

    size_t n_shapes;
    tsr_shape *shapes;
} tsr_opspec;

tsr_status tsr_opspec_load(const char *path, tsr_opspec **out, tsr_error *err);
tsr_status tsr_opspec_parse(const char *path, const char *text, size_t len, tsr_opspec **out,
                            tsr_error *err);
void tsr_opspec_free(tsr_opspec *spec);
/* "none", "relu", "gelu", "silu". */
const char *tsr_activation_name(tsr_activation act);
/* "sum", "max", "mean", "l2". */
const char *tsr_reduce_kind_name(tsr_reduce_kind kind);

/* A conv2d's output rows (axis 0) or cols (axis 1) for a shape:
 * (in + 2 pad - dilation (filter - 1) - 1) / stride + 1, or 0 when the
 * filter does not fit. */
long tsr_conv2d_out(const tsr_opspec *spec, const tsr_shape *shape, int axis);

/* A stable identity of everything in the spec that changes the kernel
 * (op, dtype, layouts, alpha/beta being zero or not, the epilogue), used as
 * the store's key: "gemm.f32.a=row.b=col.beta=1", with
 * ".bias=row|col", ".act=relu|gelu|silu", ".res=1", ".out=f16|bf16" and
 * .math=tf32" appended, in that order, only when used; "reduce.f32.kind=sum|max|mean|l2" for
 * reduce, with ".axis=middle" appended for that axis; "permute.f32.perm=0,2,1,3" for permute;
 * "conv2d.f32.nchw.r=3.s=3.stride=1,1.pad=1,1.dil=1,1.groups=1" for
 * conv2d, with ".bias=1", ".act=..." and ".out=..." when used; "OP.f32"
 * for the other ops.
 * Allocated in the spec's arena. */
const char *tsr_opspec_key(const tsr_opspec *spec);

/* "m=1024,n=1024,k=1024" with the op's dim names, into buf; an optional
 * dim at its default (gemm's batch=1) is left out, so that the text of a
 * shape does not change when an op gains such a dim. */
void tsr_shape_format(const struct tsr_op_def *op, const tsr_shape *shape, char *buf, size_t size);
/* Whether dim d appears in the text of `shape`: required, or optional and
 * off its default. */
bool tsr_shape_dim_written(const struct tsr_op_def *op, const tsr_shape *shape, int d);
/* Parses "m=..,n=..,k=.." against the op's dim names; every dim required
 * except optional ones (which take their default), each >= 1. */
tsr_status tsr_shape_parse(const struct tsr_op_def *op, const char *text, tsr_shape *out,
                           tsr_error *err);
/* Whether `shape` (parsed for the spec's op) suits the spec itself: a
 * permute's dims past its perm's rank must be 1; a conv2d's channels must
 * split into its groups, its filter fit the padded image, and its buffers
 * stay below 2^31 elements. TSR_ERR_INPUT with the
 * reason otherwise. */
tsr_status tsr_opspec_check_shape(const tsr_opspec *spec, const tsr_shape *shape, tsr_error *err);

#endif
