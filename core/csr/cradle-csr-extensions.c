/* cradle-csr-extensions.c: the X.509 extensions a certification request asks for */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <cradle/cradle.h>

#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"

/* No value the builder takes is anywhere near this; it keeps lengths in int. */
#define MAX_VALUE_LENGTH 4096

static void
set_openssl_error (GError     **error,
                   const char  *what)
{
  g_autofree char *message = g_strdup_printf ("Could not encode %s", what);

  cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, message);
}

static gboolean
check_length (const char  *what,
              const char  *value,
              GError     **error)
{
  gsize length = strlen (value);

  if (length == 0 || length > MAX_VALUE_LENGTH)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The %s is %" G_GSIZE_FORMAT " bytes long; it must be 1 to %d",
                   what, length, MAX_VALUE_LENGTH);
      return FALSE;
    }
  return TRUE;
}

/* An extension whose value OpenSSL does not know: its DER given as is. */
static X509_EXTENSION *
extension_from_der (const char          *oid,
                    gboolean             critical,
                    const unsigned char *der,
                    int                  size,
                    const char          *what,
                    GError             **error)
{
  g_autoptr(ASN1_OBJECT) object = OBJ_txt2obj (oid, 1);
  g_autoptr(ASN1_STRING) value = ASN1_OCTET_STRING_new ();
  X509_EXTENSION *extension = NULL;

  if (object != NULL && value != NULL && ASN1_OCTET_STRING_set (value, der, size))
    extension = X509_EXTENSION_create_by_OBJ (NULL, object, critical ? 1 : 0, value);
  if (extension == NULL)
    set_openssl_error (error, what);
  return extension;
}

/**
 * cradle_csr_extension_template_name:
 * @cn: the template's cn
 *
 * szOID_ENROLL_CERTTYPE (1.3.6.1.4.1.311.20.2), non-critical, its value a
 * bare BMPString as Windows writes it (MS-WCCE 2.2.2.7.7.1 describes a
 * SEQUENCE { UTF8String }, which no Windows client sends).
 */
X509_EXTENSION *
cradle_csr_extension_template_name (const char  *cn,
                                    GError     **error)
{
  g_autoptr(ASN1_STRING) bmp = NULL;
  unsigned char *der = NULL;
  X509_EXTENSION *extension;
  int size;

  if (!check_length ("template name", cn, error))
    return NULL;
  if (!g_utf8_validate (cn, -1, NULL))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "The template name is not UTF-8");
      return NULL;
    }
  if (ASN1_mbstring_copy (&bmp, (const unsigned char *) cn, (int) strlen (cn), MBSTRING_UTF8,
                          B_ASN1_BMPSTRING) < 0)
    {
      ERR_clear_error ();
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The template name \"%s\" has characters a BMPString cannot hold", cn);
      return NULL;
    }
  size = i2d_ASN1_BMPSTRING (bmp, &der);
  if (size <= 0)
    {
      set_openssl_error (error, "the template name");
      return NULL;
    }
  extension = extension_from_der (CRADLE_CSR_OID_TEMPLATE_NAME, FALSE, der, size,
                                  "the template name", error);
  OPENSSL_free (der);
  return extension;
}

static gboolean
push_value (ASN1_SEQUENCE_ANY *sequence,
            int                type,
            void              *value)
{
  ASN1_TYPE *item = ASN1_TYPE_new ();

  if (item == NULL)
    return FALSE;
  ASN1_TYPE_set (item, type, value);
  if (sk_ASN1_TYPE_push (sequence, item) <= 0)
    {
      ASN1_TYPE_free (item);
      return FALSE;
    }
  return TRUE;
}

static gboolean
push_integer (ASN1_SEQUENCE_ANY *sequence,
              gint               number)
{
  ASN1_INTEGER *integer = ASN1_INTEGER_new ();

  if (integer == NULL || !ASN1_INTEGER_set (integer, number))
    {
      ASN1_INTEGER_free (integer);
      return FALSE;
    }
  return push_value (sequence, V_ASN1_INTEGER, integer);
}

/**
 * cradle_csr_extension_template_oid:
 * @oid: msPKI-Cert-Template-OID
 * @major: the template's revision, or negative to leave it out
 * @minor: msPKI-Template-Minor-Revision, or negative to leave it out
 *
 * szOID_CERTIFICATE_TEMPLATE (1.3.6.1.4.1.311.21.7), non-critical:
 * SEQUENCE { templateID OID, templateMajorVersion INTEGER OPTIONAL,
 * templateMinorVersion INTEGER OPTIONAL } (MS-WCCE 2.2.2.7.7.2). Both
 * versions are untagged, so a minor version needs the major one.
 */
