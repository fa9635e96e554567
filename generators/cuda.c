/* CUDA C++ for NVRTC and nvcc: the dialect table. */
#include "generators/dialects.h"

/* The block size is fixed at generation, so it is also the launch bound. */
static void kernel_head(tsr_strbuf *out, const tp_kernel *k)
{
    tsr_strbuf_printf(out, "extern \"C\" __global__ void __launch_bounds__(%d)\n",
                      k->local[0] * k->local[1] * k->local[2]);
}

/* The warp's m16n8k16 matrix multiply-accumulate (sm_80 and later) with
 * f32 products, accumulating in place; each A and B register holds two
 * 16-bit values, as ldmatrix loads them. */
#define MMA_SYNC(type)                                                                             \
    "__device__ inline void tsr_mma_" type "(float &c0, float &c1, float &c2, float &c3,\n"        \
    "    unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0, unsigned b1)\n"          \
    "{\n"                                                                                          \
    "    asm volatile(\"mma.sync.aligned.m16n8k16.row.col.f32." type "." type ".f32 \"\n"          \
    "                 \"{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\"\n"       \
    "                 : \"+f\"(c0), \"+f\"(c1), \"+f\"(c2), \"+f\"(c3)\n"                          \
    "                 : \"r\"(a0), \"r\"(a1), \"r\"(a2), \"r\"(a3), \"r\"(b0), \"r\"(b1));\n"      \
    "}\n"
/* The same with m16n8k8 on tf32 operands, each register one value as
 * tsr_to_tf32 rounds it. */
#define MMA_SYNC_TF32                                                                              \
    "__device__ inline void tsr_mma_tf32(float &c0, float &c1, float &c2, float &c3,\n"            \
    "    unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0, unsigned b1)\n"          \
    "{\n"                                                                                          \
    "    asm volatile(\"mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 \"\n"                   \
    "                 \"{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\"\n"       \
    "                 : \"+f\"(c0), \"+f\"(c1), \"+f\"(c2), \"+f\"(c3)\n"                          \
    "                 : \"r\"(a0), \"r\"(a1), \"r\"(a2), \"r\"(a3), \"r\"(b0), \"r\"(b1));\n"      \
    "}\n"

/* The same shape on doubles (sm_90 and later), f64 products and sums,
 * laid out as on tf32, each register one double: printed into the kernels
 * that use it alone (f64_unit_helpers), the others keeping their text. */
static const char mma_sync_f64[] =
    "__device__ inline void tsr_mma_f64(double &c0, double &c1, double &c2, double &c3,\n"
    "    double a0, double a1, double a2, double a3, double b0, double b1)\n"
    "{\n"
    "    asm volatile(\"mma.sync.aligned.m16n8k8.row.col.f64.f64.f64.f64 \"\n"
    "                 \"{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\"\n"
    "                 : \"+d\"(c0), \"+d\"(c1), \"+d\"(c2), \"+d\"(c3)\n"
    "                 : \"d\"(a0), \"d\"(a1), \"d\"(a2), \"d\"(a3), \"d\"(b0), \"d\"(b1));\n"
    "}\n";

/* The same product as four of sm_80's m8n8k4 on doubles (A row g, k t;
 * B k t, col g; sums row g, cols 2t and 2t + 1): rows g (c0 c1) and g + 8
 * (c2 c3) of the 16, k 0 .. 3 (a0 a1, b0) then 4 .. 7 (a2 a3, b1). */
static const char mma_sync_f64_k4[] =
    "#define TSR_MMA_F64_K4(c0, c1, a, b)                                              \\\n"
    "    asm volatile(\"mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 \"               \\\n"
    "                 \"{%0, %1}, {%2}, {%3}, {%0, %1};\"                              \\\n"
    "                 : \"+d\"(c0), \"+d\"(c1)                                         \\\n"
    "                 : \"d\"(a), \"d\"(b))\n"
    "__device__ inline void tsr_mma_f64(double &c0, double &c1, double &c2, double &c3,\n"
    "    double a0, double a1, double a2, double a3, double b0, double b1)\n"
    "{\n"
    "    TSR_MMA_F64_K4(c0, c1, a0, b0);\n"
    "    TSR_MMA_F64_K4(c0, c1, a2, b1);\n"
    "    TSR_MMA_F64_K4(c2, c3, a1, b0);\n"
    "    TSR_MMA_F64_K4(c2, c3, a3, b1);\n"
    "}\n";

