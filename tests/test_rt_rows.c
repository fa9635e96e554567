/* libtessera-rt on PoCL through OpenCL, with nothing of libtessera: a
 * bundle's row ops (softmax, rmsnorm, layernorm, reduce, along the last
 * axis and the middle one) and permutes (a
 * transpose, 4-D permutes that keep and move the innermost dim) launched
 * through tsr_rt_rows_opencl and tsr_rt_permute_opencl on shapes never
 * tuned, every element checked against a double-precision reference on
 * poisoned outputs with guards past their end; and the calls' refusals,
 * each a code and one line.
 *
 * usage: test_rt_rows BUNDLE_DIR   (tests/test_rt.sh makes the bundle) */
#define CL_TARGET_OPENCL_VERSION 120
#include <limits.h>
#include <math.h>
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

/* ---- row ops ------------------------------------------------------------- */

/* Row r of the op's result in double into want (cols values, one for a
 * reduction), with the size each value's rounding scales with. */
static void rows_want(const tsr_rt_rows_desc *d, const float *x, const float *gamma,
                      const float *beta, double *want, double *scale)
{
    int cols = d->cols;
    double sum = 0, abs_sum = 0, squares = 0, top = -INFINITY;
    for (int c = 0; c < cols; c++) {
        sum += x[c];
        abs_sum += fabs(x[c]);
        squares += (double)x[c] * x[c];
        top = fmax(top, x[c]);
    }
    double mean = sum / cols, deviations = 0, exps = 0;
    for (int c = 0; c < cols; c++) {
        deviations += (x[c] - mean) * (x[c] - mean);
        exps += exp(x[c] - top);
    }
    double eps = d->eps;
    for (int c = 0; c < cols; c++) {
        switch (d->op) {
        case TSR_RT_SOFTMAX: want[c] = exp(x[c] - top) / exps, scale[c] = want[c]; break;
        case TSR_RT_RMSNORM: {
            want[c] = x[c] / sqrt(squares / cols + eps) * gamma[c];
            scale[c] = fabs(want[c]);
            break;
        }
        case TSR_RT_LAYERNORM: {
            double inv = 1.0 / sqrt(deviations / cols + eps);
            want[c] = (x[c] - mean) * inv * gamma[c] + beta[c];
            scale[c] = (fabs(x[c]) + fabs(mean)) * inv * fabs(gamma[c]) + fabs(beta[c]);
            break;
        }
        default: break;
        }
    }
    if (d->op == TSR_RT_REDUCE_SUM)
        want[0] = sum, scale[0] = abs_sum;
}

/* Launches `d` on random X, gamma and beta, and checks every value of Y
 * against rows_want with the tuner's own bound for these ops: a few ulp
 * plus rounding that grows like sqrt(cols). */
static void check_rows(tsr_rt_bundle *b, const tsr_rt_rows_desc *d, const char *tuned)
{
    char err[512] = "", key[96], what[160];
    tsr_rt_rows_desc_key(d, key, sizeof key);
    snprintf(what, sizeof what, "%s rows=%d cols=%d eps=%g", key, d->rows, d->cols, (double)d->eps);
    size_t rows = (size_t)d->rows, cols = (size_t)d->cols;
    bool reduces = d->op == TSR_RT_REDUCE_SUM, norm = d->op == TSR_RT_RMSNORM,
         layer = d->op == TSR_RT_LAYERNORM;
    size_t y_size = reduces ? rows : rows * cols;
    float *x = random_scaled(rows * cols, (unsigned)(rows * 131 + cols), 4.0f);
    float *gamma = random_scaled(cols, 3, 2.0f), *beta = random_scaled(cols, 5, 1.0f);
    cl_mem dx = upload(x, rows * cols), dgamma = upload(gamma, cols), dbeta = upload(beta, cols);
    cl_mem dy = poisoned_output(y_size);
    CHECK_MSG(tsr_rt_rows_opencl(b, queue, d, dx, norm || layer ? dgamma : NULL,
                                 layer ? dbeta : NULL, dy, NULL, err, sizeof err) == TSR_RT_OK,
              "%s: %s", what, err);
    float *y = read_output(dy, y_size, what);
    double *want = malloc(cols * sizeof *want), *scale = malloc(cols * sizeof *scale);
    double worst = 0, bound = (16.0 + 4.0 * sqrt((double)cols)) * ldexp(1.0, -23);
    for (size_t r = 0; y && want && scale && r < rows; r++) {
        rows_want(d, x + r * cols, gamma, beta, want, scale);
        for (size_t c = 0; c < (reduces ? 1 : cols); c++) {
            double e = fabs(y[reduces ? r : r * cols + c] - want[c]) / fmax(scale[c], 1e-30);
            worst = isnan(e) ? INFINITY : fmax(worst, e);
        }
    }
    CHECK_MSG(worst <= bound, "%s: max relative error %g, bound %g", what, worst, bound);
    long shape[2] = {d->rows, d->cols};
    check_ran(b, key, shape, 2, tuned);
    free(want);
    free(scale);
    free(y);
    free(x);
    free(gamma);
    free(beta);
    clReleaseMemObject(dx);
    clReleaseMemObject(dgamma);
    clReleaseMemObject(dbeta);
    clReleaseMemObject(dy);
}

