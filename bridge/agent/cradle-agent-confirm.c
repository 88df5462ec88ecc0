/* cradle-agent-confirm.c: confirmation policies and the terminal prompt */
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-confirm-private.h"

gboolean
cradle_confirm_policy_parse (const char           *text,
                             CradleConfirmPolicy  *policy,
                             GError              **error)
{
  static const char * const names[] = { "ask", "approve", "decline", "never" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (text, names[i]) == 0)
      {
        *policy = (CradleConfirmPolicy) i;
        return TRUE;
      }
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
               "'%s' is not a confirmation policy: use ask, approve, decline or never",
               text != NULL ? text : "");
  return FALSE;
}

/* Answers are read a byte at a time so nothing past the line is consumed. */
gboolean
cradle_confirm_poll_terminal (gboolean *answered,
                              gboolean *approved)
{
  static GString *line;
  GPollFD fd = { .fd = STDIN_FILENO, .events = G_IO_IN };

  if (line == NULL)
    line = g_string_new (NULL);
  *answered = FALSE;
  while (g_poll (&fd, 1, 0) > 0)
    {
      char c;
      ssize_t got = read (STDIN_FILENO, &c, 1);

      if (got <= 0)
        {
          /* End of input: nobody can answer, which is a no. */
          *answered = TRUE;
          *approved = FALSE;
          return got == 0 || errno != EAGAIN;
        }
      if (c == '\n')
        {
          g_strstrip (line->str);
          *answered = TRUE;
          *approved = g_ascii_strcasecmp (line->str, "y") == 0 || g_ascii_strcasecmp (line->str, "yes") == 0;
          g_string_truncate (line, 0);
          return TRUE;
        }
      if (line->len < 64)
        g_string_append_c (line, c);
    }
  return TRUE;
}
