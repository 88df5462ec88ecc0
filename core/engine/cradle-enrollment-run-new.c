/* cradle-enrollment-run-new.c: a new enrollment, from the device to the CA
 *
 *   device -> session -> type -> generate-key (a PIV token: in the type's
 *   slot) -> (type checked against the directory) -> (a token's
 *   attestation of the key) -> sign -> recorded as submitting -> submit
 *
 * Nothing is recorded in the pending store until the device has signed:
 * a failure before that ends the run as cancelled, declined or failed.
 */
#include "config.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include "ca/cradle-ca-connector-private.h"
#include "policy/cradle-cert-type-private.h"
#include "csr/cradle-csr-private.h"
#include "engine/cradle-enrollment-private.h"
#include "state/cradle-journal-private.h"
#include "state/cradle-pending-store-private.h"
#include "base/cradle-openssl-private.h"

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

/* The DER SubjectPublicKeyInfo of @certificate. */
static GBytes *
certificate_public_key (CradleCertificate  *certificate,
                        GError            **error)
{
  GBytes *der = cradle_certificate_get_der (certificate);
  const unsigned char *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) x509 = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  unsigned char *spki = NULL;
  int size = x509 != NULL ? i2d_PUBKEY (X509_get0_pubkey (x509), &spki) : 0;

  if (size <= 0)
    {
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The public key of the certificate to renew cannot be read.");
      return NULL;
    }
  return cradle_openssl_take_der (spki, size);
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
  g_autoptr(GError) slot_error = NULL;
  g_autofree char *slot = NULL;
  GBytes *key_id = NULL;

  /* A same-key renewal: the old certificate's key signs the new request. */
  if (self->keep_key)
    {
      _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY,
                                     "Keeping the key of the certificate it renews, as '%s' demands",
                                     cradle_cert_type_get_display_name (self->type));
      *reused = FALSE;
      *public_key = certificate_public_key (self->renews, error);
      if (*public_key == NULL)
        return NULL;
      _cradle_enrollment_end_step (self, "ok", NULL);
      return g_bytes_ref (self->renews_key_id);
    }

  if (self->journal != NULL)
    key_id = cradle_journal_find_key (self->journal, serial, _cradle_enrollment_type_name (self), public_key);
  *reused = key_id != NULL;
  if (key_id != NULL)
    {
      _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY,
                                     "Continuing with the %s key the device made for this type before",
                                     cradle_request_plan_get_key_type (plan));
      _cradle_enrollment_end_step (self, "ok", NULL);
      return key_id;
    }

  /* A PIV token makes it in the slot the type calls for. */
  if (!_cradle_enrollment_choose_key_slot (self, plan, &slot, &slot_error))
    {
      _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY, "The device makes a %s key",
                                     cradle_request_plan_get_key_type (plan));
      g_propagate_error (error, g_steal_pointer (&slot_error));
      return NULL;
    }
  if (slot != NULL)
    _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY,
                                   "The token makes a %s key in PIV slot %s",
                                   cradle_request_plan_get_key_type (plan), slot);
  else
    _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY, "The device makes a %s key",
                                   cradle_request_plan_get_key_type (plan));
  /* A SCEP key may sign SCEP messages and decrypt SCEP answers, and only it. */
  key_id = cradle_device_generate_key_for (self->device, cradle_request_plan_get_key_type (plan),
                                           _cradle_enrollment_type_name (self),
                                           cradle_cert_type_get_protocol (self->type) == CRADLE_CA_PROTOCOL_SCEP
                                           ? CRADLE_DEVICE_KEY_FOR_SCEP : CRADLE_DEVICE_KEY_FOR_REQUEST,
                                           public_key, cancellable, error);
  _cradle_enrollment_stop_waiting (self);
  if (key_id == NULL)
    return NULL;
  if (self->journal != NULL)
    {
      g_autoptr(GError) journal_error = NULL;

      if (!cradle_journal_remember_key (self->journal, serial, _cradle_enrollment_type_name (self), key_id, *public_key,
                                        &journal_error))
        g_warning ("Could not remember the device's new key: %s", journal_error->message);
    }
  _cradle_enrollment_end_step (self, "ok", NULL);
  return key_id;
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

  _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_TYPE, "Checking '%s' against the directory",
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
  /* A renewal's request carries the renewal attribute either way. */
  if (self->renews != NULL && cradle_cert_type_get_protocol (fresh) != CRADLE_CA_PROTOCOL_EST)
    cradle_request_plan_set_renewal (fresh_plan, cradle_certificate_get_der (self->renews));
  destination_kept = same_destination (provisional, fresh);
  if (destination_kept && same_request (*plan, fresh_plan, public_key))
    {
      _cradle_enrollment_end_step (self, "ok", NULL);
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
  _cradle_enrollment_end_step (self, "changed", NULL);
  cradle_request_plan_free (*plan);
  *plan = g_steal_pointer (&fresh_plan);
  return TYPE_CHANGED;
}

