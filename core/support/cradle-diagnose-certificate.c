/* cradle-diagnose-certificate.c: the certificate hop of a diagnosis: will
 * the certificate work, known before anything is sent
 *
 * eku            what the certificate will be good for (the template's
 *                application policies, else its EKUs), and whether a key
 *                usage that signs goes with a sign-in EKU;
 * sid-extension  for a certificate that can sign in to Active Directory
 *                (client authentication, smart card logon, PKINIT, any
 *                purpose), whether it will carry what KB5014754's strong
 *                mapping needs: the SID extension 1.3.6.1.4.1.311.25.2,
 *                which an AD CS CA adds itself when it builds the subject
 *                from the directory (unless the template's enrollment flag
 *                0x80000 forbids it), or the SAN URL
 *                tag:microsoft.com,2022-09-14:sid:<SID>, which a request
 *                would have to carry when it supplies its subject (Cradle's
 *                requests carry neither);
 * attributes     the directory values the CA copies into the certificate
 *                (msPKI-Certificate-Name-Flag) against the user's entry;
 * key            the key the request policy asks the device for, against
 *                the key types the device makes (DEVICE).
 */
#include "config.h"

#include "support/cradle-diagnosis-private.h"
#include "support/cradle-diagnose-hops-private.h"
#include "catalog/cradle-catalog-private.h"

#define HOP CRADLE_HOP_CERTIFICATE

/* msPKI-Enrollment-Flag: no SID extension (CT_FLAG_NO_SECURITY_EXTENSION) */
#define ENROLLMENT_NO_SECURITY_EXTENSION 0x00080000u
#define KEY_USAGE_DIGITAL_SIGNATURE 0x80u
#define SID_URL_PREFIX "tag:microsoft.com,2022-09-14:sid:"

static const char * const sign_in_ekus[] = {
  "1.3.6.1.5.5.7.3.2",       /* client authentication */
  "1.3.6.1.4.1.311.20.2.2",  /* smart card logon */
  "1.3.6.1.5.2.3.4",         /* PKINIT client */
  "2.5.29.37.0",             /* any purpose */
};

/* What the certificate will say it is for. */
static const char * const *
get_usages (CradleTemplate *template)
{
  const char * const *policies = cradle_template_get_application_policies (template);

  if (cradle_template_get_schema_version (template) >= 2 && policies != NULL && policies[0] != NULL)
    return policies;
  return cradle_template_get_extended_key_usages (template);
}

static gboolean
can_sign_in (CradleTemplate *template)
{
  const char * const *usages = get_usages (template);

  if (usages == NULL || usages[0] == NULL)
    return TRUE;  /* no EKU: any purpose */
  for (guint i = 0; usages[i] != NULL; i++)
    for (guint j = 0; j < G_N_ELEMENTS (sign_in_ekus); j++)
      if (g_str_equal (usages[i], sign_in_ekus[j]))
        return TRUE;
  return FALSE;
}

static gboolean
supplies_subject (CradleTemplate *template)
{
  return (cradle_template_get_name_flags (template) &
          (CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_SUBJECT | CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_ALT_NAME)) != 0;
}

static void
check_eku (CradleDiagnosisRun *run,
           CradleTemplate     *template)
{
  const char *title = "What the certificate is good for";
  gint64 started = g_get_monotonic_time ();
  g_autofree char *usages = NULL;
  g_autofree char *key_usage = NULL;
  guint ku;
  GError *error = NULL;

  if (template == NULL)
    {
      _cradle_diagnosis_run_report (run, HOP, "eku", title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                    "skipped: this type names no template of the directory, so its CA "
                                    "alone decides what the certificate is for.");
      return;
    }
  usages = _cradle_diagnose_words_ekus (get_usages (template));
  ku = cradle_template_get_key_usage (template);
  key_usage = _cradle_diagnose_words_key_usage (ku);
  if (can_sign_in (template) && ku != 0 && (ku & KEY_USAGE_DIGITAL_SIGNATURE) == 0)
    {
      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_CERTIFICATE,
                                CRADLE_CERTIFICATE_PROBLEM_NO_DIGITAL_SIGNATURE,
                                "The template's certificates are meant to sign in (%s), but their key usage "
                                "(%s) lacks digital signature, which signing in with TLS or Kerberos needs. "
                                "Ask your administrator to add it to the template.", usages, key_usage);
      _cradle_diagnosis_run_report (run, HOP, "eku", title, CRADLE_CHECK_WARNING,
                                    g_get_monotonic_time () - started, error,
                                    "Extended key usage: %s.\nKey usage: %s: no digital signature.", usages, key_usage);
      return;
    }
  _cradle_diagnosis_run_report (run, HOP, "eku", title, CRADLE_CHECK_OK, g_get_monotonic_time () - started, NULL,
                                "Extended key usage: %s.\nKey usage: %s.\n%s", usages, key_usage,
                                can_sign_in (template)
                                  ? "It can sign in to networks and services (802.1X, VPN, Active Directory)."
                                  : "It cannot sign in to networks or Active Directory (no client authentication).");
}

