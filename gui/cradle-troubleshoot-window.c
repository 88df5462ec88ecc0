/* cradle-troubleshoot-window.c: every hop of an enrollment checked, and a report for support
 *
 * Runs a CradleDiagnosis (of a failed run's type and device when opened
 * from its result page, else of the domain and every CA) and shows each
 * hop as a group, filled as its checks end ("check-finished"): per check
 * its verdict, title, duration and what was found, and for a warning or a
 * failure what happened, what to do and what support should look at, in
 * the words of the error table.  "Save Report…" asks where, then writes a
 * CradleSupportReport holding this diagnosis.  Everything a check says
 * came from outside (escaped by the hops) and is set as plain text.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "cradle-plain-text.h"
#include "cradle-troubleshoot-window.h"

struct _CradleTroubleshootWindow
{
  AdwWindow parent_instance;

  /* Owned */
  CradleSession        *session;
  char                 *type_name;
  char                 *device_id;
  CradleDevice         *device;
  gint64                run_id;          /* the failed run's, for the report; 0 for the recent ones */
  CradleDiagnosis      *diagnosis;       /* the last one started */
  GCancellable         *run_cancellable; /* the diagnosis running */
  GCancellable         *cancellable;     /* cancelled when the window closes */
  GtkFileChooserNative *chooser;         /* while Save Report… asks where */
  gboolean              running;
  gboolean              saving;
  guint                 counts[CRADLE_N_HOPS][CRADLE_CHECK_SKIPPED + 1];

  /* Borrowed: the groups of the run shown */
  AdwPreferencesGroup  *hop_groups[CRADLE_N_HOPS];
  GtkImage             *hop_icons[CRADLE_N_HOPS];

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwPreferencesPage   *page;
  AdwPreferencesGroup  *summary_group;
  AdwActionRow         *summary_row;
  GtkStack             *summary_icon;
  GtkSpinner           *spinner;
  GtkImage             *summary_image;
};

G_DEFINE_FINAL_TYPE (CradleTroubleshootWindow, cradle_troubleshoot_window, ADW_TYPE_WINDOW)

