/* cradle-enrollment-run-resume.c: a request from the pending store, taken up again
 *
 *   device -> session -> type -> submit (submitting) | retrieve (pending)
 *   | chain (issued)
 *
 * The request is claimed first, so that no other program sends or
 * installs it at the same time, and read again: what the store says now
 * decides.
 */
#include "config.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include "ca/cradle-ca-connector-private.h"
#include "policy/cradle-cert-type-private.h"
#include "csr/cradle-csr-private.h"
#include "engine/cradle-enrollment-private.h"
#include "base/cradle-openssl-private.h"
#include "state/cradle-pending-store-private.h"

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

  _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SIGN,
                                 "The device signs the request again (its challenge is not kept on disk)");
  if (self->type == NULL)
    {
      g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "Request %" G_GINT64_FORMAT " must be signed again with its certificate type's challenge, "
                   "and no configured type sends requests to %s any more. Ask your administrator.",
                   self->request_id, cradle_pending_request_get_endpoint (self->resume));
      _cradle_enrollment_keep_after_failure (self, g_steal_pointer (&error));
      return FALSE;
    }
  plan = cradle_request_plan_new (self->type, self->device, NULL, &error);
  /* A renewal's request names the old certificate again. */
  if (plan != NULL && self->renews != NULL)
    {
      g_autoptr(GBytes) named = cradle_csr_dup_renewal_certificate (self->csr, NULL);

      cradle_request_plan_set_renewal (plan, named);
    }
  if (plan != NULL)
    public_key = cradle_csr_dup_public_key_info (self->csr, &error);
  csr = public_key != NULL ? _cradle_enrollment_sign_on_device (self, plan, public_key, cancellable, &error) : NULL;
  if (csr == NULL)
    {
      _cradle_enrollment_keep_after_device_failure (self, g_steal_pointer (&error));
      return FALSE;
    }
  g_bytes_unref (self->csr);
  self->csr = csr;
  _cradle_enrollment_end_step (self, "ok", NULL);
  return TRUE;
}

/* A stored renewal: what it renews, so that its install still replaces
 * the old certificate and certsrv/WSTEP get the same SignedData again. */
static gboolean
take_renewal (CradleEnrollment  *self,
              GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(CradlePendingRenewal) renewal = cradle_pending_store_get_renewal (self->store, self->request_id,
                                                                              &local_error);

  if (renewal == NULL && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (renewal == NULL)
    return TRUE;
  g_clear_object (&self->renews);
  self->renews = cradle_certificate_new_from_der (renewal->old_certificate, error);
  if (self->renews == NULL)
    return FALSE;
  g_clear_pointer (&self->renews_key_id, g_bytes_unref);
  self->renews_key_id = g_bytes_ref (renewal->old_key_id);
  g_clear_pointer (&self->renewal_signed_data, g_bytes_unref);
  if (renewal->signed_data != NULL)
    self->renewal_signed_data = g_bytes_ref (renewal->signed_data);
  self->keep_key = g_bytes_equal (self->key_id, self->renews_key_id);
  return TRUE;
}

void
_cradle_enrollment_run_resume (CradleEnrollment *self,
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
          _cradle_enrollment_finish (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
          return;
        }
      self->next_attempt = busy_until;
      _cradle_enrollment_finish (self, CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED, g_steal_pointer (&error));
      return;
    }
  /* The caller's copy may predate another program's run that ended just
   * before this claim: what the store says now decides. */
  fresh = cradle_pending_store_get (self->store, self->request_id, &error);
  if (fresh == NULL)
    {
      _cradle_enrollment_finish (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
      return;
    }
  g_set_object (&self->resume, fresh);
  stored = self->resume;
  status = cradle_pending_request_get_status (stored);

  self->key_id = g_bytes_ref (cradle_pending_request_get_key_id (stored));
  self->csr = g_bytes_ref (cradle_pending_request_get_csr (stored));
  self->attempts = cradle_pending_request_get_attempts (stored);
  if (!take_renewal (self, &error))
    {
      _cradle_enrollment_finish (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
      return;
    }

  _cradle_enrollment_begin_run (self, "resume", cradle_pending_request_get_connector (stored));
  if (!_cradle_enrollment_step_device (self, cancellable, &error))
    {
      /* The request stays as it is; it resumes when the device is back. */
      _cradle_enrollment_keep_after_failure (self, g_steal_pointer (&error));
      return;
    }
  _cradle_enrollment_step_session (self);

  _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_TYPE, "Resuming request %" G_GINT64_FORMAT
                                 " (%s, %s) sent to %s", self->request_id,
                                 cradle_pending_status_to_string (status),
                                 cradle_pending_request_get_connector (stored),
                                 cradle_pending_request_get_endpoint (stored));
  if (cradle_pending_status_is_finished (status))
    {
      _cradle_enrollment_fail_step (self, CRADLE_ENROLLMENT_OUTCOME_FAILED,
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
      _cradle_enrollment_keep_for_later (self, CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED,
                                         cradle_enrollment_backoff_seconds (self->attempts, 0),
                                         g_steal_pointer (&error));
      return;
    }
  _cradle_enrollment_end_step (self, "ok", NULL);

  switch (status)
    {
    case CRADLE_PENDING_STATUS_SUBMITTING:
      /* Kept without its challenge: signed again, with the type's. */
      if (!csr_verifies (self->csr) && !sign_again (self, cancellable))
        return;
      /* It may or may not have reached the CA: sending it again is safe. */
      request = _cradle_enrollment_ca_request_new (self, cradle_pending_request_get_template_name (stored));
      _cradle_enrollment_ask_ca (self, request, FALSE, NULL, cancellable);
      break;
    case CRADLE_PENDING_STATUS_PENDING:
      request = _cradle_enrollment_ca_request_new (self, cradle_pending_request_get_template_name (stored));
      _cradle_enrollment_ask_ca (self, request, TRUE, cradle_pending_request_get_retrieve_uri (stored), cancellable);
      break;
    case CRADLE_PENDING_STATUS_ISSUED:
    default:
      g_set_object (&self->leaf, cradle_pending_request_get_leaf (stored));
      _cradle_enrollment_chain_and_install (self, cradle_pending_request_get_chain (stored), cancellable);
      break;
    }
}
