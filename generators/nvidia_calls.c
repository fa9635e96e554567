/* The calls of NVIDIA's warp matrix unit that CUDA and OpenCL print alike
 * (tsr_mma_f16(...), tsr_ldmatrix_x4_trans(...)): each dialect defines the
 * helpers they name, CUDA as inline functions, OpenCL as inline-PTX
 * macros. */
#include "generators/dialects.h"

void tsr_nvidia_print_mma_sync(tsr_strbuf *out, tsr_dtype type, char *const *operands)
{
    tsr_strbuf_printf(out, "tsr_mma_%s(", tsr_dtype_name(type));
    for (int i = 0; i < TP_MMA_OPERANDS; i++)
        tsr_strbuf_printf(out, "%s%s", i ? ", " : "", operands[i]);
    tsr_strbuf_append(out, ")");
}

void tsr_nvidia_print_ldmatrix(tsr_strbuf *out, int matrices, bool trans, char *const *registers,
                               const char *pointer)
{
    tsr_strbuf_printf(out, "tsr_ldmatrix_x%d%s(", matrices, trans ? "_trans" : "");
    for (int i = 0; i < matrices; i++)
        tsr_strbuf_printf(out, "%s, ", registers[i]);
    tsr_strbuf_printf(out, "%s)", pointer);
}
