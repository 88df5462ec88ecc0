/* test-certsrv-connector.c: AD CS Web Enrollment against the lab CA, with
 * every key made and every request signed on a simulated device */
#include "config.h"

#include "enroll-test-support.h"

#define SKIP_WITHOUT_LAB(f) \
  if (enroll_fixture_skipped (f)) { g_test_skip (cradle_test_lab_skip_reason ()); return; }

static CradleCaConnector *
lab_certsrv (EnrollFixture *fixture,
             const char    *user)
{
  CradleCaConnector *connector =
    cradle_certsrv_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_CERTSRV_URL"));
  g_autofree char *ccache = cradle_test_lab_kinit (fixture->lab.lab, user);

  cradle_ca_connector_add_trust_anchors (connector, enroll_fixture_env (fixture, "CRADLE_LAB_ROOT_CA"));
  cradle_ca_connector_set_kerberos (connector, ccache);
  return connector;
}

static CradleCaAnswer *
submit (CradleCaConnector *connector,
        CradleCaRequest   *request)
{
  g_autoptr(GError) error = NULL;
  CradleCaAnswer *answer = cradle_ca_connector_submit (connector, request, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (answer);
  return answer;
}

static void
assert_denied (CradleCaAnswer *answer,
               guint32         code)
{
  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_DENIED);
  g_assert_cmphex (cradle_ca_answer_get_code (answer), ==, code);
  g_assert_nonnull (cradle_ca_answer_get_message (answer));
}

static void
test_issued_kerberos (EnrollFixture *fixture,
                      gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_certsrv (fixture, "alice");
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = submit (connector, request);
  GPtrArray *chain = cradle_ca_answer_get_chain (answer);
  gboolean has_issuing_ca = FALSE;

  enroll_assert_leaf_is_device_key (answer, request);
  g_assert_nonnull (cradle_ca_answer_get_request_id (answer));
  for (guint i = 0; i < chain->len; i++)
    if (strstr (cradle_certificate_get_subject (g_ptr_array_index (chain, i)), "Corp Issuing CA"))
      has_issuing_ca = TRUE;
  g_assert_true (has_issuing_ca);
  /* The CA built the subject from the directory: alice's own entry (cn "Alice Liddell"). */
  g_assert_nonnull (strstr (cradle_certificate_get_subject (cradle_ca_answer_get_leaf (answer)), "Alice Liddell"));
}

static void
test_issued_password (EnrollFixture *fixture,
                      gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_certsrv_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_CERTSRV_URL"));
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = NULL;

  cradle_ca_connector_add_trust_anchors (connector, enroll_fixture_env (fixture, "CRADLE_LAB_ROOT_CA"));
  cradle_ca_connector_set_password (connector, "alice",
                                    enroll_fixture_env (fixture, "CRADLE_LAB_ALICE_PASSWORD"));
  answer = submit (connector, request);
  enroll_assert_leaf_is_device_key (answer, request);
}

static void
test_pending_approved (EnrollFixture *fixture,
                       gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_certsrv (fixture, "alice");
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleCaAnswer) pending = submit (connector, request);
  g_autoptr(CradleCaAnswer) still = NULL;
  g_autoptr(CradleCaAnswer) issued = NULL;
  g_autoptr(GError) error = NULL;
  const char *id;

  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  id = cradle_ca_answer_get_request_id (pending);
  g_assert_nonnull (id);

  still = cradle_ca_connector_retrieve (connector, request, id, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_ca_answer_get_status (still), ==, CRADLE_CA_STATUS_PENDING);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (still), ==, id);

  enroll_fixture_officer (fixture, "approve", id);
  issued = cradle_ca_connector_retrieve (connector, request, id, NULL, NULL, &error);
  g_assert_no_error (error);
  enroll_assert_leaf_is_device_key (issued, request);
}

static void
test_pending_denied (EnrollFixture *fixture,
                     gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_certsrv (fixture, "alice");
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleCaAnswer) pending = submit (connector, request);
  g_autoptr(CradleCaAnswer) denied = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  enroll_fixture_officer (fixture, "deny", cradle_ca_answer_get_request_id (pending));
  denied = cradle_ca_connector_retrieve (connector, request,
                                         cradle_ca_answer_get_request_id (pending), NULL, NULL, &error);
  g_assert_no_error (error);
  assert_denied (denied, 0x80094014);
}

typedef struct {
  const char *user;
  const char *template_cn;  /* through the policy, unless custom */
  gboolean    custom;
  const char *key_type;
  guint32     code;
} DenialCase;

static const DenialCase denials[] = {
  { "alice", "CradleDeviceUnpublished", FALSE, NULL, 0x80094800 },
  { "alice", NULL, TRUE, "rsa2048", 0x80094801 },
  { "bob", "CradleDeviceRestricted", FALSE, NULL, 0x80094012 },
  { "alice", "CradleDeviceSuppliedSubject", TRUE, "rsa2048", 0x80094811 },
  { "bob", "User", FALSE, NULL, 0x80094812 },
  /* carol has no userPrincipalName for the UPN SAN the template requires */
  { "carol", "CradleDeviceUPN", TRUE, "rsa2048", 0x8009480D },
};

