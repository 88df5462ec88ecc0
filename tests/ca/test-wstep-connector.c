/* test-wstep-connector.c: MS-WSTEP (with MS-XCEP) against the lab's CES and CEP, with every
 * key made and every request signed on a simulated device; malformed answers from a
 * misbehaving service of our own */
#include "config.h"

#include <string.h>

#include "enroll-test-support.h"

static CradleCaRequest *
device_request (EnrollFixture *fixture)
{
  return enroll_fixture_custom_request (fixture, "rsa2048", "CN=Cradle Test Device", NULL,
                                        "CradleDeviceUPN");
}

/* The lab's CES (or CEP) URL for the sign-in @how. */
static const char *
lab_url (EnrollFixture *fixture,
         const char    *service,
         EnrollSignIn   how)
{
  g_autofree char *name = g_strdup_printf ("CRADLE_LAB_%s_%s_URL", service,
                                           how == ENROLL_SIGN_IN_KERBEROS ? "KERBEROS" : "PASSWORD");

  return enroll_fixture_env (fixture, name);
}

static CradleEndpointAuth
endpoint_auth (EnrollSignIn how)
{
  return how == ENROLL_SIGN_IN_KERBEROS ? CRADLE_ENDPOINT_AUTH_KERBEROS : CRADLE_ENDPOINT_AUTH_PASSWORD;
}

static CradleCaConnector *
lab_ces (EnrollFixture *fixture,
         const char    *user,
         EnrollSignIn   how)
{
  CradleCaConnector *connector = cradle_wstep_connector_new (lab_url (fixture, "CES", how));

  enroll_fixture_sign_in (fixture, connector, user, how);
  return connector;
}

/* ---- issued ------------------------------------------------------------------ */

static void
test_issued (EnrollFixture *fixture,
             gconstpointer  data)
{
  EnrollSignIn how = GPOINTER_TO_INT (data);
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_ces (fixture, "alice", how);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = enroll_submit (connector, request);
  g_autoptr(GPtrArray) ca_certificates = NULL;
  g_autoptr(GError) error = NULL;

  enroll_assert_leaf_is_device_key (answer, request);
  g_assert_cmpint (cradle_ca_answer_get_protocol (answer), ==, CRADLE_CA_PROTOCOL_WSTEP);
  g_assert_nonnull (cradle_ca_answer_get_request_id (answer));
  enroll_assert_chain_has_issuing_ca (answer);
  /* The CA built the subject from the directory: alice's own entry. */
  g_assert_nonnull (strstr (cradle_certificate_get_subject (cradle_ca_answer_get_leaf (answer)),
                            "Alice Liddell"));

  /* A bare CES hands out no CA certificates; the answer's chain is what is known. */
  ca_certificates = cradle_ca_connector_dup_ca_certificates (connector, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ca_certificates->len, ==, cradle_ca_answer_get_chain (answer)->len);
}

static void
test_ecc (EnrollFixture *fixture,
          gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_ces (fixture, "alice", ENROLL_SIGN_IN_KERBEROS);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceECC");
  g_autoptr(CradleCaAnswer) answer = enroll_submit (connector, request);

  enroll_assert_leaf_is_device_key (answer, request);
}

static void
on_policy (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  CradleEnrollmentPolicy **policy = user_data;
  g_autoptr(GError) error = NULL;

  *policy = cradle_wstep_connector_dup_policy_finish (CRADLE_CA_CONNECTOR (source), result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*policy);
}

