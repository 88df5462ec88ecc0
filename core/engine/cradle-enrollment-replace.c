/* cradle-enrollment-replace.c: a renewal's last step, the old certificate replaced
 *
 * The new certificate is installed first (one atomic INSTALL, as for any
 * enrollment); only then is the old one deleted (DELETE_CERT, which the
 * device asks its user about and which retires the old key).  A user who
 * says no keeps both, and the run says so; a device gone between the two
 * keeps both too, and the store remembers the clean-up (renewals.old_removed
 * stays 0) for the next renewal run on that device.  Then the SID check of
 * KB5014754: a new certificate without the SID security extension the old
 * one had no longer maps strongly to its account.
 */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "engine/cradle-enrollment-private.h"
#include "base/cradle-digest-private.h"
#include "base/cradle-openssl-private.h"
#include "state/cradle-pending-store-private.h"

/* szOID_NTDS_CA_SECURITY_EXT, and the SAN URI prefix of offline requests. */
#define OID_SID_EXTENSION "1.3.6.1.4.1.311.25.2"
#define SID_URI_PREFIX    "tag:microsoft.com,2022-09-14:sid:"

void
_cradle_enrollment_add_note (CradleEnrollment *self,
                             const char       *format,
                             ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  /* Keep the terminating NULL last. */
  g_ptr_array_index (self->notes, self->notes->len - 1) = cradle_text_escape (text, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  g_debug ("Note: %s", (const char *) g_ptr_array_index (self->notes, self->notes->len - 1));
  g_ptr_array_add (self->notes, NULL);
}

static gboolean
has_sid (CradleCertificate *certificate)
{
  GBytes *der = cradle_certificate_get_der (certificate);
  const unsigned char *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) x509 = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj (OID_SID_EXTENSION, 1);
  g_autoptr(GENERAL_NAMES) names = NULL;
  gboolean found = FALSE;

  if (x509 == NULL || oid == NULL)
    {
      ERR_clear_error ();
      return FALSE;
    }
  if (X509_get_ext_by_OBJ (x509, oid, -1) >= 0)
    return TRUE;
  names = X509_get_ext_d2i (x509, NID_subject_alt_name, NULL, NULL);
  for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num (names) && !found; i++)
    {
      const GENERAL_NAME *name = sk_GENERAL_NAME_value (names, i);

      if (name->type == GEN_URI)
        {
          const ASN1_IA5STRING *uri = name->d.uniformResourceIdentifier;
          gsize length = (gsize) ASN1_STRING_length (uri);

          found = length > strlen (SID_URI_PREFIX) &&
                  g_ascii_strncasecmp ((const char *) ASN1_STRING_get0_data (uri), SID_URI_PREFIX,
                                       strlen (SID_URI_PREFIX)) == 0;
        }
    }
  ERR_clear_error ();
  return found;
}

gboolean
cradle_enrollment_sid_lost (CradleCertificate *old,
                            CradleCertificate *new_leaf)
{
  g_return_val_if_fail (CRADLE_IS_CERTIFICATE (old) && CRADLE_IS_CERTIFICATE (new_leaf), FALSE);
  return has_sid (old) && !has_sid (new_leaf);
}

static void
record_removed (CradleEnrollment *self)
{
  g_autoptr(GError) error = NULL;

  self->old_removed = TRUE;
  if (self->request_id != 0 && !cradle_pending_store_mark_old_removed (self->store, self->request_id, &error))
    g_warning ("The old certificate is removed, but request %" G_GINT64_FORMAT " could not record it: %s",
               self->request_id, error->message);
}

void
_cradle_enrollment_replace_old (CradleEnrollment *self,
                                GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) sha256 = NULL;
  CradleCertificate *old = self->renews;

  if (old == NULL)
    return;
  sha256 = cradle_digest_sha256 (cradle_certificate_get_der (old));
  _cradle_enrollment_begin_step (self, CRADLE_ENROLLMENT_STEP_REMOVE_OLD,
                                 "Removing the certificate the new one replaces ('%s', serial %s); the device "
                                 "asks its user", cradle_certificate_get_subject (old),
                                 cradle_certificate_get_serial (old));
  if (cradle_device_delete_cert (self->device, "MY", "user", sha256, cancellable, &error))
    {
      _cradle_enrollment_stop_waiting (self);
      record_removed (self);
      _cradle_enrollment_end_step (self, "ok", NULL);
    }
  else if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    {
      /* Removed meanwhile (by its user, or a run that ended between the
       * two): nothing left to do. */
      _cradle_enrollment_stop_waiting (self);
      record_removed (self);
      _cradle_enrollment_end_step (self, "ok", NULL);
    }
  else if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED))
    {
      _cradle_enrollment_stop_waiting (self);
      /* Asked once: the user's no is an answer, not a clean-up to redo. */
      record_removed (self);
      self->old_removed = FALSE;
      _cradle_enrollment_end_step (self, "declined", error);
      _cradle_enrollment_add_note (self, "The device's user kept the old certificate (serial %s): both "
                                   "certificates are on the device. Remove the old one with 'cradlectl renew "
                                   "--remove %s' when it is no longer needed.",
                                   cradle_certificate_get_serial (old), cradle_certificate_get_serial (old));
    }
  else
    {
      _cradle_enrollment_stop_waiting (self);
      _cradle_enrollment_end_step (self, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "cancelled"
                                                                                                   : "failed",
                                   error);
      _cradle_enrollment_add_note (self, "The new certificate is installed, but the old one (serial %s) could "
                                   "not be removed yet: %s. Both work; the next 'cradlectl renew' on this "
                                   "device removes it.", cradle_certificate_get_serial (old), error->message);
    }

  if (self->leaf != NULL && cradle_enrollment_sid_lost (old, self->leaf))
    _cradle_enrollment_add_note (self, "The old certificate carried the account's SID (the security extension "
                                 "1.3.6.1.4.1.311.25.2 of KB5014754) and the new one does not: domain "
                                 "controllers in full enforcement may no longer map it to the account. Ask "
                                 "your administrator to check the template or to add a strong mapping.");
}
