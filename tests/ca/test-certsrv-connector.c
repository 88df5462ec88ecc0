/* test-certsrv-connector.c: AD CS Web Enrollment against the lab CA, with
 * every key made and every request signed on a simulated device */
#include "config.h"

#include "enroll-test-support.h"

static CradleCaConnector *
lab_certsrv (EnrollFixture *fixture,
             const char    *user,
             EnrollSignIn   how)
{
  CradleCaConnector *connector =
    cradle_certsrv_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_CERTSRV_URL"));

  enroll_fixture_sign_in (fixture, connector, user, how);
  return connector;
}

static void
test_issued_kerberos (EnrollFixture *fixture,
                      gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_certsrv (fixture, "alice", ENROLL_SIGN_IN_KERBEROS);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = enroll_submit (connector, request);

  enroll_assert_leaf_is_device_key (answer, request);
  g_assert_nonnull (cradle_ca_answer_get_request_id (answer));
  enroll_assert_chain_has_issuing_ca (answer);
  /* The CA built the subject from the directory: alice's own entry (cn "Alice Liddell"). */
  g_assert_nonnull (strstr (cradle_certificate_get_subject (cradle_ca_answer_get_leaf (answer)), "Alice Liddell"));
}

static void
test_issued_password (EnrollFixture *fixture,
                      gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_certsrv (fixture, "alice", ENROLL_SIGN_IN_PASSWORD);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = enroll_submit (connector, request);

  enroll_assert_leaf_is_device_key (answer, request);
}

static void
test_pending_approved (EnrollFixture *fixture,
                       gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_certsrv (fixture, "alice", ENROLL_SIGN_IN_KERBEROS);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleCaAnswer) pending = enroll_submit (connector, request);
  g_autoptr(CradleCaAnswer) issued = NULL;
  const char *id;

  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  id = cradle_ca_answer_get_request_id (pending);
  g_assert_nonnull (id);
  enroll_assert_still_pending (connector, request, id, NULL);

  enroll_fixture_officer (fixture, "approve", id);
  issued = enroll_retrieve (connector, request, id, NULL);
  enroll_assert_leaf_is_device_key (issued, request);
}

static void
test_pending_denied (EnrollFixture *fixture,
                     gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_certsrv (fixture, "alice", ENROLL_SIGN_IN_KERBEROS);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleCaAnswer) pending = enroll_submit (connector, request);
  g_autoptr(CradleCaAnswer) denied = NULL;

  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  enroll_fixture_officer (fixture, "deny", cradle_ca_answer_get_request_id (pending));
  denied = enroll_retrieve (connector, request, cradle_ca_answer_get_request_id (pending), NULL);
  enroll_assert_denied (denied, CRADLE_CA_PROTOCOL_CERTSRV, 0x80094014);
}

/* Web Enrollment's own refusal, beside those of every front end. */
static const EnrollDenialCase certsrv_denials[] = {
  { "bob", "User", FALSE, NULL, 0x80094812 },
};

static void
test_denied (EnrollFixture *fixture,
             gconstpointer  data)
{
  const EnrollDenialCase *denial = data;
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_certsrv (fixture, denial->user, ENROLL_SIGN_IN_KERBEROS);
  g_autoptr(CradleCaRequest) request = enroll_fixture_denial_request (fixture, denial);
  g_autoptr(CradleCaAnswer) answer = enroll_submit (connector, request);

  enroll_assert_denied (answer, CRADLE_CA_PROTOCOL_CERTSRV, denial->code);
}

static void
test_ca_certificates (EnrollFixture *fixture,
                      gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_certsrv (fixture, "alice", ENROLL_SIGN_IN_KERBEROS);
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
  g_autofree char *url = enroll_closed_port_url ("https", "ca1.corp.example.test", "/certsrv");
  g_autoptr(CradleCaConnector) connector = cradle_certsrv_connector_new (url);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = enroll_submit_fails (connector, request, CRADLE_ERROR_UNREACHABLE);

  g_assert_nonnull (strstr (error->message, "ca1.corp.example.test"));
}

static void
test_untrusted_anchor (EnrollFixture *fixture,
                       gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_certsrv_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_CERTSRV_URL"));

  enroll_fixture_assert_untrusted_refused (fixture, connector);
}

static void
test_wrong_password (EnrollFixture *fixture,
                     gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_certsrv_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_CERTSRV_URL"));
  g_autoptr(GError) error = enroll_fixture_submit_wrong_password (fixture, connector);
}

static void
test_plain_http_refused (EnrollFixture *fixture,
                         gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_certsrv_connector_new ("http://ca1.corp.example.test/certsrv");
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");

  enroll_assert_plain_http_refused (connector, request);
}

static const EnrollMalformedCase malformed[] = {
  { "unknown-html", CRADLE_ERROR_INVALID_DATA, "does not recognise" },
  { "truncated-pkcs7", CRADLE_ERROR_INVALID_DATA, "truncated or damaged" },
  { "oversized", CRADLE_ERROR_INVALID_DATA, "larger than" },
  { "slow", CRADLE_ERROR_TIMED_OUT, "did not answer within" },
};

static void
test_malformed (EnrollFixture *fixture,
                gconstpointer  data)
{
  const EnrollMalformedCase *c = data;
  SKIP_WITHOUT_LAB (fixture);
  g_autofree char *url = enroll_fixture_misbehaving_url (fixture, "misbehaving-ca.py", c->mode, "/certsrv");
  g_autoptr(CradleCaConnector) connector = cradle_certsrv_connector_new (url);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = enroll_submit_malformed (connector, request, c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  enroll_test_add (test_issued_kerberos, NULL, "/certsrv/issued/kerberos");
  enroll_test_add (test_issued_password, NULL, "/certsrv/issued/password");
  enroll_test_add (test_pending_approved, NULL, "/certsrv/pending/approved");
  enroll_test_add (test_pending_denied, NULL, "/certsrv/pending/denied");
  for (guint i = 0; i < enroll_n_denials; i++)
    enroll_test_add (test_denied, &enroll_denials[i], "/certsrv/denied/0x%08x", enroll_denials[i].code);
  for (guint i = 0; i < G_N_ELEMENTS (certsrv_denials); i++)
    enroll_test_add (test_denied, &certsrv_denials[i], "/certsrv/denied/0x%08x", certsrv_denials[i].code);
  enroll_test_add (test_ca_certificates, NULL, "/certsrv/ca-certificates");
  enroll_test_add (test_ca_stopped, NULL, "/certsrv/ca-stopped");
  enroll_test_add (test_untrusted_anchor, NULL, "/certsrv/tls/untrusted-anchor");
  enroll_test_add (test_wrong_password, NULL, "/certsrv/auth/wrong-password");
  enroll_test_add (test_plain_http_refused, NULL, "/certsrv/plain-http-refused");
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    enroll_test_add (test_malformed, &malformed[i], "/certsrv/malformed/%s", malformed[i].mode);

  return g_test_run ();
}
