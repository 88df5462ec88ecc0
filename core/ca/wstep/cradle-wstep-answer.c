/* cradle-wstep-answer.c: MS-WSTEP and MS-XCEP over HTTP, and what their answers mean
 *
 * A CES answers 200 with an RSTRC, or 500 with a SOAP fault.  A fault whose
 * CertificateEnrollmentWSDetail says InvalidRequest, or gives a CA policy
 * HRESULT (0x8009xxxx), is the CA's decision: a denied answer with that
 * code.  Any other fault, and anything that is not SOAP, is an error that
 * quotes what the server said.
 */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "ca/cradle-ca-answer-private.h"
#include "ca/wstep/cradle-wstep-private.h"

/* HRESULTs that are not decisions although they are CA codes, or that say
 * the CA behind the service is not there. */
#define HRESULT_E_ACCESSDENIED                0x80070005u
#define HRESULT_RPC_S_SERVER_UNAVAILABLE      0x800706BAu
#define HRESULT_EPT_S_NOT_REGISTERED          0x800706D9u
#define HRESULT_CERTSRV_E_SERVER_SUSPENDED    0x80094006u
#define HRESULT_FACILITY_SECURITY_MASK        0xFFFF0000u
#define HRESULT_FACILITY_SECURITY             0x80090000u

/* How much of a body that is not SOAP a message shows. */
#define SHOWN_BODY_CHARS 80

static const char *
role_name (CradleWstepRole role)
{
  return role == CRADLE_WSTEP_ROLE_POLICY ? "enrollment policy server" : "enrollment web service";
}

static const char *
role_path (CradleWstepRole role)
{
  return role == CRADLE_WSTEP_ROLE_POLICY ? "…/service.svc/CEP" : "…/service.svc/CES";
}

/* An HTML page's title, or the start of the body, to say what came. */
static char *
describe_body (GBytes *body)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (body, &size);
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;
  char *title;

  if (size == 0)
    return g_strdup ("an empty body");
  text = g_strndup (data, MIN (size, 4096));
  title = strstr (text, "<title>");
  if (title == NULL)
    title = strstr (text, "<TITLE>");
  if (title == NULL)
    {
      shown = cradle_xml_dup_display_text (text, SHOWN_BODY_CHARS);
      return g_strdup_printf ("“%s”", shown);
    }
  title += strlen ("<title>");
  title[strcspn (title, "<")] = '\0';
  shown = cradle_xml_dup_display_text (title, SHOWN_BODY_CHARS);
  return g_strdup_printf ("a page titled “%s”", shown);
}

static gboolean
is_xml_type (const CradleHttpResponse *response)
{
  return cradle_http_response_has_type (response, "application/soap+xml") ||
         cradle_http_response_has_type (response, "text/xml") ||
         cradle_http_response_has_type (response, "application/xml");
}

CradleHttpResponse *
cradle_wstep_post (CradleHttp       *http,
                   CradleWstepRole   role,
                   const char       *url,
                   GBytes           *message,
                   gboolean          negotiate,
                   GCancellable     *cancellable,
                   GError          **error)
{
  CradleHttpRequest request = {
    .method = "POST",
    .url = url,
    .content_type = CRADLE_SOAP_CONTENT_TYPE,
    .body = message,
    .authenticate = negotiate,
  };
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autofree char *host = cradle_http_dup_host (url);
  g_autofree char *what = NULL;

  g_debug ("POST to the %s %s", role_name (role), url);
  response = cradle_http_send (http, &request, cancellable, error);
  if (response == NULL)
    return NULL;
  g_debug ("The %s %s answered HTTP %u (%s, %" G_GSIZE_FORMAT " bytes)", role_name (role), host,
           response->status, response->content_type != NULL ? response->content_type : "no type",
           g_bytes_get_size (response->body));

  /* SOAP, whatever the status: faults come with 500. */
  if (is_xml_type (response) && g_bytes_get_size (response->body) > 0)
    return g_steal_pointer (&response);

  what = describe_body (response->body);
  switch (response->status)
    {
    case 401:
    case 403:
      cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_HTTP_STATUS,
                                response->status,
                                "The %s at %s refused the sign-in (HTTP %u). Check the user name "
                                "and password, or sign in to the domain again, then try again.",
                                role_name (role), host, response->status);
      return NULL;
    case 404:
      cradle_explain_set_error (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_HTTP_STATUS,
                                response->status,
                                "There is no %s at %s (HTTP 404 for %s). Check the address: it "
                                "should end in %s.",
                                role_name (role), host, url, role_path (role));
      return NULL;
    case 502:
    case 503:
    case 504:
      cradle_explain_set_error (error, CRADLE_ERROR_UNREACHABLE, CRADLE_EXPLAIN_HTTP_STATUS,
                                response->status,
                                "The %s at %s is not available (HTTP %u, %s). The service or the "
                                "CA behind it may be stopped; try again later.",
                                role_name (role), host, response->status, what);
      return NULL;
    default:
      cradle_explain_set_error (error, CRADLE_ERROR_INVALID_DATA, CRADLE_EXPLAIN_TRANSPORT,
                                CRADLE_TRANSPORT_FAILURE_BAD_RESPONSE,
                                "The %s at %s answered with something that is not a SOAP message "
                                "(HTTP %u, %s, %s). Check that the address is right (it should "
                                "end in %s); if it is, support should look at the server.",
                                role_name (role), host, response->status,
                                response->content_type != NULL ? response->content_type
                                                               : "no content type",
                                what, role_path (role));
      return NULL;
    }
}

