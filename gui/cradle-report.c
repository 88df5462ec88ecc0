/* cradle-report.c: what happened in an enrollment, for the result page and for support
 *
 * The "Copy Details" text names the device, the type, the CA, the request
 * ids (the store's, the CA's, the journal's run, which `cradlectl log`
 * shows), where the run stopped, the error and its entry in the
 * explanation table.  Nothing secret is known here: errors carry no
 * credentials, and the CA's own words are cut to one plain line.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-report.h"

/* The CA's words: untrusted, so printable characters on one line, cut. */
#define MAX_CA_MESSAGE 500

char *
cradle_report_dup_ca_words (const char *text)
{
  g_autoptr(GString) line = NULL;

  if (text == NULL)
    return NULL;
  line = g_string_new (NULL);
  for (const char *p = text; *p != '\0' && line->len < MAX_CA_MESSAGE; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        break;
      if (g_unichar_isspace (c))
        {
          if (line->len > 0 && line->str[line->len - 1] != ' ')
            g_string_append_c (line, ' ');
        }
      else if (g_unichar_isprint (c))
        g_string_append_unichar (line, c);
    }
  return g_strstrip (g_string_free (g_steal_pointer (&line), FALSE));
}

/* What the device says it is, escaped: it goes to a label and to the
 * clipboard. */
