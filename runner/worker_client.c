/* tessera's side of the evaluation worker (see worker.h): start it, send
 * it candidates, watch the clock, and turn its death or silence into an
 * outcome. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner/worker.h"
#include "runner/worker_wire.h"

/* Setting up computes the CPU reference, minutes for the largest shapes on
 * a small machine; only a worker stuck for longer than this is given up. */
#define SETUP_LIMIT_S 3600.0
#define RUN_FLOOR_S 2.0
#define RUN_FACTOR 200.0

struct tsr_worker {
    tsr_worker_setup setup; /* strings owned below */
    char *strings[5];
    pid_t pid; /* 0: not running */
    int to_worker, from_worker;
    bool setting_up; /* a compile-ahead process whose READY is still to come */
};

double tsr_worker_run_limit(double best_ms, double cap_s)
{
    if (!(best_ms > 0))
        return cap_s;
    return fmin(cap_s, fmax(RUN_FLOOR_S, RUN_FACTOR * best_ms * 1e-3));
}

tsr_status tsr_worker_create(const tsr_worker_setup *setup, tsr_worker **out, tsr_error *err)
{
    *out = NULL;
    if (!setup->exe || !setup->spec_path || !setup->profile_yaml || !setup->device_id ||
        !setup->shape || !(setup->timeout_s > 0))
        return tsr_fail(err, TSR_ERR_INPUT, "worker: an incomplete setup");
    tsr_worker *w = calloc(1, sizeof *w);
    if (!w)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    w->setup = *setup;
    const char *texts[5] = {setup->exe, setup->spec_path, setup->profile_yaml, setup->device_id,
                            setup->shape};
    for (int i = 0; i < 5; i++)
        if (!(w->strings[i] = strdup(texts[i]))) {
            tsr_worker_free(w);
            return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
        }
    w->setup.exe = w->strings[0];
    w->setup.spec_path = w->strings[1];
    w->setup.profile_yaml = w->strings[2];
    w->setup.device_id = w->strings[3];
    w->setup.shape = w->strings[4];
    w->to_worker = w->from_worker = -1;
    signal(SIGPIPE, SIG_IGN);
    *out = w;
    return TSR_OK;
}

/* "died of SIGSEGV (Segmentation fault)" or "exited with status 3". */
static void describe_end(int status, char *out, size_t size)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *name = sig == SIGSEGV   ? "SIGSEGV"
                           : sig == SIGBUS  ? "SIGBUS"
                           : sig == SIGABRT ? "SIGABRT"
                           : sig == SIGKILL ? "SIGKILL"
                           : sig == SIGFPE  ? "SIGFPE"
                           : sig == SIGILL  ? "SIGILL"
                                            : "a signal";
        snprintf(out, size, "died of %s (%s)", name, strsignal(sig));
    } else if (WIFEXITED(status)) {
        snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
    } else {
        snprintf(out, size, "ended");
    }
}

/* Closes the pipes, kills the worker when asked, and reaps it; `how` (may
 * be NULL) says how it ended. */
static void stop(tsr_worker *w, bool kill_it, char *how, size_t size)
{
    if (w->to_worker >= 0)
        close(w->to_worker);
    if (w->from_worker >= 0)
        close(w->from_worker);
    w->to_worker = w->from_worker = -1;
    w->setting_up = false;
    if (w->pid > 0) {
        if (kill_it)
            kill(w->pid, SIGKILL);
        int status = 0;
        while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (how)
            describe_end(status, how, size);
    }
    w->pid = 0;
}

void tsr_worker_free(tsr_worker *worker)
{
    if (!worker)
        return;
    stop(worker, false, NULL, 0); /* closing its input ends it */
    for (int i = 0; i < 5; i++)
        free(worker->strings[i]);
    free(worker);
}

int tsr_worker_pid(const tsr_worker *worker)
{
    return worker ? (int)worker->pid : 0;
}

/* fork + exec of `EXE __worker` with requests on its fd 3 and replies on
 * its fd 4; its stdout goes to stderr, so that nothing a driver prints can
 * break a frame. */
