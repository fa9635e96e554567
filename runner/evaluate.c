/* One candidate on a live device: compile, run on random non-zero data
 * with a poisoned output and a guard zone, verify against the CPU
 * reference, then time with the device's own events. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/gemm_ref.h"
#include "core/half.h"
#include "runner/runner.h"

/* Elements past the end of each output that must survive every run. */
enum { GUARD_ELEMS = 64 };
/* A quiet NaN with a payload no arithmetic produces; and the same for a
 * 16-bit output (an f16 or a bf16 quiet NaN, payload 0x3ea or 0x6a). */
static const uint32_t POISON_BITS = 0x7fc0deadu;
static const uint16_t POISON16_BITS = 0x7fea;
static const uint64_t POISON64_BITS = 0x7ff80000c0dead00ull;

struct tsr_problem {
    tsr_device *device;
    const tsr_opspec *spec;
    tsr_shape shape;
    int n_buffers;
    size_t elems[TSR_MAX_BUFFERS];
    /* float, or double for an f64 buffer (host_elem_size): the reference
     * reads every bit the kernel reads. */
    void *host[TSR_MAX_BUFFERS];
    tsr_buffer *dev[TSR_MAX_BUFFERS];
    float *readback; /* output + guard, from the last verifying run */
    /* A 16-bit output's storage on its way to and from the device (NULL for
     * f32): converted at the boundary, poison for poison. */
    uint16_t *readback16;
    /* An f64 output's readback instead of `readback` (NULL otherwise): kept
     * in double, as narrowing it would hide the errors its bound is for. */
    double *readback64;
    double *reference, *magnitude;
    /* The launches' workspace (core/launch.h), grown to the largest a
     * config has asked for; NULL until one does. */
    tsr_buffer *workspace;
    size_t workspace_bytes;
};

static float poison(void)
{
    float f;
    memcpy(&f, &POISON_BITS, sizeof f);
    return f;
}

static bool is_poison(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits == POISON_BITS;
}

static double poison64(void)
{
    double d;
    memcpy(&d, &POISON64_BITS, sizeof d);
    return d;
}

static bool is_poison64(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits == POISON64_BITS;
}

static size_t host_elem_size(tsr_dtype dtype)
{
    return dtype == TSR_F64 ? sizeof(double) : sizeof(float);
}

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, -1/8] u [1/8, 1]: never zero, so a dropped term shows. */
static void fill_random(float *data, size_t count, uint64_t *state)
{
    for (size_t i = 0; i < count; i++) {
        uint64_t r = next_random(state);
        float magnitude = 0.125f + 0.875f * (float)(r >> 40) / (float)(1u << 24);
        data[i] = (r & 1) ? -magnitude : magnitude;
    }
}

/* The same with 53 random bits: values an f32 cannot hold, so that a
 * kernel that narrows them anywhere (a float tile, a float product) is
 * off by f32's rounding, far outside f64's bound. */
static void fill_random64(double *data, size_t count, uint64_t *state)
{
    for (size_t i = 0; i < count; i++) {
        uint64_t r = next_random(state);
        double magnitude = 0.125 + 0.875 * ldexp((double)(r >> 11), -53);
        data[i] = (r & 1) ? -magnitude : magnitude;
    }
}

const tsr_shape *tsr_problem_shape(const tsr_problem *p)
{
    return &p->shape;
}

void tsr_problem_free(tsr_problem *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n_buffers; i++) {
        free(p->host[i]);
        if (p->dev[i])
            p->device->backend->free(p->dev[i]);
    }
    if (p->workspace)
        p->device->backend->free(p->workspace);
    free(p->readback);
    free(p->readback16);
    free(p->readback64);
    free(p->reference);
    free(p->magnitude);
    free(p);
}

/* Fills buffer `i` with random values of its type (f16 and bf16
 * inputs are rounded to it, so that the reference reads what the kernel
 * reads) and a poisoned guard, and copies it to the device in its storage
 * form. */
