/* fuzz-pkcs7-bag.c: libFuzzer harness for the certificate bags (PKCS#7/CMS
 * SignedData, certs-only) CAs send (core/ca/cradle-ca-answer.c,
 * cradle_pkcs7_dup_certificates and cradle_pkcs7_dup_certificates_from_base64)
 *
 * Outside bytes: certsrv's certnew.p7b (issued certificate and CA chain),
 * EST's /cacerts and /simpleenroll answers (base64), WSTEP's
 * RequestSecurityTokenResponse bag and the degenerate bag inside a SCEP
 * CertRep, all read before anything about them is trusted.
 *
 * The first byte picks the reader: even, the DER reader; odd, the base64
 * (or PEM) reader. Either gives 1 to 32 certificates that each read again
 * from their own DER, or an error that says why; never both, never neither. */
#include "config.h"

#include <glib.h>
#include <cradle/cradle.h>

#include "ca/cradle-ca-answer-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(GError) error = NULL;

  /* A GLib critical is a bug, here as in the product. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  if (size < 1)
    return 0;
  if (data[0] % 2 == 0)
    {
      g_autoptr(GBytes) der = g_bytes_new (data + 1, size - 1);

      certificates = cradle_pkcs7_dup_certificates (der, &error);
    }
  else
    {
      certificates = cradle_pkcs7_dup_certificates_from_base64 ((const char *) data + 1, size - 1, &error);
    }

  g_assert ((certificates == NULL) == (error != NULL));
  if (certificates == NULL)
    {
      g_assert (error->domain == CRADLE_ERROR);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_cmpuint (certificates->len, >=, 1);
  g_assert_cmpuint (certificates->len, <=, 32);
  for (guint i = 0; i < certificates->len; i++)
    {
      CradleCertificate *certificate = g_ptr_array_index (certificates, i);
      GBytes *der = cradle_certificate_get_der (certificate);
      g_autoptr(CradleCertificate) again = cradle_certificate_new_from_der (der, &error);

      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (cradle_certificate_get_der (again), der));
      g_assert_nonnull (cradle_certificate_get_subject (certificate));
    }
  return 0;
}
