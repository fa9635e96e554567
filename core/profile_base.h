/* Profile inheritance: a profile that says `base: NAME` takes every value
 * it leaves out from profile NAME, so that a variant (a clock-limited
 * part, a cloud SKU) is a few lines. Private to core/profile*.c. */
#ifndef TSR_PROFILE_BASE_H
#define TSR_PROFILE_BASE_H

#include <stdbool.h>

#include "core/profile.h"
#include "core/yaml_doc.h"

/* The deepest chain of bases followed; a longer one is taken for a loop. */
#define TSR_PROFILE_MAX_DEPTH 8

/* Which of the list-valued keys the derived file gave itself: a list it
 * gives replaces the base's whole. */
typedef struct tsr_profile_given {
    bool matrix_units, features, backends, offline;
} tsr_profile_given;

/* Loads the base named by `node` (NAME.yaml beside doc->path, else in
 * tsr_default_profiles_dir()) and fills in what `p` left out: every
 * quantity with its source, description, vendor, arch, peak rates, and the
 * lists of `given` that are false. `match` is never inherited: a variant
 * names its own devices, or none and is chosen with --profile. Errors name
 * the `base:` line of the file, or the base file's own line. */
tsr_status tsr_profile_inherit(tsr_yaml_doc *doc, yaml_node_t *node, tsr_profile *p,
                               const tsr_profile_given *given, int depth);

/* tsr_profile_parse/tsr_profile_load for a file `depth` bases down. */
tsr_status tsr_profile_parse_at_depth(const char *path, const char *text, size_t len, int depth,
                                      tsr_profile **out, tsr_error *err);
tsr_status tsr_profile_load_at_depth(const char *path, int depth, tsr_profile **out,
                                     tsr_error *err);

#endif
