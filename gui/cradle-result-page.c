/* cradle-result-page.c: how an enrollment ended: installed, pending, or why it failed
 *
 * Installed: the certificate and its expiry.  Pending: the request id to
 * give an administrator and what happens next, with "Check Now".
 * Otherwise what happened and what to do, from the explanation table,
 * with "Copy Details" for support and, when something outside the app
 * failed, "Run Checks" (the Troubleshoot window, for its type and device).
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-plain-text.h"
#include "cradle-result-page.h"

struct _CradleResultPage
{
  AdwBin parent_instance;

  /* Owned */
  CradleReport  *report;

  /* Template widgets */
  AdwStatusPage *status_page;
  GtkListBox    *details_list;
  GtkWidget     *check_button;
  GtkWidget     *run_checks_button;
  GtkWidget     *copy_button;
};

G_DEFINE_FINAL_TYPE (CradleResultPage, cradle_result_page, ADW_TYPE_BIN)

static void
add_detail (CradleResultPage *self,
            const char       *title,
            const char       *value)
{
  GtkWidget *row;

  if (value == NULL || *value == '\0')
    return;
  row = adw_action_row_new ();
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  gtk_widget_add_css_class (row, "property");
  gtk_list_box_append (self->details_list, row);
}

static char *
format_date (GDateTime *time)
{
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) now = NULL;

  if (time == NULL)
    return NULL;
  local = g_date_time_to_local (time);
  now = g_date_time_new_now_local ();
  if (g_date_time_get_year (local) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (local) == g_date_time_get_day_of_year (now))
    /* Translators: a time today, as "14:02" */
    return g_date_time_format (local, _("%H:%M"));
  /* Translators: a date and time, as "21 November 2027, 14:02" */
  return g_date_time_format (local, _("%-d %B %Y, %H:%M"));
}

static const char *
type_title (const CradleReport *report)
{
  if (report->type_display_name != NULL)
    return report->type_display_name;
  return report->type_name != NULL ? report->type_name : _("the chosen type");
}

/* Whether the explanation table knows more than the error's own words. */
static gboolean
is_precise (const CradleReport *report)
{
  const CradleExplanation *explanation = cradle_report_get_explanation (report);

  return explanation != NULL && (report->denied || !cradle_explanation_is_generic (explanation));
}

/* What happened and what to do: the explanation table's words when it
 * knows the cause, else the error's own (which say both). */
char *
cradle_result_page_dup_failure (const CradleReport *report)
{
  const CradleExplanation *explanation = cradle_report_get_explanation (report);

  if (report->outcome == CRADLE_ENROLLMENT_OUTCOME_CANCELLED)
    return g_strdup (report->request_id > 0
                       ? _("Nothing was installed. The request was already sent; Cradle finishes it "
                           "the next time the device is connected.")
                       : _("Nothing was requested and nothing was installed."));
  if (is_precise (report))
    return g_strdup_printf ("%s %s", cradle_explanation_get_summary (explanation),
                            cradle_explanation_get_user_action (explanation));
  if (report->error != NULL)
    return g_strdup (report->error->message);
  return g_strdup (_("Something went wrong. Copy the details for your support team."));
}

static void
show_installed (CradleResultPage *self,
                CradleReport     *report)
{
  g_autofree char *description = NULL;
  g_autofree char *expires = format_date (report->leaf_not_after);

  if (report->renewed_serial == NULL)
    description = g_strdup_printf (_("The %s certificate was issued and installed on the device."),
                                   type_title (report));
  else if (report->old_removed)
    description = g_strdup_printf (_("The %s certificate was renewed: the new one is installed on the device, "
                                     "and the old one was removed."), type_title (report));
  else
    description = g_strdup_printf (_("The %s certificate was renewed: the new one is installed on the device. "
                                     "The old one is still there; Cradle offers to remove it next time."),
                                   type_title (report));
  /* The engine's words beyond the outcome: enrolled again, a lost SID. */
  for (guint i = 0; report->notes != NULL && report->notes[i] != NULL; i++)
    {
      char *longer = g_strconcat (description, " ", report->notes[i], NULL);

      g_free (description);
      description = longer;
    }

  adw_status_page_set_icon_name (self->status_page, "emblem-ok-symbolic");
  adw_status_page_set_title (self->status_page, report->renewed_serial != NULL ? _("Certificate Renewed")
                                                                              : _("Certificate Installed"));
  cradle_status_page_set_plain_description (self->status_page, description);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_page), "cradle-success");
  add_detail (self, _("Certificate"), report->leaf_subject);
  add_detail (self, _("Expires"), expires);
  add_detail (self, _("Issued by"), report->leaf_issuer);
  add_detail (self, _("Device"), report->device);
}

