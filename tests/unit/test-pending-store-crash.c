/* test-pending-store-crash.c: a process killed between submission and commit
 * loses nothing it committed
 *
 * The test binary runs itself again as a child ("--crash-child MODE PATH")
 * that writes to the store and reports each commit on stdout; the parent
 * kills it with SIGKILL at a chosen or a random moment, then checks the
 * file with SQLite's integrity check and reads every request back.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "state/cradle-pending-store-private.h"
#include "pending-store-test-support.h"

/* ---- the child ---------------------------------------------------------- */

static void G_GNUC_PRINTF (1, 2)
report (const char *format,
        ...)
{
  g_autofree char *line = NULL;
  va_list args;
  gsize done = 0;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  while (done < strlen (line))
    {
      ssize_t written = write (STDOUT_FILENO, line + done, strlen (line) - done);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        _exit (3);
      done += (gsize) written;
    }
}

/* As if waiting for the CA, or for the device's user. */
static G_NORETURN void
wait_to_be_killed (void)
{
  for (;;)
    pause ();
}

static void
block_in_commit (gpointer user_data)
{
  report ("in-commit\n");
  wait_to_be_killed ();
}

static void
check (gboolean     ok,
       GError      *error)
{
  if (!ok)
    {
      report ("error %s\n", error != NULL ? error->message : "?");
      _exit (2);
    }
}

static int
run_child (const char *mode,
           const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingStore) store = cradle_pending_store_open (path, &error);
  g_autoptr(CradleCertificate) leaf = NULL;

  check (store != NULL, error);

  if (g_str_equal (mode, "submitting"))
    {
      gint64 id = test_add (store, 1);

      report ("added %" G_GINT64_FORMAT " 1\n", id);
      wait_to_be_killed ();
    }

  if (g_str_equal (mode, "before-commit"))
    {
      gint64 id = test_add (store, 2);

      leaf = test_certificate ("never committed");
      report ("added %" G_GINT64_FORMAT " 2\n", id);
      check (cradle_pending_store_mark_pending (store, id, "ca-2", NULL, 0, &error), error);
      report ("pending %" G_GINT64_FORMAT "\n", id);
      cradle_pending_store_set_before_commit_hook (store, block_in_commit, NULL);
      /* The hook ends the process inside the commit: neither line below runs. */
      if (cradle_pending_store_mark_issued (store, id, "ca-2-issued", leaf, NULL, &error))
        report ("error the commit went through\n");
      else
        report ("error the commit failed instead of the process ending\n");
      return 2;
    }

  if (g_str_equal (mode, "many"))
    {
      leaf = test_certificate ("many");
      for (guint seed = 1;; seed++)
        {
          g_autofree char *ca_id = g_strdup_printf ("ca-%u", seed);
          gint64 id = test_add (store, seed);

          report ("added %" G_GINT64_FORMAT " %u\n", id, seed);
          check (cradle_pending_store_mark_pending (store, id, ca_id, NULL, 60, &error), error);
          report ("pending %" G_GINT64_FORMAT "\n", id);
          check (cradle_pending_store_record_attempt (store, id, "The CA did not answer.", 60, &error), error);
          report ("attempt %" G_GINT64_FORMAT "\n", id);
          if (seed % 2 == 0)
            {
              check (cradle_pending_store_mark_issued (store, id, NULL, leaf, NULL, &error), error);
              report ("issued %" G_GINT64_FORMAT "\n", id);
            }
        }
    }

  report ("error unknown mode %s\n", mode);
  return 2;
}

/* ---- the parent --------------------------------------------------------- */

typedef struct {
  GSubprocess      *process;
  GDataInputStream *output;
} Child;

static void
child_start (Child      *child,
             const char *mode,
             const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *self = g_file_read_link ("/proc/self/exe", &error);

  g_assert_no_error (error);
  child->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                     self, "--crash-child", mode, path, NULL);
  g_assert_no_error (error);
  child->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child->process));
}

/* The next line the child reported, or %NULL once it is gone. */
static char *
child_read_line (Child *child)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line_utf8 (child->output, NULL, NULL, &error);

  g_assert_no_error (error);
  if (line != NULL && g_str_has_prefix (line, "error "))
    g_test_message ("The child failed: %s", line + 6);
  g_assert_false (line != NULL && g_str_has_prefix (line, "error "));
  return line;
}

