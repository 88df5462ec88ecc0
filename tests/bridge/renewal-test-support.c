/* renewal-test-support.c: renewal material made with OpenSSL, for the bridge tests */
#include "config.h"

#include <string.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "protocol/cradle-der-private.h"
#include "renewal-test-support.h"

#define OID_RENEWAL_CERTIFICATE "1.3.6.1.4.1.311.13.1"

void
renewal_old_clear (RenewalOld *old)
{
  g_clear_pointer (&old->ca_key, EVP_PKEY_free);
  g_clear_pointer (&old->old_key_id, g_bytes_unref);
  g_clear_pointer (&old->old_public, EVP_PKEY_free);
  g_clear_pointer (&old->old_cert, g_bytes_unref);
}

GBytes *
renewal_generate (AgentFixture *fixture,
                  EVP_PKEY    **public_key)
{
  return renewal_generate_type (fixture, "rsa2048", public_key);
}

GBytes *
renewal_generate_type (AgentFixture *fixture,
                       const char   *key_type,
                       EVP_PKEY    **public_key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = NULL;
  GBytes *key_id = cradle_device_generate_key_for (fixture->device, key_type, "Renewal test",
                                                   CRADLE_DEVICE_KEY_FOR_REQUEST, &spki, NULL, &error);

  g_assert_no_error (error);
  *public_key = test_public_key_from_der (spki);
  g_assert_nonnull (*public_key);
  return key_id;
}

void
renewal_enroll (AgentFixture *fixture,
                RenewalOld   *old)
{
  renewal_enroll_type (fixture, old, "rsa2048");
}

void
renewal_enroll_type (AgentFixture *fixture,
                     RenewalOld   *old,
                     const char   *key_type)
{
  g_autoptr(GPtrArray) install = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  /* RSA: SCEP encrypts to the CA. */
  old->ca_key = EVP_RSA_gen (2048);
  old->old_key_id = renewal_generate_type (fixture, key_type, &old->old_public);
  old->old_cert = test_cert ("renewal-user", old->old_public, "Renewal CA", old->ca_key, FALSE);
  g_ptr_array_add (install, cradle_device_cert_new ("MY", "user", old->old_cert, old->old_key_id));
  g_assert_true (cradle_device_install (fixture->device, install, NULL, NULL, &error));
  g_assert_no_error (error);
}

GBytes *
renewal_request_info (EVP_PKEY   *public_key,
                      const char *common_name,
                      GBytes     *renewed)
{
  g_autoptr(X509_REQ) req = X509_REQ_new ();
  g_autoptr(X509_NAME) name = X509_NAME_new ();
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const guint8 *) common_name, -1, -1, 0));
  g_assert_true (X509_REQ_set_subject_name (req, name));
  g_assert_true (X509_REQ_set_pubkey (req, public_key));
  if (renewed != NULL)
    {
      g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj (OID_RENEWAL_CERTIFICATE, 1);

      /* A SEQUENCE value holds its whole encoding: the certificate's DER. */
      g_assert_true (X509_REQ_add1_attr_by_OBJ (req, oid, V_ASN1_SEQUENCE, g_bytes_get_data (renewed, NULL),
                                                (int) g_bytes_get_size (renewed)));
    }
  size = i2d_re_X509_REQ_tbs (req, &der);
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

static void
append_element (GByteArray   *out,
                guint8        tag,
                const guint8 *data,
                gsize         size)
{
  cradle_der_append_header (out, tag, size);
  g_byte_array_append (out, data, size);
}