gboolean
cradle_wstep_fault_is_denial (const CradleWstepResult *result)
{
  if (result->kind != CRADLE_WSTEP_RESULT_FAULT || !result->has_error_code)
    return FALSE;
  if (result->invalid_request)
    return TRUE;
  /* The service is suspended: no decision on this request. */
  if (result->error_code == HRESULT_CERTSRV_E_SERVER_SUSPENDED)
    return FALSE;
  return (result->error_code & HRESULT_FACILITY_SECURITY_MASK) == HRESULT_FACILITY_SECURITY;
}

void
cradle_wstep_set_fault_error (GError                 **error,
                              CradleWstepRole          role,
                              const char              *url,
                              CradleEndpointAuth       auth,
                              const CradleWstepResult *result)
{
  g_autofree char *host = cradle_http_dup_host (url);
  g_autofree char *said = NULL;
  g_autofree char *code = NULL;
  g_autofree char *text = NULL;
  CradleError kind;

  said = result->message != NULL ? g_strdup_printf ("“%s”", result->message)
                                  : g_strdup ("nothing more");
  if (result->has_error_code)
    {
      g_autofree char *name = cradle_explain_format_hresult (result->error_code);

      code = g_strdup_printf (" (%s)", name);
    }
  else
    code = g_strdup_printf (result->fault_subcode != NULL ? " (%s)" : "%s",
                            result->fault_subcode != NULL ? result->fault_subcode : "");

  if (result->fault_is_security ||
      (result->has_error_code && result->error_code == HRESULT_E_ACCESSDENIED))
    {
      kind = CRADLE_ERROR_AUTH_FAILED;
      if (auth == CRADLE_ENDPOINT_AUTH_PASSWORD)
        text = g_strdup_printf ("The %s at %s did not accept the user name and password; it "
                                "says %s%s. Check them and try again.",
                                role_name (role), host, said, code);
      else
        text = g_strdup_printf ("The %s at %s did not accept your sign-in; it says %s%s. Sign "
                                "in to the domain again, or ask your administrator whether you "
                                "may use this service.",
                                role_name (role), host, said, code);
    }
  else if (result->has_error_code && (result->error_code == HRESULT_RPC_S_SERVER_UNAVAILABLE ||
                                      result->error_code == HRESULT_EPT_S_NOT_REGISTERED ||
                                      result->error_code == HRESULT_CERTSRV_E_SERVER_SUSPENDED))
    {
      kind = CRADLE_ERROR_UNREACHABLE;
      text = g_strdup_printf ("The %s at %s could not reach its certification authority; it "
                              "says %s%s. The CA may be stopped; try again later.",
                              role_name (role), host, said, code);
    }
  else if (!result->has_error_code)
    {
      kind = CRADLE_ERROR_FAILED;
      text = g_strdup_printf ("The %s at %s failed and gave no error code; it says %s%s. Try "
                              "again later; if it keeps failing, support should look at the "
                              "service's log.",
                              role_name (role), host, said, code);
    }
  else
    {
      kind = CRADLE_ERROR_FAILED;
      text = g_strdup_printf ("The %s at %s could not handle the request; it says %s%s. If it "
                              "keeps failing, support should look at the service's log.",
                              role_name (role), host, said, code);
    }

  if (result->has_error_code)
    cradle_explain_set_error (error, kind, CRADLE_EXPLAIN_HRESULT, result->error_code, "%s", text);
  else
    g_set_error_literal (error, CRADLE_ERROR, kind, text);
}

