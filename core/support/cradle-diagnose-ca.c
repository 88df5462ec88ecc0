/* cradle-diagnose-ca.c: the ca hop of a diagnosis
 *
 * The CA of the type asked (its URL, or its policy server's), or, when no
 * type was named, each enrollment service of the catalog reached as a
 * template of it would be (its web service for this sign-in, else its Web
 * Enrollment pages).  For each, in order, each check with its own
 * deadline: dns, tcp, tls-chain, tls-expiry, tls-name, sign-in, service,
 * ca-certificate, crl, ocsp, aia (cradle-diagnose-ca-private.h).  A check
 * that needs one that failed is skipped, saying which.
 */
#include "config.h"

#include "support/cradle-diagnose-ca-private.h"
#include "policy/cradle-cert-type-private.h"

#define HOP CRADLE_HOP_CA

static void
endpoint_clear (CradleDiagnoseCaEndpoint *endpoint)
{
  g_clear_object (&endpoint->type);
  g_clear_object (&endpoint->service);
  g_clear_pointer (&endpoint->url, g_free);
  g_clear_pointer (&endpoint->host, g_free);
  g_clear_pointer (&endpoint->raw_host, g_free);
  if (endpoint->connection != NULL)
    g_io_stream_close (G_IO_STREAM (endpoint->connection), NULL, NULL);
  g_clear_object (&endpoint->connection);
  g_clear_pointer (&endpoint->tls_chain, g_ptr_array_unref);
  g_clear_pointer (&endpoint->ca_certificates, g_ptr_array_unref);
  g_clear_pointer (&endpoint->blocked, g_free);
}

void
_cradle_diagnose_ca_report (CradleDiagnoseCaEndpoint *endpoint,
                            const char               *name,
                            const char               *title,
                            CradleCheckVerdict        verdict,
                            gint64                    started,
                            GError                   *error,
                            const char               *found_format,
                            ...)
{
  g_autofree char *found = NULL;
  g_autofree char *full_title = g_strdup_printf ("%s (%s)", title, endpoint->host);
  va_list args;

  va_start (args, found_format);
  found = g_strdup_vprintf (found_format, args);
  va_end (args);
  _cradle_diagnosis_run_report (endpoint->run, HOP, name, full_title, verdict,
                                verdict == CRADLE_CHECK_SKIPPED ? 0 : g_get_monotonic_time () - started,
                                error, "%s", found);
}

gboolean
_cradle_diagnose_ca_skip_if_blocked (CradleDiagnoseCaEndpoint *endpoint,
                                     const char               *name,
                                     const char               *title)
{
  if (endpoint->blocked == NULL)
    return FALSE;
  _cradle_diagnose_ca_report (endpoint, name, title, CRADLE_CHECK_SKIPPED, 0, NULL, "%s", endpoint->blocked);
  return TRUE;
}

static const char * const check_names[][2] = {
  { "dns", "Host name resolves" },
  { "tcp", "TCP connection" },
  { "tls-chain", "TLS certificate chain" },
  { "tls-expiry", "TLS certificate dates" },
  { "tls-name", "TLS certificate name" },
  { "sign-in", "HTTP sign-in" },
  { "service", "The service's own answer" },
  { "ca-certificate", "CA certificate" },
  { "crl", "CRL reachable" },
  { "ocsp", "OCSP reachable" },
  { "aia", "CA certificate address (AIA) reachable" },
};

static void
skip_all (CradleDiagnosisRun *run,
          const char         *why)
{
  for (guint i = 0; i < G_N_ELEMENTS (check_names); i++)
    _cradle_diagnosis_run_report (run, HOP, check_names[i][0], check_names[i][1], CRADLE_CHECK_SKIPPED, 0, NULL,
                                  "%s", why);
}

static void
check_endpoint (CradleDiagnosisRun      *run,
                GCancellable            *cancellable,
                CradleCertType          *type,
                CradleEnrollmentService *service,
                const char              *url)
{
  CradleDiagnoseCaEndpoint endpoint = {
    .run = run,
    .cancellable = cancellable,
    .timeout_ms = _cradle_diagnosis_run_get_timeout_ms (run),
    .type = g_object_ref (type),
    .credentials = _cradle_diagnosis_run_get_credentials (run),
    .service = service != NULL ? g_object_ref (service) : NULL,
    .url = g_strdup (url),
    .tls_chain = g_ptr_array_new_with_free_func ((GDestroyNotify) X509_free),
    .ca_certificates = g_ptr_array_new_with_free_func (g_object_unref),
  };
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;

  endpoint.host = cradle_text_escape (uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : url, -1,
                                      CRADLE_TEXT_ESCAPE_DEFAULT);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' || scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0))
    {
      GError *error = NULL;
      g_autofree char *escaped = cradle_text_escape (url, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_CRADLE_ERROR,
                                CRADLE_ERROR_NOT_CONFIGURED,
                                "The CA's address %s is not an http:// or https:// URL. Ask your "
                                "administrator to correct the type.", escaped);
      endpoint.blocked = g_strdup ("skipped: the CA's address cannot be used (see DNS)");
      _cradle_diagnose_ca_report (&endpoint, "dns", "Host name resolves", CRADLE_CHECK_FAILED,
                                  g_get_monotonic_time (), error, "%s is not a URL Cradle can use.", escaped);
      for (guint i = 1; i < G_N_ELEMENTS (check_names); i++)
        _cradle_diagnose_ca_skip_if_blocked (&endpoint, check_names[i][0], check_names[i][1]);
      endpoint_clear (&endpoint);
      return;
    }
  endpoint.raw_host = g_strdup (g_uri_get_host (uri));
  endpoint.https = g_ascii_strcasecmp (scheme, "https") == 0;
  endpoint.port = g_uri_get_port (uri) > 0 ? (guint16) g_uri_get_port (uri) : (endpoint.https ? 443 : 80);

  _cradle_diagnose_ca_net_dns (&endpoint);
  _cradle_diagnose_ca_net_tcp (&endpoint);
  _cradle_diagnose_ca_net_tls (&endpoint);
  _cradle_diagnose_ca_service_sign_in (&endpoint);
  _cradle_diagnose_ca_service_answer (&endpoint);
  _cradle_diagnose_ca_service_ca_certificate (&endpoint);
  /* Revocation servers are asked whatever happened to the front-end. */
  g_clear_pointer (&endpoint.blocked, g_free);
  _cradle_diagnose_ca_revocation (&endpoint);
  endpoint_clear (&endpoint);
}

