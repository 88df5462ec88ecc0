/* test-bridge-scep.c: SCEP's private-key operations over the bridge
 *
 * A real cradle-agent signs the transient signer certificate (SIGN purpose
 * 2) and a pkiMessage's attributes (purpose 3), and decrypts a CertRep's
 * content-encryption key (DECRYPT), all for a key made for SCEP and still in
 * its enrollment, without asking its user; it refuses another key's
 * certificate, bytes of the wrong shape, enrolled and retired keys, keys made
 * for a certification request, EC keys for DECRYPT, and the attacks: key
 * reuse after DELETE_CERT, purpose 3 over arbitrary content. The recorded
 * session holds no part of the private key.
 */
#include "config.h"

#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "agent/cradle-agent-keystore-private.h"
#include "ca/scep/cradle-scep-private.h"
#include "scep-test-ca.h"

static GBytes *
generate (AgentFixture *fixture,
          const char   *key_type,
          GBytes      **spki)
{
  g_autoptr(GError) error = NULL;
  GBytes *key_id = cradle_device_generate_key_for (fixture->device, key_type, "SCEP test",
                                                   CRADLE_DEVICE_KEY_FOR_SCEP, spki, NULL, &error);

  g_assert_no_error (error);
  return key_id;
}

static GBytes *
csr_for (EVP_PKEY      *public_key,
         AgentFixture  *fixture,
         GBytes        *key_id)
{
  g_autoptr(GBytes) request_info = test_request_info (public_key, "scep-device");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *algorithm = NULL;
  g_autoptr(GByteArray) der = g_byte_array_new ();
  g_autoptr(X509_ALGOR) algor = X509_ALGOR_new ();
  unsigned char *algor_der = NULL;
  int algor_size;
  gsize length;
  guint8 header[4];

  signature = cradle_device_sign_request (fixture->device, key_id, request_info, "sha256", &algorithm, NULL, &error);
  g_assert_no_error (error);
  /* CertificationRequest ::= SEQUENCE { info, algorithm, BIT STRING } */
  g_assert_true (X509_ALGOR_set0 (algor, OBJ_nid2obj (NID_sha256WithRSAEncryption), V_ASN1_NULL, NULL));
  algor_size = i2d_X509_ALGOR (algor, &algor_der);
  length = g_bytes_get_size (request_info) + algor_size + 4 + 1 + g_bytes_get_size (signature);
  header[0] = 0x30;
  header[1] = 0x82;
  header[2] = (guint8) (length >> 8);
  header[3] = (guint8) length;
  g_byte_array_append (der, header, 4);
  g_byte_array_append (der, g_bytes_get_data (request_info, NULL), g_bytes_get_size (request_info));
  g_byte_array_append (der, algor_der, algor_size);
  header[0] = 0x03;
  header[1] = 0x82;
  header[2] = (guint8) ((g_bytes_get_size (signature) + 1) >> 8);
  header[3] = (guint8) (g_bytes_get_size (signature) + 1);
  g_byte_array_append (der, header, 4);
  g_byte_array_append (der, (const guint8 *) "", 1);
  g_byte_array_append (der, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  OPENSSL_free (algor_der);
  return g_byte_array_free_to_bytes (g_steal_pointer (&der));
}

static gboolean
contains_window (GByteArray   *haystack,
                 const guint8 *needle,
                 gsize         size)
{
  for (gsize i = 0; i + size <= haystack->len; i++)
    if (memcmp (haystack->data + i, needle, size) == 0)
      return TRUE;
  return FALSE;
}

static void
test_enrollment_messages (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(TestScepCa) ca = test_scep_ca_new ("Bridge SCEP CA");
  g_autoptr(GBytes) ca_der = test_scep_ca_der (ca);
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autoptr(CradleScepKey) key = NULL;
  g_autoptr(CradleScepCa) scep_ca = NULL;
  g_autoptr(X509) signer = NULL;
  g_autoptr(X509_NAME) subject = X509_NAME_new ();
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(TestScepRequest) request = NULL;
  g_autoptr(GBytes) leaf = NULL;
  g_autoptr(CradleAgentKeystore) keystore = NULL;
  g_autoptr(CradleAgentSecret) private_der = NULL;
  g_autoptr(GByteArray) spki_bytes = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *transaction_id = NULL;
  CradleScepMessageInfo info = { .type = CRADLE_SCEP_PKCS_REQ, .digest = "sha256", .cipher = "aes-128-cbc" };
  const char *ciphers[] = { "AES-128-CBC", "DES-CBC", "DES-EDE3-CBC" };
  const gsize window = 16;
  gsize first = 0;

  /* The user says no to certification requests: SCEP's own signatures do not ask. */
  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  key_id = generate (&fixture, "rsa2048", &spki);
  public_key = test_public_key_from_der (spki);
  key = cradle_scep_key_new_for_device (fixture.device, key_id, spki, &error);
  g_assert_no_error (error);
  scep_ca = cradle_scep_ca_parse ("application/x-x509-ca-cert", ca_der, &error);
  g_assert_no_error (error);
  csr = csr_for (public_key, &fixture, key_id);

  transaction_id = cradle_scep_transaction_id (key);
  info.transaction_id = transaction_id;
  memset (info.sender_nonce, 0x5c, sizeof info.sender_nonce);
  g_assert_true (X509_NAME_add_entry_by_txt (subject, "CN", MBSTRING_ASC, (const guint8 *) "scep-device", -1, -1, 0));

  /* Purpose 2 and 3, signed on the device and read by a CA. */
  signer = cradle_scep_make_signer (key, subject, transaction_id, "sha256", NULL, &error);
  g_assert_no_error (error);
  message = cradle_scep_message_build (&info, csr, scep_ca->recipient, signer, key, NULL, &error);
  g_assert_no_error (error);
  request = test_scep_ca_read_request (ca, message);
  g_assert_cmpuint (request->message_type, ==, 19);
  g_assert_true (g_bytes_equal (request->message_data, csr));

  /* DECRYPT: the answer opened with the device's key, in each cipher. */
  leaf = test_scep_ca_issue (ca, csr);
  for (gsize c = 0; c < G_N_ELEMENTS (ciphers); c++)
    {
      TestScepReplyOptions options = { .status = "0", .leaf = leaf, .cipher = ciphers[c] };
      g_autoptr(GBytes) answer = test_scep_ca_reply (ca, request, &options);
      g_autoptr(CradleScepReply) reply = cradle_scep_reply_parse (answer, &info, scep_ca, signer, key, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (reply->status, ==, CRADLE_SCEP_SUCCESS);
      g_assert_true (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (reply->certificates, 0)), leaf));
    }

  /* Nothing of the private key went either way. */
  g_clear_pointer (&key, cradle_scep_key_free);
  cradle_device_close (fixture.device);
  g_subprocess_wait (fixture.agent, NULL, NULL);
  keystore = cradle_agent_keystore_open_full (fixture.store, fixture.kek, FALSE, &error);
  g_assert_no_error (error);
  private_der = cradle_agent_keystore_decrypt_key (keystore, key_id, &error);
  g_assert_no_error (error);
  g_byte_array_append (spki_bytes, g_bytes_get_data (spki, NULL), g_bytes_get_size (spki));
  /* What comes before the modulus is PKCS#8's public structure (versions,
   * rsaEncryption's AlgorithmIdentifier), which the SCEP envelope the host
   * now shows the device carries too: the private part starts after it. */
  while (first + window <= private_der->size && !contains_window (spki_bytes, private_der->data + first, window))
    first++;
  g_assert_cmpuint (first, <, 64);
  for (gsize i = first; i + window <= private_der->size; i++)
    {
      if (contains_window (spki_bytes, private_der->data + i, window))
        continue;
      g_assert_false (contains_window (fixture.sent, private_der->data + i, window));
      g_assert_false (contains_window (fixture.received, private_der->data + i, window));
    }
  agent_fixture_stop (&fixture);
}

