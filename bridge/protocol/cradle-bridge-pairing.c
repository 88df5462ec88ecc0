/* cradle-bridge-pairing.c: identity keys, transcripts, codes and sealed frames */
#include "config.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <cradle/cradle.h>

#include "protocol/cradle-bridge-pairing-private.h"
#include "base/cradle-openssl-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_KDF, EVP_KDF_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_KDF_CTX, EVP_KDF_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC, EVP_MAC_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC_CTX, EVP_MAC_CTX_free)

static void
set_openssl_error (GError    **error,
                   const char *what)
{
  g_autofree char *detail = cradle_openssl_dup_errors ();

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "%s (%s)", what,
               detail != NULL && *detail != '\0' ? detail : "no detail from OpenSSL");
}

gboolean
cradle_bridge_random (guint8  *buffer,
                      gsize    size,
                      GError **error)
{
  if (size <= G_MAXINT && RAND_bytes (buffer, (int) size) == 1)
    return TRUE;
  set_openssl_error (error, "Could not draw random bytes");
  return FALSE;
}

static EVP_PKEY *
generate (const char  *algorithm,
          GError     **error)
{
  EVP_PKEY *key = EVP_PKEY_Q_keygen (NULL, NULL, algorithm);

  if (key == NULL)
    set_openssl_error (error, "Could not make a pairing key");
  return key;
}

EVP_PKEY *
cradle_bridge_identity_generate (GError **error)
{
  return generate ("ED25519", error);
}

EVP_PKEY *
cradle_bridge_ephemeral_generate (GError **error)
{
  return generate ("X25519", error);
}

static EVP_PKEY *
from_raw (int          type,
          GBytes      *public_key,
          const char  *what,
          GError     **error)
{
  gsize size = 0;
  const guint8 *data = public_key != NULL ? g_bytes_get_data (public_key, &size) : NULL;
  EVP_PKEY *key;

  if (size != CRADLE_BRIDGE_KEY_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is %d bytes; this one is %" G_GSIZE_FORMAT, what, CRADLE_BRIDGE_KEY_SIZE, size);
      return NULL;
    }
  key = EVP_PKEY_new_raw_public_key (type, NULL, data, size);
  if (key == NULL)
    {
      ERR_clear_error ();
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s is not a valid key", what);
    }
  return key;
}

EVP_PKEY *
cradle_bridge_identity_from_raw (GBytes  *public_key,
                                 GError **error)
{
  return from_raw (EVP_PKEY_ED25519, public_key, "An identity key", error);
}

/* A key of small order (RFC 7748, section 7) agrees on the all-zero secret
 * with any key, and OpenSSL refuses to derive from it. A trial agreement
 * with a fixed key finds one when it arrives, so the device refuses it
 * before it asks its user or records the host, not after. */
EVP_PKEY *
cradle_bridge_ephemeral_from_raw (GBytes  *public_key,
                                  GError **error)
{
  static const guint8 probe_raw[32] = { 0x70, 0x72, 0x6f, 0x62, 0x65 };
  g_autoptr(EVP_PKEY) key = from_raw (EVP_PKEY_X25519, public_key, "A key-agreement key", error);
  g_autoptr(EVP_PKEY) probe = NULL;
  g_autoptr(EVP_PKEY_CTX) context = NULL;
  guint8 shared[32];
  size_t shared_size = sizeof shared;
  gboolean agreed;

  if (key == NULL)
    return NULL;
  probe = EVP_PKEY_new_raw_private_key (EVP_PKEY_X25519, NULL, probe_raw, sizeof probe_raw);
  context = probe != NULL ? EVP_PKEY_CTX_new (probe, NULL) : NULL;
  if (context == NULL)
    {
      set_openssl_error (error, "Could not check a key-agreement key");
      return NULL;
    }
  agreed = EVP_PKEY_derive_init (context) == 1 &&
           EVP_PKEY_derive_set_peer (context, key) == 1 &&
           EVP_PKEY_derive (context, shared, &shared_size) == 1;
  OPENSSL_cleanse (shared, sizeof shared);
  if (!agreed)
    {
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "A key-agreement key is of small order: no secret can be agreed with it");
      return NULL;
    }
  return g_steal_pointer (&key);
}