static void
check_sid_extension (CradleDiagnosisRun  *run,
                     CradleTemplate      *template,
                     CradleDirectoryUser *user)
{
  const char *title = "Strong mapping to your account (KB5014754)";
  gint64 started = g_get_monotonic_time ();
  g_autofree char *sid = _cradle_diagnose_words_escape (user != NULL ? cradle_directory_user_get_sid (user) : NULL);
  GError *error = NULL;

  if (template == NULL)
    {
      _cradle_diagnosis_run_report (run, HOP, "sid-extension", title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                    "skipped: this type names no AD CS template, so Cradle cannot know whether "
                                    "its CA adds your SID (1.3.6.1.4.1.311.25.2 or the SAN URL "
                                    SID_URL_PREFIX "<SID>); without one, signing in to Active Directory with "
                                    "the certificate needs an explicit mapping (altSecurityIdentities).");
      return;
    }
  if (!can_sign_in (template))
    {
      _cradle_diagnosis_run_report (run, HOP, "sid-extension", title, CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - started, NULL,
                                    "Not needed: the certificate cannot sign in to Active Directory.");
      return;
    }
  if (cradle_template_get_enrollment_flags (template) & ENROLLMENT_NO_SECURITY_EXTENSION)
    {
      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_CERTIFICATE,
                                CRADLE_CERTIFICATE_PROBLEM_NO_STRONG_MAPPING,
                                "The template tells the CA not to add your SID (enrollment flag 0x80000, "
                                "no security extension): domain controllers that enforce strong mapping "
                                "(KB5014754, the default since February 2025) will refuse it for sign-in "
                                "unless an administrator maps it explicitly (altSecurityIdentities). Ask "
                                "your administrator to clear the flag.");
      _cradle_diagnosis_run_report (run, HOP, "sid-extension", title, CRADLE_CHECK_WARNING,
                                    g_get_monotonic_time () - started, error,
                                    "The CA is told to leave the SID extension out.");
      return;
    }
  if (!supplies_subject (template))
    {
      _cradle_diagnosis_run_report (run, HOP, "sid-extension", title, CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - started, NULL,
                                    "The CA builds the subject from your directory entry and adds the SID "
                                    "extension (1.3.6.1.4.1.311.25.2) with your SID%s%s itself: the "
                                    "certificate maps strongly to your account.",
                                    sid != NULL ? " " : "", sid != NULL ? sid : "");
      return;
    }
  cradle_explain_set_error (&error, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_CERTIFICATE,
                            CRADLE_CERTIFICATE_PROBLEM_NO_STRONG_MAPPING,
                            "The request supplies this certificate's subject, so the CA takes no SID from the "
                            "directory, and Cradle's request carries neither the SID extension nor the SAN URL "
                            SID_URL_PREFIX "%s. Signing in to Active Directory with it will need an explicit "
                            "mapping (altSecurityIdentities) on domain controllers that enforce KB5014754. Ask "
                            "your administrator for a template that builds the subject from the directory.",
                            sid != NULL ? sid : "<SID>");
  _cradle_diagnosis_run_report (run, HOP, "sid-extension", title, CRADLE_CHECK_WARNING,
                                g_get_monotonic_time () - started, error,
                                "The subject comes from the request: no SID extension, no SAN URL.");
}

/* One value the CA copies from the directory: a line, and whether it is there. */
static gboolean
add_needed (GString    *found,
            GString    *missing,
            const char *attribute,
            const char *value)
{
  g_autofree char *escaped = _cradle_diagnose_words_escape (value);

  g_string_append_printf (found, "%s%s: %s", found->len > 0 ? "\n" : "", attribute,
                          escaped != NULL ? escaped : "MISSING from your directory entry");
  if (value == NULL)
    g_string_append_printf (missing, "%s%s", missing->len > 0 ? ", " : "", attribute);
  return value != NULL;
}