/* A TBSCertificate of a self-signed certificate for @spki. */
static GBytes *
tbs_for (GBytes *spki)
{
  g_autoptr(EVP_PKEY) public_key = test_public_key_from_der (spki);
  g_autoptr(X509) cert = X509_new ();
  g_autoptr(X509_NAME) name = X509_NAME_new ();
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const guint8 *) "signer", -1, -1, 0));
  g_assert_true (X509_set_version (cert, X509_VERSION_3));
  g_assert_true (ASN1_INTEGER_set (X509_get_serialNumber (cert), 7));
  g_assert_true (X509_set_subject_name (cert, name));
  g_assert_true (X509_set_issuer_name (cert, name));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notBefore (cert), 0));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notAfter (cert), 60));
  g_assert_true (X509_set_pubkey (cert, public_key));
  g_assert_true (X509_ALGOR_set0 ((X509_ALGOR *) X509_get0_tbs_sigalg (cert),
                                  OBJ_nid2obj (EVP_PKEY_is_a (public_key, "RSA") ? NID_sha256WithRSAEncryption
                                                                                 : NID_ecdsa_with_SHA256),
                                  EVP_PKEY_is_a (public_key, "RSA") ? V_ASN1_NULL : V_ASN1_UNDEF, NULL));
  size = i2d_re_X509_tbs (cert, &der);
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

