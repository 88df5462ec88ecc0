/* cradle-history-window.c: the journal's runs, newest first, each with its steps
 *
 * Every run Cradle recorded (cradle_journal_list_runs(): enrollments,
 * resumed requests, renewals, removals, status checks), read on a thread:
 * its kind, type, device, start, outcome and error, and, expanded, each
 * step with its duration and error.  "Copy Details" copies a run as
 * cradle_report_run_to_text() writes it.  The journal's texts hold what
 * devices, CAs and the directory said: escaped, and set as plain text.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-history-window.h"
#include "cradle-plain-text.h"
#include "cradle-report.h"

/* The most recent runs shown. */
#define MAX_RUNS 100

struct _CradleHistoryWindow
{
  AdwWindow parent_instance;

  /* Owned */
  GCancellable        *cancellable;    /* the read running; cancelled when the window closes */
  GPtrArray           *runs;           /* (element-type CradleJournalRun) shown */

  /* Borrowed */
  AdwPreferencesGroup *group;          /* the runs shown, in page */

  /* Template widgets */
  AdwToastOverlay     *toast_overlay;
  GtkStack            *stack;
  AdwStatusPage       *empty_page;
  AdwPreferencesPage  *page;
};

G_DEFINE_FINAL_TYPE (CradleHistoryWindow, cradle_history_window, ADW_TYPE_WINDOW)

static void
toast (CradleHistoryWindow *self,
       const char          *text)
{
  AdwToast *toast = cradle_toast_new_plain (text);

  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* ---- words for the journal's names -------------------------------------- */

static const char *
kind_title (const char *kind)
{
  if (g_strcmp0 (kind, "enroll") == 0)
    return _("New certificate");
  if (g_strcmp0 (kind, "resume") == 0)
    return _("Request resumed");
  if (g_strcmp0 (kind, "renew") == 0)
    return _("Renewal");
  if (g_strcmp0 (kind, "remove") == 0)
    return _("Removal");
  if (g_strcmp0 (kind, "check") == 0)
    return _("Status check");
  return kind != NULL ? kind : _("Run");
}

static const char *
outcome_title (const char *outcome)
{
  if (g_strcmp0 (outcome, "installed") == 0)
    return _("Installed");
  if (g_strcmp0 (outcome, "pending") == 0)
    return _("Waiting for approval");
  if (g_strcmp0 (outcome, "denied") == 0)
    return _("Refused");
  if (g_strcmp0 (outcome, "declined") == 0)
    return _("Declined on the device");
  if (g_strcmp0 (outcome, "interrupted") == 0)
    return _("Not finished");
  if (g_strcmp0 (outcome, "failed") == 0)
    return _("Failed");
  if (g_strcmp0 (outcome, "cancelled") == 0)
    return _("Cancelled");
  if (g_strcmp0 (outcome, "running") == 0)
    return _("Running, or stopped in the middle");
  if (g_strcmp0 (outcome, "ok") == 0 || g_strcmp0 (outcome, "none") == 0)
    return _("Done");
  /* A status check's verdict (cradle_cert_verdict_to_string()). */
  if (g_strcmp0 (outcome, "valid") == 0)
    return _("Valid");
  if (g_strcmp0 (outcome, "renew-soon") == 0)
    return _("Renew soon");
  if (g_strcmp0 (outcome, "expired") == 0)
    return _("Expired");
  if (g_strcmp0 (outcome, "revoked") == 0)
    return _("Revoked");
  if (g_strcmp0 (outcome, "unknown") == 0)
    return _("Status unknown");
  return outcome != NULL ? outcome : "?";
}

static const char *
outcome_icon (const char *outcome)
{
  if (g_strcmp0 (outcome, "installed") == 0 || g_strcmp0 (outcome, "ok") == 0 || g_strcmp0 (outcome, "none") == 0 ||
      g_strcmp0 (outcome, "valid") == 0)
    return "emblem-ok-symbolic";
  if (g_strcmp0 (outcome, "pending") == 0 || g_strcmp0 (outcome, "running") == 0)
    return "document-open-recent-symbolic";
  if (g_strcmp0 (outcome, "interrupted") == 0 || g_strcmp0 (outcome, "declined") == 0 ||
      g_strcmp0 (outcome, "renew-soon") == 0 || g_strcmp0 (outcome, "unknown") == 0)
    return "dialog-warning-symbolic";
  if (g_strcmp0 (outcome, "cancelled") == 0)
    return "process-stop-symbolic";
  return "dialog-error-symbolic";
}

static GtkWidget *
outcome_image (const char *outcome)
{
  GtkWidget *image = gtk_image_new_from_icon_name (outcome_icon (outcome));
  const char *title = outcome_title (outcome);

  gtk_widget_set_valign (image, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (image, title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  return image;
}

static char *
escaped (const char *text)
{
  return text != NULL ? cradle_text_escape (text, -1, CRADLE_TEXT_ESCAPE_DEFAULT) : NULL;
}

static char *
format_started (gint64 usec)
{
  g_autoptr(GDateTime) utc = usec > 0 ? g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC) : NULL;
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  if (local == NULL)
    return g_strdup ("?");
  /* Translators: when a run started, as "21 November 2027, 14:02:07" */
  return g_date_time_format (local, _("%-d %B %Y, %H:%M:%S"));
}

static char *
format_ms (gint64 ms)
{
  if (ms < 0)
    return g_strdup (_("did not end"));
  if (ms < 1000)
    return g_strdup_printf (_("%d ms"), (int) ms);
  return g_strdup_printf (_("%.1f s"), ms / 1000.0);
}

/* ---- a run ---------------------------------------------------------------- */

static GtkWidget *
step_row (CradleJournalStep *step)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *text = escaped (cradle_journal_step_get_text (step));
  g_autofree char *error = escaped (cradle_journal_step_get_error (step));
  g_autofree char *duration = format_ms (cradle_journal_step_get_duration_ms (step));
  g_autoptr(GString) subtitle = g_string_new (NULL);
  const char *name = cradle_journal_step_get_error_name (step);

  /* Translators: a step's name, its outcome and how long it took: "submit · failed · 12 ms" */
  g_string_append_printf (subtitle, _("%s · %s · %s"), cradle_journal_step_get_step (step),
                          outcome_title (cradle_journal_step_get_outcome (step)), duration);
  if (error != NULL)
    g_string_append_printf (subtitle, "\n%s%s%s%s", error, name != NULL ? " (" : "", name != NULL ? name : "",
                            name != NULL ? ")" : "");
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 text != NULL && *text != '\0' ? text : cradle_journal_step_get_step (step));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), outcome_image (cradle_journal_step_get_outcome (step)));
  return row;
}

