/* OpenCL C 1.2: the dialect table, with inline PTX for NVIDIA's matrix unit
 * and asynchronous copies. */
#include <stdio.h>

#include "generators/dialects.h"

/* A kernel on Intel's sub-group unit requires its sub-group size
 * (cl_intel_required_subgroup_size), which clang's OpenCL front end and so
 * PoCL accept too. */
static void kernel_head(tsr_strbuf *out, const tp_kernel *k)
{
    tsr_strbuf_printf(out, "__kernel __attribute__((reqd_work_group_size(%d, %d, %d)))\n",
                      k->local[0], k->local[1], k->local[2]);
    if (k->subgroup_size)
        tsr_strbuf_printf(out, "__attribute__((intel_reqd_sub_group_size(%d)))\n",
                          k->subgroup_size);
    tsr_strbuf_append(out, "void ");
}

static void builtin(tsr_strbuf *out, tp_builtin which, int axis)
{
    static const char *names[] = {[TP_LOCAL_ID] = "get_local_id",
                                  [TP_GROUP_ID] = "get_group_id",
                                  [TP_LOCAL_SIZE] = "get_local_size",
                                  [TP_NUM_GROUPS] = "get_num_groups"};
    tsr_strbuf_printf(out, "(int)%s(%d)", names[which], axis);
}

static void vector_type(tsr_strbuf *out, const char *scalar, int width)
{
    tsr_strbuf_printf(out, "%s%d", scalar, width);
}

/* vloadN and vstoreN need only element alignment, so any index is allowed. */
static void vload(tsr_strbuf *out, int width, const char *pointer)
{
    tsr_strbuf_printf(out, "vload%d(0, %s)", width, pointer);
}

static void vstore(tsr_strbuf *out, int width, const char *pointer, const char *value)
{
    tsr_strbuf_printf(out, "vstore%d(%s, 0, %s)", width, value, pointer);
}

static void splat(tsr_strbuf *out, const char *scalar, int width, const char *value)
{
    tsr_strbuf_printf(out, "(%s%d)(%s)", scalar, width, value);
}

/* f16 loads and stores are OpenCL's own vload_half and vstore_half_rte
 * (core since 1.0, no cl_khr_fp16 needed), through half pointers to the
 * ushort buffers; bf16 is carried as ushort, the
 * top half of an f32, rounded to nearest even as it is stored. */
static const char preamble[] =
    "float tsr_bf16_to_f32(ushort h)\n"
    "{\n"
    "    return as_float((uint)h << 16);\n"
    "}\n"
    "ushort tsr_f32_to_bf16(float f)\n"
    "{\n"
    "    uint u = as_uint(f);\n"
    "    if ((u & 0x7fffffffu) > 0x7f800000u)\n"
    "        return (ushort)((u >> 16) | 0x40u); /* NaN stays quiet */\n"
    "    return (ushort)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);\n"
    "}\n"
    "#define TSR_VLD_BF16(n)                                                  \\\n"
    "    float##n tsr_vld_bf16_##n(const __global ushort *p)                  \\\n"
    "    {                                                                    \\\n"
    "        return as_float##n(convert_uint##n(vload##n(0, p)) << 16);       \\\n"
    "    }\n"
    "TSR_VLD_BF16(2)\n"
    "TSR_VLD_BF16(4)\n"
    "TSR_VLD_BF16(8)\n"
    "TSR_VLD_BF16(16)\n"
    "#define TSR_VST_BF16(n)                                                  \\\n"
    "    void tsr_vst_bf16_##n(float##n v, __global ushort *p)                \\\n"
    "    {                                                                    \\\n"
    "        uint##n u = as_uint##n(v);                                       \\\n"
    "        uint##n r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;              \\\n"
    "        r = select(r, (u >> 16) | 0x40u, (u & 0x7fffffffu) > 0x7f800000u); \\\n"
    "        vstore##n(convert_ushort##n(r), 0, p);                           \\\n"
    "    }\n"
    "TSR_VST_BF16(2)\n"
    "TSR_VST_BF16(4)\n"
    "TSR_VST_BF16(8)\n"
    "TSR_VST_BF16(16)\n";

/* m16n8k8 on doubles (sm_90 and later), printed into the kernels that
 * use it alone (f64_unit_helpers), after unit_helpers. */
static const char mma_sync_f64[] =
    "/* m16n8k8 on doubles (sm_90 and later), f64 products and sums. */\n"
    "#define tsr_mma_f64(c0, c1, c2, c3, a0, a1, a2, a3, b0, b1)                        \\\n"
    "    __asm__ __volatile__(\"mma.sync.aligned.m16n8k8.row.col.f64.f64.f64.f64 \"       \\\n"
    "                         \"{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, \"           \\\n"
    "                         \"{%0, %1, %2, %3};\"                                       \\\n"
    "                         : \"+d\"(c0), \"+d\"(c1), \"+d\"(c2), \"+d\"(c3)             \\\n"
    "                         : \"d\"(a0), \"d\"(a1), \"d\"(a2), \"d\"(a3), \"d\"(b0), "
    "\"d\"(b1))\n";

