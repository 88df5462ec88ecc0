/* test-enrollment.c: the enrollment state machine with a real simulated
 * device and a scripted CA (no lab): issued and installed, pending then
 * resumed, denied (the key deleted), the CA unreachable (kept, back-off,
 * sent again), a certificate for another key, cancelling while the device
 * waits, and the retriever finishing a cradled device's request; what the
 * host trusts: an answer that chains to the CA's own root, or to a root
 * AIA brings, fails before anything reaches the device */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "agent-fixture.h"
#include "ca/cradle-ca-answer-private.h"
#include "ca/cradle-ca-connector-private.h"
#include "policy/cradle-cert-type-private.h"
#include "engine/cradle-enrollment-private.h"
#include "state/cradle-journal-private.h"
#include "base/cradle-openssl-private.h"

#include "scripted-ca.h"

/* ---- the fixture -------------------------------------------------------------- */

typedef struct {
  AgentFixture        agent;
  char               *folder;
  CradlePendingStore *store;
  CradleJournal      *journal;
  CradleCredentials  *credentials;
  CradleCertType     *type;
  GPtrArray          *steps;     /* step names, as signalled */
  GPtrArray          *prompts;   /* waiting-for-device prompts */
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const char text[] = "[Cradle Certificate Type]\nName=fake\nProtocol=certsrv\nURL=" FAKE_URL "\nTemplate=T\n";
  g_autoptr(CradleCertTypeSettings) settings = NULL;

  /* @data: one more confirmation policy, after approving everything. */
  agent_fixture_start (&fixture->agent, "--confirm=approve", data, NULL);
  fixture->folder = g_dir_make_tmp ("cradle-enrollment-XXXXXX", NULL);
  path = g_build_filename (fixture->folder, "requests.sqlite", NULL);
  fixture->store = cradle_pending_store_open (path, &error);
  g_assert_no_error (error);
  fixture->journal = cradle_journal_open (path, &error);
  g_assert_no_error (error);
  fixture->credentials = cradle_credentials_new_none ();
  settings = cradle_cert_type_settings_parse ("fake.conf", text, sizeof text - 1, &error);
  g_assert_no_error (error);
  fixture->type = cradle_cert_type_new_custom (settings, NULL);
  fixture->steps = g_ptr_array_new_with_free_func (g_free);
  fixture->prompts = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *files[] = { "requests.sqlite", "requests.sqlite-wal", "requests.sqlite-shm" };

  agent_fixture_stop (&fixture->agent);
  g_clear_object (&fixture->journal);
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->credentials);
  g_clear_object (&fixture->type);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *file = g_build_filename (fixture->folder, files[i], NULL);

      g_unlink (file);
    }
  g_rmdir (fixture->folder);
  g_free (fixture->folder);
  g_ptr_array_unref (fixture->steps);
  g_ptr_array_unref (fixture->prompts);
}

static void
on_step (CradleEnrollment *enrollment,
         guint             step,
         const char       *text,
         Fixture          *fixture)
{
  g_assert_nonnull (text);
  g_ptr_array_add (fixture->steps, g_strdup (cradle_enrollment_step_to_string (step)));
}

typedef struct {
  Fixture      *fixture;
  GCancellable *cancel_on_wait;
} Watch;

