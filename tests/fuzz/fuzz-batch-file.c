/* fuzz-batch-file.c: libFuzzer harness for the batch file of
 * `cradlectl enroll --batch` (core/engine/cradle-batch-file.c)
 *
 * The file comes from whoever made the cart's list: damage must be an
 * error naming a line, never a crash or a hang.  What parses keeps the
 * promises of the header (bounded, UTF-8 without controls, each serial
 * once, lines in order), and written back as CSV with every field quoted
 * it parses again to the same devices. */
#include "config.h"

#include <string.h>
#include <cradle/cradle.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_text (const char *value)
{
  g_assert (g_utf8_validate (value, -1, NULL));
  g_assert_cmpuint (strlen (value), <=, CRADLE_BATCH_FILE_MAX_FIELD);
  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    g_assert (!g_unichar_iscntrl (g_utf8_get_char (p)));
}

static void
append_quoted (GString    *csv,
               const char *value)
{
  g_string_append_c (csv, '"');
  for (const char *p = value; p != NULL && *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (csv, '"');
      g_string_append_c (csv, *p);
    }
  g_string_append_c (csv, '"');
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = cradle_batch_file_parse ((const char *) data, size, &error);
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GHashTable) serials = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) csv = g_string_new (NULL);
  guint previous_line = 0;

  g_assert ((entries == NULL) == (error != NULL));
  if (entries == NULL)
    {
      g_assert (error->domain == CRADLE_ERROR && error->code == CRADLE_ERROR_INVALID_DATA);
      return 0;
    }
  g_assert_cmpuint (entries->len, >=, 1);
  /* A header first, as a writer should: then no device is taken for one
   * (a first line "serial,type" is a header, whatever it means). */
  g_string_append (csv, "serial,type,subject\r\n");
  g_assert_cmpuint (entries->len, <=, CRADLE_BATCH_FILE_MAX_DEVICES);
  for (guint i = 0; i < entries->len; i++)
    {
      CradleBatchEntry *entry = g_ptr_array_index (entries, i);
      const char *serial = cradle_batch_entry_get_serial (entry);
      const char *subject = cradle_batch_entry_get_subject (entry);

      g_assert (serial[0] != '\0' && cradle_batch_entry_get_type_name (entry)[0] != '\0');
      check_text (serial);
      check_text (cradle_batch_entry_get_type_name (entry));
      if (subject != NULL)
        check_text (subject);
      g_assert_cmpuint (cradle_batch_entry_get_line (entry), >, previous_line);
      previous_line = cradle_batch_entry_get_line (entry);
      g_assert (g_hash_table_add (serials, (gpointer) serial));
      append_quoted (csv, serial);
      g_string_append_c (csv, ',');
      append_quoted (csv, cradle_batch_entry_get_type_name (entry));
      g_string_append_c (csv, ',');
      append_quoted (csv, subject);
      g_string_append (csv, "\r\n");
    }

  /* Written back, read again: the same devices, one line each. */
  again = cradle_batch_file_parse (csv->str, csv->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, entries->len);
  for (guint i = 0; i < again->len; i++)
    {
      CradleBatchEntry *a = g_ptr_array_index (entries, i);
      CradleBatchEntry *b = g_ptr_array_index (again, i);

      g_assert_cmpstr (cradle_batch_entry_get_serial (a), ==, cradle_batch_entry_get_serial (b));
      g_assert_cmpstr (cradle_batch_entry_get_type_name (a), ==, cradle_batch_entry_get_type_name (b));
      g_assert_cmpstr (cradle_batch_entry_get_subject (a), ==, cradle_batch_entry_get_subject (b));
      g_assert_cmpuint (cradle_batch_entry_get_line (b), ==, i + 2);
    }
  return 0;
}
