/* enroll-test-support.c: the lab, a simulated device, and requests it signs */
#include "config.h"

#include <string.h>

#include <openssl/pem.h>

#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"
#include "enroll-test-support.h"

void
enroll_fixture_set_up (EnrollFixture *fixture,
                       gconstpointer  data)
{
  cradle_lab_fixture_set_up (&fixture->lab, data);
  if (fixture->lab.lab == NULL)
    {
      fixture->catalogs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
      return;
    }
  enroll_fixture_set_up_device_only (fixture, data);
}

void
enroll_fixture_set_up_device_only (EnrollFixture *fixture,
                                   gconstpointer  data)
{
  fixture->catalogs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
}

void
enroll_fixture_tear_down (EnrollFixture *fixture,
                          gconstpointer  data)
{
  if (fixture->server != NULL)
    {
      g_subprocess_force_exit (fixture->server);
      g_subprocess_wait (fixture->server, NULL, NULL);
    }
  g_clear_object (&fixture->server);
  agent_fixture_stop (&fixture->agent);  /* nothing to stop when it never started */
  g_clear_pointer (&fixture->catalogs, g_hash_table_unref);
  cradle_lab_fixture_tear_down (&fixture->lab, data);
}

gboolean
enroll_fixture_skipped (EnrollFixture *fixture)
{
  return fixture->lab.lab == NULL;
}

static void
test_add_valist (GTestFixtureFunc  set_up,
                 EnrollTestFunc    test,
                 gconstpointer     data,
                 const char       *path_format,
                 va_list           args)
{
  g_autofree char *path = g_strdup_vprintf (path_format, args);

  g_test_add_vtable (path, sizeof (EnrollFixture), data, set_up, (GTestFixtureFunc) test,
                     (GTestFixtureFunc) enroll_fixture_tear_down);
}

void
enroll_test_add (EnrollTestFunc test,
                 gconstpointer  data,
                 const char    *path_format,
                 ...)
{
  va_list args;

  va_start (args, path_format);
  test_add_valist ((GTestFixtureFunc) enroll_fixture_set_up, test, data, path_format, args);
  va_end (args);
}

void
enroll_test_add_device_only (EnrollTestFunc test,
                             gconstpointer  data,
                             const char    *path_format,
                             ...)
{
  va_list args;

  va_start (args, path_format);
  test_add_valist ((GTestFixtureFunc) enroll_fixture_set_up_device_only, test, data, path_format, args);
  va_end (args);
}

const char *
enroll_fixture_env (EnrollFixture *fixture,
                    const char    *name)
{
  const char *value = cradle_test_lab_env (fixture->lab.lab, name);

  g_assert_nonnull (value);
  return value;
}

static CradleCatalog *
catalog_for (EnrollFixture *fixture,
             const char    *user)
{
  CradleCatalog *catalog = g_hash_table_lookup (fixture->catalogs, user);
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(GError) error = NULL;

  if (catalog != NULL)
    return catalog;
  directory = cradle_lab_fixture_open_as (&fixture->lab, user);
  catalog = cradle_catalog_load (directory, NULL, &error);
  g_assert_no_error (error);
  g_hash_table_insert (fixture->catalogs, g_strdup (user), catalog);
  return catalog;
}

static CradleCaRequest *
sign_on_device (EnrollFixture *fixture,
                GBytes        *key_id,
                GBytes        *request_info,
                const char    *digest,
                const char    *template_cn)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *algorithm = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) csr = NULL;
  CradleCaRequest *request;

  signature = cradle_device_sign_request (fixture->agent.device, key_id, request_info, digest,
                                          &algorithm, NULL, &error);
  g_assert_no_error (error);
  csr = cradle_csr_assemble (request_info, algorithm, signature, &error);
  g_assert_no_error (error);
  request = cradle_ca_request_new (csr, template_cn);
  cradle_ca_request_set_device_key (request, fixture->agent.device, key_id);
  return request;
}