/* The same product as four of sm_80's m8n8k4 on doubles (A row g, k t;
 * B k t, col g; sums row g, cols 2t and 2t + 1): rows g (c0 c1) and g + 8
 * (c2 c3) of the 16, k 0 .. 3 (a0 a1, b0) then 4 .. 7 (a2 a3, b1). */
static const char mma_sync_f64_k4[] =
    "/* m16n8k8 on doubles as four m8n8k4 (sm_80 and later), f64 products. */\n"
    "#define tsr_mma_f64_k4(c0, c1, a, b)                                              \\\n"
    "    __asm__ __volatile__(\"mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 \"       \\\n"
    "                         \"{%0, %1}, {%2}, {%3}, {%0, %1};\"                      \\\n"
    "                         : \"+d\"(c0), \"+d\"(c1)                                 \\\n"
    "                         : \"d\"(a), \"d\"(b))\n"
    "#define tsr_mma_f64(c0, c1, c2, c3, a0, a1, a2, a3, b0, b1)                        \\\n"
    "    do {                                                                          \\\n"
    "        tsr_mma_f64_k4(c0, c1, a0, b0);                                           \\\n"
    "        tsr_mma_f64_k4(c0, c1, a2, b1);                                           \\\n"
    "        tsr_mma_f64_k4(c2, c3, a1, b0);                                           \\\n"
    "        tsr_mma_f64_k4(c2, c3, a3, b1);                                           \\\n"
    "    } while (0)\n";

/* A double as two 32-bit words and back, for the kernels that move f64
 * tiles through int words (split-K's join): OpenCL C has no function for
 * either half, only a reinterpreting vector cast. */
static const char f64_words[] = "#define tsr_double_lo_bits(x) (as_int2(x).s0)\n"
                                "#define tsr_double_hi_bits(x) (as_int2(x).s1)\n"
                                "#define tsr_bits_double(hi, lo) as_double((int2)((lo), (hi)))\n";

/* NVIDIA's matrix unit and asynchronous copies (sm_80 and later) in
 * inline PTX, which NVIDIA's OpenCL compiler takes: only a profile that
 * lists the unit or the copies (an NVIDIA GPU's) has kernels that use them,
 * and only those kernels print these. A __local pointer's integer value
 * is its address in the shared window, what cp.async writes (NVIDIA's
 * compiler and clang agree: an H200 gave 0x408 for a local array's second
 * float); a __global pointer's, its global address. The GNU spellings
 * __asm__ and __volatile__, which OpenCL C compilers built on clang also
 * take. */