/* The type step: the type the request is made for, what it asks of the
 * device, and the connector to its CA.  NULL when the run ended. */
static CradleRequestPlan *
step_type (CradleEnrollment *self,
           GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  CradleRequestPlan *plan;
  CradleCertType *type;

  _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_TYPE, "Preparing a request for '%s' (%s)",
                                 cradle_cert_type_get_display_name (self->type),
                                 cradle_ca_protocol_to_string (cradle_cert_type_get_protocol (self->type)));
  /* A provisional type that cannot make a request is no head start: the
   * fresh one decides, before the device does anything. */
  if (self->confirm_type != NULL && !provisional_type_usable (self) &&
      !take_fresh_type (self, cancellable, &error))
    {
      _cradle_enrollment_fail_step (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
      return NULL;
    }
  type = self->type;
  if (!cradle_cert_type_is_enrollable (type))
    {
      _cradle_enrollment_fail_step (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, not_enrollable_error (type));
      return NULL;
    }
  plan = cradle_request_plan_new (type, self->device, self->subject, &error);
  if (plan != NULL && self->connector == NULL)
    self->connector = cradle_cert_type_create_connector (type, self->credentials, &error);
  if (plan == NULL || self->connector == NULL)
    {
      g_clear_pointer (&plan, cradle_request_plan_free);
      _cradle_enrollment_fail_step (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
      return NULL;
    }
  _cradle_enrollment_end_step (self, "ok", NULL);
  /* The TLS trust store (and SCEP's CA) is read while the device makes the key. */
  cradle_ca_connector_prepare (self->connector);
  return plan;
}

/* A key the device made or took up no longer serves: forgotten, so that
 * a later run makes a new one. */
static void
drop_key (CradleEnrollment  *self,
          GBytes           **public_key)
{
  _cradle_enrollment_forget_key (self);
  g_clear_pointer (&self->key_id, g_bytes_unref);
  g_clear_pointer (public_key, g_bytes_unref);
}

typedef enum {
  KEY_READY,
  KEY_AGAIN,
  KEY_FAILED,
} KeyStep;

/* The generate-key step, then the type checked against the directory now
 * that the device has a key: ready to sign; again, with a new key for a
 * type that changed; or failed, and the run ended. */
static KeyStep
step_key (CradleEnrollment   *self,
          CradleRequestPlan **plan,
          GBytes            **public_key,
          gboolean           *reused,
          GCancellable       *cancellable)
{
  g_autoptr(GError) error = NULL;
  TypeCheck check;

  self->key_id = make_or_reuse_key (self, *plan, public_key, reused, cancellable, &error);
  if (self->key_id == NULL)
    {
      _cradle_enrollment_fail_before_recording (self, g_steal_pointer (&error));
      return KEY_FAILED;
    }
  if (self->confirm_type == NULL)
    return KEY_READY;

  check = confirm_type (self, plan, *public_key, cancellable, &error);
  if (check == TYPE_FAILED)
    {
      /* The key stays remembered: the next try of the type uses it. */
      _cradle_enrollment_fail_before_recording (self, g_steal_pointer (&error));
      return KEY_FAILED;
    }
  if (check == TYPE_CHANGED)
    {
      _cradle_enrollment_delete_abandoned_key (self);
      /* Forgotten even when the device kept it: it was made for another
       * request, and a later run must not take it up. */
      drop_key (self, public_key);
      return KEY_AGAIN;
    }
  return KEY_READY;
}

/* The device's user said no, or we gave up: the key is abandoned.  A
 * device that went away keeps it for the next try. */
static void
fail_signing (CradleEnrollment *self,
              GError           *error)
{
  CradleEnrollmentOutcome outcome = _cradle_enrollment_outcome_before_recording (error);

  _cradle_enrollment_end_step (self, _cradle_enrollment_step_outcome_for (error), error);
  if (!g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
    _cradle_enrollment_delete_abandoned_key (self);
  _cradle_enrollment_finish (self, outcome, error);
}

/* The key, then the sign step, until the device signed (self->csr).  FALSE
 * when the run ended. */
static gboolean
make_key_and_sign (CradleEnrollment   *self,
                   CradleRequestPlan **plan,
                   GCancellable       *cancellable)
{
  for (guint attempt = 0; self->csr == NULL; attempt++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) public_key = NULL;
      gboolean reused = FALSE;

      switch (step_key (self, plan, &public_key, &reused, cancellable))
        {
        case KEY_FAILED:
          return FALSE;
        case KEY_AGAIN:
          continue;
        case KEY_READY:
        default:
          break;
        }

      /* The token's word that it made the key, as the type asks; what a
       * type requires and lacks stops the run here, the key deleted. */
      if (!_cradle_enrollment_check_attestation (self, public_key, cancellable, &error))
        {
          /* A remembered key the token no longer has: as for signing. */
          if (reused && attempt == 0 && g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
            {
              _cradle_enrollment_end_step (self, "failed", error);
              drop_key (self, &public_key);
              continue;
            }
          fail_signing (self, g_steal_pointer (&error));
          return FALSE;
        }
      cradle_request_plan_set_attestation (*plan, self->attestation, self->attestation_intermediate);

      _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SIGN, "The device signs the request");
      self->csr = _cradle_enrollment_sign_on_device (self, *plan, public_key, cancellable, &error);
      if (self->csr != NULL)
        break;
      /* A remembered key the device no longer has (its store was reset):
       * forget it and make a new one, once. */
      if (reused && attempt == 0 && g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
        {
          _cradle_enrollment_end_step (self, "failed", error);
          drop_key (self, &public_key);
          continue;
        }
      fail_signing (self, g_steal_pointer (&error));
      return FALSE;
    }
  return TRUE;
}

/* The signed request goes into the pending store, claimed, before it goes
 * to the CA.  FALSE when the run ended. */
static gboolean
record_request (CradleEnrollment *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) kept_csr = NULL;
  CradleCertType *type = self->type;
  gboolean had_challenge = FALSE;

  /* A SCEP challenge is in the request the CA gets, never in the store. */
  kept_csr = cradle_csr_dup_without_challenge (self->csr, &had_challenge, &error);
  if (kept_csr != NULL)
    {
      g_autofree char *owner = cradle_pending_claim_owner_new ();

      /* Claimed as it is recorded: no other program resumes it while this
       * one sends it. */
      CradlePendingRenewal renewal = {
        .old_certificate = self->renews != NULL ? cradle_certificate_get_der (self->renews) : NULL,
        .old_key_id = self->renews_key_id,
        .signed_data = self->renewal_signed_data,
      };

      /* A renewal is recorded with what it renews, in the same transaction. */
      self->request_id =
        cradle_pending_store_add_renewal_claimed (self->store,
                                                  cradle_ca_protocol_to_string (cradle_cert_type_get_protocol (type)),
                                                  cradle_ca_connector_get_url (self->connector),
                                                  cradle_cert_type_get_template_name (type),
                                                  cradle_device_get_serial (self->device), self->key_id, kept_csr,
                                                  self->renews != NULL ? &renewal : NULL, owner, &error);
      if (self->request_id != 0)
        self->claim = cradle_pending_claim_keep (self->store, self->request_id, owner);
    }
  if (self->request_id == 0)
    {
      _cradle_enrollment_end_step (self, "failed", error);
      _cradle_enrollment_delete_abandoned_key (self);
      _cradle_enrollment_finish (self, CRADLE_ENROLLMENT_OUTCOME_FAILED, g_steal_pointer (&error));
      return FALSE;
    }
  if (self->journal != NULL)
    {
      g_autoptr(GError) journal_error = NULL;

      if (!cradle_journal_set_run_request (self->journal, self->run_id, self->request_id, &journal_error))
        g_warning ("Could not write the journal: %s", journal_error->message);
    }
  _cradle_enrollment_forget_key (self);
  _cradle_enrollment_end_step (self, "ok", NULL);
  return TRUE;
}

/* ---- renewals ---------------------------------------------------------- */

/* The request a renewal makes: the renewal attribute, and the old key when
 * the template demands it; EST cannot renew from the device, and enrolls
 * again (the old certificate is still replaced). */
static void
plan_renewal (CradleEnrollment  *self,
              CradleRequestPlan *plan)
{
  if (self->renews == NULL)
    return;
  if (cradle_cert_type_get_protocol (self->type) == CRADLE_CA_PROTOCOL_EST)
    {
      _cradle_enrollment_add_note (self, "EST renews only over TLS client authentication with the old key "
                                   "(simplereenroll), which the device cannot sign: Cradle enrolled again for "
                                   "'%s' with a new key, and replaces the old certificate.",
                                   cradle_cert_type_get_display_name (self->type));
      return;
    }
  cradle_request_plan_set_renewal (plan, cradle_certificate_get_der (self->renews));
  self->keep_key = cradle_request_plan_requires_same_key (plan);
}

/* The CA certificates above @certificate among the device's CA and Root
 * stores, issuer first (DER); what is missing is left out. */
static GPtrArray *
device_chain_of (CradleEnrollment  *self,
                 CradleCertificate *certificate,
                 GCancellable      *cancellable)
{
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) installed = NULL;
  g_autoptr(GPtrArray) parsed = g_ptr_array_new_with_free_func ((GDestroyNotify) X509_free);
  GBytes *der = cradle_certificate_get_der (certificate);
  const unsigned char *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) current = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));

  installed = cradle_device_list_certs (self->device, NULL, NULL, cancellable, NULL);
  for (guint i = 0; installed != NULL && i < installed->len; i++)
    {
      CradleDeviceCert *cert = g_ptr_array_index (installed, i);
      GBytes *bytes = cradle_device_cert_get_der (cert);
      const unsigned char *q = g_bytes_get_data (bytes, NULL);
      X509 *x509;

      if (g_strcmp0 (cradle_device_cert_get_store (cert), "MY") == 0)
        continue;
      x509 = d2i_X509 (NULL, &q, (long) g_bytes_get_size (bytes));
      if (x509 != NULL)
        g_ptr_array_add (parsed, x509);
    }
  for (guint depth = 0; current != NULL && depth < 8; depth++)
    {
      X509 *issuer = NULL;

      if (X509_check_issued (current, current) == X509_V_OK)
        break;
      for (guint i = 0; i < parsed->len && issuer == NULL; i++)
        if (X509_check_issued (g_ptr_array_index (parsed, i), current) == X509_V_OK)
          issuer = g_ptr_array_index (parsed, i);
      if (issuer == NULL)
        break;
      {
        unsigned char *out = NULL;
        int size = i2d_X509 (issuer, &out);

        if (size <= 0)
          break;
        g_ptr_array_add (chain, cradle_openssl_take_der (out, size));
      }
      X509_free (current);
      current = X509_dup (issuer);
    }
  ERR_clear_error ();
  return g_steal_pointer (&chain);
}

