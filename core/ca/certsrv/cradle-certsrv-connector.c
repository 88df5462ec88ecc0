/* cradle-certsrv-connector.c: AD CS Web Enrollment (the certsrv pages)
 *
 * certsrv was made for browsers: the outcome of a request is an HTML page.
 * The pages' shapes (protocols.md §3) are recognised by the few strings every
 * AD CS version prints; anything else is reported as a page Cradle does not
 * know, never guessed at.
 */
#include "config.h"

#include "ca/cradle-ca-answer-private.h"
#include "ca/cradle-ca-connector-private.h"
#include "ca/certsrv/cradle-certsrv-page-private.h"

struct _CradleCertsrvConnector
{
  CradleCaConnector parent_instance;
};

G_DECLARE_FINAL_TYPE (CradleCertsrvConnector, cradle_certsrv_connector, CRADLE, CERTSRV_CONNECTOR,
                      CradleCaConnector)
G_DEFINE_FINAL_TYPE (CradleCertsrvConnector, cradle_certsrv_connector, CRADLE_TYPE_CA_CONNECTOR)

static char *
page_url (CradleCaConnector *self,
          const char        *page)
{
  const char *base = cradle_ca_connector_get_url (self);

  return g_strconcat (base, g_str_has_suffix (base, "/") ? "" : "/", page, NULL);
}

static CradleHttpResponse *
fetch (CradleCaConnector  *self,
       const char         *method,
       const char         *page,
       const char         *form,
       GCancellable       *cancellable,
       GError            **error)
{
  g_autofree char *url = page_url (self, page);
  g_autoptr(GBytes) body = form != NULL ? g_bytes_new (form, strlen (form)) : NULL;
  static const char * const headers[] = { "Accept: */*", NULL };
  CradleHttpRequest request = {
    .method = method,
    .url = url,
    .content_type = form != NULL ? "application/x-www-form-urlencoded" : NULL,
    .body = body,
    .headers = headers,
    .authenticate = TRUE,
  };
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autofree char *host = NULL;

  response = cradle_http_send (cradle_ca_connector_get_http (self), &request, cancellable, error);
  if (response == NULL)
    return NULL;
  if (response->status == 200)
    return g_steal_pointer (&response);

  host = cradle_http_dup_host (url);
  if (response->status == 404)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                 "%s has no AD CS Web Enrollment page at %s (HTTP 404). Check the "
                 "certsrv address of this certificate type.", host, url);
  else if (response->status == 503)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE,
                 "The CA web enrollment service on %s is unavailable (HTTP 503). Try "
                 "again later.", host);
  else if (response->status == 403)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED,
                 "%s refused access to its web enrollment pages (HTTP 403). Ask your "
                 "administrator whether you may use them.", host);
  else
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                 "%s answered HTTP %u on its web enrollment page %s. Try again later; "
                 "if this persists, support should check the CA's web server log.",
                 host, response->status, page);
  return NULL;
}

static char *
build_submit_form (CradleCaRequest *request)
{
  /* A renewal is the PKCS#7 around the PKCS#10: certfnsh.asp hands the
   * blob to ICertRequest::Submit with CR_IN_FORMATANY, which takes both
   * (CR_IN_PKCS7 is "renewal or registration agent"). */
  GBytes *body = cradle_ca_request_get_body (request);
  g_autofree char *base64 = g_base64_encode (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autoptr(GString) attributes = g_string_new (NULL);
  const char * const *extra = cradle_ca_request_get_attributes (request);
  g_autofree char *request_field = NULL;
  g_autofree char *attribute_field = NULL;

  if (cradle_ca_request_get_template_name (request) != NULL)
    g_string_append_printf (attributes, "CertificateTemplate:%s",
                            cradle_ca_request_get_template_name (request));
  for (guint i = 0; extra[i] != NULL; i++)
    g_string_append_printf (attributes, "%s%s", attributes->len > 0 ? "\r\n" : "", extra[i]);

  /* Reserved characters ('+', '/', '=', CR LF) must be escaped in a form. */
  request_field = g_uri_escape_string (base64, NULL, FALSE);
  attribute_field = g_uri_escape_string (attributes->str, NULL, FALSE);
  return g_strdup_printf ("Mode=newreq&CertRequest=%s&CertAttrib=%s"
                          "&TargetStoreFlags=0&SaveCert=yes&ThumbPrint=",
                          request_field, attribute_field);
}

/* A PKCS#7 page: DER from Enc=bin, sometimes base64 if a proxy rewrote it. */
static GPtrArray *
parse_certificates (CradleHttpResponse  *response,
                    GError             **error)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (response->body, &size);

  if (size > 0 && (guchar) data[0] == 0x30)
    return cradle_pkcs7_dup_certificates (response->body, error);
  return cradle_pkcs7_dup_certificates_from_base64 (data, size, error);
}

