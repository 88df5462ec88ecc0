/* cradle-journal.c: every enrollment's runs and steps, in the state database
 *
 * The journal shares requests.sqlite with the pending store: the file is
 * opened for both by cradle-request-db.c (its identity, WAL, the store's
 * schema), then the journal adds its tables under its own version number,
 * so each can change its schema without the other.
 */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "base/cradle-json-private.h"
#include "state/cradle-journal-private.h"
#include "state/cradle-request-db-private.h"

struct _CradleJournal
{
  GObject  parent_instance;

  /* Owned */
  char    *path;
  sqlite3 *db;
  GMutex   lock;
};

G_DEFINE_FINAL_TYPE (CradleJournal, cradle_journal, G_TYPE_OBJECT)

/*
 * Journal schema 1.  Times are microseconds since 1970 UTC.  A run's
 * request_id is the pending store's id (no foreign key: the journal keeps
 * the history of a request that was removed).  error is the text people
 * saw, error_name its name in the explanation table; nothing secret.
 */
static const char journal_schema_1[] =
  "CREATE TABLE journal_runs ("
  "  id            INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  kind          TEXT    NOT NULL CHECK (kind IN ('enroll', 'resume')),"
  "  request_id    INTEGER NOT NULL DEFAULT 0,"
  "  type_name     TEXT,"
  "  protocol      TEXT,"
  "  device_serial TEXT,"
  "  started       INTEGER NOT NULL,"
  "  finished      INTEGER NOT NULL DEFAULT 0,"
  "  outcome       TEXT    NOT NULL DEFAULT 'running',"
  "  error         TEXT,"
  "  error_name    TEXT"
  ") STRICT;"
  "CREATE INDEX journal_runs_by_request ON journal_runs (request_id);"
  "CREATE TABLE journal_steps ("
  "  id          INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  run_id      INTEGER NOT NULL REFERENCES journal_runs (id) ON DELETE CASCADE,"
  "  step        TEXT    NOT NULL,"
  "  text        TEXT,"
  "  started     INTEGER NOT NULL,"
  "  duration_ms INTEGER NOT NULL DEFAULT -1,"
  "  outcome     TEXT    NOT NULL DEFAULT 'running',"
  "  error       TEXT,"
  "  error_name  TEXT"
  ") STRICT;"
  "CREATE INDEX journal_steps_by_run ON journal_steps (run_id);"
  /* Keys a device made for a request it has not signed yet (it was
   * unplugged while its user was asked): the next enrollment of the same
   * type on that device signs with it instead of making another. */
  "CREATE TABLE journal_unsigned_keys ("
  "  key_id        BLOB    PRIMARY KEY CHECK (length (key_id) = 16),"
  "  device_serial TEXT    NOT NULL,"
  "  type_name     TEXT    NOT NULL,"
  "  public_key    BLOB    NOT NULL CHECK (length (public_key) > 0),"
  "  created       INTEGER NOT NULL"
  ") STRICT;";

/*
 * Journal schema 2: runs of kind 'renew' (a renewal: an enrollment run
 * with an old certificate, replaced once the new one is installed),
 * 'remove' (a certificate removed from a device, alone or after its
 * renewal) and 'check' (a revocation check).  SQLite cannot change a
 * CHECK constraint in place: both tables are copied into new ones, the
 * steps' table first dropped so that dropping the runs' cascades to
 * nothing, then renamed back (SQLite >= 3.26 renames the steps' foreign
 * key with its table).
 */
