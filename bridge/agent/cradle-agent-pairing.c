/* cradle-agent-pairing.c: the device's side of pairing and authentication */
#include "config.h"

#include <cradle/cradle.h>

#include "agent/cradle-agent-hosts-private.h"
#include "agent/cradle-agent-pairing-private.h"
#include "base/cradle-openssl-private.h"

struct _CradleAgentPairing
{
  EVP_PKEY               *identity;        /* borrowed */
  GBytes                 *device_key;
  EVP_PKEY               *ephemeral;
  GBytes                 *ephemeral_public;
  GBytes                 *session_nonce;
  GBytes                 *nonce;
  GBytes                 *commitment;
  GBytes                 *host_key;
  GBytes                 *host_ephemeral;
  char                   *host_name;
  char                   *user_name;
  char                   *code;            /* known after PAIR_REVEAL */
  guint8                  hash[CRADLE_BRIDGE_HASH_SIZE];
  gboolean                host_checked;
};

void
cradle_agent_pairing_free (CradleAgentPairing *pairing)
{
  if (pairing == NULL)
    return;
  g_clear_pointer (&pairing->device_key, g_bytes_unref);
  g_clear_pointer (&pairing->ephemeral, EVP_PKEY_free);
  g_clear_pointer (&pairing->ephemeral_public, g_bytes_unref);
  g_clear_pointer (&pairing->session_nonce, g_bytes_unref);
  g_clear_pointer (&pairing->nonce, g_bytes_unref);
  g_clear_pointer (&pairing->commitment, g_bytes_unref);
  g_clear_pointer (&pairing->host_key, g_bytes_unref);
  g_clear_pointer (&pairing->host_ephemeral, g_bytes_unref);
  g_free (pairing->host_name);
  g_free (pairing->user_name);
  g_free (pairing->code);
  g_free (pairing);
}

static gboolean
read_label (const CradleCborValue  *map,
            guint                   key,
            const char             *what,
            char                  **out,
            GError                **error)
{
  const char *text = NULL;

  if (!cradle_cbor_map_get_text (map, key, FALSE, &text, error))
    return FALSE;
  if (strlen (text) == 0 || strlen (text) > CRADLE_BRIDGE_LABEL_MAX)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "the %s must be 1 to %d bytes", what, CRADLE_BRIDGE_LABEL_MAX);
      return FALSE;
    }
  *out = g_strdup (text);
  return TRUE;
}

CradleAgentPairing *
cradle_agent_pairing_start (EVP_PKEY               *identity,
                            GBytes                 *session_nonce,
                            const CradleCborValue  *request,
                            GBytes                **reply,
                            GError                **error)
{
  g_autoptr(CradleAgentPairing) pairing = g_new0 (CradleAgentPairing, 1);
  g_autoptr(EVP_PKEY) host_identity = NULL;
  g_autoptr(EVP_PKEY) host_ephemeral = NULL;
  g_autoptr(CradleCborWriter) writer = NULL;
  guint8 nonce[CRADLE_BRIDGE_NONCE_SIZE];
  guint8 commitment[CRADLE_BRIDGE_HASH_SIZE];

  pairing->identity = identity;
  pairing->session_nonce = g_bytes_ref (session_nonce);
  if (!cradle_cbor_map_get_bytes_sized (request, 1, CRADLE_BRIDGE_KEY_SIZE,
                                        "the host's identity key", &pairing->host_key, error) ||
      !cradle_cbor_map_get_bytes_sized (request, 2, CRADLE_BRIDGE_KEY_SIZE,
                                        "the host's key-agreement key", &pairing->host_ephemeral, error) ||
      !read_label (request, 3, "computer name", &pairing->host_name, error) ||
      !read_label (request, 4, "user name", &pairing->user_name, error))
    return NULL;
  /* Both must be keys, before anything is committed to. */
  host_identity = cradle_bridge_identity_from_raw (pairing->host_key, error);
  if (host_identity == NULL)
    return NULL;
  host_ephemeral = cradle_bridge_ephemeral_from_raw (pairing->host_ephemeral, error);
  if (host_ephemeral == NULL)
    return NULL;

  pairing->ephemeral = cradle_bridge_ephemeral_generate (error);
  if (pairing->ephemeral == NULL || !cradle_bridge_random (nonce, sizeof nonce, error))
    return NULL;
  pairing->device_key = cradle_bridge_key_raw_public (identity);
  pairing->ephemeral_public = cradle_bridge_key_raw_public (pairing->ephemeral);
  pairing->nonce = g_bytes_new (nonce, sizeof nonce);
  cradle_bridge_pairing_commitment (pairing->device_key, pairing->ephemeral_public, pairing->nonce, commitment);
  pairing->commitment = g_bytes_new (commitment, sizeof commitment);

  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 3);
  cradle_cbor_writer_pair_bytes (writer, 1, pairing->device_key);
  cradle_cbor_writer_pair_bytes (writer, 2, pairing->ephemeral_public);
  cradle_cbor_writer_pair_bytes (writer, 3, pairing->commitment);
  *reply = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  return g_steal_pointer (&pairing);
}