static tsr_status fill_and_upload(tsr_problem *p, int i, uint64_t *state, tsr_error *err)
{
    const tsr_op_def *op = p->spec->op;
    tsr_dtype dtype = tsr_op_buffer_dtype(p->spec, i);
    size_t n = p->elems[i], total = n + GUARD_ELEMS;
    if (dtype == TSR_F64) {
        double *host = p->host[i];
        fill_random64(host, n, state);
        for (size_t g = 0; g < GUARD_ELEMS; g++)
            host[n + g] = poison64();
        return p->device->backend->write(p->dev[i], host, total * sizeof(double), err);
    }
    float *host = p->host[i];
    fill_random(host, n, state);
    for (size_t g = 0; g < GUARD_ELEMS; g++)
        host[n + g] = poison();
    if (!tsr_dtype_is_half(dtype))
        return p->device->backend->write(p->dev[i], host, total * sizeof(float), err);
    for (size_t j = 0; j < n; j++)
        host[j] = tsr_dtype_round(dtype, host[j]);
    void *storage = malloc(total * tsr_dtype_size(dtype));
    if (!storage)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory for %zu elements of %s", n,
                        op->buffers[i].name);
    tsr_dtype_pack(dtype, host, total, storage);
    tsr_status st =
        p->device->backend->write(p->dev[i], storage, total * tsr_dtype_size(dtype), err);
    free(storage);
    return st;
}

static tsr_status create(tsr_device *device, const tsr_opspec *spec, const tsr_shape *shape,
                         uint64_t seed, bool with_reference, tsr_problem **out, tsr_error *err)
{
    const tsr_op_def *op = spec->op;
    tsr_problem *p = calloc(1, sizeof *p);
    if (!p)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    p->device = device;
    p->spec = spec;
    p->shape = *shape;
    p->n_buffers = op->n_buffers;
    uint64_t state = seed;
    tsr_status st = TSR_OK;
    for (int i = 0; i < op->n_buffers && st == TSR_OK; i++) {
        size_t n = op->buffer_elems(spec, shape, i);
        p->elems[i] = n;
        p->host[i] = malloc((n + GUARD_ELEMS) * host_elem_size(tsr_op_buffer_dtype(spec, i)));
        if (!p->host[i]) {
            st = tsr_fail(err, TSR_ERR_NOMEM, "out of memory for %zu elements of %s", n,
                          op->buffers[i].name);
            break;
        }
        size_t bytes = (n + GUARD_ELEMS) * tsr_dtype_size(tsr_op_buffer_dtype(spec, i));
        st = device->backend->alloc(device, bytes, &p->dev[i], err);
        if (st == TSR_OK)
            st = fill_and_upload(p, i, &state, err);
    }
    size_t out_elems = op->n_buffers ? p->elems[op->output_buffer] : 0;
    if (st == TSR_OK) {
        p->readback = malloc((out_elems + GUARD_ELEMS) * sizeof(float));
        if (op->n_buffers && tsr_dtype_is_half(tsr_op_buffer_dtype(spec, op->output_buffer)) &&
            !(p->readback16 = malloc((out_elems + GUARD_ELEMS) * sizeof(uint16_t))))
            st = tsr_fail(err, TSR_ERR_NOMEM, "out of memory for the output");
        if (op->n_buffers && tsr_op_buffer_dtype(spec, op->output_buffer) == TSR_F64 &&
            !(p->readback64 = malloc((out_elems + GUARD_ELEMS) * sizeof(double))))
            st = tsr_fail(err, TSR_ERR_NOMEM, "out of memory for the output");
        p->reference = malloc(out_elems * sizeof(double));
        p->magnitude = malloc(out_elems * sizeof(double));
        if (!p->readback || !p->reference || !p->magnitude)
            st = tsr_fail(err, TSR_ERR_NOMEM, "out of memory for the reference");
    }
    if (st == TSR_OK && with_reference)
        op->reference(spec, shape, (const float *const *)p->host, p->reference, p->magnitude);
    if (st != TSR_OK) {
        tsr_problem_free(p);
        return st;
    }
    *out = p;
    return TSR_OK;
}

tsr_status tsr_problem_create(tsr_device *device, const tsr_opspec *spec, const tsr_shape *shape,
                              uint64_t seed, tsr_problem **out, tsr_error *err)
{
    return create(device, spec, shape, seed, true, out, err);
}

tsr_status tsr_problem_create_for_compiling(tsr_device *device, const tsr_opspec *spec,
                                            const tsr_shape *shape, tsr_problem **out,
                                            tsr_error *err)
{
    return create(device, spec, shape, 0, false, out, err);
}

