/* cradlectl-certs.c: `cradlectl certs`, and `certs show | export | remove CERT`
 *
 * `cradlectl certs` lists what the device holds.  One certificate on a
 * device is named by its serial or a prefix of its SHA-256 fingerprint
 * (cradle_cert_details_find(): an ambiguous prefix is refused).  `show`
 * prints its details, `export` writes it as PEM or DER, `remove` deletes
 * it with its user's yes on the device.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "cradlectl-format.h"
#include "cradlectl-private.h"

typedef struct {
  /* Borrowed */
  const char *device;
  const char *output;
  gboolean    json;
  gboolean    der;
} CertsOptions;

/* The device's whole listing and the certificate @query names in it. */
static CradleCertDetails *
find_details (CertsOptions  *options,
              const char    *query,
              CradleDevice **device_out,
              GError       **error)
{
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  CradleCertDetails *details;

  if ((devices = cradlectl_open_devices (error)) == NULL ||
      (device = cradlectl_choose_device (devices, options->device, error)) == NULL ||
      !cradlectl_pair_device (device, error) ||
      /* Removing needs the PIN; showing uses it when given (a key shows after it). */
      ((device_out != NULL || cradlectl_has_pin_file ()) && !cradlectl_log_in_device (device, error)) ||
      (certs = cradle_device_list_certs (device, NULL, NULL, NULL, error)) == NULL)
    return NULL;
  details = cradle_cert_details_find (certs, query, error);
  if (details != NULL && device_out != NULL)
    *device_out = g_steal_pointer (&device);
  return details;
}

