/* libtessera-rt on PoCL through OpenCL, with nothing of libtessera: a
 * bundle's GEMM (plain, with fused epilogues, batched) and softmax on the
 * program's own context, queue and buffers, for shapes never tuned,
 * checked in double precision; and the runtime's refusals, each a code
 * and one line.
 *
 * usage: test_rt BUNDLE_DIR   (tests/test_rt.sh makes the bundle) */
#define CL_TARGET_OPENCL_VERSION 120
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CL/cl.h>
#include <tessera/tessera_rt.h>
#include <tessera/tessera_rt_cuda.h>
#include <tessera/tessera_rt_hip.h>
#include <tessera/tessera_rt_opencl.h>

#include "tests/check.h"
#include "tests/check_cl_queue.h"
#include "tests/check_rt_opencl.h"

static void gemm_of_an_untuned_shape_is_right(void)
{
    tsr_rt_bundle *b = NULL;
    char err[512] = "";
    CHECK_MSG(tsr_rt_open(bundle_dir, &b, err, sizeof err) == TSR_RT_OK, "%s", err);
    if (!b)
        return;
    enum { M = 57, N = 33, K = 71 };
    static float a[M * K], bb[K * N], c[M * N];
    unsigned state = 7;
    for (int i = 0; i < M * K; i++)
        a[i] = next_value(&state);
    for (int i = 0; i < K * N; i++)
        bb[i] = next_value(&state);
    for (int i = 0; i < M * N; i++)
        c[i] = NAN;
    cl_mem da = upload(a, M * K), db = upload(bb, K * N), dc = upload(c, M * N);
    CHECK_MSG(tsr_rt_gemm_opencl(b, queue, TSR_RT_ROW, TSR_RT_ROW, M, N, K, 1.0f, da, db, 0.0f, dc,
                                 NULL, err, sizeof err) == TSR_RT_OK,
              "%s", err);
    CHECK(clEnqueueReadBuffer(queue, dc, CL_TRUE, 0, sizeof c, c, 0, NULL, NULL) == CL_SUCCESS);
    double worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double sum = 0, mag = 0;
            for (int p = 0; p < K; p++) {
                sum += (double)a[i * K + p] * bb[p * N + j];
                mag += fabs((double)a[i * K + p] * bb[p * N + j]);
            }
            double e = fabs(c[i * N + j] - sum) / mag;
            worst = isnan(e) ? INFINITY : fmax(worst, e);
        }
    CHECK_MSG(worst < 1e-5, "max relative error %g", worst);
    long shape[3] = {M, N, K};
    char key[64];
    long pick = tsr_rt_pick(b, tsr_rt_gemm_key(TSR_RT_ROW, TSR_RT_ROW, false, key, sizeof key),
                            "opencl", shape, 3);
    CHECK(pick >= 0);
    const char *loaded = pick >= 0 ? tsr_rt_loaded_from(b, (size_t)pick) : NULL;
    CHECK(loaded && strcmp(loaded, "OpenCL C source") == 0);
    clReleaseMemObject(da);
    clReleaseMemObject(db);
    clReleaseMemObject(dc);
    tsr_rt_close(b);
}

