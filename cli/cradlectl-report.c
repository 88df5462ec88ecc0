/* cradlectl-report.c: `cradlectl report`, one archive for a support ticket */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cradlectl-private.h"

static char *
default_file_name (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, "cradle-report-%Y%m%d-%H%M%S.tar.gz");
}

int
cradlectl_report (int    argc,
                  char **argv)
{
  gboolean last = FALSE;
  gboolean redact = FALSE;
  gboolean json = FALSE;
  gint64 run_id = 0;
  g_autofree char *output = NULL;
  g_autofree char *type_name = NULL;
  g_autofree char *device_id = NULL;
  GOptionEntry entries[] = {
    { "last", 0, 0, G_OPTION_ARG_NONE, &last, "Only the last run of the journal (and a diagnosis of its type and device)", NULL },
    { "run", 0, 0, G_OPTION_ARG_INT64, &run_id, "Only this run of the journal ('cradlectl log' lists them)", "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the report here (default: cradle-report-DATE-TIME.tar.gz in the current folder)", "FILE" },
    { "redact-names", 0, 0, G_OPTION_ARG_NONE, &redact, "Replace user and host names by stand-ins", NULL },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_name, "The certificate type the diagnosis checks", "NAME" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device_id, "The device the diagnosis checks (id or serial)", "ID" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("- one archive to attach to a support ticket: versions, configuration and types "
                          "without secrets, the journal, a fresh diagnosis, the device's info, the log");
  g_autoptr(CradleSupportReport) report = NULL;
  g_autoptr(GError) error = NULL;
  const char * const *contents;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, cradlectl_token_entries (), NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl report: %s\n", error->message);
      return CRADLECTL_EXIT_OTHER;
    }
  if (argc > 1)
    {
      g_printerr ("cradlectl report: '%s' is not an option of report (see 'cradlectl report --help')\n", argv[1]);
      return CRADLECTL_EXIT_OTHER;
    }
  if ((last && run_id != 0) || run_id < 0)
    {
      g_printerr ("cradlectl report: give --last or --run N (a run number of 'cradlectl log'), not both\n");
      return CRADLECTL_EXIT_OTHER;
    }
  if (output == NULL)
    output = default_file_name ();

  cradlectl_apply_token_options ();
  report = cradle_support_report_new (redact ? CRADLE_SUPPORT_REPORT_REDACT_NAMES : CRADLE_SUPPORT_REPORT_NONE);
  cradle_support_report_set_run (report, last ? -1 : run_id);
  cradle_support_report_set_type_name (report, type_name);
  cradle_support_report_set_device_id (report, device_id);
  if (!json && isatty (fileno (stderr)))
    g_printerr ("Checking every hop and gathering the report…\n");
  if (!cradle_support_report_write (report, output, NULL, &error))
    return cradlectl_report_error (error, json);

  contents = cradle_support_report_get_contents (report);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, output);
      json_builder_set_member_name (builder, "files");
      json_builder_begin_array (builder);
      for (guint i = 0; contents[i] != NULL; i++)
        {
          g_auto(GStrv) parts = g_strsplit (contents[i], "\t", 2);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, parts[0]);
          json_builder_set_member_name (builder, "description");
          json_builder_add_string_value (builder, parts[1] != NULL ? parts[1] : "");
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
      return CRADLECTL_EXIT_DONE;
    }
  {
    g_autofree char *shown = cradlectl_text (output);

    g_print ("Wrote %s (readable by you only). It holds:\n", shown);
  }
  for (guint i = 0; contents[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (contents[i], "\t", 2);

      g_print ("  %-34s %s\n", parts[0], parts[1] != NULL ? parts[1] : "");
    }
  g_print ("No password, challenge, PIN, Kerberos ticket or private key is in it%s.\n",
           redact ? "; user and host names are replaced" : " (--redact-names also replaces user and host names)");
  return CRADLECTL_EXIT_DONE;
}