static void
add_strv (JsonBuilder        *builder,
          const char         *name,
          const char * const *values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (gsize i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          GDateTime   *time)
{
  g_autofree char *text = time != NULL ? g_date_time_format_iso8601 (time) : NULL;

  cradlectl_add_string (builder, name, text);
}

/* The members every certificate has: the certificate's and each link's. */
static void
add_outline (JsonBuilder       *builder,
             CradleCertDetails *details)
{
  cradlectl_add_string (builder, "store", cradle_cert_details_get_store (details));
  cradlectl_add_string (builder, "scope", cradle_cert_details_get_scope (details));
  cradlectl_add_string (builder, "subject", cradle_cert_details_get_subject (details));
  cradlectl_add_string (builder, "issuer", cradle_cert_details_get_issuer (details));
  cradlectl_add_string (builder, "serial", cradle_cert_details_get_serial (details));
  add_time (builder, "not_before", cradle_cert_details_get_not_before (details));
  add_time (builder, "not_after", cradle_cert_details_get_not_after (details));
  cradlectl_add_string (builder, "sha1", cradle_cert_details_get_sha1 (details));
  cradlectl_add_string (builder, "sha256", cradle_cert_details_get_sha256 (details));
}

static void
print_details_json (CradleCertDetails *details)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GPtrArray *chain = cradle_cert_details_get_chain (details);

  json_builder_begin_object (builder);
  add_outline (builder, details);
  cradlectl_add_string (builder, "key_origin", cradle_cert_details_get_key_origin (details));
  json_builder_set_member_name (builder, "has_key");
  json_builder_add_boolean_value (builder, cradle_device_cert_get_key_id (
                                              cradle_cert_details_get_device_cert (details)) != NULL);
  cradlectl_add_string (builder, "template", cradle_cert_details_get_template (details));
  add_strv (builder, "sans", cradle_cert_details_get_sans (details));
  json_builder_set_member_name (builder, "sans_omitted");
  json_builder_add_int_value (builder, cradle_cert_details_get_sans_omitted (details));
  add_strv (builder, "ekus", cradle_cert_details_get_ekus (details));
  add_strv (builder, "key_usage", cradle_cert_details_get_key_usage (details));
  json_builder_set_member_name (builder, "is_ca");
  json_builder_add_boolean_value (builder, cradle_cert_details_is_ca (details));
  json_builder_set_member_name (builder, "chain");
  json_builder_begin_array (builder);
  for (guint i = 0; i < chain->len; i++)
    {
      json_builder_begin_object (builder);
      add_outline (builder, g_ptr_array_index (chain, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "chain_complete");
  json_builder_add_boolean_value (builder, cradle_cert_details_chain_is_complete (details));
  cradlectl_add_string (builder, "chain_problem", cradle_cert_details_get_chain_problem (details));
  add_strv (builder, "problems", cradle_cert_details_get_problems (details));
  json_builder_end_object (builder);
  cradlectl_print_json (builder);
}

/* One value per line under a label; @none when there are none. */
static void
print_list (const char         *label,
            const char * const *values,
            const char         *none)
{
  if (values == NULL || values[0] == NULL)
    {
      g_print ("%-11s %s\n", label, none);
      return;
    }
  for (gsize i = 0; values[i] != NULL; i++)
    g_print ("%-11s %s\n", i == 0 ? label : "", values[i]);
}

static const char *
describe_key_origin (const char *origin)
{
  if (g_strcmp0 (origin, "generated") == 0)
    return "made on the device (it never left it)";
  if (g_strcmp0 (origin, "imported") == 0)
    return "imported from a file (not made on the device: copies may exist elsewhere)";
  if (g_strcmp0 (origin, "unknown") == 0)
    return "on the device, of an origin it names that Cradle does not know";
  return "none on the device";
}

static void
print_details (CradleCertDetails *details)
{
  GPtrArray *chain = cradle_cert_details_get_chain (details);
  g_autofree char *not_before = g_date_time_format (cradle_cert_details_get_not_before (details), "%F %T UTC");
  g_autofree char *not_after = g_date_time_format (cradle_cert_details_get_not_after (details), "%F %T UTC");
  const char * const *key_usage = cradle_cert_details_get_key_usage (details);
  g_autofree char *usage = key_usage[0] != NULL ? g_strjoinv (", ", (char **) key_usage) : NULL;

  /* Every text from the certificate is escaped already (cradle-cert-details.h). */
  g_print ("%-11s %s\n", "Subject", cradle_cert_details_get_subject (details));
  g_print ("%-11s %s\n", "Issuer", cradle_cert_details_get_issuer (details));
  g_print ("%-11s %s (%s)\n", "Store", cradle_cert_details_get_store (details),
           cradle_cert_details_get_scope (details));
  g_print ("%-11s %s\n", "Serial", cradle_cert_details_get_serial (details));
  g_print ("%-11s %s to %s\n", "Valid", not_before, not_after);
  g_print ("%-11s %s\n", "SHA-1", cradle_cert_details_get_sha1 (details));
  g_print ("%-11s %s\n", "SHA-256", cradle_cert_details_get_sha256 (details));
  g_print ("%-11s %s\n", "Key", describe_key_origin (cradle_cert_details_get_key_origin (details)));
  if (cradle_cert_details_get_template (details) != NULL)
    g_print ("%-11s %s\n", "Template", cradle_cert_details_get_template (details));
  print_list ("Names", cradle_cert_details_get_sans (details), "(none)");
  if (cradle_cert_details_get_sans_omitted (details) > 0)
    g_print ("%-11s (and %u more, not shown)\n", "", cradle_cert_details_get_sans_omitted (details));
  print_list ("Uses", cradle_cert_details_get_ekus (details), "(any: no extended key usage)");
  g_print ("%-11s %s\n", "Key usage", usage != NULL ? usage : "(not restricted)");
  if (cradle_cert_details_is_ca (details))
    g_print ("%-11s %s\n", "CA", "yes: it may issue certificates");
  for (guint i = 0; i < chain->len; i++)
    {
      CradleCertDetails *link = g_ptr_array_index (chain, i);

      g_print ("%-11s %u. %s (%s store, SHA-256 %s)\n", i == 0 ? "Chain" : "", i + 1,
               cradle_cert_details_get_subject (link), cradle_cert_details_get_store (link),
               cradle_cert_details_get_sha256 (link));
    }
  if (cradle_cert_details_chain_is_complete (details))
    g_print ("%-11s %s\n", chain->len == 0 ? "Chain" : "",
             chain->len == 0 ? "self-signed" : "complete, to a self-signed root");
  else
    g_print ("%-11s %s\n", chain->len == 0 ? "Chain" : "", cradle_cert_details_get_chain_problem (details));
  print_list ("Problems", cradle_cert_details_get_problems (details), "none");
}

static int
certs_show (CertsOptions *options,
            const char   *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertDetails) details = find_details (options, query, NULL, &error);

  if (details == NULL)
    return cradlectl_report_error (error, options->json);
  if (options->json)
    print_details_json (details);
  else
    print_details (details);
  return CRADLECTL_EXIT_DONE;
}

static int
certs_export (CertsOptions *options,
              const char   *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertDetails) details = find_details (options, query, NULL, &error);
  CradleCertFormat format = options->der ? CRADLE_CERT_FORMAT_DER : CRADLE_CERT_FORMAT_PEM;
  g_autoptr(GBytes) data = NULL;

  if (details == NULL)
    return cradlectl_report_error (error, options->json);
  if (options->output != NULL && g_strcmp0 (options->output, "-") != 0)
    {
      if (!cradle_cert_details_export_to_file (details, format, options->output, &error))
        return cradlectl_report_error (error, options->json);
      if (options->json)
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();

          json_builder_begin_object (builder);
          cradlectl_add_string (builder, "exported", cradle_cert_details_get_sha256 (details));
          cradlectl_add_string (builder, "format", options->der ? "der" : "pem");
          cradlectl_add_string (builder, "output", options->output);
          json_builder_end_object (builder);
          cradlectl_print_json (builder);
        }
      else
        g_printerr ("Wrote '%s' (%s) to %s.\n", cradle_cert_details_get_subject (details),
                    options->der ? "DER" : "PEM", options->output);
      return CRADLECTL_EXIT_DONE;
    }
  if (options->der && isatty (STDOUT_FILENO))
    {
      g_set_error_literal (&error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                           "DER is binary and standard output is a terminal: give --output FILE, or redirect it.");
      return cradlectl_report_error (error, options->json);
    }
  /* The certificate's own bytes: past the sanitiser that guards g_print(),
   * which would change DER.  PEM is base64 and the armour lines only. */
  data = cradle_cert_details_export (details, format);
  if (fwrite (g_bytes_get_data (data, NULL), 1, g_bytes_get_size (data), stdout) != g_bytes_get_size (data))
    {
      g_set_error_literal (&error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                           "Could not write the certificate to standard output.");
      return cradlectl_report_error (error, FALSE);
    }
  return CRADLECTL_EXIT_DONE;
}

