/* For the compile check of OpenCL C with inline PTX (tests/vendor_compile.sh)
 * only: libclc's NVIDIA builtins leave out vload_half and vstore_half, which
 * NVIDIA's own OpenCL has; they are defined here from PTX's conversions. */
static ushort tsr_check_f32_to_f16(float f)
{
    ushort h;
    __asm__("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}
static float tsr_check_f16_to_f32(ushort h)
{
    float f;
    __asm__("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}
float __attribute__((overloadable)) vload_half(size_t i, const __global half *p)
{
    return tsr_check_f16_to_f32(((const __global ushort *)p)[i]);
}
void __attribute__((overloadable)) vstore_half_rte(float v, size_t i, __global half *p)
{
    ((__global ushort *)p)[i] = tsr_check_f32_to_f16(v);
}
#define TSR_CHECK_HALFN(n)                                                                       \
    float##n __attribute__((overloadable)) vload_half##n(size_t i, const __global half *p)        \
    {                                                                                            \
        float##n v;                                                                              \
        float *s = (float *)&v;                                                                  \
        for (int j = 0; j < n; j++)                                                              \
            s[j] = vload_half(i * n + j, p);                                                     \
        return v;                                                                                \
    }                                                                                            \
    void __attribute__((overloadable)) vstore_half##n##_rte(float##n v, size_t i,                 \
                                                            __global half *p)                    \
    {                                                                                            \
        float *s = (float *)&v;                                                                  \
        for (int j = 0; j < n; j++)                                                              \
            vstore_half_rte(s[j], i * n + j, p);                                                 \
    }
TSR_CHECK_HALFN(2)
TSR_CHECK_HALFN(4)
TSR_CHECK_HALFN(8)
TSR_CHECK_HALFN(16)
