/* cradle-window-enroll.c: running an enrollment, checking pending requests, and their results
 *
 * "Get Certificate" runs a CradleEnrollment with the progress page
 * following its steps; the result page shows how it ended.  Pending
 * requests are resumed by a CradleRetriever while the device is cradled:
 * quietly in the background (a toast when one finishes), or with the
 * progress and result pages when the user asked to check one now.  The
 * retriever leaves the device alone while the user's own run uses it.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-report.h"
#include "cradle-window-private.h"

/* How long "Check Now" waits for the retriever to start before saying so. */
#define CHECK_START_TIMEOUT_SECONDS 15

static const char *
type_title (CradleCertType *type)
{
  if (type == NULL)
    return _("certificate");
  return cradle_cert_type_get_display_name (type) != NULL ? cradle_cert_type_get_display_name (type)
                                                          : cradle_cert_type_get_name (type);
}

/* ---- following a run on the progress page ------------------------------ */

static void
on_step_changed (CradleEnrollment     *enrollment,
                 CradleEnrollmentStep  step,
                 const char           *text,
                 CradleWindow         *self)
{
  g_debug ("Step %s: %s", cradle_enrollment_step_to_string (step), text);
  if (step != CRADLE_ENROLLMENT_STEP_FINISHED)
    self->last_step = step;
  cradle_progress_page_set_step (self->progress_page, step, text);
}

static void
on_waiting_for_device (CradleEnrollment *enrollment,
                       gboolean          waiting,
                       const char       *prompt,
                       CradleWindow     *self)
{
  cradle_progress_page_set_waiting (self->progress_page, waiting, prompt);
}

