/* cradle-scep-private.h: SCEP (RFC 8894) messages with the key on a device
 *
 * A SCEP client signs its messages with a transient self-signed certificate
 * over its new key, and the CA encrypts its answer to that certificate. The
 * key lives on the device, so the three private-key operations go through
 * a CradleScepKey: signing the certificate (bridge SIGN purpose 2), signing
 * each message's signed attributes (purpose 3), and decrypting the answer's
 * content-encryption key (DECRYPT). Everything else is done here, with
 * OpenSSL's PKCS#7 structures:
 *   cradle-scep-ca.c       GetCACaps and GetCACert answers: what the CA can
 *                          do, which certificate to encrypt to
 *   cradle-scep-message.c  the signer certificate and pkiMessages
 *                          (PKCSReq, CertPoll)
 *   cradle-scep-reply.c    CertRep: the CA's signature, nonces, status,
 *                          and the issued certificates inside the envelope
 * Everything a CA sends is untrusted: sizes are bounded before parsing, and
 * every malformed answer is CRADLE_ERROR_INVALID_DATA with words for people.
 */
#pragma once

#include <gio/gio.h>
#include <openssl/bn.h>
#include <openssl/pkcs7.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"

G_BEGIN_DECLS

/* Types cradle-openssl-private.h does not cover yet. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PKCS7, PKCS7_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_CIPHER, EVP_CIPHER_free)

static inline void
cradle_scep_certs_free (STACK_OF (X509) *certs)
{
  sk_X509_pop_free (certs, X509_free);
}

/* messageType (RFC 8894 3.2.1.2) */
typedef enum {
  CRADLE_SCEP_CERT_REP = 3,
  CRADLE_SCEP_RENEWAL_REQ = 17,
  CRADLE_SCEP_PKCS_REQ = 19,
  CRADLE_SCEP_CERT_POLL = 20,
} CradleScepMessageType;

/* pkiStatus (3.2.1.3) */
typedef enum {
  CRADLE_SCEP_SUCCESS = 0,
  CRADLE_SCEP_FAILURE = 2,
  CRADLE_SCEP_PENDING = 3,
} CradleScepStatus;

/* failInfo (3.2.1.4): badAlg 0, badMessageCheck 1, badRequest 2, badTime 3, badCertId 4 */
#define CRADLE_SCEP_FAIL_INFO_MAX 4
const char *cradle_scep_fail_info_to_string (guint fail_info);

#define CRADLE_SCEP_NONCE_SIZE 16
/* Bounds on what a CA sends. */
#define CRADLE_SCEP_MAX_CAPS_SIZE      (8 * 1024)
#define CRADLE_SCEP_MAX_CA_CERT_SIZE   (256 * 1024)
#define CRADLE_SCEP_MAX_CA_CERTS       16
#define CRADLE_SCEP_MAX_MESSAGE_SIZE   (1024 * 1024)
#define CRADLE_SCEP_MAX_FAIL_INFO_TEXT 512

/* ---- what the CA can do (GetCACaps) ---------------------------------- */

typedef struct {
  gboolean    post;     /* POSTPKIOperation or SCEPStandard */
  const char *digest;   /* "sha256", "sha384" or "sha512": the device's names */
  const char *cipher;   /* "aes-128-cbc" or "des-ede3-cbc", for the request */
  gboolean    renewal;
  char       *words;    /* the keywords as the CA sent them, one line */
} CradleScepCaps;

void            cradle_scep_caps_free   (CradleScepCaps *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleScepCaps, cradle_scep_caps_free)

/* Reads a GetCACaps body (one keyword a line, any case). A CA that offers
 * neither AES nor triple DES is CRADLE_ERROR_NOT_SUPPORTED: Cradle does not
 * send a request under single DES. */
CradleScepCaps *cradle_scep_caps_parse  (GBytes      *body,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- the CA's certificates (GetCACert) -------------------------------- */

typedef struct {
  STACK_OF (X509) *certs;      /* every certificate sent: the CA's, RAs' */
  STACK_OF (X509) *signers;    /* who may sign a CertRep: the SCEP CA, RAs that sign */
  X509            *recipient;  /* borrowed from @certs: requests are encrypted to it */
  X509            *issuer;     /* borrowed: the SCEP CA, that issues (CertPoll's issuer) */
} CradleScepCa;

void          cradle_scep_ca_free  (CradleScepCa *ca);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleScepCa, cradle_scep_ca_free)

/* @content_type: the answer's media type. "application/x-x509-ca-cert" is
 * one DER certificate, the CA's; "application/x-x509-ca-ra-cert" a
 * certs-only PKCS#7 with the CA and its RA certificates.  Who is the CA,
 * what makes a certificate an RA's, who receives the request and who may
 * sign the CertRep is said at the function (cradle-scep-ca.c); an answer
 * with any other certificate is CRADLE_ERROR_NOT_CONFIGURED.  Only RSA
 * recipients are possible (key transport).  The answer is not checked
 * against any trust anchor here: the connector does that. */
