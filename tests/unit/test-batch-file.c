/* test-batch-file.c: the batch file of `cradlectl enroll --batch`: CSV as
 * RFC 4180 writes it, comments and a header, and every hostile line an
 * error that names it */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <cradle/cradle.h>

static GPtrArray *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *entries = cradle_batch_file_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (entries);
  return entries;
}

static void
check_entry (GPtrArray  *entries,
             guint       index,
             const char *serial,
             const char *type,
             const char *subject,
             guint       line)
{
  CradleBatchEntry *entry;

  g_assert_cmpuint (index, <, entries->len);
  entry = g_ptr_array_index (entries, index);
  g_assert_cmpstr (cradle_batch_entry_get_serial (entry), ==, serial);
  g_assert_cmpstr (cradle_batch_entry_get_type_name (entry), ==, type);
  g_assert_cmpstr (cradle_batch_entry_get_subject (entry), ==, subject);
  g_assert_cmpuint (cradle_batch_entry_get_line (entry), ==, line);
}

/* @text fails with an error that names @line and holds @words. */
static void
check_refused (const char *text,
               gsize       size,
               guint       line,
               const char *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = cradle_batch_file_parse (text, size, &error);
  g_autofree char *where = g_strdup_printf ("Line %u of the batch file", line);

  g_assert_null (entries);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  if (line > 0)
    g_assert_nonnull (strstr (error->message, where));
  g_assert_nonnull (strstr (error->message, words));
}

static void
test_batch_plain (void)
{
  g_autoptr(GPtrArray) entries = parse ("# the cart of Monday\n"
                                        "serial,type,subject\n"
                                        "SN-1,wifi,\"CN=SN-1,O=Example, Inc.\"\r\n"
                                        "\n"
                                        "SN-2,wifi,\n"
                                        "  SN-3 , vpn \n"
                                        "SN-4,wifi,\"CN=\"\"quoted\"\"\" \n"
                                        "\"SN,5\",\"wifi\",CN=plain\n"
                                        "   \n"
                                        "# the end");

  g_assert_cmpuint (entries->len, ==, 5);
  check_entry (entries, 0, "SN-1", "wifi", "CN=SN-1,O=Example, Inc.", 3);
  check_entry (entries, 1, "SN-2", "wifi", NULL, 5);
  check_entry (entries, 2, "SN-3", "vpn", NULL, 6);
  check_entry (entries, 3, "SN-4", "wifi", "CN=\"quoted\"", 7);
  check_entry (entries, 4, "SN,5", "wifi", "CN=plain", 8);
}

static void
test_batch_header (void)
{
  g_autoptr(GPtrArray) no_header = parse ("SN-1,wifi\n");
  /* The header counts only as the first record; a byte order mark first. */
  g_autoptr(GPtrArray) with_bom = parse ("\xef\xbb\xbfSerial,Type\nSN-1,wifi\n");

  g_assert_cmpuint (no_header->len, ==, 1);
  check_entry (no_header, 0, "SN-1", "wifi", NULL, 1);
  g_assert_cmpuint (with_bom->len, ==, 1);
  check_entry (with_bom, 0, "SN-1", "wifi", NULL, 2);
  /* A comment ending in CRLF, as a spreadsheet writes it. */
  {
    g_autoptr(GPtrArray) crlf = parse ("# the cart\r\nSN-1,wifi\r\n");

    g_assert_cmpuint (crlf->len, ==, 1);
    check_entry (crlf, 0, "SN-1", "wifi", NULL, 2);
  }
  /* A device whose serial is "serial" after the first record is a device. */
  {
    g_autoptr(GPtrArray) later = parse ("SN-1,wifi\nserial,type\n");

    g_assert_cmpuint (later->len, ==, 2);
    check_entry (later, 1, "serial", "type", NULL, 2);
  }
}

