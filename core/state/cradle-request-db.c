/* cradle-request-db.c: opening the request database, its schema and migrations
 *
 * requests.sqlite holds the pending store's tables (its schema is here,
 * under PRAGMA user_version) and the journal's (which it adds under its
 * own version number).  Both open the file through cradle_request_db_open(),
 * each on a connection of its own.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "state/cradle-request-db-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close_v2)

/*
 * Schema version 1.  Times are seconds since 1970 UTC; key_id is the
 * device's 16-byte key id; csr the DER PKCS#10 as sent.  certificates
 * holds the issued leaf (position 0) and the CA certificates that came
 * with it.  Nothing secret is stored: no passwords, no private keys.
 */
static const char schema_1[] =
  "CREATE TABLE requests ("
  "  id             INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  connector      TEXT    NOT NULL CHECK (connector IN ('certsrv', 'wstep', 'scep', 'est')),"
  "  endpoint       TEXT    NOT NULL CHECK (length (endpoint) > 0),"
  "  ca_request_id  TEXT,"
  "  retrieve_uri   TEXT,"
  "  template_name  TEXT,"
  "  device_serial  TEXT    NOT NULL CHECK (length (device_serial) > 0),"
  "  key_id         BLOB    NOT NULL CHECK (length (key_id) = 16),"
  "  csr            BLOB    NOT NULL CHECK (length (csr) > 0),"
  "  status         TEXT    NOT NULL CHECK (status IN ('submitting', 'pending', 'issued',"
  "                                                    'installed', 'denied', 'failed')),"
  "  created        INTEGER NOT NULL,"
  "  updated        INTEGER NOT NULL,"
  "  attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
  "  next_attempt   INTEGER NOT NULL DEFAULT 0,"
  "  last_error     TEXT,"
  "  denial_code    INTEGER,"
  "  denial_message TEXT"
  ") STRICT;"
  "CREATE TABLE certificates ("
  "  request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,"
  "  position   INTEGER NOT NULL CHECK (position >= 0),"
  "  der        BLOB    NOT NULL CHECK (length (der) > 0),"
  "  PRIMARY KEY (request_id, position)"
  ") STRICT;";

/*
 * Schema version 2: a request being worked on is claimed by one program
 * (owner "PID:TOKEN") until expires (seconds since 1970 UTC); the claim
 * is renewed while the work goes on and deleted at its end, so a crashed
 * program's claim lapses on its own.
 */
static const char schema_2[] =
  "CREATE TABLE claims ("
  "  request_id INTEGER PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,"
  "  owner      TEXT    NOT NULL CHECK (length (owner) > 0),"
  "  expires    INTEGER NOT NULL"
  ") STRICT;";

/*
 * Schema version 3: the certificate type each installed certificate came
 * from (a template's cn or a type file's Name), by the SHA-256 of the
 * certificate's DER, written when the engine installs it; what
 * `cradlectl status` reports as its type and renews it as.
 */
static const char schema_3[] =
  "CREATE TABLE IF NOT EXISTS installed_types ("
  "  sha256        BLOB    PRIMARY KEY CHECK (length (sha256) = 32),"
  "  type_name     TEXT    NOT NULL CHECK (length (type_name) > 0),"
  "  device_serial TEXT,"
  "  request_id    INTEGER NOT NULL DEFAULT 0,"
  "  installed     INTEGER NOT NULL"
  ") STRICT;";

/*
 * Schema version 4: a request that renews a certificate.  old_cert is the
 * DER of the certificate it renews (the device's MY certificate, which
 * the renewal attribute names), old_key_id that certificate's key on the
 * device (it signs SCEP renewals and the MS-WCCE SignedData),
 * signed_data the MS-WCCE SignedData around the PKCS#10 as sent to
 * certsrv or WSTEP (NULL for the others), and old_removed whether the
 * clean-up is done once the new one is installed: the old certificate
 * deleted with its user's yes, found gone, or kept because its user said
 * no (asked once).  An installed renewal with old_removed 0 (the device went
 * away between the install and the delete) still has its clean-up to do.
 */
static const char schema_4[] =
  "CREATE TABLE IF NOT EXISTS renewals ("
  "  request_id  INTEGER PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,"
  "  old_cert    BLOB    NOT NULL CHECK (length (old_cert) > 0),"
  "  old_key_id  BLOB    NOT NULL CHECK (length (old_key_id) = 16),"
  "  signed_data BLOB,"
  "  old_removed INTEGER NOT NULL DEFAULT 0 CHECK (old_removed IN (0, 1))"
  ") STRICT;";