static const char journal_schema_2[] =
  "CREATE TABLE journal_runs_2 ("
  "  id            INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  kind          TEXT    NOT NULL CHECK (kind IN ('enroll', 'resume', 'renew', 'remove', 'check')),"
  "  request_id    INTEGER NOT NULL DEFAULT 0,"
  "  type_name     TEXT,"
  "  protocol      TEXT,"
  "  device_serial TEXT,"
  "  started       INTEGER NOT NULL,"
  "  finished      INTEGER NOT NULL DEFAULT 0,"
  "  outcome       TEXT    NOT NULL DEFAULT 'running',"
  "  error         TEXT,"
  "  error_name    TEXT"
  ") STRICT;"
  "INSERT INTO journal_runs_2 SELECT * FROM journal_runs;"
  "CREATE TABLE journal_steps_2 ("
  "  id          INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  run_id      INTEGER NOT NULL REFERENCES journal_runs_2 (id) ON DELETE CASCADE,"
  "  step        TEXT    NOT NULL,"
  "  text        TEXT,"
  "  started     INTEGER NOT NULL,"
  "  duration_ms INTEGER NOT NULL DEFAULT -1,"
  "  outcome     TEXT    NOT NULL DEFAULT 'running',"
  "  error       TEXT,"
  "  error_name  TEXT"
  ") STRICT;"
  "INSERT INTO journal_steps_2 SELECT * FROM journal_steps;"
  "DROP TABLE journal_steps;"
  "DROP TABLE journal_runs;"
  "ALTER TABLE journal_runs_2 RENAME TO journal_runs;"
  "ALTER TABLE journal_steps_2 RENAME TO journal_steps;"
  "CREATE INDEX journal_runs_by_request ON journal_runs (request_id);"
  "CREATE INDEX journal_steps_by_run ON journal_steps (run_id);";

/* journal_migrations[n] takes the journal from version n to n + 1. */
static const char *const journal_migrations[] = {
  journal_schema_1,
  journal_schema_2,
};
G_STATIC_ASSERT (G_N_ELEMENTS (journal_migrations) == CRADLE_JOURNAL_SCHEMA_VERSION);

static void
cradle_journal_finalize (GObject *object)
{
  CradleJournal *self = CRADLE_JOURNAL (object);

  g_clear_pointer (&self->db, sqlite3_close_v2);
  g_free (self->path);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (cradle_journal_parent_class)->finalize (object);
}

static void
cradle_journal_class_init (CradleJournalClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_journal_finalize;
}

static void
cradle_journal_init (CradleJournal *self)
{
  g_mutex_init (&self->lock);
}

static void
set_error (CradleJournal  *self,
           int             rc,
           const char     *doing,
           GError        **error)
{
  cradle_request_db_set_error (self->db, rc, self->path, doing, error);
}

