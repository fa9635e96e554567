/* tessera-bench-gemm: tessera's SGEMM against the vendor library on the
 * same device, in the same process, on the same buffers: CLBlast on an
 * OpenCL device, cuBLAS on a CUDA device (backends/gemm_ref.h).
 *
 * Per size (n for m = n = k, or MxNxK): pick the kernel (--config, else the best stored for
 * this device and shape, else the op's default), check it against the CPU
 * reference and the library through the runner, then time both on one set
 * of fresh random non-zero operands, interleaved so that drift (clocks,
 * other load on a shared machine) hits both alike. The ratio compares like
 * with like, on the clock the library can be timed by: device events
 * around cuBLAS and tessera's kernel on CUDA; on OpenCL the wall clock from
 * a drained queue to the end of the work for both, since CLBlast may queue
 * helper kernels and hands back only the last event. */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "backends/gemm_ref.h"
#include "bench/gemm_operands.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "devices/devices.h"
#include "runner/runner.h"
#include "tools/cli.h"

#define PROGRAM "tessera-bench-gemm"
enum { MAX_SIZES = 16, MIN_RUNS = 10, MAX_RUNS = 1000, MAX_N = 16384 };

static const char bench_usage[] =
    "usage: " PROGRAM " [--device opencl:0] [--profile P] [--db tessera.db]\n"
    "         [--spec ops/sgemm.yaml] [--sizes 512,1024,4096x4096x11008] [--runs 10]\n"
    "         [--config K=V,..]\n"
    "\n"
    "tessera's GEMM against the vendor library on the same device, for each size:\n"
    "N for m = n = k = N, or MxNxK. CLBlast on an OpenCL device, cuBLAS on a CUDA\n"
    "device (--device cuda:0; a spec of f16 or bf16 inputs against cublasGemmEx\n"
    "with f32 products and C, on the tensor cores; one with math: tf32 against\n"
    "cublasGemmEx's fast-TF32 compute type, CLBlast's full f32 on OpenCL). The\n"
    "kernel: --config, else the best stored in --db for this device and size, else\n"
    "the op's default. Each is checked against the CPU reference and the library,\n"
    "then both run on the same random operands, interleaved, --runs times (>= 10)\n"
    "after a warm-up. GFLOP/s = 2mnk/time and the ratio use medians of device-event\n"
    "times on CUDA, of wall-clock times from a drained queue on OpenCL (there\n"
    "tessera's event median is shown beside). Exit status 1 when a kernel fails\n"
    "verification, 2 on bad input.\n";

typedef struct bench_args {
    const char *device, *profile, *db, *spec, *config;
    gemm_size sizes[MAX_SIZES];
    int n_sizes;
    int runs;
} bench_args;

/* What one size gives, for the closing table. */
typedef struct size_report {
    gemm_size size;
    bool verified;
    const char *origin; /* where the config came from */
    double tessera_ms;  /* on the reference's clock (see the header comment) */
    double tessera_event_ms, reference_ms;
} size_report;

/* What every size shares. */
typedef struct bench_ctx {
    const bench_args *args;
    tsr_device *device;
    const tsr_opspec *spec;
    const tsr_profile *profile;
    tsr_store *store; /* NULL when --db names no file yet */
    tsr_config given; /* --config, when args->config */
    char fingerprint[768];
    const char *reference; /* the library's name: "CLBlast", "cuBLAS" */
    bool event_clock;      /* the library is timed by device events */
} bench_ctx;

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int
usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, PROGRAM ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see '" PROGRAM " --help')\n");
    return 2;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* One dim of a size at *p, 1..MAX_N; advances *p past it. */
static bool parse_dim(const char **p, int *out)
{
    char *end;
    long v = strtol(*p, &end, 10);
    if (end == *p || v < 1 || v > MAX_N)
        return false;
    *out = (int)v;
    *p = end;
    return true;
}

