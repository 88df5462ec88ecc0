/* cradle-csr.c: PKCS#10 requests for keys that stay on the device, and reading a finished one back */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <cradle/cradle.h>

#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"

/* PKCS#9: challengePassword is a DirectoryString of at most 255 characters. */
#define MAX_CHALLENGE_PASSWORD_CHARACTERS 255

struct _CradleCsrBuilder
{
  /* Owned */
  GBytes         *public_key_der;
  EVP_PKEY       *public_key;
  X509_NAME      *subject;
  GPtrArray      *subject_alt_names;   /* CradleCsrSan */
  GPtrArray      *extended_key_usages; /* dotted OIDs */
  char           *template_name;
  X509_EXTENSION *template_oid;
  char           *challenge_password;  /* secret: wiped before it is freed */
  GBytes         *renewal_certificate; /* DER of the certificate renewed, or NULL */
  GBytes         *attestation;         /* a token's attestation of the key (DER), or NULL */
  GBytes         *attestation_intermediate; /* the certificate that signed it, or NULL */
  guint           key_usage;
  gboolean        key_usage_critical;
};

static void
san_free (CradleCsrSan *san)
{
  g_free (san->value);
  g_free (san);
}

CradleCsrBuilder *
cradle_csr_builder_new (void)
{
  CradleCsrBuilder *self = g_new0 (CradleCsrBuilder, 1);

  self->subject_alt_names = g_ptr_array_new_with_free_func ((GDestroyNotify) san_free);
  self->extended_key_usages = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
cradle_csr_builder_free (CradleCsrBuilder *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->public_key_der, g_bytes_unref);
  g_clear_pointer (&self->public_key, EVP_PKEY_free);
  g_clear_pointer (&self->subject, X509_NAME_free);
  g_clear_pointer (&self->subject_alt_names, g_ptr_array_unref);
  g_clear_pointer (&self->extended_key_usages, g_ptr_array_unref);
  g_clear_pointer (&self->template_name, g_free);
  g_clear_pointer (&self->template_oid, X509_EXTENSION_free);
  g_clear_pointer (&self->challenge_password, cradle_secret_free);
  g_clear_pointer (&self->renewal_certificate, g_bytes_unref);
  g_clear_pointer (&self->attestation, g_bytes_unref);
  g_clear_pointer (&self->attestation_intermediate, g_bytes_unref);
  g_free (self);
}

/**
 * cradle_csr_builder_set_public_key:
 * @spki_der: the DER SubjectPublicKeyInfo the device gave, untrusted
 *
 * Takes an RSA or named-curve EC key in canonical DER, nothing after it
 * (see cradle_csr_parse_public_key()).
 */
gboolean
cradle_csr_builder_set_public_key (CradleCsrBuilder  *self,
                                   GBytes            *spki_der,
                                   GError           **error)
{
  EVP_PKEY *key;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (spki_der != NULL, FALSE);

  key = cradle_csr_parse_public_key (spki_der, error);
  if (key == NULL)
    return FALSE;
  g_clear_pointer (&self->public_key_der, g_bytes_unref);
  self->public_key_der = g_bytes_ref (spki_der);
  g_clear_pointer (&self->public_key, EVP_PKEY_free);
  self->public_key = key;
  return TRUE;
}

/**
 * cradle_csr_builder_set_subject:
 * @subject: (nullable): an RFC 4514 string like "CN=alice,OU=Devices,O=Corp",
 *   or %NULL or "" for an empty subject (30 00), which MS-WCCE asks for
 *   when the CA builds the subject from the directory
 */
gboolean
cradle_csr_builder_set_subject (CradleCsrBuilder  *self,
                                const char        *subject,
                                GError           **error)
{
  X509_NAME *name;

  g_return_val_if_fail (self != NULL, FALSE);

  ERR_clear_error ();
  name = cradle_csr_name_from_string (subject, error);
  if (name == NULL)
    return FALSE;
  g_clear_pointer (&self->subject, X509_NAME_free);
  self->subject = name;
  return TRUE;
}

/**
 * cradle_csr_builder_set_subject_common_name:
 * @common_name: the value of the subject's one commonName, as it is
 *
 * For a name that comes from a device or the directory (a serial, a cn): it
 * becomes one X509_NAME entry with exactly that value, never text parsed as
 * a distinguished name, so "PHONE-7,OU=Domain Admins,CN=Administrator" is
 * one CN holding those characters, commas and all.
 */