/* The migration hook: migrations[n] takes a database from schema n to
 * n + 1 (0 is an empty file).  A later schema appends its step here and
 * raises CRADLE_PENDING_SCHEMA_VERSION; steps run in one transaction. */
static const char *const migrations[] = {
  schema_1,
  schema_2,
  schema_3,
  schema_4,
};
G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == CRADLE_PENDING_SCHEMA_VERSION);

void
cradle_request_db_set_error (sqlite3     *db,
                             int          rc,
                             const char  *path,
                             const char  *doing,
                             GError     **error)
{
  const char *detail = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is not a Cradle request database, or it is damaged (%s). "
                   "Move it aside (for example to %s.broken) and Cradle will start a new one; "
                   "the requests it held will have to be made again.",
                   path, detail, path);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY,
                   "Could not %s: another Cradle program kept the request database %s busy "
                   "for %d seconds. Close the other Cradle windows and commands, then try again.",
                   doing, path, CRADLE_PENDING_BUSY_TIMEOUT_MS / 1000);
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "Could not %s: Cradle may not write its request database %s (%s). "
                   "Check that the file and its folder belong to you and are writable.",
                   doing, path, detail);
      break;
    case SQLITE_CANTOPEN:
      g_set_error (error, CRADLE_ERROR,
                   db != NULL && sqlite3_system_errno (db) == EACCES
                     ? CRADLE_ERROR_PERMISSION_DENIED : CRADLE_ERROR_FAILED,
                   "Could not %s: the request database %s cannot be opened (%s). "
                   "Check that the file and its folder belong to you and are writable.",
                   doing, path, detail);
      break;
    case SQLITE_FULL:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not %s: the disk holding %s is full. "
                   "Free some space and try again; requests already recorded are safe.",
                   doing, path);
      break;
    case SQLITE_CONSTRAINT:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Could not %s: the request database %s refused the data (%s).",
                   doing, path, detail);
      break;
    default:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not %s in the request database %s: %s.",
                   doing, path, detail);
      break;
    }
}

/* For statements without parameters (pragmas, the schema). */
gboolean
cradle_request_db_exec (sqlite3     *db,
                        const char  *sql,
                        const char  *path,
                        const char  *doing,
                        GError     **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      cradle_request_db_set_error (db, rc, path, doing, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
query_text (sqlite3     *db,
            const char  *sql,
            const char  *path,
            const char  *doing,
            char       **answer,
            GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  const char *text;

  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      cradle_request_db_set_error (db, rc, path, doing, error);
      return FALSE;
    }
  text = (const char *) sqlite3_column_text (stmt, 0);
  *answer = g_strdup (text != NULL ? text : "");
  return TRUE;
}

static void
tighten_mode (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) == 0 && S_ISREG (st.st_mode) && (st.st_mode & 077) != 0
      && g_chmod (path, 0600) != 0)
    g_warning ("Could not make %s private: %s", path, g_strerror (errno));
}

static gboolean
check_regular (const char  *path,
               GError     **error)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR,
                   saved_errno == EACCES || saved_errno == EPERM
                     ? CRADLE_ERROR_PERMISSION_DENIED : CRADLE_ERROR_FAILED,
                   "Could not open the request database %s: %s. "
                   "Check that it is a file that belongs to you and that its folder is writable.",
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is not a Cradle request database: it is not a regular file. "
                   "Move it aside and Cradle will start a new one.",
                   path);
      return FALSE;
    }
  return TRUE;
}

/* The file is made 0600 in a 0700 folder before SQLite sees it; SQLite
 * gives the -wal and -shm files it creates the same mode.  An existing
 * file is never opened here: closing a descriptor of a file drops every
 * POSIX lock the process holds on it, so another connection of this
 * process (the journal shares the file) would lose its locks, and with
 * them the WAL's protection against other programs. */
static gboolean
prepare_file (const char  *path,
              GError     **error)
{
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  int fd;

  if (!cradle_paths_ensure_private_dir (folder, error))
    return FALSE;

  fd = g_open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0)
    g_close (fd, NULL);
  else if (errno != EEXIST)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR,
                   saved_errno == EACCES || saved_errno == EPERM
                     ? CRADLE_ERROR_PERMISSION_DENIED : CRADLE_ERROR_FAILED,
                   "Could not open the request database %s: %s. "
                   "Check that it is a file that belongs to you and that its folder is writable.",
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  if (!check_regular (path, error))
    return FALSE;
  tighten_mode (path);
  tighten_mode (wal);
  tighten_mode (shm);
  return TRUE;
}