static void
assert_sign_refused (AgentFixture            *fixture,
                     GBytes                  *key_id,
                     CradleDeviceSignPurpose  purpose,
                     GBytes                  *data,
                     int                      code)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (cradle_device_sign (fixture->device, key_id, purpose, data, "sha256", NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, code);
  g_test_message ("refused: %s", error->message);
}

static void
assert_decrypt_refused (AgentFixture *fixture,
                        GBytes       *key_id,
                        guint         purpose,
                        GBytes       *encrypted_key,
                        gsize         key_size,
                        int           code)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (cradle_device_decrypt (fixture->device, key_id, purpose, encrypted_key, key_size, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, code);
  g_test_message ("refused: %s", error->message);
}

static GBytes *
encrypt_to (GBytes       *spki,
            const guint8 *data,
            gsize         size)
{
  g_autoptr(EVP_PKEY) public_key = test_public_key_from_der (spki);
  g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new_from_pkey (NULL, public_key, NULL);
  guint8 out[512];
  size_t out_size = sizeof out;

  g_assert_true (EVP_PKEY_encrypt_init (ctx) == 1);
  g_assert_true (EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PADDING) == 1);
  g_assert_true (EVP_PKEY_encrypt (ctx, out, &out_size, data, size) == 1);
  return g_bytes_new (out, out_size);
}