static void
on_waiting (CradleEnrollment *enrollment,
            gboolean          waiting,
            const char       *prompt,
            Watch            *watch)
{
  if (!waiting)
    return;
  g_ptr_array_add (watch->fixture->prompts, g_strdup (prompt));
  if (watch->cancel_on_wait != NULL)
    g_cancellable_cancel (watch->cancel_on_wait);
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Runs @enrollment with @ca to its end on this thread's main context. */
static CradleEnrollmentOutcome
run (Fixture          *fixture,
     CradleEnrollment *enrollment,
     FakeCa           *ca,
     GCancellable     *cancel_on_wait,
     GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Watch watch = { fixture, cancel_on_wait };

  g_ptr_array_set_size (fixture->steps, 0);
  if (ca != NULL)
    cradle_enrollment_set_connector (enrollment, CRADLE_CA_CONNECTOR (ca));
  g_signal_connect (enrollment, "step-changed", G_CALLBACK (on_step), fixture);
  g_signal_connect (enrollment, "waiting-for-device", G_CALLBACK (on_waiting), &watch);
  cradle_enrollment_run_async (enrollment, cancel_on_wait, on_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  /* Signals queued by the worker arrive before its result. */
  g_signal_handlers_disconnect_by_data (enrollment, fixture);
  g_signal_handlers_disconnect_by_data (enrollment, &watch);
  return cradle_enrollment_run_finish (enrollment, result, error);
}

static CradlePendingRequest *
stored (Fixture *fixture,
        gint64   id)
{
  g_autoptr(GError) error = NULL;
  CradlePendingRequest *request = cradle_pending_store_get (fixture->store, id, &error);

  g_assert_no_error (error);
  return request;
}

static gboolean
has_step (Fixture    *fixture,
          const char *name)
{
  for (guint i = 0; i < fixture->steps->len; i++)
    if (g_str_equal (g_ptr_array_index (fixture->steps, i), name))
      return TRUE;
  return FALSE;
}

static void
assert_on_device (Fixture *fixture,
                  guint    expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) certs = cradle_device_list_certs (fixture->agent.device, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (certs->len, ==, expected);
}

/* ---- the cases ------------------------------------------------------------------ */

static void
test_strings_and_backoff (void)
{
  g_assert_cmpstr (cradle_enrollment_step_to_string (CRADLE_ENROLLMENT_STEP_GENERATE_KEY), ==, "generate-key");
  g_assert_cmpstr (cradle_enrollment_step_to_string (CRADLE_ENROLLMENT_STEP_FINISHED), ==, "finished");
  g_assert_cmpstr (cradle_enrollment_outcome_to_string (CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED), ==, "interrupted");
  g_assert_cmpuint (cradle_enrollment_backoff_seconds (0, 0), ==, 30);
  g_assert_cmpuint (cradle_enrollment_backoff_seconds (1, 0), ==, 60);
  g_assert_cmpuint (cradle_enrollment_backoff_seconds (6, 0), ==, 1920);
  g_assert_cmpuint (cradle_enrollment_backoff_seconds (7, 0), ==, 3600);
  g_assert_cmpuint (cradle_enrollment_backoff_seconds (1000, 0), ==, 3600);
  /* The CA's Retry-After is respected, even beyond the cap. */
  g_assert_cmpuint (cradle_enrollment_backoff_seconds (0, 120), ==, 120);
  g_assert_cmpuint (cradle_enrollment_backoff_seconds (3, 7200), ==, 7200);
}

static void
test_issued (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_ISSUE, -1);
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(CradleJournalRun) journal_run = NULL;
  const char *expected[] = { "device", "session", "type", "generate-key", "sign", "submit", "chain", "install" };

  g_assert_cmpint (run (fixture, enrollment, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_INSTALLED);
  g_assert_no_error (error);
  g_assert_null (cradle_enrollment_get_error (enrollment));
  g_assert_cmpint (cradle_enrollment_get_step (enrollment), ==, CRADLE_ENROLLMENT_STEP_FINISHED);
  g_assert_cmpuint (fixture->steps->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (g_ptr_array_index (fixture->steps, i), ==, expected[i]);
  g_assert_nonnull (cradle_enrollment_get_leaf (enrollment));
  g_assert_cmpuint (cradle_enrollment_get_chain (enrollment)->len, ==, 1);
  g_assert_cmpstr (cradle_enrollment_get_ca_request_id (enrollment), ==, "42");
  g_assert_cmpuint (ca->submits, ==, 1);
  /* Leaf in MY with its key, the root in Root. */
  assert_on_device (fixture, 2);

  request = stored (fixture, cradle_enrollment_get_request_id (enrollment));
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_INSTALLED);
  g_assert_cmpstr (cradle_pending_request_get_endpoint (request), ==, FAKE_URL);
  g_assert_cmpstr (cradle_pending_request_get_template_name (request), ==, "T");
  journal_run = cradle_journal_get_run (fixture->journal, cradle_enrollment_get_run_id (enrollment), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_journal_run_get_outcome (journal_run), ==, "installed");
  g_assert_cmpint (cradle_journal_run_get_request_id (journal_run), ==, cradle_enrollment_get_request_id (enrollment));
  g_assert_cmpuint (cradle_journal_run_get_steps (journal_run)->len, ==, G_N_ELEMENTS (expected));
}

static void
test_pending_then_resumed (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_PEND, SCRIPT_PEND, SCRIPT_ISSUE, -1);
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(CradleEnrollment) resumed = NULL;
  g_autoptr(CradleEnrollment) finished = NULL;
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 id;

  g_assert_cmpint (run (fixture, enrollment, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_PENDING);
  g_assert_no_error (error);
  id = cradle_enrollment_get_request_id (enrollment);
  /* The CA's Retry-After (100 s) beats the first back-off step (30 s). */
  g_assert_cmpint (cradle_enrollment_get_next_attempt (enrollment), >=, now + 100);
  request = stored (fixture, id);
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_PENDING);
  g_assert_cmpstr (cradle_pending_request_get_ca_request_id (request), ==, "42");
  assert_on_device (fixture, 0);

  /* Still pending when asked: kept, one more attempt. */
  resumed = cradle_enrollment_new_resume (request, fixture->agent.device, fixture->type, fixture->credentials,
                                          fixture->store, fixture->journal);
  g_assert_cmpint (run (fixture, resumed, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_PENDING);
  g_assert_true (has_step (fixture, "retrieve"));
  g_assert_false (has_step (fixture, "submit"));
  g_assert_cmpstr (ca->last_request_id, ==, "42");
  g_clear_object (&request);
  request = stored (fixture, id);
  g_assert_cmpuint (cradle_pending_request_get_attempts (request), ==, 2);

  /* Without the type: the stored endpoint (the test's CA stands in). */
  finished = cradle_enrollment_new_resume (request, fixture->agent.device, NULL, fixture->credentials,
                                           fixture->store, fixture->journal);
  g_assert_cmpint (run (fixture, finished, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_INSTALLED);
  g_assert_no_error (error);
  g_assert_cmpuint (ca->submits, ==, 1);
  g_assert_cmpuint (ca->retrieves, ==, 2);
  assert_on_device (fixture, 2);
  g_clear_object (&request);
  request = stored (fixture, id);
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_INSTALLED);
}

/* A SCEP request whose type is gone is not asked about with cradle.conf's
 * trust anchors: its CA is checked against its type's own TrustAnchors and
 * CAFingerprint, so without the type it is kept, and nothing is sent. */
static void
test_scep_without_type (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(CradleEnrollment) resumed = NULL;
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(GBytes) key_id = g_bytes_new_static ("0123456789abcdef", 16);
  g_autoptr(GBytes) csr = g_bytes_new_static ("\x30\x00", 2);
  g_autoptr(GError) error = NULL;
  gint64 id;

  id = cradle_pending_store_add (fixture->store, "scep", "http://127.0.0.1:9/scep", NULL,
                                 cradle_device_get_serial (fixture->agent.device), key_id, csr, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_pending_store_mark_pending (fixture->store, id, "ABCDEF", NULL, 0, &error));
  request = stored (fixture, id);
  resumed = cradle_enrollment_new_resume (request, fixture->agent.device, NULL, fixture->credentials,
                                          fixture->store, fixture->journal);
  g_assert_cmpint (run (fixture, resumed, NULL, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "no configured certificate type"));
  g_assert_false (has_step (fixture, "retrieve"));
  g_clear_object (&request);
  request = stored (fixture, id);
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_PENDING);
}

/* ---- a provisional type, and the fresh one that confirms it ------------------- */

#define FAKE_TYPE_TEXT "[Cradle Certificate Type]\nName=fake\nProtocol=certsrv\nURL=" FAKE_URL "\nTemplate=T\n"

static CradleCertType *
type_from_text (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertTypeSettings) settings = cradle_cert_type_settings_parse ("fake.conf", text, strlen (text),
                                                                                &error);

  g_assert_no_error (error);
  return cradle_cert_type_new_custom (settings, NULL);
}

