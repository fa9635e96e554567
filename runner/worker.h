/* Candidates evaluated in a worker process, so that a kernel that faults,
 * hangs or takes its process down costs one candidate, never the tuning
 * run. The worker is `tessera __worker`, started with exec (a process
 * forked from one that has initialised a GPU driver may not use it), set up
 * once (device, problem, CPU reference) and restarted after it dies, hangs
 * or reports a launch failure (after which a GPU context may be unusable).
 * A watchdog gives each candidate a time limit: the hard cap while it
 * compiles; while it runs, a limit derived from the best time so far. */
#ifndef TSR_WORKER_H
#define TSR_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "runner/runner.h"

typedef struct tsr_worker tsr_worker;

typedef struct tsr_worker_setup {
    const char *exe;          /* the tessera executable the worker runs as */
    const char *spec_path;    /* the op spec file */
    const char *profile_yaml; /* the profile as text (tsr_profile_format) */
    const char *device_id;    /* "opencl:0", "cuda:0" */
    const char *shape;        /* as tsr_shape_format writes it */
    uint64_t seed;            /* of the test data */
    double timeout_s;         /* the hard cap per candidate, > 0 */
    bool compile_only;        /* a compile-ahead process: no reference, no evaluation */
} tsr_worker_setup;

/* Copies the setup; the process starts with the first evaluation. Ignores
 * SIGPIPE for the whole process: a write to a worker that has just died
 * must be an error to handle, not the end of tessera. */
tsr_status tsr_worker_create(const tsr_worker_setup *setup, tsr_worker **out, tsr_error *err);
/* Ends the worker (closing its pipes; it exits) and frees everything. */
void tsr_worker_free(tsr_worker *worker);

/* One candidate: a config, or a kernel source of one's own (a planted
 * fault in a test, a hand-written kernel). */
typedef struct tsr_worker_job {
    const char *config; /* tsr_config_format text; NULL for a source */
    const char *source, *kernel_name;
    tsr_geometry geometry;
    double best_ms; /* the best time so far, 0 for none */
} tsr_worker_job;

/* Fills the outcome fields of `result` (strings in `arena`) as
 * tsr_evaluate does, plus TSR_OUTCOME_TIMEOUT (the worker was killed) and
 * TSR_OUTCOME_CRASHED (it died), each with a reason naming what it was
 * doing and the signal or status. Returns an error only when the worker
 * cannot be set up (the device does not open, the spec does not load: the
 * worker's own message) or cannot be started. */
tsr_status tsr_worker_evaluate(tsr_worker *worker, const tsr_worker_job *job, tsr_arena *arena,
                               tsr_result *result, tsr_error *err);

/* For compile-ahead processes (runner/compile_ahead.h), which work while
 * tessera waits on another: sends one config to compile, starting the
 * process first when it is not running (without waiting for its setup: the
 * setup's answer comes first, through tsr_worker_compile_receive). */
tsr_status tsr_worker_compile_send(tsr_worker *worker, const char *config, tsr_error *err);
/* Waits at most timeout_ms for the next answer: 1 when the config's came
 * (*why empty when it compiled), 2 when a new process has set up (the
 * config's answer is still to come), 0 when nothing came yet, -1 when the
 * process died or answered nonsense, -2 when it could not set up (*why says
 * why, if it said); after a negative answer it is reaped and restarts with
 * the next send. */
int tsr_worker_compile_receive(tsr_worker *worker, int timeout_ms, double *build_s, char *why,
                               size_t why_size);
/* The descriptor its answers come on, -1 while it is not running. */
int tsr_worker_reply_fd(const tsr_worker *worker);
/* Kills the process now (a compile past its limit); the next use restarts
 * it. */
void tsr_worker_kill(tsr_worker *worker);

/* The worker's process id while it runs, else 0 (for tests). */
int tsr_worker_pid(const tsr_worker *worker);

/* The watchdog's limit for the running phase, in seconds: the cap until a
 * best time is known; then 200 times it, at least 2 s, at most the cap.
 * Evaluation runs a candidate at most a dozen times and abandons one slower
 * than 4x the best after its first timed run, so an honest candidate stays
 * far inside. On a device that compiles at the first launch (PoCL) that
 * launch keeps the cap. */
double tsr_worker_run_limit(double best_ms, double cap_s);

/* The options every tuning evaluation uses, in-process or in a worker. */
tsr_eval_options tsr_tuning_eval_options(double best_ms);

/* The worker's side, for `tessera __worker`: requests on in_fd, replies on
 * out_fd, until the other end closes. Returns the exit status. */
int tsr_worker_serve(int in_fd, int out_fd);

#endif
