/* cradle-ca-answer-private.h: turning a CA's certificates into an answer */
#pragma once

#include <cradle/cradle.h>

#include "base/cradle-pkcs7-private.h"

G_BEGIN_DECLS

/* An issued answer from @certificates: the leaf is the one whose public key
 * is the request's; the rest is the chain.  INVALID_DATA when no
 * certificate carries the request's key. */
CradleCaAnswer *cradle_ca_answer_new_issued_for_request (CradleCaProtocol  protocol,
                                                         const char       *request_id,
                                                         CradleCaRequest  *request,
                                                         GPtrArray        *certificates,
                                                         GError          **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
