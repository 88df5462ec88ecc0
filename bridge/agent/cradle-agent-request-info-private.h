/* cradle-agent-request-info-private.h: checking what SIGN purpose 1 signs
 *
 * OpenSSL has no public decoder for a PKCS#10 CertificationRequestInfo on
 * its own, so a small bounded DER walker takes it apart:
 *   CertificationRequestInfo ::= SEQUENCE {
 *     version       INTEGER { v1(0) },
 *     subject       Name,
 *     subjectPKInfo SubjectPublicKeyInfo,
 *     attributes    [0] IMPLICIT SET OF Attribute }
 * Every length is checked against what remains, and nothing may follow.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CRADLE_AGENT_EMPTY_SUBJECT "(empty: the CA fills it in from the directory)"

/* Checks @cri is a DER CertificationRequestInfo (version 0) whose
 * subjectPKInfo is exactly @public_key (DER), and gives its subject on one
 * line (or CRADLE_AGENT_EMPTY_SUBJECT). Errors are CRADLE_ERROR_INVALID_DATA. */
char *cradle_agent_request_info_check (GBytes  *cri,
                                       GBytes  *public_key,
                                       GError **error);

G_END_DECLS
