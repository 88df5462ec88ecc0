/* cradle-enrollment-run.c: the state machine of one enrollment, in a worker thread
 *
 *   new:    device -> session -> type -> generate-key -> sign -> (recorded
 *           as submitting) -> submit
 *   resume: device -> session -> type -> submit (submitting) | retrieve
 *           (pending) | chain (issued)
 *   then:   denied -> delete-key; pending -> (kept); issued -> chain ->
 *           install
 *
 * Rules: the request is recorded before it goes to the CA; only a CA's
 * decision (or a certificate that cannot be used) finishes it; every try
 * without an answer (CA unreachable, device gone, cancelled, declined
 * root) keeps the status and records the attempt with the back-off.  A
 * key made but not signed with (the device went away while its user was
 * asked) is remembered, and the next enrollment of the type signs with it.
 */
#include "config.h"

#include <openssl/err.h>

#include "ca/cradle-ca-connector-private.h"
#include "policy/cradle-cert-type-private.h"
#include "csr/cradle-csr-private.h"
#include "catalog/cradle-catalog-private.h"
#include "engine/cradle-enrollment-private.h"
#include "ca/cradle-http-private.h"
#include "state/cradle-journal-private.h"
#include "base/cradle-openssl-private.h"
#include "state/cradle-pending-store-private.h"

#define DECLINED_RETRY_SECONDS 3600

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static const char *
step_outcome_for (const GError *error)
{
  if (is_cancelled (error))
    return "cancelled";
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED))
    return "declined";
  return "failed";
}

static void
finish (CradleEnrollment        *self,
        CradleEnrollmentOutcome  outcome,
        GError                  *error)
{
  g_autoptr(GError) journal_error = NULL;

  self->outcome = outcome;
  g_clear_error (&self->error);
  self->error = error;
  if (self->journal != NULL && self->run_id != 0 &&
      !cradle_journal_end_run (self->journal, self->run_id, cradle_enrollment_outcome_to_string (outcome),
                               error, &journal_error))
    g_warning ("Could not write the journal: %s", journal_error->message);
  g_mutex_lock (&self->lock);
  self->step = CRADLE_ENROLLMENT_STEP_FINISHED;
  g_mutex_unlock (&self->lock);
}

/* A failure of the step that runs: journaled, then the run ends. */
static void
fail_step (CradleEnrollment        *self,
           CradleEnrollmentOutcome  outcome,
           GError                  *error)
{
  cradle_enrollment_end_step (self, step_outcome_for (error), error);
  finish (self, outcome, error);
}

static CradleEnrollmentOutcome
outcome_before_recording (const GError *error)
{
  if (is_cancelled (error))
    return CRADLE_ENROLLMENT_OUTCOME_CANCELLED;
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED))
    return CRADLE_ENROLLMENT_OUTCOME_DECLINED;
  return CRADLE_ENROLLMENT_OUTCOME_FAILED;
}

/* Nothing recorded yet: cancelled, declined or failed, as the error says.
 * (One argument: C does not say whether the outcome or the steal comes first.) */
static void
fail_before_recording (CradleEnrollment *self,
                       GError           *error)
{
  fail_step (self, outcome_before_recording (error), error);
}

static const char *
type_name (CradleEnrollment *self)
{
  return self->type != NULL ? cradle_cert_type_get_name (self->type) : NULL;
}

static char *
dup_host (const char *url)
{
  return url != NULL ? cradle_http_dup_host (url) : g_strdup ("the CA");
}

/* ---- steps shared by new and resumed runs ------------------------------- */

static gboolean
step_device (CradleEnrollment  *self,
             GCancellable      *cancellable,
             GError           **error)
{
  const char *wanted = self->resume != NULL ? cradle_pending_request_get_device_serial (self->resume) : NULL;

  cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_DEVICE, "Talking to the device %s",
                                cradle_device_get_id (self->device));
  if (cradle_device_get_serial (self->device) == NULL &&
      !cradle_device_open (self->device, cancellable, error))
    return FALSE;
  /* The first time, the device's user is asked to trust this computer. */
  if (!cradle_device_pair (self->device, cancellable, error))
    return FALSE;
  if (wanted != NULL && g_strcmp0 (wanted, cradle_device_get_serial (self->device)) != 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "Request %" G_GINT64_FORMAT " was made on the device with serial %s, not on %s (serial %s). "
                   "Connect that device to continue it.",
                   self->request_id, wanted, cradle_device_get_id (self->device),
                   cradle_device_get_serial (self->device));
      return FALSE;
    }
  cradle_enrollment_end_step (self, "ok", NULL);
  return TRUE;
}