static const char unit_helpers[] =
    "#define tsr_aligned(p, bytes) (((ulong)(p) & (ulong)((bytes) - 1)) == 0)\n"
    "/* To tf32 as cuBLAS's TF32 math rounds (to nearest, ties away). */\n"
    "uint tsr_to_tf32(float f)\n"
    "{\n"
    "    uint r;\n"
    "    __asm__(\"cvt.rna.tf32.f32 %0, %1;\" : \"=r\"(r) : \"f\"(f));\n"
    "    return r;\n"
    "}\n"
    "/* Two values rounded to nearest as one operand register, lo in the low\n"
    " * half. */\n"
    "uint tsr_pack_f16x2(float lo, float hi)\n"
    "{\n"
    "    uint r;\n"
    "    __asm__(\"cvt.rn.f16x2.f32 %0, %1, %2;\" : \"=r\"(r) : \"f\"(hi), \"f\"(lo));\n"
    "    return r;\n"
    "}\n"
    "uint tsr_pack_bf16x2(float lo, float hi)\n"
    "{\n"
    "    uint r;\n"
    "    __asm__(\"cvt.rn.bf16x2.f32 %0, %1, %2;\" : \"=r\"(r) : \"f\"(hi), \"f\"(lo));\n"
    "    return r;\n"
    "}\n"
    "/* The warp's m16n8k16 on f16 or bf16 pairs and m16n8k8 on tf32 values,\n"
    " * accumulating in place. */\n"
    "#define TSR_MMA(shape, type, c0, c1, c2, c3, a0, a1, a2, a3, b0, b1)                  \\\n"
    "    __asm__ __volatile__(\"mma.sync.aligned.\" shape \".row.col.f32.\"                   \\\n"
    "                         type \".\" type \".f32 \"                                     \\\n"
    "                         \"{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, \"           \\\n"
    "                         \"{%0, %1, %2, %3};\"                                       \\\n"
    "                         : \"+f\"(c0), \"+f\"(c1), \"+f\"(c2), \"+f\"(c3)             \\\n"
    "                         : \"r\"(a0), \"r\"(a1), \"r\"(a2), \"r\"(a3), \"r\"(b0), \"r\"(b1))\n"
    "#define tsr_mma_f16(...) TSR_MMA(\"m16n8k16\", \"f16\", __VA_ARGS__)\n"
    "#define tsr_mma_bf16(...) TSR_MMA(\"m16n8k16\", \"bf16\", __VA_ARGS__)\n"
    "#define tsr_mma_tf32(...) TSR_MMA(\"m16n8k8\", \"tf32\", __VA_ARGS__)\n"
    "/* ldmatrix of 2 or 4 8x8 matrices of 16-bit values from a __local\n"
    " * address, plain or transposed. */\n"
    "#define tsr_ldmatrix_x2(d0, d1, p) TSR_LDMATRIX2(\"\", d0, d1, p)\n"
    "#define tsr_ldmatrix_x2_trans(d0, d1, p) TSR_LDMATRIX2(\".trans\", d0, d1, p)\n"
    "#define TSR_LDMATRIX2(trans, d0, d1, p)                                              \\\n"
    "    __asm__ __volatile__(\"ldmatrix.sync.aligned.m8n8.x2\" trans                     \\\n"
    "                         \".shared.b16 {%0, %1}, [%2];\"                             \\\n"
    "                         : \"=r\"(d0), \"=r\"(d1)                                       \\\n"
    "                         : \"r\"((uint)(ulong)(p))                                    \\\n"
    "                         : \"memory\")\n"
    "#define tsr_ldmatrix_x4(d0, d1, d2, d3, p) TSR_LDMATRIX4(\"\", d0, d1, d2, d3, p)\n"
    "#define tsr_ldmatrix_x4_trans(d0, d1, d2, d3, p)                                   \\\n"
    "    TSR_LDMATRIX4(\".trans\", d0, d1, d2, d3, p)\n"
    "#define TSR_LDMATRIX4(trans, d0, d1, d2, d3, p)                                      \\\n"
    "    __asm__ __volatile__(\"ldmatrix.sync.aligned.m8n8.x4\" trans                     \\\n"
    "                         \".shared.b16 {%0, %1, %2, %3}, [%4];\"                       \\\n"
    "                         : \"=r\"(d0), \"=r\"(d1), \"=r\"(d2), \"=r\"(d3)             \\\n"
    "                         : \"r\"((uint)(ulong)(p))                                    \\\n"
    "                         : \"memory\")\n"
    "/* One cp.async of 4, 8 or 16 bytes (16 bypassing L1). */\n"
    "#define TSR_CP_ASYNC(dst, src, bytes, cache)                                         \\\n"
    "    __asm__ __volatile__(\"cp.async.\" cache \".shared.global [%0], [%1], \" #bytes \";\" \\\n"
    "                         ::\"r\"((uint)(ulong)(dst)), \"l\"((ulong)(src))               \\\n"
    "                         : \"memory\")\n"
    "/* n values from a source aligned to their size (the kernel tested it\n"
    " * once), in 16-byte pieces or one of 4 or 8 bytes; anything else moves\n"
    " * through registers at once, as stored (16-bit floats as ushort), as a\n"
    " * barrier after the wait shows it. */\n"
    "#define TSR_COPY_AS(type, dst, src, n)                                             \\\n"
    "    for (int tsr_cp_i = 0; tsr_cp_i < (n); tsr_cp_i++)                             \\\n"
    "        ((__local type *)(dst))[tsr_cp_i] = ((const __global type *)(src))[tsr_cp_i]\n"
    "#define TSR_COPY_ELEMENTS(dst, src, n)                                             \\\n"
    "    do {                                                                           \\\n"
    "        if (sizeof(*(src)) == 2)                                                   \\\n"
    "            TSR_COPY_AS(ushort, dst, src, n);                                      \\\n"
    "        else if (sizeof(*(src)) == 8)                                              \\\n"
    "            TSR_COPY_AS(ulong, dst, src, n);                                       \\\n"
    "        else                                                                       \\\n"
    "            TSR_COPY_AS(uint, dst, src, n);                                        \\\n"
    "    } while (0)\n"
    "#define tsr_cp_async_aligned(n, dst, src)                                          \\\n"
    "    do {                                                                           \\\n"
    "        const int tsr_cp_bytes = (n) * (int)sizeof(*(src));                       \\\n"
    "        if (tsr_cp_bytes % 16 == 0)                                                \\\n"
    "            for (int tsr_cp_i = 0; tsr_cp_i < tsr_cp_bytes; tsr_cp_i += 16)        \\\n"
    "                TSR_CP_ASYNC((__local char *)(dst) + tsr_cp_i,                     \\\n"
    "                             (const __global char *)(src) + tsr_cp_i, 16, \"cg\"); \\\n"
    "        else if (tsr_cp_bytes == 8)                                                \\\n"
    "            TSR_CP_ASYNC(dst, src, 8, \"ca\");                                       \\\n"
    "        else if (tsr_cp_bytes == 4)                                                \\\n"
    "            TSR_CP_ASYNC(dst, src, 4, \"ca\");                                       \\\n"
    "        else                                                                       \\\n"
    "            TSR_COPY_ELEMENTS(dst, src, n);                                        \\\n"
    "    } while (0)\n"
    "/* The same for a source it did not test: each tests its own. */\n"
    "#define tsr_cp_async(n, dst, src)                                                  \\\n"
    "    do {                                                                           \\\n"
    "        const int tsr_cp_size = (n) * (int)sizeof(*(src));                        \\\n"
    "        const int tsr_cp_piece = tsr_cp_size < 16 ? tsr_cp_size : 16;             \\\n"
    "        if ((tsr_cp_piece == 4 || tsr_cp_piece == 8 || tsr_cp_piece == 16) &&      \\\n"
    "            tsr_aligned(src, tsr_cp_piece))                                        \\\n"
    "            tsr_cp_async_aligned(n, dst, src);                                     \\\n"
    "        else                                                                       \\\n"
    "            TSR_COPY_ELEMENTS(dst, src, n);                                        \\\n"
    "    } while (0)\n";

