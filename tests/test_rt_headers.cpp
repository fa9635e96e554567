// libtessera-rt's public headers compile as C++ (C++11, warnings as
// errors), as a C++ program includes them: each wraps itself in extern "C".
#include <tessera/tessera_rt.h>
#include <tessera/tessera_rt_cuda.h>
#include <tessera/tessera_rt_hip.h>
#include <tessera/tessera_rt_opencl.h>

int main()
{
    tsr_rt_gemm_desc desc;
    tsr_rt_gemm_desc_init(&desc, 64, 64, 64);
    desc.bias = TSR_RT_BIAS_COL;
    desc.activation = TSR_RT_ACT_GELU;
    desc.residual = true;
    char key[128];
    tsr_rt_rows_desc rows;
    tsr_rt_rows_desc_init(&rows, TSR_RT_LAYERNORM, 4, 8);
    rows.eps = 1e-3f;
    const int dims[TSR_RT_MAX_RANK] = {2, 3, 4, 5}, perm[TSR_RT_MAX_RANK] = {0, 2, 1, 3};
    tsr_rt_permute_desc permute;
    tsr_rt_permute_desc_init(&permute, 4, dims, perm);
    tsr_rt_attention_desc attention;
    tsr_rt_attention_desc_init(&attention, 64, 128, 128);
    attention.causal = true;
    attention.layout = TSR_RT_BSHD;
    tsr_rt_conv2d_desc conv;
    tsr_rt_conv2d_desc_init(&conv, 2, 8, 9, 9, 4, 3, 3);
    conv.layout = TSR_RT_NHWC;
    conv.activation = TSR_RT_ACT_RELU;
    bool keyed = tsr_rt_gemm_desc_key(&desc, key, sizeof key) &&
                 tsr_rt_rows_desc_key(&rows, key, sizeof key) &&
                 tsr_rt_permute_desc_key(&permute, key, sizeof key) &&
                 tsr_rt_attention_desc_key(&attention, key, sizeof key) &&
                 tsr_rt_conv2d_desc_key(&conv, key, sizeof key);
    return keyed ? 0 : 1;
}
