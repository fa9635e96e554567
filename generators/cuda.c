/* CUDA C++ for NVRTC and nvcc: the dialect table. */
#include "generators/dialects.h"

/* The block size is fixed at generation, so it is also the launch bound. */
static void kernel_head(tsr_strbuf *out, const tp_kernel *k)
{
    tsr_strbuf_printf(out, "extern \"C\" __global__ void __launch_bounds__(%d)\n",
                      k->local[0] * k->local[1] * k->local[2]);
}

const tsr_dialect tsr_dialect_cuda = {
    .name = "cuda",
    .extension = ".cu",
    .preamble = tsr_cuda_family_preamble,
    .print_kernel_head = kernel_head,
    TSR_CUDA_FAMILY_FIELDS,
};