static void
step_session (CradleEnrollment *self)
{
  CradleCatalog *catalog = self->type != NULL ? cradle_cert_type_get_catalog (self->type) : NULL;
  CradleCredentials *credentials = self->credentials;

  if (catalog != NULL)
    cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SESSION, "Signed in to the domain as %s",
                                  cradle_directory_user_get_account_name (cradle_catalog_get_user (catalog)));
  else if (cradle_credentials_get_kind (credentials) == CRADLE_CREDENTIALS_PASSWORD)
    cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SESSION, "Signing in to the CA as %s",
                                  cradle_credentials_get_user (credentials));
  else if (cradle_credentials_get_kind (credentials) == CRADLE_CREDENTIALS_KERBEROS)
    cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SESSION,
                                  "Signing in to the CA with Kerberos tickets");
  else
    cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SESSION, "No sign-in");
  cradle_enrollment_end_step (self, "ok", NULL);
}

static void
delete_abandoned_key (CradleEnrollment *self)
{
  g_autoptr(GError) error = NULL;

  if (self->key_id == NULL)
    return;
  cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_DELETE_KEY,
                                "Deleting the key the device made for this request");
  /* Not cancellable: it is the clean-up after a cancel too. */
  if (!cradle_device_delete_key (self->device, self->key_id, NULL, &error))
    {
      g_warning ("Could not delete the abandoned key on %s: %s", cradle_device_get_id (self->device),
                 error->message);
      /* Still remembered: a later enrollment of the type uses it. */
      cradle_enrollment_end_step (self, "failed", error);
      return;
    }
  cradle_enrollment_end_step (self, "ok", NULL);
  if (self->journal != NULL)
    cradle_journal_forget_key (self->journal, self->key_id, NULL);
}

/* No answer this time: the request stays as it is, the attempt is counted. */
static void
keep_for_later (CradleEnrollment        *self,
                CradleEnrollmentOutcome  outcome,
                guint                    delay,
                GError                  *error)
{
  g_autoptr(GError) store_error = NULL;

  cradle_enrollment_end_step (self, step_outcome_for (error), error);
  if (!cradle_pending_store_record_attempt (self->store, self->request_id, error->message, delay, &store_error))
    g_warning ("Could not record the attempt of request %" G_GINT64_FORMAT ": %s", self->request_id,
               store_error->message);
  self->next_attempt = g_get_real_time () / G_USEC_PER_SEC + delay;
  finish (self, outcome, error);
}

/* The outcome follows from the error: cancelled, or kept for later. */
static void
keep_after_failure (CradleEnrollment *self,
                    guint             delay,
                    GError           *error)
{
  keep_for_later (self, is_cancelled (error) ? CRADLE_ENROLLMENT_OUTCOME_CANCELLED
                                             : CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED,
                  delay, error);
}

static void
give_up (CradleEnrollment *self,
         GError           *error)
{
  g_autoptr(GError) store_error = NULL;

  cradle_enrollment_end_step (self, "failed", error);
  if (!cradle_pending_store_mark_failed (self->store, self->request_id, error->message, &store_error))
    g_warning ("Could not record the failure of request %" G_GINT64_FORMAT ": %s", self->request_id,
               store_error->message);
  finish (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, error);
}

static GPtrArray *
chain_candidates (CradleEnrollment *self,
                  GPtrArray        *from_ca)
{
  GPtrArray *candidates = g_ptr_array_new_with_free_func (g_object_unref);
  CradleCatalog *catalog = self->type != NULL ? cradle_cert_type_get_catalog (self->type) : NULL;

  for (guint i = 0; from_ca != NULL && i < from_ca->len; i++)
    g_ptr_array_add (candidates, g_object_ref (g_ptr_array_index (from_ca, i)));
  if (catalog != NULL)
    {
      GPtrArray *lists[] = { cradle_catalog_get_aia_certificates (catalog),
                             cradle_catalog_get_ntauth_certificates (catalog) };
      GPtrArray *services = cradle_catalog_get_services (catalog);

      for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
        for (guint i = 0; lists[l] != NULL && i < lists[l]->len; i++)
          g_ptr_array_add (candidates, g_object_ref (g_ptr_array_index (lists[l], i)));
      for (guint i = 0; services != NULL && i < services->len; i++)
        {
          CradleCertificate *ca = cradle_enrollment_service_get_certificate (g_ptr_array_index (services, i));

          if (ca != NULL)
            g_ptr_array_add (candidates, g_object_ref (ca));
        }
    }
  return candidates;
}

