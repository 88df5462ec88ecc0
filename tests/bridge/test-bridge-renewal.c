/* test-bridge-renewal.c: a device signs a renewal of its own certificate, and nothing else
 *
 * A real cradle-agent confirms a renewal (SIGN purpose 1 with the renewal
 * attribute) and then signs with the old certificate's key the CMS of an
 * MS-WCCE renewal (purpose 4, verified here by OpenSSL as a SignedData over
 * the request with the old certificate as its signer) and a SCEP
 * RenewalReq (purpose 5), and decrypts that renewal's SCEP answer; for a
 * new key and for the same key. Each refusal of docs/bridge-protocol.md,
 * "Renewal", once; the mark across a restart, its expiry, and its end at
 * INSTALL of the new certificate.
 */
#include "config.h"

#include <openssl/rsa.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-keystore-private.h"
#include "renewal-test-support.h"
#include "test-files.h"

static void
assert_renewal_refused (AgentFixture           *fixture,
                        GBytes                 *key_id,
                        CradleDeviceSignPurpose purpose,
                        GBytes                 *attributes,
                        GBytes                 *content,
                        GBytes                 *content_key,
                        int                     code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) signature = cradle_device_sign_renewal (fixture->device, key_id, purpose, attributes, content,
                                                            content_key, "sha256", NULL, NULL, &error);

  g_assert_null (signature);
  g_assert_error (error, CRADLE_ERROR, code);
}

static GBytes *
sign_cms (AgentFixture *fixture,
          GBytes       *old_key_id,
          GBytes       *attributes,
          GBytes       *request,
          GError      **error)
{
  g_autofree char *algorithm = NULL;
  GBytes *signature = cradle_device_sign_renewal (fixture->device, old_key_id, CRADLE_DEVICE_SIGN_RENEWAL,
                                                  attributes, request, NULL, "sha256", &algorithm, NULL, error);

  if (signature != NULL)
    g_assert_true (g_str_equal (algorithm, "sha256WithRSAEncryption") || g_str_equal (algorithm, "ecdsa-with-SHA256"));
  return signature;
}

static void
assert_request_refused (AgentFixture *fixture,
                        GBytes       *key_id,
                        GBytes       *request_info,
                        int           code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) request = renewal_sign_request (fixture, key_id, request_info, &error);

  g_assert_null (request);
  g_assert_error (error, CRADLE_ERROR, code);
}

static void
install (AgentFixture *fixture,
         GBytes       *cert,
         GBytes       *key_id)
{
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (certs, cradle_device_cert_new ("MY", "user", cert, key_id));
  g_assert_true (cradle_device_install (fixture->device, certs, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* The key the device lists for @cert in MY, or NULL. */
static GBytes *
listed_key (AgentFixture *fixture,
            GBytes       *cert)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) listed = cradle_device_list_certs (fixture->device, "MY", "user", NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < listed->len; i++)
    {
      CradleDeviceCert *item = g_ptr_array_index (listed, i);

      if (g_bytes_equal (cradle_device_cert_get_der (item), cert))
        return cradle_device_cert_get_key_id (item) != NULL ? g_bytes_ref (cradle_device_cert_get_key_id (item))
                                                            : NULL;
    }
  g_assert_not_reached ();
}

/* A new key renews the old certificate: confirmed, signed as a CMS the CA
 * verifies, installed; the mark ends there; the old certificate goes with
 * its user's yes and retires the old key. */
static void
test_new_key (void)
{
  AgentFixture fixture = { 0 };
  RenewalOld old = { 0 };
  g_autoptr(EVP_PKEY) new_public = NULL;
  g_autoptr(GBytes) new_key_id = NULL;
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) attributes = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) carried = NULL;
  g_autoptr(GBytes) new_cert = NULL;
  g_autoptr(GBytes) old_sha256 = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  g_assert_true (cradle_device_has_feature (fixture.device, CRADLE_DEVICE_FEATURE_RENEWAL));
  renewal_enroll (&fixture, &old);
  new_key_id = renewal_generate (&fixture, &new_public);
  request_info = renewal_request_info (new_public, "renewal-user", old.old_cert);
  request = renewal_sign_request (&fixture, new_key_id, request_info, &error);
  g_assert_no_error (error);

  attributes = renewal_cms_attributes (request);
  signature = sign_cms (&fixture, old.old_key_id, attributes, request, &error);
  g_assert_no_error (error);
  g_assert_true (test_verify (old.old_public, attributes, signature));
  carried = renewal_cms_verify (old.old_cert, request, attributes, signature);
  g_assert_nonnull (carried);
  g_assert_true (g_bytes_equal (carried, request));

  /* The new certificate installed to the new key: the renewal is over. */
  new_cert = test_cert ("renewal-user", new_public, "Renewal CA", old.ca_key, FALSE);
  install (&fixture, new_cert, new_key_id);
  assert_renewal_refused (&fixture, old.old_key_id, CRADLE_DEVICE_SIGN_RENEWAL, attributes, request, NULL,
                          CRADLE_ERROR_PERMISSION_DENIED);
  /* Then the old certificate goes, with its user's yes, and its key retires. */
  old_sha256 = test_sha256 (old.old_cert);
  g_assert_true (cradle_device_delete_cert (fixture.device, "MY", "user", old_sha256, NULL, &error));
  g_assert_no_error (error);
  assert_request_refused (&fixture, old.old_key_id, request_info, CRADLE_ERROR_PERMISSION_DENIED);
  renewal_old_clear (&old);
  agent_fixture_stop (&fixture);
}

