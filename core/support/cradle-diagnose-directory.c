/* cradle-diagnose-directory.c: the directory hop of a diagnosis
 *
 * Signs in to the directory as the user (as every command does), reads
 * the RootDSE, looks for what AD CS publishes under Public Key Services
 * (Certificate Templates, Enrollment Services, NTAuthCertificates, AIA)
 * and loads the catalog, reporting what it left out.  Publishes the open
 * directory and the catalog for the hops that need them.
 */
#include "config.h"

#include "directory/cradle-directory-private.h"
#include "directory/cradle-ldap-private.h"
#include "support/cradle-diagnosis-private.h"

#define HOP CRADLE_HOP_DIRECTORY
/* How many names a check lists before it says "and N more". */
#define MAX_NAMES_SHOWN 12

/* Outside text for a check, on one line; "" for none. */
static char *
escape (const char *text)
{
  return text != NULL ? cradle_text_escape (text, -1, CRADLE_TEXT_ESCAPE_DEFAULT) : g_strdup ("");
}

static GError *
with_detail (GError  *error,
             guint32  failure)
{
  if (error != NULL && error->domain == CRADLE_ERROR && !cradle_explain_get_detail (error, NULL, NULL))
    cradle_explain_set_detail (error, CRADLE_EXPLAIN_DIRECTORY, failure);
  return error;
}

/* "a, b, c and 4 more", each name escaped. */
static char *
dup_name_list (const char * const *names)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint n = names != NULL ? g_strv_length ((GStrv) names) : 0;

  for (guint i = 0; i < n && i < MAX_NAMES_SHOWN; i++)
    {
      g_autofree char *escaped = escape (names[i]);

      if (i > 0)
        g_string_append (text, ", ");
      g_string_append (text, escaped);
    }
  if (n > MAX_NAMES_SHOWN)
    g_string_append_printf (text, " and %u more", n - MAX_NAMES_SHOWN);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static CradleDirectory *
new_directory (CradleDiagnosisRun *run)
{
  g_autofree char *domain = g_strdup (_cradle_diagnosis_run_get_domain (run));
  g_autofree char *dc_uri = g_strdup (_cradle_diagnosis_run_get_dc_uri (run));
  CradleDirectory *directory;

  if (domain == NULL && dc_uri == NULL)
    cradle_settings_dup_directory (NULL, NULL, &domain, &dc_uri);
  directory = dc_uri != NULL ? cradle_directory_new (dc_uri) : cradle_directory_new_for_domain (domain);
  cradle_credentials_apply_to_directory (_cradle_diagnosis_run_get_credentials (run), directory);
  cradle_directory_set_timeout (directory, MAX (1, (_cradle_diagnosis_run_get_timeout_ms (run) + 999) / 1000));
  return directory;
}

static CradleDirectory *
check_sign_in (CradleDiagnosisRun *run,
               GCancellable       *cancellable)
{
  g_autoptr(CradleDirectory) directory = new_directory (run);
  CradleCredentials *credentials = _cradle_diagnosis_run_get_credentials (run);
  gint64 start = g_get_monotonic_time ();
  g_autofree char *uri = NULL;
  g_autofree char *identity = NULL;
  GError *error = NULL;

  if (!cradle_directory_open (directory, cancellable, &error))
    {
      g_prefix_error (&error, "Signing in to the directory: ");
      _cradle_diagnosis_run_report (run, HOP, "sign-in", "Sign in to the directory", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - start,
                                    /* Kerberos, TLS and LDAP say what else went wrong. */
                                    g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE) ||
                                    g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT)
                                      ? with_detail (error, CRADLE_DIRECTORY_FAILURE_DC_UNREACHABLE) : error,
                                    "Could not sign in %s.",
                                    cradle_credentials_get_kind (credentials) == CRADLE_CREDENTIALS_PASSWORD
                                      ? "with the password given" : "with your Kerberos ticket");
      return NULL;
    }
  uri = escape (cradle_directory_get_uri (directory));
  identity = escape (cradle_directory_get_bound_identity (directory));
  _cradle_diagnosis_run_report (run, HOP, "sign-in", "Sign in to the directory", CRADLE_CHECK_OK,
                                g_get_monotonic_time () - start, NULL,
                                "Signed in to %s as %s (%s, security strength %u).", uri, identity,
                                cradle_credentials_get_kind (credentials) == CRADLE_CREDENTIALS_PASSWORD
                                  ? "with a password" : "Kerberos", cradle_directory_get_security_strength (directory));
  return g_steal_pointer (&directory);
}