/* The readback to the output's device buffer, in its storage type. */
static tsr_status write_output(tsr_problem *p, tsr_error *err)
{
    int o = p->spec->op->output_buffer;
    size_t total = p->elems[o] + GUARD_ELEMS;
    if (p->readback64)
        return p->device->backend->write(p->dev[o], p->readback64, total * sizeof(double), err);
    if (!p->readback16)
        return p->device->backend->write(p->dev[o], p->readback, total * sizeof(float), err);
    tsr_dtype dtype = tsr_op_buffer_dtype(p->spec, o);
    tsr_dtype_pack(dtype, p->readback, total, p->readback16);
    for (size_t i = 0; i < total; i++)
        if (is_poison(p->readback[i]))
            p->readback16[i] = POISON16_BITS;
    return p->device->backend->write(p->dev[o], p->readback16, total * sizeof(uint16_t), err);
}

/* The output's device buffer into the readback, widened to float. */
static tsr_status read_output(tsr_problem *p, tsr_error *err)
{
    int o = p->spec->op->output_buffer;
    size_t total = p->elems[o] + GUARD_ELEMS;
    if (p->readback64)
        return p->device->backend->read(p->dev[o], p->readback64, total * sizeof(double), err);
    if (!p->readback16)
        return p->device->backend->read(p->dev[o], p->readback, total * sizeof(float), err);
    TSR_TRY(p->device->backend->read(p->dev[o], p->readback16, total * sizeof(uint16_t), err));
    tsr_dtype_unpack(tsr_op_buffer_dtype(p->spec, o), p->readback16, total, p->readback);
    for (size_t i = 0; i < total; i++)
        if (p->readback16[i] == POISON16_BITS)
            p->readback[i] = poison();
    return TSR_OK;
}

/* Restores the output's starting contents: its data where the kernel reads
 * it, poison where it must write every element; the guard is always poison. */
static tsr_status reset_output(tsr_problem *p, tsr_error *err)
{
    const tsr_op_def *op = p->spec->op;
    int o = op->output_buffer;
    size_t n = p->elems[o];
    bool reads = op->reads_output && op->reads_output(p->spec);
    if (p->readback64) {
        if (reads)
            memcpy(p->readback64, p->host[o], n * sizeof(double));
        for (size_t i = reads ? n : 0; i < n + GUARD_ELEMS; i++)
            p->readback64[i] = poison64();
        return write_output(p, err);
    }
    if (reads) {
        memcpy(p->readback, p->host[o], n * sizeof(float));
    } else {
        for (size_t i = 0; i < n; i++)
            p->readback[i] = poison();
    }
    for (size_t g = 0; g < GUARD_ELEMS; g++)
        p->readback[n + g] = poison();
    return write_output(p, err);
}

/* Output element i as the kernel left it, and whether it is poison. */
static double output_value(const tsr_problem *p, size_t i)
{
    return p->readback64 ? p->readback64[i] : (double)p->readback[i];
}

static bool output_is_poison(const tsr_problem *p, size_t i)
{
    return p->readback64 ? is_poison64(p->readback64[i]) : is_poison(p->readback[i]);
}

/* Compares the readback with the reference; on a mismatch writes the
 * reason into `why` and returns false. */
