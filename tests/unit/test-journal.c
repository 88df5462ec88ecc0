/* test-journal.c: the journal in the state database: runs and steps with
 * their timing, outcome and explained errors; keys made but not signed
 * with; its own schema version beside the pending store's; the file shared
 * with the pending store in one process while other programs open it */
#include "config.h"

#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "state/cradle-journal-private.h"
#include "state/cradle-pending-store-private.h"

typedef struct {
  char *folder;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->folder = g_dir_make_tmp ("cradle-journal-XXXXXX", NULL);
  fixture->path = g_build_filename (fixture->folder, "state", "requests.sqlite", NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *state = g_build_filename (fixture->folder, "state", NULL);
  const char *suffixes[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (fixture->path, suffixes[i], NULL);

      g_unlink (file);
    }
  g_rmdir (state);
  g_rmdir (fixture->folder);
  g_free (fixture->folder);
  g_free (fixture->path);
}

static void
test_runs_and_steps (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleJournal) journal = cradle_journal_open (fixture->path, &error);
  g_autoptr(GError) gone = NULL;
  g_autoptr(GError) denied = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(CradleJournalRun) run = NULL;
  g_autofree char *long_text = g_strnfill (5000, 'x');
  GPtrArray *steps;
  CradleJournalStep *step;
  gint64 first;
  gint64 second;
  gint64 id;

  g_assert_no_error (error);
  g_assert_cmpstr (cradle_journal_get_path (journal), ==, fixture->path);

  first = cradle_journal_begin_run (journal, "enroll", "CradleDeviceUPN", "certsrv", "DEV-1", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (first, >, 0);
  id = cradle_journal_begin_step (journal, first, "device", "Talking to the device", &error);
  g_assert_no_error (error);
  g_assert_true (cradle_journal_end_step (journal, id, "ok", NULL, &error));
  id = cradle_journal_begin_step (journal, first, "sign", "The device signs\nthe request", &error);
  g_assert_no_error (error);
  gone = g_error_new_literal (CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE, "The device was unplugged.");
  g_assert_true (cradle_journal_end_step (journal, id, "failed", gone, &error));
  g_assert_true (cradle_journal_end_run (journal, first, "failed", gone, &error));

  second = cradle_journal_begin_run (journal, "resume", NULL, "est", "DEV-1", 7, &error);
  g_assert_no_error (error);
  id = cradle_journal_begin_step (journal, second, "submit", long_text, &error);
  cradle_explain_set_error (&denied, CRADLE_ERROR_CA_DENIED, CRADLE_EXPLAIN_HRESULT, 0x80094012,
                            "The CA refused the request.");
  g_assert_true (cradle_journal_end_step (journal, id, "denied", denied, &error));
  g_assert_true (cradle_journal_end_run (journal, second, "denied", denied, &error));
  g_assert_true (cradle_journal_set_run_request (journal, first, 3, &error));

  /* Newest first; by request. */
  runs = cradle_journal_list_runs (journal, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
  g_assert_cmpint (cradle_journal_run_get_id (g_ptr_array_index (runs, 0)), ==, second);
  g_clear_pointer (&runs, g_ptr_array_unref);
  runs = cradle_journal_list_runs (journal, 0, 1, &error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_clear_pointer (&runs, g_ptr_array_unref);
  runs = cradle_journal_list_runs (journal, 3, 0, &error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_clear_pointer (&runs, g_ptr_array_unref);
  runs = cradle_journal_list_runs (journal, 99, 0, &error);
  g_assert_cmpuint (runs->len, ==, 0);

  run = cradle_journal_get_run (journal, first, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_journal_run_get_kind (run), ==, "enroll");
  g_assert_cmpint (cradle_journal_run_get_request_id (run), ==, 3);
  g_assert_cmpstr (cradle_journal_run_get_type_name (run), ==, "CradleDeviceUPN");
  g_assert_cmpstr (cradle_journal_run_get_protocol (run), ==, "certsrv");
  g_assert_cmpstr (cradle_journal_run_get_device_serial (run), ==, "DEV-1");
  g_assert_cmpstr (cradle_journal_run_get_outcome (run), ==, "failed");
  g_assert_cmpstr (cradle_journal_run_get_error (run), ==, "The device was unplugged.");
  g_assert_cmpstr (cradle_journal_run_get_error_name (run), ==,
                   cradle_explanation_get_name (cradle_explain_error (gone)));
  g_assert_cmpint (cradle_journal_run_get_finished (run), >=, cradle_journal_run_get_started (run));
  steps = cradle_journal_run_get_steps (run);
  g_assert_cmpuint (steps->len, ==, 2);
  step = g_ptr_array_index (steps, 1);
  g_assert_cmpstr (cradle_journal_step_get_step (step), ==, "sign");
  /* One line for people and for `cradlectl log`. */
  g_assert_cmpstr (cradle_journal_step_get_text (step), ==, "The device signs the request");
  g_assert_cmpstr (cradle_journal_step_get_outcome (step), ==, "failed");
  g_assert_cmpint (cradle_journal_step_get_duration_ms (step), >=, 0);
  g_assert_cmpint (cradle_journal_step_get_run_id (step), ==, first);
  g_clear_object (&run);

  /* The precise cause's name from the explanation table; texts cut short. */
  run = cradle_journal_get_run (journal, second, &error);
  step = g_ptr_array_index (cradle_journal_run_get_steps (run), 0);
  g_assert_cmpstr (cradle_journal_step_get_error_name (step), ==, "CERTSRV_E_TEMPLATE_DENIED");
  g_assert_cmpuint (strlen (cradle_journal_step_get_text (step)), ==, CRADLE_JOURNAL_MAX_TEXT);
  g_assert_cmpint (cradle_journal_run_get_request_id (run), ==, 7);
  g_clear_object (&run);

  run = cradle_journal_get_run (journal, 12345, &error);
  g_assert_null (run);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
}

/* Text from a device, a CA or the directory is stored as the terminal
 * sanitiser leaves it: `cradlectl log` replays it later, so ESC, C1 and
 * bidi controls must not reach the file. */
static void
test_untrusted_text (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleJournal) journal = cradle_journal_open (fixture->path, &error);
  g_autoptr(GError) denied = NULL;
  g_autoptr(CradleJournalRun) run = NULL;
  CradleJournalStep *step;
  gint64 run_id;
  gint64 id;

  g_assert_no_error (error);
  run_id = cradle_journal_begin_run (journal, "enroll", "Type\x1b]8;;http://evil\x07",
                                     "certsrv", "PHONE\x1b[31m-7\xc2\x9b", 0, &error);
  g_assert_no_error (error);
  id = cradle_journal_begin_step (journal, run_id, "sign",
                                  "Confirm on \x1b[2J\xe2\x80\xaePixel\xff", &error);
  g_assert_no_error (error);
  denied = g_error_new_literal (CRADLE_ERROR, CRADLE_ERROR_CA_DENIED,
                                "The CA said: \x1b[1mOK\x1b[0m \xe2\x81\xa6x\xe2\x81\xa9");
  g_assert_true (cradle_journal_end_step (journal, id, "denied", denied, &error));
  g_assert_true (cradle_journal_end_run (journal, run_id, "denied", denied, &error));

  run = cradle_journal_get_run (journal, run_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_journal_run_get_type_name (run), ==, "Type\\x1b]8;;http://evil\\x07");
  g_assert_cmpstr (cradle_journal_run_get_device_serial (run), ==, "PHONE\\x1b[31m-7\\u009b");
  g_assert_cmpstr (cradle_journal_run_get_error (run), ==,
                   "The CA said: \\x1b[1mOK\\x1b[0m \\u2066x\\u2069");
  step = g_ptr_array_index (cradle_journal_run_get_steps (run), 0);
  g_assert_cmpstr (cradle_journal_step_get_text (step), ==, "Confirm on \\x1b[2J\\u202ePixel\\xff");
  g_assert_cmpstr (cradle_journal_step_get_error (step), ==, cradle_journal_run_get_error (run));
}

/* A step that never ended (its program died) reads as running. */
static void
test_unfinished (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleJournal) journal = cradle_journal_open (fixture->path, &error);
  g_autoptr(CradleJournalRun) run = NULL;
  CradleJournalStep *step;
  gint64 id;

  id = cradle_journal_begin_run (journal, "enroll", "T", "scep", "DEV", 0, &error);
  cradle_journal_begin_step (journal, id, "generate-key", "The device makes a key", &error);
  g_assert_no_error (error);
  g_clear_object (&journal);

  journal = cradle_journal_open (fixture->path, &error);
  run = cradle_journal_get_run (journal, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_journal_run_get_outcome (run), ==, "running");
  g_assert_cmpint (cradle_journal_run_get_finished (run), ==, 0);
  step = g_ptr_array_index (cradle_journal_run_get_steps (run), 0);
  g_assert_cmpstr (cradle_journal_step_get_outcome (step), ==, "running");
  g_assert_cmpint (cradle_journal_step_get_duration_ms (step), ==, -1);
}

static void
test_unsigned_keys (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleJournal) journal = cradle_journal_open (fixture->path, &error);
  g_autoptr(GBytes) key_id = g_bytes_new ("0123456789abcdef", 16);
  g_autoptr(GBytes) spki = g_bytes_new ("\x30\x03\x02\x01\x00", 5);
  g_autoptr(GBytes) found = NULL;
  g_autoptr(GBytes) found_spki = NULL;

  g_assert_null (cradle_journal_find_key (journal, "DEV", "T", &found_spki));
  g_assert_true (cradle_journal_remember_key (journal, "DEV", "T", key_id, spki, &error));
  g_assert_no_error (error);
  g_assert_null (cradle_journal_find_key (journal, "DEV", "Other", &found_spki));
  g_assert_null (cradle_journal_find_key (journal, "OTHER", "T", &found_spki));
  found = cradle_journal_find_key (journal, "DEV", "T", &found_spki);
  g_assert_nonnull (found);
  g_assert_true (g_bytes_equal (found, key_id));
  g_assert_true (g_bytes_equal (found_spki, spki));
  g_assert_true (cradle_journal_forget_key (journal, key_id, &error));
  g_clear_pointer (&found_spki, g_bytes_unref);
  g_assert_null (cradle_journal_find_key (journal, "DEV", "T", &found_spki));
}

/* The journal's version is its own; the pending store's stays as it was. */
static void
test_schema (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingStore) store = cradle_pending_store_open (fixture->path, &error);
  g_autoptr(CradleJournal) journal = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_no_error (error);
  journal = cradle_journal_open (fixture->path, &error);
  g_assert_no_error (error);
  g_clear_object (&journal);
  g_clear_object (&store);

  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, CRADLE_PENDING_SCHEMA_VERSION);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT version FROM journal_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, CRADLE_JOURNAL_SCHEMA_VERSION);
  sqlite3_finalize (stmt);
  /* A newer journal is refused, and left as it is. */
  g_assert_cmpint (sqlite3_exec (db, "UPDATE journal_version SET version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  journal = cradle_journal_open (fixture->path, &error);
  g_assert_null (journal);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "newer version of Cradle"));
  /* The pending store still opens. */
  g_clear_error (&error);
  store = cradle_pending_store_open (fixture->path, &error);
  g_assert_no_error (error);
}

