/* cradle-provisioning-entry.c: one type of a provisioning file, as the
 * type-file text it makes, checked by the one parser of type files
 */
#include "config.h"

#include <string.h>

#include "policy/cradle-cert-type-private.h"
#include "policy/cradle-provisioning-private.h"

CradleProvisioningEntry *
_cradle_provisioning_entry_new (const char *name,
                                guint       line)
{
  CradleProvisioningEntry *entry = g_new0 (CradleProvisioningEntry, 1);

  entry->name = g_strdup (name);
  entry->line = line;
  entry->text = g_string_new (NULL);
  entry->lines = g_array_new (FALSE, FALSE, sizeof (guint));
  return entry;
}

void
_cradle_provisioning_entry_free (CradleProvisioningEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->name);
  g_string_free (entry->text, TRUE);
  g_array_unref (entry->lines);
  g_free (entry);
}

void
_cradle_provisioning_entry_add_line (CradleProvisioningEntry *entry,
                                     const char              *text,
                                     guint                    line)
{
  g_string_append (entry->text, text);
  g_string_append_c (entry->text, '\n');
  g_array_append_val (entry->lines, line);
}

gboolean
_cradle_provisioning_entry_add_key (CradleProvisioningEntry  *entry,
                                    const char               *source,
                                    const char               *key,
                                    const char               *value,
                                    guint                     line,
                                    GError                  **error)
{
  g_autofree char *text = NULL;

  /* A line break would add a line, and a key, of the file's choosing. */
  for (const char *p = value; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "%s:%u: type '%s': the value for %s holds a line break or another control "
                       "character; write it on one line",
                       source, line, entry->name, key);
          return FALSE;
        }
    }
  text = g_strdup_printf ("%s=%s", key, value);
  _cradle_provisioning_entry_add_line (entry, text, line);
  return TRUE;
}

void
_cradle_provisioning_entry_fix_error (CradleProvisioningEntry *entry,
                                      const char              *source,
                                      GError                  *error)
{
  const char *rest;
  guint line = entry->line;
  char *fixed;

  if (error == NULL || !g_str_has_prefix (error->message, CRADLE_PROVISIONING_ENTRY_SOURCE ":"))
    return;
  rest = error->message + strlen (CRADLE_PROVISIONING_ENTRY_SOURCE ":");
  if (g_ascii_isdigit (rest[0]))
    {
      guint64 number = g_ascii_strtoull (rest, (char **) &rest, 10);

      if (rest[0] == ':' && number >= 1 && number <= entry->lines->len)
        {
          line = g_array_index (entry->lines, guint, number - 1);
          rest++;
        }
      else
        rest = error->message + strlen (CRADLE_PROVISIONING_ENTRY_SOURCE ":");
    }
  while (rest[0] == ' ')
    rest++;
  fixed = g_strdup_printf ("%s:%u: type '%s': %s", source, line, entry->name, rest);
  g_free (error->message);
  error->message = fixed;
}

gboolean
_cradle_provisioning_entry_check (CradleProvisioningEntry  *entry,
                                  const char               *source,
                                  GError                  **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(CradleCertTypeSettings) settings = NULL;

  settings = cradle_cert_type_settings_parse (CRADLE_PROVISIONING_ENTRY_SOURCE, entry->text->str,
                                              entry->text->len, &local_error);
  if (settings == NULL)
    {
      _cradle_provisioning_entry_fix_error (entry, source, local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* A challenge file names a file of this computer whose content goes to
   * the type's CA: never the file's choice. */
  if (settings->challenge_file != NULL)
    {
      g_auto(GStrv) text_lines = g_strsplit (entry->text->str, "\n", -1);
      guint line = entry->line;

      for (guint i = 0; text_lines[i] != NULL && i < entry->lines->len; i++)
        {
          const char *key = text_lines[i] + strspn (text_lines[i], " \t");

          if (g_str_has_prefix (key, "ChallengeFile") && key[strspn (key + 13, " \t") + 13] == '=')
            {
              line = g_array_index (entry->lines, guint, i);
              break;
            }
        }
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s:%u: type '%s': ChallengeFile is not accepted from a provisioning file: it "
                   "would send a file of this computer to the CA. Import the type without it and set "
                   "the SCEP challenge with 'cradlectl types edit %s'",
                   source, line, entry->name, entry->name);
      return FALSE;
    }
  return TRUE;
}

gboolean
_cradle_provisioning_check_name (const char  *source,
                                 guint        line,
                                 const char  *name,
                                 GError     **error)
{
  gboolean plain = name[0] != '\0' && name[0] != '.' && strlen (name) <= CRADLE_CERT_TYPE_MAX_NAME;

  for (const char *p = name; plain && *p != '\0'; p++)
    plain = g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.';
  if (!plain)
    {
      g_autofree char *shown = cradle_text_escape (name, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s:%u: the type name '%s' is not a plain file name: use 1 to %d letters, "
                   "digits, '-', '_' and '.', not starting with '.'",
                   source, line, shown, CRADLE_CERT_TYPE_MAX_NAME);
      return FALSE;
    }
  return TRUE;
}

gboolean
_cradle_provisioning_check_unique (GPtrArray   *entries,
                                   const char  *source,
                                   const char  *name,
                                   guint        line,
                                   GError     **error)
{
  for (guint i = 0; i < entries->len; i++)
    {
      CradleProvisioningEntry *other = g_ptr_array_index (entries, i);

      if (g_ascii_strcasecmp (other->name, name) == 0)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "%s:%u: a second type named '%s' (the first is at line %u); type names "
                       "are unique, whatever their case",
                       source, line, name, other->line);
          return FALSE;
        }
    }
  if (entries->len >= CRADLE_PROVISIONING_MAX_TYPES)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s:%u: more than %d types in one file", source, line, CRADLE_PROVISIONING_MAX_TYPES);
      return FALSE;
    }
  return TRUE;
}

gboolean
_cradle_provisioning_fail (const char *source,
                           guint       line,
                           GError    **error,
                           const char *format,
                           ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s:%u: %s", source, line, what);
  return FALSE;
}
