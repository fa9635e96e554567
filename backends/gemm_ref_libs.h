/* The libraries behind gemm_ref.h, one per backend. Each takes a request
 * that tsr_gemm_ref_sgemm has checked (the device is of its backend, the
 * sizes positive, the buffers the device's own and large enough) and has
 * that function's contract otherwise. Private to backends/. */
#ifndef TSR_GEMM_REF_LIBS_H
#define TSR_GEMM_REF_LIBS_H

#include "backends/gemm_ref.h"

/* False when tessera was built without CLBlast. */
bool tsr_clblast_available(void);
tsr_status tsr_clblast_sgemm(tsr_device *device, bool a_col_major, bool b_col_major, int m, int n,
                             int k, float alpha, tsr_buffer *a, tsr_buffer *b, float beta,
                             tsr_buffer *c, double *elapsed_ms, tsr_error *err);

tsr_status tsr_cublas_gemm(tsr_device *device, tsr_dtype ab_type, bool a_col_major,
                           bool b_col_major, int m, int n, int k, float alpha, tsr_buffer *a,
                           tsr_buffer *b, float beta, tsr_buffer *c, double *elapsed_ms,
                           tsr_error *err);

#endif