GBytes *
cradle_bridge_key_raw_public (EVP_PKEY *key)
{
  guint8 raw[CRADLE_BRIDGE_KEY_SIZE];
  size_t size = sizeof raw;

  if (EVP_PKEY_get_raw_public_key (key, raw, &size) != 1 || size != sizeof raw)
    {
      ERR_clear_error ();
      g_return_val_if_reached (NULL);
    }
  return g_bytes_new (raw, size);
}

GBytes *
cradle_bridge_identity_sign (EVP_PKEY      *identity,
                             const guint8  *hash,
                             GError       **error)
{
  g_autoptr(EVP_MD_CTX) context = EVP_MD_CTX_new ();
  guint8 signature[CRADLE_BRIDGE_SIGNATURE_SIZE];
  size_t size = sizeof signature;

  if (context == NULL ||
      EVP_DigestSignInit (context, NULL, NULL, NULL, identity) != 1 ||
      EVP_DigestSign (context, signature, &size, hash, CRADLE_BRIDGE_HASH_SIZE) != 1)
    {
      set_openssl_error (error, "Could not sign the pairing transcript");
      return NULL;
    }
  return g_bytes_new (signature, size);
}

gboolean
cradle_bridge_identity_verify (EVP_PKEY      *identity,
                               const guint8  *hash,
                               GBytes        *signature,
                               GError       **error)
{
  g_autoptr(EVP_MD_CTX) context = EVP_MD_CTX_new ();
  gsize size = 0;
  const guint8 *data = signature != NULL ? g_bytes_get_data (signature, &size) : NULL;

  if (size == CRADLE_BRIDGE_SIGNATURE_SIZE && context != NULL &&
      EVP_DigestVerifyInit (context, NULL, NULL, NULL, identity) == 1 &&
      EVP_DigestVerify (context, data, size, hash, CRADLE_BRIDGE_HASH_SIZE) == 1)
    return TRUE;
  ERR_clear_error ();
  g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "the signature over this session does not verify with the key it claims");
  return FALSE;
}

char *
cradle_bridge_key_fingerprint (GBytes *public_key)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, public_key);
}

/* Transcripts */

struct _CradleBridgeTranscript
{
  GChecksum *checksum;
};

CradleBridgeTranscript *
cradle_bridge_transcript_new (const char *label)
{
  CradleBridgeTranscript *transcript = g_new0 (CradleBridgeTranscript, 1);

  transcript->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  cradle_bridge_transcript_add_text (transcript, label);
  return transcript;
}

void
cradle_bridge_transcript_free (CradleBridgeTranscript *transcript)
{
  if (transcript == NULL)
    return;
  g_checksum_free (transcript->checksum);
  g_free (transcript);
}

/* Each field is its length (4 bytes, big-endian) and its bytes, so no two
 * different sequences of fields hash the same. */
void
cradle_bridge_transcript_add (CradleBridgeTranscript *transcript,
                              const guint8           *data,
                              gsize                   size)
{
  guint8 length[4] = { size >> 24, size >> 16, size >> 8, size };

  g_return_if_fail (size <= G_MAXUINT32);
  g_checksum_update (transcript->checksum, length, sizeof length);
  if (size > 0)
    g_checksum_update (transcript->checksum, data, size);
}

void
cradle_bridge_transcript_add_bytes (CradleBridgeTranscript *transcript,
                                    GBytes                 *bytes)
{
  gsize size = 0;
  const guint8 *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  cradle_bridge_transcript_add (transcript, data, size);
}

void
cradle_bridge_transcript_add_text (CradleBridgeTranscript *transcript,
                                   const char             *text)
{
  cradle_bridge_transcript_add (transcript, (const guint8 *) text, text != NULL ? strlen (text) : 0);
}

void
cradle_bridge_transcript_hash (CradleBridgeTranscript *transcript,
                               guint8                  hash[CRADLE_BRIDGE_HASH_SIZE])
{
  g_autoptr(GChecksum) copy = g_checksum_copy (transcript->checksum);
  gsize size = CRADLE_BRIDGE_HASH_SIZE;

  g_checksum_get_digest (copy, hash, &size);
}

