/* cradle-wstep-message.c: MS-WSTEP messages, built and read
 *
 * The request (MS-WSTEP 3.1.4.1.1.1, example 4.1.1.1): a WS-Trust 1.3
 * RequestSecurityToken with TokenType X509v3, RequestType Issue, the
 * PKCS#10 as a base64 BinarySecurityToken and the template in an
 * AdditionalContext.  The answer (3.1.4.1.1.2, example 4.1.1.2): a
 * RequestSecurityTokenResponseCollection holding one response with the
 * issued certificate, or a SecurityTokenReference and a RequestID when the
 * request is pending; or a SOAP fault whose CertificateEnrollmentWSDetail
 * gives the CA's HRESULT (3.1.4.1.2.3).
 */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "ca/wstep/cradle-wstep-message-private.h"

#define MAX_REFERENCE_URI 2048

static void
write_rst_start (CradleXmlWriter *writer,
                 const char      *request_type)
{
  cradle_xml_writer_start (writer, "RequestSecurityToken",
                           "PreferredLanguage", "en-US",
                           "xmlns", CRADLE_WST_NS,
                           NULL);
  cradle_xml_writer_element (writer, "TokenType", CRADLE_WSTEP_TOKEN_X509V3, NULL);
  cradle_xml_writer_element (writer, "RequestType", request_type, NULL);
}

static gboolean
check_attributes (const char * const  *attributes,
                  GError             **error)
{
  guint count = 0;

  for (guint i = 0; attributes != NULL && attributes[i] != NULL; i++)
    {
      const char *colon = strchr (attributes[i], ':');

      if (++count >= CRADLE_WSTEP_MAX_CONTEXT_ITEMS)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The request has more than %d attributes", CRADLE_WSTEP_MAX_CONTEXT_ITEMS);
          return FALSE;
        }
      if (colon == NULL || colon == attributes[i])
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "A request attribute is not of the form name:value");
          return FALSE;
        }
      if (!cradle_xml_check_text (attributes[i], "request attribute", error))
        return FALSE;
    }
  return TRUE;
}

static void
write_context_item (CradleXmlWriter *writer,
                    const char      *name,
                    const char      *value)
{
  cradle_xml_writer_start (writer, "ContextItem", "Name", name, NULL);
  cradle_xml_writer_element (writer, "Value", value, NULL);
  cradle_xml_writer_end (writer);
}

/**
 * cradle_wstep_build_issue:
 *
 * Returns: (transfer full): the SOAP message, or %NULL with an error
 */
GBytes *
cradle_wstep_build_issue (const CradleSoapHeader  *header,
                          GBytes                  *csr,
                          const char              *template_name,
                          const char * const      *attributes,
                          GError                 **error)
{
  return cradle_wstep_build_issue_token (header, csr, CRADLE_WSTEP_VALUE_PKCS10, template_name, attributes,
                                         error);
}

/**
 * cradle_wstep_build_issue_token:
 * @value_type: the BinarySecurityToken's ValueType: #PKCS10 for a bare
 *   request, #PKCS7 for a renewal's SignedData
 *
 * Returns: (transfer full): the SOAP message, or %NULL with an error
 */
