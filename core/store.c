/* The results store on SQLite.
 *
 * Durability: the store runs in WAL mode with synchronous=FULL. A SIGKILL
 * cannot lose a committed transaction in any journal mode (the data already
 * sits in the kernel's page cache), but FULL also makes every commit durable
 * across a power cut: a tuning measurement costs far more than one fsync,
 * so we pay it. WAL lets `tessera export` read while a tuner writes, and
 * busy_timeout lets two tuners share one file. */
#include "core/store.h"

#include <math.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "core/store_internal.h"

/* 'TSR1': marks the file as ours in the SQLite header. */
#define STORE_APPLICATION_ID 0x54535231
#define STORE_BUSY_TIMEOUT_MS 10000

#define STR_(x) #x
#define STR(x) STR_(x)

static const char *const outcome_names[TSR_OUTCOME_COUNT] = {
    "ok", "invalid", "build-failed", "launch-failed", "wrong", "timeout", "crashed", "predicted",
};

const char *tsr_outcome_name(tsr_outcome outcome)
{
    if ((int)outcome < 0 || outcome >= TSR_OUTCOME_COUNT)
        return "unknown";
    return outcome_names[outcome];
}

int tsr_outcome_from_name(const char *name)
{
    for (int i = 0; name && i < TSR_OUTCOME_COUNT; i++)
        if (strcmp(outcome_names[i], name) == 0)
            return i;
    return -1;
}

/* The SQL reads best one clause per line, as written. */
/* clang-format off */
#define STORE_RESULTS_TABLE_SQL(name)                                                              \
    "CREATE TABLE " name " ("                                                                      \
    " op_key TEXT NOT NULL, device TEXT NOT NULL, shape TEXT NOT NULL,"                            \
    " config TEXT NOT NULL,"                                                                       \
    " op TEXT, spec_name TEXT, profile TEXT,"                                                      \
    " outcome TEXT NOT NULL CHECK (outcome IN"                                                     \
    "  ('ok', 'invalid', 'build-failed', 'launch-failed', 'wrong', 'timeout', 'crashed',"           \
    "   'predicted')),"                                                                             \
    " reason TEXT,"                                                                                \
    /* NULL stands for NaN, which SQLite cannot store as a REAL */                                 \
    " time_ms REAL, gflops REAL, max_error REAL,"                                                  \
    " kernel_name TEXT, source TEXT, language TEXT, geometry TEXT, args TEXT,"                     \
    " created TEXT NOT NULL,"                                                                      \
    " PRIMARY KEY (op_key, device, shape, config));"
