/* Opening a vendor library at run time: the helpers the backends that
 * dlopen their runtime (CUDA, HIP, cuBLAS) share. Private to backends/. */
#ifndef TSR_DL_UTIL_H
#define TSR_DL_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* The first of `names` that dlopen loads, tried in each of `folders` in
 * turn; a NULL folder means the loader's own search (LD_LIBRARY_PATH,
 * ld.so.cache), an empty one is skipped (an unset environment variable).
 * NULL when none loads. */
void *tsr_dl_open_first(const char *const *names, size_t n_names, const char *const *folders,
                        size_t n_folders);

/* dlsym into a function pointer slot: C11 has no cast between object and
 * function pointers, POSIX guarantees that this copy works. False (and a
 * NULL slot) when the library lacks `symbol`. */
bool tsr_dl_bind(void *handle, const char *symbol, void *slot);

/* "$VAR/suffix" into `out`, or "" when VAR is unset or empty. */
void tsr_dl_env_folder(const char *var, const char *suffix, char *out, size_t size);

#endif