/* ldmatrix of 2 or 4 matrices, plain or transposed (sm_75 and later), from
 * the shared address of a generic pointer into a shared array. Volatile
 * with a memory clobber: it reads shared memory that barriers order. */
#define LDMATRIX(name, count, suffix, params, regs, outputs)                                       \
    "__device__ inline void tsr_ldmatrix_" name "(" params ", const unsigned short *p)\n"          \
    "{\n"                                                                                          \
    "    asm volatile(\"ldmatrix.sync.aligned.m8n8.x" count suffix ".shared.b16 " regs             \
    ", [%" count "];\"\n"                                                                          \
    "                 : " outputs "\n"                                                             \
    "                 : \"r\"((unsigned)__cvta_generic_to_shared(p))\n"                            \
    "                 : \"memory\");\n"                                                            \
    "}\n"
#define LDMATRIX_X2(name, suffix)                                                                  \
    LDMATRIX(name, "2", suffix, "int &d0, int &d1", "{%0, %1}", "\"=r\"(d0), \"=r\"(d1)")
#define LDMATRIX_X4(name, suffix)                                                                  \
    LDMATRIX(name, "4", suffix, "int &d0, int &d1, int &d2, int &d3", "{%0, %1, %2, %3}",          \
             "\"=r\"(d0), \"=r\"(d1), \"=r\"(d2), \"=r\"(d3)")

/* cp.async (sm_80 and later) of N values from global to shared memory, in
 * 16-byte pieces (bypassing L1) or one piece of 4 or 8 bytes.
 * tsr_cp_async_aligned is for a source the kernel tested once to be
 * aligned to the copy's size (the lowering guards the whole-vector branch
 * with that test, uniform across the kernel), so each copy is only its
 * cp.async; tsr_cp_async tests each source itself and moves a misaligned
 * one through registers at once, as a barrier after the wait shows it
 * just the same. The per-copy test and its fallback cost a fifth of an
 * f16 GEMM's time on an H200. */
#define CP_ASYNC                                                                                   \
    "template <int N, typename T>\n"                                                               \
    "__device__ inline void tsr_cp_async_aligned(T *dst, const T *src)\n"                          \
    "{\n"                                                                                          \
    "    const int bytes = N * (int)sizeof(T), piece = bytes < 16 ? bytes : 16;\n"                 \
    "    const unsigned to = (unsigned)__cvta_generic_to_shared(dst);\n"                           \
    "#pragma unroll\n"                                                                             \
    "    for (int i = 0; i < bytes; i += piece) {\n"                                               \
    "        const char *from = reinterpret_cast<const char *>(src) + i;\n"                        \
    "        if (piece == 16)\n"                                                                   \
    "            asm volatile(\"cp.async.cg.shared.global [%0], [%1], 16;\"\n"                     \
    "                         :: \"r\"(to + i), \"l\"(from) : \"memory\");\n"                      \
    "        else\n"                                                                               \
    "            asm volatile(\"cp.async.ca.shared.global [%0], [%1], %2;\"\n"                     \
    "                         :: \"r\"(to + i), \"l\"(from), \"n\"(piece) : \"memory\");\n"        \
    "    }\n"                                                                                      \
    "}\n"                                                                                          \
    "template <int N, typename T> __device__ inline void tsr_cp_async(T *dst, const T *src)\n"     \
    "{\n"                                                                                          \
    "    const int bytes = N * (int)sizeof(T), piece = bytes < 16 ? bytes : 16;\n"                 \
    "    if ((piece == 4 || piece == 8 || piece == 16) &&\n"                                       \
    "        (reinterpret_cast<unsigned long long>(src) & (piece - 1)) == 0) {\n"                  \
    "        tsr_cp_async_aligned<N>(dst, src);\n"                                                 \
    "        return;\n"                                                                            \
    "    }\n"                                                                                      \
    "#pragma unroll\n"                                                                             \
    "    for (int i = 0; i < N; i++)\n"                                                            \
    "        dst[i] = src[i];\n"                                                                   \
    "}\n"

