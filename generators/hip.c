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

/* AMD's wave matrix unit (CDNA's MFMA), only in kernels that use it:
 * v_mfma_f32_16x16x16 on four 16-bit values of A and of B per lane and
 * four f32 accumulators, which the compiler keeps in registers once the
 * helper is inlined. bf16 is the "_1k" form of gfx90a and later, which
 * takes four values as f16 does. */
static const char mfma_helpers[] =
    "typedef _Float16 tsr_mfma_half4 __attribute__((ext_vector_type(4)));\n"
    "typedef short tsr_mfma_short4 __attribute__((ext_vector_type(4)));\n"
    "typedef float tsr_mfma_float4 __attribute__((ext_vector_type(4)));\n"
    "#define TSR_MFMA(name, builtin, operand)                                               \\\n"
    "    __device__ __forceinline__ void name(float &c0, float &c1, float &c2, float &c3,   \\\n"
    "                                         unsigned short a0, unsigned short a1,         \\\n"
    "                                         unsigned short a2, unsigned short a3,         \\\n"
    "                                         unsigned short b0, unsigned short b1,         \\\n"
    "                                         unsigned short b2, unsigned short b3)         \\\n"
    "    {                                                                                  \\\n"
    "        tsr_mfma_short4 a = {(short)a0, (short)a1, (short)a2, (short)a3};              \\\n"
    "        tsr_mfma_short4 b = {(short)b0, (short)b1, (short)b2, (short)b3};              \\\n"
    "        tsr_mfma_float4 c = {c0, c1, c2, c3};                                          \\\n"
    "        c = builtin(__builtin_bit_cast(operand, a), __builtin_bit_cast(operand, b), c, \\\n"
    "                    0, 0, 0);                                                          \\\n"
    "        c0 = c[0];                                                                     \\\n"
    "        c1 = c[1];                                                                     \\\n"
    "        c2 = c[2];                                                                     \\\n"
    "        c3 = c[3];                                                                     \\\n"
    "    }\n"
    "TSR_MFMA(tsr_mfma_f16, __builtin_amdgcn_mfma_f32_16x16x16f16, tsr_mfma_half4)\n"
    "TSR_MFMA(tsr_mfma_bf16, __builtin_amdgcn_mfma_f32_16x16x16bf16_1k, tsr_mfma_short4)\n";

static void print_mfma(tsr_strbuf *out, tsr_dtype type, char *const *operands)
{
    tsr_strbuf_printf(out, "tsr_mfma_%s(", tsr_dtype_name(type));
    for (int i = 0; i < TP_MFMA_OPERANDS; i++)
        tsr_strbuf_printf(out, "%s%s", i ? ", " : "", operands[i]);
    tsr_strbuf_append(out, ")");
}

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
    .mfma_helpers = mfma_helpers,
    .print_kernel_head = kernel_head,
    TSR_CUDA_FAMILY_FIELDS,
    .print_subgroup_helpers = subgroup_helpers,
    .print_mfma = print_mfma,
};
