/* The kernel tests' device: OpenCL device 0 (PoCL on the CPU in CI) with
 * the pocl-cpu profile. */
#ifndef TSR_TESTS_CHECK_POCL_H
#define TSR_TESTS_CHECK_POCL_H

#include "backends/backend.h"
#include "core/profile.h"
#include "tests/check.h"

/* Opens both; returns -1 to go on, else the exit status: 77 (skipped) when
 * there is no OpenCL device, 1 when the profile does not load. */
static inline int check_open_pocl(tsr_device **device, tsr_profile **profile)
{
    tsr_error err = {{0}};
    if (tsr_device_open("opencl:0", device, &err) != TSR_OK) {
        printf("skipped: no OpenCL device: %s\n", err.msg);
        return 77;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/profiles/pocl-cpu.yaml", check_source_root());
    if (tsr_profile_load(path, profile, &err) != TSR_OK) {
        fprintf(stderr, "%s\n", err.msg);
        tsr_device_close(*device);
        return 1;
    }
    return -1;
}

#endif