static void
on_waiting (CradleDevice *device,
            guint         status,
            const char   *prompt,
            gpointer      user_data)
{
  gboolean *shown = user_data;

  if (status == 1 && !*shown)
    {
      g_autofree char *text = cradle_text_escape (prompt != NULL ? prompt : "", -1, CRADLE_TEXT_ESCAPE_KEEP_LINES);

      g_printerr ("Confirm on the device. It asks:\n%s\n", text);
      *shown = TRUE;
    }
}

static int
certs_remove (CertsOptions *options,
              const char   *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(CradleCertDetails) details = find_details (options, query, &device, &error);
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(GError) state_error = NULL;
  gboolean shown = FALSE;
  gboolean had_key;
  gulong handler;
  gboolean removed;

  if (details == NULL)
    return cradlectl_report_error (error, options->json);
  /* The journal is a record, not a condition: a removal goes on without it. */
  if (!cradlectl_open_state (&store, &journal, &state_error))
    g_printerr ("cradlectl: the journal is not written: %s\n", state_error->message);
  had_key = cradle_device_cert_get_key_id (cradle_cert_details_get_device_cert (details)) != NULL;
  handler = g_signal_connect (device, "waiting", G_CALLBACK (on_waiting), &shown);
  removed = cradle_cert_details_remove (details, device, journal, NULL, &error);
  g_signal_handler_disconnect (device, handler);
  if (!removed)
    return cradlectl_report_error (error, options->json);
  if (options->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "removed", cradle_cert_details_get_sha256 (details));
      cradlectl_add_string (builder, "serial", cradle_cert_details_get_serial (details));
      cradlectl_add_string (builder, "store", cradle_cert_details_get_store (details));
      json_builder_set_member_name (builder, "key_retired");
      json_builder_add_boolean_value (builder, had_key);
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
    }
  else
    g_print ("Removed '%s' (serial %s) from the device's %s store%s.\n", cradle_cert_details_get_subject (details),
             cradle_cert_details_get_serial (details), cradle_cert_details_get_store (details),
             had_key ? "; its key is retired" : "");
  return CRADLECTL_EXIT_DONE;
}

