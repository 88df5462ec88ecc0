/* cradle-wstep-connector.c: MS-WSTEP enrollment, with the service found through MS-XCEP or the directory
 *
 * submit: RequestSecurityToken Issue to the CES; retrieve: the same action
 * with RequestType QueryTokenStatus and the request id, to the address the
 * pending answer gave.  The CES is fixed (cradle_wstep_connector_new), the
 * most preferred one of the CA's msPKI-Enrollment-Servers, or the most
 * preferred one a policy server (CEP) lists for the request's template.
 *
 * The CA's certificates (dup_ca_certificates): a CES has no operation for
 * them, so they come from where the service was found (the directory's
 * cACertificate, the policy's cA certificates), else from the chain of the
 * last issued answer; with none of those, NOT_SUPPORTED says what to do.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "ca/cradle-ca-connector-private.h"
#include "ca/wstep/cradle-endpoint-choice-private.h"
#include "ca/wstep/cradle-enrollment-policy-private.h"
#include "catalog/cradle-ces-endpoint-private.h"
#include "ca/wstep/cradle-wstep-private.h"
#include "ca/wstep/cradle-xcep-private.h"

#define CRADLE_TYPE_WSTEP_CONNECTOR (cradle_wstep_connector_get_type ())
G_DECLARE_FINAL_TYPE (CradleWstepConnector, cradle_wstep_connector, CRADLE, WSTEP_CONNECTOR,
                      CradleCaConnector)

struct _CradleWstepConnector
{
  CradleCaConnector parent_instance;

  /* Owned, set once when made */
  char                   *ces_url;          /* %NULL: from the policy */
  char                   *cep_url;          /* %NULL: no policy server */

  GMutex                  lock;             /* the fields below */

  /* Owned */
  CradleEnrollmentPolicy *policy;
  GPtrArray              *ca_certificates;  /* of CradleCertificate, %NULL: none known */
};

G_DEFINE_FINAL_TYPE (CradleWstepConnector, cradle_wstep_connector, CRADLE_TYPE_CA_CONNECTOR)

/* ---- sign-in -------------------------------------------------------------- */

/* What the connector's settings sign in with, as endpoints list it. */
static CradleEndpointAuth
sign_in_kind (CradleWstepConnector *self)
{
  switch (cradle_http_get_auth (cradle_ca_connector_get_http (CRADLE_CA_CONNECTOR (self))))
    {
    case CRADLE_HTTP_AUTH_NEGOTIATE:
      return CRADLE_ENDPOINT_AUTH_KERBEROS;
    case CRADLE_HTTP_AUTH_BASIC:
      return CRADLE_ENDPOINT_AUTH_PASSWORD;
    case CRADLE_HTTP_AUTH_NONE:
    default:
      return CRADLE_ENDPOINT_AUTH_CERTIFICATE;
    }
}

static gboolean
is_https (const char *url)
{
  g_autofree char *scheme = g_uri_parse_scheme (url);

  return scheme != NULL && g_ascii_strcasecmp (scheme, "https") == 0;
}

/* The header of a message to @url; a password only ever goes over TLS. */
static gboolean
init_header (CradleWstepConnector  *self,
             CradleSoapHeader      *header,
             const char            *action,
             const char            *url,
             GError               **error)
{
  CradleCaConnector *connector = CRADLE_CA_CONNECTOR (self);

  *header = (CradleSoapHeader) { .action = action, .to = url };
  if (sign_in_kind (self) != CRADLE_ENDPOINT_AUTH_PASSWORD)
    return TRUE;
  if (!is_https (url))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "Cradle will not send a password to %s over plain HTTP. Ask your "
                   "administrator for the https:// address of the service, or use Kerberos.",
                   url);
      return FALSE;
    }
  header->user = cradle_ca_connector_get_user (connector);
  header->password = cradle_ca_connector_get_password (connector);
  return TRUE;
}

