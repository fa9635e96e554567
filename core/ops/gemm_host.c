/* GEMM on the host: buffer sizes, kernel arguments, and the reference in
 * double precision with the error scale of every output element. */
#include <math.h>
#include <stdlib.h>

#include "core/host_reference.h"
#include "core/ops/gemm_internal.h"

static long dim(const tsr_shape *shape, enum gemm_dim d)
{
    return shape->dim[d];
}

size_t gemm_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer)
{
    size_t m = (size_t)dim(shape, GEMM_DIM_M), n = (size_t)dim(shape, GEMM_DIM_N);
    size_t k = (size_t)dim(shape, GEMM_DIM_K), batch = (size_t)dim(shape, GEMM_DIM_BATCH);
    switch (buffer) {
    case GEMM_ARG_A: return batch * m * k;
    case GEMM_ARG_B: return batch * k * n;
    case GEMM_ARG_C: return batch * m * n;
    case GEMM_BUF_BIAS: return spec->bias == TSR_BIAS_ROW ? m : spec->bias == TSR_BIAS_COL ? n : 0;
    case GEMM_BUF_R: return spec->residual ? batch * m * n : 0;
    default: return 0;
    }
}

int gemm_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
              tsr_arg *out)
{
    for (int i = 0; i < 3; i++)
        out[i] = (tsr_arg){.kind = TSR_ARG_BUFFER, .buffer = buffers[i]};
    out[GEMM_ARG_M] = (tsr_arg){.kind = TSR_ARG_INT, .i = (int)dim(shape, GEMM_DIM_M)};
    out[GEMM_ARG_N] = (tsr_arg){.kind = TSR_ARG_INT, .i = (int)dim(shape, GEMM_DIM_N)};
    out[GEMM_ARG_K] = (tsr_arg){.kind = TSR_ARG_INT, .i = (int)dim(shape, GEMM_DIM_K)};
    if (tsr_dtype_compute(spec->dtype) == TSR_F64) {
        out[GEMM_ARG_ALPHA] = (tsr_arg){.kind = TSR_ARG_DOUBLE, .d = spec->alpha};
        out[GEMM_ARG_BETA] = (tsr_arg){.kind = TSR_ARG_DOUBLE, .d = spec->beta};
    } else {
        out[GEMM_ARG_ALPHA] = (tsr_arg){.kind = TSR_ARG_FLOAT, .f = (float)spec->alpha};
        out[GEMM_ARG_BETA] = (tsr_arg){.kind = TSR_ARG_FLOAT, .f = (float)spec->beta};
    }
    if (gemm_arg_bias(spec) >= 0)
        out[gemm_arg_bias(spec)] =
            (tsr_arg){.kind = TSR_ARG_BUFFER, .buffer = buffers[GEMM_BUF_BIAS]};
    if (gemm_arg_residual(spec) >= 0)
        out[gemm_arg_residual(spec)] =
            (tsr_arg){.kind = TSR_ARG_BUFFER, .buffer = buffers[GEMM_BUF_R]};
    return gemm_arg_count(spec);
}

/* One reference product; its rows count over the whole batch (row i is
 * row i % m of problem i / m). The host buffers of an f64 spec hold
 * double (`wide`), so that the reference reads the 53 bits the kernel
 * reads; the rest hold float. */
typedef struct reference_rows {
    const tsr_opspec *spec;
    long m, n, k;
    bool wide;
    const float *a, *b, *c, *bias, *r;
    double *out, *magnitude;
} reference_rows;

static inline double elem(const reference_rows *r, const float *buffer, long i)
{
    return r->wide ? ((const double *)(const void *)buffer)[i] : (double)buffer[i];
}

/* Row `i` of the output from its accumulated product `row`, whose terms'
 * absolute values sum to `mag`: the epilogue in the kernel's order, and
 * an error scale that covers the activation's slope and its own rounding. */
static void reference_epilogue(const reference_rows *r, long i, double *row, double *mag)
{
    const tsr_opspec *spec = r->spec;
    long n = r->n, row_in_problem = i % r->m;
    for (long j = 0; j < n; j++) {
        double old = spec->beta != 0.0 ? spec->beta * elem(r, r->c, i * n + j) : 0.0;
        double bias = spec->bias == TSR_BIAS_ROW   ? elem(r, r->bias, row_in_problem)
                      : spec->bias == TSR_BIAS_COL ? elem(r, r->bias, j)
                                                   : 0.0;
        double z = spec->alpha * row[j] + old + bias;
        double z_mag = fabs(spec->alpha) * mag[j] + fabs(old) + fabs(bias);
        double res = spec->residual ? elem(r, r->r, i * n + j) : 0.0;
        row[j] = tsr_activate(spec->activation, z) + res;
        mag[j] = spec->activation == TSR_ACT_NONE ? z_mag + fabs(res)
                                                  : tsr_activation_slope(spec->activation) * z_mag +
                                                        fabs(row[j] - res) + fabs(res);
    }
}

/* i-k-j order walks a row-major B and C row by row, which keeps large
 * references at memory speed; each C row accumulates in double. A
 * column-major B is walked column by column instead, each a dot product
 * with A's row gathered once (`arow`): in i-k-j order each of its
 * values was a stride of k away from the last, and a 4096^3 reference
 * took minutes on 16 cores. Both add the terms in the order of k, so they
 * give the same sums. The element type is a parameter so that the f32
 * inner loop stays free of the f64 test. */
