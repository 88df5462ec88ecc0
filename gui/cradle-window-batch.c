/* cradle-window-batch.c: several devices enrolled at once
 *
 * With more than one device checked on the device page, Get Certificate
 * runs one CradleEnrollment per device, all at once, on the same session,
 * pending store and journal; the batch page shows a row per device.  Each
 * run is its own: its own cancellable (the row's Stop, or Cancel All), its
 * device held from the care's retriever until it ends, its result on its
 * row.  A device that declines, fails, waits for its user or leaves ends
 * only its own run.  The device page (its pending requests and its
 * certificates) stays the one device shown, as for a single run.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-report.h"
#include "cradle-window-private.h"

typedef struct {
  CradleEnrollment *enrollment;
  CradleDevice     *device;
  GCancellable     *cancellable;
  char             *id;
  gboolean          ended;
} BatchRun;

struct _CradleWindowBatch
{
  GPtrArray *runs;   /* of BatchRun */
};

static void
batch_run_free (gpointer data)
{
  BatchRun *run = data;

  g_clear_object (&run->enrollment);
  g_clear_object (&run->device);
  g_clear_object (&run->cancellable);
  g_free (run->id);
  g_free (run);
}

static BatchRun *
lookup_run (CradleWindow     *self,
            CradleEnrollment *enrollment)
{
  for (guint i = 0; self->batch != NULL && i < self->batch->runs->len; i++)
    {
      BatchRun *run = g_ptr_array_index (self->batch->runs, i);

      if (run->enrollment == enrollment)
        return run;
    }
  return NULL;
}

/* ---- following each run ---------------------------------------------------- */

static void
on_step_changed (CradleEnrollment     *enrollment,
                 CradleEnrollmentStep  step,
                 const char           *text,
                 CradleWindow         *self)
{
  BatchRun *run = lookup_run (self, enrollment);

  if (run == NULL)
    return;
  g_debug ("Device %s: step %s: %s", run->id, cradle_enrollment_step_to_string (step), text);
  cradle_batch_page_set_step (self->batch_page, run->id, step, text);
}

static void
on_waiting_for_device (CradleEnrollment *enrollment,
                       gboolean          waiting,
                       const char       *prompt,
                       CradleWindow     *self)
{
  BatchRun *run = lookup_run (self, enrollment);

  if (run != NULL)
    cradle_batch_page_set_waiting (self->batch_page, run->id, waiting, prompt);
}

static void
run_done (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  CradleEnrollment *enrollment = CRADLE_ENROLLMENT (source_object);
  g_autoptr(CradleWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleReport) report = NULL;
  BatchRun *run;

  cradle_enrollment_run_finish (enrollment, result, &error);
  run = lookup_run (self, enrollment);
  if (run == NULL)
    return;   /* the window is closing */
  run->ended = TRUE;
  self->batch_running--;
  g_signal_handlers_disconnect_by_data (enrollment, self);

  report = cradle_report_new_for_enrollment (enrollment, cradle_session_get_identity (self->session));
  g_info ("Device %s: %s: %s", run->id, cradle_enrollment_outcome_to_string (report->outcome),
          report->error != NULL ? report->error->message : "no error");
  cradle_batch_page_set_result (self->batch_page, run->id, report);

  /* The device back to the care, or forgotten when it left. */
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
    cradle_device_watcher_device_gone (self->watcher, run->device);
  cradle_care_release_device (self->care, run->device);
  if (run->device == cradle_device_watcher_get_device (self->watcher))
    _cradle_window_reload_device (self);
  if (self->batch_running == 0)
    {
      /* The title says how it ended; the device page's actions come back. */
      _cradle_window_show_page (self, "batch");
    }
  _cradle_window_update_actions (self);
}

/* ---- starting and stopping ---------------------------------------------- */