gboolean
cradle_csr_builder_set_subject_common_name (CradleCsrBuilder  *self,
                                            const char        *common_name,
                                            GError           **error)
{
  g_autoptr(X509_NAME) name = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (common_name != NULL, FALSE);

  if (*common_name == '\0' || !g_utf8_validate (common_name, -1, NULL))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The name for the certificate's subject is empty or not text. "
                           "Type a subject instead.");
      return FALSE;
    }
  ERR_clear_error ();
  name = X509_NAME_new ();
  /* MBSTRING_UTF8: OpenSSL picks the string type and checks the length
   * X.520 allows a commonName (64 characters). */
  if (name == NULL ||
      !X509_NAME_add_entry_by_NID (name, NID_commonName, MBSTRING_UTF8,
                                   (const unsigned char *) common_name, -1, -1, 0))
    {
      g_autofree char *shown = cradle_text_escape (common_name, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      ERR_clear_error ();
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "\"%s\" cannot be the certificate's common name (at most 64 characters). "
                   "Type a subject instead.", shown);
      return FALSE;
    }
  g_clear_pointer (&self->subject, X509_NAME_free);
  self->subject = g_steal_pointer (&name);
  return TRUE;
}

static void
add_san (CradleCsrBuilder *self,
         CradleCsrSanKind  kind,
         const char       *value)
{
  CradleCsrSan *san = g_new0 (CradleCsrSan, 1);

  san->kind = kind;
  san->value = g_strdup (value);
  g_ptr_array_add (self->subject_alt_names, san);
}

/* The subject alternative names keep the order they were added in. */
void
cradle_csr_builder_add_san_upn (CradleCsrBuilder *self,
                                const char       *upn)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (upn != NULL);
  add_san (self, CRADLE_CSR_SAN_UPN, upn);
}

void
cradle_csr_builder_add_san_email (CradleCsrBuilder *self,
                                  const char       *mail)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (mail != NULL);
  add_san (self, CRADLE_CSR_SAN_EMAIL, mail);
}

void
cradle_csr_builder_add_san_dns (CradleCsrBuilder *self,
                                const char       *name)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);
  add_san (self, CRADLE_CSR_SAN_DNS, name);
}

/**
 * cradle_csr_builder_set_key_usage:
 * @bits: CRADLE_CSR_KEY_USAGE_* bits (pKIKeyUsage read little-endian), or
 *   0 for no KeyUsage extension. Bits outside CRADLE_CSR_KEY_USAGE_ALL make
 *   cradle_csr_builder_encode_request_info() fail.
 */
void
cradle_csr_builder_set_key_usage (CradleCsrBuilder *self,
                                  guint             bits,
                                  gboolean          critical)
{
  g_return_if_fail (self != NULL);
  self->key_usage = bits;
  self->key_usage_critical = critical;
}

/* A dotted OID; checked when the request is encoded. Repeats are dropped. */
void
cradle_csr_builder_add_extended_key_usage (CradleCsrBuilder *self,
                                           const char       *oid)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (oid != NULL);

  for (guint i = 0; i < self->extended_key_usages->len; i++)
    if (g_strcmp0 (self->extended_key_usages->pdata[i], oid) == 0)
      return;
  g_ptr_array_add (self->extended_key_usages, g_strdup (oid));
}

/* A request names its template once: a second call replaces the first. */
void
cradle_csr_builder_add_template_name (CradleCsrBuilder *self,
                                      const char       *cn)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (cn != NULL);
  g_free (self->template_name);
  self->template_name = g_strdup (cn);
}

/* As for the name, a second call replaces the first. */
gboolean
cradle_csr_builder_add_template_oid (CradleCsrBuilder  *self,
                                     const char        *oid,
                                     gint               major,
                                     gint               minor,
                                     GError           **error)
{
  X509_EXTENSION *extension;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (oid != NULL, FALSE);

  ERR_clear_error ();
  extension = cradle_csr_extension_template_oid (oid, major, minor, error);
  if (extension == NULL)
    return FALSE;
  g_clear_pointer (&self->template_oid, X509_EXTENSION_free);
  self->template_oid = extension;
  return TRUE;
}

