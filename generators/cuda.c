/* CUDA C++ for NVRTC and nvcc: the dialect table. */
#include "generators/dialects.h"

/* The block size is fixed at generation, so it is also the launch bound. */
static void kernel_head(tsr_strbuf *out, const tp_kernel *k)
{
    tsr_strbuf_printf(out, "extern \"C\" __global__ void __launch_bounds__(%d)\n",
                      k->local[0] * k->local[1] * k->local[2]);
}

/* The warp's m16n8k16 matrix multiply-accumulate (sm_80 and later) with
 * f32 products, accumulating in place. Each A and B register is two
 * adjacent 16-bit values of a shared array, named by the first (4-byte
 * aligned, as the lowering guarantees): one 32-bit shared load each. */
#define MMA_SYNC(type)                                                                             \
    "__device__ inline void tsr_mma_" type "(float &c0, float &c1, float &c2, float &c3,\n"        \
    "    const unsigned short &a0, const unsigned short &a1, const unsigned short &a2,\n"          \
    "    const unsigned short &a3, const unsigned short &b0, const unsigned short &b1)\n"          \
    "{\n"                                                                                          \
    "    asm volatile(\"mma.sync.aligned.m16n8k16.row.col.f32." type "." type ".f32 \"\n"          \
    "                 \"{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\"\n"       \
    "                 : \"+f\"(c0), \"+f\"(c1), \"+f\"(c2), \"+f\"(c3)\n"                          \
    "                 : \"r\"(*reinterpret_cast<const unsigned *>(&a0)),\n"                        \
    "                   \"r\"(*reinterpret_cast<const unsigned *>(&a1)),\n"                        \
    "                   \"r\"(*reinterpret_cast<const unsigned *>(&a2)),\n"                        \
    "                   \"r\"(*reinterpret_cast<const unsigned *>(&a3)),\n"                        \
    "                   \"r\"(*reinterpret_cast<const unsigned *>(&b0)),\n"                        \
    "                   \"r\"(*reinterpret_cast<const unsigned *>(&b1)));\n"                       \
    "}\n"

static void print_mma_sync(tsr_strbuf *out, tsr_dtype type, char *const *operands)
{
    tsr_strbuf_printf(out, "tsr_mma_%s(", type == TSR_BF16 ? "bf16" : "f16");
    for (int i = 0; i < TP_MMA_OPERANDS; i++)
        tsr_strbuf_printf(out, "%s%s", i ? ", " : "", operands[i]);
    tsr_strbuf_append(out, ")");
}

/* f16 to and from float by PTX's own conversions (to nearest even):
 * cuda_fp16.h is not on NVRTC's include path everywhere, and the
 * instructions are all it would give. */
static const char own_helpers[] = "__device__ inline float tsr_f16_to_f32(unsigned short h)\n"
                                  "{\n"
                                  "    float f;\n"
                                  "    asm(\"cvt.f32.f16 %0, %1;\" : \"=f\"(f) : \"h\"(h));\n"
                                  "    return f;\n"
                                  "}\n"
                                  "__device__ inline unsigned short tsr_f32_to_f16(float f)\n"
                                  "{\n"
                                  "    unsigned short h;\n"
                                  "    asm(\"cvt.rn.f16.f32 %0, %1;\" : \"=h\"(h) : \"f\"(f));\n"
                                  "    return h;\n"
                                  "}\n" MMA_SYNC("f16") MMA_SYNC("bf16");

/* Every lane of the warp takes part (see tsr_cuda_family_subgroup_helpers). */
static void subgroup_helpers(tsr_strbuf *out, int width)
{
    tsr_cuda_family_subgroup_helpers(out, width, "__shfl_xor_sync(0xffffffffu, v, m)");
}

const tsr_dialect tsr_dialect_cuda = {
    .name = "cuda",
    .extension = ".cu",
    .own_helpers = own_helpers,
    .preamble = tsr_cuda_family_preamble,
    .print_kernel_head = kernel_head,
    TSR_CUDA_FAMILY_FIELDS,
    .print_subgroup_helpers = subgroup_helpers,
    .print_mma_sync = print_mma_sync,
};
