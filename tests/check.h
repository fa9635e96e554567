/* A minimal test harness: each test is a function named after the behaviour
 * it pins; CHECK records a failure with its place and goes on, so that one
 * run reports every broken behaviour. */
#ifndef TSR_TESTS_CHECK_H
#define TSR_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int check_failures;
static int check_tests_failed, check_tests_passed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

static inline int check_contains(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle) != NULL;
}

/* How many times `needle` occurs in `text`, one after another (NULL: 0). */
static inline int check_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *at = text; at && (at = strstr(at, needle)); at += strlen(needle))
        n++;
    return n;
}

static inline const char *check_text(const char *text)
{
    return text ? text : "(null)";
}

#define CHECK_STR_CONTAINS(haystack, needle)                                                       \
    CHECK_MSG(check_contains((haystack), (needle)), "\"%s\" does not contain \"%s\"",              \
              check_text(haystack), (needle))

/* Seconds on the monotonic clock, so that each test's line shows what it
 * costs: CI runs on two cores and its budget is spent test by test. */
static inline double check_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#define RUN_TEST(fn)                                                                               \
    do {                                                                                           \
        int before_ = check_failures;                                                              \
        double start_ = check_now();                                                               \
        fn();                                                                                      \
        double took_ = check_now() - start_;                                                       \
        if (check_failures == before_) {                                                           \
            check_tests_passed++;                                                                  \
            printf("ok   %s (%.1f s)\n", #fn, took_);                                              \
        } else {                                                                                   \
            check_tests_failed++;                                                                  \
            printf("FAIL %s (%.1f s)\n", #fn, took_);                                              \
        }                                                                                          \
        fflush(stdout);                                                                            \
    } while (0)

/* Prints the closing line and gives main's exit status. */
static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_tests_passed, check_tests_failed);
    return check_tests_failed ? 1 : 0;
}

/* The source tree, for fixtures shipped in it (profiles/, ops/). */
static inline const char *check_source_root(void)
{
    const char *root = getenv("TSR_SOURCE_ROOT");
    return root ? root : ".";
}

/* The device the worker tests run on: $TSR_TEST_DEVICE, else opencl:0. */
static inline const char *check_device_id(void)
{
    const char *id = getenv("TSR_TEST_DEVICE");
    return id && *id ? id : "opencl:0";
}

#endif
