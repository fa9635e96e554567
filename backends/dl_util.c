/* Opening a vendor library at run time (see dl_util.h). */
#include "backends/dl_util.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

void *tsr_dl_open_first(const char *const *names, size_t n_names, const char *const *folders,
                        size_t n_folders)
{
    for (size_t f = 0; f < n_folders; f++) {
        if (folders[f] && !folders[f][0])
            continue;
        for (size_t n = 0; n < n_names; n++) {
            char path[640];
            if (folders[f])
                snprintf(path, sizeof path, "%s/%s", folders[f], names[n]);
            else
                snprintf(path, sizeof path, "%s", names[n]);
            void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (handle)
                return handle;
        }
    }
    return NULL;
}

bool tsr_dl_bind(void *handle, const char *symbol, void *slot)
{
    void *address = dlsym(handle, symbol);
    *(void **)slot = address;
    return address != NULL;
}

void tsr_dl_env_folder(const char *var, const char *suffix, char *out, size_t size)
{
    const char *home = getenv(var);
    if (home && home[0])
        snprintf(out, size, "%s/%s", home, suffix);
    else if (size)
        out[0] = '\0';
}
