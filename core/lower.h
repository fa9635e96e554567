/* Lowering: from a tile program to the thread program of one thread.
 *
 * Decides which thread loads which vector of a cooperative tile load,
 * unrolls register micro-tiles into scalars, turns MMA into fma chains,
 * guards ragged edges with bounds checks, and turns row reductions into
 * per-thread partials combined through shared memory. Shared by every
 * generator, so a fix lands once. */
#ifndef TSR_LOWER_H
#define TSR_LOWER_H

#include "core/ir.h"
#include "core/status.h"
#include "core/tprog.h"

tsr_status tsr_lower(const tsr_tile_program *program, tsr_arena *arena, tp_kernel **out,
                     tsr_error *err);

#endif
