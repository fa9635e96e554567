/* The op definitions compiled into tessera. */
#ifndef TSR_OPS_H
#define TSR_OPS_H

#include "core/op.h"

extern const tsr_op_def tsr_op_gemm;
extern const tsr_op_def tsr_op_softmax;
extern const tsr_op_def tsr_op_reduce;
extern const tsr_op_def tsr_op_rmsnorm;
extern const tsr_op_def tsr_op_layernorm;
extern const tsr_op_def tsr_op_permute;
extern const tsr_op_def tsr_op_conv2d;
extern const tsr_op_def tsr_op_attention;

#endif
