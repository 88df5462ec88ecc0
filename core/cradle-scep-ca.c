/* cradle-scep-ca.c: what a SCEP CA can do, and its certificates */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <cradle/cradle.h>

#include "cradle-scep-private.h"

char *
cradle_scep_openssl_reasons (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint count = 0;
  unsigned long code;

  while ((code = ERR_get_error ()) != 0)
    {
      const char *reason = ERR_reason_error_string (code);

      /* The first few say what went wrong; the rest is a call trace. */
      if (count++ >= 3)
        continue;
      if (text->len > 0)
        g_string_append (text, "; ");
      if (reason != NULL)
        g_string_append (text, reason);
      else
        g_string_append_printf (text, "OpenSSL error %lx", code);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

const char *
cradle_scep_fail_info_to_string (guint fail_info)
{
  switch (fail_info)
    {
    case 0: return "badAlg";
    case 1: return "badMessageCheck";
    case 2: return "badRequest";
    case 3: return "badTime";
    case 4: return "badCertId";
    default: return "unknown";
    }
}

/* GetCACaps */

void
cradle_scep_caps_free (CradleScepCaps *caps)
{
  if (caps == NULL)
    return;
  g_free (caps->words);
  g_free (caps);
}

CradleScepCaps *
cradle_scep_caps_parse (GBytes  *body,
                        GError **error)
{
  g_autoptr(CradleScepCaps) caps = g_new0 (CradleScepCaps, 1);
  g_autoptr(GString) words = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  g_autofree char *text = NULL;
  gsize size = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &size) : NULL;
  gboolean standard = FALSE, aes = FALSE, des3 = FALSE;
  gboolean sha256 = FALSE, sha384 = FALSE, sha512 = FALSE;

  if (size > CRADLE_SCEP_MAX_CAPS_SIZE || (size > 0 && memchr (data, '\0', size) != NULL)
      || (size > 0 && !g_utf8_validate_len (data, size, NULL)))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The SCEP server's capabilities (GetCACaps) are not a short list of words "
                   "(%" G_GSIZE_FORMAT " bytes). The address may not be a SCEP server; check it.",
                   size);
      return NULL;
    }
  text = g_strndup (data != NULL ? data : "", size);
  lines = g_strsplit_set (text, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *word = g_strstrip (lines[i]);

      if (word[0] == '\0')
        continue;
      /* RFC 8894 3.5.2: compared without regard to case. */
      if (g_ascii_strcasecmp (word, "SCEPStandard") == 0)
        standard = TRUE;
      else if (g_ascii_strcasecmp (word, "POSTPKIOperation") == 0)
        caps->post = TRUE;
      else if (g_ascii_strcasecmp (word, "AES") == 0)
        aes = TRUE;
      else if (g_ascii_strcasecmp (word, "DES3") == 0)
        des3 = TRUE;
      else if (g_ascii_strcasecmp (word, "SHA-256") == 0)
        sha256 = TRUE;
      else if (g_ascii_strcasecmp (word, "SHA-384") == 0)
        sha384 = TRUE;
      else if (g_ascii_strcasecmp (word, "SHA-512") == 0)
        sha512 = TRUE;
      else if (g_ascii_strcasecmp (word, "Renewal") == 0)
        caps->renewal = TRUE;
      if (words->len < 256)
        g_string_append_printf (words, "%s%s", words->len > 0 ? " " : "", word);
    }
  caps->words = g_utf8_make_valid (words->str, -1);

  /* SCEPStandard means AES, SHA-256 and POST (RFC 8894 3.5.2). */
  if (standard)
    {
      caps->post = TRUE;
      aes = sha256 = TRUE;
    }
  /* The device signs with SHA-2 only; a CA that lists none of them is
   * tried with SHA-256, the RFC's recommendation, and says so if it minds. */
  caps->digest = sha256 ? "sha256" : sha512 ? "sha512" : sha384 ? "sha384" : "sha256";
  if (aes)
    caps->cipher = "aes-128-cbc";
  else if (des3)
    caps->cipher = "des-ede3-cbc";
  else
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The SCEP server offers neither AES nor triple DES (it lists: %s), and Cradle "
                   "does not send a request under single DES. Ask the administrator to enable "
                   "AES on the SCEP server.", words->len > 0 ? caps->words : "nothing");
      return NULL;
    }
  return g_steal_pointer (&caps);
}

/* GetCACert */

void
cradle_scep_ca_free (CradleScepCa *ca)
{
  if (ca == NULL)
    return;
  cradle_scep_certs_free (ca->certs);
  g_free (ca);
}

static gboolean
is_ca (X509 *cert)
{
  return X509_check_ca (cert) != 0;
}

/* Whether @cert's key usage allows @usage (no keyUsage extension: anything). */
static gboolean
allows (X509     *cert,
        uint32_t  usage)
{
  return (X509_get_extension_flags (cert) & EXFLAG_KUSAGE) == 0 || (X509_get_key_usage (cert) & usage) != 0;
}