static void
show_pending (CradleResultPage *self,
              CradleReport     *report)
{
  g_autofree char *next = format_date (report->next_attempt);
  g_autofree char *description = NULL;
  g_autofree char *what_next = NULL;

  description = g_strdup_printf (_("The certification authority keeps your request for a %s certificate "
                                   "until an administrator approves it."), type_title (report));
  if (next != NULL)
    what_next = g_strdup_printf (_("Keep the device connected: Cradle asks again at %s and installs the "
                                   "certificate as soon as it is issued. You can also check now. If it "
                                   "takes long, give your administrator the request ID."), next);
  else
    what_next = g_strdup (_("Keep the device connected: Cradle asks again by itself and installs the "
                            "certificate as soon as it is issued. You can also check now. If it takes "
                            "long, give your administrator the request ID."));
  adw_status_page_set_icon_name (self->status_page, "document-open-recent-symbolic");
  adw_status_page_set_title (self->status_page, _("Waiting for Approval"));
  cradle_status_page_set_plain_description (self->status_page, description);
  add_detail (self, _("Request ID"), report->ca_request_id != NULL ? report->ca_request_id : _("not given by the CA"));
  add_detail (self, _("What happens next"), what_next);
  add_detail (self, _("Sent to"), report->endpoint);
  gtk_widget_set_visible (self->check_button, TRUE);
}

static void
show_failure (CradleResultPage *self,
              CradleReport     *report)
{
  g_autofree char *description = cradle_result_page_dup_failure (report);
  g_autofree char *cause = cradle_report_dup_cause (report);
  const char *title;
  const char *icon = "dialog-error-symbolic";

  title = cradle_result_page_describe_outcome (report);
  switch (report->outcome)
    {
    case CRADLE_ENROLLMENT_OUTCOME_DECLINED:
      icon = "phone-symbolic";
      break;
    case CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED:
      icon = "dialog-warning-symbolic";
      break;
    case CRADLE_ENROLLMENT_OUTCOME_CANCELLED:
      icon = "process-stop-symbolic";
      g_clear_pointer (&description, g_free);
      description = cradle_result_page_dup_failure (report);
      break;
    default:
      break;
    }
  adw_status_page_set_icon_name (self->status_page, icon);
  adw_status_page_set_title (self->status_page, title);
  cradle_status_page_set_plain_description (self->status_page, description);
  if (report->outcome == CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED)
    add_detail (self, _("What happens next"),
                _("The request is kept. Cradle finishes it when the device is connected and the "
                  "certification authority can be reached."));
  if (report->denied && report->denial_message != NULL)
    add_detail (self, _("The certification authority said"), report->denial_message);
  /* The error's own words and the precise code, beside the table's words;
   * a refusal is said by the CA's words instead. */
  if (is_precise (report) && report->outcome != CRADLE_ENROLLMENT_OUTCOME_CANCELLED)
    {
      if (report->error != NULL && !report->denied)
        add_detail (self, _("Error"), report->error->message);
      add_detail (self, _("Code"), cause);
    }
  add_detail (self, _("Request ID"), report->ca_request_id);
  add_detail (self, _("Certificate type"), type_title (report));
  /* Where it failed: the checks of every hop, for this type and device.
   * Not for a "no" on the device or a cancel, which nothing outside caused. */
  gtk_widget_set_visible (self->run_checks_button,
                          report->outcome == CRADLE_ENROLLMENT_OUTCOME_FAILED ||
                          report->outcome == CRADLE_ENROLLMENT_OUTCOME_DENIED ||
                          report->outcome == CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED);
}