GBytes *
cradle_wstep_build_issue_token (const CradleSoapHeader  *header,
                                GBytes                  *csr,
                                const char              *value_type,
                                const char              *template_name,
                                const char * const      *attributes,
                                GError                 **error)
{
  g_autoptr(CradleXmlWriter) writer = NULL;
  g_autofree char *encoded = NULL;
  gboolean have_context;
  gsize length;
  const guchar *data;

  g_return_val_if_fail (header != NULL, NULL);
  g_return_val_if_fail (csr != NULL, NULL);

  data = g_bytes_get_data (csr, &length);
  if (length == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certificate request is empty");
      return NULL;
    }
  if (template_name != NULL && !cradle_xml_check_text (template_name, "template name", error))
    return NULL;
  if (!check_attributes (attributes, error))
    return NULL;

  writer = cradle_soap_writer_new (header, error);
  if (writer == NULL)
    return NULL;

  encoded = g_base64_encode (data, length);
  write_rst_start (writer, CRADLE_WSTEP_REQUEST_ISSUE);
  cradle_xml_writer_element (writer, "BinarySecurityToken", encoded,
                             "ValueType", value_type,
                             "EncodingType", CRADLE_WSTEP_ENCODING_BASE64,
                             "xmlns", CRADLE_WSSE_NS,
                             NULL);

  have_context = template_name != NULL || (attributes != NULL && attributes[0] != NULL);
  if (have_context)
    {
      cradle_xml_writer_start (writer, "AdditionalContext", "xmlns", CRADLE_AUTH_NS, NULL);
      if (template_name != NULL)
        write_context_item (writer, "CertificateTemplate", template_name);
      for (guint i = 0; attributes != NULL && attributes[i] != NULL; i++)
        {
          const char *colon = strchr (attributes[i], ':');
          g_autofree char *name = g_strndup (attributes[i], colon - attributes[i]);

          /* The template goes once, from @template_name. */
          if (template_name != NULL && g_ascii_strcasecmp (name, "CertificateTemplate") == 0)
            continue;
          write_context_item (writer, name, colon + 1);
        }
      cradle_xml_writer_end (writer);
    }
  cradle_xml_writer_element (writer, "RequestID", NULL,
                             "xsi:nil", "true",
                             "xmlns:xsi", CRADLE_XSI_NS,
                             "xmlns", CRADLE_WSTEP_NS,
                             NULL);

  return cradle_xml_writer_finish (writer);
}

/**
 * cradle_wstep_build_query:
 *
 * Returns: (transfer full): the SOAP message, or %NULL with an error
 */
GBytes *
cradle_wstep_build_query (const CradleSoapHeader  *header,
                          const char              *request_id,
                          GError                 **error)
{
  g_autoptr(CradleXmlWriter) writer = NULL;

  g_return_val_if_fail (header != NULL, NULL);
  g_return_val_if_fail (request_id != NULL, NULL);

  if (*request_id == '\0' || strlen (request_id) > CRADLE_WSTEP_MAX_REQUEST_ID)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The request id to ask about is empty or too long");
      return NULL;
    }
  if (!cradle_xml_check_text (request_id, "request id", error))
    return NULL;

  writer = cradle_soap_writer_new (header, error);
  if (writer == NULL)
    return NULL;
  write_rst_start (writer, CRADLE_WSTEP_REQUEST_QUERY);
  cradle_xml_writer_element (writer, "RequestID", request_id, "xmlns", CRADLE_WSTEP_NS, NULL);

  return cradle_xml_writer_finish (writer);
}

void
cradle_wstep_result_free (CradleWstepResult *result)
{
  if (result == NULL)
    return;
  g_free (result->request_id);
  g_free (result->message);
  g_clear_pointer (&result->leaf, g_bytes_unref);
  g_clear_pointer (&result->pkcs7, g_bytes_unref);
  g_free (result->reference_uri);
  g_free (result->fault_code);
  g_free (result->fault_subcode);
  g_clear_pointer (&result->binary_response, g_bytes_unref);
  g_free (result);
}

/* A request id is a CA's number in practice; anything printable and short
 * is kept, as the CA will want it back as it was. */
static gboolean
read_request_id (xmlNode  *parent,
                 char    **request_id,
                 GError  **error)
{
  g_autofree char *text = cradle_xml_dup_child_text (parent, CRADLE_WSTEP_NS, "RequestID");

  if (text == NULL || *text == '\0')
    return TRUE;
  if (strlen (text) > CRADLE_WSTEP_MAX_REQUEST_ID)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The request id in the answer is longer than %d characters",
                   CRADLE_WSTEP_MAX_REQUEST_ID);
      return FALSE;
    }
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isgraph (*p))
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The request id in the answer has characters other than "
                               "printable ASCII");
          return FALSE;
        }
    }
  *request_id = g_steal_pointer (&text);
  return TRUE;
}