/* A journal of schema 1 (enrollments only) taken to schema 2: its runs and
 * steps kept, their ids too, a status run then accepted, and the steps still
 * following their run when it goes. */
static void
test_schema_1_to_2 (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingStore) store = cradle_pending_store_open (fixture->path, &error);
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  sqlite3 *db = NULL;
  gint64 run_id;

  g_assert_no_error (error);
  g_clear_object (&store);
  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
    "CREATE TABLE journal_version (version INTEGER NOT NULL) STRICT;"
    "INSERT INTO journal_version VALUES (1);"
    "CREATE TABLE journal_runs (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL CHECK (kind IN ('enroll', 'resume')), request_id INTEGER NOT NULL DEFAULT 0,"
    "  type_name TEXT, protocol TEXT, device_serial TEXT, started INTEGER NOT NULL,"
    "  finished INTEGER NOT NULL DEFAULT 0, outcome TEXT NOT NULL DEFAULT 'running', error TEXT,"
    "  error_name TEXT) STRICT;"
    "CREATE INDEX journal_runs_by_request ON journal_runs (request_id);"
    "CREATE TABLE journal_steps (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  run_id INTEGER NOT NULL REFERENCES journal_runs (id) ON DELETE CASCADE, step TEXT NOT NULL,"
    "  text TEXT, started INTEGER NOT NULL, duration_ms INTEGER NOT NULL DEFAULT -1,"
    "  outcome TEXT NOT NULL DEFAULT 'running', error TEXT, error_name TEXT) STRICT;"
    "CREATE INDEX journal_steps_by_run ON journal_steps (run_id);"
    "CREATE TABLE journal_unsigned_keys (key_id BLOB PRIMARY KEY CHECK (length (key_id) = 16),"
    "  device_serial TEXT NOT NULL, type_name TEXT NOT NULL,"
    "  public_key BLOB NOT NULL CHECK (length (public_key) > 0), created INTEGER NOT NULL) STRICT;"
    "INSERT INTO journal_runs (id, kind, request_id, type_name, started, outcome) VALUES (7, 'enroll', 3, 'User', 1, 'installed');"
    "INSERT INTO journal_steps (run_id, step, text, started, duration_ms, outcome) VALUES (7, 'device', 'a', 1, 2, 'ok');"
    "INSERT INTO journal_steps (run_id, step, text, started, duration_ms, outcome) VALUES (7, 'install', 'b', 2, 3, 'ok');",
    NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  journal = cradle_journal_open (fixture->path, &error);
  g_assert_no_error (error);
  runs = cradle_journal_list_runs (journal, 3, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpint (cradle_journal_run_get_id (g_ptr_array_index (runs, 0)), ==, 7);
  g_assert_cmpstr (cradle_journal_run_get_outcome (g_ptr_array_index (runs, 0)), ==, "installed");
  g_assert_cmpuint (cradle_journal_run_get_steps (g_ptr_array_index (runs, 0))->len, ==, 2);

  run_id = cradle_journal_begin_run (journal, "check", NULL, NULL, "S1", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (run_id, ==, 8);
  g_assert_true (cradle_journal_end_run (journal, run_id, "valid", NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&journal);

  /* The steps still belong to their run: removing it removes them. */
  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA foreign_keys = ON; DELETE FROM journal_runs WHERE id = 7",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  {
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM journal_steps", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 0);
    sqlite3_finalize (stmt);
    g_assert_cmpint (sqlite3_exec (db, "INSERT INTO journal_runs (kind, started) VALUES ('bogus', 1)",
                                   NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
  }
  sqlite3_close (db);
}

static const char *program;

#define STEPS 20

/* What the other program does (this test run again with --open PATH). */
static int
open_and_close (const char *path)
{
  g_autoptr(CradlePendingStore) store = cradle_pending_store_open (path, NULL);
  g_autoptr(CradleJournal) journal = cradle_journal_open (path, NULL);
  g_autoptr(GPtrArray) runs = journal != NULL ? cradle_journal_list_runs (journal, 0, 0, NULL) : NULL;

  return store != NULL && runs != NULL ? 0 : 1;
}

/* What the other program sees: whether the file is in use, as SQLite's
 * shared lock byte range says (a connection holds it while it is open in
 * WAL mode; the last one to close resets the WAL). */
static int
check_in_use (const char *path)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0x40000002, .l_len = 510 };
  int in_use;

  if (fd < 0 || fcntl (fd, F_GETLK, &lock) != 0)
    return 2;
  in_use = lock.l_type != F_UNLCK;
  close (fd);
  return in_use ? 0 : 1;
}

/* Another program that opens and closes the file, while we go on. */
static GPid
other_program_opens (const char *path)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { program, "--open", path, NULL };
  GPid pid = 0;

  g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  return pid;
}