void
cradle_bridge_pairing_commitment (GBytes *device_key,
                                  GBytes *device_ephemeral,
                                  GBytes *nonce,
                                  guint8  commitment[CRADLE_BRIDGE_HASH_SIZE])
{
  g_autoptr(CradleBridgeTranscript) transcript = cradle_bridge_transcript_new ("cradle-bridge commit");

  cradle_bridge_transcript_add_bytes (transcript, device_key);
  cradle_bridge_transcript_add_bytes (transcript, device_ephemeral);
  cradle_bridge_transcript_add_bytes (transcript, nonce);
  cradle_bridge_transcript_hash (transcript, commitment);
}

char *
cradle_bridge_pairing_code (const guint8 *transcript_hash)
{
  g_autoptr(CradleBridgeTranscript) transcript = cradle_bridge_transcript_new ("cradle-bridge code");
  guint8 hash[CRADLE_BRIDGE_HASH_SIZE];
  guint64 value;

  cradle_bridge_transcript_add (transcript, transcript_hash, CRADLE_BRIDGE_HASH_SIZE);
  cradle_bridge_transcript_hash (transcript, hash);
  /* 64 bits reduced mod 10^6: the bias is below 2^-44. */
  value = 0;
  for (guint i = 0; i < 8; i++)
    value = (value << 8) | hash[i];
  return g_strdup_printf ("%06u", (guint) (value % 1000000));
}

/* Sealed frames */

#define CRADLE_BRIDGE_MAC_SIZE 32

struct _CradleBridgeSeal
{
  /* HMAC contexts keyed once: each frame only re-initialises them. */
  EVP_MAC_CTX *send_mac;
  EVP_MAC_CTX *receive_mac;
  guint8      *import_key; /* IMPORT_KEY's encryption key, in OpenSSL's secure heap */
  guint64      sent;       /* counter of the last frame sent */
  guint64      received;   /* counter of the last frame received */
};

void
cradle_bridge_seal_free (CradleBridgeSeal *seal)
{
  if (seal == NULL)
    return;
  EVP_MAC_CTX_free (seal->send_mac);
  EVP_MAC_CTX_free (seal->receive_mac);
  if (seal->import_key != NULL)
    OPENSSL_secure_clear_free (seal->import_key, CRADLE_BRIDGE_IMPORT_KEY_SIZE);
  g_free (seal);
}

static EVP_MAC_CTX *
keyed_mac (const guint8 *key)
{
  g_autoptr(EVP_MAC) hmac = EVP_MAC_fetch (NULL, "HMAC", NULL);
  g_autoptr(EVP_MAC_CTX) context = hmac != NULL ? EVP_MAC_CTX_new (hmac) : NULL;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0),
    OSSL_PARAM_construct_end (),
  };

  if (context == NULL || EVP_MAC_init (context, key, CRADLE_BRIDGE_MAC_SIZE, params) != 1)
    return NULL;
  return g_steal_pointer (&context);
}

static gboolean
hkdf (const guint8 *secret,
      gsize         secret_size,
      const guint8 *salt,
      const char   *info,
      guint8       *out,
      gsize         out_size)
{
  g_autoptr(EVP_KDF) kdf = EVP_KDF_fetch (NULL, "HKDF", NULL);
  g_autoptr(EVP_KDF_CTX) context = kdf != NULL ? EVP_KDF_CTX_new (kdf) : NULL;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_KEY, (void *) secret, secret_size),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_SALT, (void *) salt, CRADLE_BRIDGE_HASH_SIZE),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_INFO, (void *) info, strlen (info)),
    OSSL_PARAM_construct_end (),
  };

  return context != NULL && EVP_KDF_derive (context, out, out_size, params) == 1;
}