static CradleCaAnswer *
fetch_issued (CradleCaConnector  *self,
              CradleCaRequest    *request,
              const char         *request_id,
              GCancellable       *cancellable,
              GError            **error)
{
  g_autofree char *page = g_strdup_printf ("certnew.p7b?ReqID=%s&Enc=bin", request_id);
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autoptr(GPtrArray) certificates = NULL;
  CradleCertsrvPage parsed;

  response = fetch (self, "GET", page, NULL, cancellable, error);
  if (response == NULL)
    return NULL;
  if (cradle_http_response_has_type (response, "text/html"))
    {
      /* Still pending, denied meanwhile, or unknown: the page says which. */
      if (!cradle_certsrv_page_parse (response->body, &parsed, error))
        return NULL;
      return cradle_certsrv_page_to_answer (&parsed, request_id, error);
    }
  certificates = parse_certificates (response, error);
  if (certificates == NULL)
    return NULL;
  return cradle_ca_answer_new_issued_for_request (CRADLE_CA_PROTOCOL_CERTSRV, request_id,
                                                  request, certificates, error);
}

static CradleCaAnswer *
certsrv_submit (CradleCaConnector  *self,
                CradleCaRequest    *request,
                GCancellable       *cancellable,
                GError            **error)
{
  g_autofree char *form = build_submit_form (request);
  g_autoptr(CradleHttpResponse) response = NULL;
  CradleCertsrvPage parsed;

  response = fetch (self, "POST", "certfnsh.asp", form, cancellable, error);
  if (response == NULL)
    return NULL;
  if (!cradle_certsrv_page_parse (response->body, &parsed, error))
    return NULL;
  if (parsed.kind == CRADLE_CERTSRV_PAGE_ISSUED)
    {
      g_autofree char *request_id = g_strdup (parsed.request_id);

      cradle_certsrv_page_clear (&parsed);
      return fetch_issued (self, request, request_id, cancellable, error);
    }
  return cradle_certsrv_page_to_answer (&parsed, NULL, error);
}

static CradleCaAnswer *
certsrv_retrieve (CradleCaConnector  *self,
                  CradleCaRequest    *request,
                  const char         *request_id,
                  const char         *retrieve_uri,
                  GCancellable       *cancellable,
                  GError            **error)
{
  guint64 number;

  if (request_id == NULL ||
      !g_ascii_string_to_unsigned (request_id, 10, 1, G_MAXUINT32, &number, NULL))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "'%s' is not an AD CS request number, so it cannot be retrieved.",
                   request_id != NULL ? request_id : "(none)");
      return NULL;
    }
  return fetch_issued (self, request, request_id, cancellable, error);
}

static GPtrArray *
certsrv_dup_ca_certificates (CradleCaConnector  *self,
                             GCancellable       *cancellable,
                             GError            **error)
{
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autofree char *page = NULL;
  guint renewals;

  response = fetch (self, "GET", "certcarc.asp", NULL, cancellable, error);
  if (response == NULL)
    return NULL;
  if (!cradle_certsrv_page_find_renewals (response->body, &renewals, error))
    return NULL;
  g_clear_pointer (&response, cradle_http_response_free);

  page = g_strdup_printf ("certnew.p7b?ReqID=CACert&Renewal=%u&Enc=bin", renewals);
  response = fetch (self, "GET", page, NULL, cancellable, error);
  if (response == NULL)
    return NULL;
  if (cradle_http_response_has_type (response, "text/html"))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The CA answered its certificate chain request with a web page "
                           "instead of certificates. Support should check the CA's web "
                           "enrollment pages.");
      return NULL;
    }
  return parse_certificates (response, error);
}

static void
cradle_certsrv_connector_class_init (CradleCertsrvConnectorClass *klass)
{
  CradleCaConnectorClass *connector_class = CRADLE_CA_CONNECTOR_CLASS (klass);

  connector_class->submit = certsrv_submit;
  connector_class->retrieve = certsrv_retrieve;
  connector_class->dup_ca_certificates = certsrv_dup_ca_certificates;
}

static void
cradle_certsrv_connector_init (CradleCertsrvConnector *self)
{
}

CradleCaConnector *
cradle_certsrv_connector_new (const char *base_url)
{
  CradleCaConnector *self;

  g_return_val_if_fail (base_url != NULL, NULL);

  self = g_object_new (cradle_certsrv_connector_get_type (), NULL);
  cradle_ca_connector_init_kind (self, CRADLE_CA_PROTOCOL_CERTSRV, base_url);
  return self;
}
