/* OpenCL device 0's context and queue, for the programs that test
 * libtessera-rt as a user's program would use it (straight through the
 * OpenCL API, not tessera's backends). */
#ifndef TSR_TESTS_CHECK_CL_QUEUE_H
#define TSR_TESTS_CHECK_CL_QUEUE_H

#include <stdbool.h>
#include <stdio.h>

#include <CL/cl.h>

/* Opens both; false, with a line on stderr, when there is no device. */
static inline bool check_cl_queue(cl_context *context, cl_command_queue *queue)
{
    cl_platform_id platform;
    cl_device_id device;
    cl_int status = clGetPlatformIDs(1, &platform, NULL);
    if (status == CL_SUCCESS)
        status = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL);
    *context = status == CL_SUCCESS ? clCreateContext(NULL, 1, &device, NULL, NULL, &status) : NULL;
    *queue = *context ? clCreateCommandQueue(*context, device, 0, &status) : NULL;
    if (!*queue)
        fprintf(stderr, "no OpenCL device\n");
    return *queue != NULL;
}

#endif