CradleBridgeSeal *
cradle_bridge_seal_new (EVP_PKEY      *ours,
                        EVP_PKEY      *theirs,
                        const guint8  *transcript_hash,
                        gboolean       is_host,
                        GError       **error)
{
  g_autoptr(EVP_PKEY_CTX) context = EVP_PKEY_CTX_new (ours, NULL);
  g_autoptr(CradleBridgeSeal) seal = g_new0 (CradleBridgeSeal, 1);
  guint8 shared[32];
  guint8 send_key[CRADLE_BRIDGE_MAC_SIZE];
  guint8 receive_key[CRADLE_BRIDGE_MAC_SIZE];
  size_t shared_size = sizeof shared;
  static const char host_to_device[] = "cradle-bridge host to device";
  static const char device_to_host[] = "cradle-bridge device to host";
  static const char import_key[] = "cradle-bridge import key";
  gboolean derived;

  if (context == NULL ||
      EVP_PKEY_derive_init (context) != 1 ||
      EVP_PKEY_derive_set_peer (context, theirs) != 1 ||
      EVP_PKEY_derive (context, shared, &shared_size) != 1)
    {
      set_openssl_error (error, "Could not agree the session's keys with the other side");
      return NULL;
    }
  derived = hkdf (shared, shared_size, transcript_hash, is_host ? host_to_device : device_to_host,
                  send_key, sizeof send_key) &&
            hkdf (shared, shared_size, transcript_hash, is_host ? device_to_host : host_to_device,
                  receive_key, sizeof receive_key);
  /* One more key, the same on both sides, for a private key the host
   * imports to the device: the seal authenticates, this one hides. */
  seal->import_key = OPENSSL_secure_zalloc (CRADLE_BRIDGE_IMPORT_KEY_SIZE);
  derived = derived && seal->import_key != NULL
            && hkdf (shared, shared_size, transcript_hash, import_key, seal->import_key,
                     CRADLE_BRIDGE_IMPORT_KEY_SIZE);
  OPENSSL_cleanse (shared, sizeof shared);
  if (derived)
    {
      seal->send_mac = keyed_mac (send_key);
      seal->receive_mac = keyed_mac (receive_key);
    }
  OPENSSL_cleanse (send_key, sizeof send_key);
  OPENSSL_cleanse (receive_key, sizeof receive_key);
  if (!derived || seal->send_mac == NULL || seal->receive_mac == NULL)
    {
      set_openssl_error (error, "Could not derive the session's keys");
      return NULL;
    }
  return g_steal_pointer (&seal);
}

static void
write_be64 (guint8  *p,
            guint64  value)
{
  for (guint i = 0; i < 8; i++)
    p[i] = value >> (56 - 8 * i);
}

static guint64
read_be64 (const guint8 *p)
{
  guint64 value = 0;

  for (guint i = 0; i < 8; i++)
    value = (value << 8) | p[i];
  return value;
}

/* HMAC-SHA-256 over the header as sent, the payload and the counter, with
 * the key @context was made with. */
static gboolean
compute_mac (EVP_MAC_CTX  *context,
             const guint8 *header,
             const guint8 *payload,
             gsize         payload_size,
             const guint8 *counter,
             guint8        mac[CRADLE_BRIDGE_MAC_SIZE])
{
  size_t size = 0;

  return EVP_MAC_init (context, NULL, 0, NULL) == 1 &&
         EVP_MAC_update (context, header, CRADLE_BRIDGE_HEADER_SIZE) == 1 &&
         (payload_size == 0 || EVP_MAC_update (context, payload, payload_size) == 1) &&
         EVP_MAC_update (context, counter, 8) == 1 &&
         EVP_MAC_final (context, mac, &size, CRADLE_BRIDGE_MAC_SIZE) == 1 &&
         size == CRADLE_BRIDGE_MAC_SIZE;
}