/* Each row op on ragged shapes: one element, rows of fewer and of more
 * columns than a work-group has threads, more rows than tuned, a prime
 * column count; eps off its default, so that a kernel not given the
 * desc's eps is off by far more than the bound. */
static void row_ops_of_untuned_shapes_are_right(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    static const tsr_rt_row_op ops[] = {TSR_RT_SOFTMAX, TSR_RT_RMSNORM, TSR_RT_LAYERNORM,
                                        TSR_RT_REDUCE_SUM};
    static const int shapes[][2] = {{1, 1}, {13, 1001}, {5, 37}, {130, 2}, {3, 4099}};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            tsr_rt_rows_desc d;
            tsr_rt_rows_desc_init(&d, ops[o], shapes[s][0], shapes[s][1]);
            check_rows(b, &d, "rows=16,cols=512");
            if (ops[o] == TSR_RT_RMSNORM || ops[o] == TSR_RT_LAYERNORM) {
                d.eps = 0.75f;
                check_rows(b, &d, "rows=16,cols=512");
            }
        }
    tsr_rt_close(b);
}

/* Long rows through the bundle's split reduction (CHUNK=4096, tuned on
 * one row of 2^20): every group of a row puts its part in the runtime's
 * workspace, and the last adds them. Each shape runs twice on the same
 * queue and workspace, so a kernel that did not set its counts back to
 * zero would fail the second time; and the shapes follow each other on
 * one workspace, so a layout whose counts of one shape fall on another's
 * parts would fail too. */
static void split_rows_join_through_the_runtimes_workspace(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    static const int shapes[][2] = {
        {1, 1048576}, {3, 300007}, {2, 999999}, {1, 65537}, {1, 1048576}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        tsr_rt_rows_desc d;
        tsr_rt_rows_desc_init(&d, TSR_RT_REDUCE_SUM, shapes[s][0], shapes[s][1]);
        check_rows(b, &d, "rows=1,cols=1048576");
        check_rows(b, &d, "rows=1,cols=1048576");
    }
    long shape[2] = {1, 1048576};
    long pick = tsr_rt_pick(b, "reduce.f32.kind=sum", "opencl", shape, 2);
    tsr_rt_kernel_info info = {0};
    CHECK(pick >= 0 && tsr_rt_kernel_info_at(b, (size_t)pick, &info) == TSR_RT_OK);
    CHECK_MSG(info.config && strstr(info.config, "CHUNK=4096"), "picked %s",
              check_text(info.config));
    tsr_rt_close(b);
}

/* Means along the middle axis through the bundle's kernel (tuned on 4 x
 * 64 x 96): Y[r][i] the mean over c of X[r][c][i], checked against a
 * double reference on every value, on shapes never tuned: one element
 * and a lone inner col, an inner that is no whole number of vectors or
 * of a group's window, and long reduced dims. */