static GPtrArray *
build_chain (CradleEnrollment  *self,
             GPtrArray         *from_ca,
             GCancellable      *cancellable,
             GError           **error)
{
  g_autoptr(GPtrArray) candidates = chain_candidates (self, from_ca);
  g_autoptr(GPtrArray) more = NULL;
  g_autoptr(GError) local_error = NULL;
  CradleCatalog *catalog = self->type != NULL ? cradle_cert_type_get_catalog (self->type) : NULL;
  g_autoptr(GPtrArray) roots = catalog != NULL ? cradle_catalog_dup_directory_roots (catalog) : NULL;
  g_autofree char *anchors = self->type != NULL ? g_strdup (cradle_cert_type_get_trust_anchors (self->type))
                                                : cradle_cert_type_dup_default_trust_anchors ();
  GPtrArray *chain;

  /* What the host trusts on its own: the directory's roots, the type's
   * anchors (or the default ones for a stored request), the system's. */
  chain = cradle_enrollment_build_chain (self->leaf, self->csr, candidates, anchors, roots, cancellable,
                                         &local_error);
  if (chain != NULL || !g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    {
      if (chain == NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return chain;
    }
  /* The CA's own certificates, as the protocol hands them out (SCEP
   * GetCACert, EST cacerts, certsrv certcarc). */
  more = cradle_ca_connector_dup_ca_certificates (self->connector, cancellable, NULL);
  if (more == NULL || more->len == 0)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_ptr_array_extend (candidates, more, (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
  return cradle_enrollment_build_chain (self->leaf, self->csr, candidates, anchors, roots, cancellable, error);
}

static void
chain_and_install (CradleEnrollment *self,
                   GPtrArray        *from_ca,
                   GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  CradleCertificate *root;
  guint added = 0;

  cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_CHAIN,
                                "Checking the certificate is for the device's key, and its chain");
  chain = build_chain (self, from_ca, cancellable, &error);
  if (chain == NULL)
    {
      /* A certificate that does not fit or does not verify never will. */
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA))
        give_up (self, g_steal_pointer (&error));
      else
        keep_after_failure (self, cradle_enrollment_backoff_seconds (self->attempts, 0), g_steal_pointer (&error));
      return;
    }
  g_ptr_array_extend (self->chain, chain, (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
  cradle_enrollment_end_step (self, "ok", NULL);

  root = g_ptr_array_index (chain, chain->len - 1);
  cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_INSTALL,
                                "Installing the certificate on the device; it asks its user to trust "
                                "the root CA '%s' (SHA-256 %s) if it does not yet",
                                cradle_certificate_get_subject (root), cradle_certificate_get_sha256 (root));
  g_ptr_array_add (batch, cradle_device_cert_new ("MY", "user", cradle_certificate_get_der (self->leaf),
                                                  self->key_id));
  for (guint i = 0; i + 1 < chain->len; i++)
    g_ptr_array_add (batch, cradle_device_cert_new ("CA", "user",
                                                    cradle_certificate_get_der (g_ptr_array_index (chain, i)),
                                                    NULL));
  g_ptr_array_add (batch, cradle_device_cert_new ("Root", "user", cradle_certificate_get_der (root), NULL));
  if (!cradle_device_install (self->device, batch, &added, cancellable, &error))
    {
      cradle_enrollment_stop_waiting (self);
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED))
        keep_for_later (self, CRADLE_ENROLLMENT_OUTCOME_DECLINED, DECLINED_RETRY_SECONDS,
                        g_steal_pointer (&error));
      else
        keep_after_failure (self, cradle_enrollment_backoff_seconds (self->attempts, 0), g_steal_pointer (&error));
      return;
    }
  cradle_enrollment_stop_waiting (self);
  if (!cradle_pending_store_mark_installed (self->store, self->request_id, &error))
    g_warning ("The certificate is installed, but request %" G_GINT64_FORMAT " could not be marked so: %s",
               self->request_id, error->message);
  cradle_enrollment_end_step (self, "ok", NULL);
  finish (self, CRADLE_ENROLLMENT_OUTCOME_INSTALLED, NULL);
}

static GError *
denial_error (CradleCaAnswer *answer)
{
  CradleCaProtocol protocol = cradle_ca_answer_get_protocol (answer);
  guint32 code = cradle_ca_answer_get_code (answer);
  const char *message = cradle_ca_answer_get_message (answer);
  const CradleExplanation *explanation = cradle_explain_ca_code (cradle_ca_protocol_to_string (protocol), code);
  GError *error = NULL;
  CradleExplainKind kind = cradle_explanation_get_kind (explanation);

  cradle_explain_set_error (&error, CRADLE_ERROR_CA_DENIED, kind, code,
                            "The CA refused the request: %s (%s). %s",
                            message != NULL && message[0] != '\0' ? message
                                                                  : cradle_explanation_get_summary (explanation),
                            cradle_explanation_get_name (explanation),
                            cradle_explanation_get_user_action (explanation));
  return error;
}

