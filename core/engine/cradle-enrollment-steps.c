/* cradle-enrollment-steps.c: the steps new and resumed runs share
 *
 * Talking to the device, the session, asking the CA and taking its answer,
 * the chain and the install, and how a run ends when a step fails: kept
 * for later with the back-off, given up, or failed before anything was
 * recorded.  Both cradle-enrollment-run-new.c and
 * cradle-enrollment-run-resume.c call these; they call only down, into
 * cradle-enrollment-progress.c.
 */
#include "config.h"

#include "ca/cradle-ca-connector-private.h"
#include "policy/cradle-cert-type-private.h"
#include "csr/cradle-csr-private.h"
#include "catalog/cradle-catalog-private.h"
#include "engine/cradle-enrollment-private.h"
#include "ca/cradle-http-private.h"
#include "state/cradle-journal-private.h"
#include "state/cradle-pending-store-private.h"

#define DECLINED_RETRY_SECONDS 3600
#define BACKOFF_FIRST_SECONDS  30
#define BACKOFF_MAX_SECONDS    3600

guint
cradle_enrollment_backoff_seconds (guint attempts,
                                   guint retry_after)
{
  guint delay = BACKOFF_MAX_SECONDS;

  if (attempts < 7)
    delay = MIN ((guint) BACKOFF_FIRST_SECONDS << attempts, BACKOFF_MAX_SECONDS);
  return MAX (delay, retry_after);
}

/* ---- how a step ends a run ----------------------------------------------- */

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

const char *
_cradle_enrollment_step_outcome_for (const GError *error)
{
  if (is_cancelled (error))
    return "cancelled";
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED))
    return "declined";
  return "failed";
}

/* A failure of the step that runs: journaled, then the run ends. */
void
_cradle_enrollment_fail_step (CradleEnrollment        *self,
                              CradleEnrollmentOutcome  outcome,
                              GError                  *error)
{
  _cradle_enrollment_end_step (self, _cradle_enrollment_step_outcome_for (error), error);
  _cradle_enrollment_finish (self, outcome, error);
}

CradleEnrollmentOutcome
_cradle_enrollment_outcome_before_recording (const GError *error)
{
  if (is_cancelled (error))
    return CRADLE_ENROLLMENT_OUTCOME_CANCELLED;
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED))
    return CRADLE_ENROLLMENT_OUTCOME_DECLINED;
  return CRADLE_ENROLLMENT_OUTCOME_FAILED;
}

/* Nothing recorded yet: cancelled, declined or failed, as the error says.
 * (One argument: C does not say whether the outcome or the steal comes first.) */
void
_cradle_enrollment_fail_before_recording (CradleEnrollment *self,
                                          GError           *error)
{
  _cradle_enrollment_fail_step (self, _cradle_enrollment_outcome_before_recording (error), error);
}

static char *
dup_host (const char *url)
{
  return url != NULL ? cradle_http_dup_host (url) : g_strdup ("the CA");
}

/* ---- steps shared by new and resumed runs ------------------------------- */

GBytes *
_cradle_enrollment_sign_on_device (CradleEnrollment   *self,
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
  _cradle_enrollment_stop_waiting (self);
  if (signature == NULL)
    return NULL;
  return cradle_csr_assemble (info, algorithm, signature, error);
}

/* A token's key is used only after its PIN: a run on a token that still
 * needs it ends here, before a key is made or anything is sent, with the
 * words for it (not a failure halfway, on the token's first key use). */
static gboolean
check_pin (CradleEnrollment  *self,
           GError           **error)
{
  CradleDevicePinState state = cradle_device_get_pin_state (self->device);
  g_autofree char *label = NULL;

  if (state == CRADLE_DEVICE_PIN_NOT_NEEDED || state == CRADLE_DEVICE_PIN_ENTERED)
    return TRUE;
  label = cradle_text_escape (cradle_device_get_label (self->device), -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  if (state == CRADLE_DEVICE_PIN_LOCKED)
    cradle_explain_set_error (error, CRADLE_ERROR_PERMISSION_DENIED, CRADLE_EXPLAIN_TOKEN,
                              CRADLE_TOKEN_FAILURE_PIN_LOCKED,
                              "The PIN of the token '%s' is locked, so its keys cannot be used; nothing was "
                              "made or sent. Only the token's administrator can unlock it.", label);
  else
    cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_TOKEN,
                              CRADLE_TOKEN_FAILURE_PIN_REQUIRED,
                              "The token '%s' needs its PIN before Cradle can use its key; nothing was made "
                              "or sent. Enter the PIN (the app asks for it; cradlectl asks on the terminal "
                              "or reads --pin-file) and try again.", label);
  return FALSE;
}

