/* cradlectl-status.c: `cradlectl status`, where each certificate on a device stands */
#include "config.h"

#include "cradlectl-format.h"
#include "cradlectl-private.h"

/* How long a kept catalog still tells templates' renewal periods: they
 * seldom change, and status only reads them. */
#define CATALOG_MAX_AGE_SECONDS (30 * 24 * 3600)

static char *
format_seconds (gint64      seconds,
                gboolean    json,
                const char *format)
{
  gint64 usec = cradlectl_time_usec_from_seconds (seconds);

  return json ? cradlectl_time_format_iso8601 (usec) : cradlectl_time_format_local (usec, format, "-");
}

static const char *
origin_to_string (CradleCertOrigin origin)
{
  switch (origin)
    {
    case CRADLE_CERT_ORIGIN_INSTALLED: return "installed";
    case CRADLE_CERT_ORIGIN_TEMPLATE: return "template";
    default: return NULL;
    }
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       seconds)
{
  g_autofree char *text = seconds > 0 ? format_seconds (seconds, TRUE, NULL) : NULL;

  cradlectl_add_string (builder, name, text);
}

static void
add_status_json (JsonBuilder      *builder,
                 CradleCertStatus *status)
{
  CradleRevocationState state = cradle_cert_status_get_revocation (status);

  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "store", cradle_cert_status_get_store (status));
  cradlectl_add_string (builder, "scope", cradle_cert_status_get_scope (status));
  cradlectl_add_string (builder, "subject", cradle_cert_status_get_subject (status));
  cradlectl_add_string (builder, "issuer", cradle_cert_status_get_issuer (status));
  cradlectl_add_string (builder, "serial", cradle_cert_status_get_serial (status));
  cradlectl_add_string (builder, "sha256", cradle_cert_status_get_sha256 (status));
  cradlectl_add_string (builder, "verdict", cradle_cert_verdict_to_string (cradle_cert_status_get_verdict (status)));
  cradlectl_add_string (builder, "type", cradle_cert_status_get_type_name (status));
  cradlectl_add_string (builder, "type_origin", origin_to_string (cradle_cert_status_get_origin (status)));
  add_time (builder, "not_before", cradle_cert_status_get_not_before (status));
  add_time (builder, "not_after", cradle_cert_status_get_not_after (status));
  add_time (builder, "renew_at", cradle_cert_status_get_renew_at (status));
  cradlectl_add_string (builder, "renewal_rule", cradle_cert_status_get_renewal_rule (status));
  json_builder_set_member_name (builder, "has_key");
  json_builder_add_boolean_value (builder, cradle_cert_status_get_has_key (status));
  json_builder_set_member_name (builder, "revocation");
  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "state", cradle_revocation_state_to_string (state));
  cradlectl_add_string (builder, "method", cradle_cert_status_get_revocation_method (status));
  json_builder_set_member_name (builder, "cached");
  json_builder_add_boolean_value (builder, cradle_cert_status_get_revocation_cached (status));
  add_time (builder, "revoked_at", state == CRADLE_REVOCATION_REVOKED ? cradle_cert_status_get_revoked_at (status) : 0);
  cradlectl_add_string (builder, "reason",
                        state == CRADLE_REVOCATION_REVOKED
                          ? cradle_revocation_reason_to_string (cradle_cert_status_get_revocation_reason (status))
                          : NULL);
  add_time (builder, "next_update", cradle_cert_status_get_revocation_next_update (status));
  cradlectl_add_string (builder, "detail", cradle_cert_status_get_revocation_detail (status));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

static const char *
verdict_words (CradleCertVerdict verdict)
{
  switch (verdict)
    {
    case CRADLE_CERT_VERDICT_VALID: return "valid";
    case CRADLE_CERT_VERDICT_RENEW_SOON: return "renew soon";
    case CRADLE_CERT_VERDICT_EXPIRED: return "expired";
    case CRADLE_CERT_VERDICT_REVOKED: return "REVOKED";
    default: return "unknown";
    }
}