static GBytes *
wrap (guint8      tag,
      GByteArray *contents)
{
  GByteArray *out = g_byte_array_new ();

  append_element (out, tag, contents->data, contents->len);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
renewal_sign_request (AgentFixture *fixture,
                      GBytes       *key_id,
                      GBytes       *request_info,
                      GError      **error)
{
  static const guint8 sha256_rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                       0x01, 0x01, 0x0b, 0x05, 0x00 };
  static const guint8 sha256_ecdsa[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
  gboolean rsa;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *algorithm = NULL;
  g_autoptr(GByteArray) fields = g_byte_array_new ();
  g_autoptr(GByteArray) bits = g_byte_array_new ();

  signature = cradle_device_sign_request (fixture->device, key_id, request_info, "sha256", &algorithm, NULL, error);
  if (signature == NULL)
    return NULL;
  rsa = g_str_equal (algorithm, "sha256WithRSAEncryption");
  g_assert_true (rsa || g_str_equal (algorithm, "ecdsa-with-SHA256"));
  g_byte_array_append (fields, g_bytes_get_data (request_info, NULL), g_bytes_get_size (request_info));
  if (rsa)
    g_byte_array_append (fields, sha256_rsa, sizeof sha256_rsa);
  else
    g_byte_array_append (fields, sha256_ecdsa, sizeof sha256_ecdsa);
  g_byte_array_append (bits, (const guint8 *) "", 1);
  g_byte_array_append (bits, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  append_element (fields, CRADLE_DER_BIT_STRING, bits->data, bits->len);
  return wrap (CRADLE_DER_SEQUENCE, fields);
}

static GBytes *
encode_attributes (STACK_OF (X509_ATTRIBUTE) *stack)
{
  unsigned char *der = NULL;
  int size = ASN1_item_i2d ((ASN1_VALUE *) stack, &der, ASN1_ITEM_rptr (PKCS7_ATTR_SIGN));
  GBytes *bytes;

  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

static void
add_attribute (STACK_OF (X509_ATTRIBUTE) **stack,
               int                         nid,
               int                         type,
               const void                 *data,
               int                         size)
{
  g_assert_nonnull (X509at_add1_attr_by_NID (stack, nid, type, data, size));
}

GBytes *
renewal_cms_attributes (GBytes *digested)
{
  STACK_OF (X509_ATTRIBUTE) *stack = NULL;
  g_autoptr(GBytes) digest = test_sha256 (digested);
  g_autoptr(ASN1_STRING) now = (ASN1_STRING *) ASN1_UTCTIME_set (NULL, 1800000000);
  GBytes *bytes;

  add_attribute (&stack, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj (NID_pkcs7_data), -1);
  add_attribute (&stack, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, g_bytes_get_data (digest, NULL), 32);
  add_attribute (&stack, NID_pkcs9_signingTime, V_ASN1_UTCTIME, now, -1);
  bytes = encode_attributes (stack);
  sk_X509_ATTRIBUTE_pop_free (stack, X509_ATTRIBUTE_free);
  return bytes;
}

static X509 *
parse_cert (GBytes *der)
{
  const guint8 *p = g_bytes_get_data (der, NULL);
  X509 *cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));

  g_assert_nonnull (cert);
  return cert;
}

GBytes *
renewal_cms_verify (GBytes *old_cert,
                    GBytes *request,
                    GBytes *attributes,
                    GBytes *signature)
{
  g_autoptr(X509) signer = parse_cert (old_cert);
  g_autoptr(EVP_PKEY) public_key = X509_get_pubkey (signer);
  g_autoptr(CMS_ContentInfo) cms = NULL;
  g_autoptr(CMS_ContentInfo) parsed = NULL;
  g_autoptr(BIO) out = BIO_new (BIO_s_mem ());
  STACK_OF (X509_ATTRIBUTE) *stack = NULL;
  STACK_OF (CMS_SignerInfo) *signers;
  CMS_SignerInfo *si;
  ASN1_OCTET_STRING **content;
  const guint8 *p;
  unsigned char *der = NULL;
  char *data = NULL;
  long size;
  int der_size;

  /* The SignedData the host builds, with the signature from the device. */
  cms = CMS_sign (NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
  g_assert_nonnull (cms);
  si = CMS_add1_signer (cms, signer, public_key, EVP_sha256 (), CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP);
  g_assert_nonnull (si);
  p = g_bytes_get_data (attributes, NULL);
  stack = (STACK_OF (X509_ATTRIBUTE) *) ASN1_item_d2i (NULL, &p, (long) g_bytes_get_size (attributes),
                                                       ASN1_ITEM_rptr (PKCS7_ATTR_SIGN));
  g_assert_nonnull (stack);
  for (int i = 0; i < sk_X509_ATTRIBUTE_num (stack); i++)
    g_assert_true (CMS_signed_add1_attr (si, sk_X509_ATTRIBUTE_value (stack, i)));
  sk_X509_ATTRIBUTE_pop_free (stack, X509_ATTRIBUTE_free);
  g_assert_true (ASN1_STRING_set (CMS_SignerInfo_get0_signature (si), g_bytes_get_data (signature, NULL),
                                  (int) g_bytes_get_size (signature)));
  g_assert_true (CMS_set_detached (cms, 0));
  content = CMS_get0_content (cms);
  g_assert_nonnull (content);
  if (*content == NULL)
    *content = ASN1_OCTET_STRING_new ();
  g_assert_true (ASN1_OCTET_STRING_set (*content, g_bytes_get_data (request, NULL), (int) g_bytes_get_size (request)));
  der_size = i2d_CMS_ContentInfo (cms, &der);
  g_assert_cmpint (der_size, >, 0);

  /* Read back as a CA would, and verified. */
  p = der;
  parsed = d2i_CMS_ContentInfo (NULL, &p, der_size);
  OPENSSL_free (der);
  g_assert_nonnull (parsed);
  g_assert_cmpint (OBJ_obj2nid (CMS_get0_eContentType (parsed)), ==, NID_pkcs7_data);
  signers = CMS_get0_SignerInfos (parsed);
  g_assert_cmpint (sk_CMS_SignerInfo_num (signers), ==, 1);
  g_assert_cmpint (CMS_SignerInfo_cert_cmp (sk_CMS_SignerInfo_value (signers, 0), signer), ==, 0);
  if (CMS_verify (parsed, NULL, NULL, NULL, out, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
    return NULL;
  size = BIO_get_mem_data (out, &data);
  return g_bytes_new (data, size);
}

GBytes *
renewal_envelope (GBytes   *content,
                  GBytes   *content_key,
                  GBytes   *recipient_cert,
                  EVP_PKEY *recipient_key)
{
  static const guint8 oid_enveloped[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03 };
  static const guint8 oid_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
  static const guint8 rsa_encryption[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                           0x01, 0x01, 0x01, 0x05, 0x00 };
  static const guint8 oid_aes128_cbc[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02 };
  g_autoptr(X509) cert = parse_cert (recipient_cert);
  g_autoptr(EVP_PKEY_CTX) pctx = EVP_PKEY_CTX_new (recipient_key, NULL);
  g_autoptr(EVP_CIPHER_CTX) cctx = EVP_CIPHER_CTX_new ();
  g_autoptr(GByteArray) ktri = g_byte_array_new ();
  g_autoptr(GByteArray) ias = g_byte_array_new ();
  g_autoptr(GByteArray) alg = g_byte_array_new ();
  g_autoptr(GByteArray) eci = g_byte_array_new ();
  g_autoptr(GByteArray) env = g_byte_array_new ();
  g_autoptr(GByteArray) explicit = g_byte_array_new ();
  g_autoptr(GByteArray) info = g_byte_array_new ();
  g_autoptr(GBytes) ktri_seq = NULL;
  guint8 encrypted_key[512];
  gsize encrypted_size = sizeof encrypted_key;
  guint8 iv[16];
  g_autofree guint8 *ciphertext = g_malloc (g_bytes_get_size (content) + 16);
  int written = 0, last = 0;
  unsigned char *der = NULL;
  int size;

  g_assert_true (EVP_PKEY_encrypt_init (pctx) == 1);
  g_assert_true (EVP_PKEY_CTX_set_rsa_padding (pctx, RSA_PKCS1_PADDING) == 1);
  g_assert_true (EVP_PKEY_encrypt (pctx, encrypted_key, &encrypted_size, g_bytes_get_data (content_key, NULL),
                                   g_bytes_get_size (content_key)) == 1);
  g_assert_true (RAND_bytes (iv, sizeof iv) == 1);
  g_assert_true (EVP_EncryptInit_ex2 (cctx, EVP_aes_128_cbc (), g_bytes_get_data (content_key, NULL), iv, NULL));
  g_assert_true (EVP_EncryptUpdate (cctx, ciphertext, &written, g_bytes_get_data (content, NULL),
                                    (int) g_bytes_get_size (content)));
  g_assert_true (EVP_EncryptFinal_ex (cctx, ciphertext + written, &last));

  /* KeyTransRecipientInfo { 0, IssuerAndSerialNumber, rsaEncryption, encryptedKey } */
  append_element (ktri, CRADLE_DER_INTEGER, (const guint8 *) "", 1);
  size = i2d_X509_NAME (X509_get_issuer_name (cert), &der);
  g_byte_array_append (ias, der, size);
  OPENSSL_free (der);
  der = NULL;
  size = i2d_ASN1_INTEGER (X509_get_serialNumber (cert), &der);
  g_byte_array_append (ias, der, size);
  OPENSSL_free (der);
  append_element (ktri, CRADLE_DER_SEQUENCE, ias->data, ias->len);
  g_byte_array_append (ktri, rsa_encryption, sizeof rsa_encryption);
  append_element (ktri, CRADLE_DER_OCTET_STRING, encrypted_key, encrypted_size);
  ktri_seq = wrap (CRADLE_DER_SEQUENCE, ktri);
  /* EncryptedContentInfo { id-data, { aes-128-cbc, IV }, [0] ciphertext } */
  append_element (alg, CRADLE_DER_OID, oid_aes128_cbc, sizeof oid_aes128_cbc);
  append_element (alg, CRADLE_DER_OCTET_STRING, iv, sizeof iv);
  append_element (eci, CRADLE_DER_OID, oid_data, sizeof oid_data);
  append_element (eci, CRADLE_DER_SEQUENCE, alg->data, alg->len);
  append_element (eci, 0x80, ciphertext, (gsize) (written + last));
  /* EnvelopedData { 0, SET { ktri }, eci } in ContentInfo { envelopedData, [0] } */
  append_element (env, CRADLE_DER_INTEGER, (const guint8 *) "", 1);
  append_element (env, CRADLE_DER_SET, g_bytes_get_data (ktri_seq, NULL), g_bytes_get_size (ktri_seq));
  append_element (env, CRADLE_DER_SEQUENCE, eci->data, eci->len);
  append_element (explicit, CRADLE_DER_SEQUENCE, env->data, env->len);
  append_element (info, CRADLE_DER_OID, oid_enveloped, sizeof oid_enveloped);
  append_element (info, CRADLE_DER_CONTEXT_0, explicit->data, explicit->len);
  return wrap (CRADLE_DER_SEQUENCE, info);
}

GBytes *
renewal_scep_attributes (GBytes     *envelope,
                         const char *message_type,
                         const char *transaction_id)
{
  STACK_OF (X509_ATTRIBUTE) *stack = NULL;
  g_autoptr(GBytes) digest = test_sha256 (envelope);
  g_autoptr(ASN1_OBJECT) type_oid = OBJ_txt2obj ("2.16.840.1.113733.1.9.2", 1);
  g_autoptr(ASN1_OBJECT) nonce_oid = OBJ_txt2obj ("2.16.840.1.113733.1.9.5", 1);
  g_autoptr(ASN1_OBJECT) id_oid = OBJ_txt2obj ("2.16.840.1.113733.1.9.7", 1);
  static const guint8 nonce[16] = "renewal-nonce-16";
  GBytes *bytes;

  add_attribute (&stack, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj (NID_pkcs7_data), -1);
  add_attribute (&stack, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, g_bytes_get_data (digest, NULL), 32);
  g_assert_nonnull (X509at_add1_attr_by_OBJ (&stack, type_oid, V_ASN1_PRINTABLESTRING,
                                             (const guint8 *) message_type, (int) strlen (message_type)));
  g_assert_nonnull (X509at_add1_attr_by_OBJ (&stack, nonce_oid, V_ASN1_OCTET_STRING, nonce, sizeof nonce));
  g_assert_nonnull (X509at_add1_attr_by_OBJ (&stack, id_oid, V_ASN1_PRINTABLESTRING,
                                             (const guint8 *) transaction_id,
                                             (int) strlen (transaction_id)));
  bytes = encode_attributes (stack);
  sk_X509_ATTRIBUTE_pop_free (stack, X509_ATTRIBUTE_free);
  return bytes;
}

char *
renewal_transaction_id (GBytes *spki)
{
  g_autofree char *hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, spki);

  return g_ascii_strup (hex, -1);
}

GBytes *
renewal_issuer_and_subject (GBytes *cert_der)
{
  g_autoptr(X509) cert = parse_cert (cert_der);
  g_autoptr(GByteArray) fields = g_byte_array_new ();
  unsigned char *der = NULL;
  int size;

  size = i2d_X509_NAME (X509_get_issuer_name (cert), &der);
  g_byte_array_append (fields, der, size);
  OPENSSL_free (der);
  der = NULL;
  size = i2d_X509_NAME (X509_get_subject_name (cert), &der);
  g_byte_array_append (fields, der, size);
  OPENSSL_free (der);
  return wrap (CRADLE_DER_SEQUENCE, fields);
}
