/* libtessera-rt: the kernels of a tessera bundle, launched from a
 * program's own code on its own buffers and queues or streams.
 *
 * A small library of its own: it needs jansson (the manifest), libmd (the
 * checksums) and, only for the backend used, the OpenCL loader or the CUDA
 * driver and NVRTC (loaded at run time); nothing of YAML, SQLite or the
 * vendor compilers. Build flags: pkg-config --cflags --libs tessera-rt.
 *
 *   tsr_rt_bundle *b;
 *   char err[256];
 *   if (tsr_rt_open("bundle", &b, err, sizeof err) != 0) { puts(err); ... }
 *   tsr_rt_gemm_opencl(b, queue, TSR_RT_ROW, TSR_RT_ROW, m, n, k, 1.0f, A, B, 0.0f, C,
 *                      NULL, err, sizeof err);    (tessera_rt_opencl.h)
 *   tsr_rt_gemm_desc d;                            (a fused epilogue, a batch)
 *   tsr_rt_gemm_desc_init(&d, m, n, k);
 *   d.batch = 8;
 *   d.bias = TSR_RT_BIAS_COL;
 *   d.activation = TSR_RT_ACT_GELU;
 *   tsr_rt_gemm_ex_opencl(b, queue, &d, A, B, C, bias, NULL, NULL, err, sizeof err);
 *   tsr_rt_rows_desc r;                            (softmax, the norms, row reductions)
 *   tsr_rt_rows_desc_init(&r, TSR_RT_LAYERNORM, rows, cols);
 *   tsr_rt_rows_opencl(b, queue, &r, X, gamma, beta, Y, NULL, err, sizeof err);
 *   tsr_rt_permute_desc p;                         (a transpose, any permute of 1-4 dims)
 *   tsr_rt_permute_desc_init(&p, 4, (int[]){8, 512, 16, 64}, (int[]){0, 2, 1, 3});
 *   tsr_rt_permute_opencl(b, queue, &p, X, Y, NULL, err, sizeof err);
 *   tsr_rt_attention_desc a;                       (fused attention, f16 from the init)
 *   tsr_rt_attention_desc_init(&a, 64, q_len, kv_len);
 *   a.heads = 16;
 *   a.batch = 4;
 *   a.causal = true;
 *   tsr_rt_attention_opencl(b, queue, &a, Q, K, V, O, NULL, err, sizeof err);
 *   tsr_rt_conv2d_desc c;                          (a conv2d, f32 NCHW from the init)
 *   tsr_rt_conv2d_desc_init(&c, n, channels, h, w, filters, 3, 3);
 *   c.pad[0] = c.pad[1] = 1;
 *   c.bias = true;
 *   c.activation = TSR_RT_ACT_RELU;
 *   tsr_rt_conv2d_opencl(b, queue, &c, X, W, bias, Y, NULL, err, sizeof err);
 *   tsr_rt_close(b);
 *
 * Every function returns 0 on success, else a non-zero code with one line
 * in `err` (may be NULL) that names what went wrong. A bundle may be used
 * from several threads; launches through one bundle are serialised.
 *
 * Each launch call picks its kernel by the op key its desc gives (the
 * text tessera's store and the bundle's manifest give the kernels) and
 * the call's shape, and launches it on the geometry the bundle stores for
 * it, applied to the call's shape as the tuner applied it to the shapes it
 * measured. Before any device is touched it refuses a desc that is not
 * valid, a buffer the op reads or writes that is NULL, or one it does not
 * use that is given (TSR_RT_ERR_INPUT), and a key or shape the bundle has
 * no kernel for (TSR_RT_ERR_NOT_FOUND). Buffers are packed; their sizes
 * are the program's to get right. */
#ifndef TESSERA_RT_H
#define TESSERA_RT_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsr_rt_bundle tsr_rt_bundle;

enum {
    TSR_RT_OK = 0,
    TSR_RT_ERR_INPUT = 2,       /* a bundle that does not check, a bad argument */
    TSR_RT_ERR_NOT_FOUND = 3,   /* no kernel in the bundle for this op and backend */
    TSR_RT_ERR_BACKEND = 4,     /* the OpenCL/CUDA runtime or compiler refused */
    TSR_RT_ERR_UNSUPPORTED = 5, /* the backend's runtime is not installed */
};

