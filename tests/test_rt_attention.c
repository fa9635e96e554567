/* libtessera-rt on PoCL through OpenCL, with nothing of libtessera: a
 * bundle's fused attention (causal [batch][heads][seq][d], and
 * [batch][seq][heads][d] tuned on one head of one sequence) launched
 * through tsr_rt_attention_opencl on shapes never tuned, every output
 * checked against a double-precision reference on poisoned outputs with
 * guards past their end; the desc's key against the bundle's; and the
 * calls' refusals, each a code and one line.
 *
 * usage: test_rt_attention BUNDLE_DIR   (tests/test_rt.sh makes the bundle) */
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

/* What test_rt.sh tuned: the keys and the shapes. */
#define CAUSAL_KEY "attention.f32.d=16.causal=1"
#define CAUSAL_TUNED "q=32,kv=32,heads=2,batch=2"
#define BSHD_KEY "attention.f32.d=16.layout=bshd"
#define BSHD_TUNED "q=16,kv=48"

/* ---- the reference -------------------------------------------------------- */

/* Where row `row` of (batch z, head h) of a sequence of `len` rows starts. */
static size_t row_start(const tsr_rt_attention_desc *d, int len, int z, int h, int row)
{
    size_t heads = (size_t)d->heads, dim = (size_t)d->head_dim;
    if (d->layout == TSR_RT_BSHD)
        return (((size_t)z * (size_t)len + (size_t)row) * heads + (size_t)h) * dim;
    return (((size_t)z * heads + (size_t)h) * (size_t)len + (size_t)row) * dim;
}

/* Query `row` of (z, h) in double into want (head_dim values), with the
 * size each value's rounding scales with: an output sum_j p_j v_j /
 * sum_j p_j moves by at most sum_j p_j e_j (|v_j| + |o|) / sum_j p_j when
 * each p_j is off by a relative e_j, and the f32 score scale q.k_j is off
 * by about scale sum_d |q k_j| times the rounding of its sums. */
static void attention_want(const tsr_rt_attention_desc *d, const float *q, const float *k,
                           const float *v, int z, int h, int row, double *p, double *spread,
                           double *want, double *size)
{
    int dim = d->head_dim;
    int visible = d->causal && row + 1 < d->kv ? row + 1 : d->kv;
    const float *qr = q + row_start(d, d->q, z, h, row);
    double top = -INFINITY, sum = 0;
    for (int j = 0; j < visible; j++) {
        const float *kr = k + row_start(d, d->kv, z, h, j);
        double dot = 0, abs_dot = 0;
        for (int c = 0; c < dim; c++) {
            dot += (double)qr[c] * kr[c];
            abs_dot += fabs((double)qr[c] * kr[c]);
        }
        p[j] = (double)d->scale * dot;
        spread[j] = 1 + (double)d->scale * abs_dot;
        top = fmax(top, p[j]);
    }
    for (int j = 0; j < visible; j++) {
        p[j] = exp(p[j] - top);
        sum += p[j];
    }
    for (int c = 0; c < dim; c++) {
        double acc = 0;
        for (int j = 0; j < visible; j++)
            acc += p[j] * v[row_start(d, d->kv, z, h, j) + (size_t)c];
        want[c] = acc / sum;
    }
    for (int c = 0; c < dim; c++) {
        double m = 0;
        for (int j = 0; j < visible; j++)
            m += p[j] * spread[j] *
                 (fabs((double)v[row_start(d, d->kv, z, h, j) + (size_t)c]) + fabs(want[c]));
        size[c] = m / sum;
    }
}

/* The largest error of O against the reference, relative to each value's
 * size (NaN, a value never written, counts as infinite). */
