/* cradlectl-types-test.c: `cradlectl types test`, a certificate type asked of its server */
#include "config.h"

#include "cradlectl-format.h"
#include "cradlectl-private.h"

static CradleCertType *
find_type (const char  *name,
           const char  *file,
           GError     **error)
{
  g_autoptr(GPtrArray) types = NULL;
  CradleCertType *type;

  if (file != NULL)
    return cradle_cert_type_new_from_file (file, NULL, error);

  types = cradlectl_list_custom_types ();
  type = cradle_cert_type_find (types, name);
  if (type == NULL)
    {
      g_autofree char *shown = cradlectl_text (name);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "There is no certificate type '%s' in types.d. 'cradlectl types list' shows "
                   "them; --file tests a type file before it is saved.", shown);
      return NULL;
    }
  return g_object_ref (type);
}

static const char *
fingerprint_to_string (CradleTypeProbeFingerprint match)
{
  switch (match)
    {
    case CRADLE_TYPE_PROBE_FINGERPRINT_MATCHES: return "matches";
    case CRADLE_TYPE_PROBE_FINGERPRINT_DIFFERS: return "differs";
    case CRADLE_TYPE_PROBE_FINGERPRINT_UNKNOWN: return "unknown";
    case CRADLE_TYPE_PROBE_FINGERPRINT_NOT_SET:
    default: return NULL;
    }
}

static const char *
template_to_string (CradleTypeProbeTemplate offered)
{
  switch (offered)
    {
    case CRADLE_TYPE_PROBE_TEMPLATE_OFFERED: return "offered";
    case CRADLE_TYPE_PROBE_TEMPLATE_NOT_OFFERED: return "not-offered";
    case CRADLE_TYPE_PROBE_TEMPLATE_NOT_ASKED:
    default: return NULL;
    }
}

/* The command-line contract: 0 all well; 2 the server is not the one the
 * type trusts (TLS, the SCEP CA's pin or anchors) or refuses its template;
 * 3 unreachable; 4 the type or the sign-in is incomplete; 7 other. */
static CradlectlExit
exit_for_probe (CradleTypeProbe *probe)
{
  const GError *error = cradle_type_probe_get_error (probe);
  CradleExplainKind kind;
  guint32 code;

  if (error == NULL)
    return CRADLECTL_EXIT_DONE;
  if (cradle_type_probe_get_template_offered (probe) == CRADLE_TYPE_PROBE_TEMPLATE_NOT_OFFERED ||
      cradle_type_probe_get_fingerprint_match (probe) == CRADLE_TYPE_PROBE_FINGERPRINT_DIFFERS)
    return CRADLECTL_EXIT_REFUSED;
  /* GetCACert was read, and then did not verify against the anchors. */
  if (cradle_type_probe_get_protocol (probe) == CRADLE_CA_PROTOCOL_SCEP &&
      cradle_type_probe_get_ca_fingerprint (probe) != NULL)
    return CRADLECTL_EXIT_REFUSED;
  if (cradle_explain_get_detail (error, &kind, &code) && kind == CRADLE_EXPLAIN_TLS &&
      code != CRADLE_TLS_FAILURE_HANDSHAKE && code != CRADLE_TLS_FAILURE_CLIENT_CERT_REQUIRED)
    return CRADLECTL_EXIT_REFUSED;
  return cradlectl_exit_for_error (error);
}

/* As cradlectl_add_error_members(), without an exit code of its own: the
 * test's is the one at the top. */
static void
add_error_members (JsonBuilder  *builder,
                   const GError *error)
{
  const CradleExplanation *explanation = cradle_explain_error (error);

  cradlectl_add_string (builder, "code",
                        error->domain == CRADLE_ERROR ? cradle_error_to_string (error->code) : "failed");
  cradlectl_add_string (builder, "message", error->message);
  if (!cradle_explanation_is_generic (explanation))
    cradlectl_add_string (builder, "detail", cradle_explanation_get_name (explanation));
  cradlectl_add_string (builder, "explanation", cradle_explanation_get_summary (explanation));
  cradlectl_add_string (builder, "next_step", cradle_explanation_get_user_action (explanation));
}

