/* The search space of an op for a spec on a profile: every combination of
 * the op's parameter values that its constraints accept. */
#ifndef TSR_SPACE_H
#define TSR_SPACE_H

#include "core/op.h"

typedef struct tsr_search_space {
    const tsr_op_def *op;
    int count;           /* valid configs */
    int rejected;        /* combinations the constraints refused */
    tsr_config *configs; /* in enumeration order (first param slowest) */
} tsr_search_space;

/* Enumerates into `arena`. Fails with TSR_ERR_UNSUPPORTED when nothing is
 * valid, naming the reason the default config was refused. */
tsr_status tsr_space_build(tsr_arena *arena, const tsr_opspec *spec, const tsr_profile *profile,
                           tsr_search_space *out, tsr_error *err);

#endif