static void print_async_copy(tsr_strbuf *out, int width, const char *dst, const char *src,
                             bool aligned)
{
    tsr_strbuf_printf(out, "tsr_cp_async%s<%d>(%s, %s)", aligned ? "_aligned" : "", width, dst,
                      src);
}

/* wgmma.mma_async (sm_90a) on the warpgroup's accumulators, both operands
 * from shared memory through descriptors (tsr_wgmma_desc); its scale-d
 * predicate 1 (it adds to them) or, when predicated, the int operand's
 * truth (0 overwrites them). Volatile with a memory clobber: it reads
 * shared memory that fences and barriers order. */
static void print_wgmma(tsr_strbuf *out, tsr_dtype type, const tp_wgmma_shape *shape,
                        char *const *accumulators, const char *a0, const char *b0,
                        const char *accumulate)
{
    /* tf32 takes no transpose: its operands are K-major. */
    const char *t = tsr_dtype_name(type);
    bool tf32 = type == TSR_TF32;
    int count = shape->n / 2;
    tsr_strbuf_append(out, "asm volatile(\"{\\n\"\n");
    if (shape->predicated)
        tsr_strbuf_printf(out, "        \".reg .pred d;\\nsetp.ne.b32 d, %%%d, 0;\\n\"\n",
                          count + 2);
    tsr_strbuf_printf(out, "        \"wgmma.mma_async.sync.aligned.m64n%dk%d.f32.%s.%s {", shape->n,
                      tf32 ? 8 : 16, t, t);
    for (int i = 0; i < count; i++)
        tsr_strbuf_printf(out, "%s%%%d", i ? ", " : "", i);
    tsr_strbuf_printf(out, "}, %%%d, %%%d, %s, 1, 1", count, count + 1,
                      shape->predicated ? "d" : "1");
    if (!tf32)
        tsr_strbuf_printf(out, ", %d, %d", shape->mn_major[0], shape->mn_major[1]);
    tsr_strbuf_append(out, ";\\n}\"\n        :");
    for (int i = 0; i < count; i++)
        tsr_strbuf_printf(out, "%s\"+f\"(%s)", i ? (i % 8 ? ", " : ",\n          ") : " ",
                          accumulators[i]);
    tsr_strbuf_printf(out,
                      "\n        : \"l\"(tsr_wgmma_desc(%s, %d, %d)), \"l\"(tsr_wgmma_desc(%s, %d, "
                      "%d))",
                      a0, shape->leading[0], shape->stride[0], b0, shape->leading[1],
                      shape->stride[1]);
    if (shape->predicated)
        tsr_strbuf_printf(out, ", \"r\"((int)(%s))", accumulate);
    tsr_strbuf_append(out, "\n        : \"memory\")");
}

/* A shared-memory matrix descriptor of the warpgroup matrix unit (PTX
 * ISA, "Matrix Descriptor Format"): the address and the leading and
 * stride byte offsets, each in 16-byte units, in bits 0, 16 and 32; the
 * 128-byte swizzle (layout type 1) in bits 62 and 63. */
#define WGMMA_DESC                                                                                 \
    "__device__ inline unsigned long long tsr_wgmma_desc(const void *p, unsigned leading,\n"       \
    "                                                    unsigned stride)\n"                       \
    "{\n"                                                                                          \
    "    unsigned long long at = (unsigned)__cvta_generic_to_shared(p);\n"                         \
    "    return (at >> 4 & 0x3fff) | (unsigned long long)(leading >> 4 & 0x3fff) << 16 |\n"        \
    "           (unsigned long long)(stride >> 4 & 0x3fff) << 32 | 1ull << 62;\n"                  \
    "}\n"