static void
toast (CradleTroubleshootWindow *self,
       const char               *text)
{
  AdwToast *toast = cradle_toast_new_plain (text);

  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* What an error means, in the error table's words when it knows the
 * cause, else in the error's own (which say what and what to do). */
static char *
describe_error (const GError *error)
{
  const CradleExplanation *explanation = cradle_explain_error (error);

  if (cradle_explanation_is_generic (explanation))
    return g_strdup (error->message);
  return g_strdup_printf ("%s %s", cradle_explanation_get_summary (explanation),
                          cradle_explanation_get_user_action (explanation));
}

static const char *
cradle_troubleshoot_verdict_icon (CradleCheckVerdict verdict)
{
  switch (verdict)
    {
    case CRADLE_CHECK_OK:
      return "emblem-ok-symbolic";
    case CRADLE_CHECK_WARNING:
      return "dialog-warning-symbolic";
    case CRADLE_CHECK_FAILED:
      return "dialog-error-symbolic";
    case CRADLE_CHECK_SKIPPED:
    default:
      return "action-unavailable-symbolic";
    }
}

static const char *
cradle_troubleshoot_verdict_title (CradleCheckVerdict verdict)
{
  switch (verdict)
    {
    case CRADLE_CHECK_OK:
      return _("OK");
    case CRADLE_CHECK_WARNING:
      return _("Warning");
    case CRADLE_CHECK_FAILED:
      return _("Failed");
    case CRADLE_CHECK_SKIPPED:
    default:
      return _("Skipped");
    }
}

static char *
cradle_troubleshoot_format_duration (gint64 duration_us)
{
  if (duration_us <= 0)
    return g_strdup ("");
  if (duration_us < 1000)
    return g_strdup (_("< 1 ms"));
  if (duration_us < G_USEC_PER_SEC)
    return g_strdup_printf (_("%d ms"), (int) (duration_us / 1000));
  return g_strdup_printf (_("%.1f s"), duration_us / (double) G_USEC_PER_SEC);
}

static GtkWidget *
verdict_image (CradleCheckVerdict verdict)
{
  GtkWidget *image = gtk_image_new_from_icon_name (cradle_troubleshoot_verdict_icon (verdict));
  const char *title = cradle_troubleshoot_verdict_title (verdict);

  gtk_widget_set_valign (image, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (image, title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  if (verdict == CRADLE_CHECK_OK)
    gtk_widget_add_css_class (image, "success");
  else if (verdict == CRADLE_CHECK_WARNING)
    gtk_widget_add_css_class (image, "warning");
  else if (verdict == CRADLE_CHECK_FAILED)
    gtk_widget_add_css_class (image, "error");
  else
    gtk_widget_add_css_class (image, "dim-label");
  return image;
}

static void
set_verdict_image (GtkImage           *image,
                   CradleCheckVerdict  verdict)
{
  const char *title = cradle_troubleshoot_verdict_title (verdict);

  gtk_image_set_from_icon_name (image, cradle_troubleshoot_verdict_icon (verdict));
  gtk_widget_set_tooltip_text (GTK_WIDGET (image), title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  gtk_widget_remove_css_class (GTK_WIDGET (image), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (image), "warning");
  gtk_widget_remove_css_class (GTK_WIDGET (image), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (image), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (image), verdict == CRADLE_CHECK_OK ? "success"
                                                : verdict == CRADLE_CHECK_WARNING ? "warning"
                                                : verdict == CRADLE_CHECK_FAILED ? "error" : "dim-label");
}

/* ---- a check ------------------------------------------------------------- */

static GtkWidget *
detail_row (const char *title,
            const char *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  adw_preferences_row_set_title_selectable (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_widget_add_css_class (row, "property");
  return row;
}

/* The explanation of a warning or a failure, as rows under its check. */
static void
add_explanation (AdwExpanderRow *row,
                 const GError   *error)
{
  const CradleExplanation *explanation = cradle_explain_error (error);
  gboolean generic = cradle_explanation_is_generic (explanation);

  adw_expander_row_add_row (row, detail_row (_("What happened"), generic ? error->message
                                                                         : cradle_explanation_get_summary (explanation)));
  adw_expander_row_add_row (row, detail_row (_("What to do"), cradle_explanation_get_user_action (explanation)));
  adw_expander_row_add_row (row, detail_row (_("For support"), cradle_explanation_get_support_action (explanation)));
  if (!generic)
    adw_expander_row_add_row (row, detail_row (_("Error"), error->message));
  adw_expander_row_add_row (row, detail_row (_("Code"), cradle_explanation_get_name (explanation)));
}

static GtkWidget *
cradle_troubleshoot_check_row_new (CradleCheck *check)
{
  CradleCheckVerdict verdict = cradle_check_get_verdict (check);
  const GError *error = cradle_check_get_error (check);
  g_autofree char *duration = cradle_troubleshoot_format_duration (cradle_check_get_duration_us (check));
  g_autofree char *description = g_strdup_printf ("%s %s/%s", cradle_check_verdict_to_string (verdict),
                                                  cradle_hop_get_name (cradle_check_get_hop (check)),
                                                  cradle_check_get_name (check));
  GtkWidget *suffix = gtk_label_new (verdict == CRADLE_CHECK_SKIPPED ? _("Skipped") : duration);
  GtkWidget *row;

  gtk_widget_add_css_class (suffix, "dim-label");
  gtk_widget_add_css_class (suffix, "numeric");
  gtk_widget_set_valign (suffix, GTK_ALIGN_CENTER);
  if (error != NULL && verdict != CRADLE_CHECK_OK && verdict != CRADLE_CHECK_SKIPPED)
    {
      row = adw_expander_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cradle_check_get_title (check));
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), cradle_check_get_found (check));
      adw_expander_row_add_prefix (ADW_EXPANDER_ROW (row), verdict_image (verdict));
      adw_expander_row_add_action (ADW_EXPANDER_ROW (row), suffix);
      add_explanation (ADW_EXPANDER_ROW (row), error);
      /* What went wrong is open at once. */
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
    }
  else
    {
      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cradle_check_get_title (check));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), cradle_check_get_found (check));
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), verdict_image (verdict));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix);
    }
  /* The stable names, for scripts and screen readers: "failed ca/tcp". */
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  return row;
}

