/* cradle-est-connector.c: Enrollment over Secure Transport (RFC 7030)
 *
 * EST has no request numbers: a pending answer is 202 with Retry-After, and
 * the client sends the same request again later (RFC 7030 4.2.3).  The
 * pending answer's id is therefore the request's own fingerprint.
 */
#include "config.h"

#include "ca/cradle-ca-answer-private.h"
#include "ca/cradle-ca-connector-private.h"
#include "ca/cradle-html-private.h"

#define MAX_REASON 300

struct _CradleEstConnector
{
  CradleCaConnector parent_instance;

  gboolean reenroll;
};

G_DECLARE_FINAL_TYPE (CradleEstConnector, cradle_est_connector, CRADLE, EST_CONNECTOR,
                      CradleCaConnector)
G_DEFINE_FINAL_TYPE (CradleEstConnector, cradle_est_connector, CRADLE_TYPE_CA_CONNECTOR)

static char *
operation_url (CradleCaConnector *self,
               const char        *operation)
{
  const char *base = cradle_ca_connector_get_url (self);

  return g_strconcat (base, g_str_has_suffix (base, "/") ? "" : "/", operation, NULL);
}

/* An EST body is base64 (Content-Transfer-Encoding: base64); some servers
 * send DER anyway. */
static GPtrArray *
parse_certs_only (CradleHttpResponse  *response,
                  GError             **error)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (response->body, &size);

  if (!cradle_http_response_has_type (response, "application/pkcs7-mime"))
    {
      g_autofree char *type = g_strdup (response->content_type != NULL ?
                                        response->content_type : "none");

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The EST server answered with content of type %s instead of "
                   "certificates (application/pkcs7-mime). The address may not be an "
                   "EST server; check it.", g_strstrip (type));
      return NULL;
    }
  if (size > 0 && (guchar) data[0] == 0x30)
    return cradle_pkcs7_dup_certificates (response->body, error);
  return cradle_pkcs7_dup_certificates_from_base64 (data, size, error);
}

/* The server's reason for a refusal, as one bounded line of its text. */
static char *
dup_reason (CradleHttpResponse *response)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (response->body, &size);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (size == 0)
    return NULL;
  if (cradle_http_response_has_type (response, "text/html"))
    text = cradle_html_dup_text (data, MIN (size, 64 * 1024));
  else if (cradle_http_response_has_type (response, "text/plain") ||
           response->content_type == NULL)
    text = g_strndup (data, MIN (size, 64 * 1024));
  else
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (line[0] != '\0')
        return g_strndup (line, MAX_REASON);
    }
  return NULL;
}

static char *
request_fingerprint (CradleCaRequest *request)
{
  g_autofree char *sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256,
                                                          cradle_ca_request_get_csr (request));

  return g_strndup (sha256, 16);
}

static CradleCaAnswer *
enroll (CradleCaConnector  *connector,
        CradleCaRequest    *request,
        GCancellable       *cancellable,
        GError            **error)
{
  CradleEstConnector *self = (CradleEstConnector *) connector;
  GBytes *csr = cradle_ca_request_get_csr (request);
  g_autofree char *base64 = g_base64_encode (g_bytes_get_data (csr, NULL), g_bytes_get_size (csr));
  gsize base64_length = strlen (base64);
  g_autoptr(GBytes) body = g_bytes_new_take (g_steal_pointer (&base64), base64_length);
  g_autofree char *url = operation_url (connector, self->reenroll ? "simplereenroll" : "simpleenroll");
  g_autofree char *id = request_fingerprint (request);
  g_autofree char *host = cradle_http_dup_host (url);
  g_autofree char *reason = NULL;
  static const char * const headers[] = { "Content-Transfer-Encoding: base64", NULL };
  CradleHttpRequest http_request = {
    .method = "POST",
    .url = url,
    .content_type = "application/pkcs10",
    .headers = headers,
    .authenticate = TRUE,
  };
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autoptr(GPtrArray) certificates = NULL;

  http_request.body = body;

  response = cradle_http_send (cradle_ca_connector_get_http (connector), &http_request,
                               cancellable, error);
  if (response == NULL)
    return NULL;

  switch (response->status)
    {
    case 200:
      certificates = parse_certs_only (response, error);
      if (certificates == NULL)
        return NULL;
      return cradle_ca_answer_new_issued_for_request (CRADLE_CA_PROTOCOL_EST, id, request,
                                                      certificates, error);
    case 202:
      return cradle_ca_answer_new_pending (CRADLE_CA_PROTOCOL_EST, id, NULL,
                                           response->retry_after,
                                           "Accepted; the CA will decide later");
    case 401:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED,
                   "The EST server %s needs credentials to enroll (HTTP 401). Set a user "
                   "name and password, or a client certificate, for this certificate type.",
                   host);
      return NULL;
    case 404:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "%s has no EST enrollment at %s (HTTP 404). Check the EST address and "
                   "CA label of this certificate type.", host, url);
      return NULL;
    case 503:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE,
                   "The EST server %s is unavailable (HTTP 503). Try again later.", host);
      return NULL;
    default:
      break;
    }

  reason = dup_reason (response);
  if (response->status >= 400 && response->status < 500)
    return cradle_ca_answer_new_denied (CRADLE_CA_PROTOCOL_EST, id, response->status, reason);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
               "The EST server %s failed on the request (HTTP %u%s%s). Try again later; if "
               "this persists, support should check the server's log.",
               host, response->status, reason != NULL ? ": " : "", reason != NULL ? reason : "");
  return NULL;
}

