/* cradlectl-templates.c: `cradlectl templates`, every certificate type and whether you may enroll */
#include "config.h"

#include "cradlectl-format.h"
#include "cradlectl-private.h"

/* What one template asks for, even when no request can be made for it. */
typedef struct {
  const char *key_algorithm;
  guint       key_size;
  const char *subject_mode;
} KeySummary;

static void
summarize (CradleTemplate      *template,
           CradleDirectoryUser *user,
           KeySummary          *summary)
{
  g_autoptr(CradleRequestPolicy) policy = cradle_request_policy_new (template, user, NULL, NULL);
  const char *cng = cradle_template_get_cng_algorithm (template);
  guint32 name_flags = cradle_template_get_name_flags (template);

  if (policy != NULL)
    {
      summary->key_algorithm = g_str_equal (cradle_request_policy_get_key_algorithm (policy), "EC") ? "EC" : "RSA";
      summary->key_size = cradle_request_policy_get_key_size (policy);
      summary->subject_mode = cradle_request_policy_get_subject_mode (policy) == CRADLE_SUBJECT_SUPPLIED
                                ? "supplied" : "directory";
      return;
    }
  summary->key_algorithm = cng != NULL && (g_str_has_prefix (cng, "ECDSA") || g_str_has_prefix (cng, "ECDH"))
                             ? "EC" : "RSA";
  summary->key_size = cradle_template_get_minimal_key_size (template);
  summary->subject_mode = (name_flags & (CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_SUBJECT |
                                         CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_ALT_NAME)) ? "supplied" : "directory";
}

static const char *
enrollability_to_string (CradleEnrollability enrollability)
{
  switch (enrollability)
    {
    case CRADLE_ENROLLABILITY_ENROLLABLE: return "enrollable";
    case CRADLE_ENROLLABILITY_NEEDS_APPROVAL: return "needs-approval";
    case CRADLE_ENROLLABILITY_NOT_PUBLISHED: return "not-published";
    case CRADLE_ENROLLABILITY_NOT_PERMITTED: return "not-permitted";
    case CRADLE_ENROLLABILITY_MISSING_ATTRIBUTE: return "missing-attribute";
    case CRADLE_ENROLLABILITY_UNSUPPORTED: return "unsupported";
    case CRADLE_ENROLLABILITY_DAMAGED:
    default: return "damaged";
    }
}

static gboolean
is_enrollable (CradleEnrollability enrollability)
{
  return enrollability == CRADLE_ENROLLABILITY_ENROLLABLE ||
         enrollability == CRADLE_ENROLLABILITY_NEEDS_APPROVAL;
}

/* The CAs that issue @template, whether or not the user may use them. */
static GPtrArray *
dup_issuing_services (CradleCatalog  *catalog,
                      CradleTemplate *template)
{
  GPtrArray *services = cradle_catalog_get_services (catalog);
  GPtrArray *issuing = g_ptr_array_new ();

  for (guint i = 0; i < services->len; i++)
    if (cradle_enrollment_service_publishes (g_ptr_array_index (services, i),
                                             cradle_template_get_name (template)))
      g_ptr_array_add (issuing, g_ptr_array_index (services, i));
  return issuing;
}

static void
add_auth_names (JsonBuilder        *builder,
                CradleEndpointAuth  auth)
{
  static const struct { CradleEndpointAuth bit; const char *name; } names[] = {
    { CRADLE_ENDPOINT_AUTH_ANONYMOUS, "anonymous" },
    { CRADLE_ENDPOINT_AUTH_KERBEROS, "kerberos" },
    { CRADLE_ENDPOINT_AUTH_PASSWORD, "password" },
    { CRADLE_ENDPOINT_AUTH_CERTIFICATE, "certificate" },
  };

  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (auth & names[i].bit)
      json_builder_add_string_value (builder, names[i].name);
  json_builder_end_array (builder);
}

