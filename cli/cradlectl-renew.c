/* cradlectl-renew.c: `cradlectl renew [CERT | --due | --all]`, `cradlectl renew --remove CERT`
 *
 * A renewal is an enrollment run with the old certificate
 * (cradle_enrollment_set_renewal()) for the type it came from: the type of
 * the request that installed it (the pending store), or the one given with
 * --type or --template.  Before renewing, what an earlier renewal left
 * undone (its old certificate still on the device) is finished.
 */
#include "config.h"

#include "cradlectl-format.h"
#include "cradlectl-private.h"

typedef struct {
  CradlectlDomainOptions *options;
  CradleCredentials      *credentials;
  CradlePendingStore     *store;
  CradleJournal          *journal;
  CradleDevice           *device;
  GPtrArray              *requests;     /* every stored request, for the types */
  GPtrArray              *custom_types;
  CradleTypeLookup       *lookup;       /* nullable until a template is needed */
  GCancellable           *cancellable;
  const char             *type_name;
  const char             *template_name;
} Renew;

/* A certificate named on the command line: its SHA-256 (a prefix of at
 * least 8 hex digits, colons allowed) or its serial, as 'cradlectl certs'
 * shows them. */
static gboolean
matches (CradleCertificate *certificate,
         const char        *wanted)
{
  g_autoptr(GString) hex = g_string_new (NULL);

  if (g_ascii_strcasecmp (cradle_certificate_get_serial (certificate), wanted) == 0)
    return TRUE;
  for (const char *p = wanted; *p != '\0'; p++)
    {
      if (*p == ':')
        continue;
      if (!g_ascii_isxdigit (*p))
        return FALSE;
      g_string_append_c (hex, g_ascii_tolower (*p));
    }
  return hex->len >= 8 && g_str_has_prefix (cradle_certificate_get_sha256 (certificate), hex->str);
}

static void
stop_lookup (Renew *renew)
{
  if (renew->lookup == NULL)
    return;
  cradle_type_lookup_stop (renew->lookup);
  g_clear_object (&renew->lookup);
}

static CradleCertType *
template_type (Renew       *renew,
               const char  *template_name,
               CradleCertType *custom,
               GError     **error)
{
  if (renew->lookup == NULL)
    renew->lookup = cradle_type_lookup_new (renew->options->domain, renew->options->dc_uri, renew->credentials,
                                            renew->cancellable);
  return cradle_type_lookup_dup_type (renew->lookup, template_name, custom, renew->cancellable, error);
}

/* The stored request that installed @certificate on the device. */
static CradlePendingRequest *
installing_request (Renew             *renew,
                    CradleCertificate *certificate)
{
  for (guint i = 0; i < renew->requests->len; i++)
    {
      CradlePendingRequest *request = g_ptr_array_index (renew->requests, i);
      CradleCertificate *leaf = cradle_pending_request_get_leaf (request);

      if (leaf != NULL &&
          g_strcmp0 (cradle_pending_request_get_device_serial (request), cradle_device_get_serial (renew->device)) == 0 &&
          g_bytes_equal (cradle_certificate_get_der (leaf), cradle_certificate_get_der (certificate)))
        return request;
    }
  return NULL;
}

static CradleCertType *
type_of (Renew              *renew,
         CradleCertificate  *certificate,
         GError            **error)
{
  CradlePendingRequest *request;
  CradleCertType *custom;

  if (renew->template_name != NULL)
    return template_type (renew, renew->template_name, NULL, error);
  if (renew->type_name != NULL)
    {
      custom = cradle_cert_type_find (renew->custom_types, renew->type_name);
      if (custom == NULL)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                       "There is no certificate type '%s' in types.d.", renew->type_name);
          return NULL;
        }
      return cradle_type_lookup_reads_catalog (custom) ? template_type (renew, NULL, custom, error)
                                                       : g_object_ref (custom);
    }
  request = installing_request (renew, certificate);
  if (request == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "Cradle did not install the certificate with serial %s, so it does not know its type. "
                   "Name it with --type or --template.", cradle_certificate_get_serial (certificate));
      return NULL;
    }
  custom = cradle_cert_type_find_for_endpoint (renew->custom_types, cradle_pending_request_get_connector (request),
                                               cradle_pending_request_get_endpoint (request),
                                               cradle_pending_request_get_template_name (request));
  if (custom != NULL)
    return cradle_type_lookup_reads_catalog (custom) ? template_type (renew, NULL, custom, error)
                                                     : g_object_ref (custom);
  if (cradle_pending_request_get_template_name (request) != NULL)
    return template_type (renew, cradle_pending_request_get_template_name (request), NULL, error);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
               "No configured certificate type sends requests to %s any more, so the certificate with serial "
               "%s cannot be renewed the way it was made. Name a type with --type or --template.",
               cradle_pending_request_get_endpoint (request), cradle_certificate_get_serial (certificate));
  return NULL;
}