static CradleCaAnswer *
est_submit (CradleCaConnector  *self,
            CradleCaRequest    *request,
            GCancellable       *cancellable,
            GError            **error)
{
  return enroll (self, request, cancellable, error);
}

static CradleCaAnswer *
est_retrieve (CradleCaConnector  *self,
              CradleCaRequest    *request,
              const char         *request_id,
              const char         *retrieve_uri,
              GCancellable       *cancellable,
              GError            **error)
{
  /* RFC 7030 4.2.3: the same request, sent again. */
  return enroll (self, request, cancellable, error);
}

static GPtrArray *
est_dup_ca_certificates (CradleCaConnector  *self,
                         GCancellable       *cancellable,
                         GError            **error)
{
  g_autofree char *url = operation_url (self, "cacerts");
  CradleHttpRequest request = { .method = "GET", .url = url, .authenticate = FALSE };
  g_autoptr(CradleHttpResponse) response = NULL;

  response = cradle_http_send (cradle_ca_connector_get_http (self), &request, cancellable, error);
  if (response == NULL)
    return NULL;
  if (response->status != 200)
    {
      g_autofree char *host = cradle_http_dup_host (url);

      g_set_error (error, CRADLE_ERROR,
                   response->status == 404 ? CRADLE_ERROR_NOT_CONFIGURED : CRADLE_ERROR_FAILED,
                   "The EST server %s did not give its CA certificates (HTTP %u). Check the "
                   "EST address of this certificate type.", host, response->status);
      return NULL;
    }
  return parse_certs_only (response, error);
}

static void
cradle_est_connector_class_init (CradleEstConnectorClass *klass)
{
  CradleCaConnectorClass *connector_class = CRADLE_CA_CONNECTOR_CLASS (klass);

  connector_class->submit = est_submit;
  connector_class->retrieve = est_retrieve;
  connector_class->dup_ca_certificates = est_dup_ca_certificates;
}

static void
cradle_est_connector_init (CradleEstConnector *self)
{
}

CradleCaConnector *
cradle_est_connector_new (const char *base_url,
                          const char *label)
{
  CradleCaConnector *self;
  g_autofree char *url = NULL;
  const char *sep;

  g_return_val_if_fail (base_url != NULL, NULL);

  sep = g_str_has_suffix (base_url, "/") ? "" : "/";
  url = label != NULL && label[0] != '\0' ? g_strconcat (base_url, sep, label, NULL)
                                          : g_strdup (base_url);
  self = g_object_new (cradle_est_connector_get_type (), NULL);
  cradle_ca_connector_init_kind (self, CRADLE_CA_PROTOCOL_EST, url);
  return self;
}

void
cradle_est_connector_set_reenroll (CradleCaConnector *self,
                                   gboolean           reenroll)
{
  g_return_if_fail (G_TYPE_CHECK_INSTANCE_TYPE (self, cradle_est_connector_get_type ()));
  ((CradleEstConnector *) self)->reenroll = reenroll;
}