GBytes *
cradle_bridge_seal_frame (CradleBridgeSeal  *seal,
                          GBytes            *frame,
                          GError           **error)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (frame, &size);
  g_autoptr(GByteArray) sealed = NULL;
  CradleBridgeHeader header;
  guint8 counter[8];
  guint8 mac[CRADLE_BRIDGE_MAC_SIZE];
  guint32 length;

  if (!cradle_bridge_header_decode (data, size, &header, error))
    return NULL;
  if (header.length + CRADLE_BRIDGE_SEAL_SIZE > CRADLE_BRIDGE_MAX_PAYLOAD)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A message of %u bytes is too large to send", header.length);
      return NULL;
    }
  sealed = g_byte_array_sized_new (size + CRADLE_BRIDGE_SEAL_SIZE);
  g_byte_array_append (sealed, data, size);
  sealed->data[6] |= CRADLE_BRIDGE_FLAG_SEALED >> 8;
  sealed->data[7] |= CRADLE_BRIDGE_FLAG_SEALED & 0xff;
  length = header.length + CRADLE_BRIDGE_SEAL_SIZE;
  sealed->data[12] = length >> 24;
  sealed->data[13] = length >> 16;
  sealed->data[14] = length >> 8;
  sealed->data[15] = length;
  write_be64 (counter, ++seal->sent);
  if (!compute_mac (seal->send_mac, sealed->data, sealed->data + CRADLE_BRIDGE_HEADER_SIZE,
                    header.length, counter, mac))
    {
      set_openssl_error (error, "Could not seal a message");
      return NULL;
    }
  g_byte_array_append (sealed, counter, sizeof counter);
  g_byte_array_append (sealed, mac, sizeof mac);
  return g_byte_array_free_to_bytes (g_steal_pointer (&sealed));
}

gboolean
cradle_bridge_seal_open (CradleBridgeSeal  *seal,
                         CradleBridgeFrame *frame,
                         GError           **error)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (frame->payload, &size);
  guint8 header[CRADLE_BRIDGE_HEADER_SIZE];
  guint8 mac[CRADLE_BRIDGE_MAC_SIZE];
  gsize inner;
  GBytes *payload;

  if ((frame->header.flags & CRADLE_BRIDGE_FLAG_SEALED) == 0 || size < CRADLE_BRIDGE_SEAL_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Malformed frame: a %s without the session's seal arrived in an authenticated session",
                   cradle_bridge_type_to_string (frame->header.type));
      return FALSE;
    }
  inner = size - CRADLE_BRIDGE_SEAL_SIZE;
  header[0] = 'C'; header[1] = 'R'; header[2] = 'D'; header[3] = 'L';
  header[4] = frame->header.version;
  header[5] = frame->header.type;
  header[6] = frame->header.flags >> 8;
  header[7] = frame->header.flags & 0xff;
  header[8] = frame->header.request_id >> 24;
  header[9] = frame->header.request_id >> 16;
  header[10] = frame->header.request_id >> 8;
  header[11] = frame->header.request_id;
  header[12] = size >> 24;
  header[13] = size >> 16;
  header[14] = size >> 8;
  header[15] = size;
  if (!compute_mac (seal->receive_mac, header, data, inner, data + inner, mac))
    {
      set_openssl_error (error, "Could not check a message's seal");
      return FALSE;
    }
  if (CRYPTO_memcmp (mac, data + inner + 8, sizeof mac) != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "Malformed frame: its seal does not verify; someone else may be writing "
                           "to the connection");
      return FALSE;
    }
  if (read_be64 (data + inner) != seal->received + 1)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "Malformed frame: its counter is out of order (a replayed or dropped message)");
      return FALSE;
    }
  seal->received++;
  payload = g_bytes_new_from_bytes (frame->payload, 0, inner);
  g_bytes_unref (frame->payload);
  frame->payload = payload;
  frame->header.length = (guint32) inner;
  frame->header.flags &= ~CRADLE_BRIDGE_FLAG_SEALED;
  return TRUE;
}

/* The additional data of an imported key's encryption: what it is and the
 * certificate it is for, so it cannot be passed off for another. */
static gboolean
import_aad (EVP_CIPHER_CTX *context,
            GBytes         *certificate)
{
  static const char label[] = "cradle-bridge IMPORT_KEY";
  int ignored = 0;

  /* EVP_CipherUpdate: the same call encrypting and decrypting. */
  return EVP_CipherUpdate (context, NULL, &ignored, (const guint8 *) label, sizeof label) == 1
         && EVP_CipherUpdate (context, NULL, &ignored, g_bytes_get_data (certificate, NULL),
                              (int) g_bytes_get_size (certificate)) == 1;
}

