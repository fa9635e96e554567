/* The results store: schema, round trips, best-result queries, refusal of
 * files that are not ours, and survival of a writer killed mid-run. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/store.h"
#include "tests/check.h"

static char temp_dir[64];

static const char *temp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", temp_dir, name);
    return path;
}

static tsr_result sample_result(const char *shape, const char *config, tsr_outcome outcome,
                                double time_ms)
{
    tsr_result r = {
        .op_key = "gemm.f32.a=row.b=row.beta=1",
        .op = "gemm",
        .spec_name = "sgemm-nn",
        .device = "opencl|pocl|cpu|6.0",
        .profile = "pocl-cpu",
        .shape = shape,
        .config = config,
        .outcome = outcome,
        .reason = outcome == TSR_OUTCOME_OK ? NULL : "why it failed",
        .time_ms = time_ms,
        .gflops = time_ms > 0 ? 2.0 / time_ms : 0,
        .max_error = 1.5e-7,
        .kernel_name = "gemm_kernel",
        .source = "__kernel void gemm_kernel(void) {}\n",
        .language = "opencl",
        .geometry = "n/64x16,m/64x16",
        .args = "buffer:A,buffer:B,buffer:C,int:M,int:N,int:K,float:alpha,float:beta",
    };
    return r;
}

static tsr_store *open_store(const char *name)
{
    tsr_store *store = NULL;
    tsr_error err = {{0}};
    tsr_status status = tsr_store_open(temp_path(name), &store, &err);
    CHECK_MSG(status == TSR_OK, "%s", err.msg);
    return store;
}

static bool str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void outcome_names_are_the_documented_ones(void)
{
    CHECK(strcmp(tsr_outcome_name(TSR_OUTCOME_OK), "ok") == 0);
    CHECK(strcmp(tsr_outcome_name(TSR_OUTCOME_INVALID), "invalid") == 0);
    CHECK(strcmp(tsr_outcome_name(TSR_OUTCOME_BUILD_FAILED), "build-failed") == 0);
    CHECK(strcmp(tsr_outcome_name(TSR_OUTCOME_LAUNCH_FAILED), "launch-failed") == 0);
    CHECK(strcmp(tsr_outcome_name(TSR_OUTCOME_TIMEOUT), "timeout") == 0);
    CHECK(strcmp(tsr_outcome_name(TSR_OUTCOME_CRASHED), "crashed") == 0);
    CHECK(strcmp(tsr_outcome_name(TSR_OUTCOME_WRONG), "wrong") == 0);
}

static void new_store_is_created_and_reopens_with_its_results(void)
{
    tsr_store *store = open_store("reopen.db");
    if (!store)
        return;
    tsr_error err = {{0}};
    tsr_result r = sample_result("m=64,n=64,k=64", "BM=16", TSR_OUTCOME_OK, 1.25);
    CHECK(tsr_store_put(store, &r, &err) == TSR_OK);
    tsr_store_close(store);

    store = open_store("reopen.db");
    if (!store)
        return;
    tsr_arena *arena = tsr_arena_create();
    tsr_result got;
    bool found = false;
    CHECK(tsr_store_get(store, arena, r.op_key, r.device, r.shape, r.config, &got, &found, &err) ==
          TSR_OK);
    CHECK(found && got.time_ms == 1.25);
    tsr_arena_destroy(arena);
    tsr_store_close(store);
}

static void put_then_get_round_trips_every_field(void)
{
    tsr_store *store = open_store("roundtrip.db");
    if (!store)
        return;
    tsr_error err = {{0}};
    tsr_result r = sample_result("m=33,n=7,k=1", "BM=32,BN=8", TSR_OUTCOME_WRONG, 0.1);
    r.max_error = 0.0123456789012345678;
    r.source = "line one\n\"quoted\" \\ back\ttab\n";
    CHECK(tsr_store_put(store, &r, &err) == TSR_OK);

    tsr_arena *arena = tsr_arena_create();
    tsr_result got;
    bool found = false;
    CHECK(tsr_store_get(store, arena, r.op_key, r.device, r.shape, r.config, &got, &found, &err) ==
          TSR_OK);
    CHECK(found);
    tsr_store_close(store); /* strings must live in the arena, not in SQLite */
    if (found) {
        CHECK(str_eq(got.op_key, r.op_key) && str_eq(got.op, r.op));
        CHECK(str_eq(got.spec_name, r.spec_name) && str_eq(got.device, r.device));
        CHECK(str_eq(got.profile, r.profile) && str_eq(got.shape, r.shape));
        CHECK(str_eq(got.config, r.config) && got.outcome == TSR_OUTCOME_WRONG);
        CHECK(str_eq(got.reason, r.reason));
        CHECK(got.time_ms == r.time_ms && got.gflops == r.gflops);
        CHECK(got.max_error == r.max_error);
        CHECK(str_eq(got.kernel_name, r.kernel_name) && str_eq(got.source, r.source));
        CHECK(str_eq(got.language, r.language) && str_eq(got.geometry, r.geometry));
        CHECK(str_eq(got.args, r.args));
        /* "2024-05-01T12:00:00Z" */
        CHECK_MSG(got.created && strlen(got.created) == 20 && got.created[10] == 'T' &&
                      got.created[19] == 'Z',
                  "created = %s", got.created ? got.created : "(null)");
    }
    tsr_arena_destroy(arena);
}

