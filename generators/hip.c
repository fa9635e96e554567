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

/* AMD's wave matrix units, only in kernels that use one: CDNA's MFMA
 * (v_mfma_f32_16x16x16 on four 16-bit values of A and of B per lane, four
 * f32 accumulators; bf16 is the "_1k" form of gfx90a and later) and
 * RDNA3's WMMA (v_wmma_f32_16x16x16 on sixteen values each, eight
 * accumulators, waves of 32), whose accumulators the compiler keeps in
 * registers once the helper is inlined. An unused helper is never
 * compiled for its target, so each kernel carries both. */
static const char wave_unit_helpers[] =
    "typedef _Float16 tsr_mfma_half4 __attribute__((ext_vector_type(4)));\n"
    "typedef short tsr_mfma_short4 __attribute__((ext_vector_type(4)));\n"
    "typedef float tsr_mfma_float4 __attribute__((ext_vector_type(4)));\n"
    "typedef _Float16 tsr_wmma_half16 __attribute__((ext_vector_type(16)));\n"
    "typedef short tsr_wmma_short16 __attribute__((ext_vector_type(16)));\n"
    "typedef float tsr_wmma_float8 __attribute__((ext_vector_type(8)));\n"
    "#define TSR_MFMA(name, builtin, operand)                                                \\\n"
    "    __device__ __forceinline__ void name(float &c0, float &c1, float &c2, float &c3,    \\\n"
    "                                         unsigned short a0, unsigned short a1,          \\\n"
    "                                         unsigned short a2, unsigned short a3,          \\\n"
    "                                         unsigned short b0, unsigned short b1,          \\\n"
    "                                         unsigned short b2, unsigned short b3)          \\\n"
    "    {                                                                                   \\\n"
    "        tsr_mfma_short4 a = {(short)a0, (short)a1, (short)a2, (short)a3};               \\\n"
    "        tsr_mfma_short4 b = {(short)b0, (short)b1, (short)b2, (short)b3};               \\\n"
    "        tsr_mfma_float4 c = {c0, c1, c2, c3};                                           \\\n"
    "        c = builtin(__builtin_bit_cast(operand, a), __builtin_bit_cast(operand, b), c,  \\\n"
    "                    0, 0, 0);                                                           \\\n"
    "        c0 = c[0];                                                                      \\\n"
    "        c1 = c[1];                                                                      \\\n"
    "        c2 = c[2];                                                                      \\\n"
    "        c3 = c[3];                                                                      \\\n"
    "    }\n"
    "TSR_MFMA(tsr_mfma_f16, __builtin_amdgcn_mfma_f32_16x16x16f16, tsr_mfma_half4)\n"
    "TSR_MFMA(tsr_mfma_bf16, __builtin_amdgcn_mfma_f32_16x16x16bf16_1k, tsr_mfma_short4)\n"
    "#define TSR_WMMA(name, builtin, operand)                                                \\\n"
    "    __device__ __forceinline__ void name(float &c0, float &c1, float &c2, float &c3,    \\\n"
    "                                         float &c4, float &c5, float &c6, float &c7,    \\\n"
    "                                         unsigned short a0, unsigned short a1,          \\\n"
    "                                         unsigned short a2, unsigned short a3,          \\\n"
    "                                         unsigned short a4, unsigned short a5,          \\\n"
    "                                         unsigned short a6, unsigned short a7,          \\\n"
    "                                         unsigned short a8, unsigned short a9,          \\\n"
    "                                         unsigned short a10, unsigned short a11,        \\\n"
    "                                         unsigned short a12, unsigned short a13,        \\\n"
    "                                         unsigned short a14, unsigned short a15,        \\\n"
    "                                         unsigned short b0, unsigned short b1,          \\\n"
    "                                         unsigned short b2, unsigned short b3,          \\\n"
    "                                         unsigned short b4, unsigned short b5,          \\\n"
    "                                         unsigned short b6, unsigned short b7,          \\\n"
    "                                         unsigned short b8, unsigned short b9,          \\\n"
    "                                         unsigned short b10, unsigned short b11,        \\\n"
    "                                         unsigned short b12, unsigned short b13,        \\\n"
    "                                         unsigned short b14, unsigned short b15)        \\\n"
    "    {                                                                                   \\\n"
    "        tsr_wmma_short16 a = {(short)a0,  (short)a1,  (short)a2,  (short)a3,            \\\n"
    "                              (short)a4,  (short)a5,  (short)a6,  (short)a7,            \\\n"
    "                              (short)a8,  (short)a9,  (short)a10, (short)a11,           \\\n"
    "                              (short)a12, (short)a13, (short)a14, (short)a15};          \\\n"
    "        tsr_wmma_short16 b = {(short)b0,  (short)b1,  (short)b2,  (short)b3,            \\\n"
    "                              (short)b4,  (short)b5,  (short)b6,  (short)b7,            \\\n"
    "                              (short)b8,  (short)b9,  (short)b10, (short)b11,           \\\n"
    "                              (short)b12, (short)b13, (short)b14, (short)b15};          \\\n"
    "        tsr_wmma_float8 c = {c0, c1, c2, c3, c4, c5, c6, c7};                           \\\n"
    "        c = builtin(__builtin_bit_cast(operand, a), __builtin_bit_cast(operand, b), c); \\\n"
    "        c0 = c[0];                                                                      \\\n"
    "        c1 = c[1];                                                                      \\\n"
    "        c2 = c[2];                                                                      \\\n"
    "        c3 = c[3];                                                                      \\\n"
    "        c4 = c[4];                                                                      \\\n"
    "        c5 = c[5];                                                                      \\\n"
    "        c6 = c[6];                                                                      \\\n"
    "        c7 = c[7];                                                                      \\\n"
    "    }\n"
    "TSR_WMMA(tsr_wmma_f16, __builtin_amdgcn_wmma_f32_16x16x16_f16_w32, tsr_wmma_half16)\n"
    "TSR_WMMA(tsr_wmma_bf16, __builtin_amdgcn_wmma_f32_16x16x16_bf16_w32, tsr_wmma_short16)\n";

/* tsr_mfma_T(c0 .. c3, a0 .. a3, b0 .. b3) and tsr_wmma_T(c0 .. c7, a0 ..
 * a15, b0 .. b15), the accumulators by reference. */
static void print_call(tsr_strbuf *out, const char *unit, tsr_dtype type, char *const *operands,
                       int count)
{
    tsr_strbuf_printf(out, "tsr_%s_%s(", unit, tsr_dtype_name(type));
    for (int i = 0; i < count; i++)
        tsr_strbuf_printf(out, "%s%s", i ? ", " : "", operands[i]);
    tsr_strbuf_append(out, ")");
}

static void print_mfma(tsr_strbuf *out, tsr_dtype type, char *const *operands)
{
    print_call(out, "mfma", type, operands, TP_MFMA_OPERANDS);
}

static void print_wmma(tsr_strbuf *out, tsr_dtype type, char *const *operands)
{
    print_call(out, "wmma", type, operands, TP_WMMA_OPERANDS);
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
    .wave_unit_helpers = wave_unit_helpers,
    .print_kernel_head = kernel_head,
    TSR_CUDA_FAMILY_FIELDS,
    .print_subgroup_helpers = subgroup_helpers,
    .print_mfma = print_mfma,
    .print_wmma = print_wmma,
};
