/* cradle-cert-details-remove.c: removing a certificate from a device
 *
 * DELETE_CERT with the device's user asked (field 4, docs/bridge-protocol.md):
 * the device shows the certificate's subject and SHA-256, for a root that
 * it will no longer be trusted, for a MY certificate with an enrolled key
 * that the key is retired with it.  Each removal is a journal run of kind
 * "remove" with one step, "remove".
 */
#include "config.h"

#include "lifecycle/cradle-lifecycle-private.h"
#include "base/cradle-digest-private.h"
#include "state/cradle-journal-private.h"

gboolean
cradle_cert_details_remove (CradleCertDetails *self,
                            CradleDevice      *device,
                            CradleJournal     *journal,
                            GCancellable      *cancellable,
                            GError           **error)
{
  CradleDeviceCert *cert;
  g_autoptr(GBytes) sha256 = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GError) journal_error = NULL;
  g_autofree char *text = NULL;
  gint64 run_id = 0;
  gint64 step_id = 0;
  gboolean removed;
  const char *outcome;

  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), FALSE);
  g_return_val_if_fail (CRADLE_IS_DEVICE (device), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  cert = cradle_cert_details_get_device_cert (self);
  sha256 = cradle_digest_sha256 (cradle_device_cert_get_der (cert));
  text = g_strdup_printf ("Removing '%s' (serial %s, SHA-256 %s) from the %s %s store%s; "
                          "the device asks its user",
                          cradle_cert_details_get_subject (self), cradle_cert_details_get_serial (self),
                          cradle_cert_details_get_sha256 (self),
                          cradle_cert_details_get_scope (self), cradle_cert_details_get_store (self),
                          cradle_device_cert_get_key_id (cert) != NULL ? ", retiring its key" : "");
  if (journal != NULL)
    {
      run_id = cradle_journal_begin_run (journal, "remove", NULL, NULL, cradle_device_get_serial (device), 0,
                                         &journal_error);
      if (run_id != 0)
        step_id = cradle_journal_begin_step (journal, run_id, "remove", text, &journal_error);
      if (journal_error != NULL)
        g_warning ("Could not write the journal: %s", journal_error->message);
      g_clear_error (&journal_error);
    }
  removed = cradle_device_delete_cert_confirmed (device, cradle_device_cert_get_store (cert),
                                                 cradle_device_cert_get_scope (cert), sha256, cancellable,
                                                 &local_error);
  outcome = removed ? "ok"
            : g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED) ? "declined"
            : g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "cancelled" : "failed";
  if (journal != NULL && step_id != 0 &&
      (!cradle_journal_end_step (journal, step_id, outcome, local_error, &journal_error) ||
       !cradle_journal_end_run (journal, run_id, removed ? "removed" : outcome, local_error, &journal_error)))
    g_warning ("Could not write the journal: %s", journal_error->message);
  if (!removed)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "Removing '%s' from the device: ",
                                  cradle_cert_details_get_subject (self));
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  CradleDevice  *device;
  CradleJournal *journal;
} RemoveData;

static void
remove_data_free (RemoveData *data)
{
  g_clear_object (&data->device);
  g_clear_object (&data->journal);
  g_free (data);
}

static void
remove_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RemoveData *data = task_data;
  GError *error = NULL;

  if (cradle_cert_details_remove (source_object, data->device, data->journal, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
cradle_cert_details_remove_async (CradleCertDetails   *self,
                                  CradleDevice        *device,
                                  CradleJournal       *journal,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RemoveData *data;

  g_return_if_fail (CRADLE_IS_CERT_DETAILS (self));
  g_return_if_fail (CRADLE_IS_DEVICE (device));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_cert_details_remove_async);
  data = g_new0 (RemoveData, 1);
  data->device = g_object_ref (device);
  data->journal = journal != NULL ? g_object_ref (journal) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) remove_data_free);
  g_task_run_in_thread (task, remove_thread);
}

gboolean
cradle_cert_details_remove_finish (CradleCertDetails  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
