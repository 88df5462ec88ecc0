/* test-csr-renewal.c: the renewal attribute and the AD CS renewal SignedData
 *
 * The old certificate is issued here by a CA made in the test; the new
 * request is signed with a real key and the SignerInfo's attributes with
 * the old certificate's real key, through the same path the device's
 * signature takes (cradle_csr_renewal_get_signed_attributes, then
 * _finish).  The result is read by OpenSSL's CMS code and verified with
 * CMS_verify against the CA.
 */
#include "config.h"

#include <string.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "csr-test-support.h"

static EVP_PKEY *ca_key;
static X509 *ca_cert;

static EVP_PKEY *
new_ec_key (void)
{
  EVP_PKEY *key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");

  g_assert_nonnull (key);
  return key;
}

static X509 *
issue (EVP_PKEY   *subject_key,
       const char *common_name,
       EVP_PKEY   *issuer_key,
       X509       *issuer)
{
  X509 *cert = X509_new ();
  X509_NAME *name = X509_NAME_new ();
  static long serial = 1;

  g_assert_nonnull (cert);
  X509_set_version (cert, X509_VERSION_3);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), serial++);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) common_name, -1, -1, 0);
  X509_set_subject_name (cert, name);
  X509_set_issuer_name (cert, issuer != NULL ? X509_get_subject_name (issuer) : name);
  X509_gmtime_adj (X509_getm_notBefore (cert), -60);
  X509_gmtime_adj (X509_getm_notAfter (cert), 3600);
  g_assert_cmpint (X509_set_pubkey (cert, subject_key), ==, 1);
  if (issuer == NULL)
    {
      X509V3_CTX ctx;
      X509_EXTENSION *ext;

      X509V3_set_ctx (&ctx, cert, cert, NULL, NULL, 0);
      ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
      X509_add_ext (cert, ext, -1);
      X509_EXTENSION_free (ext);
    }
  g_assert_cmpint (X509_sign (cert, issuer_key, EVP_sha256 ()), >, 0);
  X509_NAME_free (name);
  return cert;
}

static GBytes *
der_of (X509 *cert)
{
  unsigned char *der = NULL;
  int size = i2d_X509 (cert, &der);

  g_assert_cmpint (size, >, 0);
  return cradle_openssl_take_der (der, size);
}

/* A new request for @new_key that renews @old. */
static GBytes *
renewal_request (EVP_PKEY *new_key,
                 GBytes   *old)
{
  g_autoptr(CradleCsrBuilder) builder = new_full_builder (new_key);

  cradle_csr_builder_set_renewal_certificate (builder, old);
  {
    g_autoptr(GBytes) info = encode (builder);

    return sign_and_assemble (new_key, "sha256", info);
  }
}

static void
test_renewal_attribute (void)
{
  g_autoptr(X509) old = issue (rsa_key, "alice", ca_key, ca_cert);
  g_autoptr(GBytes) old_der = der_of (old);
  g_autoptr(EVP_PKEY) new_key = new_ec_key ();
  g_autoptr(GBytes) request = renewal_request (new_key, old_der);
  g_autoptr(X509_REQ) parsed = parse_request (request);
  g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj ("1.3.6.1.4.1.311.13.1", 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) named = NULL;
  X509_ATTRIBUTE *attribute;
  ASN1_TYPE *value;
  int location;

  /* One attribute, one value: the old certificate byte for byte. */
  location = X509_REQ_get_attr_by_OBJ (parsed, oid, -1);
  g_assert_cmpint (location, >=, 0);
  g_assert_cmpint (X509_REQ_get_attr_by_OBJ (parsed, oid, location), <, 0);
  attribute = X509_REQ_get_attr (parsed, location);
  g_assert_cmpint (X509_ATTRIBUTE_count (attribute), ==, 1);
  value = X509_ATTRIBUTE_get0_type (attribute, 0);
  g_assert_cmpint (value->type, ==, V_ASN1_SEQUENCE);
  g_assert_cmpmem (ASN1_STRING_get0_data (value->value.sequence), ASN1_STRING_length (value->value.sequence),
                   g_bytes_get_data (old_der, NULL), g_bytes_get_size (old_der));
  /* The extensions are still there, and the request's signature holds. */
  g_assert_cmpint (X509_REQ_get_attr_by_NID (parsed, NID_ext_req, -1), >=, 0);
  g_assert_cmpint (X509_REQ_verify (parsed, new_key), ==, 1);

  named = cradle_csr_dup_renewal_certificate (request, &error);
  g_assert_no_error (error);
  assert_bytes_equal (named, old_der);
}

static void
test_renewal_attribute_refuses_garbage (void)
{
  g_autoptr(CradleCsrBuilder) builder = new_full_builder (rsa_key);
  g_autoptr(GBytes) garbage = g_bytes_new_static ("\x30\x03\x02\x01\x01", 5);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) info = NULL;

  cradle_csr_builder_set_renewal_certificate (builder, garbage);
  info = cradle_csr_builder_encode_request_info (builder, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (info);
}