static void
follow (CradleWindow     *self,
        CradleEnrollment *enrollment,
        gboolean          resume)
{
  CradleDevice *device = cradle_enrollment_get_device (enrollment);
  g_autofree char *title = NULL;
  g_autofree char *description = NULL;
  g_autofree char *label = NULL;

  g_set_object (&self->enrollment, enrollment);
  self->last_step = CRADLE_ENROLLMENT_STEP_NONE;
  g_signal_connect (enrollment, "step-changed", G_CALLBACK (on_step_changed), self);
  g_signal_connect (enrollment, "waiting-for-device", G_CALLBACK (on_waiting_for_device), self);

  if (cradle_enrollment_get_renewed_certificate (enrollment) != NULL && !resume)
    title = g_strdup (_("Renewing the Certificate"));
  else
    title = g_strdup (resume ? _("Checking the Request") : _("Getting the Certificate"));
  /* A token by its label, escaped. */
  if (cradle_device_get_label (device) != NULL && *cradle_device_get_label (device) != '\0')
    label = cradle_text_escape (cradle_device_get_label (device), -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  /* Translators: "Cradle Device (UPN) for Google Pixel 8" */
  description = g_strdup_printf (_("%s for %s"), type_title (cradle_enrollment_get_cert_type (enrollment)),
                                 label != NULL ? label : cradle_device_get_model (device) ?: _("the device"));
  cradle_progress_page_start (self->progress_page, title, description, resume);
  _cradle_window_show_page (self, "progress");
}

static void
show_result (CradleWindow     *self,
             CradleEnrollment *enrollment)
{
  CradleReport *report = cradle_report_new_for_enrollment (enrollment, cradle_session_get_identity (self->session));

  if (self->last_step != CRADLE_ENROLLMENT_STEP_NONE)
    report->step = g_strdup (cradle_enrollment_step_to_string (self->last_step));
  g_info ("Enrollment %s: %s", cradle_enrollment_outcome_to_string (report->outcome),
          report->error != NULL ? report->error->message : "no error");
  cradle_result_page_show (self->result_page, report);
  _cradle_window_show_page (self, "result");
}

static void
stop_following (CradleWindow *self)
{
  if (self->enrollment != NULL)
    g_signal_handlers_disconnect_by_data (self->enrollment, self);
  g_clear_object (&self->enrollment);
  g_clear_object (&self->enrollment_cancellable);
}

/* Leaves the device to the retriever again, and shows what changed. */
static void
after_run (CradleWindow *self,
           CradleDevice *device,
           const GError *error)
{
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
    cradle_device_watcher_device_gone (self->watcher, device);
  cradle_care_release_device (self->care, device);
  _cradle_window_reload_device (self);
  _cradle_window_update_actions (self);
}

/* ---- "Get Certificate" -------------------------------------------------- */

static void
run_done (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  CradleEnrollment *enrollment = CRADLE_ENROLLMENT (source_object);
  g_autoptr(CradleWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  cradle_enrollment_run_finish (enrollment, result, &error);
  if (self->enrollment != enrollment)
    return;   /* the window is closing */
  show_result (self, enrollment);
  stop_following (self);
  after_run (self, cradle_enrollment_get_device (enrollment), error);
}

/* Whether a run can start now on the device shown. */
static gboolean
can_enroll (CradleWindow *self)
{
  return cradle_device_watcher_get_device (self->watcher) != NULL &&
         cradle_device_page_get_n_chosen (self->device_page) > 0 &&
         cradle_device_page_get_selected_type (self->device_page) != NULL &&
         cradle_session_get_credentials (self->session) != NULL && cradle_care_get_store (self->care) != NULL &&
         !_cradle_window_is_running (self) && !cradle_care_is_renewing (self->care);
}

/* Once the token (if it is one) has its PIN: the run. */
static void
enroll_unlocked (CradleWindow *self,
                 CradleDevice *device,
                 gpointer      data)
{
  CradleCertType *type = cradle_device_page_get_selected_type (self->device_page);
  CradleCredentials *credentials = cradle_session_get_credentials (self->session);
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autofree char *subject = NULL;

  if (!can_enroll (self))
    {
      _cradle_window_unlock_give_back (self, device);
      return;
    }

  /* The device is ours for this run: no resumes in between. */
  cradle_care_hold_device (self->care, device);

  enrollment = cradle_enrollment_new (device, type, credentials, cradle_care_get_store (self->care), cradle_care_get_journal (self->care));
  /* A type of the kept catalog: the directory confirms it before the device signs. */
  if (cradle_session_get_type_lookup (self->session) != NULL)
    cradle_enrollment_set_type_lookup (enrollment, cradle_session_get_type_lookup (self->session));
  subject = cradle_device_page_dup_subject (self->device_page);
  if (subject != NULL)
    cradle_enrollment_set_subject (enrollment, subject);
  g_info ("Enrolling %s for %s", cradle_device_get_serial (device), cradle_cert_type_get_name (type));

  self->enrollment_cancellable = g_cancellable_new ();
  follow (self, enrollment, FALSE);
  cradle_enrollment_run_async (enrollment, self->enrollment_cancellable, run_done, g_object_ref (self));
}

static void
enroll_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  g_autoptr(GPtrArray) devices = NULL;

  if (!can_enroll (self) || _cradle_window_is_unlocking (self))
    return;
  /* Several devices checked: each its own run, all at once. */
  devices = cradle_device_page_dup_chosen_devices (self->device_page);
  if (devices->len > 1)
    {
      _cradle_window_enroll_several (self, devices, cradle_device_page_get_selected_type (self->device_page));
      return;
    }
  /* A token asks for its PIN first; a bridge device asks its user later. */
  _cradle_window_unlock (self, g_ptr_array_index (devices, 0), enroll_unlocked, NULL, NULL);
}

/* ---- Renew on a certificate (Remove: cradle-window-certs.c) ------------- */

static void
renew_unlocked (CradleWindow *self,
                CradleDevice *device,
                gpointer      data)
{
  CradleCertStatus *status = cradle_device_page_lookup_status (self->device_page, data);
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autoptr(GError) error = NULL;

  if (status == NULL || _cradle_window_is_running (self) || cradle_care_is_renewing (self->care))
    {
      _cradle_window_unlock_give_back (self, device);
      return;
    }
  enrollment = cradle_care_new_renewal (self->care, device, status, &error);
  if (enrollment == NULL)
    {
      _cradle_window_unlock_give_back (self, device);
      _cradle_window_toast (self, error->message);
      return;
    }
  /* The device is ours for this run: no resumes in between. */
  cradle_care_hold_device (self->care, device);
  g_info ("Renewing %s on %s", cradle_cert_status_get_sha256 (status), cradle_device_get_serial (device));
  self->enrollment_cancellable = g_cancellable_new ();
  follow (self, enrollment, FALSE);
  cradle_enrollment_run_async (enrollment, self->enrollment_cancellable, run_done, g_object_ref (self));
}

static void
renew_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);
  const char *sha256 = g_variant_get_string (parameter, NULL);

  if (device == NULL || cradle_device_page_lookup_status (self->device_page, sha256) == NULL ||
      _cradle_window_is_running (self) || _cradle_window_is_unlocking (self))
    return;
  if (cradle_care_is_renewing (self->care))
    {
      _cradle_window_toast (self, _("Cradle is renewing a certificate of this device already. Try again when it "
                                    "has finished."));
      return;
    }
  /* The old key signs the renewal: a token asks for its PIN first. */
  _cradle_window_unlock (self, device, renew_unlocked, g_strdup (sha256), g_free);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);

  if (_cradle_window_batch_cancel (self))
    return;
  if (self->enrollment_cancellable != NULL)
    g_cancellable_cancel (self->enrollment_cancellable);
  else if (cradle_care_get_retriever (self->care) != NULL && self->enrollment != NULL)
    {
      /* A resume the user watches: stop it, then let the device be resumed later. */
      CradleDevice *device = cradle_enrollment_get_device (self->enrollment);

      cradle_care_hold_device (self->care, device);
      cradle_care_release_device (self->care, device);
    }
}

