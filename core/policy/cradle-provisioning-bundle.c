/* cradle-provisioning-bundle.c: Cradle's own provisioning format, read
 *
 * A key file: a [Cradle Provisioning] group with Version=1, then one
 * [Cradle Certificate Type] group per type, each exactly a type file.  The
 * types are the type files themselves, so the one strict parser of type
 * files reads each group (every rule, every message), and what an
 * administrator reviews is what lands in types.d.  A later version of the
 * format is refused rather than half understood.
 */
#include "config.h"

#include <string.h>

#include "policy/cradle-cert-type-private.h"
#include "policy/cradle-provisioning-private.h"

#define BUNDLE_GROUP "Cradle Provisioning"

typedef struct {
  const char                 *source;
  CradleProvisioningDocument *document;
  CradleProvisioningEntry    *entry;        /* the type being read */
  gboolean                    had_header;
  gboolean                    had_version;
} Reader;

/* The Name= of the type being read, for messages and checks; "" when the
 * group has none (the parser then says so). */
static char *
dup_entry_name (CradleProvisioningEntry *entry)
{
  g_auto(GStrv) lines = g_strsplit (entry->text->str, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *equals = strchr (lines[i], '=');

      if (equals == NULL)
        continue;
      *equals = '\0';
      if (g_str_equal (g_strstrip (lines[i]), "Name"))
        return g_strdup (g_strstrip (equals + 1));
    }
  return g_strdup ("");
}

static gboolean
finish_entry (Reader   *reader,
              GError  **error)
{
  g_autoptr(CradleProvisioningEntry) entry = g_steal_pointer (&reader->entry);
  g_autofree char *name = NULL;

  if (entry == NULL)
    return TRUE;
  name = dup_entry_name (entry);
  if (name[0] != '\0')
    {
      g_free (entry->name);
      entry->name = g_strdup (name);
      if (!_cradle_provisioning_check_name (reader->source, entry->line, name, error))
        return FALSE;
    }
  if (!_cradle_provisioning_entry_check (entry, reader->source, error) ||
      !_cradle_provisioning_check_unique (reader->document->entries, reader->source, entry->name,
                                          entry->line, error))
    return FALSE;
  g_ptr_array_add (reader->document->entries, g_steal_pointer (&entry));
  return TRUE;
}

