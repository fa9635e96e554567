/* attention on the host: buffer sizes, kernel arguments, the
 * double-precision reference and its error bound. */
#include <math.h>
#include <stdlib.h>

#include "core/dtype.h"
#include "core/host_reference.h"
#include "core/ops/attention_internal.h"
#include "core/ops/attention_spec.h"

typedef struct att_extent {
    long q, kv, heads, batch, d;
} att_extent;

static att_extent extent_of(const tsr_opspec *spec, const tsr_shape *shape)
{
    return (att_extent){shape->dim[ATT_DIM_Q], shape->dim[ATT_DIM_KV], shape->dim[ATT_DIM_HEADS],
                        shape->dim[ATT_DIM_BATCH], spec->attention.head_dim};
}

size_t attention_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer)
{
    att_extent e = extent_of(spec, shape);
    long rows = buffer == ATT_ARG_K || buffer == ATT_ARG_V ? e.kv : e.q;
    return buffer <= ATT_ARG_O ? (size_t)(e.batch * e.heads * rows * e.d) : 0;
}

int attention_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
                   tsr_arg *out)
{
    att_extent e = extent_of(spec, shape);
    for (int i = 0; i <= ATT_ARG_O; i++)
        out[i] = (tsr_arg){.kind = TSR_ARG_BUFFER, .buffer = buffers[i]};
    out[ATT_ARG_QLEN] = (tsr_arg){.kind = TSR_ARG_INT, .i = (int)e.q};
    out[ATT_ARG_KVLEN] = (tsr_arg){.kind = TSR_ARG_INT, .i = (int)e.kv};
    out[ATT_ARG_HEADS] = (tsr_arg){.kind = TSR_ARG_INT, .i = (int)e.heads};
    out[ATT_ARG_SCALE] = (tsr_arg){.kind = TSR_ARG_FLOAT, .f = (float)tsr_attention_scale(spec)};
    return ATT_ARG_COUNT;
}

/* Where row `row` of (batch b, head h) of a [rows] sequence starts. */
static long row_start(const tsr_opspec *spec, const att_extent *e, long rows, long b, long h,
                      long row)
{
    if (spec->attention.seq_major)
        return ((b * rows + row) * e->heads + h) * e->d;
    return ((b * e->heads + h) * rows + row) * e->d;
}

typedef struct reference_rows {
    const tsr_opspec *spec;
    att_extent e;
    const float *q, *k, *v;
    double *out, *magnitude;
} reference_rows;

/* One query row: its scores, their softmax and the weighted values, with
 * the magnitude its error scales with (see attention_tolerance). */
static void reference_row(const reference_rows *r, long item, double *p, double *spread)
{
    const att_extent *e = &r->e;
    long i = item % e->q, bh = item / e->q, b = bh / e->heads, h = bh % e->heads;
    const float *q = r->q + row_start(r->spec, e, e->q, b, h, i);
    long visible = r->spec->attention.causal && i + 1 < e->kv ? i + 1 : e->kv;
    double scale = tsr_attention_scale(r->spec), max = -INFINITY, sum = 0;
    for (long j = 0; j < visible; j++) {
        const float *k = r->k + row_start(r->spec, e, e->kv, b, h, j);
        double dot = 0, abs_dot = 0;
        for (long d = 0; d < e->d; d++) {
            dot += (double)q[d] * k[d];
            abs_dot += fabs((double)q[d] * k[d]);
        }
        p[j] = scale * dot;
        spread[j] = 1 + scale * abs_dot;
        max = p[j] > max ? p[j] : max;
    }
    for (long j = 0; j < visible; j++) {
        p[j] = exp(p[j] - max);
        sum += p[j];
    }
    long o = row_start(r->spec, e, e->q, b, h, i);
    for (long d = 0; d < e->d; d++) {
        double acc = 0;
        for (long j = 0; j < visible; j++)
            acc += p[j] * r->v[row_start(r->spec, e, e->kv, b, h, j) + d];
        r->out[o + d] = acc / sum;
    }
    for (long d = 0; d < e->d; d++) {
        double m = 0;
        for (long j = 0; j < visible; j++)
            m += p[j] * spread[j] *
                 (fabs((double)r->v[row_start(r->spec, e, e->kv, b, h, j) + d]) +
                  fabs(r->out[o + d]));
        r->magnitude[o + d] = m / sum;
    }
}

static void reference_run_rows(void *ctx, long begin, long end)
{
    const reference_rows *r = ctx;
    double *p = malloc(2 * (size_t)r->e.kv * sizeof *p);
    if (!p) {
        /* Without scratch the rows stay NaN, which fails verification. */
        for (long item = begin; item < end; item++) {
            long i = item % r->e.q, bh = item / r->e.q;
            long o = row_start(r->spec, &r->e, r->e.q, bh / r->e.heads, bh % r->e.heads, i);
            for (long d = 0; d < r->e.d; d++)
                r->out[o + d] = NAN;
        }
        return;
    }
    for (long item = begin; item < end; item++)
        reference_row(r, item, p, p + r->e.kv);
    free(p);
}

/* Query rows are independent; large references are split over the
 * machine's cores (tsr_reference_split). */
void attention_reference(const tsr_opspec *spec, const tsr_shape *shape,
                         const float *const *buffers, double *out, double *magnitude)
{
    att_extent e = extent_of(spec, shape);
    reference_rows whole = {.spec = spec,
                            .e = e,
                            .q = buffers[ATT_ARG_Q],
                            .k = buffers[ATT_ARG_K],
                            .v = buffers[ATT_ARG_V],
                            .out = out,
                            .magnitude = magnitude};
    long items = e.batch * e.heads * e.q;
    tsr_reference_split(items, (double)items * e.kv * e.d * 2, reference_run_rows, &whole);
}

/* An output is sum_j p_j v_j / sum_j p_j. A relative error eps_j in p_j
 * moves it by at most sum_j p_j eps_j (|v_j| + |o|) / sum_j p_j. The
 * score s_j = scale q.k_j carries f32 accumulation's rounding, an absolute
 * error of about (16 sqrt(d) + 64) 2^-24 scale sum |q k_j|, which is a
 * relative error of p_j; the matrix unit rounds p_j once more to the
 * 16-bit input type; and P V accumulates like GEMM over the keys. The
 * magnitude folds in (1 + scale sum |q k_j|) per key, so the bound is one
 * number; a 16-bit output adds its rounding at the store. */
double attention_tolerance(const tsr_opspec *spec, const tsr_shape *shape)
{
    att_extent e = extent_of(spec, shape);
    double accumulate =
        (16.0 * sqrt((double)e.d) + 16.0 * sqrt((double)e.kv) + 64.0) * ldexp(1.0, -24);
    double p_rounding = spec->dtype == TSR_F32 ? 0.0 : 2.0 * tsr_dtype_store_rounding(spec->dtype);
    return accumulate + p_rounding + tsr_dtype_store_rounding(spec->dtype);
}

/* Two multiply-adds per (query, visible key, head dim) pair: the scores
 * and P V; a causal mask halves the pairs as it hides keys. */
double attention_flops(const tsr_opspec *spec, const tsr_shape *shape)
{
    att_extent e = extent_of(spec, shape);
    double pairs = (double)e.q * e.kv;
    if (spec->attention.causal) {
        long full = e.q < e.kv ? e.q : e.kv; /* rows i < kv see i + 1 keys */
        pairs = (double)full * (full + 1) / 2 + (double)(e.q - full) * e.kv;
    }
    return 4.0 * e.batch * e.heads * pairs * e.d;
}
