/* libtessera-rt on PoCL through OpenCL, with nothing of libtessera: a
 * bundle's conv2d (NCHW with bias and ReLU, and a strided, padded,
 * dilated, grouped NHWC one with a filter of other rows than cols)
 * launched through tsr_rt_conv2d_opencl on shapes never tuned, every
 * output checked against a double-precision reference on poisoned
 * outputs with guards past their end; the desc's key against the
 * bundle's; and the calls' refusals, each a code and one line.
 *
 * usage: test_rt_conv2d BUNDLE_DIR   (tests/test_rt.sh makes the bundle) */
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
#define NCHW_KEY "conv2d.f32.nchw.r=3.s=3.stride=1,1.pad=1,1.dil=1,1.groups=1.bias=1.act=relu"
#define NCHW_TUNED "n=2,c=4,h=8,w=8,k=8"
#define NHWC_KEY "conv2d.f32.nhwc.r=3.s=2.stride=2,1.pad=1,0.dil=1,2.groups=2"
#define NHWC_TUNED "n=2,c=8,h=9,w=9,k=4"

/* ---- the reference -------------------------------------------------------- */

/* Y's rows (axis 0) or cols (1), from the definition. */
static int output_extent(const tsr_rt_conv2d_desc *d, int axis)
{
    int in = axis ? d->width : d->height;
    return (in + 2 * d->pad[axis] - d->dilation[axis] * (d->filter[axis] - 1) - 1) /
               d->stride[axis] +
           1;
}

/* The places of X's element (image, channel, row, col), W's (filter,
 * channel in its group, tap row, tap col) and Y's, per layout. */
static size_t x_at(const tsr_rt_conv2d_desc *d, int b, int c, int y, int x)
{
    size_t h = (size_t)d->height, w = (size_t)d->width, cs = (size_t)d->channels;
    return d->layout == TSR_RT_NHWC
               ? (((size_t)b * h + (size_t)y) * w + (size_t)x) * cs + (size_t)c
               : (((size_t)b * cs + (size_t)c) * h + (size_t)y) * w + (size_t)x;
}

static size_t w_at(const tsr_rt_conv2d_desc *d, int k, int c, int fr, int fs)
{
    size_t r = (size_t)d->filter[0], s = (size_t)d->filter[1];
    size_t cg = (size_t)(d->channels / d->groups);
    return d->layout == TSR_RT_NHWC
               ? (((size_t)k * r + (size_t)fr) * s + (size_t)fs) * cg + (size_t)c
               : (((size_t)k * cg + (size_t)c) * r + (size_t)fr) * s + (size_t)fs;
}

static size_t y_at(const tsr_rt_conv2d_desc *d, int b, int k, int y, int x)
{
    size_t oh = (size_t)output_extent(d, 0), ow = (size_t)output_extent(d, 1);
    size_t ks = (size_t)d->filters;
    return d->layout == TSR_RT_NHWC
               ? (((size_t)b * oh + (size_t)y) * ow + (size_t)x) * ks + (size_t)k
               : (((size_t)b * ks + (size_t)k) * oh + (size_t)y) * ow + (size_t)x;
}

static double activate(tsr_rt_activation act, double z)
{
    switch (act) {
    case TSR_RT_ACT_RELU: return z > 0 ? z : 0;
    case TSR_RT_ACT_GELU:
        return 0.5 * z * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (z + 0.044715 * z * z * z)));
    case TSR_RT_ACT_SILU: return z / (1 + exp(-z));
    default: return z;
    }
}

/* Output (b, k, y, x) in double, with the size its rounding scales with:
 * the sum of the terms' magnitudes and the bias's, plus the output's own
 * (the activations' slopes are near 1). */