static double worst_error(const tsr_rt_attention_desc *d, const float *q, const float *k,
                          const float *v, const float *o)
{
    size_t dim = (size_t)d->head_dim;
    double *p = malloc(2 * (size_t)d->kv * sizeof *p);
    double *want = malloc(2 * dim * sizeof *want);
    if (!p || !want) {
        free(p);
        free(want);
        return INFINITY;
    }
    double worst = 0;
    for (int z = 0; z < d->batch; z++)
        for (int h = 0; h < d->heads; h++)
            for (int row = 0; row < d->q; row++) {
                attention_want(d, q, k, v, z, h, row, p, p + d->kv, want, want + dim);
                const float *got = o + row_start(d, d->q, z, h, row);
                for (size_t c = 0; c < dim; c++) {
                    double e = fabs(got[c] - want[c]) / fmax(want[dim + c], 1e-30);
                    worst = isnan(e) ? INFINITY : fmax(worst, e);
                }
            }
    free(p);
    free(want);
    return worst;
}

/* ---- launches ------------------------------------------------------------- */

/* Launches `d` on random Q, K and V and checks every value of O against
 * the reference, within f32's rounding of the two sums (over head_dim for
 * the scores, over kv for P V) and of exp; then that the kernel that ran
 * was the entry tuned on `tuned`, built for the launch. */
static void check_attention(tsr_rt_bundle *b, const tsr_rt_attention_desc *d, const char *tuned)
{
    char err[512] = "", key[96], what[200];
    tsr_rt_attention_desc_key(d, key, sizeof key);
    snprintf(what, sizeof what, "%s q=%d kv=%d heads=%d batch=%d scale=%g", key, d->q, d->kv,
             d->heads, d->batch, (double)d->scale);
    size_t per_row = (size_t)d->batch * (size_t)d->heads * (size_t)d->head_dim;
    size_t q_elems = per_row * (size_t)d->q, kv_elems = per_row * (size_t)d->kv;
    unsigned seed = (unsigned)(d->q * 131 + d->kv * 17 + d->heads);
    float *q = random_floats(q_elems, seed), *k = random_floats(kv_elems, seed + 1);
    float *v = random_floats(kv_elems, seed + 2);
    cl_mem dq = upload(q, q_elems), dk = upload(k, kv_elems), dv = upload(v, kv_elems);
    cl_mem dout = poisoned_output(q_elems);
    cl_event done = NULL;
    CHECK_MSG(tsr_rt_attention_opencl(b, queue, d, dq, dk, dv, dout, &done, err, sizeof err) ==
                  TSR_RT_OK,
              "%s: %s", what, err);
    CHECK_MSG(done && clWaitForEvents(1, &done) == CL_SUCCESS, "%s: no event", what);
    if (done)
        clReleaseEvent(done);
    float *o = read_output(dout, q_elems, what);
    double bound =
        (64.0 + 16.0 * sqrt((double)d->head_dim) + 16.0 * sqrt((double)d->kv)) * ldexp(1.0, -24);
    double worst = o && q && k && v ? worst_error(d, q, k, v, o) : INFINITY;
    CHECK_MSG(worst <= bound, "%s: max relative error %g, bound %g", what, worst, bound);
    long shape[4] = {d->q, d->kv, d->heads, d->batch};
    check_ran(b, key, shape, 4, tuned);
    free(q);
    free(k);
    free(v);
    free(o);
    clReleaseMemObject(dq);
    clReleaseMemObject(dk);
    clReleaseMemObject(dv);
    clReleaseMemObject(dout);
}

/* Ragged shapes for both kernels: 37 queries against 53 keys with 3 heads
 * and a batch of 2 (no multiple of any tile), more queries than keys (the
 * causal rows past kv see every key), one query against one key; each
 * with the init's scale and one off it, so that a kernel not given the
 * desc's scale, heads or batch is off by far more than the bound. The
 * BSHD kernel was tuned on one head of one sequence: it runs many. */
static void attention_of_untuned_shapes_is_right(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    static const int shapes[][4] = {{37, 53, 3, 2}, {100, 33, 2, 1}, {1, 1, 1, 1}, {5, 70, 1, 3}};
    static const struct {
        int head_dim;
        bool causal;
        tsr_rt_attention_layout layout;
        const char *tuned;
    } kernels[] = {{16, true, TSR_RT_BHSD, CAUSAL_TUNED}, {16, false, TSR_RT_BSHD, BSHD_TUNED}};
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            tsr_rt_attention_desc d;
            tsr_rt_attention_desc_init(&d, kernels[i].head_dim, shapes[s][0], shapes[s][1]);
            d.heads = shapes[s][2];
            d.batch = shapes[s][3];
            d.causal = kernels[i].causal;
            d.layout = kernels[i].layout;
            d.dtype = TSR_RT_F32;
            check_attention(b, &d, kernels[i].tuned);
            d.scale = 0.71f;
            check_attention(b, &d, kernels[i].tuned);
        }
    tsr_rt_close(b);
}

