/* cradlectl-devices.c: `cradlectl devices` and `cradlectl certs` */
#include "config.h"

#include "cradlectl-format.h"
#include "cradlectl-private.h"

/* Every device that answers HELLO and GET_INFO; others are reported on stderr. */
GPtrArray *
cradlectl_open_devices (GError **error)
{
  g_autoptr(GPtrArray) found = cradle_device_enumerate (NULL, error);
  g_autoptr(GPtrArray) opened = g_ptr_array_new_with_free_func (g_object_unref);

  if (found == NULL)
    return NULL;
  for (guint i = 0; i < found->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (found, i);
      g_autoptr(GError) local_error = NULL;

      if (!cradle_device_open (device, NULL, &local_error))
        {
          g_printerr ("cradlectl: skipping %s: %s\n", cradle_device_get_id (device), local_error->message);
          continue;
        }
      g_ptr_array_add (opened, g_object_ref (device));
    }
  return g_steal_pointer (&opened);
}

static void
on_pairing_prompt (CradleDevice *device,
                   guint         status,
                   const char   *prompt,
                   gpointer      user_data)
{
  gboolean *shown = user_data;

  /* The prompt is this computer's own words and code (never the device's). */
  if (status == CRADLE_DEVICE_WAITING_PAIRING && prompt != NULL && !*shown)
    {
      g_printerr ("%s\n", prompt);
      *shown = TRUE;
    }
}

/* Asks the device's user to trust this computer, the first time; the code
 * goes to stderr, so JSON on stdout stays whole. */
gboolean
cradlectl_pair_device (CradleDevice  *device,
                       GError       **error)
{
  gboolean shown = FALSE;
  gulong handler;
  gboolean paired;

  if (cradle_device_is_paired (device))
    return TRUE;
  handler = g_signal_connect (device, "waiting", G_CALLBACK (on_pairing_prompt), &shown);
  paired = cradle_device_pair (device, NULL, error);
  g_signal_handler_disconnect (device, handler);
  return paired;
}

/* `devices --forget ID`: the device forgets this computer when it is here
 * and paired; this computer forgets the device in any case. */
static int
forget_device (GPtrArray  *devices,
               const char *wanted,
               gboolean    json)
{
  g_autoptr(GError) error = NULL;
  gboolean removed = FALSE;
  const char *serial = wanted;

  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);

      if (g_strcmp0 (cradle_device_get_id (device), wanted) != 0 &&
          g_strcmp0 (cradle_device_get_serial (device), wanted) != 0)
        continue;
      serial = cradle_device_get_serial (device);
      if (cradle_device_is_paired (device))
        {
          if (!cradle_device_forget (device, NULL, &error))
            return cradlectl_report_error (error, json);
          removed = TRUE;
        }
      break;
    }
  if (!cradle_device_forget_serial (serial, removed ? NULL : &removed, &error))
    return cradlectl_report_error (error, json);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "serial", serial);
      json_builder_set_member_name (builder, "forgotten");
      json_builder_add_boolean_value (builder, removed);
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
    }
  else if (removed)
    g_print ("Forgot device %s. It must be paired again (confirmed on the device) before Cradle uses it.\n",
             serial);
  else
    g_print ("This computer was not paired with a device called %s; nothing to forget.\n", serial);
  return CRADLECTL_EXIT_DONE;
}


int
cradlectl_devices (int    argc,
                   char **argv)
{
  gboolean json = FALSE;
  g_autofree char *forget = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL },
    { "forget", 0, 0, G_OPTION_ARG_STRING, &forget,
      "Unpair a device (by id or serial; it need not be connected)", "ID" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the connected devices");
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl devices: %s\n", error->message);
      return CRADLECTL_EXIT_OTHER;
    }
  devices = cradlectl_open_devices (&error);
  if (devices == NULL)
    return cradlectl_report_error (error, json);
  if (forget != NULL)
    return forget_device (devices, forget, json);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_array (builder);
      for (guint i = 0; i < devices->len; i++)
        {
          CradleDevice *device = g_ptr_array_index (devices, i);

          json_builder_begin_object (builder);
          cradlectl_add_string (builder, "id", cradle_device_get_id (device));
          cradlectl_add_string (builder, "transport", cradle_device_get_transport (device));
          cradlectl_add_string (builder, "manufacturer", cradle_device_get_manufacturer (device));
          cradlectl_add_string (builder, "model", cradle_device_get_model (device));
          cradlectl_add_string (builder, "serial", cradle_device_get_serial (device));
          cradlectl_add_string (builder, "os", cradle_device_get_os (device));
          cradlectl_add_string (builder, "agent_version", cradle_device_get_agent_version (device));
          json_builder_set_member_name (builder, "protocol_version");
          json_builder_add_int_value (builder, cradle_device_get_protocol_version (device));
          json_builder_set_member_name (builder, "paired");
          json_builder_add_boolean_value (builder, cradle_device_is_paired (device));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      cradlectl_print_json (builder);
      return CRADLECTL_EXIT_DONE;
    }

  if (devices->len == 0)
    g_print ("No device is connected. Connect a device running the Cradle agent, "
             "or start a simulated one with cradle-agent.\n");
  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);
      /* Everything but the id is what the device says about itself. */
      g_autofree char *id = cradlectl_text (cradle_device_get_id (device));
      g_autofree char *manufacturer = cradlectl_text (cradle_device_get_manufacturer (device));
      g_autofree char *model = cradlectl_text (cradle_device_get_model (device));
      g_autofree char *serial = cradlectl_text (cradle_device_get_serial (device));
      g_autofree char *os = cradlectl_text (cradle_device_get_os (device));
      g_autofree char *agent = cradlectl_text (cradle_device_get_agent_version (device));

      g_print ("%s  %s %s, serial %s, %s, agent %s (protocol %u), %s\n", id, manufacturer, model, serial, os,
               agent, cradle_device_get_protocol_version (device),
               cradle_device_is_paired (device) ? "paired" : "not paired with this computer yet");
    }
  return CRADLECTL_EXIT_DONE;
}