/* A 16-bit vector as stored: `width` ushorts, whatever the buffer's type. */
static void raw_vload(tsr_strbuf *out, int width, const char *pointer)
{
    tsr_strbuf_printf(out, "vload%d(0, (const __global ushort *)(%s))", width, pointer);
}

static void print_async_copy(tsr_strbuf *out, int width, const char *dst, const char *src,
                             bool aligned)
{
    tsr_strbuf_printf(out, "tsr_cp_async%s(%d, %s, %s)", aligned ? "_aligned" : "", width, dst,
                      src);
}

static void widening_load(tsr_strbuf *out, tsr_dtype dtype, int width, const char *pointer)
{
    if (dtype == TSR_F16 && width == 1)
        tsr_strbuf_printf(out, "vload_half(0, (const __global half *)(%s))", pointer);
    else if (dtype == TSR_F16)
        tsr_strbuf_printf(out, "vload_half%d(0, (const __global half *)(%s))", width, pointer);
    else if (width == 1)
        tsr_strbuf_printf(out, "tsr_bf16_to_f32(*(%s))", pointer);
    else
        tsr_strbuf_printf(out, "tsr_vld_bf16_%d(%s)", width, pointer);
}

/* OpenCL's sub-groups (cl_khr_subgroups, or Intel's cl_intel_subgroups,
 * which brings the same calls to OpenCL C 1.2) are the device's to size and
 * to fill: the helpers ask it (get_sub_group_size) and ignore the width the
 * lowering assumed, and sub_group_reduce_* combines whichever work-items the
 * device grouped, consecutive or not. Where neither extension is defined
 * (PoCL 3.1: clinfo lists neither and 0 sub-groups per work-group), each
 * work-item is a sub-group of its own: the kernel stays right, every
 * partial going through local memory as without sub-groups, and the tuner
 * measures it like any other. */
static const char subgroup_text[] =
    "#if defined(cl_khr_subgroups) || defined(cl_intel_subgroups)\n"
    "#ifdef cl_khr_subgroups\n"
    "#pragma OPENCL EXTENSION cl_khr_subgroups : enable\n"
    "#endif\n"
    "#define tsr_subgroup_sum(v, width) sub_group_reduce_add(v)\n"
    "#define tsr_subgroup_max(v, width) sub_group_reduce_max(v)\n"
    "#define tsr_subgroup_id(width) ((int)get_sub_group_id())\n"
    "#define tsr_subgroup_lane(width) ((int)get_sub_group_local_id())\n"
    "#define tsr_subgroup_size(width) ((int)get_sub_group_size())\n"
    "#define tsr_subgroup_count(threads, width) ((int)get_num_sub_groups())\n"
    "#else\n"
    "#define tsr_subgroup_sum(v, width) (v)\n"
    "#define tsr_subgroup_max(v, width) (v)\n"
    "#define tsr_subgroup_id(width)                                                          \\\n"
    "    ((int)(get_local_id(0) +                                                            \\\n"
    "           get_local_size(0) * (get_local_id(1) + get_local_size(1) * get_local_id(2))))\n"
    "#define tsr_subgroup_lane(width) 0\n"
    "#define tsr_subgroup_size(width) 1\n"
    "#define tsr_subgroup_count(threads, width) (threads)\n"
    "#endif\n";

static void subgroup_helpers(tsr_strbuf *out, int width)
{
    (void)width;
    tsr_strbuf_append(out, subgroup_text);
}

static void narrowing_store(tsr_strbuf *out, tsr_dtype dtype, int width, const char *pointer,
                            const char *value)
{
    if (dtype == TSR_F16 && width == 1)
        tsr_strbuf_printf(out, "vstore_half_rte(%s, 0, (__global half *)(%s))", value, pointer);
    else if (dtype == TSR_F16)
        tsr_strbuf_printf(out, "vstore_half%d_rte(%s, 0, (__global half *)(%s))", width, value,
                          pointer);
    else if (width == 1)
        tsr_strbuf_printf(out, "*(%s) = tsr_f32_to_bf16(%s)", pointer, value);
    else
        tsr_strbuf_printf(out, "tsr_vst_bf16_%d(%s, %s)", width, value, pointer);
}

/* The matrix units shared by a wave or sub-group, with f32 products: AMD's
 * MFMA 16x16x16 (CDNA, waves of 64) and WMMA 16x16x16 (RDNA3, waves of
 * 32), and Intel's DPAS 8 x S x 16 (sub-groups of S = 8 or 16): on the
 * targets that have them (AMD's OpenCL compiler is clang; Intel's
 * defines cl_intel_subgroup_matrix_multiply_accumulate and the kernel
 * requires the sub-group size, TSR_REQD_SUBGROUP_SIZE) the instructions
 * themselves; anywhere else (PoCL on the CPU) emulated as the instruction
 * sets document them, so that the lowering's fragment layouts are checked
 * against the CPU reference there. The emulation exchanges the wave's
 * operands through a local scratch the kernel declares
 * (TSR_WAVE_FLOATS_PER_ITEM floats a work-item); every work-item of the
 * group calls it together, as the units' lowering guarantees. */
