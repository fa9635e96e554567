/* GEMM on the host: buffer sizes, kernel arguments, and the reference in
 * double precision with the error scale of every output element. */
#include <math.h>
#include <pthread.h>
#include <unistd.h>

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

/* The rows [begin, end) of one reference product. */
typedef struct reference_rows {
    const tsr_opspec *spec;
    long m, n, k, begin, end;
    const float *a, *b, *c;
    double *out, *magnitude;
} reference_rows;

/* i-k-j order walks B and C row by row, which keeps large references at
 * memory speed; each C row accumulates in double. */
static void reference_run_rows(const reference_rows *r)
{
    const tsr_opspec *spec = r->spec;
    long m = r->m, n = r->n, k = r->k;
    const float *a = r->a, *b = r->b, *c = r->c;
    bool a_row = spec->layout_a == TSR_ROW_MAJOR, b_row = spec->layout_b == TSR_ROW_MAJOR;
    for (long i = r->begin; i < r->end; i++) {
        double *row = r->out + i * n, *mag = r->magnitude + i * n;
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

static void *reference_thread(void *arg)
{
    reference_run_rows(arg);
    return NULL;
}

enum {
    REFERENCE_MAX_THREADS = 64,
    /* Below this many multiply-adds one core takes well under a second and
     * threads would cost more than they save. */
    REFERENCE_THREADED_WORK = 1 << 26,
};

/* Large references (n = 4096 is 69 G multiply-adds, a minute on one core)
 * are split by rows over the machine's cores; rows are independent, so the
 * result does not depend on the split. A thread that cannot be started
 * leaves its rows to the caller. */
void gemm_reference(const tsr_opspec *spec, const tsr_shape *shape, const float *const *buffers,
                    double *out, double *magnitude)
{
    long m = dim(shape, GEMM_DIM_M), n = dim(shape, GEMM_DIM_N), k = dim(shape, GEMM_DIM_K);
    reference_rows whole = {.spec = spec,
                            .m = m,
                            .n = n,
                            .k = k,
                            .begin = 0,
                            .end = m,
                            .a = buffers[GEMM_ARG_A],
                            .b = buffers[GEMM_ARG_B],
                            .c = buffers[GEMM_ARG_C],
                            .out = out,
                            .magnitude = magnitude};
    long cores = sysconf(_SC_NPROCESSORS_ONLN), threads = 1;
    if ((double)m * (double)n * (double)k >= REFERENCE_THREADED_WORK && cores > 1)
        threads = cores < REFERENCE_MAX_THREADS ? cores : REFERENCE_MAX_THREADS;
    if (threads > m)
        threads = m;
    reference_rows part[REFERENCE_MAX_THREADS];
    pthread_t thread[REFERENCE_MAX_THREADS];
    bool started[REFERENCE_MAX_THREADS] = {false};
    for (long t = 0; t < threads; t++) {
        part[t] = whole;
        part[t].begin = m * t / threads;
        part[t].end = m * (t + 1) / threads;
        if (t > 0)
            started[t] = pthread_create(&thread[t], NULL, reference_thread, &part[t]) == 0;
    }
    for (long t = 0; t < threads; t++)
        if (!started[t])
            reference_run_rows(&part[t]);
    for (long t = 1; t < threads; t++)
        if (started[t])
            pthread_join(thread[t], NULL);
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
