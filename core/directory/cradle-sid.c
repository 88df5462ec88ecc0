/* cradle-sid.c: bounded parsing of Windows security identifiers */
#include "config.h"

#include <cradle/cradle.h>

#include "directory/cradle-sid-private.h"

/**
 * cradle_sid_read:
 * @data: bytes from the directory, untrusted
 * @available: how many bytes may be read from @data
 * @consumed: (out) (optional): how many bytes the SID took
 * @error: return location for a #GError
 *
 * Reads one binary SID from the start of @data, never past @available.
 *
 * Returns: (transfer full): the SID as "S-1-5-21-…"
 */
char *
cradle_sid_read (const guint8  *data,
                 gsize          available,
                 gsize         *consumed,
                 GError       **error)
{
  g_autoptr(GString) text = NULL;
  guint64 authority = 0;
  guint count;
  gsize size;

  if (data == NULL || available < CRADLE_SID_MIN_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A security identifier is truncated: %" G_GSIZE_FORMAT " bytes, at least %d needed",
                   available, CRADLE_SID_MIN_SIZE);
      return NULL;
    }
  if (data[0] != 1)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A security identifier has revision %u; only revision 1 exists", data[0]);
      return NULL;
    }
  count = data[1];
  if (count > CRADLE_SID_MAX_SUB_AUTHORITIES)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A security identifier claims %u sub-authorities; at most %d are allowed",
                   count, CRADLE_SID_MAX_SUB_AUTHORITIES);
      return NULL;
    }
  size = CRADLE_SID_MIN_SIZE + 4 * (gsize) count;
  if (size > available)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A security identifier with %u sub-authorities needs %" G_GSIZE_FORMAT
                   " bytes but only %" G_GSIZE_FORMAT " are there",
                   count, size, available);
      return NULL;
    }

  /* The authority is big-endian, the sub-authorities little-endian. */
  for (guint i = 0; i < 6; i++)
    authority = (authority << 8) | data[2 + i];

  text = g_string_new ("S-1-");
  if (authority >= G_GUINT64_CONSTANT (0x100000000))
    g_string_append_printf (text, "0x%012" G_GINT64_MODIFIER "X", authority);
  else
    g_string_append_printf (text, "%" G_GUINT64_FORMAT, authority);

  for (guint i = 0; i < count; i++)
    {
      const guint8 *p = data + CRADLE_SID_MIN_SIZE + 4 * i;
      guint32 sub = (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);

      g_string_append_printf (text, "-%u", sub);
    }

  if (consumed != NULL)
    *consumed = size;
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * cradle_sid_to_string:
 * @data: one whole binary SID, such as an objectSid value
 * @size: its exact size
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the SID as text, or %NULL if @data is not
 *   exactly one well-formed SID
 */
char *
cradle_sid_to_string (const guint8  *data,
                      gsize          size,
                      GError       **error)
{
  g_autofree char *text = NULL;
  gsize consumed = 0;

  text = cradle_sid_read (data, size, &consumed, error);
  if (text == NULL)
    return NULL;
  if (consumed != size)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A security identifier value has %" G_GSIZE_FORMAT
                   " bytes after its end",
                   size - consumed);
      return NULL;
    }
  return g_steal_pointer (&text);
}

static gboolean
parse_component (const char  *text,
                 const char  *component,
                 guint64      max,
                 guint64     *out,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  guint base = 10;

  if (max > G_MAXUINT32 && g_str_has_prefix (component, "0x"))
    {
      component += 2;
      base = 16;
    }
  if (!g_ascii_string_to_unsigned (component, base, 0, max, out, &local_error))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "'%s' is not a security identifier: %s", text, local_error->message);
      return FALSE;
    }
  return TRUE;
}

/**
 * cradle_sid_from_string:
 * @text: a SID as "S-1-5-21-…"
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the binary SID
 */
GBytes *
cradle_sid_from_string (const char  *text,
                        GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint8 data[CRADLE_SID_MAX_SIZE] = { 0 };
  guint n_parts;
  guint64 authority = 0;
  guint count;

  if (text == NULL || !g_str_has_prefix (text, "S-1-"))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "'%s' is not a security identifier: it must start with S-1-",
                   text != NULL ? text : "");
      return NULL;
    }
  parts = g_strsplit (text + 4, "-", -1);
  n_parts = g_strv_length (parts);
  if (n_parts < 1 || n_parts > 1 + CRADLE_SID_MAX_SUB_AUTHORITIES)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "'%s' is not a security identifier: it has %u parts after S-1-, 1 to %d allowed",
                   text, n_parts, 1 + CRADLE_SID_MAX_SUB_AUTHORITIES);
      return NULL;
    }
  if (!parse_component (text, parts[0], G_GUINT64_CONSTANT (0xFFFFFFFFFFFF), &authority, error))
    return NULL;

  count = n_parts - 1;
  data[0] = 1;
  data[1] = (guint8) count;
  for (guint i = 0; i < 6; i++)
    data[2 + i] = (guint8) (authority >> (8 * (5 - i)));
  for (guint i = 0; i < count; i++)
    {
      guint64 sub = 0;
      guint8 *p = data + CRADLE_SID_MIN_SIZE + 4 * i;

      if (!parse_component (text, parts[1 + i], G_MAXUINT32, &sub, error))
        return NULL;
      p[0] = (guint8) sub;
      p[1] = (guint8) (sub >> 8);
      p[2] = (guint8) (sub >> 16);
      p[3] = (guint8) (sub >> 24);
    }
  return g_bytes_new (data, CRADLE_SID_MIN_SIZE + 4 * (gsize) count);
}
