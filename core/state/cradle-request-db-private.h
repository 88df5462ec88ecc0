/* cradle-request-db-private.h: the request database the pending store and the journal share */
#pragma once

#include <sqlite3.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* The schema this build writes (PRAGMA user_version), and the
 * application_id that marks a file as ours ("Crdl"). */
#define CRADLE_PENDING_SCHEMA_VERSION 4
#define CRADLE_PENDING_APPLICATION_ID 0x4372646c
/* How long a write waits for another program's write to finish. */
#define CRADLE_PENDING_BUSY_TIMEOUT_MS 10000

/* cradle-request-db.c: the file, its identity, the pending store's schema
 * and its migrations.  Both the pending store and the journal open it here,
 * each on its own connection. */

/* Opens (creating or bringing up to date) the database at @path, or at
 * the default place when @path is NULL; @opened_path (nullable) gets the
 * file it opened, for error messages. */
sqlite3  *cradle_request_db_open      (const char  *path,
                                       char       **opened_path,
                                       GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* Turns a SQLite failure into a CRADLE_ERROR with words for people.
 * @doing: what was being done ("record the request"). */
void      cradle_request_db_set_error (sqlite3     *db,
                                       int          rc,
                                       const char  *path,
                                       const char  *doing,
                                       GError     **error);
gboolean  cradle_request_db_exec      (sqlite3     *db,
                                       const char  *sql,
                                       const char  *path,
                                       const char  *doing,
                                       GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
