/* cradle-bridge-pairing-private.h: the cryptography both ends of pairing share
 *
 * docs/bridge-protocol.md, section 5, is the reference. In short:
 * - each host user and each device has a long-term Ed25519 identity key;
 * - pairing (PAIR_START, PAIR_REVEAL, PAIR_CONFIRM) is a numeric comparison:
 *   the device commits to its nonce before it sees the host's, so neither
 *   side, nor anyone between them, can choose the six-digit code;
 * - every later session (AUTHENTICATE) signs a transcript with both identity
 *   keys against fresh nonces and agrees X25519 ephemeral keys;
 * - both derive one HMAC-SHA-256 key per direction, and from then on every
 *   frame carries a counter and a MAC (CradleBridgeSeal).
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

#include "protocol/cradle-bridge-frame-private.h"

G_BEGIN_DECLS

#define CRADLE_BRIDGE_KEY_SIZE        32   /* raw Ed25519 and X25519 public keys */
#define CRADLE_BRIDGE_SIGNATURE_SIZE  64   /* Ed25519 */
#define CRADLE_BRIDGE_NONCE_SIZE      32
#define CRADLE_BRIDGE_HASH_SIZE       32   /* SHA-256 */
#define CRADLE_BRIDGE_SEAL_SIZE       (8 + 32)  /* counter and HMAC-SHA-256 */
#define CRADLE_BRIDGE_CODE_DIGITS     6
#define CRADLE_BRIDGE_LABEL_MAX       64   /* host name and user name, in bytes */

/* Identity (Ed25519) and ephemeral (X25519) keys */
EVP_PKEY *cradle_bridge_identity_generate  (GError       **error) G_GNUC_WARN_UNUSED_RESULT;
EVP_PKEY *cradle_bridge_identity_from_raw  (GBytes        *public_key,
                                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;
EVP_PKEY *cradle_bridge_ephemeral_generate (GError       **error) G_GNUC_WARN_UNUSED_RESULT;
EVP_PKEY *cradle_bridge_ephemeral_from_raw (GBytes        *public_key,
                                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* The raw 32-byte public key of either kind. */
GBytes   *cradle_bridge_key_raw_public     (EVP_PKEY      *key);
GBytes   *cradle_bridge_identity_sign      (EVP_PKEY      *identity,
                                            const guint8  *hash,
                                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* FALSE with INVALID_DATA when the signature does not verify. */
gboolean  cradle_bridge_identity_verify    (EVP_PKEY      *identity,
                                            const guint8  *hash,
                                            GBytes        *signature,
                                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* Lower-case hex of SHA-256 of a raw identity key: how hosts are named. */
char     *cradle_bridge_key_fingerprint    (GBytes        *public_key);
gboolean  cradle_bridge_random             (guint8        *buffer,
                                            gsize          size,
                                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* A running SHA-256 over labelled, length-prefixed fields. */
typedef struct _CradleBridgeTranscript CradleBridgeTranscript;
CradleBridgeTranscript *cradle_bridge_transcript_new       (const char             *label);
void                    cradle_bridge_transcript_free      (CradleBridgeTranscript *transcript);
void                    cradle_bridge_transcript_add       (CradleBridgeTranscript *transcript,
                                                            const guint8           *data,
                                                            gsize                   size);
void                    cradle_bridge_transcript_add_bytes (CradleBridgeTranscript *transcript,
                                                            GBytes                 *bytes);
void                    cradle_bridge_transcript_add_text  (CradleBridgeTranscript *transcript,
                                                            const char             *text);
/* The hash so far; the transcript can go on. */
void                    cradle_bridge_transcript_hash      (CradleBridgeTranscript *transcript,
                                                            guint8                  hash[CRADLE_BRIDGE_HASH_SIZE]);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleBridgeTranscript, cradle_bridge_transcript_free)

/* SHA-256 ("cradle-bridge commit" || device key || device ephemeral || nonce) */
void  cradle_bridge_pairing_commitment (GBytes       *device_key,
                                        GBytes       *device_ephemeral,
                                        GBytes       *nonce,
                                        guint8        commitment[CRADLE_BRIDGE_HASH_SIZE]);
/* The six digits both screens show, from the whole pairing transcript. */
char *cradle_bridge_pairing_code       (const guint8 *transcript_hash);

/* The keys and counters of an authenticated session. */
typedef struct _CradleBridgeSeal CradleBridgeSeal;

/* IMPORT_KEY's field 1: nonce || AES-256-GCM ciphertext || tag, under a key
 * both sides derive with the seal's (HKDF info "cradle-bridge import key"). */
#define CRADLE_BRIDGE_IMPORT_KEY_SIZE   32
#define CRADLE_BRIDGE_IMPORT_NONCE_SIZE 12
#define CRADLE_BRIDGE_IMPORT_TAG_SIZE   16
/* Agrees @ours with the peer's @theirs (X25519) and derives one key per
 * direction with HKDF-SHA-256, salted with @transcript_hash. */
CradleBridgeSeal *cradle_bridge_seal_new   (EVP_PKEY      *ours,
                                            EVP_PKEY      *theirs,
                                            const guint8  *transcript_hash,
                                            gboolean       is_host,
                                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;
void              cradle_bridge_seal_free  (CradleBridgeSeal *seal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleBridgeSeal, cradle_bridge_seal_free)
/* Adds the SEALED flag, the next counter and the MAC to an encoded frame. */
GBytes           *cradle_bridge_seal_frame (CradleBridgeSeal  *seal,
                                            GBytes            *frame,
                                            GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* Checks a received frame's counter and MAC and strips them from its
 * payload. Anything wrong (no seal, a replayed or skipped counter, a bad
 * MAC) is CRADLE_ERROR_INVALID_DATA: the session cannot be trusted. */
gboolean          cradle_bridge_seal_open  (CradleBridgeSeal  *seal,
                                            CradleBridgeFrame *frame,
                                            GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* The host encrypts a private key to import for this session's device,
 * bound to @certificate (the caller wipes what it gave and what it got
 * once sent). */
GBytes           *cradle_bridge_seal_wrap_import   (CradleBridgeSeal  *seal,
                                                    GBytes            *certificate,
                                                    const guint8      *key,
                                                    gsize              key_size,
                                                    GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* The device decrypts it into @key (at most @key_capacity bytes: the
 * caller's wiped memory); INVALID_DATA when the size is wrong or it does not
 * decrypt with this session's key and @certificate. */
gboolean          cradle_bridge_seal_unwrap_import (CradleBridgeSeal  *seal,
                                                    GBytes            *certificate,
                                                    GBytes            *wrapped,
                                                    guint8            *key,
                                                    gsize              key_capacity,
                                                    gsize             *key_size,
                                                    GError           **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
