/* test-scep-message.c: SCEP messages and answers, without a network
 *
 * The host's side of SCEP (core/ca/scep/) against a CA made in the test
 * (scep-test-ca.c; what the CA says of itself is test-scep-ca.c's): the
 * transient signer, PKCSReq and CertPoll as a CA reads them, and CertReps (SUCCESS in
 * each envelope cipher, FAILURE, PENDING, and the malformed ones). The key's
 * private operations run in the test, and every signature the host asks
 * for is also put through the device's own checks (bridge SIGN purposes 2
 * and 3), so what the host sends is what a device signs.
 */
#include "config.h"

#include <string.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-renewal-check-private.h"
#include "agent/cradle-agent-scep-check-private.h"
#include "ca/scep/cradle-scep-private.h"
#include "scep-test-ca.h"

/* The device, played by the test */

typedef struct {
  EVP_PKEY *key;
  GBytes   *spki;
  gboolean  corrupt_signatures;
  gboolean  wrong_content_key;
  guint     signs;
  guint     decrypts;
  guint     renewal_signs;
  GBytes   *renewal_spki;      /* the new key's, whose transaction a renewal is */
  GBytes   *renewal_request;   /* the new request, which the envelope must carry */
} LocalKey;

static GBytes *
spki_of (EVP_PKEY *key)
{
  unsigned char *der = NULL;
  int size = i2d_PUBKEY (key, &der);
  GBytes *bytes;

  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

static GBytes *
local_sign (CradleScepKey            *key,
            CradleDeviceSignPurpose   purpose,
            GBytes                   *data,
            GBytes                   *content,
            const char               *digest,
            GCancellable             *cancellable,
            GError                  **error)
{
  LocalKey *local = key->user_data;
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  g_autoptr(GError) check_error = NULL;
  EVP_PKEY_CTX *pkey_ctx = NULL;
  guint8 signature[1024];
  size_t size = sizeof signature;
  int nid = NID_undef;

  /* What a device would check before signing. */
  if (purpose == CRADLE_DEVICE_SIGN_SCEP_SIGNER)
    {
      g_assert_true (OBJ_find_sigid_by_algs (&nid, EVP_MD_get_type (EVP_get_digestbyname (digest)),
                                             NID_rsaEncryption));
      g_assert_true (cradle_agent_scep_check_signer_certificate (data, local->spki, nid, &check_error));
    }
  else
    {
      g_autoptr(GBytes) message_digest = NULL;
      g_autofree char *transaction_id = NULL;
      g_autofree char *spki_hex = NULL;
      guint8 content_digest[EVP_MAX_MD_SIZE];
      unsigned int content_digest_size = 0;

      /* As the device: the content is a SCEP envelope, the messageDigest
       * its digest, the transactionID the key's. */
      g_assert_cmpint (purpose, ==, CRADLE_DEVICE_SIGN_SCEP_MESSAGE);
      g_assert_nonnull (content);
      g_assert_true (cradle_agent_scep_check_envelope (content, &check_error));
      g_assert_no_error (check_error);
      g_assert_true (cradle_agent_scep_check_signed_attributes (data, EVP_MD_get_size (EVP_get_digestbyname (digest)),
                                                                NULL, &message_digest, &transaction_id,
                                                                &check_error));
      g_assert_true (EVP_Digest (g_bytes_get_data (content, NULL), g_bytes_get_size (content), content_digest,
                                 &content_digest_size, EVP_get_digestbyname (digest), NULL) == 1);
      g_assert_cmpmem (g_bytes_get_data (message_digest, NULL), g_bytes_get_size (message_digest),
                       content_digest, content_digest_size);
      spki_hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, local->spki);
      g_assert_true (g_ascii_strcasecmp (transaction_id, spki_hex) == 0);
    }
  g_assert_no_error (check_error);

  local->signs++;
  g_assert_true (EVP_DigestSignInit_ex (ctx, &pkey_ctx, digest, NULL, NULL, local->key, NULL) == 1);
  g_assert_true (EVP_PKEY_CTX_set_rsa_padding (pkey_ctx, RSA_PKCS1_PADDING) == 1);
  g_assert_true (EVP_DigestSign (ctx, signature, &size, g_bytes_get_data (data, NULL), g_bytes_get_size (data)) == 1);
  if (local->corrupt_signatures)
    signature[size / 2] ^= 0x01;
  return g_bytes_new (signature, size);
}