static void
handle_answer (CradleEnrollment *self,
               CradleCaAnswer   *answer,
               GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  const char *ca_id = cradle_ca_answer_get_request_id (answer);

  if (ca_id != NULL)
    {
      g_free (self->ca_request_id);
      self->ca_request_id = g_strdup (ca_id);
    }

  switch (cradle_ca_answer_get_status (answer))
    {
    case CRADLE_CA_STATUS_DENIED:
      {
        GError *denial = denial_error (answer);

        self->denied = TRUE;
        self->denial_code = cradle_ca_answer_get_code (answer);
        self->denial_message = g_strdup (cradle_ca_answer_get_message (answer));
        if (!cradle_pending_store_mark_denied (self->store, self->request_id, ca_id, self->denial_code,
                                               self->denial_message, &error))
          g_warning ("Could not record the denial of request %" G_GINT64_FORMAT ": %s", self->request_id,
                     error->message);
        cradle_enrollment_end_step (self, "denied", denial);
        delete_abandoned_key (self);
        finish (self, CRADLE_ENROLLMENT_OUTCOME_DENIED, denial);
        return;
      }

    case CRADLE_CA_STATUS_PENDING:
      {
        guint delay = cradle_enrollment_backoff_seconds (self->attempts,
                                                         cradle_ca_answer_get_retry_after (answer));

        if (!cradle_pending_store_mark_pending (self->store, self->request_id, ca_id,
                                                cradle_ca_answer_get_retrieve_uri (answer), delay, &error))
          {
            /* Without the CA's number the request could not be retrieved. */
            g_prefix_error (&error, "The CA will decide later, but Cradle could not record it: ");
            fail_step (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
            return;
          }
        self->next_attempt = g_get_real_time () / G_USEC_PER_SEC + delay;
        cradle_enrollment_end_step (self, "pending", NULL);
        finish (self, CRADLE_ENROLLMENT_OUTCOME_PENDING, NULL);
        return;
      }

    case CRADLE_CA_STATUS_ISSUED:
    default:
      g_set_object (&self->leaf, cradle_ca_answer_get_leaf (answer));
      if (!cradle_pending_store_mark_issued (self->store, self->request_id, ca_id, self->leaf,
                                             cradle_ca_answer_get_chain (answer), &error))
        g_warning ("Could not record the certificate of request %" G_GINT64_FORMAT ": %s", self->request_id,
                   error->message);
      cradle_enrollment_end_step (self, "ok", NULL);
      chain_and_install (self, cradle_ca_answer_get_chain (answer), cancellable);
      return;
    }
}

static void
ask_ca (CradleEnrollment *self,
        CradleCaRequest  *request,
        gboolean          retrieve,
        const char       *retrieve_uri,
        GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;
  const char *url = cradle_ca_connector_get_url (self->connector);
  g_autofree char *host = dup_host (url);
  const char *protocol = cradle_ca_protocol_to_string (cradle_ca_connector_get_protocol (self->connector));

  if (retrieve)
    {
      cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_RETRIEVE, "Asking %s (%s) about request %s",
                                    host, protocol, self->ca_request_id != NULL ? self->ca_request_id : "?");
      answer = cradle_ca_connector_retrieve (self->connector, request, self->ca_request_id, retrieve_uri,
                                             cancellable, &error);
    }
  else
    {
      cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SUBMIT, "Sending the request to %s (%s)",
                                    host, protocol);
      answer = cradle_ca_connector_submit (self->connector, request, cancellable, &error);
    }
  if (answer == NULL)
    {
      keep_after_failure (self, cradle_enrollment_backoff_seconds (self->attempts, 0), g_steal_pointer (&error));
      return;
    }
  handle_answer (self, answer, cancellable);
}

static CradleCaRequest *
ca_request_new (CradleEnrollment *self,
                const char       *template_name)
{
  CradleCaRequest *request = cradle_ca_request_new (self->csr, template_name);

  cradle_ca_request_set_device_key (request, self->device, self->key_id);
  return request;
}

static void
begin_run (CradleEnrollment *self,
           const char       *kind,
           const char       *protocol)
{
  g_autoptr(GError) error = NULL;

  if (self->journal == NULL)
    return;
  self->run_id = cradle_journal_begin_run (self->journal, kind, type_name (self), protocol,
                                           cradle_device_get_serial (self->device), self->request_id, &error);
  if (self->run_id == 0)
    g_warning ("Could not write the journal: %s", error->message);
}

/* ---- a new enrollment ---------------------------------------------------- */

static GError *
not_enrollable_error (CradleCertType *type)
{
  const char *reason = cradle_cert_type_get_reason (type);
  CradleError code;

  switch (cradle_cert_type_get_enrollability (type))
    {
    case CRADLE_ENROLLABILITY_NOT_PERMITTED:
      code = CRADLE_ERROR_PERMISSION_DENIED;
      break;
    case CRADLE_ENROLLABILITY_UNSUPPORTED:
      code = CRADLE_ERROR_NOT_SUPPORTED;
      break;
    default:
      code = CRADLE_ERROR_NOT_CONFIGURED;
      break;
    }
  return g_error_new (CRADLE_ERROR, code, "You cannot enroll for '%s': %s", cradle_cert_type_get_display_name (type),
                      reason != NULL ? reason : "the directory does not allow it.");
}

