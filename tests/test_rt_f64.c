/* libtessera-rt's f64 GEMM on PoCL through OpenCL: a bundle's dgemm
 * (plain, and with every part of the epilogue over a batch) on shapes
 * never tuned, with alpha and beta that no float holds, checked against a
 * long double reference within f64's bound; and the descs an f64 GEMM
 * refuses, each a code and one line.
 *
 * usage: test_rt_f64 BUNDLE_DIR   (tests/test_rt.sh makes the bundle) */
#define CL_TARGET_OPENCL_VERSION 120
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CL/cl.h>
#include <tessera/tessera_rt.h>
#include <tessera/tessera_rt_cuda.h>
#include <tessera/tessera_rt_opencl.h>

#include "tests/check.h"
#include "tests/check_cl_queue.h"
#include "tests/check_rt_opencl.h"

/* Uniform in [-1, 1) with 53 random bits, never 0: an f32 step anywhere
 * (a float alpha, a float product) shows at once. */
static double next_double(unsigned long long *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    double value = (double)(*state >> 11) * 0x1p-52 - 1.0;
    return value != 0.0 ? value : 0.5;
}

static double *random_doubles(size_t n, unsigned long long seed)
{
    double *data = malloc((n + GUARD) * sizeof *data);
    for (size_t i = 0; data && i < n; i++)
        data[i] = next_double(&seed);
    return data;
}

/* n values and then GUARD guards, uploaded: an output's guards show a
 * store past its end. */
static cl_mem upload_doubles(double *data, size_t n)
{
    for (size_t i = n; i < n + GUARD; i++)
        data[i] = guard_value;
    cl_int status;
    return clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                          (n + GUARD) * sizeof *data, data, &status);
}

static long double activation(tsr_rt_activation act, long double x)
{
    switch (act) {
    case TSR_RT_ACT_RELU: return x > 0 ? x : 0;
    case TSR_RT_ACT_GELU:
        return 0.5L * x * (1 + tanhl(0.79788456080286535588L * (x + 0.044715L * x * x * x)));
    case TSR_RT_ACT_SILU: return x / (1 + expl(-x));
    default: return x;
    }
}

typedef struct dgemm_data {
    size_t a_size, b_size, c_size, bias_size;
    double *a, *b, *c, *bias, *r;
    cl_mem da, db, dc, dbias, dr;
} dgemm_data;

/* The operands of `d`, random; C is NaN where beta is 0, so that a kernel
 * that reads it or leaves a value unwritten shows. */
static void dgemm_data_make(dgemm_data *g, const tsr_rt_gemm_desc *d, unsigned long long seed)
{
    size_t batch = (size_t)d->batch, m = (size_t)d->m, n = (size_t)d->n, k = (size_t)d->k;
    *g = (dgemm_data){.a_size = batch * m * k, .b_size = batch * k * n, .c_size = batch * m * n};
    g->bias_size = d->bias == TSR_RT_BIAS_ROW ? m : n;
    g->a = random_doubles(g->a_size, seed);
    g->b = random_doubles(g->b_size, seed + 1);
    g->c = random_doubles(g->c_size, seed + 2);
    g->bias = random_doubles(g->bias_size, seed + 3);
    g->r = random_doubles(g->c_size, seed + 4);
    for (size_t i = 0; d->beta == 0.0 && g->c && i < g->c_size; i++)
        g->c[i] = NAN;
    g->da = upload_doubles(g->a, g->a_size);
    g->db = upload_doubles(g->b, g->b_size);
    g->dc = upload_doubles(g->c, g->c_size);
    g->dbias = d->bias != TSR_RT_BIAS_NONE ? upload_doubles(g->bias, g->bias_size) : NULL;
    g->dr = d->residual ? upload_doubles(g->r, g->c_size) : NULL;
}

static void dgemm_data_free(dgemm_data *g)
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
}

/* D[z][i][j] in long double, and in *scale the size of what went into it
 * (the products' magnitudes, beta*C and the bias, times GELU's steepest
 * slope, 1.13; plus R). */
