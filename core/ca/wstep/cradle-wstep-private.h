/* cradle-wstep-private.h: what the MS-WSTEP connector's files share */
#pragma once

#include <cradle/cradle.h>

#include "ca/cradle-http-private.h"
#include "ca/wstep/cradle-wstep-message-private.h"

G_BEGIN_DECLS

/* Who answered, for messages: the CES or the CEP. */
typedef enum {
  CRADLE_WSTEP_ROLE_ENROLLMENT,
  CRADLE_WSTEP_ROLE_POLICY,
} CradleWstepRole;

/* Posts a SOAP @message to @url, with HTTP Negotiate when @negotiate.
 * Answers that are not SOAP are errors here (a status with no SOAP body,
 * HTML, a password refused at the HTTP level); what comes back is a SOAP
 * body (possibly a fault) to parse. */
CradleHttpResponse *cradle_wstep_post            (CradleHttp          *http,
                                                  CradleWstepRole      role,
                                                  const char          *url,
                                                  GBytes              *message,
                                                  gboolean             negotiate,
                                                  GCancellable        *cancellable,
                                                  GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* The error for a SOAP fault that is not a CA's decision. */
void                cradle_wstep_set_fault_error (GError             **error,
                                                  CradleWstepRole      role,
                                                  const char          *url,
                                                  CradleEndpointAuth   auth,
                                                  const CradleWstepResult *result);

/* Whether a fault is the CA's refusal of the request (a denied answer):
 * InvalidRequest, or a CA policy HRESULT (0x8009xxxx). */
gboolean            cradle_wstep_fault_is_denial (const CradleWstepResult *result);

/* An answer from an RSTRC or a fault that is a denial; any other fault is
 * an error.  @request_id: the id asked about, when the answer gives none.
 * @endpoint: where the message went; a pending answer's reference address
 * is kept only when it is on the same server, else @endpoint is.
 */
CradleCaAnswer     *cradle_wstep_answer_new      (const CradleWstepResult *result,
                                                  CradleCaRequest     *request,
                                                  const char          *request_id,
                                                  const char          *endpoint,
                                                  CradleEndpointAuth   auth,
                                                  GError             **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
