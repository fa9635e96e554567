/* conv2d's section of the op spec, its store key and its shapes' rules:
 * the constants the kernel is compiled for (core/opspec.h's tsr_conv2d). */
#include "core/ops/conv2d_spec.h"

#include <stdio.h>
#include <string.h>

#include "core/op.h"
#include "core/strbuf.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define REQ(k) ((uint64_t)1 << (k))
/* Kernels index buffers with 32-bit ints. */
#define MAX_ELEMS 2147483648.0

/* A pair of a conv2d's section (`what`, e.g. "conv2d.stride"): one integer
 * for both axes, or [rows, cols]. */
static tsr_status parse_pair(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, long long min,
                             long long max, int *out)
{
    long long pair[2];
    if (node->type == YAML_SEQUENCE_NODE)
        TSR_TRY(tsr_yaml_int_list(doc, node, what, 2, min, max, pair));
    else {
        TSR_TRY(tsr_yaml_int(doc, node, what, min, max, &pair[0]));
        pair[1] = pair[0];
    }
    out[0] = (int)pair[0];
    out[1] = (int)pair[1];
    return TSR_OK;
}

static const char *const conv_layout_names[] = {"nchw", "nhwc"};

/* conv2d's section: the layout and the filter (required), stride, pad,
 * dilation, groups and the epilogue. The limits keep every index the
 * kernel forms within 32 bits and every filter a real one. */
tsr_status tsr_conv2d_parse(tsr_yaml_doc *doc, yaml_node_t *node, tsr_opspec *spec)
{
    static const char *const keys[] = {"layout", "filter",     "stride", "pad",   "dilation",
                                       "groups", "activation", "bias",   "output"};
    tsr_yaml_field f[COUNT(keys)];
    tsr_conv2d *conv = &spec->conv;
    int value;
    TSR_TRY(tsr_yaml_fields(doc, node, "conv2d", keys, COUNT(keys), REQ(0) | REQ(1), f));
    TSR_TRY(tsr_yaml_enum(doc, f[0].value, "conv2d.layout", conv_layout_names, 2, &value));
    conv->channels_last = value == 1;
    /* The implicit GEMM's B is W^T for nhwc (k x filters, k contiguous):
     * column-major, which the matrix unit's tile then stores k-fastest so
     * that W moves by asynchronous copies (core/ops/conv2d.c). */
    spec->layout_b = conv->channels_last ? TSR_COL_MAJOR : TSR_ROW_MAJOR;
    TSR_TRY(parse_pair(doc, f[1].value, "conv2d.filter", 1, 32, conv->filter));
    if (f[2].value)
        TSR_TRY(parse_pair(doc, f[2].value, "conv2d.stride", 1, 64, conv->stride));
    if (f[3].value)
        TSR_TRY(parse_pair(doc, f[3].value, "conv2d.pad", 0, 1024, conv->pad));
    if (f[4].value)
        TSR_TRY(parse_pair(doc, f[4].value, "conv2d.dilation", 1, 64, conv->dilation));
    if (f[5].value) {
        long long groups;
        TSR_TRY(tsr_yaml_int(doc, f[5].value, "conv2d.groups", 1, 65536, &groups));
        conv->groups = (int)groups;
    }
    if (f[6].value) {
        const char *activations[TSR_ACT_COUNT];
        for (int i = 0; i < TSR_ACT_COUNT; i++)
            activations[i] = tsr_activation_name((tsr_activation)i);
        TSR_TRY(tsr_yaml_enum(doc, f[6].value, "conv2d.activation", activations, TSR_ACT_COUNT,
                              &value));
        spec->activation = (tsr_activation)value;
    }
    if (f[7].value)
        TSR_TRY(tsr_yaml_bool(doc, f[7].value, "conv2d.bias", &conv->bias));
    if (f[8].value) {
        static const char *const outputs[] = {"f32", "f16", "bf16"};
        static const tsr_dtype output_types[] = {TSR_F32, TSR_F16, TSR_BF16};
        TSR_TRY(tsr_yaml_enum(doc, f[8].value, "conv2d.output", outputs, COUNT(outputs), &value));
        spec->output = output_types[value];
    }
    return TSR_OK;
}