typedef struct {
  CradleCertType *type;    /* the directory's answer, or NULL for @error */
  GError         *error;
  guint           calls;
} FreshType;

static CradleCertType *
give_fresh_type (gpointer       data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  FreshType *fresh = data;

  fresh->calls++;
  if (fresh->type == NULL)
    {
      g_propagate_error (error, g_error_copy (fresh->error));
      return NULL;
    }
  return g_object_ref (fresh->type);
}

static void
assert_steps (Fixture           *fixture,
              const char * const *expected,
              guint               count)
{
  for (guint i = 0; i < fixture->steps->len; i++)
    g_test_message ("step %u: %s", i, (const char *) g_ptr_array_index (fixture->steps, i));
  g_assert_cmpuint (fixture->steps->len, ==, count);
  for (guint i = 0; i < count; i++)
    g_assert_cmpstr (g_ptr_array_index (fixture->steps, i), ==, expected[i]);
}

/* The fresh type makes the same request: one key, the run goes on. */
static void
test_provisional_confirmed (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_ISSUE, -1);
  g_autoptr(CradleCertType) fresh_type = type_from_text (FAKE_TYPE_TEXT);
  FreshType fresh = { fresh_type, NULL, 0 };
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "device", "session", "type", "generate-key", "type", "sign", "submit", "chain",
                             "install" };

  cradle_enrollment_set_type_confirmation (enrollment, give_fresh_type, &fresh, NULL);
  g_assert_cmpint (run (fixture, enrollment, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_INSTALLED);
  g_assert_no_error (error);
  g_assert_cmpuint (fresh.calls, ==, 1);
  assert_steps (fixture, expected, G_N_ELEMENTS (expected));
  g_assert_true (cradle_enrollment_get_cert_type (enrollment) == fresh_type);
  g_assert_cmpuint (ca->submits, ==, 1);
}

