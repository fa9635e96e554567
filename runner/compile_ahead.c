#include "runner/compile_ahead.h"

#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/kernel_cache.h"
#include "core/grow.h"

typedef enum entry_state { PENDING, RUNNING, DONE } entry_state;

typedef struct entry {
    char *config;
    entry_state state;
    tsr_compile_ahead_outcome outcome; /* once DONE */
    double seconds;
} entry;

typedef struct helper {
    tsr_worker *worker;
    int entry; /* the config it compiles, -1 when idle */
    double started;
} helper;

struct tsr_compile_ahead {
    helper *helpers;
    int jobs;
    bool quiet;
    bool broken; /* a process could not be set up: compile nothing more */
    double limit_s;
    char cache[4096]; /* the kernel cache made for this pool, "" for none */
    entry *entries;
    int n_entries, cap_entries;
    int first_pending; /* no entry before it is pending */
    tsr_compile_ahead_stats stats;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The kernel cache through which the processes hand CUDA and HIP images to
 * the evaluation worker (backends/kernel_cache.h): a directory of the
 * pool's own, in the environment that every worker started later inherits.
 * Without one (no temporary directory) candidates compile twice. A cache
 * the user named is theirs, used and kept. */
static void make_kernel_cache(char *dir, size_t size)
{
    dir[0] = '\0';
    const char *mine = getenv(TSR_KERNEL_CACHE_ENV), *tmp = getenv("TMPDIR");
    if (mine && mine[0])
        return;
    snprintf(dir, size, "%s/tessera-kernels-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir) || setenv(TSR_KERNEL_CACHE_ENV, dir, 1) != 0)
        dir[0] = '\0';
}

static void remove_kernel_cache(const char *dir)
{
    if (!dir[0])
        return;
    DIR *d = opendir(dir);
    char path[8192];
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' &&
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < sizeof path)
            unlink(path);
    if (d)
        closedir(d);
    rmdir(dir);
    unsetenv(TSR_KERNEL_CACHE_ENV);
}

tsr_status tsr_compile_ahead_create(const tsr_worker_setup *setup, int jobs,
                                    bool quiet_while_timing, tsr_compile_ahead **out,
                                    tsr_error *err)
{
    *out = NULL;
    if (jobs < 1)
        return tsr_fail(err, TSR_ERR_INPUT, "compile-ahead needs at least one process");
    tsr_compile_ahead *a = calloc(1, sizeof *a);
    if (!a || !(a->helpers = calloc((size_t)jobs, sizeof *a->helpers))) {
        free(a);
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    }
    a->jobs = jobs;
    a->quiet = quiet_while_timing;
    a->limit_s = setup->timeout_s;
    make_kernel_cache(a->cache, sizeof a->cache);
    tsr_worker_setup mine = *setup;
    mine.compile_only = true;
    for (int i = 0; i < jobs; i++) {
        a->helpers[i].entry = -1;
        tsr_status st = tsr_worker_create(&mine, &a->helpers[i].worker, err);
        if (st != TSR_OK) {
            tsr_compile_ahead_free(a);
            return st;
        }
    }
    *out = a;
    return TSR_OK;
}

void tsr_compile_ahead_free(tsr_compile_ahead *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->jobs; i++) {
        if (a->helpers[i].entry >= 0) /* do not wait for a compile nobody needs */
            tsr_worker_kill(a->helpers[i].worker);
        tsr_worker_free(a->helpers[i].worker);
    }
    for (int i = 0; i < a->n_entries; i++)
        free(a->entries[i].config);
    free(a->entries);
    free(a->helpers);
    remove_kernel_cache(a->cache);
    free(a);
}

static int find(const tsr_compile_ahead *a, const char *config)
{
    for (int i = a->n_entries - 1; i >= 0; i--)
        if (strcmp(a->entries[i].config, config) == 0)
            return i;
    return -1;
}

static void finish(tsr_compile_ahead *a, helper *h, tsr_compile_ahead_outcome outcome,
                   double build_s)
{
    entry *e = &a->entries[h->entry];
    e->state = DONE;
    e->outcome = outcome;
    e->seconds = build_s;
    h->entry = -1;
    a->stats.compiled += outcome == TSR_AHEAD_COMPILED;
    a->stats.failed += outcome == TSR_AHEAD_FAILED;
    a->stats.killed += outcome == TSR_AHEAD_TIMED_OUT;
    a->stats.busy_s += build_s;
}

