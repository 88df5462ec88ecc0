/* test-bridge-session.c: the host client against a real cradle-agent
 *
 * Every operation over a socketpair, with the device's user approving,
 * declining or never answering; cancellation; refusals the protocol
 * promises; and a recorded session checked for the private key's bytes.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "agent/cradle-agent-keystore-private.h"

static void
test_hello_and_info (void)
{
  AgentFixture fixture = { 0 };

  agent_fixture_start (&fixture, "--confirm=approve", "--model=Test Phone", NULL);
  g_assert_cmpstr (cradle_device_get_serial (fixture.device), ==, "TEST-0001");
  g_assert_cmpstr (cradle_device_get_model (fixture.device), ==, "Test Phone");
  g_assert_cmpstr (cradle_device_get_manufacturer (fixture.device), ==, "Cradle");
  g_assert_cmpuint (cradle_device_get_protocol_version (fixture.device), ==, 1);
  g_assert_true (g_strv_contains (cradle_device_get_key_types (fixture.device), "rsa2048"));
  g_assert_true (g_strv_contains (cradle_device_get_key_types (fixture.device), "p256"));
  g_assert_cmpstr (cradle_device_get_transport (fixture.device), ==, "socket");
  g_assert_true (cradle_device_has_feature (fixture.device, CRADLE_DEVICE_FEATURE_SCEP));
  g_assert_false (cradle_device_has_feature (fixture.device, "teleport"));
  agent_fixture_stop (&fixture);
}

static void
test_generate_and_sign (gconstpointer data)
{
  const char *key_type = data;
  AgentFixture fixture = { 0 };
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autofree char *algorithm = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  key_id = cradle_device_generate_key (fixture.device, key_type, "Corp Issuing CA / ExchangeUser",
                                       &spki, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (key_id), ==, 16);
  public_key = test_public_key_from_der (spki);
  g_assert_nonnull (public_key);

  request_info = test_request_info (public_key, "alice");
  signature = cradle_device_sign_request (fixture.device, key_id, request_info, "sha256", &algorithm,
                                          NULL, &error);
  g_assert_no_error (error);
  g_assert_true (test_verify (public_key, request_info, signature));
  g_assert_true (g_str_has_prefix (algorithm, g_str_has_prefix (key_type, "rsa") ? "sha256WithRSA" : "ecdsa"));
  agent_fixture_stop (&fixture);
}

static void
test_sign_refuses_foreign_request (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(EVP_PKEY) other = test_key_new ();
  g_autoptr(GError) error = NULL;
  const guint8 garbage[] = { 0x30, 0x03, 0x02, 0x01 };
  g_autoptr(GBytes) truncated = g_bytes_new (garbage, sizeof garbage);

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  key_id = cradle_device_generate_key (fixture.device, "p256", "test", NULL, NULL, &error);
  g_assert_no_error (error);

  /* A request for someone else's key is not signed, whatever it says. */
  request_info = test_request_info (other, "mallory");
  signature = cradle_device_sign_request (fixture.device, key_id, request_info, "sha256", NULL, NULL, &error);
  g_assert_null (signature);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  signature = cradle_device_sign_request (fixture.device, key_id, truncated, "sha256", NULL, NULL, &error);
  g_assert_null (signature);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* The session goes on. */
  listed = cradle_device_list_certs (fixture.device, NULL, NULL, NULL, &error);
  g_assert_nonnull (listed);
  g_assert_no_error (error);
  agent_fixture_stop (&fixture);
}

static void
test_declined (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=decline", NULL);
  key_id = cradle_device_generate_key (fixture.device, "p256", "test", NULL, NULL, &error);
  g_assert_null (key_id);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED);
  g_assert_nonnull (strstr (error->message, "declined"));
  agent_fixture_stop (&fixture);
}

static void
count_waiting (CradleDevice *device,
               guint         status,
               const char   *prompt,
               gpointer      user_data)
{
  guint *count = user_data;

  g_assert_cmpuint (status, ==, 1);
  g_assert_nonnull (strstr (prompt, "new p256 key"));
  (*count)++;
}

static void
test_never_answered (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GError) error = NULL;
  guint waiting = 0;

  agent_fixture_start (&fixture, "--confirm=never", NULL);
  g_signal_connect (fixture.device, "waiting", G_CALLBACK (count_waiting), &waiting);
  cradle_device_set_confirm_timeout (fixture.device, 2);

  key_id = cradle_device_generate_key (fixture.device, "p256", "test", NULL, NULL, &error);
  g_assert_null (key_id);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);
  g_assert_cmpuint (waiting, >=, 2);
  g_clear_error (&error);

  /* The agent dropped the request: the session is usable and nothing was kept. */
  {
    g_autoptr(GPtrArray) certs = cradle_device_list_certs (fixture.device, NULL, NULL, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (certs->len, ==, 0);
  }
  agent_fixture_stop (&fixture);
}