typedef struct {
  gint64 application_id;
  gint64 version;
  gint64 objects;
} Identity;

/* One statement, so one snapshot: read piece by piece, another program's
 * schema could land between the pieces, its tables seen without the
 * application id it sets in the same transaction, and the file taken
 * for foreign. */
static gboolean
read_identity (sqlite3     *db,
               const char  *path,
               Identity    *identity,
               GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc = sqlite3_prepare_v2 (db,
                               "SELECT (SELECT application_id FROM pragma_application_id),"
                               "       (SELECT user_version FROM pragma_user_version),"
                               "       (SELECT count(*) FROM sqlite_schema)",
                               -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      cradle_request_db_set_error (db, rc, path, "read the request database", error);
      return FALSE;
    }
  identity->application_id = sqlite3_column_int64 (stmt, 0);
  identity->version = sqlite3_column_int64 (stmt, 1);
  identity->objects = sqlite3_column_int64 (stmt, 2);
  return TRUE;
}

/* An empty file is new; otherwise it must carry our application id and a
 * schema this build knows. */
static gboolean
check_identity (const Identity  *identity,
                const char      *path,
                gboolean        *is_new,
                GError         **error)
{
  *is_new = identity->application_id == 0 && identity->version == 0 && identity->objects == 0;
  if (*is_new)
    return TRUE;
  if (identity->application_id != CRADLE_PENDING_APPLICATION_ID || identity->version < 1)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is not a Cradle request database: it holds another program's data. "
                   "Move it aside (for example to %s.broken) and Cradle will start a new one.",
                   path, path);
      return FALSE;
    }
  if (identity->version > CRADLE_PENDING_SCHEMA_VERSION)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The request database %s was written by a newer version of Cradle "
                   "(schema %" G_GINT64_FORMAT "; this version knows up to %d). "
                   "Use the newer Cradle, or move the file aside to start a new one; "
                   "the requests it holds would then have to be made again.",
                   path, identity->version, CRADLE_PENDING_SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

/* Inside a write transaction, so that two programs opening a new file at
 * once do not both create the schema. */
static gboolean
migrate (sqlite3     *db,
         const char  *path,
         GError     **error)
{
  Identity identity;
  gboolean is_new;
  g_autofree char *set_version = NULL;
  g_autofree char *set_application = NULL;

  if (!read_identity (db, path, &identity, error)
      || !check_identity (&identity, path, &is_new, error))
    return FALSE;
  if (identity.version == CRADLE_PENDING_SCHEMA_VERSION)
    return TRUE;

  for (gint64 version = identity.version; version < CRADLE_PENDING_SCHEMA_VERSION; version++)
    {
      g_debug ("Request database %s: schema %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
               path, version, version + 1);
      if (!cradle_request_db_exec (db, migrations[version], path, "update the request database", error))
        return FALSE;
    }
  set_version = g_strdup_printf ("PRAGMA user_version = %d", CRADLE_PENDING_SCHEMA_VERSION);
  set_application = g_strdup_printf ("PRAGMA application_id = %d", CRADLE_PENDING_APPLICATION_ID);
  return cradle_request_db_exec (db, set_version, path, "update the request database", error)
         && cradle_request_db_exec (db, set_application, path, "update the request database", error);
}

/* Files that passed PRAGMA quick_check in this process.
 * The check reads the whole file (about 10 ms for a journal of 2,000 runs)
 * and the store and the journal open the same file one after the other.
 * A file is known by path, device, inode, size and change time: an inode
 * number is reused once its file is deleted, so alone it would let a new
 * or rewritten file pass unchecked.  Writes go to the WAL, so the main
 * file is unchanged between the two opens. */
static GMutex      checked_lock;
static GHashTable *checked_files;

static char *
file_key (const char *path)
{
  struct stat st;

  if (g_stat (path, &st) != 0)
    return NULL;
  return g_strdup_printf ("%s\n%ju:%ju:%jd:%jd.%09ld", path, (uintmax_t) st.st_dev,
                          (uintmax_t) st.st_ino, (intmax_t) st.st_size,
                          (intmax_t) st.st_ctim.tv_sec, (long) st.st_ctim.tv_nsec);
}

