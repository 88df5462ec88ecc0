/* cradle-agent-keystore-scep.c: what a key made for a SCEP enrollment may do
 *
 * Sign only its own enrollment's messages (the signer certificate and the
 * transaction), and decrypt only the CA's answer to them, a counted number
 * of times, with implicit rejection.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-scep-check-private.h"
#include "agent/cradle-agent-secure-memory-private.h"

/* The key, if it was made for a SCEP enrollment by @host_id and is still in it. */
static CradleAgentKeyFile *
load_scep_key (CradleAgentKeystore  *self,
               GBytes               *key_id,
               GBytes               *host_id,
               const char           *use,
               GError              **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = _cradle_agent_keystore_load_made_key (self, key_id, use, error);

  if (key_file == NULL)
    return NULL;
  if (key_file->kind != CRADLE_AGENT_ENROLLMENT_SCEP)
    {
      g_autofree char *hex = cradle_agent_keystore_key_id_hex (key_id);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The key %s was not made for a SCEP enrollment, so it cannot %s", hex, use);
      return NULL;
    }
  if (!_cradle_agent_keystore_check_owner (key_file, host_id, use, error))
    return NULL;
  return g_steal_pointer (&key_file);
}

gboolean
cradle_agent_keystore_check_scep_signer (CradleAgentKeystore  *self,
                                         GBytes               *key_id,
                                         GBytes               *host_id,
                                         const char           *digest,
                                         GBytes               *tbs_certificate,
                                         GError              **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);
  g_return_val_if_fail (tbs_certificate != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cradle_agent_crypto_check_digest (digest, error))
    return FALSE;
  key_file = load_scep_key (self, key_id, host_id, "sign a SCEP signer certificate", error);
  if (key_file == NULL)
    return FALSE;
  public_key = cradle_agent_crypto_public_parse (key_file->public_key, error);
  if (public_key == NULL)
    return FALSE;
  return cradle_agent_scep_check_signer_certificate (tbs_certificate, key_file->public_key,
                                                     cradle_agent_crypto_signature_nid (public_key, digest),
                                                     error);
}

/* What the host computes as the transaction's id (core/cradle-scep-message.c,
 * cradle_scep_transaction_id()): the uppercase hex SHA-256 of the key's
 * SubjectPublicKeyInfo. One key, one transaction. */
static char *
transaction_id_for (const CradleAgentKeyFile *key_file)
{
  g_autofree char *hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, key_file->public_key);

  return g_ascii_strup (hex, -1);
}

gboolean
cradle_agent_keystore_check_scep_message (CradleAgentKeystore  *self,
                                          GBytes               *key_id,
                                          GBytes               *host_id,
                                          const char           *digest,
                                          GBytes               *signed_attributes,
                                          GBytes               *content,
                                          guint                *message_type,
                                          GError              **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(GBytes) content_digest = NULL;
  g_autoptr(GBytes) message_digest = NULL;
  g_autofree char *transaction_id = NULL;
  g_autofree char *expected_id = NULL;
  guint type = 0;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);
  g_return_val_if_fail (signed_attributes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cradle_agent_crypto_check_digest (digest, error))
    return FALSE;
  key_file = load_scep_key (self, key_id, host_id, "sign a SCEP message", error);
  if (key_file == NULL)
    return FALSE;
  if (content == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The device computes a SCEP message's messageDigest itself, and the request "
                           "did not carry the message's content (field 5); update Cradle on the computer");
      return FALSE;
    }
  /* The content first: whatever the attributes say, the device signs only
   * over a SCEP envelope, never over content of the host's choosing. */
  if (!cradle_agent_scep_check_envelope (content, error))
    return FALSE;
  content_digest = cradle_agent_crypto_digest (digest, content, error);
  if (content_digest == NULL)
    return FALSE;
  if (!cradle_agent_scep_check_signed_attributes (signed_attributes, cradle_agent_crypto_digest_size (digest),
                                                  &type, &message_digest, &transaction_id, error))
    return FALSE;
  if (!g_bytes_equal (message_digest, content_digest))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SCEP message's messageDigest is not the digest of the SCEP envelope it "
                           "carries; the device signs only over the envelope it was shown");
      return FALSE;
    }
  expected_id = transaction_id_for (key_file);
  if (!g_str_equal (transaction_id, expected_id))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SCEP message's transactionID is not this key's (the uppercase hex "
                           "SHA-256 of its public key); the device signs only its own key's transaction");
      return FALSE;
    }
  if (message_type != NULL)
    *message_type = type;
  return TRUE;
}

