/* fuzz-spki.c: libFuzzer harness for the public key a device hands over
 * (core/csr/cradle-csr-public-key.c, cradle_csr_parse_public_key, reached as
 * the product reaches it: cradle_csr_builder_set_public_key)
 *
 * Outside bytes: the DER SubjectPublicKeyInfo in the device's answer to
 * GENERATE (bridge), which the host puts unchanged into a certification
 * request. An accepted key must be an RSA or named-curve EC key in canonical
 * DER with nothing after it, so the request built for it (also made here)
 * carries exactly the bytes the device gave; anything else is an error. */
#include "config.h"

#include <string.h>
#include <glib.h>
#include <cradle/cradle.h>

#include "csr/cradle-csr-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static gboolean
contains (const guint8 *haystack,
          gsize         haystack_size,
          const guint8 *needle,
          gsize         needle_size)
{
  for (gsize i = 0; needle_size <= haystack_size && i <= haystack_size - needle_size; i++)
    if (memcmp (haystack + i, needle, needle_size) == 0)
      return TRUE;
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CradleCsrBuilder) builder = cradle_csr_builder_new ();
  g_autoptr(GBytes) spki = g_bytes_new (data, size);
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GError) error = NULL;
  gsize info_size = 0;
  const guint8 *info;

  /* A GLib critical is a bug, here as in the product. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  if (!cradle_csr_builder_set_public_key (builder, spki, &error))
    {
      g_assert_nonnull (error);
      g_assert (error->domain == CRADLE_ERROR);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (size, >, 0);
  g_assert_cmpuint (size, <=, CRADLE_CSR_MAX_PUBLIC_KEY_SIZE);

  /* The request carries the device's bytes unchanged. */
  g_assert_true (cradle_csr_builder_set_subject_common_name (builder, "fuzz", &error));
  g_assert_no_error (error);
  request_info = cradle_csr_builder_encode_request_info (builder, &error);
  g_assert_no_error (error);
  g_assert_nonnull (request_info);
  info = g_bytes_get_data (request_info, &info_size);
  g_assert_true (contains (info, info_size, data, size));
  return 0;
}