static gboolean
negotiates (CradleWstepConnector *self)
{
  return sign_in_kind (self) == CRADLE_ENDPOINT_AUTH_KERBEROS;
}

/* An answer that breaks the protocol, for the explanation table. */
static void
set_bad_response (GError **error)
{
  if (error != NULL && *error != NULL)
    cradle_explain_set_detail (*error, CRADLE_EXPLAIN_TRANSPORT,
                               CRADLE_TRANSPORT_FAILURE_BAD_RESPONSE);
}

/* ---- the policy server ------------------------------------------------------ */

static CradleEnrollmentPolicy *
fetch_policy (CradleWstepConnector  *self,
              const char            *cep_url,
              GCancellable          *cancellable,
              GError               **error)
{
  CradleHttp *http = cradle_ca_connector_get_http (CRADLE_CA_CONNECTOR (self));
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autoptr(CradleSoapMessage) message = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autofree char *host = cradle_http_dup_host (cep_url);
  CradleXcepResponse *policy;
  CradleSoapHeader header;

  if (!init_header (self, &header, CRADLE_XCEP_ACTION_GET_POLICIES, cep_url, error))
    return NULL;
  request = cradle_xcep_build_get_policies (&header, error);
  if (request == NULL)
    return NULL;
  response = cradle_wstep_post (http, CRADLE_WSTEP_ROLE_POLICY, cep_url, request,
                                negotiates (self), cancellable, error);
  if (response == NULL)
    return NULL;

  message = cradle_soap_message_parse (response->body, CRADLE_XML_MAX_SIZE, error);
  if (message == NULL)
    {
      g_prefix_error (error, "The enrollment policy server at %s sent an answer Cradle cannot "
                      "read: ", host);
      set_bad_response (error);
      return NULL;
    }
  if (message->fault != NULL)
    {
      g_autoptr(CradleWstepResult) fault = g_new0 (CradleWstepResult, 1);

      fault->kind = CRADLE_WSTEP_RESULT_FAULT;
      fault->message = g_strdup (message->fault->reason);
      fault->fault_subcode = g_strdup (message->fault->subcode);
      fault->fault_is_security = cradle_soap_fault_is_security (message->fault);
      cradle_wstep_set_fault_error (error, CRADLE_WSTEP_ROLE_POLICY, cep_url, sign_in_kind (self),
                                    fault);
      return NULL;
    }
  policy = cradle_xcep_response_parse (message->payload, error);
  if (policy == NULL)
    {
      g_prefix_error (error, "The enrollment policy from %s cannot be used: ", host);
      set_bad_response (error);
      return NULL;
    }
  g_debug ("The policy server %s lists %u templates and %u CAs", host, policy->policies->len,
           policy->cas->len);
  return cradle_enrollment_policy_new (policy);
}

CradleEnrollmentPolicy *
cradle_wstep_connector_dup_policy (CradleCaConnector  *connector,
                                   GCancellable       *cancellable,
                                   GError            **error)
{
  CradleWstepConnector *self;
  CradleEnrollmentPolicy *policy;

  g_return_val_if_fail (CRADLE_IS_WSTEP_CONNECTOR (connector), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = CRADLE_WSTEP_CONNECTOR (connector);
  g_mutex_lock (&self->lock);
  policy = self->policy != NULL ? g_object_ref (self->policy) : NULL;
  g_mutex_unlock (&self->lock);
  if (policy != NULL)
    return policy;
  if (self->cep_url == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                           "This enrollment web service was not found through a policy server, "
                           "so there is no enrollment policy to read.");
      return NULL;
    }

  policy = fetch_policy (self, self->cep_url, cancellable, error);
  if (policy == NULL)
    return NULL;
  g_mutex_lock (&self->lock);
  if (self->policy == NULL)
    self->policy = g_object_ref (policy);
  g_mutex_unlock (&self->lock);
  return policy;
}