/* Matrix layouts of GEMM operands. */
typedef enum tsr_rt_layout { TSR_RT_ROW = 0, TSR_RT_COL = 1 } tsr_rt_layout;

/* Opens the bundle in `dir` and checks it whole (manifest, every file
 * inside the directory, every SHA-256) before anything of it is used. */
int tsr_rt_open(const char *dir, tsr_rt_bundle **out, char *err, size_t err_size);
/* Releases the bundle and every program and module built from it. */
void tsr_rt_close(tsr_rt_bundle *bundle);

/* What a bundle holds, for a program that wants to show it. */
typedef struct tsr_rt_kernel_info {
    const char *op_key;   /* "gemm.f32.a=row.b=row.beta=0" */
    const char *shape;    /* the tuned shape, "m=1024,n=1024,k=1024" */
    const char *config;   /* the winning config */
    const char *language; /* "opencl", "cuda", "hip" */
    const char *device;   /* the fingerprint of the device it was tuned on */
    double time_ms;       /* measured there, on the tuned shape */
} tsr_rt_kernel_info;

size_t tsr_rt_kernel_count(const tsr_rt_bundle *bundle);
int tsr_rt_kernel_info_at(const tsr_rt_bundle *bundle, size_t index, tsr_rt_kernel_info *out);

/* How the kernel at `index` was last built for a launch: "cubin sm_90",
 * "ptx compute_90", "CUDA source (NVRTC)", "OpenCL C source"; NULL before
 * its first launch. */
const char *tsr_rt_loaded_from(const tsr_rt_bundle *bundle, size_t index);

/* The op key of an f32 GEMM: C = alpha * op(A) * op(B) + beta * C with
 * C row-major; beta_nonzero says whether C is read. Into buf; returns buf. */
const char *tsr_rt_gemm_key(tsr_rt_layout a, tsr_rt_layout b, bool beta_nonzero, char *buf,
                            size_t size);

/* GEMM's fused epilogue: a bias vector broadcast over C, of length M (one
 * value per row of C) or N (one per column), and an activation. */
typedef enum tsr_rt_bias {
    TSR_RT_BIAS_NONE = 0,
    TSR_RT_BIAS_ROW = 1,
    TSR_RT_BIAS_COL = 2
} tsr_rt_bias;
typedef enum tsr_rt_activation {
    TSR_RT_ACT_NONE = 0,
    TSR_RT_ACT_RELU = 1, /* max(x, 0) */
    TSR_RT_ACT_GELU = 2, /* tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
    TSR_RT_ACT_SILU = 3, /* x / (1 + e^-x) */
} tsr_rt_activation;

/* The element type of a GEMM's A and B (ab_type), and of its C, bias and
 * R (c_type); the products accumulate in f32 whatever they are, but for
 * TSR_RT_F64's. */
typedef enum tsr_rt_dtype {
    TSR_RT_F32 = 0,
    TSR_RT_F16 = 1,  /* IEEE binary16 */
    TSR_RT_BF16 = 2, /* bfloat16: the top 16 bits of an f32 */
    /* A GEMM's ab_type only: f32 elements that its kernels may multiply as
     * tf32 (10-bit mantissas), those of a spec with `math: tf32` */
    TSR_RT_TF32 = 3,
    /* A GEMM's only, ab_type and c_type both: doubles, multiplied and
     * summed in f64 (a spec with `dtype: f64`) */
    TSR_RT_F64 = 4,
} tsr_rt_dtype;

/* A GEMM with its epilogue, for `batch` problems at once:
 *
 *   D[z] = act(alpha * op(A[z]) * op(B[z]) + beta * C[z] + bias) + R[z],
 *   written over C[z], for z = 0 .. batch-1.
 *
 * A[z] is M x K and B[z] K x N in their layouts, C[z] and R[z] M x N
 * row-major (leading dimensions packed); each buffer holds its `batch`
 * matrices one after another (A[z] starts at A + z*M*K). The bias is
 * shared by every problem. Start from tsr_rt_gemm_desc_init: a desc left
 * zero has batch 0, which the calls refuse. */
