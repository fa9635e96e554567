/* HIP C++ for hipRTC and hipcc: the dialect table. The preamble is CUDA's
 * after the HIP runtime header, which hipcc does not always put in scope by
 * itself (Debian's hipcc does not); hipRTC has its own copy of it. */
#include "generators/dialects.h"

/* The attribute that HIP's __launch_bounds__ stands for, spelt out: hipRTC
 * and a bare hipcc translation unit do not define the macro. */
static void kernel_head(tsr_strbuf *out, const tp_kernel *k)
{
    tsr_strbuf_printf(out,
                      "extern \"C\" __global__ __attribute__((amdgpu_flat_work_group_size(1, %d))) "
                      "void\n",
                      k->local[0] * k->local[1] * k->local[2]);
}

const tsr_dialect tsr_dialect_hip = {
    .name = "hip",
    .extension = ".hip",
    .includes = "#include <hip/hip_runtime.h>\n",
    .preamble = tsr_cuda_family_preamble,
    .print_kernel_head = kernel_head,
    TSR_CUDA_FAMILY_FIELDS,
};