static GBytes *
make_or_reuse_key (CradleEnrollment   *self,
                   CradleRequestPlan  *plan,
                   GBytes            **public_key,
                   gboolean           *reused,
                   GCancellable       *cancellable,
                   GError            **error)
{
  const char *serial = cradle_device_get_serial (self->device);
  GBytes *key_id = NULL;

  if (self->journal != NULL)
    key_id = cradle_journal_find_key (self->journal, serial, type_name (self), public_key);
  *reused = key_id != NULL;
  if (key_id != NULL)
    {
      cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY,
                                    "Continuing with the %s key the device made for this type before",
                                    cradle_request_plan_get_key_type (plan));
      cradle_enrollment_end_step (self, "ok", NULL);
      return key_id;
    }

  cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY, "The device makes a %s key",
                                cradle_request_plan_get_key_type (plan));
  /* A SCEP key may sign SCEP messages and decrypt SCEP answers, and only it. */
  key_id = cradle_device_generate_key_for (self->device, cradle_request_plan_get_key_type (plan), type_name (self),
                                           cradle_cert_type_get_protocol (self->type) == CRADLE_CA_PROTOCOL_SCEP
                                           ? CRADLE_DEVICE_KEY_FOR_SCEP : CRADLE_DEVICE_KEY_FOR_REQUEST,
                                           public_key, cancellable, error);
  cradle_enrollment_stop_waiting (self);
  if (key_id == NULL)
    return NULL;
  if (self->journal != NULL)
    {
      g_autoptr(GError) journal_error = NULL;

      if (!cradle_journal_remember_key (self->journal, serial, type_name (self), key_id, *public_key,
                                        &journal_error))
        g_warning ("Could not remember the device's new key: %s", journal_error->message);
    }
  cradle_enrollment_end_step (self, "ok", NULL);
  return key_id;
}

static GBytes *
sign_on_device (CradleEnrollment   *self,
                CradleRequestPlan  *plan,
                GBytes             *public_key,
                GCancellable       *cancellable,
                GError            **error)
{
  g_autoptr(GBytes) info = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *algorithm = NULL;

  info = cradle_request_plan_build_info (plan, public_key, error);
  if (info == NULL)
    return NULL;
  signature = cradle_device_sign_request (self->device, self->key_id, info, cradle_request_plan_get_digest (plan),
                                          &algorithm, cancellable, error);
  cradle_enrollment_stop_waiting (self);
  if (signature == NULL)
    return NULL;
  return cradle_csr_assemble (info, algorithm, signature, error);
}

static gboolean
provisional_type_usable (CradleEnrollment *self)
{
  g_autoptr(CradleRequestPlan) plan = NULL;

  if (!cradle_cert_type_is_enrollable (self->type))
    return FALSE;
  plan = cradle_request_plan_new (self->type, self->device, self->subject, NULL);
  return plan != NULL;
}

static gboolean
take_fresh_type (CradleEnrollment  *self,
                 GCancellable      *cancellable,
                 GError           **error)
{
  CradleTypeConfirmFunc func = g_steal_pointer (&self->confirm_type);
  gpointer data = g_steal_pointer (&self->confirm_data);
  GDestroyNotify destroy = g_steal_pointer (&self->confirm_destroy);
  CradleCertType *fresh = func (data, cancellable, error);

  if (destroy != NULL)
    destroy (data);
  if (fresh == NULL)
    return FALSE;
  g_set_object (&self->type, fresh);
  g_object_unref (fresh);
  return TRUE;
}

/* Whether two types send to the same place the same way. */
static gboolean
same_destination (CradleCertType *type,
                  CradleCertType *other)
{
  g_autofree char *endpoint = cradle_cert_type_dup_endpoint (type);
  g_autofree char *other_endpoint = cradle_cert_type_dup_endpoint (other);

  return cradle_cert_type_get_protocol (type) == cradle_cert_type_get_protocol (other) &&
         cradle_cert_type_get_auth (type) == cradle_cert_type_get_auth (other) &&
         g_strcmp0 (endpoint, other_endpoint) == 0;
}

/* Whether two plans make one request from @public_key: the same key kind,
 * the same signed content, the same digest. */
static gboolean
same_request (CradleRequestPlan *plan,
              CradleRequestPlan *other_plan,
              GBytes            *public_key)
{
  g_autoptr(GBytes) info = cradle_request_plan_build_info (plan, public_key, NULL);
  g_autoptr(GBytes) other_info = cradle_request_plan_build_info (other_plan, public_key, NULL);

  return info != NULL && other_info != NULL && g_bytes_equal (info, other_info) &&
         g_strcmp0 (cradle_request_plan_get_key_type (plan), cradle_request_plan_get_key_type (other_plan)) == 0 &&
         g_strcmp0 (cradle_request_plan_get_digest (plan), cradle_request_plan_get_digest (other_plan)) == 0;
}

typedef enum {
  TYPE_CONFIRMED,
  TYPE_CHANGED,
  TYPE_FAILED,
} TypeCheck;

/* The provisional type against the fresh one, before the device signs:
 * confirmed, the run goes on with the fresh type (its catalog builds the
 * chain); changed, the run starts again from it. */