/* `cradlectl certs show|export|remove CERT [options]`; @argv[0] is the action. */
static int
certs_action (int    argc,
              char **argv)
{
  g_autofree char *device = NULL;
  g_autofree char *output = NULL;
  CertsOptions options = { 0 };
  const char *action = argv[0];
  GOptionEntry entries[] = {
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, "The device, by id or serial", "ID" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json, "Print JSON for scripts", NULL },
    G_OPTION_ENTRY_NULL
  };
  GOptionEntry export_entries[] = {
    { "der", 0, 0, G_OPTION_ARG_NONE, &options.der, "DER instead of PEM", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Write to FILE (atomically) instead of standard output", "FILE" },
    G_OPTION_ENTRY_NULL
  };
  g_autofree char *summary = g_strdup_printf ("%s CERT - %s", action,
                                              g_str_equal (action, "show") ? "a certificate's details"
                                              : g_str_equal (action, "export") ? "write a certificate as PEM or DER"
                                              : "remove a certificate (the device asks its user)");
  g_autoptr(GOptionContext) context = g_option_context_new (summary);
  g_autoptr(GError) error = NULL;

  g_option_context_set_description (context, "CERT is the certificate's serial number or the start of its "
                                    "SHA-256 fingerprint (at least 4 hex digits), as 'cradlectl certs' lists them.");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, cradlectl_token_entries (), NULL);
  if (g_str_equal (action, "export"))
    g_option_context_add_main_entries (context, export_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl certs %s: %s\n", action, error->message);
      return CRADLECTL_EXIT_OTHER;
    }
  if (argc != 2)
    {
      g_printerr ("cradlectl certs %s: name one certificate: its serial or the start of its SHA-256 fingerprint\n",
                  action);
      return CRADLECTL_EXIT_OTHER;
    }
  options.device = device;
  options.output = output;
  if (g_str_equal (action, "show"))
    return certs_show (&options, argv[1]);
  if (g_str_equal (action, "export"))
    return certs_export (&options, argv[1]);
  return certs_remove (&options, argv[1]);
}

/* `cradlectl certs`: the list, as it always was. */
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

  /* One certificate: cradlectl-certs.c. */
  if (argc >= 2 && (g_str_equal (argv[1], "show") || g_str_equal (argv[1], "export") ||
                    g_str_equal (argv[1], "remove")))
    return certs_action (argc - 1, argv + 1);
  g_option_context_set_description (context, "Commands for one certificate (CERT: its serial or the start of its "
                                    "SHA-256 fingerprint):\n"
                                    "  cradlectl certs show CERT            its details\n"
                                    "  cradlectl certs export CERT [--der] [--output FILE]\n"
                                    "  cradlectl certs remove CERT          remove it; the device asks its user");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, cradlectl_token_entries (), NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl certs: %s\n", error->message);
      return CRADLECTL_EXIT_OTHER;
    }
  if ((devices = cradlectl_open_devices (&error)) == NULL ||
      (device = cradlectl_choose_device (devices, wanted, &error)) == NULL ||
      !cradlectl_pair_device (device, &error) ||
      /* A token's private keys, and so which certificate has one, show after its PIN. */
      (cradlectl_has_pin_file () && !cradlectl_log_in_device (device, &error)) ||
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