/* ---- keys ----------------------------------------------------------------- */

static void attention_desc_init_is_the_op_specs_default(void)
{
    tsr_rt_attention_desc d;
    tsr_rt_attention_desc_init(&d, 64, 7, 9);
    CHECK(d.head_dim == 64 && d.q == 7 && d.kv == 9 && d.heads == 1 && d.batch == 1);
    CHECK(!d.causal && d.layout == TSR_RT_BHSD && d.dtype == TSR_RT_F16);
    CHECK(d.scale == 0.125f);
    /* 1 / sqrt(48) in double, then rounded to the kernel's float. */
    tsr_rt_attention_desc_init(&d, 48, 1, 1);
    CHECK_MSG(d.scale == (float)(1.0 / sqrt(48.0)), "scale %.9g", (double)d.scale);
    CHECK(d.scale > 0.1443f && d.scale < 0.1444f);
    tsr_rt_attention_desc_init(&d, 0, 1, 1);
    CHECK(d.scale == 0.0f);
}

static void attention_desc_key_is_the_stores(void)
{
    char key[96];
    tsr_rt_attention_desc d;
    tsr_rt_attention_desc_init(&d, 64, 128, 128);
    CHECK(strcmp(check_text(tsr_rt_attention_desc_key(&d, key, sizeof key)),
                 "attention.f16.d=64") == 0);
    d.causal = true;
    CHECK(strcmp(check_text(tsr_rt_attention_desc_key(&d, key, sizeof key)),
                 "attention.f16.d=64.causal=1") == 0);
    d.layout = TSR_RT_BSHD;
    d.dtype = TSR_RT_BF16;
    d.head_dim = 128;
    CHECK(strcmp(check_text(tsr_rt_attention_desc_key(&d, key, sizeof key)),
                 "attention.bf16.d=128.causal=1.layout=bshd") == 0);
    d.causal = false;
    d.dtype = TSR_RT_F32;
    d.scale = 3.0f;
    d.heads = 5;
    CHECK(strcmp(check_text(tsr_rt_attention_desc_key(&d, key, sizeof key)),
                 "attention.f32.d=128.layout=bshd") == 0);
    /* What the store cannot hold has no key. */
    static const int bad_dims[] = {0, -16, 8, 17, 250, 272};
    for (size_t i = 0; i < sizeof bad_dims / sizeof bad_dims[0]; i++) {
        tsr_rt_attention_desc_init(&d, bad_dims[i], 4, 4);
        CHECK_MSG(tsr_rt_attention_desc_key(&d, key, sizeof key) == NULL, "head_dim %d",
                  bad_dims[i]);
    }
    tsr_rt_attention_desc_init(&d, 256, 4, 4);
    CHECK(strcmp(check_text(tsr_rt_attention_desc_key(&d, key, sizeof key)),
                 "attention.f16.d=256") == 0);
    d.layout = (tsr_rt_attention_layout)2;
    CHECK(tsr_rt_attention_desc_key(&d, key, sizeof key) == NULL);
    tsr_rt_attention_desc_init(&d, 16, 4, 4);
    d.dtype = (tsr_rt_dtype)3;
    CHECK(tsr_rt_attention_desc_key(&d, key, sizeof key) == NULL);
    CHECK(tsr_rt_attention_desc_key(NULL, key, sizeof key) == NULL);
}

/* The keys the tuner stored for test_rt.sh's specs are the descs' keys:
 * every attention entry of the bundle is one of them. */
