/* cradle-window-certs.c: the device's certificates: details, export, removal, and installing files
 *
 * A certificate row (or its Details button) opens its details
 * (CradleCertDetailsDialog), from which it can be exported or removed.
 * Remove, from a row's badge or from the details, asks here first (saying
 * when the key is retired with it), then the device asks its user.
 * "Install Certificate File…" and a file dropped on the device page run a
 * CradleInstallFile, with the device held from the care meanwhile.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-cert-details-dialog.h"
#include "cradle-cert-row.h"
#include "cradle-install-file.h"
#include "cradle-window-private.h"

/* A certificate of the device, in full, from the certificates shown. */
static CradleCertDetails *
lookup_details (CradleWindow      *self,
                const char        *sha256,
                CradleCertStatus **status,
                GError           **error)
{
  CradleDeviceCert *cert = cradle_device_page_lookup_cert (self->device_page, sha256, status);

  if (cert == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                           _("The device no longer holds this certificate."));
      return NULL;
    }
  return cradle_cert_details_new (cert, cradle_device_page_get_certs (self->device_page), error);
}

/* ---- removing ------------------------------------------------------------ */

typedef struct {
  CradleDevice            *device;
  CradleCertDetailsDialog *dialog;   /* weak: the details it was removed from */
} RemoveJob;

static void
remove_job_free (gpointer data)
{
  RemoveJob *job = data;

  g_clear_object (&job->device);
  g_clear_weak_pointer (&job->dialog);
  g_free (job);
}

static void
remove_done (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CradleWindow) self = user_data;
  RemoveJob *job = g_object_get_data (source_object, "cradle-remove-job");
  g_autoptr(GError) error = NULL;

  self->removing = FALSE;
  cradle_care_release_device (self->care, job->device);
  if (job->dialog != NULL)
    cradle_cert_details_dialog_set_busy (job->dialog, FALSE);
  if (!cradle_cert_details_remove_finish (CRADLE_CERT_DETAILS (source_object), result, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
        cradle_device_watcher_device_gone (self->watcher, job->device);
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED))
        text = g_strdup (_("Declined on the device: the certificate stays."));
      else
        text = g_strdup_printf (_("The certificate was not removed: %s"), error->message);
      if (job->dialog != NULL)
        cradle_cert_details_dialog_toast (job->dialog, text);
      else
        _cradle_window_toast (self, text);
    }
  else
    {
      if (job->dialog != NULL)
        gtk_window_destroy (GTK_WINDOW (job->dialog));
      _cradle_window_toast (self, _("Removed from the device. To get a new certificate, choose its type and click "
                                    "Get Certificate."));
    }
  _cradle_window_reload_device (self);
  _cradle_window_update_actions (self);
}

static void
on_remove_response (AdwMessageDialog *message,
                    const char       *response,
                    CradleWindow     *self)
{
  CradleCertDetails *details = g_object_get_data (G_OBJECT (message), "cradle-details");
  CradleCertDetailsDialog *dialog = g_object_get_data (G_OBJECT (message), "cradle-dialog");
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);
  RemoveJob *job;

  if (g_strcmp0 (response, "remove") != 0 || device == NULL || _cradle_window_is_running (self) || self->removing)
    return;
  cradle_care_hold_device (self->care, device);
  self->removing = TRUE;
  job = g_new0 (RemoveJob, 1);
  job->device = g_object_ref (device);
  g_set_weak_pointer (&job->dialog, dialog);
  if (dialog != NULL)
    {
      cradle_cert_details_dialog_set_busy (dialog, TRUE);
      cradle_cert_details_dialog_toast (dialog, _("Confirm the removal on your device."));
    }
  else
    _cradle_window_toast (self, _("Confirm the removal on your device."));
  g_object_set_data_full (G_OBJECT (details), "cradle-remove-job", job, remove_job_free);
  g_info ("Removing %s from %s", cradle_cert_details_get_sha256 (details), cradle_device_get_serial (device));
  cradle_cert_details_remove_async (details, device, cradle_care_get_journal (self->care), self->cancellable,
                                    remove_done, g_object_ref (self));
}

/* Asks before the device does: what goes, and that a personal
 * certificate's key is retired with it.  @dialog (nullable): the details
 * it was asked from, closed once it is gone. */
