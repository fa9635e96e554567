/* The reference GEMM: CLBlast on the same OpenCL device, queue and buffers
 * as the kernels it checks and is timed against. */
#ifndef TSR_CLBLAST_REF_H
#define TSR_CLBLAST_REF_H

#include <stdbool.h>

#include "backends/backend.h"
#include "core/status.h"

/* False when tessera was built without CLBlast. */
bool tsr_clblast_available(void);

/* C = alpha * A * B + beta * C with C row-major M x N (ldc = N).
 * A is M x K: row-major (lda = K) or, with a_col_major, column-major
 * (lda = M). B is K x N: row-major (ldb = N) or column-major (ldb = K).
 * The device must be an OpenCL device and the buffers its own.
 *
 * elapsed_ms (when not NULL) is wall-clock time from the call to the end of
 * the work it queued, with the queue drained before: CLBlast may queue
 * helper kernels (padding, transposes) besides the GEMM and hands back only
 * the last one's event, so event timestamps would undercount. The first
 * call per device also compiles CLBlast's kernels (seconds): time a second
 * call. Returns TSR_ERR_UNSUPPORTED when built without CLBlast. */
tsr_status tsr_clblast_sgemm(tsr_device *device, bool a_col_major, bool b_col_major, int m, int n,
                             int k, float alpha, tsr_buffer *a, tsr_buffer *b, float beta,
                             tsr_buffer *c, double *elapsed_ms, tsr_error *err);

#endif
