/* cradle-diagnose-ca-service.c: the ca hop's checks above TLS for one endpoint
 *
 * sign-in         an authenticated GET of the enrollment page or service,
 *                 through the type's own connector (core/ca/cradle-http.c:
 *                 Negotiate or Basic as the type says, its trust, its
 *                 deadline), sending no request;
 * service         the type probe (cradle-type-probe.h): what the server
 *                 says it is, the template offered, the CA pinned;
 * ca-certificate  the CA's certificates' dates (a warning within 30 days
 *                 of the end).
 * CRL, OCSP and AIA are cradle-diagnose-ca-revocation.c's.
 */
#include "config.h"

#include <openssl/x509v3.h>

#include "support/cradle-diagnose-ca-private.h"
#include "base/cradle-openssl-private.h"
#include "ca/cradle-ca-connector-private.h"
#include "policy/cradle-cert-type-private.h"

/* A CA certificate ending within this many days is a warning. */
#define CA_EXPIRY_WARNING_DAYS 30

guint
_cradle_diagnose_ca_service_timeout_seconds (CradleDiagnoseCaEndpoint *endpoint)
{
  return MAX (1, (endpoint->timeout_ms + 999) / 1000);
}

/* ---- sign-in ------------------------------------------------------------ */

void
_cradle_diagnose_ca_service_sign_in (CradleDiagnoseCaEndpoint *endpoint)
{
  const char *title = "HTTP sign-in";
  CradleCertType *type = endpoint->type;
  CradleCaProtocol protocol = cradle_cert_type_get_protocol (type);
  g_autoptr(CradleCaConnector) connector = NULL;
  g_autoptr(CradleDiagnoseDeadline) deadline = NULL;
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GBytes) empty = NULL;
  CradleHttpRequest request = { .method = "GET", .authenticate = TRUE };
  CradleHttp *http;
  gint64 started = g_get_monotonic_time ();
  const char *how;
  GError *error = NULL;

  if (_cradle_diagnose_ca_skip_if_blocked (endpoint, "sign-in", title))
    return;
  if (cradle_cert_type_get_kind (type) == CRADLE_CERT_TYPE_CUSTOM &&
      cradle_cert_type_get_auth (type) == CRADLE_CREDENTIALS_NONE)
    {
      _cradle_diagnose_ca_report (endpoint, "sign-in", title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                  "skipped: this type signs in with nothing (Auth=none)%s.",
                                  protocol == CRADLE_CA_PROTOCOL_SCEP ? "; SCEP's challenge goes with the request" : "");
      return;
    }
  if (protocol == CRADLE_CA_PROTOCOL_SCEP || protocol == CRADLE_CA_PROTOCOL_EST)
    {
      _cradle_diagnose_ca_report (endpoint, "sign-in", title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                  "skipped: %s asks for the sign-in only with a request, which a diagnosis "
                                  "does not send.", cradle_ca_protocol_to_string (protocol));
      return;
    }
  if (protocol == CRADLE_CA_PROTOCOL_WSTEP && cradle_cert_type_get_url (type) == NULL)
    connector = cradle_cert_type_create_policy_connector (type, endpoint->credentials, &error);
  else
    connector = cradle_cert_type_create_connector (type, endpoint->credentials, &error);
  if (connector == NULL)
    {
      _cradle_diagnose_ca_report (endpoint, "sign-in", title, CRADLE_CHECK_FAILED, started, error,
                                  "No connector can be made for this type.");
      return;
    }
  cradle_ca_connector_set_timeout (connector, _cradle_diagnose_ca_service_timeout_seconds (endpoint));
  http = cradle_ca_connector_get_http (connector);
  how = cradle_http_get_auth (http) == CRADLE_HTTP_AUTH_NEGOTIATE ? "Kerberos (Negotiate)"
        : cradle_http_get_auth (http) == CRADLE_HTTP_AUTH_BASIC ? "a user name and password (Basic)"
        : "nothing";
  if (cradle_http_get_auth (http) == CRADLE_HTTP_AUTH_NONE)
    {
      _cradle_diagnose_ca_report (endpoint, "sign-in", title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                  "skipped: this service takes the sign-in inside each request (WS-Security), "
                                  "which a diagnosis does not send.");
      return;
    }
  /* certsrv's pages sit under the base and answer a GET once signed in; a
   * CES or policy server answers only SOAP POSTs, and signs in (at the
   * transport) before it reads one: an empty one is refused after that. */
  if (protocol == CRADLE_CA_PROTOCOL_CERTSRV)
    url = g_strconcat (endpoint->url, g_str_has_suffix (endpoint->url, "/") ? "" : "/", NULL);
  else
    {
      url = g_strdup (endpoint->url);
      request.method = "POST";
      request.content_type = "application/soap+xml; charset=utf-8";
      empty = g_bytes_new_static ("", 0);
      request.body = empty;
    }
  request.url = url;
  deadline = _cradle_diagnose_deadline_new (endpoint->cancellable, endpoint->timeout_ms);
  response = cradle_http_send (http, &request, _cradle_diagnose_deadline_get_cancellable (deadline), &error);
  if (response == NULL)
    {
      if (_cradle_diagnose_deadline_expired (deadline))
        {
          g_clear_error (&error);
          cradle_explain_set_error (&error, CRADLE_ERROR_TIMED_OUT, CRADLE_EXPLAIN_TRANSPORT,
                                    CRADLE_TRANSPORT_FAILURE_TIMED_OUT,
                                    "%s did not answer the sign-in within %u ms.", endpoint->host,
                                    endpoint->timeout_ms);
        }
      _cradle_diagnose_ca_report (endpoint, "sign-in", title, CRADLE_CHECK_FAILED, started, error,
                                  "Signing in with %s failed.", how);
      return;
    }
  if (response->status == 403)
    {
      cradle_explain_set_error (&error, CRADLE_ERROR_PERMISSION_DENIED, CRADLE_EXPLAIN_HTTP_STATUS, 403,
                                "%s accepted who you are but refused you access (HTTP 403).", endpoint->host);
      _cradle_diagnose_ca_report (endpoint, "sign-in", title, CRADLE_CHECK_FAILED, started, error,
                                  "Signed in with %s; refused (HTTP 403).", how);
      return;
    }
  if (response->status >= 500 && protocol == CRADLE_CA_PROTOCOL_CERTSRV)
    {
      cradle_explain_set_error (&error, CRADLE_ERROR_UNREACHABLE, CRADLE_EXPLAIN_HTTP_STATUS, response->status,
                                "%s answered HTTP %u to the sign-in.", endpoint->host, response->status);
      _cradle_diagnose_ca_report (endpoint, "sign-in", title, CRADLE_CHECK_FAILED, started, error,
                                  "The server failed (HTTP %u).", response->status);
      return;
    }
  _cradle_diagnose_ca_report (endpoint, "sign-in", title, CRADLE_CHECK_OK, started, NULL,
                              "Signed in with %s: the server answered HTTP %u%s.", how, response->status,
                              protocol == CRADLE_CA_PROTOCOL_CERTSRV ? ""
                                : " to an empty message (it takes nothing but enrollment requests)");
}