/* The CES found through the policy server, for the sign-in it is asked with. */
static void
test_policy_server (EnrollFixture *fixture,
                    gconstpointer  data)
{
  EnrollSignIn how = GPOINTER_TO_INT (data);
  SKIP_WITHOUT_LAB (fixture);
  const char *cep = lab_url (fixture, "CEP", how);
  const char *ces = lab_url (fixture, "CES", how);
  g_autoptr(CradleCaConnector) connector = cradle_wstep_connector_new_for_policy_server (cep);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleEnrollmentPolicy) policy = NULL;
  g_autoptr(CradleEnrollmentPolicy) again = NULL;
  g_autoptr(GPtrArray) endpoints = NULL;
  g_autoptr(GPtrArray) ca_certificates = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;
  g_autoptr(GError) error = NULL;

  enroll_fixture_sign_in (fixture, connector, "alice", how);
  policy = cradle_wstep_connector_dup_policy (connector, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_enrollment_policy_has_template (policy, "CradleDeviceUPN"));
  g_assert_true (cradle_enrollment_policy_get_may_enroll (policy, "CradleDeviceUPN"));
  g_assert_false (cradle_enrollment_policy_has_template (policy, "CradleDeviceUnpublished"));
  g_assert_cmpstr (cradle_enrollment_policy_get_template_oid (policy, "CradleDeviceUPN"), !=, NULL);
  endpoints = cradle_enrollment_policy_dup_endpoints (policy, "CradleDeviceApproval",
                                                      endpoint_auth (how), FALSE);
  g_assert_cmpuint (endpoints->len, >=, 1);
  g_assert_cmpstr (g_ptr_array_index (endpoints, 0), ==, ces);
  /* Asked once per connector. */
  again = cradle_wstep_connector_dup_policy (connector, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (again == policy);
  g_clear_object (&again);
  /* From a thread, for a window. */
  cradle_wstep_connector_dup_policy_async (connector, NULL, on_policy, &again);
  while (again == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (again == policy);

  /* Pending, so the answer names the CES it was sent to. */
  answer = enroll_submit (connector, request);
  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_PENDING);
  g_assert_cmpstr (cradle_ca_answer_get_retrieve_uri (answer), ==, ces);

  ca_certificates = cradle_ca_connector_dup_ca_certificates (connector, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ca_certificates->len, ==, 1);
  g_assert_nonnull (strstr (cradle_certificate_get_subject (g_ptr_array_index (ca_certificates, 0)),
                            "Corp Issuing CA"));
}

static void
test_policy_server_unknown_template (EnrollFixture *fixture,
                                     gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_wstep_connector_new_for_policy_server (enroll_fixture_env (fixture, "CRADLE_LAB_CEP_KERBEROS_URL"));
  g_autoptr(CradleCaRequest) request = enroll_fixture_custom_request (fixture, "rsa2048", "CN=Cradle Test Device",
                                                                      NULL, "CradleDeviceUnpublished");
  g_autoptr(CradleCaAnswer) answer = NULL;
  g_autoptr(GError) error = NULL;

  enroll_fixture_sign_in (fixture, connector, "alice", ENROLL_SIGN_IN_KERBEROS);
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "'CradleDeviceUnpublished'"));
}

/* The CES from the directory's msPKI-Enrollment-Servers, and its CA certificate. */
static void
test_directory_service (EnrollFixture *fixture,
                        gconstpointer  data)
{
  EnrollSignIn how = GPOINTER_TO_INT (data);
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleDirectory) directory = cradle_lab_fixture_open_as (&fixture->lab, "alice");
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(CradleCaConnector) connector = NULL;
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = NULL;
  g_autoptr(GPtrArray) ca_certificates = NULL;
  g_autoptr(GError) error = NULL;
  CradleEnrollmentService *service;

  catalog = cradle_catalog_load (directory, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cradle_catalog_get_services (catalog)->len, >=, 1);
  service = g_ptr_array_index (cradle_catalog_get_services (catalog), 0);

  connector = cradle_wstep_connector_new_for_service (service, endpoint_auth (how), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_ca_connector_get_url (connector), ==,
                   lab_url (fixture, "CES", how));
  enroll_fixture_sign_in (fixture, connector, "alice", how);
  answer = enroll_submit (connector, request);
  enroll_assert_leaf_is_device_key (answer, request);

  ca_certificates = cradle_ca_connector_dup_ca_certificates (connector, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ca_certificates->len, ==, 1);
  g_assert_true (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (ca_certificates, 0)),
                                cradle_certificate_get_der (cradle_enrollment_service_get_certificate (service))));

  /* The lab lists no certificate-authenticated CES for new requests. */
  g_clear_object (&connector);
  connector = cradle_wstep_connector_new_for_service (service, CRADLE_ENDPOINT_AUTH_CERTIFICATE,
                                                      &error);
  g_assert_null (connector);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "certificate"));
  g_assert_nonnull (strstr (error->message, "CES_Kerberos"));
}