CradleScepCa *cradle_scep_ca_parse (const char  *content_type,
                                    GBytes      *body,
                                    GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* A certificate for people: its subject (RFC 4514) and its SHA-256
 * fingerprint as colon-separated uppercase hex. */
char         *cradle_scep_dup_subject (X509 *cert);
char         *cradle_scep_dup_sha256  (X509 *cert);
/* The CA certificates among them, for an answer's chain. */
GPtrArray    *cradle_scep_ca_dup_chain (CradleScepCa *ca);

/* ---- the key, on the device or elsewhere -------------------------------- */

typedef struct _CradleScepKey CradleScepKey;

typedef struct {
  /* Signs @data for @purpose (CRADLE_DEVICE_SIGN_SCEP_*) with @digest;
   * returns the signature (PKCS#1 v1.5 for RSA). @content is the
   * pkcsPKIEnvelope a SCEP message's signed attributes sign over (purpose
   * 3; the device computes its messageDigest itself), NULL otherwise. */
  GBytes *(*sign)    (CradleScepKey            *key,
                      CradleDeviceSignPurpose   purpose,
                      GBytes                   *data,
                      GBytes                   *content,
                      const char               *digest,
                      GCancellable             *cancellable,
                      GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
  /* Decrypts a KeyTransRecipientInfo's encryptedKey into @key_size bytes. */
  GBytes *(*decrypt) (CradleScepKey            *key,
                      GBytes                   *encrypted_key,
                      gsize                     key_size,
                      GCancellable             *cancellable,
                      GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
  /* A renewal's message, signed by the old certificate's key (SIGN
   * purpose 5): @signed_attributes over @envelope, whose content is
   * encrypted with @content_key, which the device uses to read it (NULL
   * for keys that cannot renew). */
  GBytes *(*sign_renewal) (CradleScepKey       *key,
                           GBytes              *signed_attributes,
                           GBytes              *envelope,
                           GBytes              *content_key,
                           const char          *digest,
                           GCancellable        *cancellable,
                           GError             **error) G_GNUC_WARN_UNUSED_RESULT;
} CradleScepKeyOps;

struct _CradleScepKey {
  const CradleScepKeyOps *ops;
  gpointer                user_data;
  GDestroyNotify          user_data_free;
  EVP_PKEY               *public_key;   /* owned */
};

/* @public_key: DER SubjectPublicKeyInfo; RSA only (SCEP's key transport),
 * CRADLE_ERROR_NOT_SUPPORTED otherwise. */
CradleScepKey *cradle_scep_key_new      (const CradleScepKeyOps  *ops,
                                         gpointer                 user_data,
                                         GDestroyNotify           user_data_free,
                                         GBytes                  *public_key,
                                         GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
/* The key @key_id on @device, through the bridge. */
CradleScepKey *cradle_scep_key_new_for_device (CradleDevice      *device,
                                               GBytes            *key_id,
                                               GBytes            *public_key,
                                               GError           **error) G_GNUC_WARN_UNUSED_RESULT;
void           cradle_scep_key_free     (CradleScepKey           *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleScepKey, cradle_scep_key_free)

/* ---- requests --------------------------------------------------------- */

/* RFC 8894 3.2.1.1: a hash of the public key, as uppercase hex (the same
 * for every message about this key, so a CertPoll finds its PKCSReq). */
char     *cradle_scep_transaction_id       (CradleScepKey  *key);

/* The transient self-signed certificate (RFC 8894 2.3) for @key, named
 * @subject (the request's; a name from the transaction id when empty),
 * signed on the device (purpose 2) and checked. */
X509     *cradle_scep_make_signer          (CradleScepKey  *key,
                                            X509_NAME      *subject,
                                            const char     *transaction_id,
                                            const char     *digest,
                                            GCancellable   *cancellable,
                                            GError        **error) G_GNUC_WARN_UNUSED_RESULT;

typedef struct {
  CradleScepMessageType  type;             /* PKCSReq, RenewalReq or CertPoll */
  const char            *transaction_id;
  guint8                 sender_nonce[CRADLE_SCEP_NONCE_SIZE];
  const char            *digest;           /* "sha256", … */
  const char            *cipher;           /* "aes-128-cbc", "des-ede3-cbc" */
  gboolean               renewal;          /* signed by the old certificate's key (SIGN purpose 5) */
} CradleScepMessageInfo;

/* A pkiMessage: @message_data (the PKCS#10 for PKCSReq and RenewalReq,
 * IssuerAndSubject for CertPoll) in an EnvelopedData to @recipient, in a
 * SignedData signed by @signer over @key (the signed attributes signed on
 * the device, purpose 3; purpose 5 for a renewal, whose @signer is the old
 * certificate and @key its key), the signature checked before it is
 * returned. */
GBytes   *cradle_scep_message_build        (const CradleScepMessageInfo *info,
                                            GBytes                      *message_data,
                                            X509                        *recipient,
                                            X509                        *signer,
                                            CradleScepKey               *key,
                                            GCancellable                *cancellable,
                                            GError                     **error) G_GNUC_WARN_UNUSED_RESULT;

/* CertPoll's messageData: IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name } */
GBytes   *cradle_scep_issuer_and_subject   (X509_NAME *issuer,
                                            X509_NAME *subject,
                                            GError   **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- the answer (CertRep) --------------------------------------------- */

typedef struct {
  CradleScepStatus  status;
  guint             fail_info;        /* FAILURE only */
  char             *fail_info_text;   /* nullable; sanitised, bounded */
  GPtrArray        *certificates;     /* (element-type CradleCertificate) SUCCESS only */
} CradleScepReply;

void             cradle_scep_reply_free  (CradleScepReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleScepReply, cradle_scep_reply_free)

/* Reads a CertRep answering the message of @info: signed by one of
 * @ca->signers (the SCEP CA or an RA that signs, and only those), messageType CertRep, the same
 * transactionID, recipientNonce == @info's senderNonce. On SUCCESS the
 * envelope is opened: @key (on the device) decrypts the content-encryption
 * key encrypted to @signer, and the content is a certs-only PKCS#7. */
CradleScepReply *cradle_scep_reply_parse (GBytes                      *der,
                                          const CradleScepMessageInfo *info,
                                          CradleScepCa                *ca,
                                          X509                        *signer,
                                          CradleScepKey               *key,
                                          GCancellable                *cancellable,
                                          GError                     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
