/* cradle-window.c: the main window
 *
 * Pages: "no-device" (connect one), "device" (the device, the account,
 * the types, pending requests and certificates), "progress" and "result".
 * The window follows the device watcher and the session, reads the
 * device's certificates and pending requests without blocking, and leaves
 * enrolling to cradle-window-enroll.c.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-plain-text.h"
#include "cradle-sign-in-dialog.h"
#include "cradle-window-private.h"

G_DEFINE_FINAL_TYPE (CradleWindow, cradle_window, ADW_TYPE_APPLICATION_WINDOW)

void
cradle_window_toast (CradleWindow *self,
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
  const char *what = NULL;

  if (page == GTK_WIDGET (self->no_device_page))
    what = adw_status_page_get_title (self->no_device_page);
  else if (page == GTK_WIDGET (self->device_page))
    what = cradle_device_watcher_get_device (self->watcher) != NULL
             ? cradle_device_get_model (cradle_device_watcher_get_device (self->watcher))
             : NULL;
  else if (page == GTK_WIDGET (self->progress_page))
    what = cradle_progress_page_get_title (self->progress_page);
  else if (page == GTK_WIDGET (self->result_page))
    what = cradle_result_page_get_title (self->result_page);
  /* Translators: the window's title, "Certificate Installed – Cradle" */
  title = what != NULL ? g_strdup_printf (_("%s – Cradle"), what) : g_strdup (_("Cradle"));
  gtk_window_set_title (GTK_WINDOW (self), title);
}

void
cradle_window_show_page (CradleWindow *self,
                         const char   *name)
{
  /* A toast belongs to the page it was about. */
  if (self->toast != NULL && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), name) != 0)
    adw_toast_dismiss (self->toast);
  gtk_stack_set_visible_child_name (self->stack, name);
  update_title (self);
  cradle_window_update_actions (self);
}

void
cradle_window_update_page (CradleWindow *self)
{
  const char *visible = gtk_stack_get_visible_child_name (self->stack);

  if (cradle_window_is_running (self) || g_strcmp0 (visible, "result") == 0)
    return;
  cradle_window_show_page (self, cradle_device_watcher_get_device (self->watcher) != NULL ? "device" : "no-device");
}

void
cradle_window_update_actions (CradleWindow *self)
{
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);
  gboolean on_device_page = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "device") == 0;
  gboolean ready = device != NULL && on_device_page && self->store != NULL &&
                   cradle_session_get_credentials (self->session) != NULL &&
                   cradle_device_page_get_selected_type (self->device_page) != NULL &&
                   !cradle_window_is_running (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.enroll", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel", cradle_window_is_running (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.forget-device",
                                 device != NULL && !cradle_window_is_running (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.check-now",
                                 device != NULL && self->retriever != NULL && self->check_request_id == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.check-result",
                                 device != NULL && self->retriever != NULL && self->check_request_id == 0);
}

/* ---- the device's certificates and pending requests -------------------- */

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

void
cradle_window_reload_device (CradleWindow *self)
{
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);

  if (device == NULL)
    return;
  cradle_device_list_certs_async (device, NULL, NULL, self->cancellable, list_certs_done, g_object_ref (self));
  if (self->store != NULL && cradle_device_get_serial (device) != NULL)
    {
      g_autoptr(GTask) task = g_task_new (self, self->cancellable, list_pending_done, NULL);
      PendingJob *job = g_new0 (PendingJob, 1);

      job->store = g_object_ref (self->store);
      job->serial = g_strdup (cradle_device_get_serial (device));
      g_task_set_source_tag (task, cradle_window_reload_device);
      g_task_set_task_data (task, job, pending_job_free);
      g_task_run_in_thread (task, list_pending_thread);
    }
}

/* ---- following the device and the session ------------------------------ */

static void
on_device_changed (CradleDeviceWatcher *watcher,
                   GParamSpec          *pspec,
                   CradleWindow        *self)
{
  CradleDevice *device = cradle_device_watcher_get_device (watcher);

  if (device != NULL)
    {
      cradle_device_page_set_device (self->device_page, device);
      cradle_window_reload_device (self);
      if (self->retriever != NULL)
        cradle_retriever_add_device (self->retriever, device);
    }
  cradle_window_update_page (self);
}

static void
on_device_problem (CradleDeviceWatcher *watcher,
                   GParamSpec          *pspec,
                   CradleWindow        *self)
{
  const char *problem = cradle_device_watcher_get_problem (watcher);

  cradle_status_page_set_plain_description (self->no_device_page,
                                   problem != NULL
                                     ? problem
                                     : _("Connect your phone or other device to this computer with a USB cable, "
                                         "and unlock it. Cradle finds it by itself. The device needs the Cradle "
                                         "agent; your administrator can tell you how to get it."));
}

static void
on_sign_in_response (CradleSignInDialog *dialog,
                     const char         *response,
                     CradleWindow       *self)
{
  if (g_strcmp0 (response, "sign-in") == 0)
    {
      self->password_tried = TRUE;
      cradle_session_sign_in_with_password (self->session, cradle_sign_in_dialog_get_user (dialog),
                                            cradle_sign_in_dialog_get_password (dialog));
    }
  cradle_sign_in_dialog_clear_password (dialog);
}