static void
cancel_on_waiting (CradleDevice *device,
                   guint         status,
                   const char   *prompt,
                   gpointer      user_data)
{
  g_cancellable_cancel (user_data);
}

static void
generate_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GError **out = user_data;
  g_autoptr(GBytes) key_id = cradle_device_generate_key_finish (CRADLE_DEVICE (source), result, NULL, out);

  g_assert_null (key_id);
  g_assert_nonnull (*out);
}

static void
test_cancel (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GError *error = NULL;

  agent_fixture_start (&fixture, "--confirm=never", NULL);
  g_signal_connect (fixture.device, "waiting", G_CALLBACK (cancel_on_waiting), cancellable);

  cradle_device_generate_key_async (fixture.device, "p256", "test", cancellable, generate_done, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  agent_fixture_stop (&fixture);
}

static GPtrArray *
chain_for (GBytes   *key_id,
           EVP_PKEY *device_key)
{
  g_autoptr(EVP_PKEY) root_key = test_key_new ();
  g_autoptr(EVP_PKEY) issuing_key = test_key_new ();
  GPtrArray *certs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GBytes) root = test_cert ("Test Root", root_key, "Test Root", root_key, TRUE);
  g_autoptr(GBytes) issuing = test_cert ("Test Issuing", issuing_key, "Test Root", root_key, TRUE);
  g_autoptr(GBytes) leaf = test_cert ("alice", device_key, "Test Issuing", issuing_key, FALSE);

  g_ptr_array_add (certs, cradle_device_cert_new ("MY", "user", leaf, key_id));
  g_ptr_array_add (certs, cradle_device_cert_new ("CA", "user", issuing, NULL));
  g_ptr_array_add (certs, cradle_device_cert_new ("Root", "user", root, NULL));
  return certs;
}