static GBytes *
local_decrypt (CradleScepKey  *key,
               GBytes         *encrypted_key,
               gsize           key_size,
               GCancellable   *cancellable,
               GError        **error)
{
  LocalKey *local = key->user_data;
  g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new_from_pkey (NULL, local->key, NULL);
  guint8 out[512];
  size_t size = sizeof out;

  local->decrypts++;
  g_assert_true (EVP_PKEY_decrypt_init (ctx) == 1);
  g_assert_true (EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PADDING) == 1);
  g_assert_true (EVP_PKEY_decrypt (ctx, out, &size, g_bytes_get_data (encrypted_key, NULL),
                                   g_bytes_get_size (encrypted_key)) == 1);
  g_assert_cmpuint (size, ==, key_size);
  if (local->wrong_content_key)
    out[0] ^= 0x5a;   /* as a device's implicit rejection would: a key, but not the one */
  return g_bytes_new (out, size);
}

/* The old key signs a RenewalReq (purpose 5): as the device, the
 * attributes are a RenewalReq's for the new key's transaction, their
 * messageDigest the envelope's, and the envelope opens with the content
 * key to the request the renewal is for. */
static GBytes *
local_sign_renewal (CradleScepKey  *key,
                    GBytes         *signed_attributes,
                    GBytes         *envelope,
                    GBytes         *content_key,
                    const char     *digest,
                    GCancellable   *cancellable,
                    GError        **error)
{
  LocalKey *local = key->user_data;
  g_autoptr(GError) check_error = NULL;
  g_autoptr(GBytes) message_digest = NULL;
  g_autoptr(GBytes) opened = NULL;
  g_autofree char *transaction_id = NULL;
  g_autofree char *spki_hex = NULL;
  guint8 content_digest[EVP_MAX_MD_SIZE];
  unsigned int content_digest_size = 0;
  guint message_type = 0;

  g_assert_nonnull (content_key);
  g_assert_true (cradle_agent_scep_check_envelope (envelope, &check_error));
  g_assert_no_error (check_error);
  g_assert_true (cradle_agent_scep_check_attributes_for (CRADLE_AGENT_ATTRIBUTES_SCEP_RENEWAL, signed_attributes,
                                                         EVP_MD_get_size (EVP_get_digestbyname (digest)),
                                                         &message_type, &message_digest, &transaction_id,
                                                         &check_error));
  g_assert_no_error (check_error);
  g_assert_cmpuint (message_type, ==, 17);
  g_assert_true (EVP_Digest (g_bytes_get_data (envelope, NULL), g_bytes_get_size (envelope), content_digest,
                             &content_digest_size, EVP_get_digestbyname (digest), NULL) == 1);
  g_assert_cmpmem (g_bytes_get_data (message_digest, NULL), g_bytes_get_size (message_digest),
                   content_digest, content_digest_size);
  spki_hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, local->renewal_spki);
  g_assert_true (g_ascii_strcasecmp (transaction_id, spki_hex) == 0);
  opened = cradle_agent_renewal_open_envelope (envelope, content_key, &check_error);
  g_assert_no_error (check_error);
  g_assert_true (g_bytes_equal (opened, local->renewal_request));
  local->renewal_signs++;
  {
    g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
    EVP_PKEY_CTX *pkey_ctx = NULL;
    guint8 signature[1024];
    size_t size = sizeof signature;

    g_assert_true (EVP_DigestSignInit_ex (ctx, &pkey_ctx, digest, NULL, NULL, local->key, NULL) == 1);
    g_assert_true (EVP_PKEY_CTX_set_rsa_padding (pkey_ctx, RSA_PKCS1_PADDING) == 1);
    g_assert_true (EVP_DigestSign (ctx, signature, &size, g_bytes_get_data (signed_attributes, NULL),
                                   g_bytes_get_size (signed_attributes)) == 1);
    return g_bytes_new (signature, size);
  }
}

static const CradleScepKeyOps local_ops = { local_sign, local_decrypt, local_sign_renewal };

typedef struct {
  LocalKey       local;
  CradleScepKey *key;
  TestScepCa    *ca;
  CradleScepCa  *scep_ca;
  GBytes        *csr;
  X509_NAME     *subject;
} Fixture;

static GBytes *
make_csr (EVP_PKEY   *key,
          const char *common_name,
          X509_NAME **subject)
{
  g_autoptr(X509_REQ) req = X509_REQ_new ();
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  if (common_name != NULL)
    g_assert_true (X509_NAME_add_entry_by_txt (X509_REQ_get_subject_name (req), "CN", MBSTRING_UTF8,
                                               (const guint8 *) common_name, -1, -1, 0));
  g_assert_true (X509_REQ_set_pubkey (req, key));
  g_assert_true (X509_REQ_add1_attr_by_NID (req, NID_pkcs9_challengePassword, MBSTRING_UTF8,
                                            (const guint8 *) "one-time secret", -1));
  g_assert_cmpint (X509_REQ_sign (req, key, EVP_sha256 ()), >, 0);
  size = i2d_X509_REQ (req, &der);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  if (subject != NULL)
    *subject = X509_NAME_dup (X509_REQ_get_subject_name (req));
  return bytes;
}