static TypeCheck
confirm_type (CradleEnrollment   *self,
              CradleRequestPlan **plan,
              GBytes             *public_key,
              GCancellable       *cancellable,
              GError            **error)
{
  g_autoptr(CradleCertType) provisional = g_object_ref (self->type);
  g_autoptr(CradleRequestPlan) fresh_plan = NULL;
  g_autoptr(CradleCaConnector) connector = NULL;
  gboolean destination_kept;
  CradleCertType *fresh;

  cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_TYPE, "Checking '%s' against the directory",
                                cradle_cert_type_get_display_name (self->type));
  if (!take_fresh_type (self, cancellable, error))
    return TYPE_FAILED;
  fresh = self->type;
  if (!cradle_cert_type_is_enrollable (fresh))
    {
      g_propagate_error (error, not_enrollable_error (fresh));
      return TYPE_FAILED;
    }
  fresh_plan = cradle_request_plan_new (fresh, self->device, self->subject, error);
  if (fresh_plan == NULL)
    return TYPE_FAILED;
  destination_kept = same_destination (provisional, fresh);
  if (destination_kept && same_request (*plan, fresh_plan, public_key))
    {
      cradle_enrollment_end_step (self, "ok", NULL);
      return TYPE_CONFIRMED;
    }

  if (!destination_kept)
    {
      connector = cradle_cert_type_create_connector (fresh, self->credentials, error);
      if (connector == NULL)
        return TYPE_FAILED;
      g_set_object (&self->connector, connector);
      cradle_ca_connector_prepare (self->connector);
    }
  g_debug ("The directory changed '%s' since it was kept: starting again from its new settings",
           cradle_cert_type_get_name (fresh));
  cradle_enrollment_end_step (self, "changed", NULL);
  cradle_request_plan_free (*plan);
  *plan = g_steal_pointer (&fresh_plan);
  return TYPE_CHANGED;
}

static void
run_new (CradleEnrollment *self,
         GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleRequestPlan) plan = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(CradleCaRequest) request = NULL;
  g_autoptr(GBytes) kept_csr = NULL;
  CradleCertType *type = self->type;
  const char *protocol = cradle_ca_protocol_to_string (cradle_cert_type_get_protocol (type));
  gboolean had_challenge = FALSE;
  const char *serial;

  begin_run (self, "enroll", protocol);
  if (!step_device (self, cancellable, &error))
    {
      fail_before_recording (self, g_steal_pointer (&error));
      return;
    }
  serial = cradle_device_get_serial (self->device);
  step_session (self);

  cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_TYPE, "Preparing a request for '%s' (%s)",
                                cradle_cert_type_get_display_name (type), protocol);
  /* A provisional type that cannot make a request is no head start: the
   * fresh one decides, before the device does anything. */
  if (self->confirm_type != NULL && !provisional_type_usable (self))
    {
      if (!take_fresh_type (self, cancellable, &error))
        {
          fail_step (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
          return;
        }
      type = self->type;
      protocol = cradle_ca_protocol_to_string (cradle_cert_type_get_protocol (type));
    }
  if (!cradle_cert_type_is_enrollable (type))
    {
      fail_step (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, not_enrollable_error (type));
      return;
    }
  plan = cradle_request_plan_new (type, self->device, self->subject, &error);
  if (plan != NULL && self->connector == NULL)
    self->connector = cradle_cert_type_create_connector (type, self->credentials, &error);
  if (plan == NULL || self->connector == NULL)
    {
      fail_step (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
      return;
    }
  cradle_enrollment_end_step (self, "ok", NULL);
  /* The TLS trust store (and SCEP's CA) is read while the device makes the key. */
  cradle_ca_connector_prepare (self->connector);

  for (guint attempt = 0; self->csr == NULL; attempt++)
    {
      gboolean reused = FALSE;

      self->key_id = make_or_reuse_key (self, plan, &public_key, &reused, cancellable, &error);
      if (self->key_id == NULL)
        {
          fail_before_recording (self, g_steal_pointer (&error));
          return;
        }
      if (self->confirm_type != NULL)
        {
          TypeCheck check = confirm_type (self, &plan, public_key, cancellable, &error);

          type = self->type;
          protocol = cradle_ca_protocol_to_string (cradle_cert_type_get_protocol (type));
          if (check == TYPE_FAILED)
            {
              /* The key stays remembered: the next try of the type uses it. */
              fail_before_recording (self, g_steal_pointer (&error));
              return;
            }
          if (check == TYPE_CHANGED)
            {
              delete_abandoned_key (self);
              /* Forgotten even when the device kept it: it was made for
               * another request, and a later run must not take it up. */
              if (self->journal != NULL)
                cradle_journal_forget_key (self->journal, self->key_id, NULL);
              g_clear_pointer (&self->key_id, g_bytes_unref);
              g_clear_pointer (&public_key, g_bytes_unref);
              continue;
            }
        }

      cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SIGN, "The device signs the request");
      self->csr = sign_on_device (self, plan, public_key, cancellable, &error);
      if (self->csr != NULL)
        break;
      /* A remembered key the device no longer has (its store was reset):
       * forget it and make a new one, once. */
      if (reused && attempt == 0 && g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
        {
          cradle_enrollment_end_step (self, "failed", error);
          if (self->journal != NULL)
            cradle_journal_forget_key (self->journal, self->key_id, NULL);
          g_clear_error (&error);
          g_clear_pointer (&self->key_id, g_bytes_unref);
          g_clear_pointer (&public_key, g_bytes_unref);
          continue;
        }
      {
        CradleEnrollmentOutcome outcome = outcome_before_recording (error);

        cradle_enrollment_end_step (self, step_outcome_for (error), error);
        /* The device's user said no, or we gave up: the key is abandoned.  A
         * device that went away keeps it for the next try. */
        if (!g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
          delete_abandoned_key (self);
        finish (self, outcome, g_steal_pointer (&error));
        return;
      }
    }

  /* A SCEP challenge is in the request the CA gets, never in the store. */
  kept_csr = cradle_csr_dup_without_challenge (self->csr, &had_challenge, &error);
  if (kept_csr != NULL)
    {
      g_autofree char *owner = cradle_pending_claim_owner_new ();

      /* Claimed as it is recorded: no other program resumes it while this
       * one sends it. */
      self->request_id = cradle_pending_store_add_claimed (self->store, protocol,
                                                           cradle_ca_connector_get_url (self->connector),
                                                           cradle_cert_type_get_template_name (type), serial,
                                                           self->key_id, kept_csr, owner, &error);
      if (self->request_id != 0)
        self->claim = cradle_pending_claim_keep (self->store, self->request_id, owner);
    }
  if (self->request_id == 0)
    {
      cradle_enrollment_end_step (self, "failed", error);
      delete_abandoned_key (self);
      finish (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
      return;
    }
  if (self->journal != NULL)
    {
      cradle_journal_set_run_request (self->journal, self->run_id, self->request_id, NULL);
      cradle_journal_forget_key (self->journal, self->key_id, NULL);
    }
  cradle_enrollment_end_step (self, "ok", NULL);

  request = ca_request_new (self, cradle_cert_type_get_template_name (type));
  ask_ca (self, request, FALSE, NULL, cancellable);
}

/* ---- a stored request ---------------------------------------------------- */

/* Without the type, the stored protocol and endpoint, with the defaults.
 * Not for SCEP: its CA is checked against the type's own TrustAnchors and
 * CAFingerprint, which cradle.conf's defaults must not stand in for. */
static CradleCaConnector *
stored_connector (CradleEnrollment  *self,
                  GError           **error)
{
  const char *name = cradle_pending_request_get_connector (self->resume);
  const char *endpoint = cradle_pending_request_get_endpoint (self->resume);
  g_autoptr(CradleCaConnector) connector = NULL;
  g_autofree char *anchors = cradle_cert_type_dup_default_trust_anchors ();
  CradleCaProtocol protocol;

  if (!cradle_ca_protocol_from_string (name, &protocol))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Request %" G_GINT64_FORMAT " names an unknown kind of CA, '%s'.", self->request_id, name);
      return NULL;
    }
  if (protocol == CRADLE_CA_PROTOCOL_SCEP)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "Request %" G_GINT64_FORMAT " went to the SCEP server %s, and no configured certificate "
                   "type sends requests there now, so its CA cannot be checked against the type's trust "
                   "anchors. The request is kept; ask your administrator about the type.",
                   self->request_id, endpoint);
      return NULL;
    }
  switch (protocol)
    {
    case CRADLE_CA_PROTOCOL_CERTSRV:
      connector = cradle_certsrv_connector_new (endpoint);
      break;
    case CRADLE_CA_PROTOCOL_WSTEP:
      connector = cradle_wstep_connector_new (endpoint);
      break;
    case CRADLE_CA_PROTOCOL_SCEP:
      connector = cradle_scep_connector_new (endpoint);
      break;
    case CRADLE_CA_PROTOCOL_EST:
    default:
      connector = cradle_est_connector_new (endpoint, NULL);
      break;
    }
  if (protocol != CRADLE_CA_PROTOCOL_SCEP)
    cradle_credentials_apply_to_connector (self->credentials, connector);
  if (anchors != NULL)
    cradle_ca_connector_add_trust_anchors (connector, anchors);
  return g_steal_pointer (&connector);
}

