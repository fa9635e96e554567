/* Private to backends/: what the OpenCL backend's handles hold, so that the
 * CLBlast reference can run on the same context, queue and buffers as the
 * kernels it is compared with. */
#ifndef TSR_OPENCL_IMPL_H
#define TSR_OPENCL_IMPL_H

#include <CL/cl.h>

#include "backends/backend.h"

/* Valid only for devices opened by the OpenCL backend. */
cl_context tsr_opencl_context(const tsr_device *device);
cl_command_queue tsr_opencl_queue(const tsr_device *device);
cl_device_id tsr_opencl_device_id(const tsr_device *device);
/* Valid only for buffers allocated on an OpenCL device. */
cl_mem tsr_opencl_mem(const tsr_buffer *buffer);

/* "CL_INVALID_WORK_GROUP_SIZE" for -54; "unknown OpenCL error" for a code
 * that OpenCL 1.2 does not name (messages print the number beside it). */
const char *tsr_opencl_error_name(cl_int code);

/* "CALL: CL_NAME (code) on WHERE" as a TSR_ERR_BACKEND. */
tsr_status tsr_opencl_fail(tsr_error *err, const char *call, cl_int code, const char *where);

/* A device as enumeration finds it, before anything is opened. */
typedef struct ocl_entry {
    cl_platform_id platform;
    cl_device_id device;
} ocl_entry;

/* Every device of every platform, platforms in the loader's order: the
 * position in this list is the device's index ("opencl:N"). No platform at
 * all is zero devices, not an error. */
tsr_status tsr_opencl_enumerate(ocl_entry *out, int max, int *count, tsr_error *err);
/* Fills `info` for the device at `index` of the enumeration. */
tsr_status tsr_opencl_describe(int index, const ocl_entry *entry, tsr_device_info *info,
                               tsr_error *err);
/* The backend's `list`. */
tsr_status tsr_opencl_list(tsr_device_info *out, int max, int *count, tsr_error *err);

#endif
