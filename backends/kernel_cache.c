#include "backends/kernel_cache.h"

#include <fcntl.h>
#include <sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.h"

/* A file is MAGIC, the image's length (8 bytes, little-endian), the
 * image's SHA-256 (32 bytes), then the image. */
static const char MAGIC[8] = {'T', 'S', 'R', 'I', 'M', 'G', '1', '\n'};
enum { HEADER = 8 + 8 + SHA256_DIGEST_LENGTH, MAX_IMAGE = 256 << 20 };

static const char *cache_dir(void)
{
    const char *dir = getenv(TSR_KERNEL_CACHE_ENV);
    return dir && dir[0] ? dir : NULL;
}

/* The file name: the hex SHA-256 of the parts, each preceded by its
 * length so that no two lists of parts run together the same way. */
static void key_name(const char *const *parts, int n_parts, char name[SHA256_DIGEST_STRING_LENGTH])
{
    SHA2_CTX ctx;
    SHA256Init(&ctx);
    for (int i = 0; i < n_parts; i++) {
        const char *part = parts[i] ? parts[i] : "";
        uint64_t len = strlen(part);
        SHA256Update(&ctx, (const uint8_t *)&len, sizeof len);
        SHA256Update(&ctx, (const uint8_t *)part, (size_t)len);
    }
    SHA256End(&ctx, name);
}

/* The SHA-256 a file keeps of its image, in binary. */
static void image_digest(const char *image, size_t size, uint8_t digest[SHA256_DIGEST_LENGTH])
{
    SHA2_CTX ctx;
    SHA256Init(&ctx);
    SHA256Update(&ctx, (const uint8_t *)image, size);
    SHA256Final(digest, &ctx);
}

bool tsr_kernel_cache_get(const char *const *parts, int n_parts, char **image, size_t *size)
{
    const char *dir = cache_dir();
    if (!dir)
        return false;
    char name[SHA256_DIGEST_STRING_LENGTH], path[4096];
    key_name(parts, n_parts, name);
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    unsigned char header[HEADER];
    char *data = NULL;
    uint64_t len = 0;
    bool ok = tsr_read_all(fd, (char *)header, sizeof header) && memcmp(header, MAGIC, 8) == 0;
    for (int i = 0; ok && i < 8; i++)
        len |= (uint64_t)header[8 + i] << (8 * i);
    ok = ok && len <= MAX_IMAGE && (data = malloc(len ? (size_t)len : 1)) != NULL &&
         tsr_read_all(fd, data, (size_t)len);
    char extra;
    ok = ok && read(fd, &extra, 1) == 0; /* nothing after the image */
    close(fd);
    if (ok) {
        uint8_t digest[SHA256_DIGEST_LENGTH];
        image_digest(data, (size_t)len, digest);
        ok = memcmp(digest, header + 16, sizeof digest) == 0;
    }
    if (!ok) {
        free(data);
        return false;
    }
    *image = data;
    *size = (size_t)len;
    return true;
}

void tsr_kernel_cache_put(const char *const *parts, int n_parts, const char *image, size_t size)
{
    const char *dir = cache_dir();
    if (!dir || size > MAX_IMAGE)
        return;
    char name[SHA256_DIGEST_STRING_LENGTH];
    key_name(parts, n_parts, name);
    char *file = malloc(HEADER + size);
    if (!file)
        return;
    memcpy(file, MAGIC, 8);
    for (int i = 0; i < 8; i++)
        file[8 + i] = (char)(((uint64_t)size >> (8 * i)) & 0xff);
    image_digest(image, size, (uint8_t *)file + 16);
    memcpy(file + HEADER, image, size);
    tsr_error err = {{0}};
    /* Two processes that built the same image write the same bytes; the
     * rename makes whichever lands last the whole file. */
    (void)tsr_write_file_atomic(dir, name, file, HEADER + size, &err);
    free(file);
}
