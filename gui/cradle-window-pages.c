/* cradle-window-pages.c: what the window shows
 *
 * The page on top, the window's title, which actions can run, and the
 * device's certificates and pending requests, read without blocking.
 * cradle-window.c and cradle-window-enroll.c call down into it; it calls
 * neither.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-plain-text.h"
#include "cradle-window-private.h"

gboolean
_cradle_window_is_running (CradleWindow *self)
{
  return self->enrollment != NULL || self->batch_running > 0;
}

gboolean
_cradle_window_can_choose_device (CradleWindow *self)
{
  /* A run, a file being installed, a renewal or a PIN asked for holds the
   * device shown: it stays until they end. */
  return !_cradle_window_is_running (self) && !_cradle_window_is_installing (self) &&
         !cradle_care_is_renewing (self->care) && self->unlock == NULL;
}

gboolean
_cradle_window_is_installing (CradleWindow *self)
{
  return self->installing != NULL || self->removing;
}

void
_cradle_window_toast (CradleWindow *self,
                     const char   *text)
{
  AdwToast *toast = cradle_toast_new_plain (text);

  adw_toast_set_timeout (toast, 5);
  g_set_weak_pointer (&self->toast, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* The window's title names what it shows, for the task switcher and for
 * screen readers (and the GUI tests, which read it through AT-SPI). */
static void
update_title (CradleWindow *self)
{
  GtkWidget *page = gtk_stack_get_visible_child (self->stack);
  g_autofree char *title = NULL;
  g_autofree char *escaped = NULL;
  const char *what = NULL;

  if (page == GTK_WIDGET (self->no_device_page))
    what = adw_status_page_get_title (self->no_device_page);
  else if (page == GTK_WIDGET (self->device_page) && cradle_device_watcher_get_device (self->watcher) != NULL)
    {
      CradleDevice *device = cradle_device_watcher_get_device (self->watcher);

      /* A token by its label (what its owner named it), escaped. */
      if (cradle_device_get_label (device) != NULL && *cradle_device_get_label (device) != '\0')
        what = escaped = cradle_text_escape (cradle_device_get_label (device), -1, CRADLE_TEXT_ESCAPE_DEFAULT);
      else
        what = cradle_device_get_model (device);
    }
  else if (page == GTK_WIDGET (self->progress_page))
    what = cradle_progress_page_get_title (self->progress_page);
  else if (page == GTK_WIDGET (self->result_page))
    what = cradle_result_page_get_title (self->result_page);
  else if (page == GTK_WIDGET (self->batch_page))
    what = cradle_batch_page_get_title (self->batch_page);
  /* Translators: the window's title, "Certificate Installed – Cradle" */
  title = what != NULL ? g_strdup_printf (_("%s – Cradle"), what) : g_strdup (_("Cradle"));
  gtk_window_set_title (GTK_WINDOW (self), title);
}

void
_cradle_window_show_page (CradleWindow *self,
                         const char   *name)
{
  /* A toast belongs to the page it was about. */
  if (self->toast != NULL && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), name) != 0)
    adw_toast_dismiss (self->toast);
  gtk_stack_set_visible_child_name (self->stack, name);
  update_title (self);
  _cradle_window_update_actions (self);
}

void
_cradle_window_update_page (CradleWindow *self)
{
  const char *visible = gtk_stack_get_visible_child_name (self->stack);

  if (_cradle_window_is_running (self) || g_strcmp0 (visible, "result") == 0 || g_strcmp0 (visible, "batch") == 0)
    return;
  _cradle_window_show_page (self, cradle_device_watcher_get_device (self->watcher) != NULL ? "device" : "no-device");
}

void
_cradle_window_update_actions (CradleWindow *self)
{
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);
  gboolean on_device_page = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "device") == 0;
  gboolean ready = device != NULL && on_device_page && cradle_care_get_store (self->care) != NULL &&
                   cradle_device_page_get_n_chosen (self->device_page) > 0 &&
                   cradle_session_get_credentials (self->session) != NULL &&
                   cradle_device_page_get_selected_type (self->device_page) != NULL &&
                   !_cradle_window_is_running (self) && !cradle_care_is_renewing (self->care) &&
                   self->unlock == NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.enroll", ready && !_cradle_window_is_installing (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.install-file",
                                 device != NULL && on_device_page && !_cradle_window_is_running (self) &&
                                 !_cradle_window_is_installing (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel", _cradle_window_is_running (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.forget-device",
                                 device != NULL && !_cradle_window_is_running (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.choose-device", _cradle_window_can_choose_device (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->device_button), _cradle_window_can_choose_device (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.check-now",
                                 device != NULL && cradle_care_get_retriever (self->care) != NULL && self->check_request_id == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.check-result",
                                 device != NULL && cradle_care_get_retriever (self->care) != NULL && self->check_request_id == 0);
}

