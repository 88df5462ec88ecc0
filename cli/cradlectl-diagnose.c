/* cradlectl-diagnose.c: `cradlectl diagnose`, a check of every hop an enrollment crosses */
#include "config.h"

#include <unistd.h>

#include "cradlectl-private.h"

/* "ok", "WARNING", "FAILED", "skipped": what is wrong stands out. */
static const char *
verdict_label (CradleCheckVerdict verdict)
{
  switch (verdict)
    {
    case CRADLE_CHECK_OK: return "ok";
    case CRADLE_CHECK_WARNING: return "WARNING";
    case CRADLE_CHECK_FAILED: return "FAILED";
    case CRADLE_CHECK_SKIPPED:
    default: return "skipped";
    }
}

/* "12 ms", "1.3 s". */
static char *
format_duration (gint64 microseconds)
{
  if (microseconds < 1000 * G_TIME_SPAN_MILLISECOND)
    return g_strdup_printf ("%" G_GINT64_FORMAT " ms", microseconds / G_TIME_SPAN_MILLISECOND);
  return g_strdup_printf ("%.1f s", microseconds / (double) G_TIME_SPAN_SECOND);
}

/* Each line of @text (already escaped by the hop; the sanitiser sees it
 * again on its way out), indented. */
static void
print_indented (const char *label,
                const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *line = cradlectl_text (lines[i]);

      if (i == 0)
        g_print ("      %-13s%s\n", label, line);
      else
        g_print ("      %-13s%s\n", "", line);
    }
}

static void
print_check (CradleCheck *check)
{
  const GError *error = cradle_check_get_error (check);
  CradleCheckVerdict verdict = cradle_check_get_verdict (check);
  g_autofree char *duration = format_duration (cradle_check_get_duration_us (check));
  g_autofree char *title = cradlectl_text (cradle_check_get_title (check));
  g_autofree char *name = cradlectl_text (cradle_check_get_name (check));

  if (verdict == CRADLE_CHECK_SKIPPED)
    g_print ("  %-8s %s [%s]\n", verdict_label (verdict), title, name);
  else
    g_print ("  %-8s %s [%s], %s\n", verdict_label (verdict), title, name, duration);
  print_indented (verdict == CRADLE_CHECK_SKIPPED ? "Why:" : "Found:", cradle_check_get_found (check));
  if (error != NULL && (verdict == CRADLE_CHECK_FAILED || verdict == CRADLE_CHECK_WARNING))
    {
      const CradleExplanation *explanation = cradle_explain_error (error);

      print_indented ("Error:", error->message);
      if (!cradle_explanation_is_generic (explanation))
        print_indented ("Cause:", cradle_explanation_get_name (explanation));
      print_indented ("Meaning:", cradle_explanation_get_summary (explanation));
      print_indented ("Next step:", cradle_explanation_get_user_action (explanation));
      print_indented ("Support:", cradle_explanation_get_support_action (explanation));
    }
}

static void
print_text (CradleDiagnosis *diagnosis)
{
  GPtrArray *checks = cradle_diagnosis_get_checks (diagnosis);
  CradleCheckVerdict verdict = cradle_diagnosis_get_verdict (diagnosis);
  g_autofree char *duration = format_duration (cradle_diagnosis_get_duration_us (diagnosis));
  g_autofree char *type = cradlectl_text (cradle_diagnosis_get_type_name (diagnosis));
  g_autofree char *device = cradlectl_text (cradle_diagnosis_get_device_id (diagnosis));
  guint n_failed = 0, n_warnings = 0;

  g_print ("Checks of every hop to the CA, for %s%s%s%s.\n",
           type != NULL ? "the certificate type " : "no certificate type (--type NAME)",
           type != NULL ? type : "",
           device != NULL ? " and the device " : " and the first device that answers",
           device != NULL ? device : "");
  for (CradleHop hop = 0; hop < CRADLE_N_HOPS; hop++)
    {
      g_print ("\n%s: %s\n", cradle_hop_get_title (hop),
               verdict_label (cradle_diagnosis_get_hop_verdict (diagnosis, hop)));
      for (guint i = 0; i < checks->len; i++)
        {
          CradleCheck *check = g_ptr_array_index (checks, i);

          if (cradle_check_get_hop (check) != hop)
            continue;
          print_check (check);
          n_failed += cradle_check_get_verdict (check) == CRADLE_CHECK_FAILED;
          n_warnings += cradle_check_get_verdict (check) == CRADLE_CHECK_WARNING;
        }
    }
  g_print ("\nResult: %s (%u failed, %u warning%s) in %s.\n", verdict_label (verdict),
           n_failed, n_warnings, n_warnings == 1 ? "" : "s", duration);
}

