/* cradle-window.c: the main window
 *
 * Pages: "no-device" (connect one), "device" (the device, the account,
 * the types, pending requests and certificates), "progress" and "result".
 * The window follows the device watcher and the session it was given
 * (the application made it from its options), and leaves enrolling to
 * cradle-window-enroll.c and what is shown to cradle-window-pages.c.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-plain-text.h"
#include "cradle-history-window.h"
#include "cradle-sign-in-dialog.h"
#include "cradle-troubleshoot-window.h"
#include "cradle-types-window.h"
#include "cradle-window-private.h"

G_DEFINE_FINAL_TYPE (CradleWindow, cradle_window, ADW_TYPE_APPLICATION_WINDOW)

/* ---- following the device and the session ------------------------------ */

static void update_device_button (CradleWindow *self);

static void
on_device_changed (CradleDeviceWatcher *watcher,
                   GParamSpec          *pspec,
                   CradleWindow        *self)
{
  CradleDevice *device = cradle_device_watcher_get_device (watcher);

  _cradle_window_unlock_follow_device (self);
  update_device_button (self);
  if (device != NULL)
    {
      cradle_device_page_set_device (self->device_page, device);
      _cradle_window_reload_device (self);
    }
  /* The devices to check (by title), the one shown checked at first. */
  cradle_device_page_set_devices (self->device_page, cradle_device_watcher_get_devices (watcher), device);
  _cradle_window_update_page (self);
}

/* The header's device button: its label names the device shown; its menu
 * lists every device connected, each by cradle_device_page_dup_distinct_title
 * (a token by its label; with its serial when two say the same), escaped;
 * it shows when there is a choice. */
static char *
dup_menu_label (GPtrArray    *devices,
                CradleDevice *device)
{
  g_autofree char *title = cradle_device_page_dup_distinct_title (devices, device);
  g_auto(GStrv) parts = g_strsplit (title, "_", -1);

  /* A menu item's label takes "_" for a mnemonic: "__" is one "_". */
  return g_strjoinv ("__", parts);
}

static void
update_device_button (CradleWindow *self)
{
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);
  GPtrArray *connected = cradle_device_watcher_get_devices (self->watcher);
  g_autoptr(GPtrArray) devices = g_ptr_array_new_full (connected->len, g_object_unref);
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autofree char *title = NULL;

  /* In the device page's order, whatever order they arrived in. */
  for (guint i = 0; i < connected->len; i++)
    g_ptr_array_add (devices, g_object_ref (g_ptr_array_index (connected, i)));
  g_ptr_array_sort (devices, cradle_device_page_compare_devices);

  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *each = g_ptr_array_index (devices, i);
      g_autofree char *label = dup_menu_label (devices, each);
      g_autoptr(GMenuItem) item = NULL;

      if (cradle_device_get_id (each) == NULL)
        continue;
      item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "win.choose-device",
                                               g_variant_new_string (cradle_device_get_id (each)));
      g_menu_append_item (menu, item);
    }
  gtk_menu_button_set_menu_model (self->device_button, G_MENU_MODEL (menu));
  if (device != NULL)
    title = cradle_device_page_dup_device_title (device);
  gtk_menu_button_set_label (self->device_button, title != NULL ? title : "");
  gtk_widget_set_visible (GTK_WIDGET (self->device_button), devices->len > 1);
}

static void
on_devices_changed (CradleDeviceWatcher *watcher,
                    GParamSpec          *pspec,
                    CradleWindow        *self)
{
  update_device_button (self);
  cradle_device_page_set_devices (self->device_page, cradle_device_watcher_get_devices (watcher),
                                  cradle_device_watcher_get_device (watcher));
}

static void
choose_device_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  GPtrArray *devices = cradle_device_watcher_get_devices (self->watcher);
  const char *id = g_variant_get_string (parameter, NULL);

  if (!_cradle_window_can_choose_device (self))
    return;
  for (guint i = 0; i < devices->len; i++)
    if (g_strcmp0 (cradle_device_get_id (g_ptr_array_index (devices, i)), id) == 0)
      {
        cradle_device_watcher_choose (self->watcher, g_ptr_array_index (devices, i));
        return;
      }
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
                                         "and unlock it, or insert your security token or smart card. Cradle "
                                         "finds it by itself. A phone or other device needs the Cradle "
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
      /* The directory's types can come while a run started from the kept
       * ones uses the device: the run's end reads the device again. */
      if (!_cradle_window_is_running (self))
        _cradle_window_reload_device (self);
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
  _cradle_window_update_actions (self);
}

