/* cradlectl-output.c: exit codes, error reports and JSON for scripts */
#include "config.h"

#include <stdio.h>

#include "cradlectl-format.h"
#include "cradlectl-private.h"

CradlectlExit
cradlectl_exit_for_error (const GError *error)
{
  if (error == NULL)
    return CRADLECTL_EXIT_DONE;
  if (error->domain != CRADLE_ERROR)
    return CRADLECTL_EXIT_OTHER;

  switch ((CradleError) error->code)
    {
    case CRADLE_ERROR_CA_DENIED:
      return CRADLECTL_EXIT_REFUSED;
    case CRADLE_ERROR_UNREACHABLE:
    case CRADLE_ERROR_TIMED_OUT:
      return CRADLECTL_EXIT_UNREACHABLE;
    case CRADLE_ERROR_NOT_CONFIGURED:
    case CRADLE_ERROR_AUTH_FAILED:
    case CRADLE_ERROR_NOT_PAIRED:
      return CRADLECTL_EXIT_NOT_CONFIGURED;
    case CRADLE_ERROR_USER_DECLINED:
      return CRADLECTL_EXIT_DECLINED;
    case CRADLE_ERROR_DEVICE_GONE:
      return CRADLECTL_EXIT_DEVICE_ABSENT;
    default:
      return CRADLECTL_EXIT_OTHER;
    }
}

void
cradlectl_add_error_members (JsonBuilder  *builder,
                             const GError *error)
{
  const CradleExplanation *explanation = cradle_explain_error (error);

  cradlectl_add_string (builder, "code",
                        error->domain == CRADLE_ERROR ? cradle_error_to_string (error->code) : "failed");
  cradlectl_add_string (builder, "message", error->message);
  json_builder_set_member_name (builder, "exit_code");
  json_builder_add_int_value (builder, cradlectl_exit_for_error (error));
  /* The precise cause's name ("CERTSRV_E_TEMPLATE_DENIED"), when known. */
  if (!cradle_explanation_is_generic (explanation))
    cradlectl_add_string (builder, "detail", cradle_explanation_get_name (explanation));
  cradlectl_add_string (builder, "explanation", cradle_explanation_get_summary (explanation));
  cradlectl_add_string (builder, "next_step", cradle_explanation_get_user_action (explanation));
}

void
cradlectl_print_error (const GError *error)
{
  const CradleExplanation *explanation = cradle_explain_error (error);

  g_printerr ("cradlectl: %s\n", error->message);
  if (!cradle_explanation_is_generic (explanation))
    g_printerr ("cradlectl: Next step: %s\n", cradle_explanation_get_user_action (explanation));
}

/* Errors go to stderr for people, with the next step when the cause is
 * known precisely; with --json, also to stdout for scripts, with the
 * explanation from the one table (cradle-explain.h) the app and the
 * journal use too. */
CradlectlExit
cradlectl_report_error (const GError *error,
                        gboolean      json)
{
  cradlectl_print_error (error);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      cradlectl_add_error_members (builder, error);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
    }
  return cradlectl_exit_for_error (error);
}

/* json-glib writes C0 controls as \u escapes but passes DEL, C1 controls,
 * bidi controls and invalid bytes as they are: those become \u escapes
 * too, which a JSON reader reads back as the same characters. */
void
cradlectl_print_json (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, TRUE);
  g_autofree char *escaped = cradle_text_escape (text, -1, CRADLE_TEXT_ESCAPE_JSON);

  g_print ("%s\n", escaped);
}

char *
cradlectl_text (const char *value)
{
  return cradle_text_escape (value, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
}

/* Every line cradlectl prints goes through the one sanitiser, whatever its
 * parts came from: device strings, CA messages and directory values in
 * output, in errors and in log messages reach the terminal as visible
 * escapes, never as ESC, CSI, OSC, C1 or bidi controls. Values are also
 * escaped one by one where they are printed (cradlectl_text()), so that a
 * newline inside one cannot make a line of its own. */
static void
print_escaped (FILE       *stream,
               const char *text)
{
  g_autofree char *escaped = cradle_text_escape (text, -1, CRADLE_TEXT_ESCAPE_KEEP_LINES);
  g_autofree char *converted = NULL;
  const char *charset = NULL;

  /* As GLib's own handlers do: a console that is not UTF-8 gets its
   * charset, '?' for what it cannot show. */
  if (!g_get_console_charset (&charset))
    converted = g_convert_with_fallback (escaped, -1, charset, "UTF-8", "?", NULL, NULL, NULL);
  fputs (converted != NULL ? converted : escaped, stream);
  fflush (stream);
}

static void
print_to_stdout (const char *text)
{
  print_escaped (stdout, text);
}

static void
print_to_stderr (const char *text)
{
  print_escaped (stderr, text);
}

/* Cradle's writer (its log file and the run fields, then GLib's own:
 * filtering, G_DEBUG=fatal-*, the journal) with the
 * message escaped first. */
static GLogWriterOutput
write_log (GLogLevelFlags   log_level,
           const GLogField *fields,
           gsize            n_fields,
           gpointer         user_data)
{
  g_autofree GLogField *escaped_fields = g_new (GLogField, n_fields);
  g_autofree char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      escaped_fields[i] = fields[i];
      if (message == NULL && g_str_equal (fields[i].key, "MESSAGE") && fields[i].value != NULL)
        {
          message = cradle_text_escape (fields[i].value, fields[i].length, CRADLE_TEXT_ESCAPE_KEEP_LINES);
          escaped_fields[i].value = message;
          escaped_fields[i].length = -1;
        }
    }
  return cradle_log_writer (log_level, escaped_fields, n_fields, user_data);
}

void
cradlectl_install_sanitiser (void)
{
  g_set_print_handler (print_to_stdout);
  g_set_printerr_handler (print_to_stderr);
  /* Debug and info messages too go to stderr: stdout is the result (JSON
   * for scripts), whatever G_MESSAGES_DEBUG asks for. */
  g_log_writer_default_set_use_stderr (TRUE);
  g_log_set_writer_func (write_log, NULL, NULL);
}