/* The renewal window of @certificate, as `cradlectl status` sees it. */
static gboolean
is_due (CradleCertificate *certificate,
        CradleCertType    *type)
{
  return cradle_renewal_is_due (certificate, type, g_get_real_time () / G_USEC_PER_SEC);
}

static void
report_skipped (CradleCertificate *certificate,
                const GError      *error,
                gboolean           json,
                JsonBuilder       *skipped)
{
  if (json)
    {
      json_builder_begin_object (skipped);
      cradlectl_add_string (skipped, "serial", cradle_certificate_get_serial (certificate));
      cradlectl_add_string (skipped, "sha256", cradle_certificate_get_sha256 (certificate));
      cradlectl_add_error_members (skipped, error);
      json_builder_end_object (skipped);
      return;
    }
  g_printerr ("cradlectl: serial %s: ", cradle_certificate_get_serial (certificate));
  cradlectl_print_error (error);
}

/* The remove mode: @wanted out of the device's MY store, its user confirming. */
static CradlectlExit
remove_one (Renew       *renew,
            GPtrArray   *mine,
            const char  *wanted,
            gboolean     json)
{
  g_autoptr(GError) error = NULL;
  CradleCertificate *found = NULL;

  for (guint i = 0; i < mine->len && found == NULL; i++)
    if (matches (g_ptr_array_index (mine, i), wanted))
      found = g_ptr_array_index (mine, i);
  if (found == NULL)
    {
      g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The device has no certificate of its own with serial or SHA-256 '%s'. 'cradlectl certs' "
                   "lists them.", wanted);
      return cradlectl_report_error (error, json);
    }
  if (!cradle_renewal_remove_certificate (renew->device, found, renew->journal, renew->cancellable, &error))
    return cradlectl_report_error (error, json);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "removed", cradle_certificate_get_sha256 (found));
      cradlectl_add_string (builder, "serial", cradle_certificate_get_serial (found));
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
    }
  else
    g_print ("Removed the certificate with serial %s from the device.\n", cradle_certificate_get_serial (found));
  return CRADLECTL_EXIT_DONE;
}

/* The device's own certificates (MY, with a key), parsed. */
static GPtrArray *
list_mine (Renew      *renew,
           GPtrArray **key_ids,
           GError    **error)
{
  g_autoptr(GPtrArray) certs = cradle_device_list_certs (renew->device, "MY", NULL, renew->cancellable, error);
  g_autoptr(GPtrArray) mine = g_ptr_array_new_with_free_func (g_object_unref);

  *key_ids = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  if (certs == NULL)
    return NULL;
  for (guint i = 0; i < certs->len; i++)
    {
      CradleDeviceCert *cert = g_ptr_array_index (certs, i);
      CradleCertificate *parsed;

      if (cradle_device_cert_get_key_id (cert) == NULL)
        continue;
      parsed = cradle_certificate_new_from_der (cradle_device_cert_get_der (cert), NULL);
      if (parsed == NULL)
        continue;
      g_ptr_array_add (mine, parsed);
      g_ptr_array_add (*key_ids, g_bytes_ref (cradle_device_cert_get_key_id (cert)));
    }
  return g_steal_pointer (&mine);
}

