/* scep-test-ca.c: a SCEP CA made of OpenSSL calls, for the SCEP tests */

#include <string.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "scep-test-ca.h"

#define OID_MESSAGE_TYPE    "2.16.840.1.113733.1.9.2"
#define OID_PKI_STATUS      "2.16.840.1.113733.1.9.3"
#define OID_FAIL_INFO       "2.16.840.1.113733.1.9.4"
#define OID_SENDER_NONCE    "2.16.840.1.113733.1.9.5"
#define OID_RECIPIENT_NONCE "2.16.840.1.113733.1.9.6"
#define OID_TRANSACTION_ID  "2.16.840.1.113733.1.9.7"
#define OID_FAIL_INFO_TEXT  "1.3.6.1.5.5.7.24.1"

static GBytes *
take_der (unsigned char *der,
          int            size)
{
  GBytes *bytes;

  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

TestScepCa *
test_scep_ca_new (const char *common_name)
{
  TestScepCa *ca = g_new0 (TestScepCa, 1);
  X509_NAME *name = X509_NAME_new ();
  X509_EXTENSION *extension;

  ca->key = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  ca->cert = X509_new ();
  g_assert_nonnull (ca->key);
  g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const guint8 *) common_name, -1, -1, 0));
  g_assert_true (X509_set_version (ca->cert, X509_VERSION_3));
  g_assert_true (ASN1_INTEGER_set (X509_get_serialNumber (ca->cert), g_random_int_range (1, G_MAXINT32)));
  g_assert_true (X509_set_subject_name (ca->cert, name));
  g_assert_true (X509_set_issuer_name (ca->cert, name));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notBefore (ca->cert), -3600));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notAfter (ca->cert), 86400));
  g_assert_true (X509_set_pubkey (ca->cert, ca->key));
  extension = X509V3_EXT_conf_nid (NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");
  g_assert_true (X509_add_ext (ca->cert, extension, -1));
  X509_EXTENSION_free (extension);
  /* As micromdm's: a CA certificate that names no key encipherment. */
  extension = X509V3_EXT_conf_nid (NULL, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
  g_assert_true (X509_add_ext (ca->cert, extension, -1));
  X509_EXTENSION_free (extension);
  g_assert_cmpint (X509_sign (ca->cert, ca->key, EVP_sha256 ()), >, 0);
  X509_NAME_free (name);
  return ca;
}

/* A certificate (and its key) issued by @issuer, or self-signed when
 * %NULL: @key_usage and @eku as in openssl.cnf, each %NULL for none. */
TestScepCa *
test_scep_ca_make_cert (TestScepCa *issuer,
                        const char *common_name,
                        gboolean    ca,
                        const char *key_usage,
                        const char *eku,
                        gboolean    rsa)
{
  TestScepCa *made = g_new0 (TestScepCa, 1);
  X509_NAME *name = X509_NAME_new ();
  const struct { int nid; const char *value; } extensions[] = {
    { NID_basic_constraints, ca ? "critical,CA:TRUE" : NULL },
    { NID_key_usage, key_usage },
    { NID_ext_key_usage, eku },
  };

  made->key = rsa ? EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048)
                  : EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  made->cert = X509_new ();
  g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const guint8 *) common_name, -1, -1, 0));
  g_assert_true (X509_set_version (made->cert, X509_VERSION_3));
  g_assert_true (ASN1_INTEGER_set (X509_get_serialNumber (made->cert), g_random_int_range (1, G_MAXINT32)));
  g_assert_true (X509_set_subject_name (made->cert, name));
  g_assert_true (X509_set_issuer_name (made->cert, issuer != NULL ? X509_get_subject_name (issuer->cert) : name));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notBefore (made->cert), -60));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notAfter (made->cert), 3600));
  g_assert_true (X509_set_pubkey (made->cert, made->key));
  for (gsize i = 0; i < G_N_ELEMENTS (extensions); i++)
    if (extensions[i].value != NULL)
      {
        X509_EXTENSION *extension = X509V3_EXT_conf_nid (NULL, NULL, extensions[i].nid, extensions[i].value);

        g_assert_nonnull (extension);
        g_assert_true (X509_add_ext (made->cert, extension, -1));
        X509_EXTENSION_free (extension);
      }
  g_assert_cmpint (X509_sign (made->cert, issuer != NULL ? issuer->key : made->key, EVP_sha256 ()), >, 0);
  X509_NAME_free (name);
  return made;
}