static tsr_status spawn(tsr_worker *w, tsr_error *err)
{
    int requests[2], replies[2];
    if (pipe(requests) != 0)
        return tsr_fail(err, TSR_ERR_IO, "worker: pipe: %s", strerror(errno));
    if (pipe(replies) != 0) {
        close(requests[0]);
        close(requests[1]);
        return tsr_fail(err, TSR_ERR_IO, "worker: pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (dup2(requests[0], 3) < 0 || dup2(replies[1], 4) < 0 || dup2(2, 1) < 0)
            _exit(127);
        for (int fd = 5; fd < 1024; fd++)
            close(fd);
        execl(w->setup.exe, w->setup.exe, "__worker", (char *)NULL);
        fprintf(stderr, "tessera: cannot start the worker %s: %s\n", w->setup.exe, strerror(errno));
        _exit(127);
    }
    close(requests[0]);
    close(replies[1]);
    if (pid < 0) {
        close(requests[1]);
        close(replies[0]);
        return tsr_fail(err, TSR_ERR_IO, "worker: fork: %s", strerror(errno));
    }
    fcntl(requests[1], F_SETFD, FD_CLOEXEC);
    fcntl(replies[0], F_SETFD, FD_CLOEXEC);
    w->pid = pid;
    w->to_worker = requests[1];
    w->from_worker = replies[0];
    return TSR_OK;
}

/* Starts the process and sends it its setup, without waiting for it. */
static bool send_setup(tsr_worker *w)
{
    tsr_wire_frame f;
    tsr_wire_begin(&f, TSR_WIRE_SETUP);
    tsr_wire_put(&f, w->setup.spec_path);
    tsr_wire_put(&f, w->setup.profile_yaml);
    tsr_wire_put(&f, w->setup.device_id);
    tsr_wire_put(&f, w->setup.shape);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)w->setup.seed);
    tsr_wire_put(&f, seed);
    tsr_wire_put(&f, w->setup.compile_only ? "compile" : "evaluate");
    return tsr_wire_send(w->to_worker, &f);
}

static tsr_status start(tsr_worker *w, tsr_error *err)
{
    TSR_TRY(spawn(w, err));
    tsr_wire_reader r = {0};
    tsr_wire_status ws = send_setup(w)
                             ? tsr_wire_receive(w->from_worker, (int)(SETUP_LIMIT_S * 1e3), &r)
                             : TSR_WIRE_CLOSED;
    const char *message = ws == TSR_WIRE_OK && r.tag == TSR_WIRE_READY ? tsr_wire_next(&r) : NULL;
    tsr_status st = TSR_OK;
    if (!message || message[0]) {
        char how[128] = "did not answer";
        if (message)
            st = tsr_fail(err, TSR_ERR_BACKEND, "the evaluation worker for %s: %s",
                          w->setup.device_id, message);
        stop(w, !message, how, sizeof how);
        if (!message)
            st = tsr_fail(err, TSR_ERR_BACKEND,
                          "the evaluation worker for %s %s while setting up (is %s a tessera "
                          "executable?)",
                          w->setup.device_id, how, w->setup.exe);
    }
    tsr_wire_release(&r);
    return st;
}

static bool send_job(tsr_worker *w, const tsr_worker_job *job)
{
    tsr_wire_frame f;
    if (job->config) {
        tsr_wire_begin(&f, TSR_WIRE_CONFIG);
        tsr_wire_put(&f, job->config);
    } else {
        tsr_wire_begin(&f, TSR_WIRE_SOURCE);
        tsr_wire_put(&f, job->source);
        tsr_wire_put(&f, job->kernel_name);
        tsr_wire_put_number(&f, job->geometry.dims);
        for (int d = 0; d < 3; d++)
            tsr_wire_put_number(&f, (double)job->geometry.groups[d]);
        for (int d = 0; d < 3; d++)
            tsr_wire_put_number(&f, (double)job->geometry.local[d]);
    }
    tsr_wire_put_number(&f, job->best_ms);
    return tsr_wire_send(w->to_worker, &f);
}

static const char *copy(tsr_arena *arena, const char *text)
{
    return text && text[0] ? tsr_arena_strdup(arena, text) : NULL;
}

static tsr_status read_result(tsr_wire_reader *r, tsr_arena *arena, tsr_result *result,
                              tsr_error *err)
{
    int outcome = tsr_outcome_from_name(tsr_wire_next(r));
    if (outcome < 0)
        return tsr_fail(err, TSR_ERR_BACKEND, "the evaluation worker sent an unknown outcome");
    result->outcome = (tsr_outcome)outcome;
    result->reason = copy(arena, tsr_wire_next(r));
    result->time_ms = tsr_wire_next_number(r);
    result->gflops = tsr_wire_next_number(r);
    result->max_error = tsr_wire_next_number(r);
    const char **texts[] = {&result->kernel_name, &result->source, &result->language,
                            &result->geometry, &result->args};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        *texts[i] = copy(arena, tsr_wire_next(r));
    result->build_s = tsr_wire_next_number(r);
    result->check_s = tsr_wire_next_number(r);
    result->timing_s = tsr_wire_next_number(r);
    return TSR_OK;
}

/* A candidate the worker did not finish: the outcome and why. */
static tsr_status lost(tsr_arena *arena, tsr_result *result, tsr_outcome outcome,
                       const char *reason)
{
    result->outcome = outcome;
    result->reason = tsr_arena_strdup(arena, reason);
    return result->reason ? TSR_OK : TSR_ERR_NOMEM;
}

