/* revocation-test-pki.c: a small PKI of real OpenSSL certificates, for the
 * revocation and lifecycle tests */
#include "config.h"

#include <string.h>

#include "revocation-test-pki.h"


void
pki_free (Pki *pki)
{
  if (pki == NULL)
    return;
  EVP_PKEY_free (pki->key);
  X509_free (pki->cert);
  cradle_leaf_free (pki->outline);
  g_free (pki);
}


static void
add_ext (X509       *cert,
         X509       *issuer,
         int         nid,
         const char *value)
{
  X509V3_CTX ctx;
  g_autoptr(X509_EXTENSION) ext = NULL;

  X509V3_set_ctx (&ctx, issuer, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  g_assert_nonnull (ext);
  g_assert_cmpint (X509_add_ext (cert, ext, -1), ==, 1);
}

static void
add_raw_ext (X509       *cert,
             const char *oid,
             GBytes     *value)
{
  g_autoptr(ASN1_OBJECT) object = OBJ_txt2obj (oid, 1);
  g_autoptr(ASN1_STRING) data = ASN1_OCTET_STRING_new ();
  g_autoptr(X509_EXTENSION) ext = NULL;

  g_assert_true (ASN1_OCTET_STRING_set (data, g_bytes_get_data (value, NULL), (int) g_bytes_get_size (value)));
  ext = X509_EXTENSION_create_by_OBJ (NULL, object, 0, data);
  g_assert_nonnull (ext);
  g_assert_cmpint (X509_add_ext (cert, ext, -1), ==, 1);
}

/* A P-256 certificate: a CA's when @issuer is %NULL (self-signed) or @ca. */
Pki *
make_cert (Pki               *issuer,
           const char        *common_name,
           gboolean           ca,
           const CertOptions *options)
{
  Pki *pki = g_new0 (Pki, 1);
  X509_NAME *name;
  CertOptions none = { 0 };

  if (options == NULL)
    options = &none;
  pki->key = EVP_EC_gen ("P-256");
  g_assert_nonnull (pki->key);
  pki->cert = X509_new ();
  X509_set_version (pki->cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (pki->cert), options->serial != 0 ? options->serial : g_random_int_range (1000, G_MAXINT32));
  X509_gmtime_adj (X509_getm_notBefore (pki->cert), options->not_before != 0 ? options->not_before : -HOUR);
  X509_gmtime_adj (X509_getm_notAfter (pki->cert), options->not_after != 0 ? options->not_after : 365 * DAY);
  name = X509_get_subject_name (pki->cert);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) common_name, -1, -1, 0);
  X509_set_issuer_name (pki->cert, issuer != NULL ? X509_get_subject_name (issuer->cert) : name);
  X509_set_pubkey (pki->cert, pki->key);
  if (ca)
    {
      add_ext (pki->cert, issuer != NULL ? issuer->cert : pki->cert, NID_basic_constraints, "critical,CA:TRUE");
      add_ext (pki->cert, issuer != NULL ? issuer->cert : pki->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
  else
    add_ext (pki->cert, issuer->cert, NID_key_usage, "critical,digitalSignature");
  if (options->eku != NULL)
    add_ext (pki->cert, issuer->cert, NID_ext_key_usage, options->eku);
  if (options->ocsp_url != NULL)
    {
      g_autofree char *value = g_strdup_printf ("OCSP;URI:%s", options->ocsp_url);

      add_ext (pki->cert, issuer->cert, NID_info_access, value);
    }
  if (options->crl_url != NULL)
    {
      g_autofree char *value = g_strdup_printf ("URI:%s", options->crl_url);

      add_ext (pki->cert, issuer->cert, NID_crl_distribution_points, value);
    }
  if (options->template_oid_ext != NULL)
    add_raw_ext (pki->cert, "1.3.6.1.4.1.311.21.7", options->template_oid_ext);
  if (options->template_name_ext != NULL)
    add_raw_ext (pki->cert, "1.3.6.1.4.1.311.20.2", options->template_name_ext);
  g_assert_cmpint (X509_sign (pki->cert, issuer != NULL ? issuer->key : pki->key, EVP_sha256 ()), >, 0);
  {
    unsigned char *der = NULL;
    int size = i2d_X509 (pki->cert, &der);
    g_autoptr(GBytes) bytes = cradle_openssl_take_der (der, size);
    g_autoptr(GError) error = NULL;

    pki->outline = cradle_leaf_new_from_der (bytes, &error);
    g_assert_no_error (error);
  }
  return pki;
}

GBytes *
cert_der (X509 *cert)
{
  unsigned char *der = NULL;
  int size = i2d_X509 (cert, &der);

  g_assert_cmpint (size, >, 0);
  return cradle_openssl_take_der (der, size);
}


void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  CertOptions responder = { .eku = "OCSPSigning" };
  CertOptions leaf = { .ocsp_url = "http://127.0.0.1:9/ocsp", .crl_url = "http://127.0.0.1:9/ca.crl" };

  f->ca = make_cert (NULL, "Test CA", TRUE, NULL);
  f->responder = make_cert (f->ca, "Test OCSP", FALSE, &responder);
  f->plain = make_cert (f->ca, "Not a responder", FALSE, NULL);
  f->other_ca = make_cert (NULL, "Other CA", TRUE, NULL);
  f->other_responder = make_cert (f->other_ca, "Other OCSP", FALSE, &responder);
  f->leaf = make_cert (f->ca, "phone", FALSE, &leaf);
  f->sibling = make_cert (f->ca, "tablet", FALSE, &leaf);
  f->now = g_get_real_time () / G_USEC_PER_SEC;
}