static void
wait_for (GPid pid)
{
  int status = 0;

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_spawn_close_pid (pid);
}

/* The app and cradlectl keep the store and the journal open on one file
 * while other programs come and go: nothing written is lost.  (Opening the
 * second connection used to drop the first one's POSIX locks, and the
 * last program to close reset the WAL under the writer.) */
static void
test_shared_with_store (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingStore) store = cradle_pending_store_open (fixture->path, &error);
  g_autoptr(CradleJournal) journal = cradle_journal_open (fixture->path, &error);
  g_autoptr(CradleJournal) reader = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  GPid pids[STEPS];
  gint64 run;

  g_assert_no_error (error);
  /* Other programs see the file in use. */
  {
    const char *argv[] = { program, "--in-use", fixture->path, NULL };
    int status = 0;

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  run = cradle_journal_begin_run (journal, "enroll", "T", "est", "DEV", 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < STEPS; i++)
    {
      gint64 step;

      pids[i] = other_program_opens (fixture->path);
      step = cradle_journal_begin_step (journal, run, "submit", "step", &error);
      g_assert_no_error (error);
      g_usleep (5000);
      g_assert_true (cradle_journal_end_step (journal, step, "ok", NULL, &error));
    }
  g_assert_true (cradle_journal_end_run (journal, run, "installed", NULL, &error));
  for (guint i = 0; i < STEPS; i++)
    wait_for (pids[i]);
  g_clear_object (&journal);
  g_clear_object (&store);

  reader = cradle_journal_open (fixture->path, &error);
  runs = cradle_journal_list_runs (reader, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpstr (cradle_journal_run_get_outcome (g_ptr_array_index (runs, 0)), ==, "installed");
  g_assert_cmpuint (cradle_journal_run_get_steps (g_ptr_array_index (runs, 0))->len, ==, STEPS);
}

/* A journal of schema 1 takes runs of kind renew, remove and check once
 * opened, and keeps what it held (the steps still belong to their runs). */
static void
test_schema_1_kinds (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingStore) store = cradle_pending_store_open (fixture->path, &error);
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(CradleJournalRun) old_run = NULL;
  sqlite3 *db = NULL;
  const char *kinds[] = { "renew", "remove", "check" };

  g_assert_no_error (error);
  journal = cradle_journal_open (fixture->path, &error);
  g_assert_no_error (error);
  g_clear_object (&journal);

  /* Schema 1 as it was: kind enroll or resume only. */
  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "DROP TABLE journal_steps; DROP TABLE journal_runs;"
                                 "UPDATE journal_version SET version = 1;"
                                 "CREATE TABLE journal_runs ("
                                 "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                 "  kind TEXT NOT NULL CHECK (kind IN ('enroll', 'resume')),"
                                 "  request_id INTEGER NOT NULL DEFAULT 0, type_name TEXT, protocol TEXT,"
                                 "  device_serial TEXT, started INTEGER NOT NULL,"
                                 "  finished INTEGER NOT NULL DEFAULT 0,"
                                 "  outcome TEXT NOT NULL DEFAULT 'running', error TEXT, error_name TEXT) STRICT;"
                                 "CREATE INDEX journal_runs_by_request ON journal_runs (request_id);"
                                 "CREATE TABLE journal_steps ("
                                 "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                 "  run_id INTEGER NOT NULL REFERENCES journal_runs (id) ON DELETE CASCADE,"
                                 "  step TEXT NOT NULL, text TEXT, started INTEGER NOT NULL,"
                                 "  duration_ms INTEGER NOT NULL DEFAULT -1,"
                                 "  outcome TEXT NOT NULL DEFAULT 'running', error TEXT, error_name TEXT) STRICT;"
                                 "CREATE INDEX journal_steps_by_run ON journal_steps (run_id);"
                                 "INSERT INTO journal_runs (id, kind, request_id, started, outcome)"
                                 "  VALUES (1, 'enroll', 4, 1000, 'installed');"
                                 "INSERT INTO journal_steps (run_id, step, text, started, duration_ms, outcome)"
                                 "  VALUES (1, 'device', 'Talking to the device', 1000, 3, 'ok');",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO journal_runs (kind, started) VALUES ('renew', 1)", NULL, NULL,
                                 NULL), !=, SQLITE_OK);
  sqlite3_close (db);

  journal = cradle_journal_open (fixture->path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      gint64 id = cradle_journal_begin_run (journal, kinds[i], "T", "certsrv", "DEV", 0, &error);

      g_assert_no_error (error);
      g_assert_cmpint (id, >, 1);
    }
  old_run = cradle_journal_get_run (journal, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_journal_run_get_kind (old_run), ==, "enroll");
  g_assert_cmpuint (cradle_journal_run_get_steps (old_run)->len, ==, 1);
}