CradleCaRequest *
enroll_fixture_request (EnrollFixture *fixture,
                        const char    *user,
                        const char    *template_cn)
{
  CradleCatalog *catalog = catalog_for (fixture, user);
  CradleTemplate *template = cradle_catalog_find_template (catalog, template_cn);
  g_autoptr(CradleRequestPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) request_info = NULL;
  const char *subject = NULL;

  g_assert_nonnull (template);
  if (cradle_template_get_name_flags (template) & 0x1)  /* ENROLLEE_SUPPLIES_SUBJECT */
    subject = "CN=Cradle Test Device";
  policy = cradle_request_policy_new (template, cradle_catalog_get_user (catalog), subject, &error);
  g_assert_no_error (error);

  key_id = cradle_device_generate_key (fixture->agent.device,
                                       cradle_request_policy_get_device_key_type (policy),
                                       template_cn, &public_key, NULL, &error);
  g_assert_no_error (error);
  request_info = cradle_request_policy_build_request_info (policy, public_key, &error);
  g_assert_no_error (error);
  return sign_on_device (fixture, key_id, request_info,
                         cradle_request_policy_get_digest (policy), template_cn);
}

CradleCaRequest *
enroll_fixture_custom_request (EnrollFixture *fixture,
                               const char    *key_type,
                               const char    *subject,
                               const char    *upn,
                               const char    *template_cn)
{
  g_autoptr(CradleCsrBuilder) builder = cradle_csr_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) request_info = NULL;

  key_id = cradle_device_generate_key (fixture->agent.device, key_type, "custom test request",
                                       &public_key, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_csr_builder_set_public_key (builder, public_key, &error));
  g_assert_true (cradle_csr_builder_set_subject (builder, subject, &error));
  if (upn != NULL)
    cradle_csr_builder_add_san_upn (builder, upn);
  if (template_cn != NULL)
    cradle_csr_builder_add_template_name (builder, template_cn);
  request_info = cradle_csr_builder_encode_request_info (builder, &error);
  g_assert_no_error (error);
  return sign_on_device (fixture, key_id, request_info, "sha256", template_cn);
}

const EnrollDenialCase enroll_denials[] = {
  { "alice", "CradleDeviceUnpublished", FALSE, NULL, 0x80094800 },
  { "alice", NULL, TRUE, "rsa2048", 0x80094801 },
  { "bob", "CradleDeviceRestricted", FALSE, NULL, 0x80094012 },
  { "alice", "CradleDeviceSuppliedSubject", TRUE, "rsa2048", 0x80094811 },
  /* carol has no userPrincipalName for the UPN SAN the template requires */
  { "carol", "CradleDeviceUPN", TRUE, "rsa2048", 0x8009480D },
};
const guint enroll_n_denials = G_N_ELEMENTS (enroll_denials);

CradleCaRequest *
enroll_fixture_denial_request (EnrollFixture          *fixture,
                               const EnrollDenialCase *denial)
{
  if (denial->custom)
    return enroll_fixture_custom_request (fixture, denial->key_type, "CN=Cradle Test Device",
                                          NULL, denial->template_cn);
  return enroll_fixture_request (fixture, denial->user, denial->template_cn);
}

void
enroll_fixture_sign_in (EnrollFixture     *fixture,
                        CradleCaConnector *connector,
                        const char        *user,
                        EnrollSignIn       how)
{
  cradle_ca_connector_add_trust_anchors (connector, enroll_fixture_env (fixture, "CRADLE_LAB_ROOT_CA"));
  switch (how)
    {
    case ENROLL_SIGN_IN_KERBEROS:
      {
        g_autofree char *ccache = cradle_test_lab_kinit (fixture->lab.lab, user);

        cradle_ca_connector_set_kerberos (connector, ccache);
      }
      break;
    case ENROLL_SIGN_IN_PASSWORD:
      {
        g_autofree char *upper = g_ascii_strup (user, -1);
        g_autofree char *variable = g_strdup_printf ("CRADLE_LAB_%s_PASSWORD", upper);

        cradle_ca_connector_set_password (connector, user, enroll_fixture_env (fixture, variable));
      }
      break;
    case ENROLL_SIGN_IN_WRONG_PASSWORD:
      cradle_ca_connector_set_password (connector, user, ENROLL_WRONG_PASSWORD);
      break;
    default:
      g_assert_not_reached ();
    }
}