typedef struct tsr_rt_gemm_desc {
    tsr_rt_layout a_layout, b_layout;
    int m, n, k;
    int batch; /* >= 1 */
    /* Doubles for an f64 GEMM's sake; every other kernel takes them
     * rounded to float. */
    double alpha, beta;
    tsr_rt_bias bias;
    tsr_rt_activation activation;
    bool residual;        /* add R */
    tsr_rt_dtype ab_type; /* A and B's elements (or TF32); f32 from tsr_rt_gemm_desc_init */
    tsr_rt_dtype c_type;  /* C's, the bias's and R's; f32 from tsr_rt_gemm_desc_init */
} tsr_rt_gemm_desc;

/* C = A * B for one problem: both row-major and f32, alpha 1, beta 0,
 * batch 1, no epilogue; set the fields that differ after. */
void tsr_rt_gemm_desc_init(tsr_rt_gemm_desc *desc, int m, int n, int k);

/* The desc's op key, the text tessera's store and manifest give its
 * kernels: "gemm.f32.a=row.b=row.beta=0" ("gemm.f64." for TSR_RT_F64),
 * then ".bias=row|col", ".act=relu|gelu|silu", ".res=1", ".out=f16|bf16"
 * and ".math=tf32" (ab_type TSR_RT_TF32, whose key starts "gemm.f32."),
 * each only when used. Into buf; returns buf, or NULL when a layout,
 * bias, activation or type is none of its enum's values, or when only
 * one of ab_type and c_type is TSR_RT_F64. The sizes do not enter the
 * key. */
const char *tsr_rt_gemm_desc_key(const tsr_rt_gemm_desc *desc, char *buf, size_t size);

/* The row ops: row by row, the f32 matrix X (rows x cols) into Y, with
 * the per-column vectors gamma and beta (cols values each) where the op
 * reads them; one work-group per row.
 *
 *   TSR_RT_SOFTMAX     Y[r][c] = exp(X[r][c] - max_r) / sum_c exp(X[r][c] - max_r)
 *   TSR_RT_RMSNORM     Y[r][c] = X[r][c] / sqrt(mean_c X[r][c]^2 + eps) * gamma[c]
 *   TSR_RT_LAYERNORM   Y[r][c] = (X[r][c] - mean_r) / sqrt(var_r + eps) * gamma[c] + beta[c]
 *                      (var_r the mean of (X[r][c] - mean_r)^2 over c)
 *   TSR_RT_REDUCE_SUM, _MAX, _MEAN, _L2
 *                      Y[r] = the sum, max, mean or sqrt of the sum of
 *                      squares of X[r][c] over c: Y holds rows values;
 *                      with the desc's inner above 1, X is rows x cols x
 *                      inner and Y[r][i] the same over c of X[r][c][i]
 *                      (a reduction along any axis of a tensor: the dims
 *                      before it are rows, those after it inner): Y holds
 *                      rows x inner values */
typedef enum tsr_rt_row_op {
    TSR_RT_SOFTMAX = 0,
    TSR_RT_RMSNORM = 1,
    TSR_RT_LAYERNORM = 2,
    TSR_RT_REDUCE_SUM = 3,
    TSR_RT_REDUCE_MAX = 4,
    TSR_RT_REDUCE_MEAN = 5,
    TSR_RT_REDUCE_L2 = 6,
} tsr_rt_row_op;

/* One row op. Start from tsr_rt_rows_desc_init. X and Y must not overlap. */
typedef struct tsr_rt_rows_desc {
    tsr_rt_row_op op;
    int rows, cols; /* each >= 1; rows x cols at most 2^31 - 1 elements */
    /* rmsnorm's and layernorm's eps, >= 0 and finite; a kernel argument,
     * so any value runs the kernels tuned with another. The other ops do
     * not read it. */
    float eps;
    /* The elements of X, Y, gamma and beta: f32 from the init; f16 and
     * bf16 pick the kernels a bundle holds for those types. */
    tsr_rt_dtype dtype;
    /* The reductions' inner dim, >= 1: 1 from the init, the last axis;
     * above 1 the middle axis, whose kernels a bundle holds under keys
     * ending ".axis=middle" (rows x cols x inner at most 2^31 - 1
     * elements). The other ops take 1 only. */
    int inner;
} tsr_rt_rows_desc;

/* `op` on rows x cols in f32, with the eps of tessera's op specs when
 * they name none: 1e-6 for rmsnorm, 1e-5 for layernorm, 0 for the rest. */
