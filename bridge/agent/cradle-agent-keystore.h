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
 * A key is "pending enrollment" exactly while no MY certificate is bound to
 * it: the binding lives only in `stores`, so installing a certificate and
 * clearing the pending mark is one atomic write.
 * The stores hold at most 1,024 certificates in all (the limit of the
 * project's CBOR reader, which reads `stores` back).
 * An open keystore holds an exclusive flock() on its folder, so one process
 * owns it. It is not thread-safe: the agent calls it from one thread.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CRADLE_AGENT_KEY_ID_SIZE 16

#define CRADLE_TYPE_AGENT_KEYSTORE (cradle_agent_keystore_get_type ())
G_DECLARE_FINAL_TYPE (CradleAgentKeystore, cradle_agent_keystore, CRADLE, AGENT_KEYSTORE, GObject)

/* One certificate in a store, as LIST_CERTS reports it and INSTALL takes it. */
typedef struct {
  char   *store;    /* "MY", "CA" or "Root" */
  char   *scope;    /* "user" or "system" */
  GBytes *der;      /* the certificate */
  GBytes *key_id;   /* nullable: the bound key, MY only */
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
                                                      GError              **error);
/* The KEK in @folder, as tests and older agents keep it. */
CradleAgentKeystore *cradle_agent_keystore_open      (const char           *folder,
                                                      gboolean              privileged,
                                                      GError              **error);

/* "rsa2048", "rsa3072", "rsa4096", "p256", "p384" */
const char * const  *cradle_agent_keystore_key_types (void);

/* Generates and stores a key, pending enrollment. */
gboolean             cradle_agent_keystore_generate  (CradleAgentKeystore  *self,
                                                      const char           *key_type,
                                                      const char           *profile,
                                                      GBytes               *profile_details,
                                                      GBytes              **key_id,
                                                      GBytes              **public_key_info,
                                                      GError              **error);

gboolean             cradle_agent_keystore_has_key     (CradleAgentKeystore *self,
                                                        GBytes              *key_id);
gboolean             cradle_agent_keystore_is_pending  (CradleAgentKeystore *self,
                                                        GBytes              *key_id);
/* Returns: (transfer full): the key's DER SubjectPublicKeyInfo */
GBytes              *cradle_agent_keystore_dup_public_key (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        GError             **error);

/* Checks that @cri is a DER CertificationRequestInfo whose subjectPKInfo is
 * exactly the key's public key; gives its subject, one line, for the prompt. */
gboolean             cradle_agent_keystore_check_request_info (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        GBytes              *cri,
                                                        char               **subject,
                                                        GError             **error);

/* SCEP (SIGN purposes 2 and 3, DECRYPT): allowed only while the key is
 * pending enrollment (CRADLE_ERROR_PERMISSION_DENIED otherwise), and only
 * for what each purpose says (cradle-agent-scep-check-private.h). */
gboolean             cradle_agent_keystore_check_scep_signer (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        const char          *digest,
                                                        GBytes              *tbs_certificate,
                                                        GError             **error);
/* @message_type (optional): 19 PKCSReq or 20 CertPoll */
gboolean             cradle_agent_keystore_check_scep_message (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        const char          *digest,
                                                        GBytes              *signed_attributes,
                                                        guint               *message_type,
                                                        GError             **error);
/* Decrypts a CMS KeyTransRecipientInfo's encryptedKey (RSA only) and gives
 * the @key_size-byte content-encryption key (8, 16, 24 or 32), with
 * implicit rejection: see cradle_agent_crypto_unwrap_key(). */
GBytes              *cradle_agent_keystore_unwrap_key (CradleAgentKeystore *self,
                                                        GBytes              *key_id,
                                                        GBytes              *encrypted_key,
                                                        gsize                key_size,
                                                        GError             **error);

/* Signs @data with the key: PKCS#1 v1.5 for RSA, DER ECDSA for EC.
 * @digest is "sha256", "sha384" or "sha512". */
GBytes              *cradle_agent_keystore_sign      (CradleAgentKeystore  *self,
                                                      GBytes               *key_id,
                                                      const char           *digest,
                                                      GBytes               *data,
                                                      char                **algorithm,
                                                      GError              **error);

/* Only a pending key may be deleted. */
gboolean             cradle_agent_keystore_delete_key (CradleAgentKeystore *self,
                                                       GBytes              *key_id,
                                                       GError             **error);

/* Returns: (element-type CradleAgentCert): @store and @scope nullable = all */
GPtrArray           *cradle_agent_keystore_list      (CradleAgentKeystore  *self,
                                                      const char           *store,
                                                      const char           *scope,
                                                      GError              **error);

/* Whether @der is already in a Root store (user or system). */
gboolean             cradle_agent_keystore_trusts_root (CradleAgentKeystore *self,
                                                        GBytes              *der);

/* Validates every item, then writes all of them in one atomic step. */
gboolean             cradle_agent_keystore_install   (CradleAgentKeystore  *self,
                                                      GPtrArray            *certs,
                                                      guint                *added,
                                                      GError              **error);

gboolean             cradle_agent_keystore_delete_cert (CradleAgentKeystore *self,
                                                        const char          *store,
                                                        const char          *scope,
                                                        GBytes              *sha256,
                                                        GError             **error);

G_END_DECLS
