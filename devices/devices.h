/* Live devices across every backend: listing, fingerprints (the key under
 * which results are stored) and matching a device to its profile. */
#ifndef TSR_DEVICES_H
#define TSR_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/backend.h"
#include "core/profile.h"
#include "core/status.h"

/* Every device of every backend in the registry's order, up to `max`. A
 * backend whose runtime is absent contributes no devices. */
tsr_status tsr_devices_list(tsr_device_info *out, int max, int *count, tsr_error *err);

/* "opencl|VENDOR|NAME|DRIVER" into buf (truncated to size); returns buf. */
const char *tsr_device_fingerprint(const tsr_device_info *info, char *buf, size_t size);

/* True when one of the profile's match rules fits the device: the rule's
 * backend equals the device's, and each of its non-NULL vendor and name is
 * a case-insensitive substring of the device's. A NULL backend fits any. */
bool tsr_profile_matches(const tsr_profile *profile, const tsr_device_info *info);

/* Loads each *.yaml of `profiles_dir` in file-name order and hands back the
 * first that matches (free it with tsr_profile_free). TSR_ERR_NOT_FOUND
 * when none does; a profile that fails to load is reported as it fails. */
tsr_status tsr_profile_find_for_device(const char *profiles_dir, const tsr_device_info *info,
                                       tsr_profile **out, tsr_error *err);

/* Refuses (TSR_ERR_INPUT) a profile that promises the live device more than
 * it reports: shared memory per block, threads per block. Kernels tuned to
 * such a profile would fail to build or launch on it. The message names
 * the profile, the device and both values. */
tsr_status tsr_profile_check_device(const tsr_profile *profile, const tsr_device_info *info,
                                    tsr_error *err);

/* Narrows a profile to what the API the device is reached through can
 * give: OpenCL has no way to opt in to more local memory than
 * CL_DEVICE_LOCAL_MEM_SIZE, so on an OpenCL device the profile's
 * shared_per_block_optin (CUDA's opt-in) is dropped and configs are
 * held to shared_per_block. */
void tsr_profile_fit_device(tsr_profile *profile, const tsr_device_info *info);

#endif