CradleCaAnswer *
enroll_submit (CradleCaConnector *connector,
               CradleCaRequest   *request)
{
  g_autoptr(GError) error = NULL;
  CradleCaAnswer *answer = cradle_ca_connector_submit (connector, request, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (answer);
  return answer;
}

GError *
enroll_submit_fails (CradleCaConnector *connector,
                     CradleCaRequest   *request,
                     gint               code)
{
  GError *error = NULL;
  g_autoptr(CradleCaAnswer) answer = cradle_ca_connector_submit (connector, request, NULL, &error);

  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, code);
  return error;
}

CradleCaAnswer *
enroll_retrieve (CradleCaConnector *connector,
                 CradleCaRequest   *request,
                 const char        *request_id,
                 const char        *retrieve_uri)
{
  g_autoptr(GError) error = NULL;
  CradleCaAnswer *answer = cradle_ca_connector_retrieve (connector, request, request_id, retrieve_uri,
                                                         NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (answer);
  return answer;
}

void
enroll_assert_still_pending (CradleCaConnector *connector,
                             CradleCaRequest   *request,
                             const char        *request_id,
                             const char        *retrieve_uri)
{
  g_autoptr(CradleCaAnswer) still = enroll_retrieve (connector, request, request_id, retrieve_uri);

  g_assert_cmpint (cradle_ca_answer_get_status (still), ==, CRADLE_CA_STATUS_PENDING);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (still), ==, request_id);
}

void
enroll_assert_plain_http_refused (CradleCaConnector *connector,
                                  CradleCaRequest   *request)
{
  g_autoptr(GError) error = enroll_submit_fails (connector, request, CRADLE_ERROR_NOT_CONFIGURED);

  g_clear_error (&error);
  cradle_ca_connector_set_allow_plain_http (connector, TRUE);
  cradle_ca_connector_set_password (connector, "alice", "x");
  error = enroll_submit_fails (connector, request, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "plain HTTP"));
}

void
enroll_assert_denied (CradleCaAnswer   *answer,
                      CradleCaProtocol  protocol,
                      guint32           code)
{
  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_DENIED);
  g_assert_cmpint (cradle_ca_answer_get_protocol (answer), ==, protocol);
  g_assert_cmphex (cradle_ca_answer_get_code (answer), ==, code);
  g_assert_nonnull (cradle_ca_answer_get_message (answer));
}

void
enroll_fixture_officer (EnrollFixture *fixture,
                        const char    *verb,
                        const char    *request_id)
{
  g_autofree char *script = g_build_filename (g_getenv ("CRADLE_SOURCE_ROOT"),
                                              "tests", "lab", "cradle-lab", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *argv[] = { script, verb, request_id, NULL };

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("cradle-lab %s %s failed: %s%s", verb, request_id, out, err);
}

char *
enroll_fixture_queue_id_for (EnrollFixture *fixture,
                             const char    *frontend,
                             const char    *user,
                             const char    *template_cn)
{
  g_autofree char *script = g_build_filename (g_getenv ("CRADLE_SOURCE_ROOT"),
                                              "tests", "lab", "cradle-lab", NULL);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  const char *argv[] = { script, "requests", "--pending", NULL };
  guint64 newest = 0;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  /* ID STATUS VIA REQUESTER TEMPLATE ... */
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit_set (lines[i], " ", -1);
      const char *field[5] = { NULL };
      guint n = 0;
      guint64 id;

      for (guint w = 0; words[w] != NULL && n < G_N_ELEMENTS (field); w++)
        if (words[w][0] != '\0')
          field[n++] = words[w];
      if (n == G_N_ELEMENTS (field) &&
          g_ascii_string_to_unsigned (field[0], 10, 1, G_MAXUINT32, &id, NULL) &&
          g_str_equal (field[1], "pending") && g_str_equal (field[2], frontend) &&
          g_str_equal (field[3], user) && g_str_equal (field[4], template_cn))
        newest = MAX (newest, id);
    }
  g_assert_cmpuint (newest, >, 0);
  return g_strdup_printf ("%" G_GUINT64_FORMAT, newest);
}

char *
enroll_fixture_untrusted_anchor (EnrollFixture *fixture)
{
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(GBytes) der = test_cert ("Nobody Trusts This CA", key, "Nobody Trusts This CA", key, TRUE);
  g_autofree char *path = g_build_filename (fixture->agent.store, "untrusted-anchor.pem", NULL);
  const unsigned char *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  g_autoptr(BIO) bio = BIO_new_file (path, "w");

  g_assert_nonnull (cert);
  g_assert_nonnull (bio);
  g_assert_true (PEM_write_bio_X509 (bio, cert));
  return g_steal_pointer (&path);
}