static bool verify_output(tsr_problem *p, double *max_error, char *why, size_t why_size)
{
    const tsr_op_def *op = p->spec->op;
    size_t n = p->elems[op->output_buffer];
    double bound = op->tolerance(p->spec, &p->shape), worst = 0.0;
    /* An output too small for its type's normal range is stored with the
     * spacing of the smallest normal one: the error is measured against
     * at least that. */
    double least = tsr_dtype_min_normal(tsr_op_buffer_dtype(p->spec, op->output_buffer));
    size_t worst_at = 0;
    for (size_t g = 0; g < GUARD_ELEMS; g++)
        if (!output_is_poison(p, n + g)) {
            snprintf(why, why_size, "wrote past the end of %s (guard element %zu changed)",
                     op->buffers[op->output_buffer].name, g);
            return false;
        }
    for (size_t i = 0; i < n; i++) {
        double got = output_value(p, i);
        if (!isfinite(got)) {
            snprintf(why, why_size, "%s[%zu] is %s%s", op->buffers[op->output_buffer].name, i,
                     isnan(got) ? "NaN" : "infinite",
                     output_is_poison(p, i) ? " (never written)" : "");
            *max_error = INFINITY;
            return false;
        }
        double scale = p->magnitude[i] > 0 ? fmax(p->magnitude[i], least) : 1.0;
        double e = fabs(got - p->reference[i]) / scale;
        if (e > worst) {
            worst = e;
            worst_at = i;
        }
    }
    *max_error = worst;
    if (worst > bound) {
        snprintf(why, why_size,
                 "max relative error %.3g at %s[%zu] (got %.*g, expected %.*g) "
                 "exceeds the bound %.3g",
                 worst, op->buffers[op->output_buffer].name, worst_at, p->readback64 ? 17 : 9,
                 output_value(p, worst_at), p->readback64 ? 17 : 9, p->reference[worst_at], bound);
        return false;
    }
    return true;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static tsr_status fail_outcome(tsr_arena *arena, tsr_result *r, tsr_outcome outcome,
                               const char *why)
{
    r->outcome = outcome;
    r->reason = tsr_arena_strdup(arena, why);
    return r->reason ? TSR_OK : TSR_ERR_NOMEM;
}

/* The op's arguments for a launch of `geometry`, then the workspace where
 * the kernel takes one, of the launch's size at least. It is zeroed when
 * made and, with `zero`, again: before a verifying run, so that no kernel
 * that left it otherwise (a wrong candidate's) misleads the next. */
static tsr_status launch_args(tsr_problem *p, const tsr_geometry *geometry, bool zero,
                              tsr_arg *args, int *n_args, tsr_error *err)
{
    const tsr_backend *be = p->device->backend;
    *n_args = p->spec->op->args(p->spec, &p->shape, p->dev, args);
    size_t bytes = geometry->workspace_bytes;
    if (!bytes)
        return TSR_OK;
    if (bytes > TSR_WORKSPACE_MAX_BYTES)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "the launch needs %zu bytes of workspace, past the %zu its kernel can "
                        "index (fewer splits or larger tiles need less)",
                        bytes, TSR_WORKSPACE_MAX_BYTES);
    if (bytes > p->workspace_bytes) {
        if (p->workspace)
            be->free(p->workspace);
        p->workspace = NULL;
        p->workspace_bytes = 0;
        TSR_TRY(be->alloc(p->device, bytes, &p->workspace, err));
        p->workspace_bytes = bytes;
        zero = true;
    }
    if (zero)
        TSR_TRY(tsr_buffer_write_zeros(p->device, p->workspace, p->workspace_bytes, err));
    args[(*n_args)++] = (tsr_arg){.kind = TSR_ARG_BUFFER, .buffer = p->workspace};
    return TSR_OK;
}

static tsr_status run_and_time(tsr_problem *p, tsr_kernel *kernel, const tsr_geometry *geometry,
                               const tsr_eval_options *options, tsr_arena *arena, tsr_result *r)
{
    const tsr_backend *be = p->device->backend;
    const tsr_op_def *op = p->spec->op;
    tsr_arg args[16];
    int n_args = 0;
    tsr_error why = {{0}};
    double started = now_s();
    if (launch_args(p, geometry, true, args, &n_args, &why) != TSR_OK ||
        reset_output(p, &why) != TSR_OK ||
        be->launch(kernel, args, n_args, geometry, NULL, &why) != TSR_OK)
        return fail_outcome(arena, r, TSR_OUTCOME_LAUNCH_FAILED, why.msg);
    if (read_output(p, &why) != TSR_OK)
        return fail_outcome(arena, r, TSR_OUTCOME_LAUNCH_FAILED, why.msg);
    if (options->on_stage)
        options->on_stage(options->on_stage_ctx, TSR_EVAL_LAUNCHED);
    char reason[512];
    bool verified = verify_output(p, &r->max_error, reason, sizeof reason);
    double checked = now_s();
    r->check_s = checked - started;
    if (!verified)
        return fail_outcome(arena, r, TSR_OUTCOME_WRONG, reason);

    int max_runs = options->max_runs > 0 ? options->max_runs : 10;
    double times[256], total = 0.0;
    int runs = 0;
    if (max_runs > 256)
        max_runs = 256;
    while (runs < max_runs) {
        if (be->launch(kernel, args, n_args, geometry, &times[runs], &why) != TSR_OK)
            return fail_outcome(arena, r, TSR_OUTCOME_LAUNCH_FAILED, why.msg);
        total += times[runs++];
        if (runs == 1 && options->abandon_ms > 0 && times[0] > options->abandon_ms)
            break; /* far slower than the best: one sample is enough to rank it */
        if (runs >= options->min_runs && total >= options->min_seconds * 1e3)
            break;
    }
    r->timing_s = now_s() - checked;
    qsort(times, (size_t)runs, sizeof times[0], compare_doubles);
    r->time_ms = runs % 2 ? times[runs / 2] : 0.5 * (times[runs / 2 - 1] + times[runs / 2]);
    r->gflops = r->time_ms > 0 ? op->flops(p->spec, &p->shape) / (r->time_ms * 1e6) : 0.0;
    r->outcome = TSR_OUTCOME_OK;
    return TSR_OK;
}

