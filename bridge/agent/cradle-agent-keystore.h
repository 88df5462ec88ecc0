/* cradle-agent-keystore.h: the device's keys and certificate stores
 *
 * The agent keeps its keys and stores in one folder:
 *   keys/<id>.key  one private key each, AES-256-GCM under the KEK, never
 *                  written in clear; with its type, profile and public key
 *   stores         every certificate of every store (MY, CA, Root, each for
 *                  "user" and "system") and which key each MY certificate is
 *                  bound to, in one file
 * and the key-encryption key (KEK, 32 random bytes, mode 0600) in a file
 * apart from it (cradle-agent --kek-file; by default
 * $XDG_CONFIG_HOME/cradle-agent/<serial>/kek), so that a copy of the folder
 * alone does not open the keys. A "kek" file an older agent left in the
 * folder is moved there when the keystore opens.
 * Each file is written atomically (temporary file, fsync, rename, fsync of
 * the folder), so a crash at any point leaves the previous consistent state.
 * A key lives through three states, and never goes back (docs/bridge-protocol.md,
 * "A key's life"): made, for one enrollment by one paired host; enrolled,
 * once INSTALL binds its MY certificate; retired, once that certificate is
 * deleted (with the device user's yes). The state, the owner (the host that
 * made it), the enrollment kind, the count of decryptions and, during a
 * renewal its user confirmed, the renewal mark are kept in the key's file. A key bound to a MY certificate in `stores` counts as enrolled
 * whatever its file says, so INSTALL writes `stores` first and its key file
 * after, and DELETE_CERT retires the key file first and writes `stores`
 * after: a crash between the two never leaves a certified key usable as made.
 * The stores hold at most 1,024 certificates in all (the limit of the
 * project's CBOR reader, which reads `stores` back).
 * An open keystore holds an exclusive flock() on its folder, so one process
 * owns it. It is not thread-safe: the agent calls it from one thread.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CRADLE_AGENT_KEY_ID_SIZE 16

/* The states of a key: it only ever moves down this list. */
typedef enum {
  CRADLE_AGENT_KEY_MADE = 1,      /* for one enrollment, by one host */
  CRADLE_AGENT_KEY_ENROLLED = 2,  /* its MY certificate was installed */
  CRADLE_AGENT_KEY_RETIRED = 3,   /* its certificate was deleted: it does nothing more */
} CradleAgentKeyState;

/* GENERATE_KEY field 4: the enrollment protocol a key is made for. */
typedef enum {
  CRADLE_AGENT_ENROLLMENT_UNKNOWN = 0,  /* a key from a format 1 file */
  CRADLE_AGENT_ENROLLMENT_REQUEST = 1,  /* a certification request (CertSrv, WSTEP, EST) */
  CRADLE_AGENT_ENROLLMENT_SCEP = 2,
} CradleAgentEnrollmentKind;

/* Where a key came from (LIST_CERTS field 5). */
typedef enum {
  CRADLE_AGENT_KEY_ORIGIN_UNKNOWN = 0,  /* its file is damaged: nobody can say */
  CRADLE_AGENT_KEY_GENERATED = 1,  /* GENERATE_KEY: it never left the device */
  CRADLE_AGENT_KEY_IMPORTED = 2,   /* IMPORT_KEY: made elsewhere, from a PFX/P12 */
} CradleAgentKeyOrigin;

/* DECRYPT serves a SCEP enrollment's answers: at most this many per key,
 * and only this long after the key was made (a CA's approval can take days;
 * each CertPoll answered "pending" costs no decryption). */
#define CRADLE_AGENT_MAX_DECRYPTIONS      32
#define CRADLE_AGENT_DECRYPT_WINDOW_DAYS  30

/* A renewal its user confirmed lets the old certificate's key sign that
 * renewal's messages for this long, or until the new certificate is installed. */
#define CRADLE_AGENT_RENEWAL_DAYS         30

#define CRADLE_TYPE_AGENT_KEYSTORE (cradle_agent_keystore_get_type ())
G_DECLARE_FINAL_TYPE (CradleAgentKeystore, cradle_agent_keystore, CRADLE, AGENT_KEYSTORE, GObject)

/* One certificate in a store, as LIST_CERTS reports it and INSTALL takes it. */
typedef struct {
  char   *store;    /* "MY", "CA" or "Root" */
  char   *scope;    /* "user" or "system" */
  GBytes *der;      /* the certificate */
  GBytes *key_id;   /* nullable: the bound key, MY only */
  CradleAgentKeyOrigin key_origin;  /* set by cradle_agent_keystore_list() when key_id is */
} CradleAgentCert;