/* f16 to and from float by PTX's own conversions (to nearest even):
 * cuda_fp16.h is not on NVRTC's include path everywhere, and the
 * instructions are all it would give. */
static const char own_helpers[] =
    "__device__ inline float tsr_f16_to_f32(unsigned short h)\n"
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
    "}\n"
    "/* Two values rounded to nearest as one matrix-unit operand register, lo\n"
    " * in the low half (sm_80 and later, like the unit itself). */\n"
    "__device__ inline unsigned tsr_pack_f16x2(float lo, float hi)\n"
    "{\n"
    "    unsigned r;\n"
    "    asm(\"cvt.rn.f16x2.f32 %0, %1, %2;\" : \"=r\"(r) : \"f\"(hi), \"f\"(lo));\n"
    "    return r;\n"
    "}\n"
    "__device__ inline unsigned tsr_pack_bf16x2(float lo, float hi)\n"
    "{\n"
    "    unsigned r;\n"
    "    asm(\"cvt.rn.bf16x2.f32 %0, %1, %2;\" : \"=r\"(r) : \"f\"(hi), \"f\"(lo));\n"
    "    return r;\n"
    "}\n"
    "/* To tf32 as cuBLAS's TF32 math rounds (to nearest, ties away; sm_80). */\n"
    "__device__ inline unsigned tsr_to_tf32(float f)\n"
    "{\n"
    "    unsigned r;\n"
    "    asm(\"cvt.rna.tf32.f32 %0, %1;\" : \"=r\"(r) : \"f\"(f));\n"
    "    return r;\n"
    "}\n" MMA_SYNC("f16") MMA_SYNC("bf16") MMA_SYNC_TF32 LDMATRIX_X2("x2", "")
        LDMATRIX_X2("x2_trans", ".trans") LDMATRIX_X4("x4", "") LDMATRIX_X4("x4_trans", ".trans")
            CP_ASYNC WGMMA_DESC;

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
    /* nvcc and NVRTC refuse more than 48 KiB of __shared__ declarations on
     * every architecture; the rest of a GPU's shared memory per block (up to
     * the profile's shared_per_block_optin) is dynamic, sized at launch. */
    .static_shared_max = 48 * 1024,
    .dynamic_shared = "extern __shared__ __attribute__((aligned(16))) unsigned char tsr_shared[];",
    .print_subgroup_helpers = subgroup_helpers,
    .print_mma_sync = tsr_nvidia_print_mma_sync,
    .f64_unit_helpers = mma_sync_f64,
    .f64_k4_unit_helpers = mma_sync_f64_k4,
    .print_ldmatrix = tsr_nvidia_print_ldmatrix,
    .print_async_copy = print_async_copy,
    .async_commit = "asm volatile(\"cp.async.commit_group;\" ::: \"memory\")",
    .async_wait_format = "asm volatile(\"cp.async.wait_group %d;\" ::: \"memory\")",
    .print_wgmma = print_wgmma,
    .wgmma_fence = "asm volatile(\"wgmma.fence.sync.aligned;\" ::: \"memory\")",
    .wgmma_commit = "asm volatile(\"wgmma.commit_group.sync.aligned;\" ::: \"memory\")",
    .wgmma_wait_format = "asm volatile(\"wgmma.wait_group.sync.aligned %d;\" ::: \"memory\")",
    .async_proxy_fence = "asm volatile(\"fence.proxy.async.shared::cta;\" ::: \"memory\")",
    /* barrier 0 is __syncthreads()'s */
    .warpgroup_barrier = "asm volatile(\"bar.sync %%0, 128;\" :: \"r\"(1 + (int)((threadIdx.x + "
                         "threadIdx.y * blockDim.x) / 128)) : \"memory\")",
    .register_fence_format = "asm volatile(\"\" : \"+f\"(%s)::\"memory\")",
};