static void
test_refusals (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) other_spki = NULL;
  g_autoptr(GBytes) ec_spki = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) other_id = NULL;
  g_autoptr(GBytes) ec_id = NULL;
  g_autoptr(GBytes) tbs = NULL;
  g_autoptr(GBytes) other_tbs = NULL;
  g_autoptr(GBytes) ec_tbs = NULL;
  g_autoptr(GBytes) garbage = g_bytes_new_static ("\x31\x03\x30\x01\x00", 5);
  g_autoptr(GBytes) absent = g_bytes_new_static ("0123456789abcdef", 16);
  g_autoptr(GBytes) encrypted = NULL;
  g_autoptr(GBytes) cek = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autoptr(GBytes) declined_request = NULL;
  static const guint8 key16[16] = "sixteen byte key";

  /* Certification requests are declined; SCEP's signatures are not asked about. */
  agent_fixture_start (&fixture, "--confirm=approve", "--confirm-sign=decline", NULL);
  key_id = generate (&fixture, "rsa2048", &spki);
  other_id = generate (&fixture, "rsa2048", &other_spki);
  ec_id = generate (&fixture, "p256", &ec_spki);
  tbs = tbs_for (spki);
  other_tbs = tbs_for (other_spki);
  ec_tbs = tbs_for (ec_spki);
  public_key = test_public_key_from_der (spki);
  declined_request = test_request_info (public_key, "declined");

  signature = cradle_device_sign (fixture.device, key_id, CRADLE_DEVICE_SIGN_SCEP_SIGNER, tbs, "sha256", NULL,
                                  NULL, &error);
  g_assert_no_error (error);
  g_assert_true (test_verify (public_key, tbs, signature));
  g_clear_pointer (&signature, g_bytes_unref);
  /* An EC key may sign its signer certificate; it cannot decrypt. */
  signature = cradle_device_sign (fixture.device, ec_id, CRADLE_DEVICE_SIGN_SCEP_SIGNER, ec_tbs, "sha256", NULL,
                                  NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&signature, g_bytes_unref);
  encrypted = encrypt_to (spki, key16, sizeof key16);
  cek = cradle_device_decrypt (fixture.device, key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, encrypted, 16,
                               NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (cek, NULL), 16, key16, 16);

  assert_sign_refused (&fixture, key_id, CRADLE_DEVICE_SIGN_CERTIFICATION_REQUEST, declined_request,
                       CRADLE_ERROR_USER_DECLINED);
  assert_sign_refused (&fixture, key_id, CRADLE_DEVICE_SIGN_SCEP_SIGNER, other_tbs, CRADLE_ERROR_INVALID_DATA);
  assert_sign_refused (&fixture, key_id, CRADLE_DEVICE_SIGN_SCEP_SIGNER, garbage, CRADLE_ERROR_INVALID_DATA);
  assert_sign_refused (&fixture, key_id, CRADLE_DEVICE_SIGN_SCEP_MESSAGE, garbage, CRADLE_ERROR_INVALID_DATA);
  assert_sign_refused (&fixture, key_id, CRADLE_DEVICE_SIGN_SCEP_MESSAGE, tbs, CRADLE_ERROR_INVALID_DATA);
  assert_sign_refused (&fixture, key_id, (CradleDeviceSignPurpose) 6, tbs, CRADLE_ERROR_NOT_SUPPORTED);
  assert_sign_refused (&fixture, absent, CRADLE_DEVICE_SIGN_SCEP_SIGNER, tbs, CRADLE_ERROR_NOT_FOUND);
  assert_decrypt_refused (&fixture, ec_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, encrypted, 16,
                          CRADLE_ERROR_NOT_SUPPORTED);
  assert_decrypt_refused (&fixture, key_id, 2, encrypted, 16, CRADLE_ERROR_NOT_SUPPORTED);
  assert_decrypt_refused (&fixture, key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, encrypted, 12,
                          CRADLE_ERROR_INVALID_DATA);
  assert_decrypt_refused (&fixture, key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, garbage, 16,
                          CRADLE_ERROR_INVALID_DATA);
  assert_decrypt_refused (&fixture, absent, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, encrypted, 16,
                          CRADLE_ERROR_NOT_FOUND);

  /* Enrolled: its certificate installed, the key does no more SCEP. */
  {
    g_autoptr(EVP_PKEY) issuer = test_key_new ();
    g_autoptr(GBytes) cert = test_cert ("enrolled", public_key, "Some CA", issuer, FALSE);
    g_autoptr(GPtrArray) install = g_ptr_array_new_with_free_func (g_object_unref);

    g_ptr_array_add (install, cradle_device_cert_new ("MY", "user", cert, key_id));
    g_assert_true (cradle_device_install (fixture.device, install, NULL, NULL, &error));
    g_assert_no_error (error);
  }
  assert_sign_refused (&fixture, key_id, CRADLE_DEVICE_SIGN_SCEP_SIGNER, tbs, CRADLE_ERROR_PERMISSION_DENIED);
  assert_sign_refused (&fixture, key_id, CRADLE_DEVICE_SIGN_SCEP_MESSAGE, garbage, CRADLE_ERROR_PERMISSION_DENIED);
  assert_decrypt_refused (&fixture, key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, encrypted, 16,
                          CRADLE_ERROR_PERMISSION_DENIED);
  /* The other key is still pending, and still may. */
  signature = cradle_device_sign (fixture.device, other_id, CRADLE_DEVICE_SIGN_SCEP_SIGNER, other_tbs, "sha256",
                                  NULL, NULL, &error);
  g_assert_no_error (error);
  agent_fixture_stop (&fixture);
}

/* A SCEP key whose signatures are made on the device, and recorded. */
typedef struct {
  CradleDevice *device;
  GBytes       *key_id;
  GBytes       *attributes;   /* the last purpose 3 request */
  GBytes       *content;
} RecordingKey;