static const char wave_unit_helpers[] =
    "#define TSR_WAVE_FLOATS_PER_ITEM 32\n"
    "#if defined(__gfx908__) || defined(__gfx90a__) || defined(__gfx940__) || \\\n"
    "    defined(__gfx941__) || defined(__gfx942__)\n"
    "#define TSR_MFMA_F16_NATIVE 1\n"
    "#endif\n"
    "#if defined(__gfx90a__) || defined(__gfx940__) || defined(__gfx941__) || \\\n"
    "    defined(__gfx942__)\n"
    "#define TSR_MFMA_BF16_NATIVE 1\n"
    "#endif\n"
    "#if defined(__gfx1100__) || defined(__gfx1101__) || defined(__gfx1102__) || \\\n"
    "    defined(__gfx1103__)\n"
    "#define TSR_WMMA_NATIVE 1\n"
    "#endif\n"
    "#if defined(TSR_MFMA_F16_NATIVE) || defined(TSR_WMMA_NATIVE)\n"
    "#pragma OPENCL EXTENSION cl_khr_fp16 : enable\n"
    "#endif\n"
    "/* The wave's own scratch and the work-item's lane in it: waves are runs\n"
    " * of `wave` work-items in the group's linear order, as the hardware forms\n"
    " * them. */\n"
    "__local float *tsr_wave_scratch_of(__local float *scratch, int wave, int *lane)\n"
    "{\n"
    "    int y = get_local_id(1) + get_local_size(1) * get_local_id(2);\n"
    "    int linear = get_local_id(0) + get_local_size(0) * y;\n"
    "    *lane = linear % wave;\n"
    "    return scratch + linear / wave * wave * TSR_WAVE_FLOATS_PER_ITEM;\n"
    "}\n"
    "/* MFMA 16x16x16 as documented: lane l = 16 h + t holds A[t][4h + e],\n"
    " * B[4h + e][t] and D[4h + e][t], e = 0 .. 3. */\n"
    "float4 tsr_mfma_emulated(float4 c, float4 a, float4 b, __local float *scratch)\n"
    "{\n"
    "    int lane;\n"
    "    __local float *wa = tsr_wave_scratch_of(scratch, 64, &lane), *wb = wa + 256;\n"
    "    vstore4(a, lane, wa);\n"
    "    vstore4(b, lane, wb);\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    float d[4];\n"
    "    vstore4(c, 0, d);\n"
    "    for (int e = 0; e < 4; e++) {\n"
    "        int row = 4 * (lane / 16) + e, col = lane % 16;\n"
    "        for (int k = 0; k < 16; k++) {\n"
    "            int at = 16 * (k / 4), e_k = k % 4;\n"
    "            d[e] = fma(wa[4 * (row + at) + e_k], wb[4 * (col + at) + e_k], d[e]);\n"
    "        }\n"
    "    }\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    return vload4(0, d);\n"
    "}\n"
    "/* WMMA 16x16x16 (wave32) as documented: lane l = 16 h + t holds A[t][e]\n"
    " * and B[e][t], e = 0 .. 15 (both halves the same), and D[2i + h][t],\n"
    " * i = 0 .. 7. */\n"
    "float8 tsr_wmma_emulated(float8 c, float16 a, float16 b, __local float *scratch)\n"
    "{\n"
    "    int lane;\n"
    "    __local float *wa = tsr_wave_scratch_of(scratch, 32, &lane), *wb = wa + 512;\n"
    "    vstore16(a, lane, wa);\n"
    "    vstore16(b, lane, wb);\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    float d[8];\n"
    "    vstore8(c, 0, d);\n"
    "    for (int i = 0; i < 8; i++) {\n"
    "        int row = 2 * i + lane / 16, col = lane % 16;\n"
    "        for (int k = 0; k < 16; k++)\n"
    "            d[i] = fma(wa[16 * row + k], wb[16 * col + k], d[i]);\n"
    "    }\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    return vload8(0, d);\n"
    "}\n"
    "/* The units' results back into the kernel's accumulators. */\n"
    "void tsr_store4(float4 c, float *c0, float *c1, float *c2, float *c3)\n"
    "{\n"
    "    *c0 = c.s0;\n"
    "    *c1 = c.s1;\n"
    "    *c2 = c.s2;\n"
    "    *c3 = c.s3;\n"
    "}\n"
    "void tsr_store8(float8 c, float *c0, float *c1, float *c2, float *c3, float *c4, float *c5,\n"
    "                float *c6, float *c7)\n"
    "{\n"
    "    *c0 = c.s0;\n"
    "    *c1 = c.s1;\n"
    "    *c2 = c.s2;\n"
    "    *c3 = c.s3;\n"
    "    *c4 = c.s4;\n"
    "    *c5 = c.s5;\n"
    "    *c6 = c.s6;\n"
    "    *c7 = c.s7;\n"
    "}\n"
    "void tsr_mfma_f16(float *c0, float *c1, float *c2, float *c3, ushort4 a, ushort4 b,\n"
    "                  __local float *scratch)\n"
    "{\n"
    "    float4 c = (float4)(*c0, *c1, *c2, *c3);\n"
    "#ifdef TSR_MFMA_F16_NATIVE\n"
    "    c = __builtin_amdgcn_mfma_f32_16x16x16f16(as_half4(a), as_half4(b), c, 0, 0, 0);\n"
    "#else\n"
    "    float4 fa = vload_half4(0, (const half *)&a), fb = vload_half4(0, (const half *)&b);\n"
    "    c = tsr_mfma_emulated(c, fa, fb, scratch);\n"
    "#endif\n"
    "    tsr_store4(c, c0, c1, c2, c3);\n"
    "}\n"
    "void tsr_mfma_bf16(float *c0, float *c1, float *c2, float *c3, ushort4 a, ushort4 b,\n"
    "                   __local float *scratch)\n"
    "{\n"
    "    float4 c = (float4)(*c0, *c1, *c2, *c3);\n"
    "#ifdef TSR_MFMA_BF16_NATIVE\n"
    "    c = __builtin_amdgcn_mfma_f32_16x16x16bf16_1k(as_short4(a), as_short4(b), c, 0, 0, 0);\n"
    "#else\n"
    "    float4 fa = as_float4(convert_uint4(a) << 16), fb = as_float4(convert_uint4(b) << 16);\n"
    "    c = tsr_mfma_emulated(c, fa, fb, scratch);\n"
    "#endif\n"
    "    tsr_store4(c, c0, c1, c2, c3);\n"
    "}\n"
    "void tsr_wmma_f16(float *c0, float *c1, float *c2, float *c3, float *c4, float *c5,\n"
    "                  float *c6, float *c7, ushort16 a, ushort16 b, __local float *scratch)\n"
    "{\n"
    "    float8 c = (float8)(*c0, *c1, *c2, *c3, *c4, *c5, *c6, *c7);\n"
    "#ifdef TSR_WMMA_NATIVE\n"
    "    c = __builtin_amdgcn_wmma_f32_16x16x16_f16_w32(as_half16(a), as_half16(b), c);\n"
    "#else\n"
    "    float16 fa = vload_half16(0, (const half *)&a), fb = vload_half16(0, (const half *)&b);\n"
    "    c = tsr_wmma_emulated(c, fa, fb, scratch);\n"
    "#endif\n"
    "    tsr_store8(c, c0, c1, c2, c3, c4, c5, c6, c7);\n"
    "}\n"
    "void tsr_wmma_bf16(float *c0, float *c1, float *c2, float *c3, float *c4, float *c5,\n"
    "                   float *c6, float *c7, ushort16 a, ushort16 b, __local float *scratch)\n"
    "{\n"
    "    float8 c = (float8)(*c0, *c1, *c2, *c3, *c4, *c5, *c6, *c7);\n"
    "#ifdef TSR_WMMA_NATIVE\n"
    "    c = __builtin_amdgcn_wmma_f32_16x16x16_bf16_w32(as_short16(a), as_short16(b), c);\n"
    "#else\n"
    "    float16 fa = as_float16(convert_uint16(a) << 16);\n"
    "    float16 fb = as_float16(convert_uint16(b) << 16);\n"
    "    c = tsr_wmma_emulated(c, fa, fb, scratch);\n"
    "#endif\n"
    "    tsr_store8(c, c0, c1, c2, c3, c4, c5, c6, c7);\n"
    "}\n"
    "#if defined(cl_intel_subgroup_matrix_multiply_accumulate) && TSR_REQD_SUBGROUP_SIZE == 8\n"
    "#define TSR_DPAS8_NATIVE 1\n"
    "#endif\n"
    "#if defined(cl_intel_subgroup_matrix_multiply_accumulate) && TSR_REQD_SUBGROUP_SIZE == 16\n"
    "#define TSR_DPAS16_NATIVE 1\n"
    "#endif\n"
    "/* DPAS 8 x S x 16 as documented: lane n of the sub-group holds B[e][n] as\n"
    " * b[e] (e = 0 .. 15; pairs 2j, 2j + 1 in one int) and C[m][n] as c[m];\n"
    " * A[m][k] is lane k's a[m] (S = 16), or lane k / 2's a[2m + k % 2] (S = 8). */\n"
    "float8 tsr_dpas_emulated(float8 c, float16 a, float16 b, int s, __local float *scratch)\n"
    "{\n"
    "    int lane;\n"
    "    __local float *wa = tsr_wave_scratch_of(scratch, s, &lane), *wb = wa + 16 * s;\n"
    "    vstore16(a, lane, wa);\n"
    "    vstore16(b, lane, wb);\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    float d[8];\n"
    "    vstore8(c, 0, d);\n"
    "    for (int m = 0; m < 8; m++)\n"
    "        for (int k = 0; k < 16; k++) {\n"
    "            float a_mk = s == 16 ? wa[16 * k + m] : wa[16 * (k / 2) + 2 * m + k % 2];\n"
    "            d[m] = fma(a_mk, wb[16 * lane + k], d[m]);\n"
    "        }\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    return vload8(0, d);\n"
    "}\n"
    "void tsr_dpas8_f16(float *c0, float *c1, float *c2, float *c3, float *c4, float *c5,\n"
    "                   float *c6, float *c7, ushort16 a, ushort16 b, __local float *scratch)\n"
    "{\n"
    "    float8 c = (float8)(*c0, *c1, *c2, *c3, *c4, *c5, *c6, *c7);\n"
    "#ifdef TSR_DPAS8_NATIVE\n"
    "    c = intel_sub_group_f16_f16_matrix_mad_k16(as_int8(a), as_int8(b), c);\n"
    "#else\n"
    "    float16 fa = vload_half16(0, (const half *)&a);\n"
    "    c = tsr_dpas_emulated(c, fa, vload_half16(0, (const half *)&b), 8, scratch);\n"
    "#endif\n"
    "    tsr_store8(c, c0, c1, c2, c3, c4, c5, c6, c7);\n"
    "}\n"
    "void tsr_dpas8_bf16(float *c0, float *c1, float *c2, float *c3, float *c4, float *c5,\n"
    "                    float *c6, float *c7, ushort16 a, ushort16 b, __local float *scratch)\n"
    "{\n"
    "    float8 c = (float8)(*c0, *c1, *c2, *c3, *c4, *c5, *c6, *c7);\n"
    "#ifdef TSR_DPAS8_NATIVE\n"
    "    c = intel_sub_group_bf16_bf16_matrix_mad_k16(as_int8(a), as_int8(b), c);\n"
    "#else\n"
    "    float16 fa = as_float16(convert_uint16(a) << 16);\n"
    "    c = tsr_dpas_emulated(c, fa, as_float16(convert_uint16(b) << 16), 8, scratch);\n"
    "#endif\n"
    "    tsr_store8(c, c0, c1, c2, c3, c4, c5, c6, c7);\n"
    "}\n"
    "void tsr_dpas16_f16(float *c0, float *c1, float *c2, float *c3, float *c4, float *c5,\n"
    "                    float *c6, float *c7, ushort8 a, ushort16 b, __local float *scratch)\n"
    "{\n"
    "    float8 c = (float8)(*c0, *c1, *c2, *c3, *c4, *c5, *c6, *c7);\n"
    "#ifdef TSR_DPAS16_NATIVE\n"
    "    c = intel_sub_group_f16_f16_matrix_mad_k16(as_short8(a), as_int8(b), c);\n"
    "#else\n"
    "    float16 fa = (float16)(vload_half8(0, (const half *)&a), (float8)(0.0f));\n"
    "    c = tsr_dpas_emulated(c, fa, vload_half16(0, (const half *)&b), 16, scratch);\n"
    "#endif\n"
    "    tsr_store8(c, c0, c1, c2, c3, c4, c5, c6, c7);\n"
    "}\n"
    "void tsr_dpas16_bf16(float *c0, float *c1, float *c2, float *c3, float *c4, float *c5,\n"
    "                     float *c6, float *c7, ushort8 a, ushort16 b, __local float *scratch)\n"
    "{\n"
    "    float8 c = (float8)(*c0, *c1, *c2, *c3, *c4, *c5, *c6, *c7);\n"
    "#ifdef TSR_DPAS16_NATIVE\n"
    "    c = intel_sub_group_bf16_bf16_matrix_mad_k16(as_short8(a), as_int8(b), c);\n"
    "#else\n"
    "    float16 fa = (float16)(as_float8(convert_uint8(a) << 16), (float8)(0.0f));\n"
    "    c = tsr_dpas_emulated(c, fa, as_float16(convert_uint16(b) << 16), 16, scratch);\n"
    "#endif\n"
    "    tsr_store8(c, c0, c1, c2, c3, c4, c5, c6, c7);\n"
    "}\n";

