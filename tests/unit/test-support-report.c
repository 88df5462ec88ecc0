/* test-support-report.c: what a support report takes from hostile files,
 * the names it replaces, the archive written whole or not at all, and the
 * log file a report takes its lines from */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "base/cradle-log-private.h"
#include "support/cradle-support-report-private.h"

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("cradle-support-report-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  g_autofree char *command = g_strdup_printf ("rm -rf '%s'", path);

  g_assert_cmpint (system (command), ==, 0);
}

/* Secret keys blanked, their values noted, controls escaped, a pasted
 * private key dropped, and the rest kept as it is. */
static void
test_conf_cleaned (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "cradle.conf", NULL);
  g_autoptr(GPtrArray) secrets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) out = g_string_new (NULL);
  const char *text = "[Directory]\n"
                     "Domain=corp.example.test\n"
                     "Password = Hunter2-Is-Secret\n"
                     "ScepChallenge=Ch4llenge-Text\n"
                     "ChallengeFile=/etc/cradle/types.d/wifi.challenge\n"
                     "PIN=123456\n"
                     "# \x1b]0;owned\x07 \xe2\x80\xae reversed\n"
                     "-----BEGIN PRIVATE KEY-----\n"
                     "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
                     "-----END PRIVATE KEY-----\n"
                     "Timeout=30\n";

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  _cradle_support_report_add_conf (out, path, secrets);
  g_test_message ("%s", out->str);

  g_assert_nonnull (strstr (out->str, "Domain=corp.example.test\n"));
  g_assert_nonnull (strstr (out->str, "Password =(removed)\n"));
  g_assert_nonnull (strstr (out->str, "ScepChallenge=(removed)\n"));
  g_assert_nonnull (strstr (out->str, "PIN=(removed)\n"));
  /* A challenge's path is not the challenge. */
  g_assert_nonnull (strstr (out->str, "ChallengeFile=/etc/cradle/types.d/wifi.challenge\n"));
  g_assert_null (strstr (out->str, "Hunter2"));
  g_assert_null (strstr (out->str, "Ch4llenge-Text"));
  g_assert_null (strstr (out->str, "123456"));
  g_assert_null (strstr (out->str, "MIIEvQ"));
  g_assert_nonnull (strstr (out->str, "(a private key: removed)"));
  g_assert_null (strchr (out->str, '\x1b'));
  g_assert_null (strchr (out->str, '\x07'));
  g_assert_null (strstr (out->str, "\xe2\x80\xae"));
  g_assert_nonnull (strstr (out->str, "\\x1b]0;owned\\x07 \\u202e reversed"));
  g_assert_nonnull (strstr (out->str, "Timeout=30\n"));
  g_assert_cmpuint (secrets->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (secrets, 0), ==, "Hunter2-Is-Secret");
  g_assert_cmpstr (g_ptr_array_index (secrets, 1), ==, "Ch4llenge-Text");
  g_assert_cmpstr (g_ptr_array_index (secrets, 2), ==, "123456");
  remove_tree (dir);
}