static void
recording_key_free (gpointer data)
{
  RecordingKey *recording = data;

  g_clear_pointer (&recording->key_id, g_bytes_unref);
  g_clear_pointer (&recording->attributes, g_bytes_unref);
  g_clear_pointer (&recording->content, g_bytes_unref);
  g_free (recording);
}

static GBytes *
recording_sign (CradleScepKey            *key,
                CradleDeviceSignPurpose   purpose,
                GBytes                   *data,
                GBytes                   *content,
                const char               *digest,
                GCancellable             *cancellable,
                GError                  **error)
{
  RecordingKey *recording = key->user_data;

  if (content == NULL)
    return cradle_device_sign (recording->device, recording->key_id, purpose, data, digest, NULL, cancellable, error);
  g_clear_pointer (&recording->attributes, g_bytes_unref);
  g_clear_pointer (&recording->content, g_bytes_unref);
  recording->attributes = g_bytes_ref (data);
  recording->content = g_bytes_ref (content);
  return cradle_device_sign_scep_message (recording->device, recording->key_id, data, content, digest,
                                          cancellable, error);
}

static GBytes *
recording_decrypt (CradleScepKey  *key,
                   GBytes         *encrypted_key,
                   gsize           key_size,
                   GCancellable   *cancellable,
                   GError        **error)
{
  RecordingKey *recording = key->user_data;

  return cradle_device_decrypt (recording->device, recording->key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY,
                                encrypted_key, key_size, cancellable, error);
}

static const CradleScepKeyOps recording_ops = { recording_sign, recording_decrypt };

