/* The repository's device profiles in a test: profiles/NAME.yaml under the
 * source root (check_source_root), loaded or a failed check. */
#ifndef TSR_CHECK_PROFILE_H
#define TSR_CHECK_PROFILE_H

#include <stdio.h>

#include "core/profile.h"
#include "tests/check.h"

/* The profile, which the caller frees; NULL, and a failed check, when it
 * does not load. */
static inline tsr_profile *check_repo_profile(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/profiles/%s.yaml", check_source_root(), name);
    tsr_profile *profile = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_profile_load(path, &profile, &err) == TSR_OK, "%s", err.msg);
    return profile;
}

#endif