GBytes *
cradle_agent_pairing_reveal (CradleAgentPairing     *pairing,
                             const CradleCborValue  *request,
                             GError                **error)
{
  g_autoptr(GBytes) host_nonce = NULL;
  g_autoptr(CradleBridgeTranscript) transcript = NULL;
  g_autoptr(CradleCborWriter) writer = NULL;

  if (pairing->code != NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "this pairing's nonces were exchanged already; start again");
      return NULL;
    }
  if (!cradle_cbor_map_get_bytes_sized (request, 1, CRADLE_BRIDGE_NONCE_SIZE,
                                        "the host's nonce", &host_nonce, error))
    return NULL;
  transcript = cradle_bridge_transcript_new ("cradle-bridge pair");
  cradle_bridge_transcript_add_bytes (transcript, pairing->session_nonce);
  cradle_bridge_transcript_add_bytes (transcript, pairing->host_key);
  cradle_bridge_transcript_add_bytes (transcript, pairing->host_ephemeral);
  cradle_bridge_transcript_add_text (transcript, pairing->host_name);
  cradle_bridge_transcript_add_text (transcript, pairing->user_name);
  cradle_bridge_transcript_add_bytes (transcript, pairing->device_key);
  cradle_bridge_transcript_add_bytes (transcript, pairing->ephemeral_public);
  cradle_bridge_transcript_add_bytes (transcript, pairing->commitment);
  cradle_bridge_transcript_add_bytes (transcript, host_nonce);
  cradle_bridge_transcript_add_bytes (transcript, pairing->nonce);
  cradle_bridge_transcript_hash (transcript, pairing->hash);
  pairing->code = cradle_bridge_pairing_code (pairing->hash);

  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_pair_bytes (writer, 1, pairing->nonce);
  return cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
}

gboolean
cradle_agent_pairing_check_host (CradleAgentPairing     *pairing,
                                 const CradleCborValue  *request,
                                 GError                **error)
{
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(EVP_PKEY) host_identity = NULL;

  if (pairing->code == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "PAIR_CONFIRM before PAIR_REVEAL");
      return FALSE;
    }
  if (!cradle_cbor_map_get_bytes_sized (request, 1, CRADLE_BRIDGE_SIGNATURE_SIZE,
                                        "the host's signature", &signature, error))
    return FALSE;
  host_identity = cradle_bridge_identity_from_raw (pairing->host_key, error);
  if (host_identity == NULL || !cradle_bridge_identity_verify (host_identity, pairing->hash, signature, error))
    return FALSE;
  pairing->host_checked = TRUE;
  return TRUE;
}

GBytes *
cradle_agent_pairing_finish (CradleAgentPairing  *pairing,
                             CradleBridgeSeal   **seal,
                             GError             **error)
{
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(EVP_PKEY) host_ephemeral = NULL;
  g_autoptr(CradleCborWriter) writer = NULL;

  g_return_val_if_fail (pairing->host_checked, NULL);

  signature = cradle_bridge_identity_sign (pairing->identity, pairing->hash, error);
  if (signature == NULL)
    return NULL;
  host_ephemeral = cradle_bridge_ephemeral_from_raw (pairing->host_ephemeral, error);
  if (host_ephemeral == NULL)
    return NULL;
  *seal = cradle_bridge_seal_new (pairing->ephemeral, host_ephemeral, pairing->hash, FALSE, error);
  if (*seal == NULL)
    return NULL;
  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_pair_bytes (writer, 1, signature);
  return cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
}

const char *
cradle_agent_pairing_get_code (CradleAgentPairing *pairing)
{
  return pairing->code;
}