static void
child_expect (Child      *child,
              const char *prefix)
{
  g_autofree char *line = child_read_line (child);

  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, prefix));
}

static void
child_kill (Child *child)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_force_exit (child->process);
  g_subprocess_wait (child->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (child->process));
  g_assert_cmpint (g_subprocess_get_term_sig (child->process), ==, SIGKILL);
}

static void
child_clear (Child *child)
{
  g_clear_object (&child->output);
  g_clear_object (&child->process);
}

/* What SQLite itself says of the file the dead process left. */
static void
assert_file_sound (const char *path)
{
  sqlite3 *db = test_sqlite_open (path);
  g_autofree char *integrity = test_sqlite_query (db, "PRAGMA integrity_check");
  g_autofree char *foreign_keys = test_sqlite_query (db, "SELECT count(*) FROM pragma_foreign_key_check");

  g_assert_cmpstr (integrity, ==, "ok");
  g_assert_cmpstr (foreign_keys, ==, "0");
  sqlite3_close (db);
}

static gint64
parse_id (const char *line,
          const char *prefix)
{
  gint64 id;
  char *end = NULL;

  g_assert_true (g_str_has_prefix (line, prefix));
  id = g_ascii_strtoll (line + strlen (prefix), &end, 10);
  g_assert_cmpint (id, >, 0);
  return id;
}

/* Killed while the CA has the request: it is there, submitting, whole. */
static void
test_killed_while_submitting (StoreFixture  *f,
                              gconstpointer  data)
{
  Child child = { NULL, NULL };
  g_autofree char *line = NULL;
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  child_start (&child, "submitting", f->path);
  line = child_read_line (&child);
  g_assert_nonnull (line);
  id = parse_id (line, "added ");
  child_kill (&child);
  child_clear (&child);

  assert_file_sound (f->path);
  store = cradle_pending_store_open (f->path, &error);
  g_assert_no_error (error);
  request = cradle_pending_store_get (store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_SUBMITTING);
  test_assert_intact (request, 1);

  /* The engine resumes it. */
  g_assert_true (cradle_pending_store_mark_pending (store, id, "42", NULL, 0, &error));
  g_assert_no_error (error);
}

/* Killed inside a transaction, after its changes and before COMMIT: the
 * change is gone, everything before it is there. */
static void
test_killed_before_commit (StoreFixture  *f,
                           gconstpointer  data)
{
  Child child = { NULL, NULL };
  g_autofree char *line = NULL;
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(CradleCertificate) leaf = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  child_start (&child, "before-commit", f->path);
  line = child_read_line (&child);
  g_assert_nonnull (line);
  id = parse_id (line, "added ");
  child_expect (&child, "pending ");
  child_expect (&child, "in-commit");
  child_kill (&child);
  child_clear (&child);

  assert_file_sound (f->path);
  store = cradle_pending_store_open (f->path, &error);
  g_assert_no_error (error);
  request = cradle_pending_store_get (store, id, &error);
  g_assert_no_error (error);
  test_assert_intact (request, 2);
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_PENDING);
  g_assert_cmpstr (cradle_pending_request_get_ca_request_id (request), ==, "ca-2");
  g_assert_null (cradle_pending_request_get_leaf (request));
  {
    sqlite3 *db = test_sqlite_open (f->path);
    g_autofree char *certificates = test_sqlite_query (db, "SELECT count(*) FROM certificates");

    g_assert_cmpstr (certificates, ==, "0");
    sqlite3_close (db);
  }

  /* The write lock died with the process: the next write goes through. */
  leaf = test_certificate ("after the crash");
  g_assert_true (cradle_pending_store_mark_issued (store, id, NULL, leaf, NULL, &error));
  g_assert_no_error (error);
}

typedef struct {
  guint seed;
  guint stage;   /* 1 added, 2 pending, 3 attempt, 4 issued */
} Reported;