/* The device named by --device (id or serial), or the only one there is. */
CradleDevice *
cradlectl_choose_device (GPtrArray   *devices,
                         const char  *wanted,
                         GError     **error)
{
  if (wanted != NULL)
    {
      for (guint i = 0; i < devices->len; i++)
        {
          CradleDevice *device = g_ptr_array_index (devices, i);

          if (g_strcmp0 (cradle_device_get_id (device), wanted) == 0 ||
              g_strcmp0 (cradle_device_get_serial (device), wanted) == 0)
            return g_object_ref (device);
        }
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                   "No connected device is called '%s'. 'cradlectl devices' lists them.", wanted);
      return NULL;
    }
  if (devices->len == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                           "No device is connected. Connect a device running the Cradle agent and retry.");
      return NULL;
    }
  if (devices->len > 1)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                           "Several devices are connected. Choose one with --device ID "
                           "('cradlectl devices' lists them).");
      return NULL;
    }
  return g_object_ref (g_ptr_array_index (devices, 0));
}

static void
print_cert_json (JsonBuilder       *builder,
                 CradleDeviceCert  *cert,
                 CradleCertificate *parsed)
{
  g_autofree char *not_after = g_date_time_format_iso8601 (cradle_certificate_get_not_after (parsed));

  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "store", cradle_device_cert_get_store (cert));
  cradlectl_add_string (builder, "scope", cradle_device_cert_get_scope (cert));
  cradlectl_add_string (builder, "subject", cradle_certificate_get_subject (parsed));
  cradlectl_add_string (builder, "issuer", cradle_certificate_get_issuer (parsed));
  cradlectl_add_string (builder, "serial", cradle_certificate_get_serial (parsed));
  cradlectl_add_string (builder, "not_after", not_after);
  cradlectl_add_string (builder, "sha256", cradle_certificate_get_sha256 (parsed));
  json_builder_set_member_name (builder, "has_key");
  json_builder_add_boolean_value (builder, cradle_device_cert_get_key_id (cert) != NULL);
  /* "generated" on the device, or "imported" from a PFX/P12: absent without a key. */
  if (cradle_device_cert_get_key_id (cert) != NULL)
    {
      json_builder_set_member_name (builder, "key_origin");
      json_builder_add_string_value (builder,
                                     cradle_device_key_origin_to_string (cradle_device_cert_get_key_origin (cert)));
    }
  json_builder_end_object (builder);
}

int
cradlectl_certs (int    argc,
                 char **argv)
{
  g_autofree char *wanted = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "device", 0, 0, G_OPTION_ARG_STRING, &wanted, "The device, by id or serial", "ID" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the certificates on a device");
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl certs: %s\n", error->message);
      return CRADLECTL_EXIT_OTHER;
    }
  if ((devices = cradlectl_open_devices (&error)) == NULL ||
      (device = cradlectl_choose_device (devices, wanted, &error)) == NULL ||
      !cradlectl_pair_device (device, &error) ||
      (certs = cradle_device_list_certs (device, NULL, NULL, NULL, &error)) == NULL)
    return cradlectl_report_error (error, json);

  json_builder_begin_array (builder);
  if (!json && certs->len == 0)
    g_print ("%s has no certificates.\n", cradle_device_get_id (device));
  for (guint i = 0; i < certs->len; i++)
    {
      CradleDeviceCert *cert = g_ptr_array_index (certs, i);
      g_autoptr(CradleCertificate) parsed = NULL;
      g_autoptr(GError) parse_error = NULL;
      g_autofree char *expiry = NULL;
      g_autofree char *subject = NULL;
      g_autofree char *issuer = NULL;
      g_autofree char *store = NULL;
      g_autofree char *scope = NULL;

      parsed = cradle_certificate_new_from_der (cradle_device_cert_get_der (cert), &parse_error);
      if (parsed == NULL)
        {
          g_printerr ("cradlectl: a certificate in %s/%s is unreadable: %s\n",
                      cradle_device_cert_get_scope (cert), cradle_device_cert_get_store (cert),
                      parse_error->message);
          continue;
        }
      if (json)
        {
          print_cert_json (builder, cert, parsed);
          continue;
        }
      expiry = g_date_time_format (cradle_certificate_get_not_after (parsed), "%Y-%m-%d");
      subject = cradlectl_text (cradle_certificate_get_subject (parsed));
      issuer = cradlectl_text (cradle_certificate_get_issuer (parsed));
      store = cradlectl_text (cradle_device_cert_get_store (cert));
      scope = cradlectl_text (cradle_device_cert_get_scope (cert));
      g_print ("%-4s %-6s %s\n     issued by %s, expires %s%s\n     SHA-256 %s\n",
               store, scope, subject, issuer, expiry,
               cradle_device_cert_get_key_id (cert) == NULL ? ""
               : cradle_device_cert_get_key_origin (cert) == CRADLE_DEVICE_KEY_ORIGIN_IMPORTED
               ? ", key on the device (imported: not made on the device)" : ", key on the device",
               cradle_certificate_get_sha256 (parsed));
    }
  json_builder_end_array (builder);
  if (json)
    cradlectl_print_json (builder);
  return CRADLECTL_EXIT_DONE;
}