static void
check_attributes (CradleDiagnosisRun  *run,
                  CradleTemplate      *template,
                  CradleDirectoryUser *user)
{
  const char *title = "Directory values the CA needs";
  gint64 started = g_get_monotonic_time ();
  guint32 flags;
  g_autoptr(GString) found = g_string_new (NULL);
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autoptr(CradleRequestPolicy) policy = NULL;
  GError *error = NULL;

  if (template == NULL || user == NULL)
    {
      _cradle_diagnosis_run_report (run, HOP, "attributes", title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                    template == NULL
                                      ? "skipped: this type names no template of the directory: its CA decides the names."
                                      : "skipped: your directory entry was not read (see Directory).");
      return;
    }
  flags = cradle_template_get_name_flags (template);
  if (supplies_subject (template))
    {
      policy = cradle_request_policy_new (template, user, NULL, NULL);
      if (policy != NULL)
        {
          g_autofree char *upn = _cradle_diagnose_words_escape (cradle_request_policy_get_san_upn (policy));
          g_autofree char *mail = _cradle_diagnose_words_escape (cradle_request_policy_get_san_email (policy));
          g_autofree char *cn = _cradle_diagnose_words_escape (cradle_request_policy_get_common_name (policy));

          _cradle_diagnosis_run_report (run, HOP, "attributes", title, CRADLE_CHECK_OK,
                                        g_get_monotonic_time () - started, NULL,
                                        "The request carries the names; the CA copies none from the directory.\n"
                                        "Subject: CN=%s (or what you type)\nUPN in the alternative name: %s\n"
                                        "E-mail in the alternative name: %s",
                                        cn != NULL ? cn : "(typed)", upn != NULL ? upn : "none (none in the directory)",
                                        mail != NULL ? mail : "none (none in the directory)");
          return;
        }
    }
  if (flags & CRADLE_TEMPLATE_ALT_REQUIRE_UPN)
    add_needed (found, missing, "userPrincipalName", cradle_directory_user_get_principal_name (user));
  if (flags & (CRADLE_TEMPLATE_ALT_REQUIRE_EMAIL | CRADLE_TEMPLATE_SUBJECT_REQUIRE_EMAIL))
    add_needed (found, missing, "mail", cradle_directory_user_get_mail (user));
  /* A user account never has one: such a template is for computers. */
  if (flags & (CRADLE_TEMPLATE_ALT_REQUIRE_DNS | CRADLE_TEMPLATE_SUBJECT_REQUIRE_DNS_AS_CN |
               CRADLE_TEMPLATE_ALT_REQUIRE_DOMAIN_DNS))
    add_needed (found, missing, "dNSHostName", NULL);
  if (flags & (CRADLE_TEMPLATE_SUBJECT_REQUIRE_COMMON_NAME | CRADLE_TEMPLATE_SUBJECT_REQUIRE_DIRECTORY_PATH))
    add_needed (found, missing, flags & CRADLE_TEMPLATE_SUBJECT_REQUIRE_DIRECTORY_PATH ? "distinguishedName" : "cn",
                flags & CRADLE_TEMPLATE_SUBJECT_REQUIRE_DIRECTORY_PATH ? cradle_directory_user_get_dn (user)
                                                                        : cradle_directory_user_get_common_name (user));
  if (found->len == 0)
    {
      _cradle_diagnosis_run_report (run, HOP, "attributes", title, CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - started, NULL,
                                    "The template asks the CA to copy nothing from your directory entry.");
      return;
    }
  if (missing->len == 0)
    {
      _cradle_diagnosis_run_report (run, HOP, "attributes", title, CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - started, NULL, "%s", found->str);
      return;
    }
  {
    guint32 hresult;

    (void) cradle_catalog_check_missing_attribute (template, user, &hresult);

    if (hresult != 0)
      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_HRESULT, hresult,
                                "The CA puts %s from your directory entry in this type's certificates, and "
                                "your entry has none: it would refuse the request. Ask an administrator to "
                                "add it, or use another type.", missing->str);
    else
      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_CRADLE_ERROR,
                                CRADLE_ERROR_NOT_CONFIGURED,
                                "The CA puts %s from your directory entry in this type's certificates, and "
                                "your entry has none. Ask an administrator to add it.", missing->str);
  }
  _cradle_diagnosis_run_report (run, HOP, "attributes", title, CRADLE_CHECK_FAILED,
                                g_get_monotonic_time () - started, error, "%s", found->str);
}

