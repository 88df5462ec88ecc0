/* test-bridge-renewal-scep.c: a device signs a SCEP renewal of its own certificate, and decrypts its answer
 *
 * A real cradle-agent signs a RenewalReq (SIGN purpose 5) with the old
 * certificate's key only when its envelope, opened with the
 * content-encryption key the host gives, carries exactly the request its
 * user confirmed, for the new key's transaction; and a CertPoll for it.
 * DECRYPT with the old key only while that renewal lives, 32 times at most.
 */
#include "config.h"

#include <openssl/cms.h>
#include <openssl/rsa.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-keystore.h"
#include "renewal-test-support.h"
#include "test-files.h"

static void
assert_refused (AgentFixture *fixture,
                GBytes       *key_id,
                GBytes       *attributes,
                GBytes       *envelope,
                GBytes       *content_key,
                int           code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) signature = cradle_device_sign_renewal (fixture->device, key_id,
                                                            CRADLE_DEVICE_SIGN_SCEP_RENEWAL, attributes, envelope,
                                                            content_key, "sha256", NULL, NULL, &error);

  g_assert_null (signature);
  g_assert_error (error, CRADLE_ERROR, code);
}

static GBytes *
spki_of (EVP_PKEY *public_key)
{
  unsigned char *der = NULL;
  int size = i2d_PUBKEY (public_key, &der);
  GBytes *bytes;

  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

static GBytes *
encrypt_to (EVP_PKEY     *public_key,
            const guint8 *key,
            gsize         size)
{
  g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new (public_key, NULL);
  guint8 out[512];
  gsize out_size = sizeof out;

  g_assert_true (EVP_PKEY_encrypt_init (ctx) == 1);
  g_assert_true (EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PADDING) == 1);
  g_assert_true (EVP_PKEY_encrypt (ctx, out, &out_size, key, size) == 1);
  return g_bytes_new (out, out_size);
}

/* What the CA reads from the envelope, with its own key. */
static GBytes *
ca_opens (GBytes   *envelope,
          GBytes   *ca_cert,
          EVP_PKEY *ca_key)
{
  const guint8 *p = g_bytes_get_data (envelope, NULL);
  g_autoptr(CMS_ContentInfo) cms = d2i_CMS_ContentInfo (NULL, &p, (long) g_bytes_get_size (envelope));
  g_autoptr(BIO) out = BIO_new (BIO_s_mem ());
  g_autoptr(X509) cert = NULL;
  char *data = NULL;
  long size;

  p = g_bytes_get_data (ca_cert, NULL);
  cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (ca_cert));
  g_assert_nonnull (cms);
  g_assert_true (CMS_decrypt (cms, ca_key, cert, NULL, out, CMS_BINARY) == 1);
  size = BIO_get_mem_data (out, &data);
  return g_bytes_new (data, size);
}

