/* cradle-diagnose-type.c: the type hop of a diagnosis: which type, whether
 * the user may enroll for it, and what it asks for, in words
 *
 * The name asked is looked for first among the administrator's types
 * (types.d, no directory needed), then among the catalog's templates by cn
 * or display name.  A custom type that names a template and signs in is
 * read again with the catalog, as an enrollment would.  Whether the user
 * may enroll is the catalog's own verdict (cradle_catalog_check()).  The
 * type is published (TYPE) whether or not it is enrollable, so that the CA
 * and certificate hops still say what they can.
 */
#include "config.h"

#include "support/cradle-diagnosis-private.h"
#include "support/cradle-diagnose-hops-private.h"
#include "catalog/cradle-catalog-private.h"
#include "policy/cradle-cert-type-private.h"

#define HOP CRADLE_HOP_TYPE

/* msPKI-Enrollment-Flag: no SID extension (KB5014754) */
#define ENROLLMENT_NO_SECURITY_EXTENSION 0x00080000u

static CradleTemplate *
find_template (CradleCatalog *catalog,
               const char    *name)
{
  GPtrArray *templates = cradle_catalog_get_templates (catalog);
  CradleTemplate *template = cradle_catalog_find_template (catalog, name);

  for (guint i = 0; template == NULL && i < templates->len; i++)
    {
      const char *display_name = cradle_template_get_display_name (g_ptr_array_index (templates, i));

      if (display_name != NULL && g_utf8_collate (display_name, name) == 0)
        template = g_ptr_array_index (templates, i);
    }
  return template;
}

/* The error an enrollment would meet, with the CA's own code where AD CS has one. */
static GError *
enrollability_error (CradleCertType *type)
{
  const char *reason = cradle_cert_type_get_reason (type);
  g_autofree char *escaped = _cradle_diagnose_words_escape (reason != NULL ? reason : "it cannot be used");
  CradleTemplate *template = cradle_cert_type_get_template (type);
  GError *error = NULL;
  guint32 hresult = 0;
  CradleError code = CRADLE_ERROR_NOT_SUPPORTED;

  switch (cradle_cert_type_get_enrollability (type))
    {
    case CRADLE_ENROLLABILITY_NOT_PERMITTED:
      hresult = 0x80094012;  /* CERTSRV_E_TEMPLATE_DENIED */
      code = CRADLE_ERROR_PERMISSION_DENIED;
      break;
    case CRADLE_ENROLLABILITY_NOT_PUBLISHED:
      hresult = 0x80094800;  /* CERTSRV_E_UNSUPPORTED_CERT_TYPE */
      code = CRADLE_ERROR_NOT_CONFIGURED;
      break;
    case CRADLE_ENROLLABILITY_MISSING_ATTRIBUTE:
      if (template != NULL)
        (void) cradle_catalog_check_missing_attribute (template,
                                                       cradle_catalog_get_user (cradle_cert_type_get_catalog (type)),
                                                       &hresult);
      code = CRADLE_ERROR_NOT_CONFIGURED;
      break;
    case CRADLE_ENROLLABILITY_DAMAGED:
      code = CRADLE_ERROR_INVALID_DATA;
      break;
    default:
      break;
    }
  if (hresult != 0)
    cradle_explain_set_error (&error, code, CRADLE_EXPLAIN_HRESULT, hresult,
                              "You cannot enroll for '%s': %s", cradle_cert_type_get_name (type), escaped);
  else
    cradle_explain_set_error (&error, code, CRADLE_EXPLAIN_CRADLE_ERROR, code,
                              "You cannot enroll for '%s': %s", cradle_cert_type_get_name (type), escaped);
  return error;
}

static void
report_enrollable (CradleDiagnosisRun *run,
                   CradleCertType     *type,
                   gint64              started)
{
  const char *reason = cradle_cert_type_get_reason (type);
  g_autofree char *escaped = _cradle_diagnose_words_escape (reason);
  gint64 duration = g_get_monotonic_time () - started;

  if (cradle_cert_type_is_enrollable (type))
    _cradle_diagnosis_run_report (run, HOP, "enrollable", "Whether you may enroll", CRADLE_CHECK_OK, duration, NULL,
                                  "Yes.%s%s", escaped != NULL ? " " : "", escaped != NULL ? escaped : "");
  else
    _cradle_diagnosis_run_report (run, HOP, "enrollable", "Whether you may enroll", CRADLE_CHECK_FAILED, duration,
                                  enrollability_error (type), "No. %s", escaped != NULL ? escaped : "");
}