/* An EC certificate renewed by a new EC key: the CMS is ECDSA's. */
static void
test_new_key_ec (void)
{
  AgentFixture fixture = { 0 };
  RenewalOld old = { 0 };
  g_autoptr(EVP_PKEY) new_public = NULL;
  g_autoptr(GBytes) new_key_id = NULL;
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) attributes = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) carried = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  renewal_enroll_type (&fixture, &old, "p256");
  new_key_id = renewal_generate_type (&fixture, "p384", &new_public);
  request_info = renewal_request_info (new_public, "renewal-user", old.old_cert);
  request = renewal_sign_request (&fixture, new_key_id, request_info, &error);
  g_assert_no_error (error);
  attributes = renewal_cms_attributes (request);
  signature = sign_cms (&fixture, old.old_key_id, attributes, request, &error);
  g_assert_no_error (error);
  carried = renewal_cms_verify (old.old_cert, request, attributes, signature);
  g_assert_nonnull (carried);
  g_assert_true (g_bytes_equal (carried, request));
  renewal_old_clear (&old);
  agent_fixture_stop (&fixture);
}

/* The same key renews its certificate (the template keeps the key): the
 * old key confirms and signs; at INSTALL the new certificate takes the key,
 * the old one stays in MY without it. */
static void
test_same_key (void)
{
  AgentFixture fixture = { 0 };
  RenewalOld old = { 0 };
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) attributes = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) carried = NULL;
  g_autoptr(GBytes) new_cert = NULL;
  g_autoptr(GBytes) bound = NULL;
  g_autoptr(GBytes) old_sha256 = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  renewal_enroll (&fixture, &old);
  /* Without the renewal attribute an enrolled key signs no request. */
  {
    g_autoptr(GBytes) plain = renewal_request_info (old.old_public, "renewal-user", NULL);

    assert_request_refused (&fixture, old.old_key_id, plain, CRADLE_ERROR_PERMISSION_DENIED);
  }
  request_info = renewal_request_info (old.old_public, "renewal-user", old.old_cert);
  request = renewal_sign_request (&fixture, old.old_key_id, request_info, &error);
  g_assert_no_error (error);
  attributes = renewal_cms_attributes (request);
  signature = sign_cms (&fixture, old.old_key_id, attributes, request, &error);
  g_assert_no_error (error);
  carried = renewal_cms_verify (old.old_cert, request, attributes, signature);
  g_assert_true (g_bytes_equal (carried, request));

  new_cert = test_cert ("renewal-user", old.old_public, "Renewal CA", old.ca_key, FALSE);
  install (&fixture, new_cert, old.old_key_id);
  bound = listed_key (&fixture, new_cert);
  g_assert_true (g_bytes_equal (bound, old.old_key_id));
  g_assert_null (listed_key (&fixture, old.old_cert));
  /* The key's certificate is the new one now: the request renews another. */
  assert_renewal_refused (&fixture, old.old_key_id, CRADLE_DEVICE_SIGN_RENEWAL, attributes, request, NULL,
                          CRADLE_ERROR_INVALID_DATA);
  /* The old certificate retires nothing now: deleted without a question
   * (the user would decline one), and the key signs on. */
  agent_fixture_restart (&fixture, "--confirm=approve", "--confirm-delete=decline", NULL);
  old_sha256 = test_sha256 (old.old_cert);
  g_assert_true (cradle_device_delete_cert (fixture.device, "MY", "user", old_sha256, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GBytes) again = renewal_request_info (old.old_public, "renewal-user", new_cert);
    g_autoptr(GBytes) signed_again = renewal_sign_request (&fixture, old.old_key_id, again, &error);

    g_assert_no_error (error);
    g_assert_nonnull (signed_again);
  }
  renewal_old_clear (&old);
  agent_fixture_stop (&fixture);
}