static void
check_root_dse (CradleDiagnosisRun *run,
                CradleDirectory    *directory,
                GCancellable       *cancellable)
{
  const char *attributes[] = { "dnsHostName", "namingContexts", "defaultNamingContext",
                               "configurationNamingContext", NULL };
  gint64 start = g_get_monotonic_time ();
  g_autoptr(CradleLdapEntry) entry = NULL;
  g_auto(GStrv) contexts = NULL;
  g_autofree char *host = NULL;
  g_autofree char *default_nc = NULL;
  g_autofree char *configuration_nc = NULL;
  g_autofree char *list = NULL;
  GError *error = NULL;

  entry = cradle_directory_read_root_dse (directory, attributes, cancellable, &error);
  if (entry == NULL ||
      !cradle_ldap_entry_dup_strings (entry, "namingContexts", &contexts, &error))
    {
      g_prefix_error (&error, "Reading the RootDSE: ");
      _cradle_diagnosis_run_report (run, HOP, "root-dse", "RootDSE", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - start,
                                    with_detail (error, CRADLE_DIRECTORY_FAILURE_LDAP_NO_ANSWER),
                                    "The RootDSE could not be read.");
      return;
    }
  host = escape (cradle_directory_get_dc_host_name (directory));
  default_nc = escape (cradle_directory_get_default_naming_context (directory));
  configuration_nc = escape (cradle_directory_get_configuration_naming_context (directory));
  list = dup_name_list ((const char * const *) contexts);
  _cradle_diagnosis_run_report (run, HOP, "root-dse", "RootDSE", CRADLE_CHECK_OK,
                                g_get_monotonic_time () - start, NULL,
                                "Controller %s; domain %s; configuration %s; naming contexts: %s.",
                                host, default_nc, configuration_nc, list[0] != '\0' ? list : "none listed");
}

typedef struct {
  const char         *name;
  const char         *title;
  const char         *container;       /* below Public Key Services */
  const char         *object_class;
  const char         *what;            /* "certificate templates" */
  const char         *what_one;        /* "certificate template" */
  CradleCheckVerdict  when_empty;
  guint32             failure;
} PkiContainer;

static void
check_container (CradleDiagnosisRun *run,
                 CradleDirectory    *directory,
                 const PkiContainer *container,
                 GCancellable       *cancellable)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GError) search_error = NULL;
  g_auto(GStrv) names = cradle_directory_list_names (directory, container->container, container->object_class,
                                                     cancellable, &search_error);
  g_autofree char *list = NULL;
  guint n;

  if (names == NULL)
    {
      GError *error = g_steal_pointer (&search_error);
      gboolean missing = g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);

      g_prefix_error (&error, "Reading %sCN=Public Key Services: ", container->container);
      _cradle_diagnosis_run_report (run, HOP, container->name, container->title,
                                    missing ? container->when_empty : CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - start,
                                    with_detail (error, missing ? container->failure
                                                                : CRADLE_DIRECTORY_FAILURE_LDAP_NO_ANSWER),
                                    missing ? "The container %sCN=Public Key Services does not exist."
                                            : "The container %sCN=Public Key Services could not be read.",
                                    container->container);
      return;
    }
  n = g_strv_length (names);
  if (n == 0)
    {
      GError *error = NULL;

      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_FOUND, CRADLE_EXPLAIN_DIRECTORY, container->failure,
                                "The directory holds no %s that this account can read.", container->what);
      _cradle_diagnosis_run_report (run, HOP, container->name, container->title, container->when_empty,
                                    g_get_monotonic_time () - start, error, "No %s.", container->what);
      return;
    }
  list = dup_name_list ((const char * const *) names);
  _cradle_diagnosis_run_report (run, HOP, container->name, container->title, CRADLE_CHECK_OK,
                                g_get_monotonic_time () - start, NULL, "%u %s: %s.", n,
                                n == 1 ? container->what_one : container->what, list);
}

/* NTAuthCertificates is one object whose cACertificate values are the CAs
 * domain controllers trust for certificate sign-in. */
