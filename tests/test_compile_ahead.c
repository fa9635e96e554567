/* Compile-ahead processes (runner/compile_ahead.h) on the device in
 * $TSR_TEST_DEVICE (default opencl:0, PoCL): queued configs compile in
 * other processes and the evaluation that follows finds them done; one that
 * does not compile is reported as failed, one past the time limit as timed
 * out; in the quiet mode (a CPU device) nothing compiles while a candidate
 * is timed; processes that cannot set up cost nothing but the saving. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/opspec.h"
#include "core/profile.h"
#include "devices/devices.h"
#include "runner/compile_ahead.h"
#include "tests/check.h"

typedef struct fixture {
    tsr_opspec *spec;
    tsr_profile *profile;
    char *yaml;
    char spec_path[1024];
    tsr_worker_setup setup;
    char configs[3][512]; /* three valid configs near the default */
} fixture;

static bool fixture_open(fixture *f, double timeout_s, const char *device)
{
    memset(f, 0, sizeof *f);
    const char *exe = getenv("TESSERA_EXE");
    snprintf(f->spec_path, sizeof f->spec_path, "%s/ops/sgemm.yaml", check_source_root());
    tsr_error err = {{0}};
    tsr_device *live = NULL;
    CHECK_MSG(exe != NULL, "TESSERA_EXE is not set (meson sets it)");
    CHECK_MSG(tsr_opspec_load(f->spec_path, &f->spec, &err) == TSR_OK, "%s", err.msg);
    CHECK_MSG(tsr_device_open(check_device_id(), &live, &err) == TSR_OK, "%s", err.msg);
    if (!exe || !f->spec || !live) {
        if (live)
            tsr_device_close(live);
        return false;
    }
    char profiles[1024];
    snprintf(profiles, sizeof profiles, "%s/profiles", check_source_root());
    CHECK_MSG(tsr_profile_find_for_device(profiles, &live->info, &f->profile, &err) == TSR_OK, "%s",
              err.msg);
    tsr_device_close(live);
    if (!f->profile || !(f->yaml = tsr_profile_format(f->profile)))
        return false;
    f->setup = (tsr_worker_setup){.exe = exe,
                                  .spec_path = f->spec_path,
                                  .profile_yaml = f->yaml,
                                  .device_id = device,
                                  .shape = "m=67,n=45,k=39",
                                  .seed = 3,
                                  .timeout_s = timeout_s};
    const char *changes[3] = {"", "KU=2", "VW=2"};
    for (int i = 0; i < 3; i++) {
        tsr_config config;
        tsr_config_default(f->spec->op, &config);
        CHECK_MSG(tsr_config_parse(f->spec->op, changes[i], &config, &err) == TSR_OK, "%s",
                  err.msg);
        tsr_config_format(f->spec->op, &config, f->configs[i], sizeof f->configs[i]);
    }
    return true;
}

static void fixture_close(fixture *f)
{
    free(f->yaml);
    tsr_profile_free(f->profile);
    tsr_opspec_free(f->spec);
}

static void queued_configs_compile_and_a_bad_one_fails(void)
{
    fixture f;
    if (!fixture_open(&f, 60, check_device_id()))
        return fixture_close(&f);
    tsr_compile_ahead *ahead = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_compile_ahead_create(&f.setup, 2, false, &ahead, &err) == TSR_OK, "%s", err.msg);
    if (!ahead)
        return fixture_close(&f);
    /* A config the op refuses (threads beyond any work-group). */
    const char *bad = "BM=128,BN=128,TM=1,TN=1";
    const char *list[5] = {f.configs[0], f.configs[1], bad, f.configs[2], f.configs[0]};
    CHECK(tsr_compile_ahead_queue(ahead, list, 5, &err) == TSR_OK);
    double seconds = 0;
    for (int i = 0; i < 3; i++) {
        tsr_compile_ahead_outcome got = tsr_compile_ahead_wait(ahead, f.configs[i], &seconds);
        CHECK_MSG(got == TSR_AHEAD_COMPILED, "%s: outcome %d", f.configs[i], (int)got);
        CHECK(seconds > 0);
    }
    CHECK(tsr_compile_ahead_wait(ahead, bad, &seconds) == TSR_AHEAD_FAILED);
    /* Never queued: nothing to wait for. */
    CHECK(tsr_compile_ahead_wait(ahead, "KU=8", &seconds) == TSR_AHEAD_NOT_COMPILED);
    tsr_compile_ahead_stats st;
    tsr_compile_ahead_stats_get(ahead, &st);
    CHECK_MSG(st.queued == 4 && st.compiled == 3 && st.failed == 1 && st.killed == 0,
              "queued %d compiled %d failed %d killed %d", st.queued, st.compiled, st.failed,
              st.killed);
    CHECK(st.busy_s > 0);
    tsr_compile_ahead_free(ahead);
    fixture_close(&f);
}

static void the_quiet_mode_compiles_a_batch_only_when_one_is_needed(void)
{
    fixture f;
    if (!fixture_open(&f, 60, check_device_id()))
        return fixture_close(&f);
    tsr_compile_ahead *ahead = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_compile_ahead_create(&f.setup, 2, true, &ahead, &err) == TSR_OK);
    if (!ahead)
        return fixture_close(&f);
    const char *list[3] = {f.configs[0], f.configs[1], f.configs[2]};
    CHECK(tsr_compile_ahead_queue(ahead, list, 3, &err) == TSR_OK);
    tsr_compile_ahead_stats st;
    tsr_compile_ahead_stats_get(ahead, &st);
    CHECK(st.compiled == 0); /* queued, not started: something may be timed now */
    double seconds;
    int compiled_after[3];
    for (int i = 0; i < 3; i++) {
        CHECK(tsr_compile_ahead_wait(ahead, f.configs[i], &seconds) == TSR_AHEAD_COMPILED);
        tsr_compile_ahead_stats_get(ahead, &st);
        compiled_after[i] = st.compiled;
    }
    /* Two processes: the first wait compiles a batch of two (three when
     * the second config's process finished first and took the third while
     * the first was still compiling) and returns with none running; the
     * second finds its config done; the third compiles alone if need be. */
    CHECK_MSG(compiled_after[0] >= 2 && compiled_after[1] == compiled_after[0] &&
                  compiled_after[2] == 3,
              "compiled after each wait: %d %d %d", compiled_after[0], compiled_after[1],
              compiled_after[2]);
    tsr_compile_ahead_free(ahead);
    fixture_close(&f);
}