static double conv_want(const tsr_rt_conv2d_desc *d, const float *x, const float *w,
                        const float *bias, int b, int k, int y, int xo, double *size)
{
    int cg = d->channels / d->groups, first = k / (d->filters / d->groups) * cg;
    double sum = 0, mag = 0;
    for (int c = 0; c < cg; c++)
        for (int fr = 0; fr < d->filter[0]; fr++) {
            int iy = y * d->stride[0] - d->pad[0] + fr * d->dilation[0];
            for (int fs = 0; iy >= 0 && iy < d->height && fs < d->filter[1]; fs++) {
                int ix = xo * d->stride[1] - d->pad[1] + fs * d->dilation[1];
                if (ix < 0 || ix >= d->width)
                    continue;
                double term = (double)x[x_at(d, b, first + c, iy, ix)] * w[w_at(d, k, c, fr, fs)];
                sum += term;
                mag += fabs(term);
            }
        }
    double z = sum + (d->bias ? bias[k] : 0.0), want = activate(d->activation, z);
    *size = mag + (d->bias ? fabs(bias[k]) : 0.0) + fabs(want);
    return want;
}

/* ---- launches ------------------------------------------------------------- */

/* Launches `d` on random X, W and bias and checks every value of Y
 * against the reference, within f32's rounding of a sum over the taps;
 * then that the kernel that ran was the entry tuned on `tuned`. */
static void check_conv2d(tsr_rt_bundle *b, const tsr_rt_conv2d_desc *d, const char *tuned)
{
    char err[512] = "", key[128], what[256];
    tsr_rt_conv2d_desc_key(d, key, sizeof key);
    snprintf(what, sizeof what, "%s n=%d c=%d h=%d w=%d k=%d", key, d->batch, d->channels,
             d->height, d->width, d->filters);
    int oh = output_extent(d, 0), ow = output_extent(d, 1), cg = d->channels / d->groups;
    size_t x_elems = (size_t)d->batch * (size_t)d->channels * (size_t)d->height * (size_t)d->width;
    size_t w_elems = (size_t)d->filters * (size_t)cg * (size_t)d->filter[0] * (size_t)d->filter[1];
    size_t y_elems = (size_t)d->batch * (size_t)d->filters * (size_t)oh * (size_t)ow;
    unsigned seed = (unsigned)(d->height * 131 + d->width * 17 + d->channels);
    float *x = random_floats(x_elems, seed), *w = random_floats(w_elems, seed + 1);
    float *bias = random_floats((size_t)d->filters, seed + 2);
    cl_mem dx = upload(x, x_elems), dw = upload(w, w_elems), dy = poisoned_output(y_elems);
    cl_mem dbias = d->bias ? upload(bias, (size_t)d->filters) : NULL;
    CHECK_MSG(tsr_rt_conv2d_opencl(b, queue, d, dx, dw, dbias, dy, NULL, err, sizeof err) ==
                  TSR_RT_OK,
              "%s: %s", what, err);
    float *y = read_output(dy, y_elems, what);
    double taps = (double)cg * d->filter[0] * d->filter[1];
    double bound = (16.0 * sqrt(taps) + 64.0) * ldexp(1.0, -24), worst = y ? 0 : INFINITY;
    for (int n = 0; y && n < d->batch; n++)
        for (int k = 0; k < d->filters; k++)
            for (int r = 0; r < oh; r++)
                for (int c = 0; c < ow; c++) {
                    double size, want = conv_want(d, x, w, bias, n, k, r, c, &size);
                    double e = fabs(y[y_at(d, n, k, r, c)] - want) / fmax(size, 1e-30);
                    worst = isnan(e) ? INFINITY : fmax(worst, e);
                }
    CHECK_MSG(worst <= bound, "%s: max relative error %g, bound %g", what, worst, bound);
    long shape[5] = {d->batch, d->channels, d->height, d->width, d->filters};
    check_ran(b, key, shape, 5, tuned);
    free(x);
    free(w);
    free(bias);
    free(y);
    clReleaseMemObject(dx);
    clReleaseMemObject(dw);
    clReleaseMemObject(dy);
    if (dbias)
        clReleaseMemObject(dbias);
}

/* The NCHW kernel with its bias and ReLU on more images, channels and
 * filters than tuned, rows and cols that are no multiple of any tile, and
 * one pixel of one channel; the NHWC kernel (stride 2,1, pad 1,0,
 * dilation 1,2, two groups, a 3x2 filter) likewise. A kernel given the
 * input's size for the output's, or one group's channels for all, is off
 * by far more than the bound. */