/* "512,1024,4096x4096x11008" into a->sizes: N for m = n = k, or MxNxK. */
static bool parse_sizes(const char *text, bench_args *a)
{
    a->n_sizes = 0;
    const char *p = text;
    while (*p) {
        gemm_size s;
        if (a->n_sizes == MAX_SIZES || !parse_dim(&p, &s.m))
            return false;
        s.n = s.k = s.m;
        if (*p == 'x' && !(++p, parse_dim(&p, &s.n) && *p == 'x' && (++p, parse_dim(&p, &s.k))))
            return false;
        if (*p && *p != ',')
            return false;
        a->sizes[a->n_sizes++] = s;
        const char *end = p;
        p = *end ? end + 1 : end;
        if (*end && !*p)
            return false; /* a trailing comma */
    }
    return a->n_sizes > 0;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, bench_args *a)
{
    static const struct option options[] = {
        {"device", required_argument, NULL, 'd'},
        {"profile", required_argument, NULL, 'p'},
        {"db", required_argument, NULL, 'f'},
        {"spec", required_argument, NULL, 's'},
        {"sizes", required_argument, NULL, 'n'},
        {"runs", required_argument, NULL, 'r'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (bench_args){.device = "opencl:0",
                      .db = "tessera.db",
                      .spec = "ops/sgemm.yaml",
                      .sizes = {{512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048}},
                      .n_sizes = 3,
                      .runs = MIN_RUNS};
    int opt;
    long runs;
    char *end;
    opterr = 0; /* our own one-line messages below */
    while ((opt = getopt_long(argc, argv, ":d:p:f:s:n:r:c:h", options, NULL)) != -1) {
        switch (opt) {
        case 'd': a->device = optarg; break;
        case 'p': a->profile = optarg; break;
        case 'f': a->db = optarg; break;
        case 's': a->spec = optarg; break;
        case 'c': a->config = optarg; break;
        case 'n':
            if (!parse_sizes(optarg, a))
                return usage_error("--sizes '%s': expected a comma-separated list of up to 16 "
                                   "sizes, each N or MxNxK with every dim 1 to 16384",
                                   optarg);
            break;
        case 'r':
            runs = strtol(optarg, &end, 10);
            a->runs = (int)runs;
            if (*end || end == optarg || runs < MIN_RUNS || runs > MAX_RUNS)
                return usage_error("--runs '%s': expected a whole number from 10 to 1000 "
                                   "(medians of fewer runs are not worth reporting)",
                                   optarg);
            break;
        case 'h': fputs(bench_usage, stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    return -1;
}

/* The stored best for (spec, device, shape); *found says whether there
 * was one. */
static int stored_best(const bench_ctx *ctx, const char *shape_text, tsr_config *config,
                       bool *found)
{
    *found = false;
    if (!ctx->store)
        return 0; /* no store yet: not an error, the default stands in */
    tsr_error err = {{0}};
    tsr_arena *arena = tsr_arena_create();
    tsr_result best;
    tsr_status st = arena ? tsr_store_best(ctx->store, arena, tsr_opspec_key(ctx->spec),
                                           ctx->fingerprint, shape_text, &best, found, &err)
                          : tsr_fail(&err, TSR_ERR_NOMEM, "out of memory");
    if (st == TSR_OK && *found)
        st = tsr_config_parse(ctx->spec->op, best.config, config, &err);
    tsr_arena_destroy(arena);
    return st == TSR_OK ? 0 : cli_report(st, err.msg);
}

/* Opens --db when the file exists; a missing one is no error (nothing has
 * been tuned yet), and it is not created. */
static int open_store(const char *path, tsr_store **out)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return 0;
    tsr_error err = {{0}};
    tsr_status st = tsr_store_open(path, out, &err);
    return st == TSR_OK ? 0 : cli_report(st, err.msg);
}

/* --config, else the stored best, else the op's starting config for the
 * profile (its suggestion, the default, or the first valid config). */
static int choose_config(const bench_ctx *ctx, const char *shape_text, tsr_config *config,
                         const char **origin)
{
    const tsr_op_def *op = ctx->spec->op;
    tsr_error err = {{0}};
    *origin = "--config";
    *config = ctx->given;
    if (ctx->args->config)
        return 0;
    tsr_config_default(op, config);
    bool found;
    int rc = stored_best(ctx, shape_text, config, &found);
    if (rc || found) {
        *origin = "best stored";
        return rc;
    }
    tsr_status st = tsr_config_start(ctx->spec, ctx->profile, config, origin, &err);
    return st == TSR_OK ? 0 : cli_report(st, err.msg);
}

/* The runner's verdict: the kernel against the CPU reference on its own
 * random problem, then that output against the library's, summed up in
 * `summary`. Returns the exit status of an error that ends the run; a
 * kernel that does not pass (wrong, or refused by the device) sets *pass to
 * false and the run goes on with the next size. */
static int check_with_runner(const bench_ctx *ctx, const tsr_shape *shape, const tsr_config *config,
                             bool *pass, char *summary, size_t summary_size)
{
    *pass = false;
    tsr_error err = {{0}};
    tsr_problem *problem;
    tsr_status st = tsr_problem_create(ctx->device, ctx->spec, shape, 1, &problem, &err);
    if (st != TSR_OK)
        return cli_report(st, err.msg);
    tsr_arena *arena = tsr_arena_create();
    tsr_result r = {0};
    /* One timed run is the least the runner does; the timing that counts is below. */
    tsr_eval_options options = {.min_runs = 1, .max_runs = 1};
    st = arena ? tsr_evaluate(problem, ctx->profile, config, &options, arena, &r, &err)
               : tsr_fail(&err, TSR_ERR_NOMEM, "out of memory");
    double bound = ctx->spec->op->tolerance(ctx->spec, shape), diff = 0.0, reference_ms;
    if (st == TSR_OK && r.outcome == TSR_OUTCOME_OK)
        st = tsr_problem_check_reference(problem, &diff, &reference_ms, &err);
    int rc = 0;
    if (st != TSR_OK) {
        rc = cli_report(st, err.msg);
    } else if (r.outcome != TSR_OUTCOME_OK) {
        snprintf(summary, summary_size, "FAIL%s (%s): %s",
                 r.outcome == TSR_OUTCOME_WRONG ? " against the CPU reference" : "",
                 tsr_outcome_name(r.outcome), r.reason ? r.reason : "");
    } else {
        /* Two float results may each be off by the bound, in opposite directions. */
        *pass = diff <= 2 * bound;
        snprintf(summary, summary_size, "CPU ref err %.2g, %s diff %.2g (bound %.2g) %s%s",
                 r.max_error, ctx->reference, diff, bound, *pass ? "ok" : "FAIL against ",
                 *pass ? "" : ctx->reference);
    }
    tsr_arena_destroy(arena);
    tsr_problem_free(problem);
    return rc;
}

/* tessera's kernel, ready to launch on the operands. */
typedef struct launchable {
    tsr_kernel *kernel;
    tsr_arg args[16];
    int n_args;
    tsr_geometry geometry;
} launchable;

/* Launches and waits; *event_ms (when not NULL) from profiling events. */
static tsr_status run_ours(const launchable *k, double *event_ms, tsr_error *err)
{
    const tsr_backend *be = k->kernel->device->backend;
    return be->launch(k->kernel, k->args, k->n_args, &k->geometry, event_ms, err);
}

/* The library on the operands, as the spec lays them out; *ms as
 * gemm_ref.h describes it. */
static tsr_status reference_run(const bench_ctx *ctx, operands *o, double *ms, tsr_error *err)
{
    const tsr_opspec *spec = ctx->spec;
    if (spec->dtype == TSR_F64)
        return tsr_gemm_ref_dgemm(ctx->device, spec->layout_a == TSR_COL_MAJOR,
                                  spec->layout_b == TSR_COL_MAJOR, o->size.m, o->size.n, o->size.k,
                                  spec->alpha, o->buf[0], o->buf[1], spec->beta, o->buf[2], ms,
                                  err);
    return tsr_gemm_ref_gemm(ctx->device, spec->tf32 ? TSR_TF32 : spec->dtype,
                             spec->layout_a == TSR_COL_MAJOR, spec->layout_b == TSR_COL_MAJOR,
                             o->size.m, o->size.n, o->size.k, (float)spec->alpha, o->buf[0],
                             o->buf[1], (float)spec->beta, o->buf[2], ms, err);
}

/* One run of each library on the benchmark's own buffers, compared with
 * each other, so that what is timed is known to compute the same thing.
 * Without a reference the error scale is a bound on the sum of the terms'
 * magnitudes, |alpha| * k (every |a|, |b| <= 1) + |beta * c|: the runner
 * has already done the exact check. */
static tsr_status cross_check(const bench_ctx *ctx, operands *o, const launchable *ours,
                              double *diff, tsr_error *err)
{
    const tsr_backend *be = ctx->device->backend;
    const tsr_opspec *spec = ctx->spec;
    size_t bytes = o->elems[2] * tsr_dtype_size(o->c_type);
    TSR_TRY(be->write(o->buf[2], o->c_start, bytes, err));
    TSR_TRY(run_ours(ours, NULL, err));
    TSR_TRY(be->read(o->buf[2], o->ours, bytes, err));
    TSR_TRY(be->write(o->buf[2], o->c_start, bytes, err));
    TSR_TRY(reference_run(ctx, o, NULL, err));
    TSR_TRY(be->read(o->buf[2], o->theirs, bytes, err));
    double terms = fabs(spec->alpha) * o->size.k;
    double worst = 0.0;
    for (size_t i = 0; i < o->elems[2]; i++) {
        double scale = terms + fabs(spec->beta * operands_c_value(o, o->c_start, i));
        double e =
            fabs(operands_c_value(o, o->ours, i) - operands_c_value(o, o->theirs, i)) / scale;
        worst = isnan(e) ? INFINITY : fmax(worst, e);
    }
    *diff = worst;
    return TSR_OK;
}

/* One launch timed both ways. The wall clock spans from a drained queue
 * (every earlier command of the in-order queue was waited for) to the
 * kernel's end, as CLBlast is measured; reading the profiling event
 * inside that span adds microseconds to runs of milliseconds, and one
 * launch instead of two halves tessera's share of the benchmark's time. */
static tsr_status run_ours_timed(const launchable *ours, double *wall_ms, double *event_ms,
                                 tsr_error *err)
{
    double start = now_ms();
    TSR_TRY(run_ours(ours, event_ms, err));
    *wall_ms = now_ms() - start;
    return TSR_OK;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count)
{
    qsort(values, (size_t)count, sizeof values[0], compare_doubles);
    return count % 2 ? values[count / 2] : 0.5 * (values[count / 2 - 1] + values[count / 2]);
}

/* `runs` rounds of one run each, the order turned round every other round
 * so that neither library always goes first. The cross-check's runs just
 * before were the warm-up: both binaries built, caches and pages touched. */
static tsr_status time_both(const bench_ctx *ctx, operands *o, const launchable *ours,
                            size_report *report, tsr_error *err)
{
    int runs = ctx->args->runs;
    double *samples = malloc(3 * (size_t)runs * sizeof(double));
    if (!samples)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    double *events = samples, *walls = samples + runs, *theirs = samples + 2 * runs;
    /* Both sides on the library's clock. */
    tsr_status st = TSR_OK;
    for (int r = 0; r < runs && st == TSR_OK; r++) {
        bool ours_first = r % 2 == 0;
        if (!ours_first)
            st = reference_run(ctx, o, &theirs[r], err);
        if (st == TSR_OK)
            st = run_ours_timed(ours, &walls[r], &events[r], err);
        if (st == TSR_OK && ours_first)
            st = reference_run(ctx, o, &theirs[r], err);
    }
    if (st == TSR_OK) {
        report->tessera_event_ms = median(events, runs);
        report->tessera_ms = ctx->event_clock ? report->tessera_event_ms : median(walls, runs);
        report->reference_ms = median(theirs, runs);
    }
    free(samples);
    return st;
}

static double gflops(gemm_size s, double ms)
{
    return ms > 0 ? 2.0 * (double)s.m * (double)s.n * (double)s.k / (ms * 1e6) : 0.0;
}

/* "1024" for a cube, else "4096x4096x11008". */
static void size_label(gemm_size s, char *buf, size_t size)
{
    if (s.m == s.n && s.n == s.k)
        snprintf(buf, size, "%d", s.m);
    else
        snprintf(buf, size, "%dx%dx%d", s.m, s.n, s.k);
}

/* Builds the chosen kernel, checks it on the operands against the library, and
 * times both; report->verified says whether the answers agreed (when not,
 * `why` says how). Returns the exit status of an error that ends the run. */
static int check_and_time(const bench_ctx *ctx, const tsr_shape *shape, const tsr_config *config,
                          size_report *report, char *why, size_t why_size)
{
    const tsr_backend *be = ctx->device->backend;
    const tsr_op_def *op = ctx->spec->op;
    tsr_error err = {{0}};
    operands o;
    tsr_status st = operands_create(ctx->device, report->size, ctx->spec->dtype, &o, &err);
    if (st != TSR_OK)
        return cli_report(st, err.msg);
    tsr_kernel_text text = {0};
    launchable ours = {0};
    ours.n_args = op->args(ctx->spec, shape, o.buf, ours.args);
    st = tsr_kernel_generate(ctx->spec, ctx->profile, config, be->dialect, &text, &err);
    tsr_geometry_apply(&text.rule, shape, &ours.geometry); /* with its dynamic shared bytes */
    /* Split K's workspace, zero when made; the kernel leaves it zero, so
     * one serves every launch. */
    tsr_buffer *workspace = NULL;
    if (st == TSR_OK && ours.geometry.workspace_bytes)
        st = tsr_buffer_alloc_zeroed(ctx->device, ours.geometry.workspace_bytes, &workspace, &err);
    if (workspace)
        ours.args[ours.n_args++] = (tsr_arg){.kind = TSR_ARG_BUFFER, .buffer = workspace};
    /* The runner's build options (the backend's own), so that the timed
     * binary is the verified one. */
    if (st == TSR_OK)
        st = be->compile(ctx->device, text.source, text.kernel_name, NULL, &ours.kernel, &err);
    double diff = 0.0, bound = 2 * op->tolerance(ctx->spec, shape);
    if (st == TSR_OK)
        st = cross_check(ctx, &o, &ours, &diff, &err);
    if (st == TSR_OK && !(diff <= bound))
        snprintf(why, why_size,
                 "FAIL: on the timed buffers tessera and %s differ by %.3g (bound %.3g)",
                 ctx->reference, diff, bound);
    else if (st == TSR_OK)
        st = time_both(ctx, &o, &ours, report, &err);
    report->verified = st == TSR_OK && diff <= bound;
    int rc = st == TSR_OK ? 0 : cli_report(st, err.msg);
    if (ours.kernel)
        be->release(ours.kernel);
    if (workspace)
        be->free(workspace);
    tsr_kernel_text_free(&text);
    operands_free(ctx->device, &o);
    return rc;
}

/* One size, start to finish; prints its line. Returns the exit status of
 * an error that ends the run; report->verified is false when the kernel
 * failed a check. */
static int bench_size(const bench_ctx *ctx, size_report *report)
{
    const tsr_op_def *op = ctx->spec->op;
    gemm_size n = report->size;
    char shape_text[128], config_text[512], checked[640], failed[256] = "", label[48];
    snprintf(shape_text, sizeof shape_text, "m=%d,n=%d,k=%d", n.m, n.n, n.k);
    size_label(n, label, sizeof label);
    tsr_error err = {{0}};
    tsr_shape shape;
    tsr_status st = tsr_shape_parse(op, shape_text, &shape, &err);
    if (st != TSR_OK)
        return cli_report(st, err.msg);
    /* The store's key spells the shape the way tsr_shape_format does. */
    tsr_shape_format(op, &shape, shape_text, sizeof shape_text);
    tsr_config config;
    int rc = choose_config(ctx, shape_text, &config, &report->origin);
    if (rc)
        return rc;
    tsr_config_format(op, &config, config_text, sizeof config_text);
    bool pass;
    rc = check_with_runner(ctx, &shape, &config, &pass, checked, sizeof checked);
    if (!rc && pass)
        rc = check_and_time(ctx, &shape, &config, report, failed, sizeof failed);
    if (rc)
        return rc;
    printf("n=%s  %s %s  %s", label, report->origin, config_text, checked);
    if (report->verified && ctx->event_clock)
        printf("  tessera %.3f ms %.1f GFLOP/s  %s %.3f ms %.1f GFLOP/s  ratio %.2f\n",
               report->tessera_ms, gflops(n, report->tessera_ms), ctx->reference,
               report->reference_ms, gflops(n, report->reference_ms),
               report->reference_ms / report->tessera_ms);
    else if (report->verified)
        printf("  tessera %.3f ms (events %.3f) %.1f GFLOP/s  %s %.3f ms %.1f GFLOP/s  "
               "ratio %.2f\n",
               report->tessera_ms, report->tessera_event_ms, gflops(n, report->tessera_ms),
               ctx->reference, report->reference_ms, gflops(n, report->reference_ms),
               report->reference_ms / report->tessera_ms);
    else
        printf("%s%s\n", *failed ? "  " : "", failed);
    fflush(stdout);
    return 0;
}

static void print_table(const bench_ctx *ctx, const size_report *reports, int count)
{
    char heading[32];
    snprintf(heading, sizeof heading, "%s GFLOP/s", ctx->reference);
    printf("\n%16s  %15s  %15s  %5s  %s\n", "n", "tessera GFLOP/s", heading, "ratio",
           "config-source");
    for (int i = 0; i < count; i++) {
        const size_report *r = &reports[i];
        char label[48];
        size_label(r->size, label, sizeof label);
        if (r->verified)
            printf("%16s  %15.1f  %15.1f  %5.2f  %s\n", label, gflops(r->size, r->tessera_ms),
                   gflops(r->size, r->reference_ms), r->reference_ms / r->tessera_ms, r->origin);
        else
            printf("%16s  %15s  %15s  %5s  %s\n", label, "FAIL", "-", "-",
                   r->origin ? r->origin : "-");
    }
}

/* The benchmark compares with the library's GEMM, so the spec must be one
 * (f32 or f64 (DGEMM), or f16 and bf16 inputs where the library has them). */
static int check_spec(const tsr_opspec *spec, const char *path)
{
    if (strcmp(spec->op->name, "gemm") == 0 && (spec->output == TSR_F32 || spec->output == TSR_F64))
        return 0;
    if (strcmp(spec->op->name, "gemm") == 0) {
        fprintf(stderr,
                PROGRAM ": %s writes an %s C; the vendor libraries' GEMM writes f32 (or f64 from "
                        "f64 inputs)\n",
                path, tsr_dtype_name(spec->output));
        return 2;
    }
    fprintf(stderr,
            PROGRAM ": %s is a %s spec; the benchmark compares GEMM (op gemm) with the vendor "
                    "library\n",
            path, spec->op->name);
    return 2;
}

/* A --config that is malformed or that the profile refuses is bad input,
 * said once, before any size is run. */
static int parse_given_config(bench_ctx *ctx)
{
    const tsr_opspec *spec = ctx->spec;
    tsr_error err = {{0}};
    tsr_config_default(spec->op, &ctx->given);
    if (tsr_config_parse(spec->op, ctx->args->config, &ctx->given, &err) != TSR_OK)
        fprintf(stderr, PROGRAM ": %s\n", err.msg);
    else if (spec->op->check(spec, ctx->profile, &ctx->given, &err) != TSR_OK)
        fprintf(stderr, PROGRAM ": --config %s: %s\n", ctx->args->config, err.msg);
    else
        return 0;
    return 2;
}

int main(int argc, char **argv)
{
    bench_args args;
    int rc = parse_args(argc, argv, &args);
    if (rc >= 0)
        return rc;
    bench_ctx ctx = {.args = &args};
    tsr_opspec *spec = NULL;
    tsr_profile *profile = NULL;
    rc = cli_load_spec(args.spec, &spec);
    if (!rc)
        rc = check_spec(spec, args.spec);
    if (!rc)
        rc = cli_open_device(args.device, &ctx.device);
    if (!rc)
        rc = cli_resolve_profile(args.profile, ctx.device, &profile);
    ctx.spec = spec;
    ctx.profile = profile;
    if (!rc && !(ctx.reference = tsr_gemm_ref_name(ctx.device))) {
        fprintf(stderr,
                PROGRAM ": %s has no reference SGEMM in this build (CLBlast on OpenCL devices "
                        "when built with it, cuBLAS on CUDA devices)\n",
                ctx.device->info.id);
        rc = 2;
    }
    if (!rc)
        ctx.event_clock = tsr_gemm_ref_clock(ctx.device) == TSR_REF_DEVICE_EVENTS;
    if (!rc && args.config)
        rc = parse_given_config(&ctx);
    if (!rc && !args.config)
        rc = open_store(args.db, &ctx.store);
    size_report reports[MAX_SIZES];
    memset(reports, 0, sizeof reports);
    int failures = 0, done = 0;
    if (!rc) {
        tsr_device_fingerprint(&ctx.device->info, ctx.fingerprint, sizeof ctx.fingerprint);
        printf("device %s: %s (%s, driver %s), profile %s\nspec %s (%s), median of %d runs after "
               "a warm-up; tessera and %s timed by %s\n",
               ctx.device->info.id, ctx.device->info.name, ctx.device->info.version,
               ctx.device->info.driver, profile->name, args.spec, tsr_opspec_key(spec), args.runs,
               ctx.reference,
               ctx.event_clock ? "device events" : "wall clock from a drained queue");
        fflush(stdout);
    }
    for (; !rc && done < args.n_sizes; done++) {
        reports[done].size = args.sizes[done];
        rc = bench_size(&ctx, &reports[done]);
        if (!rc && !reports[done].verified)
            failures++;
    }
    if (!rc && done)
        print_table(&ctx, reports, done);
    if (ctx.store)
        tsr_store_close(ctx.store);
    if (ctx.device)
        tsr_device_close(ctx.device);
    tsr_profile_free(profile);
    tsr_opspec_free(spec);
    return rc ? rc : failures ? 1 : 0;
}
