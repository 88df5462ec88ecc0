/* cradle-batch-file.c: the batch file of `cradlectl enroll --batch`, read bounded
 *
 * CSV after RFC 4180 (see include/cradle/cradle-batch-file.h), read by
 * hand: the file is from outside, and every way it can be wrong is an
 * error that names its line, never a guess.  Each record is one line: no
 * field of ours (a serial, a type's name, a subject) holds a line break.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cradle/cradle.h>

#include "base/cradle-file-private.h"

struct _CradleBatchEntry
{
  char *serial;
  char *type_name;
  char *subject;     /* nullable */
  guint line;
};

const char *
cradle_batch_entry_get_serial (const CradleBatchEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);
  return entry->serial;
}

const char *
cradle_batch_entry_get_type_name (const CradleBatchEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);
  return entry->type_name;
}

const char *
cradle_batch_entry_get_subject (const CradleBatchEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);
  return entry->subject;
}

guint
cradle_batch_entry_get_line (const CradleBatchEntry *entry)
{
  g_return_val_if_fail (entry != NULL, 0);
  return entry->line;
}

void
cradle_batch_entry_free (CradleBatchEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->serial);
  g_free (entry->type_name);
  g_free (entry->subject);
  g_free (entry);
}

/* ---- reading --------------------------------------------------------------- */

typedef struct {
  const char *data;
  gsize       size;
  gsize       pos;
  guint       line;
} Reader;

static gboolean fail (GError **error, guint line, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError     **error,
      guint        line,
      const char  *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "Line %u of the batch file: %s. Each line is a device's serial, its certificate type and "
               "its subject, separated by commas (CSV); correct the line and run the batch again.",
               line, message);
  return FALSE;
}

static gboolean
at_end (Reader *reader)
{
  return reader->pos >= reader->size;
}

static char
peek (Reader *reader)
{
  return at_end (reader) ? '\0' : reader->data[reader->pos];
}

static void
skip_blanks (Reader *reader)
{
  while (!at_end (reader) && (peek (reader) == ' ' || peek (reader) == '\t'))
    reader->pos++;
}

static gboolean
at_line_end (Reader *reader)
{
  return at_end (reader) || peek (reader) == '\n' || peek (reader) == '\r';
}

/* Past the line end at @reader (CRLF or LF; a CR alone is an error). */
static gboolean
end_line (Reader  *reader,
          GError **error)
{
  if (at_end (reader))
    return TRUE;
  if (peek (reader) == '\r')
    {
      reader->pos++;
      if (peek (reader) != '\n')
        return fail (error, reader->line, "a carriage return without a line feed ends no line");
    }
  reader->pos++;
  reader->line++;
  return TRUE;
}

/* One field, quoted or not, up to the comma or line end after it. */
static char *
read_field (Reader    *reader,
            guint      number,
            gboolean  *quoted,
            GError   **error)
{
  g_autoptr(GString) value = g_string_new (NULL);

  skip_blanks (reader);
  *quoted = peek (reader) == '"';
  if (*quoted)
    {
      reader->pos++;
      for (;;)
        {
          char c;

          if (at_end (reader))
            {
              fail (error, reader->line, "the quotes of field %u are not closed", number);
              return NULL;
            }
          c = peek (reader);
          if (c == '\n' || c == '\r')
            {
              fail (error, reader->line, "field %u holds a line break inside its quotes; a device takes one line",
                    number);
              return NULL;
            }
          if (c == '\0')
            {
              fail (error, reader->line, "field %u holds a NUL byte", number);
              return NULL;
            }
          reader->pos++;
          if (c == '"')
            {
              if (peek (reader) != '"')
                break;
              reader->pos++;
            }
          if (value->len >= CRADLE_BATCH_FILE_MAX_FIELD)
            {
              fail (error, reader->line, "field %u is longer than %d bytes", number, CRADLE_BATCH_FILE_MAX_FIELD);
              return NULL;
            }
          g_string_append_c (value, c);
        }
      skip_blanks (reader);
      if (!at_line_end (reader) && peek (reader) != ',')
        {
          fail (error, reader->line, "field %u has text after its closing quote (write a quote inside quotes "
                "as two)", number);
          return NULL;
        }
      return g_string_free (g_steal_pointer (&value), FALSE);
    }
  while (!at_line_end (reader) && peek (reader) != ',')
    {
      char c = peek (reader);

      if (c == '\0')
        {
          fail (error, reader->line, "field %u holds a NUL byte", number);
          return NULL;
        }
      if (c == '"')
        {
          fail (error, reader->line, "field %u holds a double quote but does not start with one (put the "
                "field in quotes and write each quote inside as two)", number);
          return NULL;
        }
      if (value->len >= CRADLE_BATCH_FILE_MAX_FIELD)
        {
          fail (error, reader->line, "field %u is longer than %d bytes", number, CRADLE_BATCH_FILE_MAX_FIELD);
          return NULL;
        }
      g_string_append_c (value, c);
      reader->pos++;
    }
  while (value->len > 0 && (value->str[value->len - 1] == ' ' || value->str[value->len - 1] == '\t'))
    g_string_truncate (value, value->len - 1);
  return g_string_free (g_steal_pointer (&value), FALSE);
}

/* UTF-8 without controls (C0, DEL, C1) or format characters (bidi
 * overrides, zero-width joiners): what reaches a terminal and a request. */
static gboolean
check_text (const char  *value,
            const char  *what,
            guint        line,
            GError     **error)
{
  if (!g_utf8_validate (value, -1, NULL))
    return fail (error, line, "the %s is not UTF-8 text", what);
  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT)
        return fail (error, line, "the %s holds the control character U+%04X", what, (guint) c);
    }
  return TRUE;
}

