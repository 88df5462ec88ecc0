/* cradlectl-run.c: one enrollment run from a terminal: progress, result, exit code */
#include "config.h"

#include <unistd.h>
#include <glib-unix.h>

#include "cradlectl-format.h"
#include "cradlectl-private.h"

CradlectlExit
cradlectl_exit_for_outcome (CradleEnrollmentOutcome  outcome,
                            const GError            *error)
{
  switch (outcome)
    {
    case CRADLE_ENROLLMENT_OUTCOME_INSTALLED:
      return CRADLECTL_EXIT_DONE;
    case CRADLE_ENROLLMENT_OUTCOME_PENDING:
      return CRADLECTL_EXIT_PENDING;
    case CRADLE_ENROLLMENT_OUTCOME_DENIED:
      return CRADLECTL_EXIT_REFUSED;
    case CRADLE_ENROLLMENT_OUTCOME_DECLINED:
      return CRADLECTL_EXIT_DECLINED;
    case CRADLE_ENROLLMENT_OUTCOME_CANCELLED:
      return CRADLECTL_EXIT_OTHER;
    case CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED:
    case CRADLE_ENROLLMENT_OUTCOME_FAILED:
    case CRADLE_ENROLLMENT_OUTCOME_NONE:
    default:
      return error != NULL ? cradlectl_exit_for_error (error) : CRADLECTL_EXIT_OTHER;
    }
}