static void
check_key (CradleDiagnosisRun  *run,
           CradleCertType      *type,
           CradleDirectoryUser *user)
{
  const char *title = "The key the device must make";
  CradleTemplate *template = cradle_cert_type_get_template (type);
  g_autoptr(CradleRequestPolicy) policy = NULL;
  g_autoptr(GError) policy_error = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *made = NULL;
  const char *needed;
  const char * const *key_types;
  gint64 started = g_get_monotonic_time ();
  GError *error = NULL;

  if (template != NULL && user != NULL)
    {
      policy = cradle_request_policy_new (template, user, NULL, &policy_error);
      if (policy == NULL)
        {
          CradleExplainKind kind;
          guint32 code;

          error = g_error_copy (policy_error);
          if (!cradle_explain_get_detail (error, &kind, &code))
            cradle_explain_set_detail (error, CRADLE_EXPLAIN_CRADLE_ERROR, (guint32) error->code);
          _cradle_diagnosis_run_report (run, HOP, "key", title, CRADLE_CHECK_FAILED,
                                        g_get_monotonic_time () - started, error,
                                        "No request can be made for this template.");
          return;
        }
      needed = cradle_request_policy_get_device_key_type (policy);
    }
  else if (template != NULL)
    {
      _cradle_diagnosis_run_report (run, HOP, "key", title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                    "skipped: your directory entry was not read, so the request cannot be "
                                    "worked out (see Directory).");
      return;
    }
  else
    needed = cradle_cert_type_get_key_type (type) != NULL ? cradle_cert_type_get_key_type (type) : "rsa2048";

  device = _cradle_diagnosis_run_wait (run, CRADLE_DIAGNOSIS_FACT_DEVICE, &reason);
  if (device == NULL)
    {
      _cradle_diagnosis_run_report (run, HOP, "key", title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                    "skipped: the type needs the key type %s, and the device could not be "
                                    "asked which it makes: %s", needed, reason != NULL ? reason : "none");
      return;
    }
  key_types = cradle_device_get_key_types (device);
  made = g_strjoinv (", ", (char **) key_types);
  {
    g_autofree char *made_text = _cradle_diagnose_words_escape (made);

    if (key_types != NULL && g_strv_contains (key_types, needed))
      {
        _cradle_diagnosis_run_report (run, HOP, "key", title, CRADLE_CHECK_OK, g_get_monotonic_time () - started,
                                      NULL, "The type needs %s%s%s; the device makes %s.", needed,
                                      policy != NULL ? ", digest " : "",
                                      policy != NULL ? cradle_request_policy_get_digest (policy) : "", made_text);
        return;
      }
    cradle_explain_set_error (&error, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_CERTIFICATE,
                              CRADLE_CERTIFICATE_PROBLEM_KEY_TYPE_NOT_MADE,
                              "This type needs the key type %s, and the device makes only %s. Update the Cradle "
                              "agent on the device, or ask your administrator for a type with a key it makes.",
                              needed, made_text[0] != '\0' ? made_text : "none");
    _cradle_diagnosis_run_report (run, HOP, "key", title, CRADLE_CHECK_FAILED, g_get_monotonic_time () - started,
                                  error, "The type needs %s; the device makes %s.", needed,
                                  made_text[0] != '\0' ? made_text : "none");
  }
}

void
_cradle_diagnose_certificate (CradleDiagnosisRun *run,
                              GCancellable       *cancellable)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autofree char *reason = NULL;
  CradleTemplate *template;
  CradleCatalog *catalog;
  CradleDirectoryUser *user;

  if (_cradle_diagnosis_run_get_type_name (run) == NULL)
    reason = g_strdup ("no certificate type was named: give one with --type NAME");
  else
    type = _cradle_diagnosis_run_wait (run, CRADLE_DIAGNOSIS_FACT_TYPE, &reason);
  if (type == NULL)
    {
      static const char * const names[][2] = {
        { "eku", "What the certificate is good for" },
        { "sid-extension", "Strong mapping to your account (KB5014754)" },
        { "attributes", "Directory values the CA needs" },
        { "key", "The key the device must make" },
      };

      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        _cradle_diagnosis_run_report (run, HOP, names[i][0], names[i][1], CRADLE_CHECK_SKIPPED, 0, NULL,
                                      "skipped: %s", reason);
      return;
    }
  template = cradle_cert_type_get_template (type);
  catalog = cradle_cert_type_get_catalog (type);
  user = catalog != NULL ? cradle_catalog_get_user (catalog) : NULL;
  check_eku (run, template);
  check_sid_extension (run, template, user);
  check_attributes (run, template, user);
  check_key (run, type, user);
}