static void
show_sign_in_dialog (CradleWindow *self)
{
  const GError *error = cradle_session_get_error (self->session);
  g_autofree char *why = NULL;
  CradleSignInDialog *dialog;

  if (error != NULL)
    {
      const CradleExplanation *explanation = cradle_explain_error (error);

      why = g_strdup (cradle_explanation_is_generic (explanation) ? error->message
                                                                  : cradle_explanation_get_summary (explanation));
    }
  dialog = cradle_sign_in_dialog_new (GTK_WINDOW (self), cradle_session_get_user_hint (self->session), why);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_sign_in_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_session_state (CradleSession *session,
                  GParamSpec    *pspec,
                  CradleWindow  *self)
{
  switch (cradle_session_get_state (session))
    {
    case CRADLE_SESSION_SIGNED_IN:
      self->password_tried = FALSE;
      adw_window_title_set_subtitle (self->window_title, cradle_session_get_identity (session));
      cradle_window_start_retriever (self);
      cradle_window_reload_device (self);
      break;

    case CRADLE_SESSION_NEEDS_PASSWORD:
      adw_window_title_set_subtitle (self->window_title, NULL);
      /* Ask by itself the first time, and again at once after a password
       * that did not work (saying why); otherwise the account row's
       * button asks. */
      if (!self->asked_password || self->password_tried)
        {
          self->asked_password = TRUE;
          self->password_tried = FALSE;
          show_sign_in_dialog (self);
        }
      break;

    case CRADLE_SESSION_SIGNING_IN:
      break;

    default:
      self->password_tried = FALSE;
      adw_window_title_set_subtitle (self->window_title, NULL);
      break;
    }
  cradle_window_update_actions (self);
}

static void
on_selected_type (CradleDevicePage *page,
                  GParamSpec       *pspec,
                  CradleWindow     *self)
{
  cradle_window_update_actions (self);
}

/* ---- the pending store and the journal, opened off the main thread ------ */

typedef struct {
  CradlePendingStore *store;
  CradleJournal      *journal;
} StateFiles;

static void
state_files_free (gpointer data)
{
  StateFiles *files = data;

  g_clear_object (&files->store);
  g_clear_object (&files->journal);
  g_free (files);
}

static void
open_state_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  g_autoptr(GError) journal_error = NULL;
  GError *error = NULL;
  StateFiles *files = g_new0 (StateFiles, 1);

  files->store = cradle_pending_store_open (NULL, &error);
  if (files->store == NULL)
    {
      state_files_free (files);
      g_task_return_error (task, error);
      return;
    }
  /* Without a journal enrollments still work; support just sees less. */
  files->journal = cradle_journal_open (NULL, &journal_error);
  if (files->journal == NULL)
    g_warning ("Enrollments are not journaled: %s", journal_error->message);
  g_task_return_pointer (task, files, state_files_free);
}

static void
open_state_done (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CradleWindow *self = CRADLE_WINDOW (source_object);
  g_autoptr(GError) error = NULL;
  StateFiles *files = g_task_propagate_pointer (G_TASK (result), &error);

  if (files == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("Could not open the pending store: %s", error->message);
      text = g_strdup_printf (_("Cradle cannot keep requests, so it cannot enroll: %s"), error->message);
      cradle_window_toast (self, text);
      return;
    }
  self->store = g_steal_pointer (&files->store);
  self->journal = g_steal_pointer (&files->journal);
  state_files_free (files);
  cradle_window_start_retriever (self);
  cradle_window_reload_device (self);
  cradle_window_update_actions (self);
}

/* ---- actions ----------------------------------------------------------- */

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  show_sign_in_dialog (CRADLE_WINDOW (widget));
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);

  cradle_session_refresh (self->session);
  cradle_window_reload_device (self);
}

static void
forget_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (cradle_device_forget (CRADLE_DEVICE (task_data), cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
forget_done (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  CradleWindow *self = CRADLE_WINDOW (source_object);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = g_strdup_printf (_("Cradle could not unpair the device: %s"), error->message);
      cradle_window_toast (self, text);
      return;
    }
  cradle_window_toast (self, _("Unpaired. The device asks again before Cradle uses it."));
  cradle_window_reload_device (self);
}

/* Unpairing from the desktop: the device forgets this computer's user, and
 * this computer forgets the device's key. */
static void
forget_device_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);
  g_autoptr(GTask) task = NULL;

  if (device == NULL || cradle_window_is_running (self))
    return;
  task = g_task_new (self, self->cancellable, forget_done, NULL);
  g_task_set_source_tag (task, forget_device_action);
  g_task_set_task_data (task, g_object_ref (device), g_object_unref);
  g_task_run_in_thread (task, forget_thread);
}

/* ---- --bench: when the first frame was drawn ---------------------------- */

