/* test-bridge-scep.c: SCEP's private-key operations over the bridge
 *
 * A real cradle-agent signs the transient signer certificate (SIGN purpose
 * 2) and a pkiMessage's attributes (purpose 3), and decrypts a CertRep's
 * content-encryption key (DECRYPT), all for a key pending enrollment and
 * without asking its user; it refuses another key's certificate, bytes of
 * the wrong shape, enrolled keys, EC keys for DECRYPT. The recorded session
 * holds no part of the private key.
 */
#include "config.h"

#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "cradle-agent-keystore-private.h"
#include "cradle-scep-private.h"
#include "scep-test-ca.h"

static GBytes *
generate (AgentFixture *fixture,
          const char   *key_type,
          GBytes      **spki)
{
  g_autoptr(GError) error = NULL;
  GBytes *key_id = cradle_device_generate_key (fixture->device, key_type, "SCEP test", spki, NULL, &error);

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
  for (gsize i = 0; i + window <= private_der->size; i++)
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
  assert_sign_refused (&fixture, key_id, (CradleDeviceSignPurpose) 4, tbs, CRADLE_ERROR_NOT_SUPPORTED);
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

  return g_test_run ();
}