/* MS-WCCE (certsrv, WSTEP): the signed PKCS#10 in a SignedData signed by
 * the old certificate's key on the device (SIGN purpose 4; no prompt, its
 * user confirmed the renewal as it signed the request).  FALSE when the
 * run ended. */
static gboolean
sign_renewal (CradleEnrollment  *self,
              CradleRequestPlan *plan,
              GCancellable      *cancellable)
{
  CradleCaProtocol protocol = cradle_cert_type_get_protocol (self->type);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(CradleCsrRenewal) renewal = NULL;
  g_autoptr(GBytes) signature = NULL;
  const char *digest = cradle_request_plan_get_digest (plan);

  if (self->renews == NULL || (protocol != CRADLE_CA_PROTOCOL_CERTSRV && protocol != CRADLE_CA_PROTOCOL_WSTEP))
    return TRUE;
  _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_SIGN,
                                 "The device signs the renewal with the key of the certificate it renews");
  chain = device_chain_of (self, self->renews, cancellable);
  renewal = cradle_csr_renewal_new (self->csr, cradle_certificate_get_der (self->renews), chain, digest,
                                    g_get_real_time () / G_USEC_PER_SEC, &error);
  if (renewal != NULL)
    signature = cradle_device_sign_renewal (self->device, self->renews_key_id, CRADLE_DEVICE_SIGN_RENEWAL,
                                            cradle_csr_renewal_get_signed_attributes (renewal), self->csr, NULL,
                                            digest, NULL, cancellable, &error);
  _cradle_enrollment_stop_waiting (self);
  if (signature != NULL)
    self->renewal_signed_data = cradle_csr_renewal_finish (renewal, signature, &error);
  if (self->renewal_signed_data == NULL)
    {
      g_prefix_error (&error, "The renewal could not be signed with the old certificate's key: ");
      fail_signing (self, g_steal_pointer (&error));
      return FALSE;
    }
  _cradle_enrollment_end_step (self, "ok", NULL);
  return TRUE;
}

