/* cradle-agent-keystore-private.h: shared by the keystore's files and its tests
 *
 * cradle-agent-keystore.c opens the folder and handles keys;
 * cradle-agent-keystore-certs.c handles the certificate stores.
 */
#pragma once

#include "agent/cradle-agent-keystore.h"
#include "agent/cradle-agent-key-file-private.h"
#include "agent/cradle-agent-keystore-crypto-private.h"

G_BEGIN_DECLS

/* Only these files exist in the folder (and temporary files beside them);
 * "kek" only when the KEK is kept there on purpose (no KEK path given to
 * cradle_agent_keystore_open_full()), or left by an older agent until the
 * keystore moves it to its own place. */
#define CRADLE_AGENT_KEK_NAME    "kek"
#define CRADLE_AGENT_KEYS_NAME   "keys"
#define CRADLE_AGENT_STORES_NAME "stores"

/* The agent calls the keystore from one thread, so nothing here locks. Its
 * in-memory copy of the stores is the truth because open() takes an
 * exclusive flock() on the folder: no other process writes behind it. */
struct _CradleAgentKeystore
{
  GObject    parent_instance;

  /* Owned */
  char      *folder;
  char      *keys_folder;
  char      *stores_path;
  char      *kek_path;
  GPtrArray *certs;            /* CradleAgentCert, as the stores file holds them */
  guint8    *kek;              /* CRADLE_AGENT_KEK_SIZE bytes, in the secure heap */
  int        lock_fd;

  gboolean   privileged;
};

char               *cradle_agent_keystore_key_path      (CradleAgentKeystore  *self,
                                                         GBytes               *key_id);
/* NOT_FOUND when there is no such key, INVALID_DATA naming the file when damaged. */
CradleAgentKeyFile *cradle_agent_keystore_load_key      (CradleAgentKeystore  *self,
                                                         GBytes               *key_id,
                                                         GError              **error) G_GNUC_WARN_UNUSED_RESULT;
/* Writes the key's record again, atomically (its state or count changed). */
gboolean            cradle_agent_keystore_save_key      (CradleAgentKeystore  *self,
                                                         const CradleAgentKeyFile *key_file,
                                                         GError              **error) G_GNUC_WARN_UNUSED_RESULT;
/* The key's state: its file's, but enrolled at least while a MY
 * certificate is bound to it. */
CradleAgentKeyState cradle_agent_keystore_key_state     (CradleAgentKeystore  *self,
                                                         const CradleAgentKeyFile *key_file);
/* "made", "enrolled", "retired", for messages. */
const char         *cradle_agent_key_state_to_string    (CradleAgentKeyState   state);
/* The key id in hexadecimal, for messages. */
char               *cradle_agent_keystore_key_id_hex    (GBytes               *key_id);
/* Whether a MY certificate is bound to the key. */
gboolean            cradle_agent_keystore_key_is_bound  (CradleAgentKeystore  *self,
                                                         GBytes               *key_id);

/* Shared by the keystore's files: the key if it is still made for its
 * enrollment, and whether @host_id owns it (@use says what was asked). */
/* The first key file on the device that @match accepts, read and
 * decoded (a damaged or misnamed file counts as no key); %NULL when none. */
typedef gboolean (*CradleAgentKeyMatch) (const CradleAgentKeyFile *key_file,
                                         gconstpointer             data);
CradleAgentKeyFile *_cradle_agent_keystore_find_key (CradleAgentKeystore *self,
                                                     CradleAgentKeyMatch  match,
                                                     gconstpointer        data);
GBytes             *_cradle_agent_keystore_store_new_key (CradleAgentKeystore      *self,
                                                          const char               *key_type,
                                                          const char               *profile,
                                                          GBytes                   *profile_details,
                                                          GBytes                   *public_key,
                                                          CradleAgentEnrollmentKind kind,
                                                          GBytes                   *host_id,
                                                          CradleAgentKeyOrigin      origin,
                                                          const CradleAgentSecret  *pkcs8,
                                                          GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
CradleAgentKeyFile *_cradle_agent_keystore_load_made_key (CradleAgentKeystore       *self,
                                                          GBytes                    *key_id,
                                                          const char                *use,
                                                          GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean            _cradle_agent_keystore_check_owner   (const CradleAgentKeyFile  *key_file,
                                                          GBytes                    *host_id,
                                                          const char                *use,
                                                          GError                   **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-agent-keystore-renewal.c: counts one decryption of a renewal's SCEP
 * answer by the enrolled key @old_key, against the live renewal mark that
 * names its certificate for @host_id (PERMISSION_DENIED when there is none,
 * or it has had CRADLE_AGENT_MAX_DECRYPTIONS). */
gboolean            _cradle_agent_keystore_count_renewal_decryption (CradleAgentKeystore      *self,
                                                                     const CradleAgentKeyFile *old_key,
                                                                     GBytes                   *host_id,
                                                                     GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-agent-keystore-identity.c: the device's Ed25519 identity key,
 * identity.key, made on first use. */
EVP_PKEY           *cradle_agent_keystore_load_identity (CradleAgentKeystore  *self,
                                                         GError              **error) G_GNUC_WARN_UNUSED_RESULT;
/* The private key, to be freed as soon as it has been used. */
EVP_PKEY           *cradle_agent_keystore_unseal_key    (CradleAgentKeystore       *self,
                                                         const CradleAgentKeyFile  *key_file,
                                                         GError                   **error) G_GNUC_WARN_UNUSED_RESULT;

/* IMPORT_KEY (cradle-agent-keystore-import.c), before the device's user is
 * asked: @pkcs8 must be a DER PKCS#8 private key of one of the key types
 * (at most CRADLE_AGENT_IMPORT_KEY_MAX_SIZE bytes), @certificate_der a
 * certificate for exactly that key (INVALID_DATA otherwise), and no key on
 * the device, in any state, may have the same public key (PERMISSION_DENIED):
 * an imported key never stands beside, replaces or shadows a key the device
 * holds. Gives the parsed certificate for the prompt. */
#define CRADLE_AGENT_IMPORT_KEY_MAX_SIZE 8192
X509                *cradle_agent_keystore_check_import (CradleAgentKeystore *self,
                                                        const CradleAgentSecret *pkcs8,
                                                        GBytes              *certificate_der,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* Stores the key checked above, sealed under the KEK, made for a
 * certification request (kind 1), owned by @host_id, marked imported. */
gboolean             cradle_agent_keystore_import     (CradleAgentKeystore  *self,
                                                       const CradleAgentSecret *pkcs8,
                                                       GBytes               *certificate_der,
                                                       const char           *profile,
                                                       GBytes               *host_id,
                                                       GBytes              **key_id,
                                                       GBytes              **public_key_info,
                                                       GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* For tests only: the key's PKCS#8 DER in clear. The agent never calls it. */
CradleAgentSecret  *cradle_agent_keystore_decrypt_key   (CradleAgentKeystore  *self,
                                                         GBytes               *key_id,
                                                         GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