/* The type a template of @service would get: its web service for this
 * sign-in (the lowest priority), else its Web Enrollment pages; as
 * cradle_cert_type_new_for_template() chooses. */
static CradleCertType *
new_service_type (CradleCatalog           *catalog,
                  CradleEnrollmentService *service,
                  CradleCredentialsKind    kind)
{
  CradleCertTypeSettings settings = { 0 };
  g_autofree char *certsrv = g_strdup_printf ("https://%s/certsrv", cradle_enrollment_service_get_host (service));
  gint best = cradle_cert_type_choose_endpoint (service, kind);
  settings.name = (char *) cradle_enrollment_service_get_name (service);
  settings.display_name = settings.name;
  settings.protocol = best >= 0 ? CRADLE_CA_PROTOCOL_WSTEP : CRADLE_CA_PROTOCOL_CERTSRV;
  settings.url = best >= 0 ? (char *) cradle_enrollment_service_get_endpoint_uri (service, (guint) best) : certsrv;
  settings.auth = kind;
  return cradle_cert_type_new_custom (&settings, catalog);
}

static void
check_services (CradleDiagnosisRun *run,
                GCancellable       *cancellable)
{
  g_autofree char *reason = NULL;
  g_autoptr(CradleCatalog) catalog = _cradle_diagnosis_run_wait (run, CRADLE_DIAGNOSIS_FACT_CATALOG, &reason);
  CradleCredentialsKind kind = cradle_credentials_get_kind (_cradle_diagnosis_run_get_credentials (run));
  GPtrArray *services;

  if (catalog == NULL)
    {
      g_autofree char *why = g_strdup_printf ("skipped: no type was named and the directory's enrollment "
                                              "services could not be read: %s", reason);

      skip_all (run, why);
      return;
    }
  services = cradle_catalog_get_services (catalog);
  if (services->len == 0)
    {
      GError *error = NULL;

      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_CRADLE_ERROR,
                                CRADLE_ERROR_NOT_CONFIGURED,
                                "The directory lists no enterprise CA (Enrollment Services): no template can "
                                "be enrolled for. Ask your administrator.");
      _cradle_diagnosis_run_report (run, HOP, "services", "Enrollment services", CRADLE_CHECK_FAILED, 0, error,
                                    "The directory lists no enrollment service.");
      return;
    }
  for (guint i = 0; i < services->len && !g_cancellable_is_cancelled (cancellable); i++)
    {
      CradleEnrollmentService *service = g_ptr_array_index (services, i);
      g_autoptr(CradleCertType) type = new_service_type (catalog, service, kind);

      check_endpoint (run, cancellable, type, service, cradle_cert_type_get_url (type));
    }
}

void
_cradle_diagnose_ca (CradleDiagnosisRun *run,
                     GCancellable       *cancellable)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autofree char *reason = NULL;
  g_autoptr(GPtrArray) services = NULL;
  CradleEnrollmentService *service = NULL;
  const char *url;

  if (_cradle_diagnosis_run_get_type_name (run) == NULL)
    {
      check_services (run, cancellable);
      return;
    }
  type = _cradle_diagnosis_run_wait (run, CRADLE_DIAGNOSIS_FACT_TYPE, &reason);
  if (type == NULL)
    {
      g_autofree char *why = g_strdup_printf ("skipped: %s", reason);

      skip_all (run, why);
      return;
    }
  url = cradle_cert_type_get_url (type) != NULL ? cradle_cert_type_get_url (type)
                                                : cradle_cert_type_get_policy_url (type);
  if (url == NULL)
    {
      skip_all (run, "skipped: no CA publishes this type (see Certificate type)");
      return;
    }
  if (cradle_cert_type_get_kind (type) == CRADLE_CERT_TYPE_TEMPLATE && cradle_cert_type_get_template (type) != NULL)
    {
      services = cradle_catalog_dup_services_for (cradle_cert_type_get_catalog (type),
                                                  cradle_cert_type_get_template (type));
      if (services->len > 0)
        service = g_ptr_array_index (services, 0);
    }
  check_endpoint (run, cancellable, type, service, url);
}
