/* The on-disk kernel image cache (backends/kernel_cache.h): off without
 * its environment variable; an image comes back byte for byte under the
 * same parts and never under others; a torn, altered or foreign file is a
 * miss, not an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/kernel_cache.h"
#include "tests/check.h"

static char dir[256];

/* The one file in the cache directory, for the tests that spoil it. */
static bool only_file(char *path, size_t size)
{
    char command[512];
    snprintf(command, sizeof command, "ls %s", dir);
    FILE *ls = popen(command, "r");
    char name[128] = "";
    bool ok = ls && fgets(name, sizeof name, ls) != NULL;
    if (ls)
        pclose(ls);
    name[strcspn(name, "\n")] = '\0';
    snprintf(path, size, "%s/%s", dir, name);
    return ok && name[0];
}

static void clear(void)
{
    char command[512];
    snprintf(command, sizeof command, "rm -f %s/*", dir);
    CHECK(system(command) == 0);
}

static void off_without_the_variable(void)
{
    unsetenv(TSR_KERNEL_CACHE_ENV);
    const char *key[] = {"cuda nvrtc", "sm_90", "", "", "source"};
    tsr_kernel_cache_put(key, 5, "image", 5);
    char *image = NULL;
    size_t size = 0;
    CHECK(!tsr_kernel_cache_get(key, 5, &image, &size));
    setenv(TSR_KERNEL_CACHE_ENV, dir, 1);
    CHECK(!tsr_kernel_cache_get(key, 5, &image, &size)); /* nothing was written */
}

static void an_image_comes_back_whole_under_its_own_parts_only(void)
{
    clear();
    char binary[300];
    for (size_t i = 0; i < sizeof binary; i++)
        binary[i] = (char)(i * 7); /* NULs included: images are binary */
    const char *key[] = {"hip hiprtc", "gfx90a", "-O3", "source text"};
    tsr_kernel_cache_put(key, 4, binary, sizeof binary);
    char *image = NULL;
    size_t size = 0;
    CHECK(tsr_kernel_cache_get(key, 4, &image, &size));
    CHECK(size == sizeof binary && image && memcmp(image, binary, size) == 0);
    free(image);
    const char *other_target[] = {"hip hiprtc", "gfx908", "-O3", "source text"};
    const char *shifted[] = {"hip hiprtc", "gfx90a-O3", "", "source text"};
    const char *fewer[] = {"hip hiprtc", "gfx90a", "-O3"};
    CHECK(!tsr_kernel_cache_get(other_target, 4, &image, &size));
    CHECK(!tsr_kernel_cache_get(shifted, 4, &image, &size));
    CHECK(!tsr_kernel_cache_get(fewer, 3, &image, &size));
    /* An empty image is an image. */
    const char *empty_key[] = {"empty"};
    tsr_kernel_cache_put(empty_key, 1, "", 0);
    CHECK(tsr_kernel_cache_get(empty_key, 1, &image, &size) && size == 0);
    free(image);
}

static void a_spoiled_file_is_a_miss(void)
{
    const char *key[] = {"cuda nvrtc", "sm_80", "", "", "kernel"};
    const char payload[] = "a cubin, say";
    char path[512], *image = NULL;
    size_t size = 0;
    struct {
        const char *what;
        long offset; /* where to change a byte; -1: cut the file short */
    } spoils[] = {{"a changed image byte", 50},
                  {"a changed length", 9},
                  {"a changed magic", 0},
                  {"a cut file", -1}};
    for (size_t s = 0; s < sizeof spoils / sizeof spoils[0]; s++) {
        clear();
        tsr_kernel_cache_put(key, 5, payload, sizeof payload);
        CHECK(only_file(path, sizeof path));
        if (spoils[s].offset < 0) {
            CHECK(truncate(path, 30) == 0);
        } else {
            FILE *f = fopen(path, "r+b");
            CHECK(f && fseek(f, spoils[s].offset, SEEK_SET) == 0);
            int c = f ? fgetc(f) : 0;
            if (f) {
                fseek(f, spoils[s].offset, SEEK_SET);
                fputc(c ^ 0x20, f);
                fclose(f);
            }
        }
        CHECK_MSG(!tsr_kernel_cache_get(key, 5, &image, &size), "%s was taken", spoils[s].what);
    }
    /* A foreign file under the right name: also a miss. */
    FILE *f = fopen(path, "wb");
    CHECK(f && fputs("not an image file at all, but long enough to have a header", f) >= 0);
    if (f)
        fclose(f);
    CHECK(!tsr_kernel_cache_get(key, 5, &image, &size));
    /* Writing again replaces it. */
    tsr_kernel_cache_put(key, 5, payload, sizeof payload);
    CHECK(tsr_kernel_cache_get(key, 5, &image, &size) && size == sizeof payload);
    free(image);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/tsr-kcache-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    RUN_TEST(off_without_the_variable);
    RUN_TEST(an_image_comes_back_whole_under_its_own_parts_only);
    RUN_TEST(a_spoiled_file_is_a_miss);
    clear();
    rmdir(dir);
    return check_summary();
}