/**
 * cradle_csr_builder_set_challenge_password:
 * @password: (nullable): the SCEP challenge, or %NULL or "" for none
 *
 * The builder wipes its copy when it is replaced or freed. The request
 * encoded from it holds the password, as it must.
 */
void
cradle_csr_builder_set_challenge_password (CradleCsrBuilder *self,
                                           const char       *password)
{
  g_return_if_fail (self != NULL);
  g_clear_pointer (&self->challenge_password, cradle_secret_free);
  if (password != NULL && password[0] != '\0')
    self->challenge_password = g_strdup (password);
}

/**
 * cradle_csr_builder_set_renewal_certificate:
 * @certificate_der: (nullable): the DER certificate the request renews
 *
 * Adds szOID_RENEWAL_CERTIFICATE (MS-WCCE 2.2.2.7.3) to the request's
 * attributes, its one value the certificate as it is.
 */
void
cradle_csr_builder_set_renewal_certificate (CradleCsrBuilder *self,
                                            GBytes           *certificate_der)
{
  g_return_if_fail (self != NULL);
  g_clear_pointer (&self->renewal_certificate, g_bytes_unref);
  if (certificate_der != NULL)
    self->renewal_certificate = g_bytes_ref (certificate_der);
}

void
cradle_csr_builder_set_attestation (CradleCsrBuilder *self,
                                    GBytes           *attestation,
                                    GBytes           *intermediate)
{
  g_return_if_fail (self != NULL);
  g_clear_pointer (&self->attestation, g_bytes_unref);
  g_clear_pointer (&self->attestation_intermediate, g_bytes_unref);
  if (attestation == NULL)
    return;
  self->attestation = g_bytes_ref (attestation);
  if (intermediate != NULL)
    self->attestation_intermediate = g_bytes_ref (intermediate);
}

/* The attribute's value is the certificate itself (a SEQUENCE), checked
 * to be one certificate and nothing after it. */
static gboolean
add_renewal_certificate (X509_REQ    *request,
                         GBytes      *certificate_der,
                         GError     **error)
{
  gsize size = 0;
  const unsigned char *data = g_bytes_get_data (certificate_der, &size);
  const unsigned char *p = data;
  g_autoptr(X509) certificate = size > 0 && size <= G_MAXLONG ? d2i_X509 (NULL, &p, (long) size) : NULL;
  g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj (CRADLE_CSR_OID_RENEWAL_CERTIFICATE, 1);

  if (certificate == NULL || p != data + size)
    {
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certificate to renew cannot be read, so the renewal cannot name it.");
      return FALSE;
    }
  if (oid == NULL || !X509_REQ_add1_attr_by_OBJ (request, oid, V_ASN1_SEQUENCE, data, (int) size))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not add the renewal attribute to the request");
      return FALSE;
    }
  return TRUE;
}

static gboolean
take_extension (X509_EXTENSIONS  *extensions,
                X509_EXTENSION   *extension,
                GError          **error)
{
  if (extension == NULL)
    return FALSE;
  if (sk_X509_EXTENSION_push (extensions, extension) <= 0)
    {
      X509_EXTENSION_free (extension);
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not collect the request's extensions");
      return FALSE;
    }
  return TRUE;
}