static void
on_selected_type (CradleDevicePage *page,
                  GParamSpec       *pspec,
                  CradleWindow     *self)
{
  _cradle_window_update_actions (self);
}

/* ---- the care's pending store and retriever ------------------------------ */

static void
on_care_store (CradleCare   *care,
               GParamSpec   *pspec,
               CradleWindow *self)
{
  _cradle_window_reload_device (self);
  _cradle_window_update_actions (self);
}

static void
on_care_retriever (CradleCare   *care,
                   GParamSpec   *pspec,
                   CradleWindow *self)
{
  _cradle_window_update_actions (self);
}

static void
on_care_problem (CradleCare   *care,
                 GParamSpec   *pspec,
                 CradleWindow *self)
{
  if (cradle_care_get_problem (care) != NULL)
    _cradle_window_toast (self, cradle_care_get_problem (care));
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
  /* The badges too: a revocation since the kept answers shows now. */
  self->refresh_status = TRUE;
  _cradle_window_reload_device (self);
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
      _cradle_window_toast (self, text);
      return;
    }
  _cradle_window_toast (self, _("Unpaired. The device asks again before Cradle uses it."));
  _cradle_window_reload_device (self);
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

  if (device == NULL || _cradle_window_is_running (self))
    return;
  task = g_task_new (self, self->cancellable, forget_done, NULL);
  g_task_set_source_tag (task, forget_device_action);
  g_task_set_task_data (task, g_object_ref (device), g_object_unref);
  g_task_run_in_thread (task, forget_thread);
}

/* Advanced: the custom certificate types; a type saved or removed there is
 * listed (or gone) on the device page at once. */
static void
on_custom_types_changed (CradleTypesWindow *types,
                         CradleWindow      *self)
{
  refresh_action (GTK_WIDGET (self), NULL, NULL);
}

static void
custom_types_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  CradleTypesWindow *types = cradle_types_window_new (GTK_WINDOW (self),
                                                      cradle_session_get_credentials (self->session));

  g_signal_connect_object (types, "changed", G_CALLBACK (on_custom_types_changed), self, 0);
  gtk_window_present (GTK_WINDOW (types));
}

/* Troubleshoot (the menu): every hop, for the domain and each CA. */
static void
troubleshoot_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);
  CradleTroubleshootWindow *window;

  window = cradle_troubleshoot_window_new (GTK_WINDOW (self), self->session, NULL, device,
                                           device != NULL ? cradle_device_get_serial (device) : NULL, 0);
  gtk_window_present (GTK_WINDOW (window));
}

/* Run Checks (a failed result): the failed run's type and device. */
static void
run_checks_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CradleWindow *self = CRADLE_WINDOW (widget);
  const CradleReport *report = cradle_result_page_get_report (self->result_page);
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);
  CradleTroubleshootWindow *window;

  if (report == NULL)
    return;
  /* The app's session with the failed run's device, when it is still here. */
  if (device != NULL && g_strcmp0 (cradle_device_get_serial (device), report->device_serial) != 0)
    device = NULL;
  window = cradle_troubleshoot_window_new (GTK_WINDOW (self), self->session, report->type_name, device,
                                           report->device_serial, report->run_id);
  gtk_window_present (GTK_WINDOW (window));
}

static void
history_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  gtk_window_present (GTK_WINDOW (cradle_history_window_new (GTK_WINDOW (widget))));
}

/* ---- --bench: when the first frame was drawn ---------------------------- */

