/* cradle-agent-scep-check-private.h: checking what SIGN purposes 2 and 3 sign
 *
 * SCEP (RFC 8894) needs two more signatures from a key pending enrollment
 * (docs/bridge-protocol.md, SIGN):
 *   2  the transient self-signed certificate a SCEP client signs its
 *      messages with: a DER TBSCertificate, v3, for this very key, whose
 *      issuer is its subject and that cannot act as a CA;
 *   3  the signed attributes of a pkiMessage's SignerInfo: a DER SET OF
 *      Attribute (tag 0x31, the bytes CMS signs) holding exactly the SCEP
 *      request attributes, of a PKCSReq or a CertPoll; and the content the
 *      SignedData carries, which must be a pkcsPKIEnvelope. The keystore
 *      then requires the messageDigest to be that content's digest and the
 *      transactionID to be the key's.
 * Each check only reads its input, through bounded readers.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* SCEP messageType values (RFC 8894 3.2.1.2) */
#define CRADLE_AGENT_SCEP_RENEWAL_REQ 17
#define CRADLE_AGENT_SCEP_PKCS_REQ  19
#define CRADLE_AGENT_SCEP_CERT_POLL 20

#define CRADLE_AGENT_SCEP_MAX_TRANSACTION_ID 128
#define CRADLE_AGENT_SCEP_NONCE_SIZE         16

/* Checks @tbs is a DER TBSCertificate (v3) whose subjectPublicKeyInfo is
 * exactly @public_key, whose issuer is its subject, whose signature
 * algorithm is @signature_nid (with the parameters RFC 4055/5758 give it),
 * and that is not a CA certificate. Errors are CRADLE_ERROR_INVALID_DATA. */
gboolean cradle_agent_scep_check_signer_certificate (GBytes  *tbs,
                                                     GBytes  *public_key,
                                                     int      signature_nid,
                                                     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Checks @attributes is the DER SET OF Attribute of a SCEP PKCSReq or
 * CertPoll: contentType id-data, a messageDigest of @digest_size bytes,
 * messageType 19 or 20, a 16-byte senderNonce and a transactionID, each
 * once, optionally signingTime, nothing else, in DER order. @message_type
 * (optional) gets 19 or 20, @message_digest (optional) the messageDigest,
 * @transaction_id (optional) the transactionID. Errors are
 * CRADLE_ERROR_INVALID_DATA. */
gboolean cradle_agent_scep_check_signed_attributes  (GBytes  *attributes,
                                                     gsize    digest_size,
                                                     guint   *message_type,
                                                     GBytes **message_digest,
                                                     char   **transaction_id,
                                                     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Which signed attributes a purpose signs (docs/bridge-protocol.md, SIGN). */
typedef enum {
  CRADLE_AGENT_ATTRIBUTES_SCEP_REQUEST,  /* purpose 3: PKCSReq (19) or CertPoll (20) */
  CRADLE_AGENT_ATTRIBUTES_SCEP_RENEWAL,  /* purpose 5: RenewalReq (17) or CertPoll (20) */
  CRADLE_AGENT_ATTRIBUTES_CMS,           /* purpose 4: contentType, messageDigest, signingTime only */
} CradleAgentAttributesProfile;

/* As cradle_agent_scep_check_signed_attributes(), for @profile: the SCEP
 * profiles take the SCEP attributes with their message types; the CMS one
 * takes only contentType id-data, messageDigest and optionally signingTime
 * (@message_type then gets 0, @transaction_id NULL). */
gboolean cradle_agent_scep_check_attributes_for      (CradleAgentAttributesProfile profile,
                                                     GBytes  *attributes,
                                                     gsize    digest_size,
                                                     guint   *message_type,
                                                     GBytes **message_digest,
                                                     char   **transaction_id,
                                                     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Checks @content is the DER of a SCEP pkcsPKIEnvelope (RFC 8894 3.2.2):
 * a ContentInfo of type envelopedData whose EnvelopedData has no
 * originatorInfo and no unprotectedAttrs, exactly one RecipientInfo, a
 * KeyTransRecipientInfo (version 0 with an issuerAndSerialNumber, or 2 with
 * a subjectKeyIdentifier) with a non-empty encryptedKey, and encrypted
 * content of type id-data that is there and not empty. Nothing may follow.
 * Errors are CRADLE_ERROR_INVALID_DATA. */
gboolean cradle_agent_scep_check_envelope           (GBytes  *content,
                                                     GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
