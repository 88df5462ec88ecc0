/* cradle-ca-answer-private.h: turning a CA's certificates into an answer */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

/* The certificates of a DER PKCS#7/CMS SignedData (certs-only or not). */
GPtrArray      *cradle_pkcs7_dup_certificates (GBytes           *der,
                                               GError          **error);
/* Same, from base64 (whitespace and line breaks allowed) or PEM. */
GPtrArray      *cradle_pkcs7_dup_certificates_from_base64 (const char *text,
                                                           gsize       length,
                                                           GError    **error);
/* An issued answer from @certificates: the leaf is the one whose public key
 * is the request's; the rest is the chain.  INVALID_DATA when no
 * certificate carries the request's key. */
CradleCaAnswer *cradle_ca_answer_new_issued_for_request (CradleCaProtocol  protocol,
                                                         const char       *request_id,
                                                         CradleCaRequest  *request,
                                                         GPtrArray        *certificates,
                                                         GError          **error);

G_END_DECLS