static void middle_axis_means_run_through_the_runtime(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    static const int shapes[][3] = {{1, 1, 2}, {3, 100, 37}, {2, 5, 1030}, {1, 4097, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int rows = shapes[s][0], cols = shapes[s][1], inner = shapes[s][2];
        tsr_rt_rows_desc d;
        tsr_rt_rows_desc_init(&d, TSR_RT_REDUCE_MEAN, rows, cols);
        d.inner = inner;
        char err[512] = "", key[96], what[160];
        tsr_rt_rows_desc_key(&d, key, sizeof key);
        snprintf(what, sizeof what, "%s rows=%d cols=%d inner=%d", key, rows, cols, inner);
        size_t x_size = (size_t)rows * cols * inner, y_size = (size_t)rows * inner;
        float *x = random_scaled(x_size, (unsigned)(rows * 131 + cols + inner), 4.0f);
        cl_mem dx = upload(x, x_size), dy = poisoned_output(y_size);
        CHECK_MSG(tsr_rt_rows_opencl(b, queue, &d, dx, NULL, NULL, dy, NULL, err, sizeof err) ==
                      TSR_RT_OK,
                  "%s: %s", what, err);
        float *y = read_output(dy, y_size, what);
        double worst = 0, bound = (16.0 + 4.0 * sqrt((double)cols)) * ldexp(1.0, -23);
        for (size_t o = 0; y && o < y_size; o++) {
            size_t r = o / (size_t)inner, i = o % (size_t)inner;
            double sum = 0, abs_sum = 0;
            for (size_t c = 0; c < (size_t)cols; c++) {
                double v = x[(r * (size_t)cols + c) * (size_t)inner + i];
                sum += v;
                abs_sum += fabs(v);
            }
            double e = fabs(y[o] - sum / cols) / fmax(abs_sum / cols, 1e-30);
            worst = isnan(e) ? INFINITY : fmax(worst, e);
        }
        CHECK_MSG(worst <= bound, "%s: max relative error %g, bound %g", what, worst, bound);
        long shape[3] = {rows, cols, inner};
        check_ran(b, key, shape, 3, "rows=4,cols=64,inner=96");
        free(y);
        free(x);
        clReleaseMemObject(dx);
        clReleaseMemObject(dy);
    }
    tsr_rt_close(b);
}

static void rows_desc_key_is_the_stores(void)
{
    static const struct {
        tsr_rt_row_op op;
        const char *key;
        float eps;
    } cases[] = {
        {TSR_RT_SOFTMAX, "softmax.f32", 0.0f},
        {TSR_RT_RMSNORM, "rmsnorm.f32", 1e-6f},
        {TSR_RT_LAYERNORM, "layernorm.f32", 1e-5f},
        {TSR_RT_REDUCE_SUM, "reduce.f32.kind=sum", 0.0f},
        {TSR_RT_REDUCE_MAX, "reduce.f32.kind=max", 0.0f},
        {TSR_RT_REDUCE_MEAN, "reduce.f32.kind=mean", 0.0f},
        {TSR_RT_REDUCE_L2, "reduce.f32.kind=l2", 0.0f},
    };
    char key[96];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tsr_rt_rows_desc d;
        tsr_rt_rows_desc_init(&d, cases[i].op, 4, 8);
        const char *got = tsr_rt_rows_desc_key(&d, key, sizeof key);
        CHECK_MSG(got && strcmp(got, cases[i].key) == 0, "%s, not %s", check_text(got),
                  cases[i].key);
        CHECK(d.eps == cases[i].eps && d.rows == 4 && d.cols == 8 && d.dtype == TSR_RT_F32 &&
              d.inner == 1);
    }
    tsr_rt_rows_desc d;
    tsr_rt_rows_desc_init(&d, TSR_RT_SOFTMAX, 4, 8);
    d.dtype = TSR_RT_F16;
    CHECK(strcmp(check_text(tsr_rt_rows_desc_key(&d, key, sizeof key)), "softmax.f16") == 0);
    d.dtype = (tsr_rt_dtype)7;
    CHECK(tsr_rt_rows_desc_key(&d, key, sizeof key) == NULL);
    tsr_rt_rows_desc_init(&d, (tsr_rt_row_op)7, 4, 8);
    CHECK(tsr_rt_rows_desc_key(&d, key, sizeof key) == NULL && d.eps == 0.0f);
    CHECK(tsr_rt_rows_desc_key(NULL, key, sizeof key) == NULL);
    /* An inner dim: the middle axis's kernels. */
    tsr_rt_rows_desc_init(&d, TSR_RT_REDUCE_L2, 4, 8);
    d.inner = 3;
    CHECK(strcmp(check_text(tsr_rt_rows_desc_key(&d, key, sizeof key)),
                 "reduce.f32.kind=l2.axis=middle") == 0);
}