static void nan_and_null_fields_survive_the_round_trip(void)
{
    tsr_store *store = open_store("nan.db");
    if (!store)
        return;
    tsr_error err = {{0}};
    tsr_result r = sample_result("m=1,n=1,k=1", "BM=8", TSR_OUTCOME_WRONG, 0);
    r.max_error = NAN;
    r.source = NULL;
    CHECK(tsr_store_put(store, &r, &err) == TSR_OK);
    tsr_arena *arena = tsr_arena_create();
    tsr_result got;
    bool found = false;
    CHECK(tsr_store_get(store, arena, r.op_key, r.device, r.shape, r.config, &got, &found, &err) ==
          TSR_OK);
    CHECK(found && isnan(got.max_error) && got.source == NULL);
    tsr_arena_destroy(arena);
    tsr_store_close(store);
}

static void put_with_the_same_key_replaces_the_result(void)
{
    tsr_store *store = open_store("upsert.db");
    if (!store)
        return;
    tsr_error err = {{0}};
    tsr_result r = sample_result("m=64,n=64,k=64", "BM=16", TSR_OUTCOME_BUILD_FAILED, 0);
    CHECK(tsr_store_put(store, &r, &err) == TSR_OK);
    r = sample_result("m=64,n=64,k=64", "BM=16", TSR_OUTCOME_OK, 3.5);
    CHECK(tsr_store_put(store, &r, &err) == TSR_OK);

    int counts[TSR_OUTCOME_COUNT];
    CHECK(tsr_store_count(store, r.op_key, r.device, r.shape, counts, &err) == TSR_OK);
    CHECK(counts[TSR_OUTCOME_OK] == 1 && counts[TSR_OUTCOME_BUILD_FAILED] == 0);
    tsr_arena *arena = tsr_arena_create();
    tsr_result got;
    bool found = false;
    CHECK(tsr_store_get(store, arena, r.op_key, r.device, r.shape, r.config, &got, &found, &err) ==
          TSR_OK);
    CHECK(found && got.outcome == TSR_OUTCOME_OK && got.time_ms == 3.5 && got.reason == NULL);
    tsr_arena_destroy(arena);
    tsr_store_close(store);
}