static void conv2d_of_untuned_shapes_is_right(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    static const int nchw[][5] = {{3, 5, 13, 7, 11}, {1, 1, 1, 1, 1}, {2, 3, 17, 19, 6}};
    for (size_t i = 0; i < sizeof nchw / sizeof nchw[0]; i++) {
        tsr_rt_conv2d_desc d;
        tsr_rt_conv2d_desc_init(&d, nchw[i][0], nchw[i][1], nchw[i][2], nchw[i][3], nchw[i][4], 3,
                                3);
        d.pad[0] = d.pad[1] = 1;
        d.bias = true;
        d.activation = TSR_RT_ACT_RELU;
        check_conv2d(b, &d, NCHW_TUNED);
    }
    static const int nhwc[][5] = {{3, 6, 11, 10, 4}, {1, 2, 3, 3, 2}, {2, 10, 20, 5, 8}};
    for (size_t i = 0; i < sizeof nhwc / sizeof nhwc[0]; i++) {
        tsr_rt_conv2d_desc d;
        tsr_rt_conv2d_desc_init(&d, nhwc[i][0], nhwc[i][1], nhwc[i][2], nhwc[i][3], nhwc[i][4], 3,
                                2);
        d.layout = TSR_RT_NHWC;
        d.stride[0] = 2;
        d.pad[0] = 1;
        d.dilation[1] = 2;
        d.groups = 2;
        check_conv2d(b, &d, NHWC_TUNED);
    }
    tsr_rt_close(b);
}

/* ---- keys ----------------------------------------------------------------- */

static void conv2d_desc_key_is_the_stores(void)
{
    char key[128];
    tsr_rt_conv2d_desc d;
    tsr_rt_conv2d_desc_init(&d, 2, 3, 4, 5, 6, 3, 1);
    CHECK(d.batch == 2 && d.channels == 3 && d.height == 4 && d.width == 5 && d.filters == 6);
    CHECK(d.layout == TSR_RT_NCHW && d.filter[0] == 3 && d.filter[1] == 1 && d.stride[1] == 1 &&
          d.pad[0] == 0 && d.dilation[1] == 1 && d.groups == 1 && !d.bias &&
          d.activation == TSR_RT_ACT_NONE && d.dtype == TSR_RT_F32 && d.output == TSR_RT_F32);
    CHECK(strcmp(check_text(tsr_rt_conv2d_desc_key(&d, key, sizeof key)),
                 "conv2d.f32.nchw.r=3.s=1.stride=1,1.pad=0,0.dil=1,1.groups=1") == 0);
    d.layout = TSR_RT_NHWC, d.dtype = TSR_RT_F16, d.bias = true, d.activation = TSR_RT_ACT_GELU;
    d.stride[0] = 2, d.pad[1] = 3, d.dilation[0] = 4, d.groups = 3;
    CHECK(strcmp(check_text(tsr_rt_conv2d_desc_key(&d, key, sizeof key)),
                 "conv2d.f16.nhwc.r=3.s=1.stride=2,1.pad=0,3.dil=4,1.groups=3.bias=1.act=gelu") ==
          0);
    /* The output's type only when it is not f32, whatever the input's. */
    d.output = TSR_RT_F16, d.bias = false, d.activation = TSR_RT_ACT_SILU;
    CHECK(strcmp(check_text(tsr_rt_conv2d_desc_key(&d, key, sizeof key)),
                 "conv2d.f16.nhwc.r=3.s=1.stride=2,1.pad=0,3.dil=4,1.groups=3.act=silu.out=f16") ==
          0);
    /* The longest key there is fits a call's. */
    tsr_rt_conv2d_desc_init(&d, 1, 65536, 1, 1, 65536, 32, 32);
    d.layout = TSR_RT_NHWC, d.dtype = TSR_RT_BF16, d.output = TSR_RT_BF16, d.bias = true;
    d.activation = TSR_RT_ACT_GELU, d.groups = 65536;
    d.stride[0] = d.stride[1] = 64, d.pad[0] = d.pad[1] = 1024;
    d.dilation[0] = d.dilation[1] = 64;
    CHECK(strcmp(check_text(tsr_rt_conv2d_desc_key(&d, key, sizeof key)),
                 "conv2d.bf16.nhwc.r=32.s=32.stride=64,64.pad=1024,1024.dil=64,64.groups=65536."
                 "bias=1.act=gelu.out=bf16") == 0);
    /* What the store cannot hold has no key. */
    tsr_rt_conv2d_desc good;
    tsr_rt_conv2d_desc_init(&good, 1, 1, 4, 4, 1, 3, 3);
    tsr_rt_conv2d_desc bad[12];
    for (int i = 0; i < 12; i++)
        bad[i] = good;
    bad[0].filter[0] = 0, bad[1].filter[1] = 33, bad[2].stride[0] = 0, bad[3].stride[1] = 65;
    bad[4].pad[0] = -1, bad[5].pad[1] = 1025, bad[6].dilation[0] = 0, bad[7].groups = 0;
    bad[8].groups = 65537, bad[9].layout = (tsr_rt_conv_layout)2;
    bad[10].activation = (tsr_rt_activation)4, bad[11].output = (tsr_rt_dtype)3;
    for (int i = 0; i < 12; i++)
        CHECK_MSG(tsr_rt_conv2d_desc_key(&bad[i], key, sizeof key) == NULL, "bad desc %d", i);
    CHECK(tsr_rt_conv2d_desc_key(NULL, key, sizeof key) == NULL);
}

