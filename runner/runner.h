/* The runner: the top layer of libtessera. It joins an op spec, a config
 * and a profile (core), the printed source (generators) and a live device
 * (backends) into one evaluated candidate: generated, compiled, run on
 * random non-zero data with poisoned outputs, verified against the CPU
 * reference, then timed. */
#ifndef TSR_RUNNER_H
#define TSR_RUNNER_H

#include <stdint.h>

#include "backends/backend.h"
#include "core/op.h"
#include "core/store.h"
#include "core/strbuf.h"
#include "core/tune.h"

/* The source of one config, and how to launch it. */
typedef struct tsr_kernel_text {
    char *source; /* malloc'd; tsr_kernel_text_free() */
    char kernel_name[64];
    const char *language; /* the dialect's name */
    tsr_geometry_rule rule;
    char geometry[128];
    char args[256];
} tsr_kernel_text;

tsr_status tsr_kernel_generate(const tsr_opspec *spec, const tsr_profile *profile,
                               const tsr_config *config, const char *dialect, tsr_kernel_text *out,
                               tsr_error *err);
/* The tile program as text, for `tessera gen --ir`; caller frees. */
tsr_status tsr_kernel_ir(const tsr_opspec *spec, const tsr_profile *profile,
                         const tsr_config *config, char **out, tsr_error *err);
void tsr_kernel_text_free(tsr_kernel_text *text);

/* Host and device data of one problem: random inputs, the reference (made
 * once, when the problem is created, and shared by every candidate) and
 * device buffers with a guard zone after each. */
typedef struct tsr_problem tsr_problem;

tsr_status tsr_problem_create(tsr_device *device, const tsr_opspec *spec, const tsr_shape *shape,
                              uint64_t seed, tsr_problem **out, tsr_error *err);
void tsr_problem_free(tsr_problem *problem);
/* The same buffers without the reference, for a process that only
 * compiles (tsr_compile_only); evaluating on it is meaningless. */
tsr_status tsr_problem_create_for_compiling(tsr_device *device, const tsr_opspec *spec,
                                            const tsr_shape *shape, tsr_problem **out,
                                            tsr_error *err);

/* Where an evaluation has got to. The first launch is a stage of its own
 * because some drivers (PoCL) finish compiling only when a kernel is first
 * enqueued, for its work-group size. */
typedef enum tsr_eval_stage {
    TSR_EVAL_BUILT,    /* compiled; the first, verifying launch follows */
    TSR_EVAL_LAUNCHED, /* the first launch finished; timing follows */
} tsr_eval_stage;

typedef struct tsr_eval_options {
    int min_runs, max_runs; /* timed runs after the verifying one */
    double min_seconds;     /* keep timing until this much kernel time is seen */
    double abandon_ms;      /* a first timed run slower than this ends timing (0: never) */
    /* Called as the candidate passes each stage (may be NULL): lets a
     * watchdog give compiling, the first launch and timing limits of their
     * own. */
    void (*on_stage)(void *ctx, tsr_eval_stage stage);
    void *on_stage_ctx;
} tsr_eval_options;

/* Fills outcome, reason, time, GFLOP/s, max error and the kernel fields of
 * `result`; strings in `arena`. */
tsr_status tsr_evaluate(tsr_problem *problem, const tsr_profile *profile, const tsr_config *config,
                        const tsr_eval_options *options, tsr_arena *arena, tsr_result *result,
                        tsr_error *err);

/* The same for a kernel given as source (a hand-written or planted one):
 * compiled, run with `geometry`, verified and timed like a generated one.
 * Only the outcome, reason, time, GFLOP/s and max error are filled. */
tsr_status tsr_evaluate_source(tsr_problem *problem, const char *source, const char *kernel_name,
                               const tsr_geometry *geometry, const tsr_eval_options *options,
                               tsr_arena *arena, tsr_result *result, tsr_error *err);

/* Compiles a config as tsr_evaluate would, so that the compiler's cache
 * (the driver's, or the kernel cache of backends without one) holds it when
 * the evaluation comes: the compile-ahead processes' part
 * (runner/compile_ahead.h). On a driver that compiles at the first launch
 * the kernel is launched once, unchecked. Non-OK with `why` when the config
 * is invalid or does not compile or launch: not an outcome, only a lost
 * saving (the evaluation will find the same and record it). */
tsr_status tsr_compile_only(tsr_problem *problem, const tsr_profile *profile,
                            const tsr_config *config, double *build_s, char *why, size_t why_size);

/* The shape of a problem. */
const tsr_shape *tsr_problem_shape(const tsr_problem *problem);

/* The stored output of the last run of `problem`'s output buffer checked
 * against the vendor library on the same device (SGEMM only; CLBlast on
 * OpenCL, cuBLAS on CUDA: backends/gemm_ref.h): max relative difference
 * scaled like the reference check. TSR_ERR_UNSUPPORTED where the device
 * has no such library. */
tsr_status tsr_problem_check_reference(tsr_problem *problem, double *max_error,
                                       double *reference_ms, tsr_error *err);

#endif