static void softmax_of_an_untuned_shape_is_right(void)
{
    tsr_rt_bundle *b = NULL;
    char err[512] = "";
    CHECK_MSG(tsr_rt_open(bundle_dir, &b, err, sizeof err) == TSR_RT_OK, "%s", err);
    if (!b)
        return;
    enum { ROWS = 13, COLS = 1001 };
    static float x[ROWS * COLS], y[ROWS * COLS];
    unsigned state = 11;
    for (int i = 0; i < ROWS * COLS; i++) {
        x[i] = 8.0f * next_value(&state);
        y[i] = NAN;
    }
    cl_mem dx = upload(x, ROWS * COLS), dy = upload(y, ROWS * COLS);
    CHECK_MSG(tsr_rt_softmax_opencl(b, queue, ROWS, COLS, dx, dy, NULL, err, sizeof err) ==
                  TSR_RT_OK,
              "%s", err);
    CHECK(clEnqueueReadBuffer(queue, dy, CL_TRUE, 0, sizeof y, y, 0, NULL, NULL) == CL_SUCCESS);
    double worst = 0;
    for (int r = 0; r < ROWS; r++) {
        double top = -INFINITY, sum = 0;
        for (int j = 0; j < COLS; j++)
            top = fmax(top, x[r * COLS + j]);
        for (int j = 0; j < COLS; j++)
            sum += exp((double)x[r * COLS + j] - top);
        for (int j = 0; j < COLS; j++) {
            double want = exp((double)x[r * COLS + j] - top) / sum;
            double e = fabs(y[r * COLS + j] - want) / want;
            worst = isnan(e) ? INFINITY : fmax(worst, e);
        }
    }
    CHECK_MSG(worst < 1e-4, "max relative error %g", worst);
    clReleaseMemObject(dx);
    clReleaseMemObject(dy);
    tsr_rt_close(b);
}