void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->ca, pki_free);
  g_clear_pointer (&f->responder, pki_free);
  g_clear_pointer (&f->plain, pki_free);
  g_clear_pointer (&f->other_ca, pki_free);
  g_clear_pointer (&f->other_responder, pki_free);
  g_clear_pointer (&f->leaf, pki_free);
  g_clear_pointer (&f->sibling, pki_free);
}

GBytes *
hex_bytes (const char *hex)
{
  gsize length = strlen (hex) / 2;
  guint8 *bytes = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    bytes[i] = (guint8) ((g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]));
  return g_bytes_new_take (bytes, length);
}

GBytes *
make_crl (const CrlOptions *o)
{
  g_autoptr(X509_CRL) crl = X509_CRL_new ();
  g_autoptr(ASN1_TIME) this_update = X509_time_adj_ex (NULL, 0, o->this_update, NULL);
  g_autoptr(ASN1_TIME) next_update = o->next_update != 0 ? X509_time_adj_ex (NULL, 0, o->next_update, NULL) : NULL;
  unsigned char *der = NULL;
  int size;

  X509_CRL_set_version (crl, 1);
  X509_CRL_set_issuer_name (crl, o->issuer_name != NULL ? o->issuer_name : X509_get_subject_name (o->signer->cert));
  X509_CRL_set1_lastUpdate (crl, this_update);
  if (next_update != NULL)
    X509_CRL_set1_nextUpdate (crl, next_update);
  if (o->revoked_serial != 0)
    {
      X509_REVOKED *entry = X509_REVOKED_new ();
      g_autoptr(ASN1_INTEGER) serial = ASN1_INTEGER_new ();
      g_autoptr(ASN1_TIME) when = X509_time_adj_ex (NULL, 0, -HOUR, NULL);
      g_autoptr(ASN1_ENUMERATED) reason = ASN1_ENUMERATED_new ();

      ASN1_INTEGER_set (serial, o->revoked_serial);
      X509_REVOKED_set_serialNumber (entry, serial);
      X509_REVOKED_set_revocationDate (entry, when);
      ASN1_ENUMERATED_set (reason, o->reason);
      X509_REVOKED_add1_ext_i2d (entry, NID_crl_reason, reason, 0, 0);
      X509_CRL_add0_revoked (crl, entry);
    }
  if (o->delta)
    {
      g_autoptr(ASN1_INTEGER) base = ASN1_INTEGER_new ();

      ASN1_INTEGER_set (base, 1);
      X509_CRL_add1_ext_i2d (crl, NID_delta_crl, base, 1, 0);
    }
  X509_CRL_sort (crl);
  g_assert_cmpint (X509_CRL_sign (crl, o->signer->key, EVP_sha256 ()), >, 0);
  size = i2d_X509_CRL (crl, &der);
  g_assert_cmpint (size, >, 0);
  return cradle_openssl_take_der (der, size);
}

long
serial_of (X509 *cert)
{
  return ASN1_INTEGER_get (X509_get0_serialNumber (cert));
}
