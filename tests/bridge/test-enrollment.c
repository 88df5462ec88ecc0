/* test-enrollment.c: the enrollment state machine with a real simulated
 * device and a scripted CA (no lab): issued and installed, pending then
 * resumed, denied (the key deleted), the CA unreachable (kept, back-off,
 * sent again), a certificate for another key, cancelling while the device
 * waits, and the retriever finishing a cradled device's request */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <openssl/x509.h>

#include "agent-fixture.h"
#include "cradle-ca-answer-private.h"
#include "cradle-ca-connector-private.h"
#include "cradle-cert-type-private.h"
#include "cradle-enrollment-private.h"
#include "cradle-journal-private.h"
#include "cradle-openssl-private.h"

/* ---- a CA that answers as the test says ----------------------------------- */

typedef enum {
  SCRIPT_ISSUE,
  SCRIPT_ISSUE_OTHER_KEY,
  SCRIPT_PEND,
  SCRIPT_DENY,
  SCRIPT_UNREACHABLE,
} Script;

#define FAKE_URL "https://ca.invalid/certsrv"

struct _FakeCa
{
  CradleCaConnector parent_instance;

  GQueue            script;        /* Script values, one per call */
  EVP_PKEY         *root_key;
  GBytes           *root;
  guint             submits;
  guint             retrieves;
  char             *last_request_id;
};

G_DECLARE_FINAL_TYPE (FakeCa, fake_ca, FAKE, CA, CradleCaConnector)
G_DEFINE_FINAL_TYPE (FakeCa, fake_ca, CRADLE_TYPE_CA_CONNECTOR)

static CradleCaAnswer *
answer (FakeCa           *self,
        CradleCaRequest  *request,
        GError          **error)
{
  Script script = GPOINTER_TO_UINT (g_queue_pop_head (&self->script));

  switch (script)
    {
    case SCRIPT_PEND:
      return cradle_ca_answer_new_pending (CRADLE_CA_PROTOCOL_CERTSRV, "42", NULL, 100, "Taken Under Submission");
    case SCRIPT_DENY:
      return cradle_ca_answer_new_denied (CRADLE_CA_PROTOCOL_CERTSRV, "42", 0x80094012, "Denied by Policy Module");
    case SCRIPT_UNREACHABLE:
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE, "Could not connect to ca.invalid.");
      return NULL;
    case SCRIPT_ISSUE:
    case SCRIPT_ISSUE_OTHER_KEY:
    default:
      {
        GBytes *csr = cradle_ca_request_get_csr (request);
        const unsigned char *p = g_bytes_get_data (csr, NULL);
        g_autoptr(X509_REQ) req = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (csr));
        g_autoptr(EVP_PKEY) other = test_key_new ();
        g_autoptr(GBytes) der = NULL;
        g_autoptr(CradleCertificate) leaf = NULL;
        g_autoptr(CradleCertificate) root = NULL;
        g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);

        g_assert_nonnull (req);
        der = test_cert ("Device", script == SCRIPT_ISSUE ? X509_REQ_get0_pubkey (req) : other, "Fake Root",
                         self->root_key, FALSE);
        leaf = cradle_certificate_new_from_der (der, NULL);
        root = cradle_certificate_new_from_der (self->root, NULL);
        g_ptr_array_add (chain, g_steal_pointer (&root));
        return cradle_ca_answer_new_issued (CRADLE_CA_PROTOCOL_CERTSRV, "42", leaf, chain);
      }
    }
}

static CradleCaAnswer *
fake_submit (CradleCaConnector  *connector,
             CradleCaRequest    *request,
             GCancellable       *cancellable,
             GError            **error)
{
  FakeCa *self = FAKE_CA (connector);

  self->submits++;
  return answer (self, request, error);
}

static CradleCaAnswer *
fake_retrieve (CradleCaConnector  *connector,
               CradleCaRequest    *request,
               const char         *request_id,
               const char         *retrieve_uri,
               GCancellable       *cancellable,
               GError            **error)
{
  FakeCa *self = FAKE_CA (connector);

  self->retrieves++;
  g_free (self->last_request_id);
  self->last_request_id = g_strdup (request_id);
  return answer (self, request, error);
}

static void
fake_ca_finalize (GObject *object)
{
  FakeCa *self = FAKE_CA (object);

  g_queue_clear (&self->script);
  EVP_PKEY_free (self->root_key);
  g_bytes_unref (self->root);
  g_free (self->last_request_id);
  G_OBJECT_CLASS (fake_ca_parent_class)->finalize (object);
}

static void
fake_ca_class_init (FakeCaClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fake_ca_finalize;
  CRADLE_CA_CONNECTOR_CLASS (klass)->submit = fake_submit;
  CRADLE_CA_CONNECTOR_CLASS (klass)->retrieve = fake_retrieve;
}

static void
fake_ca_init (FakeCa *self)
{
  g_queue_init (&self->script);
}

static FakeCa *
fake_ca_new (Script first,
             ...)
{
  FakeCa *self = g_object_new (fake_ca_get_type (), NULL);
  va_list args;

  cradle_ca_connector_init_kind (CRADLE_CA_CONNECTOR (self), CRADLE_CA_PROTOCOL_CERTSRV, FAKE_URL);
  self->root_key = test_key_new ();
  self->root = test_cert ("Fake Root", self->root_key, "Fake Root", self->root_key, TRUE);
  g_queue_push_tail (&self->script, GUINT_TO_POINTER (first));
  va_start (args, first);
  for (int next = va_arg (args, int); next >= 0; next = va_arg (args, int))
    g_queue_push_tail (&self->script, GUINT_TO_POINTER (next));
  va_end (args);
  return self;
}

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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

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
  g_test_add ("/enrollment/scep-without-its-type", Fixture, NULL, fixture_set_up, test_scep_without_type,
              fixture_tear_down);
  g_test_add ("/enrollment/certificate-for-another-key", Fixture, NULL, fixture_set_up, test_other_key,
              fixture_tear_down);
  g_test_add ("/enrollment/cancelled-while-waiting", Fixture, "--confirm-generate=never", fixture_set_up,
              test_cancelled_while_waiting, fixture_tear_down);
  g_test_add ("/enrollment/retriever", Fixture, NULL, fixture_set_up, test_retriever, fixture_tear_down);
  return g_test_run ();
}