/* ---- pending ----------------------------------------------------------------- */

static void
test_pending_approved (EnrollFixture *fixture,
                       gconstpointer  data)
{
  EnrollSignIn how = GPOINTER_TO_INT (data);
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_ces (fixture, "alice", how);
  g_autoptr(CradleCaConnector) later = NULL;
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleCaAnswer) pending = enroll_submit (connector, request);
  g_autoptr(CradleCaAnswer) issued = NULL;
  const char *id;
  const char *uri;

  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  id = cradle_ca_answer_get_request_id (pending);
  uri = cradle_ca_answer_get_retrieve_uri (pending);
  g_assert_nonnull (id);
  g_assert_cmpstr (uri, ==, cradle_ca_connector_get_url (connector));

  enroll_assert_still_pending (connector, request, id, uri);

  enroll_fixture_officer (fixture, "approve", id);
  /* Retrieved later, by a connector of its own, as after a restart. */
  later = lab_ces (fixture, "alice", how);
  issued = enroll_retrieve (later, request, id, uri);
  enroll_assert_leaf_is_device_key (issued, request);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (issued), ==, id);
  enroll_assert_chain_has_issuing_ca (issued);
}

static void
test_pending_denied (EnrollFixture *fixture,
                     gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_ces (fixture, "alice", ENROLL_SIGN_IN_KERBEROS);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleCaAnswer) pending = enroll_submit (connector, request);
  g_autoptr(CradleCaAnswer) denied = NULL;

  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  enroll_fixture_officer (fixture, "deny", cradle_ca_answer_get_request_id (pending));
  /* No address: the connector's own CES. */
  denied = enroll_retrieve (connector, request, cradle_ca_answer_get_request_id (pending), NULL);
  enroll_assert_denied (denied, CRADLE_CA_PROTOCOL_WSTEP, 0x80094014);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (denied), ==,
                   cradle_ca_answer_get_request_id (pending));
}

/* Someone else's request is not alice's to ask about. */
static void
test_retrieve_unknown (EnrollFixture *fixture,
                       gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_ces (fixture, "alice", ENROLL_SIGN_IN_KERBEROS);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = enroll_retrieve (connector, request, "999999", NULL);

  enroll_assert_denied (answer, CRADLE_CA_PROTOCOL_WSTEP, 0x80094004);
}

/* ---- denied ------------------------------------------------------------------ */

static gboolean
lab_has_user (EnrollFixture *fixture,
              const char    *user)
{
  JsonObject *users = json_object_get_object_member (fixture->lab.manifest, "users");

  return users != NULL && json_object_has_member (users, user);
}

static void
test_denied (EnrollFixture *fixture,
             gconstpointer  data)
{
  const EnrollDenialCase *denial = data;
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = NULL;
  g_autoptr(CradleCaRequest) request = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  if (!lab_has_user (fixture, denial->user))
    {
      g_autofree char *reason = g_strdup_printf ("the running lab has no user %s; run "
                                                 "tests/lab/cradle-lab up to bring it to the "
                                                 "current recipe", denial->user);

      g_test_skip (reason);
      return;
    }
  connector = lab_ces (fixture, denial->user, ENROLL_SIGN_IN_KERBEROS);
  request = enroll_fixture_denial_request (fixture, denial);
  answer = enroll_submit (connector, request);
  enroll_assert_denied (answer, CRADLE_CA_PROTOCOL_WSTEP, denial->code);
}

