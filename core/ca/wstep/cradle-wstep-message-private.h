/* cradle-wstep-message-private.h: MS-WSTEP messages, built and read */
#pragma once

#include <gio/gio.h>

#include "ca/wstep/cradle-soap-private.h"

G_BEGIN_DECLS

#define CRADLE_WST_NS   "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
#define CRADLE_WSTEP_NS "http://schemas.microsoft.com/windows/pki/2009/01/enrollment"
#define CRADLE_AUTH_NS  "http://schemas.xmlsoap.org/ws/2006/12/authorization"

#define CRADLE_WSTEP_ACTION_RST   "http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep"
#define CRADLE_WSTEP_ACTION_RSTRC "http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep"

#define CRADLE_WSTEP_TOKEN_X509V3                                                                  \
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
#define CRADLE_WSTEP_REQUEST_ISSUE "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue"
#define CRADLE_WSTEP_REQUEST_QUERY                                                                 \
  "http://schemas.microsoft.com/windows/pki/2009/01/enrollment/QueryTokenStatus"
/* What cepces and PSCertificateEnrollment send for a bare PKCS#10; the
 * spec's example says #PKCS7 for the same payload.  AD CS takes both. */
#define CRADLE_WSTEP_VALUE_PKCS10 "http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10"
/* A renewal: the CMS SignedData around the PKCS#10, signed by the old key
 * (MS-WSTEP 3.1.4.2.1.1; MS-WCCE 3.1.1.4.3.2.1). */
#define CRADLE_WSTEP_VALUE_PKCS7 "http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS7"
#define CRADLE_WSTEP_ENCODING_BASE64                                                               \
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary"

/* Limits on what is kept of an answer. */
#define CRADLE_WSTEP_MAX_REQUEST_ID 128
#define CRADLE_WSTEP_MAX_MESSAGE_CHARS 512
#define CRADLE_WSTEP_MAX_CONTEXT_ITEMS 64

/* An RST Issue for @csr (DER PKCS#10).  @template_name (nullable) becomes the
 * "CertificateTemplate" context item; each "name:value" of @attributes
 * (nullable) another.  Errors: CRADLE_ERROR_INVALID_DATA for text that
 * cannot go into XML. */
GBytes *cradle_wstep_build_issue (const CradleSoapHeader *header,
                                  GBytes                 *csr,
                                  const char             *template_name,
                                  const char * const     *attributes,
                                  GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same with the token's @value_type (CRADLE_WSTEP_VALUE_PKCS10 or _PKCS7). */
GBytes *cradle_wstep_build_issue_token (const CradleSoapHeader *header,
                                        GBytes                 *csr,
                                        const char             *value_type,
                                        const char             *template_name,
                                        const char * const     *attributes,
                                        GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* An RST QueryTokenStatus for a pending request. */
GBytes *cradle_wstep_build_query (const CradleSoapHeader *header,
                                  const char             *request_id,
                                  GError                **error) G_GNUC_WARN_UNUSED_RESULT;

typedef enum {
  CRADLE_WSTEP_RESULT_ISSUED,
  CRADLE_WSTEP_RESULT_PENDING,
  CRADLE_WSTEP_RESULT_FAULT,
} CradleWstepResultKind;

/**
 * CradleWstepResult:
 * @kind: what the answer says
 * @request_id: (nullable): the CA's request number
 * @message: (nullable): the disposition message or the fault's reason,
 *   made safe to show (no control characters, cut short)
 * @leaf: (nullable): issued: the certificate, DER
 * @pkcs7: (nullable): issued: the CMC response or PKCS#7 with the chain, DER
 * @reference_uri: (nullable): pending: where to ask again
 * @fault_code, @fault_subcode: (nullable): a fault's code local names
 * @fault_is_security: the fault says the credentials were refused
 * @has_error_code: a CertificateEnrollmentWSDetail gave an ErrorCode
 * @error_code: that HRESULT, as (guint32)(gint32) of the decimal
 * @invalid_request: the detail's InvalidRequest (the CA refused the request)
 * @binary_response: (nullable): the detail's BinaryResponse, DER
 */
typedef struct
{
  CradleWstepResultKind kind;
  char     *request_id;
  char     *message;

  GBytes   *leaf;
  GBytes   *pkcs7;
  char     *reference_uri;

  char     *fault_code;
  char     *fault_subcode;
  gboolean  fault_is_security;
  gboolean  has_error_code;
  guint32   error_code;
  gboolean  invalid_request;
  GBytes   *binary_response;
} CradleWstepResult;

/* Reads an RSTRC or a SOAP fault.  CRADLE_ERROR_INVALID_DATA when @body is
 * neither, or one that breaks MS-WSTEP. */
CradleWstepResult *cradle_wstep_result_parse (GBytes            *body,
                                              gsize              max_size,
                                              GError           **error) G_GNUC_WARN_UNUSED_RESULT;
void               cradle_wstep_result_free  (CradleWstepResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleWstepResult, cradle_wstep_result_free)

G_END_DECLS