/* A secret per key for implicit rejection: HMAC-SHA256 under the KEK of a
 * label and the key id. Only this device can compute it. */
static gboolean
rejection_key (CradleAgentKeystore *self,
               GBytes              *key_id,
               guint8              *out,
               GError             **error)
{
  static const char label[] = "cradle-agent implicit rejection";
  g_autoptr(GByteArray) data = g_byte_array_new ();

  g_byte_array_append (data, (const guint8 *) label, sizeof label);
  g_byte_array_append (data, g_bytes_get_data (key_id, NULL), g_bytes_get_size (key_id));
  if (EVP_Q_mac (NULL, "HMAC", NULL, "SHA256", NULL, self->kek, CRADLE_AGENT_KEK_SIZE, data->data, data->len,
                 out, 32, NULL) == NULL)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not derive the rejection key");
      return FALSE;
    }
  return TRUE;
}

/* Counts one more decryption, on disk, before it happens: a crash never
 * gives a decryption that was not counted. */
static gboolean
count_decryption (CradleAgentKeystore  *self,
                  CradleAgentKeyFile   *key_file,
                  GError              **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *hex = cradle_agent_keystore_key_id_hex (key_file->key_id);

  if (key_file->decryptions >= CRADLE_AGENT_MAX_DECRYPTIONS)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The key %s has decrypted the %d SCEP answers a key may; enroll a new key",
                   hex, CRADLE_AGENT_MAX_DECRYPTIONS);
      return FALSE;
    }
  if (now > 0 && key_file->created <= (guint64) G_MAXINT64
      && now - (gint64) key_file->created > (gint64) CRADLE_AGENT_DECRYPT_WINDOW_DAYS * 24 * 3600)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The key %s was made more than %d days ago; it no longer decrypts SCEP answers. "
                   "Enroll a new key", hex, CRADLE_AGENT_DECRYPT_WINDOW_DAYS);
      return FALSE;
    }
  key_file->decryptions++;
  return cradle_agent_keystore_save_key (self, key_file, error);
}

GBytes *
cradle_agent_keystore_unwrap_key (CradleAgentKeystore  *self,
                                  GBytes               *key_id,
                                  GBytes               *host_id,
                                  GBytes               *encrypted_key,
                                  gsize                 key_size,
                                  GError              **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  guint8 secret[32];
  gboolean renewal;
  GBytes *key;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), NULL);
  g_return_val_if_fail (encrypted_key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (key_size != 8 && key_size != 16 && key_size != 24 && key_size != 32)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A content-encryption key of %" G_GSIZE_FORMAT " bytes is not one SCEP uses "
                   "(8, 16, 24 or 32)", key_size);
      return NULL;
    }
  /* An enrolled key decrypts only within a renewal of its certificate
   * (cradle-agent-keystore-renewal.c); any other, only in its SCEP enrollment. */
  key_file = cradle_agent_keystore_load_key (self, key_id, error);
  if (key_file == NULL)
    return NULL;
  renewal = cradle_agent_keystore_key_state (self, key_file) == CRADLE_AGENT_KEY_ENROLLED;
  if (!renewal)
    {
      g_clear_pointer (&key_file, cradle_agent_key_file_free);
      key_file = load_scep_key (self, key_id, host_id, "decrypt a SCEP answer", error);
      if (key_file == NULL)
        return NULL;
    }
  /* Refused before the private key is unsealed. */
  if (!g_str_has_prefix (key_file->key_type, "rsa"))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "This key is %s: only RSA keys can decrypt, as SCEP's key transport needs",
                   key_file->key_type);
      return NULL;
    }
  if (renewal ? !_cradle_agent_keystore_count_renewal_decryption (self, key_file, host_id, error)
              : !count_decryption (self, key_file, error))
    return NULL;
  pkey = cradle_agent_keystore_unseal_key (self, key_file, error);
  if (pkey == NULL || !rejection_key (self, key_id, secret, error))
    return NULL;
  key = cradle_agent_crypto_unwrap_key (pkey, encrypted_key, key_size, secret, error);
  OPENSSL_cleanse (secret, sizeof secret);
  return key;
}
