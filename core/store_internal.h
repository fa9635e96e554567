/* What the results store's files share (store.c: the file, the schema and
 * the measurements; store_reports.c: the compilers' resource reports).
 * Private to core/store*.c. */
#ifndef TSR_STORE_INTERNAL_H
#define TSR_STORE_INTERNAL_H

#include <sqlite3.h>

#include "core/store.h"

/* The oldest schema that opening upgrades in place (schema 1: results only). */
#define STORE_OLDEST_UPGRADABLE 1

/* One vendor compiler's resource report per (op, profile, config,
 * compiler, target), with the hash of the source it compiled and the
 * compiler build it ran, so that a stale report is never reused. */
/* clang-format off */
#define STORE_REPORTS_TABLE_SQL                                                                    \
    "CREATE TABLE reports ("                                                                       \
    " op_key TEXT NOT NULL, profile TEXT NOT NULL, config TEXT NOT NULL,"                          \
    " compiler TEXT NOT NULL, target TEXT NOT NULL,"                                               \
    " source_sha256 TEXT NOT NULL, compiler_id TEXT NOT NULL,"                                     \
    " ok INTEGER NOT NULL CHECK (ok IN (0, 1)),"                                                   \
    " registers INTEGER, sgprs INTEGER, agprs INTEGER, spill_bytes INTEGER,"                       \
    " shared_bytes INTEGER, private_bytes INTEGER, occupancy_waves INTEGER,"                       \
    " occupancy_blocks INTEGER, grf_mode TEXT, log TEXT, created TEXT NOT NULL,"                   \
    " PRIMARY KEY (op_key, profile, config, compiler, target));"
/* clang-format on */

struct tsr_store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *put, *get, *best, *count;
    sqlite3_stmt *put_report, *get_report; /* prepared on first use */
};

/* One line naming the file, what was being done and SQLite's message. */
tsr_status tsr_store_db_fail(tsr_store *store, tsr_error *err, const char *doing);

/* NULL binds as SQL NULL. The statement runs before the caller's strings
 * can change, so SQLite need not copy them. */
static inline int tsr_store_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    return text ? sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC)
                : sqlite3_bind_null(stmt, index);
}

/* Readies a cached statement for its next use. */
static inline void tsr_store_finish(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

#endif