static void best_is_the_fastest_ok_result_and_ignores_failures(void)
{
    tsr_store *store = open_store("best.db");
    if (!store)
        return;
    tsr_error err = {{0}};
    const char *shape = "m=128,n=128,k=128";
    tsr_result rows[] = {
        sample_result(shape, "BM=16", TSR_OUTCOME_OK, 4.0),
        sample_result(shape, "BM=32", TSR_OUTCOME_OK, 2.0),
        sample_result(shape, "BM=64", TSR_OUTCOME_WRONG, 0.5),
        sample_result(shape, "BM=128", TSR_OUTCOME_LAUNCH_FAILED, 0.1),
        sample_result("m=256,n=256,k=256", "BM=8", TSR_OUTCOME_OK, 1.0),
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECK(tsr_store_put(store, &rows[i], &err) == TSR_OK);

    tsr_arena *arena = tsr_arena_create();
    tsr_result got;
    bool found = false;
    CHECK(tsr_store_best(store, arena, rows[0].op_key, rows[0].device, shape, &got, &found, &err) ==
          TSR_OK);
    CHECK(found && str_eq(got.config, "BM=32") && got.time_ms == 2.0);
    CHECK(tsr_store_best(store, arena, rows[0].op_key, "other-device", shape, &got, &found, &err) ==
          TSR_OK);
    CHECK(!found);
    tsr_arena_destroy(arena);
    tsr_store_close(store);
}

typedef struct walk_log {
    int n;
    char line[8][160];
} walk_log;

static tsr_status log_best(void *ctx, const tsr_result *best)
{
    walk_log *log = ctx;
    if (log->n < 8)
        snprintf(log->line[log->n], sizeof log->line[0], "%s|%s|%s|%s", best->op_key, best->device,
                 best->shape, best->config);
    log->n++;
    return TSR_OK;
}

static tsr_status stop_at_first(void *ctx, const tsr_result *best)
{
    (void)best;
    ++*(int *)ctx;
    return TSR_ERR_NOT_FOUND;
}

static void each_best_walks_in_key_order_and_filters_by_device(void)
{
    tsr_store *store = open_store("each.db");
    if (!store)
        return;
    tsr_error err = {{0}};
    tsr_result rows[] = {
        sample_result("m=2", "c=1", TSR_OUTCOME_OK, 5.0),
        sample_result("m=2", "c=2", TSR_OUTCOME_OK, 1.0),
        sample_result("m=1", "c=1", TSR_OUTCOME_OK, 2.0),
        sample_result("m=1", "c=3", TSR_OUTCOME_INVALID, 0.0),
        sample_result("m=3", "c=1", TSR_OUTCOME_WRONG, 1.0), /* no ok result: skipped */
        sample_result("m=1", "c=9", TSR_OUTCOME_OK, 7.0),
    };
    rows[5].device = "cuda|nvidia|h100";
    rows[2].op_key = "a.first";
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECK(tsr_store_put(store, &rows[i], &err) == TSR_OK);

    walk_log log = {0};
    CHECK(tsr_store_each_best(store, NULL, log_best, &log, &err) == TSR_OK);
    CHECK_MSG(log.n == 3, "walked %d", log.n);
    const char *key = rows[0].op_key, *dev = rows[0].device;
    char want[3][160];
    snprintf(want[0], sizeof want[0], "a.first|%s|m=1|c=1", dev);
    snprintf(want[1], sizeof want[1], "%s|cuda|nvidia|h100|m=1|c=9", key);
    snprintf(want[2], sizeof want[2], "%s|%s|m=2|c=2", key, dev);
    for (int i = 0; i < 3 && i < log.n; i++)
        CHECK_MSG(strcmp(log.line[i], want[i]) == 0, "row %d: %s", i, log.line[i]);

    walk_log only = {0};
    CHECK(tsr_store_each_best(store, "cuda|nvidia|h100", log_best, &only, &err) == TSR_OK);
    CHECK(only.n == 1 && strcmp(only.line[0], want[1]) == 0);

    int visits = 0;
    CHECK(tsr_store_each_best(store, NULL, stop_at_first, &visits, &err) == TSR_ERR_NOT_FOUND);
    CHECK(visits == 1);
    tsr_store_close(store);
}

static void count_reports_each_outcome(void)
{
    tsr_store *store = open_store("count.db");
    if (!store)
        return;
    tsr_error err = {{0}};
    const char *shape = "m=9,n=9,k=9";
    tsr_outcome outcomes[] = {TSR_OUTCOME_OK,     TSR_OUTCOME_OK,           TSR_OUTCOME_INVALID,
                              TSR_OUTCOME_WRONG,  TSR_OUTCOME_BUILD_FAILED, TSR_OUTCOME_INVALID,
                              TSR_OUTCOME_INVALID};
    for (int i = 0; i < 7; i++) {
        char config[16];
        snprintf(config, sizeof config, "BM=%d", i);
        tsr_result r = sample_result(shape, config, outcomes[i], 1.0 + i);
        CHECK(tsr_store_put(store, &r, &err) == TSR_OK);
    }
    tsr_result other = sample_result("m=1,n=1,k=1", "BM=0", TSR_OUTCOME_OK, 1.0);
    CHECK(tsr_store_put(store, &other, &err) == TSR_OK);
    int counts[TSR_OUTCOME_COUNT];
    CHECK(tsr_store_count(store, other.op_key, other.device, shape, counts, &err) == TSR_OK);
    CHECK(counts[TSR_OUTCOME_OK] == 2 && counts[TSR_OUTCOME_INVALID] == 3);
    CHECK(counts[TSR_OUTCOME_WRONG] == 1 && counts[TSR_OUTCOME_BUILD_FAILED] == 1);
    CHECK(counts[TSR_OUTCOME_LAUNCH_FAILED] == 0);
    tsr_store_close(store);
}

/* Whole-file contents, to prove a refused open wrote nothing. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = malloc(1 << 20);
    *len = data ? fread(data, 1, 1 << 20, f) : 0;
    fclose(f);
    return data;
}

static void check_refused(const char *path, const char *expect)
{
    size_t before_len = 0, after_len = 0;
    char *before = slurp(path, &before_len);
    tsr_store *store = NULL;
    tsr_error err = {{0}};
    tsr_status status = tsr_store_open(path, &store, &err);
    CHECK(status == TSR_ERR_INPUT && store == NULL);
    CHECK_STR_CONTAINS(err.msg, path);
    CHECK_STR_CONTAINS(err.msg, expect);
    CHECK(strchr(err.msg, '\n') == NULL);
    char *after = slurp(path, &after_len);
    CHECK_MSG(before && after && before_len == after_len && memcmp(before, after, before_len) == 0,
              "%s changed", path);
    tsr_store_close(store);
    free(before);
    free(after);
}

static void text_file_is_refused_and_left_unchanged(void)
{
    const char *path = temp_path("notes.txt");
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    for (int i = 0; i < 200; i++)
        fprintf(f, "line %d: not a database at all\n", i);
    fclose(f);
    check_refused(path, "not a tessera results store (file is not a database)");
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK_MSG(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

static void database_of_another_program_is_refused_and_left_unchanged(void)
{
    const char *path = temp_path("foreign.db");
    exec_sql(path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);"
                   "INSERT INTO invoices (total) VALUES (12.5), (99.0);");
    check_refused(path, "not a tessera results store");
}

static void newer_schema_is_refused_and_left_unchanged(void)
{
    tsr_store *store = open_store("newer.db");
    tsr_store_close(store);
    const char *path = temp_path("newer.db");
    exec_sql(path, "PRAGMA user_version = 7");
    char expect[64];
    snprintf(expect, sizeof expect, "store schema 7 is newer than this tessera (schema %d)",
             TSR_STORE_SCHEMA);
    check_refused(path, expect);
}

static tsr_report_key sample_report_key(const char *sha)
{
    tsr_report_key key = {
        .op_key = "gemm.f32.a=row.b=row.beta=1",
        .profile = "nvidia-h100-sxm",
        .config = "BM=64,BN=64",
        .compiler = "nvcc",
        .target = "sm_90",
        .source_sha256 = sha,
        .compiler_id = "/usr/local/cuda/bin/nvcc (1234 bytes, modified 2026-01-01T00:00:00Z)",
    };
    return key;
}

static void reports_round_trip_and_stale_ones_are_not_found(void)
{
    tsr_store *store = open_store("reports.db");
    if (!store)
        return;
    tsr_error err = {{0}};
    tsr_report_key key = sample_report_key("aa11");
    tsr_resource_report r = {.ok = true,
                             .registers = 96,
                             .spill_bytes = 8,
                             .shared_bytes = 16384,
                             .private_bytes = 24,
                             .grf_mode = "",
                             .log = "ptxas info"};
    CHECK_MSG(tsr_store_put_report(store, &key, &r, 4, &err) == TSR_OK, "%s", err.msg);
    tsr_resource_report got;
    int blocks = -7;
    char created[32] = "";
    bool found = false;
    CHECK(tsr_store_get_report(store, &key, &got, &blocks, created, &found, &err) == TSR_OK);
    CHECK(found);
    CHECK(got.ok && got.registers == 96 && got.spill_bytes == 8 && got.shared_bytes == 16384 &&
          got.private_bytes == 24 && blocks == 4);
    CHECK(strcmp(got.compiler, "nvcc") == 0 && strcmp(got.target, "sm_90") == 0);
    CHECK(strcmp(got.log, "ptxas info") == 0);
    CHECK(strlen(created) == 20 && created[10] == 'T');

    /* Other source, or another build of the compiler: stale, not found. */
    tsr_report_key other = sample_report_key("bb22");
    CHECK(tsr_store_get_report(store, &other, &got, &blocks, created, &found, &err) == TSR_OK);
    CHECK(!found);
    other = sample_report_key("aa11");
    other.compiler_id = "/usr/local/cuda/bin/nvcc (999 bytes, modified 2027-01-01T00:00:00Z)";
    CHECK(tsr_store_get_report(store, &other, &got, &blocks, created, &found, &err) == TSR_OK);
    CHECK(!found);

    /* A new compile of the same key replaces the old report. */
    tsr_report_key newer = sample_report_key("bb22");
    r.registers = 128;
    CHECK(tsr_store_put_report(store, &newer, &r, 3, &err) == TSR_OK);
    CHECK(tsr_store_get_report(store, &newer, &got, &blocks, created, &found, &err) == TSR_OK);
    CHECK(found && got.registers == 128 && blocks == 3);
    CHECK(tsr_store_get_report(store, &key, &got, &blocks, created, &found, &err) == TSR_OK);
    CHECK(!found);

    /* A rejected kernel is stored as such, with its log. */
    tsr_report_key rejected = sample_report_key("cc33");
    rejected.config = "BM=128,BN=128";
    tsr_resource_report bad = {.ok = false, .log = "error: too many resources"};
    CHECK(tsr_store_put_report(store, &rejected, &bad, -1, &err) == TSR_OK);
    CHECK(tsr_store_get_report(store, &rejected, &got, &blocks, created, &found, &err) == TSR_OK);
    CHECK(found && !got.ok && blocks == -1 && strcmp(got.log, "error: too many resources") == 0);

    tsr_report_key incomplete = key;
    incomplete.source_sha256 = NULL;
    CHECK(tsr_store_put_report(store, &incomplete, &r, 1, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "report key");
    tsr_store_close(store);
}

/* Schema 4's outcome, a prediction of offline tuning, is stored and is its
 * device's best. */
static void check_predicted_is_accepted(const char *name)
{
    tsr_store *store = open_store(name);
    if (!store)
        return;
    tsr_error err = {{0}};
    tsr_arena *arena = tsr_arena_create();
    tsr_result guess = sample_result("m=8,n=8,k=8", "BM=32", TSR_OUTCOME_PREDICTED, 0.25);
    guess.device = "offline|NVIDIA|nvidia-h100-sxm|nvcc sm_90";
    CHECK_MSG(tsr_store_put(store, &guess, &err) == TSR_OK, "%s", err.msg);
    tsr_result best;
    bool found = false;
    CHECK(tsr_store_best(store, arena, guess.op_key, guess.device, "m=8,n=8,k=8", &best, &found,
                         &err) == TSR_OK);
    CHECK(found && best.outcome == TSR_OUTCOME_PREDICTED && best.time_ms == 0.25);
    tsr_arena_destroy(arena);
    tsr_store_close(store);
}

/* A store of schema 3 (seven outcomes) is copied into one that allows
 * predictions, keeping its results. */
static void schema_3_store_is_upgraded_to_allow_predictions(void)
{
    const char *path = temp_path("schema3.db");
    exec_sql(path,
             "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
             "INSERT INTO meta(key, value) VALUES ('application', 'tessera'),"
             " ('application_id', '1414746673'), ('schema', '3');"
             "CREATE TABLE results ("
             " op_key TEXT NOT NULL, device TEXT NOT NULL, shape TEXT NOT NULL,"
             " config TEXT NOT NULL, op TEXT, spec_name TEXT, profile TEXT,"
             " outcome TEXT NOT NULL CHECK (outcome IN"
             "  ('ok', 'invalid', 'build-failed', 'launch-failed', 'wrong', 'timeout',"
             "   'crashed')),"
             " reason TEXT, time_ms REAL, gflops REAL, max_error REAL,"
             " kernel_name TEXT, source TEXT, language TEXT, geometry TEXT, args TEXT,"
             " created TEXT NOT NULL, PRIMARY KEY (op_key, device, shape, config));"
             "CREATE INDEX results_best ON results (op_key, device, shape, outcome, time_ms);"
             "CREATE TABLE reports (op_key TEXT NOT NULL, profile TEXT NOT NULL,"
             " config TEXT NOT NULL, compiler TEXT NOT NULL, target TEXT NOT NULL,"
             " source_sha256 TEXT NOT NULL, compiler_id TEXT NOT NULL, ok INTEGER NOT NULL,"
             " registers INTEGER, sgprs INTEGER, agprs INTEGER, spill_bytes INTEGER,"
             " shared_bytes INTEGER, private_bytes INTEGER, occupancy_waves INTEGER,"
             " occupancy_blocks INTEGER, grf_mode TEXT, log TEXT, created TEXT NOT NULL,"
             " PRIMARY KEY (op_key, profile, config, compiler, target));"
             "INSERT INTO results VALUES ('gemm.f32.a=row.b=row.beta=1', 'opencl|pocl|cpu|6.0',"
             " 'm=8,n=8,k=8', 'BM=8', 'gemm', 'sgemm-nn', 'pocl-cpu', 'crashed', 'SIGSEGV', NULL,"
             " NULL, NULL, 'k', 'src', 'opencl', 'n/8x8', 'buffer:A', '2026-11-01T00:00:00Z');"
             "PRAGMA application_id = 1414746673; PRAGMA user_version = 3;");
    tsr_store *store = open_store("schema3.db");
    if (!store)
        return;
    tsr_error err = {{0}};
    tsr_arena *arena = tsr_arena_create();
    tsr_result got;
    bool found = false;
    CHECK(tsr_store_get(store, arena, "gemm.f32.a=row.b=row.beta=1", "opencl|pocl|cpu|6.0",
                        "m=8,n=8,k=8", "BM=8", &got, &found, &err) == TSR_OK);
    CHECK(found && got.outcome == TSR_OUTCOME_CRASHED && strcmp(got.reason, "SIGSEGV") == 0);
    tsr_arena_destroy(arena);
    tsr_store_close(store);
    check_predicted_is_accepted("schema3.db");
}

/* A store written by the first schema (results only) opens, keeps its
 * results, and gains the reports table. */
static void schema_1_store_is_upgraded_keeping_its_results(void)
{
    const char *path = temp_path("schema1.db");
    exec_sql(path,
             "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
             "INSERT INTO meta(key, value) VALUES ('application', 'tessera'),"
             " ('application_id', '1414746673'), ('schema', '1');"
             "CREATE TABLE results ("
             " op_key TEXT NOT NULL, device TEXT NOT NULL, shape TEXT NOT NULL,"
             " config TEXT NOT NULL, op TEXT, spec_name TEXT, profile TEXT,"
             " outcome TEXT NOT NULL CHECK (outcome IN"
             "  ('ok', 'invalid', 'build-failed', 'launch-failed', 'wrong')),"
             " reason TEXT, time_ms REAL, gflops REAL, max_error REAL,"
             " kernel_name TEXT, source TEXT, language TEXT, geometry TEXT, args TEXT,"
             " created TEXT NOT NULL, PRIMARY KEY (op_key, device, shape, config));"
             "CREATE INDEX results_best ON results (op_key, device, shape, outcome, time_ms);"
             "INSERT INTO results VALUES ('gemm.f32.a=row.b=row.beta=1', 'opencl|pocl|cpu|6.0',"
             " 'm=8,n=8,k=8', 'BM=8', 'gemm', 'sgemm-nn', 'pocl-cpu', 'ok', NULL, 0.5, 2.0,"
             " 1e-7, 'k', 'src', 'opencl', 'n/8x8', 'buffer:A', '2026-11-01T00:00:00Z');"
             "PRAGMA application_id = 1414746673; PRAGMA user_version = 1;");
    tsr_store *store = open_store("schema1.db");
    if (!store)
        return;
    tsr_error err = {{0}};
    tsr_arena *arena = tsr_arena_create();
    tsr_result best;
    bool found = false;
    CHECK(tsr_store_best(store, arena, "gemm.f32.a=row.b=row.beta=1", "opencl|pocl|cpu|6.0",
                         "m=8,n=8,k=8", &best, &found, &err) == TSR_OK);
    CHECK(found && strcmp(best.config, "BM=8") == 0 && best.time_ms == 0.5);
    tsr_report_key key = sample_report_key("aa11");
    tsr_resource_report r = {.ok = true, .registers = 40};
    CHECK_MSG(tsr_store_put_report(store, &key, &r, 6, &err) == TSR_OK, "%s", err.msg);
    /* The outcomes schema 3 added are accepted by the copied table. */
    tsr_result hung = sample_result("m=8,n=8,k=8", "BM=16", TSR_OUTCOME_TIMEOUT, 0);
    hung.op_key = "gemm.f32.a=row.b=row.beta=1";
    hung.device = "opencl|pocl|cpu|6.0";
    CHECK_MSG(tsr_store_put(store, &hung, &err) == TSR_OK, "%s", err.msg);
    tsr_result got;
    CHECK(tsr_store_get(store, arena, hung.op_key, hung.device, "m=8,n=8,k=8", "BM=16", &got,
                        &found, &err) == TSR_OK);
    CHECK(found && got.outcome == TSR_OUTCOME_TIMEOUT);
    tsr_arena_destroy(arena);
    tsr_store_close(store);
    check_predicted_is_accepted("schema1.db");

    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == TSR_STORE_SCHEMA);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

/* The child stores results in a loop and reports each committed index
 * through the pipe; the parent kills it mid-run. */
static void writer_child(int report_fd)
{
    tsr_store *store = NULL;
    tsr_error err;
    if (tsr_store_open(temp_path("killed.db"), &store, &err) != TSR_OK)
        _exit(3);
    for (int i = 0;; i++) {
        char config[32];
        snprintf(config, sizeof config, "BM=%d", i);
        tsr_result r = sample_result("m=5,n=5,k=5", config, TSR_OUTCOME_OK, 1.0 + i);
        if (tsr_store_put(store, &r, &err) != TSR_OK)
            _exit(4);
        if (write(report_fd, &i, sizeof i) != (ssize_t)sizeof i)
            _exit(5);
    }
}

static void store_survives_a_writer_killed_mid_run(void)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        writer_child(fds[1]);
    }
    close(fds[1]);
    int reported = 0, index = 0;
    while (reported < 40 && read(fds[0], &index, sizeof index) == (ssize_t)sizeof index)
        reported++;
    kill(pid, SIGKILL);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    CHECK(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);
    while (read(fds[0], &index, sizeof index) == (ssize_t)sizeof index)
        reported++; /* committed before the kill but not yet read */
    close(fds[0]);
    CHECK(reported >= 40);

    sqlite3 *db = NULL;
    CHECK(sqlite3_open(temp_path("killed.db"), &db) == SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    CHECK(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(stmt) == SQLITE_ROW &&
          strcmp((const char *)sqlite3_column_text(stmt, 0), "ok") == 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);

    tsr_store *store = open_store("killed.db");
    if (!store)
        return;
    tsr_arena *arena = tsr_arena_create();
    tsr_error err = {{0}};
    int missing = 0;
    for (int i = 0; i < reported; i++) {
        char config[32];
        snprintf(config, sizeof config, "BM=%d", i);
        tsr_result r = sample_result("m=5,n=5,k=5", config, TSR_OUTCOME_OK, 0);
        tsr_result got;
        bool found = false;
        if (tsr_store_get(store, arena, r.op_key, r.device, r.shape, r.config, &got, &found,
                          &err) != TSR_OK ||
            !found || got.time_ms != 1.0 + i)
            missing++;
    }
    CHECK_MSG(missing == 0, "%d of %d committed results missing", missing, reported);
    tsr_arena_destroy(arena);
    tsr_store_close(store);
}