/* A template's flags, one line each, in words. */
static void
describe_template (GString             *out,
                   CradleTemplate      *template,
                   CradleDirectoryUser *user)
{
  guint32 name_flags = cradle_template_get_name_flags (template);
  guint32 enrollment_flags = cradle_template_get_enrollment_flags (template);
  g_autoptr(CradleRequestPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *names = NULL;
  g_autofree char *usages = NULL;
  g_autofree char *ekus = NULL;
  guint64 validity = cradle_template_get_validity_seconds (template);

  g_string_append_printf (out, "\nSchema version %u (revision %u.%u).", cradle_template_get_schema_version (template),
                          cradle_template_get_major_revision (template), cradle_template_get_minor_revision (template));
  g_string_append_printf (out, "\nApproval: %s.", (enrollment_flags & CRADLE_TEMPLATE_PEND_ALL_REQUESTS)
                          ? "an administrator approves each request" : "not needed");
  if (user != NULL)
    policy = cradle_request_policy_new (template, user, NULL, &error);
  if (policy != NULL)
    g_string_append_printf (out, "\nKey: %s %u (the device makes %s; digest %s).",
                            cradle_request_policy_get_key_algorithm (policy),
                            cradle_request_policy_get_key_size (policy),
                            cradle_request_policy_get_device_key_type (policy),
                            cradle_request_policy_get_digest (policy));
  else
    {
      g_autofree char *why = _cradle_diagnose_words_escape (error != NULL ? error->message : "unknown");
      const char *cng = cradle_template_get_cng_algorithm (template);
      g_autofree char *cng_text = _cradle_diagnose_words_escape (cng);

      g_string_append_printf (out, "\nKey: %s of at least %u bits; no request can be made: %s",
                              cng_text != NULL ? cng_text : "RSA", cradle_template_get_minimal_key_size (template), why);
    }
  if (name_flags & (CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_SUBJECT | CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_ALT_NAME))
    g_string_append (out, "\nSubject: supplied in the request (the CA does not build it from the directory).");
  else
    g_string_append (out, "\nSubject: built by the CA from your directory entry.");
  names = _cradle_diagnose_words_name_flags (name_flags);
  if (names != NULL)
    g_string_append_printf (out, "\nNames the CA puts in: %s.", names);
  usages = _cradle_diagnose_words_key_usage (cradle_template_get_key_usage (template));
  g_string_append_printf (out, "\nKey usage: %s.", usages);
  ekus = _cradle_diagnose_words_ekus (cradle_template_get_extended_key_usages (template));
  g_string_append_printf (out, "\nExtended key usage: %s.", ekus);
  if (validity > 0)
    {
      g_autofree char *period = _cradle_diagnose_words_duration (validity);

      g_string_append_printf (out, "\nValidity: %s.", period);
    }
  if (enrollment_flags & ENROLLMENT_NO_SECURITY_EXTENSION)
    g_string_append (out, "\nThe CA is told not to add the SID extension (KB5014754).");
}

static void
report_flags (CradleDiagnosisRun *run,
              CradleCertType     *type,
              gint64              started)
{
  g_autoptr(GString) out = g_string_new (NULL);
  CradleTemplate *template = cradle_cert_type_get_template (type);
  CradleCatalog *catalog = cradle_cert_type_get_catalog (type);
  const char *url = cradle_cert_type_get_url (type) != NULL ? cradle_cert_type_get_url (type)
                                                            : cradle_cert_type_get_policy_url (type);
  g_autofree char *url_text = _cradle_diagnose_words_escape (url);
  const char *auth = cradle_credentials_kind_to_string (cradle_cert_type_get_auth (type));

  g_string_append_printf (out, "Protocol %s at %s; sign-in: %s.",
                          cradle_ca_protocol_to_string (cradle_cert_type_get_protocol (type)),
                          url_text != NULL ? url_text : "(no CA publishes it)", auth);
  if (cradle_cert_type_get_allow_plain_http (type))
    g_string_append (out, "\nPlain HTTP allowed by the administrator.");
  if (cradle_cert_type_get_trust_anchors (type) != NULL)
    {
      g_autofree char *anchors = _cradle_diagnose_words_escape (cradle_cert_type_get_trust_anchors (type));

      g_string_append_printf (out, "\nTLS anchors: %s (beside the system's).", anchors);
    }
  if (template != NULL)
    describe_template (out, template, catalog != NULL ? cradle_catalog_get_user (catalog) : NULL);
  else
    {
      g_autofree char *subject = _cradle_diagnose_words_escape (cradle_cert_type_get_subject (type));

      g_string_append_printf (out, "\nKey: %s (the type's KeyType).",
                              cradle_cert_type_get_key_type (type) != NULL ? cradle_cert_type_get_key_type (type)
                                                                           : "rsa2048");
      g_string_append_printf (out, "\nSubject: %s.", subject != NULL ? subject : "the CA's choice");
      if (cradle_cert_type_get_template_name (type) != NULL)
        g_string_append (out, "\nIts Template is not in the catalog read (or none was read): "
                              "the template's flags are unknown.");
    }
  _cradle_diagnosis_run_report (run, HOP, "flags", "What the type asks for", CRADLE_CHECK_OK,
                                g_get_monotonic_time () - started, NULL, "%s", out->str);
}

/* (nullable): the catalog kept from the directory's last read, as an
 * enrollment's type lookup reads it. */
static CradleCatalog *
load_kept_catalog (CradleDiagnosisRun *run)
{
  g_autoptr(GError) error = NULL;
  CradleCatalog *catalog;

  catalog = cradle_type_lookup_read_kept_catalog (_cradle_diagnosis_run_get_domain (run),
                                                  _cradle_diagnosis_run_get_dc_uri (run),
                                                  _cradle_diagnosis_run_get_credentials (run), &error);
  if (catalog == NULL)
    g_debug ("diagnosis: no kept catalog: %s", error->message);
  return catalog;
}

static void
skip_rest (CradleDiagnosisRun *run,
           const char         *why)
{
  _cradle_diagnosis_run_report (run, HOP, "enrollable", "Whether you may enroll", CRADLE_CHECK_SKIPPED, 0, NULL,
                                "%s", why);
  _cradle_diagnosis_run_report (run, HOP, "flags", "What the type asks for", CRADLE_CHECK_SKIPPED, 0, NULL,
                                "%s", why);
}

void
_cradle_diagnose_type (CradleDiagnosisRun *run,
                       GCancellable       *cancellable)
{
  const char *name = _cradle_diagnosis_run_get_type_name (run);
  CradleCredentials *credentials = _cradle_diagnosis_run_get_credentials (run);
  CradleCredentialsKind kind = cradle_credentials_get_kind (credentials);
  g_autoptr(GPtrArray) custom_types = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autofree char *escaped_name = NULL;
  g_autofree char *reason = NULL;
  g_auto(GStrv) problems = NULL;
  gboolean kept = FALSE;
  CradleCertType *custom;
  gint64 started = g_get_monotonic_time ();

  if (name == NULL)
    {
      _cradle_diagnosis_run_report (run, HOP, "type", "Certificate type", CRADLE_CHECK_SKIPPED, 0, NULL,
                                    "No certificate type was named: give one with --type NAME "
                                    "('cradlectl templates' lists them) to check it, its CA and "
                                    "the certificate it would give.");
      _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_TYPE, NULL, "no certificate type was named");
      return;
    }
  escaped_name = _cradle_diagnose_words_escape (name);

  /* The administrator's types need no directory. */
  custom_types = cradle_cert_type_list (NULL, kind, &problems);
  custom = cradle_cert_type_find (custom_types, name);
  if (custom == NULL || cradle_type_lookup_reads_catalog (custom))
    catalog = _cradle_diagnosis_run_wait (run, CRADLE_DIAGNOSIS_FACT_CATALOG, &reason);
  /* The directory down: the catalog kept from the last read, as an
   * enrollment starts from, so that the CA and the certificate are still
   * checked; the type's check says where it came from. */
  if (catalog == NULL && (custom == NULL || cradle_type_lookup_reads_catalog (custom)))
    {
      catalog = load_kept_catalog (run);
      kept = catalog != NULL;
    }

  if (custom != NULL)
    {
      if (catalog != NULL && cradle_cert_type_get_source (custom) != NULL)
        {
          g_autoptr(GError) error = NULL;

          type = cradle_cert_type_new_from_file (cradle_cert_type_get_source (custom), catalog, &error);
        }
      if (type == NULL)
        type = g_object_ref (custom);
    }
  else if (catalog != NULL)
    {
      CradleTemplate *template = find_template (catalog, name);

      if (template != NULL)
        type = cradle_cert_type_new_for_template (catalog, template, kind);
    }

  if (type == NULL)
    {
      g_autofree char *why = NULL;
      GError *error = NULL;

      if (catalog == NULL)
        why = g_strdup_printf ("There is no certificate type '%s' in types.d, and the directory's templates "
                               "could not be read (%s).", escaped_name, reason != NULL ? reason : "unknown");
      else
        why = g_strdup_printf ("There is no certificate type '%s': neither an administrator's type "
                               "(types.d) nor a template of the directory by that name. "
                               "'cradlectl templates' lists them.", escaped_name);
      if (catalog == NULL)
        {
          _cradle_diagnosis_run_report (run, HOP, "type", "Certificate type", CRADLE_CHECK_SKIPPED, 0, NULL,
                                        "%s", why);
          skip_rest (run, "skipped: the type is not known (see Certificate type)");
        }
      else
        {
          cradle_explain_set_error (&error, CRADLE_ERROR_NOT_FOUND, CRADLE_EXPLAIN_CRADLE_ERROR,
                                    CRADLE_ERROR_NOT_FOUND, "%s", why);
          _cradle_diagnosis_run_report (run, HOP, "type", "Certificate type", CRADLE_CHECK_FAILED,
                                        g_get_monotonic_time () - started, error, "%s", why);
          skip_rest (run, "skipped: there is no such type (see Certificate type)");
        }
      _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_TYPE, NULL,
                                     "the certificate type was not found (see Certificate type)");
      return;
    }

  {
    g_autofree char *display = _cradle_diagnose_words_escape (cradle_cert_type_get_display_name (type));
    g_autofree char *type_name = _cradle_diagnose_words_escape (cradle_cert_type_get_name (type));
    g_autofree char *source = _cradle_diagnose_words_escape (cradle_cert_type_get_source (type));
    g_autofree char *template_name = _cradle_diagnose_words_escape (cradle_cert_type_get_template_name (type));

    if (cradle_cert_type_get_kind (type) == CRADLE_CERT_TYPE_CUSTOM)
      _cradle_diagnosis_run_report (run, HOP, "type", "Certificate type", CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - started, NULL,
                                    "'%s' (%s): an administrator's type from %s%s%s%s.", type_name,
                                    display != NULL ? display : type_name, source != NULL ? source : "types.d",
                                    template_name != NULL ? ", template '" : "",
                                    template_name != NULL ? template_name : "",
                                    template_name != NULL
                                      ? (cradle_cert_type_get_template (type) != NULL ? "' of the directory"
                                                                                      : "' (not read from the directory)")
                                      : "");
    else if (kept)
      {
        GError *error = NULL;

        cradle_explain_set_error (&error, CRADLE_ERROR_UNREACHABLE, CRADLE_EXPLAIN_CRADLE_ERROR,
                                  CRADLE_ERROR_UNREACHABLE,
                                  "The directory could not be read (%s), so the type comes from the catalog "
                                  "kept from its last read; an enrollment needs the directory to confirm it.",
                                  reason != NULL ? reason : "unknown");
        _cradle_diagnosis_run_report (run, HOP, "type", "Certificate type", CRADLE_CHECK_WARNING,
                                      g_get_monotonic_time () - started, error,
                                      "'%s' (%s): a template from the catalog kept from the directory's last "
                                      "read; the directory could not be read now.", type_name,
                                      display != NULL ? display : type_name);
      }
    else
      _cradle_diagnosis_run_report (run, HOP, "type", "Certificate type", CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - started, NULL,
                                    "'%s' (%s): a template of the directory.", type_name,
                                    display != NULL ? display : type_name);
  }
  /* Finding the type took the wait for the catalog; these take their own time. */
  report_enrollable (run, type, g_get_monotonic_time ());
  report_flags (run, type, g_get_monotonic_time ());
  _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_TYPE, g_object_ref (type), NULL);
}