CradleAgentCert *cradle_agent_cert_new  (const char *store,
                                         const char *scope,
                                         GBytes     *der,
                                         GBytes     *key_id);
void             cradle_agent_cert_free (CradleAgentCert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleAgentCert, cradle_agent_cert_free)

/* Creates the folder (0700) and the KEK on first use. @privileged allows
 * writes to the system stores. A folder another keystore has open gives
 * CRADLE_ERROR_BUSY. @kek_path: the KEK's file, apart from @folder. */
CradleAgentKeystore *cradle_agent_keystore_open_full (const char           *folder,
                                                      const char           *kek_path,
                                                      gboolean              privileged,
                                                      GError              **error) G_GNUC_WARN_UNUSED_RESULT;
/* The KEK in @folder, as tests and older agents keep it. */
CradleAgentKeystore *cradle_agent_keystore_open      (const char           *folder,
                                                      gboolean              privileged,
                                                      GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* "rsa2048", "rsa3072", "rsa4096", "p256", "p384" */
const char * const  *cradle_agent_keystore_key_types (void);

/* Generates and stores a key, made for one enrollment of @kind by the host
 * @host_id (the SHA-256 of the paired host's public key; %NULL: no paired
 * host, and then no host owns the key). */
gboolean             cradle_agent_keystore_generate  (CradleAgentKeystore  *self,
                                                      const char           *key_type,
                                                      const char           *profile,
                                                      GBytes               *profile_details,
                                                      CradleAgentEnrollmentKind kind,
                                                      GBytes               *host_id,
                                                      GBytes              **key_id,
                                                      GBytes              **public_key_info,
                                                      GError              **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean             cradle_agent_keystore_has_key     (CradleAgentKeystore *self,
                                                        GBytes              *key_id);
/* Whether the key is in state made. */
gboolean             cradle_agent_keystore_is_pending  (CradleAgentKeystore *self,
                                                        GBytes              *key_id);
/* The key's state; 0 when there is no such key or its file is damaged. */
CradleAgentKeyState  cradle_agent_keystore_get_state   (CradleAgentKeystore *self,
                                                        GBytes              *key_id);
/* Returns: (transfer full): the key's DER SubjectPublicKeyInfo */
GBytes              *cradle_agent_keystore_dup_public_key (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* Checks that the key is made (PERMISSION_DENIED otherwise) and that @cri is
 * a DER CertificationRequestInfo whose subjectPKInfo is exactly the key's
 * public key; gives its subject, one line, for the prompt. */
gboolean             cradle_agent_keystore_check_request_info (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        GBytes              *cri,
                                                        char               **subject,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* SIGN purpose 1 (cradle-agent-keystore-renewal.c). Without the renewal
 * attribute, as cradle_agent_keystore_check_request_info() (@renewed gets
 * NULL). With it: the certificate it names must be byte for byte one of
 * this device's MY certificates bound to an enrolled key, and the request's
 * key this key, made, or that very enrolled key (a renewal with the same
 * key); @renewed gets the certificate, for the prompt. PERMISSION_DENIED for
 * a certificate or key that does not qualify, INVALID_DATA for the bytes. */
gboolean             cradle_agent_keystore_check_request (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        GBytes              *cri,
                                                        GBytes             **renewed,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* Signs the CertificationRequestInfo @cri its user confirmed, checked again
 * as above; a renewal's first records on the key its renewal mark (the
 * certificate renewed, the request, the time and the host @host_id). */
GBytes              *cradle_agent_keystore_sign_request  (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        GBytes              *host_id,
                                                        const char          *digest,
                                                        GBytes              *cri,
                                                        char               **algorithm,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* SIGN purposes 4 and 5: the enrolled key @key_id signs @attributes, the
 * signed attributes of its certificate's renewal, only within a live
 * renewal mark for that certificate and @host_id (PERMISSION_DENIED) and
 * only over exactly the confirmed request (INVALID_DATA otherwise). 4:
 * @content is the DER CertificationRequest, @content_key unused. 5:
 * @content is the RenewalReq's or CertPoll's pkcsPKIEnvelope and
 * @content_key its content-encryption key; @message_type gets 17 or 20. */
GBytes              *cradle_agent_keystore_sign_renewal  (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        GBytes              *host_id,
                                                        guint                purpose,
                                                        const char          *digest,
                                                        GBytes              *attributes,
                                                        GBytes              *content,
                                                        GBytes              *content_key,
                                                        char               **algorithm,
                                                        guint               *message_type,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* SCEP (SIGN purposes 2 and 3, DECRYPT): allowed only for a key made for a
 * SCEP enrollment, still made, and for the host that made it
 * (CRADLE_ERROR_PERMISSION_DENIED otherwise), and only for what each purpose
 * says (cradle-agent-scep-check-private.h). */
gboolean             cradle_agent_keystore_check_scep_signer (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        GBytes              *host_id,
                                                        const char          *digest,
                                                        GBytes              *tbs_certificate,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* @content: the DER ContentInfo the SignedData carries, which must be a
 * SCEP pkcsPKIEnvelope; the signed attributes' messageDigest must be its
 * @digest, and their transactionID the key's (the uppercase hex SHA-256 of
 * its SubjectPublicKeyInfo). @message_type (optional): 19 PKCSReq or 20 CertPoll */
gboolean             cradle_agent_keystore_check_scep_message (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        GBytes              *host_id,
                                                        const char          *digest,
                                                        GBytes              *signed_attributes,
                                                        GBytes              *content,
                                                        guint               *message_type,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* Decrypts a CMS KeyTransRecipientInfo's encryptedKey (RSA only) and gives
 * the @key_size-byte content-encryption key (8, 16, 24 or 32), with
 * implicit rejection: see cradle_agent_crypto_unwrap_key(). Each call counts
 * against CRADLE_AGENT_MAX_DECRYPTIONS, and none is allowed after
 * CRADLE_AGENT_DECRYPT_WINDOW_DAYS (PERMISSION_DENIED). An enrolled key
 * decrypts only within a live renewal mark naming its certificate, for the
 * host that asked for the renewal, at most CRADLE_AGENT_MAX_DECRYPTIONS per
 * renewal (counted on the marked key). */
GBytes              *cradle_agent_keystore_unwrap_key (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        GBytes              *host_id,
                                                        GBytes              *encrypted_key,
                                                        gsize                key_size,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* Signs @data with the key: PKCS#1 v1.5 for RSA, DER ECDSA for EC.
 * @digest is "sha256", "sha384" or "sha512". Only a made key signs
 * (PERMISSION_DENIED otherwise); the caller checks @data first. */
GBytes              *cradle_agent_keystore_sign      (CradleAgentKeystore  *self,
                                                      GBytes               *key_id,
                                                      const char           *digest,
                                                      GBytes               *data,
                                                      char                **algorithm,
                                                      GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Only a made key may be deleted, and only by the host that made it. */
gboolean             cradle_agent_keystore_delete_key (CradleAgentKeystore *self,
                                                       GBytes              *key_id,
                                                       GBytes              *host_id,
                                                       GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* Returns: (element-type CradleAgentCert): @store and @scope nullable = all */
GPtrArray           *cradle_agent_keystore_list      (CradleAgentKeystore  *self,
                                                      const char           *store,
                                                      const char           *scope,
                                                      GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Whether @der is already in a Root store (user or system). */
gboolean             cradle_agent_keystore_trusts_root (CradleAgentKeystore *self,
                                                        GBytes              *der);

/* Validates every item, then writes all of them in one atomic step. A key
 * id binds a certificate only to a made key, which becomes enrolled. */
gboolean             cradle_agent_keystore_install   (CradleAgentKeystore  *self,
                                                      GPtrArray            *certs,
                                                      guint                *added,
                                                      GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* The certificate @store, @scope and @sha256 name, or %NULL;
 * @key_id (optional) gets the key it is bound to, if any. */
GBytes              *cradle_agent_keystore_find_cert  (CradleAgentKeystore *self,
                                                       const char          *store,
                                                       const char          *scope,
                                                       GBytes              *sha256,
                                                       GBytes             **key_id);

/* Whether deleting the certificate would retire an enrolled key, which
 * needs the device user's yes; @der (optional) gets the certificate. */
gboolean             cradle_agent_keystore_delete_cert_retires (CradleAgentKeystore *self,
                                                        const char          *store,
                                                        const char          *scope,
                                                        GBytes              *sha256,
                                                        GBytes             **der);
/* Deletes a certificate. One bound to an enrolled key needs @confirmed
 * (the device user said yes; PERMISSION_DENIED otherwise), and retires
 * that key before the certificate goes. */
gboolean             cradle_agent_keystore_delete_cert (CradleAgentKeystore *self,
                                                        const char          *store,
                                                        const char          *scope,
                                                        GBytes              *sha256,
                                                        gboolean             confirmed,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