static gboolean
is_header (GPtrArray *fields)
{
  static const char * const names[] = { "serial", "type", "subject" };

  if (fields->len < 2)
    return FALSE;
  for (guint i = 0; i < fields->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (fields, i), names[i]) != 0)
      return FALSE;
  return TRUE;
}

/* The fields of the record at @reader, which is not a comment; its line end is read. */
static GPtrArray *
read_record (Reader    *reader,
             gboolean  *blank,
             GError   **error)
{
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  gboolean any_quoted = FALSE;

  for (;;)
    {
      gboolean quoted = FALSE;
      char *field;

      if (fields->len == 3)
        {
          fail (error, reader->line, "it has more than three fields (put a subject with commas in double quotes)");
          return NULL;
        }
      field = read_field (reader, fields->len + 1, &quoted, error);
      if (field == NULL)
        return NULL;
      g_ptr_array_add (fields, field);
      any_quoted |= quoted;
      if (peek (reader) != ',')
        break;
      reader->pos++;
    }
  if (!end_line (reader, error))
    return NULL;
  *blank = fields->len == 1 && !any_quoted && ((char *) g_ptr_array_index (fields, 0))[0] == '\0';
  return g_steal_pointer (&fields);
}

static CradleBatchEntry *
entry_new (GPtrArray   *fields,
           guint        line,
           GError     **error)
{
  g_autoptr(CradleBatchEntry) entry = g_new0 (CradleBatchEntry, 1);
  const char *subject = fields->len > 2 ? g_ptr_array_index (fields, 2) : "";

  entry->line = line;
  if (fields->len < 2)
    {
      fail (error, line, "it has one field; a device needs at least its serial and its type");
      return NULL;
    }
  entry->serial = g_strdup (g_ptr_array_index (fields, 0));
  entry->type_name = g_strdup (g_ptr_array_index (fields, 1));
  entry->subject = subject[0] != '\0' ? g_strdup (subject) : NULL;
  if (entry->serial[0] == '\0')
    {
      fail (error, line, "the serial (field 1) is empty");
      return NULL;
    }
  if (entry->type_name[0] == '\0')
    {
      fail (error, line, "the certificate type (field 2) is empty");
      return NULL;
    }
  if (!check_text (entry->serial, "serial", line, error) ||
      !check_text (entry->type_name, "certificate type", line, error) ||
      (entry->subject != NULL && !check_text (entry->subject, "subject", line, error)))
    return NULL;
  return g_steal_pointer (&entry);
}

GPtrArray *
cradle_batch_file_parse (const char  *data,
                         gsize        size,
                         GError     **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_batch_entry_free);
  g_autoptr(GHashTable) lines = g_hash_table_new (g_str_hash, g_str_equal);  /* serial -> line */
  Reader reader = { data, size, 0, 1 };
  gboolean first = TRUE;

  g_return_val_if_fail (data != NULL || size == 0, NULL);

  if (size > CRADLE_BATCH_FILE_MAX_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The batch file is larger than %d bytes. Split it into several batches.",
                   CRADLE_BATCH_FILE_MAX_SIZE);
      return NULL;
    }
  /* A byte order mark, as spreadsheets write UTF-8 CSV. */
  if (size >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    reader.pos = 3;
  while (!at_end (&reader))
    {
      g_autoptr(GPtrArray) fields = NULL;
      CradleBatchEntry *entry;
      guint line = reader.line;
      gboolean blank = FALSE;
      gpointer seen;

      if (peek (&reader) == '#')
        {
          /* Up to its line end, which is checked as any other: a comment
           * ending in a lone CR would swallow the next line, and with it a
           * device, without a word. */
          while (!at_line_end (&reader))
            reader.pos++;
          if (!end_line (&reader, error))
            return NULL;
          continue;
        }
      fields = read_record (&reader, &blank, error);
      if (fields == NULL)
        return NULL;
      if (blank)
        continue;
      if (first && is_header (fields))
        {
          first = FALSE;
          continue;
        }
      first = FALSE;
      entry = entry_new (fields, line, error);
      if (entry == NULL)
        return NULL;
      g_ptr_array_add (entries, entry);
      if (g_hash_table_lookup_extended (lines, entry->serial, NULL, &seen))
        {
          g_autofree char *shown = cradle_text_escape (entry->serial, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

          fail (error, line, "the device with serial '%s' is on line %u already; a batch names each device once",
                shown, GPOINTER_TO_UINT (seen));
          return NULL;
        }
      g_hash_table_insert (lines, entry->serial, GUINT_TO_POINTER (line));
      if (entries->len > CRADLE_BATCH_FILE_MAX_DEVICES)
        {
          fail (error, line, "the batch names more than %d devices; split it into several batches",
                CRADLE_BATCH_FILE_MAX_DEVICES);
          return NULL;
        }
    }
  if (entries->len == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The batch file names no device. Write one line per device: its serial, its "
                           "certificate type and its subject, separated by commas.");
      return NULL;
    }
  return g_steal_pointer (&entries);
}

GPtrArray *
cradle_batch_file_read (const char  *path,
                        GError     **error)
{
  g_autoptr(GBytes) data = NULL;
  GPtrArray *entries;
  gsize size;
  const char *text;

  g_return_val_if_fail (path != NULL, NULL);

  /* One byte past the limit at most: the parser refuses that size. */
  data = cradle_file_read_bounded (path, CRADLE_BATCH_FILE_MAX_SIZE, "Give the path of a CSV batch file.", error);
  if (data == NULL)
    return NULL;
  text = g_bytes_get_data (data, &size);
  entries = cradle_batch_file_parse (text, size, error);
  if (entries == NULL)
    g_prefix_error (error, "%s: ", path);
  return entries;
}
