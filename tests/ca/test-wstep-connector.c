/* test-wstep-connector.c: MS-WSTEP (with MS-XCEP) against the lab's CES and CEP, with every
 * key made and every request signed on a simulated device; malformed answers from a
 * misbehaving service of our own */
#include "config.h"

#include <string.h>

#include "enroll-test-support.h"

#define SKIP_WITHOUT_LAB(f) \
  if (enroll_fixture_skipped (f)) { g_test_skip (cradle_test_lab_skip_reason ()); return; }

/* Cases that need no lab, only the simulated device to sign their request. */
static void
device_only_set_up (EnrollFixture *fixture,
                    gconstpointer  data)
{
  fixture->catalogs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
}

static void
device_only_tear_down (EnrollFixture *fixture,
                       gconstpointer  data)
{
  agent_fixture_stop (&fixture->agent);
  g_clear_pointer (&fixture->catalogs, g_hash_table_unref);
}

static CradleCaRequest *
device_request (EnrollFixture *fixture)
{
  return enroll_fixture_custom_request (fixture, "rsa2048", "CN=Cradle Test Device", NULL,
                                        "CradleDeviceUPN");
}

typedef enum {
  SIGN_IN_KERBEROS,
  SIGN_IN_PASSWORD,
} SignIn;

static void
sign_in (EnrollFixture     *fixture,
         CradleCaConnector *connector,
         const char        *user,
         SignIn             how)
{
  cradle_ca_connector_add_trust_anchors (connector, enroll_fixture_env (fixture, "CRADLE_LAB_ROOT_CA"));
  if (how == SIGN_IN_KERBEROS)
    {
      g_autofree char *ccache = cradle_test_lab_kinit (fixture->lab.lab, user);

      cradle_ca_connector_set_kerberos (connector, ccache);
    }
  else
    {
      g_autofree char *upper = g_ascii_strup (user, -1);
      g_autofree char *variable = g_strdup_printf ("CRADLE_LAB_%s_PASSWORD", upper);

      cradle_ca_connector_set_password (connector, user, enroll_fixture_env (fixture, variable));
    }
}

static CradleCaConnector *
lab_ces (EnrollFixture *fixture,
         const char    *user,
         SignIn         how)
{
  CradleCaConnector *connector =
    cradle_wstep_connector_new (enroll_fixture_env (fixture, how == SIGN_IN_KERBEROS
                                                               ? "CRADLE_LAB_CES_KERBEROS_URL"
                                                               : "CRADLE_LAB_CES_PASSWORD_URL"));

  sign_in (fixture, connector, user, how);
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
assert_chain_has_issuing_ca (CradleCaAnswer *answer)
{
  GPtrArray *chain = cradle_ca_answer_get_chain (answer);
  gboolean found = FALSE;

  for (guint i = 0; i < chain->len; i++)
    if (strstr (cradle_certificate_get_subject (g_ptr_array_index (chain, i)), "Corp Issuing CA"))
      found = TRUE;
  g_assert_true (found);
}

static void
assert_denied (CradleCaAnswer *answer,
               guint32         code)
{
  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_DENIED);
  g_assert_cmpint (cradle_ca_answer_get_protocol (answer), ==, CRADLE_CA_PROTOCOL_WSTEP);
  g_assert_cmphex (cradle_ca_answer_get_code (answer), ==, code);
  g_assert_nonnull (cradle_ca_answer_get_message (answer));
}

/* ---- issued ------------------------------------------------------------------ */

