/* The reference SGEMM: checks the request once, then hands it to the
 * library of the device's backend (see gemm_ref.h). */
#include "backends/gemm_ref.h"

#include <string.h>

#include "backends/gemm_ref_libs.h"

const char *tsr_gemm_ref_name(const tsr_device *device)
{
    const char *backend = device->backend->name;
    if (strcmp(backend, "opencl") == 0)
        return tsr_clblast_available() ? "CLBlast" : NULL;
    if (strcmp(backend, "cuda") == 0)
        return "cuBLAS";
    return NULL;
}

tsr_ref_clock tsr_gemm_ref_clock(const tsr_device *device)
{
    return strcmp(device->backend->name, "cuda") == 0 ? TSR_REF_DEVICE_EVENTS : TSR_REF_WALL_CLOCK;
}

static tsr_status check_buffer(const tsr_device *device, const char *library,
                               const tsr_buffer *buffer, const char *name, long long elems,
                               tsr_dtype dtype, tsr_error *err)
{
    if (!buffer || buffer->device != device)
        return tsr_fail(err, TSR_ERR_INPUT, "%s gemm: matrix %s is not a buffer of %s", library,
                        name, device->info.id);
    if ((unsigned long long)buffer->bytes < (unsigned long long)elems * tsr_dtype_size(dtype))
        return tsr_fail(err, TSR_ERR_INPUT,
                        "%s gemm: matrix %s needs %lld values of %s, its buffer holds %zu bytes",
                        library, name, elems, tsr_dtype_name(dtype), buffer->bytes);
    return TSR_OK;
}

tsr_status tsr_gemm_ref_sgemm(tsr_device *device, bool a_col_major, bool b_col_major, int m, int n,
                              int k, float alpha, tsr_buffer *a, tsr_buffer *b, float beta,
                              tsr_buffer *c, double *elapsed_ms, tsr_error *err)
{
    return tsr_gemm_ref_gemm(device, TSR_F32, a_col_major, b_col_major, m, n, k, alpha, a, b, beta,
                             c, elapsed_ms, err);
}

/* Every request, f64 or not: C is f64 for f64 inputs, else f32. */
static tsr_status gemm_any(tsr_device *device, tsr_dtype ab_type, bool a_col_major,
                           bool b_col_major, int m, int n, int k, double alpha, tsr_buffer *a,
                           tsr_buffer *b, double beta, tsr_buffer *c, double *elapsed_ms,
                           tsr_error *err)
{
    const char *library = tsr_gemm_ref_name(device);
    if (!library)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "no reference SGEMM for %s in this build (CLBlast runs on OpenCL devices "
                        "when tessera is built with it, cuBLAS on CUDA devices)",
                        device->info.id);
    if (m < 1 || n < 1 || k < 1)
        return tsr_fail(err, TSR_ERR_INPUT, "%s sgemm: m=%d n=%d k=%d must all be >= 1", library, m,
                        n, k);
    if (ab_type != TSR_F32 && ab_type != TSR_F64 && ab_type != TSR_F16 && ab_type != TSR_BF16 &&
        ab_type != TSR_TF32)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED, "%s gemm: no reference for %s inputs", library,
                        tsr_dtype_name(ab_type));
    tsr_dtype c_type = ab_type == TSR_F64 ? TSR_F64 : TSR_F32;
    /* tf32: f32 buffers, multiplied as tf32 where the library can. */
    tsr_dtype stored = ab_type == TSR_TF32 ? TSR_F32 : ab_type;
    TSR_TRY(check_buffer(device, library, a, "A", (long long)m * k, stored, err));
    TSR_TRY(check_buffer(device, library, b, "B", (long long)k * n, stored, err));
    TSR_TRY(check_buffer(device, library, c, "C", (long long)m * n, c_type, err));
    if (strcmp(device->backend->name, "cuda") == 0)
        return tsr_cublas_gemm(device, ab_type, a_col_major, b_col_major, m, n, k, alpha, a, b,
                               beta, c, elapsed_ms, err);
    if (stored != c_type)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "CLBlast has no GEMM of %s inputs into an f32 C (its HGEMM writes f16)",
                        tsr_dtype_name(ab_type));
    /* CLBlast has no TF32 math: its full-precision SGEMM stands in, within
     * any bound that tf32 meets. */
    return tsr_clblast_gemm(device, stored, a_col_major, b_col_major, m, n, k, alpha, a, b, beta, c,
                            elapsed_ms, err);
}

tsr_status tsr_gemm_ref_gemm(tsr_device *device, tsr_dtype ab_type, bool a_col_major,
                             bool b_col_major, int m, int n, int k, float alpha, tsr_buffer *a,
                             tsr_buffer *b, float beta, tsr_buffer *c, double *elapsed_ms,
                             tsr_error *err)
{
    if (ab_type == TSR_F64)
        return tsr_fail(err, TSR_ERR_INPUT, "f64 inputs take tsr_gemm_ref_dgemm, with a double C");
    return gemm_any(device, ab_type, a_col_major, b_col_major, m, n, k, alpha, a, b, beta, c,
                    elapsed_ms, err);
}

tsr_status tsr_gemm_ref_dgemm(tsr_device *device, bool a_col_major, bool b_col_major, int m, int n,
                              int k, double alpha, tsr_buffer *a, tsr_buffer *b, double beta,
                              tsr_buffer *c, double *elapsed_ms, tsr_error *err)
{
    return gemm_any(device, TSR_F64, a_col_major, b_col_major, m, n, k, alpha, a, b, beta, c,
                    elapsed_ms, err);
}
