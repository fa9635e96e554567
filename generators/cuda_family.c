/* What CUDA and HIP share: both are C++ with the same kernel syntax, thread
 * ids, barrier and math; they differ only in a name and a line or two of
 * preamble (generators/cuda.c, generators/hip.c). Vectors of any width are a
 * small struct with loads and stores that need only element alignment, like
 * OpenCL's vloadN, so that one lowered program means the same everywhere. */
#include "generators/dialects.h"

const char tsr_cuda_family_preamble[] =
    "#ifndef INFINITY\n"
    "#define INFINITY __int_as_float(0x7f800000)\n"
    "#endif\n"
    "template <int N> struct tsr_floatv {\n"
    "    float s[N];\n"
    "};\n"
    "typedef tsr_floatv<2> tsr_float2;\n"
    "typedef tsr_floatv<4> tsr_float4;\n"
    "typedef tsr_floatv<8> tsr_float8;\n"
    "typedef tsr_floatv<16> tsr_float16;\n"
    "/* 16-bit floats are carried as unsigned short, widened as they load and\n"
    " * rounded to nearest even as they store (the f16 conversions are the\n"
    " * dialect's own); bf16 is the top half of an f32. */\n"
    "__device__ inline float tsr_bf16_to_f32(unsigned short h)\n"
    "{\n"
    "    return __uint_as_float((unsigned)h << 16);\n"
    "}\n"
    "__device__ inline unsigned short tsr_f32_to_bf16(float f)\n"
    "{\n"
    "    unsigned u = __float_as_uint(f);\n"
    "    if ((u & 0x7fffffffu) > 0x7f800000u)\n"
    "        return (unsigned short)((u >> 16) | 0x40u); /* NaN stays quiet */\n"
    "    return (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);\n"
    "}\n"
    "/* Wide accesses: one 8- or 16-byte move per 2 or 4 floats (or per 4 or\n"
    " * 8 16-bit values), for addresses aligned to it. */\n"
    "struct __attribute__((aligned(16))) tsr_a4 {\n"
    "    float x, y, z, w;\n"
    "};\n"
    "struct __attribute__((aligned(8))) tsr_a2 {\n"
    "    float x, y;\n"
    "};\n"
    "/* 2^x: NVIDIA's unit approximates it in one instruction (2 ulp, results\n"
    " * below 2^-126 flushed to zero), where exp2f takes four. */\n"
    "__device__ inline float tsr_exp2(float x)\n"
    "{\n"
    "#ifdef __CUDA_ARCH__\n"
    "    float r;\n"
    "    asm(\"ex2.approx.ftz.f32 %0, %1;\" : \"=f\"(r) : \"f\"(x));\n"
    "    return r;\n"
    "#else\n"
    "    return exp2f(x);\n"
    "#endif\n"
    "}\n"
    "__device__ inline bool tsr_aligned(const void *p, unsigned bytes)\n"
    "{\n"
    "    return (reinterpret_cast<unsigned long long>(p) & (bytes - 1)) == 0;\n"
    "}\n"
    "/* Loads the lowering proved aligned (shared arrays are 16-byte aligned). */\n"
    "template <int N> __device__ inline tsr_floatv<N> tsr_vload_aligned(const float *p)\n"
    "{\n"
    "    tsr_floatv<N> v;\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i += 4) {\n"
    "        const tsr_a4 q = *reinterpret_cast<const tsr_a4 *>(p + i);\n"
    "        v.s[i] = q.x;\n"
    "        v.s[i + 1] = q.y;\n"
    "        v.s[i + 2] = q.z;\n"
    "        v.s[i + 3] = q.w;\n"
    "    }\n"
    "    return v;\n"
    "}\n"
    "template <> __device__ inline tsr_floatv<2> tsr_vload_aligned<2>(const float *p)\n"
    "{\n"
    "    const tsr_a2 q = *reinterpret_cast<const tsr_a2 *>(p);\n"
    "    tsr_floatv<2> v;\n"
    "    v.s[0] = q.x;\n"
    "    v.s[1] = q.y;\n"
    "    return v;\n"
    "}\n"
    "/* Global loads and stores need only element alignment (a row stride\n"
    " * known at launch decides the rest), so each checks its address as it\n"
    " * runs: one wide access where aligned, which is every access of buffers\n"
    " * whose rows are whole vectors, element by element elsewhere. */\n"
    "template <int N> __device__ inline tsr_floatv<N> tsr_vload(const float *p)\n"
    "{\n"
    "    if (N % 4 == 0 && tsr_aligned(p, 16))\n"
    "        return tsr_vload_aligned<N>(p);\n"
    "    if (N == 2 && tsr_aligned(p, 8))\n"
    "        return tsr_vload_aligned<N>(p);\n"
    "    tsr_floatv<N> v;\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        v.s[i] = p[i];\n"
    "    return v;\n"
    "}\n"
    "/* 16-bit values as stored, for copies into 16-bit shared tiles. */\n"
    "template <int N> struct tsr_ushortv {\n"
    "    unsigned short s[N];\n"
    "};\n"
    "typedef tsr_ushortv<2> tsr_ushort2;\n"
    "typedef tsr_ushortv<4> tsr_ushort4;\n"
    "typedef tsr_ushortv<8> tsr_ushort8;\n"
    "typedef tsr_ushortv<16> tsr_ushort16;\n"
    "/* W 16-bit values in one access of their size. */\n"
    "template <int W> struct alignas(2 * W) tsr_ushort_chunk {\n"
    "    unsigned short s[W];\n"
    "};\n"
    "template <int N> __device__ inline tsr_ushortv<N> tsr_vload_u16(const unsigned short *p)\n"
    "{\n"
    "    /* The widest access that divides the vector and that p allows. */\n"
    "    const int W = N % 8 == 0 ? 8 : N % 4 == 0 ? 4 : 2;\n"
    "    tsr_ushortv<N> v;\n"
    "    if (tsr_aligned(p, 2 * W)) {\n"
    "#pragma unroll\n"
    "        for (int i = 0; i < N; i += W) {\n"
    "            const tsr_ushort_chunk<W> q = *reinterpret_cast<const tsr_ushort_chunk<W> *>(p + "
    "i);\n"
    "#pragma unroll\n"
    "            for (int j = 0; j < W; j++)\n"
    "                v.s[i + j] = q.s[j];\n"
    "        }\n"
    "        return v;\n"
    "    }\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        v.s[i] = p[i];\n"
    "    return v;\n"
    "}\n"
    "template <int N> __device__ inline tsr_floatv<N> tsr_vld_f16(const unsigned short *p)\n"
    "{\n"
    "    const tsr_ushortv<N> h = tsr_vload_u16<N>(p);\n"
    "    tsr_floatv<N> v;\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        v.s[i] = tsr_f16_to_f32(h.s[i]);\n"
    "    return v;\n"
    "}\n"
    "template <int N> __device__ inline tsr_floatv<N> tsr_vld_bf16(const unsigned short *p)\n"
    "{\n"
    "    const tsr_ushortv<N> h = tsr_vload_u16<N>(p);\n"
    "    tsr_floatv<N> v;\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        v.s[i] = tsr_bf16_to_f32(h.s[i]);\n"
    "    return v;\n"
    "}\n"
    "template <int N> __device__ inline void tsr_vst_f16(unsigned short *p, const tsr_floatv<N> "
    "&v)\n"
    "{\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        p[i] = tsr_f32_to_f16(v.s[i]);\n"
    "}\n"
    "template <int N>\n"
    "__device__ inline void tsr_vst_bf16(unsigned short *p, const tsr_floatv<N> &v)\n"
    "{\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        p[i] = tsr_f32_to_bf16(v.s[i]);\n"
    "}\n"
    "template <int N> __device__ inline void tsr_vstore_aligned(float *p, const tsr_floatv<N> &v)\n"
    "{\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i += 4) {\n"
    "        const tsr_a4 q = {v.s[i], v.s[i + 1], v.s[i + 2], v.s[i + 3]};\n"
    "        *reinterpret_cast<tsr_a4 *>(p + i) = q;\n"
    "    }\n"
    "}\n"
    "template <>\n"
    "__device__ inline void tsr_vstore_aligned<2>(float *p, const tsr_floatv<2> &v)\n"
    "{\n"
    "    const tsr_a2 q = {v.s[0], v.s[1]};\n"
    "    *reinterpret_cast<tsr_a2 *>(p) = q;\n"
    "}\n"
    "template <int N> __device__ inline void tsr_vstore(float *p, const tsr_floatv<N> &v)\n"
    "{\n"
    "    if ((N % 4 == 0 && tsr_aligned(p, 16)) || (N == 2 && tsr_aligned(p, 8))) {\n"
    "        tsr_vstore_aligned<N>(p, v);\n"
    "        return;\n"
    "    }\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        p[i] = v.s[i];\n"
    "}\n"
    "template <int N>\n"
    "__device__ inline void tsr_vstore_aligned(unsigned short *p, const tsr_ushortv<N> &v)\n"
    "{\n"
    "    const int W = N % 8 == 0 ? 8 : N % 4 == 0 ? 4 : 2;\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i += W) {\n"
    "        tsr_ushort_chunk<W> q;\n"
    "#pragma unroll\n"
    "        for (int j = 0; j < W; j++)\n"
    "            q.s[j] = v.s[i + j];\n"
    "        *reinterpret_cast<tsr_ushort_chunk<W> *>(p + i) = q;\n"
    "    }\n"
    "}\n"
    "template <int N> __device__ inline void tsr_vstore(unsigned short *p, const tsr_ushortv<N> "
    "&v)\n"
    "{\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        p[i] = v.s[i];\n"
    "}\n"
    "template <int N> __device__ inline tsr_floatv<N> tsr_splat(float x)\n"
    "{\n"
    "    tsr_floatv<N> v;\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        v.s[i] = x;\n"
    "    return v;\n"
    "}\n"
    "template <int N>\n"
    "__device__ inline tsr_floatv<N> tsr_fma(const tsr_floatv<N> &a, const tsr_floatv<N> &b,\n"
    "                                        const tsr_floatv<N> &c)\n"
    "{\n"
    "    tsr_floatv<N> r;\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        r.s[i] = fmaf(a.s[i], b.s[i], c.s[i]);\n"
    "    return r;\n"
    "}\n"
    "template <int N>\n"
    "__device__ inline tsr_floatv<N> operator*(const tsr_floatv<N> &a, const tsr_floatv<N> &b)\n"
    "{\n"
    "    tsr_floatv<N> r;\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        r.s[i] = a.s[i] * b.s[i];\n"
    "    return r;\n"
    "}\n"
    "template <int N>\n"
    "__device__ inline tsr_floatv<N> operator+(const tsr_floatv<N> &a, const tsr_floatv<N> &b)\n"
    "{\n"
    "    tsr_floatv<N> r;\n"
    "#pragma unroll\n"
    "    for (int i = 0; i < N; i++)\n"
    "        r.s[i] = a.s[i] + b.s[i];\n"
    "    return r;\n"
    "}\n"
    "__device__ inline int tsr_imin(int a, int b) { return a < b ? a : b; }\n"
    "__device__ inline int tsr_imax(int a, int b) { return a > b ? a : b; }\n";

