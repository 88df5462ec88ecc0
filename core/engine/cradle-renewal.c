/* cradle-renewal.c: the renewal window, and removing what renewals replaced
 *
 * The window is one function (cradle_renewal_is_due()) so that the status
 * checks' own can take its place.  Removals are DELETE_CERT on the device
 * (its user confirms, the key is retired), each a journal run of kind
 * "remove" with one step, "remove-old".
 */
#include "config.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include "engine/cradle-enrollment-private.h"
#include "base/cradle-digest-private.h"
#include "base/cradle-openssl-private.h"
#include "lifecycle/cradle-lifecycle-private.h"
#include "state/cradle-journal-private.h"
#include "state/cradle-pending-store-private.h"

static gboolean
read_validity (CradleCertificate *certificate,
               gint64            *not_before,
               gint64            *not_after)
{
  GBytes *der = cradle_certificate_get_der (certificate);
  const unsigned char *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) x509 = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  struct tm tm;

  if (x509 == NULL || ASN1_TIME_to_tm (X509_get0_notBefore (x509), &tm) != 1)
    goto fail;
  *not_before = (gint64) timegm (&tm);
  if (ASN1_TIME_to_tm (X509_get0_notAfter (x509), &tm) != 1)
    goto fail;
  *not_after = (gint64) timegm (&tm);
  return *not_after > *not_before;

fail:
  ERR_clear_error ();
  return FALSE;
}

/* The window is the status checks' (core/lifecycle), so that `renew --due`
 * renews what `status` calls "renew soon". */
gboolean
cradle_renewal_is_due (CradleCertificate *certificate,
                       CradleCertType    *type,
                       gint64             now)
{
  CradleTemplate *template = type != NULL ? cradle_cert_type_get_template (type) : NULL;
  gint64 not_before = 0;
  gint64 not_after = 0;
  gint64 renew_at;

  g_return_val_if_fail (CRADLE_IS_CERTIFICATE (certificate), FALSE);

  if (!read_validity (certificate, &not_before, &not_after))
    return FALSE;
  if (type != NULL && cradle_cert_type_get_renew_at (type) > 0)
    renew_at = cradle_renewal_window_for_share (not_before, not_after, cradle_cert_type_get_renew_at (type));
  else if (template != NULL)
    renew_at = cradle_renewal_window_for_template (not_before, not_after,
                                                   cradle_template_get_renewal_seconds (template));
  else
    renew_at = cradle_renewal_window_for_share (not_before, not_after, CRADLE_RENEW_AT_DEFAULT_PERCENT);
  return now >= renew_at;
}

/* One removal as a journal run of its own; @request_id: the renewal's, or 0. */
static gboolean
remove_journaled (CradleDevice       *device,
                  CradleCertificate  *certificate,
                  CradleJournal      *journal,
                  gint64              request_id,
                  const char         *why,
                  GCancellable       *cancellable,
                  GError            **error)
{
  g_autoptr(GBytes) sha256 = cradle_digest_sha256 (cradle_certificate_get_der (certificate));
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GError) journal_error = NULL;
  g_autofree char *text = NULL;
  gint64 run_id = 0;
  gint64 step_id = 0;
  gboolean removed;
  const char *outcome;

  text = g_strdup_printf ("%s '%s' (serial %s); the device asks its user", why,
                          cradle_certificate_get_subject (certificate), cradle_certificate_get_serial (certificate));
  if (journal != NULL)
    {
      run_id = cradle_journal_begin_run (journal, "remove", NULL, NULL, cradle_device_get_serial (device),
                                         request_id, &journal_error);
      if (run_id != 0)
        step_id = cradle_journal_begin_step (journal, run_id, "remove-old", text, &journal_error);
      if (journal_error != NULL)
        g_warning ("Could not write the journal: %s", journal_error->message);
      g_clear_error (&journal_error);
    }
  removed = cradle_device_delete_cert (device, "MY", "user", sha256, cancellable, &local_error);
  outcome = removed ? "ok"
            : g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED) ? "declined"
            : g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "cancelled" : "failed";
  if (journal != NULL && step_id != 0 &&
      (!cradle_journal_end_step (journal, step_id, outcome, local_error, &journal_error) ||
       !cradle_journal_end_run (journal, run_id, removed ? "removed" : outcome, local_error, &journal_error)))
    g_warning ("Could not write the journal: %s", journal_error->message);
  if (!removed)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return removed;
}

gboolean
cradle_renewal_remove_certificate (CradleDevice       *device,
                                   CradleCertificate  *certificate,
                                   CradleJournal      *journal,
                                   GCancellable       *cancellable,
                                   GError            **error)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (device), FALSE);
  g_return_val_if_fail (CRADLE_IS_CERTIFICATE (certificate), FALSE);

  return remove_journaled (device, certificate, journal, 0, "Removing the certificate", cancellable, error);
}

gboolean
cradle_renewal_finish_replacements (CradleDevice       *device,
                                    CradlePendingStore *store,
                                    CradleJournal      *journal,
                                    guint              *removed,
                                    GCancellable       *cancellable,
                                    GError            **error)
{
  g_autoptr(GPtrArray) unreplaced = NULL;

  g_return_val_if_fail (CRADLE_IS_DEVICE (device), FALSE);
  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (store), FALSE);

  if (removed != NULL)
    *removed = 0;
  unreplaced = cradle_pending_store_list_unreplaced (store, cradle_device_get_serial (device), error);
  if (unreplaced == NULL)
    return FALSE;
  for (guint i = 0; i < unreplaced->len; i++)
    {
      CradlePendingRenewal *renewal = g_ptr_array_index (unreplaced, i);
      g_autoptr(CradleCertificate) old = cradle_certificate_new_from_der (renewal->old_certificate, NULL);
      g_autoptr(GError) local_error = NULL;
      gboolean done;

      if (old == NULL)
        continue;
      done = remove_journaled (device, old, journal, renewal->request_id,
                               "Finishing a renewal: removing the certificate it replaced", cancellable,
                               &local_error);
      if (done && removed != NULL)
        (*removed)++;
      /* Gone already, or kept by its user's choice: nothing left to do either way. */
      if (done || g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND) ||
          g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED))
        {
          if (!cradle_pending_store_mark_old_removed (store, renewal->request_id, error))
            return FALSE;
          continue;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