static void
dup_policy_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  GError *error = NULL;
  CradleEnrollmentPolicy *policy;

  policy = cradle_wstep_connector_dup_policy (source_object, cancellable, &error);
  if (policy == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, policy, g_object_unref);
}

void
cradle_wstep_connector_dup_policy_async (CradleCaConnector   *connector,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CRADLE_IS_WSTEP_CONNECTOR (connector));

  task = g_task_new (connector, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_wstep_connector_dup_policy_async);
  g_task_run_in_thread (task, dup_policy_thread);
}

CradleEnrollmentPolicy *
cradle_wstep_connector_dup_policy_finish (CradleCaConnector  *connector,
                                          GAsyncResult       *result,
                                          GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connector), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- where to send -------------------------------------------------------- */

/* @renewal: a renewal may also go to a CES that takes renewals only. */
static char *
endpoint_from_policy (CradleWstepConnector  *self,
                      const char            *template_name,
                      gboolean               renewal,
                      GCancellable          *cancellable,
                      GError               **error)
{
  g_autoptr(CradleEnrollmentPolicy) policy = NULL;
  g_autoptr(GPtrArray) endpoints = NULL;
  g_autofree char *host = cradle_http_dup_host (self->cep_url);
  g_autofree char *kind = cradle_ces_endpoint_auth_to_string (sign_in_kind (self));

  if (template_name == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The request names no certificate template, so the policy server at %s "
                   "cannot say which CA takes it.",
                   host);
      return NULL;
    }
  policy = cradle_wstep_connector_dup_policy (CRADLE_CA_CONNECTOR (self), cancellable, error);
  if (policy == NULL)
    return NULL;
  if (!cradle_enrollment_policy_has_template (policy, template_name))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The enrollment policy from %s does not list the certificate template '%s'. "
                   "It may not be published, or you may not be allowed to use it; ask your "
                   "administrator.",
                   host, template_name);
      return NULL;
    }
  endpoints = cradle_enrollment_policy_dup_endpoints (policy, template_name,
                                                      sign_in_kind (self), renewal);
  if (endpoints->len == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The enrollment policy from %s lists no enrollment web service that takes "
                   "new requests for '%s' with this sign-in (%s). Choose another sign-in, or "
                   "ask your administrator.",
                   host, template_name, kind);
      return NULL;
    }
  g_debug ("The policy from %s sends '%s' to %s (%u candidates)", host, template_name,
           (const char *) g_ptr_array_index (endpoints, 0), endpoints->len);
  return g_strdup (g_ptr_array_index (endpoints, 0));
}

/* The CES for a new request, or a renewal. */
static char *
choose_endpoint (CradleWstepConnector  *self,
                 CradleCaRequest       *request,
                 GCancellable          *cancellable,
                 GError               **error)
{
  if (self->ces_url != NULL)
    return g_strdup (self->ces_url);
  return endpoint_from_policy (self, cradle_ca_request_get_template_name (request),
                               cradle_ca_request_get_renewal_signed_data (request) != NULL, cancellable, error);
}

/* ---- the operations --------------------------------------------------------- */