void tsr_cuda_family_builtin(tsr_strbuf *out, tp_builtin which, int axis)
{
    static const char *names[] = {[TP_LOCAL_ID] = "threadIdx",
                                  [TP_GROUP_ID] = "blockIdx",
                                  [TP_LOCAL_SIZE] = "blockDim",
                                  [TP_NUM_GROUPS] = "gridDim"};
    tsr_strbuf_printf(out, "(int)%s.%c", names[which], "xyz"[axis]);
}

void tsr_cuda_family_vector_type(tsr_strbuf *out, const char *scalar, int width)
{
    tsr_strbuf_printf(out, "tsr_%s%d", scalar, width);
}

void tsr_cuda_family_vload(tsr_strbuf *out, int width, const char *pointer)
{
    tsr_strbuf_printf(out, "tsr_vload<%d>(%s)", width, pointer);
}

void tsr_cuda_family_vload_aligned(tsr_strbuf *out, int width, const char *pointer)
{
    tsr_strbuf_printf(out, "tsr_vload_aligned<%d>(%s)", width, pointer);
}

void tsr_cuda_family_vstore(tsr_strbuf *out, int width, const char *pointer, const char *value)
{
    tsr_strbuf_printf(out, "tsr_vstore<%d>(%s, %s)", width, pointer, value);
}

