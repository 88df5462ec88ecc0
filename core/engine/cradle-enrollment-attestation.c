/* cradle-enrollment-attestation.c: where a token makes the key, and its word that it did
 *
 * A PIV token has fixed key slots: before the key is made, the type's
 * PivSlot=, else its key usage, picks one (cradle-piv.c).  After it is
 * made, a token may attest the key with a certificate chain to its
 * vendor's root (a YubiKey's f9 attestation): the type's Attestation=
 * says whether that is checked when offered (check), required (require)
 * or also carried in the request (include).  The result is a journal
 * step of its own and a note of the run; a missing or bad attestation
 * the type requires stops the run before anything is sent, and the run
 * deletes the key.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "pkcs11/cradle-attestation-private.h"
#include "pkcs11/cradle-piv-private.h"
#include "engine/cradle-enrollment-private.h"

static gboolean
is_token (CradleEnrollment *self)
{
  return g_strcmp0 (cradle_device_get_transport (self->device), CRADLE_DEVICE_TRANSPORT_PKCS11) == 0;
}

gboolean
_cradle_enrollment_choose_key_slot (CradleEnrollment   *self,
                                    CradleRequestPlan  *plan,
                                    char              **slot,
                                    GError            **error)
{
  guint8 chosen;

  *slot = NULL;
  /* Only a PIV token has fixed slots; it is the token that cannot hold
   * authority certificates of their own. */
  if (!is_token (self) || cradle_device_holds_authority_certificates (self->device))
    return TRUE;
  chosen = cradle_piv_slot_for_type (cradle_cert_type_get_piv_slot (self->type),
                                     cradle_request_plan_get_key_usage (plan),
                                     cradle_request_plan_get_extended_key_usages (plan), error);
  if (chosen == 0)
    {
      g_prefix_error (error, "The certificate type '%s' names no slot a PIV token has: ",
                      cradle_cert_type_get_display_name (self->type));
      return FALSE;
    }
  cradle_device_set_key_slot (self->device, cradle_piv_slot_to_string (chosen));
  *slot = cradle_piv_slot_describe (chosen);
  return TRUE;
}

/* The token's label for people (escaped), or what the device is. */
static char *
dup_device_name (CradleEnrollment *self)
{
  const char *label = cradle_device_get_label (self->device);
  g_autofree char *shown = NULL;

  if (label == NULL || label[0] == '\0')
    return g_strdup (is_token (self) ? "the token" : "the device");
  shown = cradle_text_escape (label, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  return g_strdup_printf ("the token '%s'", shown);
}

gboolean
_cradle_enrollment_check_attestation (CradleEnrollment  *self,
                                      GBytes            *public_key,
                                      GCancellable      *cancellable,
                                      GError           **error)
{
  CradleAttestationPolicy policy = cradle_cert_type_get_attestation (self->type);
  const char *type_name = cradle_cert_type_get_display_name (self->type);
  g_autoptr(GBytes) attestation = NULL;
  g_autoptr(GBytes) intermediate = NULL;
  g_autoptr(CradleAttestation) result = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *roots = NULL;
  g_autofree char *device = NULL;

  g_clear_pointer (&self->attestation, g_bytes_unref);
  g_clear_pointer (&self->attestation_intermediate, g_bytes_unref);
  /* The agent's devices attest nothing: only a type that requires it asks them. */
  if (!is_token (self) && policy == CRADLE_ATTESTATION_CHECK)
    return TRUE;

  device = dup_device_name (self);
  if (!cradle_device_get_attestation (self->device, self->key_id, &attestation, &intermediate, cancellable,
                                      &local_error))
    {
      if (!g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED))
        {
          _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY,
                                         "Attestation: reading it from %s", device);
          g_prefix_error (&local_error, "The attestation of the key could not be read: ");
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (policy == CRADLE_ATTESTATION_CHECK)
        {
          _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY,
                                         "Attestation: %s offers none for the key", device);
          _cradle_enrollment_end_step (self, "ok", NULL);
          return TRUE;
        }
      _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY,
                                     "Attestation: %s offers none for the key, and '%s' requires one",
                                     device, type_name);
      cradle_explain_set_error (error, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_ATTESTATION_MISSING,
                                "'%s' requires the device to attest that it made the key, and %s offers no "
                                "attestation of it. No request was sent, and the key is deleted. Use a token "
                                "that attests the keys it makes (a YubiKey with firmware 4.3 or later), or ask "
                                "your administrator.", type_name, device);
      return FALSE;
    }

  roots = cradle_settings_dup_attestation_roots ();
  result = cradle_attestation_verify (attestation, intermediate, roots, public_key, &local_error);
  if (result == NULL)
    {
      /* Nothing to check against: told, and no stop, unless the type
       * requires the check. */
      if (policy == CRADLE_ATTESTATION_CHECK &&
          g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED))
        {
          _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY,
                                         "Attestation: not verified, no vendor roots are configured");
          _cradle_enrollment_end_step (self, "ok", NULL);
          _cradle_enrollment_add_note (self, "The attestation %s gave of the key was not verified. %s",
                                       device, local_error->message);
          return TRUE;
        }
      _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY,
                                     "Attestation: %s attests the key, but the attestation does not verify",
                                     device);
      g_prefix_error (&local_error, "No request was sent for '%s', and the key is deleted: ", type_name);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_GENERATE_KEY, "Attestation verified: %s",
                                 result->summary);
  _cradle_enrollment_end_step (self, "ok", NULL);
  _cradle_enrollment_add_note (self, "%s%s.", result->summary,
                               policy == CRADLE_ATTESTATION_INCLUDE ? "; the request carries the attestation" : "");
  if (policy == CRADLE_ATTESTATION_INCLUDE)
    {
      self->attestation = g_steal_pointer (&attestation);
      self->attestation_intermediate = g_steal_pointer (&intermediate);
    }
  return TRUE;
}
