/* Every backend compiled into this build; the registry holds one row each. */
#ifndef TSR_BACKENDS_LIST_H
#define TSR_BACKENDS_LIST_H

#include "backends/backend.h"

extern const tsr_backend tsr_backend_opencl;
extern const tsr_backend tsr_backend_cuda;
extern const tsr_backend tsr_backend_hip;

#endif
