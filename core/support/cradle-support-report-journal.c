/* cradle-support-report-journal.c: a report's journal.txt and
 * journal.json: the recent runs, the last one, or the one asked for */
#include "config.h"

#include "support/cradle-support-report-private.h"

#include <json-glib/json-glib.h>

#include <cradle/cradle-error.h>
#include <cradle/cradle-journal.h>
#include <cradle/cradle-paths.h>
#include <cradle/cradle-text.h>

#define RECENT_RUNS 50

/* ---- the journal ---------------------------------------------------------- */

static void
add_json_string (JsonBuilder *builder,
                 const char  *name,
                 const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) seconds = usec > 0 ? g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC) : NULL;
  g_autoptr(GDateTime) time = seconds != NULL ? g_date_time_add (seconds, usec % G_USEC_PER_SEC) : NULL;

  return time != NULL ? g_date_time_format_iso8601 (time) : g_strdup ("-");
}

static void
add_run (JsonBuilder      *builder,
         GString          *text,
         CradleJournalRun *run)
{
  GPtrArray *steps = cradle_journal_run_get_steps (run);
  g_autofree char *started = format_time (cradle_journal_run_get_started (run));
  g_autofree char *finished = format_time (cradle_journal_run_get_finished (run));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "run");
  json_builder_add_int_value (builder, cradle_journal_run_get_id (run));
  add_json_string (builder, "kind", cradle_journal_run_get_kind (run));
  json_builder_set_member_name (builder, "request");
  json_builder_add_int_value (builder, cradle_journal_run_get_request_id (run));
  add_json_string (builder, "type", cradle_journal_run_get_type_name (run));
  add_json_string (builder, "protocol", cradle_journal_run_get_protocol (run));
  add_json_string (builder, "device", cradle_journal_run_get_device_serial (run));
  add_json_string (builder, "started", started);
  add_json_string (builder, "finished", finished);
  add_json_string (builder, "outcome", cradle_journal_run_get_outcome (run));
  add_json_string (builder, "error", cradle_journal_run_get_error (run));
  add_json_string (builder, "error_name", cradle_journal_run_get_error_name (run));

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

  json_builder_set_member_name (builder, "steps");
  json_builder_begin_array (builder);
  for (guint i = 0; i < steps->len; i++)
    {
      CradleJournalStep *step = g_ptr_array_index (steps, i);
      g_autofree char *step_started = format_time (cradle_journal_step_get_started (step));

      json_builder_begin_object (builder);
      add_json_string (builder, "step", cradle_journal_step_get_step (step));
      add_json_string (builder, "text", cradle_journal_step_get_text (step));
      add_json_string (builder, "started", step_started);
      json_builder_set_member_name (builder, "duration_ms");
      json_builder_add_int_value (builder, cradle_journal_step_get_duration_ms (step));
      add_json_string (builder, "outcome", cradle_journal_step_get_outcome (step));
      add_json_string (builder, "error", cradle_journal_step_get_error (step));
      add_json_string (builder, "error_name", cradle_journal_step_get_error_name (step));
      json_builder_end_object (builder);

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
  json_builder_end_array (builder);
  json_builder_end_object (builder);
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
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
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
  json_builder_begin_array (builder);
  for (guint i = 0; i < runs->len; i++)
    {
      CradleJournalRun *run = g_ptr_array_index (runs, i);

      add_run (builder, text_file->text, run);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json = json_generator_to_data (generator, NULL);
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