void
test_scep_ca_free (TestScepCa *ca)
{
  if (ca == NULL)
    return;
  EVP_PKEY_free (ca->key);
  X509_free (ca->cert);
  g_free (ca);
}

GBytes *
test_scep_ca_der (TestScepCa *ca)
{
  unsigned char *der = NULL;
  int size = i2d_X509 (ca->cert, &der);

  return take_der (der, size);
}

void
test_scep_request_free (TestScepRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->transaction_id);
  g_free (request->digest);
  g_free (request->cipher);
  X509_free (request->signer);
  g_clear_pointer (&request->message_data, g_bytes_unref);
  g_free (request);
}

static ASN1_TYPE *
attribute (PKCS7_SIGNER_INFO *signer_info,
           const char        *oid)
{
  ASN1_OBJECT *object = OBJ_txt2obj (oid, 1);
  int index = X509at_get_attr_by_OBJ (signer_info->auth_attr, object, -1);

  ASN1_OBJECT_free (object);
  return index >= 0 ? X509_ATTRIBUTE_get0_type (X509at_get_attr (signer_info->auth_attr, index), 0) : NULL;
}

TestScepRequest *
test_scep_ca_read_request (TestScepCa *ca,
                           GBytes     *der)
{
  TestScepRequest *request = g_new0 (TestScepRequest, 1);
  const unsigned char *p = g_bytes_get_data (der, NULL);
  PKCS7 *p7 = d2i_PKCS7 (NULL, &p, (long) g_bytes_get_size (der));
  PKCS7 *enveloped;
  BIO *content = BIO_new (BIO_s_mem ());
  BIO *plain = BIO_new (BIO_s_mem ());
  STACK_OF (X509) *signers;
  PKCS7_SIGNER_INFO *signer_info;
  ASN1_TYPE *value;
  char *data = NULL;
  long size;
  char name[64];

  g_assert_nonnull (p7);
  g_assert_true (p == (const unsigned char *) g_bytes_get_data (der, NULL) + g_bytes_get_size (der));
  g_assert_true (PKCS7_type_is_signed (p7));
  /* The signature, with the certificate the message carries. */
  g_assert_cmpint (PKCS7_verify (p7, NULL, NULL, NULL, content, PKCS7_NOVERIFY | PKCS7_BINARY), ==, 1);
  signers = PKCS7_get0_signers (p7, NULL, 0);
  g_assert_cmpint (sk_X509_num (signers), ==, 1);
  request->signer = X509_dup (sk_X509_value (signers, 0));
  sk_X509_free (signers);
  /* Self-signed, for the key inside; or, for a RenewalReq (and its
   * CertPoll), the old certificate this CA issued. */
  if (X509_NAME_cmp (X509_get_subject_name (request->signer), X509_get_issuer_name (request->signer)) == 0)
    g_assert_cmpint (X509_verify (request->signer, X509_get0_pubkey (request->signer)), ==, 1);
  else
    g_assert_cmpint (X509_verify (request->signer, ca->key), ==, 1);

  signer_info = sk_PKCS7_SIGNER_INFO_value (PKCS7_get_signer_info (p7), 0);
  g_assert_true (OBJ_obj2txt (name, sizeof name, signer_info->digest_alg->algorithm, 0) > 0);
  request->digest = g_ascii_strdown (name, -1);
  value = attribute (signer_info, OID_MESSAGE_TYPE);
  g_assert_nonnull (value);
  g_assert_cmpint (value->type, ==, V_ASN1_PRINTABLESTRING);
  request->message_type = (guint) g_ascii_strtoull ((const char *) ASN1_STRING_get0_data (value->value.asn1_string), NULL, 10);
  value = attribute (signer_info, OID_TRANSACTION_ID);
  g_assert_nonnull (value);
  g_assert_cmpint (value->type, ==, V_ASN1_PRINTABLESTRING);
  request->transaction_id = g_strndup ((const char *) ASN1_STRING_get0_data (value->value.asn1_string),
                                       ASN1_STRING_length (value->value.asn1_string));
  value = attribute (signer_info, OID_SENDER_NONCE);
  g_assert_nonnull (value);
  g_assert_cmpint (value->type, ==, V_ASN1_OCTET_STRING);
  g_assert_cmpint (ASN1_STRING_length (value->value.asn1_string), ==, 16);
  memcpy (request->sender_nonce, ASN1_STRING_get0_data (value->value.asn1_string), 16);

  /* The envelope, opened with the CA's key. */
  size = BIO_get_mem_data (content, &data);
  p = (const unsigned char *) data;
  enveloped = d2i_PKCS7 (NULL, &p, size);
  g_assert_nonnull (enveloped);
  g_assert_true (PKCS7_type_is_enveloped (enveloped));
  g_assert_true (OBJ_obj2txt (name, sizeof name, enveloped->d.enveloped->enc_data->algorithm->algorithm, 0) > 0);
  request->cipher = g_ascii_strdown (name, -1);
  g_assert_cmpint (PKCS7_decrypt (enveloped, ca->key, ca->cert, plain, PKCS7_BINARY), ==, 1);
  size = BIO_get_mem_data (plain, &data);
  request->message_data = g_bytes_new (data, size);

  PKCS7_free (enveloped);
  PKCS7_free (p7);
  BIO_free (content);
  BIO_free (plain);
  return request;
}