/* One row call on dummy buffers; X, gamma, beta and Y given as asked. Its
 * code, and its message, which must be one line. */
static int call_rows(tsr_rt_bundle *b, const tsr_rt_rows_desc *d, bool x, bool gamma, bool beta,
                     bool y, char *err, size_t err_size)
{
    cl_mem buffers[4];
    given_buffers("1111", buffers, 4);
    err[0] = '\0';
    int rc =
        tsr_rt_rows_opencl(b, queue, d, x ? buffers[0] : NULL, gamma ? buffers[1] : NULL,
                           beta ? buffers[2] : NULL, y ? buffers[3] : NULL, NULL, err, err_size);
    release_buffers(buffers, 4);
    CHECK_MSG(rc == TSR_RT_OK || (err[0] && !strchr(err, '\n')), "message '%s'", err);
    return rc;
}

static void rows_refusals_are_a_code_and_one_line(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    char err[512];
    tsr_rt_rows_desc d, norm, layer;
    tsr_rt_rows_desc_init(&norm, TSR_RT_RMSNORM, 2, 2);
    tsr_rt_rows_desc_init(&layer, TSR_RT_LAYERNORM, 2, 2);
    CHECK(call_rows(b, &norm, true, true, false, true, err, sizeof err) == TSR_RT_OK);
    CHECK(call_rows(b, &layer, true, true, true, true, err, sizeof err) == TSR_RT_OK);
    /* Sizes, eps, the op's enum. */
    d = norm, d.rows = 0;
    CHECK(call_rows(b, &d, true, true, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "rmsnorm rows=0 cols=2: each must be >= 1");
    d = layer, d.cols = -5;
    CHECK(call_rows(b, &d, true, true, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "cols=-5");
    d = norm, d.rows = 65536, d.cols = 65536;
    CHECK(call_rows(b, &d, true, true, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "rows x cols at most 2147483647");
    /* An inner dim: at least 1, a reduction's alone, inside 32-bit indices. */
    tsr_rt_rows_desc_init(&d, TSR_RT_REDUCE_SUM, 2, 2);
    d.inner = 0;
    CHECK(call_rows(b, &d, true, false, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "reduce sum inner=0: must be 1 or more");
    d = norm, d.inner = 4;
    CHECK(call_rows(b, &d, true, true, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "rmsnorm inner=4: must be 1 (only a reduction has an inner dim)");
    tsr_rt_rows_desc_init(&d, TSR_RT_REDUCE_MEAN, 65536, 2);
    d.inner = 16384;
    CHECK(call_rows(b, &d, true, false, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "rows=65536 cols=2 inner=16384: rows x cols x inner must be at most "
                            "2147483647");
    d.rows = d.cols = d.inner = INT_MAX;
    CHECK(call_rows(b, &d, true, false, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "rows x cols at most 2147483647");
    d = norm, d.eps = -1e-3f;
    CHECK(call_rows(b, &d, true, true, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "rmsnorm eps=-0.001: must be finite and >= 0");
    d = layer, d.eps = NAN;
    CHECK(call_rows(b, &d, true, true, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "layernorm eps=nan");
    d = norm, d.op = (tsr_rt_row_op)9;
    CHECK(call_rows(b, &d, true, true, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "op 9 is not TSR_RT_SOFTMAX");
    d = norm, d.dtype = (tsr_rt_dtype)-2;
    CHECK(call_rows(b, &d, true, true, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "dtype -2 is not TSR_RT_F32");
    CHECK(tsr_rt_rows_opencl(b, queue, NULL, NULL, NULL, NULL, NULL, NULL, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "no desc");
    /* gamma and beta exactly when the op reads them; X and Y always. */
    CHECK(call_rows(b, &norm, true, false, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "rmsnorm reads gamma, but it is NULL");
    CHECK(call_rows(b, &norm, true, true, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "beta buffer given, but rmsnorm reads none");
    CHECK(call_rows(b, &layer, true, true, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "layernorm reads beta, but it is NULL");
    tsr_rt_rows_desc_init(&d, TSR_RT_SOFTMAX, 2, 2);
    CHECK(call_rows(b, &d, true, true, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "gamma buffer given, but softmax reads none");
    CHECK(call_rows(b, &d, false, false, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "softmax.f32: the kernel's argument buffer:X is NULL");
    CHECK(call_rows(b, &layer, true, true, true, false, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "argument buffer:Y is NULL");
    /* Valid descs the bundle has no kernel for. */
    tsr_rt_rows_desc_init(&d, TSR_RT_REDUCE_MAX, 2, 2);
    CHECK(call_rows(b, &d, true, false, false, true, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no opencl kernel for reduce.f32.kind=max");
    d.inner = 3;
    CHECK(call_rows(b, &d, true, false, false, true, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no opencl kernel for reduce.f32.kind=max.axis=middle");
    d = norm, d.dtype = TSR_RT_F16;
    CHECK(call_rows(b, &d, true, true, false, true, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no opencl kernel for rmsnorm.f16");
    /* CUDA and HIP check the desc alike, before any driver is touched. */
    CHECK(tsr_rt_rows_cuda(b, NULL, &norm, 1, 0, 0, 1, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "rmsnorm reads gamma");
    CHECK(tsr_rt_rows_cuda(b, NULL, &norm, 1, 1, 0, 1, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no cuda kernel for rmsnorm.f32");
    float dummy[4];
    d = layer, d.rows = -1;
    CHECK(tsr_rt_rows_hip(b, NULL, &d, dummy, dummy, dummy, dummy, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "layernorm rows=-1");
    CHECK(tsr_rt_rows_hip(b, NULL, &layer, dummy, dummy, dummy, dummy, err, sizeof err) ==
          TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no hip kernel for layernorm.f32");
    tsr_rt_close(b);
}

/* ---- permutes ------------------------------------------------------------ */

/* Y of X (dims, perm) in double: Y's elements in order, each found in X
 * by its index along each of Y's dims. */
static void permute_want(int rank, const int *dims, const int *perm, const float *x, double *want)
{
    long stride[TSR_RT_MAX_RANK], index[TSR_RT_MAX_RANK] = {0}, elems = 1;
    for (int d = rank - 1; d >= 0; d--) {
        stride[d] = elems;
        elems *= dims[d];
    }
    for (long k = 0; k < elems; k++) {
        long from = 0;
        for (int i = 0; i < rank; i++)
            from += index[i] * stride[perm[i]];
        want[k] = x[from];
        for (int i = rank - 1; i >= 0 && ++index[i] == dims[perm[i]]; i--)
            index[i] = 0;
    }
}

/* Launches the permute on X of distinct values and checks every element
 * of Y for equality (a permute computes nothing, so any difference is a
 * fault). */
static void check_permute(tsr_rt_bundle *b, int rank, const int *dims, const int *perm,
                          const char *tuned)
{
    char err[512] = "", key[96], what[160];
    tsr_rt_permute_desc d;
    tsr_rt_permute_desc_init(&d, rank, dims, perm);
    tsr_rt_permute_desc_key(&d, key, sizeof key);
    size_t elems = 1;
    for (int i = 0; i < rank; i++)
        elems *= (size_t)dims[i];
    snprintf(what, sizeof what, "%s dims=%d,%d,%d,%d", key, d.dims[0], d.dims[1], d.dims[2],
             d.dims[3]);
    float *x = malloc(elems * sizeof *x);
    double *want = malloc(elems * sizeof *want);
    for (size_t i = 0; x && i < elems; i++)
        x[i] = (float)i + 0.5f; /* exact below 2^23 */
    cl_mem dx = upload(x, elems), dy = poisoned_output(elems);
    CHECK_MSG(tsr_rt_permute_opencl(b, queue, &d, dx, dy, NULL, err, sizeof err) == TSR_RT_OK,
              "%s: %s", what, err);
    float *y = read_output(dy, elems, what);
    size_t wrong = 0, first = 0;
    if (y && want) {
        permute_want(rank, dims, perm, x, want);
        for (size_t i = elems; i-- > 0;)
            if (!(y[i] == want[i]))
                wrong++, first = i;
    }
    CHECK_MSG(y && want && wrong == 0, "%s: %zu of %zu elements wrong, the first at %zu", what,
              wrong, elems, first);
    long shape[TSR_RT_MAX_RANK] = {d.dims[0], d.dims[1], d.dims[2], d.dims[3]};
    check_ran(b, key, shape, TSR_RT_MAX_RANK, tuned);
    free(x);
    free(y);
    free(want);
    clReleaseMemObject(dx);
    clReleaseMemObject(dy);
}

/* Ragged shapes (primes, 1s, non-multiples of every window) for each perm
 * test_rt.sh tuned: through a shared tile (the transpose, [0, 3, 1, 2],
 * which also loops over d0) and straight ([0, 2, 1, 3]). */
static void permutes_of_untuned_shapes_are_right(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    static const int transpose[2] = {1, 0}, heads[4] = {0, 2, 1, 3}, nchw[4] = {0, 3, 1, 2};
    static const int matrices[][2] = {{37, 53}, {1, 129}, {129, 1}, {300, 7}, {1, 1}};
    for (size_t i = 0; i < sizeof matrices / sizeof matrices[0]; i++)
        check_permute(b, 2, matrices[i], transpose, "d0=64,d1=48");
    static const int tensors[][4] = {{3, 37, 5, 19}, {1, 1, 1, 1}, {2, 70, 3, 33}, {5, 1, 17, 2}};
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++) {
        check_permute(b, 4, tensors[i], heads, "d0=2,d1=16,d2=4,d3=32");
        check_permute(b, 4, tensors[i], nchw, "d0=2,d1=8,d2=8,d3=16");
    }
    /* [2, 1, 0] was tuned with d2 = 1 only: its entry runs such shapes. */
    static const int reverse[3] = {2, 1, 0}, flat[3] = {23, 9, 1};
    check_permute(b, 3, flat, reverse, "d0=16,d1=8");
    tsr_rt_close(b);
}

static void permute_desc_key_is_the_stores(void)
{
    char key[96];
    tsr_rt_permute_desc d;
    tsr_rt_permute_desc_init(&d, 4, (const int[]){2, 3, 4, 5}, (const int[]){0, 2, 1, 3});
    CHECK(strcmp(check_text(tsr_rt_permute_desc_key(&d, key, sizeof key)),
                 "permute.f32.perm=0,2,1,3") == 0);
    CHECK(d.dims[3] == 5 && d.perm[1] == 2 && d.dtype == TSR_RT_F32);
    tsr_rt_permute_desc_init(&d, 1, (const int[]){7}, (const int[]){0});
    CHECK(strcmp(check_text(tsr_rt_permute_desc_key(&d, key, sizeof key)), "permute.f32.perm=0") ==
          0);
    /* Values past the rank are not read: the init leaves 1s there. */
    CHECK(d.dims[1] == 1 && d.dims[3] == 1);
    tsr_rt_permute_desc_init(&d, 2, (const int[]){3, 4}, (const int[]){1, 1});
    CHECK(tsr_rt_permute_desc_key(&d, key, sizeof key) == NULL);
    tsr_rt_permute_desc_init(&d, 5, (const int[]){1, 1, 1, 1, 1}, (const int[]){0, 1, 2, 3, 4});
    CHECK(tsr_rt_permute_desc_key(&d, key, sizeof key) == NULL && d.rank == 5);
    CHECK(tsr_rt_permute_desc_key(NULL, key, sizeof key) == NULL);
}

static int call_permute(tsr_rt_bundle *b, const tsr_rt_permute_desc *d, bool x, bool y, char *err,
                        size_t err_size)
{
    cl_mem buffers[2];
    given_buffers("11", buffers, 2);
    err[0] = '\0';
    int rc = tsr_rt_permute_opencl(b, queue, d, x ? buffers[0] : NULL, y ? buffers[1] : NULL, NULL,
                                   err, err_size);
    release_buffers(buffers, 2);
    CHECK_MSG(rc == TSR_RT_OK || (err[0] && !strchr(err, '\n')), "message '%s'", err);
    return rc;
}

static void permute_refusals_are_a_code_and_one_line(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    char err[512];
    tsr_rt_permute_desc d, good;
    tsr_rt_permute_desc_init(&good, 2, (const int[]){2, 2}, (const int[]){1, 0});
    CHECK(call_permute(b, &good, true, true, err, sizeof err) == TSR_RT_OK);
    d = good, d.rank = 0;
    CHECK(call_permute(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "permute rank=0: must be 1 to 4");
    d = good, d.rank = 5;
    CHECK(call_permute(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "rank=5");
    d = good, d.perm[1] = 1;
    CHECK(call_permute(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "permute perm=[1,1]: must name each of X's dims 0..1 once");
    d = good, d.perm[0] = 2;
    CHECK(call_permute(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "perm=[2,0]");
    d = good, d.dims[1] = 0;
    CHECK(call_permute(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "permute dims=[2,0]: dim 1 is 0, each must be >= 1");
    d = good, d.dims[0] = 65536, d.dims[1] = 65536;
    CHECK(call_permute(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "more than the 2147483647 elements");
    d = good, d.dtype = (tsr_rt_dtype)3;
    CHECK(call_permute(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "dtype 3 is not");
    CHECK(tsr_rt_permute_opencl(b, queue, NULL, NULL, NULL, NULL, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "permute: no desc");
    CHECK(call_permute(b, &good, false, true, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "permute.f32.perm=1,0: the kernel's argument buffer:X is NULL");
    CHECK(call_permute(b, &good, true, false, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "argument buffer:Y is NULL");
    /* Perms and types the bundle has no kernel for. */
    tsr_rt_permute_desc_init(&d, 3, (const int[]){2, 2, 2}, (const int[]){1, 0, 2});
    CHECK(call_permute(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "has no opencl kernel for permute.f32.perm=1,0,2");
    d = good, d.dtype = TSR_RT_BF16;
    CHECK(call_permute(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no opencl kernel for permute.bf16.perm=1,0");
    /* [2, 1, 0] was tuned with d2 = 1: its kernel launches no axis along
     * d2, so it cannot run d2 = 5, and the pick passes it over. */
    tsr_rt_permute_desc_init(&d, 3, (const int[]){4, 3, 5}, (const int[]){2, 1, 0});
    CHECK(call_permute(b, &d, true, true, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no opencl kernel for permute.f32.perm=2,1,0 launches an axis along "
                            "every dim");
    CHECK(tsr_rt_pick(b, "permute.f32.perm=2,1,0", "opencl", (const long[]){4, 3, 5, 1}, 4) == -1);
    CHECK(tsr_rt_pick(b, "permute.f32.perm=2,1,0", "opencl", (const long[]){4, 3, 1, 1}, 4) >= 0);
    /* CUDA and HIP check the desc alike, before any driver is touched. */
    d = good, d.perm[0] = 0;
    CHECK(tsr_rt_permute_cuda(b, NULL, &d, 1, 1, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "perm=[0,0]");
    CHECK(tsr_rt_permute_cuda(b, NULL, &good, 1, 1, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no cuda kernel for permute.f32.perm=1,0");
    float dummy[4];
    CHECK(tsr_rt_permute_hip(b, NULL, &good, dummy, dummy, err, sizeof err) ==
          TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no hip kernel for permute.f32.perm=1,0");
    tsr_rt_close(b);
}

int main(int argc, char **argv)
{
    int status = check_rt_start(argc, argv);
    if (status >= 0)
        return status;
    RUN_TEST(row_ops_of_untuned_shapes_are_right);
    RUN_TEST(split_rows_join_through_the_runtimes_workspace);
    RUN_TEST(middle_axis_means_run_through_the_runtime);
    RUN_TEST(rows_desc_key_is_the_stores);
    RUN_TEST(rows_refusals_are_a_code_and_one_line);
    RUN_TEST(permutes_of_untuned_shapes_are_right);
    RUN_TEST(permute_desc_key_is_the_stores);
    RUN_TEST(permute_refusals_are_a_code_and_one_line);
    return check_rt_finish();
}