/* ---- the hops ------------------------------------------------------------ */

static CradleCheckVerdict
worst_so_far (CradleTroubleshootWindow *self,
              CradleHop                 hop)
{
  if (self->counts[hop][CRADLE_CHECK_FAILED] > 0)
    return CRADLE_CHECK_FAILED;
  if (self->counts[hop][CRADLE_CHECK_WARNING] > 0)
    return CRADLE_CHECK_WARNING;
  if (self->counts[hop][CRADLE_CHECK_OK] > 0)
    return CRADLE_CHECK_OK;
  return CRADLE_CHECK_SKIPPED;
}

static void
update_hop (CradleTroubleshootWindow *self,
            CradleHop                 hop,
            CradleCheckVerdict        verdict)
{
  guint *counts = self->counts[hop];
  guint total = counts[CRADLE_CHECK_OK] + counts[CRADLE_CHECK_WARNING] + counts[CRADLE_CHECK_FAILED] +
                counts[CRADLE_CHECK_SKIPPED];
  g_autofree char *text = NULL;

  if (verdict == CRADLE_CHECK_FAILED)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Failed: %u of %u check", "Failed: %u of %u checks", total),
                            counts[CRADLE_CHECK_FAILED], total);
  else if (verdict == CRADLE_CHECK_WARNING)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Needs attention: %u of %u check",
                                         "Needs attention: %u of %u checks", total),
                            counts[CRADLE_CHECK_WARNING], total);
  else if (verdict == CRADLE_CHECK_OK)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "OK: %u check", "OK: %u checks", total),
                            counts[CRADLE_CHECK_OK]);
  else
    text = g_strdup (_("Skipped"));
  if (self->running)
    {
      char *more = g_strdup_printf (_("%s (still checking)"), text);

      g_free (text);
      text = more;
    }
  /* A group's description is markup: ours, but escaped all the same. */
  {
    g_autofree char *escaped = g_markup_escape_text (text, -1);

    adw_preferences_group_set_description (self->hop_groups[hop], escaped);
  }
  set_verdict_image (self->hop_icons[hop], verdict);
}

static void
clear_hops (CradleTroubleshootWindow *self)
{
  for (guint hop = 0; hop < CRADLE_N_HOPS; hop++)
    {
      if (self->hop_groups[hop] != NULL)
        adw_preferences_page_remove (self->page, self->hop_groups[hop]);
      self->hop_groups[hop] = NULL;
      self->hop_icons[hop] = NULL;
    }
  memset (self->counts, 0, sizeof self->counts);
}

/* One group per hop, in the order they are shown; each appears with its
 * first check. */
static void
add_hops (CradleTroubleshootWindow *self)
{
  for (guint hop = 0; hop < CRADLE_N_HOPS; hop++)
    {
      g_autofree char *title = g_markup_escape_text (cradle_hop_get_title (hop), -1);
      GtkWidget *group = adw_preferences_group_new ();
      GtkWidget *icon = verdict_image (CRADLE_CHECK_SKIPPED);

      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
      adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (group), icon);
      gtk_widget_set_visible (group, FALSE);
      /* The stable name, for scripts: "hop ca". */
      {
        g_autofree char *description = g_strdup_printf ("hop %s", cradle_hop_get_name (hop));

        gtk_accessible_update_property (GTK_ACCESSIBLE (group), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
      }
      adw_preferences_page_add (self->page, ADW_PREFERENCES_GROUP (group));
      self->hop_groups[hop] = ADW_PREFERENCES_GROUP (group);
      self->hop_icons[hop] = GTK_IMAGE (icon);
    }
}

