/* cradle-agent-keystore-identity.c: the device's own identity key
 *
 * identity.key in the keystore's folder: an Ed25519 key that proves to hosts
 * that this is the device they paired with (docs/bridge-protocol.md, section
 * 5): a CBOR map {1: version 1, 2: nonce, 3: ciphertext, 4: tag}, its
 * PKCS#8 form sealed under the KEK with AES-256-GCM like the other keys
 * (additional data "cradle-agent identity key"). It is made the first time
 * the agent needs it and never changes.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "agent/cradle-agent-atomic-private.h"
#include "agent/cradle-agent-keystore-private.h"
#include "protocol/cradle-bridge-pairing-private.h"

#define IDENTITY_NAME     "identity.key"
#define IDENTITY_VERSION  1
#define IDENTITY_AAD      "cradle-agent identity key"

static GBytes *
aad (void)
{
  return g_bytes_new_static (IDENTITY_AAD, sizeof IDENTITY_AAD - 1);
}

static EVP_PKEY *
read_identity (CradleAgentKeystore  *self,
               GBytes               *contents,
               const char           *path,
               GError              **error)
{
  g_autoptr(CradleCborValue) map = cradle_agent_file_decode_map (contents, NULL);
  g_autoptr(GBytes) nonce = NULL;
  g_autoptr(GBytes) ciphertext = NULL;
  g_autoptr(GBytes) tag = NULL;
  g_autoptr(GBytes) additional = aad ();
  g_autoptr(CradleAgentSecret) pkcs8 = NULL;
  EVP_PKEY *key = NULL;
  guint64 version = 0;

  if (map != NULL &&
      cradle_cbor_map_get_uint (map, 1, FALSE, &version, NULL) && version == IDENTITY_VERSION &&
      cradle_cbor_map_get_bytes (map, 2, FALSE, &nonce, NULL) &&
      cradle_cbor_map_get_bytes (map, 3, FALSE, &ciphertext, NULL) &&
      cradle_cbor_map_get_bytes (map, 4, FALSE, &tag, NULL) &&
      g_bytes_get_size (nonce) == CRADLE_AGENT_NONCE_SIZE && g_bytes_get_size (tag) == CRADLE_AGENT_TAG_SIZE)
    pkcs8 = cradle_agent_crypto_unseal (self->kek, additional, nonce, ciphertext, tag, NULL);
  if (pkcs8 != NULL)
    key = cradle_agent_crypto_private_parse (pkcs8, NULL);
  if (key == NULL || EVP_PKEY_get_id (key) != EVP_PKEY_ED25519)
    {
      EVP_PKEY_free (key);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The device's identity key %s is damaged or was sealed with another key-encryption "
                   "key. Move it aside: the agent makes a new one, and every computer must pair with "
                   "the device again.", path);
      return NULL;
    }
  return key;
}

static EVP_PKEY *
create_identity (CradleAgentKeystore  *self,
                 const char           *path,
                 GError              **error)
{
  g_autoptr(EVP_PKEY) key = cradle_bridge_identity_generate (error);
  g_autoptr(CradleAgentSecret) pkcs8 = NULL;
  g_autoptr(GBytes) additional = aad ();
  g_autoptr(GBytes) nonce = NULL;
  g_autoptr(GBytes) ciphertext = NULL;
  g_autoptr(GBytes) tag = NULL;
  g_autoptr(CradleCborWriter) writer = NULL;
  g_autoptr(GBytes) encoded = NULL;

  if (key == NULL || (pkcs8 = cradle_agent_crypto_private_der (key, error)) == NULL ||
      !cradle_agent_crypto_seal (self->kek, additional, pkcs8, &nonce, &ciphertext, &tag, error))
    return NULL;
  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 4);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, IDENTITY_VERSION);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (nonce, NULL), g_bytes_get_size (nonce));
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (ciphertext, NULL), g_bytes_get_size (ciphertext));
  cradle_cbor_writer_uint (writer, 4);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (tag, NULL), g_bytes_get_size (tag));
  encoded = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  if (!cradle_agent_atomic_write (path, encoded, 0600, error))
    return NULL;
  return g_steal_pointer (&key);
}

EVP_PKEY *
cradle_agent_keystore_load_identity (CradleAgentKeystore  *self,
                                     GError              **error)
{
  g_autofree char *path = g_build_filename (self->folder, IDENTITY_NAME, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) contents = cradle_agent_read_bounded (path, CRADLE_AGENT_KEY_FILE_MAX_SIZE, NULL,
                                                          &local_error);

  if (contents != NULL)
    return read_identity (self, contents, path, error);
  if (g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    return create_identity (self, path, error);
  g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "The device's identity key %s ", path);
  return NULL;
}