static gboolean
open_all (Renew       *renew,
          const char  *wanted_device,
          GError     **error)
{
  g_autoptr(GPtrArray) devices = NULL;

  renew->credentials = cradlectl_dup_credentials (renew->options, error);
  if (renew->credentials == NULL || !cradlectl_open_state (&renew->store, &renew->journal, error))
    return FALSE;
  devices = cradlectl_open_devices (error);
  if (devices == NULL || (renew->device = cradlectl_choose_device (devices, wanted_device, error)) == NULL)
    return FALSE;
  if (cradle_device_get_serial (renew->device) == NULL && !cradle_device_open (renew->device, NULL, error))
    return FALSE;
  if (!cradlectl_log_in_device (renew->device, error))
    return FALSE;
  renew->requests = cradle_pending_store_list (renew->store, CRADLE_PENDING_LIST_ALL, error);
  if (renew->requests == NULL)
    return FALSE;
  renew->custom_types = cradlectl_list_custom_types ();
  return TRUE;
}

static void
renew_clear (Renew *renew)
{
  stop_lookup (renew);
  g_clear_object (&renew->credentials);
  g_clear_object (&renew->store);
  g_clear_object (&renew->journal);
  g_clear_object (&renew->device);
  g_clear_pointer (&renew->requests, g_ptr_array_unref);
  g_clear_pointer (&renew->custom_types, g_ptr_array_unref);
  g_clear_object (&renew->cancellable);
}