/* ---- no decision --------------------------------------------------------------- */

static void
test_ca_stopped (EnrollFixture *fixture,
                 gconstpointer  data)
{
  g_autofree char *ces = enroll_closed_port_url ("https", "127.0.0.1",
                                                 "/Corp%20Issuing%20CA_CES_Kerberos/service.svc/CES");
  g_autofree char *cep = enroll_closed_port_url ("https", "127.0.0.1",
                                                 "/ADPolicyProvider_CEP_Kerberos/service.svc/CEP");
  g_autoptr(CradleCaConnector) connector = cradle_wstep_connector_new (ces);
  g_autoptr(CradleCaConnector) policy_connector = cradle_wstep_connector_new_for_policy_server (cep);
  g_autoptr(CradleCaRequest) request = device_request (fixture);
  g_autoptr(GError) error = enroll_submit_fails (connector, request, CRADLE_ERROR_UNREACHABLE);
  g_autoptr(CradleCaAnswer) answer = NULL;

  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_clear_error (&error);

  answer = cradle_ca_connector_retrieve (connector, request, "1", NULL, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  g_clear_error (&error);

  error = enroll_submit_fails (policy_connector, request, CRADLE_ERROR_UNREACHABLE);
}

static void
test_untrusted_anchor (EnrollFixture *fixture,
                       gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_wstep_connector_new (lab_url (fixture, "CES", ENROLL_SIGN_IN_PASSWORD));

  enroll_fixture_assert_untrusted_refused (fixture, connector);
}

static void
test_wrong_password (EnrollFixture *fixture,
                     gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_wstep_connector_new (lab_url (fixture, "CES", ENROLL_SIGN_IN_PASSWORD));
  g_autoptr(CradleCaConnector) policy_connector =
    cradle_wstep_connector_new_for_policy_server (lab_url (fixture, "CEP", ENROLL_SIGN_IN_PASSWORD));
  g_autoptr(GError) error = enroll_fixture_submit_wrong_password (fixture, connector);
  g_autoptr(CradleEnrollmentPolicy) policy = NULL;

  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "user name and password"));
  g_clear_error (&error);

  enroll_fixture_sign_in (fixture, policy_connector, "alice", ENROLL_SIGN_IN_WRONG_PASSWORD);
  policy = cradle_wstep_connector_dup_policy (policy_connector, NULL, &error);
  g_assert_null (policy);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_assert_nonnull (strstr (error->message, "enrollment policy server"));
  g_assert_null (strstr (error->message, "not-alices-password"));
}

/* Kerberos at a UsernamePassword endpoint: no token, refused. */
static void
test_wrong_sign_in (EnrollFixture *fixture,
                    gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_wstep_connector_new (lab_url (fixture, "CES", ENROLL_SIGN_IN_PASSWORD));
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = NULL;

  enroll_fixture_sign_in (fixture, connector, "alice", ENROLL_SIGN_IN_KERBEROS);
  error = enroll_submit_fails (connector, request, CRADLE_ERROR_AUTH_FAILED);
}

static void
test_plain_http_refused (EnrollFixture *fixture,
                         gconstpointer  data)
{
  g_autoptr(CradleCaConnector) connector =
    cradle_wstep_connector_new ("http://ca1.corp.example.test/Corp%20Issuing%20CA_CES_UsernamePassword/service.svc/CES");
  g_autoptr(CradleCaRequest) request = device_request (fixture);

  /* Nothing in the clear, and so never a UsernameToken. */
  enroll_assert_plain_http_refused (connector, request);
}

/* ---- malformed answers, from tests/ca/wstep-misbehaving-server.py ---------------- */