void tsr_cuda_family_vstore_aligned(tsr_strbuf *out, int width, const char *pointer,
                                    const char *value)
{
    tsr_strbuf_printf(out, "tsr_vstore_aligned<%d>(%s, %s)", width, pointer, value);
}

void tsr_cuda_family_raw_vload(tsr_strbuf *out, int width, const char *pointer)
{
    tsr_strbuf_printf(out, "tsr_vload_u16<%d>(%s)", width, pointer);
}

void tsr_cuda_family_widening_load(tsr_strbuf *out, tsr_dtype dtype, int width, const char *pointer)
{
    const char *name = dtype == TSR_BF16 ? "bf16" : "f16";
    if (width == 1)
        tsr_strbuf_printf(out, "tsr_%s_to_f32(*(%s))", name, pointer);
    else
        tsr_strbuf_printf(out, "tsr_vld_%s<%d>(%s)", name, width, pointer);
}

void tsr_cuda_family_narrowing_store(tsr_strbuf *out, tsr_dtype dtype, int width,
                                     const char *pointer, const char *value)
{
    const char *name = dtype == TSR_BF16 ? "bf16" : "f16";
    if (width == 1)
        tsr_strbuf_printf(out, "*(%s) = tsr_f32_to_%s(%s)", pointer, name, value);
    else
        tsr_strbuf_printf(out, "tsr_vst_%s<%d>(%s, %s)", name, width, pointer, value);
}

