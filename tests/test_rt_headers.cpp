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
    char key[96];
    return tsr_rt_gemm_desc_key(&desc, key, sizeof key) ? 0 : 1;
}