static void
test_batch_hostile (void)
{
  g_autofree char *long_field = g_strnfill (CRADLE_BATCH_FILE_MAX_FIELD + 1, 'a');
  g_autofree char *long_line = g_strdup_printf ("SN-1,wifi,%s\n", long_field);
  g_autofree char *long_quoted = g_strdup_printf ("SN-1,wifi,\"%s\"\n", long_field);
  g_autoptr(GString) many = g_string_new (NULL);
  g_autofree char *huge = g_malloc0 (CRADLE_BATCH_FILE_MAX_SIZE + 1);

  check_refused ("SN-1,wifi\nSN-2\n", 15, 2, "one field");
  check_refused ("SN-1,wifi,CN=a,extra\n", 21, 1, "more than three fields");
  check_refused ("SN-1,wifi,\"CN=a\n", 16, 1, "line break inside its quotes");
  check_refused ("SN-1,wifi,\"CN=a", 15, 1, "not closed");
  check_refused ("SN-1,wifi,\"CN=a\"x\n", 18, 1, "text after its closing quote");
  check_refused ("SN-1,wifi,CN=\"a\"\n", 17, 1, "does not start with one");
  check_refused ("SN-1,wifi\rSN-2,wifi\n", 20, 1, "carriage return");
  /* Nor after a comment, where it would hide SN-1. */
  check_refused ("# old Mac\rSN-1,wifi\nSN-2,wifi\n", 30, 1, "carriage return");
  check_refused ("SN-1,wifi\n,wifi\n", 16, 2, "serial (field 1) is empty");
  check_refused ("SN-1,\n", 6, 1, "type (field 2) is empty");
  check_refused ("SN-1,wifi\n# x\nSN-1,vpn\n", 23, 3, "on line 1 already");
  check_refused ("SN-\x1b[31m1,wifi\n", 15, 1, "control character U+001B");
  check_refused ("SN-1,wifi,CN=\xe2\x80\xae" "evil\n", 21, 1, "control character U+202E");
  check_refused ("SN-\xc2\x85,wifi\n", 11, 1, "control character U+0085");
  check_refused ("SN-\xff,wifi\n", 10, 1, "not UTF-8");
  check_refused ("SN-1,wi\0fi\n", 11, 1, "NUL byte");
  check_refused ("SN-1,\"wi\0fi\"\n", 13, 1, "NUL byte");
  check_refused (long_line, strlen (long_line), 1, "longer than");
  check_refused (long_quoted, strlen (long_quoted), 1, "longer than");
  check_refused ("# nothing\n\n", 11, 0, "names no device");
  check_refused ("", 0, 0, "names no device");
  check_refused ("serial,type,subject\n", 20, 0, "names no device");
  check_refused (huge, CRADLE_BATCH_FILE_MAX_SIZE + 1, 0, "larger than");
  for (guint i = 0; i <= CRADLE_BATCH_FILE_MAX_DEVICES; i++)
    g_string_append_printf (many, "S%u,t\n", i);
  check_refused (many->str, many->len, CRADLE_BATCH_FILE_MAX_DEVICES + 1, "more than");
}

/* Only regular files are read, and the error names the file. */
static void
test_batch_read_file (void)
{
  g_autofree char *folder = g_dir_make_tmp ("cradle-batch-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (folder, "cart.csv", NULL);
  g_autofree char *bad = g_build_filename (folder, "bad.csv", NULL);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "SN-1,wifi,CN=SN-1\n", -1, NULL));
  g_assert_true (g_file_set_contents (bad, "SN-1,wifi\nSN-1,wifi\n", -1, NULL));
  entries = cradle_batch_file_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 1);
  check_entry (entries, 0, "SN-1", "wifi", "CN=SN-1", 1);

  g_assert_null (cradle_batch_file_read (bad, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, bad));
  g_assert_nonnull (strstr (error->message, "Line 2"));
  g_clear_error (&error);

  g_assert_null (cradle_batch_file_read (folder, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);

  g_unlink (path);
  g_assert_null (cradle_batch_file_read (path, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_unlink (bad);
  g_rmdir (folder);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/batch-file/plain", test_batch_plain);
  g_test_add_func ("/batch-file/header", test_batch_header);
  g_test_add_func ("/batch-file/hostile", test_batch_hostile);
  g_test_add_func ("/batch-file/read-file", test_batch_read_file);
  return g_test_run ();
}
