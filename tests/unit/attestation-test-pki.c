/* attestation-test-pki.c: see attestation-test-pki.h */
#include "config.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "attestation-test-pki.h"

void
att_pki_free (AttPki *pki)
{
  if (pki == NULL)
    return;
  EVP_PKEY_free (pki->key);
  X509_free (pki->cert);
  g_free (pki);
}

EVP_PKEY *
att_make_key (void)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");

  g_assert_nonnull (key);
  return key;
}

static void
set_name (X509       *cert,
          const char *common_name,
          gboolean    subject)
{
  g_autoptr(X509_NAME) name = X509_NAME_new ();

  g_assert_true (X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8, (const unsigned char *) "Cradle Tests",
                                             -1, -1, 0));
  g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) common_name,
                                             -1, -1, 0));
  if (subject)
    g_assert_true (X509_set_subject_name (cert, name));
  else
    g_assert_true (X509_set_issuer_name (cert, name));
}

static X509 *
new_cert (EVP_PKEY   *public_key,
          X509_NAME  *issuer,
          const char *subject,
          gboolean    version_1)
{
  static long serial = 1000;
  X509 *cert = X509_new ();

  g_assert_nonnull (cert);
  g_assert_true (X509_set_version (cert, version_1 ? X509_VERSION_1 : X509_VERSION_3));
  g_assert_true (ASN1_INTEGER_set (X509_get_serialNumber (cert), serial++));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notBefore (cert), -3600));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notAfter (cert), 30L * 86400));
  g_assert_true (X509_set_pubkey (cert, public_key));
  set_name (cert, subject, TRUE);
  if (issuer != NULL)
    g_assert_true (X509_set_issuer_name (cert, issuer));
  else
    set_name (cert, subject, FALSE);
  return cert;
}

static void
add_v3 (X509       *cert,
        X509       *issuer,
        int         nid,
        const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *extension;

  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, issuer != NULL ? issuer : cert, cert, NULL, NULL, 0);
  extension = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  g_assert_nonnull (extension);
  g_assert_true (X509_add_ext (cert, extension, -1));
  X509_EXTENSION_free (extension);
}

AttPki *
att_make_root (const char *common_name)
{
  AttPki *pki = g_new0 (AttPki, 1);

  pki->key = att_make_key ();
  pki->cert = new_cert (pki->key, NULL, common_name, FALSE);
  add_v3 (pki->cert, NULL, NID_basic_constraints, "critical,CA:TRUE");
  add_v3 (pki->cert, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_v3 (pki->cert, NULL, NID_subject_key_identifier, "hash");
  g_assert_cmpint (X509_sign (pki->cert, pki->key, EVP_sha256 ()), >, 0);
  return pki;
}

AttPki *
att_make_issued (AttPki     *issuer,
                 const char *common_name,
                 gboolean    ca)
{
  AttPki *pki = g_new0 (AttPki, 1);

  pki->key = att_make_key ();
  pki->cert = new_cert (pki->key, X509_get_subject_name (issuer->cert), common_name, !ca);
  if (ca)
    {
      add_v3 (pki->cert, issuer->cert, NID_basic_constraints, "critical,CA:TRUE");
      add_v3 (pki->cert, issuer->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
  g_assert_cmpint (X509_sign (pki->cert, issuer->key, EVP_sha256 ()), >, 0);
  return pki;
}

static void
add_raw (X509       *cert,
         const char *oid,
         GBytes     *value)
{
  g_autoptr(ASN1_OBJECT) object = OBJ_txt2obj (oid, 1);
  g_autoptr(ASN1_STRING) octets = ASN1_OCTET_STRING_new ();
  X509_EXTENSION *extension;

  if (value == NULL)
    return;
  g_assert_true (ASN1_OCTET_STRING_set (octets, g_bytes_get_data (value, NULL), (int) g_bytes_get_size (value)));
  extension = X509_EXTENSION_create_by_OBJ (NULL, object, 0, octets);
  g_assert_nonnull (extension);
  g_assert_true (X509_add_ext (cert, extension, -1));
  X509_EXTENSION_free (extension);
}

X509 *
att_make_attestation (AttPki              *f9,
                      EVP_PKEY            *attested,
                      const AttExtensions *extensions)
{
  X509 *cert = new_cert (attested, X509_get_subject_name (f9->cert), "YubiKey PIV Attestation 9a", FALSE);

  if (extensions != NULL)
    {
      add_raw (cert, "1.3.6.1.4.1.41482.3.3", extensions->firmware);
      add_raw (cert, "1.3.6.1.4.1.41482.3.7", extensions->serial);
      add_raw (cert, "1.3.6.1.4.1.41482.3.8", extensions->policy);
      add_raw (cert, "1.3.6.1.4.1.41482.3.9", extensions->form_factor);
    }
  g_assert_cmpint (X509_sign (cert, f9->key, EVP_sha256 ()), >, 0);
  return cert;
}

X509 *
att_make_attestation_for_spki (AttPki              *f9,
                               GBytes              *spki,
                               const AttExtensions *extensions)
{
  const unsigned char *p = g_bytes_get_data (spki, NULL);
  g_autoptr(EVP_PKEY) key = d2i_PUBKEY (NULL, &p, (long) g_bytes_get_size (spki));

  g_assert_nonnull (key);
  return att_make_attestation (f9, key, extensions);
}

void
att_extensions_init (AttExtensions *extensions,
                     guint32        serial)
{
  static const guint8 firmware[] = { 5, 4, 3 };
  static const guint8 policy[] = { 2, 1 };
  static const guint8 form_factor[] = { 1 };
  guint8 integer[6] = { 0x02, 0x04, serial >> 24, serial >> 16, serial >> 8, serial };

  g_assert_cmpuint (serial >> 24 & 0x80, ==, 0);
  extensions->firmware = g_bytes_new (firmware, sizeof firmware);
  extensions->serial = g_bytes_new (integer, sizeof integer);
  extensions->policy = g_bytes_new (policy, sizeof policy);
  extensions->form_factor = g_bytes_new (form_factor, sizeof form_factor);
}

void
att_extensions_clear (AttExtensions *extensions)
{
  g_clear_pointer (&extensions->firmware, g_bytes_unref);
  g_clear_pointer (&extensions->serial, g_bytes_unref);
  g_clear_pointer (&extensions->policy, g_bytes_unref);
  g_clear_pointer (&extensions->form_factor, g_bytes_unref);
}

GBytes *
att_der (X509 *cert)
{
  unsigned char *der = NULL;
  int size = i2d_X509 (cert, &der);

  g_assert_cmpint (size, >, 0);
  return cradle_openssl_take_der (der, size);
}

GBytes *
att_spki (EVP_PKEY *key)
{
  unsigned char *der = NULL;
  int size = i2d_PUBKEY (key, &der);

  g_assert_cmpint (size, >, 0);
  return cradle_openssl_take_der (der, size);
}

char *
att_write_pem (const char *dir,
               const char *name,
               X509      **certs)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(BIO) bio = BIO_new_file (path, "w");

  g_assert_nonnull (bio);
  for (X509 **cert = certs; *cert != NULL; cert++)
    g_assert_true (PEM_write_bio_X509 (bio, *cert));
  return path;
}