static void
ask_remove (CradleWindow            *self,
            CradleCertDetails       *details,
            CradleCertStatus        *status,
            CradleCertDetailsDialog *dialog)
{
  g_autofree char *name = cradle_cert_row_dup_common_name (cradle_cert_details_get_subject (details));
  g_autofree char *subject = cradle_text_escape (name, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  gboolean personal = g_strcmp0 (cradle_cert_details_get_store (details), "MY") == 0;
  gboolean key = personal && cradle_device_cert_get_key_id (cradle_cert_details_get_device_cert (details)) != NULL;
  CradleCertVerdict verdict = status != NULL ? cradle_cert_status_get_verdict (status) : CRADLE_CERT_VERDICT_UNKNOWN;
  g_autofree char *body = NULL;
  AdwMessageDialog *message;

  if (_cradle_window_is_running (self) || self->removing)
    return;
  if (cradle_care_is_renewing (self->care))
    {
      _cradle_window_toast (self, _("Cradle is renewing a certificate of this device. Try again when it has "
                                    "finished."));
      return;
    }
  if (personal && verdict == CRADLE_CERT_VERDICT_REVOKED)
    body = g_strdup_printf (_("The certificate “%s” was revoked by its certification authority (reason given: "
                              "%s), so it no longer works. Removing it also retires its key on the device. The "
                              "device asks you to confirm."),
                            subject,
                            cradle_revocation_reason_to_string (cradle_cert_status_get_revocation_reason (status)));
  else if (personal && verdict == CRADLE_CERT_VERDICT_EXPIRED)
    body = g_strdup_printf (_("The certificate “%s” has expired, so it no longer works. Removing it also retires "
                              "its key on the device. The device asks you to confirm."), subject);
  else if (key)
    body = g_strdup_printf (_("Removing the certificate “%s” also retires its key on the device, for good: "
                              "whatever used it stops working, and a new certificate needs a new key. The device "
                              "asks you to confirm."), subject);
  else if (personal)
    body = g_strdup_printf (_("The certificate “%s” goes from the device. The device holds no key for it."), subject);
  else
    body = g_strdup_printf (_("The certificate “%s” goes from the device's “%s” store: the device stops trusting "
                              "what it vouches for."),
                            subject, cradle_cert_row_store_name (cradle_cert_details_get_store (details),
                                                                 cradle_cert_details_get_scope (details)));
  message = ADW_MESSAGE_DIALOG (adw_message_dialog_new (dialog != NULL ? GTK_WINDOW (dialog) : GTK_WINDOW (self),
                                                        _("Remove the Certificate?"), NULL));
  adw_message_dialog_set_body_use_markup (message, FALSE);
  adw_message_dialog_set_body (message, body);
  adw_message_dialog_add_responses (message, "cancel", _("_Keep It"), "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (message, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (message, "cancel");
  adw_message_dialog_set_close_response (message, "cancel");
  g_object_set_data_full (G_OBJECT (message), "cradle-details", g_object_ref (details), g_object_unref);
  g_object_set_data (G_OBJECT (message), "cradle-dialog", dialog);
  g_signal_connect_object (message, "response", G_CALLBACK (on_remove_response), self, 0);
  gtk_window_present (GTK_WINDOW (message));
}

/* Remove on a revoked or expired certificate's row. */
static void
remove_cert_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  CradleCertStatus *status = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertDetails) details = lookup_details (self, g_variant_get_string (parameter, NULL), &status, &error);

  if (details == NULL)
    {
      _cradle_window_toast (self, error->message);
      return;
    }
  ask_remove (self, details, status, NULL);
}

/* ---- details ------------------------------------------------------------- */

static void
on_details_remove (CradleCertDetailsDialog *dialog,
                   CradleWindow            *self)
{
  CradleCertDetails *details = cradle_cert_details_dialog_get_details (dialog);
  CradleCertStatus *status = NULL;

  cradle_device_page_lookup_cert (self->device_page, cradle_cert_details_get_sha256 (details), &status);
  ask_remove (self, details, status, dialog);
}