static CradleCaAnswer *
exchange (CradleWstepConnector  *self,
          CradleCaRequest       *request,
          const char            *request_id,
          const char            *url,
          GBytes                *message,
          GCancellable          *cancellable,
          GError               **error)
{
  CradleHttp *http = cradle_ca_connector_get_http (CRADLE_CA_CONNECTOR (self));
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autoptr(CradleWstepResult) result = NULL;
  g_autofree char *host = cradle_http_dup_host (url);
  CradleCaAnswer *answer;

  response = cradle_wstep_post (http, CRADLE_WSTEP_ROLE_ENROLLMENT, url, message,
                                negotiates (self), cancellable, error);
  if (response == NULL)
    return NULL;
  result = cradle_wstep_result_parse (response->body, CRADLE_XML_MAX_SIZE, error);
  if (result == NULL)
    {
      g_prefix_error (error, "The enrollment web service at %s sent an answer Cradle cannot "
                      "read (HTTP %u): ", host, response->status);
      set_bad_response (error);
      return NULL;
    }
  answer = cradle_wstep_answer_new (result, request, request_id, url, sign_in_kind (self), error);
  if (answer == NULL)
    return NULL;

  g_debug ("The enrollment web service %s answered: %s, request %s", host,
           result->kind == CRADLE_WSTEP_RESULT_ISSUED    ? "issued"
           : result->kind == CRADLE_WSTEP_RESULT_PENDING ? "pending"
                                                         : "denied",
           cradle_ca_answer_get_request_id (answer) != NULL
             ? cradle_ca_answer_get_request_id (answer) : "without a number");

  /* Kept for dup_ca_certificates() when nothing better is known. */
  if (cradle_ca_answer_get_status (answer) == CRADLE_CA_STATUS_ISSUED &&
      cradle_ca_answer_get_chain (answer)->len > 0)
    {
      g_mutex_lock (&self->lock);
      if (self->ca_certificates == NULL && self->cep_url == NULL)
        self->ca_certificates = g_ptr_array_ref (cradle_ca_answer_get_chain (answer));
      g_mutex_unlock (&self->lock);
    }
  return answer;
}

static CradleCaAnswer *
cradle_wstep_connector_submit (CradleCaConnector  *connector,
                               CradleCaRequest    *request,
                               GCancellable       *cancellable,
                               GError            **error)
{
  CradleWstepConnector *self = CRADLE_WSTEP_CONNECTOR (connector);
  g_autofree char *url = NULL;
  g_autoptr(GBytes) message = NULL;
  CradleSoapHeader header;

  url = choose_endpoint (self, request, cancellable, error);
  if (url == NULL)
    return NULL;
  if (!init_header (self, &header, CRADLE_WSTEP_ACTION_RST, url, error))
    return NULL;
  /* A renewal goes as its SignedData, a #PKCS7 token. */
  message = cradle_wstep_build_issue_token (&header, cradle_ca_request_get_body (request),
                                            cradle_ca_request_get_renewal_signed_data (request) != NULL
                                              ? CRADLE_WSTEP_VALUE_PKCS7 : CRADLE_WSTEP_VALUE_PKCS10,
                                            cradle_ca_request_get_template_name (request),
                                            cradle_ca_request_get_attributes (request), error);
  if (message == NULL)
    {
      g_prefix_error (error, "The request cannot be sent: ");
      return NULL;
    }
  return exchange (self, request, NULL, url, message, cancellable, error);
}

static CradleCaAnswer *
cradle_wstep_connector_retrieve (CradleCaConnector  *connector,
                                 CradleCaRequest    *request,
                                 const char         *request_id,
                                 const char         *retrieve_uri,
                                 GCancellable       *cancellable,
                                 GError            **error)
{
  CradleWstepConnector *self = CRADLE_WSTEP_CONNECTOR (connector);
  g_autofree char *url = NULL;
  g_autoptr(GBytes) message = NULL;
  CradleSoapHeader header;

  if (request_id == NULL || *request_id == '\0')
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                           "The pending request has no request id to ask the CA about.");
      return NULL;
    }
  url = retrieve_uri != NULL ? g_strdup (retrieve_uri)
                             : choose_endpoint (self, request, cancellable, error);
  if (url == NULL)
    return NULL;
  if (!init_header (self, &header, CRADLE_WSTEP_ACTION_RST, url, error))
    return NULL;
  message = cradle_wstep_build_query (&header, request_id, error);
  if (message == NULL)
    {
      g_prefix_error (error, "The pending request cannot be asked about: ");
      return NULL;
    }
  return exchange (self, request, request_id, url, message, cancellable, error);
}

static GPtrArray *
copy_certificates (GPtrArray *certificates)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < certificates->len; i++)
    g_ptr_array_add (copy, g_object_ref (g_ptr_array_index (certificates, i)));
  return copy;
}

