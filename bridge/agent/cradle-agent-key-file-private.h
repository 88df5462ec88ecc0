/* cradle-agent-key-file-private.h: one private key at rest, keys/<id>.key
 *
 * A CBOR map with small integer keys:
 *   1 format version (uint, 1)      6 public key, DER SubjectPublicKeyInfo
 *   2 key id (16 bytes)             7 nonce (12 bytes)
 *   3 key type (text)               8 ciphertext: the PKCS#8 DER private key
 *   4 profile (text)                  under AES-256-GCM with the KEK
 *   5 profile details (bytes,       9 GCM tag (16 bytes)
 *     optional, at most 4 KiB)     10 creation time (uint, Unix seconds)
 * Format 2 adds the key's life (docs/bridge-protocol.md, "A key's life"):
 *  11 owner: SHA-256 of the public key of the paired host that made it
 *     (32 bytes; absent: no host owns it)
 *  12 enrollment kind (uint: 1 certification request, 2 SCEP; absent: unknown)
 *  13 state (uint: 1 made, 2 enrolled, 3 retired)
 *  14 decryptions so far (uint)
 * and, only while its user's yes to a renewal holds, the renewal mark
 * (docs/bridge-protocol.md, "Renewal"), all four or none:
 *  15 renews: SHA-256 of the DER of the certificate being renewed (32 bytes)
 *  16 request: SHA-256 of the CertificationRequestInfo the user confirmed (32 bytes)
 *  17 confirmed at (uint, Unix seconds)
 *  18 host: SHA-256 of the public key of the paired host that asked (32 bytes)
 *  19 decryptions the renewal's SCEP answers cost so far (uint, optional, 0 when absent)
 * and, for a key made elsewhere and imported (IMPORT_KEY):
 *  20 origin (uint: 2 imported; absent or 1: generated on the device)
 * A format 1 file (agents before the key's life) reads as made, with no
 * owner and no enrollment kind: such a key can still be installed to and
 * sign a certification request with its user's yes, but serves no SCEP
 * operation and no host can delete it.
 * The additional authenticated data is the key id followed by the key type,
 * so a ciphertext cannot be passed off as another key's or another type's;
 * for an imported key "imported" and its NUL follow, so a file whose field
 * 20 was removed or changed does not open: an imported key cannot be made
 * to look generated.
 * The sealed key never changes; the file is rewritten (atomically) only when
 * the key's state, its count of decryptions or its renewal mark changes.
 */
#pragma once

#include <glib.h>

#include "agent/cradle-agent-keystore.h"
#include "agent/cradle-agent-keystore-crypto-private.h"
#include "protocol/cradle-bridge-cbor-private.h"

G_BEGIN_DECLS

#define CRADLE_AGENT_KEY_FILE_VERSION      2
#define CRADLE_AGENT_HOST_ID_SIZE          32

#define CRADLE_AGENT_KEY_FILE_MAX_SIZE     (64 * 1024)
#define CRADLE_AGENT_PROFILE_MAX_SIZE      4096
#define CRADLE_AGENT_PROFILE_DETAILS_MAX   4096

typedef struct {
  GBytes  *key_id;
  char    *key_type;
  char    *profile;
  GBytes  *details;      /* nullable */
  GBytes  *public_key;
  GBytes  *nonce;
  GBytes  *ciphertext;
  GBytes  *tag;
  guint64  created;
  GBytes  *owner;        /* nullable */
  CradleAgentEnrollmentKind kind;
  CradleAgentKeyState state;
  guint64  decryptions;
  /* The renewal mark: all NULL/0 when there is none. */
  GBytes  *mark_renews;
  GBytes  *mark_request;
  guint64  mark_confirmed;
  GBytes  *mark_host;
  guint64  mark_decryptions;
  CradleAgentKeyOrigin origin;
} CradleAgentKeyFile;

/* Removes the renewal mark from the record (the caller saves it). */
void                cradle_agent_key_file_clear_mark (CradleAgentKeyFile *key_file);

void                cradle_agent_key_file_free   (CradleAgentKeyFile *key_file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleAgentKeyFile, cradle_agent_key_file_free)

/* Encrypts @pkcs8 under @kek into a new key file record, made for @kind by
 * @owner (nullable), generated on the device or imported (@origin). */
CradleAgentKeyFile *cradle_agent_key_file_seal   (GBytes                   *key_id,
                                                  const char               *key_type,
                                                  const char               *profile,
                                                  GBytes                   *details,
                                                  GBytes                   *public_key,
                                                  CradleAgentEnrollmentKind kind,
                                                  GBytes                   *owner,
                                                  CradleAgentKeyOrigin      origin,
                                                  const CradleAgentSecret  *pkcs8,
                                                  const guint8             *kek,
                                                  GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
/* Returns: (transfer full): the PKCS#8 DER private key, to be freed at once */
CradleAgentSecret  *cradle_agent_key_file_unseal (const CradleAgentKeyFile *key_file,
                                                  const guint8             *kek,
                                                  GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

GBytes             *cradle_agent_key_file_encode (const CradleAgentKeyFile *key_file);
/* Errors say what is wrong, without the file name: the caller adds it. */
CradleAgentKeyFile *cradle_agent_key_file_decode (GBytes                   *contents,
                                                  GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

/* Decodes the CBOR map of one of the agent's files (a key file or the
 * stores file); the error says what is wrong in terms of a file. */
CradleCborValue    *cradle_agent_file_decode_map (GBytes                 *contents,
                                                  GError                **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
