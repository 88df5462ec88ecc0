/* cradle-openssl.c: the OpenSSL boundary: its error queue, drained in one place, and its DER
 *
 * Every OpenSSL failure leaves reasons on a per-thread queue.  They are
 * drained here, into the GError that says what failed, so that no stale
 * reason is reported with a later, unrelated failure.
 */
#include "config.h"

#include <openssl/err.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"

/* The first few reasons say what went wrong; the rest is a call trace. */
#define MAX_REASONS 3

char *
cradle_openssl_dup_errors (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint count = 0;
  unsigned long code;

  while ((code = ERR_get_error ()) != 0)
    {
      const char *reason = ERR_reason_error_string (code);

      if (count++ >= MAX_REASONS)
        continue;
      if (text->len > 0)
        g_string_append (text, "; ");
      if (reason != NULL)
        g_string_append (text, reason);
      else
        g_string_append_printf (text, "OpenSSL error %lx", code);
    }
  if (text->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&text), FALSE);
}

void
cradle_openssl_set_error (GError     **error,
                          gint         code,
                          const char  *message)
{
  g_autofree char *reasons = cradle_openssl_dup_errors ();

  if (reasons != NULL)
    g_set_error (error, CRADLE_ERROR, code, "%s (%s)", message, reasons);
  else
    g_set_error_literal (error, CRADLE_ERROR, code, message);
}

static void
openssl_der_free (gpointer der)
{
  OPENSSL_free (der);
}

GBytes *
cradle_openssl_take_der (unsigned char *der,
                         int            size)
{
  return g_bytes_new_with_free_func (der, size, openssl_der_free, der);
}