static void
test_scep_renewal (void)
{
  static const guint8 key16[16] = "content-key-16b";
  static const guint8 answer_key[16] = "answer-key-16byt";
  AgentFixture fixture = { 0 };
  RenewalOld old = { 0 };
  g_autoptr(EVP_PKEY) new_public = NULL;
  g_autoptr(GBytes) new_key_id = NULL;
  g_autoptr(GBytes) new_spki = NULL;
  g_autoptr(GBytes) ca_cert = NULL;
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) content_key = g_bytes_new_static (key16, sizeof key16);
  g_autoptr(GBytes) envelope = NULL;
  g_autoptr(GBytes) attributes = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) opened = NULL;
  g_autoptr(GBytes) encrypted_answer = NULL;
  g_autofree char *transaction_id = NULL;
  g_autofree char *algorithm = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  renewal_enroll (&fixture, &old);
  ca_cert = test_cert ("Renewal CA", old.ca_key, "Renewal CA", old.ca_key, TRUE);
  encrypted_answer = encrypt_to (old.old_public, answer_key, sizeof answer_key);

  /* No renewal yet: the enrolled key decrypts nothing. */
  g_assert_null (cradle_device_decrypt (fixture.device, old.old_key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY,
                                        encrypted_answer, 16, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  new_key_id = renewal_generate (&fixture, &new_public);
  new_spki = spki_of (new_public);
  transaction_id = renewal_transaction_id (new_spki);
  request_info = renewal_request_info (new_public, "renewal-user", old.old_cert);
  request = renewal_sign_request (&fixture, new_key_id, request_info, &error);
  g_assert_no_error (error);

  /* The RenewalReq: signed by the old key, the CA reads the confirmed request. */
  envelope = renewal_envelope (request, content_key, ca_cert, old.ca_key);
  opened = ca_opens (envelope, ca_cert, old.ca_key);
  g_assert_true (g_bytes_equal (opened, request));
  attributes = renewal_scep_attributes (envelope, "17", transaction_id);
  signature = cradle_device_sign_renewal (fixture.device, old.old_key_id, CRADLE_DEVICE_SIGN_SCEP_RENEWAL,
                                          attributes, envelope, content_key, "sha256", &algorithm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (test_verify (old.old_public, attributes, signature));

  /* A PKCSReq is not the old key's to sign. */
  {
    g_autoptr(GBytes) pkcs_req = renewal_scep_attributes (envelope, "19", transaction_id);

    assert_refused (&fixture, old.old_key_id, pkcs_req, envelope, content_key, CRADLE_ERROR_INVALID_DATA);
  }
  /* Another key's transaction: one without a renewal, one the device does not hold. */
  {
    g_autoptr(EVP_PKEY) other_public = NULL;
    g_autoptr(GBytes) other_key_id = renewal_generate (&fixture, &other_public);
    g_autoptr(GBytes) other_spki = spki_of (other_public);
    g_autofree char *other_id = renewal_transaction_id (other_spki);
    g_autoptr(GBytes) other = renewal_scep_attributes (envelope, "17", other_id);
    g_autoptr(GBytes) unknown = renewal_scep_attributes (envelope, "17", "4F1D2A0B9C");

    assert_refused (&fixture, old.old_key_id, other, envelope, content_key, CRADLE_ERROR_PERMISSION_DENIED);
    assert_refused (&fixture, old.old_key_id, unknown, envelope, content_key, CRADLE_ERROR_INVALID_DATA);
  }
  /* An envelope the key does not open, or holding a request of the host's own. */
  {
    static const guint8 other_key16[16] = "another-key-16by";
    g_autoptr(GBytes) wrong_key = g_bytes_new_static (other_key16, sizeof other_key16);
    g_autoptr(EVP_PKEY) host_key = test_key_new ();
    g_autoptr(X509_REQ) host_req = X509_REQ_new ();
    g_autoptr(GBytes) host_request = NULL;
    g_autoptr(GBytes) host_envelope = NULL;
    g_autoptr(GBytes) host_attributes = NULL;
    unsigned char *der = NULL;
    int size;

    assert_refused (&fixture, old.old_key_id, attributes, envelope, wrong_key, CRADLE_ERROR_INVALID_DATA);
    {
      g_autoptr(X509_NAME) name = X509_NAME_new ();
      g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj ("1.3.6.1.4.1.311.13.1", 1);

      g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const guint8 *) "renewal-user", -1, -1, 0));
      g_assert_true (X509_REQ_set_subject_name (host_req, name));
      g_assert_true (X509_REQ_set_pubkey (host_req, host_key));
      g_assert_true (X509_REQ_add1_attr_by_OBJ (host_req, oid, V_ASN1_SEQUENCE, g_bytes_get_data (old.old_cert, NULL),
                                                (int) g_bytes_get_size (old.old_cert)));
      g_assert_cmpint (X509_REQ_sign (host_req, host_key, EVP_sha256 ()), >, 0);
    }
    size = i2d_X509_REQ (host_req, &der);
    g_assert_cmpint (size, >, 0);
    host_request = g_bytes_new (der, size);
    OPENSSL_free (der);
    host_envelope = renewal_envelope (host_request, content_key, ca_cert, old.ca_key);
    host_attributes = renewal_scep_attributes (host_envelope, "17", transaction_id);
    assert_refused (&fixture, old.old_key_id, host_attributes, host_envelope, content_key,
                    CRADLE_ERROR_INVALID_DATA);
  }
  /* Without the content-encryption key (field 6) the device cannot look. */
  {
    g_autoptr(GBytes) unsigned_one = cradle_device_sign (fixture.device, old.old_key_id,
                                                         CRADLE_DEVICE_SIGN_SCEP_RENEWAL, attributes, "sha256",
                                                         NULL, NULL, &error);

    g_assert_null (unsigned_one);
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  /* A CertPoll for the pending renewal, to the old certificate's CA only. */
  {
    g_autoptr(GBytes) poll = renewal_issuer_and_subject (old.old_cert);
    g_autoptr(GBytes) poll_envelope = renewal_envelope (poll, content_key, ca_cert, old.ca_key);
    g_autoptr(GBytes) poll_attributes = renewal_scep_attributes (poll_envelope, "20", transaction_id);
    g_autoptr(GBytes) poll_signature = NULL;
    g_autoptr(EVP_PKEY) stranger = test_key_new ();
    g_autoptr(GBytes) foreign = test_cert ("renewal-user", stranger, "Another CA", stranger, FALSE);
    g_autoptr(GBytes) foreign_poll = renewal_issuer_and_subject (foreign);
    g_autoptr(GBytes) foreign_envelope = renewal_envelope (foreign_poll, content_key, ca_cert, old.ca_key);
    g_autoptr(GBytes) foreign_attributes = renewal_scep_attributes (foreign_envelope, "20", transaction_id);

    poll_signature = cradle_device_sign_renewal (fixture.device, old.old_key_id, CRADLE_DEVICE_SIGN_SCEP_RENEWAL,
                                                 poll_attributes, poll_envelope, content_key, "sha256", NULL, NULL,
                                                 &error);
    g_assert_no_error (error);
    g_assert_true (test_verify (old.old_public, poll_attributes, poll_signature));
    assert_refused (&fixture, old.old_key_id, foreign_attributes, foreign_envelope, content_key,
                    CRADLE_ERROR_INVALID_DATA);
  }

  /* The answer, encrypted to the old certificate: 32 decryptions per renewal. */
  for (guint i = 0; i < CRADLE_AGENT_MAX_DECRYPTIONS; i++)
    {
      g_autoptr(GBytes) opened_key = cradle_device_decrypt (fixture.device, old.old_key_id,
                                                            CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, encrypted_answer,
                                                            16, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (opened_key, NULL), 16, answer_key, 16);
    }
  g_assert_null (cradle_device_decrypt (fixture.device, old.old_key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY,
                                        encrypted_answer, 16, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  /* Another computer paired with the device has no part in this renewal. */
  {
    g_autofree char *first_host = g_steal_pointer (&fixture.host_state);

    agent_fixture_end_session (&fixture);
    agent_fixture_start (&fixture, "--confirm=approve", NULL);
    assert_refused (&fixture, old.old_key_id, attributes, envelope, content_key, CRADLE_ERROR_PERMISSION_DENIED);
    agent_fixture_end_session (&fixture);
    test_remove_tree (fixture.host_state);
    g_free (fixture.host_state);
    fixture.host_state = g_steal_pointer (&first_host);
    agent_fixture_start (&fixture, "--confirm=approve", NULL);
  }

  /* The new certificate installed: the renewal is over for both. */
  {
    g_autoptr(GBytes) new_cert = test_cert ("renewal-user", new_public, "Renewal CA", old.ca_key, FALSE);
    g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);

    g_ptr_array_add (certs, cradle_device_cert_new ("MY", "user", new_cert, new_key_id));
    g_assert_true (cradle_device_install (fixture.device, certs, NULL, NULL, &error));
    g_assert_no_error (error);
    assert_refused (&fixture, old.old_key_id, attributes, envelope, content_key, CRADLE_ERROR_PERMISSION_DENIED);
  }
  g_assert_null (cradle_device_decrypt (fixture.device, old.old_key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY,
                                        encrypted_answer, 16, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  renewal_old_clear (&old);
  agent_fixture_stop (&fixture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge/renewal/scep", test_scep_renewal);
  return g_test_run ();
}