static GPtrArray *
cradle_wstep_connector_dup_ca_certificates (CradleCaConnector  *connector,
                                            GCancellable       *cancellable,
                                            GError            **error)
{
  CradleWstepConnector *self = CRADLE_WSTEP_CONNECTOR (connector);
  g_autoptr(CradleEnrollmentPolicy) policy = NULL;
  g_autoptr(GPtrArray) certificates = NULL;

  g_mutex_lock (&self->lock);
  if (self->ca_certificates != NULL)
    certificates = copy_certificates (self->ca_certificates);
  g_mutex_unlock (&self->lock);
  if (certificates != NULL)
    return g_steal_pointer (&certificates);

  if (self->cep_url != NULL)
    {
      policy = cradle_wstep_connector_dup_policy (connector, cancellable, error);
      if (policy == NULL)
        return NULL;
      certificates = cradle_enrollment_policy_dup_ca_certificates (policy, NULL);
      if (certificates->len > 0)
        return g_steal_pointer (&certificates);
    }

  g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                       "An MS-WSTEP enrollment web service has no way to hand out its CA's "
                       "certificates, and none are known yet. Use the CA certificate the "
                       "directory lists, or configure the enrollment policy server (CEP).");
  return NULL;
}

/* With a policy server: its GetPolicies answer and the CAs' certificates in
 * it.  A CES alone has no operation that describes it and takes nothing but
 * a request, so it is asked for its address with a plain GET, without
 * credentials: an answer, whatever its status, says the server is there
 * and its TLS certificate is trusted. */
static gboolean
cradle_wstep_connector_describe (CradleCaConnector   *connector,
                                 CradleCaDescription *description,
                                 GCancellable        *cancellable,
                                 GError             **error)
{
  CradleWstepConnector *self = CRADLE_WSTEP_CONNECTOR (connector);
  g_autoptr(GPtrArray) certificates = NULL;

  if (self->cep_url != NULL)
    {
      description->policy = cradle_wstep_connector_dup_policy (connector, cancellable, error);
      if (description->policy == NULL)
        return FALSE;
      certificates = cradle_enrollment_policy_dup_ca_certificates (description->policy, NULL);
    }
  else
    {
      CradleHttpRequest request = { .method = "GET", .url = self->ces_url, .authenticate = FALSE };
      g_autoptr(CradleHttpResponse) response = NULL;

      response = cradle_http_send (cradle_ca_connector_get_http (connector), &request, cancellable, error);
      if (response == NULL)
        return FALSE;
      description->http_status = response->status;
      g_mutex_lock (&self->lock);
      if (self->ca_certificates != NULL)
        certificates = copy_certificates (self->ca_certificates);
      g_mutex_unlock (&self->lock);
    }
  for (guint i = 0; certificates != NULL && i < certificates->len; i++)
    g_ptr_array_add (description->certificates, g_object_ref (g_ptr_array_index (certificates, i)));
  return TRUE;
}

/* ---- the type ------------------------------------------------------------- */