static void
test_denied (EnrollFixture *fixture,
             gconstpointer  data)
{
  const DenialCase *denial = data;
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_certsrv (fixture, denial->user);
  g_autoptr(CradleCaRequest) request = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  if (denial->custom)
    request = enroll_fixture_custom_request (fixture, denial->key_type, "CN=Cradle Test Device",
                                             NULL, denial->template_cn);
  else
    request = enroll_fixture_request (fixture, denial->user, denial->template_cn);
  answer = submit (connector, request);
  assert_denied (answer, denial->code);
}

static void
test_ca_certificates (EnrollFixture *fixture,
                      gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_certsrv (fixture, "alice");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) certificates = cradle_ca_connector_dup_ca_certificates (connector, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (certificates->len, >=, 1);
  g_assert_nonnull (strstr (cradle_certificate_get_subject (g_ptr_array_index (certificates, 0)),
                            "Corp"));
}

static void
test_ca_stopped (EnrollFixture *fixture,
                 gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *url = NULL;
  g_autoptr(CradleCaConnector) connector = NULL;
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  /* A port that was free a moment ago: nothing listens, as when the CA is down. */
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("https://ca1.corp.example.test:%u/certsrv",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);

  connector = cradle_certsrv_connector_new (url);
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, "ca1.corp.example.test"));
}

static void
test_untrusted_anchor (EnrollFixture *fixture,
                       gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_certsrv_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_CERTSRV_URL"));
  g_autofree char *anchor = enroll_fixture_untrusted_anchor (fixture);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  /* Only an unrelated anchor beside the system store: the lab's root is not trusted. */
  cradle_ca_connector_add_trust_anchors (connector, anchor);
  cradle_ca_connector_set_password (connector, "alice",
                                    enroll_fixture_env (fixture, "CRADLE_LAB_ALICE_PASSWORD"));
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "not trusted"));
  /* Nothing was sent: the password cannot be in what came back either. */
  g_assert_null (strstr (error->message, enroll_fixture_env (fixture, "CRADLE_LAB_ALICE_PASSWORD")));
}

static void
test_wrong_password (EnrollFixture *fixture,
                     gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_certsrv_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_CERTSRV_URL"));
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  cradle_ca_connector_add_trust_anchors (connector, enroll_fixture_env (fixture, "CRADLE_LAB_ROOT_CA"));
  cradle_ca_connector_set_password (connector, "alice", "not-alices-password-1A!");
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_assert_null (strstr (error->message, "not-alices-password"));
}

static void
test_plain_http_refused (EnrollFixture *fixture,
                         gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_certsrv_connector_new ("http://ca1.corp.example.test/certsrv");
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_clear_error (&error);

  /* Allowed by an administrator, a password still never goes in the clear. */
  cradle_ca_connector_set_allow_plain_http (connector, TRUE);
  cradle_ca_connector_set_password (connector, "alice", "x");
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "plain HTTP"));
}

typedef struct {
  const char *mode;
  gint        code;
  const char *words;
} MalformedCase;

static const MalformedCase malformed[] = {
  { "unknown-html", CRADLE_ERROR_INVALID_DATA, "does not recognise" },
  { "truncated-pkcs7", CRADLE_ERROR_INVALID_DATA, "truncated or damaged" },
  { "oversized", CRADLE_ERROR_INVALID_DATA, "larger than" },
  { "slow", CRADLE_ERROR_TIMED_OUT, "did not answer within" },
};

static void
test_malformed (EnrollFixture *fixture,
                gconstpointer  data)
{
  const MalformedCase *c = data;
  SKIP_WITHOUT_LAB (fixture);
  g_autofree char *base = NULL;
  g_autoptr(GSubprocess) server = misbehaving_ca_start (&base);
  g_autofree char *url = g_strdup_printf ("%s/%s/certsrv", base, c->mode);
  g_autoptr(CradleCaConnector) connector = cradle_certsrv_connector_new (url);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  cradle_ca_connector_set_allow_plain_http (connector, TRUE);
  cradle_ca_connector_set_timeout (connector, 2);
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, c->code);
  g_assert_nonnull (strstr (error->message, c->words));
  g_subprocess_force_exit (server);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, data) \
  do { \
    g_autofree char *full_ = g_strconcat ("/certsrv/", path, NULL); \
    g_test_add (full_, EnrollFixture, data, enroll_fixture_set_up, func, enroll_fixture_tear_down); \
  } while (0)
  ADD ("issued/kerberos", test_issued_kerberos, NULL);
  ADD ("issued/password", test_issued_password, NULL);
  ADD ("pending/approved", test_pending_approved, NULL);
  ADD ("pending/denied", test_pending_denied, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (denials); i++)
    {
      g_autofree char *path = g_strdup_printf ("denied/0x%08x", denials[i].code);
      ADD (path, test_denied, &denials[i]);
    }
  ADD ("ca-certificates", test_ca_certificates, NULL);
  ADD ("ca-stopped", test_ca_stopped, NULL);
  ADD ("tls/untrusted-anchor", test_untrusted_anchor, NULL);
  ADD ("auth/wrong-password", test_wrong_password, NULL);
  ADD ("plain-http-refused", test_plain_http_refused, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *path = g_strdup_printf ("malformed/%s", malformed[i].mode);
      ADD (path, test_malformed, &malformed[i]);
    }
#undef ADD

  return g_test_run ();
}