static long double dgemm_want(const tsr_rt_gemm_desc *d, const dgemm_data *g, int z, int i, int j,
                              long double *scale)
{
    size_t m = (size_t)d->m, n = (size_t)d->n, k = (size_t)d->k;
    const double *a = g->a + (size_t)z * m * k, *b = g->b + (size_t)z * k * n;
    long double sum = 0, mag = 0;
    for (size_t p = 0; p < k; p++) {
        long double x = a[d->a_layout == TSR_RT_ROW ? i * k + p : p * m + i];
        long double y = b[d->b_layout == TSR_RT_ROW ? p * n + j : j * k + p];
        sum += x * y;
        mag += fabsl(x * y);
    }
    size_t at = (size_t)z * m * n + i * n + j;
    long double c = d->beta != 0.0 ? (long double)d->beta * g->c[at] : 0.0L;
    long double bias = d->bias == TSR_RT_BIAS_ROW   ? g->bias[i]
                       : d->bias == TSR_RT_BIAS_COL ? g->bias[j]
                                                    : 0.0L;
    long double residual = d->residual ? g->r[at] : 0.0L;
    *scale = 1.2L * (fabsl((long double)d->alpha) * mag + fabsl(c) + fabsl(bias)) + fabsl(residual);
    return activation(d->activation, (long double)d->alpha * sum + c + bias) + residual;
}

/* Launches `d`, checks every element of every problem within f64's bound
 * (tessera's own for f64: (16 sqrt(k) + 64) units of 2^-53, core/ops/
 * gemm_host.c) and the guards past C, and that the entry tuned on
 * `tuned` ran. */
static void check_dgemm(tsr_rt_bundle *b, const tsr_rt_gemm_desc *d, const char *tuned)
{
    char err[512] = "", key[96];
    dgemm_data g;
    dgemm_data_make(&g, d, (unsigned long long)d->m * 131 + (unsigned long long)d->batch);
    CHECK_MSG(tsr_rt_gemm_ex_opencl(b, queue, d, g.da, g.db, g.dc, g.dbias, g.dr, NULL, err,
                                    sizeof err) == TSR_RT_OK,
              "%s", err);
    double *out = malloc((g.c_size + GUARD) * sizeof *out);
    CHECK(out && clEnqueueReadBuffer(queue, g.dc, CL_TRUE, 0, (g.c_size + GUARD) * sizeof *out, out,
                                     0, NULL, NULL) == CL_SUCCESS);
    long double worst = 0;
    int spoiled = 0;
    for (size_t i = g.c_size; out && i < g.c_size + GUARD; i++)
        spoiled += out[i] != guard_value;
    for (int z = 0; out && z < d->batch; z++)
        for (int i = 0; i < d->m; i++)
            for (int j = 0; j < d->n; j++) {
                long double scale, want = dgemm_want(d, &g, z, i, j, &scale);
                long double e = fabsl(out[((size_t)z * d->m + i) * d->n + j] - want) / scale;
                worst = isnan(e) ? INFINITY : fmaxl(worst, e);
            }
    tsr_rt_gemm_desc_key(d, key, sizeof key);
    double bound = (16 * sqrt(d->k) + 64) * 0x1p-53;
    CHECK_MSG(worst < bound, "%s m=%d n=%d k=%d batch=%d: max relative error %Lg (bound %g)", key,
              d->m, d->n, d->k, d->batch, worst, bound);
    CHECK_MSG(spoiled == 0, "%s: %d values past C's end were written", key, spoiled);
    long shape[4] = {d->m, d->n, d->k, d->batch};
    check_ran(b, key, shape, 4, tuned);
    free(out);
    dgemm_data_free(&g);
}

static tsr_rt_gemm_desc f64_desc(int m, int n, int k)
{
    tsr_rt_gemm_desc d;
    tsr_rt_gemm_desc_init(&d, m, n, k);
    d.ab_type = TSR_RT_F64;
    d.c_type = TSR_RT_F64;
    return d;
}

/* test_rt.sh tunes ops/dgemm.yaml at 64^3 and rt-f64-fused (A
 * column-major, beta 1, a column bias, GELU and R) with a batch of 2. */
static void dgemm_of_untuned_shapes_is_right(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    /* 0.1 and 0.3 are not floats: passed as floats, they are off by about
     * 1e-9 of themselves, far past the bound. */
    tsr_rt_gemm_desc d = f64_desc(57, 33, 71);
    d.alpha = 0.1;
    check_dgemm(b, &d, "m=64,n=64,k=64");
    d = f64_desc(1, 1, 1);
    check_dgemm(b, &d, "m=64,n=64,k=64");
    d = f64_desc(37, 13, 129);
    d.a_layout = TSR_RT_COL;
    d.alpha = -0.7;
    d.beta = 0.3;
    d.bias = TSR_RT_BIAS_COL;
    d.activation = TSR_RT_ACT_GELU;
    d.residual = true;
    d.batch = 3;
    check_dgemm(b, &d, "m=32,n=16,k=32,batch=2");
    d.batch = 1;
    d.m = 70;
    check_dgemm(b, &d, "m=32,n=16,k=32,batch=2");
    tsr_rt_close(b);
}

