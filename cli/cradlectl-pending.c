/* cradlectl-pending.c: `cradlectl pending` and `cradlectl retrieve [REQUEST | --all]` */
#include "config.h"

#include "cradlectl-format.h"
#include "cradlectl-private.h"

/* The store counts seconds. */
static char *
format_utc (gint64 seconds)
{
  return cradlectl_time_format_iso8601 (cradlectl_time_usec_from_seconds (seconds));
}

static char *
format_local (gint64 seconds)
{
  return cradlectl_time_format_local (cradlectl_time_usec_from_seconds (seconds), "%Y-%m-%d %H:%M", "now");
}

static void
add_request_json (JsonBuilder          *builder,
                  CradlePendingRequest *request)
{
  g_autofree char *created = format_utc (cradle_pending_request_get_created (request));
  g_autofree char *updated = format_utc (cradle_pending_request_get_updated (request));
  g_autofree char *next = format_utc (cradle_pending_request_get_next_attempt (request));
  const char *message = NULL;
  guint32 code = 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, cradle_pending_request_get_id (request));
  cradlectl_add_string (builder, "status", cradle_pending_status_to_string (cradle_pending_request_get_status (request)));
  cradlectl_add_string (builder, "connector", cradle_pending_request_get_connector (request));
  cradlectl_add_string (builder, "endpoint", cradle_pending_request_get_endpoint (request));
  cradlectl_add_string (builder, "template", cradle_pending_request_get_template_name (request));
  cradlectl_add_string (builder, "ca_request_id", cradle_pending_request_get_ca_request_id (request));
  cradlectl_add_string (builder, "device", cradle_pending_request_get_device_serial (request));
  cradlectl_add_string (builder, "created", created);
  cradlectl_add_string (builder, "updated", updated);
  json_builder_set_member_name (builder, "attempts");
  json_builder_add_int_value (builder, cradle_pending_request_get_attempts (request));
  cradlectl_add_string (builder, "next_attempt", next);
  cradlectl_add_string (builder, "last_error", cradle_pending_request_get_last_error (request));
  if (cradle_pending_request_get_denial (request, &code, &message))
    {
      json_builder_set_member_name (builder, "denial_code");
      json_builder_add_int_value (builder, code);
      cradlectl_add_string (builder, "denial_message", message);
    }
  json_builder_end_object (builder);
}

int
cradlectl_pending (int    argc,
                   char **argv)
{
  gboolean json = FALSE;
  gboolean all = FALSE;
  GOptionEntry entries[] = {
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, "Also the finished requests", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the requests not finished yet");
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl pending: %s\n", error->message);
      return CRADLECTL_EXIT_OTHER;
    }
  if ((store = cradle_pending_store_open (NULL, &error)) == NULL ||
      (requests = cradle_pending_store_list (store, all ? CRADLE_PENDING_LIST_ALL : CRADLE_PENDING_LIST_UNFINISHED,
                                             &error)) == NULL)
    return cradlectl_report_error (error, json);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_array (builder);
      for (guint i = 0; i < requests->len; i++)
        add_request_json (builder, g_ptr_array_index (requests, i));
      json_builder_end_array (builder);
      cradlectl_print_json (builder);
      return CRADLECTL_EXIT_DONE;
    }
  if (requests->len == 0)
    g_print ("No request is waiting.\n");
  for (guint i = 0; i < requests->len; i++)
    {
      CradlePendingRequest *request = g_ptr_array_index (requests, i);
      CradlePendingStatus status = cradle_pending_request_get_status (request);
      g_autofree char *created = format_local (cradle_pending_request_get_created (request));
      g_autofree char *next = format_local (cradle_pending_request_get_next_attempt (request));

      /* From the directory, the device and the CA. */
      g_autofree char *template = cradlectl_text (cradle_pending_request_get_template_name (request) ?: "(no template)");
      g_autofree char *serial = cradlectl_text (cradle_pending_request_get_device_serial (request));
      g_autofree char *ca_id = cradlectl_text (cradle_pending_request_get_ca_request_id (request));
      g_autofree char *endpoint = cradlectl_text (cradle_pending_request_get_endpoint (request));
      g_autofree char *last_error = cradlectl_text (cradle_pending_request_get_last_error (request));

      g_print ("%-5" G_GINT64_FORMAT " %-10s %s via %s, device %s, since %s\n",
               cradle_pending_request_get_id (request), cradle_pending_status_to_string (status),
               template, cradle_pending_request_get_connector (request), serial, created);
      if (ca_id != NULL)
        g_print ("      CA request %s at %s\n", ca_id, endpoint);
      if (!cradle_pending_status_is_finished (status))
        g_print ("      %u attempts; next %s\n", cradle_pending_request_get_attempts (request), next);
      if (last_error != NULL)
        g_print ("      last: %s\n", last_error);
    }
  return CRADLECTL_EXIT_DONE;
}