static void
print_revocation (CradleCertStatus *status)
{
  CradleRevocationState state = cradle_cert_status_get_revocation (status);
  const char *method = cradle_cert_status_get_revocation_method (status);
  g_autofree char *until = format_seconds (cradle_cert_status_get_revocation_next_update (status), FALSE,
                                           "%Y-%m-%d %H:%M");
  g_autofree char *detail = cradlectl_text (cradle_cert_status_get_revocation_detail (status));
  const char *source = g_strcmp0 (method, "ocsp") == 0 ? "OCSP" : "the CRL";

  switch (state)
    {
    case CRADLE_REVOCATION_GOOD:
      g_print ("     revocation: good, from %s%s (holds until %s)\n", source,
               cradle_cert_status_get_revocation_cached (status) ? ", kept" : "", until);
      break;
    case CRADLE_REVOCATION_REVOKED:
      {
        g_autofree char *when = format_seconds (cradle_cert_status_get_revoked_at (status), FALSE, "%Y-%m-%d %H:%M");

        g_print ("     revocation: REVOKED on %s (%s), from %s. Stop using it; remove it and enroll again.\n",
                 when, cradle_revocation_reason_to_string (cradle_cert_status_get_revocation_reason (status)),
                 source);
        break;
      }
    case CRADLE_REVOCATION_UNKNOWN:
      g_print ("     revocation: unknown: %s\n", detail);
      break;
    default:
      break;
    }
}

static void
print_status (CradleCertStatus *status)
{
  g_autofree char *store = cradlectl_text (cradle_cert_status_get_store (status));
  g_autofree char *scope = cradlectl_text (cradle_cert_status_get_scope (status));
  g_autofree char *subject = cradlectl_text (cradle_cert_status_get_subject (status));
  g_autofree char *type = cradlectl_text (cradle_cert_status_get_type_name (status));
  g_autofree char *expires = format_seconds (cradle_cert_status_get_not_after (status), FALSE, "%Y-%m-%d %H:%M");
  g_autofree char *renew = format_seconds (cradle_cert_status_get_renew_at (status), FALSE, "%Y-%m-%d %H:%M");
  const char *origin = cradle_cert_status_get_origin (status) == CRADLE_CERT_ORIGIN_INSTALLED
                         ? "recorded at install" : "from its template extension";

  g_print ("%-4s %-6s %s\n", store, scope, subject);
  if (cradle_cert_status_get_renew_at (status) == 0)
    {
      g_print ("     %s, expires %s\n", verdict_words (cradle_cert_status_get_verdict (status)), expires);
      return;
    }
  g_print ("     %s, expires %s, type %s%s%s%s\n", verdict_words (cradle_cert_status_get_verdict (status)), expires,
           type != NULL ? type : "not known",
           type != NULL ? " (" : "", type != NULL ? origin : "", type != NULL ? ")" : "");
  g_print ("     renewal from %s (%s)\n", renew, cradle_cert_status_get_renewal_rule (status));
  print_revocation (status);
  g_print ("     SHA-256 %s\n", cradle_cert_status_get_sha256 (status));
}

/* The catalog kept from the last read, for the templates' renewal periods
 * and names; none (a NULL) is fine. */
static CradleCatalog *
load_kept_catalog (CradleDirectory *directory)
{
  g_autoptr(GError) error = NULL;
  CradleCatalog *catalog;

  if (directory == NULL)
    return NULL;
  catalog = cradle_catalog_load_cached (directory, CATALOG_MAX_AGE_SECONDS, &error);
  if (catalog == NULL)
    g_debug ("No kept catalog for the templates' renewal periods: %s", error->message);
  return catalog;
}

/* 0 when every MY certificate is valid; 8 when one is revoked, expired or
 * due for renewal; else 9 when the revocation of one is unknown. */
static CradlectlExit
exit_for_statuses (GPtrArray *statuses)
{
  gboolean attention = FALSE;
  gboolean unknown = FALSE;

  for (guint i = 0; i < statuses->len; i++)
    {
      CradleCertStatus *status = g_ptr_array_index (statuses, i);

      if (cradle_cert_status_get_renew_at (status) == 0)
        continue;  /* a CA or root certificate */
      switch (cradle_cert_status_get_verdict (status))
        {
        case CRADLE_CERT_VERDICT_RENEW_SOON:
        case CRADLE_CERT_VERDICT_EXPIRED:
        case CRADLE_CERT_VERDICT_REVOKED:
          attention = TRUE;
          break;
        case CRADLE_CERT_VERDICT_UNKNOWN:
          unknown = TRUE;
          break;
        default:
          break;
        }
    }
  if (attention)
    return CRADLECTL_EXIT_ATTENTION;
  return unknown ? CRADLECTL_EXIT_STATUS_UNKNOWN : CRADLECTL_EXIT_DONE;
}

