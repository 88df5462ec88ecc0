/* fuzz-request-info.c: libFuzzer harness for what a device reads from a
 * CertificationRequestInfo to show its user before SIGN purpose 1
 * (bridge/agent/cradle-agent-request-info.c, cradle-agent-prompt.c)
 *
 * Whatever the host sends, the prompt is either refused with an error or
 * built, and a built prompt holds no control but the line breaks it makes
 * itself. */
#include "config.h"

#include <glib.h>

#include "agent/cradle-agent-prompt-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = cradle_agent_prompt_sign (bytes, &error);

  g_assert ((prompt == NULL) == (error != NULL));
  if (prompt != NULL)
    {
      g_assert (g_utf8_validate (prompt, -1, NULL));
      for (const char *p = prompt; *p != '\0'; p++)
        g_assert (*p == '\n' || ((guchar) *p >= 0x20 && *p != 0x7f));
    }
  return 0;
}