/* Each refusal of purposes 1 and 4 once. */
static void
test_refusals (void)
{
  AgentFixture fixture = { 0 };
  RenewalOld old = { 0 };
  RenewalOld other = { 0 };
  g_autoptr(EVP_PKEY) new_public = NULL;
  g_autoptr(GBytes) new_key_id = NULL;
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GBytes) first_info = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) attributes = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  renewal_enroll (&fixture, &old);
  renewal_enroll (&fixture, &other);
  new_key_id = renewal_generate (&fixture, &new_public);

  /* Purpose 1: a certificate not the device's, one not bound to a key. */
  {
    g_autoptr(EVP_PKEY) stranger = test_key_new ();
    g_autoptr(GBytes) foreign = test_cert ("renewal-user", stranger, "Renewal CA", old.ca_key, FALSE);
    g_autoptr(GBytes) foreign_info = renewal_request_info (new_public, "renewal-user", foreign);
    g_autoptr(GBytes) unbound_info = NULL;

    assert_request_refused (&fixture, new_key_id, foreign_info, CRADLE_ERROR_PERMISSION_DENIED);
    install (&fixture, foreign, NULL);
    unbound_info = renewal_request_info (new_public, "renewal-user", foreign);
    assert_request_refused (&fixture, new_key_id, unbound_info, CRADLE_ERROR_PERMISSION_DENIED);
  }
  /* Another enrolled key signs no renewal of this certificate. */
  request_info = renewal_request_info (other.old_public, "renewal-user", old.old_cert);
  assert_request_refused (&fixture, other.old_key_id, request_info, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_pointer (&request_info, g_bytes_unref);

  /* Purpose 4 before any renewal was confirmed: no mark. */
  {
    first_info = renewal_request_info (new_public, "first-request", old.old_cert);
    first = renewal_sign_request (&fixture, new_key_id, first_info, &error);
    g_assert_no_error (error);
    /* A made key has no certificate to renew with. */
    attributes = renewal_cms_attributes (first);
    assert_renewal_refused (&fixture, new_key_id, CRADLE_DEVICE_SIGN_RENEWAL, attributes, first, NULL,
                            CRADLE_ERROR_PERMISSION_DENIED);
    /* The other certificate's key has no renewal of its own. */
    assert_renewal_refused (&fixture, other.old_key_id, CRADLE_DEVICE_SIGN_RENEWAL, attributes, first, NULL,
                            CRADLE_ERROR_INVALID_DATA);
    g_clear_pointer (&attributes, g_bytes_unref);
  }

  /* A second confirmation replaces the first: the first request is not it. */
  request_info = renewal_request_info (new_public, "renewal-user", old.old_cert);
  request = renewal_sign_request (&fixture, new_key_id, request_info, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GBytes) first_attributes = renewal_cms_attributes (first);

    assert_renewal_refused (&fixture, old.old_key_id, CRADLE_DEVICE_SIGN_RENEWAL, first_attributes, first, NULL,
                            CRADLE_ERROR_INVALID_DATA);
  }
  /* The messageDigest of other bytes than field 5. */
  {
    g_autoptr(GBytes) wrong = renewal_cms_attributes (first);

    assert_renewal_refused (&fixture, old.old_key_id, CRADLE_DEVICE_SIGN_RENEWAL, wrong, request, NULL,
                            CRADLE_ERROR_INVALID_DATA);
  }
  /* Field 5 with a signature the key did not make, or something after it. */
  attributes = renewal_cms_attributes (request);
  {
    GByteArray *bytes = g_byte_array_new ();
    g_autoptr(GBytes) damaged = NULL;
    g_autoptr(GBytes) damaged_attributes = NULL;
    g_autoptr(GBytes) trailing = NULL;
    g_autoptr(GBytes) trailing_attributes = NULL;

    g_byte_array_append (bytes, g_bytes_get_data (request, NULL), g_bytes_get_size (request));
    bytes->data[bytes->len - 1] ^= 0x01;
    damaged = g_byte_array_free_to_bytes (bytes);
    damaged_attributes = renewal_cms_attributes (damaged);
    assert_renewal_refused (&fixture, old.old_key_id, CRADLE_DEVICE_SIGN_RENEWAL, damaged_attributes, damaged,
                            NULL, CRADLE_ERROR_INVALID_DATA);
    bytes = g_byte_array_new ();
    g_byte_array_append (bytes, g_bytes_get_data (request, NULL), g_bytes_get_size (request));
    g_byte_array_append (bytes, (const guint8 *) "\x05\x00", 2);
    trailing = g_byte_array_free_to_bytes (bytes);
    trailing_attributes = renewal_cms_attributes (trailing);
    assert_renewal_refused (&fixture, old.old_key_id, CRADLE_DEVICE_SIGN_RENEWAL, trailing_attributes, trailing,
                            NULL, CRADLE_ERROR_INVALID_DATA);
  }
  /* SCEP attributes are not a CMS renewal's. */
  {
    g_autoptr(GBytes) scep = renewal_scep_attributes (request, "17", "ABC");

    assert_renewal_refused (&fixture, old.old_key_id, CRADLE_DEVICE_SIGN_RENEWAL, scep, request, NULL,
                            CRADLE_ERROR_INVALID_DATA);
  }
  /* The confirmed renewal signs, for this host ... */
  {
    g_autoptr(GBytes) signature = sign_cms (&fixture, old.old_key_id, attributes, request, &error);

    g_assert_no_error (error);
    g_assert_nonnull (signature);
  }
  /* ... and not for another computer paired with the same device. */
  {
    g_autofree char *first_host = g_steal_pointer (&fixture.host_state);

    agent_fixture_end_session (&fixture);
    agent_fixture_start (&fixture, "--confirm=approve", NULL);
    assert_renewal_refused (&fixture, old.old_key_id, CRADLE_DEVICE_SIGN_RENEWAL, attributes, request, NULL,
                            CRADLE_ERROR_PERMISSION_DENIED);
    agent_fixture_end_session (&fixture);
    test_remove_tree (fixture.host_state);
    g_free (fixture.host_state);
    fixture.host_state = g_steal_pointer (&first_host);
    agent_fixture_start (&fixture, "--confirm=approve", NULL);
  }

  /* The user declines: no signature, no mark. */
  agent_fixture_restart (&fixture, "--confirm=approve", "--confirm-sign=decline", NULL);
  {
    g_autoptr(EVP_PKEY) declined_public = NULL;
    g_autoptr(GBytes) declined_key = renewal_generate (&fixture, &declined_public);
    g_autoptr(GBytes) declined_info = renewal_request_info (declined_public, "renewal-user", old.old_cert);
    g_autoptr(CradleAgentKeystore) keystore = NULL;
    g_autoptr(CradleAgentKeyFile) key_file = NULL;

    assert_request_refused (&fixture, declined_key, declined_info, CRADLE_ERROR_USER_DECLINED);
    agent_fixture_end_session (&fixture);
    keystore = cradle_agent_keystore_open_full (fixture.store, fixture.kek, FALSE, &error);
    g_assert_no_error (error);
    key_file = cradle_agent_keystore_load_key (keystore, declined_key, &error);
    g_assert_no_error (error);
    g_assert_null (key_file->mark_renews);
    g_clear_object (&keystore);
  }

  /* A retired key renews nothing: its certificate deleted with its user's yes. */
  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  {
    g_autoptr(GBytes) other_sha256 = test_sha256 (other.old_cert);
    g_autoptr(GBytes) retired_info = renewal_request_info (other.old_public, "renewal-user", other.old_cert);

    g_assert_true (cradle_device_delete_cert (fixture.device, "MY", "user", other_sha256, NULL, &error));
    g_assert_no_error (error);
    assert_request_refused (&fixture, other.old_key_id, retired_info, CRADLE_ERROR_PERMISSION_DENIED);
    assert_renewal_refused (&fixture, other.old_key_id, CRADLE_DEVICE_SIGN_RENEWAL, attributes, request, NULL,
                            CRADLE_ERROR_PERMISSION_DENIED);
  }
  renewal_old_clear (&old);
  renewal_old_clear (&other);
  agent_fixture_stop (&fixture);
}