/* Ordered as Windows orders them: the template first. */
static X509_EXTENSIONS *
build_extensions (CradleCsrBuilder  *self,
                  GError           **error)
{
  g_autoptr(X509_EXTENSIONS) extensions = sk_X509_EXTENSION_new_null ();

  if (extensions == NULL)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not collect the request's extensions");
      return NULL;
    }
  if (self->template_name != NULL &&
      !take_extension (extensions, cradle_csr_extension_template_name (self->template_name, error), error))
    return NULL;
  if (self->template_oid != NULL)
    {
      X509_EXTENSION *copy = X509_EXTENSION_dup (self->template_oid);

      if (copy == NULL)
        {
          cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not copy the template extension");
          return NULL;
        }
      if (!take_extension (extensions, copy, error))
        return NULL;
    }
  if (self->extended_key_usages->len > 0 &&
      !take_extension (extensions,
                       cradle_csr_extension_extended_key_usage (self->extended_key_usages, error), error))
    return NULL;
  if (self->key_usage != 0 &&
      !take_extension (extensions,
                       cradle_csr_extension_key_usage (self->key_usage, self->key_usage_critical, error), error))
    return NULL;
  if (self->subject_alt_names->len > 0 &&
      !take_extension (extensions,
                       cradle_csr_extension_subject_alt_name (self->subject_alt_names, error), error))
    return NULL;
  /* Last, as yubico-piv-tool adds them. */
  if (self->attestation != NULL &&
      !take_extension (extensions,
                       cradle_csr_extension_certificate (CRADLE_CSR_OID_ATTESTATION, self->attestation, error),
                       error))
    return NULL;
  if (self->attestation_intermediate != NULL &&
      !take_extension (extensions,
                       cradle_csr_extension_certificate (CRADLE_CSR_OID_ATTESTATION_INTERMEDIATE,
                                                         self->attestation_intermediate, error),
                       error))
    return NULL;
  return g_steal_pointer (&extensions);
}

/* RFC 2985 5.4.1: PrintableString where it can hold the password, else UTF8String. */
static int
challenge_password_type (const char *password)
{
  for (const char *p = password; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr (" '()+,-./:=?", *p) == NULL)
      return V_ASN1_UTF8STRING;
  return V_ASN1_PRINTABLESTRING;
}

static void
wipe_attribute (X509_ATTRIBUTE *attribute)
{
  for (int i = 0; attribute != NULL && i < X509_ATTRIBUTE_count (attribute); i++)
    {
      ASN1_TYPE *value = X509_ATTRIBUTE_get0_type (attribute, i);

      if (value != NULL && (value->type == V_ASN1_PRINTABLESTRING || value->type == V_ASN1_UTF8STRING) &&
          value->value.asn1_string != NULL && value->value.asn1_string->data != NULL)
        OPENSSL_cleanse (value->value.asn1_string->data, value->value.asn1_string->length);
    }
}

static void
wipe_challenge_password (X509_REQ *request)
{
  int location = X509_REQ_get_attr_by_NID (request, NID_pkcs9_challengePassword, -1);

  if (location >= 0)
    wipe_attribute (X509_REQ_get_attr (request, location));
}

/* Best effort: the copies made here are wiped, but OpenSSL's own temporary
 * buffers while it copies and encodes the attribute are not. */
static gboolean
add_challenge_password (X509_REQ    *request,
                        const char  *password,
                        GError     **error)
{
  g_autoptr(X509_ATTRIBUTE) attribute = NULL;
  glong characters;
  gboolean added;

  if (!g_utf8_validate (password, -1, NULL))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The challenge password is not valid UTF-8");
      return FALSE;
    }
  characters = g_utf8_strlen (password, -1);
  if (characters > MAX_CHALLENGE_PASSWORD_CHARACTERS)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The challenge password is %ld characters long; PKCS#9 allows at most %d",
                   characters, MAX_CHALLENGE_PASSWORD_CHARACTERS);
      return FALSE;
    }
  attribute = X509_ATTRIBUTE_create_by_NID (NULL, NID_pkcs9_challengePassword,
                                            challenge_password_type (password),
                                            password, (int) strlen (password));
  added = attribute != NULL && X509_REQ_add1_attr (request, attribute);
  wipe_attribute (attribute);
  if (!added)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not add the challenge password to the request");
      return FALSE;
    }
  return TRUE;
}

/* The request must carry the device's key byte for byte: the device checks. */
static gboolean
check_request_key (CradleCsrBuilder  *self,
                   X509_REQ          *request,
                   GError           **error)
{
  unsigned char *encoded = NULL;
  int size = i2d_X509_PUBKEY (X509_REQ_get_X509_PUBKEY (request), &encoded);
  gboolean same = size > 0 && (gsize) size == g_bytes_get_size (self->public_key_der) &&
                  memcmp (encoded, g_bytes_get_data (self->public_key_der, NULL), size) == 0;

  OPENSSL_free (encoded);
  if (!same)
    cradle_openssl_set_error (error, CRADLE_ERROR_FAILED,
                                  "OpenSSL encoded the device's public key differently from the device");
  return same;
}