static gboolean
read_version (CradleJournal  *self,
              gint64         *version,
              GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'journal_version'",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_error (self, rc, "read the journal", error);
      return FALSE;
    }
  if (sqlite3_column_int64 (stmt, 0) == 0)
    {
      *version = 0;
      return TRUE;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  rc = sqlite3_prepare_v2 (self->db, "SELECT max(version) FROM journal_version", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_error (self, rc, "read the journal", error);
      return FALSE;
    }
  *version = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static gboolean
migrate_in_transaction (CradleJournal  *self,
                        GError        **error)
{
  const char *doing = "update the journal";
  g_autofree char *set_version = NULL;
  gint64 version;

  if (!read_version (self, &version, error))
    return FALSE;
  if (version == CRADLE_JOURNAL_SCHEMA_VERSION)
    return TRUE;
  if (version > CRADLE_JOURNAL_SCHEMA_VERSION)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The journal in %s was written by a newer version of Cradle (journal schema %"
                   G_GINT64_FORMAT "; this version knows up to %d). Use the newer Cradle.",
                   self->path, version, CRADLE_JOURNAL_SCHEMA_VERSION);
      return FALSE;
    }
  if (version == 0 &&
      !cradle_request_db_exec (self->db, "CREATE TABLE journal_version (version INTEGER NOT NULL) STRICT",
                               self->path, doing, error))
    return FALSE;
  for (gint64 v = version; v < CRADLE_JOURNAL_SCHEMA_VERSION; v++)
    {
      g_debug ("Journal in %s: schema %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, self->path, v, v + 1);
      if (!cradle_request_db_exec (self->db, journal_migrations[v], self->path, doing, error))
        return FALSE;
    }
  set_version = g_strdup_printf ("DELETE FROM journal_version; INSERT INTO journal_version VALUES (%d)",
                                 CRADLE_JOURNAL_SCHEMA_VERSION);
  return cradle_request_db_exec (self->db, set_version, self->path, doing, error);
}

/* In one write transaction, so two programs opening at once agree; a
 * journal already up to date is only read (no write lock for readers). */
static gboolean
migrate (CradleJournal  *self,
         GError        **error)
{
  gint64 version = 0;

  if (!read_version (self, &version, error))
    return FALSE;
  if (version == CRADLE_JOURNAL_SCHEMA_VERSION)
    return TRUE;
  if (!cradle_request_db_exec (self->db, "BEGIN IMMEDIATE", self->path, "update the journal", error))
    return FALSE;
  if (!migrate_in_transaction (self, error) ||
      !cradle_request_db_exec (self->db, "COMMIT", self->path, "update the journal", error))
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

CradleJournal *
cradle_journal_open (const char  *path,
                     GError     **error)
{
  g_autoptr(CradleJournal) self = g_object_new (CRADLE_TYPE_JOURNAL, NULL);

  self->db = cradle_request_db_open (path, &self->path, error);
  if (self->db == NULL || !migrate (self, error))
    return NULL;
  /* The journal's own connection commits without waiting for the disk
   * (about 20 commits a run, one fdatasync each under FULL).  WAL keeps the
   * file consistent either way and a killed program loses nothing; a power
   * cut may lose the journal's last lines, never the pending store's
   * requests, whose connection stays FULL and whose next commit syncs the
   * shared log with the journal's lines before it. */
  if (!cradle_request_db_exec (self->db, "PRAGMA synchronous = NORMAL", self->path, "open the journal", error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
cradle_journal_get_path (CradleJournal *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL (self), NULL);
  return self->path;
}

/* ---- writing ------------------------------------------------------------- */

/* One line, at most CRADLE_JOURNAL_MAX_TEXT bytes, already through the
 * terminal sanitiser: the journal keeps text from devices, CAs and the
 * directory, and replays it later, so what it stores is what may be shown. */
static char *
clean_text (const char *text)
{
  g_autofree char *spaced = NULL;
  char *line;

  if (text == NULL)
    return NULL;
  /* Cradle's own line breaks become spaces; every other control is escaped. */
  spaced = g_strdelimit (g_strdup (text), "\r\n\t", ' ');
  line = cradle_text_escape (spaced, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  if (strlen (line) > CRADLE_JOURNAL_MAX_TEXT)
    {
      const char *end = line + CRADLE_JOURNAL_MAX_TEXT;

      end = g_utf8_find_prev_char (line, end + 1);
      line[end - line] = '\0';
    }
  return line;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  char *clean = clean_text (text);

  if (clean == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, clean, -1, g_free);
}

static void
bind_failure (sqlite3_stmt *stmt,
              int           index,
              const GError *failure)
{
  if (failure == NULL)
    {
      sqlite3_bind_null (stmt, index);
      sqlite3_bind_null (stmt, index + 1);
      return;
    }
  bind_text (stmt, index, failure->message);
  bind_text (stmt, index + 1, cradle_explanation_get_name (cradle_explain_error (failure)));
}

/* Runs @stmt (bound) to its end; one statement is one transaction. */
static gboolean
step_done (CradleJournal  *self,
           sqlite3_stmt   *stmt,
           int             rc,
           const char     *doing,
           GError        **error)
{
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      set_error (self, rc, doing, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
prune (CradleJournal  *self,
       GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db,
                               "DELETE FROM journal_runs WHERE id <= "
                               "(SELECT max(id) FROM journal_runs) - ?1",
                               -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    sqlite3_bind_int64 (stmt, 1, CRADLE_JOURNAL_MAX_RUNS);
  return step_done (self, stmt, rc, "tidy the journal", error);
}

gint64
cradle_journal_begin_run (CradleJournal  *self,
                          const char     *kind,
                          const char     *type_name,
                          const char     *protocol,
                          const char     *device_serial,
                          gint64          request_id,
                          GError        **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CRADLE_IS_JOURNAL (self), 0);

  if (!prune (self, error))
    return 0;
  rc = sqlite3_prepare_v2 (self->db,
                           "INSERT INTO journal_runs (kind, type_name, protocol, device_serial, request_id, started)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_text (stmt, 1, kind);
      bind_text (stmt, 2, type_name);
      bind_text (stmt, 3, protocol);
      bind_text (stmt, 4, device_serial);
      sqlite3_bind_int64 (stmt, 5, request_id);
      sqlite3_bind_int64 (stmt, 6, g_get_real_time ());
    }
  if (!step_done (self, stmt, rc, "record the enrollment in the journal", error))
    return 0;
  return sqlite3_last_insert_rowid (self->db);
}

gboolean
cradle_journal_set_run_request (CradleJournal  *self,
                                gint64          run_id,
                                gint64          request_id,
                                GError        **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CRADLE_IS_JOURNAL (self), FALSE);

  rc = sqlite3_prepare_v2 (self->db, "UPDATE journal_runs SET request_id = ?2 WHERE id = ?1", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, run_id);
      sqlite3_bind_int64 (stmt, 2, request_id);
    }
  return step_done (self, stmt, rc, "record the request in the journal", error);
}

gint64
cradle_journal_begin_step (CradleJournal  *self,
                           gint64          run_id,
                           const char     *step,
                           const char     *text,
                           GError        **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CRADLE_IS_JOURNAL (self), 0);
  g_return_val_if_fail (step != NULL, 0);

  rc = sqlite3_prepare_v2 (self->db,
                           "INSERT INTO journal_steps (run_id, step, text, started) VALUES (?1, ?2, ?3, ?4)",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, run_id);
      bind_text (stmt, 2, step);
      bind_text (stmt, 3, text);
      sqlite3_bind_int64 (stmt, 4, g_get_real_time ());
    }
  if (!step_done (self, stmt, rc, "record a step in the journal", error))
    return 0;
  return sqlite3_last_insert_rowid (self->db);
}

/* Closes a step or a run: its outcome, the failure, and when. */
static gboolean
record_end (CradleJournal  *self,
            const char     *sql,
            gint64          id,
            const char     *outcome,
            const GError   *failure,
            const char     *what,
            GError        **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, id);
      bind_text (stmt, 2, outcome);
      bind_failure (stmt, 3, failure);
      sqlite3_bind_int64 (stmt, 5, g_get_real_time ());
    }
  return step_done (self, stmt, rc, what, error);
}