void
enroll_fixture_assert_untrusted_refused (EnrollFixture     *fixture,
                                         CradleCaConnector *connector)
{
  g_autofree char *anchor = enroll_fixture_untrusted_anchor (fixture);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  const char *password = enroll_fixture_env (fixture, "CRADLE_LAB_ALICE_PASSWORD");
  g_autoptr(GError) error = NULL;

  cradle_ca_connector_add_trust_anchors (connector, anchor);
  cradle_ca_connector_set_password (connector, "alice", password);
  error = enroll_submit_fails (connector, request, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "not trusted"));
  /* Nothing was sent: the password cannot be in what came back either. */
  g_assert_null (strstr (error->message, password));
}

GError *
enroll_fixture_submit_wrong_password (EnrollFixture     *fixture,
                                      CradleCaConnector *connector)
{
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  GError *error;

  enroll_fixture_sign_in (fixture, connector, "alice", ENROLL_SIGN_IN_WRONG_PASSWORD);
  error = enroll_submit_fails (connector, request, CRADLE_ERROR_AUTH_FAILED);
  g_assert_null (strstr (error->message, "not-alices-password"));
  return error;
}

void
enroll_assert_leaf_is_device_key (CradleCaAnswer  *answer,
                                  CradleCaRequest *request)
{
  CradleCertificate *leaf = cradle_ca_answer_get_leaf (answer);
  GBytes *csr = cradle_ca_request_get_csr (request);
  const unsigned char *p = g_bytes_get_data (csr, NULL);
  g_autoptr(X509_REQ) req = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (csr));
  const unsigned char *q;
  g_autoptr(X509) cert = NULL;

  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_ISSUED);
  g_assert_nonnull (leaf);
  q = g_bytes_get_data (cradle_certificate_get_der (leaf), NULL);
  cert = d2i_X509 (NULL, &q, (long) g_bytes_get_size (cradle_certificate_get_der (leaf)));
  g_assert_nonnull (req);
  g_assert_nonnull (cert);
  g_assert_cmpint (EVP_PKEY_eq (X509_get0_pubkey (cert), X509_REQ_get0_pubkey (req)), ==, 1);
}

void
enroll_assert_chain_has_issuing_ca (CradleCaAnswer *answer)
{
  GPtrArray *chain = cradle_ca_answer_get_chain (answer);
  gboolean found = FALSE;

  for (guint i = 0; i < chain->len; i++)
    if (strstr (cradle_certificate_get_subject (g_ptr_array_index (chain, i)), "Corp Issuing CA"))
      found = TRUE;
  g_assert_true (found);
}

char *
enroll_closed_port_url (const char *scheme,
                        const char *host,
                        const char *path)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  char *url;

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("%s://%s:%u%s", scheme, host,
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)), path);
  g_socket_close (socket, NULL);
  return url;
}

char *
enroll_fixture_misbehaving_url (EnrollFixture *fixture,
                                const char    *script,
                                const char    *mode,
                                const char    *path)
{
  g_autofree char *file = g_build_filename (g_getenv ("CRADLE_SOURCE_ROOT"), "tests", "ca", script, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autofree char *line = NULL;

  g_assert_null (fixture->server);
  /* A server that reads its standard input exits when it closes: when this
   * test ends, however it ends. */
  fixture->server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                      "/usr/bin/python3", file, NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fixture->server));
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "port "));
  return g_strdup_printf ("http://127.0.0.1:%s/%s%s", line + 5, mode, path);
}

GError *
enroll_submit_malformed (CradleCaConnector         *connector,
                         CradleCaRequest           *request,
                         const EnrollMalformedCase *c)
{
  GError *error;

  cradle_ca_connector_set_allow_plain_http (connector, TRUE);
  cradle_ca_connector_set_timeout (connector, 2);
  error = enroll_submit_fails (connector, request, c->code);
  g_test_message ("%s: %s", c->mode, error->message);
  if (c->words != NULL && strstr (error->message, c->words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, c->words);
  return error;
}