/* On a terminal: a line on stderr as each check ends, before the listing. */
static void
on_check_finished (CradleDiagnosis *diagnosis,
                   CradleCheck     *check,
                   gpointer         user_data)
{
  g_autofree char *title = cradlectl_text (cradle_check_get_title (check));

  g_printerr ("  %-8s %s: %s\n", verdict_label (cradle_check_get_verdict (check)),
              cradle_hop_get_title (cradle_check_get_hop (check)), title);
}

int
cradlectl_diagnose (int    argc,
                    char **argv)
{
  CradlectlDomainOptions options = { 0 };
  g_autofree GOptionEntry *entries = cradlectl_domain_entries (&options);
  g_autoptr(GOptionContext) context = g_option_context_new ("- check every hop an enrollment crosses");
  g_autoptr(CradleDiagnosis) diagnosis = NULL;
  g_autoptr(CradleCredentials) credentials = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *type_name = NULL;
  g_autofree char *device_id = NULL;
  int timeout_seconds = 0;
  GOptionEntry own_entries[] = {
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_name,
      "The certificate type to check (a template's name or display name, or an administrator's "
      "type); without it, every CA is checked", "NAME" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device_id,
      "The device to check (its id or serial, as 'cradlectl devices' shows)", "ID" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_seconds,
      "Each check's deadline in seconds (default 4); the whole run ends within a few", "SECONDS" },
    G_OPTION_ENTRY_NULL
  };
  int exit_code;

  g_option_context_add_main_entries (context, own_entries, NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, cradlectl_token_entries (), NULL);
  g_option_context_set_summary (context,
                                "Checks the device, the clock, the domain, Kerberos, the directory, the "
                                "certificate type, the CA and whether the certificate will work, each on "
                                "its own with a deadline, without making a key or sending a request.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl diagnose: %s\n", error->message);
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }
  if (argc > 1 || timeout_seconds < 0 || timeout_seconds > 600)
    {
      g_printerr ("cradlectl diagnose: %s\n", argc > 1 ? "unexpected arguments; see --help"
                                                       : "--timeout takes 1 to 600 seconds");
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }
  cradlectl_domain_options_resolve (&options);
  cradlectl_apply_token_options ();
  credentials = cradlectl_dup_credentials (&options, &error);
  if (credentials == NULL)
    {
      /* --user without --password-file and the like: the options are wrong. */
      if (options.json)
        cradlectl_report_error (error, TRUE);
      else
        cradlectl_print_error (error);
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }

  diagnosis = cradle_diagnosis_new ();
  cradle_diagnosis_set_type_name (diagnosis, type_name);
  cradle_diagnosis_set_device_id (diagnosis, device_id);
  cradle_diagnosis_set_directory (diagnosis, options.domain, options.dc_uri);
  cradle_diagnosis_set_credentials (diagnosis, credentials);
  if (timeout_seconds > 0)
    cradle_diagnosis_set_timeout (diagnosis, (guint) timeout_seconds * 1000);
  if (!options.json && isatty (STDERR_FILENO))
    g_signal_connect (diagnosis, "check-finished", G_CALLBACK (on_check_finished), NULL);

  if (!cradle_diagnosis_run (diagnosis, NULL, &error))
    {
      exit_code = cradlectl_report_error (error, options.json);
      cradlectl_domain_options_clear (&options);
      return exit_code;
    }

  if (options.json)
    {
      g_autofree char *json = cradle_diagnosis_to_json (diagnosis);
      g_autofree char *escaped = cradle_text_escape (json, -1, CRADLE_TEXT_ESCAPE_JSON);

      g_print ("%s\n", escaped);
    }
  else
    {
      if (isatty (STDERR_FILENO))
        g_printerr ("\n");
      print_text (diagnosis);
    }
  cradlectl_domain_options_clear (&options);
  return cradle_diagnosis_get_verdict (diagnosis) == CRADLE_CHECK_FAILED ? CRADLECTL_EXIT_ATTENTION
                                                                       : CRADLECTL_EXIT_DONE;
}
