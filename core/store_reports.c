/* The compilers' resource reports in the results store (see store.h). */
#include <stdio.h>
#include <string.h>

#include "core/store_internal.h"

/* clang-format off */
static const char put_report_sql[] =
    "INSERT INTO reports (op_key, profile, config, compiler, target, source_sha256,"
    " compiler_id, ok, registers, sgprs, agprs, spill_bytes, shared_bytes, private_bytes,"
    " occupancy_waves, occupancy_blocks, grf_mode, log, created)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
    " ON CONFLICT (op_key, profile, config, compiler, target) DO UPDATE SET"
    " source_sha256 = excluded.source_sha256, compiler_id = excluded.compiler_id,"
    " ok = excluded.ok, registers = excluded.registers, sgprs = excluded.sgprs,"
    " agprs = excluded.agprs, spill_bytes = excluded.spill_bytes,"
    " shared_bytes = excluded.shared_bytes, private_bytes = excluded.private_bytes,"
    " occupancy_waves = excluded.occupancy_waves, occupancy_blocks = excluded.occupancy_blocks,"
    " grf_mode = excluded.grf_mode, log = excluded.log, created = excluded.created";

static const char get_report_sql[] =
    "SELECT ok, registers, sgprs, agprs, spill_bytes, shared_bytes, private_bytes,"
    " occupancy_waves, occupancy_blocks, grf_mode, log, created FROM reports"
    " WHERE op_key = ?1 AND profile = ?2 AND config = ?3 AND compiler = ?4 AND target = ?5"
    " AND source_sha256 = ?6 AND compiler_id = ?7";
/* clang-format on */

static tsr_status prepare(tsr_store *store, const char *sql, sqlite3_stmt **stmt, tsr_error *err)
{
    if (!*stmt &&
        sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK)
        return tsr_store_db_fail(store, err, "cannot prepare a statement");
    return TSR_OK;
}

static tsr_status check_key(tsr_store *store, const tsr_report_key *key, tsr_error *err)
{
    const char *parts[] = {key->op_key, key->profile,       key->config,     key->compiler,
                           key->target, key->source_sha256, key->compiler_id};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (!parts[i])
            return tsr_fail(err, TSR_ERR_INPUT,
                            "%s: a report key needs op_key, profile, config, compiler, target, "
                            "source hash and compiler id",
                            store->path);
    return TSR_OK;
}

static int bind_report_key(sqlite3_stmt *s, const tsr_report_key *key)
{
    const char *parts[] = {key->op_key, key->profile,       key->config,     key->compiler,
                           key->target, key->source_sha256, key->compiler_id};
    int rc = SQLITE_OK;
    for (int i = 0; i < 7 && rc == SQLITE_OK; i++)
        rc = tsr_store_bind_text(s, i + 1, parts[i]);
    return rc;
}

tsr_status tsr_store_put_report(tsr_store *store, const tsr_report_key *key,
                                const tsr_resource_report *r, int occupancy_blocks, tsr_error *err)
{
    TSR_TRY(check_key(store, key, err));
    TSR_TRY(prepare(store, put_report_sql, &store->put_report, err));
    sqlite3_stmt *s = store->put_report;
    int rc = bind_report_key(s, key);
    const long long numbers[] = {
        r->ok,           r->registers,     r->sgprs,           r->agprs,        r->spill_bytes,
        r->shared_bytes, r->private_bytes, r->occupancy_waves, occupancy_blocks};
    for (int i = 0; i < 9 && rc == SQLITE_OK; i++)
        rc = sqlite3_bind_int64(s, i + 8, numbers[i]);
    if (rc == SQLITE_OK)
        rc = tsr_store_bind_text(s, 17, r->grf_mode);
    if (rc == SQLITE_OK)
        rc = tsr_store_bind_text(s, 18, r->log);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    tsr_status status =
        rc == SQLITE_DONE ? TSR_OK : tsr_store_db_fail(store, err, "cannot store a report");
    tsr_store_finish(s);
    return status;
}

static void copy_text(sqlite3_stmt *s, int column, char *out, size_t size)
{
    const char *text = (const char *)sqlite3_column_text(s, column);
    snprintf(out, size, "%s", text ? text : "");
}

tsr_status tsr_store_get_report(tsr_store *store, const tsr_report_key *key,
                                tsr_resource_report *out, int *occupancy_blocks, char created[32],
                                bool *found, tsr_error *err)
{
    *found = false;
    TSR_TRY(check_key(store, key, err));
    TSR_TRY(prepare(store, get_report_sql, &store->get_report, err));
    sqlite3_stmt *s = store->get_report;
    int rc = bind_report_key(s, key);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    tsr_status status = TSR_OK;
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        snprintf(out->compiler, sizeof out->compiler, "%s", key->compiler);
        snprintf(out->target, sizeof out->target, "%s", key->target);
        snprintf(out->compiler_id, sizeof out->compiler_id, "%s", key->compiler_id);
        out->ok = sqlite3_column_int(s, 0) != 0;
        out->registers = sqlite3_column_int(s, 1);
        out->sgprs = sqlite3_column_int(s, 2);
        out->agprs = sqlite3_column_int(s, 3);
        out->spill_bytes = (long)sqlite3_column_int64(s, 4);
        out->shared_bytes = (long)sqlite3_column_int64(s, 5);
        out->private_bytes = (long)sqlite3_column_int64(s, 6);
        out->occupancy_waves = sqlite3_column_int(s, 7);
        *occupancy_blocks = sqlite3_column_int(s, 8);
        copy_text(s, 9, out->grf_mode, sizeof out->grf_mode);
        copy_text(s, 10, out->log, sizeof out->log);
        copy_text(s, 11, created, 32);
        *found = true;
    } else if (rc != SQLITE_DONE) {
        status = tsr_store_db_fail(store, err, "cannot read a report");
    }
    tsr_store_finish(s);
    return status;
}