static void
on_after_paint (GdkFrameClock *clock,
                CradleWindow  *self)
{
  gint64 now = g_get_monotonic_time ();

  g_signal_handlers_disconnect_by_func (clock, on_after_paint, self);
  g_print ("cradle-bench: first-frame monotonic-us=%" G_GINT64_FORMAT " since-main-ms=%.1f\n",
           now, (now - cradle_application_get_start_time ()) / 1000.0);
  fflush (stdout);
}

/* Looking for devices and signing in start once the window is on screen:
 * the first frame waits for neither. */
static void
start (CradleWindow *self)
{
  g_clear_handle_id (&self->start_timeout, g_source_remove);
  if (self->started)
    return;
  self->started = TRUE;
  cradle_device_watcher_start (self->watcher);
  cradle_session_sign_in (self->session);
}

static void
on_first_frame (GdkFrameClock *clock,
                CradleWindow  *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_first_frame, self);
  start (self);
}

/* A window that is not drawn (hidden at once) still starts. */
static gboolean
on_start_timeout (gpointer user_data)
{
  CradleWindow *self = user_data;

  self->start_timeout = 0;
  start (self);
  return G_SOURCE_REMOVE;
}

static void
cradle_window_realize (GtkWidget *widget)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  GdkFrameClock *clock;

  GTK_WIDGET_CLASS (cradle_window_parent_class)->realize (widget);

  clock = gdk_surface_get_frame_clock (gtk_native_get_surface (GTK_NATIVE (widget)));
  if (self->bench)
    g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), self);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_first_frame), self);
}

/* ---- the object -------------------------------------------------------- */

static void
cradle_window_dispose (GObject *object)
{
  CradleWindow *self = CRADLE_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->enrollment_cancellable);
  g_clear_handle_id (&self->check_timeout, g_source_remove);
  g_clear_handle_id (&self->start_timeout, g_source_remove);
  g_clear_weak_pointer (&self->toast);
  if (self->retriever != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->retriever, self);
      cradle_retriever_stop (self->retriever);
    }
  g_clear_object (&self->retriever);
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      cradle_session_cancel (self->session);
    }
  if (self->watcher != NULL)
    g_signal_handlers_disconnect_by_data (self->watcher, self);
  if (self->enrollment != NULL)
    g_signal_handlers_disconnect_by_data (self->enrollment, self);
  g_clear_object (&self->enrollment);
  g_clear_object (&self->enrollment_cancellable);
  g_clear_object (&self->background);
  gtk_widget_dispose_template (GTK_WIDGET (self), CRADLE_TYPE_WINDOW);
  g_clear_object (&self->session);
  g_clear_object (&self->watcher);
  g_clear_object (&self->store);
  g_clear_object (&self->journal);

  G_OBJECT_CLASS (cradle_window_parent_class)->dispose (object);
}

static void
cradle_window_finalize (GObject *object)
{
  CradleWindow *self = CRADLE_WINDOW (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (cradle_window_parent_class)->finalize (object);
}

static void
cradle_window_class_init (CradleWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_window_dispose;
  object_class->finalize = cradle_window_finalize;
  widget_class->realize = cradle_window_realize;

  g_type_ensure (CRADLE_TYPE_DEVICE_PAGE);
  g_type_ensure (CRADLE_TYPE_PROGRESS_PAGE);
  g_type_ensure (CRADLE_TYPE_RESULT_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, no_device_page);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, device_page);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, progress_page);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, result_page);

  gtk_widget_class_install_action (widget_class, "win.sign-in", NULL, sign_in_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.forget-device", NULL, forget_device_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.refresh", NULL);
  cradle_window_enroll_class_init (widget_class);
}

static void
cradle_window_init (CradleWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  g_signal_connect (self->device_page, "notify::selected-type", G_CALLBACK (on_selected_type), self);
}

CradleWindow *
cradle_window_new (CradleApplication *application)
{
  CradleWindow *self = g_object_new (CRADLE_TYPE_WINDOW, "application", application, NULL);
  g_autoptr(GTask) task = NULL;

  self->bench = cradle_application_get_bench (application);
  self->session = cradle_session_new (cradle_application_get_domain (application),
                                      cradle_application_get_dc_uri (application),
                                      cradle_application_get_user (application),
                                      cradle_application_get_ccache (application));
  self->watcher = cradle_device_watcher_new ();
  g_signal_connect (self->session, "notify::state", G_CALLBACK (on_session_state), self);
  g_signal_connect (self->watcher, "notify::device", G_CALLBACK (on_device_changed), self);
  g_signal_connect (self->watcher, "notify::problem", G_CALLBACK (on_device_problem), self);
  cradle_device_page_set_session (self->device_page, self->session);
  cradle_window_update_page (self);

  task = g_task_new (self, self->cancellable, open_state_done, NULL);
  g_task_set_source_tag (task, cradle_window_new);
  g_task_run_in_thread (task, open_state_thread);
  self->start_timeout = g_timeout_add_seconds (1, on_start_timeout, self);
  return self;
}
