/* What the store already knows, as training rows for the cost model: every
 * verified result of an op, whatever its device or shape, described by the
 * features of its config on its own profile. */
#ifndef TSR_MODEL_PRIOR_H
#define TSR_MODEL_PRIOR_H

#include <stdbool.h>

#include "core/opspec.h"
#include "core/profile.h"
#include "core/store.h"

typedef struct tsr_model_rows {
    float *x, *y; /* rows x tsr_model_feature_count() features; log2 GFLOP/s */
    float *base;  /* each row's tsr_model_base(): the analytic estimate's label */
    int rows, cap, cols;
} tsr_model_rows;

/* Fills `out` (free with tsr_model_rows_free). A result's profile is
 * `profile` when the names agree, else the one of that name in the
 * profiles folder; results whose profile or config cannot be read (another
 * version's space, a profile since removed) are left out. */
tsr_status tsr_model_rows_from_store(tsr_store *store, const tsr_opspec *spec,
                                     const tsr_profile *profile, tsr_model_rows *out,
                                     tsr_error *err);
void tsr_model_rows_free(tsr_model_rows *rows);

/* Room for `need` rows of rows->cols features; false when out of memory. */
bool tsr_model_rows_reserve(tsr_model_rows *rows, int need);

#endif