const char *
cradle_result_page_describe_outcome (const CradleReport *report)
{
  switch (report->outcome)
    {
    case CRADLE_ENROLLMENT_OUTCOME_INSTALLED:
      return report->renewed_serial != NULL ? _("Certificate Renewed") : _("Certificate Installed");
    case CRADLE_ENROLLMENT_OUTCOME_PENDING:
      return _("Waiting for Approval");
    case CRADLE_ENROLLMENT_OUTCOME_DENIED:
      return _("Request Refused");
    case CRADLE_ENROLLMENT_OUTCOME_DECLINED:
      return _("Declined on the Device");
    case CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED:
      return _("Not Finished Yet");
    case CRADLE_ENROLLMENT_OUTCOME_CANCELLED:
      return _("Cancelled");
    case CRADLE_ENROLLMENT_OUTCOME_FAILED:
    default:
      return _("Could Not Get the Certificate");
    }
}

char *
cradle_result_page_dup_summary (const CradleReport *report)
{
  g_autofree char *expires = NULL;

  switch (report->outcome)
    {
    case CRADLE_ENROLLMENT_OUTCOME_INSTALLED:
      expires = format_date (report->leaf_not_after);
      /* Translators: a device's run in a list: "Certificate Installed. Expires 21 November 2027, 14:02." */
      return expires != NULL ? g_strdup_printf (_("%s. Expires %s."), cradle_result_page_describe_outcome (report), expires)
                             : g_strdup_printf ("%s.", cradle_result_page_describe_outcome (report));
    case CRADLE_ENROLLMENT_OUTCOME_PENDING:
      /* Translators: "Waiting for Approval. Request ID 42: Cradle asks again by itself." */
      return g_strdup_printf (_("%s. Request ID %s: Cradle asks again by itself while the device is connected."),
                              cradle_result_page_describe_outcome (report),
                              report->ca_request_id != NULL ? report->ca_request_id : _("not given by the CA"));
    default:
      {
        g_autofree char *failure = cradle_result_page_dup_failure (report);

        return g_strdup_printf ("%s. %s", cradle_result_page_describe_outcome (report), failure);
      }
    }
}

void
cradle_result_page_show (CradleResultPage *self,
                         CradleReport     *report)
{
  GtkListBoxRow *row;

  g_return_if_fail (CRADLE_IS_RESULT_PAGE (self));

  g_clear_pointer (&self->report, cradle_report_free);
  self->report = report;
  while ((row = gtk_list_box_get_row_at_index (self->details_list, 0)) != NULL)
    gtk_list_box_remove (self->details_list, GTK_WIDGET (row));
  gtk_widget_set_visible (self->check_button, FALSE);
  gtk_widget_set_visible (self->run_checks_button, FALSE);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_page), "cradle-success");

  switch (report->outcome)
    {
    case CRADLE_ENROLLMENT_OUTCOME_INSTALLED:
      show_installed (self, report);
      break;
    case CRADLE_ENROLLMENT_OUTCOME_PENDING:
      show_pending (self, report);
      break;
    default:
      show_failure (self, report);
      break;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->details_list),
                          gtk_list_box_get_row_at_index (self->details_list, 0) != NULL);
}

const char *
cradle_result_page_get_title (CradleResultPage *self)
{
  return adw_status_page_get_title (self->status_page);
}

const CradleReport *
cradle_result_page_get_report (CradleResultPage *self)
{
  return self->report;
}

static void
cradle_result_page_dispose (GObject *object)
{
  CradleResultPage *self = CRADLE_RESULT_PAGE (object);

  g_clear_pointer (&self->report, cradle_report_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), CRADLE_TYPE_RESULT_PAGE);

  G_OBJECT_CLASS (cradle_result_page_parent_class)->dispose (object);
}

static void
cradle_result_page_class_init (CradleResultPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_result_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-result-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleResultPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, CradleResultPage, details_list);
  gtk_widget_class_bind_template_child (widget_class, CradleResultPage, check_button);
  gtk_widget_class_bind_template_child (widget_class, CradleResultPage, run_checks_button);
  gtk_widget_class_bind_template_child (widget_class, CradleResultPage, copy_button);
}

static void
cradle_result_page_init (CradleResultPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