static void
copy_clicked (GtkButton           *button,
              CradleHistoryWindow *self)
{
  CradleJournalRun *run = g_object_get_data (G_OBJECT (button), "cradle-run");
  g_autofree char *text = NULL;
  g_autofree char *said = NULL;

  if (run == NULL)
    return;
  text = cradle_report_run_to_text (run);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  said = g_strdup_printf (_("Details of run %" G_GINT64_FORMAT " copied. Paste them into a message to your "
                            "support team."), cradle_journal_run_get_id (run));
  toast (self, said);
}

static GtkWidget *
run_row (CradleHistoryWindow *self,
         CradleJournalRun    *run)
{
  GtkWidget *row = adw_expander_row_new ();
  GtkWidget *copy = gtk_button_new_with_mnemonic (_("Copy _Details"));
  GPtrArray *steps = cradle_journal_run_get_steps (run);
  const char *outcome = cradle_journal_run_get_outcome (run);
  g_autofree char *type = escaped (cradle_journal_run_get_type_name (run));
  g_autofree char *device = escaped (cradle_journal_run_get_device_serial (run));
  g_autofree char *error = escaped (cradle_journal_run_get_error (run));
  g_autofree char *started = format_started (cradle_journal_run_get_started (run));
  g_autofree char *title = NULL;
  g_autoptr(GString) subtitle = g_string_new (NULL);

  /* Translators: a run's kind and its certificate type: "New certificate: CradleDeviceUPN" */
  title = type != NULL ? g_strdup_printf (_("%s: %s"), kind_title (cradle_journal_run_get_kind (run)), type)
                       : g_strdup (kind_title (cradle_journal_run_get_kind (run)));
  /* Translators: when, the outcome: "21 November 2027, 14:02:07 · Failed" */
  g_string_append_printf (subtitle, _("%s · %s"), started, outcome_title (outcome));
  if (device != NULL)
    g_string_append_printf (subtitle, _(" · device %s"), device);
  g_string_append_printf (subtitle, _(" · run %" G_GINT64_FORMAT), cradle_journal_run_get_id (run));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle->str);
  adw_expander_row_add_prefix (ADW_EXPANDER_ROW (row), outcome_image (outcome));

  gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_set_tooltip_text (copy, _("Copy this run and its steps, for your support team"));
  g_object_set_data_full (G_OBJECT (copy), "cradle-run", g_object_ref (run), g_object_unref);
  g_signal_connect (copy, "clicked", G_CALLBACK (copy_clicked), self);
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row), copy);

  if (error != NULL)
    {
      GtkWidget *why = adw_action_row_new ();
      const char *name = cradle_journal_run_get_error_name (run);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (why), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (why), name != NULL ? name : _("Error"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (why), error);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (why), 0);
      gtk_widget_add_css_class (why, "property");
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), why);
    }
  for (guint i = 0; steps != NULL && i < steps->len; i++)
    adw_expander_row_add_row (ADW_EXPANDER_ROW (row), step_row (g_ptr_array_index (steps, i)));
  return row;
}

