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
      return CRADLECTL_EXIT_NOT_CONFIGURED;
    case CRADLE_ERROR_USER_DECLINED:
      return CRADLECTL_EXIT_DECLINED;
    case CRADLE_ERROR_DEVICE_GONE:
      return CRADLECTL_EXIT_DEVICE_ABSENT;
    default:
      return CRADLECTL_EXIT_OTHER;
    }
}

/* Errors go to stderr for people; with --json, also to stdout for scripts. */
CradlectlExit
cradlectl_report_error (const GError *error,
                        gboolean      json)
{
  CradlectlExit code = cradlectl_exit_for_error (error);

  g_printerr ("cradlectl: %s\n", error->message);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder,
                                     error->domain == CRADLE_ERROR
                                       ? cradle_error_to_string (error->code)
                                       : "failed");
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, error->message);
      json_builder_set_member_name (builder, "exit_code");
      json_builder_add_int_value (builder, code);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
    }
  return code;
}

void
cradlectl_print_json (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, TRUE);

  g_print ("%s\n", text);
}