/* ---- the service's own answer --------------------------------------------- */

void
_cradle_diagnose_ca_service_answer (CradleDiagnoseCaEndpoint *endpoint)
{
  const char *title = "The service's own answer";
  g_autoptr(CradleDiagnoseDeadline) deadline = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *findings = NULL;
  gint64 started = g_get_monotonic_time ();
  GPtrArray *certificates;
  GError *error = NULL;

  if (_cradle_diagnose_ca_skip_if_blocked (endpoint, "service", title))
    return;
  deadline = _cradle_diagnose_deadline_new (endpoint->cancellable, endpoint->timeout_ms);
  probe = cradle_type_probe_run (endpoint->type, endpoint->credentials,
                                 _cradle_diagnose_deadline_get_cancellable (deadline), &local_error);
  if (probe == NULL)
    {
      if (_cradle_diagnose_deadline_expired (deadline))
        {
          cradle_explain_set_error (&error, CRADLE_ERROR_TIMED_OUT, CRADLE_EXPLAIN_TRANSPORT,
                                    CRADLE_TRANSPORT_FAILURE_TIMED_OUT,
                                    "%s did not say what it is within %u ms. The CA may be overloaded.",
                                    endpoint->host, endpoint->timeout_ms);
          _cradle_diagnose_ca_report (endpoint, "service", title, CRADLE_CHECK_FAILED, started, error,
                                      "No answer in time.");
        }
      else
        _cradle_diagnose_ca_report (endpoint, "service", title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                    "skipped: the checks were cancelled");
      return;
    }
  findings = g_strjoinv ("\n", (char **) cradle_type_probe_get_findings (probe));
  certificates = cradle_type_probe_get_ca_certificates (probe);
  for (guint i = 0; i < certificates->len; i++)
    g_ptr_array_add (endpoint->ca_certificates, g_object_ref (certificates->pdata[i]));
  if (cradle_type_probe_get_ok (probe))
    {
      _cradle_diagnose_ca_report (endpoint, "service", title, CRADLE_CHECK_OK, started, NULL, "%s", findings);
      return;
    }
  error = g_error_copy (cradle_type_probe_get_error (probe));
  if (_cradle_diagnose_deadline_expired (deadline))
    {
      g_clear_error (&error);
      cradle_explain_set_error (&error, CRADLE_ERROR_TIMED_OUT, CRADLE_EXPLAIN_TRANSPORT,
                                CRADLE_TRANSPORT_FAILURE_TIMED_OUT,
                                "%s did not say what it is within %u ms.", endpoint->host, endpoint->timeout_ms);
    }
  _cradle_diagnose_ca_report (endpoint, "service", title, CRADLE_CHECK_FAILED, started, error,
                              "%s", findings[0] != '\0' ? findings : "The server did not answer as the type expects.");
}

