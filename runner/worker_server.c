/* The worker's side (see worker.h): set up once, then evaluate candidates
 * as the parent asks, replying with each outcome. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "core/opspec.h"
#include "core/profile.h"
#include "runner/worker.h"
#include "runner/worker_wire.h"

tsr_eval_options tsr_tuning_eval_options(double best_ms)
{
    return (tsr_eval_options){
        .min_runs = 3,
        .max_runs = 10,
        .min_seconds = 0.05,
        .abandon_ms = best_ms > 0 ? 4.0 * best_ms : 0,
    };
}

typedef struct server {
    int in, out;
    tsr_opspec *spec;
    tsr_profile *profile;
    tsr_device *device;
    tsr_problem *problem;
} server;

static bool reply_ready(server *s, const char *error)
{
    tsr_wire_frame f;
    tsr_wire_begin(&f, TSR_WIRE_READY);
    tsr_wire_put(&f, error);
    return tsr_wire_send(s->out, &f);
}

/* SETUP: spec path, profile YAML, device id, shape, seed, role ("compile"
 * for a compile-ahead process, which needs no reference). */
static tsr_status set_up(server *s, tsr_wire_reader *r, tsr_error *err)
{
    const char *spec_path = tsr_wire_next(r), *profile_yaml = tsr_wire_next(r);
    const char *device_id = tsr_wire_next(r), *shape_text = tsr_wire_next(r);
    const char *seed = tsr_wire_next(r), *role = tsr_wire_next(r);
    if (!role)
        return tsr_fail(err, TSR_ERR_INPUT, "worker: a malformed setup request");
    TSR_TRY(tsr_opspec_load(spec_path, &s->spec, err));
    TSR_TRY(tsr_profile_parse("(the tuner's profile)", profile_yaml, strlen(profile_yaml),
                              &s->profile, err));
    TSR_TRY(tsr_device_open(device_id, &s->device, err));
    tsr_shape shape;
    TSR_TRY(tsr_shape_parse(s->spec->op, shape_text, &shape, err));
    if (strcmp(role, "compile") == 0)
        return tsr_problem_create_for_compiling(s->device, s->spec, &shape, &s->problem, err);
    return tsr_problem_create(s->device, s->spec, &shape, strtoull(seed, NULL, 10), &s->problem,
                              err);
}

static void tell_stage(void *ctx, tsr_eval_stage stage)
{
    server *s = ctx;
    tsr_wire_frame f;
    tsr_wire_begin(&f, stage == TSR_EVAL_BUILT ? TSR_WIRE_BUILT : TSR_WIRE_LAUNCHED);
    if (stage == TSR_EVAL_BUILT) /* does the first launch compile? */
        tsr_wire_put(&f, s->device->info.compiles_at_first_launch ? "1" : "0");
    tsr_wire_send(s->out, &f);
}

static bool reply_result(server *s, const tsr_result *r)
{
    tsr_wire_frame f;
    tsr_wire_begin(&f, TSR_WIRE_RESULT);
    tsr_wire_put(&f, tsr_outcome_name(r->outcome));
    tsr_wire_put(&f, r->reason);
    tsr_wire_put_number(&f, r->time_ms);
    tsr_wire_put_number(&f, r->gflops);
    tsr_wire_put_number(&f, r->max_error);
    tsr_wire_put(&f, r->kernel_name);
    tsr_wire_put(&f, r->source);
    tsr_wire_put(&f, r->language);
    tsr_wire_put(&f, r->geometry);
    tsr_wire_put(&f, r->args);
    tsr_wire_put_number(&f, r->build_s);
    tsr_wire_put_number(&f, r->check_s);
    tsr_wire_put_number(&f, r->timing_s);
    return tsr_wire_send(s->out, &f);
}

/* CONFIG: config text, best ms. SOURCE: source, kernel name, dims, then
 * groups[3] and local[3], best ms. */