static CradleScepCa *
scep_ca_for (TestScepCa *ca)
{
  g_autoptr(GBytes) der = test_scep_ca_der (ca);
  g_autoptr(GError) error = NULL;
  CradleScepCa *scep_ca = cradle_scep_ca_parse ("application/x-x509-ca-cert", der, &error);

  g_assert_no_error (error);
  return scep_ca;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->local.key = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  f->local.spki = spki_of (f->local.key);
  f->key = cradle_scep_key_new (&local_ops, &f->local, NULL, f->local.spki, &error);
  g_assert_no_error (error);
  f->ca = test_scep_ca_new ("Test SCEP CA");
  f->scep_ca = scep_ca_for (f->ca);
  f->csr = make_csr (f->local.key, "device-1", &f->subject);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  cradle_scep_key_free (f->key);
  cradle_scep_ca_free (f->scep_ca);
  test_scep_ca_free (f->ca);
  g_bytes_unref (f->csr);
  X509_NAME_free (f->subject);
  g_bytes_unref (f->local.spki);
  EVP_PKEY_free (f->local.key);
}

static CradleScepMessageInfo
message_info (CradleScepMessageType  type,
              const char            *transaction_id,
              const char            *digest,
              const char            *cipher)
{
  CradleScepMessageInfo info = { .type = type, .transaction_id = transaction_id, .digest = digest,
                                 .cipher = cipher };

  for (gsize i = 0; i < sizeof info.sender_nonce; i++)
    info.sender_nonce[i] = (guint8) g_test_rand_int_range (0, 256);
  return info;
}

static X509 *
make_signer (Fixture    *f,
             X509_NAME  *subject,
             const char *transaction_id,
             const char *digest)
{
  g_autoptr(GError) error = NULL;
  X509 *signer = cradle_scep_make_signer (f->key, subject, transaction_id, digest, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (signer);
  return signer;
}

/* A PKCSReq through the test CA: what it reads. */
static TestScepRequest *
send_request (Fixture                     *f,
              const CradleScepMessageInfo *info,
              X509                        *signer,
              GBytes                      *message_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = cradle_scep_message_build (info, message_data, f->scep_ca->recipient, signer, f->key,
                                                         NULL, &error);

  g_assert_no_error (error);
  return test_scep_ca_read_request (f->ca, message);
}

/* The signer certificate */

static void
test_signer (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *transaction_id = cradle_scep_transaction_id (f->key);
  g_autoptr(X509) signer = make_signer (f, f->subject, transaction_id, "sha256");
  g_autoptr(X509_NAME) empty = X509_NAME_new ();
  g_autoptr(X509) unnamed = make_signer (f, empty, transaction_id, "sha512");
  g_autoptr(GError) error = NULL;
  char name[128];

  /* The transaction id: SHA-256 of the public key, hex; the same every time. */
  g_assert_cmpuint (strlen (transaction_id), ==, 64);
  {
    g_autofree char *again = cradle_scep_transaction_id (f->key);
    g_autofree char *expected = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, f->local.spki);
    g_autofree char *upper = g_ascii_strup (expected, -1);

    g_assert_cmpstr (again, ==, transaction_id);
    g_assert_cmpstr (upper, ==, transaction_id);
  }

  /* Self-signed by the device's key, named as the request. */
  g_assert_cmpint (X509_verify (signer, f->local.key), ==, 1);
  g_assert_cmpint (X509_NAME_cmp (X509_get_subject_name (signer), f->subject), ==, 0);
  g_assert_cmpint (X509_NAME_cmp (X509_get_issuer_name (signer), f->subject), ==, 0);
  g_assert_cmpint (EVP_PKEY_eq (X509_get0_pubkey (signer), f->local.key), ==, 1);
  g_assert_cmpint (X509_check_ca (signer), ==, 0);
  g_assert_true (X509_get_key_usage (signer) & KU_KEY_ENCIPHERMENT);
  g_assert_cmpint (X509_get_signature_nid (signer), ==, NID_sha256WithRSAEncryption);
  /* A request without a subject: a name from the transaction. */
  g_assert_cmpint (X509_verify (unnamed, f->local.key), ==, 1);
  g_assert_cmpint (X509_get_signature_nid (unnamed), ==, NID_sha512WithRSAEncryption);
  X509_NAME_oneline (X509_get_subject_name (unnamed), name, sizeof name);
  g_assert_true (g_str_has_prefix (name, "/CN=Cradle SCEP "));

  /* A device whose signatures do not verify is not trusted. */
  f->local.corrupt_signatures = TRUE;
  g_assert_null (cradle_scep_make_signer (f->key, f->subject, transaction_id, "sha256", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "does not verify"));
}

