/* cert-details-test-support.c: certificates made with OpenSSL for the
 * details tests: every kind of subject alternative name, extended key
 * usages known and unknown, a template name, and hostile text */
#include "config.h"

#include <openssl/x509v3.h>

#include "cert-details-test-support.h"

static void
add_conf_extension (X509       *x509,
                    X509       *issuer,
                    int         nid,
                    const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *extension;

  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, issuer, x509, NULL, NULL, 0);
  extension = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  g_assert_nonnull (extension);
  g_assert_cmpint (X509_add_ext (x509, extension, -1), ==, 1);
  X509_EXTENSION_free (extension);
}

static void
add_many_dns (X509  *x509,
              guint  count)
{
  GENERAL_NAMES *names = sk_GENERAL_NAME_new_null ();

  for (guint i = 0; i < count; i++)
    {
      GENERAL_NAME *name = GENERAL_NAME_new ();
      ASN1_IA5STRING *text = ASN1_IA5STRING_new ();
      g_autofree char *value = i == 0 ? g_strdup ("\x1b]0;owned\x07" "evil.example\r\nDNS:forged.example")
                                      : g_strdup_printf ("host%u.example", i);

      ASN1_STRING_set (text, value, -1);
      GENERAL_NAME_set0_value (name, GEN_DNS, text);
      sk_GENERAL_NAME_push (names, name);
    }
  g_assert_cmpint (X509_add1_ext_i2d (x509, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT), ==, 1);
  GENERAL_NAMES_free (names);
}

static void
add_template_name (X509       *x509,
                   const char *template_name)
{
  g_autoptr(GByteArray) der = g_byte_array_new ();
  ASN1_OBJECT *oid = OBJ_txt2obj ("1.3.6.1.4.1.311.20.2", 1);
  ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new ();
  X509_EXTENSION *extension;
  gsize length = strlen (template_name);
  guint8 header[2] = { 0x1e, (guint8) (2 * length) };

  g_assert_cmpuint (length, <, 60);
  g_byte_array_append (der, header, 2);
  for (gsize i = 0; i < length; i++)
    {
      guint8 unit[2] = { 0, (guint8) template_name[i] };

      g_byte_array_append (der, unit, 2);
    }
  ASN1_OCTET_STRING_set (value, der->data, (int) der->len);
  extension = X509_EXTENSION_create_by_OBJ (NULL, oid, 0, value);
  g_assert_cmpint (X509_add_ext (x509, extension, -1), ==, 1);
  X509_EXTENSION_free (extension);
  ASN1_OCTET_STRING_free (value);
  ASN1_OBJECT_free (oid);
}

X509 *
cert_spec_build (const CertSpec *spec)
{
  X509 *x509 = X509_new ();
  X509_NAME *subject = X509_NAME_new ();

  X509_set_version (x509, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (x509), spec->serial);
  /* A TeletexString: OpenSSL itself refuses to read a name whose
   * UTF8String is not UTF-8 (the certificate is then malformed), but
   * takes any byte in a TeletexString. */
  if (spec->raw_cn != NULL)
    g_assert_cmpint (X509_NAME_add_entry_by_NID (subject, NID_commonName, V_ASN1_T61STRING,
                                                 g_bytes_get_data (spec->raw_cn, NULL),
                                                 (int) g_bytes_get_size (spec->raw_cn), -1, 0), ==, 1);
  else
    X509_NAME_add_entry_by_txt (subject, "CN", MBSTRING_UTF8, (const unsigned char *) spec->subject_cn, -1, -1, 0);
  X509_set_subject_name (x509, subject);
  X509_set_issuer_name (x509, spec->issuer != NULL ? X509_get_subject_name (spec->issuer) : subject);
  X509_gmtime_adj (X509_getm_notBefore (x509), -3600);
  X509_gmtime_adj (X509_getm_notAfter (x509), 365L * 24 * 3600);
  X509_set_pubkey (x509, spec->key);
  add_conf_extension (x509, spec->issuer != NULL ? spec->issuer : x509, NID_basic_constraints,
                      spec->ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (spec->key_usage != NULL)
    add_conf_extension (x509, x509, NID_key_usage, spec->key_usage);
  if (spec->eku != NULL)
    add_conf_extension (x509, x509, NID_ext_key_usage, spec->eku);
  if (spec->san != NULL)
    add_conf_extension (x509, x509, NID_subject_alt_name, spec->san);
  if (spec->many_dns > 0)
    add_many_dns (x509, spec->many_dns);
  if (spec->template_name != NULL)
    add_template_name (x509, spec->template_name);
  g_assert_cmpint (X509_sign (x509, spec->issuer_key, EVP_sha256 ()), >, 0);
  X509_NAME_free (subject);
  return x509;
}

GBytes *
cert_der (X509 *x509)
{
  unsigned char *der = NULL;
  int size = i2d_X509 (x509, &der);
  GBytes *bytes;

  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

X509 *
cert_from_der (GBytes *der)
{
  const unsigned char *p = g_bytes_get_data (der, NULL);

  return d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
}