int
cradlectl_renew (int    argc,
                 char **argv)
{
  CradlectlDomainOptions options = { 0 };
  g_autofree GOptionEntry *domain_entries = cradlectl_domain_entries (&options);
  g_autofree char *wanted_device = NULL;
  g_autofree char *type_name = NULL;
  g_autofree char *template_name = NULL;
  g_autofree char *remove = NULL;
  gboolean due = FALSE;
  gboolean all = FALSE;
  GOptionEntry entries[] = {
    { "due", 0, 0, G_OPTION_ARG_NONE, &due, "Every certificate in its renewal window", NULL },
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, "Every certificate of the device", NULL },
    { "device", 0, 0, G_OPTION_ARG_STRING, &wanted_device, "The device, by id or serial", "ID" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_name, "Renew for this type (types.d)", "NAME" },
    { "template", 0, 0, G_OPTION_ARG_STRING, &template_name, "Renew for this template", "NAME" },
    { "remove", 0, 0, G_OPTION_ARG_STRING, &remove,
      "Remove a certificate (revoked or replaced) from the device; the device asks its user", "CERT" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[CERT | --due | --all] - renew certificates on a device");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) mine = NULL;
  g_autoptr(GPtrArray) key_ids = NULL;
  g_autoptr(JsonBuilder) results = NULL;
  g_autoptr(JsonBuilder) skipped = NULL;
  Renew renew = { .options = &options, .cancellable = g_cancellable_new () };
  CradlectlExit code = CRADLECTL_EXIT_DONE;
  const char *wanted = NULL;
  guint removed = 0;
  guint renewed = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, cradlectl_token_entries (), NULL);
  g_option_context_add_main_entries (context, domain_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl renew: %s\n", error->message);
      cradlectl_domain_options_clear (&options);
      g_clear_object (&renew.cancellable);
      return CRADLECTL_EXIT_OTHER;
    }
  cradlectl_domain_options_resolve (&options);
  if (argc == 2)
    wanted = argv[1];
  if (argc > 2 || (remove != NULL) + (wanted != NULL) + due + all != 1 ||
      (type_name != NULL && template_name != NULL))
    {
      g_printerr ("cradlectl renew: give one certificate (its SHA-256 or serial, as 'cradlectl certs' shows "
                  "it), --due, --all, or --remove CERT; and at most one of --type and --template\n");
      cradlectl_domain_options_clear (&options);
      g_clear_object (&renew.cancellable);
      return CRADLECTL_EXIT_OTHER;
    }
  renew.type_name = type_name;
  renew.template_name = template_name;

  if (!open_all (&renew, wanted_device, &error) || (mine = list_mine (&renew, &key_ids, &error)) == NULL)
    {
      code = cradlectl_report_error (error, options.json);
      goto out;
    }
  if (remove != NULL)
    {
      code = remove_one (&renew, mine, remove, options.json);
      goto out;
    }

  /* What an earlier renewal left: its old certificate still on the device. */
  if (!cradle_renewal_finish_replacements (renew.device, renew.store, renew.journal, &removed, renew.cancellable,
                                           &error))
    {
      code = cradlectl_report_error (error, options.json);
      goto out;
    }
  if (removed > 0 && !options.json)
    g_print ("Removed %u certificate%s an earlier renewal replaced.\n", removed, removed == 1 ? "" : "s");
  if (removed > 0)
    {
      g_clear_pointer (&mine, g_ptr_array_unref);
      g_clear_pointer (&key_ids, g_ptr_array_unref);
      mine = list_mine (&renew, &key_ids, &error);
      if (mine == NULL)
        {
          code = cradlectl_report_error (error, options.json);
          goto out;
        }
    }

  if (options.json)
    {
      results = json_builder_new ();
      json_builder_begin_array (results);
      skipped = json_builder_new ();
      json_builder_begin_array (skipped);
    }
  for (guint i = 0; i < mine->len; i++)
    {
      CradleCertificate *old = g_ptr_array_index (mine, i);
      g_autoptr(CradleCertType) type = NULL;
      g_autoptr(CradleEnrollment) enrollment = NULL;
      g_autoptr(GError) type_error = NULL;
      CradlectlExit one;

      if (wanted != NULL && !matches (old, wanted))
        continue;
      type = type_of (&renew, old, &type_error);
      /* --due: a certificate of no known type that is not due either
       * (by the default window) is nothing to report. */
      if (type == NULL && due && !is_due (old, NULL))
        continue;
      if (type == NULL)
        {
          /* --due and --all go on with the others. */
          if (wanted != NULL || code == CRADLECTL_EXIT_DONE)
            code = cradlectl_exit_for_error (type_error);
          report_skipped (old, type_error, options.json, skipped);
          if (wanted != NULL)
            break;
          continue;
        }
      if (due && !is_due (old, type))
        continue;
      if (!options.json)
        {
          g_autofree char *subject = cradlectl_text (cradle_certificate_get_subject (old));

          g_print ("Renewing %s (serial %s) for '%s':\n", subject, cradle_certificate_get_serial (old),
                   cradle_cert_type_get_display_name (type));
        }
      enrollment = cradle_enrollment_new (renew.device, type, renew.credentials, renew.store, renew.journal);
      cradle_enrollment_set_renewal (enrollment, old, g_ptr_array_index (key_ids, i));
      one = cradlectl_run_enrollment (enrollment, options.json, results, renew.cancellable);
      renewed++;
      if (code == CRADLECTL_EXIT_DONE)
        code = one;
      if (wanted != NULL)
        break;
    }
  if (wanted != NULL && renewed == 0 && code == CRADLECTL_EXIT_DONE)
    {
      g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The device has no certificate of its own with serial or SHA-256 '%s'. 'cradlectl certs' "
                   "lists them.", wanted);
      code = cradlectl_report_error (error, options.json);
      goto out;
    }
  if (options.json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) renewals = NULL;
      g_autoptr(JsonNode) skips = NULL;

      json_builder_end_array (results);
      json_builder_end_array (skipped);
      renewals = json_builder_get_root (results);
      skips = json_builder_get_root (skipped);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "renewals");
      json_builder_add_value (builder, g_steal_pointer (&renewals));
      json_builder_set_member_name (builder, "skipped");
      json_builder_add_value (builder, g_steal_pointer (&skips));
      json_builder_set_member_name (builder, "replaced_removed");
      json_builder_add_int_value (builder, removed);
      json_builder_set_member_name (builder, "exit_code");
      json_builder_add_int_value (builder, code);
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
    }
  else if (renewed == 0)
    g_print ("%s\n", due ? "No certificate on the device is due for renewal." : "Nothing to renew.");

out:
  renew_clear (&renew);
  cradlectl_domain_options_clear (&options);
  return code;
}