GBytes *
cradle_bridge_seal_wrap_import (CradleBridgeSeal  *seal,
                                GBytes            *certificate,
                                const guint8      *key,
                                gsize              key_size,
                                GError           **error)
{
  g_autoptr(EVP_CIPHER_CTX) context = EVP_CIPHER_CTX_new ();
  gsize total = CRADLE_BRIDGE_IMPORT_NONCE_SIZE + key_size + CRADLE_BRIDGE_IMPORT_TAG_SIZE;
  guint8 *out;
  int written = 0, final = 0;
  GBytes *wrapped;

  g_return_val_if_fail (seal != NULL && seal->import_key != NULL, NULL);
  if (key_size == 0 || key_size > G_MAXINT / 2 || g_bytes_get_size (certificate) > G_MAXINT / 2)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "The key to import has no usable size");
      return NULL;
    }
  out = g_malloc0 (total);
  if (context == NULL || RAND_bytes (out, CRADLE_BRIDGE_IMPORT_NONCE_SIZE) != 1
      || EVP_EncryptInit_ex (context, EVP_aes_256_gcm (), NULL, seal->import_key, out) != 1
      || !import_aad (context, certificate)
      || EVP_EncryptUpdate (context, out + CRADLE_BRIDGE_IMPORT_NONCE_SIZE, &written, key, (int) key_size) != 1
      || EVP_EncryptFinal_ex (context, out + CRADLE_BRIDGE_IMPORT_NONCE_SIZE + written, &final) != 1
      || (gsize) (written + final) != key_size
      || EVP_CIPHER_CTX_ctrl (context, EVP_CTRL_GCM_GET_TAG, CRADLE_BRIDGE_IMPORT_TAG_SIZE,
                              out + CRADLE_BRIDGE_IMPORT_NONCE_SIZE + key_size) != 1)
    {
      explicit_bzero (out, total);
      g_free (out);
      set_openssl_error (error, "Could not encrypt the key for the device");
      return NULL;
    }
  wrapped = g_bytes_new_take (out, total);
  return wrapped;
}

gboolean
cradle_bridge_seal_unwrap_import (CradleBridgeSeal  *seal,
                                  GBytes            *certificate,
                                  GBytes            *wrapped,
                                  guint8            *key,
                                  gsize              key_capacity,
                                  gsize             *key_size,
                                  GError           **error)
{
  g_autoptr(EVP_CIPHER_CTX) context = EVP_CIPHER_CTX_new ();
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (wrapped, &size);
  gsize inner;
  int written = 0, final = 0;

  g_return_val_if_fail (seal != NULL && seal->import_key != NULL, FALSE);
  if (size <= CRADLE_BRIDGE_IMPORT_NONCE_SIZE + CRADLE_BRIDGE_IMPORT_TAG_SIZE
      || size - CRADLE_BRIDGE_IMPORT_NONCE_SIZE - CRADLE_BRIDGE_IMPORT_TAG_SIZE > key_capacity
      || g_bytes_get_size (certificate) > G_MAXINT / 2)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "an imported key takes 1 to %" G_GSIZE_FORMAT " bytes once decrypted, with its "
                   "%d-byte nonce and %d-byte tag", key_capacity,
                   CRADLE_BRIDGE_IMPORT_NONCE_SIZE, CRADLE_BRIDGE_IMPORT_TAG_SIZE);
      return FALSE;
    }
  inner = size - CRADLE_BRIDGE_IMPORT_NONCE_SIZE - CRADLE_BRIDGE_IMPORT_TAG_SIZE;
  if (context == NULL
      || EVP_DecryptInit_ex (context, EVP_aes_256_gcm (), NULL, seal->import_key, data) != 1
      || !import_aad (context, certificate)
      || EVP_DecryptUpdate (context, key, &written, data + CRADLE_BRIDGE_IMPORT_NONCE_SIZE, (int) inner) != 1
      || EVP_CIPHER_CTX_ctrl (context, EVP_CTRL_GCM_SET_TAG, CRADLE_BRIDGE_IMPORT_TAG_SIZE,
                              (void *) (data + CRADLE_BRIDGE_IMPORT_NONCE_SIZE + inner)) != 1
      || EVP_DecryptFinal_ex (context, key + written, &final) != 1)
    {
      OPENSSL_cleanse (key, key_capacity);
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the imported key does not decrypt with this session's key, or is not for "
                           "this certificate");
      return FALSE;
    }
  *key_size = (gsize) (written + final);
  return TRUE;
}