/* A link, a FIFO and a huge file: not followed, not waited on, cut. */
static void
test_conf_hostile_files (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *secret = g_build_filename (dir, "secret", NULL);
  g_autofree char *link = g_build_filename (dir, "link.conf", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo.conf", NULL);
  g_autofree char *huge = g_build_filename (dir, "huge.conf", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.conf", NULL);
  g_autoptr(GPtrArray) secrets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) big = g_string_new (NULL);

  g_assert_true (g_file_set_contents (secret, "Not-For-The-Report\n", -1, NULL));
  g_assert_cmpint (symlink (secret, link), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  while (big->len < 3 * CRADLE_REPORT_MAX_FILE_BYTES)
    g_string_append (big, "Line=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
  g_string_append (big, "Tail=Past-The-Limit\n");
  g_assert_true (g_file_set_contents (huge, big->str, (gssize) big->len, NULL));

  _cradle_support_report_add_conf (out, link, secrets);
  _cradle_support_report_add_conf (out, fifo, secrets);
  _cradle_support_report_add_conf (out, missing, secrets);
  g_assert_null (strstr (out->str, "Not-For-The-Report"));
  g_assert_nonnull (strstr (out->str, "a symbolic link, not followed"));
  g_assert_nonnull (strstr (out->str, "not a regular file, not read"));
  g_assert_nonnull (strstr (out->str, "there is no such file"));

  g_string_truncate (out, 0);
  _cradle_support_report_add_conf (out, huge, secrets);
  g_assert_null (strstr (out->str, "Past-The-Limit"));
  g_assert_nonnull (strstr (out->str, "the rest is left out"));
  g_assert_cmpuint (out->len, <, CRADLE_REPORT_MAX_FILE_BYTES + 4096);
  remove_tree (dir);
}

/* A known secret goes from every file, in each form it could take. */
static void
test_remove_secrets (void)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (_cradle_report_file_free);
  g_autoptr(GPtrArray) secrets = g_ptr_array_new_with_free_func (g_free);
  CradleReportFile *a = _cradle_report_file_new (files, "a.txt", "a");
  CradleReportFile *b = _cradle_report_file_new (files, "b.json", "b");

  g_ptr_array_add (secrets, g_strdup ("pa\"ss\\word"));
  g_string_append (a->text, "error: the challenge pa\"ss\\word was refused\n");
  g_string_append (b->text, "{\"error\": \"pa\\\"ss\\\\word\"}\n");
  _cradle_support_report_remove_secrets (files, secrets);
  g_assert_cmpstr (a->text->str, ==, "error: the challenge (removed) was refused\n");
  g_assert_cmpstr (b->text->str, ==, "{\"error\": \"(removed)\"}\n");
}

static const char *
text_of (GPtrArray  *files,
         const char *name)
{
  for (guint i = 0; i < files->len; i++)
    {
      CradleReportFile *file = g_ptr_array_index (files, i);

      if (g_str_equal (file->name, name))
        return file->text->str;
    }
  g_assert_not_reached ();
}

/* The same name, the same stand-in, in every file and whatever its case;
 * only whole names; hosts under the domain found on their own. */
static void
test_redact_names (void)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (_cradle_report_file_free);
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func (g_free);
  CradleReportFile *a = _cradle_report_file_new (files, "a.txt", "a");
  CradleReportFile *b = _cradle_report_file_new (files, "b.txt", "b");

  g_ptr_array_add (users, g_strdup ("alice"));
  g_ptr_array_add (domains, g_strdup ("corp.example.test"));
  g_ptr_array_add (domains, g_strdup ("CORP.EXAMPLE.TEST"));
  g_ptr_array_add (hosts, g_strdup ("dc1.corp.example.test"));
  g_ptr_array_add (hosts, g_strdup ("workstation7"));
  g_string_append (a->text, "Signed in as alice@CORP.EXAMPLE.TEST to ldap://DC1.corp.example.test\n"
                            "CN=Alice,CN=Users,DC=corp,DC=example,DC=test; malice; alice-2; workstation7\n");
  g_string_append (b->text, "Submitting to ca1.corp.example.test (certsrv) for ALICE on dc1.corp.example.test\n");
  _cradle_support_report_redact_names (files, users, domains, hosts);
  g_test_message ("%s%s", a->text->str, b->text->str);

  g_assert_cmpstr (a->text->str, ==,
                   "Signed in as user1@domain1.example to ldap://host1.domain1.example\n"
                   "CN=user1,CN=Users,DC=domain1,DC=example; malice; alice-2; host2.example\n");
  g_assert_cmpstr (b->text->str, ==,
                   "Submitting to host3.domain1.example (certsrv) for user1 on host1.domain1.example\n");
  g_assert_nonnull (strstr (text_of (files, "redacted-names.txt"), "1 user name(s)"));
  g_assert_null (strstr (text_of (files, "redacted-names.txt"), "alice"));
}

/* A folder that cannot be written: an error, and no file at all. */
static void
test_archive_whole_or_nothing (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "r.tar.gz", NULL);
  g_autofree char *path = g_build_filename (dir, "r.tar.gz", NULL);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (_cradle_report_file_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = NULL;
  g_autofree char *listed = NULL;
  g_autofree char *command = NULL;
  struct stat st;
  guint entries = 0;

  g_string_append (_cradle_report_file_new (files, "README.txt", "r")->text, "hello\n");
  g_string_append (_cradle_report_file_new (files, "config/user/cradle.conf", "c")->text, "[Directory]\n");
  g_assert_false (_cradle_support_report_write_archive (missing, files, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "Choose a folder you may write to"));

  g_assert_true (_cradle_support_report_write_archive (path, files, NULL));
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  listing = g_dir_open (dir, 0, NULL);
  while (g_dir_read_name (listing) != NULL)
    entries++;
  /* The archive only: no temporary file left. */
  g_assert_cmpuint (entries, ==, 1);
  command = g_strdup_printf ("tar tzf '%s'", path);
  g_assert_true (g_spawn_command_line_sync (command, &listed, NULL, NULL, NULL));
  g_assert_cmpstr (listed, ==, "r/\nr/README.txt\nr/config/user/\nr/config/user/cradle.conf\n");
  remove_tree (dir);
}

static void
log_line (GLogLevelFlags  level,
          const char     *message,
          const char     *run)
{
  GLogField fields[4] = {
    { "GLIB_DOMAIN", "cradle-core", -1 },
    { "PRIORITY", "6", -1 },
    { "MESSAGE", message, -1 },
    { "CRADLE_RUN", run, -1 },
  };

  cradle_log_writer (level, fields, run != NULL ? 4 : 3, NULL);
}

/* The log file: a run's info lines and warnings kept with their fields,
 * escaped to one line each, other info lines not, and bounded. */
static void
test_log_file (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = NULL;
  g_autofree char *older = NULL;
  g_autofree char *text = NULL;
  g_autofree char *message = g_strnfill (1000, 'x');
  struct stat st;

  g_setenv ("CRADLE_STATE_DIR", dir, TRUE);
  path = cradle_log_dup_path ();
  older = g_strconcat (path, ".1", NULL);

  log_line (G_LOG_LEVEL_INFO, "about nothing", NULL);
  log_line (G_LOG_LEVEL_INFO, "step one\n\x1b[2Jfake line", "7");
  cradle_log_set_context (8, "submit", "SER\x1b-1");
  log_line (G_LOG_LEVEL_MESSAGE, "from the worker", NULL);
  cradle_log_set_context (0, NULL, NULL);
  log_line (G_LOG_LEVEL_MESSAGE, "after the run", NULL);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_test_message ("%s", text);
  g_assert_null (strstr (text, "about nothing"));
  g_assert_nonnull (strstr (text, "info: step one\\n\\x1b[2Jfake line CRADLE_RUN=7\n"));
  g_assert_nonnull (strstr (text, "message: from the worker CRADLE_RUN=8 CRADLE_STEP=submit CRADLE_DEVICE=SER\\x1b-1\n"));
  g_assert_nonnull (strstr (text, "message: after the run\n"));
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  for (guint i = 0; i < 600; i++)
    log_line (G_LOG_LEVEL_INFO, message, "9");
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, <=, 256 * 1024);
  g_assert_cmpint (stat (older, &st), ==, 0);
  g_assert_cmpint (st.st_size, <=, 256 * 1024);
  g_assert_cmpint (st.st_size, >, 200 * 1024);
  remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The log file's test passes lines on to GLib's writer: not onto TAP. */
  g_log_writer_default_set_use_stderr (TRUE);

  g_test_add_func ("/support-report/conf-cleaned", test_conf_cleaned);
  g_test_add_func ("/support-report/conf-hostile-files", test_conf_hostile_files);
  g_test_add_func ("/support-report/remove-secrets", test_remove_secrets);
  g_test_add_func ("/support-report/redact-names", test_redact_names);
  g_test_add_func ("/support-report/archive-whole-or-nothing", test_archive_whole_or_nothing);
  g_test_add_func ("/support-report/log-file", test_log_file);

  return g_test_run ();
}
