/* cradle-text.c: the one sanitiser for text from outside (device, CA,
 * directory) on its way to a terminal, the journal or JSON */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

/* Characters that a terminal does not act on but that reorder or break
 * what is shown: bidi controls, line and paragraph separators, the BOM. */
static gboolean
is_invisible_format (gunichar c)
{
  return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
         c == 0x200e || c == 0x200f || c == 0x061c ||
         c == 0x2028 || c == 0x2029 || c == 0xfeff;
}

static void
append_byte (GString               *out,
             guchar                 byte,
             CradleTextEscapeFlags  flags)
{
  if (flags & CRADLE_TEXT_ESCAPE_JSON)
    {
      g_string_append_printf (out, "\\u%04x", byte);
      return;
    }
  switch (byte)
    {
    case '\n':
      g_string_append (out, "\\n");
      break;
    case '\r':
      g_string_append (out, "\\r");
      break;
    case '\t':
      g_string_append (out, "\\t");
      break;
    default:
      g_string_append_printf (out, "\\x%02x", byte);
      break;
    }
}

char *
cradle_text_escape (const char            *text,
                    gssize                 length,
                    CradleTextEscapeFlags  flags)
{
  const char *p;
  const char *end;
  GString *out;
  gboolean keep_lines = (flags & (CRADLE_TEXT_ESCAPE_KEEP_LINES | CRADLE_TEXT_ESCAPE_JSON)) != 0;

  if (text == NULL)
    return NULL;
  if (length < 0)
    length = strlen (text);

  out = g_string_sized_new (length + 1);
  p = text;
  end = text + length;
  while (p < end)
    {
      guchar byte = (guchar) *p;
      gunichar c;

      if (byte < 0x80)
        {
          if ((byte < 0x20 || byte == 0x7f) && !(keep_lines && (byte == '\n' || byte == '\t')))
            append_byte (out, byte, flags);
          else
            g_string_append_c (out, (char) byte);
          p++;
          continue;
        }

      c = g_utf8_get_char_validated (p, end - p);
      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          /* Not UTF-8: this byte, and the next is read afresh. */
          if (flags & CRADLE_TEXT_ESCAPE_JSON)
            g_string_append (out, "\\ufffd");
          else
            g_string_append_printf (out, "\\x%02x", byte);
          p++;
          continue;
        }
      if ((c >= 0x80 && c <= 0x9f) || is_invisible_format (c))
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}
