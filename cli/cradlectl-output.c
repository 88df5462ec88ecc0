/* cradlectl-output.c: exit codes, error reports and JSON for scripts */
#include "config.h"

#include <stdio.h>

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

  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder,
                                 error->domain == CRADLE_ERROR
                                   ? cradle_error_to_string (error->code)
                                   : "failed");
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, error->message);
  json_builder_set_member_name (builder, "exit_code");
  json_builder_add_int_value (builder, cradlectl_exit_for_error (error));
  /* The precise cause's name ("CERTSRV_E_TEMPLATE_DENIED"), when known. */
  if (!cradle_explanation_is_generic (explanation))
    {
      json_builder_set_member_name (builder, "detail");
      json_builder_add_string_value (builder, cradle_explanation_get_name (explanation));
    }
  json_builder_set_member_name (builder, "explanation");
  json_builder_add_string_value (builder, cradle_explanation_get_summary (explanation));
  json_builder_set_member_name (builder, "next_step");
  json_builder_add_string_value (builder, cradle_explanation_get_user_action (explanation));
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

void
cradlectl_print_json (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, TRUE);

  g_print ("%s\n", text);
}