static char *
describe_device (CradleDevice *device)
{
  g_autofree char *text = NULL;

  /* A token: its label, maker, model, serial and transport ("pkcs11"). */
  if (g_strcmp0 (cradle_device_get_transport (device), CRADLE_DEVICE_TRANSPORT_PKCS11) == 0)
    text = g_strdup_printf ("%s (%s %s, serial %s, %s token)",
                            cradle_device_get_label (device) ?: "token",
                            cradle_device_get_manufacturer (device) ?: "",
                            cradle_device_get_model (device) ?: "",
                            cradle_device_get_serial (device) ?: "?",
                            CRADLE_DEVICE_TRANSPORT_PKCS11);
  else
    text = g_strdup_printf ("%s %s (serial %s, %s, agent %s)",
                            cradle_device_get_manufacturer (device) ?: "",
                            cradle_device_get_model (device) ?: "device",
                            cradle_device_get_serial (device) ?: "?",
                            cradle_device_get_os (device) ?: "?",
                            cradle_device_get_agent_version (device) ?: "?");
  return cradle_text_escape (text, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
}

CradleReport *
cradle_report_new_for_enrollment (CradleEnrollment *enrollment,
                                  const char       *identity)
{
  CradleReport *report = g_new0 (CradleReport, 1);
  CradleCertType *type = cradle_enrollment_get_cert_type (enrollment);
  CradleDevice *device = cradle_enrollment_get_device (enrollment);
  CradleCertificate *leaf = cradle_enrollment_get_leaf (enrollment);
  const GError *error = cradle_enrollment_get_error (enrollment);
  const char *message = NULL;
  gint64 next = cradle_enrollment_get_next_attempt (enrollment);

  report->outcome = cradle_enrollment_get_outcome (enrollment);
  if (type != NULL)
    {
      report->type_name = g_strdup (cradle_cert_type_get_name (type));
      report->type_display_name = g_strdup (cradle_cert_type_get_display_name (type));
      report->protocol = g_strdup (cradle_ca_protocol_to_string (cradle_cert_type_get_protocol (type)));
      report->endpoint = g_strdup (cradle_cert_type_get_url (type));
    }
  if (device != NULL)
    {
      report->device = describe_device (device);
      report->device_serial = g_strdup (cradle_device_get_serial (device));
    }
  report->identity = g_strdup (identity);
  report->request_id = cradle_enrollment_get_request_id (enrollment);
  report->ca_request_id = g_strdup (cradle_enrollment_get_ca_request_id (enrollment));
  report->run_id = cradle_enrollment_get_run_id (enrollment);
  report->error = error != NULL ? g_error_copy (error) : NULL;
  report->denied = cradle_enrollment_get_denial (enrollment, &report->denial_code, &message);
  report->denial_message = cradle_report_dup_ca_words (message);
  if (leaf != NULL)
    {
      report->leaf_subject = g_strdup (cradle_certificate_get_subject (leaf));
      report->leaf_issuer = g_strdup (cradle_certificate_get_issuer (leaf));
      report->leaf_serial = g_strdup (cradle_certificate_get_serial (leaf));
      if (cradle_certificate_get_not_after (leaf) != NULL)
        report->leaf_not_after = g_date_time_ref (cradle_certificate_get_not_after (leaf));
    }
  if (next > 0)
    report->next_attempt = g_date_time_new_from_unix_utc (next);
  if (cradle_enrollment_get_renewed_certificate (enrollment) != NULL)
    {
      report->renewed_serial = g_strdup (cradle_certificate_get_serial (cradle_enrollment_get_renewed_certificate (enrollment)));
      report->old_removed = cradle_enrollment_get_old_removed (enrollment);
    }
  report->notes = g_strdupv ((char **) cradle_enrollment_get_notes (enrollment));
  report->when = g_date_time_new_now_utc ();
  return report;
}

void
cradle_report_free (CradleReport *report)
{
  if (report == NULL)
    return;
  g_free (report->type_name);
  g_free (report->type_display_name);
  g_free (report->protocol);
  g_free (report->endpoint);
  g_free (report->device);
  g_free (report->device_serial);
  g_free (report->identity);
  g_free (report->ca_request_id);
  g_free (report->step);
  g_clear_error (&report->error);
  g_free (report->denial_message);
  g_free (report->leaf_subject);
  g_free (report->leaf_issuer);
  g_free (report->leaf_serial);
  g_clear_pointer (&report->leaf_not_after, g_date_time_unref);
  g_clear_pointer (&report->next_attempt, g_date_time_unref);
  g_clear_pointer (&report->when, g_date_time_unref);
  g_free (report->renewed_serial);
  g_strfreev (report->notes);
  g_free (report);
}

const CradleExplanation *
cradle_report_get_explanation (const CradleReport *report)
{
  if (report->denied && report->protocol != NULL)
    return cradle_explain_ca_code (report->protocol, report->denial_code);
  if (report->error != NULL)
    return cradle_explain_error (report->error);
  return NULL;
}

char *
cradle_report_dup_cause (const CradleReport *report)
{
  const CradleExplanation *explanation = cradle_report_get_explanation (report);

  if (explanation == NULL)
    return NULL;
  if (cradle_explanation_get_kind (explanation) == CRADLE_EXPLAIN_HRESULT ||
      cradle_explanation_get_kind (explanation) == CRADLE_EXPLAIN_DISPOSITION)
    return cradle_explain_format_hresult (cradle_explanation_get_code (explanation));
  return g_strdup (cradle_explanation_get_name (explanation));
}

static void
add_line (GString    *text,
          const char *label,
          const char *value)
{
  if (value != NULL && *value != '\0')
    g_string_append_printf (text, "%-17s %s\n", label, value);
}

static void
add_time (GString    *text,
          const char *label,
          GDateTime  *time)
{
  g_autofree char *iso = time != NULL ? g_date_time_format_iso8601 (time) : NULL;

  add_line (text, label, iso);
}

char *
cradle_report_to_text (const CradleReport *report)
{
  g_autoptr(GString) text = g_string_new (NULL);
  const CradleExplanation *explanation = cradle_report_get_explanation (report);
  g_autofree char *cause = cradle_report_dup_cause (report);
  g_autofree char *type = NULL;
  g_autofree char *request = NULL;
  g_autofree char *run = NULL;
  g_autofree char *denial = NULL;

  g_string_append_printf (text, "Cradle %s enrollment report\n", CRADLE_VERSION);
  add_time (text, "When:", report->when);
  add_line (text, "Outcome:", cradle_enrollment_outcome_to_string (report->outcome));
  add_line (text, "Stopped at step:", report->step);
  add_line (text, "Renews certificate serial:", report->renewed_serial);
  for (guint i = 0; report->notes != NULL && report->notes[i] != NULL; i++)
    add_line (text, "Note:", report->notes[i]);
  if (report->type_name != NULL)
    type = g_strdup_printf ("%s (%s)", report->type_name,
                            report->type_display_name != NULL ? report->type_display_name : report->type_name);
  add_line (text, "Certificate type:", type);
  add_line (text, "Protocol:", report->protocol);
  add_line (text, "Sent to:", report->endpoint);
  add_line (text, "Device:", report->device);
  add_line (text, "Signed in as:", report->identity);
  if (report->request_id > 0)
    request = g_strdup_printf ("%" G_GINT64_FORMAT " (cradlectl pending, cradlectl log %" G_GINT64_FORMAT ")",
                               report->request_id, report->request_id);
  add_line (text, "Request:", request);
  add_line (text, "CA request ID:", report->ca_request_id);
  if (report->run_id > 0)
    run = g_strdup_printf ("%" G_GINT64_FORMAT, report->run_id);
  add_line (text, "Journal run:", run);
  add_time (text, "Next check:", report->next_attempt);
  add_line (text, "Certificate:", report->leaf_subject);
  add_line (text, "Issued by:", report->leaf_issuer);
  add_line (text, "Serial number:", report->leaf_serial);
  add_time (text, "Expires:", report->leaf_not_after);

  if (report->denied)
    {
      denial = g_strdup_printf ("%s%s%s", cause != NULL ? cause : "",
                                report->denial_message != NULL ? ": " : "",
                                report->denial_message != NULL ? report->denial_message : "");
      add_line (text, "CA refused:", denial);
    }
  if (report->error != NULL)
    {
      add_line (text, "Error:", report->error->message);
      add_line (text, "Error domain:", g_quark_to_string (report->error->domain));
    }
  if (explanation != NULL)
    {
      add_line (text, "Cause:", cause);
      add_line (text, "What happened:", cradle_explanation_get_summary (explanation));
      add_line (text, "What to do:", cradle_explanation_get_user_action (explanation));
      add_line (text, "For support:", cradle_explanation_get_support_action (explanation));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* ---- a run of the journal, for the History window ---------------------- */

static void
add_usec (GString    *text,
          const char *label,
          gint64      usec)
{
  g_autoptr(GDateTime) time = usec > 0 ? g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC) : NULL;

  add_time (text, label, time);
}

/* The journal's words: recorded by Cradle, but holding what devices, CAs
 * and the directory said, so escaped like any outside text. */
static void
add_escaped (GString    *text,
             const char *label,
             const char *value)
{
  g_autofree char *escaped = value != NULL ? cradle_text_escape (value, -1, CRADLE_TEXT_ESCAPE_DEFAULT) : NULL;

  add_line (text, label, escaped);
}

char *
cradle_report_run_to_text (CradleJournalRun *run)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT " (cradlectl log %" G_GINT64_FORMAT ")",
                                         cradle_journal_run_get_id (run), cradle_journal_run_get_id (run));
  g_autofree char *request = NULL;
  GPtrArray *steps = cradle_journal_run_get_steps (run);

  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (run), NULL);

  g_string_append_printf (text, "Cradle %s journal run\n", CRADLE_VERSION);
  add_line (text, "Journal run:", id);
  add_line (text, "Kind:", cradle_journal_run_get_kind (run));
  add_line (text, "Outcome:", cradle_journal_run_get_outcome (run));
  add_escaped (text, "Certificate type:", cradle_journal_run_get_type_name (run));
  add_line (text, "Protocol:", cradle_journal_run_get_protocol (run));
  add_escaped (text, "Device serial:", cradle_journal_run_get_device_serial (run));
  if (cradle_journal_run_get_request_id (run) > 0)
    request = g_strdup_printf ("%" G_GINT64_FORMAT " (cradlectl pending)", cradle_journal_run_get_request_id (run));
  add_line (text, "Request:", request);
  add_usec (text, "Started:", cradle_journal_run_get_started (run));
  add_usec (text, "Finished:", cradle_journal_run_get_finished (run));
  add_escaped (text, "Error:", cradle_journal_run_get_error (run));
  add_line (text, "Cause:", cradle_journal_run_get_error_name (run));

  for (guint i = 0; steps != NULL && i < steps->len; i++)
    {
      CradleJournalStep *step = g_ptr_array_index (steps, i);
      g_autofree char *what = cradle_text_escape (cradle_journal_step_get_text (step) != NULL
                                                    ? cradle_journal_step_get_text (step) : "",
                                                  -1, CRADLE_TEXT_ESCAPE_DEFAULT);
      g_autofree char *duration = cradle_journal_step_get_duration_ms (step) >= 0
                                    ? g_strdup_printf ("%" G_GINT64_FORMAT " ms",
                                                       cradle_journal_step_get_duration_ms (step))
                                    : g_strdup ("unfinished");

      if (i == 0)
        g_string_append (text, "Steps:\n");
      g_string_append_printf (text, "  %-13s %-9s %10s  %s\n", cradle_journal_step_get_step (step),
                              cradle_journal_step_get_outcome (step), duration, what);
      if (cradle_journal_step_get_error (step) != NULL)
        {
          g_autofree char *error = cradle_text_escape (cradle_journal_step_get_error (step), -1,
                                                       CRADLE_TEXT_ESCAPE_DEFAULT);

          g_string_append_printf (text, "  %-13s %s%s%s\n", "", error,
                                  cradle_journal_step_get_error_name (step) != NULL ? " " : "",
                                  cradle_journal_step_get_error_name (step) != NULL
                                    ? cradle_journal_step_get_error_name (step) : "");
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}
