/* agent-fixture.c: a real cradle-agent on a socketpair, and test certificates */
#include "config.h"

#include <unistd.h>
#include <sys/socket.h>
#include <glib/gstdio.h>
#include <openssl/x509v3.h>

#include "agent-fixture.h"
#include "test-files.h"
#include "protocol/cradle-bridge-socket-private.h"

char *
agent_fixture_agent_path (void)
{
  return g_build_filename (g_getenv ("CRADLE_BUILD_ROOT"), "bridge", "agent", "cradle-agent", NULL);
}

static void
start_valist (AgentFixture *fixture,
              const char   *first_arg,
              va_list       args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  int fds[2];

  /* A fixture started again keeps its device's folder and its host. */
  if (fixture->store == NULL)
    fixture->store = g_dir_make_tmp ("cradle-agent-test-XXXXXX", &error);
  g_assert_no_error (error);
  /* This computer's pairing key and pins: a fresh user per fixture. */
  if (fixture->host_state == NULL)
    fixture->host_state = g_dir_make_tmp ("cradle-host-test-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("CRADLE_STATE_DIR", fixture->host_state, TRUE);
  if (fixture->kek == NULL)
    fixture->kek = g_strconcat (fixture->store, ".kek", NULL);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);

  g_ptr_array_add (argv, agent_fixture_agent_path ());
  g_ptr_array_add (argv, g_strdup ("--fd=3"));
  g_ptr_array_add (argv, g_strdup_printf ("--store=%s", fixture->store));
  g_ptr_array_add (argv, g_strdup_printf ("--kek-file=%s", fixture->kek));
  g_ptr_array_add (argv, g_strdup ("--serial=TEST-0001"));
  /* The user trusts this computer once, as a user would; a test may say otherwise. */
  g_ptr_array_add (argv, g_strdup ("--confirm-pair=approve"));
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  fixture->agent = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  /* A second descriptor keeps the connection open after the device
   * closes its own, so only tests that write raw frames ask for one. */
  fixture->host_fd = fixture->raw_access ? dup (fds[0]) : -1;
  transport = cradle_bridge_socket_new_for_fd (fds[0], "socket:test", &error);
  g_assert_no_error (error);
  fixture->sent = g_byte_array_new ();
  fixture->received = g_byte_array_new ();
  cradle_bridge_transport_record (transport, fixture->sent, fixture->received);
  fixture->device = cradle_device_new_for_transport (transport);
  g_clear_error (&fixture->open_error);
  if (fixture->expect_open_failure)
    {
      g_assert_false (cradle_device_open (fixture->device, NULL, &fixture->open_error));
      return;
    }
  g_assert_true (cradle_device_open (fixture->device, NULL, &error));
  g_assert_no_error (error);
  if (!fixture->unpaired)
    {
      g_assert_true (cradle_device_pair (fixture->device, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (cradle_device_is_paired (fixture->device));
    }
}

void
agent_fixture_start (AgentFixture *fixture,
                     const char   *first_arg,
                     ...)
{
  va_list args;

  va_start (args, first_arg);
  start_valist (fixture, first_arg, args);
  va_end (args);
}

/* Ends the session and starts the agent again on the same folder, with
 * @args; the host stays paired. */
void
agent_fixture_restart (AgentFixture *fixture,
                       const char   *first_arg,
                       ...)
{
  va_list args;

  agent_fixture_end_session (fixture);
  va_start (args, first_arg);
  start_valist (fixture, first_arg, args);
  va_end (args);
}

/* Ends the session and the agent, keeping the device's folder and this
 * computer's pairing state for the next agent_fixture_start(). */
void
agent_fixture_end_session (AgentFixture *fixture)
{
  if (fixture->device != NULL)
    cradle_device_close (fixture->device);
  g_clear_object (&fixture->device);
  if (fixture->agent != NULL)
    {
      if (fixture->host_fd >= 0)
        close (fixture->host_fd);
      fixture->host_fd = -1;
      /* Closing the session ends an --fd agent; make sure, then reap it. */
      g_subprocess_wait (fixture->agent, NULL, NULL);
    }
  g_clear_object (&fixture->agent);
  g_clear_pointer (&fixture->sent, g_byte_array_unref);
  g_clear_pointer (&fixture->received, g_byte_array_unref);
}

void
agent_fixture_stop (AgentFixture *fixture)
{
  agent_fixture_end_session (fixture);
  if (fixture->store != NULL)
    test_remove_tree (fixture->store);
  g_clear_pointer (&fixture->store, g_free);
  g_clear_error (&fixture->open_error);
  if (fixture->host_state != NULL)
    test_remove_tree (fixture->host_state);
  g_clear_pointer (&fixture->host_state, g_free);
  if (fixture->kek != NULL)
    g_unlink (fixture->kek);
  g_clear_pointer (&fixture->kek, g_free);
}

EVP_PKEY *
test_key_new (void)
{
  return EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
}

EVP_PKEY *
test_public_key_from_der (GBytes *spki)
{
  const unsigned char *p = g_bytes_get_data (spki, NULL);

  return d2i_PUBKEY (NULL, &p, (long) g_bytes_get_size (spki));
}

GBytes *
test_request_info (EVP_PKEY   *public_key,
                   const char *common_name)
{
  X509_REQ *req = X509_REQ_new ();
  X509_NAME *name = X509_NAME_new ();
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  if (common_name != NULL)
    X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) common_name, -1, -1, 0);
  X509_REQ_set_subject_name (req, name);
  X509_REQ_set_pubkey (req, public_key);
  size = i2d_re_X509_REQ_tbs (req, &der);
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  X509_NAME_free (name);
  X509_REQ_free (req);
  return bytes;
}