X509_EXTENSION *
cradle_csr_extension_template_oid (const char  *oid,
                                   gint         major,
                                   gint         minor,
                                   GError     **error)
{
  g_autoptr(ASN1_SEQUENCE_ANY) sequence = sk_ASN1_TYPE_new_null ();
  ASN1_OBJECT *object;
  unsigned char *der = NULL;
  X509_EXTENSION *extension;
  int size;

  if (!cradle_csr_oid_is_valid (oid))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The template OID \"%s\" is not a dotted OID; check the template's msPKI-Cert-Template-OID",
                   oid);
      return NULL;
    }
  if (major < 0 && minor >= 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The template %s has a minor version (%d) but no major version, "
                   "which the template extension cannot carry", oid, minor);
      return NULL;
    }

  object = OBJ_txt2obj (oid, 1);
  if (sequence == NULL || object == NULL || !push_value (sequence, V_ASN1_OBJECT, object))
    {
      ASN1_OBJECT_free (object);
      set_openssl_error (error, "the template OID");
      return NULL;
    }
  if ((major >= 0 && !push_integer (sequence, major)) ||
      (minor >= 0 && !push_integer (sequence, minor)))
    {
      set_openssl_error (error, "the template version");
      return NULL;
    }
  size = i2d_ASN1_SEQUENCE_ANY (sequence, &der);
  if (size <= 0)
    {
      set_openssl_error (error, "the template OID");
      return NULL;
    }
  extension = extension_from_der (CRADLE_CSR_OID_TEMPLATE, FALSE, der, size, "the template OID", error);
  OPENSSL_free (der);
  return extension;
}

/**
 * cradle_csr_extension_key_usage:
 * @bits: CRADLE_CSR_KEY_USAGE_* bits, not 0
 *
 * KeyUsage (2.5.29.15) as a DER named-bit BIT STRING, trailing zero bits
 * dropped, as OpenSSL's "keyUsage=" writes it.
 */
X509_EXTENSION *
cradle_csr_extension_key_usage (guint      bits,
                                gboolean   critical,
                                GError   **error)
{
  g_autoptr(ASN1_STRING) bit_string = ASN1_BIT_STRING_new ();
  X509_EXTENSION *extension;

  if (bits == 0 || (bits & ~(guint) CRADLE_CSR_KEY_USAGE_ALL) != 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The key usage 0x%04x has bits no X.509 key usage defines (only 0x%04x may be set); "
                   "check the template's pKIKeyUsage",
                   bits, CRADLE_CSR_KEY_USAGE_ALL);
      return NULL;
    }
  if (bit_string == NULL)
    {
      set_openssl_error (error, "the key usage");
      return NULL;
    }
  /* Bit n of the BIT STRING: the first byte's bits from the top, then decipherOnly. */
  for (int n = 0; n < 9; n++)
    {
      guint mask = n < 8 ? 0x80u >> n : CRADLE_CSR_KEY_USAGE_DECIPHER_ONLY;

      if ((bits & mask) != 0 && !ASN1_BIT_STRING_set_bit (bit_string, n, 1))
        {
          set_openssl_error (error, "the key usage");
          return NULL;
        }
    }
  extension = X509V3_EXT_i2d (NID_key_usage, critical ? 1 : 0, bit_string);
  if (extension == NULL)
    set_openssl_error (error, "the key usage");
  return extension;
}

/**
 * cradle_csr_extension_extended_key_usage:
 * @oids: (element-type utf8): dotted OIDs, at least one
 *
 * ExtKeyUsageSyntax (2.5.29.37), non-critical.
 */
X509_EXTENSION *
cradle_csr_extension_extended_key_usage (GPtrArray  *oids,
                                         GError    **error)
{
  g_autoptr(EXTENDED_KEY_USAGE) usages = sk_ASN1_OBJECT_new_null ();
  X509_EXTENSION *extension;

  if (usages == NULL)
    {
      set_openssl_error (error, "the extended key usage");
      return NULL;
    }
  for (guint i = 0; i < oids->len; i++)
    {
      const char *oid = oids->pdata[i];
      ASN1_OBJECT *object;

      if (!cradle_csr_oid_is_valid (oid))
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The extended key usage \"%s\" is not a dotted OID; check the template's pKIExtendedKeyUsage",
                       oid);
          return NULL;
        }
      object = OBJ_txt2obj (oid, 1);
      if (object == NULL || sk_ASN1_OBJECT_push (usages, object) <= 0)
        {
          ASN1_OBJECT_free (object);
          set_openssl_error (error, "the extended key usage");
          return NULL;
        }
    }
  extension = X509V3_EXT_i2d (NID_ext_key_usage, 0, usages);
  if (extension == NULL)
    set_openssl_error (error, "the extended key usage");
  return extension;
}

/* rfc822Name and dNSName are IA5Strings: printable ASCII, no spaces. */
static gboolean
check_ia5 (const char  *what,
           const char  *value,
           GError     **error)
{
  if (!check_length (what, value, error))
    return FALSE;
  for (const guchar *p = (const guchar *) value; *p != '\0'; p++)
    {
      if (*p <= 0x20 || *p >= 0x7f)
        {
          g_autofree char *shown = g_utf8_make_valid (value, -1);

          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The %s \"%s\" has a space, a control or a non-ASCII character; "
                       "international names must be given in their ASCII (xn--) form",
                       what, shown);
          return FALSE;
        }
    }
  return TRUE;
}