static void
done_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);

  _cradle_window_show_page (self, cradle_device_watcher_get_device (self->watcher) != NULL ? "device" : "no-device");
}

static void
copy_details_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  const CradleReport *report = cradle_result_page_get_report (self->result_page);
  g_autofree char *text = NULL;

  if (report == NULL)
    return;
  text = cradle_report_to_text (report);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
  _cradle_window_toast (self, _("Details copied. Paste them into a message to your support team."));
}

/* ---- pending requests: the retriever ------------------------------------ */

static gboolean
on_check_timeout (gpointer user_data)
{
  CradleWindow *self = user_data;

  self->check_timeout = 0;
  if (self->check_request_id != 0 && self->enrollment == NULL)
    {
      cradle_device_page_set_checking (self->device_page, self->check_request_id, FALSE);
      self->check_request_id = 0;
      _cradle_window_toast (self, _("Cradle could not check the request now. Keep the device connected and try again."));
      _cradle_window_update_actions (self);
    }
  return G_SOURCE_REMOVE;
}

static void
check_unlocked (CradleWindow *self,
                CradleDevice *device,
                gpointer      data)
{
  gint64 request_id = *(gint64 *) data;

  /* Unlocked: the token goes back to the retriever, which checks now. */
  _cradle_window_unlock_give_back (self, device);
  if (cradle_care_get_retriever (self->care) == NULL || self->check_request_id != 0)
    return;
  self->check_request_id = request_id;
  /* Already being checked in the background: show that one. */
  if (self->background != NULL && cradle_enrollment_get_request_id (self->background) == request_id &&
      !_cradle_window_is_running (self))
    {
      follow (self, self->background, TRUE);
      return;
    }
  cradle_device_page_set_checking (self->device_page, request_id, TRUE);
  g_clear_handle_id (&self->check_timeout, g_source_remove);
  self->check_timeout = g_timeout_add_seconds (CHECK_START_TIMEOUT_SECONDS, on_check_timeout, self);
  _cradle_window_update_actions (self);
  cradle_retriever_retrieve_now (cradle_care_get_retriever (self->care), request_id);
}

/* A token's request is retrieved with its key found again on the token:
 * the PIN first. */
static void
check (CradleWindow *self,
       gint64        request_id)
{
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);

  if (cradle_care_get_retriever (self->care) == NULL || request_id <= 0 || self->check_request_id != 0 ||
      device == NULL || _cradle_window_is_unlocking (self))
    return;
  _cradle_window_unlock (self, device, check_unlocked, g_memdup2 (&request_id, sizeof request_id), g_free);
}

static void
check_now_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  check (CRADLE_WINDOW (widget), g_variant_get_int64 (parameter));
}

static void
check_result_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  const CradleReport *report = cradle_result_page_get_report (self->result_page);

  if (report != NULL)
    check (self, report->request_id);
}

static void
on_resume_started (CradleCare       *care,
                   CradleEnrollment *enrollment,
                   CradleWindow     *self)
{
  gint64 id = cradle_enrollment_get_request_id (enrollment);

  g_debug ("Resuming request %" G_GINT64_FORMAT, id);
  if (id != 0 && id == self->check_request_id && !_cradle_window_is_running (self))
    {
      g_clear_handle_id (&self->check_timeout, g_source_remove);
      follow (self, enrollment, TRUE);
      return;
    }
  g_set_object (&self->background, enrollment);
  cradle_device_page_set_checking (self->device_page, id, TRUE);
}