static gboolean
checked_in_this_process (const char *path)
{
  g_autofree char *key = file_key (path);
  gboolean found;

  if (key == NULL)
    return FALSE;
  g_mutex_lock (&checked_lock);
  found = checked_files != NULL && g_hash_table_contains (checked_files, key);
  g_mutex_unlock (&checked_lock);
  return found;
}

static void
remember_checked (const char *path)
{
  char *key = file_key (path);

  if (key == NULL)
    return;
  g_mutex_lock (&checked_lock);
  if (checked_files == NULL)
    checked_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (checked_files, key);
  g_mutex_unlock (&checked_lock);
}

/* Switching a new file to WAL needs it alone for a moment; while another
 * program reads it (two opening a new file at once) SQLite answers BUSY
 * at once, without waiting in its busy handler: ask again until the busy
 * timeout, as the busy handler would have. */
static gboolean
use_wal (sqlite3     *db,
         const char  *path,
         GError     **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) CRADLE_PENDING_BUSY_TIMEOUT_MS * 1000;
  g_autofree char *answer = NULL;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;

      if (query_text (db, "PRAGMA journal_mode = WAL", path, "open the request database", &answer, &local_error))
        break;
      if (!g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_BUSY) || g_get_monotonic_time () >= deadline)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_usleep (5 * 1000);
    }
  if (g_ascii_strcasecmp (answer, "wal") != 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The request database %s cannot use write-ahead logging (its journal mode "
                   "stays '%s'). Keep the state folder on a local file system.",
                   path, answer);
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_up (sqlite3     *db,
        const char  *path,
        GError     **error)
{
  Identity identity;
  gboolean is_new;
  g_autofree char *check = NULL;

  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, CRADLE_PENDING_BUSY_TIMEOUT_MS);

  /* Look before changing anything: another program's database is left as it is. */
  if (!read_identity (db, path, &identity, error)
      || !check_identity (&identity, path, &is_new, error))
    return FALSE;

  /* WAL: a crash loses at most the transaction in flight, readers never
   * block the writer.  FULL: each commit is on disk before it returns,
   * so a request recorded before submission survives a power cut too. */
  if (!use_wal (db, path, error))
    return FALSE;
  if (!cradle_request_db_exec (db,
                               "PRAGMA synchronous = FULL;"
                               "PRAGMA foreign_keys = ON;"
                               "PRAGMA trusted_schema = OFF;",
                               path, "open the request database", error))
    return FALSE;

  if (!cradle_request_db_exec (db, "BEGIN IMMEDIATE", path, "open the request database", error))
    return FALSE;
  if (!migrate (db, path, error)
      || !cradle_request_db_exec (db, "COMMIT", path, "update the request database", error))
    {
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }

  /* The journal opens the file the store has just checked: once is enough. */
  if (checked_in_this_process (path))
    return TRUE;
  if (!query_text (db, "PRAGMA quick_check", path, "check the request database", &check, error))
    return FALSE;
  if (g_strcmp0 (check, "ok") != 0)
    {
      /* SQLite's report spans lines; the start is enough for an error. */
      g_strdelimit (check, "\r\n\t", ' ');
      if (g_utf8_strlen (check, -1) > 160)
        *g_utf8_offset_to_pointer (check, 160) = '\0';
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The request database %s is damaged (%s). "
                   "Move it aside (for example to %s.broken) and Cradle will start a new one; "
                   "the requests it held will have to be made again.",
                   path, check, path);
      return FALSE;
    }
  remember_checked (path);
  return TRUE;
}

/* The file for @path, or requests.sqlite in the state folder. */
static char *
dup_path (const char *path)
{
  g_autofree char *state = NULL;

  if (path != NULL)
    return g_strdup (path);
  state = cradle_paths_dup_state_dir ();
  return g_build_filename (state, "requests.sqlite", NULL);
}

sqlite3 *
cradle_request_db_open (const char  *path,
                        char       **opened_path,
                        GError     **error)
{
  g_autofree char *file = dup_path (path);
  g_autoptr(sqlite3) db = NULL;
  int rc;

  if (opened_path != NULL)
    *opened_path = g_strdup (file);
  if (!prepare_file (file, error))
    return NULL;

  rc = sqlite3_open_v2 (file, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE,
                        NULL);
  if (rc != SQLITE_OK)
    {
      cradle_request_db_set_error (db, rc, file, "open the request database", error);
      return NULL;
    }
  if (!set_up (db, file, error))
    return NULL;
  return g_steal_pointer (&db);
}