static void
on_check_finished (CradleDiagnosis          *diagnosis,
                   CradleCheck              *check,
                   CradleTroubleshootWindow *self)
{
  CradleHop hop = cradle_check_get_hop (check);
  CradleCheckVerdict verdict = cradle_check_get_verdict (check);

  if (diagnosis != self->diagnosis || (guint) hop >= CRADLE_N_HOPS || (guint) verdict > CRADLE_CHECK_SKIPPED)
    return;
  g_debug ("Check %s/%s: %s", cradle_hop_get_name (hop), cradle_check_get_name (check),
           cradle_check_verdict_to_string (verdict));
  self->counts[hop][verdict]++;
  adw_preferences_group_add (self->hop_groups[hop], cradle_troubleshoot_check_row_new (check));
  gtk_widget_set_visible (GTK_WIDGET (self->hop_groups[hop]), TRUE);
  update_hop (self, hop, worst_so_far (self, hop));
}

/* ---- the run ------------------------------------------------------------- */

static void
update_actions (CradleTroubleshootWindow *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "troubleshoot.run", !self->running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "troubleshoot.save-report",
                                 !self->running && !self->saving && self->chooser == NULL);
}

static void
show_summary (CradleTroubleshootWindow *self)
{
  CradleCheckVerdict verdict = cradle_diagnosis_get_verdict (self->diagnosis);
  GPtrArray *checks = cradle_diagnosis_get_checks (self->diagnosis);
  g_autoptr(GString) where = g_string_new (NULL);
  g_autofree char *duration = cradle_troubleshoot_format_duration (cradle_diagnosis_get_duration_us (self->diagnosis));
  g_autofree char *subtitle = NULL;
  guint failed = 0;
  const char *title;

  for (guint hop = 0; hop < CRADLE_N_HOPS; hop++)
    {
      CradleCheckVerdict hop_verdict = cradle_diagnosis_get_hop_verdict (self->diagnosis, hop);

      if (hop_verdict == CRADLE_CHECK_FAILED || hop_verdict == CRADLE_CHECK_WARNING)
        g_string_append_printf (where, "%s%s", where->len > 0 ? ", " : "", cradle_hop_get_title (hop));
      update_hop (self, hop, hop_verdict);
    }
  for (guint i = 0; i < checks->len; i++)
    if (cradle_check_get_verdict (g_ptr_array_index (checks, i)) == CRADLE_CHECK_FAILED)
      failed++;

  switch (verdict)
    {
    case CRADLE_CHECK_FAILED:
      title = g_dngettext (GETTEXT_PACKAGE, "A Check Failed", "Checks Failed", failed);
      /* Translators: "In Certification authority, Clock. 23 checks in 4.2 s." */
      subtitle = g_strdup_printf (_("In %s: see below for what happened and what to do. %u checks in %s."),
                                  where->str, checks->len, duration);
      break;
    case CRADLE_CHECK_WARNING:
      title = _("Some Checks Need Attention");
      subtitle = g_strdup_printf (_("In %s: see below. %u checks in %s."), where->str, checks->len, duration);
      break;
    case CRADLE_CHECK_OK:
    case CRADLE_CHECK_SKIPPED:
    default:
      title = _("No Problems Found");
      subtitle = g_strdup_printf (_("%u checks in %s. If enrolling still fails, save a report for your support "
                                    "team."), checks->len, duration);
      break;
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->summary_row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->summary_row), subtitle);
  set_verdict_image (self->summary_image, verdict == CRADLE_CHECK_SKIPPED ? CRADLE_CHECK_OK : verdict);
  gtk_stack_set_visible_child_name (self->summary_icon, "done");
  gtk_spinner_stop (self->spinner);
}