static void
on_resume_finished (CradleCare       *care,
                    CradleEnrollment *enrollment,
                    CradleWindow     *self)
{
  gint64 id = cradle_enrollment_get_request_id (enrollment);
  CradleEnrollmentOutcome outcome = cradle_enrollment_get_outcome (enrollment);

  g_debug ("Resumed request %" G_GINT64_FORMAT ": %s", id, cradle_enrollment_outcome_to_string (outcome));
  if (enrollment == self->background)
    g_clear_object (&self->background);
  cradle_device_page_set_checking (self->device_page, id, FALSE);
  /* The user's check, or a background one of the request the user asked
   * about that ended before the user's could start. */
  if (enrollment == self->enrollment ||
      (id != 0 && id == self->check_request_id && !_cradle_window_is_running (self)))
    {
      g_clear_handle_id (&self->check_timeout, g_source_remove);
      if (enrollment != self->enrollment)
        self->last_step = CRADLE_ENROLLMENT_STEP_NONE;   /* not followed: no step seen */
      self->check_request_id = 0;
      show_result (self, enrollment);
      stop_following (self);
      _cradle_window_reload_device (self);
      _cradle_window_update_actions (self);
      return;
    }

  /* In the background: say so only when something was decided. */
  if (outcome == CRADLE_ENROLLMENT_OUTCOME_INSTALLED)
    {
      g_autofree char *text = g_strdup_printf (_("Your %s certificate was issued and installed on the device."),
                                               type_title (cradle_enrollment_get_cert_type (enrollment)));

      _cradle_window_toast (self, text);
    }
  else if (outcome == CRADLE_ENROLLMENT_OUTCOME_DENIED)
    {
      g_autofree char *text = g_strdup_printf (_("Your request for a %s certificate was refused. "
                                                 "See the details in the list of requests."),
                                               type_title (cradle_enrollment_get_cert_type (enrollment)));

      _cradle_window_toast (self, text);
    }
  _cradle_window_reload_device (self);
}

/* ---- what the care does in the background --------------------------------- */

static void
on_statuses (CradleCare   *care,
             CradleDevice *device,
             GPtrArray    *statuses,
             CradleWindow *self)
{
  if (device == cradle_device_watcher_get_device (self->watcher))
    cradle_device_page_set_cert_statuses (self->device_page, statuses);
}

static void
on_renewal_finished (CradleCare       *care,
                     CradleEnrollment *enrollment,
                     CradleWindow     *self)
{
  CradleEnrollmentOutcome outcome = cradle_enrollment_get_outcome (enrollment);
  g_autofree char *text = NULL;

  if (outcome == CRADLE_ENROLLMENT_OUTCOME_INSTALLED)
    text = g_strdup_printf (_("Your %s certificate was renewed."),
                            type_title (cradle_enrollment_get_cert_type (enrollment)));
  else if (outcome != CRADLE_ENROLLMENT_OUTCOME_PENDING)
    text = g_strdup_printf (_("Your %s certificate could not be renewed: %s"),
                            type_title (cradle_enrollment_get_cert_type (enrollment)),
                            cradle_enrollment_get_error (enrollment) != NULL
                              ? cradle_enrollment_get_error (enrollment)->message
                              : cradle_enrollment_outcome_to_string (outcome));
  if (text != NULL)
    _cradle_window_toast (self, text);
  _cradle_window_reload_device (self);
  _cradle_window_update_actions (self);
}

static void
on_renewal_started (CradleCare       *care,
                    CradleEnrollment *enrollment,
                    CradleWindow     *self)
{
  g_autofree char *text = g_strdup_printf (_("Renewing your %s certificate. Keep the device connected."),
                                           type_title (cradle_enrollment_get_cert_type (enrollment)));

  _cradle_window_toast (self, text);
  _cradle_window_update_actions (self);
}

/* The care's retriever resumes in the background; the window shows it. */
void
_cradle_window_follow_care (CradleWindow *self)
{
  g_signal_connect (self->care, "resume-started", G_CALLBACK (on_resume_started), self);
  g_signal_connect (self->care, "resume-finished", G_CALLBACK (on_resume_finished), self);
  g_signal_connect (self->care, "statuses", G_CALLBACK (on_statuses), self);
  g_signal_connect (self->care, "renewal-started", G_CALLBACK (on_renewal_started), self);
  g_signal_connect (self->care, "renewal-finished", G_CALLBACK (on_renewal_finished), self);
}

void
_cradle_window_enroll_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.enroll", NULL, enroll_action);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.done", NULL, done_action);
  gtk_widget_class_install_action (widget_class, "win.copy-details", NULL, copy_details_action);
  gtk_widget_class_install_action (widget_class, "win.check-now", "x", check_now_action);
  gtk_widget_class_install_action (widget_class, "win.check-result", NULL, check_result_action);
  gtk_widget_class_install_action (widget_class, "win.renew", "s", renew_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel", NULL);
}