static char *
read_message (xmlNode *parent)
{
  g_autofree char *text = cradle_xml_dup_child_text (parent, CRADLE_WSTEP_NS,
                                                     "DispositionMessage");

  if (text == NULL || *text == '\0')
    return NULL;
  /* Windows ends it with "&#xD;"; control characters all go. */
  return cradle_xml_dup_display_text (text, CRADLE_WSTEP_MAX_MESSAGE_CHARS);
}

static gboolean
read_fault (CradleWstepResult  *result,
            CradleSoapFault    *fault,
            GError            **error)
{
  xmlNode *detail = fault->detail;
  g_autofree char *binary = NULL;
  gint64 code = 0;
  gboolean present = FALSE;
  gboolean invalid = FALSE;

  result->kind = CRADLE_WSTEP_RESULT_FAULT;
  result->fault_code = g_strdup (fault->code);
  result->fault_subcode = g_strdup (fault->subcode);
  result->fault_is_security = cradle_soap_fault_is_security (fault);
  if (fault->reason != NULL)
    result->message = cradle_xml_dup_display_text (fault->reason, CRADLE_WSTEP_MAX_MESSAGE_CHARS);

  if (!cradle_xml_is (detail, CRADLE_WSTEP_NS, "CertificateEnrollmentWSDetail"))
    return TRUE;

  /* xs:int; an unsigned spelling of the same 32 bits is taken too. */
  if (!cradle_xml_get_child_int (detail, CRADLE_WSTEP_NS, "ErrorCode", G_MININT32, G_MAXUINT32,
                                 &code, &present, error))
    {
      g_prefix_error (error, "The fault's detail is malformed: ");
      return FALSE;
    }
  if (present)
    {
      result->has_error_code = TRUE;
      result->error_code = (guint32) (gint32) (guint32) code;
    }
  if (!cradle_xml_get_child_boolean (detail, CRADLE_WSTEP_NS, "InvalidRequest", &invalid,
                                     &present, error))
    {
      g_prefix_error (error, "The fault's detail is malformed: ");
      return FALSE;
    }
  result->invalid_request = present && invalid;
  if (!read_request_id (detail, &result->request_id, error))
    return FALSE;

  /* Only kept for diagnostics; a bad one does not hide the HRESULT. */
  binary = cradle_xml_dup_child_text (detail, CRADLE_WSTEP_NS, "BinaryResponse");
  if (binary != NULL && *binary != '\0')
    result->binary_response = cradle_xml_decode_base64 (binary, "The BinaryResponse", NULL);
  return TRUE;
}

static gboolean
check_reference_uri (const char  *uri,
                     GError     **error)
{
  g_autoptr(GUri) parsed = NULL;
  const char *scheme;

  if (strlen (uri) > MAX_REFERENCE_URI)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The pending request's reference address is longer than %d characters",
                   MAX_REFERENCE_URI);
      return FALSE;
    }
  for (const char *p = uri; *p != '\0'; p++)
    {
      if (!g_ascii_isgraph (*p))
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The pending request's reference address has a space or a "
                               "character a URI cannot hold");
          return FALSE;
        }
    }
  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  scheme = parsed != NULL ? g_uri_get_scheme (parsed) : NULL;
  if (parsed == NULL || g_uri_get_host (parsed) == NULL ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The pending request's reference address is not an https:// or "
                           "http:// address");
      return FALSE;
    }
  return TRUE;
}