/* The key of each form, and the store's key for the entries the bundle
 * holds. */
static void f64_desc_key_is_the_stores(void)
{
    char key[96];
    tsr_rt_gemm_desc d = f64_desc(5, 6, 7);
    const char *made = tsr_rt_gemm_desc_key(&d, key, sizeof key);
    CHECK_MSG(made && strcmp(made, "gemm.f64.a=row.b=row.beta=0") == 0, "%s", check_text(made));
    d.a_layout = TSR_RT_COL;
    d.beta = 1e-300; /* nonzero as a double, zero as a float */
    d.bias = TSR_RT_BIAS_COL;
    d.activation = TSR_RT_ACT_GELU;
    d.residual = true;
    made = tsr_rt_gemm_desc_key(&d, key, sizeof key);
    CHECK_MSG(made && strcmp(made, "gemm.f64.a=col.b=row.beta=1.bias=col.act=gelu.res=1") == 0,
              "%s", check_text(made));
    tsr_rt_bundle *b = open_bundle();
    int found = 0;
    for (size_t i = 0; b && i < tsr_rt_kernel_count(b); i++) {
        tsr_rt_kernel_info info;
        tsr_rt_kernel_info_at(b, i, &info);
        found += strcmp(info.op_key, key) == 0 ||
                 strcmp(info.op_key, "gemm.f64.a=row.b=row.beta=0") == 0;
    }
    CHECK_MSG(found == 2, "the bundle holds %d of the 2 f64 entries", found);
    /* Only one side f64: no key. */
    tsr_rt_dtype halves[][2] = {{TSR_RT_F64, TSR_RT_F32},
                                {TSR_RT_F32, TSR_RT_F64},
                                {TSR_RT_TF32, TSR_RT_F64},
                                {TSR_RT_F64, TSR_RT_F16}};
    for (size_t i = 0; i < sizeof halves / sizeof halves[0]; i++) {
        d.ab_type = halves[i][0];
        d.c_type = halves[i][1];
        CHECK_MSG(tsr_rt_gemm_desc_key(&d, key, sizeof key) == NULL, "ab_type %d, c_type %d",
                  (int)halves[i][0], (int)halves[i][1]);
    }
    tsr_rt_close(b);
}

/* What an f64 desc gets wrong, refused before anything runs: a code and
 * one line that names the types, through OpenCL and CUDA alike. */
static void f64_refusals_are_a_code_and_one_line(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    char err[512] = "";
    double zero[4 + GUARD] = {0};
    cl_mem buffer = upload_doubles(zero, 4);
    tsr_rt_gemm_desc d = f64_desc(2, 2, 2);
    d.c_type = TSR_RT_F32;
    CHECK(tsr_rt_gemm_ex_opencl(b, queue, &d, buffer, buffer, buffer, NULL, NULL, NULL, err,
                                sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "ab_type f64 with c_type f32: an f64 GEMM reads and writes "
                            "TSR_RT_F64 only (set both)");
    CHECK(!strchr(err, '\n'));
    d = f64_desc(2, 2, 2);
    d.ab_type = TSR_RT_TF32;
    CHECK(tsr_rt_gemm_ex_cuda(b, NULL, &d, 1, 1, 1, 0, 0, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "ab_type tf32 with c_type f64");
    d = f64_desc(2, 2, 2);
    d.c_type = (tsr_rt_dtype)5;
    CHECK(tsr_rt_gemm_ex_opencl(b, queue, &d, buffer, buffer, buffer, NULL, NULL, NULL, err,
                                sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "c_type 5 is not TSR_RT_F32, _F16, _BF16 or _F64");
    /* Well formed, and no such kernel in the bundle (no ReLU was tuned). */
    d = f64_desc(2, 2, 2);
    d.activation = TSR_RT_ACT_RELU;
    CHECK(tsr_rt_gemm_ex_opencl(b, queue, &d, buffer, buffer, buffer, NULL, NULL, NULL, err,
                                sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no opencl kernel for gemm.f64.a=row.b=row.beta=0.act=relu");
    clReleaseMemObject(buffer);
    tsr_rt_close(b);
}

int main(int argc, char **argv)
{
    int early = check_rt_start(argc, argv);
    if (early >= 0)
        return early;
    RUN_TEST(dgemm_of_untuned_shapes_is_right);
    RUN_TEST(f64_desc_key_is_the_stores);
    RUN_TEST(f64_refusals_are_a_code_and_one_line);
    return check_rt_finish();
}