tsr_status tsr_evaluate_source(tsr_problem *p, const char *source, const char *kernel_name,
                               const tsr_geometry *geometry, const tsr_eval_options *options,
                               tsr_arena *arena, tsr_result *r, tsr_error *err)
{
    tsr_error why = {{0}};
    const tsr_backend *be = p->device->backend;
    tsr_kernel *kernel;
    double started = now_s();
    tsr_status built = be->compile(p->device, source, kernel_name, NULL, &kernel, &why);
    r->build_s = now_s() - started;
    if (built != TSR_OK)
        return fail_outcome(arena, r, TSR_OUTCOME_BUILD_FAILED, why.msg);
    size_t threads = geometry->local[0] * geometry->local[1] * geometry->local[2];
    if (threads > kernel->max_work_group_size) {
        snprintf(why.msg, sizeof why.msg,
                 "needs %zu threads per work-group; the compiled kernel "
                 "allows %zu on %s",
                 threads, kernel->max_work_group_size, p->device->info.name);
        be->release(kernel);
        return fail_outcome(arena, r, TSR_OUTCOME_INVALID, why.msg);
    }
    if (options->on_stage)
        options->on_stage(options->on_stage_ctx, TSR_EVAL_BUILT);
    tsr_status st = run_and_time(p, kernel, geometry, options, arena, r);
    be->release(kernel);
    return st == TSR_OK ? TSR_OK : tsr_fail(err, st, "out of memory");
}

tsr_status tsr_evaluate(tsr_problem *p, const tsr_profile *profile, const tsr_config *config,
                        const tsr_eval_options *options, tsr_arena *arena, tsr_result *r,
                        tsr_error *err)
{
    const tsr_op_def *op = p->spec->op;
    tsr_error why = {{0}};
    if (op->check(p->spec, profile, config, &why) != TSR_OK)
        return fail_outcome(arena, r, TSR_OUTCOME_INVALID, why.msg);
    tsr_kernel_text text;
    tsr_status st =
        tsr_kernel_generate(p->spec, profile, config, p->device->backend->dialect, &text, &why);
    if (st == TSR_ERR_NOMEM)
        return tsr_fail(err, st, "%s", why.msg);
    if (st != TSR_OK)
        return fail_outcome(arena, r, TSR_OUTCOME_INVALID, why.msg);
    r->source = tsr_arena_strdup(arena, text.source);
    r->kernel_name = tsr_arena_strdup(arena, text.kernel_name);
    r->language = text.language;
    r->geometry = tsr_arena_strdup(arena, text.geometry);
    r->args = tsr_arena_strdup(arena, text.args);
    /* The printed kernel's rule: the op's, and the dynamic shared memory
     * the dialect may have moved its arrays into. */
    tsr_geometry geometry;
    tsr_geometry_apply(&text.rule, &p->shape, &geometry);
    tsr_kernel_text_free(&text);
    if (!r->source || !r->kernel_name || !r->geometry || !r->args)
        return tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    return tsr_evaluate_source(p, r->source, r->kernel_name, &geometry, options, arena, r, err);
}