gboolean
cradle_journal_end_step (CradleJournal  *self,
                         gint64          step_id,
                         const char     *outcome,
                         const GError   *failure,
                         GError        **error)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (outcome != NULL, FALSE);

  return record_end (self,
                     "UPDATE journal_steps SET outcome = ?2, error = ?3, error_name = ?4,"
                     " duration_ms = max (0, (?5 - started) / 1000) WHERE id = ?1",
                     step_id, outcome, failure, "record a step in the journal", error);
}

gboolean
cradle_journal_end_run (CradleJournal  *self,
                        gint64          run_id,
                        const char     *outcome,
                        const GError   *failure,
                        GError        **error)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (outcome != NULL, FALSE);

  return record_end (self,
                     "UPDATE journal_runs SET outcome = ?2, error = ?3, error_name = ?4, finished = ?5"
                     " WHERE id = ?1",
                     run_id, outcome, failure,
                     "record the end of the enrollment in the journal", error);
}

/* ---- keys made but not yet signed with ------------------------------------ */

gboolean
cradle_journal_remember_key (CradleJournal  *self,
                             const char     *device_serial,
                             const char     *type_name,
                             GBytes         *key_id,
                             GBytes         *public_key,
                             GError        **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CRADLE_IS_JOURNAL (self), FALSE);

  rc = sqlite3_prepare_v2 (self->db,
                           "INSERT OR REPLACE INTO journal_unsigned_keys"
                           " (key_id, device_serial, type_name, public_key, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_blob (stmt, 1, g_bytes_get_data (key_id, NULL), (int) g_bytes_get_size (key_id),
                         SQLITE_TRANSIENT);
      bind_text (stmt, 2, device_serial);
      bind_text (stmt, 3, type_name);
      sqlite3_bind_blob (stmt, 4, g_bytes_get_data (public_key, NULL), (int) g_bytes_get_size (public_key),
                         SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 5, g_get_real_time () / G_USEC_PER_SEC);
    }
  return step_done (self, stmt, rc, "remember the device's new key", error);
}