gboolean
cradlectl_open_state (CradlePendingStore **store,
                      CradleJournal      **journal,
                      GError             **error)
{
  *store = cradle_pending_store_open (NULL, error);
  if (*store == NULL)
    return FALSE;
  *journal = cradle_journal_open (cradle_pending_store_get_path (*store), error);
  if (*journal == NULL)
    {
      g_clear_object (store);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
cradlectl_list_custom_types (void)
{
  g_auto(GStrv) problems = NULL;
  GPtrArray *types = cradle_cert_type_list (NULL, CRADLE_CREDENTIALS_KERBEROS, &problems);

  for (guint i = 0; problems[i] != NULL; i++)
    g_printerr ("cradlectl: ignoring a certificate type: %s\n", problems[i]);
  return types;
}

typedef struct {
  GMainLoop    *loop;
  GCancellable *cancellable;
  gboolean      progress;
  gboolean      waiting_shown;
} Run;

static void
on_step_changed (CradleEnrollment *enrollment,
                 guint             step,
                 const char       *text,
                 gpointer          user_data)
{
  Run *run = user_data;

  if (run->progress && step != CRADLE_ENROLLMENT_STEP_FINISHED)
    {
      g_autofree char *line = cradlectl_text (text);

      g_print ("  %s…\n", line);
    }
}

static void
on_waiting (CradleEnrollment *enrollment,
            gboolean          waiting,
            const char       *prompt,
            gpointer          user_data)
{
  Run *run = user_data;

  /* KEEPALIVEs come every 2 seconds: say it once per wait. */
  if (run->progress && waiting && !run->waiting_shown)
    {
      /* The device's own words, over several lines (what a request asks
       * for); every control but the line breaks escaped. */
      g_autofree char *text = cradle_text_escape (prompt, -1, CRADLE_TEXT_ESCAPE_KEEP_LINES);
      g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
      g_autofree char *indented = g_strjoinv ("\n  ", lines);

      g_print ("  %s\n", indented);
    }
  run->waiting_shown = waiting;
}

static gboolean
on_interrupt (gpointer user_data)
{
  Run *run = user_data;

  g_printerr ("cradlectl: cancelling…\n");
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
add_certificate (JsonBuilder       *builder,
                 CradleCertificate *certificate)
{
  g_autofree char *not_after = g_date_time_format_iso8601 (cradle_certificate_get_not_after (certificate));

  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "subject", cradle_certificate_get_subject (certificate));
  cradlectl_add_string (builder, "issuer", cradle_certificate_get_issuer (certificate));
  cradlectl_add_string (builder, "serial", cradle_certificate_get_serial (certificate));
  cradlectl_add_string (builder, "not_after", not_after);
  cradlectl_add_string (builder, "sha256", cradle_certificate_get_sha256 (certificate));
  json_builder_end_object (builder);
}

static char *
format_time (gint64 seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (seconds);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
}

void
cradlectl_add_enrollment_json (JsonBuilder      *builder,
                 CradleEnrollment *enrollment,
                 CradlectlExit     code)
{
  CradleCertType *type = cradle_enrollment_get_cert_type (enrollment);
  CradleCertificate *leaf = cradle_enrollment_get_leaf (enrollment);
  GPtrArray *chain = cradle_enrollment_get_chain (enrollment);
  const GError *error = cradle_enrollment_get_error (enrollment);
  const char *message = NULL;
  guint32 denial = 0;

  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "outcome", cradle_enrollment_outcome_to_string (cradle_enrollment_get_outcome (enrollment)));
  json_builder_set_member_name (builder, "exit_code");
  json_builder_add_int_value (builder, code);
  json_builder_set_member_name (builder, "request");
  json_builder_add_int_value (builder, cradle_enrollment_get_request_id (enrollment));
  cradlectl_add_string (builder, "ca_request_id", cradle_enrollment_get_ca_request_id (enrollment));
  cradlectl_add_string (builder, "type", type != NULL ? cradle_cert_type_get_name (type) : NULL);
  cradlectl_add_string (builder, "device", cradle_device_get_serial (cradle_enrollment_get_device (enrollment)));
  json_builder_set_member_name (builder, "journal_run");
  json_builder_add_int_value (builder, cradle_enrollment_get_run_id (enrollment));
  if (leaf != NULL)
    {
      json_builder_set_member_name (builder, "certificate");
      add_certificate (builder, leaf);
    }
  json_builder_set_member_name (builder, "chain");
  json_builder_begin_array (builder);
  for (guint i = 0; i < chain->len; i++)
    add_certificate (builder, g_ptr_array_index (chain, i));
  json_builder_end_array (builder);
  if (cradle_enrollment_get_next_attempt (enrollment) > 0)
    {
      g_autoptr(GDateTime) next = g_date_time_new_from_unix_utc (cradle_enrollment_get_next_attempt (enrollment));
      g_autofree char *text = next != NULL ? g_date_time_format_iso8601 (next) : NULL;

      cradlectl_add_string (builder, "next_attempt", text);
    }
  if (cradle_enrollment_get_denial (enrollment, &denial, &message))
    {
      g_autofree char *code_text = g_strdup_printf ("0x%08X", denial);

      json_builder_set_member_name (builder, "denial");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_int_value (builder, denial);
      cradlectl_add_string (builder, "code_hex", code_text);
      cradlectl_add_string (builder, "message", message);
      json_builder_end_object (builder);
    }
  if (error != NULL)
    {
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      cradlectl_add_error_members (builder, error);
      json_builder_end_object (builder);
    }
  if (cradle_enrollment_get_renewed_certificate (enrollment) != NULL)
    {
      json_builder_set_member_name (builder, "renews");
      add_certificate (builder, cradle_enrollment_get_renewed_certificate (enrollment));
      json_builder_set_member_name (builder, "old_removed");
      json_builder_add_boolean_value (builder, cradle_enrollment_get_old_removed (enrollment));
    }
  json_builder_set_member_name (builder, "notes");
  json_builder_begin_array (builder);
  for (const char * const *note = cradle_enrollment_get_notes (enrollment); *note != NULL; note++)
    json_builder_add_string_value (builder, *note);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
print_notes (CradleEnrollment *enrollment)
{
  for (const char * const *note = cradle_enrollment_get_notes (enrollment); *note != NULL; note++)
    {
      g_autofree char *line = cradlectl_text (*note);

      g_printerr ("cradlectl: note: %s\n", line);
    }
}

static void
print_result_text (CradleEnrollment *enrollment)
{
  CradleCertificate *leaf = cradle_enrollment_get_leaf (enrollment);
  const GError *error = cradle_enrollment_get_error (enrollment);
  gint64 id = cradle_enrollment_get_request_id (enrollment);
  g_autofree char *next = format_time (cradle_enrollment_get_next_attempt (enrollment));

  switch (cradle_enrollment_get_outcome (enrollment))
    {
    case CRADLE_ENROLLMENT_OUTCOME_INSTALLED:
      {
        g_autofree char *expiry = g_date_time_format (cradle_certificate_get_not_after (leaf), "%Y-%m-%d");
        g_autofree char *device = cradlectl_text (cradle_device_get_id (cradle_enrollment_get_device (enrollment)));
        g_autofree char *subject = cradlectl_text (cradle_certificate_get_subject (leaf));
        g_autofree char *issuer = cradlectl_text (cradle_certificate_get_issuer (leaf));

        CradleCertificate *old = cradle_enrollment_get_renewed_certificate (enrollment);

        g_print ("Installed on %s: %s\n  issued by %s, expires %s, SHA-256 %s (request %" G_GINT64_FORMAT ")\n",
                 device, subject, issuer, expiry, cradle_certificate_get_sha256 (leaf), id);
        if (old != NULL)
          g_print ("  It renews serial %s, which %s.\n", cradle_certificate_get_serial (old),
                   cradle_enrollment_get_old_removed (enrollment) ? "is removed from the device"
                                                                  : "is still on the device");
        print_notes (enrollment);
        return;
      }
    case CRADLE_ENROLLMENT_OUTCOME_PENDING:
      {
        g_autofree char *ca_id = cradlectl_text (cradle_enrollment_get_ca_request_id (enrollment) ?: "?");

        g_print ("Pending: request %" G_GINT64_FORMAT " (the CA's number %s) waits for the CA's decision.\n"
                 "  Run 'cradlectl retrieve %" G_GINT64_FORMAT "' after %s, or leave it to the app.\n",
                 id, ca_id, id, next);
        return;
      }
    default:
      break;
    }
  print_notes (enrollment);
  if (error != NULL)
    cradlectl_print_error (error);
  /* A request another program works on is not this run's to keep. */
  if (cradle_enrollment_get_outcome (enrollment) == CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED && id > 0 &&
      !g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_BUSY))
    g_printerr ("cradlectl: Request %" G_GINT64_FORMAT " is kept: 'cradlectl retrieve %" G_GINT64_FORMAT
                "' continues it (the app retries on its own from %s).\n", id, id, next);
}

CradlectlExit
cradlectl_run_enrollment (CradleEnrollment *enrollment,
                          gboolean          json,
                          JsonBuilder      *results,
                          GCancellable     *outer)
{
  /* Ctrl-C cancels the run and, through @outer, what runs beside it. */
  g_autoptr(GCancellable) cancellable = outer != NULL ? g_object_ref (outer) : g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  Run run = { NULL, cancellable, !json && isatty (STDOUT_FILENO), FALSE };
  guint sigint;
  guint sigterm;
  CradleEnrollmentOutcome outcome;
  CradlectlExit code;

  g_signal_connect (enrollment, "step-changed", G_CALLBACK (on_step_changed), &run);
  g_signal_connect (enrollment, "waiting-for-device", G_CALLBACK (on_waiting), &run);
  sigint = g_unix_signal_add (SIGINT, on_interrupt, &run);
  sigterm = g_unix_signal_add (SIGTERM, on_interrupt, &run);
  cradle_enrollment_run_async (enrollment, cancellable, on_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  outcome = cradle_enrollment_run_finish (enrollment, result, NULL);
  /* Signals still queued for this run say nothing new. */
  g_signal_handlers_disconnect_by_data (enrollment, &run);
  code = cradlectl_exit_for_outcome (outcome, cradle_enrollment_get_error (enrollment));

  if (results != NULL)
    cradlectl_add_enrollment_json (results, enrollment, code);
  else if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      cradlectl_add_enrollment_json (builder, enrollment, code);
      cradlectl_print_json (builder);
    }
  if (!json)
    print_result_text (enrollment);
  else if (cradle_enrollment_get_error (enrollment) != NULL)
    cradlectl_print_error (cradle_enrollment_get_error (enrollment));
  return code;
}
