/* cradle-pkcs7.c: PKCS#7 certificate bags, as CAs send their certificates
 *
 * certsrv, EST, SCEP and WSTEP answers all carry certificates in a PKCS#7
 * (or CMS) SignedData; they are taken out here, bounded, each one checked
 * by CradleCertificate.
 */
#include "config.h"

#include <openssl/pkcs7.h>
#include <cradle/cradle.h>

#include "base/cradle-pkcs7-private.h"
#include "base/cradle-openssl-private.h"

/* A CA answer's PKCS#7 holds a leaf and a chain: a few KiB.  Anything far
 * larger is refused before OpenSSL parses it. */
#define MAX_PKCS7_SIZE         (1024 * 1024)
#define MAX_PKCS7_CERTIFICATES 32

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PKCS7, PKCS7_free)

GPtrArray *
cradle_pkcs7_dup_certificates (GBytes  *der,
                               GError **error)
{
  g_autoptr(PKCS7) p7 = NULL;
  g_autoptr(GPtrArray) certificates = g_ptr_array_new_with_free_func (g_object_unref);
  STACK_OF (X509) *certs = NULL;
  gsize size = 0;
  const unsigned char *data = g_bytes_get_data (der, &size);
  const unsigned char *p = data;

  if (size == 0 || size > MAX_PKCS7_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The CA sent a certificate bundle (PKCS#7) of %" G_GSIZE_FORMAT
                   " bytes; Cradle expects 1 to %d. The CA's answer is damaged.",
                   size, MAX_PKCS7_SIZE);
      return NULL;
    }
  p7 = d2i_PKCS7 (NULL, &p, (long) size);
  if (p7 == NULL || p != data + size)
    {
      g_autofree char *why = cradle_openssl_dup_errors ();

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The CA's certificate bundle (PKCS#7) could not be read%s%s: it is "
                   "truncated or damaged. Retrieve the certificate again; if this "
                   "persists, support should check the CA.",
                   why != NULL ? ": " : "", why != NULL ? why : "");
      return NULL;
    }
  if (PKCS7_type_is_signed (p7) && p7->d.sign != NULL)
    certs = p7->d.sign->cert;
  else if (PKCS7_type_is_signedAndEnveloped (p7) && p7->d.signed_and_enveloped != NULL)
    certs = p7->d.signed_and_enveloped->cert;
  if (certs == NULL || sk_X509_num (certs) == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The CA's certificate bundle (PKCS#7) holds no certificate. "
                           "Retrieve the certificate again; if this persists, support "
                           "should check the CA.");
      return NULL;
    }
  if (sk_X509_num (certs) > MAX_PKCS7_CERTIFICATES)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The CA's certificate bundle holds %d certificates; Cradle accepts "
                   "at most %d. The CA's answer is not a certificate chain.",
                   sk_X509_num (certs), MAX_PKCS7_CERTIFICATES);
      return NULL;
    }
  for (int i = 0; i < sk_X509_num (certs); i++)
    {
      unsigned char *cert_der = NULL;
      int n = i2d_X509 (sk_X509_value (certs, i), &cert_der);
      g_autoptr(GBytes) bytes = NULL;
      CradleCertificate *certificate;

      if (n <= 0)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "A certificate in the CA's bundle could not be encoded.");
          return NULL;
        }
      bytes = cradle_openssl_take_der (cert_der, n);
      certificate = cradle_certificate_new_from_der (bytes, error);
      if (certificate == NULL)
        {
          g_prefix_error (error, "The CA's certificate bundle holds a damaged certificate: ");
          return NULL;
        }
      g_ptr_array_add (certificates, certificate);
    }
  return g_steal_pointer (&certificates);
}

GPtrArray *
cradle_pkcs7_dup_certificates_from_base64 (const char *text,
                                           gsize       length,
                                           GError    **error)
{
  g_autoptr(GString) clean = g_string_sized_new (MIN (length, MAX_PKCS7_SIZE * 2));
  g_autoptr(GBytes) der = NULL;
  guchar *decoded;
  gsize decoded_size = 0;

  if (length > MAX_PKCS7_SIZE * 2)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The CA's certificate bundle is %" G_GSIZE_FORMAT " bytes of text; "
                   "Cradle accepts at most %d.", length, MAX_PKCS7_SIZE * 2);
      return NULL;
    }
  /* Skip PEM armour lines; keep base64 characters, drop whitespace. */
  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (c == '-')
        {
          while (i < length && text[i] != '\n')
            i++;
          continue;
        }
      if (g_ascii_isspace (c))
        continue;
      if (!(g_ascii_isalnum (c) || c == '+' || c == '/' || c == '='))
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The CA's answer should be a base64 certificate bundle "
                               "(PKCS#7) but holds other characters. The CA's answer is "
                               "damaged or of an unexpected kind.");
          return NULL;
        }
      g_string_append_c (clean, c);
    }
  if (clean->len == 0 || clean->len % 4 != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The CA's base64 certificate bundle (PKCS#7) is truncated. "
                           "Retrieve the certificate again.");
      return NULL;
    }
  decoded = g_base64_decode (clean->str, &decoded_size);
  der = g_bytes_new_take (decoded, decoded_size);
  return cradle_pkcs7_dup_certificates (der, error);
}