void tsr_rt_rows_desc_init(tsr_rt_rows_desc *desc, tsr_rt_row_op op, int rows, int cols);

/* The desc's op key: "softmax.f32", "rmsnorm.f32", "layernorm.f32",
 * "reduce.f32.kind=sum|max|mean|l2", with ".axis=middle" for an inner
 * above 1. Into buf; returns buf, or NULL when
 * the op or dtype is none of its enum's values. */
const char *tsr_rt_rows_desc_key(const tsr_rt_rows_desc *desc, char *buf, size_t size);

/* The most dims a permute takes. */
#define TSR_RT_MAX_RANK 4

/* A permute of a row-major tensor X of `rank` dims into Y, row-major:
 * Y's dim i is X's dim perm[i] (rank 2, perm {1, 0}: the transpose of a
 * dims[0] x dims[1] matrix). Start from tsr_rt_permute_desc_init. X and Y
 * must not overlap. */
typedef struct tsr_rt_permute_desc {
    int rank;                  /* 1 .. TSR_RT_MAX_RANK */
    int dims[TSR_RT_MAX_RANK]; /* X's, outermost first; each >= 1, their product at most
                                  2^31 - 1; those past rank are not read */
    int perm[TSR_RT_MAX_RANK]; /* each of 0 .. rank-1 once; those past rank are not read */
    tsr_rt_dtype dtype;        /* X's and Y's elements: f32 from the init, or f16, bf16 */
} tsr_rt_permute_desc;

/* The first `rank` values of dims and perm (none when rank is not 1 to
 * TSR_RT_MAX_RANK, which the calls then refuse); 1 for each dim past them
 * and the perm's own index past them; f32. */
void tsr_rt_permute_desc_init(tsr_rt_permute_desc *desc, int rank, const int *dims,
                              const int *perm);

/* The desc's op key, "permute.f32.perm=0,2,1,3": the perm decides the
 * kernel, the dims do not. Into buf; returns buf, or NULL when the rank,
 * perm or dtype is not valid. */
const char *tsr_rt_permute_desc_key(const tsr_rt_permute_desc *desc, char *buf, size_t size);

/* The layouts of attention's Q, K, V and O, each packed: BHSD
 * [batch][heads][seq][head_dim], as after a transformer's head split;
 * BSHD [batch][seq][heads][head_dim], as a projection writes them. */
typedef enum tsr_rt_attention_layout { TSR_RT_BHSD = 0, TSR_RT_BSHD = 1 } tsr_rt_attention_layout;

/* Fused attention (flash attention), for every batch z and head h:
 *
 *   O[z][h] = softmax(scale * Q[z][h] K[z][h]^T [+ causal mask]) V[z][h]
 *
 * Q and O hold q rows of head_dim values per (batch, head), K and V kv
 * rows, in the desc's layout. Under the causal mask query i sees keys 0
 * .. i, aligned at the top left when q != kv (PyTorch's is_causal). The
 * scores, the softmax and the sums are f32 whatever the dtype. Start from
 * tsr_rt_attention_desc_init. O must not overlap Q, K or V. */
typedef struct tsr_rt_attention_desc {
    int head_dim; /* a multiple of 16, from 16 to 256 */
    /* The queries and the keys of each sequence, the heads and the batch:
     * each >= 1, and Q, K, V and O (batch x heads x q or kv x head_dim)
     * each at most 2^31 - 1 elements. */
    int q, kv, heads, batch;
    bool causal; /* query i sees keys 0 .. i only */
    tsr_rt_attention_layout layout;
    /* The scores' factor, finite and > 0; a kernel argument, so any value
     * runs the kernels tuned with another. */
    float scale;
    /* Q's, K's, V's and O's elements: f16 from the init, or f32, bf16. */
    tsr_rt_dtype dtype;
} tsr_rt_attention_desc;

/* head_dim, q and kv; one head, batch 1, no mask, BHSD, f16, and the scale
 * of tessera's op specs when they name none: 1 / sqrt(head_dim) (0 for a
 * head_dim < 1, which the calls refuse). */
void tsr_rt_attention_desc_init(tsr_rt_attention_desc *desc, int head_dim, int q, int kv);

/* The desc's op key, "attention.f16.d=64", then ".causal=1" and
 * ".layout=bshd" when used: the head dim, the mask and the layout are
 * compiled into the kernel; the sizes and the scale are not. Into buf;
 * returns buf, or NULL when the head_dim, layout or dtype is not valid. */
