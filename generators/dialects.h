/* The dialect tables compiled into tessera (private to generators/). */
#ifndef TSR_DIALECTS_H
#define TSR_DIALECTS_H

#include "generators/generator.h"

extern const tsr_dialect tsr_dialect_opencl;

#endif