tsr_status tsr_worker_evaluate(tsr_worker *w, const tsr_worker_job *job, tsr_arena *arena,
                               tsr_result *result, tsr_error *err)
{
    memset(result, 0, sizeof *result);
    if (!w->pid)
        TSR_TRY(start(w, err));
    double cap = w->setup.timeout_s;
    double limit = cap;
    const char *phase = "compiling";
    tsr_wire_reader r = {0};
    tsr_wire_status ws = send_job(w, job) ? TSR_WIRE_OK : TSR_WIRE_CLOSED;
    for (;;) {
        if (ws == TSR_WIRE_OK)
            ws = tsr_wire_receive(w->from_worker, (int)ceil(limit * 1e3), &r);
        if (ws != TSR_WIRE_OK || (r.tag != TSR_WIRE_BUILT && r.tag != TSR_WIRE_LAUNCHED))
            break;
        /* A driver that compiles at the first launch (PoCL) keeps the
         * compiling limit until that launch is done: it took 5-12 times as
         * long as the build it had reported (GEMM at 1024^3, a cold kernel
         * cache, 2 cores), too long for the running limit. */
        const char *lazy = r.tag == TSR_WIRE_BUILT ? tsr_wire_next(&r) : NULL;
        phase = "running";
        limit = lazy && strcmp(lazy, "1") == 0 ? cap : tsr_worker_run_limit(job->best_ms, cap);
        tsr_wire_release(&r);
    }
    char how[128] = "", reason[256];
    if (ws == TSR_WIRE_TIMEOUT) {
        stop(w, true, NULL, 0);
        snprintf(reason, sizeof reason,
                 "no answer while %s within %.1f s; the worker was killed and restarts", phase,
                 limit);
        return lost(arena, result, TSR_OUTCOME_TIMEOUT, reason);
    }
    if (ws != TSR_WIRE_OK || r.tag != TSR_WIRE_RESULT) {
        tsr_wire_release(&r);
        stop(w, true, how, sizeof how);
        snprintf(reason, sizeof reason, "the worker %s while %s; it restarts", how, phase);
        return lost(arena, result, TSR_OUTCOME_CRASHED, reason);
    }
    tsr_status st = read_result(&r, arena, result, err);
    tsr_wire_release(&r);
    /* After a launch failure the worker ends itself (see worker_server.c). */
    if (st != TSR_OK || result->outcome == TSR_OUTCOME_LAUNCH_FAILED)
        stop(w, st != TSR_OK, NULL, 0);
    return st;
}

tsr_status tsr_worker_compile_send(tsr_worker *w, const char *config, tsr_error *err)
{
    /* A new process gets its setup and its first config at once: the
     * processes of a pool set up side by side, while tessera goes on. */
    if (!w->pid) {
        TSR_TRY(spawn(w, err));
        w->setting_up = true;
        if (!send_setup(w)) {
            stop(w, true, NULL, 0);
            return tsr_fail(err, TSR_ERR_BACKEND, "a compile-ahead process for %s is gone",
                            w->setup.device_id);
        }
    }
    tsr_wire_frame f;
    tsr_wire_begin(&f, TSR_WIRE_COMPILE);
    tsr_wire_put(&f, config);
    if (tsr_wire_send(w->to_worker, &f))
        return TSR_OK;
    char how[128] = "";
    stop(w, true, how, sizeof how);
    return tsr_fail(err, TSR_ERR_BACKEND, "a compile-ahead process for %s %s", w->setup.device_id,
                    how[0] ? how : "is gone");
}

int tsr_worker_compile_receive(tsr_worker *w, int timeout_ms, double *build_s, char *why,
                               size_t why_size)
{
    if (!w->pid)
        return -1;
    tsr_wire_reader r = {0};
    tsr_wire_status ws = tsr_wire_receive(w->from_worker, timeout_ms, &r);
    if (ws == TSR_WIRE_TIMEOUT)
        return 0;
    if (w->setting_up) {
        /* READY with an empty message: set up, the config is next. */
        const char *ready = ws == TSR_WIRE_OK && r.tag == TSR_WIRE_READY ? tsr_wire_next(&r) : NULL;
        if (ready && ready[0])
            snprintf(why, why_size, "%s", ready);
        bool ok = ready && !ready[0];
        tsr_wire_release(&r);
        w->setting_up = false;
        if (!ok)
            stop(w, true, NULL, 0);
        return ok ? 2 : -2;
    }
    const char *message =
        ws == TSR_WIRE_OK && r.tag == TSR_WIRE_COMPILED ? tsr_wire_next(&r) : NULL;
    if (message) {
        snprintf(why, why_size, "%s", message);
        *build_s = tsr_wire_next_number(&r);
    }
    tsr_wire_release(&r);
    if (!message)
        stop(w, true, NULL, 0);
    return message ? 1 : -1;
}

int tsr_worker_reply_fd(const tsr_worker *w)
{
    return w && w->pid ? w->from_worker : -1;
}

void tsr_worker_kill(tsr_worker *w)
{
    stop(w, true, NULL, 0);
}