/* ---- the CA certificate ----------------------------------------------------- */

X509 *
_cradle_diagnose_ca_service_dup_x509 (CradleCertificate *certificate)
{
  gsize size = 0;
  const unsigned char *der = g_bytes_get_data (cradle_certificate_get_der (certificate), &size);

  return d2i_X509 (NULL, &der, (long) size);
}

/* The CA's certificates: what the service sent, else the directory's copy. */
void
_cradle_diagnose_ca_service_add_directory_certificate (CradleDiagnoseCaEndpoint *endpoint)
{
  if (endpoint->ca_certificates->len > 0 || endpoint->service == NULL ||
      cradle_enrollment_service_get_certificate (endpoint->service) == NULL)
    return;
  g_ptr_array_add (endpoint->ca_certificates,
                   g_object_ref (cradle_enrollment_service_get_certificate (endpoint->service)));
}

void
_cradle_diagnose_ca_service_ca_certificate (CradleDiagnoseCaEndpoint *endpoint)
{
  const char *title = "CA certificate";
  g_autoptr(GString) found = g_string_new (NULL);
  CradleCheckVerdict verdict = CRADLE_CHECK_OK;
  gint64 started = g_get_monotonic_time ();
  GError *error = NULL;

  if (_cradle_diagnose_ca_skip_if_blocked (endpoint, "ca-certificate", title))
    return;
  _cradle_diagnose_ca_service_add_directory_certificate (endpoint);
  if (endpoint->ca_certificates->len == 0)
    {
      _cradle_diagnose_ca_report (endpoint, "ca-certificate", title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                  "skipped: the service sent no CA certificate and the directory lists none for it");
      return;
    }
  for (guint i = 0; i < endpoint->ca_certificates->len; i++)
    {
      g_autoptr(X509) x509 = _cradle_diagnose_ca_service_dup_x509 (endpoint->ca_certificates->pdata[i]);
      g_autofree char *subject = NULL;
      int days = 0, seconds = 0;

      if (x509 == NULL)
        {
          g_string_append_printf (found, "%sA certificate that cannot be read.", found->len > 0 ? "\n" : "");
          if (verdict != CRADLE_CHECK_FAILED)
            {
              g_clear_error (&error);
              cradle_explain_set_error (&error, CRADLE_ERROR_INVALID_DATA, CRADLE_EXPLAIN_TRANSPORT,
                                        CRADLE_TRANSPORT_FAILURE_BAD_RESPONSE,
                                        "A CA certificate from %s cannot be read.", endpoint->host);
              verdict = CRADLE_CHECK_FAILED;
            }
          continue;
        }
      subject = _cradle_diagnose_ca_net_dup_name (X509_get_subject_name (x509));
      if (X509_cmp_current_time (X509_get0_notBefore (x509)) > 0 ||
          X509_cmp_current_time (X509_get0_notAfter (x509)) < 0)
        {
          g_string_append_printf (found, "%s%s: not valid now (expired or not yet valid).",
                                  found->len > 0 ? "\n" : "", subject);
          if (verdict != CRADLE_CHECK_FAILED)
            {
              g_clear_error (&error);
              cradle_explain_set_error (&error, CRADLE_ERROR_CA_DENIED, CRADLE_EXPLAIN_HRESULT, 0x800B0101,
                                        "The CA certificate %s is not valid now: the CA cannot issue "
                                        "certificates anyone trusts. Tell your administrator.", subject);
            }
          verdict = CRADLE_CHECK_FAILED;
          continue;
        }
      ASN1_TIME_diff (&days, &seconds, NULL, X509_get0_notAfter (x509));
      g_string_append_printf (found, "%s%s: valid for %d more days.", found->len > 0 ? "\n" : "", subject, days);
      if (days < CA_EXPIRY_WARNING_DAYS && verdict == CRADLE_CHECK_OK)
        {
          cradle_explain_set_error (&error, CRADLE_ERROR_CA_DENIED, CRADLE_EXPLAIN_CERTIFICATE,
                                    CRADLE_CERTIFICATE_PROBLEM_CA_ENDING,
                                    "The CA certificate %s ends in %d days; certificates it issues end "
                                    "with it. Tell your administrator to renew the CA.", subject, days);
          verdict = CRADLE_CHECK_WARNING;
        }
    }
  _cradle_diagnose_ca_report (endpoint, "ca-certificate", title, verdict, started, error, "%s", found->str);
}