/* The PKCS#7 beside the requested token: the CMC response with the chain. */
static gboolean
read_pkcs7 (CradleWstepResult  *result,
            xmlNode            *response,
            GError            **error)
{
  for (xmlNode *token = cradle_xml_child (response, CRADLE_WSSE_NS, "BinarySecurityToken");
       token != NULL; token = cradle_xml_next (token, CRADLE_WSSE_NS, "BinarySecurityToken"))
    {
      g_autofree char *value_type = cradle_xml_dup_attribute (token, NULL, "ValueType");
      g_autofree char *text = NULL;

      if (value_type == NULL || !g_str_has_suffix (value_type, "#PKCS7"))
        continue;
      if (result->pkcs7 != NULL)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The answer carries two PKCS#7 tokens");
          return FALSE;
        }
      text = cradle_xml_dup_text (token);
      if (text == NULL || *text == '\0')
        continue;
      result->pkcs7 = cradle_xml_decode_base64 (text, "The PKCS#7 token in the answer", error);
      if (result->pkcs7 == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_response (CradleWstepResult  *result,
               xmlNode            *response,
               GError            **error)
{
  xmlNode *requested = cradle_xml_child (response, CRADLE_WST_NS, "RequestedSecurityToken");
  xmlNode *leaf = cradle_xml_child (requested, CRADLE_WSSE_NS, "BinarySecurityToken");
  xmlNode *reference = cradle_xml_child (cradle_xml_child (requested, CRADLE_WSSE_NS,
                                                           "SecurityTokenReference"),
                                         CRADLE_WSSE_NS, "Reference");

  result->message = read_message (response);
  if (!read_request_id (response, &result->request_id, error))
    return FALSE;
  if (!read_pkcs7 (result, response, error))
    return FALSE;

  if (leaf != NULL)
    {
      g_autofree char *text = cradle_xml_dup_text (leaf);

      result->kind = CRADLE_WSTEP_RESULT_ISSUED;
      result->leaf = cradle_xml_decode_base64 (text, "The issued certificate in the answer",
                                               error);
      return result->leaf != NULL;
    }
  if (reference != NULL)
    {
      g_autofree char *uri = cradle_xml_dup_attribute (reference, NULL, "URI");

      result->kind = CRADLE_WSTEP_RESULT_PENDING;
      if (result->request_id == NULL)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The answer says the request is pending but gives no request id "
                               "to ask about it later");
          return FALSE;
        }
      if (uri != NULL)
        {
          g_strstrip (uri);
          if (*uri != '\0')
            {
              if (!check_reference_uri (uri, error))
                return FALSE;
              result->reference_uri = g_steal_pointer (&uri);
            }
        }
      return TRUE;
    }

  if (result->message != NULL)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                 "The answer carries neither a certificate nor a pending request; it says "
                 "“%s”",
                 result->message);
  else
    g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                         "The answer carries neither a certificate nor a pending request");
  return FALSE;
}

/**
 * cradle_wstep_result_parse:
 * @body: the HTTP answer's body, untrusted
 * @max_size: the largest accepted
 * @error: return location for a #GError
 *
 * Returns: (transfer full): what the answer says, or %NULL with
 *   %CRADLE_ERROR_INVALID_DATA
 */
CradleWstepResult *
cradle_wstep_result_parse (GBytes  *body,
                           gsize    max_size,
                           GError **error)
{
  g_autoptr(CradleSoapMessage) message = NULL;
  g_autoptr(CradleWstepResult) result = g_new0 (CradleWstepResult, 1);
  xmlNode *response = NULL;
  xmlNode *payload;

  message = cradle_soap_message_parse (body, max_size, error);
  if (message == NULL)
    return NULL;
  if (message->fault != NULL)
    {
      if (!read_fault (result, message->fault, error))
        return NULL;
      return g_steal_pointer (&result);
    }

  payload = message->payload;
  if (cradle_xml_is (payload, CRADLE_WST_NS, "RequestSecurityTokenResponseCollection"))
    {
      guint count = cradle_xml_count_children (payload, CRADLE_WST_NS,
                                               "RequestSecurityTokenResponse");

      if (count != 1)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The answer holds %u responses where MS-WSTEP allows exactly one", count);
          return NULL;
        }
      response = cradle_xml_child (payload, CRADLE_WST_NS, "RequestSecurityTokenResponse");
    }
  /* A bare response, as some proxies answer, is read the same way. */
  else if (cradle_xml_is (payload, CRADLE_WST_NS, "RequestSecurityTokenResponse"))
    response = payload;
  else
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The SOAP answer is a <%s>, not a WS-Trust token response",
                   (const char *) payload->name);
      return NULL;
    }

  if (!read_response (result, response, error))
    return NULL;
  return g_steal_pointer (&result);
}
