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

/* f16 to and from float through clang's own _Float16 (which every AMD
 * target has; its conversion from float rounds to nearest even). */
static const char own_helpers[] = "__device__ inline float tsr_f16_to_f32(unsigned short h)\n"
                                  "{\n"
                                  "    return (float)__builtin_bit_cast(_Float16, h);\n"
                                  "}\n"
                                  "__device__ inline unsigned short tsr_f32_to_f16(float f)\n"
                                  "{\n"
                                  "    return __builtin_bit_cast(unsigned short, (_Float16)f);\n"
                                  "}\n";

/* HIP's shuffles take no mask: the whole wave takes part. */
static void subgroup_helpers(tsr_strbuf *out, int width)
{
    tsr_cuda_family_subgroup_helpers(out, width, "__shfl_xor(v, m)");
}

const tsr_dialect tsr_dialect_hip = {
    .name = "hip",
    .extension = ".hip",
    .includes = "#include <hip/hip_runtime.h>\n",
    .own_helpers = own_helpers,
    .preamble = tsr_cuda_family_preamble,
    .print_kernel_head = kernel_head,
    TSR_CUDA_FAMILY_FIELDS,
    .print_subgroup_helpers = subgroup_helpers,
};
