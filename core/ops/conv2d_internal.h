/* Shared between the conv2d files: the dims, buffers and argument order. */
#ifndef TSR_CONV2D_INTERNAL_H
#define TSR_CONV2D_INTERNAL_H

#include "core/op.h"

/* A shape gives the images' count, channels, rows and cols, and the
 * filters' count (the output channels); the filter's size, stride, pad,
 * dilation and groups are the spec's (tsr_conv2d). */
enum conv2d_dim { CONV_DIM_N, CONV_DIM_C, CONV_DIM_H, CONV_DIM_W, CONV_DIM_K, CONV_DIM_COUNT };

/* The kernel's arguments: these for every spec, then the bias when the
 * spec has one. alpha scales the sum, as the GEMM epilogue the kernel
 * shares expects; conv2d passes 1. */
enum conv2d_arg {
    CONV_ARG_X,
    CONV_ARG_W,
    CONV_ARG_Y,
    CONV_ARG_N,
    CONV_ARG_C,
    CONV_ARG_H,
    CONV_ARG_IW,
    CONV_ARG_K,
    CONV_ARG_OH,
    CONV_ARG_OW,
    CONV_ARG_ALPHA,
    CONV_ARG_COUNT
};

/* The op's buffers: X, W and Y share their argument index; the bias has
 * no elements (and no argument) unless the spec has one. */
enum conv2d_buffer { CONV_BUF_BIAS = CONV_ARG_Y + 1, CONV_BUFFER_COUNT };

static inline int conv2d_arg_count(const tsr_opspec *spec)
{
    return CONV_ARG_COUNT + spec->conv.bias;
}

size_t conv2d_buffer_elems(const tsr_opspec *spec, const tsr_shape *shape, int buffer);
int conv2d_args(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
                tsr_arg *out);
void conv2d_reference(const tsr_opspec *spec, const tsr_shape *shape, const float *const *buffers,
                      double *out, double *magnitude);
double conv2d_tolerance(const tsr_opspec *spec, const tsr_shape *shape);
double conv2d_flops(const tsr_opspec *spec, const tsr_shape *shape);
struct tsr_resource_report;
int conv2d_features(const tsr_opspec *spec, const tsr_profile *profile, const tsr_shape *shape,
                    const tsr_config *config, const struct tsr_resource_report *resources,
                    double *out);

#endif
