/* What the ops' CPU references share: the activations in double precision
 * with the steepest slope of each (for error scales), and a loop over
 * independent parts of a reference spread over the machine's cores. */
#ifndef TSR_HOST_REFERENCE_H
#define TSR_HOST_REFERENCE_H

#include "core/opspec.h"

/* act(x), as the kernels' epilogues define it (GELU in its tanh form). */
double tsr_activate(tsr_activation act, double x);

/* The steepest slope of act: an input error of e moves the output by at
 * most that much times e. */
double tsr_activation_slope(tsr_activation act);

/* run(ctx, begin, end) over [0, count) in contiguous parts: one, on the
 * calling thread, unless `work` (multiply-adds, say) is large enough to pay
 * for threads; then as many as the machine's cores (at most 64), the first
 * on the calling thread. A thread that cannot be started leaves its part
 * to the caller. The parts must be independent, so that the result does
 * not depend on the split. */
void tsr_reference_split(long count, double work, void (*run)(void *ctx, long begin, long end),
                         void *ctx);

#endif