static GENERAL_NAME *
new_general_name (const CradleCsrSan  *san,
                  GError             **error)
{
  g_autoptr(GENERAL_NAME) name = GENERAL_NAME_new ();
  g_autoptr(ASN1_STRING) string = NULL;

  switch (san->kind)
    {
    case CRADLE_CSR_SAN_UPN:
      {
        g_autoptr(ASN1_OBJECT) type = NULL;
        g_autoptr(ASN1_TYPE) value = NULL;

        if (!check_length ("user principal name", san->value, error))
          return NULL;
        if (!g_utf8_validate (san->value, -1, NULL))
          {
            g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                                 "The user principal name is not UTF-8");
            return NULL;
          }
        type = OBJ_txt2obj (CRADLE_CSR_OID_UPN, 1);
        value = ASN1_TYPE_new ();
        string = ASN1_UTF8STRING_new ();
        if (name == NULL || type == NULL || value == NULL || string == NULL ||
            !ASN1_STRING_set (string, san->value, (int) strlen (san->value)))
          break;
        ASN1_TYPE_set (value, V_ASN1_UTF8STRING, g_steal_pointer (&string));
        if (!GENERAL_NAME_set0_othername (name, type, value))
          break;
        type = NULL;
        value = NULL;
        return g_steal_pointer (&name);
      }

    case CRADLE_CSR_SAN_EMAIL:
    case CRADLE_CSR_SAN_DNS:
      if (!check_ia5 (san->kind == CRADLE_CSR_SAN_EMAIL ? "e-mail address" : "DNS name",
                      san->value, error))
        return NULL;
      string = ASN1_IA5STRING_new ();
      if (name == NULL || string == NULL ||
          !ASN1_STRING_set (string, san->value, (int) strlen (san->value)))
        break;
      GENERAL_NAME_set0_value (name, san->kind == CRADLE_CSR_SAN_EMAIL ? GEN_EMAIL : GEN_DNS,
                               g_steal_pointer (&string));
      return g_steal_pointer (&name);

    default:
      g_assert_not_reached ();
    }
  set_openssl_error (error, "the subject alternative name");
  return NULL;
}

/**
 * cradle_csr_extension_subject_alt_name:
 * @names: (element-type CradleCsrSan): at least one, kept in this order
 *
 * SubjectAltName (2.5.29.17), non-critical. A UPN is the otherName
 * szOID_NT_PRINCIPAL_NAME (1.3.6.1.4.1.311.20.2.3) with a UTF8String.
 */
X509_EXTENSION *
cradle_csr_extension_subject_alt_name (GPtrArray  *names,
                                       GError    **error)
{
  g_autoptr(GENERAL_NAMES) general_names = sk_GENERAL_NAME_new_null ();
  X509_EXTENSION *extension;

  if (general_names == NULL)
    {
      set_openssl_error (error, "the subject alternative name");
      return NULL;
    }
  for (guint i = 0; i < names->len; i++)
    {
      GENERAL_NAME *name = new_general_name (names->pdata[i], error);

      if (name == NULL)
        return NULL;
      if (sk_GENERAL_NAME_push (general_names, name) <= 0)
        {
          GENERAL_NAME_free (name);
          set_openssl_error (error, "the subject alternative name");
          return NULL;
        }
    }
  extension = X509V3_EXT_i2d (NID_subject_alt_name, 0, general_names);
  if (extension == NULL)
    set_openssl_error (error, "the subject alternative name");
  return extension;
}

/**
 * cradle_csr_extension_certificate:
 * @oid: CRADLE_CSR_OID_ATTESTATION or CRADLE_CSR_OID_ATTESTATION_INTERMEDIATE
 * @certificate: the DER certificate, from a token
 *
 * Not critical, its value the certificate itself, as yubico-piv-tool
 * writes a YubiKey's attestation into a request.  The certificate is
 * checked to be one DER certificate and nothing after it.
 */
X509_EXTENSION *
cradle_csr_extension_certificate (const char  *oid,
                                  GBytes      *certificate,
                                  GError     **error)
{
  gsize size = 0;
  const unsigned char *data = g_bytes_get_data (certificate, &size);
  const unsigned char *p = data;
  g_autoptr(X509) parsed = NULL;

  if (size > 0 && size <= CRADLE_CSR_MAX_ATTESTATION_SIZE)
    parsed = d2i_X509 (NULL, &p, (long) size);
  if (parsed == NULL || p != data + size)
    {
      ERR_clear_error ();
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The token's attestation cannot go into the request: the value for %s is not one "
                   "DER certificate of at most %d bytes", oid, CRADLE_CSR_MAX_ATTESTATION_SIZE);
      return NULL;
    }
  return extension_from_der (oid, FALSE, data, (int) size, "the attestation extension", error);
}