static void attention_desc_key_is_the_bundles(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    char causal[96], bshd[96];
    tsr_rt_attention_desc d;
    tsr_rt_attention_desc_init(&d, 16, 1, 1);
    d.causal = true;
    d.dtype = TSR_RT_F32;
    tsr_rt_attention_desc_key(&d, causal, sizeof causal);
    tsr_rt_attention_desc_init(&d, 16, 1, 1);
    d.layout = TSR_RT_BSHD;
    d.dtype = TSR_RT_F32;
    tsr_rt_attention_desc_key(&d, bshd, sizeof bshd);
    CHECK(strcmp(causal, CAUSAL_KEY) == 0 && strcmp(bshd, BSHD_KEY) == 0);
    int found_causal = 0, found_bshd = 0, others = 0;
    for (size_t i = 0; i < tsr_rt_kernel_count(b); i++) {
        tsr_rt_kernel_info info;
        if (tsr_rt_kernel_info_at(b, i, &info) != TSR_RT_OK ||
            strncmp(info.op_key, "attention.", 10) != 0)
            continue;
        found_causal += strcmp(info.op_key, causal) == 0;
        found_bshd += strcmp(info.op_key, bshd) == 0;
        others += strcmp(info.op_key, causal) != 0 && strcmp(info.op_key, bshd) != 0;
    }
    CHECK_MSG(found_causal == 1 && found_bshd == 1 && others == 0,
              "attention entries: %d of %s, %d of %s, %d others", found_causal, causal, found_bshd,
              bshd, others);
    tsr_rt_close(b);
}

/* ---- refusals ------------------------------------------------------------- */

/* One attention call on buffers of 64 values each (the valid descs here
 * read and write no more); Q, K, V and O given as asked. Its code, and its
 * message, which must be one line. */
static int call_attention(tsr_rt_bundle *b, const tsr_rt_attention_desc *d, const char *given,
                          char *err, size_t err_size)
{
    cl_mem buffers[4];
    given_buffers(given, buffers, 4);
    err[0] = '\0';
    int rc = tsr_rt_attention_opencl(b, queue, d, buffers[0], buffers[1], buffers[2], buffers[3],
                                     NULL, err, err_size);
    release_buffers(buffers, 4);
    CHECK_MSG(rc == TSR_RT_OK || (err[0] && !strchr(err, '\n')), "message '%s'", err);
    return rc;
}

/* One call of `d`, refused with `code` and a message holding `message`. */
#define CHECK_REFUSED(d, given, code, message)                                                     \
    do {                                                                                           \
        CHECK(call_attention(b, &(d), (given), err, sizeof err) == (code));                        \
        CHECK_STR_CONTAINS(err, (message));                                                        \
    } while (0)

