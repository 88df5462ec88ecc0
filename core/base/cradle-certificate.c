/* cradle-certificate.c: a parsed X.509 certificate, for display and JSON */
#include "config.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"
#include "base/cradle-x509-outline-private.h"

struct _CradleCertificate
{
  GObject parent_instance;

  /* Owned */
  GBytes    *der;
  char      *subject;
  char      *issuer;
  char      *serial;
  char      *sha256;
  GDateTime *not_after;
};

G_DEFINE_FINAL_TYPE (CradleCertificate, cradle_certificate, G_TYPE_OBJECT)

static void
cradle_certificate_finalize (GObject *object)
{
  CradleCertificate *self = CRADLE_CERTIFICATE (object);

  g_clear_pointer (&self->der, g_bytes_unref);
  g_clear_pointer (&self->subject, g_free);
  g_clear_pointer (&self->issuer, g_free);
  g_clear_pointer (&self->serial, g_free);
  g_clear_pointer (&self->sha256, g_free);
  g_clear_pointer (&self->not_after, g_date_time_unref);

  G_OBJECT_CLASS (cradle_certificate_parent_class)->finalize (object);
}

static void
cradle_certificate_class_init (CradleCertificateClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_certificate_finalize;
}

static void
cradle_certificate_init (CradleCertificate *self)
{
}

/* RFC 2253 order reversed, as people read a DN: "CN=…, O=…". */
static char *
name_to_string (const X509_NAME *name)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long size;

  if (bio == NULL ||
      X509_NAME_print_ex (bio, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) < 0)
    return g_strdup ("");
  size = BIO_get_mem_data (bio, &data);
  return g_strndup (data, size > 0 ? (gsize) size : 0);
}

static GDateTime *
time_to_date_time (const ASN1_TIME *time)
{
  struct tm tm = { 0 };

  if (ASN1_TIME_to_tm (time, &tm) != 1)
    return NULL;
  return g_date_time_new_utc (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                              tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/**
 * cradle_certificate_new_from_der:
 * @der: a DER certificate from a device or a CA, untrusted
 *
 * Returns: (transfer full): the certificate, or %NULL if @der is not
 *   exactly one well-formed certificate
 */
CradleCertificate *
cradle_certificate_new_from_der (GBytes  *der,
                                 GError **error)
{
  g_autoptr(CradleCertificate) self = NULL;
  g_autoptr(CradleX509Outline) x509 = NULL;
  g_autofree char *openssl_error = NULL;
  BIGNUM *serial;
  char *serial_hex;

  g_return_val_if_fail (der != NULL, NULL);

  /* Names, serial and expiry; never the subject's key (cradle-x509-outline.c). */
  switch (cradle_x509_outline_read (der, &x509))
    {
    case CRADLE_X509_OUTLINE_READ:
      break;
    case CRADLE_X509_OUTLINE_IMPLAUSIBLE_SIZE:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A certificate of %" G_GSIZE_FORMAT " bytes is not plausible (1 to %d expected)",
                   g_bytes_get_size (der), CRADLE_X509_OUTLINE_MAX_SIZE);
      return NULL;
    case CRADLE_X509_OUTLINE_MALFORMED:
    default:
      openssl_error = cradle_openssl_dup_errors ();
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A certificate is malformed%s%s",
                   openssl_error != NULL ? ": " : "", openssl_error != NULL ? openssl_error : "");
      return NULL;
    }

  self = g_object_new (CRADLE_TYPE_CERTIFICATE, NULL);
  self->der = g_bytes_ref (der);
  self->subject = name_to_string (x509->tbs->subject);
  self->issuer = name_to_string (x509->tbs->issuer);
  serial = ASN1_INTEGER_to_BN (x509->tbs->serial, NULL);
  serial_hex = serial != NULL ? BN_bn2hex (serial) : NULL;
  self->serial = g_ascii_strdown (serial_hex != NULL ? serial_hex : "", -1);
  OPENSSL_free (serial_hex);
  BN_free (serial);
  self->not_after = time_to_date_time (x509->tbs->validity->notAfter);
  if (self->not_after == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "A certificate has an unreadable expiry date");
      return NULL;
    }
  /* GLib's SHA-256: the same lower-case hex, without starting OpenSSL's
   * default provider for one digest. */
  self->sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, der);
  return g_steal_pointer (&self);
}

GBytes *
cradle_certificate_get_der (CradleCertificate *self)
{
  g_return_val_if_fail (CRADLE_IS_CERTIFICATE (self), NULL);
  return self->der;
}

const char *
cradle_certificate_get_subject (CradleCertificate *self)
{
  g_return_val_if_fail (CRADLE_IS_CERTIFICATE (self), NULL);
  return self->subject;
}

const char *
cradle_certificate_get_issuer (CradleCertificate *self)
{
  g_return_val_if_fail (CRADLE_IS_CERTIFICATE (self), NULL);
  return self->issuer;
}

/* Lower-case hex, no separators, as certutil and the AD CS database show it. */
const char *
cradle_certificate_get_serial (CradleCertificate *self)
{
  g_return_val_if_fail (CRADLE_IS_CERTIFICATE (self), NULL);
  return self->serial;
}

GDateTime *
cradle_certificate_get_not_after (CradleCertificate *self)
{
  g_return_val_if_fail (CRADLE_IS_CERTIFICATE (self), NULL);
  return self->not_after;
}

/* Lower-case hex SHA-256 of the DER: the fingerprint a device shows for a root. */
const char *
cradle_certificate_get_sha256 (CradleCertificate *self)
{
  g_return_val_if_fail (CRADLE_IS_CERTIFICATE (self), NULL);
  return self->sha256;
}