GBytes *
test_scep_ca_issue (TestScepCa *ca,
                    GBytes     *csr)
{
  const unsigned char *p = g_bytes_get_data (csr, NULL);
  X509_REQ *req = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (csr));
  X509 *cert = X509_new ();
  unsigned char *der = NULL;
  int size;

  g_assert_nonnull (req);
  g_assert_cmpint (X509_REQ_verify (req, X509_REQ_get0_pubkey (req)), ==, 1);
  g_assert_true (X509_set_version (cert, X509_VERSION_3));
  g_assert_true (ASN1_INTEGER_set (X509_get_serialNumber (cert), g_random_int_range (1, G_MAXINT32)));
  g_assert_true (X509_set_subject_name (cert, X509_REQ_get_subject_name (req)));
  g_assert_true (X509_set_issuer_name (cert, X509_get_subject_name (ca->cert)));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notBefore (cert), 0));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notAfter (cert), 86400));
  g_assert_true (X509_set_pubkey (cert, X509_REQ_get0_pubkey (req)));
  g_assert_cmpint (X509_sign (cert, ca->key, EVP_sha256 ()), >, 0);
  size = i2d_X509 (cert, &der);
  X509_free (cert);
  X509_REQ_free (req);
  return take_der (der, size);
}

static OSSL_LIB_CTX *
legacy_context (void)
{
  static OSSL_LIB_CTX *context;

  if (context == NULL)
    {
      context = OSSL_LIB_CTX_new ();
      /* The default provider too: the legacy one has no random generator. */
      g_assert_nonnull (OSSL_PROVIDER_load (context, "legacy"));
      g_assert_nonnull (OSSL_PROVIDER_load (context, "default"));
    }
  return context;
}

/* The degenerate certs-only PKCS#7 with @leaf, encrypted to @recipient. */
static GBytes *
envelope_leaf (GBytes     *leaf,
               X509       *recipient,
               const char *cipher_name)
{
  const unsigned char *p = g_bytes_get_data (leaf, NULL);
  X509 *cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (leaf));
  STACK_OF (X509) *certs = sk_X509_new_null ();
  STACK_OF (X509) *recipients = sk_X509_new_null ();
  PKCS7 *degenerate = PKCS7_new ();
  EVP_CIPHER *cipher;
  PKCS7 *enveloped;
  BIO *in;
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  g_assert_true (PKCS7_set_type (degenerate, NID_pkcs7_signed));
  g_assert_true (PKCS7_content_new (degenerate, NID_pkcs7_data));
  g_assert_true (PKCS7_add_certificate (degenerate, cert));
  size = i2d_PKCS7 (degenerate, &der);
  g_assert_cmpint (size, >, 0);

  if (g_ascii_strcasecmp (cipher_name, "DES-CBC") == 0)
    cipher = EVP_CIPHER_fetch (legacy_context (), cipher_name, NULL);
  else
    cipher = EVP_CIPHER_fetch (NULL, cipher_name, NULL);
  g_assert_nonnull (cipher);
  in = BIO_new_mem_buf (der, size);
  sk_X509_push (recipients, recipient);
  enveloped = PKCS7_encrypt (recipients, in, cipher, PKCS7_BINARY);
  if (enveloped == NULL)
    {
      ERR_print_errors_fp (stderr);
      g_error ("PKCS7_encrypt failed");
    }
  OPENSSL_free (der);
  der = NULL;
  size = i2d_PKCS7 (enveloped, &der);
  bytes = take_der (der, size);

  BIO_free (in);
  PKCS7_free (enveloped);
  PKCS7_free (degenerate);
  EVP_CIPHER_free (cipher);
  sk_X509_free (recipients);
  sk_X509_free (certs);
  X509_free (cert);
  return bytes;
}

