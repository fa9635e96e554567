/* The learned cost model of the model-guided search: gradient-boosted trees
 * (XGBoost) that predict log2 GFLOP/s of a candidate from its features:
 * the config's parameters, the shape, what the op says of the lowered
 * kernel (tsr_op_def.features: threads, shared memory, registers, traffic,
 * occupancy, waves, an analytic time estimate) and the profile's rates, so
 * that measurements of one device and shape inform the next. */
#ifndef TSR_COST_MODEL_H
#define TSR_COST_MODEL_H

#include <stdint.h>

#include "core/op.h"
#include "core/resources.h"
#include "core/status.h"

#define TSR_PROFILE_FEATURES 6
#define TSR_MAX_MODEL_FEATURES                                                                     \
    (TSR_MAX_PARAMS + TSR_MAX_DIMS + TSR_MAX_OP_FEATURES + TSR_PROFILE_FEATURES)

/* The number of features of the op's configs (the same for all of them). */
int tsr_model_feature_count(const tsr_op_def *op);

/* Fills out[tsr_model_feature_count(op)]. `resources` may be NULL. */
void tsr_model_features(const tsr_opspec *spec, const tsr_profile *profile, const tsr_shape *shape,
                        const tsr_config *config, const tsr_resource_report *resources, float *out);

/* The label the op's analytic estimate predicts for a row of features
 * (log2 GFLOP/s), or 0 for an op without one. The learned model learns its
 * correction rather than the label itself: with few measurements the
 * correction is nearly constant and the search follows the estimate,
 * which ranks far better than trees fitted to a handful of rows; with
 * many, the trees correct what the estimate gets wrong. */
float tsr_model_base(const tsr_opspec *spec, const tsr_shape *shape, const float *features);

typedef struct tsr_cost_model tsr_cost_model;

/* Trains on `rows` rows of `cols` features (row-major) with their labels;
 * `base` (NULL: none) holds each row's tsr_model_base(), which the trees
 * then correct. */
tsr_status tsr_cost_model_train(const float *x, const float *y, const float *base, int rows,
                                int cols, uint64_t seed, tsr_cost_model **out, tsr_error *err);

/* Predicts a label for each of `rows` rows, adding `base` (NULL: none, as
 * in training). */
tsr_status tsr_cost_model_predict(const tsr_cost_model *model, const float *x, const float *base,
                                  int rows, float *out, tsr_error *err);

void tsr_cost_model_free(tsr_cost_model *model);

#endif