static void
add_service (JsonBuilder             *builder,
             CradleEnrollmentService *service)
{
  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "name", cradle_enrollment_service_get_name (service));
  cradlectl_add_string (builder, "host", cradle_enrollment_service_get_host (service));
  json_builder_set_member_name (builder, "endpoints");
  json_builder_begin_array (builder);
  for (guint i = 0; i < cradle_enrollment_service_get_n_endpoints (service); i++)
    {
      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "uri", cradle_enrollment_service_get_endpoint_uri (service, i));
      json_builder_set_member_name (builder, "auth");
      add_auth_names (builder, cradle_enrollment_service_get_endpoint_auth (service, i));
      json_builder_set_member_name (builder, "priority");
      json_builder_add_int_value (builder, cradle_enrollment_service_get_endpoint_priority (service, i));
      json_builder_set_member_name (builder, "renewal_only");
      json_builder_add_boolean_value (builder, cradle_enrollment_service_get_endpoint_renewal_only (service, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

/* How the user signs in decides a template's connector (cradle-cert-type.h). */
static CradleCredentialsKind
sign_in_kind (CradlectlDomainOptions *options)
{
  return options->password_file != NULL ? CRADLE_CREDENTIALS_PASSWORD : CRADLE_CREDENTIALS_KERBEROS;
}

/* Where requests for @type go. */
static void
add_connector (JsonBuilder    *builder,
               CradleCertType *type)
{
  cradlectl_add_string (builder, "protocol", cradle_cert_type_get_url (type) != NULL || cradle_cert_type_get_policy_url (type) != NULL
                                       ? cradle_ca_protocol_to_string (cradle_cert_type_get_protocol (type)) : NULL);
  cradlectl_add_string (builder, "url", cradle_cert_type_get_url (type));
}

/* An administrator's type (types.d). */
static void
add_custom (JsonBuilder    *builder,
            CradleCertType *type)
{
  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "name", cradle_cert_type_get_name (type));
  cradlectl_add_string (builder, "display_name", cradle_cert_type_get_display_name (type));
  cradlectl_add_string (builder, "kind", "custom");
  json_builder_set_member_name (builder, "enrollable");
  json_builder_add_boolean_value (builder, cradle_cert_type_is_enrollable (type));
  cradlectl_add_string (builder, "status", enrollability_to_string (cradle_cert_type_get_enrollability (type)));
  cradlectl_add_string (builder, "reason", cradle_cert_type_get_reason (type));
  add_connector (builder, type);
  cradlectl_add_string (builder, "policy_url", cradle_cert_type_get_policy_url (type));
  cradlectl_add_string (builder, "template", cradle_cert_type_get_template_name (type));
  cradlectl_add_string (builder, "key_type", cradle_cert_type_get_key_type (type));
  cradlectl_add_string (builder, "auth", cradle_credentials_kind_to_string (cradle_cert_type_get_auth (type)));
  json_builder_set_member_name (builder, "allow_plain_http");
  json_builder_add_boolean_value (builder, cradle_cert_type_get_allow_plain_http (type));
  cradlectl_add_string (builder, "source", cradle_cert_type_get_source (type));
  json_builder_end_object (builder);
}

static void
add_template (JsonBuilder          *builder,
              CradleCatalog        *catalog,
              CradleTemplate       *template,
              CradleCredentialsKind credentials)
{
  g_autoptr(CradleCertType) type = cradle_cert_type_new_for_template (catalog, template, credentials);
  g_autofree char *reason = NULL;
  CradleEnrollability enrollability = cradle_catalog_check (catalog, template, &reason);
  g_autoptr(GPtrArray) services = dup_issuing_services (catalog, template);
  const char *display_name = cradle_template_get_display_name (template);
  KeySummary key;

  summarize (template, cradle_catalog_get_user (catalog), &key);
  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "name", cradle_template_get_name (template));
  cradlectl_add_string (builder, "display_name",
                        display_name != NULL ? display_name : cradle_template_get_name (template));
  json_builder_set_member_name (builder, "schema_version");
  json_builder_add_int_value (builder, cradle_template_get_schema_version (template));
  json_builder_set_member_name (builder, "enrollable");
  json_builder_add_boolean_value (builder, is_enrollable (enrollability));
  cradlectl_add_string (builder, "status", enrollability_to_string (enrollability));
  cradlectl_add_string (builder, "reason", reason);
  cradlectl_add_string (builder, "kind", "template");
  add_connector (builder, type);
  json_builder_set_member_name (builder, "requires_approval");
  json_builder_add_boolean_value (builder, (cradle_template_get_enrollment_flags (template) &
                                            CRADLE_TEMPLATE_PEND_ALL_REQUESTS) != 0);
  cradlectl_add_string (builder, "key_algorithm", key.key_algorithm);
  json_builder_set_member_name (builder, "key_size");
  json_builder_add_int_value (builder, key.key_size);
  cradlectl_add_string (builder, "subject_mode", key.subject_mode);
  json_builder_set_member_name (builder, "cas");
  json_builder_begin_array (builder);
  for (guint i = 0; i < services->len; i++)
    add_service (builder, g_ptr_array_index (services, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
print_json (CradleCatalog        *catalog,
            GPtrArray            *custom,
            CradleCredentialsKind credentials)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GPtrArray *templates = cradle_catalog_get_templates (catalog);

  json_builder_begin_array (builder);
  for (guint i = 0; i < templates->len; i++)
    add_template (builder, catalog, g_ptr_array_index (templates, i), credentials);
  for (guint i = 0; i < custom->len; i++)
    add_custom (builder, g_ptr_array_index (custom, i));
  json_builder_end_array (builder);
  cradlectl_print_json (builder);
}

static void
print_custom_text (GPtrArray *custom)
{
  if (custom->len == 0)
    return;
  g_print ("\nYour administrator's certificate types (cradlectl enroll --type NAME):\n");
  for (guint i = 0; i < custom->len; i++)
    {
      CradleCertType *type = g_ptr_array_index (custom, i);

      g_print ("\n  %s (%s)\n", cradle_cert_type_get_name (type), cradle_cert_type_get_display_name (type));
      if (cradle_cert_type_is_enrollable (type))
        g_print ("    Enroll:  yes.\n");
      else
        g_print ("    Enroll:  no. %s\n", cradle_cert_type_get_reason (type) ?: "");
      g_print ("    CA:      %s at %s%s\n", cradle_ca_protocol_to_string (cradle_cert_type_get_protocol (type)),
               cradle_cert_type_get_url (type) ?: cradle_cert_type_get_policy_url (type),
               cradle_cert_type_get_allow_plain_http (type) ? " (plain HTTP allowed by your administrator)" : "");
    }
}

/* The administrator's types; problems with their files on stderr. */
static GPtrArray *
dup_custom_types (CradleCatalog        *catalog,
                  CradleCredentialsKind credentials)
{
  g_auto(GStrv) problems = NULL;
  g_autoptr(GPtrArray) all = cradle_cert_type_list (catalog, credentials, &problems);
  GPtrArray *custom = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; problems[i] != NULL; i++)
    g_printerr ("cradlectl: ignoring a certificate type: %s\n", problems[i]);
  for (guint i = 0; i < all->len; i++)
    if (cradle_cert_type_get_kind (g_ptr_array_index (all, i)) == CRADLE_CERT_TYPE_CUSTOM)
      g_ptr_array_add (custom, g_object_ref (g_ptr_array_index (all, i)));
  return custom;
}

static void
print_text (CradleCatalog *catalog)
{
  GPtrArray *templates = cradle_catalog_get_templates (catalog);

  g_print ("Certificate types for %s:\n", cradle_directory_user_get_principal_name (cradle_catalog_get_user (catalog))
                                           ?: cradle_directory_user_get_account_name (cradle_catalog_get_user (catalog)));
  for (guint i = 0; i < templates->len; i++)
    {
      CradleTemplate *template = g_ptr_array_index (templates, i);
      g_autofree char *reason = NULL;
      CradleEnrollability enrollability = cradle_catalog_check (catalog, template, &reason);
      g_autoptr(GPtrArray) services = dup_issuing_services (catalog, template);
      KeySummary key;

      /* The directory's words. */
      g_autofree char *name = cradlectl_text (cradle_template_get_name (template));
      g_autofree char *display_name = cradlectl_text (cradle_template_get_display_name (template));
      g_autofree char *reason_line = cradlectl_text (reason);

      summarize (template, cradle_catalog_get_user (catalog), &key);
      g_print ("\n  %s (%s)\n", name, display_name ?: name);
      g_print ("    Enroll:  %s. %s\n", is_enrollable (enrollability) ? "yes" : "no", reason_line);
      g_print ("    Key:     %s %u; subject %s\n", key.key_algorithm, key.key_size,
               g_str_equal (key.subject_mode, "supplied") ? "in the request" : "from the directory");
      for (guint j = 0; j < services->len; j++)
        {
          CradleEnrollmentService *service = g_ptr_array_index (services, j);

          g_print ("    CA:      %s on %s\n", cradle_enrollment_service_get_name (service),
                   cradle_enrollment_service_get_host (service));
        }
    }
}

int
cradlectl_templates (int    argc,
                     char **argv)
{
  CradlectlDomainOptions options = { 0 };
  g_autofree GOptionEntry *entries = cradlectl_domain_entries (&options);
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the certificate types you may enroll for");
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(GPtrArray) custom = NULL;
  g_autoptr(GError) error = NULL;
  const char * const *problems;
  int exit_code = CRADLECTL_EXIT_DONE;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl templates: %s\n", error->message);
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }
  cradlectl_domain_options_resolve (&options);

  directory = cradlectl_open_directory (&options, NULL, &error);
  if (directory != NULL)
    catalog = cradle_catalog_load (directory, NULL, &error);
  if (catalog == NULL)
    {
      exit_code = cradlectl_report_error (error, options.json);
      cradlectl_domain_options_clear (&options);
      return exit_code;
    }

  problems = cradle_catalog_get_problems (catalog);
  for (guint i = 0; problems[i] != NULL; i++)
    g_printerr ("cradlectl: %s\n", problems[i]);
  custom = dup_custom_types (catalog, sign_in_kind (&options));
  if (options.json)
    print_json (catalog, custom, sign_in_kind (&options));
  else
    {
      print_text (catalog);
      print_custom_text (custom);
    }
  cradlectl_domain_options_clear (&options);
  return exit_code;
}