int
cradlectl_status (int    argc,
                  char **argv)
{
  CradlectlDomainOptions options = { 0 };
  g_autofree GOptionEntry *domain_entries = cradlectl_domain_entries (&options);
  g_autofree char *wanted = NULL;
  gboolean refresh = FALSE;
  gboolean offline = FALSE;
  GOptionEntry entries[] = {
    { "device", 0, 0, G_OPTION_ARG_STRING, &wanted, "The device, by id or serial", "ID" },
    { "refresh", 0, 0, G_OPTION_ARG_NONE, &refresh,
      "Ask the OCSP responders and CRL servers again, even where a kept answer still holds", NULL },
    { "offline", 0, 0, G_OPTION_ARG_NONE, &offline,
      "Use only kept revocation answers; ask no server", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("- each certificate on a device: valid, renew soon, expired, revoked or unknown");
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GPtrArray) statuses = NULL;
  g_autoptr(GPtrArray) types = NULL;
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(CradleStatusChecker) checker = cradle_status_checker_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) directory_error = NULL;
  gboolean json;
  int exit_code;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, cradlectl_token_entries (), NULL);
  g_option_context_add_main_entries (context, domain_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc > 1)
    {
      g_printerr ("cradlectl status: %s\n", error != NULL ? error->message : "it takes no arguments");
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }
  cradlectl_domain_options_resolve (&options);
  json = options.json;

  if ((devices = cradlectl_open_devices (&error)) == NULL ||
      (device = cradlectl_choose_device (devices, wanted, &error)) == NULL ||
      !cradlectl_pair_device (device, &error) ||
      /* Status only reads: a token's PIN is used when given, never asked. */
      (cradlectl_has_pin_file () && !cradlectl_log_in_device (device, &error)) ||
      (certs = cradle_device_list_certs (device, NULL, NULL, NULL, &error)) == NULL)
    {
      cradlectl_domain_options_clear (&options);
      return cradlectl_report_error (error, json);
    }

  /* The directory is opened only if an ldap:/// CDP must be read. */
  directory = cradlectl_new_directory (&options, &directory_error);
  cradlectl_domain_options_clear (&options);
  if (directory == NULL)
    g_debug ("No directory session for ldap:/// CDPs: %s", directory_error->message);
  catalog = load_kept_catalog (directory);
  types = cradlectl_list_custom_types ();
  if (!cradlectl_open_state (&store, &journal, &error))
    return cradlectl_report_error (error, json);

  cradle_status_checker_set_directory (checker, directory);
  cradle_status_checker_set_catalog (checker, catalog);
  cradle_status_checker_set_types (checker, types);
  cradle_status_checker_set_pending_store (checker, store);
  cradle_status_checker_set_journal (checker, journal);
  cradle_status_checker_set_refresh (checker, refresh);
  cradle_status_checker_set_online (checker, !offline);
  statuses = cradle_status_checker_check (checker, cradle_device_get_serial (device), certs, NULL, &error);
  if (statuses == NULL)
    return cradlectl_report_error (error, json);
  exit_code = exit_for_statuses (statuses);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "device", cradle_device_get_id (device));
      cradlectl_add_string (builder, "serial", cradle_device_get_serial (device));
      if (cradle_device_get_label (device) != NULL)
        {
          cradlectl_add_string (builder, "pin_state",
                                cradlectl_pin_state_to_string (cradle_device_get_pin_state (device)));
          /* has_key means something only once the token shows its keys. */
          json_builder_set_member_name (builder, "keys_checked");
          json_builder_add_boolean_value (builder, !cradlectl_device_needs_pin (device));
        }
      json_builder_set_member_name (builder, "exit_code");
      json_builder_add_int_value (builder, exit_code);
      json_builder_set_member_name (builder, "certificates");
      json_builder_begin_array (builder);
      for (guint i = 0; i < statuses->len; i++)
        add_status_json (builder, g_ptr_array_index (statuses, i));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
      return exit_code;
    }

  if (statuses->len == 0)
    g_print ("%s has no certificates.\n", cradle_device_get_id (device));
  for (guint i = 0; i < statuses->len; i++)
    print_status (g_ptr_array_index (statuses, i));
  if (cradlectl_device_needs_pin (device))
    {
      g_autofree char *label = cradlectl_text (cradle_device_get_label (device));

      g_print ("The token '%s' shows its keys only after its PIN (%s), so whether each certificate's key is "
               "on it was not checked; give --pin-file FILE to check.\n", label,
               cradlectl_pin_state_to_words (cradle_device_get_pin_state (device)));
    }
  return exit_code;
}