/* The keys the tuner stored for test_rt.sh's specs are the descs': every
 * conv2d entry of the bundle is one of them. */
static void conv2d_desc_key_is_the_bundles(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    char nchw[128], nhwc[128];
    tsr_rt_conv2d_desc d;
    tsr_rt_conv2d_desc_init(&d, 1, 1, 1, 1, 1, 3, 3);
    d.pad[0] = d.pad[1] = 1, d.bias = true, d.activation = TSR_RT_ACT_RELU;
    tsr_rt_conv2d_desc_key(&d, nchw, sizeof nchw);
    tsr_rt_conv2d_desc_init(&d, 1, 1, 1, 1, 1, 3, 2);
    d.layout = TSR_RT_NHWC, d.stride[0] = 2, d.pad[0] = 1, d.dilation[1] = 2, d.groups = 2;
    tsr_rt_conv2d_desc_key(&d, nhwc, sizeof nhwc);
    CHECK(strcmp(nchw, NCHW_KEY) == 0 && strcmp(nhwc, NHWC_KEY) == 0);
    int found_nchw = 0, found_nhwc = 0, others = 0;
    for (size_t i = 0; i < tsr_rt_kernel_count(b); i++) {
        tsr_rt_kernel_info info;
        if (tsr_rt_kernel_info_at(b, i, &info) != TSR_RT_OK ||
            strncmp(info.op_key, "conv2d.", 7) != 0)
            continue;
        found_nchw += strcmp(info.op_key, nchw) == 0;
        found_nhwc += strcmp(info.op_key, nhwc) == 0;
        others += strcmp(info.op_key, nchw) != 0 && strcmp(info.op_key, nhwc) != 0;
    }
    CHECK_MSG(found_nchw == 1 && found_nhwc == 1 && others == 0,
              "conv2d entries: %d of %s, %d of %s, %d others", found_nchw, nchw, found_nhwc, nhwc,
              others);
    tsr_rt_close(b);
}

/* ---- refusals ------------------------------------------------------------- */

/* One conv2d call on buffers of 64 values each (the valid descs here read
 * and write no more); X, W, bias and Y given as asked. Its code, and its
 * message, which must be one line. */