gboolean
_cradle_enrollment_step_device (CradleEnrollment  *self,
                                GCancellable      *cancellable,
                                GError           **error)
{
  const char *wanted = self->resume != NULL ? cradle_pending_request_get_device_serial (self->resume) : NULL;

  _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_DEVICE, "Talking to the device %s",
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
  if (!check_pin (self, error))
    return FALSE;
  _cradle_enrollment_end_step (self, "ok", NULL);
  return TRUE;
}

void
_cradle_enrollment_step_session (CradleEnrollment *self)
{
  CradleCatalog *catalog = self->type != NULL ? cradle_cert_type_get_catalog (self->type) : NULL;
  CradleCredentials *credentials = self->credentials;

  if (catalog != NULL)
    _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SESSION, "Signed in to the domain as %s",
                                   cradle_directory_user_get_account_name (cradle_catalog_get_user (catalog)));
  else if (cradle_credentials_get_kind (credentials) == CRADLE_CREDENTIALS_PASSWORD)
    _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SESSION, "Signing in to the CA as %s",
                                   cradle_credentials_get_user (credentials));
  else if (cradle_credentials_get_kind (credentials) == CRADLE_CREDENTIALS_KERBEROS)
    _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SESSION,
                                   "Signing in to the CA with Kerberos tickets");
  else
    _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SESSION, "No sign-in");
  _cradle_enrollment_end_step (self, "ok", NULL);
}

void
_cradle_enrollment_delete_abandoned_key (CradleEnrollment *self)
{
  g_autoptr(GError) error = NULL;

  /* A same-key renewal's key is the old certificate's: never deleted here. */
  if (self->key_id == NULL || self->keep_key)
    return;
  _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_DELETE_KEY,
                                 "Deleting the key the device made for this request");
  /* Not cancellable: it is the clean-up after a cancel too. */
  if (!cradle_device_delete_key (self->device, self->key_id, NULL, &error))
    {
      g_warning ("Could not delete the abandoned key on %s: %s", cradle_device_get_id (self->device),
                 error->message);
      /* Still remembered: a later enrollment of the type uses it. */
      _cradle_enrollment_end_step (self, "failed", error);
      return;
    }
  _cradle_enrollment_end_step (self, "ok", NULL);
  _cradle_enrollment_forget_key (self);
}

/* No answer this time: the request stays as it is, the attempt is counted. */
void
_cradle_enrollment_keep_for_later (CradleEnrollment        *self,
                                   CradleEnrollmentOutcome  outcome,
                                   guint                    delay,
                                   GError                  *error)
{
  g_autoptr(GError) store_error = NULL;

  _cradle_enrollment_end_step (self, _cradle_enrollment_step_outcome_for (error), error);
  if (!cradle_pending_store_record_attempt (self->store, self->request_id, error->message, delay, &store_error))
    g_warning ("Could not record the attempt of request %" G_GINT64_FORMAT ": %s", self->request_id,
               store_error->message);
  self->next_attempt = g_get_real_time () / G_USEC_PER_SEC + delay;
  _cradle_enrollment_finish (self, outcome, error);
}

/* The outcome follows from the error: cancelled, or kept for later with
 * the back-off. */
void
_cradle_enrollment_keep_after_failure (CradleEnrollment *self,
                                       GError           *error)
{
  _cradle_enrollment_keep_for_later (self,
                                     is_cancelled (error) ? CRADLE_ENROLLMENT_OUTCOME_CANCELLED
                                     : CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED,
                                     cradle_enrollment_backoff_seconds (self->attempts, 0), error);
}

/* The device did not do what it was asked: its user said no (asked again
 * in an hour), or it failed (the back-off). */
void
_cradle_enrollment_keep_after_device_failure (CradleEnrollment *self,
                                              GError           *error)
{
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED))
    _cradle_enrollment_keep_for_later (self, CRADLE_ENROLLMENT_OUTCOME_DECLINED, DECLINED_RETRY_SECONDS, error);
  else
    _cradle_enrollment_keep_after_failure (self, error);
}