static void
test_issued (EnrollFixture *fixture,
             gconstpointer  data)
{
  SignIn how = GPOINTER_TO_INT (data);
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_ces (fixture, "alice", how);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = submit (connector, request);
  g_autoptr(GPtrArray) ca_certificates = NULL;
  g_autoptr(GError) error = NULL;

  enroll_assert_leaf_is_device_key (answer, request);
  g_assert_cmpint (cradle_ca_answer_get_protocol (answer), ==, CRADLE_CA_PROTOCOL_WSTEP);
  g_assert_nonnull (cradle_ca_answer_get_request_id (answer));
  assert_chain_has_issuing_ca (answer);
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
  g_autoptr(CradleCaConnector) connector = lab_ces (fixture, "alice", SIGN_IN_KERBEROS);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceECC");
  g_autoptr(CradleCaAnswer) answer = submit (connector, request);

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
  SignIn how = GPOINTER_TO_INT (data);
  SKIP_WITHOUT_LAB (fixture);
  const char *cep = enroll_fixture_env (fixture, how == SIGN_IN_KERBEROS
                                                   ? "CRADLE_LAB_CEP_KERBEROS_URL"
                                                   : "CRADLE_LAB_CEP_PASSWORD_URL");
  const char *ces = enroll_fixture_env (fixture, how == SIGN_IN_KERBEROS
                                                   ? "CRADLE_LAB_CES_KERBEROS_URL"
                                                   : "CRADLE_LAB_CES_PASSWORD_URL");
  g_autoptr(CradleCaConnector) connector = cradle_wstep_connector_new_for_policy_server (cep);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleEnrollmentPolicy) policy = NULL;
  g_autoptr(CradleEnrollmentPolicy) again = NULL;
  g_autoptr(GPtrArray) endpoints = NULL;
  g_autoptr(GPtrArray) ca_certificates = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;
  g_autoptr(GError) error = NULL;

  sign_in (fixture, connector, "alice", how);
  policy = cradle_wstep_connector_dup_policy (connector, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_enrollment_policy_has_template (policy, "CradleDeviceUPN"));
  g_assert_true (cradle_enrollment_policy_get_may_enroll (policy, "CradleDeviceUPN"));
  g_assert_false (cradle_enrollment_policy_has_template (policy, "CradleDeviceUnpublished"));
  g_assert_cmpstr (cradle_enrollment_policy_get_template_oid (policy, "CradleDeviceUPN"), !=, NULL);
  endpoints = cradle_enrollment_policy_dup_endpoints (policy, "CradleDeviceApproval",
                                                      how == SIGN_IN_KERBEROS
                                                        ? CRADLE_ENDPOINT_AUTH_KERBEROS
                                                        : CRADLE_ENDPOINT_AUTH_PASSWORD,
                                                      FALSE);
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
  answer = submit (connector, request);
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

  sign_in (fixture, connector, "alice", SIGN_IN_KERBEROS);
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
  SignIn how = GPOINTER_TO_INT (data);
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

  connector = cradle_wstep_connector_new_for_service (service, how == SIGN_IN_KERBEROS
                                                                 ? CRADLE_ENDPOINT_AUTH_KERBEROS
                                                                 : CRADLE_ENDPOINT_AUTH_PASSWORD,
                                                      &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_ca_connector_get_url (connector), ==,
                   enroll_fixture_env (fixture, how == SIGN_IN_KERBEROS
                                                  ? "CRADLE_LAB_CES_KERBEROS_URL"
                                                  : "CRADLE_LAB_CES_PASSWORD_URL"));
  sign_in (fixture, connector, "alice", how);
  answer = submit (connector, request);
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
  SignIn how = GPOINTER_TO_INT (data);
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_ces (fixture, "alice", how);
  g_autoptr(CradleCaConnector) later = NULL;
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleCaAnswer) pending = submit (connector, request);
  g_autoptr(CradleCaAnswer) still = NULL;
  g_autoptr(CradleCaAnswer) issued = NULL;
  g_autoptr(GError) error = NULL;
  const char *id;
  const char *uri;

  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  id = cradle_ca_answer_get_request_id (pending);
  uri = cradle_ca_answer_get_retrieve_uri (pending);
  g_assert_nonnull (id);
  g_assert_cmpstr (uri, ==, cradle_ca_connector_get_url (connector));

  still = cradle_ca_connector_retrieve (connector, request, id, uri, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_ca_answer_get_status (still), ==, CRADLE_CA_STATUS_PENDING);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (still), ==, id);

  enroll_fixture_officer (fixture, "approve", id);
  /* Retrieved later, by a connector of its own, as after a restart. */
  later = lab_ces (fixture, "alice", how);
  issued = cradle_ca_connector_retrieve (later, request, id, uri, NULL, &error);
  g_assert_no_error (error);
  enroll_assert_leaf_is_device_key (issued, request);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (issued), ==, id);
  assert_chain_has_issuing_ca (issued);
}

static void
test_pending_denied (EnrollFixture *fixture,
                     gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_ces (fixture, "alice", SIGN_IN_KERBEROS);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceApproval");
  g_autoptr(CradleCaAnswer) pending = submit (connector, request);
  g_autoptr(CradleCaAnswer) denied = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  enroll_fixture_officer (fixture, "deny", cradle_ca_answer_get_request_id (pending));
  /* No address: the connector's own CES. */
  denied = cradle_ca_connector_retrieve (connector, request,
                                         cradle_ca_answer_get_request_id (pending), NULL, NULL,
                                         &error);
  g_assert_no_error (error);
  assert_denied (denied, 0x80094014);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (denied), ==,
                   cradle_ca_answer_get_request_id (pending));
}