static void
cert_details_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertDetails) details = lookup_details (self, g_variant_get_string (parameter, NULL), NULL, &error);
  CradleCertDetailsDialog *dialog;

  if (details == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Cradle cannot show this certificate: %s"), error->message);

      _cradle_window_toast (self, text);
      return;
    }
  dialog = cradle_cert_details_dialog_new (GTK_WINDOW (self), details);
  g_signal_connect_object (dialog, "remove", G_CALLBACK (on_details_remove), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- installing a certificate file ---------------------------------------- */

static void
on_install_installing (CradleInstallFile *install,
                       CradleWindow      *self)
{
  cradle_care_hold_device (self->care, cradle_install_file_get_device (install));
  g_object_set_data (G_OBJECT (install), "cradle-held", GINT_TO_POINTER (TRUE));
}

static void
on_install_finished (CradleInstallFile *install,
                     guint              added,
                     const GError      *error,
                     CradleWindow      *self)
{
  CradleDevice *device = cradle_install_file_get_device (install);

  if (g_object_get_data (G_OBJECT (install), "cradle-held") != NULL)
    cradle_care_release_device (self->care, device);
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
    cradle_device_watcher_device_gone (self->watcher, device);
  g_signal_handlers_disconnect_by_data (install, self);
  g_clear_object (&self->installing);
  _cradle_window_reload_device (self);
  _cradle_window_update_actions (self);
}

static void
install_file (CradleWindow *self,
              GFile        *file)
{
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);

  if (device == NULL)
    return;
  if (_cradle_window_is_running (self))
    {
      _cradle_window_toast (self, _("Wait until the certificate Cradle is getting is installed, then try again."));
      return;
    }
  if (_cradle_window_is_installing (self))
    {
      _cradle_window_toast (self, _("Cradle is busy with the device. Try again when it has finished."));
      return;
    }
  if (cradle_care_is_renewing (self->care))
    {
      _cradle_window_toast (self, _("Cradle is renewing a certificate of this device. Try again when it has "
                                    "finished."));
      return;
    }
  self->installing = cradle_install_file_new (GTK_WINDOW (self), device, cradle_care_get_store (self->care), file);
  g_signal_connect (self->installing, "installing", G_CALLBACK (on_install_installing), self);
  g_signal_connect (self->installing, "finished", G_CALLBACK (on_install_finished), self);
  _cradle_window_update_actions (self);
  cradle_install_file_start (self->installing);
}

static void
on_file_dropped (CradleDevicePage *page,
                 GFile            *file,
                 CradleWindow     *self)
{
  g_info ("A file was dropped on the device page");
  install_file (self, file);
}

static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     CradleWindow    *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_object_unref (chooser);
  if (file != NULL)
    install_file (self, file);
}

static void
install_file_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  const char *patterns[] = { "*.pfx", "*.p12", "*.cer", "*.crt", "*.der", "*.pem", "*.p7b", "*.p7c", NULL };
  g_autoptr(GtkFileFilter) certificates = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  GtkFileChooserNative *chooser;

  gtk_file_filter_set_name (certificates, _("Certificate files (PFX, P12, CER, P7B)"));
  for (guint i = 0; patterns[i] != NULL; i++)
    gtk_file_filter_add_pattern (certificates, patterns[i]);
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  chooser = gtk_file_chooser_native_new (_("Install Certificate File"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), certificates);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- the window's part ----------------------------------------------------- */

/* The window closes: a file being installed stops, and the device goes
 * back to the care. */
void
_cradle_window_certs_dispose (CradleWindow *self)
{
  if (self->installing == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->installing, self);
  if (g_object_get_data (G_OBJECT (self->installing), "cradle-held") != NULL && self->care != NULL)
    cradle_care_release_device (self->care, cradle_install_file_get_device (self->installing));
  cradle_install_file_cancel (self->installing);
  g_clear_object (&self->installing);
}

void
_cradle_window_certs_init (CradleWindow *self)
{
  g_signal_connect (self->device_page, "file-dropped", G_CALLBACK (on_file_dropped), self);
}

void
_cradle_window_certs_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.remove-cert", "s", remove_cert_action);
  gtk_widget_class_install_action (widget_class, "win.cert-details", "s", cert_details_action);
  gtk_widget_class_install_action (widget_class, "win.install-file", NULL, install_file_action);
}