static void attention_refusals_are_a_code_and_one_line(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    char err[512];
    tsr_rt_attention_desc good, d;
    tsr_rt_attention_desc_init(&good, 16, 2, 2);
    good.causal = true;
    good.dtype = TSR_RT_F32;
    CHECK(call_attention(b, &good, "1111", err, sizeof err) == TSR_RT_OK);
    /* The head dim, the enums. */
    d = good, d.head_dim = 17;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "attention head_dim=17: must be a multiple of 16 from 16 to 256");
    d = good, d.head_dim = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "attention head_dim=0:");
    d = good, d.head_dim = 272;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "attention head_dim=272:");
    d = good, d.head_dim = -32;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "attention head_dim=-32:");
    d = good, d.layout = (tsr_rt_attention_layout)2;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "attention desc: layout 2 is not TSR_RT_BHSD or TSR_RT_BSHD");
    d = good, d.dtype = (tsr_rt_dtype)-1;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "attention desc: dtype -1 is not TSR_RT_F32, _F16 or _BF16");
    /* The sizes: each >= 1, each buffer within 32-bit indices. */
    d = good, d.q = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "attention q=0 kv=2 heads=1 batch=1: each must be >= 1");
    d = good, d.kv = -3;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "attention q=2 kv=-3 heads=1 batch=1:");
    d = good, d.heads = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "attention q=2 kv=2 heads=0 batch=1:");
    d = good, d.batch = -1;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "attention q=2 kv=2 heads=1 batch=-1:");
    d = good, d.q = INT_MAX / 16 + 1;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "Q and O hold batch x heads x q x head_dim elements, more than the 2147483647 "
                  "a kernel can index");
    d = good, d.kv = 1 << 20, d.heads = 64, d.batch = 2;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "K and V hold batch x heads x kv x head_dim");
    d = good, d.heads = INT_MAX, d.batch = INT_MAX;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "Q and O hold");
    /* Right at the limit the sizes pass; the bundle has no f16 kernel. */
    d = good, d.q = INT_MAX / 16, d.dtype = TSR_RT_F16;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_NOT_FOUND, "no opencl kernel for attention.f16.d=16");
    /* The scale. */
    d = good, d.scale = 0.0f;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "attention scale=0: must be finite and > 0");
    d = good, d.scale = -0.5f;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "attention scale=-0.5:");
    d = good, d.scale = NAN;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "attention scale=nan:");
    d = good, d.scale = INFINITY;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "attention scale=inf:");
    CHECK(tsr_rt_attention_opencl(b, queue, NULL, NULL, NULL, NULL, NULL, NULL, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "attention: no desc");
    /* Every buffer, each named; refused before the pick, so also for a
     * key the bundle lacks. */
    CHECK_REFUSED(good, "0111", TSR_RT_ERR_INPUT, "attention reads Q, but it is NULL");
    CHECK_REFUSED(good, "1011", TSR_RT_ERR_INPUT, "attention reads K, but it is NULL");
    CHECK_REFUSED(good, "1101", TSR_RT_ERR_INPUT, "attention reads V, but it is NULL");
    CHECK_REFUSED(good, "1110", TSR_RT_ERR_INPUT, "attention writes O, but it is NULL");
    d = good, d.dtype = TSR_RT_BF16;
    CHECK_REFUSED(d, "1110", TSR_RT_ERR_INPUT, "attention writes O, but it is NULL");
    /* Valid descs the bundle has no kernel for: another type, head dim,
     * mask or layout. */
    d = good, d.dtype = TSR_RT_F16;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_NOT_FOUND,
                  "has no opencl kernel for attention.f16.d=16.causal=1");
    d = good, d.head_dim = 64;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_NOT_FOUND, "no opencl kernel for attention.f32.d=64");
    d = good, d.causal = false;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_NOT_FOUND, "no opencl kernel for attention.f32.d=16 ");
    d = good, d.layout = TSR_RT_BSHD;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_NOT_FOUND,
                  "no opencl kernel for attention.f32.d=16.causal=1.layout=bshd");
    /* CUDA and HIP check the desc alike, before any driver is touched. */
    d = good, d.scale = -1.0f;
    CHECK(tsr_rt_attention_cuda(b, NULL, &d, 1, 1, 1, 1, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "attention scale=-1:");
    CHECK(tsr_rt_attention_cuda(b, NULL, &good, 1, 1, 0, 1, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "attention reads V, but it is NULL");
    CHECK(tsr_rt_attention_cuda(b, NULL, &good, 1, 1, 1, 1, err, sizeof err) ==
          TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no cuda kernel for " CAUSAL_KEY);
    float dummy[4];
    d = good, d.head_dim = 49;
    CHECK(tsr_rt_attention_hip(b, NULL, &d, dummy, dummy, dummy, dummy, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "attention head_dim=49:");
    CHECK(tsr_rt_attention_hip(b, NULL, &good, dummy, dummy, dummy, NULL, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "attention writes O, but it is NULL");
    CHECK(tsr_rt_attention_hip(b, NULL, &good, dummy, dummy, dummy, dummy, err, sizeof err) ==
          TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no hip kernel for " CAUSAL_KEY);
    tsr_rt_close(b);
}

int main(int argc, char **argv)
{
    int status = check_rt_start(argc, argv);
    if (status >= 0)
        return status;
    RUN_TEST(attention_of_untuned_shapes_is_right);
    RUN_TEST(attention_desc_init_is_the_op_specs_default);
    RUN_TEST(attention_desc_key_is_the_stores);
    RUN_TEST(attention_desc_key_is_the_bundles);
    RUN_TEST(attention_refusals_are_a_code_and_one_line);
    return check_rt_finish();
}