/* The CA's refusals that say it does not take this renewal (rather than
 * this request): the old certificate is not one it knows (issued by
 * another CA, CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE), it has expired
 * (CERT_E_EXPIRED), or renewals are not supported at all (ERROR_NOT_SUPPORTED,
 * E_NOTIMPL).  Enrolling again for the same type is what is left. */
static gboolean
renewal_refused_as_such (guint32 code)
{
  switch (code)
    {
    case 0x8009400E:
    case 0x800B0101:
    case 0x80070032:
    case 0x80004001:
      return TRUE;
    default:
      return FALSE;
    }
}

/* The CA refused the renewal as such: the same type is enrolled again with
 * a new key and without the renewal attribute, in the same run; the new
 * certificate still replaces the old one. */
static void
enroll_again (CradleEnrollment   *self,
              CradleRequestPlan **plan,
              GCancellable       *cancellable)
{
  g_autoptr(CradleCaRequest) request = NULL;
  guint32 code = self->denial_code;

  _cradle_enrollment_add_note (self, "The CA refused to renew the certificate (0x%08X: %s): Cradle enrolled "
                               "again for '%s' with a new key, and replaces the old certificate.", code,
                               self->error != NULL ? self->error->message : "no reason given",
                               cradle_cert_type_get_display_name (self->type));
  g_clear_pointer (&self->csr, g_bytes_unref);
  g_clear_pointer (&self->key_id, g_bytes_unref);
  g_clear_pointer (&self->renewal_signed_data, g_bytes_unref);
  g_clear_pointer (&self->ca_request_id, g_free);
  g_clear_pointer (&self->denial_message, g_free);
  g_clear_error (&self->error);
  g_clear_pointer (&self->claim, cradle_pending_claim_release);
  self->denied = FALSE;
  self->denial_code = 0;
  self->request_id = 0;
  self->keep_key = FALSE;
  self->outcome = CRADLE_ENROLLMENT_OUTCOME_NONE;
  cradle_request_plan_set_renewal (*plan, NULL);
  if (!make_key_and_sign (self, plan, cancellable) || !record_request (self))
    return;
  request = _cradle_enrollment_ca_request_new (self, cradle_cert_type_get_template_name (self->type));
  _cradle_enrollment_ask_ca (self, request, FALSE, NULL, cancellable);
}