long tsr_conv2d_out(const tsr_opspec *spec, const tsr_shape *shape, int axis)
{
    const tsr_conv2d *conv = &spec->conv;
    long in = shape->dim[2 + axis]; /* conv2d's dims: n, c, h, w, k */
    long span = in + 2L * conv->pad[axis] - (long)conv->dilation[axis] * (conv->filter[axis] - 1);
    return span < 1 ? 0 : (span - 1) / conv->stride[axis] + 1;
}

/* A conv2d shape's own rules (for other ops, true): the channels split
 * into the groups, the filter fits the padded image, and X, W and Y stay
 * below 2^31 elements. Else false, with the reason. */
bool tsr_conv2d_shape_fits(const tsr_opspec *spec, const tsr_shape *shape, char *why, size_t size)
{
    if (strcmp(spec->op->name, "conv2d") != 0)
        return true;
    const tsr_conv2d *conv = &spec->conv;
    long n = shape->dim[0], c = shape->dim[1], h = shape->dim[2], w = shape->dim[3];
    long k = shape->dim[4];
    if (c % conv->groups || k % conv->groups) {
        snprintf(why, size, "c=%ld and k=%ld must both be multiples of groups=%d", c, k,
                 conv->groups);
        return false;
    }
    long oh = tsr_conv2d_out(spec, shape, 0), ow = tsr_conv2d_out(spec, shape, 1);
    if (oh < 1 || ow < 1) {
        snprintf(why, size,
                 "the %dx%d filter (dilation %d,%d) does not fit the %ldx%ld image padded by "
                 "%d,%d",
                 conv->filter[0], conv->filter[1], conv->dilation[0], conv->dilation[1], h, w,
                 conv->pad[0], conv->pad[1]);
        return false;
    }
    /* In double: with each dim below 2^31 the products may pass 2^63, and
     * only whether they reach 2^31 matters. */
    double x = (double)n * c * h * w, y = (double)n * k * oh * ow;
    double f = (double)k * (c / conv->groups) * conv->filter[0] * conv->filter[1];
    const char *name = x >= MAX_ELEMS ? "X" : y >= MAX_ELEMS ? "Y" : f >= MAX_ELEMS ? "W" : NULL;
    if (name) {
        snprintf(why, size,
                 "%s has %.0f elements, must stay below 2^31 (kernels index with 32-bit ints)",
                 name,
                 x >= MAX_ELEMS   ? x
                 : y >= MAX_ELEMS ? y
                                  : f);
        return false;
    }
    return true;
}

/* Everything of a conv2d's section changes the kernel: the layout, the
 * constants it divides by, and the epilogue (its parts only when used). */
const char *tsr_conv2d_key(const tsr_opspec *spec)
{
    const char *dtype = tsr_dtype_name(spec->dtype);
    const tsr_conv2d *conv = &spec->conv;
    char epilogue[64] = "";
    size_t used = 0;
    if (conv->bias)
        tsr_bufprintf(epilogue, sizeof epilogue, &used, ".bias=1");
    if (spec->activation != TSR_ACT_NONE)
        tsr_bufprintf(epilogue, sizeof epilogue, &used, ".act=%s",
                      tsr_activation_name(spec->activation));
    if (spec->output != tsr_dtype_compute(spec->dtype))
        tsr_bufprintf(epilogue, sizeof epilogue, &used, ".out=%s", tsr_dtype_name(spec->output));
    return tsr_arena_printf(
        spec->arena, "conv2d.%s.%s.r=%d.s=%d.stride=%d,%d.pad=%d,%d.dil=%d,%d.groups=%d%s", dtype,
        conv_layout_names[conv->channels_last], conv->filter[0], conv->filter[1], conv->stride[0],
        conv->stride[1], conv->pad[0], conv->pad[1], conv->dilation[0], conv->dilation[1],
        conv->groups, epilogue);
}
