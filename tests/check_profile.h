/* Device profiles in a test: the repository's profiles/NAME.yaml, or the
 * tests' tests/data/NAME.yaml, under the source root (check_source_root),
 * loaded or a failed check. */
#ifndef TSR_CHECK_PROFILE_H
#define TSR_CHECK_PROFILE_H

#include <stdio.h>

#include "core/profile.h"
#include "tests/check.h"

/* SOURCE_ROOT/DIR/NAME.yaml, which the caller frees; NULL, and a failed
 * check, when it does not load. */
static inline tsr_profile *check_profile_in(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s.yaml", check_source_root(), dir, name);
    tsr_profile *profile = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_profile_load(path, &profile, &err) == TSR_OK, "%s", err.msg);
    return profile;
}

/* A profile of the repository's profiles/. */
static inline tsr_profile *check_repo_profile(const char *name)
{
    return check_profile_in("profiles", name);
}

/* A profile the tests keep in tests/data/ (PoCL standing in for devices
 * with matrix units, say). */
static inline tsr_profile *check_test_profile(const char *name)
{
    return check_profile_in("tests/data", name);
}

#endif