/* The directory changed the key since the catalog was kept: the P-256 key
 * made for the kept type is deleted and an RSA one made for the fresh type. */
static void
test_provisional_changed (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_ISSUE, -1);
  g_autoptr(CradleCertType) provisional = type_from_text (FAKE_TYPE_TEXT "KeyType=p256\n");
  g_autoptr(CradleCertType) fresh_type = type_from_text (FAKE_TYPE_TEXT "KeyType=rsa2048\n");
  FreshType fresh = { fresh_type, NULL, 0 };
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, provisional,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(GError) error = NULL;
  g_autoptr(X509) leaf = NULL;
  g_autoptr(GBytes) public_key = NULL;
  GBytes *der;
  const unsigned char *p;
  const char *expected[] = { "device", "session", "type", "generate-key", "type", "delete-key", "generate-key",
                             "sign", "submit", "chain", "install" };

  cradle_enrollment_set_type_confirmation (enrollment, give_fresh_type, &fresh, NULL);
  g_assert_cmpint (run (fixture, enrollment, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_INSTALLED);
  g_assert_no_error (error);
  g_assert_cmpuint (fresh.calls, ==, 1);
  assert_steps (fixture, expected, G_N_ELEMENTS (expected));
  der = cradle_certificate_get_der (cradle_enrollment_get_leaf (enrollment));
  p = g_bytes_get_data (der, NULL);
  leaf = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  g_assert_nonnull (leaf);
  g_assert_cmpint (EVP_PKEY_get_base_id (X509_get0_pubkey (leaf)), ==, EVP_PKEY_RSA);
  /* Nothing is left remembered for a later run. */
  g_assert_null (cradle_journal_find_key (fixture->journal, cradle_device_get_serial (fixture->agent.device),
                                          "fake", &public_key));
}

/* The directory cannot be read: nothing is sent; the key is kept for the
 * next try, which makes the same request. */
static void
test_provisional_unconfirmed (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_ISSUE, -1);
  FreshType fresh = { NULL, g_error_new_literal (CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE,
                                                 "No domain controller answered."), 0 };
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(GBytes) key_id = NULL;

  cradle_enrollment_set_type_confirmation (enrollment, give_fresh_type, &fresh, NULL);
  g_assert_cmpint (run (fixture, enrollment, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_FAILED);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  g_assert_cmpuint (ca->submits, ==, 0);
  g_assert_cmpint (cradle_enrollment_get_request_id (enrollment), ==, 0);
  key_id = cradle_journal_find_key (fixture->journal, cradle_device_get_serial (fixture->agent.device), "fake",
                                    &public_key);
  g_assert_nonnull (key_id);
  g_error_free (fresh.error);
}

static void
test_denied (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_DENY, -1);
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(GError) gone = NULL;
  CradleExplainKind kind;
  const char *message = NULL;
  guint32 code = 0;
  guint32 detail = 0;

  g_assert_cmpint (run (fixture, enrollment, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_DENIED);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_CA_DENIED);
  g_assert_true (cradle_explain_get_detail (error, &kind, &detail));
  g_assert_cmpint (kind, ==, CRADLE_EXPLAIN_HRESULT);
  g_assert_cmphex (detail, ==, 0x80094012);
  g_assert_true (cradle_enrollment_get_denial (enrollment, &code, &message));
  g_assert_cmphex (code, ==, 0x80094012);
  g_assert_cmpstr (message, ==, "Denied by Policy Module");
  g_assert_true (has_step (fixture, "delete-key"));
  request = stored (fixture, cradle_enrollment_get_request_id (enrollment));
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_DENIED);
  /* The key is gone from the device: it cannot be deleted twice. */
  g_assert_false (cradle_device_delete_key (fixture->agent.device, cradle_pending_request_get_key_id (request),
                                            NULL, &gone));
  g_assert_error (gone, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
}

