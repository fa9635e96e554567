/* The adaptive strategies of the tuner: simulated annealing and a
 * steady-state genetic algorithm over a constrained search space. Each
 * picks the next config from what the earlier ones gave, never one twice;
 * the tuner evaluates (or takes from the store) and reports back. */
#ifndef TSR_SEARCH_H
#define TSR_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/space.h"
#include "core/status.h"

typedef enum tsr_search_kind { TSR_SEARCH_ANNEAL, TSR_SEARCH_GENETIC } tsr_search_kind;

typedef struct tsr_search tsr_search;

/* `first` (n_first indices into the space) are tried before anything else:
 * the warm start. Everything lives in `arena`. */
tsr_status tsr_search_create(tsr_arena *arena, const tsr_search_space *space, tsr_search_kind kind,
                             uint64_t seed, const int *first, int n_first, tsr_search **out,
                             tsr_error *err);

/* The next index to visit, or -1 once every config has been visited. */
int tsr_search_next(tsr_search *search);

/* What visiting `index` gave: its time when it verified (ok), else a
 * failure, which the search treats as worse than anything. */
void tsr_search_report(tsr_search *search, int index, bool ok, double time_ms);

#endif
