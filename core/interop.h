/* Tuning results in the formats of other tools, so that their users can
 * take tessera's measurements:
 *
 *   T4        the Tuning and Testing Template (schema_version 1.0.0), as
 *             Kernel Tuner and other auto-tuners read and write it: one
 *             file per (op, device, shape) with every result, valid or not.
 *   CLBlast   the JSON CLBlast's own tuner writes for its Xgemm kernel
 *             (kernel family xgemm_1), which its database scripts import:
 *             one file per (OpenCL device, f32 GEMM, shape), tessera's
 *             verified configs in CLBlast's parameter names (docs/interop.md
 *             gives the mapping and which configs it cannot carry).
 */
#ifndef TSR_INTEROP_H
#define TSR_INTEROP_H

#include "core/status.h"
#include "core/store.h"

typedef enum tsr_interop_format { TSR_INTEROP_T4, TSR_INTEROP_CLBLAST } tsr_interop_format;

typedef struct tsr_interop_summary {
    int files;    /* written */
    int results;  /* carried */
    int unmapped; /* verified results CLBlast's parameters cannot express */
} tsr_interop_summary;

/* Writes the files into `dir` (created; files of the same names replaced,
 * each written whole). `device` (may be NULL) keeps one fingerprint. */
tsr_status tsr_interop_export(tsr_store *store, tsr_interop_format format, const char *device,
                              const char *dir, tsr_interop_summary *summary, tsr_error *err);

/* CLBlast's Xgemm parameters for a tessera GEMM config ("BM=64,BN=64,..."),
 * into out as "GEMMK=0 KREG=1 KWG=16 ..." (CLBlast's order); false when
 * no set of them satisfies Xgemm's constraints. Exposed for tests. */
bool tsr_interop_clblast_params(const char *config, char *out, size_t size);

#endif