GBytes *
test_cert (const char *subject_cn,
           EVP_PKEY   *subject_key,
           const char *issuer_cn,
           EVP_PKEY   *issuer_key,
           gboolean    is_ca)
{
  static long serial = 1000;
  X509 *x509 = X509_new ();
  X509_NAME *subject = X509_NAME_new ();
  X509_NAME *issuer = X509_NAME_new ();
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  X509_set_version (x509, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (x509), serial++);
  X509_NAME_add_entry_by_txt (subject, "CN", MBSTRING_UTF8, (const unsigned char *) subject_cn, -1, -1, 0);
  X509_NAME_add_entry_by_txt (issuer, "CN", MBSTRING_UTF8, (const unsigned char *) issuer_cn, -1, -1, 0);
  X509_set_subject_name (x509, subject);
  X509_set_issuer_name (x509, issuer);
  X509_gmtime_adj (X509_getm_notBefore (x509), 0);
  X509_gmtime_adj (X509_getm_notAfter (x509), 365L * 24 * 3600);
  X509_set_pubkey (x509, subject_key);
  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, x509, x509, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_add_ext (x509, ext, -1);
  X509_EXTENSION_free (ext);
  g_assert_cmpint (X509_sign (x509, issuer_key, EVP_sha256 ()), >, 0);
  size = i2d_X509 (x509, &der);
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  X509_NAME_free (subject);
  X509_NAME_free (issuer);
  X509_free (x509);
  return bytes;
}

gboolean
test_verify (EVP_PKEY *public_key,
             GBytes   *data,
             GBytes   *signature)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  int ok;

  ok = EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, public_key) == 1 &&
       EVP_DigestVerify (ctx, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                         g_bytes_get_data (data, NULL), g_bytes_get_size (data)) == 1;
  EVP_MD_CTX_free (ctx);
  return ok;
}

GBytes *
test_sha256 (GBytes *der)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize size = sizeof digest;

  g_checksum_update (checksum, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_checksum_get_digest (checksum, digest, &size);
  return g_bytes_new (digest, size);
}

/* Deletes every certificate of @store (user scope) through the protocol. */
void
test_empty_store (CradleDevice *device,
                  const char   *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) listed = cradle_device_list_certs (device, store, "user", NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < listed->len; i++)
    {
      g_autoptr(GBytes) sha256 = test_sha256 (cradle_device_cert_get_der (g_ptr_array_index (listed, i)));

      g_assert_true (cradle_device_delete_cert (device, store, "user", sha256, NULL, &error));
      g_assert_no_error (error);
    }
}