static int call_conv2d(tsr_rt_bundle *b, const tsr_rt_conv2d_desc *d, const char *given, char *err,
                       size_t err_size)
{
    cl_mem buffers[4];
    given_buffers(given, buffers, 4);
    err[0] = '\0';
    int rc = tsr_rt_conv2d_opencl(b, queue, d, buffers[0], buffers[1], buffers[2], buffers[3], NULL,
                                  err, err_size);
    release_buffers(buffers, 4);
    CHECK_MSG(rc == TSR_RT_OK || (err[0] && !strchr(err, '\n')), "message '%s'", err);
    return rc;
}

/* One call of `d` with X, W, bias and Y as `given` says, refused with
 * `code` and a message holding `message`. */
#define CHECK_REFUSED(d, given, code, message)                                                     \
    do {                                                                                           \
        CHECK(call_conv2d(b, &(d), (given), err, sizeof err) == (code));                           \
        CHECK_STR_CONTAINS(err, (message));                                                        \
    } while (0)

static void conv2d_refusals_are_a_code_and_one_line(void)
{
    tsr_rt_bundle *b = open_bundle();
    if (!b)
        return;
    char err[512];
    tsr_rt_conv2d_desc good, d;
    tsr_rt_conv2d_desc_init(&good, 1, 2, 3, 3, 2, 3, 3);
    good.pad[0] = good.pad[1] = 1, good.bias = true, good.activation = TSR_RT_ACT_RELU;
    CHECK(call_conv2d(b, &good, "1111", err, sizeof err) == TSR_RT_OK);
    /* The enums. */
    d = good, d.layout = (tsr_rt_conv_layout)-1;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "conv2d desc: layout -1 is not TSR_RT_NCHW or TSR_RT_NHWC");
    d = good, d.activation = (tsr_rt_activation)4;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d desc: activation 4 is not TSR_RT_ACT_NONE");
    d = good, d.dtype = (tsr_rt_dtype)3;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "conv2d desc: dtype 3 or output 0 is not TSR_RT_F32, _F16 or _BF16");
    d = good, d.output = (tsr_rt_dtype)7;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "dtype 0 or output 7 is not");
    /* The constants the kernel is compiled for, each in its range. */
    d = good, d.filter[1] = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d filter=3,0: each must be 1 to 32");
    d = good, d.filter[0] = 33;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d filter=33,3:");
    d = good, d.stride[0] = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d stride=0,1: each must be 1 to 64");
    d = good, d.stride[1] = 65;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d stride=1,65:");
    d = good, d.pad[1] = -1;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d pad=1,-1: each must be 0 to 1024");
    d = good, d.pad[0] = 1025;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d pad=1025,1:");
    d = good, d.dilation[0] = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d dilation=0,1: each must be 1 to 64");
    d = good, d.dilation[1] = 65;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d dilation=1,65:");
    d = good, d.groups = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d groups=0: must be 1 to 65536");
    d = good, d.groups = 65537;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d groups=65537:");
    /* The sizes. */
    d = good, d.batch = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "conv2d batch=0 channels=2 height=3 width=3 filters=2: each must be >= 1");
    d = good, d.channels = -1;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "channels=-1 height=3");
    d = good, d.height = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "height=0 width=3");
    d = good, d.width = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "width=0 filters=2");
    d = good, d.filters = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "filters=0: each must be >= 1");
    d = good, d.groups = 2, d.channels = 3;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "conv2d channels=3 filters=2: both must be multiples of groups=2");
    d = good, d.groups = 2, d.filters = 5;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "conv2d channels=2 filters=5: both must");
    d = good, d.pad[0] = 0, d.height = 2;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "conv2d: the 3x3 filter (dilation 1,1) does not fit the 2x3 image padded by "
                  "0,1");
    d = good, d.dilation[1] = 3;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "the 3x3 filter (dilation 1,3) does not fit");
    d = good, d.batch = 65536, d.channels = 65536, d.height = d.width = 1, d.filters = 1;
    d.filter[0] = d.filter[1] = 1, d.pad[0] = d.pad[1] = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "X holds 4294967296 elements, more than the 2147483647 a kernel can index");
    d = good, d.channels = 65536, d.filters = 65536, d.height = d.width = 1;
    d.filter[0] = d.filter[1] = 1, d.pad[0] = d.pad[1] = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "W holds 4294967296 elements");
    d = good, d.channels = 1, d.height = d.width = 1024, d.filters = 4096;
    d.filter[0] = d.filter[1] = 1, d.pad[0] = d.pad[1] = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT, "Y holds 4294967296 elements");
    /* Right at the limit the sizes pass; the bundle has no such kernel. */
    d = good, d.channels = 1, d.filters = 1, d.width = INT_MAX, d.height = 1;
    d.filter[0] = d.filter[1] = 1, d.pad[0] = d.pad[1] = 0;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_NOT_FOUND,
                  "no opencl kernel for conv2d.f32.nchw.r=1.s=1.stride=1,1.pad=0,0");
    CHECK(tsr_rt_conv2d_opencl(b, queue, NULL, NULL, NULL, NULL, NULL, NULL, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "conv2d: no desc");
    /* X, W and Y always, the bias exactly when the desc asks for it. */
    CHECK_REFUSED(good, "0111", TSR_RT_ERR_INPUT, "conv2d reads X, but it is NULL");
    CHECK_REFUSED(good, "1011", TSR_RT_ERR_INPUT, "conv2d reads W, but it is NULL");
    CHECK_REFUSED(good, "1110", TSR_RT_ERR_INPUT, "conv2d writes Y, but it is NULL");
    CHECK_REFUSED(good, "1101", TSR_RT_ERR_INPUT,
                  "conv2d desc asks for a bias, but the bias buffer is NULL");
    d = good, d.bias = false;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_INPUT,
                  "conv2d bias buffer given, but the desc's bias is false");
    /* Valid descs the bundle has no kernel for. */
    CHECK_REFUSED(d, "1101", TSR_RT_ERR_NOT_FOUND,
                  "has no opencl kernel for conv2d.f32.nchw.r=3.s=3.stride=1,1.pad=1,1.dil=1,1."
                  "groups=1.act=relu");
    d = good, d.output = TSR_RT_F16;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_NOT_FOUND, NCHW_KEY ".out=f16");
    d = good, d.layout = TSR_RT_NHWC;
    CHECK_REFUSED(d, "1111", TSR_RT_ERR_NOT_FOUND, "no opencl kernel for conv2d.f32.nhwc.r=3.s=3");
    /* CUDA and HIP check the desc alike, before any driver is touched. */
    d = good, d.groups = 0;
    CHECK(tsr_rt_conv2d_cuda(b, NULL, &d, 1, 1, 1, 1, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "conv2d groups=0:");
    CHECK(tsr_rt_conv2d_cuda(b, NULL, &good, 1, 1, 0, 1, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "asks for a bias, but the bias buffer is NULL");
    CHECK(tsr_rt_conv2d_cuda(b, NULL, &good, 1, 1, 1, 1, err, sizeof err) == TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no cuda kernel for " NCHW_KEY);
    float dummy[4];
    d = good, d.stride[0] = 99;
    CHECK(tsr_rt_conv2d_hip(b, NULL, &d, dummy, dummy, dummy, dummy, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "conv2d stride=99,1:");
    CHECK(tsr_rt_conv2d_hip(b, NULL, &good, dummy, NULL, dummy, dummy, err, sizeof err) ==
          TSR_RT_ERR_INPUT);
    CHECK_STR_CONTAINS(err, "conv2d reads W, but it is NULL");
    CHECK(tsr_rt_conv2d_hip(b, NULL, &good, dummy, dummy, dummy, dummy, err, sizeof err) ==
          TSR_RT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err, "no hip kernel for " NCHW_KEY);
    tsr_rt_close(b);
}

int main(int argc, char **argv)
{
    int status = check_rt_start(argc, argv);
    if (status >= 0)
        return status;
    RUN_TEST(conv2d_of_untuned_shapes_is_right);
    RUN_TEST(conv2d_desc_key_is_the_stores);
    RUN_TEST(conv2d_desc_key_is_the_bundles);
    RUN_TEST(conv2d_refusals_are_a_code_and_one_line);
    return check_rt_finish();
}