void tsr_cuda_family_splat(tsr_strbuf *out, const char *scalar, int width, const char *value)
{
    (void)scalar;
    tsr_strbuf_printf(out, "tsr_splat<%d>(%s)", width, value);
}

/* Sub-groups of `width` consecutive threads, combined by xor-shuffles whose
 * masks stay below `width`: each aligned run of `width` lanes is reduced
 * within itself. That is right wherever such a run lies inside one warp or
 * wave, i.e. where `width` divides the hardware's size: NVIDIA's warp is 32
 * on every GPU, AMD's wave 64 (CDNA) or 32 or 64 (RDNA, by compile mode),
 * and the row ops take the smallest size the profile lists. The #error
 * turns a target whose warp or wave the width does not divide into a build
 * failure instead of wrong sums. Work-groups are whole numbers of
 * sub-groups (the row ops' check), so every lane a shuffle reads is live. */
void tsr_cuda_family_subgroup_helpers(tsr_strbuf *out, int width, const char *shuffle_xor)
{
    tsr_strbuf_printf(
        out,
        "#if defined(__AMDGCN_WAVEFRONT_SIZE) && __AMDGCN_WAVEFRONT_SIZE %% %d != 0 || "
        "defined(__CUDA_ARCH__) && 32 %% %d != 0\n"
        "#error \"sub-groups of %d threads do not divide this target's warp or "
        "wave\"\n"
        "#endif\n",
        width, width, width);
    tsr_strbuf_append(out,
                      "__device__ inline int tsr_thread_index()\n"
                      "{\n"
                      "    return (int)(threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * "
                      "threadIdx.z));\n"
                      "}\n");
    static const char *const reductions[2][2] = {{"sum", "v + %s"}, {"max", "fmaxf(v, %s)"}};
    for (int i = 0; i < 2; i++) {
        tsr_strbuf_printf(out,
                          "__device__ inline float tsr_subgroup_%s(float v, int width)\n"
                          "{\n"
                          "#pragma unroll\n"
                          "    for (int m = width / 2; m > 0; m /= 2)\n"
                          "        v = ",
                          reductions[i][0]);
        tsr_strbuf_printf(out, reductions[i][1], shuffle_xor);
        tsr_strbuf_append(out, ";\n"
                               "    return v;\n"
                               "}\n");
    }
    tsr_strbuf_append(
        out,
        "__device__ inline int tsr_subgroup_id(int width) { return tsr_thread_index() / width; }\n"
        "__device__ inline int tsr_subgroup_lane(int width) { return tsr_thread_index() % "
        "width; }\n"
        "__device__ inline int tsr_subgroup_size(int width) { return width; }\n"
        "__device__ inline int tsr_subgroup_count(int threads, int width) { return threads / "
        "width; }\n");
}