static void
assert_message_refused (AgentFixture *fixture,
                        GBytes       *key_id,
                        GBytes       *attributes,
                        GBytes       *content,
                        int           code)
{
  g_autoptr(GError) error = NULL;

  if (content != NULL)
    g_assert_null (cradle_device_sign_scep_message (fixture->device, key_id, attributes, content, "sha256",
                                                    NULL, &error));
  else
    g_assert_null (cradle_device_sign (fixture->device, key_id, CRADLE_DEVICE_SIGN_SCEP_MESSAGE, attributes,
                                       "sha256", NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, code);
  g_test_message ("refused: %s", error->message);
}

static GBytes *
my_fingerprint (AgentFixture *fixture,
                guint         expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) mine = cradle_device_list_certs (fixture->device, "MY", "user", NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (mine->len, ==, expected);
  return expected > 0 ? test_sha256 (cradle_device_cert_get_der (g_ptr_array_index (mine, 0))) : NULL;
}

/* The attack: delete the user's certificate (no question asked) so that
 * its key is "pending" again, then use it: purpose 3, DECRYPT, INSTALL the
 * certificate back so nothing looks changed, or DELETE_KEY. */
static void
test_attack_key_reuse_after_delete_cert (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(TestScepCa) ca = test_scep_ca_new ("Bridge SCEP CA");
  g_autoptr(GBytes) ca_der = test_scep_ca_der (ca);
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autoptr(CradleScepKey) key = NULL;
  g_autoptr(CradleScepCa) scep_ca = NULL;
  g_autoptr(X509) signer = NULL;
  g_autoptr(X509_NAME) subject = X509_NAME_new ();
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(TestScepRequest) request = NULL;
  g_autoptr(GBytes) leaf = NULL;
  g_autoptr(GBytes) fingerprint = NULL;
  g_autoptr(GBytes) tbs = NULL;
  g_autoptr(GBytes) encrypted = NULL;
  g_autoptr(GBytes) cek = NULL;
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GPtrArray) install = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  g_autofree char *transaction_id = NULL;
  g_autofree char *algorithm = NULL;
  CradleScepMessageInfo info = { .type = CRADLE_SCEP_PKCS_REQ, .digest = "sha256", .cipher = "aes-128-cbc" };
  RecordingKey *recording;
  static const guint8 key16[16] = "sixteen byte key";

  /* A SCEP enrollment, as the host makes it; the device's user would say
   * no to deleting the certificate. */
  agent_fixture_start (&fixture, "--confirm=approve", "--confirm-delete=decline", NULL);
  key_id = generate (&fixture, "rsa2048", &spki);
  public_key = test_public_key_from_der (spki);
  recording = g_new0 (RecordingKey, 1);
  recording->device = fixture.device;
  recording->key_id = g_bytes_ref (key_id);
  key = cradle_scep_key_new (&recording_ops, recording, recording_key_free, spki, &error);
  g_assert_no_error (error);
  scep_ca = cradle_scep_ca_parse ("application/x-x509-ca-cert", ca_der, &error);
  g_assert_no_error (error);
  csr = csr_for (public_key, &fixture, key_id);
  transaction_id = cradle_scep_transaction_id (key);
  info.transaction_id = transaction_id;
  memset (info.sender_nonce, 0x7e, sizeof info.sender_nonce);
  g_assert_true (X509_NAME_add_entry_by_txt (subject, "CN", MBSTRING_ASC, (const guint8 *) "scep-device", -1, -1, 0));
  signer = cradle_scep_make_signer (key, subject, transaction_id, "sha256", NULL, &error);
  g_assert_no_error (error);
  message = cradle_scep_message_build (&info, csr, scep_ca->recipient, signer, key, NULL, &error);
  g_assert_no_error (error);
  request = test_scep_ca_read_request (ca, message);
  g_assert_true (g_bytes_equal (request->message_data, csr));
  g_assert_nonnull (recording->attributes);
  tbs = tbs_for (spki);
  encrypted = encrypt_to (spki, key16, sizeof key16);
  cek = cradle_device_decrypt (fixture.device, key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, encrypted, 16,
                               NULL, &error);
  g_assert_no_error (error);

  /* Issued and installed: the key is enrolled. */
  leaf = test_scep_ca_issue (ca, csr);
  g_ptr_array_add (install, cradle_device_cert_new ("MY", "user", leaf, key_id));
  g_assert_true (cradle_device_install (fixture.device, install, NULL, NULL, &error));
  g_assert_no_error (error);
  fingerprint = my_fingerprint (&fixture, 1);

  /* Deleting the certificate asks the device's user; a no keeps it. */
  g_assert_false (cradle_device_delete_cert (fixture.device, "MY", "user", fingerprint, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED);
  g_test_message ("refused: %s", error->message);
  g_clear_error (&error);
  g_clear_pointer (&fingerprint, g_bytes_unref);
  fingerprint = my_fingerprint (&fixture, 1);

  /* With a yes the certificate goes, and its key is retired for good. */
  agent_fixture_restart (&fixture, "--confirm=approve", NULL);
  recording->device = fixture.device;
  g_assert_true (cradle_device_delete_cert (fixture.device, "MY", "user", fingerprint, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&fingerprint, g_bytes_unref);
  fingerprint = my_fingerprint (&fixture, 0);

  /* Replaying the very requests that worked while it was made: refused. */
  assert_message_refused (&fixture, key_id, recording->attributes, recording->content,
                          CRADLE_ERROR_PERMISSION_DENIED);
  assert_sign_refused (&fixture, key_id, CRADLE_DEVICE_SIGN_SCEP_SIGNER, tbs, CRADLE_ERROR_PERMISSION_DENIED);
  assert_decrypt_refused (&fixture, key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, encrypted, 16,
                          CRADLE_ERROR_PERMISSION_DENIED);
  request_info = test_request_info (public_key, "again");
  g_assert_null (cradle_device_sign_request (fixture.device, key_id, request_info, "sha256", &algorithm, NULL,
                                             &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  /* INSTALL cannot put the certificate back, so the change shows. */
  g_assert_false (cradle_device_install (fixture.device, install, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_test_message ("refused: %s", error->message);
  g_clear_error (&error);
  fingerprint = my_fingerprint (&fixture, 0);
  /* Nor can a host destroy the key. */
  g_assert_false (cradle_device_delete_key (fixture.device, key_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  g_clear_pointer (&key, cradle_scep_key_free);
  agent_fixture_stop (&fixture);
}

/* PKCSReq signed attributes with @message_digest, for @transaction_id. */
static GBytes *
attributes_for (GBytes     *message_digest,
                const char *transaction_id)
{
  STACK_OF (X509_ATTRIBUTE) *attributes = NULL;
  g_autoptr(ASN1_OBJECT) type_oid = OBJ_txt2obj ("2.16.840.1.113733.1.9.2", 1);
  g_autoptr(ASN1_OBJECT) nonce_oid = OBJ_txt2obj ("2.16.840.1.113733.1.9.5", 1);
  g_autoptr(ASN1_OBJECT) id_oid = OBJ_txt2obj ("2.16.840.1.113733.1.9.7", 1);
  static const guint8 nonce[16] = "nonce-of-16-byte";
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  g_assert_nonnull (X509at_add1_attr_by_NID (&attributes, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                             (const guint8 *) OBJ_nid2obj (NID_pkcs7_data), -1));
  g_assert_nonnull (X509at_add1_attr_by_NID (&attributes, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING,
                                             g_bytes_get_data (message_digest, NULL),
                                             (int) g_bytes_get_size (message_digest)));
  g_assert_nonnull (X509at_add1_attr_by_OBJ (&attributes, type_oid, V_ASN1_PRINTABLESTRING,
                                             (const guint8 *) "19", 2));
  g_assert_nonnull (X509at_add1_attr_by_OBJ (&attributes, nonce_oid, V_ASN1_OCTET_STRING, nonce, sizeof nonce));
  g_assert_nonnull (X509at_add1_attr_by_OBJ (&attributes, id_oid, V_ASN1_PRINTABLESTRING,
                                             (const guint8 *) transaction_id, (int) strlen (transaction_id)));
  size = ASN1_item_i2d ((ASN1_VALUE *) attributes, &der, ASN1_ITEM_rptr (PKCS7_ATTR_SIGN));
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  sk_X509_ATTRIBUTE_pop_free (attributes, X509_ATTRIBUTE_free);
  return bytes;
}

static GBytes *
sha256_of (GBytes *data)
{
  guint8 digest[32];
  gsize size = sizeof digest;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (checksum, g_bytes_get_data (data, NULL), (gssize) g_bytes_get_size (data));
  g_checksum_get_digest (checksum, digest, &size);
  return g_bytes_new (digest, size);
}

/* A pkcsPKIEnvelope of @text to @recipient. */
static GBytes *
envelope_of (const char *text,
             X509       *recipient)
{
  g_autoptr(BIO) in = BIO_new_mem_buf (text, -1);
  STACK_OF (X509) *recipients = sk_X509_new_null ();
  PKCS7 *enveloped;
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  sk_X509_push (recipients, recipient);
  enveloped = PKCS7_encrypt (recipients, in, EVP_aes_128_cbc (), PKCS7_BINARY);
  sk_X509_free (recipients);
  g_assert_nonnull (enveloped);
  size = i2d_PKCS7 (enveloped, &der);
  PKCS7_free (enveloped);
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

/* The attack: SIGN purpose 3 with the messageDigest of a text of the
 * attacker's ("Pay Mallory 1,000,000 EUR") would be a valid detached CMS
 * signature over that text. The device signs only over a SCEP envelope it
 * is shown, for its key's own transaction, and only for a SCEP key. */
static void
test_attack_message_over_arbitrary_content (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(TestScepCa) ca = test_scep_ca_new ("Bridge SCEP CA");
  g_autoptr(GBytes) ca_der = test_scep_ca_der (ca);
  g_autoptr(CradleScepCa) scep_ca = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) request_id = NULL;
  g_autoptr(GBytes) request_spki = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autoptr(GBytes) mallory = g_bytes_new_static ("Pay Mallory 1,000,000 EUR", 25);
  g_autoptr(GBytes) mallory_digest = sha256_of (mallory);
  g_autoptr(GBytes) envelope = NULL;
  g_autoptr(GBytes) envelope_digest = NULL;
  g_autoptr(GBytes) for_mallory = NULL;
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) other_transaction = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *transaction_id = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  key_id = generate (&fixture, "rsa2048", &spki);
  public_key = test_public_key_from_der (spki);
  scep_ca = cradle_scep_ca_parse ("application/x-x509-ca-cert", ca_der, &error);
  g_assert_no_error (error);
  envelope = envelope_of ("a certification request", scep_ca->recipient);
  envelope_digest = sha256_of (envelope);
  hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, spki);
  transaction_id = g_ascii_strup (hex, -1);

  /* The messageDigest of Mallory's text: with no content (as before), with
   * the text as content, with a real envelope as content. */
  for_mallory = attributes_for (mallory_digest, transaction_id);
  assert_message_refused (&fixture, key_id, for_mallory, NULL, CRADLE_ERROR_INVALID_DATA);
  assert_message_refused (&fixture, key_id, for_mallory, mallory, CRADLE_ERROR_INVALID_DATA);
  assert_message_refused (&fixture, key_id, for_mallory, envelope, CRADLE_ERROR_INVALID_DATA);
  /* Another transaction's id. */
  other_transaction = attributes_for (envelope_digest, "4F1D2A0B9C");
  assert_message_refused (&fixture, key_id, other_transaction, envelope, CRADLE_ERROR_INVALID_DATA);

  /* What a SCEP client sends is signed. */
  good = attributes_for (envelope_digest, transaction_id);
  signature = cradle_device_sign_scep_message (fixture.device, key_id, good, envelope, "sha256", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (test_verify (public_key, good, signature));

  /* A key made for a certification request serves no SCEP operation. */
  request_id = cradle_device_generate_key (fixture.device, "rsa2048", "request", &request_spki, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GBytes) request_tbs = tbs_for (request_spki);
    g_autofree char *request_hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, request_spki);
    g_autofree char *request_transaction = g_ascii_strup (request_hex, -1);
    g_autoptr(GBytes) request_attributes = attributes_for (envelope_digest, request_transaction);
    static const guint8 key16[16] = "sixteen byte key";
    g_autoptr(GBytes) encrypted = encrypt_to (request_spki, key16, sizeof key16);

    assert_sign_refused (&fixture, request_id, CRADLE_DEVICE_SIGN_SCEP_SIGNER, request_tbs,
                         CRADLE_ERROR_PERMISSION_DENIED);
    assert_message_refused (&fixture, request_id, request_attributes, envelope, CRADLE_ERROR_PERMISSION_DENIED);
    assert_decrypt_refused (&fixture, request_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, encrypted, 16,
                            CRADLE_ERROR_PERMISSION_DENIED);
  }
  agent_fixture_stop (&fixture);
}

static void
on_signed (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  GBytes **out = data;
  g_autoptr(GError) error = NULL;

  *out = cradle_device_sign_finish (CRADLE_DEVICE (source), result, NULL, &error);
  g_assert_no_error (error);
}

static void
on_decrypted (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  GBytes **out = data;
  g_autoptr(GError) error = NULL;

  *out = cradle_device_decrypt_finish (CRADLE_DEVICE (source), result, &error);
  g_assert_no_error (error);
}

static void
test_async (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) tbs = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) encrypted = NULL;
  g_autoptr(GBytes) cek = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  static const guint8 key24[24] = "twenty-four byte key 3DE";

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  key_id = generate (&fixture, "rsa2048", &spki);
  public_key = test_public_key_from_der (spki);
  tbs = tbs_for (spki);
  encrypted = encrypt_to (spki, key24, sizeof key24);

  cradle_device_sign_async (fixture.device, key_id, CRADLE_DEVICE_SIGN_SCEP_SIGNER, tbs, "sha256", NULL,
                            on_signed, &signature);
  while (signature == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (test_verify (public_key, tbs, signature));
  cradle_device_decrypt_async (fixture.device, key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, encrypted, 24,
                               NULL, on_decrypted, &cek);
  while (cek == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpmem (g_bytes_get_data (cek, NULL), g_bytes_get_size (cek), key24, sizeof key24);
  agent_fixture_stop (&fixture);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bridge/scep/enrollment-messages", test_enrollment_messages);
  g_test_add_func ("/bridge/scep/refusals", test_refusals);
  g_test_add_func ("/bridge/scep/async", test_async);
  g_test_add_func ("/bridge/scep/attack/key-reuse-after-delete-cert", test_attack_key_reuse_after_delete_cert);
  g_test_add_func ("/bridge/scep/attack/message-over-arbitrary-content", test_attack_message_over_arbitrary_content);

  return g_test_run ();
}