void
_cradle_enrollment_run_new (CradleEnrollment *self,
                            GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleRequestPlan) plan = NULL;
  g_autoptr(CradleCaRequest) request = NULL;

  _cradle_enrollment_begin_run (self, self->renews != NULL ? "renew" : "enroll",
                                cradle_ca_protocol_to_string (cradle_cert_type_get_protocol (self->type)));
  if (!_cradle_enrollment_step_device (self, cancellable, &error))
    {
      _cradle_enrollment_fail_before_recording (self, g_steal_pointer (&error));
      return;
    }
  _cradle_enrollment_step_session (self);
  plan = step_type (self, cancellable);
  if (plan == NULL)
    return;
  plan_renewal (self, plan);
  if (!make_key_and_sign (self, &plan, cancellable) || !sign_renewal (self, plan, cancellable) ||
      !record_request (self))
    return;

  request = _cradle_enrollment_ca_request_new (self, cradle_cert_type_get_template_name (self->type));
  _cradle_enrollment_ask_ca (self, request, FALSE, NULL, cancellable);
  if (self->renews != NULL && self->renewal_signed_data != NULL &&
      self->outcome == CRADLE_ENROLLMENT_OUTCOME_DENIED && renewal_refused_as_such (self->denial_code))
    enroll_again (self, &plan, cancellable);
}
