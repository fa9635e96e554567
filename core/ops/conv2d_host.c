/* conv2d on the host: buffer sizes, kernel arguments, the reference in
 * double precision with the error scale of every output element, and what
 * the cost model sees of a kernel. */
#include <math.h>

#include "core/host_reference.h"
#include "core/ops/conv2d_internal.h"
#include "core/ops/gemm_internal.h"

/* The extents of one shape, the output's among them. */
typedef struct conv_extent {
    long n, c, h, w, k, oh, ow, cg, kg;
} conv_extent;

static conv_extent extent_of(const tsr_opspec *spec, const tsr_shape *shape)
{
    const long *d = shape->dim;
    conv_extent e = {.n = d[CONV_DIM_N],
                     .c = d[CONV_DIM_C],
                     .h = d[CONV_DIM_H],
                     .w = d[CONV_DIM_W],
                     .k = d[CONV_DIM_K],
                     .oh = tsr_conv2d_out(spec, shape, 0),
                     .ow = tsr_conv2d_out(spec, shape, 1)};
    e.cg = e.c / spec->conv.groups;
    e.kg = e.k / spec->conv.groups;
    return e;
}

size_t conv2d_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer)
{
    conv_extent e = extent_of(spec, shape);
    switch (buffer) {
    case CONV_ARG_X: return (size_t)(e.n * e.c * e.h * e.w);
    case CONV_ARG_W: return (size_t)(e.k * e.cg * spec->conv.filter[0] * spec->conv.filter[1]);
    case CONV_ARG_Y: return (size_t)(e.n * e.k * e.oh * e.ow);
    case CONV_BUF_BIAS: return spec->conv.bias ? (size_t)e.k : 0;
    default: return 0;
    }
}

int conv2d_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
                tsr_arg *out)
{
    conv_extent e = extent_of(spec, shape);
    long ints[] = {e.n, e.c, e.h, e.w, e.k, e.oh, e.ow};
    for (int i = 0; i <= CONV_ARG_Y; i++)
        out[i] = (tsr_arg){.kind = TSR_ARG_BUFFER, .buffer = buffers[i]};
    for (int i = 0; i < CONV_ARG_ALPHA - CONV_ARG_N; i++)
        out[CONV_ARG_N + i] = (tsr_arg){.kind = TSR_ARG_INT, .i = (int)ints[i]};
    out[CONV_ARG_ALPHA] = (tsr_arg){.kind = TSR_ARG_FLOAT, .f = 1.0f};
    if (spec->conv.bias)
        out[CONV_ARG_COUNT] = (tsr_arg){.kind = TSR_ARG_BUFFER, .buffer = buffers[CONV_BUF_BIAS]};
    return conv2d_arg_count(spec);
}

/* One reference, computed by output planes, a plane being one output
 * channel of one image. */
typedef struct reference_planes {
    const tsr_opspec *spec;
    conv_extent e;
    const float *x, *w, *bias;
    double *out, *magnitude;
} reference_planes;

/* The places of X's element (image, channel, row, col), W's (filter,
 * channel in its group, tap row, tap col) and Y's (image, channel, row,
 * col) in their buffers, per layout. */
static long x_index(const reference_planes *r, long b, long c, long ih, long iw)
{
    const conv_extent *e = &r->e;
    return r->spec->conv.channels_last ? ((b * e->h + ih) * e->w + iw) * e->c + c
                                       : ((b * e->c + c) * e->h + ih) * e->w + iw;
}

static long w_index(const reference_planes *r, long k, long c, long fr, long fs)
{
    const tsr_conv2d *conv = &r->spec->conv;
    return conv->channels_last ? ((k * conv->filter[0] + fr) * conv->filter[1] + fs) * r->e.cg + c
                               : ((k * r->e.cg + c) * conv->filter[0] + fr) * conv->filter[1] + fs;
}

static long y_index(const reference_planes *r, long b, long k, long oh, long ow)
{
    const conv_extent *e = &r->e;
    return r->spec->conv.channels_last ? ((b * e->oh + oh) * e->ow + ow) * e->k + k
                                       : ((b * e->k + k) * e->oh + oh) * e->ow + ow;
}

/* One output element straight from the definition: the sum over its
 * group's channels and the filter's taps that land inside the image. */