static void
test_unreachable (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_UNREACHABLE, SCRIPT_UNREACHABLE, SCRIPT_ISSUE, -1);
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(CradleEnrollment) again = NULL;
  g_autoptr(CradleEnrollment) last = NULL;
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 id;

  g_assert_cmpint (run (fixture, enrollment, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  g_clear_error (&error);
  id = cradle_enrollment_get_request_id (enrollment);
  request = stored (fixture, id);
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_SUBMITTING);
  g_assert_cmpuint (cradle_pending_request_get_attempts (request), ==, 1);
  g_assert_cmpstr (cradle_pending_request_get_last_error (request), ==, "Could not connect to ca.invalid.");
  g_assert_cmpint (cradle_pending_request_get_next_attempt (request), >=, now + 30);
  g_assert_cmpint (cradle_pending_request_get_next_attempt (request), <=, now + 32);

  /* Down again: the next wait doubles. */
  again = cradle_enrollment_new_resume (request, fixture->agent.device, fixture->type, fixture->credentials,
                                        fixture->store, fixture->journal);
  g_assert_cmpint (run (fixture, again, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED);
  g_clear_error (&error);
  g_clear_object (&request);
  request = stored (fixture, id);
  g_assert_cmpuint (cradle_pending_request_get_attempts (request), ==, 2);
  g_assert_cmpint (cradle_pending_request_get_next_attempt (request), >=, now + 60);

  /* Back: the same request is sent again and installed. */
  last = cradle_enrollment_new_resume (request, fixture->agent.device, fixture->type, fixture->credentials,
                                       fixture->store, fixture->journal);
  g_assert_cmpint (run (fixture, last, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_INSTALLED);
  g_assert_no_error (error);
  g_assert_true (has_step (fixture, "submit"));
  g_assert_cmpuint (ca->submits, ==, 3);
  assert_on_device (fixture, 2);
}

/* Two programs resume the same request at once (the app's retriever and
 * `cradlectl retrieve`, each with its own store connection): the second is
 * told the first works on it, and the request reaches the CA once. A
 * third, from a copy read before the first finished, sends nothing. */
static void
test_resumed_twice (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(FakeCa) down = fake_ca_new (SCRIPT_UNREACHABLE, -1);
  g_autoptr(FakeCa) first_ca = fake_ca_new (SCRIPT_ISSUE, -1);
  g_autoptr(FakeCa) second_ca = fake_ca_new (SCRIPT_ISSUE, -1);
  g_autoptr(FakeCa) late_ca = fake_ca_new (SCRIPT_ISSUE, -1);
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(CradleEnrollment) first = NULL;
  g_autoptr(CradleEnrollment) second = NULL;
  g_autoptr(CradleEnrollment) late = NULL;
  g_autoptr(CradlePendingStore) other_store = NULL;
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(CradlePendingRequest) after = NULL;
  g_autoptr(GAsyncResult) first_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  gint64 id;

  g_assert_cmpint (run (fixture, enrollment, down, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED);
  g_clear_error (&error);
  id = cradle_enrollment_get_request_id (enrollment);
  /* Both programs read it as submitting. */
  request = stored (fixture, id);
  other_store = cradle_pending_store_open (cradle_pending_store_get_path (fixture->store), &error);
  g_assert_no_error (error);

  /* The first is in the middle of sending it when the second starts. */
  first_ca->hold = TRUE;
  first = cradle_enrollment_new_resume (request, fixture->agent.device, fixture->type, fixture->credentials,
                                        fixture->store, fixture->journal);
  cradle_enrollment_set_connector (first, CRADLE_CA_CONNECTOR (first_ca));
  cradle_enrollment_run_async (first, NULL, on_done, &first_result);
  g_mutex_lock (&first_ca->lock);
  while (!first_ca->holding)
    g_cond_wait (&first_ca->cond, &first_ca->lock);
  g_mutex_unlock (&first_ca->lock);

  second = cradle_enrollment_new_resume (request, fixture->agent.device, fixture->type, fixture->credentials,
                                         other_store, NULL);
  g_assert_cmpint (run (fixture, second, second_ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY);
  expected = g_strdup_printf ("Another Cradle program (process %d) is working on request %" G_GINT64_FORMAT
                              "; try again in a minute.", (int) getpid (), id);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_assert_cmpint (cradle_enrollment_get_next_attempt (second), >, g_get_real_time () / G_USEC_PER_SEC);

  g_mutex_lock (&first_ca->lock);
  first_ca->hold = FALSE;
  g_cond_broadcast (&first_ca->cond);
  g_mutex_unlock (&first_ca->lock);
  while (first_result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (cradle_enrollment_run_finish (first, first_result, &error), ==,
                   CRADLE_ENROLLMENT_OUTCOME_INSTALLED);
  g_assert_no_error (error);

  /* Its copy says submitting; the store says installed. */
  late = cradle_enrollment_new_resume (request, fixture->agent.device, fixture->type, fixture->credentials,
                                       other_store, NULL);
  g_assert_cmpint (run (fixture, late, late_ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_FAILED);
  g_assert_nonnull (strstr (error->message, "already installed"));
  g_clear_error (&error);

  g_assert_cmpuint (first_ca->submits + second_ca->submits + late_ca->submits, ==, 1);
  g_assert_cmpuint (second_ca->retrieves + late_ca->retrieves, ==, 0);
  assert_on_device (fixture, 2);
  after = stored (fixture, id);
  g_assert_cmpint (cradle_pending_request_get_status (after), ==, CRADLE_PENDING_STATUS_INSTALLED);
  /* Released at the end: nobody holds it now. */
  g_assert_true (cradle_pending_store_check_unclaimed (other_store, id, &error));
  g_assert_no_error (error);
}

static void
test_other_key (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_ISSUE_OTHER_KEY, -1);
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (run (fixture, enrollment, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_FAILED);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "another key"));
  g_assert_false (has_step (fixture, "install"));
  request = stored (fixture, cradle_enrollment_get_request_id (enrollment));
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_FAILED);
  assert_on_device (fixture, 0);
}

/* A type that requires an attestation: the agent's devices attest
 * nothing, so the run stops before anything is signed or sent, and the
 * key the device made is deleted. */
static void
test_attestation_required (Fixture       *fixture,
                           gconstpointer  data)
{
  const char text[] = "[Cradle Certificate Type]\nName=attested\nProtocol=certsrv\nURL=" FAKE_URL
                      "\nTemplate=T\nAttestation=require\n";
  g_autoptr(CradleCertTypeSettings) settings = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_ISSUE, -1);
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  CradleExplainKind kind = 0;
  guint32 detail = 0;

  settings = cradle_cert_type_settings_parse ("attested.conf", text, sizeof text - 1, &error);
  g_assert_no_error (error);
  type = cradle_cert_type_new_custom (settings, NULL);
  enrollment = cradle_enrollment_new (fixture->agent.device, type, fixture->credentials, fixture->store,
                                      fixture->journal);
  g_assert_cmpint (run (fixture, enrollment, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_FAILED);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_assert_true (cradle_explain_get_detail (error, &kind, &detail));
  g_assert_cmpint (kind, ==, CRADLE_EXPLAIN_TOKEN);
  g_assert_cmpuint (detail, ==, CRADLE_TOKEN_FAILURE_ATTESTATION_MISSING);
  g_assert_nonnull (strstr (error->message, "'attested' requires the device to attest that it made the key"));
  g_assert_cmpuint (ca->submits, ==, 0);
  g_assert_false (has_step (fixture, "sign"));
  g_assert_true (has_step (fixture, "delete-key"));
  g_clear_error (&error);
  requests = cradle_pending_store_list (fixture->store, CRADLE_PENDING_LIST_ALL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (requests->len, ==, 0);
}

/* The device waits for its user to make the key; the app cancels. */
static void
test_cancelled_while_waiting (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_ISSUE, -1);
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) requests = NULL;

  g_assert_cmpint (run (fixture, enrollment, ca, cancellable, &error), ==, CRADLE_ENROLLMENT_OUTCOME_CANCELLED);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (fixture->prompts->len, >=, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (fixture->prompts, 0),
                                   "Waiting for confirmation on the device"));
  g_assert_cmpuint (ca->submits, ==, 0);
  g_assert_cmpint (cradle_enrollment_get_request_id (enrollment), ==, 0);
  g_clear_error (&error);
  requests = cradle_pending_store_list (fixture->store, CRADLE_PENDING_LIST_ALL, &error);
  g_assert_cmpuint (requests->len, ==, 0);
}

/* A pending request of a cradled device is finished by the retriever. */
static void
on_started (CradleRetriever  *retriever,
            CradleEnrollment *enrollment,
            FakeCa           *ca)
{
  cradle_enrollment_set_connector (enrollment, CRADLE_CA_CONNECTOR (ca));
}

static void
on_finished (CradleRetriever  *retriever,
             CradleEnrollment *enrollment,
             GPtrArray        *outcomes)
{
  g_ptr_array_add (outcomes, g_strdup (cradle_enrollment_outcome_to_string (cradle_enrollment_get_outcome (enrollment))));
}

static void
test_retriever (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_PEND, SCRIPT_ISSUE, -1);
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(CradleRetriever) retriever = NULL;
  g_autoptr(GPtrArray) outcomes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) types = g_ptr_array_new ();
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_assert_cmpint (run (fixture, enrollment, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_PENDING);

  retriever = cradle_retriever_new (fixture->store, fixture->journal, fixture->credentials);
  g_ptr_array_add (types, fixture->type);
  cradle_retriever_set_cert_types (retriever, types);
  g_signal_connect (retriever, "enrollment-started", G_CALLBACK (on_started), ca);
  g_signal_connect (retriever, "enrollment-finished", G_CALLBACK (on_finished), outcomes);
  /* Cradled: due at once, whatever the back-off said. */
  cradle_retriever_add_device (retriever, fixture->agent.device);
  g_assert_true (cradle_retriever_is_busy (retriever));
  while (outcomes->len == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (outcomes->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (outcomes, 0), ==, "installed");
  g_assert_false (cradle_retriever_is_busy (retriever));
  request = stored (fixture, cradle_enrollment_get_request_id (enrollment));
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_INSTALLED);
  assert_on_device (fixture, 2);

  /* Nothing left: no further runs. */
  cradle_retriever_retrieve_now (retriever, 0);
  g_assert_false (cradle_retriever_is_busy (retriever));
  cradle_retriever_stop (retriever);
}