static void
print_json (CradleCertType  *type,
            CradleTypeProbe *probe,
            CradlectlExit    exit_code)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char * const *findings = cradle_type_probe_get_findings (probe);
  GPtrArray *certificates = cradle_type_probe_get_ca_certificates (probe);
  const GError *error = cradle_type_probe_get_error (probe);

  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "type", cradle_cert_type_get_name (type));
  cradlectl_add_string (builder, "protocol", cradle_ca_protocol_to_string (cradle_type_probe_get_protocol (probe)));
  cradlectl_add_string (builder, "url", cradle_type_probe_get_url (probe));
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, cradle_type_probe_get_ok (probe));
  json_builder_set_member_name (builder, "findings");
  json_builder_begin_array (builder);
  for (guint i = 0; findings[i] != NULL; i++)
    json_builder_add_string_value (builder, findings[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "ca_certificates");
  json_builder_begin_array (builder);
  for (guint i = 0; i < certificates->len; i++)
    {
      CradleCertificate *certificate = g_ptr_array_index (certificates, i);
      g_autofree char *subject = cradle_text_escape (cradle_certificate_get_subject (certificate), -1,
                                                     CRADLE_TEXT_ESCAPE_DEFAULT);

      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "subject", subject);
      cradlectl_add_string (builder, "sha256", cradle_certificate_get_sha256 (certificate));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  cradlectl_add_string (builder, "capabilities", cradle_type_probe_get_capabilities (probe));
  cradlectl_add_string (builder, "ca_fingerprint", cradle_type_probe_get_ca_fingerprint (probe));
  cradlectl_add_string (builder, "ca_fingerprint_match",
                        fingerprint_to_string (cradle_type_probe_get_fingerprint_match (probe)));
  cradlectl_add_string (builder, "template", cradle_cert_type_get_template_name (type));
  cradlectl_add_string (builder, "template_offered",
                        template_to_string (cradle_type_probe_get_template_offered (probe)));
  if (error != NULL)
    {
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      add_error_members (builder, error);
      json_builder_end_object (builder);
    }
  json_builder_set_member_name (builder, "exit_code");
  json_builder_add_int_value (builder, exit_code);
  json_builder_end_object (builder);
  cradlectl_print_json (builder);
}

int
cradlectl_types_test (int    argc,
                      char **argv)
{
  CradlectlDomainOptions options = { 0 };
  g_autofree GOptionEntry *entries = cradlectl_domain_entries (&options);
  g_autofree char *file = NULL;
  GOptionEntry file_entries[] = {
    { "file", 0, 0, G_OPTION_ARG_FILENAME, &file,
      "Test this type file instead of a saved type (before saving it)", "TYPEFILE" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("NAME | --file TYPEFILE - ask a certificate type's server what it is, "
                          "sending no request");
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleCredentials) credentials = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autoptr(GError) error = NULL;
  const char * const *findings;
  CradlectlExit exit_code;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, file_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl types test: %s\n", error->message);
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }
  if ((file == NULL) == (argc != 2) || argc > 2)
    {
      g_printerr ("cradlectl types test: give one type's NAME, or --file TYPEFILE.\n");
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }

  type = find_type (argc == 2 ? argv[1] : NULL, file, &error);
  if (type != NULL && cradle_cert_type_get_auth (type) != CRADLE_CREDENTIALS_NONE)
    credentials = cradlectl_dup_credentials (&options, &error);
  if (type == NULL || (credentials == NULL && error != NULL))
    {
      exit_code = cradlectl_report_error (error, options.json);
      cradlectl_domain_options_clear (&options);
      return exit_code;
    }

  probe = cradle_type_probe_run (type, credentials, NULL, &error);
  if (probe == NULL)
    {
      exit_code = cradlectl_report_error (error, options.json);
      cradlectl_domain_options_clear (&options);
      return exit_code;
    }
  exit_code = exit_for_probe (probe);
  if (options.json)
    print_json (type, probe, exit_code);
  else
    {
      g_autofree char *name = cradlectl_text (cradle_cert_type_get_name (type));

      findings = cradle_type_probe_get_findings (probe);
      g_print ("Testing '%s':\n", name);
      for (guint i = 0; findings[i] != NULL; i++)
        g_print ("  %s\n", findings[i]);
      g_print ("%s\n", cradle_type_probe_get_ok (probe) ? "OK: the server answered as the type expects."
                                                       : "Not OK.");
    }
  if (cradle_type_probe_get_error (probe) != NULL)
    cradlectl_print_error (cradle_type_probe_get_error (probe));
  cradlectl_domain_options_clear (&options);
  return exit_code;
}