static void
note_report (GHashTable *reported,
             const char *line,
             guint      *added)
{
  static const char *const stages[] = { "added ", "pending ", "attempt ", "issued " };
  g_auto(GStrv) words = g_strsplit (line, " ", 3);

  for (guint stage = 0; stage < G_N_ELEMENTS (stages); stage++)
    {
      gint64 id;
      Reported *report;

      if (!g_str_has_prefix (line, stages[stage]))
        continue;
      id = parse_id (line, stages[stage]);
      if (stage == 0)
        {
          guint64 seed;
          gint64 *key = g_new (gint64, 1);

          g_assert_nonnull (words[1]);
          g_assert_nonnull (words[2]);
          g_assert_true (g_ascii_string_to_unsigned (words[2], 10, 1, G_MAXUINT, &seed, NULL));
          report = g_new0 (Reported, 1);
          report->seed = (guint) seed;
          *key = id;
          g_assert_false (g_hash_table_contains (reported, key));
          g_hash_table_insert (reported, key, report);
          (*added)++;
        }
      else
        {
          report = g_hash_table_lookup (reported, &id);
          g_assert_nonnull (report);
        }
      report->stage = stage + 1;
      return;
    }
  g_test_message ("The child reported '%s'", line);
  g_assert_not_reached ();
}

/* Killed at a random moment among many transactions: whatever the child
 * reported as committed is there, and whatever is there is whole. */
static void
test_killed_mid_stream (StoreFixture  *f,
                        gconstpointer  data)
{
  Child child = { NULL, NULL };
  g_autoptr(GHashTable) reported = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autoptr(GHashTable) stored = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GError) error = NULL;
  guint wanted = (guint) g_test_rand_int_range (300, 600);
  guint lines = 0;
  guint added = 0;
  GHashTableIter iter;
  gpointer key, value;
  char *line;

  child_start (&child, "many", f->path);
  while (lines < wanted && (line = child_read_line (&child)) != NULL)
    {
      note_report (reported, line, &added);
      lines++;
      g_free (line);
    }
  g_assert_cmpuint (lines, ==, wanted);
  child_kill (&child);
  /* What it reported after the count was reached and before it died. */
  while ((line = child_read_line (&child)) != NULL)
    {
      note_report (reported, line, &added);
      lines++;
      g_free (line);
    }
  child_clear (&child);
  g_test_message ("killed after %u reported commits, %u requests", lines, added);
  g_assert_cmpuint (added, >=, 50);

  assert_file_sound (f->path);
  store = cradle_pending_store_open (f->path, &error);
  g_assert_no_error (error);
  requests = cradle_pending_store_list (store, CRADLE_PENDING_LIST_ALL, &error);
  g_assert_no_error (error);

  /* Every row is whole; at most one commit was made and not reported. */
  for (guint i = 0; i < requests->len; i++)
    {
      CradlePendingRequest *request = g_ptr_array_index (requests, i);
      gint64 *id = g_new (gint64, 1);

      *id = cradle_pending_request_get_id (request);
      test_assert_intact (request, test_seed_of (request));
      g_hash_table_insert (stored, id, request);
    }
  g_assert_cmpuint (requests->len, >=, added);
  g_assert_cmpuint (requests->len, <=, added + 1);

  /* Every reported commit is there, at its stage or one further. */
  g_hash_table_iter_init (&iter, reported);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      CradlePendingRequest *request = g_hash_table_lookup (stored, key);
      Reported *report = value;
      g_autofree char *ca_id = g_strdup_printf ("ca-%u", report->seed);

      g_assert_nonnull (request);
      test_assert_intact (request, report->seed);
      if (report->stage >= 2)
        {
          g_assert_cmpint (cradle_pending_request_get_status (request), !=, CRADLE_PENDING_STATUS_SUBMITTING);
          g_assert_cmpstr (cradle_pending_request_get_ca_request_id (request), ==, ca_id);
        }
      if (report->stage >= 3)
        g_assert_cmpuint (cradle_pending_request_get_attempts (request), ==, 2);
      if (report->stage == 4)
        {
          g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_ISSUED);
          g_assert_nonnull (cradle_pending_request_get_leaf (request));
        }
    }
}

#define ADD(name, func) \
  g_test_add ("/pending-store/crash/" name, StoreFixture, NULL, store_fixture_set_up, func, store_fixture_tear_down)

int
main (int    argc,
      char **argv)
{
  if (argc == 4 && g_str_equal (argv[1], "--crash-child"))
    return run_child (argv[2], argv[3]);

  g_test_init (&argc, &argv, NULL);

  ADD ("killed-while-submitting", test_killed_while_submitting);
  ADD ("killed-before-commit", test_killed_before_commit);
  ADD ("killed-mid-stream", test_killed_mid_stream);

  return g_test_run ();
}