/* Someone else's request is not alice's to ask about. */
static void
test_retrieve_unknown (EnrollFixture *fixture,
                       gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_ces (fixture, "alice", SIGN_IN_KERBEROS);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = cradle_ca_connector_retrieve (connector, request, "999999", NULL, NULL, &error);
  g_assert_no_error (error);
  assert_denied (answer, 0x80094004);
}

/* ---- denied ------------------------------------------------------------------ */

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
  /* carol has no userPrincipalName for the UPN SAN the template requires */
  { "carol", "CradleDeviceUPN", TRUE, "rsa2048", 0x8009480D },
};

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
  const DenialCase *denial = data;
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
  connector = lab_ces (fixture, denial->user, SIGN_IN_KERBEROS);
  if (denial->custom)
    request = enroll_fixture_custom_request (fixture, denial->key_type, "CN=Cradle Test Device",
                                             NULL, denial->template_cn);
  else
    request = enroll_fixture_request (fixture, denial->user, denial->template_cn);
  answer = submit (connector, request);
  assert_denied (answer, denial->code);
}

/* ---- no decision --------------------------------------------------------------- */

static char *
closed_port_url (const char *path)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  char *url;

  /* A port that was free a moment ago: nothing listens, as when the CA is down. */
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("https://127.0.0.1:%u%s",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)), path);
  g_socket_close (socket, NULL);
  return url;
}

static void
test_ca_stopped (EnrollFixture *fixture,
                 gconstpointer  data)
{
  g_autofree char *ces = closed_port_url ("/Corp%20Issuing%20CA_CES_Kerberos/service.svc/CES");
  g_autofree char *cep = closed_port_url ("/ADPolicyProvider_CEP_Kerberos/service.svc/CEP");
  g_autoptr(CradleCaConnector) connector = cradle_wstep_connector_new (ces);
  g_autoptr(CradleCaConnector) policy_connector = cradle_wstep_connector_new_for_policy_server (cep);
  g_autoptr(CradleCaRequest) request = device_request (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_clear_error (&error);

  answer = cradle_ca_connector_retrieve (connector, request, "1", NULL, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  g_clear_error (&error);

  answer = cradle_ca_connector_submit (policy_connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
}

static void
test_untrusted_anchor (EnrollFixture *fixture,
                       gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_wstep_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_CES_PASSWORD_URL"));
  g_autofree char *anchor = enroll_fixture_untrusted_anchor (fixture);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  const char *password = enroll_fixture_env (fixture, "CRADLE_LAB_ALICE_PASSWORD");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  /* Only an unrelated anchor beside the system store: the lab's root is not trusted. */
  cradle_ca_connector_add_trust_anchors (connector, anchor);
  cradle_ca_connector_set_password (connector, "alice", password);
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "not trusted"));
  g_assert_null (strstr (error->message, password));
}

static void
test_wrong_password (EnrollFixture *fixture,
                     gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_wstep_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_CES_PASSWORD_URL"));
  g_autoptr(CradleCaConnector) policy_connector =
    cradle_wstep_connector_new_for_policy_server (enroll_fixture_env (fixture, "CRADLE_LAB_CEP_PASSWORD_URL"));
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;
  g_autoptr(CradleEnrollmentPolicy) policy = NULL;

  cradle_ca_connector_add_trust_anchors (connector, enroll_fixture_env (fixture, "CRADLE_LAB_ROOT_CA"));
  cradle_ca_connector_set_password (connector, "alice", "not-alices-password-1A!");
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "user name and password"));
  g_assert_null (strstr (error->message, "not-alices-password"));
  g_clear_error (&error);

  cradle_ca_connector_add_trust_anchors (policy_connector, enroll_fixture_env (fixture, "CRADLE_LAB_ROOT_CA"));
  cradle_ca_connector_set_password (policy_connector, "alice", "not-alices-password-1A!");
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
    cradle_wstep_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_CES_PASSWORD_URL"));
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  sign_in (fixture, connector, "alice", SIGN_IN_KERBEROS);
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
}