static const char schema_sql[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta(key, value) VALUES ('application', 'tessera'),"
    " ('application_id', '" STR(STORE_APPLICATION_ID) "'),"
    " ('schema', '" STR(TSR_STORE_SCHEMA) "');"
    STORE_RESULTS_TABLE_SQL("results")
    "CREATE INDEX results_best ON results (op_key, device, shape, outcome, time_ms);"
    STORE_REPORTS_TABLE_SQL
    "PRAGMA application_id = " STR(STORE_APPLICATION_ID) ";"
    "PRAGMA user_version = " STR(TSR_STORE_SCHEMA) ";";

/* Column order shared by every SELECT that fills a tsr_result. */
#define RESULT_COLUMNS                                                         \
    "op_key, op, spec_name, device, profile, shape, config, outcome, reason, " \
    "time_ms, gflops, max_error, kernel_name, source, language, geometry, args, created"

static const char put_sql[] =
    "INSERT INTO results (" RESULT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
    " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
    " ON CONFLICT (op_key, device, shape, config) DO UPDATE SET"
    " op = excluded.op, spec_name = excluded.spec_name, profile = excluded.profile,"
    " outcome = excluded.outcome, reason = excluded.reason, time_ms = excluded.time_ms,"
    " gflops = excluded.gflops, max_error = excluded.max_error,"
    " kernel_name = excluded.kernel_name, source = excluded.source,"
    " language = excluded.language, geometry = excluded.geometry, args = excluded.args,"
    " created = excluded.created";

static const char get_sql[] =
    "SELECT " RESULT_COLUMNS " FROM results"
    " WHERE op_key = ?1 AND device = ?2 AND shape = ?3 AND config = ?4";

/* Ties on time go to the smaller config text so that the answer is stable.
 * A device's best is verified (ok) or, for a profile tuned offline,
 * predicted: the two never share a device fingerprint. */
static const char best_sql[] =
    "SELECT " RESULT_COLUMNS " FROM results"
    " WHERE op_key = ?1 AND device = ?2 AND shape = ?3 AND outcome IN ('ok', 'predicted')"
    " ORDER BY time_ms, config LIMIT 1";

static const char each_best_sql[] =
    "SELECT " RESULT_COLUMNS " FROM ("
    " SELECT *, row_number() OVER (PARTITION BY op_key, device, shape"
    "  ORDER BY time_ms, config) AS rank"
    " FROM results WHERE outcome IN ('ok', 'predicted') AND (?1 IS NULL OR device = ?1))"
    " WHERE rank = 1 ORDER BY op_key, device, shape";

static const char each_result_sql[] =
    "SELECT " RESULT_COLUMNS " FROM results WHERE (?1 IS NULL OR device = ?1)"
    " ORDER BY op_key, device, shape, config";

static const char count_sql[] =
    "SELECT outcome, count(*) FROM results"
    " WHERE op_key = ?1 AND device = ?2 AND shape = ?3 GROUP BY outcome";
/* clang-format on */

tsr_status tsr_store_db_fail(tsr_store *store, tsr_error *err, const char *doing)
{
    return tsr_fail(err, TSR_ERR_STORE, "%s: %s: %s", store->path, doing,
                    sqlite3_errmsg(store->db));
}

/* Runs a one-row integer query such as a PRAGMA. */
static tsr_status query_int(tsr_store *store, const char *sql, long long *out, tsr_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
        return TSR_OK;
    }
    rc = sqlite3_extended_errcode(store->db);
    sqlite3_finalize(stmt);
    if ((rc & 0xff) == SQLITE_NOTADB)
        return tsr_fail(err, TSR_ERR_INPUT,
                        "%s: not a tessera results store (file is not a database)", store->path);
    if ((rc & 0xff) == SQLITE_CORRUPT)
        return tsr_fail(err, TSR_ERR_INPUT, "%s: results store is corrupt (%s)", store->path,
                        sqlite3_errmsg(store->db));
    return tsr_store_db_fail(store, err, "cannot read the store");
}

/* Classifies the file without writing to it: *is_empty when it holds no
 * tables and no application id (a new or zero-length file), *version its
 * schema. A file that is not a tessera store, or of a newer schema or one
 * older than the oldest that can be upgraded, is bad input (TSR_ERR_INPUT),
 * not a failure of the store. */
static tsr_status check_identity(tsr_store *store, bool *is_empty, long long *schema,
                                 tsr_error *err)
{
    long long app_id = 0, version = 0, tables = 0;
    TSR_TRY(query_int(store, "SELECT count(*) FROM sqlite_master", &tables, err));
    TSR_TRY(query_int(store, "PRAGMA application_id", &app_id, err));
    TSR_TRY(query_int(store, "PRAGMA user_version", &version, err));
    *is_empty = app_id == 0 && tables == 0;
    *schema = version;
    if (*is_empty)
        return TSR_OK;
    if (app_id != STORE_APPLICATION_ID)
        return tsr_fail(err, TSR_ERR_INPUT,
                        "%s: not a tessera results store (it holds another program's "
                        "data: application id 0x%08llx, %lld table(s))",
                        store->path, (unsigned long long)(app_id & 0xffffffffLL), tables);
    if (version > TSR_STORE_SCHEMA)
        return tsr_fail(err, TSR_ERR_INPUT,
                        "%s: store schema %lld is newer than this tessera (schema %d)", store->path,
                        version, TSR_STORE_SCHEMA);
    if (version < STORE_OLDEST_UPGRADABLE)
        return tsr_fail(err, TSR_ERR_INPUT,
                        "%s: store schema %lld is older than this tessera (schema %d) "
                        "and cannot be upgraded",
                        store->path, version, TSR_STORE_SCHEMA);
    return TSR_OK;
}