#define A_ELEM(T, a) (a_row ? ((const T *)a)[ii * k + p] : ((const T *)a)[p * m + ii])
#define REFERENCE_ROW(T, a, b)                                                                     \
    if (b_row || !arow) {                                                                          \
        for (long p = 0; p < k; p++) {                                                             \
            double av = A_ELEM(T, a);                                                              \
            for (long j = 0; j < n; j++) {                                                         \
                double bv = b_row ? ((const T *)b)[p * n + j] : ((const T *)b)[j * k + p];         \
                row[j] += av * bv;                                                                 \
                mag[j] += fabs(av * bv);                                                           \
            }                                                                                      \
        }                                                                                          \
    } else {                                                                                       \
        for (long p = 0; p < k; p++)                                                               \
            arow[p] = A_ELEM(T, a);                                                                \
        for (long j = 0; j < n; j++) {                                                             \
            const T *col = (const T *)b + j * k;                                                   \
            for (long p = 0; p < k; p++) {                                                         \
                double term = arow[p] * (double)col[p];                                            \
                row[j] += term;                                                                    \
                mag[j] += fabs(term);                                                              \
            }                                                                                      \
        }                                                                                          \
    }

static void reference_run_rows(void *ctx, long begin, long end)
{
    const reference_rows *r = ctx;
    const tsr_opspec *spec = r->spec;
    long m = r->m, n = r->n, k = r->k;
    bool a_row = spec->layout_a == TSR_ROW_MAJOR, b_row = spec->layout_b == TSR_ROW_MAJOR;
    /* Out of memory, the column-major walk falls back to i-k-j (slow, the
     * same sums). */
    double *arow = b_row ? NULL : malloc((size_t)k * sizeof *arow);
    for (long i = begin; i < end; i++) {
        long z = i / m, ii = i % m;
        double *row = r->out + i * n, *mag = r->magnitude + i * n;
        for (long j = 0; j < n; j++)
            row[j] = mag[j] = 0.0;
        if (r->wide) {
            const double *a = (const double *)(const void *)r->a + z * m * k;
            const double *b = (const double *)(const void *)r->b + z * k * n;
            REFERENCE_ROW(double, a, b)
        } else {
            const float *a = r->a + z * m * k, *b = r->b + z * k * n;
            REFERENCE_ROW(float, a, b)
        }
        reference_epilogue(r, i, row, mag);
    }
    free(arow);
}

/* Large references (n = 4096 is 69 G multiply-adds, a minute on one core)
 * are split by rows over the machine's cores (tsr_reference_split). */
void gemm_reference(const tsr_opspec *spec, const tsr_shape *shape, const float *const *buffers,
                    double *out, double *magnitude)
{
    long m = dim(shape, GEMM_DIM_M), n = dim(shape, GEMM_DIM_N), k = dim(shape, GEMM_DIM_K);
    long rows = m * dim(shape, GEMM_DIM_BATCH);
    reference_rows whole = {.spec = spec,
                            .m = m,
                            .n = n,
                            .k = k,
                            .wide = spec->dtype == TSR_F64,
                            .a = buffers[GEMM_ARG_A],
                            .b = buffers[GEMM_ARG_B],
                            .c = buffers[GEMM_ARG_C],
                            .bias = buffers[GEMM_BUF_BIAS],
                            .r = buffers[GEMM_BUF_R],
                            .out = out,
                            .magnitude = magnitude};
    tsr_reference_split(rows, (double)rows * (double)n * (double)k, reference_run_rows, &whole);
}

/* Accumulation over k terms in any order and blocking: rounding errors
 * grow like sqrt(k) units of the compute type's roundoff u for random
 * data; the bound leaves room for fused and unfused multiply-adds, yet a
 * missing or doubled term (an error of about 1/k of the magnitude) is far
 * outside it. The epilogue's few roundings (and the device's tanh and
 * exp, within a few ulp) fit in the constant term, because the magnitude
 * counts the bias, the residual and the activation's value besides its
 * slope. The inputs are the values the kernel reads (rounded to their type
 * before the reference sees them), so they add nothing. A 16-bit output
 * adds its one rounding at the store: half a unit in its last place
 * (2^-11 for f16, 2^-8 for bf16) of a value no larger than the magnitude
 * the error is divided by. For f64 (u = 2^-53) the reference rounds as
 * often as the kernel, so the bound covers two such errors; it is still
 * about 2^29 below what any f32 step (an f32 product, accumulator or
 * staged tile) leaves behind.
 * A spec that lets f32 inputs be multiplied as tf32 (`math: tf32`) keeps
 * 10 of their 23 mantissa bits: each input is within 2^-10 of itself
 * however it is rounded (tessera to nearest, a library perhaps by
 * truncation), so each product within 2^-9 + 2^-20 of |a||b|, and the sum
 * within that of the magnitude, whatever k. */
double gemm_tolerance(const tsr_opspec *spec, const tsr_shape *shape)
{
    double k = (double)dim(shape, GEMM_DIM_K);
    double inputs = spec->tf32 ? 0x1p-9 + 0x1p-20 : 0.0;
    return (16.0 * sqrt(k) + 64.0) * tsr_dtype_unit_roundoff(spec->dtype) + inputs +
           tsr_dtype_store_rounding(spec->output);
}

/* The products only, as BLAS counts them: the epilogue is a few
 * operations per output against 2k. */
double gemm_flops(const tsr_opspec *spec, const tsr_shape *shape)
{
    (void)spec;
    return 2.0 * (double)dim(shape, GEMM_DIM_M) * (double)dim(shape, GEMM_DIM_N) *
           (double)dim(shape, GEMM_DIM_K) * (double)dim(shape, GEMM_DIM_BATCH);
}