/* tsr_mfma_T(&c0 .. &c3, (ushort4)(a0 .. a3), (ushort4)(b0 .. b3),
 * scratch) and tsr_wmma_T(&c0 .. &c7, (ushort16)(...), (ushort16)(...),
 * scratch): the accumulators through pointers, which OpenCL C has for
 * references. */
static void print_call(tsr_strbuf *out, const char *unit, tsr_dtype type, char *const *operands,
                       int accumulators, int values)
{
    tsr_strbuf_printf(out, "tsr_%s_%s(", unit, tsr_dtype_name(type));
    for (int i = 0; i < accumulators; i++)
        tsr_strbuf_printf(out, "&%s, ", operands[i]);
    for (int m = 0; m < 2; m++) {
        tsr_strbuf_printf(out, "(ushort%d)(", values);
        for (int e = 0; e < values; e++)
            tsr_strbuf_printf(out, "%s%s", e ? ", " : "", operands[accumulators + m * values + e]);
        tsr_strbuf_append(out, "), ");
    }
    tsr_strbuf_append(out, "tsr_wave_scratch)");
}

static void print_mfma(tsr_strbuf *out, tsr_dtype type, char *const *operands)
{
    print_call(out, "mfma", type, operands, TP_MFMA_ACC, TP_MFMA_A);
}