GBytes *
cradle_agent_pairing_get_host_key (CradleAgentPairing *pairing)
{
  return pairing->host_key;
}

const char *
cradle_agent_pairing_get_host_name (CradleAgentPairing *pairing)
{
  return pairing->host_name;
}

const char *
cradle_agent_pairing_get_user_name (CradleAgentPairing *pairing)
{
  return pairing->user_name;
}

GBytes *
cradle_agent_authenticate (EVP_PKEY               *identity,
                           GBytes                 *session_nonce,
                           const char             *folder,
                           guint                   expiry_days,
                           const CradleCborValue  *request,
                           GBytes                **host_key,
                           CradleBridgeSeal      **seal,
                           GError                **error)
{
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GBytes) ephemeral_public = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) device_key = NULL;
  g_autoptr(GBytes) our_ephemeral_public = NULL;
  g_autoptr(GBytes) our_signature = NULL;
  g_autoptr(EVP_PKEY) host_identity = NULL;
  g_autoptr(EVP_PKEY) host_ephemeral = NULL;
  g_autoptr(EVP_PKEY) ephemeral = NULL;
  g_autoptr(CradleAgentHost) host = NULL;
  g_autoptr(CradleBridgeTranscript) transcript = NULL;
  g_autoptr(CradleCborWriter) writer = NULL;
  g_autoptr(GError) local_error = NULL;
  guint8 hash[CRADLE_BRIDGE_HASH_SIZE];

  if (!cradle_cbor_map_get_bytes_sized (request, 1, CRADLE_BRIDGE_KEY_SIZE,
                                        "the host's identity key", &key, error) ||
      !cradle_cbor_map_get_bytes_sized (request, 2, CRADLE_BRIDGE_KEY_SIZE,
                                        "the host's key-agreement key", &ephemeral_public, error) ||
      !cradle_cbor_map_get_bytes_sized (request, 3, CRADLE_BRIDGE_SIGNATURE_SIZE,
                                        "the host's signature", &signature, error))
    return NULL;
  host_identity = cradle_bridge_identity_from_raw (key, error);
  if (host_identity == NULL)
    return NULL;
  host_ephemeral = cradle_bridge_ephemeral_from_raw (ephemeral_public, error);
  if (host_ephemeral == NULL)
    return NULL;

  transcript = cradle_bridge_transcript_new ("cradle-bridge authenticate");
  cradle_bridge_transcript_add_bytes (transcript, session_nonce);
  cradle_bridge_transcript_add_bytes (transcript, key);
  cradle_bridge_transcript_add_bytes (transcript, ephemeral_public);
  cradle_bridge_transcript_hash (transcript, hash);
  /* The signature first: only a key's holder learns whether it is paired. */
  if (!cradle_bridge_identity_verify (host_identity, hash, signature, error))
    return NULL;
  host = cradle_agent_hosts_touch (folder, key, expiry_days, &local_error);
  if (host == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED,
                             "this device does not trust this computer's user (never paired, "
                             "unpaired on the device, or unused for too long)");
      return NULL;
    }

  ephemeral = cradle_bridge_ephemeral_generate (error);
  if (ephemeral == NULL)
    return NULL;
  device_key = cradle_bridge_key_raw_public (identity);
  our_ephemeral_public = cradle_bridge_key_raw_public (ephemeral);
  cradle_bridge_transcript_add_bytes (transcript, device_key);
  cradle_bridge_transcript_add_bytes (transcript, our_ephemeral_public);
  cradle_bridge_transcript_hash (transcript, hash);
  our_signature = cradle_bridge_identity_sign (identity, hash, error);
  if (our_signature == NULL)
    return NULL;
  *seal = cradle_bridge_seal_new (ephemeral, host_ephemeral, hash, FALSE, error);
  if (*seal == NULL)
    return NULL;
  {
    g_autofree char *name = cradle_text_escape (host->name, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
    g_autofree char *user = cradle_text_escape (host->user, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

    g_info ("Host %s (%s) authenticated", name, user);
  }
  *host_key = g_steal_pointer (&key);

  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 3);
  cradle_cbor_writer_pair_bytes (writer, 1, device_key);
  cradle_cbor_writer_pair_bytes (writer, 2, our_ephemeral_public);
  cradle_cbor_writer_pair_bytes (writer, 3, our_signature);
  return cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
}
