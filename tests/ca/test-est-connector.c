/* test-est-connector.c: EST (RFC 7030) against the lab CA, with every key
 * made and every request signed on a simulated device */
#include "config.h"

#include <string.h>

#include "enroll-test-support.h"

/* The lab's EST takes the template as its CA label. */
static CradleCaConnector *
est_connector (EnrollFixture *fixture,
               const char    *template_cn)
{
  return cradle_est_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_EST_URL"), template_cn);
}

static CradleCaConnector *
lab_est (EnrollFixture *fixture,
         const char    *user,
         const char    *template_cn)
{
  CradleCaConnector *connector = est_connector (fixture, template_cn);

  enroll_fixture_sign_in (fixture, connector, user, ENROLL_SIGN_IN_PASSWORD);
  return connector;
}

/* EST's refusal: an HTTP client error whose message names the CA's HRESULT. */
static void
assert_denied (CradleCaAnswer *answer,
               guint32         hresult)
{
  g_autofree char *message = g_ascii_strdown (cradle_ca_answer_get_message (answer), -1);
  g_autofree char *code = g_strdup_printf ("0x%08x", hresult);

  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_DENIED);
  g_assert_cmpuint (cradle_ca_answer_get_code (answer), >=, 400);
  g_assert_cmpuint (cradle_ca_answer_get_code (answer), <, 500);
  g_assert_nonnull (strstr (message, code));
}

