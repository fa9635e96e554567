/* The CLBlast reference GEMM (see gemm_ref.h). Built as a stub that
 * reports TSR_ERR_UNSUPPORTED when meson found no CLBlast. */
#include "backends/gemm_ref_libs.h"

#include "tsr_config.h"

#if TSR_HAVE_CLBLAST

#include <clblast_c.h>
#include <time.h>

#include "backends/backends_list.h"
#include "backends/opencl_impl.h"

bool tsr_clblast_available(void)
{
    return true;
}

#define CLBLAST_CASE(code)                                                                         \
    case code: return #code;

/* CLBlast shares OpenCL's codes above -1000 and adds its own below. */
static const char *clblast_status_name(CLBlastStatusCode code)
{
    if (code > -1000)
        return tsr_opencl_error_name((cl_int)code);
    switch (code) {
        CLBLAST_CASE(CLBlastNotImplemented)
        CLBLAST_CASE(CLBlastInvalidMatrixA)
        CLBLAST_CASE(CLBlastInvalidMatrixB)
        CLBLAST_CASE(CLBlastInvalidMatrixC)
        CLBLAST_CASE(CLBlastInvalidDimension)
        CLBLAST_CASE(CLBlastInvalidLeadDimA)
        CLBLAST_CASE(CLBlastInvalidLeadDimB)
        CLBLAST_CASE(CLBlastInvalidLeadDimC)
        CLBLAST_CASE(CLBlastInsufficientMemoryA)
        CLBLAST_CASE(CLBlastInsufficientMemoryB)
        CLBLAST_CASE(CLBlastInsufficientMemoryC)
        CLBLAST_CASE(CLBlastInsufficientMemoryTemp)
        CLBLAST_CASE(CLBlastInvalidLocalMemUsage)
        CLBLAST_CASE(CLBlastDatabaseError)
        CLBLAST_CASE(CLBlastUnknownError)
        CLBLAST_CASE(CLBlastUnexpectedError)
    default: break;
    }
    return "unknown CLBlast error";
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

tsr_status tsr_clblast_gemm(tsr_device *device, tsr_dtype ab_type, bool a_col_major,
                            bool b_col_major, int m, int n, int k, double alpha, tsr_buffer *a,
                            tsr_buffer *b, double beta, tsr_buffer *c, double *elapsed_ms,
                            tsr_error *err)
{
    bool wide = ab_type == TSR_F64;
    const char *name = wide ? "CLBlastDgemm" : "CLBlastSgemm";
    /* In CLBlast's row-major view a column-major M x K matrix is the
     * row-major K x M matrix A^T, so it is passed transposed with its own
     * leading dimension (M); likewise B. */
    CLBlastTranspose a_op = a_col_major ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastTranspose b_op = b_col_major ? CLBlastTransposeYes : CLBlastTransposeNo;
    size_t lda = a_col_major ? (size_t)m : (size_t)k;
    size_t ldb = b_col_major ? (size_t)k : (size_t)n;
    cl_command_queue queue = tsr_opencl_queue(device);
    const char *where = device->info.name;

    cl_int rc = clFinish(queue); /* earlier work must not count */
    if (rc != CL_SUCCESS)
        return tsr_fail(err, TSR_ERR_BACKEND, "clFinish: %s (%d) on %s", tsr_opencl_error_name(rc),
                        (int)rc, where);
    double start = now_ms();
    cl_event event = NULL;
    CLBlastStatusCode status =
        wide ? CLBlastDgemm(CLBlastLayoutRowMajor, a_op, b_op, (size_t)m, (size_t)n, (size_t)k,
                            alpha, tsr_opencl_mem(a), 0, lda, tsr_opencl_mem(b), 0, ldb, beta,
                            tsr_opencl_mem(c), 0, (size_t)n, &queue, &event)
             : CLBlastSgemm(CLBlastLayoutRowMajor, a_op, b_op, (size_t)m, (size_t)n, (size_t)k,
                            (float)alpha, tsr_opencl_mem(a), 0, lda, tsr_opencl_mem(b), 0, ldb,
                            (float)beta, tsr_opencl_mem(c), 0, (size_t)n, &queue, &event);
    if (status != CLBlastSuccess)
        return tsr_fail(err, TSR_ERR_BACKEND, "%s(m=%d n=%d k=%d): %s (%d) on %s", name, m, n, k,
                        clblast_status_name(status), (int)status, where);
    /* clFinish rather than the event: it also covers helper kernels. */
    rc = clFinish(queue);
    double end = now_ms();
    if (event)
        clReleaseEvent(event);
    if (rc != CL_SUCCESS)
        return tsr_fail(err, TSR_ERR_BACKEND, "%s: clFinish: %s (%d) on %s", name,
                        tsr_opencl_error_name(rc), (int)rc, where);
    if (elapsed_ms)
        *elapsed_ms = end - start;
    return TSR_OK;
}

#else /* !TSR_HAVE_CLBLAST */

bool tsr_clblast_available(void)
{
    return false;
}

tsr_status tsr_clblast_gemm(tsr_device *device, tsr_dtype ab_type, bool a_col_major,
                            bool b_col_major, int m, int n, int k, double alpha, tsr_buffer *a,
                            tsr_buffer *b, double beta, tsr_buffer *c, double *elapsed_ms,
                            tsr_error *err)
{
    (void)device, (void)ab_type, (void)a_col_major, (void)b_col_major, (void)m, (void)n, (void)k;
    (void)alpha, (void)a, (void)b, (void)beta, (void)c, (void)elapsed_ms;
    return tsr_fail(err, TSR_ERR_UNSUPPORTED, "tessera was built without CLBlast");
}

#endif