static gboolean
read_header_key (Reader      *reader,
                 char        *line_text,
                 guint        line,
                 GError     **error)
{
  char *equals = strchr (line_text, '=');
  const char *value;
  guint64 version;

  if (equals == NULL)
    return _cradle_provisioning_fail (reader->source, line, error, "this line is not Key=value");
  *equals = '\0';
  value = g_strstrip (equals + 1);
  if (!g_str_equal (g_strstrip (line_text), "Version"))
    {
      g_autofree char *key = cradle_text_escape (line_text, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      return _cradle_provisioning_fail (reader->source, line, error, "unknown key '%s' in [%s] (it holds Version only)",
                                        key, BUNDLE_GROUP);
    }
  if (reader->had_version)
    return _cradle_provisioning_fail (reader->source, line, error, "Version is set twice");
  if (!g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT, &version, NULL))
    {
      g_autofree char *shown = cradle_text_escape (value, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      return _cradle_provisioning_fail (reader->source, line, error, "Version '%s' is not a whole number", shown);
    }
  if (version != CRADLE_PROVISIONING_VERSION)
    return _cradle_provisioning_fail (reader->source, line, error,
                                      "this file is of version %" G_GUINT64_FORMAT " of the format; this Cradle reads "
                                      "version %d. Import it with a newer Cradle, or export it again as version %d",
                                      version, CRADLE_PROVISIONING_VERSION, CRADLE_PROVISIONING_VERSION);
  reader->had_version = TRUE;
  return TRUE;
}

gboolean
_cradle_provisioning_read_bundle (CradleProvisioningDocument *document,
                                  const char                 *source,
                                  GBytes                     *data,
                                  GError                    **error)
{
  Reader reader = { source, document, NULL, FALSE, FALSE };
  gsize size;
  const char *text = g_bytes_get_data (data, &size);
  const char *end = text + size;
  const char *p = text;
  guint line = 0;
  gboolean ok = TRUE;

  document->format = CRADLE_PROVISIONING_FORMAT_CRADLE;
  if (size > CRADLE_PROVISIONING_MAX_SIZE)
    return _cradle_provisioning_fail (reader.source, 0, error, "the file is larger than %d bytes",
                                      CRADLE_PROVISIONING_MAX_SIZE);
  if (memchr (text, '\0', size) != NULL || !g_utf8_validate (text, (gssize) size, NULL))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s: the file is not UTF-8 text, so not a Cradle provisioning file", source);
      return FALSE;
    }

  while (ok && p < end)
    {
      const char *newline = memchr (p, '\n', (gsize) (end - p));
      g_autofree char *line_text = g_strndup (p, newline != NULL ? (gsize) (newline - p) : (gsize) (end - p));
      g_autofree char *stripped = NULL;

      p = newline != NULL ? newline + 1 : end;
      line++;
      stripped = g_strstrip (g_strdup (line_text));
      if (stripped[0] == '[')
        {
          if (g_str_equal (stripped, "[" BUNDLE_GROUP "]"))
            {
              if (reader.had_header)
                ok = _cradle_provisioning_fail (reader.source, line, error, "[%s] appears twice", BUNDLE_GROUP);
              else if (document->entries->len > 0 || reader.entry != NULL)
                ok = _cradle_provisioning_fail (reader.source, line, error, "[%s] must come first", BUNDLE_GROUP);
              reader.had_header = TRUE;
              continue;
            }
          if (g_str_equal (stripped, "[" CRADLE_CERT_TYPE_GROUP "]"))
            {
              if (!reader.had_header || !reader.had_version)
                ok = _cradle_provisioning_fail (reader.source, line, error,
                                                "a type comes before [%s] with Version=%d: this is not a Cradle "
                                                "provisioning file (import a single type file with "
                                                "'cradlectl types add')",
                                                BUNDLE_GROUP, CRADLE_PROVISIONING_VERSION);
              else if (!(ok = finish_entry (&reader, error)))
                break;
              else
                {
                  reader.entry = _cradle_provisioning_entry_new ("", line);
                  _cradle_provisioning_entry_add_line (reader.entry, line_text, line);
                }
              continue;
            }
          {
            g_autofree char *shown = cradle_text_escape (stripped, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

            ok = _cradle_provisioning_fail (reader.source, line, error,
                                            "unknown group %s (a Cradle provisioning file holds [%s] and "
                                            "[%s] groups)", shown, BUNDLE_GROUP, CRADLE_CERT_TYPE_GROUP);
          }
          continue;
        }
      if (reader.entry != NULL)
        {
          _cradle_provisioning_entry_add_line (reader.entry, line_text, line);
          continue;
        }
      if (stripped[0] == '\0' || stripped[0] == '#')
        continue;
      if (!reader.had_header)
        ok = _cradle_provisioning_fail (reader.source, line, error,
                                        "this is not a Cradle provisioning file: it does not start with [%s]",
                                        BUNDLE_GROUP);
      else
        ok = read_header_key (&reader, stripped, line, error);
    }
  if (!ok)
    {
      g_clear_pointer (&reader.entry, _cradle_provisioning_entry_free);
      return FALSE;
    }
  if (!reader.had_header || !reader.had_version)
    return _cradle_provisioning_fail (reader.source, line, error,
                                      "this is not a Cradle provisioning file: it has no [%s] group with Version=%d",
                                      BUNDLE_GROUP, CRADLE_PROVISIONING_VERSION);
  if (!finish_entry (&reader, error))
    return FALSE;
  if (document->entries->len == 0)
    return _cradle_provisioning_fail (reader.source, line, error, "the file holds no type ([%s] group)",
                                      CRADLE_CERT_TYPE_GROUP);
  return TRUE;
}