/* The answer fails before INSTALL: the request failed with the
 * untrusted-root explanation, and the device holds no certificate. */
static void
assert_untrusted_root (Fixture          *fixture,
                       CradleEnrollment *enrollment,
                       FakeCa           *ca,
                       const char       *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingRequest) request = NULL;
  CradleExplainKind kind = 0;
  guint32 code = 0;

  g_assert_cmpint (run (fixture, enrollment, ca, NULL, &error), ==, CRADLE_ENROLLMENT_OUTCOME_FAILED);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "does not trust"));
  g_assert_nonnull (strstr (error->message, words));
  g_assert_true (cradle_explain_get_detail (error, &kind, &code));
  g_assert_cmpint (kind, ==, CRADLE_EXPLAIN_TRUST);
  g_assert_cmpuint (code, ==, CRADLE_TRUST_FAILURE_UNTRUSTED_ROOT);
  g_assert_true (has_step (fixture, "chain"));
  g_assert_false (has_step (fixture, "install"));
  assert_on_device (fixture, 0);
  request = stored (fixture, cradle_enrollment_get_request_id (enrollment));
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_FAILED);
}

/* A CA (a plain-HTTP one, or one taken over) answers with a chain to a
 * root of its own, named as the trusted one: nothing reaches the device. */