/* Gives each idle process the next pending config. */
static void dispatch(tsr_compile_ahead *a)
{
    for (int i = 0; i < a->jobs; i++) {
        helper *h = &a->helpers[i];
        if (h->entry >= 0)
            continue;
        while (a->first_pending < a->n_entries && a->entries[a->first_pending].state != PENDING)
            a->first_pending++;
        if (a->first_pending == a->n_entries)
            return;
        int e = a->first_pending;
        if (a->broken) {
            a->entries[e].state = DONE;
            a->entries[e].outcome = TSR_AHEAD_NOT_COMPILED;
            continue;
        }
        tsr_error err = {{0}};
        h->entry = e;
        a->entries[e].state = RUNNING;
        tsr_status sent = tsr_worker_compile_send(h->worker, a->entries[e].config, &err);
        h->started = now_s();
        if (sent != TSR_OK) {
            finish(a, h, TSR_AHEAD_NOT_COMPILED, 0);
            a->broken = true;
        }
    }
}

static bool any_running(const tsr_compile_ahead *a)
{
    for (int i = 0; i < a->jobs; i++)
        if (a->helpers[i].entry >= 0)
            return true;
    return false;
}

/* Waits up to timeout_ms for answers, and kills a process past the limit. */
static void pump(tsr_compile_ahead *a, int timeout_ms)
{
    struct pollfd fds[64];
    int owner[64], n = 0;
    double now = now_s();
    for (int i = 0; i < a->jobs && n < 64; i++) {
        helper *h = &a->helpers[i];
        if (h->entry < 0)
            continue;
        if (now - h->started > a->limit_s) {
            tsr_worker_kill(h->worker);
            finish(a, h, TSR_AHEAD_TIMED_OUT, now - h->started);
            continue;
        }
        fds[n] = (struct pollfd){.fd = tsr_worker_reply_fd(h->worker), .events = POLLIN};
        owner[n++] = i;
    }
    if (n == 0 || poll(fds, (nfds_t)n, timeout_ms) <= 0)
        return;
    for (int k = 0; k < n; k++) {
        if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        helper *h = &a->helpers[owner[k]];
        double build_s = 0;
        char why[512] = "";
        /* A frame is written whole, so once it starts it arrives at once. */
        int got = tsr_worker_compile_receive(h->worker, 10000, &build_s, why, sizeof why);
        if (got == 2) {
            h->started = now_s(); /* set up: the limit is for compiling */
            continue;
        }
        if (got == -2) {
            /* The process did not come up (the device would not open in a
             * second process, say): evaluation goes on without the pool. */
            finish(a, h, TSR_AHEAD_NOT_COMPILED, 0);
            a->broken = true;
            continue;
        }
        /* An answer that comes after the limit is past it, though the
         * check above, which runs between polls, did not see it in time. */
        bool late = got == 1 && now_s() - h->started > a->limit_s;
        if (got != 0)
            finish(a, h,
                   late                  ? TSR_AHEAD_TIMED_OUT
                   : got == 1 && !why[0] ? TSR_AHEAD_COMPILED
                   : got == 1            ? TSR_AHEAD_FAILED
                                         : TSR_AHEAD_NOT_COMPILED,
                   build_s);
    }
}

tsr_status tsr_compile_ahead_queue(tsr_compile_ahead *a, const char *const *configs, int n,
                                   tsr_error *err)
{
    for (int i = 0; i < n; i++) {
        if (find(a, configs[i]) >= 0)
            continue;
        entry *grown = tsr_grow(a->entries, a->n_entries, &a->cap_entries, sizeof *grown, 64);
        if (!grown)
            return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
        a->entries = grown;
        char *copy = strdup(configs[i]);
        if (!copy)
            return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
        a->entries[a->n_entries++] = (entry){copy, PENDING, TSR_AHEAD_NOT_COMPILED, 0};
        a->stats.queued++;
    }
    if (!a->quiet) {
        pump(a, 0);
        dispatch(a);
    }
    return TSR_OK;
}

tsr_compile_ahead_outcome tsr_compile_ahead_wait(tsr_compile_ahead *a, const char *config,
                                                 double *seconds)
{
    double started = now_s();
    int e = find(a, config);
    for (;;) {
        bool needed = e >= 0 && a->entries[e].state != DONE;
        if (!a->quiet || needed)
            dispatch(a);
        needed = e >= 0 && a->entries[e].state != DONE;
        if (!needed && !(a->quiet && any_running(a)))
            break;
        pump(a, 100);
    }
    a->stats.waited_s += now_s() - started;
    *seconds = e >= 0 ? a->entries[e].seconds : 0;
    return e >= 0 ? a->entries[e].outcome : TSR_AHEAD_NOT_COMPILED;
}

void tsr_compile_ahead_stats_get(const tsr_compile_ahead *a, tsr_compile_ahead_stats *out)
{
    *out = a->stats;
}
