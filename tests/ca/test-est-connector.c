/* test-est-connector.c: EST (RFC 7030) against the lab CA, with every key
 * made and every request signed on a simulated device */
#include "config.h"

#include "enroll-test-support.h"

#define SKIP_WITHOUT_LAB(f) \
  if (enroll_fixture_skipped (f)) { g_test_skip (cradle_test_lab_skip_reason ()); return; }

/* The lab's EST takes the template as its CA label. */
static CradleCaConnector *
lab_est (EnrollFixture *fixture,
         const char    *user,
         const char    *template_cn)
{
  CradleCaConnector *connector =
    cradle_est_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_EST_URL"), template_cn);
  g_autofree char *upper = g_ascii_strup (user, -1);
  g_autofree char *variable = g_strdup_printf ("CRADLE_LAB_%s_PASSWORD", upper);

  cradle_ca_connector_add_trust_anchors (connector, enroll_fixture_env (fixture, "CRADLE_LAB_ROOT_CA"));
  cradle_ca_connector_set_password (connector, user, enroll_fixture_env (fixture, variable));
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
test_issued (EnrollFixture *fixture,
             gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_est (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaAnswer) answer = submit (connector, request);

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
  g_autoptr(CradleCaAnswer) answer = submit (connector, request);

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
  g_autoptr(CradleCaAnswer) pending = submit (connector, request);
  g_autoptr(CradleCaAnswer) again = NULL;
  g_autoptr(CradleCaAnswer) decided = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *queue_id = NULL;

  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  g_assert_cmpuint (cradle_ca_answer_get_retry_after (pending), >, 0);

  /* Sent again before a decision: still pending, the same request. */
  again = cradle_ca_connector_retrieve (connector, request, cradle_ca_answer_get_request_id (pending),
                                        NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_ca_answer_get_status (again), ==, CRADLE_CA_STATUS_PENDING);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (again), ==, cradle_ca_answer_get_request_id (pending));

  /* EST has no request numbers; the officer finds it in the CA's queue. */
  queue_id = enroll_fixture_queue_id_for (fixture, "est", "alice", "CradleDeviceApproval");
  enroll_fixture_officer (fixture, approve ? "approve" : "deny", queue_id);

  decided = cradle_ca_connector_retrieve (connector, request, cradle_ca_answer_get_request_id (pending),
                                          NULL, NULL, &error);
  g_assert_no_error (error);
  if (approve)
    enroll_assert_leaf_is_device_key (decided, request);
  else
    {
      g_assert_cmpint (cradle_ca_answer_get_status (decided), ==, CRADLE_CA_STATUS_DENIED);
      g_assert_cmpuint (cradle_ca_answer_get_code (decided), >=, 400);
      g_assert_nonnull (strstr (cradle_ca_answer_get_message (decided), "0x80094014"));
    }
}

typedef struct {
  const char *user;
  const char *template_cn;
  gboolean    custom;
  const char *key_type;
  const char *hresult;
} DenialCase;

static const DenialCase denials[] = {
  { "alice", "CradleDeviceUnpublished", FALSE, NULL, "0x80094800" },
  { "alice", NULL, TRUE, "rsa2048", "0x80094801" },
  { "bob", "CradleDeviceRestricted", FALSE, NULL, "0x80094012" },
  { "alice", "CradleDeviceSuppliedSubject", TRUE, "rsa2048", "0x80094811" },
  { "carol", "CradleDeviceUPN", TRUE, "rsa2048", "0x8009480D" },
};

static void
test_denied (EnrollFixture *fixture,
             gconstpointer  data)
{
  const DenialCase *denial = data;
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_est (fixture, denial->user, denial->template_cn);
  g_autoptr(CradleCaRequest) request = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  if (denial->custom)
    request = enroll_fixture_custom_request (fixture, denial->key_type, "CN=Cradle Test Device",
                                             NULL, denial->template_cn);
  else
    request = enroll_fixture_request (fixture, denial->user, denial->template_cn);
  answer = submit (connector, request);
  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_DENIED);
  g_assert_cmpuint (cradle_ca_answer_get_code (answer), >=, 400);
  g_assert_cmpuint (cradle_ca_answer_get_code (answer), <, 500);
  {
    g_autofree char *message = g_ascii_strdown (cradle_ca_answer_get_message (answer), -1);
    g_autofree char *hresult = g_ascii_strdown (denial->hresult, -1);

    g_assert_nonnull (strstr (message, hresult));
  }
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
  g_autoptr(CradleCaConnector) connector = lab_est (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  cradle_ca_connector_set_password (connector, "alice", "not-alices-password-1A!");
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_assert_null (strstr (error->message, "not-alices-password"));
}

static void
test_untrusted_anchor (EnrollFixture *fixture,
                       gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector =
    cradle_est_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_EST_URL"), "CradleDeviceUPN");
  g_autofree char *anchor = enroll_fixture_untrusted_anchor (fixture);
  g_autoptr(CradleCaRequest) request = enroll_fixture_request (fixture, "alice", "CradleDeviceUPN");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  cradle_ca_connector_add_trust_anchors (connector, anchor);
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
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

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("https://ca1.corp.example.test:%u/.well-known/est",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);

  connector = cradle_est_connector_new (url, NULL);
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
}

typedef struct {
  const char *mode;
  gint        code;
  const char *words;
} MalformedCase;

static const MalformedCase malformed[] = {
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
  const MalformedCase *c = data;
  SKIP_WITHOUT_LAB (fixture);
  g_autofree char *base = NULL;
  g_autoptr(GSubprocess) server = misbehaving_ca_start (&base);
  g_autofree char *url = g_strdup_printf ("%s/%s/.well-known/est", base, c->mode);
  g_autoptr(CradleCaConnector) connector = cradle_est_connector_new (url, NULL);
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
    g_autofree char *full_ = g_strconcat ("/est/", path, NULL); \
    g_test_add (full_, EnrollFixture, data, enroll_fixture_set_up, func, enroll_fixture_tear_down); \
  } while (0)
  ADD ("issued", test_issued, NULL);
  ADD ("issued/template-from-request", test_template_from_request, NULL);
  ADD ("pending/approved", test_pending, GINT_TO_POINTER (TRUE));
  ADD ("pending/denied", test_pending, GINT_TO_POINTER (FALSE));
  for (guint i = 0; i < G_N_ELEMENTS (denials); i++)
    {
      g_autofree char *path = g_strdup_printf ("denied/%s", denials[i].hresult);
      ADD (path, test_denied, &denials[i]);
    }
  ADD ("ca-certificates", test_ca_certificates, NULL);
  ADD ("ca-stopped", test_ca_stopped, NULL);
  ADD ("tls/untrusted-anchor", test_untrusted_anchor, NULL);
  ADD ("auth/wrong-password", test_wrong_password, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *path = g_strdup_printf ("malformed/%s", malformed[i].mode);
      ADD (path, test_malformed, &malformed[i]);
    }
#undef ADD

  return g_test_run ();
}