static void a_compile_past_the_limit_is_killed_and_said(void)
{
    fixture f;
    if (!fixture_open(&f, 1e-6, check_device_id()))
        return fixture_close(&f);
    tsr_compile_ahead *ahead = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_compile_ahead_create(&f.setup, 1, false, &ahead, &err) == TSR_OK);
    if (!ahead)
        return fixture_close(&f);
    const char *list[1] = {f.configs[1]};
    CHECK(tsr_compile_ahead_queue(ahead, list, 1, &err) == TSR_OK);
    double seconds = 0;
    CHECK(tsr_compile_ahead_wait(ahead, f.configs[1], &seconds) == TSR_AHEAD_TIMED_OUT);
    tsr_compile_ahead_stats st;
    tsr_compile_ahead_stats_get(ahead, &st);
    CHECK(st.killed == 1 && st.compiled == 0);
    tsr_compile_ahead_free(ahead);
    fixture_close(&f);
}

static void processes_that_cannot_set_up_cost_only_the_saving(void)
{
    fixture f;
    if (!fixture_open(&f, 60, "opencl:99"))
        return fixture_close(&f);
    tsr_compile_ahead *ahead = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_compile_ahead_create(&f.setup, 2, false, &ahead, &err) == TSR_OK);
    if (!ahead)
        return fixture_close(&f);
    const char *list[3] = {f.configs[0], f.configs[1], f.configs[2]};
    CHECK(tsr_compile_ahead_queue(ahead, list, 3, &err) == TSR_OK);
    double seconds;
    for (int i = 0; i < 3; i++)
        CHECK(tsr_compile_ahead_wait(ahead, f.configs[i], &seconds) == TSR_AHEAD_NOT_COMPILED);
    tsr_compile_ahead_free(ahead);
    fixture_close(&f);
}

/* The build and first launch of `config` in an evaluation worker, in s. */
static double evaluation_compile_s(tsr_worker *worker, const char *config)
{
    tsr_worker_job job = {.config = config};
    tsr_arena *arena = tsr_arena_create();
    tsr_result r;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_worker_evaluate(worker, &job, arena, &r, &err) == TSR_OK, "%s", err.msg);
    CHECK_MSG(r.outcome == TSR_OUTCOME_OK, "%s: %s", tsr_outcome_name(r.outcome),
              r.reason ? r.reason : "");
    double seconds = r.build_s + r.check_s;
    tsr_arena_destroy(arena);
    return seconds;
}

static void an_evaluation_after_compiling_ahead_skips_the_compiler(void)
{
    /* Every process from here on starts with an empty PoCL kernel cache of
     * its own (the variable means nothing to other drivers), so that the
     * one config compiled ahead is the only one there. */
    char cache[64];
    snprintf(cache, sizeof cache, "/tmp/tsr-ahead-pocl-XXXXXX");
    CHECK(mkdtemp(cache) != NULL);
    setenv("POCL_CACHE_DIR", cache, 1);
    fixture f;
    if (!fixture_open(&f, 60, check_device_id()))
        return fixture_close(&f);
    tsr_compile_ahead *ahead = NULL;
    tsr_worker *worker = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_compile_ahead_create(&f.setup, 1, false, &ahead, &err) == TSR_OK);
    CHECK(tsr_worker_create(&f.setup, &worker, &err) == TSR_OK);
    if (ahead && worker) {
        const char *list[1] = {f.configs[1]};
        double ahead_s = 0;
        CHECK(tsr_compile_ahead_queue(ahead, list, 1, &err) == TSR_OK);
        CHECK(tsr_compile_ahead_wait(ahead, f.configs[1], &ahead_s) == TSR_AHEAD_COMPILED);
        double cold = evaluation_compile_s(worker, f.configs[2]);
        double warm = evaluation_compile_s(worker, f.configs[1]);
        printf("note compiling ahead took %.2f s; then the evaluation compiled and first ran it "
               "in %.2f s, against %.2f s for a config not compiled ahead\n",
               ahead_s, warm, cold);
        CHECK_MSG(warm < cold, "compiled ahead %.3f s, not %.3f s", warm, cold);
    }
    tsr_worker_free(worker);
    tsr_compile_ahead_free(ahead);
    fixture_close(&f);
    unsetenv("POCL_CACHE_DIR");
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", cache);
    CHECK(system(command) == 0);
}

int main(void)
{
    RUN_TEST(queued_configs_compile_and_a_bad_one_fails);
    RUN_TEST(the_quiet_mode_compiles_a_batch_only_when_one_is_needed);
    RUN_TEST(a_compile_past_the_limit_is_killed_and_said);
    RUN_TEST(processes_that_cannot_set_up_cost_only_the_saving);
    /* Last: it points PoCL's cache elsewhere for the processes it starts. */
    if (strncmp(check_device_id(), "opencl:", 7) == 0)
        RUN_TEST(an_evaluation_after_compiling_ahead_skips_the_compiler);
    return check_summary();
}
