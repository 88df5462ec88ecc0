/* cradle-support-report-journal.c: a report's journal.txt and
 * journal.json: the recent runs, the last one, or the one asked for */
#include "config.h"

#include "state/cradle-journal-private.h"
#include "support/cradle-support-report-private.h"

#include <cradle/cradle-error.h>
#include <cradle/cradle-journal.h>
#include <cradle/cradle-paths.h>
#include <cradle/cradle-text.h>

#define RECENT_RUNS 50

/* ---- the journal ---------------------------------------------------------- */

/* As the journal writes a time, "-" when unset. */
static char *
format_time (gint64 usec)
{
  char *text = cradle_journal_format_time (usec);

  return text != NULL ? text : g_strdup ("-");
}

static void
add_run (GString          *text,
         CradleJournalRun *run)
{
  GPtrArray *steps = cradle_journal_run_get_steps (run);
  g_autofree char *started = format_time (cradle_journal_run_get_started (run));
  g_autofree char *finished = format_time (cradle_journal_run_get_finished (run));

  g_string_append_printf (text, "Run %" G_GINT64_FORMAT "  %s  %s ", cradle_journal_run_get_id (run), started,
                          cradle_journal_run_get_kind (run));
  _cradle_report_append_escaped (text, cradle_journal_run_get_type_name (run) ?: "?");
  g_string_append (text, " (");
  _cradle_report_append_escaped (text, cradle_journal_run_get_protocol (run) ?: "?");
  g_string_append (text, ") on ");
  _cradle_report_append_escaped (text, cradle_journal_run_get_device_serial (run) ?: "?");
  g_string_append_printf (text, ", request %" G_GINT64_FORMAT ": %s, finished %s\n",
                          cradle_journal_run_get_request_id (run), cradle_journal_run_get_outcome (run), finished);
  if (cradle_journal_run_get_error (run) != NULL)
    {
      g_string_append (text, "    ");
      _cradle_report_append_escaped (text, cradle_journal_run_get_error (run));
      g_string_append_printf (text, " [%s]\n", cradle_journal_run_get_error_name (run) ?: "-");
    }

  for (guint i = 0; i < steps->len; i++)
    {
      CradleJournalStep *step = g_ptr_array_index (steps, i);
      g_autofree char *step_started = format_time (cradle_journal_step_get_started (step));

      g_string_append_printf (text, "    %s  %-12s %-9s %6" G_GINT64_FORMAT " ms  ", step_started,
                              cradle_journal_step_get_step (step), cradle_journal_step_get_outcome (step),
                              cradle_journal_step_get_duration_ms (step));
      _cradle_report_append_escaped (text, cradle_journal_step_get_text (step));
      g_string_append_c (text, '\n');
      if (cradle_journal_step_get_error (step) != NULL)
        {
          g_string_append (text, "        ");
          _cradle_report_append_escaped (text, cradle_journal_step_get_error (step));
          g_string_append_printf (text, " [%s]\n", cradle_journal_step_get_error_name (step) ?: "-");
        }
    }
}

gboolean
_cradle_support_report_add_journal (CradleReportGathering *gathering,
                                    gint64                 run_id,
                                    GError               **error)
{
  g_autofree char *state_dir = cradle_paths_dup_state_dir ();
  g_autofree char *path = g_build_filename (state_dir, "requests.sqlite", NULL);
  g_autofree char *description = NULL;
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GError) local_error = NULL;
  CradleReportFile *text_file;
  CradleReportFile *json_file;

  if (run_id > 0)
    description = g_strdup_printf ("run %" G_GINT64_FORMAT " of the journal, step by step, with its errors",
                                   run_id);
  else if (run_id < 0)
    description = g_strdup ("the last run of the journal, step by step, with its errors");
  else
    description = g_strdup_printf ("the journal's last %d runs, step by step, with their errors", RECENT_RUNS);
  text_file = _cradle_report_file_new (gathering->files, "journal.txt", description);
  json_file = _cradle_report_file_new (gathering->files, "journal.json", "the same runs as JSON (as `cradlectl log --json`)");

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_string_append (text_file->text, "No run was recorded: the journal has not been written yet.\n");
      g_string_append (json_file->text, "[]\n");
      if (run_id > 0)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                       "There is no run %" G_GINT64_FORMAT ": no run was recorded yet.", run_id);
          return FALSE;
        }
      return TRUE;
    }
  journal = cradle_journal_open (path, &local_error);
  if (journal != NULL && run_id > 0)
    {
      CradleJournalRun *run = cradle_journal_get_run (journal, run_id, &local_error);

      if (run == NULL && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                       "There is no run %" G_GINT64_FORMAT " in the journal. `cradlectl log` lists the runs.",
                       run_id);
          return FALSE;
        }
      if (run != NULL)
        {
          runs = g_ptr_array_new_with_free_func (g_object_unref);
          g_ptr_array_add (runs, run);
        }
    }
  else if (journal != NULL)
    runs = cradle_journal_list_runs (journal, 0, run_id < 0 ? 1 : RECENT_RUNS, &local_error);
  if (runs == NULL)
    {
      g_string_append (text_file->text, "The journal could not be read: ");
      _cradle_report_append_escaped (text_file->text, local_error->message);
      g_string_append_c (text_file->text, '\n');
      g_string_append (json_file->text, "[]\n");
      return TRUE;
    }
  if (runs->len == 0)
    g_string_append (text_file->text, "No run was recorded.\n");
  for (guint i = 0; i < runs->len; i++)
    add_run (text_file->text, g_ptr_array_index (runs, i));
  json = cradle_journal_runs_to_json (runs);
  {
    g_autofree char *safe = cradle_text_escape (json, -1, CRADLE_TEXT_ESCAPE_JSON);

    g_string_append (json_file->text, safe);
    g_string_append_c (json_file->text, '\n');
  }
  /* One run asked for: the diagnosis checks its type and device. */
  if (run_id != 0 && runs->len == 1)
    {
      CradleJournalRun *run = g_ptr_array_index (runs, 0);

      gathering->run_type = g_strdup (cradle_journal_run_get_type_name (run));
      gathering->run_device = g_strdup (cradle_journal_run_get_device_serial (run));
    }
  return TRUE;
}