const char *tsr_rt_attention_desc_key(const tsr_rt_attention_desc *desc, char *buf, size_t size);

/* The layouts of a conv2d's X, W and Y, each packed, for g = groups
 * (PyTorch's weight layout, and its channels_last format for NHWC):
 *
 *   TSR_RT_NCHW   X [n][c][h][w], W [k][c/g][r][s], Y [n][k][oh][ow]
 *   TSR_RT_NHWC   X [n][h][w][c], W [k][r][s][c/g], Y [n][oh][ow][k] */
typedef enum tsr_rt_conv_layout { TSR_RT_NCHW = 0, TSR_RT_NHWC = 1 } tsr_rt_conv_layout;

/* A forward 2-D convolution (a cross-correlation, as deep-learning
 * frameworks define it) with its epilogue:
 *
 *   Y[b][j][y][x] = act(sum over c of j's group, fr < r, fs < s of
 *                       X[b][c][y stride[0] - pad[0] + fr dilation[0]]
 *                              [x stride[1] - pad[1] + fs dilation[1]] W[j][c][fr][fs]
 *                       + bias[j])
 *
 * where X reads as zero in the padding; Y has oh = (h + 2 pad[0] -
 * dilation[0] (r - 1) - 1) / stride[0] + 1 rows (cols alike). Output
 * channel j belongs to group j / (k/g) and reads that group's c/g input
 * channels. The sums are f32 whatever the types. Start from
 * tsr_rt_conv2d_desc_init. Y must not overlap X, W or the bias. */
typedef struct tsr_rt_conv2d_desc {
    tsr_rt_conv_layout layout;
    /* X's images n, channels c, rows h and cols w, and the filters k (Y's
     * channels): each >= 1, and X, W and Y each at most 2^31 - 1 elements. */
    int batch, channels, height, width, filters;
    /* Rows, then cols. The filter's r and s 1 .. 32, fitting the padded
     * image; stride 1 .. 64; zero padding on each side 0 .. 1024;
     * dilation 1 .. 64. */
    int filter[2], stride[2], pad[2], dilation[2];
    int groups; /* 1 .. 65536, dividing channels and filters */
    bool bias;  /* add bias[j]: one value per filter */
    tsr_rt_activation activation;
    tsr_rt_dtype dtype;  /* X's and W's elements: f32 from the init */
    tsr_rt_dtype output; /* Y's and the bias's: f32 from the init */
} tsr_rt_conv2d_desc;

/* An NCHW conv2d of `batch` images of channels x height x width by
 * `filters` filters of filter_rows x filter_cols: stride 1, no padding,
 * dilation 1, one group, no bias or activation, f32, as tessera's op
 * specs when they name none; set the fields that differ after. */
void tsr_rt_conv2d_desc_init(tsr_rt_conv2d_desc *desc, int batch, int channels, int height,
                             int width, int filters, int filter_rows, int filter_cols);

/* The desc's op key, as the store's: every field but the sizes is
 * compiled into the kernel, "conv2d.f32.nchw.r=3.s=3.stride=1,1.pad=1,1.
 * dil=1,1.groups=1", then ".bias=1", ".act=relu|gelu|silu" and
 * ".out=f16|bf16" when used. Into buf; returns buf, or NULL when a field
 * of the key is outside its range or enum. */
const char *tsr_rt_conv2d_desc_key(const tsr_rt_conv2d_desc *desc, char *buf, size_t size);

/* The entry the dispatch rule of docs/bundle.md picks among the kernels of
 * `op_key` in `language`, for a shape of n_dims values in the op's dim
 * order (GEMM: m, n, k, batch; batch may be left out and is then 1; an
 * entry tuned without a batch counts as batch 1. Row ops: rows, cols.
 * Permute: X's dims d0 .. d3, 1 past the rank, which may be left out.
 * Attention: q, kv, heads, batch; heads and batch may be left out and are
 * then 1. conv2d: n, c, h, w, k); -1 when there is none. */
long tsr_rt_pick(const tsr_rt_bundle *bundle, const char *op_key, const char *language,
                 const long *shape, int n_dims);

#ifdef __cplusplus
}
#endif

#endif