static void print_wmma(tsr_strbuf *out, tsr_dtype type, char *const *operands)
{
    print_call(out, "wmma", type, operands, TP_WMMA_ACC, TP_WMMA_A);
}

/* tsr_dpasS_T(&c0 .. &c7, (ushort16 or 8)(A's values), (ushort16)(B's),
 * scratch). */
static void print_dpas(tsr_strbuf *out, tsr_dtype type, int subgroup, char *const *operands)
{
    char unit[16];
    snprintf(unit, sizeof unit, "dpas%d", subgroup);
    int a = tp_dpas_a_values(subgroup);
    tsr_strbuf_printf(out, "tsr_%s_%s(", unit, tsr_dtype_name(type));
    for (int i = 0; i < TP_DPAS_ACC; i++)
        tsr_strbuf_printf(out, "&%s, ", operands[i]);
    int counts[2] = {a, TP_DPAS_B}, first = TP_DPAS_ACC;
    for (int m = 0; m < 2; m++) {
        tsr_strbuf_printf(out, "(ushort%d)(", counts[m]);
        for (int e = 0; e < counts[m]; e++)
            tsr_strbuf_printf(out, "%s%s", e ? ", " : "", operands[first + e]);
        tsr_strbuf_append(out, "), ");
        first += counts[m];
    }
    tsr_strbuf_append(out, "tsr_wave_scratch)");
}