static void
test_issued (EnrollFixture *fixture,
             gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_est (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = enroll_submit (connector, request);

  enroll_assert_leaf_is_device_key (answer, request);
  g_assert_cmpint (cradle_ca_answer_get_protocol (answer), ==, CRADLE_CA_PROTOCOL_EST);
}

static void
test_template_from_request (EnrollFixture *fixture,
                            gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  /* No label: the CA finds the template in the request's own extension. */
  g_autoptr(CradleCaConnector) connector = lab_est (fixture, "alice", NULL);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = enroll_submit (connector, request);

  enroll_assert_leaf_is_device_key (answer, request);
}

static void
test_pending (EnrollFixture *fixture,
              gconstpointer  data)
{
  gboolean approve = GPOINTER_TO_INT (data);
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_est (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleCaAnswer) pending = enroll_submit (connector, request);
  g_autoptr(CradleCaAnswer) decided = NULL;
  g_autofree char *queue_id = NULL;

  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  g_assert_cmpuint (cradle_ca_answer_get_retry_after (pending), >, 0);

  /* Sent again before a decision: still pending, the same request. */
  enroll_assert_still_pending (connector, request, cradle_ca_answer_get_request_id (pending), NULL);

  /* EST has no request numbers; the officer finds it in the CA's queue. */
  queue_id = enroll_fixture_queue_id_for (fixture, "est", "alice", "CradleDeviceApproval");
  enroll_fixture_officer (fixture, approve ? "approve" : "deny", queue_id);

  decided = enroll_retrieve (connector, request, cradle_ca_answer_get_request_id (pending), NULL);
  if (approve)
    enroll_assert_leaf_is_device_key (decided, request);
  else
    assert_denied (decided, 0x80094014);
}

static void
test_denied (EnrollFixture *fixture,
             gconstpointer  data)
{
  const EnrollDenialCase *denial = data;
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_est (fixture, denial->user, denial->template_cn);
  g_autoptr(CradleCaRequest) request = enroll_fixture_denial_request (fixture, denial);
  g_autoptr(CradleCaAnswer) answer = enroll_submit (connector, request);

  assert_denied (answer, denial->code);
}

static void
test_ca_certificates (EnrollFixture *fixture,
                      gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_est (fixture, "alice", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) certificates = cradle_ca_connector_dup_ca_certificates (connector, NULL, &error);
  gboolean has_root = FALSE;

  g_assert_no_error (error);
  for (guint i = 0; i < certificates->len; i++)
    if (strstr (cradle_certificate_get_subject (g_ptr_array_index (certificates, i)), "Root"))
      has_root = TRUE;
  g_assert_true (has_root);
}

static void
test_wrong_password (EnrollFixture *fixture,
                     gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = est_connector (fixture, "CradleDeviceUPN");
  g_autoptr(GError) error = enroll_fixture_submit_wrong_password (fixture, connector);
}

static void
test_untrusted_anchor (EnrollFixture *fixture,
                       gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = est_connector (fixture, "CradleDeviceUPN");

  enroll_fixture_assert_untrusted_refused (fixture, connector);
}

static void
test_ca_stopped (EnrollFixture *fixture,
                 gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autofree char *url = enroll_closed_port_url ("https", "ca1.corp.example.test", "/.well-known/est");
  g_autoptr(CradleCaConnector) connector = cradle_est_connector_new (url, NULL);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = enroll_submit_fails (connector, request, CRADLE_ERROR_UNREACHABLE);
}

static const EnrollMalformedCase malformed[] = {
  { "truncated-pkcs7", CRADLE_ERROR_INVALID_DATA, "truncated or damaged" },
  { "not-base64", CRADLE_ERROR_INVALID_DATA, "other characters" },
  { "wrong-type", CRADLE_ERROR_INVALID_DATA, "application/json" },
  { "oversized", CRADLE_ERROR_INVALID_DATA, "larger than" },
  { "slow", CRADLE_ERROR_TIMED_OUT, "did not answer within" },
};

static void
test_malformed (EnrollFixture *fixture,
                gconstpointer  data)
{
  const EnrollMalformedCase *c = data;
  SKIP_WITHOUT_LAB (fixture);
  g_autofree char *url = enroll_fixture_misbehaving_url (fixture, "misbehaving-ca.py", c->mode, "/.well-known/est");
  g_autoptr(CradleCaConnector) connector = cradle_est_connector_new (url, NULL);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = enroll_submit_malformed (connector, request, c);
}

/* A connector that signs in with Kerberos to an http:// URL, even one
 * allowed plain HTTP, sends nothing, as with a password: over plain HTTP
 * nothing binds the sign-in to the exchange that follows it.  (A type file
 * that asks for it is refused when read: test-cert-type.) */
static void
test_kerberos_plain_http_refused (EnrollFixture *fixture,
                                  gconstpointer  data)
{
  g_autofree char *url = enroll_closed_port_url ("http", "127.0.0.1", "/.well-known/est");
  g_autoptr(CradleCredentials) credentials = cradle_credentials_new_kerberos (NULL);
  g_autoptr(CradleCaConnector) connector = cradle_est_connector_new (url, NULL);
  g_autoptr(CradleCaRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  CradleExplainKind kind = 0;
  guint32 code = 0;

  cradle_ca_connector_set_allow_plain_http (connector, TRUE);
  cradle_credentials_apply_to_connector (credentials, connector);
  request = enroll_fixture_custom_request (fixture, "p256", "CN=Kerberos over HTTP", NULL, NULL);
  error = enroll_submit_fails (connector, request, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "Kerberos"));
  g_assert_nonnull (strstr (error->message, "plain HTTP"));
  g_assert_true (cradle_explain_get_detail (error, &kind, &code));
  g_assert_cmpint (kind, ==, CRADLE_EXPLAIN_TRANSPORT);
  g_assert_cmpuint (code, ==, CRADLE_TRANSPORT_FAILURE_PLAIN_HTTP_REFUSED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  enroll_test_add (test_issued, NULL, "/est/issued");
  enroll_test_add (test_template_from_request, NULL, "/est/issued/template-from-request");
  enroll_test_add (test_pending, GINT_TO_POINTER (TRUE), "/est/pending/approved");
  enroll_test_add (test_pending, GINT_TO_POINTER (FALSE), "/est/pending/denied");
  for (guint i = 0; i < enroll_n_denials; i++)
    enroll_test_add (test_denied, &enroll_denials[i], "/est/denied/0x%08X", enroll_denials[i].code);
  enroll_test_add (test_ca_certificates, NULL, "/est/ca-certificates");
  enroll_test_add (test_ca_stopped, NULL, "/est/ca-stopped");
  enroll_test_add (test_untrusted_anchor, NULL, "/est/tls/untrusted-anchor");
  enroll_test_add (test_wrong_password, NULL, "/est/auth/wrong-password");
  enroll_test_add_device_only (test_kerberos_plain_http_refused, NULL, "/est/auth/kerberos-plain-http-refused");
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    enroll_test_add (test_malformed, &malformed[i], "/est/malformed/%s", malformed[i].mode);

  return g_test_run ();
}