static void
show_runs (CradleHistoryWindow *self,
           GPtrArray           *runs)
{
  GtkWidget *group;
  g_autofree char *description = NULL;

  if (self->group != NULL)
    adw_preferences_page_remove (self->page, self->group);
  self->group = NULL;
  g_clear_pointer (&self->runs, g_ptr_array_unref);
  self->runs = g_ptr_array_ref (runs);
  if (runs->len == 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Recent Runs"));
  description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "The last run Cradle recorded, newest first. Expand a run for its "
                                              "steps; Copy Details copies it for your support team.",
                                              "The last %u runs Cradle recorded, newest first. Expand a run for its "
                                              "steps; Copy Details copies it for your support team.",
                                              runs->len),
                                 runs->len);
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), description);
  for (guint i = 0; i < runs->len; i++)
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), run_row (self, g_ptr_array_index (runs, i)));
  adw_preferences_page_add (self->page, ADW_PREFERENCES_GROUP (group));
  self->group = ADW_PREFERENCES_GROUP (group);
  gtk_stack_set_visible_child_name (self->stack, "runs");
}

/* ---- reading the journal, on a thread ------------------------------------ */

static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  g_autoptr(CradleJournal) journal = cradle_journal_open (NULL, &error);
  GPtrArray *runs;

  if (journal == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  runs = cradle_journal_list_runs (journal, 0, MAX_RUNS, &error);
  if (runs == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, runs, (GDestroyNotify) g_ptr_array_unref);
}

static void
read_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  CradleHistoryWindow *self = CRADLE_HISTORY_WINDOW (source_object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = g_task_propagate_pointer (G_TASK (result), &error);

  if (runs == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_info ("Could not read the journal: %s", error->message);
      cradle_status_page_set_plain_description (self->empty_page, error->message);
      adw_status_page_set_title (self->empty_page, _("Could Not Read the History"));
      adw_status_page_set_icon_name (self->empty_page, "dialog-error-symbolic");
      gtk_stack_set_visible_child_name (self->stack, "empty");
      text = g_strdup_printf (_("Cradle could not read its history: %s"), error->message);
      toast (self, text);
      return;
    }
  g_info ("History: %u runs", runs->len);
  show_runs (self, runs);
}

static void
reload (CradleHistoryWindow *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->runs == NULL)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  task = g_task_new (self, self->cancellable, read_done, NULL);
  g_task_set_source_tag (task, reload);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, read_thread);
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  reload (CRADLE_HISTORY_WINDOW (widget));
}

/* ---- the object ---------------------------------------------------------- */

static void
cradle_history_window_dispose (GObject *object)
{
  CradleHistoryWindow *self = CRADLE_HISTORY_WINDOW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), CRADLE_TYPE_HISTORY_WINDOW);
  self->group = NULL;

  G_OBJECT_CLASS (cradle_history_window_parent_class)->dispose (object);
}

static void
cradle_history_window_finalize (GObject *object)
{
  CradleHistoryWindow *self = CRADLE_HISTORY_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->runs, g_ptr_array_unref);

  G_OBJECT_CLASS (cradle_history_window_parent_class)->finalize (object);
}

static void
cradle_history_window_class_init (CradleHistoryWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_history_window_dispose;
  object_class->finalize = cradle_history_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-history-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleHistoryWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CradleHistoryWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, CradleHistoryWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, CradleHistoryWindow, page);

  gtk_widget_class_install_action (widget_class, "history.reload", NULL, reload_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "history.reload", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "history.reload", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cradle_history_window_init (CradleHistoryWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CradleHistoryWindow *
cradle_history_window_new (GtkWindow *parent)
{
  CradleHistoryWindow *self = g_object_new (CRADLE_TYPE_HISTORY_WINDOW, "transient-for", parent, NULL);

  reload (self);
  return self;
}