void
_cradle_window_enroll_several (CradleWindow   *self,
                               GPtrArray      *devices,
                               CradleCertType *type)
{
  CradleCredentials *credentials = cradle_session_get_credentials (self->session);
  const char *type_title;

  g_return_if_fail (devices != NULL && devices->len > 0);

  /* The last batch, ended (no run starts while one runs): its rows go. */
  _cradle_window_batch_dispose (self);
  self->batch = g_new0 (CradleWindowBatch, 1);
  self->batch->runs = g_ptr_array_new_with_free_func (batch_run_free);

  type_title = cradle_cert_type_get_display_name (type) != NULL ? cradle_cert_type_get_display_name (type)
                                                                : cradle_cert_type_get_name (type);
  cradle_batch_page_start (self->batch_page, type_title);
  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);
      BatchRun *run = g_new0 (BatchRun, 1);
      g_autofree char *title = cradle_device_page_dup_distinct_title (devices, device);

      run->device = g_object_ref (device);
      run->id = g_strdup (cradle_device_get_id (device));
      run->cancellable = g_cancellable_new ();
      /* Each device its own run; the subject is each one's serial. */
      run->enrollment = cradle_enrollment_new (device, type, credentials, cradle_care_get_store (self->care),
                                               cradle_care_get_journal (self->care));
      if (cradle_session_get_type_lookup (self->session) != NULL)
        cradle_enrollment_set_type_lookup (run->enrollment, cradle_session_get_type_lookup (self->session));
      g_ptr_array_add (self->batch->runs, run);
      cradle_batch_page_add_device (self->batch_page, run->id, title);
    }
  self->batch_running = self->batch->runs->len;
  _cradle_window_show_page (self, "batch");

  for (guint i = 0; i < self->batch->runs->len; i++)
    {
      BatchRun *run = g_ptr_array_index (self->batch->runs, i);

      /* The device is ours for this run: no resumes in between. */
      cradle_care_hold_device (self->care, run->device);
      g_info ("Enrolling %s for %s, with %u other devices", cradle_device_get_serial (run->device),
              cradle_cert_type_get_name (type), self->batch->runs->len - 1);
      g_signal_connect (run->enrollment, "step-changed", G_CALLBACK (on_step_changed), self);
      g_signal_connect (run->enrollment, "waiting-for-device", G_CALLBACK (on_waiting_for_device), self);
      cradle_enrollment_run_async (run->enrollment, run->cancellable, run_done, g_object_ref (self));
    }
  _cradle_window_update_actions (self);
}

gboolean
_cradle_window_batch_cancel (CradleWindow *self)
{
  if (self->batch_running == 0)
    return FALSE;
  for (guint i = 0; i < self->batch->runs->len; i++)
    g_cancellable_cancel (((BatchRun *) g_ptr_array_index (self->batch->runs, i))->cancellable);
  return TRUE;
}

/* A row's Stop: that device's run alone. */
static void
cancel_device_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  const char *id = g_variant_get_string (parameter, NULL);

  for (guint i = 0; self->batch != NULL && i < self->batch->runs->len; i++)
    {
      BatchRun *run = g_ptr_array_index (self->batch->runs, i);

      if (g_strcmp0 (run->id, id) == 0 && !run->ended)
        g_cancellable_cancel (run->cancellable);
    }
}

void
_cradle_window_batch_dispose (CradleWindow *self)
{
  CradleWindowBatch *batch = g_steal_pointer (&self->batch);

  self->batch_running = 0;

  if (batch == NULL)
    return;
  for (guint i = 0; i < batch->runs->len; i++)
    {
      BatchRun *run = g_ptr_array_index (batch->runs, i);

      g_cancellable_cancel (run->cancellable);
      g_signal_handlers_disconnect_by_data (run->enrollment, self);
      /* A run the user started holds the device: give it back. */
      if (!run->ended && self->care != NULL)
        cradle_care_release_device (self->care, run->device);
    }
  g_ptr_array_unref (batch->runs);
  g_free (batch);
}

void
_cradle_window_batch_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.cancel-device", "s", cancel_device_action);
}