static void refusals_are_a_code_and_one_line(void)
{
    tsr_rt_bundle *b = NULL;
    char err[512] = "";
    CHECK(tsr_rt_open("/nonexistent-bundle", &b, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK(b == NULL && strstr(err, "/nonexistent-bundle") && !strchr(err, '\n'));
    CHECK(tsr_rt_open(bundle_dir, &b, err, sizeof err) == TSR_RT_OK);
    if (!b)
        return;
    /* No kernel for column-major A in this bundle. */
    CHECK(tsr_rt_gemm_opencl(b, queue, TSR_RT_COL, TSR_RT_ROW, 8, 8, 8, 1.0f, NULL, NULL, 0.0f,
                             NULL, NULL, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no opencl kernel for gemm.f32.a=col.b=row.beta=0");
    CHECK(tsr_rt_gemm_opencl(b, queue, TSR_RT_ROW, TSR_RT_ROW, 0, 8, 8, 1.0f, NULL, NULL, 0.0f,
                             NULL, NULL, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "m=0");
    CHECK(tsr_rt_softmax_opencl(b, queue, 4, -1, NULL, NULL, NULL, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    /* A bundle tuned on PoCL has no CUDA or HIP kernels: said so, before
     * any driver is touched. */
    CHECK(tsr_rt_gemm_cuda(b, NULL, TSR_RT_ROW, TSR_RT_ROW, 8, 8, 8, 1.0f, 0, 0, 0.0f, 0, err,
                           sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no cuda kernel");
    CHECK(tsr_rt_softmax_hip(b, NULL, 4, 4, NULL, NULL, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no hip kernel for softmax.f32");
    CHECK(tsr_rt_kernel_count(b) >= 2);
    tsr_rt_kernel_info info;
    CHECK(tsr_rt_kernel_info_at(b, 0, &info) == TSR_RT_OK && info.op_key && info.time_ms > 0);
    CHECK(tsr_rt_kernel_info_at(b, 999, &info) == TSR_RT_ERR_INPUT);
    tsr_rt_close(b);
}

/* ---- GEMM with a fused epilogue and a batch ---------------------------------- */

static double activation(tsr_rt_activation act, double x)
{
    switch (act) {
    case TSR_RT_ACT_RELU: return x > 0 ? x : 0;
    case TSR_RT_ACT_GELU:
        return 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    case TSR_RT_ACT_SILU: return x / (1 + exp(-x));
    default: return x;
    }
}

/* The operands of one call, on the host and in buffers; C is NaN where
 * beta is 0, so that a kernel that reads it or leaves a value unwritten
 * shows. */
typedef struct gemm_data {
    size_t a_size, b_size, c_size, bias_size;
    float *a, *b, *c, *bias, *r, *out;
    cl_mem da, db, dc, dbias, dr;
} gemm_data;

/* The 16-bit storage of a value that f16 and bf16 both hold exactly (a
 * multiple of 2^-8 in [-1, 1]), as a program would have converted it. */
static uint16_t half_bits(float v, tsr_rt_dtype type)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    if (type == TSR_RT_BF16 || v == 0.0f)
        return (uint16_t)(u >> 16);
    if (isnan(v))
        return 0x7e00u;
    int e;
    float m = frexpf(fabsf(v), &e); /* |v| = m * 2^e, m in [0.5, 1) */
    uint16_t sign = v < 0 ? 0x8000u : 0;
    return (uint16_t)(sign | (uint16_t)(e - 1 + 15) << 10 | (uint16_t)((m * 2.0f - 1.0f) * 1024));
}

/* An operand of `type`: f32 as it is, else rounded to a multiple of 2^-8
 * on the host (so the reference reads what the kernel reads) and uploaded
 * as 16-bit values. */
static cl_mem upload_operand(float *data, size_t n, tsr_rt_dtype type)
{
    if (type == TSR_RT_F32 || type == TSR_RT_TF32)
        return upload(data, n);
    uint16_t *bits = malloc(n * sizeof *bits);
    for (size_t i = 0; bits && i < n; i++) {
        data[i] = roundf(data[i] * 256.0f) / 256.0f;
        bits[i] = half_bits(data[i], type);
    }
    cl_int status;
    cl_mem buffer = bits ? clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                          n * sizeof *bits, bits, &status)
                         : NULL;
    free(bits);
    return buffer;
}

/* A 16-bit value read back, as a program would widen it. */
static float half_value(uint16_t bits, tsr_rt_dtype type)
{
    uint32_t u = (uint32_t)bits << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    if (type == TSR_RT_BF16)
        return f;
    int exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
    float magnitude = exponent == 31 ? (mantissa ? NAN : INFINITY)
                      : exponent     ? ldexpf(1.0f + mantissa / 1024.0f, exponent - 15)
                                     : ldexpf(mantissa / 1024.0f, -14);
    return bits & 0x8000u ? -magnitude : magnitude;
}

static void gemm_data_make(gemm_data *g, const tsr_rt_gemm_desc *d, unsigned seed)
{
    size_t batch = (size_t)d->batch, m = (size_t)d->m, n = (size_t)d->n, k = (size_t)d->k;
    *g = (gemm_data){.a_size = batch * m * k, .b_size = batch * k * n, .c_size = batch * m * n};
    g->bias_size = d->bias == TSR_RT_BIAS_ROW ? m : n;
    g->a = random_floats(g->a_size, seed);
    g->b = random_floats(g->b_size, seed + 1);
    g->c = random_floats(g->c_size, seed + 2);
    g->bias = random_floats(g->bias_size, seed + 3);
    g->r = random_floats(g->c_size, seed + 4);
    g->out = malloc(g->c_size * sizeof *g->out);
    for (size_t i = 0; d->beta == 0.0f && i < g->c_size; i++)
        g->c[i] = NAN;
    g->da = upload_operand(g->a, g->a_size, d->ab_type);
    g->db = upload_operand(g->b, g->b_size, d->ab_type);
    g->dc = upload_operand(g->c, g->c_size, d->c_type);
    g->dbias =
        d->bias != TSR_RT_BIAS_NONE ? upload_operand(g->bias, g->bias_size, d->c_type) : NULL;
    g->dr = d->residual ? upload_operand(g->r, g->c_size, d->c_type) : NULL;
}

static void gemm_data_free(gemm_data *g)
{
    cl_mem buffers[] = {g->da, g->db, g->dc, g->dbias, g->dr};
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
        if (buffers[i])
            clReleaseMemObject(buffers[i]);
    free(g->a);
    free(g->b);
    free(g->c);
    free(g->bias);
    free(g->r);
    free(g->out);
}

/* D[z][i][j] in double, and in *scale the size of what went into it: the
 * products' magnitudes, beta*C and the bias, times the activation's
 * steepest slope (GELU's 1.13), plus R. */
static double gemm_want(const tsr_rt_gemm_desc *d, const gemm_data *g, int z, int i, int j,
                        double *scale)
{
    size_t m = (size_t)d->m, n = (size_t)d->n, k = (size_t)d->k;
    const float *a = g->a + (size_t)z * m * k, *b = g->b + (size_t)z * k * n;
    double sum = 0, mag = 0;
    for (size_t p = 0; p < k; p++) {
        double x = a[d->a_layout == TSR_RT_ROW ? i * k + p : p * m + i];
        double y = b[d->b_layout == TSR_RT_ROW ? p * n + j : j * k + p];
        sum += x * y;
        mag += fabs(x * y);
    }
    size_t at = (size_t)z * m * n + i * n + j;
    double c = d->beta != 0.0f ? d->beta * (double)g->c[at] : 0.0;
    double bias = d->bias == TSR_RT_BIAS_ROW   ? g->bias[i]
                  : d->bias == TSR_RT_BIAS_COL ? g->bias[j]
                                               : 0.0;
    double residual = d->residual ? g->r[at] : 0.0;
    *scale = 1.2 * (fabs(d->alpha) * mag + fabs(c) + fabs(bias)) + fabs(residual);
    return activation(d->activation, d->alpha * sum + c + bias) + residual;
}

/* Launches `d` through tsr_rt_gemm_ex_opencl, checks every element of
 * every problem, and checks that the kernel launched is the entry tuned
 * on `tuned`, so that each case runs the entry it means to. */
static void check_gemm_ex(tsr_rt_bundle *b, const tsr_rt_gemm_desc *d, const char *tuned)
{
    char err[512] = "", key[96];
    gemm_data g;
    gemm_data_make(&g, d, (unsigned)(d->m * 31 + d->batch));
    CHECK_MSG(tsr_rt_gemm_ex_opencl(b, queue, d, g.da, g.db, g.dc, g.dbias, g.dr, NULL, err,
                                    sizeof err) == TSR_RT_OK,
              "%s", err);
    if (d->c_type == TSR_RT_F32) {
        CHECK(clEnqueueReadBuffer(queue, g.dc, CL_TRUE, 0, g.c_size * sizeof(float), g.out, 0, NULL,
                                  NULL) == CL_SUCCESS);
    } else {
        uint16_t *bits = malloc(g.c_size * sizeof *bits);
        CHECK(bits && clEnqueueReadBuffer(queue, g.dc, CL_TRUE, 0, g.c_size * sizeof *bits, bits, 0,
                                          NULL, NULL) == CL_SUCCESS);
        for (size_t i = 0; bits && i < g.c_size; i++)
            g.out[i] = half_value(bits[i], d->c_type);
        free(bits);
    }
    double worst = 0;
    for (int z = 0; z < d->batch; z++)
        for (int i = 0; i < d->m; i++)
            for (int j = 0; j < d->n; j++) {
                double scale, want = gemm_want(d, &g, z, i, j, &scale);
                double e = fabs(g.out[((size_t)z * d->m + i) * d->n + j] - want) / scale;
                worst = isnan(e) ? INFINITY : fmax(worst, e);
            }
    tsr_rt_gemm_desc_key(d, key, sizeof key);
    /* A 16-bit C adds its one rounding: half a unit in its last place;
     * inputs that may be multiplied as tf32, the error of two of them
     * (core/ops/gemm_host.c). */
    double bound = 1e-5 +
                   (d->c_type == TSR_RT_F16    ? ldexp(1.0, -11)
                    : d->c_type == TSR_RT_BF16 ? ldexp(1.0, -8)
                                               : 0.0) +
                   (d->ab_type == TSR_RT_TF32 ? ldexp(1.0, -9) + ldexp(1.0, -20) : 0.0);
    CHECK_MSG(worst < bound, "%s m=%d n=%d k=%d batch=%d: max relative error %g", key, d->m, d->n,
              d->k, d->batch, worst);
    long shape[4] = {d->m, d->n, d->k, d->batch};
    long pick = tsr_rt_pick(b, key, "opencl", shape, 4);
    tsr_rt_kernel_info info = {0};
    CHECK(pick >= 0 && tsr_rt_kernel_info_at(b, (size_t)pick, &info) == TSR_RT_OK);
    CHECK_MSG(info.shape && strcmp(info.shape, tuned) == 0, "%s batch=%d picked %s, not %s", key,
              d->batch, check_text(info.shape), tuned);
    CHECK(pick >= 0 && tsr_rt_loaded_from(b, (size_t)pick) != NULL);
    gemm_data_free(&g);
}

static tsr_rt_gemm_desc desc_of(tsr_rt_layout a, tsr_rt_layout b, float beta, tsr_rt_bias bias,
                                tsr_rt_activation act, bool residual, int batch)
{
    tsr_rt_gemm_desc d;
    tsr_rt_gemm_desc_init(&d, 37, 13, 71);
    d.a_layout = a;
    d.b_layout = b;
    d.alpha = 0.75f;
    d.beta = beta;
    d.bias = bias;
    d.activation = act;
    d.residual = residual;
    d.batch = batch;
    return d;
}

/* Every bias kind, activation and residual on and off, on ragged shapes;
 * kernels tuned on one problem run a batch, kernels tuned on a batch run
 * one problem (test_rt.sh says what the bundle holds). */
static void fused_and_batched_gemm_of_untuned_shapes_is_right(void)
{
    tsr_rt_bundle *b = NULL;
    char err[512] = "";
    CHECK_MSG(tsr_rt_open(bundle_dir, &b, err, sizeof err) == TSR_RT_OK, "%s", err);
    if (!b)
        return;
    const char *batched = "m=32,n=32,k=32,batch=4", *single = "m=32,n=32,k=32";
    for (int batch = 1; batch <= 3; batch += 2) {
        tsr_rt_gemm_desc col_gelu =
            desc_of(TSR_RT_ROW, TSR_RT_ROW, 0.0f, TSR_RT_BIAS_COL, TSR_RT_ACT_GELU, true, batch);
        check_gemm_ex(b, &col_gelu, batch > 1 ? batched : single);
        tsr_rt_gemm_desc row_silu =
            desc_of(TSR_RT_COL, TSR_RT_ROW, -0.5f, TSR_RT_BIAS_ROW, TSR_RT_ACT_SILU, false, batch);
        check_gemm_ex(b, &row_silu, "m=32,n=16,k=32,batch=2");
        tsr_rt_gemm_desc relu =
            desc_of(TSR_RT_ROW, TSR_RT_COL, 0.0f, TSR_RT_BIAS_NONE, TSR_RT_ACT_RELU, true, batch);
        check_gemm_ex(b, &relu, "m=16,n=32,k=16");
        tsr_rt_gemm_desc plain =
            desc_of(TSR_RT_ROW, TSR_RT_ROW, 0.0f, TSR_RT_BIAS_NONE, TSR_RT_ACT_NONE, false, batch);
        check_gemm_ex(b, &plain, "m=64,n=64,k=64");
        /* f32 that may be multiplied as tf32 (ops/sgemm-tf32.yaml). */
        plain.ab_type = TSR_RT_TF32;
        check_gemm_ex(b, &plain, "m=64,n=64,k=64");
        /* f16 and bf16 inputs (test_rt.sh tunes ops/hgemm.yaml and
         * ops/bf16gemm-tn.yaml), into an f32 C. */
        plain.ab_type = TSR_RT_F16;
        check_gemm_ex(b, &plain, "m=64,n=64,k=64");
        tsr_rt_gemm_desc tn =
            desc_of(TSR_RT_COL, TSR_RT_ROW, 1.5f, TSR_RT_BIAS_NONE, TSR_RT_ACT_NONE, false, batch);
        tn.ab_type = TSR_RT_BF16;
        check_gemm_ex(b, &tn, "m=48,n=48,k=48");
        /* 16-bit C, bias and R (test_rt.sh's half-out.yaml). */
        tsr_rt_gemm_desc half_out =
            desc_of(TSR_RT_ROW, TSR_RT_ROW, 1.5f, TSR_RT_BIAS_COL, TSR_RT_ACT_GELU, true, batch);
        half_out.ab_type = TSR_RT_F16;
        half_out.c_type = TSR_RT_F16;
        check_gemm_ex(b, &half_out, "m=40,n=24,k=56");
    }
    tsr_rt_close(b);
}

/* A split-K kernel (test_rt.sh's split.yaml, SK=4) on shapes one after
 * another, each launched twice, on the one workspace the runtime keeps
 * for the queue: each launch must find it as the last left it, zero. A
 * batch, a K shorter than the splits' k-steps, a long one. */
static void split_k_gemm_joins_through_the_runtimes_workspace(void)
{
    tsr_rt_bundle *b = NULL;
    char err[512] = "";
    CHECK_MSG(tsr_rt_open(bundle_dir, &b, err, sizeof err) == TSR_RT_OK, "%s", err);
    if (!b)
        return;
    static const int shapes[][4] = {
        {37, 13, 71, 1}, {5, 70, 1000, 3}, {1, 1, 1, 1}, {64, 48, 2049, 1}, {16, 32, 512, 2}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tsr_rt_gemm_desc d = desc_of(TSR_RT_COL, TSR_RT_COL, 1.0f, TSR_RT_BIAS_COL, TSR_RT_ACT_SILU,
                                     true, shapes[i][3]);
        d.m = shapes[i][0];
        d.n = shapes[i][1];
        d.k = shapes[i][2];
        for (int twice = 0; twice < 2; twice++)
            check_gemm_ex(b, &d, "m=16,n=32,k=512");
    }
    tsr_rt_close(b);
}

static void gemm_desc_key_is_the_stores(void)
{
    char key[96];
    tsr_rt_gemm_desc d =
        desc_of(TSR_RT_ROW, TSR_RT_ROW, 0.0f, TSR_RT_BIAS_COL, TSR_RT_ACT_GELU, true, 8);
    CHECK(strcmp(tsr_rt_gemm_desc_key(&d, key, sizeof key),
                 "gemm.f32.a=row.b=row.beta=0.bias=col.act=gelu.res=1") == 0);
    d = desc_of(TSR_RT_COL, TSR_RT_COL, 2.0f, TSR_RT_BIAS_ROW, TSR_RT_ACT_NONE, false, 1);
    CHECK(strcmp(tsr_rt_gemm_desc_key(&d, key, sizeof key),
                 "gemm.f32.a=col.b=col.beta=1.bias=row") == 0);
    d = desc_of(TSR_RT_ROW, TSR_RT_COL, 0.0f, TSR_RT_BIAS_NONE, TSR_RT_ACT_SILU, true, 1);
    CHECK(strcmp(tsr_rt_gemm_desc_key(&d, key, sizeof key),
                 "gemm.f32.a=row.b=col.beta=0.act=silu.res=1") == 0);
    /* Without an epilogue, the key of the calls from before one. */
    char plain[96];
    tsr_rt_gemm_desc_init(&d, 5, 6, 7);
    CHECK(strcmp(tsr_rt_gemm_desc_key(&d, key, sizeof key),
                 tsr_rt_gemm_key(TSR_RT_ROW, TSR_RT_ROW, false, plain, sizeof plain)) == 0);
    CHECK(strcmp(key, "gemm.f32.a=row.b=row.beta=0") == 0 && d.batch == 1 && d.alpha == 1.0f);
    d.ab_type = TSR_RT_BF16;
    CHECK(strcmp(tsr_rt_gemm_desc_key(&d, key, sizeof key), "gemm.bf16.a=row.b=row.beta=0") == 0);
    d.c_type = TSR_RT_F16;
    CHECK(strcmp(tsr_rt_gemm_desc_key(&d, key, sizeof key),
                 "gemm.bf16.a=row.b=row.beta=0.out=f16") == 0);
    d.c_type = TSR_RT_F32;
    d.ab_type = TSR_RT_TF32;
    CHECK(strcmp(tsr_rt_gemm_desc_key(&d, key, sizeof key),
                 "gemm.f32.a=row.b=row.beta=0.math=tf32") == 0);
    d.c_type = TSR_RT_TF32; /* a type of A and B only */
    CHECK(tsr_rt_gemm_desc_key(&d, key, sizeof key) == NULL);
    d.c_type = TSR_RT_F32;
    d.ab_type = (tsr_rt_dtype)5; /* past TSR_RT_F64 (test_rt_f64 takes f64) */
    CHECK(tsr_rt_gemm_desc_key(&d, key, sizeof key) == NULL);
    d.ab_type = TSR_RT_F32;
    d.activation = (tsr_rt_activation)9;
    CHECK(tsr_rt_gemm_desc_key(&d, key, sizeof key) == NULL);
    /* The bundle's own keys, as the tuner's store wrote them. */
    tsr_rt_bundle *b = NULL;
    CHECK(tsr_rt_open(bundle_dir, &b, NULL, 0) == TSR_RT_OK);
    int found = 0;
    for (size_t i = 0; b && i < tsr_rt_kernel_count(b); i++) {
        tsr_rt_kernel_info info;
        tsr_rt_kernel_info_at(b, i, &info);
        found += strcmp(info.op_key, "gemm.f32.a=col.b=row.beta=1.bias=row.act=silu") == 0;
    }
    CHECK(found == 1);
    tsr_rt_close(b);
}

/* The dispatch rule with a batch: a shape of three values is batch 1, an
 * entry tuned without a batch is batch 1, and batch is one more dim of
 * the distance. */
static void gemm_pick_weighs_the_batch(void)
{
    tsr_rt_bundle *b = NULL;
    CHECK(tsr_rt_open(bundle_dir, &b, NULL, 0) == TSR_RT_OK);
    if (!b)
        return;
    const char *key = "gemm.f32.a=row.b=row.beta=0.bias=col.act=gelu.res=1";
    long three[3] = {32, 32, 32}, one[4] = {32, 32, 32, 1}, four[4] = {32, 32, 32, 4};
    long two[4] = {32, 32, 32, 2}, many[4] = {32, 32, 32, 1000};
    tsr_rt_kernel_info single, batched;
    long pick_single = tsr_rt_pick(b, key, "opencl", one, 4);
    long pick_batched = tsr_rt_pick(b, key, "opencl", four, 4);
    CHECK(pick_single >= 0 && pick_batched >= 0 && pick_single != pick_batched);
    if (pick_single < 0 || pick_batched < 0)
        return tsr_rt_close(b);
    tsr_rt_kernel_info_at(b, (size_t)pick_single, &single);
    tsr_rt_kernel_info_at(b, (size_t)pick_batched, &batched);
    CHECK(strcmp(single.shape, "m=32,n=32,k=32") == 0);
    CHECK(strcmp(batched.shape, "m=32,n=32,k=32,batch=4") == 0);
    CHECK(tsr_rt_pick(b, key, "opencl", three, 3) == pick_single);
    CHECK(tsr_rt_pick(b, key, "opencl", many, 4) == pick_batched);
    /* 2 is one factor of two from each: the tie goes to the larger. */
    CHECK(tsr_rt_pick(b, key, "opencl", two, 4) == pick_batched);
    CHECK(tsr_rt_pick(b, key, "opencl", three, 2) == -1);
    CHECK(tsr_rt_pick(b, key, "opencl", four, 5) == -1);
    tsr_rt_close(b);
}

/* One call with `d` on dummy buffers: its code, its message in err. */
static int call_ex(tsr_rt_bundle *b, const tsr_rt_gemm_desc *d, bool bias, bool r, char *err,
                   size_t err_size)
{
    float zero[4] = {0};
    cl_mem buffer = upload(zero, 4);
    int rc = tsr_rt_gemm_ex_opencl(b, queue, d, buffer, buffer, buffer, bias ? buffer : NULL,
                                   r ? buffer : NULL, NULL, err, err_size);
    clReleaseMemObject(buffer);
    CHECK_MSG(rc == TSR_RT_OK || (err[0] && !strchr(err, '\n')), "message '%s'", err);
    return rc;
}

static void gemm_ex_refusals_are_a_code_and_one_line(void)
{
    tsr_rt_bundle *b = NULL;
    char err[512] = "";
    CHECK(tsr_rt_open(bundle_dir, &b, err, sizeof err) == TSR_RT_OK);
    if (!b)
        return;
    tsr_rt_gemm_desc d,
        good = desc_of(TSR_RT_ROW, TSR_RT_ROW, 0.0f, TSR_RT_BIAS_COL, TSR_RT_ACT_GELU, true, 2);
    d = good, d.batch = 0;
    CHECK(call_ex(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "batch=0: each must be >= 1");
    d = good, d.k = -1;
    CHECK(call_ex(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "k=-1");
    CHECK(call_ex(b, &good, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "asks for a col bias but the bias buffer is NULL");
    CHECK(call_ex(b, &good, true, false, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "asks for a residual but the R buffer is NULL");
    d = good, d.bias = TSR_RT_BIAS_NONE;
    CHECK(call_ex(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "bias buffer given but the desc's bias is TSR_RT_BIAS_NONE");
    d = good, d.residual = false;
    CHECK(call_ex(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "R buffer given but the desc's residual is false");
    d = good, d.bias = (tsr_rt_bias)7;
    CHECK(call_ex(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "bias 7 is not");
    d = good, d.ab_type = (tsr_rt_dtype)5;
    CHECK(call_ex(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "ab_type 5 is not TSR_RT_F32, _F16, _BF16, _TF32 or _F64");
    d = good, d.activation = (tsr_rt_activation)-1;
    CHECK(call_ex(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "activation -1 is not");
    d = good, d.b_layout = (tsr_rt_layout)2;
    CHECK(call_ex(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "b_layout 2 is not");
    CHECK(tsr_rt_gemm_ex_opencl(b, queue, NULL, NULL, NULL, NULL, NULL, NULL, NULL, err,
                                sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "no desc");
    /* The kernels index with 32-bit ints: 65536 x 65536 is past them. */
    d = good, d.m = 65536, d.n = 65536, d.k = 1, d.batch = 1;
    CHECK(call_ex(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "C holds batch x 65536 x 65536 elements");
    /* A well-formed desc the bundle has no kernel for; a NULL C. */
    d = good, d.activation = TSR_RT_ACT_RELU;
    CHECK(call_ex(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no opencl kernel for gemm.f32.a=row.b=row.beta=0.bias=col.act=relu");
    float zero[4] = {0};
    cl_mem buffer = upload(zero, 4);
    CHECK(tsr_rt_gemm_ex_opencl(b, queue, &good, buffer, buffer, NULL, buffer, buffer, NULL, err,
                                sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "argument buffer:C is NULL");
    clReleaseMemObject(buffer);
    /* CUDA and HIP check the desc alike, before any driver is touched. */
    CHECK(tsr_rt_gemm_ex_cuda(b, NULL, &good, 1, 1, 1, 0, 1, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "bias buffer is NULL");
    CHECK(tsr_rt_gemm_ex_cuda(b, NULL, &good, 1, 1, 1, 1, 1, err, sizeof err) ==
          TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no cuda kernel for gemm.f32.a=row.b=row.beta=0.bias=col");
    d = good, d.batch = -3;
    CHECK(tsr_rt_gemm_ex_hip(b, NULL, &d, zero, zero, zero, zero, zero, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "batch=-3");
    CHECK(tsr_rt_gemm_ex_hip(b, NULL, &good, zero, zero, zero, zero, zero, err, sizeof err) ==
          TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no hip kernel");
    tsr_rt_close(b);
}

int main(int argc, char **argv)
{
    int status = check_rt_start(argc, argv);
    if (status >= 0)
        return status;
    RUN_TEST(gemm_of_an_untuned_shape_is_right);
    RUN_TEST(softmax_of_an_untuned_shape_is_right);
    RUN_TEST(refusals_are_a_code_and_one_line);
    RUN_TEST(fused_and_batched_gemm_of_untuned_shapes_is_right);
    RUN_TEST(split_k_gemm_joins_through_the_runtimes_workspace);
    RUN_TEST(gemm_desc_key_is_the_stores);
    RUN_TEST(gemm_pick_weighs_the_batch);
    RUN_TEST(gemm_ex_refusals_are_a_code_and_one_line);
    return check_rt_finish();
}
