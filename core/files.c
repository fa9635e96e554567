/* Writing files whole (see files.h). */
#include "core/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { PATH_MAX_LEN = 4096 };

static tsr_status make_dir(const char *path, tsr_error *err)
{
    struct stat st;
    if (mkdir(path, 0777) == 0 || (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return TSR_OK;
    return tsr_fail(err, TSR_ERR_IO, "%s: cannot create directory: %s", path,
                    errno == EEXIST ? "a file is in the way" : strerror(errno));
}

tsr_status tsr_make_dirs(const char *dir, tsr_error *err)
{
    char path[PATH_MAX_LEN];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path || !*path)
        return tsr_fail(err, TSR_ERR_INPUT, "%.64s...: directory name too long or empty", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        tsr_status status = make_dir(path, err);
        *p = '/';
        TSR_TRY(status);
    }
    return make_dir(path, err);
}

static tsr_status sync_dir(const char *dir, tsr_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    bool ok = fd >= 0 && fsync(fd) == 0;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    return ok ? TSR_OK
              : tsr_fail(err, TSR_ERR_IO, "%s: cannot sync directory: %s", dir, strerror(saved));
}

bool tsr_read_all(int fd, char *out, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, out, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        out += n;
        len -= (size_t)n;
    }
    return true;
}

bool tsr_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

tsr_status tsr_write_file_atomic(const char *dir, const char *name, const char *data, size_t len,
                                 tsr_error *err)
{
    char path[PATH_MAX_LEN], temp[PATH_MAX_LEN + 16];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return tsr_fail(err, TSR_ERR_INPUT, "%s: path too long", dir);
    snprintf(temp, sizeof temp, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(temp);
    if (fd < 0)
        return tsr_fail(err, TSR_ERR_IO, "%s: cannot create: %s", temp, strerror(errno));
    bool ok = fchmod(fd, 0644) == 0 && tsr_write_all(fd, data, len) && fsync(fd) == 0;
    int saved = errno;
    ok = close(fd) == 0 && ok;
    if (ok && rename(temp, path) != 0) {
        saved = errno;
        ok = false;
    }
    if (!ok) {
        unlink(temp);
        return tsr_fail(err, TSR_ERR_IO, "%s: cannot write: %s", path, strerror(saved));
    }
    char parent[PATH_MAX_LEN];
    snprintf(parent, sizeof parent, "%s", path);
    *strrchr(parent, '/') = '\0';
    return sync_dir(parent, err);
}