/* Several processes create and fill one new store at once: each waits
 * for the others' locks instead of failing. */
static void processes_share_a_new_store(void)
{
    enum { WRITERS = 4, PUTS = 50 };
    for (int w = 0; w < WRITERS; w++) {
        if (fork() != 0)
            continue;
        tsr_store *store = NULL;
        tsr_error err;
        if (tsr_store_open(temp_path("shared.db"), &store, &err) != TSR_OK)
            _exit(1);
        for (int i = 0; i < PUTS; i++) {
            char config[32];
            snprintf(config, sizeof config, "W=%d,I=%d", w, i);
            tsr_result r = sample_result("m=2,n=2,k=2", config, TSR_OUTCOME_OK, 1.0);
            if (tsr_store_put(store, &r, &err) != TSR_OK)
                _exit(2);
        }
        tsr_store_close(store);
        _exit(0);
    }
    int failed = 0, wstatus;
    while (wait(&wstatus) > 0)
        failed += !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0;
    CHECK_MSG(failed == 0, "%d writers failed", failed);
    tsr_store *store = open_store("shared.db");
    if (!store)
        return;
    int counts[TSR_OUTCOME_COUNT];
    tsr_error err = {{0}};
    tsr_result r = sample_result("m=2,n=2,k=2", "", TSR_OUTCOME_OK, 1.0);
    CHECK(tsr_store_count(store, r.op_key, r.device, r.shape, counts, &err) == TSR_OK);
    CHECK_MSG(counts[TSR_OUTCOME_OK] == WRITERS * PUTS, "%d results", counts[TSR_OUTCOME_OK]);
    tsr_store_close(store);
}

