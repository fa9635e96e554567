/* GEMM on the host: buffer sizes, kernel arguments, and the reference in
 * double precision with the error scale of every output element. */
#include <math.h>

#include "core/ops/gemm_internal.h"

static long dim(const tsr_shape *shape, enum gemm_dim d)
{
    return shape->dim[d];
}

size_t gemm_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer)
{
    (void)spec;
    long m = dim(shape, GEMM_DIM_M), n = dim(shape, GEMM_DIM_N), k = dim(shape, GEMM_DIM_K);
    switch (buffer) {
    case GEMM_ARG_A: return (size_t)m * (size_t)k;
    case GEMM_ARG_B: return (size_t)k * (size_t)n;
    default: return (size_t)m * (size_t)n;
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
    out[GEMM_ARG_ALPHA] = (tsr_arg){.kind = TSR_ARG_FLOAT, .f = (float)spec->alpha};
    out[GEMM_ARG_BETA] = (tsr_arg){.kind = TSR_ARG_FLOAT, .f = (float)spec->beta};
    return GEMM_ARG_COUNT;
}

/* i-k-j order walks B and C row by row, which keeps large references at
 * memory speed; each C row accumulates in double. */
void gemm_reference(const tsr_opspec *spec, const tsr_shape *shape, const float *const *buffers,
                    double *out, double *magnitude)
{
    long m = dim(shape, GEMM_DIM_M), n = dim(shape, GEMM_DIM_N), k = dim(shape, GEMM_DIM_K);
    const float *a = buffers[GEMM_ARG_A], *b = buffers[GEMM_ARG_B], *c = buffers[GEMM_ARG_C];
    bool a_row = spec->layout_a == TSR_ROW_MAJOR, b_row = spec->layout_b == TSR_ROW_MAJOR;
    for (long i = 0; i < m; i++) {
        double *row = out + i * n, *mag = magnitude + i * n;
        for (long j = 0; j < n; j++)
            row[j] = mag[j] = 0.0;
        for (long p = 0; p < k; p++) {
            double av = a_row ? a[i * k + p] : a[p * m + i];
            for (long j = 0; j < n; j++) {
                double bv = b_row ? b[p * n + j] : b[j * k + p];
                row[j] += av * bv;
                mag[j] += fabs(av * bv);
            }
        }
        for (long j = 0; j < n; j++) {
            double old = spec->beta != 0.0 ? spec->beta * c[i * n + j] : 0.0;
            row[j] = spec->alpha * row[j] + old;
            mag[j] = fabs(spec->alpha) * mag[j] + fabs(old);
        }
    }
}

/* Single-precision accumulation over k terms in any order and blocking:
 * rounding errors grow like sqrt(k) for random data; the bound leaves room
 * for fused and unfused multiply-adds, yet a missing or doubled term
 * (an error of about 1/k of the magnitude) is far outside it. */
double gemm_tolerance(const tsr_opspec *spec, const tsr_shape *shape)
{
    (void)spec;
    double k = (double)dim(shape, GEMM_DIM_K);
    return (16.0 * sqrt(k) + 64.0) * ldexp(1.0, -24);
}

double gemm_flops(const tsr_opspec *spec, const tsr_shape *shape)
{
    (void)spec;
    return 2.0 * (double)dim(shape, GEMM_DIM_M) * (double)dim(shape, GEMM_DIM_N) *
           (double)dim(shape, GEMM_DIM_K);
}