static void
test_own_root (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_ISSUE_OWN_ROOT, -1);
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);

  assert_untrusted_root (fixture, enrollment, ca, "sent by the CA");
}

/* The intermediate's AIA (plain HTTP, from a server of the test's own)
 * brings a self-signed root: AIA brings intermediates only. */
static void
test_aia_root (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_ISSUE_AIA_ROOT, -1);
  g_autoptr(CradleEnrollment) enrollment = cradle_enrollment_new (fixture->agent.device, fixture->type,
                                                                   fixture->credentials, fixture->store,
                                                                   fixture->journal);
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GBytes) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *folder = g_build_filename (fixture->folder, "aia", NULL);
  g_autofree char *path = g_build_filename (folder, "root.cer", NULL);
  const char *port;

  ca->aia_root_key = test_key_new ();
  root = test_cert ("AIA Root", ca->aia_root_key, "AIA Root", ca->aia_root_key, TRUE);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (root, NULL), (gssize) g_bytes_get_size (root), NULL));
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                             "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory",
                             folder, NULL);
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  /* "Serving HTTP on 127.0.0.1 port N (http://127.0.0.1:N/) ..." */
  port = strstr (line, " port ");
  g_assert_nonnull (port);
  ca->aia_url = g_strdup_printf ("http://127.0.0.1:%d/root.cer", (int) g_ascii_strtoull (port + 6, NULL, 10));

  assert_untrusted_root (fixture, enrollment, ca, "fetched through AIA");
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
  g_unlink (path);
  g_rmdir (folder);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *config = g_dir_make_tmp ("cradle-enrollment-config-XXXXXX", NULL);
  g_autofree char *anchors = g_build_filename (config, "anchors.pem", NULL);
  g_autofree char *conf = g_build_filename (config, "cradle.conf", NULL);
  g_autofree char *conf_text = g_strdup_printf ("[Enrollment]\nTrustAnchors=%s\n", anchors);
  g_autofree char *none = g_build_filename (config, "no-system-config", NULL);
  g_autoptr(X509) root = NULL;
  const unsigned char *p;
  FILE *file;
  int status;

  g_test_init (&argc, &argv, NULL);

  /* Every type the tests make trusts the fake CA's root, as an
   * administrator's TrustAnchors would. */
  trusted_root_key = test_key_new ();
  trusted_root = test_cert ("Fake Root", trusted_root_key, "Fake Root", trusted_root_key, TRUE);
  p = g_bytes_get_data (trusted_root, NULL);
  root = d2i_X509 (NULL, &p, (long) g_bytes_get_size (trusted_root));
  file = fopen (anchors, "w");
  g_assert_nonnull (file);
  g_assert_cmpint (PEM_write_X509 (file, root), ==, 1);
  fclose (file);
  g_assert_true (g_file_set_contents (conf, conf_text, -1, NULL));
  g_setenv ("CRADLE_CONFIG_DIR", config, TRUE);
  g_setenv ("CRADLE_SYSTEM_CONFIG_DIR", none, TRUE);

  g_test_add_func ("/enrollment/strings-and-backoff", test_strings_and_backoff);
  g_test_add ("/enrollment/issued", Fixture, NULL, fixture_set_up, test_issued, fixture_tear_down);
  g_test_add ("/enrollment/pending-then-resumed", Fixture, NULL, fixture_set_up, test_pending_then_resumed,
              fixture_tear_down);
  g_test_add ("/enrollment/provisional-type/confirmed", Fixture, NULL, fixture_set_up, test_provisional_confirmed,
              fixture_tear_down);
  g_test_add ("/enrollment/provisional-type/changed", Fixture, NULL, fixture_set_up, test_provisional_changed,
              fixture_tear_down);
  g_test_add ("/enrollment/provisional-type/unconfirmed", Fixture, NULL, fixture_set_up,
              test_provisional_unconfirmed, fixture_tear_down);
  g_test_add ("/enrollment/denied", Fixture, NULL, fixture_set_up, test_denied, fixture_tear_down);
  g_test_add ("/enrollment/unreachable", Fixture, NULL, fixture_set_up, test_unreachable, fixture_tear_down);
  g_test_add ("/enrollment/resumed-twice-at-once", Fixture, NULL, fixture_set_up, test_resumed_twice,
              fixture_tear_down);
  g_test_add ("/enrollment/scep-without-its-type", Fixture, NULL, fixture_set_up, test_scep_without_type,
              fixture_tear_down);
  g_test_add ("/enrollment/certificate-for-another-key", Fixture, NULL, fixture_set_up, test_other_key,
              fixture_tear_down);
  g_test_add ("/enrollment/cancelled-while-waiting", Fixture, "--confirm-generate=never", fixture_set_up,
              test_cancelled_while_waiting, fixture_tear_down);
  g_test_add ("/enrollment/attestation-required", Fixture, NULL, fixture_set_up, test_attestation_required,
              fixture_tear_down);
  g_test_add ("/enrollment/retriever", Fixture, NULL, fixture_set_up, test_retriever, fixture_tear_down);
  g_test_add ("/enrollment/untrusted-root/own-root", Fixture, NULL, fixture_set_up, test_own_root,
              fixture_tear_down);
  g_test_add ("/enrollment/untrusted-root/aia-root", Fixture, NULL, fixture_set_up, test_aia_root,
              fixture_tear_down);
  status = g_test_run ();
  g_unlink (conf);
  g_unlink (anchors);
  g_rmdir (config);
  EVP_PKEY_free (trusted_root_key);
  g_bytes_unref (trusted_root);
  return status;
}
