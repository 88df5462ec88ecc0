/* cradle-html.c: the words of an HTML page a CA answered with
 *
 * certsrv's pages are HTML by design; EST and other servers answer an error
 * with one. Only the text is kept, for recognising an outcome and for
 * quoting it to a person (escaped by whoever shows it).
 */
#include "config.h"

#include <string.h>

#include "ca/cradle-html-private.h"

static const struct { const char *entity; const char *text; } entities[] = {
  { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
  { "&#39;", "'" }, { "&nbsp;", " " }, { "&#xD;", "" }, { "&#13;", "" },
};

char *
cradle_html_dup_text (const char *html,
                      gsize       length)
{
  GString *text = g_string_sized_new (length);
  gboolean in_tag = FALSE;
  gboolean in_script = FALSE;

  for (gsize i = 0; i < length && html[i] != '\0'; i++)
    {
      const char *p = html + i;
      gsize left = length - i;

      if (in_tag)
        {
          if (*p == '>')
            in_tag = FALSE;
          continue;
        }
      if (*p == '<')
        {
          /* Script bodies are code, not words for people. */
          if (left >= 7 && g_ascii_strncasecmp (p, "<script", 7) == 0)
            in_script = TRUE;
          else if (left >= 8 && g_ascii_strncasecmp (p, "</script", 8) == 0)
            in_script = FALSE;
          /* Block tags end a line of text. */
          if (left >= 3 && (g_ascii_strncasecmp (p, "<br", 3) == 0 ||
                            g_ascii_strncasecmp (p, "<p", 2) == 0 ||
                            g_ascii_strncasecmp (p, "</p", 3) == 0 ||
                            g_ascii_strncasecmp (p, "<td", 3) == 0 ||
                            g_ascii_strncasecmp (p, "<tr", 3) == 0))
            g_string_append_c (text, '\n');
          in_tag = TRUE;
          continue;
        }
      if (in_script)
        continue;
      if (*p == '&')
        {
          gboolean decoded = FALSE;

          for (guint e = 0; e < G_N_ELEMENTS (entities); e++)
            {
              gsize n = strlen (entities[e].entity);

              if (left >= n && g_ascii_strncasecmp (p, entities[e].entity, n) == 0)
                {
                  g_string_append (text, entities[e].text);
                  i += n - 1;
                  decoded = TRUE;
                  break;
                }
            }
          if (decoded)
            continue;
        }
      g_string_append_c (text, *p == '\r' ? '\n' : *p);
    }
  return g_string_free (text, FALSE);
}