static void
add_string (PKCS7_SIGNER_INFO *signer_info,
            const char        *oid,
            int                type,
            const void        *data,
            int                size)
{
  ASN1_OBJECT *object = OBJ_txt2obj (oid, 1);

  g_assert_nonnull (X509at_add1_attr_by_OBJ (&signer_info->auth_attr, object, type, data,
                                              size >= 0 ? size : (int) strlen (data)));
  ASN1_OBJECT_free (object);
}

GBytes *
test_scep_ca_reply (TestScepCa                 *ca,
                    TestScepRequest            *request,
                    const TestScepReplyOptions *options)
{
  TestScepCa *signer = options->signed_by != NULL ? options->signed_by : ca;
  g_autoptr(GBytes) content = NULL;
  PKCS7 *p7;
  PKCS7_SIGNER_INFO *signer_info;
  BIO *in;
  guint8 nonce[16];
  guint8 recipient_nonce[16];
  unsigned char *der = NULL;
  int size;
  const char *transaction_id = options->wrong_transaction ? "SOMETHING-ELSE" : request->transaction_id;
  const char *type = options->message_type != NULL ? options->message_type : "3";

  if (options->leaf != NULL)
    content = envelope_leaf (options->leaf, options->encrypt_to != NULL ? options->encrypt_to : request->signer,
                             options->cipher != NULL ? options->cipher : "AES-128-CBC");

  p7 = PKCS7_sign (NULL, NULL, NULL, NULL,
                   PKCS7_PARTIAL | PKCS7_BINARY | PKCS7_NOSMIMECAP
                   | (content == NULL && !options->with_content ? PKCS7_DETACHED : 0));
  g_assert_nonnull (p7);
  signer_info = PKCS7_sign_add_signer (p7, signer->cert, signer->key, EVP_sha256 (), PKCS7_NOSMIMECAP);
  g_assert_nonnull (signer_info);

  memcpy (recipient_nonce, request->sender_nonce, sizeof recipient_nonce);
  if (options->wrong_nonce)
    recipient_nonce[0] ^= 0xff;
  g_assert_cmpint (RAND_bytes (nonce, sizeof nonce), ==, 1);
  add_string (signer_info, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, type, -1);
  add_string (signer_info, OID_PKI_STATUS, V_ASN1_PRINTABLESTRING, options->status, -1);
  add_string (signer_info, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, transaction_id, -1);
  add_string (signer_info, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce, sizeof nonce);
  add_string (signer_info, OID_RECIPIENT_NONCE, V_ASN1_OCTET_STRING, recipient_nonce, sizeof recipient_nonce);
  if (options->fail_info != NULL)
    add_string (signer_info, OID_FAIL_INFO, V_ASN1_PRINTABLESTRING, options->fail_info, -1);
  if (options->fail_info_text != NULL)
    add_string (signer_info, OID_FAIL_INFO_TEXT, V_ASN1_UTF8STRING, options->fail_info_text, -1);

  in = content != NULL ? BIO_new_mem_buf (g_bytes_get_data (content, NULL), (int) g_bytes_get_size (content))
                       : BIO_new_mem_buf ("", 0);
  g_assert_cmpint (PKCS7_final (p7, in, PKCS7_BINARY), ==, 1);
  size = i2d_PKCS7 (p7, &der);
  BIO_free (in);
  PKCS7_free (p7);
  return take_der (der, size);
}

GBytes *
test_scep_ca_bundle (X509 **certs,
                     gsize  count)
{
  PKCS7 *p7 = PKCS7_new ();
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  g_assert_true (PKCS7_set_type (p7, NID_pkcs7_signed));
  g_assert_true (PKCS7_content_new (p7, NID_pkcs7_data));
  for (gsize i = 0; i < count; i++)
    g_assert_true (PKCS7_add_certificate (p7, certs[i]));
  size = i2d_PKCS7 (p7, &der);
  PKCS7_free (p7);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}
