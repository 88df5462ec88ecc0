/* fuzz-cert-details.c: libFuzzer harness for a certificate's details
 * (core/lifecycle/cradle-cert-details.c and cradle-cert-names.c, reached as
 * the app and `cradlectl certs show` reach them: cradle_cert_details_find()
 * over what LIST_CERTS returned)
 *
 * Outside bytes: a certificate a device holds, in its MY store and again
 * in its Root store (so that the chain builder meets itself).  Either an
 * error in the CRADLE_ERROR domain, or details whose every text is safe to
 * print: valid UTF-8, no C0 or C1 control, no DEL, no bidi override; at
 * most CRADLE_CERT_DETAILS_MAX_NAMES names; the export the very bytes. */
#include "config.h"

#include <string.h>
#include <glib.h>
#include <cradle/cradle.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
assert_safe (const char *text)
{
  if (text == NULL)
    return;
  g_assert (g_utf8_validate (text, -1, NULL));
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert (c >= 0x20 && c != 0x7f);
      g_assert (!(c >= 0x80 && c <= 0x9f));
      g_assert (!(c >= 0x202a && c <= 0x202e) && !(c >= 0x2066 && c <= 0x2069));
    }
}

static void
assert_safe_strv (const char * const *values)
{
  g_assert (values != NULL);
  for (gsize i = 0; values[i] != NULL; i++)
    assert_safe (values[i]);
}

static void
check (CradleCertDetails *details)
{
  assert_safe (cradle_cert_details_get_subject (details));
  assert_safe (cradle_cert_details_get_issuer (details));
  assert_safe (cradle_cert_details_get_store (details));
  assert_safe (cradle_cert_details_get_template (details));
  assert_safe (cradle_cert_details_get_chain_problem (details));
  assert_safe_strv (cradle_cert_details_get_sans (details));
  assert_safe_strv (cradle_cert_details_get_ekus (details));
  assert_safe_strv (cradle_cert_details_get_key_usage (details));
  assert_safe_strv (cradle_cert_details_get_problems (details));
  g_assert_cmpuint (g_strv_length ((char **) cradle_cert_details_get_sans (details)), <=,
                    CRADLE_CERT_DETAILS_MAX_NAMES);
  g_assert_cmpuint (strlen (cradle_cert_details_get_sha1 (details)), ==, 40);
  g_assert_cmpuint (strlen (cradle_cert_details_get_sha256 (details)), ==, 64);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) der = g_bytes_new (data, size);
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(CradleCertDetails) details = NULL;
  g_autoptr(GBytes) exported = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *chain;

  /* A GLib critical is a bug, here as in the product. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_ptr_array_add (certs, cradle_device_cert_new ("MY", "user", der, NULL));
  g_ptr_array_add (certs, cradle_device_cert_new ("Root", "user", der, NULL));
  details = cradle_cert_details_new (g_ptr_array_index (certs, 0), certs, &error);
  if (details == NULL)
    {
      g_assert_nonnull (error);
      g_assert (error->domain == CRADLE_ERROR);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);
  check (details);
  /* The same bytes in Root are itself: never a link of its own chain. */
  chain = cradle_cert_details_get_chain (details);
  g_assert_cmpuint (chain->len, ==, 0);
  g_assert ((cradle_cert_details_get_chain_problem (details) == NULL) ==
            cradle_cert_details_chain_is_complete (details));
  exported = cradle_cert_details_export (details, CRADLE_CERT_FORMAT_DER);
  g_assert (g_bytes_equal (exported, der));
  return 0;
}