GBytes *
cradle_journal_find_key (CradleJournal  *self,
                         const char     *device_serial,
                         const char     *type_name,
                         GBytes        **public_key)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CRADLE_IS_JOURNAL (self), NULL);

  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT key_id, public_key FROM journal_unsigned_keys"
                           " WHERE device_serial = ?1 AND type_name = ?2 ORDER BY created DESC LIMIT 1",
                           -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    return NULL;
  bind_text (stmt, 1, device_serial);
  bind_text (stmt, 2, type_name);
  if (sqlite3_step (stmt) != SQLITE_ROW ||
      sqlite3_column_bytes (stmt, 0) != CRADLE_PENDING_KEY_ID_SIZE || sqlite3_column_bytes (stmt, 1) <= 0)
    return NULL;
  *public_key = g_bytes_new (sqlite3_column_blob (stmt, 1), (gsize) sqlite3_column_bytes (stmt, 1));
  return g_bytes_new (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0));
}

gboolean
cradle_journal_forget_key (CradleJournal  *self,
                           GBytes         *key_id,
                           GError        **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CRADLE_IS_JOURNAL (self), FALSE);

  rc = sqlite3_prepare_v2 (self->db, "DELETE FROM journal_unsigned_keys WHERE key_id = ?1", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    sqlite3_bind_blob (stmt, 1, g_bytes_get_data (key_id, NULL), (int) g_bytes_get_size (key_id),
                       SQLITE_TRANSIENT);
  return step_done (self, stmt, rc, "forget the device's key", error);
}

/* ---- reading ------------------------------------------------------------- */

static GPtrArray *
read_steps (CradleJournal  *self,
            gint64          run_id,
            GError        **error)
{
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT " CRADLE_JOURNAL_STEP_COLUMNS " FROM journal_steps WHERE run_id = ?1 ORDER BY id",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    sqlite3_bind_int64 (stmt, 1, run_id);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (steps, cradle_journal_step_new_from_row (stmt));
      rc = SQLITE_OK;
    }
  if (rc != SQLITE_DONE)
    {
      set_error (self, rc, "read the journal", error);
      return NULL;
    }
  return g_steal_pointer (&steps);
}

/* Reads the rows of @stmt (bound) as runs with their steps; under the lock. */
static GPtrArray *
read_runs (CradleJournal  *self,
           sqlite3_stmt   *stmt,
           GError        **error)
{
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  /* One read transaction: the steps match their runs. */
  if (!cradle_request_db_exec (self->db, "BEGIN", self->path, "read the journal", error))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(GPtrArray) steps = read_steps (self, sqlite3_column_int64 (stmt, 0), error);

      if (steps == NULL)
        {
          sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
          return NULL;
        }
      g_ptr_array_add (runs, cradle_journal_run_new_from_row (stmt, steps));
    }
  sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_DONE)
    {
      set_error (self, rc, "read the journal", error);
      return NULL;
    }
  return g_steal_pointer (&runs);
}