static void
run_done (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(CradleTroubleshootWindow) self = user_data;
  CradleDiagnosis *diagnosis = CRADLE_DIAGNOSIS (source_object);
  g_autoptr(GError) error = NULL;

  if (!cradle_diagnosis_run_finish (diagnosis, result, &error))
    {
      if (diagnosis == self->diagnosis && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  if (diagnosis != self->diagnosis)
    return;
  self->running = FALSE;
  g_info ("Diagnosis finished: %s", cradle_check_verdict_to_string (cradle_diagnosis_get_verdict (diagnosis)));
  show_summary (self);
  update_actions (self);
}

static void
start_run (CradleTroubleshootWindow *self)
{
  CradleCredentials *credentials = cradle_session_get_credentials (self->session);

  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
  g_clear_object (&self->run_cancellable);
  if (self->diagnosis != NULL)
    g_signal_handlers_disconnect_by_data (self->diagnosis, self);
  g_clear_object (&self->diagnosis);
  clear_hops (self);
  add_hops (self);

  self->diagnosis = cradle_diagnosis_new ();
  cradle_diagnosis_set_type_name (self->diagnosis, self->type_name);
  cradle_diagnosis_set_device_id (self->diagnosis, self->device_id);
  cradle_diagnosis_set_device (self->diagnosis, self->device);
  cradle_diagnosis_set_directory (self->diagnosis, cradle_session_get_domain (self->session),
                                  cradle_session_get_dc_uri (self->session));
  /* Signed in: the same credentials; else the desktop's ticket. */
  if (credentials != NULL)
    cradle_diagnosis_set_credentials (self->diagnosis, credentials);
  g_signal_connect (self->diagnosis, "check-finished", G_CALLBACK (on_check_finished), self);

  self->running = TRUE;
  self->run_cancellable = g_cancellable_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->summary_row), _("Checking…"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->summary_row),
                               _("Each hop is shown as its checks end. A hop that does not answer takes a few "
                                 "seconds at most."));
  gtk_stack_set_visible_child_name (self->summary_icon, "running");
  gtk_spinner_start (self->spinner);
  update_actions (self);
  g_info ("Diagnosis started (type %s, device %s)", self->type_name ?: "-", self->device_id ?: "-");
  cradle_diagnosis_run_async (self->diagnosis, self->run_cancellable, run_done, g_object_ref (self));
}

static void
run_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  start_run (CRADLE_TROUBLESHOOT_WINDOW (widget));
}

/* ---- the report ---------------------------------------------------------- */

static void
save_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CradleTroubleshootWindow) self = user_data;
  CradleSupportReport *report = CRADLE_SUPPORT_REPORT (source_object);
  const char *path = g_object_get_data (G_OBJECT (report), "cradle-path");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  self->saving = FALSE;
  if (!cradle_support_report_write_finish (report, result, &error))
    {
      g_autofree char *why = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      why = describe_error (error);
      g_info ("Could not save the report: %s", error->message);
      text = g_strdup_printf (_("Cradle could not save the report: %s"), why);
      toast (self, text);
      update_actions (self);
      return;
    }
  g_info ("Report saved to %s", path);
  text = g_strdup_printf (_("Report saved to “%s”. Give this file to your support team."), path);
  toast (self, text);
  update_actions (self);
}

static void
on_chooser_response (GtkNativeDialog          *chooser,
                     int                       response,
                     CradleTroubleshootWindow *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(CradleSupportReport) report = NULL;
  g_autofree char *path = NULL;
  const char *redact;
  CradleSupportReportFlags flags = CRADLE_SUPPORT_REPORT_NONE;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      redact = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (chooser), "redact");
      if (g_strcmp0 (redact, "true") == 0)
        flags |= CRADLE_SUPPORT_REPORT_REDACT_NAMES;
    }
  g_clear_object (&self->chooser);
  update_actions (self);
  if (file == NULL)
    return;
  path = g_file_get_path (file);
  if (path == NULL)
    {
      toast (self, _("Cradle can save a report only to a folder of this computer. Choose one of its folders."));
      return;
    }

  report = cradle_support_report_new (flags);
  if (self->run_id > 0)
    cradle_support_report_set_run (report, self->run_id);
  /* This diagnosis, once it ended; else the report runs its own. */
  if (self->diagnosis != NULL && !self->running)
    cradle_support_report_set_diagnosis (report, self->diagnosis);
  g_object_set_data_full (G_OBJECT (report), "cradle-path", g_strdup (path), g_free);
  self->saving = TRUE;
  update_actions (self);
  g_info ("Saving a report to %s", path);
  cradle_support_report_write_async (report, path, self->cancellable, save_done, g_object_ref (self));
}