static void
cradle_wstep_connector_finalize (GObject *object)
{
  CradleWstepConnector *self = CRADLE_WSTEP_CONNECTOR (object);

  g_clear_pointer (&self->ces_url, g_free);
  g_clear_pointer (&self->cep_url, g_free);
  g_clear_object (&self->policy);
  g_clear_pointer (&self->ca_certificates, g_ptr_array_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (cradle_wstep_connector_parent_class)->finalize (object);
}

static void
cradle_wstep_connector_class_init (CradleWstepConnectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CradleCaConnectorClass *connector_class = CRADLE_CA_CONNECTOR_CLASS (klass);

  object_class->finalize = cradle_wstep_connector_finalize;
  connector_class->submit = cradle_wstep_connector_submit;
  connector_class->retrieve = cradle_wstep_connector_retrieve;
  connector_class->dup_ca_certificates = cradle_wstep_connector_dup_ca_certificates;
  connector_class->describe = cradle_wstep_connector_describe;
}

static void
cradle_wstep_connector_init (CradleWstepConnector *self)
{
  g_mutex_init (&self->lock);
}

/**
 * cradle_wstep_connector_new:
 * @ces_url: the CES, as "https://ca1/Corp-CA_CES_Kerberos/service.svc/CES"
 *
 * Returns: (transfer full): the connector
 */
CradleCaConnector *
cradle_wstep_connector_new (const char *ces_url)
{
  CradleWstepConnector *self;

  g_return_val_if_fail (ces_url != NULL, NULL);

  self = g_object_new (CRADLE_TYPE_WSTEP_CONNECTOR, NULL);
  cradle_ca_connector_init_kind (CRADLE_CA_CONNECTOR (self), CRADLE_CA_PROTOCOL_WSTEP, ces_url);
  self->ces_url = g_strdup (ces_url);
  return CRADLE_CA_CONNECTOR (self);
}

CradleCaConnector *
cradle_wstep_connector_new_for_policy_server (const char *cep_url)
{
  CradleWstepConnector *self;

  g_return_val_if_fail (cep_url != NULL, NULL);

  self = g_object_new (CRADLE_TYPE_WSTEP_CONNECTOR, NULL);
  cradle_ca_connector_init_kind (CRADLE_CA_CONNECTOR (self), CRADLE_CA_PROTOCOL_WSTEP, cep_url);
  self->cep_url = g_strdup (cep_url);
  return CRADLE_CA_CONNECTOR (self);
}

CradleCaConnector *
cradle_wstep_connector_new_for_service (CradleEnrollmentService  *service,
                                        CradleEndpointAuth        auth,
                                        GError                  **error)
{
  g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_ces_endpoint_free);
  g_autoptr(GPtrArray) endpoints = NULL;
  g_autoptr(GString) listed = g_string_new (NULL);
  g_autofree char *wanted = NULL;
  CradleCaConnector *connector;
  CradleCertificate *certificate;
  guint n;

  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_SERVICE (service), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  n = cradle_enrollment_service_get_n_endpoints (service);
  for (guint i = 0; i < n; i++)
    {
      CradleCesEndpoint *server = g_new0 (CradleCesEndpoint, 1);
      g_autofree char *kind = NULL;

      server->uri = g_strdup (cradle_enrollment_service_get_endpoint_uri (service, i));
      server->auth_flags = cradle_enrollment_service_get_endpoint_auth (service, i);
      server->priority = cradle_enrollment_service_get_endpoint_priority (service, i);
      server->renewal_only = cradle_enrollment_service_get_endpoint_renewal_only (service, i);
      g_ptr_array_add (servers, server);

      kind = cradle_ces_endpoint_auth_to_string (server->auth_flags);
      g_string_append_printf (listed, "%s%s (%s%s)", listed->len > 0 ? ", " : "", server->uri,
                              kind, server->renewal_only ? ", renewal only" : "");
    }

  endpoints = cradle_endpoints_choose (servers, auth, FALSE);
  if (endpoints->len == 0)
    {
      wanted = cradle_ces_endpoint_auth_to_string (auth);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The CA '%s' lists no enrollment web service that takes new requests with "
                   "this sign-in (%s); it lists %s. Choose another sign-in, or ask your "
                   "administrator to check the CA's msPKI-Enrollment-Servers.",
                   cradle_enrollment_service_get_name (service), wanted,
                   listed->len > 0 ? listed->str : "none");
      return NULL;
    }

  connector = cradle_wstep_connector_new (g_ptr_array_index (endpoints, 0));
  certificate = cradle_enrollment_service_get_certificate (service);
  if (certificate != NULL)
    {
      CradleWstepConnector *self = CRADLE_WSTEP_CONNECTOR (connector);

      self->ca_certificates = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (self->ca_certificates, g_object_ref (certificate));
    }
  return connector;
}