static void
test_no_renewal_attribute (void)
{
  g_autoptr(CradleCsrBuilder) builder = new_full_builder (rsa_key);
  g_autoptr(GBytes) info = encode (builder);
  g_autoptr(GBytes) request = sign_and_assemble (rsa_key, "sha256", info);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) named = cradle_csr_dup_renewal_certificate (request, &error);

  g_assert_no_error (error);
  g_assert_null (named);
}

static CMS_ContentInfo *
read_cms (GBytes *der)
{
  const unsigned char *p = g_bytes_get_data (der, NULL);
  CMS_ContentInfo *cms = d2i_CMS_ContentInfo (NULL, &p, (long) g_bytes_get_size (der));

  g_assert_nonnull (cms);
  g_assert_true (p == (const unsigned char *) g_bytes_get_data (der, NULL) + g_bytes_get_size (der));
  return cms;
}

static GBytes *
build_signed (EVP_PKEY   *old_key,
              GBytes     *old_der,
              GBytes     *request,
              GPtrArray  *chain,
              const char *digest)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCsrRenewal) renewal = cradle_csr_renewal_new (request, old_der, chain, digest,
                                                                 g_get_real_time () / G_USEC_PER_SEC, &error);
  g_autoptr(GBytes) signature = NULL;
  GBytes *signed_data;

  g_assert_no_error (error);
  g_assert_nonnull (renewal);
  /* What the device signs: the DER SET OF the signed attributes. */
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (cradle_csr_renewal_get_signed_attributes (renewal),
                                                         NULL))[0], ==, 0x31);
  signature = device_sign (old_key, digest, cradle_csr_renewal_get_signed_attributes (renewal));
  signed_data = cradle_csr_renewal_finish (renewal, signature, &error);
  g_assert_no_error (error);
  g_assert_nonnull (signed_data);
  return signed_data;
}

static void
assert_cms_verifies (GBytes   *signed_data,
                     X509     *old,
                     GBytes   *request,
                     gboolean  with_chain)
{
  CMS_ContentInfo *cms = read_cms (signed_data);
  X509_STORE *store = X509_STORE_new ();
  BIO *out = BIO_new (BIO_s_mem ());
  STACK_OF (X509) *signers;
  STACK_OF (X509) *certs;
  STACK_OF (CMS_SignerInfo) *infos;
  const unsigned char *content = NULL;
  long content_size;
  gboolean old_included = FALSE;
  gboolean ca_included = FALSE;

  g_assert_cmpint (OBJ_obj2nid (CMS_get0_type (cms)), ==, NID_pkcs7_signed);
  g_assert_cmpint (OBJ_obj2nid (CMS_get0_eContentType (cms)), ==, NID_pkcs7_data);
  X509_STORE_add_cert (store, ca_cert);
  g_assert_cmpint (CMS_verify (cms, NULL, store, NULL, out, CMS_BINARY), ==, 1);

  /* The content is the PKCS#10, as it is. */
  content_size = BIO_get_mem_data (out, (char **) &content);
  g_assert_cmpmem (content, content_size, g_bytes_get_data (request, NULL), g_bytes_get_size (request));

  /* One SignerInfo, the first and only signer the old certificate. */
  infos = CMS_get0_SignerInfos (cms);
  g_assert_cmpint (sk_CMS_SignerInfo_num (infos), ==, 1);
  g_assert_cmpint (CMS_SignerInfo_cert_cmp (sk_CMS_SignerInfo_value (infos, 0), old), ==, 0);
  signers = CMS_get0_signers (cms);
  g_assert_cmpint (sk_X509_num (signers), ==, 1);
  g_assert_cmpint (X509_cmp (sk_X509_value (signers, 0), old), ==, 0);
  sk_X509_free (signers);
  /* contentType, messageDigest and signingTime, each once. */
  g_assert_cmpint (CMS_signed_get_attr_count (sk_CMS_SignerInfo_value (infos, 0)), ==, 3);
  g_assert_cmpint (CMS_signed_get_attr_by_NID (sk_CMS_SignerInfo_value (infos, 0), NID_pkcs9_signingTime, -1), >=, 0);

  certs = CMS_get1_certs (cms);
  for (int i = 0; i < sk_X509_num (certs); i++)
    {
      old_included |= X509_cmp (sk_X509_value (certs, i), old) == 0;
      ca_included |= X509_cmp (sk_X509_value (certs, i), ca_cert) == 0;
    }
  g_assert_true (old_included);
  g_assert_true (ca_included == with_chain);
  sk_X509_pop_free (certs, X509_free);

  BIO_free (out);
  X509_STORE_free (store);
  CMS_ContentInfo_free (cms);
}

