/* cradle-agent-renewal-check-private.h: reading what a renewal's signatures
 * (SIGN purposes 4 and 5) carry
 *
 * A renewal is signed with the key of the certificate being renewed, and
 * that signature is what a CA takes as the old certificate's holder asking
 * (docs/bridge-protocol.md, "Renewal"). So the device reads what it signs
 * over, with bounded readers (protocol/cradle-der-private.h):
 *   purpose 4: the PKCS#10 CertificationRequest the CMS SignedData carries
 *     as its content, taken apart here and checked by the keystore against
 *     what its user confirmed;
 *   purpose 5: the pkcsPKIEnvelope of a SCEP RenewalReq, opened with the
 *     content-encryption key the host made it with (the CA's copy of that
 *     key is encrypted to the CA): a RenewalReq's must hold exactly the
 *     confirmed request, a CertPoll's an IssuerAndSubject naming the old
 *     certificate's issuer.
 * Errors are CRADLE_ERROR_INVALID_DATA.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest envelope content the device decrypts: a request and its
 * padding, with room to spare. */
#define CRADLE_AGENT_RENEWAL_MAX_CONTENT (64 * 1024)

/* Takes apart a DER CertificationRequest ::= SEQUENCE {
 * certificationRequestInfo, signatureAlgorithm, signature BIT STRING },
 * nothing before or after. @request_info (optional) gets the DER
 * CertificationRequestInfo. */
gboolean cradle_agent_renewal_split_request     (GBytes  *request,
                                                 GBytes **request_info,
                                                 GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Decrypts the encrypted content of the DER pkcsPKIEnvelope @envelope
 * (already checked by cradle_agent_scep_check_envelope()) with @content_key:
 * AES-128, AES-192 or AES-256 in CBC mode, 3DES (DES-EDE3-CBC) or DES-CBC,
 * the IV the algorithm's parameters give, PKCS#7 padding. */
GBytes  *cradle_agent_renewal_open_envelope     (GBytes  *envelope,
                                                 GBytes  *content_key,
                                                 GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Checks @content is one DER IssuerAndSubject ::= SEQUENCE { issuer Name,
 * subject Name } (RFC 8894 3.3.3, a CertPoll's) whose issuer is byte for
 * byte @issuer (a DER Name). */
gboolean cradle_agent_renewal_check_poll        (GBytes  *content,
                                                 GBytes  *issuer,
                                                 GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