GPtrArray *
cradle_journal_list_runs (CradleJournal  *self,
                          gint64          request_id,
                          guint           limit,
                          GError        **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CRADLE_IS_JOURNAL (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  locker = g_mutex_locker_new (&self->lock);
  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT " CRADLE_JOURNAL_RUN_COLUMNS " FROM journal_runs"
                           " WHERE ?1 = 0 OR request_id = ?1 ORDER BY id DESC LIMIT ?2",
                           -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_error (self, rc, "read the journal", error);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_int64 (stmt, 2, limit > 0 ? (gint64) limit : -1);
  return read_runs (self, stmt, error);
}

CradleJournalRun *
cradle_journal_get_run (CradleJournal  *self,
                        gint64          run_id,
                        GError        **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  int rc;

  g_return_val_if_fail (CRADLE_IS_JOURNAL (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  locker = g_mutex_locker_new (&self->lock);
  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT " CRADLE_JOURNAL_RUN_COLUMNS " FROM journal_runs WHERE id = ?1",
                           -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_error (self, rc, "read the journal", error);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, run_id);
  runs = read_runs (self, stmt, error);
  if (runs == NULL)
    return NULL;
  if (runs->len == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The journal has no run %" G_GINT64_FORMAT ".", run_id);
      return NULL;
    }
  return g_object_ref (g_ptr_array_index (runs, 0));
}

/* ---- as JSON ---------------------------------------------------------------- */

/* GLib 2.74 has no g_date_time_new_from_unix_utc_usec(). */
char *
cradle_journal_format_time (gint64 usec)
{
  g_autoptr(GDateTime) seconds = usec > 0 ? g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC) : NULL;
  g_autoptr(GDateTime) time = seconds != NULL ? g_date_time_add (seconds, usec % G_USEC_PER_SEC) : NULL;

  return time != NULL ? g_date_time_format_iso8601 (time) : NULL;
}

static void
add_run (JsonBuilder      *builder,
         CradleJournalRun *run)
{
  GPtrArray *steps = cradle_journal_run_get_steps (run);
  g_autofree char *started = cradle_journal_format_time (cradle_journal_run_get_started (run));
  g_autofree char *finished = cradle_journal_format_time (cradle_journal_run_get_finished (run));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "run");
  json_builder_add_int_value (builder, cradle_journal_run_get_id (run));
  cradle_json_add_string (builder, "kind", cradle_journal_run_get_kind (run));
  json_builder_set_member_name (builder, "request");
  json_builder_add_int_value (builder, cradle_journal_run_get_request_id (run));
  cradle_json_add_string (builder, "type", cradle_journal_run_get_type_name (run));
  cradle_json_add_string (builder, "protocol", cradle_journal_run_get_protocol (run));
  cradle_json_add_string (builder, "device", cradle_journal_run_get_device_serial (run));
  cradle_json_add_string (builder, "started", started);
  cradle_json_add_string (builder, "finished", finished);
  cradle_json_add_string (builder, "outcome", cradle_journal_run_get_outcome (run));
  cradle_json_add_string (builder, "error", cradle_journal_run_get_error (run));
  cradle_json_add_string (builder, "error_name", cradle_journal_run_get_error_name (run));
  json_builder_set_member_name (builder, "steps");
  json_builder_begin_array (builder);
  for (guint i = 0; i < steps->len; i++)
    {
      CradleJournalStep *step = g_ptr_array_index (steps, i);
      g_autofree char *step_started = cradle_journal_format_time (cradle_journal_step_get_started (step));

      json_builder_begin_object (builder);
      cradle_json_add_string (builder, "step", cradle_journal_step_get_step (step));
      cradle_json_add_string (builder, "text", cradle_journal_step_get_text (step));
      cradle_json_add_string (builder, "started", step_started);
      json_builder_set_member_name (builder, "duration_ms");
      json_builder_add_int_value (builder, cradle_journal_step_get_duration_ms (step));
      cradle_json_add_string (builder, "outcome", cradle_journal_step_get_outcome (step));
      cradle_json_add_string (builder, "error", cradle_journal_step_get_error (step));
      cradle_json_add_string (builder, "error_name", cradle_journal_step_get_error_name (step));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

char *
cradle_journal_runs_to_json (GPtrArray *runs)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (runs != NULL, NULL);

  json_builder_begin_array (builder);
  for (guint i = 0; i < runs->len; i++)
    add_run (builder, g_ptr_array_index (runs, i));
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, TRUE);
}