static void
save_report_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CradleTroubleshootWindow *self = CRADLE_TROUBLESHOOT_WINDOW (widget);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *name = g_date_time_format (now, "cradle-report-%Y%m%d-%H%M%S.tar.gz");

  if (self->chooser != NULL || self->saving)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Save a Report for Support"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (self->chooser), "redact",
                               _("Replace user and computer names"), NULL, NULL);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  update_actions (self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- the object ---------------------------------------------------------- */

static void
cradle_troubleshoot_window_dispose (GObject *object)
{
  CradleTroubleshootWindow *self = CRADLE_TROUBLESHOOT_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
  if (self->diagnosis != NULL)
    g_signal_handlers_disconnect_by_data (self->diagnosis, self);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
    }
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), CRADLE_TYPE_TROUBLESHOOT_WINDOW);
  memset (self->hop_groups, 0, sizeof self->hop_groups);
  memset (self->hop_icons, 0, sizeof self->hop_icons);

  G_OBJECT_CLASS (cradle_troubleshoot_window_parent_class)->dispose (object);
}

static void
cradle_troubleshoot_window_finalize (GObject *object)
{
  CradleTroubleshootWindow *self = CRADLE_TROUBLESHOOT_WINDOW (object);

  g_clear_object (&self->diagnosis);
  g_clear_object (&self->run_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_free (self->type_name);
  g_free (self->device_id);
  g_clear_object (&self->device);

  G_OBJECT_CLASS (cradle_troubleshoot_window_parent_class)->finalize (object);
}

static void
cradle_troubleshoot_window_class_init (CradleTroubleshootWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_troubleshoot_window_dispose;
  object_class->finalize = cradle_troubleshoot_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-troubleshoot-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleTroubleshootWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CradleTroubleshootWindow, page);
  gtk_widget_class_bind_template_child (widget_class, CradleTroubleshootWindow, summary_group);
  gtk_widget_class_bind_template_child (widget_class, CradleTroubleshootWindow, summary_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTroubleshootWindow, summary_icon);
  gtk_widget_class_bind_template_child (widget_class, CradleTroubleshootWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, CradleTroubleshootWindow, summary_image);

  gtk_widget_class_install_action (widget_class, "troubleshoot.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "troubleshoot.save-report", NULL, save_report_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cradle_troubleshoot_window_init (CradleTroubleshootWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

CradleTroubleshootWindow *
cradle_troubleshoot_window_new (GtkWindow     *parent,
                                CradleSession *session,
                                const char    *type_name,
                                CradleDevice  *device,
                                const char    *device_id,
                                gint64         run_id)
{
  CradleTroubleshootWindow *self;
  g_autoptr(GString) what = g_string_new (NULL);

  g_return_val_if_fail (CRADLE_IS_SESSION (session), NULL);

  self = g_object_new (CRADLE_TYPE_TROUBLESHOOT_WINDOW, "transient-for", parent, NULL);
  self->session = g_object_ref (session);
  self->type_name = g_strdup (type_name);
  self->device_id = g_strdup (device_id);
  g_set_object (&self->device, device);
  self->run_id = run_id;

  /* What is checked: the failed run's type and device, else everything. */
  g_string_append (what, _("Cradle checks the device, the clock, the domain, Kerberos, the directory, the "
                           "certificate type and the certification authority, each on its own, without "
                           "requesting a certificate."));
  if (type_name != NULL)
    {
      g_autofree char *escaped = cradle_text_escape (type_name, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      g_string_append_c (what, ' ');
      g_string_append_printf (what, _("Certificate type: %s."), escaped);
    }
  if (device_id != NULL)
    {
      g_autofree char *escaped = cradle_text_escape (device_id, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      g_string_append_c (what, ' ');
      g_string_append_printf (what, _("Device: %s."), escaped);
    }
  {
    g_autofree char *markup = g_markup_escape_text (what->str, -1);

    adw_preferences_group_set_description (self->summary_group, markup);
  }
  start_run (self);
  return self;
}