/* The more serious of two results, for `retrieve --all`. */
static CradlectlExit
worse (CradlectlExit a,
       CradlectlExit b)
{
  return MAX (a, b);
}

/* A request not tried: in --all's results, or reported alone. */
static CradlectlExit
report_skipped (CradlePendingRequest *request,
                const GError         *error,
                CradlectlExit         code,
                const char           *outcome,
                gboolean              json,
                JsonBuilder          *results)
{
  if (results == NULL)
    return cradlectl_report_error (error, json);
  json_builder_begin_object (results);
  json_builder_set_member_name (results, "request");
  json_builder_add_int_value (results, cradle_pending_request_get_id (request));
  cradlectl_add_string (results, "outcome", outcome);
  json_builder_set_member_name (results, "exit_code");
  json_builder_add_int_value (results, code);
  json_builder_set_member_name (results, "error");
  json_builder_begin_object (results);
  cradlectl_add_error_members (results, error);
  json_builder_end_object (results);
  json_builder_end_object (results);
  cradlectl_print_error (error);
  return code;
}

static CradlectlExit
retrieve_one (CradlePendingRequest *request,
              GPtrArray            *devices,
              GPtrArray            *types,
              CradleCredentials    *credentials,
              CradlePendingStore   *store,
              CradleJournal        *journal,
              gboolean              json,
              JsonBuilder          *results)
{
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autoptr(GError) error = NULL;
  const char *serial = cradle_pending_request_get_device_serial (request);
  CradleDevice *device = NULL;
  CradleCertType *type;

  /* Another program works on it (--all): it is that program's to finish. */
  if (!cradle_pending_store_check_unclaimed (store, cradle_pending_request_get_id (request), &error))
    return report_skipped (request, error, CRADLECTL_EXIT_OTHER, "busy", json, results);
  for (guint i = 0; i < devices->len && device == NULL; i++)
    if (g_strcmp0 (cradle_device_get_serial (g_ptr_array_index (devices, i)), serial) == 0)
      device = g_ptr_array_index (devices, i);
  if (device == NULL)
    {
      g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                   "Request %" G_GINT64_FORMAT " was made on the device with serial %s, which is not connected. "
                   "Connect it and run 'cradlectl retrieve %" G_GINT64_FORMAT "' again.",
                   cradle_pending_request_get_id (request), serial, cradle_pending_request_get_id (request));
      return report_skipped (request, error, CRADLECTL_EXIT_DEVICE_ABSENT, "device-absent", json, results);
    }
  /* A token gives its key only after its PIN (asked once: then it is entered). */
  if (!cradlectl_log_in_device (device, &error))
    return report_skipped (request, error, cradlectl_exit_for_error (error), "pin", json, results);
  type = cradle_cert_type_find_for_endpoint (types, cradle_pending_request_get_connector (request),
                                             cradle_pending_request_get_endpoint (request),
                                             cradle_pending_request_get_template_name (request));
  if (!json)
    g_print ("Request %" G_GINT64_FORMAT " (%s):\n", cradle_pending_request_get_id (request),
             cradle_pending_status_to_string (cradle_pending_request_get_status (request)));
  enrollment = cradle_enrollment_new_resume (request, device, type, credentials, store, journal);
  return cradlectl_run_enrollment (enrollment, json, results, NULL);
}