static void reference_element(const reference_planes *r, long b, long k, long oh, long ow)
{
    const tsr_conv2d *conv = &r->spec->conv;
    long first_channel = k / r->e.kg * r->e.cg;
    double sum = 0.0, mag = 0.0;
    for (long c = 0; c < r->e.cg; c++)
        for (long fr = 0; fr < conv->filter[0]; fr++) {
            long ih = oh * conv->stride[0] - conv->pad[0] + fr * conv->dilation[0];
            if (ih < 0 || ih >= r->e.h)
                continue;
            for (long fs = 0; fs < conv->filter[1]; fs++) {
                long iw = ow * conv->stride[1] - conv->pad[1] + fs * conv->dilation[1];
                if (iw < 0 || iw >= r->e.w)
                    continue;
                double term = (double)r->x[x_index(r, b, first_channel + c, ih, iw)] *
                              r->w[w_index(r, k, c, fr, fs)];
                sum += term;
                mag += fabs(term);
            }
        }
    double bias = conv->bias ? r->bias[k] : 0.0;
    double z = sum + bias, z_mag = mag + fabs(bias);
    tsr_activation act = r->spec->activation;
    long at = y_index(r, b, k, oh, ow);
    r->out[at] = tsr_activate(act, z);
    r->magnitude[at] =
        act == TSR_ACT_NONE ? z_mag : tsr_activation_slope(act) * z_mag + fabs(r->out[at]);
}

static void reference_run_planes(void *ctx, long begin, long end)
{
    const reference_planes *r = ctx;
    for (long plane = begin; plane < end; plane++)
        for (long oh = 0; oh < r->e.oh; oh++)
            for (long ow = 0; ow < r->e.ow; ow++)
                reference_element(r, plane / r->e.k, plane % r->e.k, oh, ow);
}

/* Large references are split by output planes over the machine's cores
 * (tsr_reference_split). */
void conv2d_reference(const tsr_opspec *spec, const tsr_shape *shape, const float *const *buffers,
                      double *out, double *magnitude)
{
    conv_extent e = extent_of(spec, shape);
    reference_planes whole = {.spec = spec,
                              .e = e,
                              .x = buffers[CONV_ARG_X],
                              .w = buffers[CONV_ARG_W],
                              .bias = buffers[CONV_BUF_BIAS],
                              .out = out,
                              .magnitude = magnitude};
    long planes = e.n * e.k;
    double work = (double)planes * e.oh * e.ow * e.cg * spec->conv.filter[0] * spec->conv.filter[1];
    tsr_reference_split(planes, work, reference_run_planes, &whole);
}

/* As GEMM's (core/ops/gemm_host.c) over the taps an output sums:
 * f32 accumulation's rounding growing like sqrt(taps), plus a 16-bit
 * output's one rounding at the store. */
double conv2d_tolerance(const tsr_opspec *spec, const tsr_shape *shape)
{
    conv_extent e = extent_of(spec, shape);
    double taps = (double)e.cg * spec->conv.filter[0] * spec->conv.filter[1];
    return (16.0 * sqrt(taps) + 64.0) * ldexp(1.0, -24) + tsr_dtype_store_rounding(spec->output);
}

/* Two per tap of every output, padding included, as convolutions are
 * usually counted. */
double conv2d_flops(const tsr_opspec *spec, const tsr_shape *shape)
{
    conv_extent e = extent_of(spec, shape);
    return 2.0 * (double)e.n * e.k * e.oh * e.ow * e.cg * spec->conv.filter[0] *
           spec->conv.filter[1];
}

/* The implicit GEMM's features (core/ops/conv2d.c): nchw multiplies a
 * group's filters by its image's pixels, once per image and group; nhwc
 * all images' pixels by a group's filters, once per group. The gathers'
 * address arithmetic is not in the estimate; the learned model sees it in
 * the measurements. */
int conv2d_features(const tsr_opspec *spec, const tsr_profile *profile, const tsr_shape *shape,
                    const tsr_config *config, const struct tsr_resource_report *resources,
                    double *out)
{
    conv_extent e = extent_of(spec, shape);
    tsr_shape gemm = {{0}};
    long pixels = e.oh * e.ow;
    bool nhwc = spec->conv.channels_last;
    gemm.dim[GEMM_DIM_M] = nhwc ? e.n * pixels : e.kg;
    gemm.dim[GEMM_DIM_N] = nhwc ? e.kg : pixels;
    gemm.dim[GEMM_DIM_K] = e.cg * spec->conv.filter[0] * spec->conv.filter[1];
    gemm.dim[GEMM_DIM_BATCH] = nhwc ? spec->conv.groups : e.n * spec->conv.groups;
    return gemm_features(spec, profile, &gemm, config, resources, out);
}