const tsr_dialect tsr_dialect_opencl = {
    .name = "opencl",
    .extension = ".cl",
    .preamble = preamble,
    .print_kernel_head = kernel_head,
    .global_qualifier = "__global ",
    /* 16-byte aligned like CUDA's, for the 16-byte asynchronous copies. */
    .shared_qualifier = "__local __attribute__((aligned(16))) ",
    .restrict_qualifier = "restrict ",
    .barrier = "barrier(CLK_LOCAL_MEM_FENCE)",
    .global_fence = "mem_fence(CLK_GLOBAL_MEM_FENCE)",
    .print_builtin = builtin,
    .func_names = {[TP_FMA] = "fma",
                   [TP_EXP] = "exp",
                   [TP_EXP2] = "exp2",
                   [TP_FMAX] = "fmax",
                   [TP_FMIN] = "fmin",
                   [TP_SQRT] = "sqrt",
                   [TP_TANH] = "tanh",
                   [TP_PACK_F16X2] = "tsr_pack_f16x2",
                   [TP_PACK_BF16X2] = "tsr_pack_bf16x2",
                   [TP_TO_TF32] = "tsr_to_tf32",
                   [TP_ALIGNED] = "tsr_aligned",
                   [TP_ATOMIC_ADD] = "atomic_add",
                   [TP_ATOMIC_XCHG] = "atomic_xchg",
                   [TP_FLOAT_BITS] = "as_int",
                   [TP_BITS_FLOAT] = "as_float",
                   [TP_DOUBLE_LO_BITS] = "tsr_double_lo_bits",
                   [TP_DOUBLE_HI_BITS] = "tsr_double_hi_bits",
                   [TP_BITS_DOUBLE] = "tsr_bits_double",
                   TSR_SUBGROUP_FUNC_NAMES},
    .int_min = "min",
    .int_max = "max",
    .unroll_format = "#pragma unroll %d",
    .unroll_full = "#pragma unroll",
    .print_vector_type = vector_type,
    .print_vload = vload,
    .print_vstore = vstore,
    .print_splat = splat,
    .lane_format = ".s%x",
    /* 16-bit values are ushort as stored (OpenCL C declares half only as a
     * pointer's target without cl_khr_fp16, and NVIDIA's lacks it), f16
     * read and written through half pointers. */
    .storage_names = {[TSR_F16] = "ushort", [TSR_BF16] = "ushort"},
    .print_widening_load = widening_load,
    .print_narrowing_store = narrowing_store,
    .print_subgroup_helpers = subgroup_helpers,
    .unit_helpers = unit_helpers,
    .wave_unit_helpers = wave_unit_helpers,
    .wave_unit_scratch_format = "__local float tsr_wave_scratch[%d * TSR_WAVE_FLOATS_PER_ITEM];",
    .print_mma_sync = tsr_nvidia_print_mma_sync,
    .f64_unit_helpers = mma_sync_f64,
    .f64_k4_unit_helpers = mma_sync_f64_k4,
    .f64_word_helpers = f64_words,
    .print_mfma = print_mfma,
    .print_wmma = print_wmma,
    .print_dpas = print_dpas,
    .print_ldmatrix = tsr_nvidia_print_ldmatrix,
    .print_raw_vload = raw_vload,
    .print_async_copy = print_async_copy,
    .async_commit = "__asm__ __volatile__(\"cp.async.commit_group;\" ::: \"memory\")",
    .async_wait_format = "__asm__ __volatile__(\"cp.async.wait_group %d;\" ::: \"memory\")",
    /* OpenCL C 1.2 has double only as an extension, enabled before use. */
    .f64_helpers = "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n",
};