static const EnrollMalformedCase malformed[] = {
  { "fault-no-detail", CRADLE_ERROR_FAILED,
    "“The server was unable to process the request due to an internal error.”" },
  { "unknown-html", CRADLE_ERROR_INVALID_DATA, "“Welcome to the intranet”" },
  { "truncated-pkcs7", CRADLE_ERROR_INVALID_DATA, "truncated or damaged" },
  { "oversized", CRADLE_ERROR_INVALID_DATA, "larger than" },
  { "slow", CRADLE_ERROR_TIMED_OUT, "did not answer within" },
  { "ca-unavailable", CRADLE_ERROR_UNREACHABLE, "could not reach its certification authority" },
  { "service-down", CRADLE_ERROR_UNREACHABLE, "HTTP 503" },
};

static void
test_malformed (EnrollFixture *fixture,
                gconstpointer  data)
{
  const EnrollMalformedCase *c = data;
  g_autofree char *url = enroll_fixture_misbehaving_url (fixture, "wstep-misbehaving-server.py", c->mode,
                                                         "/CA_CES_Kerberos/service.svc/CES");
  g_autoptr(CradleCaConnector) connector = cradle_wstep_connector_new (url);
  g_autoptr(CradleCaRequest) request = device_request (fixture);
  g_autoptr(GError) error = enroll_submit_malformed (connector, request, c);

  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  enroll_test_add (test_issued, GINT_TO_POINTER (ENROLL_SIGN_IN_KERBEROS), "/wstep/issued/kerberos");
  enroll_test_add (test_issued, GINT_TO_POINTER (ENROLL_SIGN_IN_PASSWORD), "/wstep/issued/password");
  enroll_test_add (test_ecc, NULL, "/wstep/issued/ecc");
  enroll_test_add (test_policy_server, GINT_TO_POINTER (ENROLL_SIGN_IN_KERBEROS), "/wstep/policy-server/kerberos");
  enroll_test_add (test_policy_server, GINT_TO_POINTER (ENROLL_SIGN_IN_PASSWORD), "/wstep/policy-server/password");
  enroll_test_add (test_policy_server_unknown_template, NULL, "/wstep/policy-server/unknown-template");
  enroll_test_add (test_directory_service, GINT_TO_POINTER (ENROLL_SIGN_IN_KERBEROS),
                   "/wstep/directory-service/kerberos");
  enroll_test_add (test_directory_service, GINT_TO_POINTER (ENROLL_SIGN_IN_PASSWORD),
                   "/wstep/directory-service/password");
  enroll_test_add (test_pending_approved, GINT_TO_POINTER (ENROLL_SIGN_IN_KERBEROS),
                   "/wstep/pending/approved/kerberos");
  enroll_test_add (test_pending_approved, GINT_TO_POINTER (ENROLL_SIGN_IN_PASSWORD),
                   "/wstep/pending/approved/password");
  enroll_test_add (test_pending_denied, NULL, "/wstep/pending/denied");
  enroll_test_add (test_retrieve_unknown, NULL, "/wstep/pending/unknown-request");
  for (guint i = 0; i < enroll_n_denials; i++)
    enroll_test_add (test_denied, &enroll_denials[i], "/wstep/denied/0x%08x", enroll_denials[i].code);
  enroll_test_add_device_only (test_ca_stopped, NULL, "/wstep/ca-stopped");
  enroll_test_add (test_untrusted_anchor, NULL, "/wstep/tls/untrusted-anchor");
  enroll_test_add (test_wrong_password, NULL, "/wstep/auth/wrong-password");
  enroll_test_add (test_wrong_sign_in, NULL, "/wstep/auth/kerberos-at-password-endpoint");
  enroll_test_add_device_only (test_plain_http_refused, NULL, "/wstep/plain-http-refused");
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    enroll_test_add_device_only (test_malformed, &malformed[i], "/wstep/malformed/%s", malformed[i].mode);

  return g_test_run ();
}