/* scheme, host and port the same */
static gboolean
same_server (const char *a,
             const char *b)
{
  g_autoptr(GUri) uri_a = g_uri_parse (a, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GUri) uri_b = g_uri_parse (b, G_URI_FLAGS_NONE, NULL);

  if (uri_a == NULL || uri_b == NULL)
    return FALSE;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri_a), g_uri_get_scheme (uri_b)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (uri_a), g_uri_get_host (uri_b)) == 0 &&
         g_uri_get_port (uri_a) == g_uri_get_port (uri_b);
}

static void
add_unique (GPtrArray         *certificates,
            CradleCertificate *certificate)
{
  GBytes *der = cradle_certificate_get_der (certificate);

  for (guint i = 0; i < certificates->len; i++)
    {
      if (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (certificates, i)), der))
        return;
    }
  g_ptr_array_add (certificates, g_object_ref (certificate));
}

static CradleCaAnswer *
issued_answer (const CradleWstepResult  *result,
               CradleCaRequest          *request,
               const char               *request_id,
               const char               *host,
               GError                  **error)
{
  g_autoptr(GPtrArray) certificates = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(CradleCertificate) leaf = NULL;
  g_autoptr(GError) local_error = NULL;

  leaf = cradle_certificate_new_from_der (result->leaf, &local_error);
  if (leaf == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The certificate the enrollment web service at %s issued cannot be read: "
                   "%s. Nothing was installed; retrieve it again, and if this persists "
                   "support should check the CA.",
                   host, local_error->message);
      return NULL;
    }
  g_ptr_array_add (certificates, g_object_ref (leaf));

  /* The chain comes in the CMC response; a damaged one is a damaged answer. */
  if (result->pkcs7 != NULL)
    {
      g_autoptr(GPtrArray) bundle = cradle_pkcs7_dup_certificates (result->pkcs7, error);

      if (bundle == NULL)
        {
          g_prefix_error (error, "The answer from the enrollment web service at %s is not "
                          "usable. ", host);
          return NULL;
        }
      for (guint i = 0; i < bundle->len; i++)
        add_unique (certificates, g_ptr_array_index (bundle, i));
    }

  return cradle_ca_answer_new_issued_for_request (CRADLE_CA_PROTOCOL_WSTEP, request_id, request,
                                                  certificates, error);
}

CradleCaAnswer *
cradle_wstep_answer_new (const CradleWstepResult  *result,
                         CradleCaRequest          *request,
                         const char               *request_id,
                         const char               *endpoint,
                         CradleEndpointAuth        auth,
                         GError                  **error)
{
  g_autofree char *host = cradle_http_dup_host (endpoint);
  const char *id = result->request_id != NULL ? result->request_id : request_id;

  switch (result->kind)
    {
    case CRADLE_WSTEP_RESULT_ISSUED:
      return issued_answer (result, request, id, host, error);

    case CRADLE_WSTEP_RESULT_PENDING:
      {
        const char *retrieve_uri = endpoint;

        if (result->reference_uri != NULL)
          {
            if (same_server (result->reference_uri, endpoint))
              retrieve_uri = result->reference_uri;
            else
              g_info ("The pending request's reference %s is on another server than %s; "
                      "asking %s later", result->reference_uri, endpoint, endpoint);
          }
        return cradle_ca_answer_new_pending (CRADLE_CA_PROTOCOL_WSTEP, id, retrieve_uri, 0,
                                             result->message);
      }

    case CRADLE_WSTEP_RESULT_FAULT:
    default:
      if (cradle_wstep_fault_is_denial (result))
        return cradle_ca_answer_new_denied (CRADLE_CA_PROTOCOL_WSTEP, id, result->error_code,
                                            result->message);
      cradle_wstep_set_fault_error (error, CRADLE_WSTEP_ROLE_ENROLLMENT, endpoint, auth, result);
      return NULL;
    }
}