/* Whether the stored request's signature still verifies (it does not once
 * its challenge was taken out for the store). */
static gboolean
csr_verifies (GBytes *csr)
{
  const unsigned char *p = g_bytes_get_data (csr, NULL);
  g_autoptr(X509_REQ) request = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (csr));
  gboolean ok = request != NULL && X509_REQ_verify (request, X509_REQ_get0_pubkey (request)) == 1;

  ERR_clear_error ();
  return ok;
}

/* The device signs the request again for the same key: the challenge is
 * read from the type's file once more. */
static gboolean
sign_again (CradleEnrollment *self,
            GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleRequestPlan) plan = NULL;
  g_autoptr(GBytes) public_key = NULL;
  GBytes *csr;

  cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SIGN,
                                "The device signs the request again (its challenge is not kept on disk)");
  if (self->type == NULL)
    {
      g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "Request %" G_GINT64_FORMAT " must be signed again with its certificate type's challenge, "
                   "and no configured type sends requests to %s any more. Ask your administrator.",
                   self->request_id, cradle_pending_request_get_endpoint (self->resume));
      keep_after_failure (self, cradle_enrollment_backoff_seconds (self->attempts, 0), g_steal_pointer (&error));
      return FALSE;
    }
  plan = cradle_request_plan_new (self->type, self->device, NULL, &error);
  if (plan != NULL)
    public_key = cradle_csr_dup_public_key_info (self->csr, &error);
  csr = public_key != NULL ? sign_on_device (self, plan, public_key, cancellable, &error) : NULL;
  if (csr == NULL)
    {
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED))
        keep_for_later (self, CRADLE_ENROLLMENT_OUTCOME_DECLINED, DECLINED_RETRY_SECONDS, g_steal_pointer (&error));
      else
        keep_after_failure (self, cradle_enrollment_backoff_seconds (self->attempts, 0), g_steal_pointer (&error));
      return FALSE;
    }
  g_bytes_unref (self->csr);
  self->csr = csr;
  cradle_enrollment_end_step (self, "ok", NULL);
  return TRUE;
}

