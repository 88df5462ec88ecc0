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
                                       GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The renewal a request asks for: Microsoft's szOID_RENEWAL_CERTIFICATE
 * attribute (1.3.6.1.4.1.311.13.1), whose one value is the DER certificate
 * being renewed. Checks @cri as cradle_agent_request_info_check() does but
 * the key's; @public_key (optional) gets the request's SubjectPublicKeyInfo
 * and @renewed the certificate's DER, NULL when the attribute is absent. An
 * attribute there twice, with other than one value, or whose value is not
 * one DER SEQUENCE is CRADLE_ERROR_INVALID_DATA. */
gboolean cradle_agent_request_info_renewal (GBytes  *cri,
                                            GBytes **public_key,
                                            GBytes **renewed,
                                            GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* What a request asks for, for the device's user to read before it is
 * signed: its subject (one line, escaped as above), the names in its
 * subjectAltName, its extended key usages, and the Microsoft template it
 * names. Values are as the request has them: escape them to show them. */
typedef struct {
  char      *subject;
  GPtrArray *upns;                /* UPN otherNames */
  GPtrArray *mails;               /* rfc822Names */
  GPtrArray *dns_names;           /* dNSNames */
  guint      other_names;         /* alternative names of other kinds */
  GPtrArray *extended_key_usages; /* "name (OID)", or the OID */
  char      *template_name;       /* 1.3.6.1.4.1.311.20.2 */
  char      *template_oid;        /* 1.3.6.1.4.1.311.21.7: "OID, version M.m" */
} CradleAgentRequestInfo;

/* The same checks as cradle_agent_request_info_check() but the key's, and
 * extensions that cannot be read are an error: what the device cannot show
 * its user, it does not sign. */
CradleAgentRequestInfo *cradle_agent_request_info_describe (GBytes  *cri,
                                                            GError **error) G_GNUC_WARN_UNUSED_RESULT;
void                    cradle_agent_request_info_free     (CradleAgentRequestInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleAgentRequestInfo, cradle_agent_request_info_free)

G_END_DECLS