int
cradlectl_retrieve (int    argc,
                    char **argv)
{
  CradlectlDomainOptions options = { 0 };
  g_autofree GOptionEntry *domain_entries = cradlectl_domain_entries (&options);
  gboolean all = FALSE;
  GOptionEntry entries[] = {
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, "Every unfinished request of the connected devices", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[REQUEST | --all] - finish requests: ask the CA, install");
  g_autoptr(CradleCredentials) credentials = NULL;
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(GPtrArray) requests = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GPtrArray) types = NULL;
  g_autoptr(JsonBuilder) results = NULL;
  g_autoptr(GError) error = NULL;
  CradlectlExit code = CRADLECTL_EXIT_DONE;
  guint64 wanted = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, cradlectl_token_entries (), NULL);
  g_option_context_add_main_entries (context, domain_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl retrieve: %s\n", error->message);
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }
  cradlectl_domain_options_resolve (&options);
  if (argc > 2 || (argc == 2 && (all || !g_ascii_string_to_unsigned (argv[1], 10, 1, G_MAXINT64, &wanted, NULL))))
    {
      g_printerr ("cradlectl retrieve: give one request number ('cradlectl pending' lists them) or --all\n");
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }

  if ((credentials = cradlectl_dup_credentials (&options, &error)) == NULL ||
      !cradlectl_open_state (&store, &journal, &error))
    {
      code = cradlectl_report_error (error, options.json);
      cradlectl_domain_options_clear (&options);
      return code;
    }
  if (wanted != 0)
    {
      CradlePendingRequest *request = cradle_pending_store_get (store, (gint64) wanted, &error);

      /* Said at once, rather than after waiting for the device the other program holds. */
      if (request == NULL || !cradle_pending_store_check_unclaimed (store, (gint64) wanted, &error))
        {
          g_clear_object (&request);
          code = cradlectl_report_error (error, options.json);
          cradlectl_domain_options_clear (&options);
          return code;
        }
      g_ptr_array_add (requests, request);
    }
  else
    {
      g_autoptr(GPtrArray) unfinished = cradle_pending_store_list (store, CRADLE_PENDING_LIST_UNFINISHED, &error);

      if (unfinished == NULL)
        {
          code = cradlectl_report_error (error, options.json);
          cradlectl_domain_options_clear (&options);
          return code;
        }
      g_ptr_array_extend_and_steal (requests, g_steal_pointer (&unfinished));
    }
  if (requests->len == 0)
    {
      if (options.json)
        g_print ("[]\n");
      else
        g_print ("No request is waiting.\n");
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_DONE;
    }
  if ((devices = cradlectl_open_devices (&error)) == NULL)
    {
      code = cradlectl_report_error (error, options.json);
      cradlectl_domain_options_clear (&options);
      return code;
    }
  types = cradlectl_list_custom_types ();

  if (wanted != 0)
    code = retrieve_one (g_ptr_array_index (requests, 0), devices, types, credentials, store, journal,
                         options.json, NULL);
  else
    {
      if (options.json)
        {
          results = json_builder_new ();
          json_builder_begin_array (results);
        }
      for (guint i = 0; i < requests->len; i++)
        code = worse (code, retrieve_one (g_ptr_array_index (requests, i), devices, types, credentials, store,
                                          journal, options.json, results));
      if (results != NULL)
        {
          json_builder_end_array (results);
          cradlectl_print_json (results);
        }
    }
  cradlectl_domain_options_clear (&options);
  return code;
}