static void
test_install_and_list (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(EVP_PKEY) device_key = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GError) error = NULL;
  guint added = 0;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  key_id = cradle_device_generate_key (fixture.device, "p256", "test", &spki, NULL, &error);
  g_assert_no_error (error);
  device_key = test_public_key_from_der (spki);
  chain = chain_for (key_id, device_key);

  g_assert_true (cradle_device_install (fixture.device, chain, &added, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 3);
  /* Again: nothing new. */
  g_assert_true (cradle_device_install (fixture.device, chain, &added, NULL, &error));
  g_assert_cmpuint (added, ==, 0);

  listed = cradle_device_list_certs (fixture.device, "MY", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 1);
  g_assert_true (g_bytes_equal (cradle_device_cert_get_key_id (g_ptr_array_index (listed, 0)), key_id));
  g_clear_pointer (&listed, g_ptr_array_unref);
  listed = cradle_device_list_certs (fixture.device, NULL, NULL, NULL, &error);
  g_assert_cmpuint (listed->len, ==, 3);

  /* An installed key is not pending any more: it cannot be deleted. */
  g_assert_false (cradle_device_delete_key (fixture.device, key_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  agent_fixture_stop (&fixture);
}

static void
test_install_root_declined (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(EVP_PKEY) device_key = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", "--confirm-root=decline", NULL);
  key_id = cradle_device_generate_key (fixture.device, "p256", "test", &spki, NULL, &error);
  g_assert_no_error (error);
  device_key = test_public_key_from_der (spki);
  chain = chain_for (key_id, device_key);

  g_assert_false (cradle_device_install (fixture.device, chain, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED);
  g_clear_error (&error);

  /* All or nothing: not even the leaf went in. */
  listed = cradle_device_list_certs (fixture.device, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 0);
  agent_fixture_stop (&fixture);
}

static void
test_system_store_needs_privilege (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(EVP_PKEY) root_key = test_key_new ();
  g_autoptr(GBytes) root = test_cert ("System Root", root_key, "System Root", root_key, TRUE);
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  g_ptr_array_add (certs, cradle_device_cert_new ("Root", "system", root, NULL));
  g_assert_false (cradle_device_install (fixture.device, certs, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  agent_fixture_stop (&fixture);
}

static void
test_delete_pending_key_and_cert (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(EVP_PKEY) root_key = test_key_new ();
  g_autoptr(GBytes) root = test_cert ("Deletable Root", root_key, "Deletable Root", root_key, TRUE);
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GBytes) sha256 = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  key_id = cradle_device_generate_key (fixture.device, "p256", "test", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_device_delete_key (fixture.device, key_id, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_device_delete_key (fixture.device, key_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_ptr_array_add (certs, cradle_device_cert_new ("CA", "user", root, NULL));
  g_assert_true (cradle_device_install (fixture.device, certs, NULL, NULL, &error));
  sha256 = test_sha256 (root);
  g_assert_true (cradle_device_delete_cert (fixture.device, "CA", "user", sha256, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_device_delete_cert (fixture.device, "CA", "user", sha256, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  agent_fixture_stop (&fixture);
}

static gboolean
contains_window (GByteArray   *haystack,
                 const guint8 *needle,
                 gsize         size)
{
  if (haystack->len < size)
    return FALSE;
  for (gsize i = 0; i + size <= haystack->len; i++)
    if (memcmp (haystack->data + i, needle, size) == 0)
      return TRUE;
  return FALSE;
}

static void
test_private_key_never_crosses (gconstpointer data)
{
  const char *key_type = data;
  AgentFixture fixture = { 0 };
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(CradleAgentKeystore) keystore = NULL;
  g_autoptr(CradleAgentSecret) private_der = NULL;
  g_autoptr(GByteArray) spki_bytes = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *secret;
  gsize secret_size;
  const gsize window = 16;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  key_id = cradle_device_generate_key (fixture.device, key_type, "test", &spki, NULL, &error);
  g_assert_no_error (error);
  public_key = test_public_key_from_der (spki);
  request_info = test_request_info (public_key, "alice");
  signature = cradle_device_sign_request (fixture.device, key_id, request_info, "sha256", NULL, NULL, &error);
  g_assert_no_error (error);
  chain = chain_for (key_id, public_key);
  g_assert_true (cradle_device_install (fixture.device, chain, NULL, NULL, &error));
  g_assert_no_error (error);
  listed = cradle_device_list_certs (fixture.device, NULL, NULL, NULL, &error);
  g_assert_nonnull (listed);
  cradle_device_close (fixture.device);
  g_subprocess_wait (fixture.agent, NULL, NULL);

  /* The key as the device holds it, read back with the device's own KEK. */
  keystore = cradle_agent_keystore_open_full (fixture.store, fixture.kek, FALSE, &error);
  g_assert_no_error (error);
  private_der = cradle_agent_keystore_decrypt_key (keystore, key_id, &error);
  g_assert_no_error (error);
  secret = private_der->data;
  secret_size = private_der->size;
  g_assert_cmpuint (secret_size, >, window);
  g_assert_cmpuint (fixture.sent->len, >, 0);
  g_assert_cmpuint (fixture.received->len, >, 0);

  /* No 16-byte run of the PKCS#8 key, public parts aside, went either way.
   * The public key is inside PKCS#8 for EC keys: skip windows it contains. */
  spki_bytes = g_byte_array_new ();
  g_byte_array_append (spki_bytes, g_bytes_get_data (spki, NULL), g_bytes_get_size (spki));
  for (gsize i = 0; i + window <= secret_size; i++)
    {
      if (contains_window (spki_bytes, secret + i, window))
        continue;
      g_assert_false (contains_window (fixture.sent, secret + i, window));
      g_assert_false (contains_window (fixture.received, secret + i, window));
    }
  agent_fixture_stop (&fixture);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bridge/session/hello-and-info", test_hello_and_info);
  g_test_add_data_func ("/bridge/session/generate-and-sign/rsa2048", "rsa2048", test_generate_and_sign);
  g_test_add_data_func ("/bridge/session/generate-and-sign/p256", "p256", test_generate_and_sign);
  g_test_add_data_func ("/bridge/session/generate-and-sign/p384", "p384", test_generate_and_sign);
  g_test_add_func ("/bridge/session/sign-refuses-foreign-request", test_sign_refuses_foreign_request);
  g_test_add_func ("/bridge/session/declined", test_declined);
  g_test_add_func ("/bridge/session/never-answered", test_never_answered);
  g_test_add_func ("/bridge/session/cancel", test_cancel);
  g_test_add_func ("/bridge/session/install-and-list", test_install_and_list);
  g_test_add_func ("/bridge/session/install-root-declined", test_install_root_declined);
  g_test_add_func ("/bridge/session/system-store-needs-privilege", test_system_store_needs_privilege);
  g_test_add_func ("/bridge/session/delete-pending-key-and-cert", test_delete_pending_key_and_cert);
  g_test_add_data_func ("/bridge/session/private-key-never-crosses/rsa2048", "rsa2048",
                        test_private_key_never_crosses);
  g_test_add_data_func ("/bridge/session/private-key-never-crosses/p256", "p256",
                        test_private_key_never_crosses);

  return g_test_run ();
}