static void
give_up (CradleEnrollment *self,
         GError           *error)
{
  g_autoptr(GError) store_error = NULL;

  _cradle_enrollment_end_step (self, "failed", error);
  if (!cradle_pending_store_mark_failed (self->store, self->request_id, error->message, &store_error))
    g_warning ("Could not record the failure of request %" G_GINT64_FORMAT ": %s", self->request_id,
               store_error->message);
  _cradle_enrollment_finish (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, error);
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

/* The type the certificate came from, for its status and its renewal. */
static void
record_installed_type (CradleEnrollment *self)
{
  g_autoptr(GError) error = NULL;
  const char *type_name = _cradle_enrollment_type_name (self);

  if (type_name == NULL && self->resume != NULL)
    type_name = cradle_pending_request_get_template_name (self->resume);
  if (type_name == NULL)
    return;
  if (!cradle_pending_store_record_installed_type (self->store, cradle_certificate_get_der (self->leaf), type_name,
                                                   cradle_device_get_serial (self->device), self->request_id,
                                                   &error))
    g_warning ("The certificate is installed, but its type could not be recorded: %s", error->message);
}

void
_cradle_enrollment_chain_and_install (CradleEnrollment *self,
                                      GPtrArray        *from_ca,
                                      GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  CradleCertificate *root;
  guint added = 0;

  _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_CHAIN,
                                 "Checking the certificate is for the device's key, and its chain");
  chain = build_chain (self, from_ca, cancellable, &error);
  if (chain == NULL)
    {
      /* A certificate that does not fit or does not verify never will. */
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA))
        give_up (self, g_steal_pointer (&error));
      else
        _cradle_enrollment_keep_after_failure (self, g_steal_pointer (&error));
      return;
    }
  g_ptr_array_extend (self->chain, chain, (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
  _cradle_enrollment_end_step (self, "ok", NULL);

  root = g_ptr_array_index (chain, chain->len - 1);
  _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_INSTALL,
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
      _cradle_enrollment_stop_waiting (self);
      _cradle_enrollment_keep_after_device_failure (self, g_steal_pointer (&error));
      return;
    }
  _cradle_enrollment_stop_waiting (self);
  /* PIV keeps no CA or root of its own: the device took the leaf only. */
  if (!cradle_device_holds_authority_certificates (self->device))
    {
      g_autofree char *label = cradle_text_escape (cradle_device_get_label (self->device), -1,
                                                   CRADLE_TEXT_ESCAPE_DEFAULT);
      g_autofree char *root_subject = cradle_text_escape (cradle_certificate_get_subject (root), -1,
                                                          CRADLE_TEXT_ESCAPE_DEFAULT);

      _cradle_enrollment_add_note (self, "The token '%s' cannot hold CA or root certificates (PIV), so only "
                                   "the certificate went on it; its chain up to '%s' stays on this computer.",
                                   label, root_subject);
    }
  if (!cradle_pending_store_mark_installed (self->store, self->request_id, &error))
    g_warning ("The certificate is installed, but request %" G_GINT64_FORMAT " could not be marked so: %s",
               self->request_id, error->message);
  g_clear_error (&error);
  record_installed_type (self);
  _cradle_enrollment_end_step (self, "ok", NULL);
  /* A renewal: only now that the new one is installed does the old go. */
  _cradle_enrollment_replace_old (self, cancellable);
  _cradle_enrollment_finish (self, CRADLE_ENROLLMENT_OUTCOME_INSTALLED, NULL);
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
        _cradle_enrollment_end_step (self, "denied", denial);
        _cradle_enrollment_delete_abandoned_key (self);
        _cradle_enrollment_finish (self, CRADLE_ENROLLMENT_OUTCOME_DENIED, denial);
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
            _cradle_enrollment_fail_step (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
            return;
          }
        self->next_attempt = g_get_real_time () / G_USEC_PER_SEC + delay;
        _cradle_enrollment_end_step (self, "pending", NULL);
        _cradle_enrollment_finish (self, CRADLE_ENROLLMENT_OUTCOME_PENDING, NULL);
        return;
      }

    case CRADLE_CA_STATUS_ISSUED:
    default:
      g_set_object (&self->leaf, cradle_ca_answer_get_leaf (answer));
      if (!cradle_pending_store_mark_issued (self->store, self->request_id, ca_id, self->leaf,
                                             cradle_ca_answer_get_chain (answer), &error))
        g_warning ("Could not record the certificate of request %" G_GINT64_FORMAT ": %s", self->request_id,
                   error->message);
      _cradle_enrollment_end_step (self, "ok", NULL);
      _cradle_enrollment_chain_and_install (self, cradle_ca_answer_get_chain (answer), cancellable);
      return;
    }
}

void
_cradle_enrollment_ask_ca (CradleEnrollment *self,
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
      _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_RETRIEVE, "Asking %s (%s) about request %s",
                                     host, protocol, self->ca_request_id != NULL ? self->ca_request_id : "?");
      answer = cradle_ca_connector_retrieve (self->connector, request, self->ca_request_id, retrieve_uri,
                                             cancellable, &error);
    }
  else
    {
      _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SUBMIT, "Sending the request to %s (%s)",
                                     host, protocol);
      answer = cradle_ca_connector_submit (self->connector, request, cancellable, &error);
    }
  if (answer == NULL)
    {
      _cradle_enrollment_keep_after_failure (self, g_steal_pointer (&error));
      return;
    }
  handle_answer (self, answer, cancellable);
}

CradleCaRequest *
_cradle_enrollment_ca_request_new (CradleEnrollment *self,
                                   const char       *template_name)
{
  CradleCaRequest *request = cradle_ca_request_new (self->csr, template_name);

  cradle_ca_request_set_device_key (request, self->device, self->key_id);
  if (self->renews != NULL)
    cradle_ca_request_set_renewal (request, self->renews, self->renews_key_id, self->renewal_signed_data);
  return request;
}