static void
run_resume (CradleEnrollment *self,
            GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaRequest) request = NULL;
  g_autoptr(CradlePendingRequest) fresh = NULL;
  CradlePendingRequest *stored;
  CradlePendingStatus status;
  gint64 busy_until = 0;

  /* Another program (the app's retriever, another cradlectl) may be
   * resuming it right now: it must not be sent, or installed, twice. */
  self->claim = cradle_pending_claim_take (self->store, self->request_id, &busy_until, &error);
  if (self->claim == NULL)
    {
      /* Nothing to record: the request is the other program's for now. */
      if (!g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_BUSY))
        {
          finish (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
          return;
        }
      self->next_attempt = busy_until;
      finish (self, CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED, g_steal_pointer (&error));
      return;
    }
  /* The caller's copy may predate another program's run that ended just
   * before this claim: what the store says now decides. */
  fresh = cradle_pending_store_get (self->store, self->request_id, &error);
  if (fresh == NULL)
    {
      finish (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
      return;
    }
  g_set_object (&self->resume, fresh);
  stored = self->resume;
  status = cradle_pending_request_get_status (stored);

  self->key_id = g_bytes_ref (cradle_pending_request_get_key_id (stored));
  self->csr = g_bytes_ref (cradle_pending_request_get_csr (stored));
  self->attempts = cradle_pending_request_get_attempts (stored);

  begin_run (self, "resume", cradle_pending_request_get_connector (stored));
  if (!step_device (self, cancellable, &error))
    {
      /* The request stays as it is; it resumes when the device is back. */
      keep_after_failure (self, cradle_enrollment_backoff_seconds (self->attempts, 0), g_steal_pointer (&error));
      return;
    }
  step_session (self);

  cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_TYPE, "Resuming request %" G_GINT64_FORMAT
                                " (%s, %s) sent to %s", self->request_id,
                                cradle_pending_status_to_string (status),
                                cradle_pending_request_get_connector (stored),
                                cradle_pending_request_get_endpoint (stored));
  if (cradle_pending_status_is_finished (status))
    {
      fail_step (self, CRADLE_ENROLLMENT_OUTCOME_FAILED,
                 g_error_new (CRADLE_ERROR, CRADLE_ERROR_FAILED,
                              "Request %" G_GINT64_FORMAT " is already %s: there is nothing left to do.",
                              self->request_id, cradle_pending_status_to_string (status)));
      return;
    }
  if (self->connector == NULL)
    self->connector = self->type != NULL ? cradle_cert_type_create_connector (self->type, self->credentials, &error)
                                         : stored_connector (self, &error);
  if (self->connector == NULL)
    {
      keep_for_later (self, CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED,
                      cradle_enrollment_backoff_seconds (self->attempts, 0), g_steal_pointer (&error));
      return;
    }
  cradle_enrollment_end_step (self, "ok", NULL);

  switch (status)
    {
    case CRADLE_PENDING_STATUS_SUBMITTING:
      /* Kept without its challenge: signed again, with the type's. */
      if (!csr_verifies (self->csr) && !sign_again (self, cancellable))
        return;
      /* It may or may not have reached the CA: sending it again is safe. */
      request = ca_request_new (self, cradle_pending_request_get_template_name (stored));
      ask_ca (self, request, FALSE, NULL, cancellable);
      break;
    case CRADLE_PENDING_STATUS_PENDING:
      request = ca_request_new (self, cradle_pending_request_get_template_name (stored));
      ask_ca (self, request, TRUE, cradle_pending_request_get_retrieve_uri (stored), cancellable);
      break;
    case CRADLE_PENDING_STATUS_ISSUED:
    default:
      g_set_object (&self->leaf, cradle_pending_request_get_leaf (stored));
      chain_and_install (self, cradle_pending_request_get_chain (stored), cancellable);
      break;
    }
}

void
cradle_enrollment_run_blocking (CradleEnrollment *self,
                                GCancellable     *cancellable)
{
  if (self->resume != NULL)
    run_resume (self, cancellable);
  else
    run_new (self, cancellable);
  /* The run is over: another program may take the request up. */
  g_clear_pointer (&self->claim, cradle_pending_claim_release);
  g_debug ("Enrollment run %" G_GINT64_FORMAT " ended: %s%s%s", self->run_id,
           cradle_enrollment_outcome_to_string (self->outcome), self->error != NULL ? ": " : "",
           self->error != NULL ? self->error->message : "");
}