/* ---- the device's certificates and pending requests -------------------- */

static void
check_done (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CradleWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) statuses = cradle_care_check_finish (CRADLE_CARE (source_object), result, &error);

  if (statuses == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_info ("Could not check the device's certificates: %s", error->message);
      return;
    }
  cradle_device_page_set_cert_statuses (self->device_page, statuses);
}

static void
list_certs_done (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CradleDevice *device = CRADLE_DEVICE (source_object);
  g_autoptr(CradleWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) certs = cradle_device_list_certs_finish (device, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      device != cradle_device_watcher_get_device (self->watcher))
    return;
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
    {
      cradle_device_watcher_device_gone (self->watcher, device);
      return;
    }
  cradle_device_page_set_certs (self->device_page, certs, error);
  /* Then the badges: the status checks' word on each (cached answers where
   * they hold, the responders asked otherwise). */
  if (certs != NULL && certs->len > 0)
    {
      cradle_care_check_async (self->care, device, certs, self->refresh_status, self->cancellable, check_done,
                               g_object_ref (self));
      self->refresh_status = FALSE;
    }
}

typedef struct {
  CradlePendingStore *store;
  char               *serial;
} PendingJob;

static void
pending_job_free (gpointer data)
{
  PendingJob *job = data;

  g_clear_object (&job->store);
  g_free (job->serial);
  g_free (job);
}

static void
list_pending_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  PendingJob *job = task_data;
  GError *error = NULL;
  g_autoptr(GPtrArray) all = cradle_pending_store_list (job->store, CRADLE_PENDING_LIST_UNFINISHED, &error);
  GPtrArray *mine;

  if (all == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  mine = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < all->len; i++)
    {
      CradlePendingRequest *request = g_ptr_array_index (all, i);

      if (g_strcmp0 (cradle_pending_request_get_device_serial (request), job->serial) == 0)
        g_ptr_array_add (mine, g_object_ref (request));
    }
  g_task_return_pointer (task, mine, (GDestroyNotify) g_ptr_array_unref);
}

static void
list_pending_done (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  CradleWindow *self = CRADLE_WINDOW (source_object);
  PendingJob *job = g_task_get_task_data (G_TASK (result));
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) requests = g_task_propagate_pointer (G_TASK (result), &error);

  if (requests == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not read the pending requests: %s", error->message);
      return;
    }
  if (device == NULL || g_strcmp0 (cradle_device_get_serial (device), job->serial) != 0)
    return;
  cradle_device_page_set_pending (self->device_page, requests, cradle_session_get_types (self->session));
}

/* ---- a token's PIN state ------------------------------------------------- */

static void
pin_state_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  g_task_return_int (task, cradle_device_get_pin_state (CRADLE_DEVICE (task_data)));
}

static void
pin_state_done (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  CradleWindow *self = CRADLE_WINDOW (source_object);
  CradleDevice *device = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gssize state = g_task_propagate_int (G_TASK (result), &error);

  if (error != NULL || device != cradle_device_watcher_get_device (self->watcher))
    return;
  cradle_device_page_set_pin_state (self->device_page, (CradleDevicePinState) state);
}

void
_cradle_window_update_pin_state (CradleWindow *self)
{
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);
  g_autoptr(GTask) task = NULL;

  if (device == NULL || g_strcmp0 (cradle_device_get_transport (device), CRADLE_DEVICE_TRANSPORT_PKCS11) != 0)
    return;
  task = g_task_new (self, self->cancellable, pin_state_done, NULL);
  g_task_set_source_tag (task, _cradle_window_update_pin_state);
  g_task_set_task_data (task, g_object_ref (device), g_object_unref);
  g_task_run_in_thread (task, pin_state_thread);
}

void
_cradle_window_reload_device (CradleWindow *self)
{
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);

  if (device == NULL)
    return;
  _cradle_window_update_pin_state (self);
  cradle_device_list_certs_async (device, NULL, NULL, self->cancellable, list_certs_done, g_object_ref (self));
  if (cradle_care_get_store (self->care) != NULL && cradle_device_get_serial (device) != NULL)
    {
      g_autoptr(GTask) task = g_task_new (self, self->cancellable, list_pending_done, NULL);
      PendingJob *job = g_new0 (PendingJob, 1);

      job->store = g_object_ref (cradle_care_get_store (self->care));
      job->serial = g_strdup (cradle_device_get_serial (device));
      g_task_set_source_tag (task, _cradle_window_reload_device);
      g_task_set_task_data (task, job, pending_job_free);
      g_task_run_in_thread (task, list_pending_thread);
    }
}