/* The mark is on the device's storage: it outlives the agent, and it ends
 * CRADLE_AGENT_RENEWAL_DAYS after the confirmation. */
static void
test_mark_persists (void)
{
  AgentFixture fixture = { 0 };
  RenewalOld old = { 0 };
  g_autoptr(EVP_PKEY) new_public = NULL;
  g_autoptr(GBytes) new_key_id = NULL;
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) attributes = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  renewal_enroll (&fixture, &old);
  new_key_id = renewal_generate (&fixture, &new_public);
  request_info = renewal_request_info (new_public, "renewal-user", old.old_cert);
  request = renewal_sign_request (&fixture, new_key_id, request_info, &error);
  g_assert_no_error (error);
  attributes = renewal_cms_attributes (request);

  /* The user who would be asked again says no: the restart asks nothing. */
  agent_fixture_restart (&fixture, "--confirm=decline", NULL);
  signature = sign_cms (&fixture, old.old_key_id, attributes, request, &error);
  g_assert_no_error (error);
  g_assert_true (test_verify (old.old_public, attributes, signature));

  /* 31 days later the mark has expired. */
  agent_fixture_end_session (&fixture);
  {
    g_autoptr(CradleAgentKeystore) keystore = cradle_agent_keystore_open_full (fixture.store, fixture.kek, FALSE,
                                                                               &error);
    g_autoptr(CradleAgentKeyFile) key_file = NULL;

    g_assert_no_error (error);
    key_file = cradle_agent_keystore_load_key (keystore, new_key_id, &error);
    g_assert_no_error (error);
    g_assert_nonnull (key_file->mark_renews);
    key_file->mark_confirmed -= (CRADLE_AGENT_RENEWAL_DAYS + 1) * 24 * 3600;
    g_assert_true (cradle_agent_keystore_save_key (keystore, key_file, &error));
    g_assert_no_error (error);
  }
  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  assert_renewal_refused (&fixture, old.old_key_id, CRADLE_DEVICE_SIGN_RENEWAL, attributes, request, NULL,
                          CRADLE_ERROR_PERMISSION_DENIED);
  renewal_old_clear (&old);
  agent_fixture_stop (&fixture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge/renewal/new-key", test_new_key);
  g_test_add_func ("/bridge/renewal/new-key-ec", test_new_key_ec);
  g_test_add_func ("/bridge/renewal/same-key", test_same_key);
  g_test_add_func ("/bridge/renewal/refusals", test_refusals);
  g_test_add_func ("/bridge/renewal/mark-persists", test_mark_persists);
  return g_test_run ();
}