static void
test_signed_data_rsa (void)
{
  g_autoptr(X509) old = issue (rsa_key, "alice", ca_key, ca_cert);
  g_autoptr(GBytes) old_der = der_of (old);
  g_autoptr(EVP_PKEY) new_key = new_ec_key ();
  g_autoptr(GBytes) request = renewal_request (new_key, old_der);
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GBytes) signed_data = NULL;

  g_ptr_array_add (chain, der_of (ca_cert));
  signed_data = build_signed (rsa_key, old_der, request, chain, "sha256");
  assert_cms_verifies (signed_data, old, request, TRUE);
}

static void
test_signed_data_ec (void)
{
  g_autoptr(X509) old = issue (ec_key, "bob", ca_key, ca_cert);
  g_autoptr(GBytes) old_der = der_of (old);
  g_autoptr(GBytes) request = renewal_request (rsa_key, old_der);
  g_autoptr(GBytes) signed_data = build_signed (ec_key, old_der, request, NULL, "sha384");

  assert_cms_verifies (signed_data, old, request, FALSE);
}

/* Same-key renewal (PrivKey flag 0x80): the new request's key is the old one. */
static void
test_signed_data_same_key (void)
{
  g_autoptr(X509) old = issue (rsa_key, "alice", ca_key, ca_cert);
  g_autoptr(GBytes) old_der = der_of (old);
  g_autoptr(GBytes) request = renewal_request (rsa_key, old_der);
  g_autoptr(GBytes) signed_data = build_signed (rsa_key, old_der, request, NULL, "sha256");

  assert_cms_verifies (signed_data, old, request, FALSE);
}

static void
test_signed_data_refuses_wrong_signature (void)
{
  g_autoptr(X509) old = issue (rsa_key, "alice", ca_key, ca_cert);
  g_autoptr(GBytes) old_der = der_of (old);
  g_autoptr(EVP_PKEY) other = new_ec_key ();
  g_autoptr(GBytes) request = renewal_request (other, old_der);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCsrRenewal) renewal = cradle_csr_renewal_new (request, old_der, NULL, "sha256", 0, &error);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) signed_data = NULL;

  g_assert_no_error (error);
  /* Signed by the new key, not the old one: refused. */
  signature = device_sign (other, "sha256", cradle_csr_renewal_get_signed_attributes (renewal));
  signed_data = cradle_csr_renewal_finish (renewal, signature, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (signed_data);
}

static void
test_signed_data_refuses_other_certificate (void)
{
  g_autoptr(X509) old = issue (rsa_key, "alice", ca_key, ca_cert);
  g_autoptr(X509) other = issue (ec_key, "mallory", ca_key, ca_cert);
  g_autoptr(GBytes) old_der = der_of (old);
  g_autoptr(GBytes) other_der = der_of (other);
  g_autoptr(EVP_PKEY) new_key = new_ec_key ();
  g_autoptr(GBytes) request = renewal_request (new_key, old_der);
  g_autoptr(CradleCsrBuilder) builder = new_full_builder (new_key);
  g_autoptr(GBytes) info = encode (builder);
  g_autoptr(GBytes) plain = sign_and_assemble (new_key, "sha256", info);
  g_autoptr(GError) error = NULL;
  CradleCsrRenewal *renewal;

  /* The request names another certificate than the signer's. */
  renewal = cradle_csr_renewal_new (request, other_der, NULL, "sha256", 0, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (renewal);
  g_clear_error (&error);
  /* A request without the attribute is no renewal. */
  renewal = cradle_csr_renewal_new (plain, old_der, NULL, "sha256", 0, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (renewal);
  g_clear_error (&error);
  /* Nor is a digest the device does not take. */
  renewal = cradle_csr_renewal_new (request, old_der, NULL, "md5", 0, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_assert_null (renewal);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  csr_test_keys_init ();
  ca_key = new_ec_key ();
  ca_cert = issue (ca_key, "Renewal Test CA", ca_key, NULL);

  g_test_add_func ("/csr-renewal/attribute", test_renewal_attribute);
  g_test_add_func ("/csr-renewal/attribute-refuses-garbage", test_renewal_attribute_refuses_garbage);
  g_test_add_func ("/csr-renewal/no-attribute", test_no_renewal_attribute);
  g_test_add_func ("/csr-renewal/signed-data-rsa", test_signed_data_rsa);
  g_test_add_func ("/csr-renewal/signed-data-ec", test_signed_data_ec);
  g_test_add_func ("/csr-renewal/signed-data-same-key", test_signed_data_same_key);
  g_test_add_func ("/csr-renewal/refuses-wrong-signature", test_signed_data_refuses_wrong_signature);
  g_test_add_func ("/csr-renewal/refuses-other-certificate", test_signed_data_refuses_other_certificate);
  status = g_test_run ();

  X509_free (ca_cert);
  EVP_PKEY_free (ca_key);
  csr_test_keys_free ();
  return status;
}
