/* cradlectl-log.c: `cradlectl log [REQUEST]`, the journal of enrollments */
#include "config.h"

#include <string.h>

#include "cradlectl-format.h"
#include "cradlectl-private.h"

#define DEFAULT_RUNS 20

static void
print_run (CradleJournalRun *run,
           gboolean          with_steps)
{
  GPtrArray *steps = cradle_journal_run_get_steps (run);
  g_autofree char *started = cradlectl_time_format_local (cradle_journal_run_get_started (run),
                                                         "%Y-%m-%d %H:%M:%S", "?");
  gint64 finished = cradle_journal_run_get_finished (run);
  g_autofree char *request = cradle_journal_run_get_request_id (run) > 0
                               ? g_strdup_printf ("request %" G_GINT64_FORMAT, cradle_journal_run_get_request_id (run))
                               : g_strdup ("no request");

  if (g_strcmp0 (cradle_journal_run_get_kind (run), "check") == 0)
    /* A revocation check of a device's certificates: no type, no request. */
    g_print ("Run %" G_GINT64_FORMAT "  %s  status of the certificates on %s: %s",
             cradle_journal_run_get_id (run), started, cradle_journal_run_get_device_serial (run) ?: "?",
             cradle_journal_run_get_outcome (run));
  else
    g_print ("Run %" G_GINT64_FORMAT "  %s  %s %s (%s) on %s, %s: %s",
             cradle_journal_run_get_id (run), started, cradle_journal_run_get_kind (run),
             cradle_journal_run_get_type_name (run) ?: "?", cradle_journal_run_get_protocol (run) ?: "?",
             cradle_journal_run_get_device_serial (run) ?: "?", request, cradle_journal_run_get_outcome (run));
  if (finished > 0)
    g_print (" after %.1f s", (double) (finished - cradle_journal_run_get_started (run)) / G_USEC_PER_SEC);
  g_print ("\n");
  if (cradle_journal_run_get_error (run) != NULL)
    g_print ("    %s%s%s%s\n", cradle_journal_run_get_error (run),
             cradle_journal_run_get_error_name (run) != NULL ? " [" : "",
             cradle_journal_run_get_error_name (run) ?: "",
             cradle_journal_run_get_error_name (run) != NULL ? "]" : "");
  if (!with_steps)
    return;
  for (guint i = 0; i < steps->len; i++)
    {
      CradleJournalStep *step = g_ptr_array_index (steps, i);
      g_autoptr(GDateTime) utc = cradlectl_time_from_usec (cradle_journal_step_get_started (step));
      g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
      g_autofree char *at = local != NULL ? g_date_time_format (local, "%H:%M:%S.%f") : g_strdup ("?");
      g_autofree char *duration = cradle_journal_step_get_duration_ms (step) >= 0
                                    ? g_strdup_printf ("%" G_GINT64_FORMAT " ms",
                                                       cradle_journal_step_get_duration_ms (step))
                                    : g_strdup ("-");

      /* %f gives microseconds; milliseconds are enough here. */
      if (strlen (at) > 12)
        at[12] = '\0';
      g_print ("    %s  %-12s %-9s %8s  %s\n", at, cradle_journal_step_get_step (step),
               cradle_journal_step_get_outcome (step), duration, cradle_journal_step_get_text (step));
      if (cradle_journal_step_get_error (step) != NULL)
        g_print ("%32s%s%s%s%s\n", "", cradle_journal_step_get_error (step),
                 cradle_journal_step_get_error_name (step) != NULL ? " [" : "",
                 cradle_journal_step_get_error_name (step) ?: "",
                 cradle_journal_step_get_error_name (step) != NULL ? "]" : "");
    }
}

int
cradlectl_log (int    argc,
               char **argv)
{
  gboolean json = FALSE;
  int limit = DEFAULT_RUNS;
  GOptionEntry entries[] = {
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Show at most this many runs (default 20; 0 for all)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[REQUEST] - what happened to each enrollment and status check, step by step");
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;
  guint64 request = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl log: %s\n", error->message);
      return CRADLECTL_EXIT_OTHER;
    }
  if (argc > 2 || limit < 0 ||
      (argc == 2 && !g_ascii_string_to_unsigned (argv[1], 10, 1, G_MAXINT64, &request, NULL)))
    {
      g_printerr ("cradlectl log: give at most one request number ('cradlectl pending --all' lists them)\n");
      return CRADLECTL_EXIT_OTHER;
    }
  if (!cradlectl_open_state (&store, &journal, &error) ||
      (runs = cradle_journal_list_runs (journal, (gint64) request, request != 0 ? 0 : (guint) limit,
                                        &error)) == NULL)
    return cradlectl_report_error (error, json);

  if (json)
    {
      g_autofree char *text = cradle_journal_runs_to_json (runs);
      g_autofree char *escaped = cradle_text_escape (text, -1, CRADLE_TEXT_ESCAPE_JSON);

      g_print ("%s\n", escaped);
      return CRADLECTL_EXIT_DONE;
    }
  if (runs->len == 0)
    {
      if (request != 0)
        g_print ("The journal has nothing on request %" G_GUINT64_FORMAT ".\n", request);
      else
        g_print ("The journal is empty.\n");
      return CRADLECTL_EXIT_DONE;
    }
  /* Oldest first reads as a story. */
  for (guint i = runs->len; i > 0; i--)
    print_run (g_ptr_array_index (runs, i - 1), request != 0 || runs->len == 1 || i == 1);
  return CRADLECTL_EXIT_DONE;
}
