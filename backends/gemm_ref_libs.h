/* The libraries behind gemm_ref.h, one per backend. Each takes a request
 * that tsr_gemm_ref_gemm has checked (the device is of its backend, the
 * sizes positive, the buffers the device's own and large enough) and has
 * that function's contract otherwise. Private to backends/. */
#ifndef TSR_GEMM_REF_LIBS_H
#define TSR_GEMM_REF_LIBS_H

#include "backends/gemm_ref.h"

/* False when tessera was built without CLBlast. */
bool tsr_clblast_available(void);
/* ab_type f32 (SGEMM) or f64 (DGEMM, C f64 too); alpha and beta are
 * passed in the type C has. */
tsr_status tsr_clblast_gemm(tsr_device *device, tsr_dtype ab_type, bool a_col_major,
                            bool b_col_major, int m, int n, int k, double alpha, tsr_buffer *a,
                            tsr_buffer *b, double beta, tsr_buffer *c, double *elapsed_ms,
                            tsr_error *err);

/* ab_type f32, f16, bf16 (C f32) or f64 (C f64). */
tsr_status tsr_cublas_gemm(tsr_device *device, tsr_dtype ab_type, bool a_col_major,
                           bool b_col_major, int m, int n, int k, double alpha, tsr_buffer *a,
                           tsr_buffer *b, double beta, tsr_buffer *c, double *elapsed_ms,
                           tsr_error *err);

#endif
