/* Writing the files tessera exports (bundles, interchange files) so that
 * an interrupted write leaves each file old or new, never cut short. */
#ifndef TSR_FILES_H
#define TSR_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* write(2) until all `len` bytes are out, through interruptions; false on
 * an error or a closed pipe (errno says which). */
bool tsr_write_all(int fd, const char *data, size_t len);
/* read(2) until all `len` bytes are in, through interruptions; false on an
 * error or an end of file first. */
bool tsr_read_all(int fd, char *out, size_t len);

/* mkdir -p: the directory and each missing ancestor. */
tsr_status tsr_make_dirs(const char *dir, tsr_error *err);

/* Writes DIR/NAME through a temporary file in the same directory, synced
 * before the rename (and the directory after it). */
tsr_status tsr_write_file_atomic(const char *dir, const char *name, const char *data, size_t len,
                                 tsr_error *err);

#endif
