/* conv2d calls of libtessera-rt, whatever the backend: the desc checked at
 * the API's edge and turned into the op key (everything compiled into the
 * kernel) and shape (n, c, h, w, k) that pick the kernel, and the output's
 * size the kernel takes as arguments (see tessera_rt.h and
 * docs/conv2d.md). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "rt/rt_internal.h"

/* The words tessera's store writes for the layouts in an op key
 * (core/ops/conv2d_spec.c); indexed by tsr_rt_conv_layout. */
static const char *const layout_names[] = {"nchw", "nhwc"};

/* The call's buffer slots, as parse_args (rt_bundle.c) gives the kernels'
 * argument names; the backends pass the handles in this order. */
enum { SLOT_X, SLOT_Y, SLOT_W, SLOT_BIAS, SLOT_COUNT };

/* The ranges of the op spec's conv2d section (core/ops/conv2d_spec.c):
 * they keep every index the kernel forms within 32 bits. */
enum { FILTER_MAX = 32, STRIDE_MAX = 64, PAD_MAX = 1024, DILATION_MAX = 64, GROUPS_MAX = 65536 };

/* An enum read from a program's struct may hold any int. */
static bool layout_valid(tsr_rt_conv_layout layout)
{
    return (int)layout >= 0 && (size_t)layout < sizeof layout_names / sizeof layout_names[0];
}

static bool pair_in(const int pair[2], int min, int max)
{
    return pair[0] >= min && pair[0] <= max && pair[1] >= min && pair[1] <= max;
}

/* Whether the fields of the key are each within the op spec's range. */
static bool constants_valid(const tsr_rt_conv2d_desc *d)
{
    return pair_in(d->filter, 1, FILTER_MAX) && pair_in(d->stride, 1, STRIDE_MAX) &&
           pair_in(d->pad, 0, PAD_MAX) && pair_in(d->dilation, 1, DILATION_MAX) && d->groups >= 1 &&
           d->groups <= GROUPS_MAX;
}

void tsr_rt_conv2d_desc_init(tsr_rt_conv2d_desc *desc, int batch, int channels, int height,
                             int width, int filters, int filter_rows, int filter_cols)
{
    *desc = (tsr_rt_conv2d_desc){.layout = TSR_RT_NCHW,
                                 .batch = batch,
                                 .channels = channels,
                                 .height = height,
                                 .width = width,
                                 .filters = filters,
                                 .filter = {filter_rows, filter_cols},
                                 .stride = {1, 1},
                                 .pad = {0, 0},
                                 .dilation = {1, 1},
                                 .groups = 1,
                                 .bias = false,
                                 .activation = TSR_RT_ACT_NONE,
                                 .dtype = TSR_RT_F32,
                                 .output = TSR_RT_F32};
}

const char *tsr_rt_conv2d_desc_key(const tsr_rt_conv2d_desc *d, char *buf, size_t size)
{
    const char *dtype = d ? rt_dtype_name(d->dtype) : NULL;
    const char *output = d ? rt_dtype_name(d->output) : NULL;
    const char *activation = d ? rt_activation_name(d->activation) : NULL;
    if (!dtype || !output || !activation || !layout_valid(d->layout) || !constants_valid(d))
        return NULL;
    /* As the store: the epilogue's parts only when used; the output's type
     * when it is not the f32 every input type computes in. */
    char epilogue[48] = "";
    if (d->bias)
        snprintf(epilogue, sizeof epilogue, ".bias=1");
    if (d->activation != TSR_RT_ACT_NONE)
        snprintf(epilogue + strlen(epilogue), sizeof epilogue - strlen(epilogue), ".act=%s",
                 activation);
    if (d->output != TSR_RT_F32)
        snprintf(epilogue + strlen(epilogue), sizeof epilogue - strlen(epilogue), ".out=%s",
                 output);
    snprintf(buf, size, "conv2d.%s.%s.r=%d.s=%d.stride=%d,%d.pad=%d,%d.dil=%d,%d.groups=%d%s",
             dtype, layout_names[d->layout], d->filter[0], d->filter[1], d->stride[0], d->stride[1],
             d->pad[0], d->pad[1], d->dilation[0], d->dilation[1], d->groups, epilogue);
    return buf;
}

static int check_enums(const tsr_rt_conv2d_desc *d, char *err, size_t err_size)
{
    if (!layout_valid(d->layout))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "conv2d desc: layout %d is not TSR_RT_NCHW or TSR_RT_NHWC", (int)d->layout);
    if (!rt_activation_name(d->activation))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "conv2d desc: activation %d is not TSR_RT_ACT_NONE, _RELU, _GELU or _SILU",
                       (int)d->activation);
    if (!rt_dtype_name(d->dtype) || !rt_dtype_name(d->output))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "conv2d desc: dtype %d or output %d is not TSR_RT_F32, _F16 or _BF16",
                       (int)d->dtype, (int)d->output);
    return TSR_RT_OK;
}

/* One pair of the desc against its range, named as the op spec names it. */
static int check_pair(const char *name, const int pair[2], int min, int max, char *err,
                      size_t err_size)
{
    if (pair_in(pair, min, max))
        return TSR_RT_OK;
    return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "conv2d %s=%d,%d: each must be %d to %d", name,
                   pair[0], pair[1], min, max);
}