static void remove_temp_dir(void)
{
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", temp_dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", temp_dir);
}

int main(void)
{
    snprintf(temp_dir, sizeof temp_dir, "/tmp/tsr_store_XXXXXX");
    if (!mkdtemp(temp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN_TEST(outcome_names_are_the_documented_ones);
    RUN_TEST(new_store_is_created_and_reopens_with_its_results);
    RUN_TEST(put_then_get_round_trips_every_field);
    RUN_TEST(nan_and_null_fields_survive_the_round_trip);
    RUN_TEST(put_with_the_same_key_replaces_the_result);
    RUN_TEST(best_is_the_fastest_ok_result_and_ignores_failures);
    RUN_TEST(each_best_walks_in_key_order_and_filters_by_device);
    RUN_TEST(count_reports_each_outcome);
    RUN_TEST(text_file_is_refused_and_left_unchanged);
    RUN_TEST(database_of_another_program_is_refused_and_left_unchanged);
    RUN_TEST(newer_schema_is_refused_and_left_unchanged);
    RUN_TEST(reports_round_trip_and_stale_ones_are_not_found);
    RUN_TEST(schema_1_store_is_upgraded_keeping_its_results);
    RUN_TEST(schema_3_store_is_upgraded_to_allow_predictions);
    RUN_TEST(store_survives_a_writer_killed_mid_run);
    RUN_TEST(processes_share_a_new_store);
    remove_temp_dir();
    return check_summary();
}