int
main (int    argc,
      char **argv)
{
  if (argc == 3 && g_str_equal (argv[1], "--open"))
    return open_and_close (argv[2]);
  if (argc == 3 && g_str_equal (argv[1], "--in-use"))
    return check_in_use (argv[2]);
  program = g_path_is_absolute (argv[0]) ? argv[0] : g_build_filename (g_get_current_dir (), argv[0], NULL);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/journal/runs-and-steps", Fixture, NULL, fixture_set_up, test_runs_and_steps, fixture_tear_down);
  g_test_add ("/journal/untrusted-text", Fixture, NULL, fixture_set_up, test_untrusted_text, fixture_tear_down);
  g_test_add ("/journal/unfinished", Fixture, NULL, fixture_set_up, test_unfinished, fixture_tear_down);
  g_test_add ("/journal/unsigned-keys", Fixture, NULL, fixture_set_up, test_unsigned_keys, fixture_tear_down);
  g_test_add ("/journal/schema", Fixture, NULL, fixture_set_up, test_schema, fixture_tear_down);
  g_test_add ("/journal/schema-1-kinds", Fixture, NULL, fixture_set_up, test_schema_1_kinds, fixture_tear_down);
  g_test_add ("/journal/schema-1-to-2", Fixture, NULL, fixture_set_up, test_schema_1_to_2, fixture_tear_down);
  g_test_add ("/journal/shared-with-store", Fixture, NULL, fixture_set_up, test_shared_with_store,
              fixture_tear_down);
  return g_test_run ();
}
