/* What every backend's buffers allow alike, through its own calls: a
 * buffer of zeros, as the launch workspace must be handed to a kernel
 * (core/launch.h). */
#include <stdlib.h>

#include "backends/backend.h"

tsr_status tsr_buffer_write_zeros(tsr_device *device, tsr_buffer *buffer, size_t bytes,
                                  tsr_error *err)
{
    void *zeros = calloc(1, bytes ? bytes : 1);
    if (!zeros)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory for %zu bytes of zeros", bytes);
    tsr_status st = device->backend->write(buffer, zeros, bytes, err);
    free(zeros);
    return st;
}

tsr_status tsr_buffer_alloc_zeroed(tsr_device *device, size_t bytes, tsr_buffer **out,
                                   tsr_error *err)
{
    *out = NULL;
    tsr_buffer *buffer = NULL;
    TSR_TRY(device->backend->alloc(device, bytes, &buffer, err));
    tsr_status st = tsr_buffer_write_zeros(device, buffer, bytes, err);
    if (st != TSR_OK) {
        device->backend->free(buffer);
        return st;
    }
    *out = buffer;
    return TSR_OK;
}