static STACK_OF (X509) *
read_certificates (const char  *content_type,
                   GBytes      *body,
                   GError     **error)
{
  STACK_OF (X509) *certs = sk_X509_new_null ();
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (body, &size);
  const guint8 *p = data;

  if (size == 0 || size > CRADLE_SCEP_MAX_CA_CERT_SIZE)
    {
      cradle_scep_certs_free (certs);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The SCEP server's CA certificates (GetCACert) are %" G_GSIZE_FORMAT
                   " bytes; Cradle expects 1 to %d. The answer is damaged.", size,
                   CRADLE_SCEP_MAX_CA_CERT_SIZE);
      return NULL;
    }
  if (g_ascii_strcasecmp (content_type, "application/x-x509-ca-cert") == 0)
    {
      X509 *cert = d2i_X509 (NULL, &p, (long) size);

      if (cert == NULL || p != data + size)
        {
          g_autofree char *why = cradle_scep_openssl_reasons ();

          X509_free (cert);
          cradle_scep_certs_free (certs);
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The SCEP server's CA certificate (GetCACert) is not one DER certificate%s%s. "
                       "The answer is damaged; support should check the SCEP server.",
                       why[0] != '\0' ? ": " : "", why);
          return NULL;
        }
      sk_X509_push (certs, cert);
      return certs;
    }

  /* application/x-x509-ca-ra-cert: a degenerate certs-only PKCS#7. */
  {
    g_autoptr(PKCS7) p7 = d2i_PKCS7 (NULL, &p, (long) size);
    STACK_OF (X509) *inside = NULL;

    if (p7 == NULL || p != data + size || !PKCS7_type_is_signed (p7) || p7->d.sign == NULL
        || (inside = p7->d.sign->cert) == NULL || sk_X509_num (inside) == 0)
      {
        g_autofree char *why = cradle_scep_openssl_reasons ();

        cradle_scep_certs_free (certs);
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                     "The SCEP server's CA and RA certificates (GetCACert) are not a certificate "
                     "bundle (PKCS#7) holding certificates%s%s. The answer is damaged; support "
                     "should check the SCEP server.", why[0] != '\0' ? ": " : "", why);
        return NULL;
      }
    if (sk_X509_num (inside) > CRADLE_SCEP_MAX_CA_CERTS)
      {
        cradle_scep_certs_free (certs);
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                     "The SCEP server sent %d CA and RA certificates; Cradle accepts at most %d.",
                     sk_X509_num (inside), CRADLE_SCEP_MAX_CA_CERTS);
        return NULL;
      }
    for (int i = 0; i < sk_X509_num (inside); i++)
      {
        X509 *cert = sk_X509_value (inside, i);

        X509_up_ref (cert);
        sk_X509_push (certs, cert);
      }
    return certs;
  }
}

CradleScepCa *
cradle_scep_ca_parse (const char  *content_type,
                      GBytes      *body,
                      GError     **error)
{
  g_autoptr(CradleScepCa) ca = g_new0 (CradleScepCa, 1);
  X509 *encipherer = NULL;

  if (content_type == NULL
      || (g_ascii_strcasecmp (content_type, "application/x-x509-ca-cert") != 0
          && g_ascii_strcasecmp (content_type, "application/x-x509-ca-ra-cert") != 0))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The server answered GetCACert with %s instead of CA certificates "
                   "(application/x-x509-ca-cert or -ca-ra-cert). The address may not be a SCEP "
                   "server; check it.", content_type != NULL ? content_type : "no content type");
      return NULL;
    }
  ca->certs = read_certificates (content_type, body, error);
  if (ca->certs == NULL)
    return NULL;

  /* RFC 8894 3.5.1: with an RA, requests are encrypted to the RA's
   * key-encipherment certificate; without one, to the CA itself, whatever
   * its key usage says (a CA certificate often allows certificate and CRL
   * signing only, and SCEP CAs decrypt with its key all the same). */
  for (int pass = 0; pass < 3 && encipherer == NULL; pass++)
    for (int i = 0; i < sk_X509_num (ca->certs) && encipherer == NULL; i++)
      {
        X509 *cert = sk_X509_value (ca->certs, i);
        EVP_PKEY *key = X509_get0_pubkey (cert);
        gboolean fits = pass == 0 ? !is_ca (cert) && allows (cert, KU_KEY_ENCIPHERMENT)
                        : pass == 1 ? is_ca (cert) && allows (cert, KU_KEY_ENCIPHERMENT)
                        : is_ca (cert) || sk_X509_num (ca->certs) == 1;

        if (fits && key != NULL && EVP_PKEY_is_a (key, "RSA"))
          encipherer = cert;
      }
  for (int i = 0; i < sk_X509_num (ca->certs) && ca->issuer == NULL; i++)
    if (is_ca (sk_X509_value (ca->certs, i)))
      ca->issuer = sk_X509_value (ca->certs, i);
  /* One certificate that does not say it is a CA is the CA all the same. */
  if (ca->issuer == NULL && sk_X509_num (ca->certs) == 1)
    ca->issuer = sk_X509_value (ca->certs, 0);

  if (encipherer == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "None of the SCEP server's CA and RA certificates has an RSA key to encrypt "
                           "the request to (SCEP's key transport needs one). Support should check "
                           "the SCEP server's certificates.");
      return NULL;
    }
  if (ca->issuer == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SCEP server sent RA certificates without its CA certificate. "
                           "Support should check the SCEP server.");
      return NULL;
    }
  ca->recipient = encipherer;
  return g_steal_pointer (&ca);
}

GPtrArray *
cradle_scep_ca_dup_chain (CradleScepCa *ca)
{
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);

  for (int i = 0; i < sk_X509_num (ca->certs); i++)
    {
      X509 *cert = sk_X509_value (ca->certs, i);
      unsigned char *der = NULL;
      int size;
      g_autoptr(GBytes) bytes = NULL;
      CradleCertificate *certificate;

      if (!is_ca (cert) && cert != ca->issuer)
        continue;
      size = i2d_X509 (cert, &der);
      if (size <= 0)
        continue;
      bytes = cradle_openssl_take_der (der, size);
      certificate = cradle_certificate_new_from_der (bytes, NULL);
      if (certificate != NULL)
        g_ptr_array_add (chain, certificate);
    }
  return g_steal_pointer (&chain);
}