static void
on_after_paint (GdkFrameClock *clock,
                CradleWindow  *self)
{
  gint64 now = g_get_monotonic_time ();

  g_signal_handlers_disconnect_by_func (clock, on_after_paint, self);
  g_print ("cradle-bench: first-frame monotonic-us=%" G_GINT64_FORMAT " since-main-ms=%.1f\n",
           now, (now - self->bench_start_time) / 1000.0);
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
  cradle_care_start (self->care);
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
  if (self->bench_start_time != 0)
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
  /* The care goes on without the window (as a service, or until the
   * application quits): the window only stops following it. */
  if (self->care != NULL)
    g_signal_handlers_disconnect_by_data (self->care, self);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  if (self->watcher != NULL)
    g_signal_handlers_disconnect_by_data (self->watcher, self);
  /* A run the user started holds the device: give it back. */
  if (self->enrollment != NULL && self->care != NULL)
    cradle_care_release_device (self->care, cradle_enrollment_get_device (self->enrollment));
  if (self->enrollment != NULL)
    g_signal_handlers_disconnect_by_data (self->enrollment, self);
  g_clear_object (&self->enrollment);
  g_clear_object (&self->enrollment_cancellable);
  g_clear_object (&self->background);
  _cradle_window_batch_dispose (self);
  _cradle_window_token_dispose (self);
  _cradle_window_certs_dispose (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CRADLE_TYPE_WINDOW);
  g_clear_object (&self->session);
  g_clear_object (&self->watcher);
  g_clear_object (&self->care);

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
  g_type_ensure (CRADLE_TYPE_BATCH_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, device_button);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, no_device_page);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, device_page);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, progress_page);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, result_page);
  gtk_widget_class_bind_template_child (widget_class, CradleWindow, batch_page);

  gtk_widget_class_install_action (widget_class, "win.sign-in", NULL, sign_in_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.forget-device", NULL, forget_device_action);
  gtk_widget_class_install_action (widget_class, "win.custom-types", NULL, custom_types_action);
  gtk_widget_class_install_action (widget_class, "win.troubleshoot", NULL, troubleshoot_action);
  gtk_widget_class_install_action (widget_class, "win.run-checks", NULL, run_checks_action);
  gtk_widget_class_install_action (widget_class, "win.history", NULL, history_action);
  gtk_widget_class_install_action (widget_class, "win.choose-device", "s", choose_device_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.refresh", NULL);
  _cradle_window_enroll_class_init (widget_class);
  _cradle_window_batch_class_init (widget_class);
  _cradle_window_certs_class_init (widget_class);
}

static void
cradle_window_init (CradleWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  g_signal_connect (self->device_page, "notify::selected-type", G_CALLBACK (on_selected_type), self);
  g_signal_connect (self->device_page, "notify::n-chosen", G_CALLBACK (on_selected_type), self);
  _cradle_window_certs_init (self);
}

CradleWindow *
cradle_window_new (GtkApplication *application,
                   CradleCare     *care,
                   gint64          bench_start_time)
{
  CradleWindow *self = g_object_new (CRADLE_TYPE_WINDOW, "application", application, NULL);

  self->bench_start_time = bench_start_time;
  self->care = g_object_ref (care);
  self->session = g_object_ref (cradle_care_get_session (care));
  self->watcher = g_object_ref (cradle_care_get_watcher (care));
  g_signal_connect (self->session, "notify::state", G_CALLBACK (on_session_state), self);
  g_signal_connect (self->watcher, "notify::device", G_CALLBACK (on_device_changed), self);
  g_signal_connect (self->watcher, "notify::devices", G_CALLBACK (on_devices_changed), self);
  g_signal_connect (self->watcher, "notify::problem", G_CALLBACK (on_device_problem), self);
  g_signal_connect (self->care, "notify::store", G_CALLBACK (on_care_store), self);
  g_signal_connect (self->care, "notify::retriever", G_CALLBACK (on_care_retriever), self);
  g_signal_connect (self->care, "notify::problem", G_CALLBACK (on_care_problem), self);
  _cradle_window_follow_care (self);
  cradle_device_page_set_session (self->device_page, self->session);
  _cradle_window_update_page (self);

  /* A care started already (the service, or a window closed before):
   * show what it has now. */
  if (cradle_care_is_started (care))
    {
      self->started = TRUE;
      on_device_problem (self->watcher, NULL, self);
      on_device_changed (self->watcher, NULL, self);
      on_session_state (self->session, NULL, self);
    }
  else
    self->start_timeout = g_timeout_add_seconds (1, on_start_timeout, self);
  return self;
}