static void
test_plain_http_refused (EnrollFixture *fixture,
                         gconstpointer  data)
{
  g_autoptr(CradleCaConnector) connector =
    cradle_wstep_connector_new ("http://ca1.corp.example.test/Corp%20Issuing%20CA_CES_UsernamePassword/service.svc/CES");
  g_autoptr(CradleCaRequest) request = device_request (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_clear_error (&error);

  /* Allowed by an administrator, a UsernameToken still never goes in the clear. */
  cradle_ca_connector_set_allow_plain_http (connector, TRUE);
  cradle_ca_connector_set_password (connector, "alice", "x");
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "plain HTTP"));
}

/* ---- malformed answers, from tests/ca/wstep-misbehaving-server.py ---------------- */

static GSubprocess *
misbehaving_ces_start (char **base_url)
{
  g_autofree char *script = g_build_filename (g_getenv ("CRADLE_SOURCE_ROOT"), "tests", "ca",
                                              "wstep-misbehaving-server.py", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autofree char *line = NULL;
  GSubprocess *server;

  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "/usr/bin/python3", script,
                             NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "port "));
  *base_url = g_strdup_printf ("http://127.0.0.1:%s", line + 5);
  return server;
}

typedef struct {
  const char *mode;
  gint        code;
  const char *words;
} MalformedCase;

static const MalformedCase malformed[] = {
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
  const MalformedCase *c = data;
  g_autofree char *base = NULL;
  g_autoptr(GSubprocess) server = misbehaving_ces_start (&base);
  g_autofree char *url = g_strdup_printf ("%s/%s/CA_CES_Kerberos/service.svc/CES", base, c->mode);
  g_autoptr(CradleCaConnector) connector = cradle_wstep_connector_new (url);
  g_autoptr(CradleCaRequest) request = device_request (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  cradle_ca_connector_set_allow_plain_http (connector, TRUE);
  cradle_ca_connector_set_timeout (connector, 2);
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, c->code);
  g_test_message ("%s", error->message);
  if (strstr (error->message, c->words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, c->words);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_subprocess_force_exit (server);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, data) \
  do { \
    g_autofree char *full_ = g_strconcat ("/wstep/", path, NULL); \
    g_test_add (full_, EnrollFixture, data, enroll_fixture_set_up, func, enroll_fixture_tear_down); \
  } while (0)
#define ADD_OFFLINE(path, func, data) \
  do { \
    g_autofree char *full_ = g_strconcat ("/wstep/", path, NULL); \
    g_test_add (full_, EnrollFixture, data, device_only_set_up, func, device_only_tear_down); \
  } while (0)
  ADD ("issued/kerberos", test_issued, GINT_TO_POINTER (SIGN_IN_KERBEROS));
  ADD ("issued/password", test_issued, GINT_TO_POINTER (SIGN_IN_PASSWORD));
  ADD ("issued/ecc", test_ecc, NULL);
  ADD ("policy-server/kerberos", test_policy_server, GINT_TO_POINTER (SIGN_IN_KERBEROS));
  ADD ("policy-server/password", test_policy_server, GINT_TO_POINTER (SIGN_IN_PASSWORD));
  ADD ("policy-server/unknown-template", test_policy_server_unknown_template, NULL);
  ADD ("directory-service/kerberos", test_directory_service, GINT_TO_POINTER (SIGN_IN_KERBEROS));
  ADD ("directory-service/password", test_directory_service, GINT_TO_POINTER (SIGN_IN_PASSWORD));
  ADD ("pending/approved/kerberos", test_pending_approved, GINT_TO_POINTER (SIGN_IN_KERBEROS));
  ADD ("pending/approved/password", test_pending_approved, GINT_TO_POINTER (SIGN_IN_PASSWORD));
  ADD ("pending/denied", test_pending_denied, NULL);
  ADD ("pending/unknown-request", test_retrieve_unknown, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (denials); i++)
    {
      g_autofree char *path = g_strdup_printf ("denied/0x%08x", denials[i].code);
      ADD (path, test_denied, &denials[i]);
    }
  ADD_OFFLINE ("ca-stopped", test_ca_stopped, NULL);
  ADD ("tls/untrusted-anchor", test_untrusted_anchor, NULL);
  ADD ("auth/wrong-password", test_wrong_password, NULL);
  ADD ("auth/kerberos-at-password-endpoint", test_wrong_sign_in, NULL);
  ADD_OFFLINE ("plain-http-refused", test_plain_http_refused, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *path = g_strdup_printf ("malformed/%s", malformed[i].mode);
      ADD_OFFLINE (path, test_malformed, &malformed[i]);
    }
#undef ADD_OFFLINE
#undef ADD

  return g_test_run ();
}
