/* Profile inheritance and where profiles are looked for (see
 * profile_base.h). */
#include "core/profile_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/profile_fields.h"
#include "tsr_config.h"

const char *tsr_default_profiles_dir(void)
{
    const char *env = getenv("TESSERA_PROFILES");
    if (env && *env)
        return env;
    struct stat st;
    if (stat("profiles", &st) == 0 && S_ISDIR(st.st_mode))
        return "profiles";
    /* Installed profiles first; a binary run from its build tree falls back
     * to the profiles of the source tree it was built from. */
    if (stat(TSR_PROFILES_DIR, &st) == 0 && S_ISDIR(st.st_mode))
        return TSR_PROFILES_DIR;
    if (stat(TSR_SOURCE_PROFILES_DIR, &st) == 0 && S_ISDIR(st.st_mode))
        return TSR_SOURCE_PROFILES_DIR;
    return TSR_PROFILES_DIR;
}

/* NAME.yaml beside `path`, else in the default folder; false when neither
 * exists (both places are in `looked`). */
static bool find_base(const char *path, const char *name, char *out, size_t size, char *looked,
                      size_t looked_size)
{
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path) : 1;
    const char *dir = slash ? path : ".";
    struct stat st;
    snprintf(out, size, "%.*s/%s.yaml", dir_len, dir, name);
    snprintf(looked, looked_size, "%s", out);
    if (stat(out, &st) == 0)
        return true;
    snprintf(out, size, "%s/%s.yaml", tsr_default_profiles_dir(), name);
    size_t used = strlen(looked);
    snprintf(looked + used, looked_size - used, ", %s", out);
    return stat(out, &st) == 0;
}

static bool copy_text(tsr_arena *arena, const char **dst, const char *src)
{
    if (*dst || !src)
        return true;
    *dst = tsr_arena_strdup(arena, src);
    return *dst != NULL;
}

/* The quantity (all its slots) from base when p lacks it. */
static bool copy_quantity(tsr_arena *arena, tsr_quantity *dst, const tsr_quantity *src,
                          size_t slots)
{
    if (dst[0].present || !src[0].present)
        return true;
    for (size_t i = 0; i < slots; i++) {
        dst[i] = src[i];
        if (src[i].source && !(dst[i].source = tsr_arena_strdup(arena, src[i].source)))
            return false;
    }
    return true;
}

static bool copy_matrix_units(tsr_profile *p, const tsr_profile *base)
{
    p->matrix_units =
        TSR_ARENA_ARRAY(p->arena, tsr_matrix_unit, base->n_matrix_units ? base->n_matrix_units : 1);
    if (!p->matrix_units)
        return false;
    for (size_t i = 0; i < base->n_matrix_units; i++) {
        p->matrix_units[i] = base->matrix_units[i]; /* kind points at a static name */
        tsr_matrix_unit *u = &p->matrix_units[i];
        if (!(u->source = tsr_arena_strdup(p->arena, base->matrix_units[i].source)))
            return false;
        if (u->gflops.present &&
            !(u->gflops.source = tsr_arena_strdup(p->arena, base->matrix_units[i].gflops.source)))
            return false;
    }
    p->n_matrix_units = base->n_matrix_units;
    return true;
}

static bool merge(tsr_profile *p, const tsr_profile *base, const tsr_profile_given *given)
{
    tsr_arena *arena = p->arena;
    bool ok = copy_text(arena, &p->description, base->description) &&
              copy_text(arena, &p->vendor, base->vendor) && copy_text(arena, &p->arch, base->arch);
    for (size_t s = 0; ok && s < 3; s++) {
        const tsr_profile_section *section = &tsr_profile_sections[s];
        for (size_t i = 0; ok && i < section->n_fields; i++) {
            const tsr_profile_field *f = &section->fields[i];
            ok = copy_quantity(arena, tsr_profile_quantity(p, f),
                               tsr_profile_quantity((tsr_profile *)base, f),
                               tsr_quantity_slots(f->kind));
        }
    }
    for (int i = 0; ok && i < TSR_DTYPE_COUNT; i++)
        ok = copy_quantity(arena, &p->peak_gflops[i], &base->peak_gflops[i], 1);
    if (ok && !given->matrix_units)
        ok = copy_matrix_units(p, base);
    if (!given->features)
        p->features = base->features;
    if (!given->backends)
        p->backends = base->backends;
    if (ok && !given->offline && base->offline_compiler) {
        p->offline_compiler = base->offline_compiler; /* a static name */
        ok = copy_text(arena, &p->offline_target, base->offline_target);
    }
    return ok && copy_text(arena, &p->base, base->name);
}

tsr_status tsr_profile_inherit(tsr_yaml_doc *doc, yaml_node_t *node, tsr_profile *p,
                               const tsr_profile_given *given, int depth)
{
    const char *name;
    TSR_TRY(tsr_yaml_ident(doc, node, "base", p->arena, &name));
    if (strcmp(name, p->name) == 0)
        return tsr_yaml_fail(doc, node, "base: profile %s cannot be its own base", name);
    if (depth + 1 >= TSR_PROFILE_MAX_DEPTH)
        return tsr_yaml_fail(doc, node,
                             "base: more than %d profiles in a chain of bases (do they loop?)",
                             TSR_PROFILE_MAX_DEPTH);
    char path[4096], looked[8300];
    if (!find_base(doc->path, name, path, sizeof path, looked, sizeof looked))
        return tsr_yaml_fail(doc, node, "base: no profile '%s' (looked for %s)", name, looked);
    tsr_profile *base = NULL;
    TSR_TRY(tsr_profile_load_at_depth(path, depth + 1, &base, doc->err));
    bool ok = merge(p, base, given);
    tsr_profile_free(base);
    return ok ? TSR_OK : tsr_fail(doc->err, TSR_ERR_NOMEM, "%s: out of memory", doc->path);
}