/* Creates the schema in one transaction; BEGIN IMMEDIATE takes the write
 * lock first, so when two processes race to create a new store the second
 * finds the first one's tables and only checks them. */
static tsr_status create_schema(tsr_store *store, tsr_error *err)
{
    if (sqlite3_exec(store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return tsr_store_db_fail(store, err, "cannot lock the new store");
    bool is_empty = false;
    long long schema = 0;
    tsr_status status = check_identity(store, &is_empty, &schema, err);
    if (status == TSR_OK && is_empty &&
        sqlite3_exec(store->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
        status = tsr_store_db_fail(store, err, "cannot create the schema");
    if (status == TSR_OK && sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        status = tsr_store_db_fail(store, err, "cannot commit the schema");
    if (status != TSR_OK)
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

/* Older schemas are brought up to date in one transaction, keeping every
 * result: schema 1 lacks the reports table; schemas 1 to 3 allow fewer
 * outcomes, and SQLite cannot change a CHECK constraint in place, so the
 * results table is copied into one that allows them all. Under the write
 * lock the version is read again: another process may have upgraded the
 * file meanwhile. */
static tsr_status upgrade_schema(tsr_store *store, tsr_error *err)
{
    if (sqlite3_exec(store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return tsr_store_db_fail(store, err, "cannot lock the store to upgrade it");
    bool is_empty = false;
    long long schema = 0;
    tsr_status status = check_identity(store, &is_empty, &schema, err);
    /* clang-format off */
    static const char add_reports_sql[] = STORE_REPORTS_TABLE_SQL;
    static const char widen_outcomes_sql[] =
        STORE_RESULTS_TABLE_SQL("results_widened")
        "INSERT INTO results_widened SELECT op_key, device, shape, config, op, spec_name,"
        " profile, outcome, reason, time_ms, gflops, max_error, kernel_name, source, language,"
        " geometry, args, created FROM results;"
        "DROP TABLE results;"
        "ALTER TABLE results_widened RENAME TO results;"
        "CREATE INDEX results_best ON results (op_key, device, shape, outcome, time_ms);";
    static const char stamp_sql[] =
        "UPDATE meta SET value = '" STR(TSR_STORE_SCHEMA) "' WHERE key = 'schema';"
        "PRAGMA user_version = " STR(TSR_STORE_SCHEMA) ";";
    /* clang-format on */
    if (status == TSR_OK && schema < 2 &&
        sqlite3_exec(store->db, add_reports_sql, NULL, NULL, NULL) != SQLITE_OK)
        status = tsr_store_db_fail(store, err, "cannot add the reports table");
    if (status == TSR_OK && schema < 4 &&
        sqlite3_exec(store->db, widen_outcomes_sql, NULL, NULL, NULL) != SQLITE_OK)
        status = tsr_store_db_fail(store, err, "cannot widen the outcomes of the results table");
    if (status == TSR_OK && schema < TSR_STORE_SCHEMA &&
        sqlite3_exec(store->db, stamp_sql, NULL, NULL, NULL) != SQLITE_OK)
        status = tsr_store_db_fail(store, err, "cannot record the new schema");
    if (status == TSR_OK && sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        status = tsr_store_db_fail(store, err, "cannot commit the upgrade");
    if (status != TSR_OK)
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

static tsr_status prepare_all(tsr_store *store, tsr_error *err)
{
    const struct {
        const char *sql;
        sqlite3_stmt **stmt;
    } list[] = {
        {put_sql, &store->put},
        {get_sql, &store->get},
        {best_sql, &store->best},
        {count_sql, &store->count},
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        if (sqlite3_prepare_v3(store->db, list[i].sql, -1, SQLITE_PREPARE_PERSISTENT, list[i].stmt,
                               NULL) != SQLITE_OK)
            return tsr_store_db_fail(store, err, "cannot prepare a statement");
    return TSR_OK;
}

/* Switching to WAL can answer SQLITE_BUSY without calling the busy handler
 * while another process opens the same new store, so it is retried here
 * for as long as the busy timeout. */
static tsr_status use_wal(tsr_store *store, tsr_error *err)
{
    enum { RETRY_MS = 20 };
    for (int waited = 0;; waited += RETRY_MS) {
        int rc = sqlite3_exec(store->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return TSR_OK;
        if ((rc & 0xff) != SQLITE_BUSY || waited >= STORE_BUSY_TIMEOUT_MS)
            return tsr_store_db_fail(store, err, "cannot set the journal mode");
        sqlite3_sleep(RETRY_MS);
    }
}

static tsr_status open_checked(tsr_store *store, tsr_error *err)
{
    int rc =
        sqlite3_open_v2(store->path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK)
        return store->db ? tsr_store_db_fail(store, err, "cannot open")
                         : tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", store->path);
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS);

    /* Nothing is written before the file is known to be ours or empty. */
    bool is_empty = false;
    long long schema = 0;
    TSR_TRY(check_identity(store, &is_empty, &schema, err));
    if (is_empty)
        TSR_TRY(create_schema(store, err));
    else if (schema < TSR_STORE_SCHEMA)
        TSR_TRY(upgrade_schema(store, err));

    TSR_TRY(use_wal(store, err));
    if (sqlite3_exec(store->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK)
        return tsr_store_db_fail(store, err, "cannot set the sync mode");
    return prepare_all(store, err);
}

tsr_status tsr_store_open(const char *path, tsr_store **out, tsr_error *err)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return tsr_fail(err, TSR_ERR_INPUT, "%s: not a tessera results store (not a regular file)",
                        path);
    tsr_store *store = sqlite3_malloc(sizeof *store);
    if (!store)
        return tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", path);
    memset(store, 0, sizeof *store);
    store->path = sqlite3_mprintf("%s", path);
    if (!store->path) {
        sqlite3_free(store);
        return tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", path);
    }
    tsr_status status = open_checked(store, err);
    if (status != TSR_OK) {
        tsr_store_close(store);
        return status;
    }
    *out = store;
    return TSR_OK;
}

void tsr_store_close(tsr_store *store)
{
    if (!store)
        return;
    sqlite3_finalize(store->put);
    sqlite3_finalize(store->get);
    sqlite3_finalize(store->best);
    sqlite3_finalize(store->count);
    sqlite3_finalize(store->put_report);
    sqlite3_finalize(store->get_report);
    sqlite3_close(store->db);
    sqlite3_free(store->path);
    sqlite3_free(store);
}

static int bind_real(sqlite3_stmt *stmt, int index, double value)
{
    return isnan(value) ? sqlite3_bind_null(stmt, index) : sqlite3_bind_double(stmt, index, value);
}

static int bind_key(sqlite3_stmt *stmt, const char *op_key, const char *device, const char *shape)
{
    int rc = tsr_store_bind_text(stmt, 1, op_key);
    if (rc == SQLITE_OK)
        rc = tsr_store_bind_text(stmt, 2, device);
    if (rc == SQLITE_OK)
        rc = tsr_store_bind_text(stmt, 3, shape);
    return rc;
}

static tsr_status check_key(tsr_store *store, const char *op_key, const char *device,
                            const char *shape, tsr_error *err)
{
    if (!op_key || !device || !shape)
        return tsr_fail(err, TSR_ERR_INPUT, "%s: a result key needs op_key, device and shape",
                        store->path);
    return TSR_OK;
}

tsr_status tsr_store_put(tsr_store *store, const tsr_result *r, tsr_error *err)
{
    TSR_TRY(check_key(store, r->op_key, r->device, r->shape, err));
    if (!r->config)
        return tsr_fail(err, TSR_ERR_INPUT, "%s: a result key needs a config", store->path);
    if ((int)r->outcome < 0 || r->outcome >= TSR_OUTCOME_COUNT)
        return tsr_fail(err, TSR_ERR_INPUT, "%s: result has no valid outcome (%d)", store->path,
                        (int)r->outcome);
    sqlite3_stmt *s = store->put;
    const char *texts[] = {r->op_key,  r->op,    r->spec_name, r->device,
                           r->profile, r->shape, r->config,    outcome_names[r->outcome],
                           r->reason};
    int rc = SQLITE_OK;
    for (int i = 0; i < 9 && rc == SQLITE_OK; i++)
        rc = tsr_store_bind_text(s, i + 1, texts[i]);
    const double reals[] = {r->time_ms, r->gflops, r->max_error};
    for (int i = 0; i < 3 && rc == SQLITE_OK; i++)
        rc = bind_real(s, i + 10, reals[i]);
    const char *tail[] = {r->kernel_name, r->source, r->language, r->geometry, r->args};
    for (int i = 0; i < 5 && rc == SQLITE_OK; i++)
        rc = tsr_store_bind_text(s, i + 13, tail[i]);
    /* One statement in autocommit mode is its own transaction: committed
     * (or rolled back) when sqlite3_step returns. */
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    tsr_status status =
        rc == SQLITE_DONE ? TSR_OK : tsr_store_db_fail(store, err, "cannot store a result");
    tsr_store_finish(s);
    return status;
}

/* Where each text column of RESULT_COLUMNS lands in a tsr_result. */
static const struct {
    int column;
    size_t offset;
} text_fields[] = {
    {0, offsetof(tsr_result, op_key)},       {1, offsetof(tsr_result, op)},
    {2, offsetof(tsr_result, spec_name)},    {3, offsetof(tsr_result, device)},
    {4, offsetof(tsr_result, profile)},      {5, offsetof(tsr_result, shape)},
    {6, offsetof(tsr_result, config)},       {8, offsetof(tsr_result, reason)},
    {12, offsetof(tsr_result, kernel_name)}, {13, offsetof(tsr_result, source)},
    {14, offsetof(tsr_result, language)},    {15, offsetof(tsr_result, geometry)},
    {16, offsetof(tsr_result, args)},        {17, offsetof(tsr_result, created)},
};

/* Fills *out from the current row. With an arena the strings are copied
 * into it; without one they point into SQLite's row, valid until the next
 * step. */
static tsr_status read_row(tsr_store *store, sqlite3_stmt *s, tsr_arena *arena, tsr_result *out,
                           tsr_error *err)
{
    memset(out, 0, sizeof *out);
    int outcome = tsr_outcome_from_name((const char *)sqlite3_column_text(s, 7));
    if (outcome < 0)
        return tsr_fail(err, TSR_ERR_STORE, "%s: a stored result has an unknown outcome",
                        store->path);
    out->outcome = (tsr_outcome)outcome;
    for (size_t i = 0; i < sizeof text_fields / sizeof text_fields[0]; i++) {
        const char *text = (const char *)sqlite3_column_text(s, text_fields[i].column);
        if (text && arena && !(text = tsr_arena_strdup(arena, text)))
            return tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", store->path);
        memcpy((char *)out + text_fields[i].offset, &text, sizeof text);
    }
    double *reals[] = {&out->time_ms, &out->gflops, &out->max_error};
    for (int i = 0; i < 3; i++)
        *reals[i] =
            sqlite3_column_type(s, 9 + i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 9 + i);
    return TSR_OK;
}

/* Steps a lookup that yields at most one row. */
static tsr_status fetch_one(tsr_store *store, sqlite3_stmt *s, int bind_rc, tsr_arena *arena,
                            tsr_result *out, bool *found, tsr_error *err)
{
    *found = false;
    int rc = bind_rc == SQLITE_OK ? sqlite3_step(s) : bind_rc;
    tsr_status status = TSR_OK;
    if (rc == SQLITE_ROW) {
        status = read_row(store, s, arena, out, err);
        *found = status == TSR_OK;
    } else if (rc != SQLITE_DONE) {
        status = tsr_store_db_fail(store, err, "cannot read a result");
    }
    tsr_store_finish(s);
    return status;
}

tsr_status tsr_store_get(tsr_store *store, tsr_arena *arena, const char *op_key, const char *device,
                         const char *shape, const char *config, tsr_result *out, bool *found,
                         tsr_error *err)
{
    *found = false;
    TSR_TRY(check_key(store, op_key, device, shape, err));
    int rc = bind_key(store->get, op_key, device, shape);
    if (rc == SQLITE_OK)
        rc = tsr_store_bind_text(store->get, 4, config);
    return fetch_one(store, store->get, rc, arena, out, found, err);
}

tsr_status tsr_store_best(tsr_store *store, tsr_arena *arena, const char *op_key,
                          const char *device, const char *shape, tsr_result *out, bool *found,
                          tsr_error *err)
{
    *found = false;
    TSR_TRY(check_key(store, op_key, device, shape, err));
    int rc = bind_key(store->best, op_key, device, shape);
    return fetch_one(store, store->best, rc, arena, out, found, err);
}

/* Prepared per call rather than cached, so that a visitor may itself walk
 * the store without resetting this walk. */
static tsr_status each_row(tsr_store *store, const char *sql, const char *device,
                           tsr_store_visit visit, void *ctx, tsr_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(store->db, sql, -1, &s, NULL) != SQLITE_OK)
        return tsr_store_db_fail(store, err, "cannot prepare a statement");
    tsr_status status = TSR_OK;
    int rc = tsr_store_bind_text(s, 1, device);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        tsr_result row;
        status = read_row(store, s, NULL, &row, err);
        if (status == TSR_OK)
            status = visit(ctx, &row);
        if (status != TSR_OK)
            break;
        rc = SQLITE_OK;
    }
    if (status == TSR_OK && rc != SQLITE_DONE)
        status = tsr_store_db_fail(store, err, "cannot read the results");
    sqlite3_finalize(s);
    return status;
}

tsr_status tsr_store_each_best(tsr_store *store, const char *device, tsr_store_visit visit,
                               void *ctx, tsr_error *err)
{
    return each_row(store, each_best_sql, device, visit, ctx, err);
}

tsr_status tsr_store_each_result(tsr_store *store, const char *device, tsr_store_visit visit,
                                 void *ctx, tsr_error *err)
{
    return each_row(store, each_result_sql, device, visit, ctx, err);
}

tsr_status tsr_store_count(tsr_store *store, const char *op_key, const char *device,
                           const char *shape, int counts[TSR_OUTCOME_COUNT], tsr_error *err)
{
    memset(counts, 0, sizeof(int) * TSR_OUTCOME_COUNT);
    TSR_TRY(check_key(store, op_key, device, shape, err));
    sqlite3_stmt *s = store->count;
    int rc = bind_key(s, op_key, device, shape);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int outcome = tsr_outcome_from_name((const char *)sqlite3_column_text(s, 0));
        if (outcome >= 0)
            counts[outcome] = sqlite3_column_int(s, 1);
        rc = SQLITE_OK;
    }
    tsr_status status =
        rc == SQLITE_DONE ? TSR_OK : tsr_store_db_fail(store, err, "cannot count results");
    tsr_store_finish(s);
    return status;
}