static tsr_status evaluate(server *s, tsr_wire_reader *r, tsr_arena *arena, tsr_result *result,
                           tsr_error *err)
{
    memset(result, 0, sizeof *result);
    if (r->tag == TSR_WIRE_CONFIG) {
        const char *config_text = tsr_wire_next(r);
        double best_ms = tsr_wire_next_number(r);
        tsr_eval_options options = tsr_tuning_eval_options(best_ms);
        options.on_stage = tell_stage;
        options.on_stage_ctx = s;
        tsr_config config;
        tsr_config_default(s->spec->op, &config);
        TSR_TRY(tsr_config_parse(s->spec->op, config_text ? config_text : "", &config, err));
        return tsr_evaluate(s->problem, s->profile, &config, &options, arena, result, err);
    }
    const char *source = tsr_wire_next(r), *kernel_name = tsr_wire_next(r);
    tsr_geometry g = {.dims = (int)tsr_wire_next_number(r)};
    for (int d = 0; d < 3; d++)
        g.groups[d] = (size_t)tsr_wire_next_number(r);
    for (int d = 0; d < 3; d++)
        g.local[d] = (size_t)tsr_wire_next_number(r);
    tsr_eval_options options = tsr_tuning_eval_options(tsr_wire_next_number(r));
    options.on_stage = tell_stage;
    options.on_stage_ctx = s;
    if (!kernel_name || g.dims < 1 || g.dims > 3)
        return tsr_fail(err, TSR_ERR_INPUT, "worker: a malformed kernel request");
    return tsr_evaluate_source(s->problem, source, kernel_name, &g, &options, arena, result, err);
}

/* COMPILE: config text. Replies COMPILED: "" or why it did not compile,
 * and the seconds it took. */
static bool compile_ahead(server *s, tsr_wire_reader *r)
{
    const char *config_text = tsr_wire_next(r);
    tsr_error err = {{0}};
    char why[sizeof err.msg] = "";
    double build_s = 0;
    tsr_config config;
    tsr_config_default(s->spec->op, &config);
    if (tsr_config_parse(s->spec->op, config_text ? config_text : "", &config, &err) != TSR_OK)
        snprintf(why, sizeof why, "%s", err.msg);
    else if (tsr_compile_only(s->problem, s->profile, &config, &build_s, why, sizeof why) == TSR_OK)
        why[0] = '\0';
    else if (!why[0])
        snprintf(why, sizeof why, "did not compile");
    tsr_wire_frame f;
    tsr_wire_begin(&f, TSR_WIRE_COMPILED);
    tsr_wire_put(&f, why);
    tsr_wire_put_number(&f, build_s);
    return tsr_wire_send(s->out, &f);
}

static void tear_down(server *s)
{
    tsr_problem_free(s->problem);
    if (s->device)
        tsr_device_close(s->device);
    tsr_profile_free(s->profile);
    tsr_opspec_free(s->spec);
}

int tsr_worker_serve(int in_fd, int out_fd)
{
    /* Ctrl-C reaches the whole process group: the parent decides when to
     * stop, after the candidate in flight. A parent that dies takes the
     * worker with it, even one stuck in a kernel. */
    signal(SIGINT, SIG_IGN);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    server s = {.in = in_fd, .out = out_fd};
    tsr_wire_reader r;
    if (tsr_wire_receive(in_fd, -1, &r) != TSR_WIRE_OK || r.tag != TSR_WIRE_SETUP)
        return 2;
    tsr_error err = {{0}};
    tsr_status st = set_up(&s, &r, &err);
    tsr_wire_release(&r);
    if (!reply_ready(&s, st == TSR_OK ? "" : err.msg) || st != TSR_OK) {
        tear_down(&s);
        return 1;
    }
    int status = 0;
    for (;;) {
        tsr_wire_status ws = tsr_wire_receive(in_fd, -1, &r);
        if (ws == TSR_WIRE_CLOSED)
            break; /* the parent is done */
        if (ws == TSR_WIRE_OK && r.tag == TSR_WIRE_COMPILE) {
            bool sent = compile_ahead(&s, &r);
            tsr_wire_release(&r);
            if (!sent)
                break;
            continue;
        }
        if (ws != TSR_WIRE_OK || (r.tag != TSR_WIRE_CONFIG && r.tag != TSR_WIRE_SOURCE)) {
            tsr_wire_release(&r);
            status = 2;
            break;
        }
        tsr_arena *arena = tsr_arena_create();
        tsr_result result;
        st = arena ? evaluate(&s, &r, arena, &result, &err)
                   : tsr_fail(&err, TSR_ERR_NOMEM, "worker: out of memory");
        tsr_wire_release(&r);
        if (st != TSR_OK) { /* evaluation itself broke down: say so as an outcome */
            memset(&result, 0, sizeof result);
            result.outcome = TSR_OUTCOME_LAUNCH_FAILED;
            result.reason = err.msg;
        }
        bool sent = reply_result(&s, &result);
        /* After a launch failure a GPU context may refuse all later work:
         * end here, and the parent starts a fresh worker. */
        bool restart = result.outcome == TSR_OUTCOME_LAUNCH_FAILED;
        tsr_arena_destroy(arena);
        if (!sent || restart)
            break;
    }
    tear_down(&s);
    return status;
}