/**
 * cradle_csr_builder_encode_request_info:
 *
 * Returns: (transfer full): the DER CertificationRequestInfo for the device
 *   to sign: version 0, the subject, the device's key, and the attributes
 *   (the PKCS#9 extensionRequest when there are extensions, the
 *   challengePassword when one was set, the renewal certificate when
 *   the request renews one)
 */
GBytes *
cradle_csr_builder_encode_request_info (CradleCsrBuilder  *self,
                                        GError           **error)
{
  g_autoptr(X509_REQ) request = NULL;
  g_autoptr(X509_EXTENSIONS) extensions = NULL;
  unsigned char *der = NULL;
  GBytes *bytes;
  int size;

  g_return_val_if_fail (self != NULL, NULL);

  ERR_clear_error ();
  if (self->public_key == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                           "A certification request needs the device's public key first");
      return NULL;
    }
  extensions = build_extensions (self, error);
  if (extensions == NULL)
    return NULL;

  request = X509_REQ_new ();
  if (request == NULL ||
      !X509_REQ_set_version (request, X509_REQ_VERSION_1) ||
      (self->subject != NULL && !X509_REQ_set_subject_name (request, self->subject)) ||
      !X509_REQ_set_pubkey (request, self->public_key) ||
      (sk_X509_EXTENSION_num (extensions) > 0 && !X509_REQ_add_extensions (request, extensions)))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not put the certification request together");
      return NULL;
    }
  if (!check_request_key (self, request, error))
    return NULL;
  if (self->renewal_certificate != NULL &&
      !add_renewal_certificate (request, self->renewal_certificate, error))
    return NULL;

  /* The request's own copy of the password is wiped as soon as it is encoded. */
  if (self->challenge_password != NULL &&
      !add_challenge_password (request, self->challenge_password, error))
    {
      wipe_challenge_password (request);
      return NULL;
    }
  size = i2d_re_X509_REQ_tbs (request, &der);
  wipe_challenge_password (request);
  if (size <= 0)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the certification request");
      return NULL;
    }
  bytes = g_bytes_new (der, size);
  OPENSSL_clear_free (der, size);
  g_debug ("Built a certification request info of %d bytes with %d extensions",
           size, sk_X509_EXTENSION_num (extensions));
  return bytes;
}

/* ---- reading back a finished request ------------------------------------ */

static X509_REQ *
read_request (GBytes  *csr,
              GError **error)
{
  const unsigned char *p = g_bytes_get_data (csr, NULL);
  gsize size = g_bytes_get_size (csr);
  X509_REQ *request = size > 0 && size <= G_MAXLONG ? d2i_X509_REQ (NULL, &p, (long) size) : NULL;

  if (request == NULL)
    g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                         "The certification request cannot be read back.");
  return request;
}

GBytes *
cradle_csr_dup_without_challenge (GBytes    *csr,
                                  gboolean  *had_challenge,
                                  GError   **error)
{
  g_autoptr(X509_REQ) request = read_request (csr, error);
  unsigned char *der = NULL;
  GBytes *stripped;
  int length;
  int index;

  *had_challenge = FALSE;
  if (request == NULL)
    return NULL;
  while ((index = X509_REQ_get_attr_by_NID (request, NID_pkcs9_challengePassword, -1)) >= 0)
    {
      X509_ATTRIBUTE *attribute = X509_REQ_delete_attr (request, index);

      X509_ATTRIBUTE_free (attribute);
      *had_challenge = TRUE;
    }
  if (!*had_challenge)
    return g_bytes_ref (csr);
  length = i2d_X509_REQ (request, &der);
  if (length <= 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not encode the certification request.");
      return NULL;
    }
  stripped = g_bytes_new (der, (gsize) length);
  OPENSSL_free (der);
  return stripped;
}

GBytes *
cradle_csr_dup_public_key_info (GBytes  *csr,
                                GError **error)
{
  g_autoptr(X509_REQ) request = read_request (csr, error);
  unsigned char *der = NULL;
  GBytes *spki;
  int length;

  if (request == NULL)
    return NULL;
  length = i2d_PUBKEY (X509_REQ_get0_pubkey (request), &der);
  if (length <= 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certification request's public key cannot be read back.");
      return NULL;
    }
  spki = g_bytes_new (der, (gsize) length);
  OPENSSL_free (der);
  return spki;
}