static int check_constants(const tsr_rt_conv2d_desc *d, char *err, size_t err_size)
{
    int rc = check_pair("filter", d->filter, 1, FILTER_MAX, err, err_size);
    if (!rc)
        rc = check_pair("stride", d->stride, 1, STRIDE_MAX, err, err_size);
    if (!rc)
        rc = check_pair("pad", d->pad, 0, PAD_MAX, err, err_size);
    if (!rc)
        rc = check_pair("dilation", d->dilation, 1, DILATION_MAX, err, err_size);
    if (!rc && (d->groups < 1 || d->groups > GROUPS_MAX))
        rc = rt_fail(err, err_size, TSR_RT_ERR_INPUT, "conv2d groups=%d: must be 1 to %d",
                     d->groups, GROUPS_MAX);
    return rc;
}

/* Y's rows (axis 0) or cols (1); 0 when the filter does not fit the
 * padded image. */
static long long output_extent(const tsr_rt_conv2d_desc *d, int axis)
{
    long long in = axis ? d->width : d->height;
    long long span = in + 2LL * d->pad[axis] - (long long)d->dilation[axis] * (d->filter[axis] - 1);
    return span < 1 ? 0 : (span - 1) / d->stride[axis] + 1;
}

/* The sizes: each >= 1, split by the groups, the filter inside the padded
 * image, and X, W and Y within the kernels' 32-bit indices. */
static int check_sizes(const tsr_rt_conv2d_desc *d, char *err, size_t err_size)
{
    if (d->batch < 1 || d->channels < 1 || d->height < 1 || d->width < 1 || d->filters < 1)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "conv2d batch=%d channels=%d height=%d width=%d filters=%d: each must be "
                       ">= 1",
                       d->batch, d->channels, d->height, d->width, d->filters);
    if (d->channels % d->groups || d->filters % d->groups)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "conv2d channels=%d filters=%d: both must be multiples of groups=%d",
                       d->channels, d->filters, d->groups);
    long long oh = output_extent(d, 0), ow = output_extent(d, 1);
    if (oh < 1 || ow < 1)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "conv2d: the %dx%d filter (dilation %d,%d) does not fit the %dx%d image "
                       "padded by %d,%d",
                       d->filter[0], d->filter[1], d->dilation[0], d->dilation[1], d->height,
                       d->width, d->pad[0], d->pad[1]);
    /* In double: each factor is below 2^31, so the products may pass 2^63,
     * and only whether they pass INT_MAX matters. */
    const struct {
        const char *name;
        double elems;
    } spans[] = {
        {"X", (double)d->batch * d->channels * d->height * d->width},
        {"W", (double)d->filters * (d->channels / d->groups) * d->filter[0] * d->filter[1]},
        {"Y", (double)d->batch * d->filters * (double)oh * (double)ow},
    };
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
        if (spans[i].elems > INT_MAX)
            return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                           "conv2d batch=%d channels=%d height=%d width=%d filters=%d: %s holds "
                           "%.0f elements, more than the %d a kernel can index",
                           d->batch, d->channels, d->height, d->width, d->filters, spans[i].name,
                           spans[i].elems, INT_MAX);
    return TSR_RT_OK;
}

/* X, W and Y always; the bias exactly when the desc asks for it: one given
 * and not asked for is a program that believes it is added. */
static int check_buffers(const tsr_rt_conv2d_desc *d, const bool given[SLOT_COUNT], char *err,
                         size_t err_size)
{
    static const struct {
        int slot;
        const char *text;
    } needed[] = {{SLOT_X, "reads X"}, {SLOT_W, "reads W"}, {SLOT_Y, "writes Y"}};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (!given[needed[i].slot])
            return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "conv2d %s, but it is NULL",
                           needed[i].text);
    if (d->bias && !given[SLOT_BIAS])
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "conv2d desc asks for a bias, but the bias buffer is NULL");
    if (!d->bias && given[SLOT_BIAS])
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "conv2d bias buffer given, but the desc's bias is false (pass NULL)");
    return TSR_RT_OK;
}

int rt_conv2d_call(const tsr_rt_conv2d_desc *d, const void *const handles[4], const bool given[4],
                   rt_call *call, char *err, size_t err_size)
{
    if (!d)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "conv2d: no desc (NULL)");
    int rc = check_enums(d, err, err_size);
    if (!rc)
        rc = check_constants(d, err, err_size);
    if (!rc)
        rc = check_sizes(d, err, err_size);
    if (!rc)
        rc = check_buffers(d, given, err, err_size);
    if (rc)
        return rc;
    /* The kernel takes Y's size as well as X's (core/ops/conv2d_host.c),
     * and alpha 1: the GEMM epilogue it shares scales the sums by it. */
    *call = (rt_call){.shape = {d->batch, d->channels, d->height, d->width, d->filters},
                      .n_dims = 5,
                      .ints = {d->batch, d->channels, d->height, d->width, d->filters,
                               (int)output_extent(d, 0), (int)output_extent(d, 1)},
                      .floats = {1.0f}};
    tsr_rt_conv2d_desc_key(d, call->op_key, sizeof call->op_key);
    for (int i = 0; i < SLOT_COUNT; i++) {
        call->buffers[i] = handles[i];
        call->given[i] = given[i];
    }
    return TSR_RT_OK;
}