static void
check_ntauth (CradleDiagnosisRun *run,
              CradleDirectory    *directory,
              GCancellable       *cancellable)
{
  g_autoptr(GBytes) first = NULL;
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GError) search_error = NULL;
  g_autofree char *dn = g_strdup_printf ("CN=NTAuthCertificates,CN=Public Key Services,CN=Services,%s",
                                         cradle_directory_get_configuration_naming_context (directory));
  GError *error = NULL;

  /* The first value is enough to know the store is not empty; reading
   * every certificate is the catalog's job. */
  first = cradle_directory_read_binary (directory, dn, "cACertificate", "(objectClass=certificationAuthority)",
                                        64 * 1024, cancellable, &search_error);
  if (first != NULL)
    {
      _cradle_diagnosis_run_report (run, HOP, "ntauth", "NTAuth certificates", CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - start, NULL,
                                    "NTAuthCertificates lists at least one CA trusted for certificate sign-in.");
      return;
    }
  if (!g_error_matches (search_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    {
      error = g_steal_pointer (&search_error);
      g_prefix_error (&error, "Reading NTAuthCertificates: ");
      _cradle_diagnosis_run_report (run, HOP, "ntauth", "NTAuth certificates", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - start,
                                    with_detail (error, CRADLE_DIRECTORY_FAILURE_LDAP_NO_ANSWER),
                                    "NTAuthCertificates could not be read.");
      return;
    }
  cradle_explain_set_error (&error, CRADLE_ERROR_NOT_FOUND, CRADLE_EXPLAIN_DIRECTORY,
                            CRADLE_DIRECTORY_FAILURE_NTAUTH_EMPTY,
                            "NTAuthCertificates lists no CA, or does not exist.");
  _cradle_diagnosis_run_report (run, HOP, "ntauth", "NTAuth certificates", CRADLE_CHECK_WARNING,
                                g_get_monotonic_time () - start, error,
                                "No CA is trusted for certificate sign-in; other certificates are not affected.");
}

static CradleCatalog *
check_catalog (CradleDiagnosisRun *run,
               CradleDirectory    *directory,
               GCancellable       *cancellable)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(CradleCatalog) catalog = NULL;
  const char * const *problems;
  GError *error = NULL;
  guint n_templates, n_services;

  catalog = cradle_catalog_load (directory, cancellable, &error);
  if (catalog == NULL)
    {
      g_prefix_error (&error, "Loading the certificate types: ");
      _cradle_diagnosis_run_report (run, HOP, "catalog", "Certificate types", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - start, error,
                                    "The templates and CAs could not be read.");
      return NULL;
    }
  n_templates = cradle_catalog_get_templates (catalog)->len;
  n_services = cradle_catalog_get_services (catalog)->len;
  problems = cradle_catalog_get_problems (catalog);
  if (problems != NULL && problems[0] != NULL)
    {
      g_autoptr(GString) list = g_string_new (NULL);
      guint n = g_strv_length ((GStrv) problems);

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *escaped = escape (problems[i]);

          g_string_append_printf (list, "\n- %s", escaped);
        }
      cradle_explain_set_error (&error, CRADLE_ERROR_INVALID_DATA, CRADLE_EXPLAIN_DIRECTORY,
                                CRADLE_DIRECTORY_FAILURE_CATALOG_PROBLEMS,
                                "%u template%s or CA%s left out because the directory's copy is damaged.",
                                n, n == 1 ? "" : "s", n == 1 ? "" : "s");
      _cradle_diagnosis_run_report (run, HOP, "catalog", "Certificate types", CRADLE_CHECK_WARNING,
                                    g_get_monotonic_time () - start, error,
                                    "Read %u template%s and %u CA%s; left out:%s", n_templates, n_templates == 1 ? "" : "s",
                                    n_services, n_services == 1 ? "" : "s", list->str);
    }
  else
    _cradle_diagnosis_run_report (run, HOP, "catalog", "Certificate types", CRADLE_CHECK_OK,
                                  g_get_monotonic_time () - start, NULL,
                                  "Read %u template%s and %u CA%s; nothing left out.", n_templates,
                                  n_templates == 1 ? "" : "s", n_services, n_services == 1 ? "" : "s");
  return g_steal_pointer (&catalog);
}

static const PkiContainer containers[] = {
  { "certificate-templates", "Certificate templates", "CN=Certificate Templates,", "pKICertificateTemplate",
    "certificate templates", "certificate template", CRADLE_CHECK_FAILED, CRADLE_DIRECTORY_FAILURE_NO_PKI },
  { "enrollment-services", "Enrollment services", "CN=Enrollment Services,", "pKIEnrollmentService",
    "enterprise CAs", "enterprise CA", CRADLE_CHECK_FAILED, CRADLE_DIRECTORY_FAILURE_NO_PKI },
  { "aia", "CA certificates (AIA)", "CN=AIA,", "certificationAuthority",
    "CA certificates published for chain building", "CA certificate published for chain building",
    CRADLE_CHECK_WARNING, CRADLE_DIRECTORY_FAILURE_NO_PKI },
};

static const char * const later_checks[][2] = {
  { "root-dse", "RootDSE" },
  { "certificate-templates", "Certificate templates" },
  { "enrollment-services", "Enrollment services" },
  { "ntauth", "NTAuth certificates" },
  { "aia", "CA certificates (AIA)" },
  { "catalog", "Certificate types" },
};

void
_cradle_diagnose_directory (CradleDiagnosisRun *run,
                            GCancellable       *cancellable)
{
  g_autoptr(CradleDirectory) directory = check_sign_in (run, cancellable);
  CradleCatalog *catalog;

  if (directory == NULL)
    {
      const char *reason = "the directory could not be read (see Directory)";

      _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_DIRECTORY, NULL, reason);
      _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_CATALOG, NULL, reason);
      for (gsize i = 0; i < G_N_ELEMENTS (later_checks); i++)
        _cradle_diagnosis_run_report (run, HOP, later_checks[i][0], later_checks[i][1], CRADLE_CHECK_SKIPPED,
                                      0, NULL, "skipped: could not sign in to the directory (see Sign in to "
                                      "the directory)");
      return;
    }
  /* Open: whoever reads through it need not wait for the checks below. */
  _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_DIRECTORY, g_object_ref (directory), NULL);

  check_root_dse (run, directory, cancellable);
  check_container (run, directory, &containers[0], cancellable);
  check_container (run, directory, &containers[1], cancellable);
  check_ntauth (run, directory, cancellable);
  check_container (run, directory, &containers[2], cancellable);
  catalog = check_catalog (run, directory, cancellable);
  _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_CATALOG, catalog,
                                 catalog == NULL ? "the certificate types could not be read (see Directory)" : NULL);
}