static void
test_ec_key_refused (void)
{
  g_autoptr(EVP_PKEY) ec = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  g_autoptr(GBytes) spki = spki_of (ec);
  g_autoptr(GBytes) junk = g_bytes_new_static ("\x30\x03\x02\x01", 4);
  g_autoptr(GError) error = NULL;

  g_assert_null (cradle_scep_key_new (&local_ops, NULL, NULL, spki, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "RSA"));
  g_clear_error (&error);
  g_assert_null (cradle_scep_key_new (&local_ops, NULL, NULL, junk, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

/* Requests */

static void
test_pkcs_req (Fixture       *f,
               gconstpointer  data)
{
  const struct {
    const char *digest;
    const char *cipher;
    const char *ca_digest;
    const char *ca_cipher;
  } variants[] = {
    { "sha256", "aes-128-cbc", "sha256", "aes-128-cbc" },
    { "sha512", "des-ede3-cbc", "sha512", "des-ede3-cbc" },
  };
  g_autofree char *transaction_id = cradle_scep_transaction_id (f->key);

  for (gsize v = 0; v < G_N_ELEMENTS (variants); v++)
    {
      CradleScepMessageInfo info = message_info (CRADLE_SCEP_PKCS_REQ, transaction_id, variants[v].digest,
                                                 variants[v].cipher);
      g_autoptr(X509) signer = make_signer (f, f->subject, transaction_id, variants[v].digest);
      g_autoptr(TestScepRequest) request = send_request (f, &info, signer, f->csr);

      g_assert_cmpuint (request->message_type, ==, 19);
      g_assert_cmpstr (request->transaction_id, ==, transaction_id);
      g_assert_cmpmem (request->sender_nonce, 16, info.sender_nonce, 16);
      g_assert_cmpstr (request->digest, ==, variants[v].ca_digest);
      g_assert_cmpstr (request->cipher, ==, variants[v].ca_cipher);
      g_assert_cmpint (X509_cmp (request->signer, signer), ==, 0);
      /* The PKCS#10, challenge and all, only inside the envelope. */
      g_assert_true (g_bytes_equal (request->message_data, f->csr));
    }

  /* A device that signs wrongly: caught before anything is sent. */
  {
    CradleScepMessageInfo info = message_info (CRADLE_SCEP_PKCS_REQ, transaction_id, "sha256", "aes-128-cbc");
    g_autoptr(X509) signer = make_signer (f, f->subject, transaction_id, "sha256");
    g_autoptr(GError) error = NULL;

    f->local.corrupt_signatures = TRUE;
    g_assert_null (cradle_scep_message_build (&info, f->csr, f->scep_ca->recipient, signer, f->key, NULL, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  }
}

static void
test_cert_poll (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *transaction_id = cradle_scep_transaction_id (f->key);
  CradleScepMessageInfo info = message_info (CRADLE_SCEP_CERT_POLL, transaction_id, "sha256", "aes-128-cbc");
  g_autoptr(X509) signer = make_signer (f, f->subject, transaction_id, "sha256");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) issuer_and_subject =
    cradle_scep_issuer_and_subject (X509_get_subject_name (f->scep_ca->issuer), f->subject, &error);
  g_autoptr(TestScepRequest) request = NULL;
  const unsigned char *p;
  g_autoptr(X509_NAME) issuer = NULL;
  g_autoptr(X509_NAME) subject = NULL;
  const guint8 *bytes;
  gsize size;

  g_assert_no_error (error);
  request = send_request (f, &info, signer, issuer_and_subject);
  g_assert_cmpuint (request->message_type, ==, 20);
  g_assert_cmpstr (request->transaction_id, ==, transaction_id);

  /* IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name } */
  bytes = g_bytes_get_data (request->message_data, &size);
  g_assert_cmpuint (bytes[0], ==, 0x30);
  p = bytes + ((bytes[1] & 0x80) ? 2 + (bytes[1] & 0x7f) : 2);
  issuer = d2i_X509_NAME (NULL, &p, (long) (bytes + size - p));
  subject = d2i_X509_NAME (NULL, &p, (long) (bytes + size - p));
  g_assert_nonnull (issuer);
  g_assert_nonnull (subject);
  g_assert_true (p == bytes + size);
  g_assert_cmpint (X509_NAME_cmp (issuer, X509_get_subject_name (f->ca->cert)), ==, 0);
  g_assert_cmpint (X509_NAME_cmp (subject, f->subject), ==, 0);
}

/* RenewalReq (RFC 8894 3.3.1.2): the new request, signed by the old
 * certificate and its key (SIGN purpose 5), the transaction the new key's;
 * the CertRep encrypted to the old certificate, opened with the old key. */
static void
test_renewal_req (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(EVP_PKEY) new_key = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  g_autoptr(GBytes) new_spki = spki_of (new_key);
  g_autoptr(GBytes) new_csr = make_csr (new_key, "device-1", NULL);
  LocalKey new_local = { .key = new_key, .spki = new_spki };
  g_autoptr(GError) error = NULL;
  CradleScepKey *new_scep_key = cradle_scep_key_new (&local_ops, &new_local, NULL, new_spki, &error);
  g_autofree char *transaction_id = NULL;
  g_autofree char *old_transaction_id = cradle_scep_transaction_id (f->key);
  g_autoptr(GBytes) old_der = test_scep_ca_issue (f->ca, f->csr);
  const unsigned char *p = g_bytes_get_data (old_der, NULL);
  g_autoptr(X509) old = d2i_X509 (NULL, &p, (long) g_bytes_get_size (old_der));
  CradleScepMessageInfo info;
  g_autoptr(TestScepRequest) request = NULL;
  g_autoptr(GBytes) leaf = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(CradleScepReply) reply = NULL;
  guint decrypts;

  g_assert_no_error (error);
  g_assert_nonnull (old);
  transaction_id = cradle_scep_transaction_id (new_scep_key);
  g_assert_cmpstr (transaction_id, !=, old_transaction_id);
  info = message_info (CRADLE_SCEP_RENEWAL_REQ, transaction_id, "sha256", "aes-128-cbc");
  info.renewal = TRUE;
  f->local.renewal_spki = new_spki;
  f->local.renewal_request = new_csr;

  request = send_request (f, &info, old, new_csr);
  g_assert_cmpuint (request->message_type, ==, 17);
  g_assert_cmpstr (request->transaction_id, ==, transaction_id);
  g_assert_cmpint (X509_cmp (request->signer, old), ==, 0);
  g_assert_true (g_bytes_equal (request->message_data, new_csr));
  g_assert_cmpuint (f->local.renewal_signs, ==, 1);
  g_assert_cmpuint (new_local.signs, ==, 0);

  leaf = test_scep_ca_issue (f->ca, new_csr);
  {
    TestScepReplyOptions options = { .status = "0", .leaf = leaf };

    answer = test_scep_ca_reply (f->ca, request, &options);
  }
  decrypts = f->local.decrypts;
  reply = cradle_scep_reply_parse (answer, &info, f->scep_ca, old, f->key, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (reply->status, ==, CRADLE_SCEP_SUCCESS);
  g_assert_true (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (reply->certificates, 0)), leaf));
  g_assert_cmpuint (f->local.decrypts, >, decrypts);
  f->local.renewal_spki = NULL;
  f->local.renewal_request = NULL;
  cradle_scep_key_free (new_scep_key);
}

/* Answers */

typedef struct {
  Fixture               *f;
  char                  *transaction_id;
  CradleScepMessageInfo  info;
  X509                  *signer;
  TestScepRequest       *request;
} Exchange;

static void
exchange_start (Exchange   *exchange,
                Fixture    *f)
{
  exchange->f = f;
  exchange->transaction_id = cradle_scep_transaction_id (f->key);
  exchange->info = message_info (CRADLE_SCEP_PKCS_REQ, exchange->transaction_id, "sha256", "aes-128-cbc");
  exchange->signer = make_signer (f, f->subject, exchange->transaction_id, "sha256");
  exchange->request = send_request (f, &exchange->info, exchange->signer, f->csr);
}

static void
exchange_clear (Exchange *exchange)
{
  g_free (exchange->transaction_id);
  X509_free (exchange->signer);
  test_scep_request_free (exchange->request);
}

static CradleScepReply *
parse (Exchange  *exchange,
       GBytes    *answer,
       GError   **error)
{
  return cradle_scep_reply_parse (answer, &exchange->info, exchange->f->scep_ca, exchange->signer,
                                  exchange->f->key, NULL, error);
}

static void
test_reply_success (Fixture       *f,
                    gconstpointer  data)
{
  const char *ciphers[] = { "AES-128-CBC", "DES-CBC", "DES-EDE3-CBC", "AES-256-CBC", "AES-192-CBC" };
  Exchange exchange = { 0 };
  g_autoptr(GBytes) leaf = NULL;

  exchange_start (&exchange, f);
  leaf = test_scep_ca_issue (f->ca, exchange.request->message_data);
  for (gsize c = 0; c < G_N_ELEMENTS (ciphers); c++)
    {
      TestScepReplyOptions options = { .status = "0", .leaf = leaf, .cipher = ciphers[c] };
      g_autoptr(GBytes) answer = test_scep_ca_reply (f->ca, exchange.request, &options);
      g_autoptr(GError) error = NULL;
      g_autoptr(CradleScepReply) reply = parse (&exchange, answer, &error);
      guint decrypts = f->local.decrypts;

      g_test_message ("envelope %s", ciphers[c]);
      g_assert_no_error (error);
      g_assert_cmpint (reply->status, ==, CRADLE_SCEP_SUCCESS);
      g_assert_cmpuint (reply->certificates->len, ==, 1);
      g_assert_true (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (reply->certificates, 0)), leaf));
      g_assert_cmpuint (decrypts, >, 0);
    }

  /* The device gives a key that is not the one (implicit rejection): the
   * content does not decrypt, and that is all anyone learns. */
  {
    TestScepReplyOptions options = { .status = "0", .leaf = leaf };
    g_autoptr(GBytes) answer = test_scep_ca_reply (f->ca, exchange.request, &options);
    g_autoptr(GError) error = NULL;

    f->local.wrong_content_key = TRUE;
    g_assert_null (parse (&exchange, answer, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "does not decrypt with the device's key"));
    f->local.wrong_content_key = FALSE;
  }
  exchange_clear (&exchange);
}

static void
test_reply_failure_and_pending (Fixture       *f,
                                gconstpointer  data)
{
  Exchange exchange = { 0 };

  exchange_start (&exchange, f);
  for (guint with_content = 0; with_content < 2; with_content++)
    {
      TestScepReplyOptions failure = { .status = "2", .fail_info = "2", .with_content = with_content,
                                       .fail_info_text = "Challenge\npassword\x01 is wrong" };
      TestScepReplyOptions bare = { .status = "2", .fail_info = "4", .with_content = with_content };
      TestScepReplyOptions pending = { .status = "3", .with_content = with_content };
      g_autoptr(GBytes) failure_answer = test_scep_ca_reply (f->ca, exchange.request, &failure);
      g_autoptr(GBytes) bare_answer = test_scep_ca_reply (f->ca, exchange.request, &bare);
      g_autoptr(GBytes) pending_answer = test_scep_ca_reply (f->ca, exchange.request, &pending);
      g_autoptr(CradleScepReply) failed = NULL;
      g_autoptr(CradleScepReply) failed_bare = NULL;
      g_autoptr(CradleScepReply) waiting = NULL;
      g_autoptr(GError) error = NULL;
      guint decrypts = f->local.decrypts;

      failed = parse (&exchange, failure_answer, &error);
      g_assert_no_error (error);
      g_assert_cmpint (failed->status, ==, CRADLE_SCEP_FAILURE);
      g_assert_cmpuint (failed->fail_info, ==, 2);
      g_assert_cmpstr (cradle_scep_fail_info_to_string (failed->fail_info), ==, "badRequest");
      /* The CA's words, on one line. */
      g_assert_cmpstr (failed->fail_info_text, ==, "Challenge password  is wrong");
      g_assert_null (failed->certificates);

      failed_bare = parse (&exchange, bare_answer, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (failed_bare->fail_info, ==, 4);
      g_assert_null (failed_bare->fail_info_text);

      waiting = parse (&exchange, pending_answer, &error);
      g_assert_no_error (error);
      g_assert_cmpint (waiting->status, ==, CRADLE_SCEP_PENDING);
      g_assert_null (waiting->certificates);
      /* Nothing to decrypt in either. */
      g_assert_cmpuint (f->local.decrypts, ==, decrypts);
    }
  exchange_clear (&exchange);
}

static void
assert_reply_refused (Exchange   *exchange,
                      GBytes     *answer,
                      const char *words)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (parse (exchange, answer, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  if (words != NULL && strstr (error->message, words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, words);
}

static void
test_reply_malformed (Fixture       *f,
                      gconstpointer  data)
{
  Exchange exchange = { 0 };
  g_autoptr(GBytes) leaf = NULL;
  g_autoptr(TestScepCa) impostor = test_scep_ca_new ("Test SCEP CA");

  exchange_start (&exchange, f);
  leaf = test_scep_ca_issue (f->ca, exchange.request->message_data);

  struct {
    TestScepReplyOptions options;
    const char          *words;
  } cases[] = {
    { { .status = "0", .leaf = leaf, .wrong_nonce = TRUE }, "recipientNonce" },
    { { .status = "2", .fail_info = "2", .wrong_nonce = TRUE }, "recipientNonce" },
    { { .status = "0", .leaf = leaf, .wrong_transaction = TRUE }, "transactionID" },
    { { .status = "0", .leaf = leaf, .signed_by = impostor }, "not signed by the SCEP server's CA" },
    { { .status = "0", .leaf = leaf, .message_type = "19" }, "not a CertRep" },
    { { .status = "7" }, "pkiStatus" },
    { { .status = "2" }, "no failInfo" },
    { { .status = "2", .fail_info = "9" }, "failInfo" },
    { { .status = "2", .fail_info = "-1" }, "failInfo" },
    { { .status = "0", .leaf = leaf, .encrypt_to = impostor->cert }, "another certificate" },
    { { .status = "0" }, "no encrypted certificate" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) answer = test_scep_ca_reply (f->ca, exchange.request, &cases[i].options);

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].words);
      assert_reply_refused (&exchange, answer, cases[i].words);
    }

  /* The CA's certificate named, its signature altered. */
  {
    TestScepReplyOptions options = { .status = "0", .leaf = leaf };
    g_autoptr(GBytes) good = test_scep_ca_reply (f->ca, exchange.request, &options);
    const unsigned char *p = g_bytes_get_data (good, NULL);
    g_autoptr(PKCS7) p7 = d2i_PKCS7 (NULL, &p, (long) g_bytes_get_size (good));
    PKCS7_SIGNER_INFO *signer_info = sk_PKCS7_SIGNER_INFO_value (PKCS7_get_signer_info (p7), 0);
    unsigned char *der = NULL;
    int size;
    g_autoptr(GBytes) altered = NULL;

    g_autofree guint8 *signature = g_memdup2 (ASN1_STRING_get0_data (signer_info->enc_digest),
                                              ASN1_STRING_length (signer_info->enc_digest));

    signature[10] ^= 0x01;
    g_assert_true (ASN1_STRING_set (signer_info->enc_digest, signature, ASN1_STRING_length (signer_info->enc_digest)));
    size = i2d_PKCS7 (p7, &der);
    altered = g_bytes_new (der, size);
    OPENSSL_free (der);
    assert_reply_refused (&exchange, altered, "signature that does not verify");
  }

  /* Damaged on the way: every cut, and flipped bytes; refused or (inside
   * unsigned parts) read the same; never a crash. */
  {
    TestScepReplyOptions options = { .status = "0", .leaf = leaf };
    g_autoptr(GBytes) good = test_scep_ca_reply (f->ca, exchange.request, &options);
    gsize size = 0;
    const guint8 *bytes = g_bytes_get_data (good, &size);

    for (gsize length = 0; length < size; length += 1 + length / 64)
      {
        g_autoptr(GBytes) cut = g_bytes_new (bytes, length);

        assert_reply_refused (&exchange, cut, NULL);
      }
    for (guint round = 0; round < 200; round++)
      {
        g_autofree guint8 *copy = g_memdup2 (bytes, size);
        g_autoptr(GBytes) damaged = NULL;
        g_autoptr(CradleScepReply) reply = NULL;
        g_autoptr(GError) error = NULL;

        copy[g_test_rand_int_range (0, (gint) size)] ^= (guint8) g_test_rand_int_range (1, 256);
        damaged = g_bytes_new (copy, size);
        reply = parse (&exchange, damaged, &error);
        if (reply == NULL)
          g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      }
  }
  /* Not a pkiMessage at all; a message too large to read. */
  {
    g_autoptr(GBytes) html = g_bytes_new_static ("<html><body>Sign in</body></html>", 33);
    g_autofree guint8 *huge = g_malloc0 (CRADLE_SCEP_MAX_MESSAGE_SIZE + 1);
    g_autoptr(GBytes) oversized = NULL;

    huge[0] = 0x30;
    oversized = g_bytes_new_take (g_steal_pointer (&huge), CRADLE_SCEP_MAX_MESSAGE_SIZE + 1);
    assert_reply_refused (&exchange, html, "not DER PKCS#7");
    assert_reply_refused (&exchange, oversized, "bytes");
  }
  /* The client's own message back: a pkiMessage, not the CA's. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) own = cradle_scep_message_build (&exchange.info, f->csr, f->scep_ca->recipient,
                                                       exchange.signer, f->key, NULL, &error);

    g_assert_no_error (error);
    assert_reply_refused (&exchange, own, "not signed by the SCEP server's CA");
  }
  exchange_clear (&exchange);
}

/* A CertRep is the CA's or its RA's: with the CA, an RA that encrypts and
 * an RA that signs (as NDES sends them), only the CA and the signing RA
 * may sign it.  Not the RA that only enciphers, though GetCACert gave it;
 * not a certificate the CA issued to someone else, though it chains to the
 * CA and rides in the CertRep. */
static void
test_reply_signers (Fixture       *f,
                    gconstpointer  data)
{
  Exchange exchange = { 0 };
  g_autoptr(GBytes) leaf = NULL;
  g_autoptr(TestScepCa) encrypting_ra = test_scep_ca_make_cert (f->ca, "RA encryption", FALSE,
                                                                "critical,keyEncipherment",
                                                                TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  g_autoptr(TestScepCa) signing_ra = test_scep_ca_make_cert (f->ca, "RA signing", FALSE,
                                                             "critical,digitalSignature",
                                                             TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  g_autoptr(TestScepCa) phone = test_scep_ca_make_cert (f->ca, "Mallory's phone", FALSE,
                                                        "critical,digitalSignature", "clientAuth", TRUE);
  X509 *certs[] = { f->ca->cert, encrypting_ra->cert, signing_ra->cert };
  g_autoptr(GBytes) bundle = test_scep_ca_bundle (certs, G_N_ELEMENTS (certs));
  g_autoptr(GError) bundle_error = NULL;
  g_autoptr(CradleScepCa) with_ras = cradle_scep_ca_parse ("Application/X-X509-CA-RA-Cert", bundle,
                                                           &bundle_error);
  CradleScepCa *plain = f->scep_ca;

  g_assert_no_error (bundle_error);
  exchange_start (&exchange, f);
  leaf = test_scep_ca_issue (f->ca, exchange.request->message_data);
  f->scep_ca = with_ras;
  {
    TestScepCa *good[] = { signing_ra, f->ca };

    for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
      {
        TestScepReplyOptions options = { .status = "0", .leaf = leaf, .signed_by = good[i] };
        g_autoptr(GBytes) answer = test_scep_ca_reply (f->ca, exchange.request, &options);
        g_autoptr(GError) error = NULL;
        g_autoptr(CradleScepReply) reply = parse (&exchange, answer, &error);

        g_assert_no_error (error);
        g_assert_cmpint (reply->status, ==, CRADLE_SCEP_SUCCESS);
      }
  }
  {
    TestScepCa *bad[] = { encrypting_ra, phone };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        TestScepReplyOptions options = { .status = "0", .leaf = leaf, .signed_by = bad[i] };
        TestScepReplyOptions failure = { .status = "2", .fail_info = "2", .signed_by = bad[i] };
        g_autoptr(GBytes) answer = test_scep_ca_reply (f->ca, exchange.request, &options);
        g_autoptr(GBytes) failure_answer = test_scep_ca_reply (f->ca, exchange.request, &failure);

        assert_reply_refused (&exchange, answer, "not signed by the SCEP server's CA or RA");
        assert_reply_refused (&exchange, failure_answer, "not signed by the SCEP server's CA or RA");
      }
  }
  /* Without RAs, the CA alone. */
  f->scep_ca = plain;
  {
    TestScepReplyOptions options = { .status = "0", .leaf = leaf, .signed_by = signing_ra };
    g_autoptr(GBytes) answer = test_scep_ca_reply (f->ca, exchange.request, &options);

    assert_reply_refused (&exchange, answer, "not signed by the SCEP server's CA or RA");
  }
  exchange_clear (&exchange);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/scep/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  g_test_add_func ("/scep/ec-key-refused", test_ec_key_refused);
  ADD ("renewal-req", test_renewal_req);
  ADD ("signer", test_signer);
  ADD ("pkcs-req", test_pkcs_req);
  ADD ("cert-poll", test_cert_poll);
  ADD ("reply/success", test_reply_success);
  ADD ("reply/failure-and-pending", test_reply_failure_and_pending);
  ADD ("reply/malformed", test_reply_malformed);
  ADD ("reply/signers", test_reply_signers);

  return g_test_run ();
}