tsr_status tsr_problem_check_reference(tsr_problem *p, double *max_error, double *reference_ms,
                                       tsr_error *err)
{
    const tsr_opspec *spec = p->spec;
    if (strcmp(spec->op->name, "gemm") != 0)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED, "the reference library checks GEMM only, not %s",
                        spec->op->name);
    bool wide = spec->output == TSR_F64; /* DGEMM, all in double */
    if (spec->output != TSR_F32 && !wide)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "the reference library's GEMM writes an f32 or f64 C, not %s",
                        tsr_dtype_name(spec->output));
    /* The library's one plain SGEMM has no epilogue and no batch (an
     * optional dim off its default). */
    bool batched = false;
    for (int d = 0; d < spec->op->n_dims; d++)
        batched =
            batched || (spec->op->dim_default[d] && tsr_shape_dim_written(spec->op, &p->shape, d));
    if (spec->bias != TSR_BIAS_NONE || spec->activation != TSR_ACT_NONE || spec->residual ||
        batched)
        return tsr_fail(err, TSR_ERR_UNSUPPORTED,
                        "the reference library checks plain SGEMM only, without an epilogue or a "
                        "batch");
    /* The library writes into its own copy of C, which starts as ours did. */
    size_t n = p->elems[2], elem = wide ? sizeof(double) : sizeof(float);
    tsr_buffer *c = NULL;
    tsr_status st = p->device->backend->alloc(p->device, n * elem, &c, err);
    if (st == TSR_OK)
        st = p->device->backend->write(c, p->host[2], n * elem, err);
    bool a_col = spec->layout_a == TSR_COL_MAJOR, b_col = spec->layout_b == TSR_COL_MAJOR;
    int m = (int)p->shape.dim[0], cols = (int)p->shape.dim[1], k = (int)p->shape.dim[2];
    if (st == TSR_OK && wide)
        st = tsr_gemm_ref_dgemm(p->device, a_col, b_col, m, cols, k, spec->alpha, p->dev[0],
                                p->dev[1], spec->beta, c, reference_ms, err);
    else if (st == TSR_OK)
        st = tsr_gemm_ref_gemm(p->device, spec->tf32 ? TSR_TF32 : spec->dtype, a_col, b_col, m,
                               cols, k, (float)spec->alpha, p->dev[0], p->dev[1], (float)spec->beta,
                               c, reference_ms, err);
    void *theirs = st == TSR_OK ? malloc(n * elem) : NULL;
    if (st == TSR_OK && !theirs)
        st = tsr_fail(err, TSR_ERR_NOMEM, "out of memory");
    if (st == TSR_OK)
        st = p->device->backend->read(c, theirs, n * elem, err);
    if (st == TSR_OK) {
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            double scale = p->magnitude[i] > 0 ? p->magnitude[i] : 1.0;
            double their = wide ? ((double *)theirs)[i] : (double)((float *)theirs)[i];
            double e = fabs(output_value(p, i) - their) / scale;
            worst = isnan(e) ? INFINITY : fmax(worst, e);
        }
        *max_error = worst;
    }
    free(theirs);
    if (c)
        p->device->backend->free(c);
    return st;
}

tsr_status tsr_compile_only(tsr_problem *p, const tsr_profile *profile, const tsr_config *config,
                            double *build_s, char *why, size_t why_size)
{
    const tsr_op_def *op = p->spec->op;
    const tsr_backend *be = p->device->backend;
    tsr_error e = {{0}};
    *build_s = 0;
    tsr_kernel_text text = {0};
    tsr_status st = op->check(p->spec, profile, config, &e);
    if (st == TSR_OK)
        st = tsr_kernel_generate(p->spec, profile, config, be->dialect, &text, &e);
    tsr_kernel *kernel = NULL;
    double started = now_s();
    if (st == TSR_OK)
        st = be->compile(p->device, text.source, text.kernel_name, NULL, &kernel, &e);
    /* A driver that compiles for the work-group size at the first launch
     * (PoCL) keeps that in its own cache too: launch one work-group of the
     * size, unchecked; the whole grid would run the kernel for nothing. */
    if (st == TSR_OK && p->device->info.compiles_at_first_launch) {
        tsr_geometry geometry;
        tsr_geometry_apply(&text.rule, &p->shape, &geometry);
        geometry.groups[0] = geometry.groups[1] = geometry.groups[2] = 1;
        size_t threads = geometry.local[0] * geometry.local[1] * geometry.local[2];
        tsr_arg args[16];
        int n_args = 0;
        st = launch_args(p, &geometry, false, args, &n_args, &e);
        if (st == TSR_OK && threads <= kernel->max_work_group_size)
            st = be->launch(kernel, args, n_args, &geometry, NULL, &e);
    }
    *build_s = now_s() - started;
    if (kernel)
        be->release(kernel);
    tsr_kernel_text_free(&text);
    if (st != TSR_OK)
        snprintf(why, why_size, "%s", e.msg);
    return st;
}
