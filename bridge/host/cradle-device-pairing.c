/* cradle-device-pairing.c: the host's side of pairing and authentication
 *
 * docs/bridge-protocol.md, section 5, is the reference.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-message-private.h"
#include "protocol/cradle-bridge-pairing-private.h"
#include "host/cradle-device-private.h"
#include "host/cradle-host-pairing-private.h"
#include "base/cradle-openssl-private.h"

/* A field of the device's answer of exactly @size bytes. */
static gboolean
read_sized (const CradleCborValue  *map,
            guint                   key,
            gsize                   size,
            const char             *what,
            GBytes                **out,
            GError                **error)
{
  if (cradle_cbor_map_get_bytes_sized (map, key, size, what, out, error))
    return TRUE;
  g_prefix_error (error, "The device broke the bridge protocol while pairing (update the Cradle agent on "
                  "the device): ");
  return FALSE;
}

static gboolean
start_seal (CradleDevice  *self,
            EVP_PKEY      *ephemeral,
            GBytes        *device_ephemeral,
            const guint8  *transcript_hash,
            GError       **error)
{
  g_autoptr(EVP_PKEY) theirs = cradle_bridge_ephemeral_from_raw (device_ephemeral, error);
  CradleBridgeSeal *seal;

  if (theirs == NULL)
    return FALSE;
  seal = cradle_bridge_seal_new (ephemeral, theirs, transcript_hash, TRUE, error);
  if (seal == NULL)
    return FALSE;
  cradle_bridge_transport_set_seal (cradle_device_get_bridge_transport (self), seal);
  _cradle_device_set_paired (self, TRUE);
  return TRUE;
}

static void
set_stand_in_error (CradleDevice  *self,
                    GError       **error)
{
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED,
               "The device says it is %s, but it is not the device this computer paired with "
               "under that serial (its identity key differs). It may be a different device "
               "pretending to be it: nothing was sent to it. If you reset that device, forget it "
               "('cradlectl devices --forget %s') and pair it again.",
               cradle_device_get_serial (self), cradle_device_get_serial (self));
}

/* Checks the device's signature with its pinned key; "stand-in" when the
 * key is another. */
static gboolean
check_device (CradleDevice  *self,
              GBytes        *pinned,
              GBytes        *device_key,
              const guint8  *hash,
              GBytes        *signature,
              GError       **error)
{
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(GError) local_error = NULL;

  if (pinned != NULL && !g_bytes_equal (pinned, device_key))
    {
      set_stand_in_error (self, error);
      return FALSE;
    }
  key = cradle_bridge_identity_from_raw (device_key, &local_error);
  if (key == NULL || !cradle_bridge_identity_verify (key, hash, signature, &local_error))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED,
                   "The device %s could not prove its identity (%s). Nothing was sent to it; "
                   "connect it again, and if this goes on, forget it and pair it again.",
                   cradle_device_get_serial (self), local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
_cradle_device_authenticate (CradleDevice  *self,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(CradleHostIdentity) identity = NULL;
  g_autoptr(GBytes) pinned = NULL;
  g_autoptr(EVP_PKEY) ephemeral = NULL;
  g_autoptr(GBytes) ephemeral_public = NULL;
  g_autoptr(CradleBridgeTranscript) transcript = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(CradleCborWriter) writer = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  g_autoptr(GBytes) device_key = NULL;
  g_autoptr(GBytes) device_ephemeral = NULL;
  g_autoptr(GBytes) device_signature = NULL;
  g_autoptr(GError) local_error = NULL;
  guint8 hash[CRADLE_BRIDGE_HASH_SIZE];

  pinned = cradle_host_pin_lookup (cradle_device_get_serial (self), &local_error);
  if (pinned == NULL)
    {
      /* Never paired is not an error: the session stays unauthenticated. */
      if (local_error == NULL)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* A device that claims another key is not the one paired, whatever it
   * answers next ("I do not know you" would otherwise lead to pairing it). */
  if (_cradle_device_get_identity_key (self) == NULL ||
      !g_bytes_equal (_cradle_device_get_identity_key (self), pinned))
    {
      set_stand_in_error (self, error);
      cradle_device_close (self);
      return FALSE;
    }
  identity = cradle_host_identity_load (error);
  if (identity == NULL)
    return FALSE;
  ephemeral = cradle_bridge_ephemeral_generate (error);
  if (ephemeral == NULL)
    return FALSE;
  ephemeral_public = cradle_bridge_key_raw_public (ephemeral);

  transcript = cradle_bridge_transcript_new ("cradle-bridge authenticate");
  cradle_bridge_transcript_add_bytes (transcript, _cradle_device_get_session_nonce (self));
  cradle_bridge_transcript_add_bytes (transcript, identity->public_key);
  cradle_bridge_transcript_add_bytes (transcript, ephemeral_public);
  cradle_bridge_transcript_hash (transcript, hash);
  signature = cradle_bridge_identity_sign (identity->key, hash, error);
  if (signature == NULL)
    return FALSE;

  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 3);
  cradle_cbor_writer_pair_bytes (writer, 1, identity->public_key);
  cradle_cbor_writer_pair_bytes (writer, 2, ephemeral_public);
  cradle_cbor_writer_pair_bytes (writer, 3, signature);
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = _cradle_device_call (self, CRADLE_BRIDGE_AUTHENTICATE, request, "proving who this computer is",
                               cancellable, &local_error);
  if (reply == NULL)
    {
      /* The device forgot this computer (unpaired on the device): pair again. */
      if (g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED))
        {
          g_debug ("Device %s no longer trusts this computer: %s", cradle_device_get_serial (self),
                   local_error->message);
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!read_sized (reply, 1, CRADLE_BRIDGE_KEY_SIZE, "its identity key", &device_key, error) ||
      !read_sized (reply, 2, CRADLE_BRIDGE_KEY_SIZE, "its key-agreement key", &device_ephemeral, error) ||
      !read_sized (reply, 3, CRADLE_BRIDGE_SIGNATURE_SIZE, "its signature", &device_signature, error))
    return FALSE;
  cradle_bridge_transcript_add_bytes (transcript, device_key);
  cradle_bridge_transcript_add_bytes (transcript, device_ephemeral);
  cradle_bridge_transcript_hash (transcript, hash);
  if (!check_device (self, pinned, device_key, hash, device_signature, error))
    {
      cradle_device_close (self);
      return FALSE;
    }
  return start_seal (self, ephemeral, device_ephemeral, hash, error);
}

static char *
format_code (const char *code)
{
  /* "123456" is read and compared as "123 456" */
  return g_strdup_printf ("%.3s %.3s", code, code + 3);
}

gboolean
cradle_device_pair (CradleDevice  *self,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(CradleHostIdentity) identity = NULL;
  g_autoptr(EVP_PKEY) ephemeral = NULL;
  g_autoptr(GBytes) ephemeral_public = NULL;
  g_autoptr(CradleCborWriter) writer = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  g_autoptr(GBytes) device_key = NULL;
  g_autoptr(GBytes) device_ephemeral = NULL;
  g_autoptr(GBytes) commitment = NULL;
  g_autoptr(GBytes) host_nonce = NULL;
  g_autoptr(GBytes) device_nonce = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) device_signature = NULL;
  g_autoptr(GBytes) pinned = NULL;
  g_autoptr(CradleBridgeTranscript) transcript = NULL;
  g_autofree char *code = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *prompt = NULL;
  guint8 nonce[CRADLE_BRIDGE_NONCE_SIZE];
  guint8 expected[CRADLE_BRIDGE_HASH_SIZE];
  guint8 hash[CRADLE_BRIDGE_HASH_SIZE];
  gboolean confirmed;

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);

  if (cradle_device_is_paired (self))
    return TRUE;
  if (cradle_device_get_serial (self) == NULL || _cradle_device_get_session_nonce (self) == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                           "The device is not open. Connect it again to pair it.");
      return FALSE;
    }
  identity = cradle_host_identity_load (error);
  if (identity == NULL)
    return FALSE;
  ephemeral = cradle_bridge_ephemeral_generate (error);
  if (ephemeral == NULL || !cradle_bridge_random (nonce, sizeof nonce, error))
    return FALSE;
  ephemeral_public = cradle_bridge_key_raw_public (ephemeral);
  host_nonce = g_bytes_new (nonce, sizeof nonce);

  /* 1. Keys out; the device commits to its nonce before it sees ours. */
  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 4);
  cradle_cbor_writer_pair_bytes (writer, 1, identity->public_key);
  cradle_cbor_writer_pair_bytes (writer, 2, ephemeral_public);
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_text (writer, identity->host_name);
  cradle_cbor_writer_uint (writer, 4);
  cradle_cbor_writer_text (writer, identity->user_name);
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = _cradle_device_call (self, CRADLE_BRIDGE_PAIR_START, request, "starting to pair", cancellable, error);
  if (reply == NULL ||
      !read_sized (reply, 1, CRADLE_BRIDGE_KEY_SIZE, "its identity key", &device_key, error) ||
      !read_sized (reply, 2, CRADLE_BRIDGE_KEY_SIZE, "its key-agreement key", &device_ephemeral, error) ||
      !read_sized (reply, 3, CRADLE_BRIDGE_HASH_SIZE, "its commitment", &commitment, error))
    return FALSE;
  g_clear_pointer (&reply, cradle_cbor_value_free);
  g_clear_pointer (&request, g_bytes_unref);
  /* Pairing again (the device forgot us) is with the same device only. */
  pinned = cradle_host_pin_lookup (cradle_device_get_serial (self), error);
  if (pinned == NULL && error != NULL && *error != NULL)
    return FALSE;
  if (pinned != NULL && !g_bytes_equal (pinned, device_key))
    {
      set_stand_in_error (self, error);
      cradle_device_close (self);
      return FALSE;
    }

  /* 2. Our nonce for theirs, which must match the commitment. */
  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_pair_bytes (writer, 1, host_nonce);
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = _cradle_device_call (self, CRADLE_BRIDGE_PAIR_REVEAL, request, "pairing", cancellable, error);
  if (reply == NULL ||
      !read_sized (reply, 1, CRADLE_BRIDGE_NONCE_SIZE, "its nonce", &device_nonce, error))
    return FALSE;
  g_clear_pointer (&reply, cradle_cbor_value_free);
  g_clear_pointer (&request, g_bytes_unref);
  cradle_bridge_pairing_commitment (device_key, device_ephemeral, device_nonce, expected);
  if (memcmp (expected, g_bytes_get_data (commitment, NULL), sizeof expected) != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED,
                           "The device did not keep to the nonce it committed to, which an attacker "
                           "between this computer and the device would have to do. Nothing was paired; "
                           "check the cable and the device, then try again.");
      cradle_device_close (self);
      return FALSE;
    }

  /* 3. The code, from everything both sides said. */
  transcript = cradle_bridge_transcript_new ("cradle-bridge pair");
  cradle_bridge_transcript_add_bytes (transcript, _cradle_device_get_session_nonce (self));
  cradle_bridge_transcript_add_bytes (transcript, identity->public_key);
  cradle_bridge_transcript_add_bytes (transcript, ephemeral_public);
  cradle_bridge_transcript_add_text (transcript, identity->host_name);
  cradle_bridge_transcript_add_text (transcript, identity->user_name);
  cradle_bridge_transcript_add_bytes (transcript, device_key);
  cradle_bridge_transcript_add_bytes (transcript, device_ephemeral);
  cradle_bridge_transcript_add_bytes (transcript, commitment);
  cradle_bridge_transcript_add_bytes (transcript, host_nonce);
  cradle_bridge_transcript_add_bytes (transcript, device_nonce);
  cradle_bridge_transcript_hash (transcript, hash);
  code = cradle_bridge_pairing_code (hash);
  shown = format_code (code);
  signature = cradle_bridge_identity_sign (identity->key, hash, error);
  if (signature == NULL)
    return FALSE;

  /* 4. The device's user compares the codes and says yes. */
  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_pair_bytes (writer, 1, signature);
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  prompt = g_strdup_printf ("Confirm on your device: trust this computer. "
                            "Accept only if the device shows the code %s.", shown);
  _cradle_device_set_pairing_prompt (self, prompt);
  reply = _cradle_device_call (self, CRADLE_BRIDGE_PAIR_CONFIRM, request,
                               "asking the device's user to trust this computer", cancellable, error);
  _cradle_device_set_pairing_prompt (self, NULL);
  confirmed = reply != NULL &&
              read_sized (reply, 1, CRADLE_BRIDGE_SIGNATURE_SIZE, "its signature", &device_signature, error);
  if (!confirmed || !check_device (self, NULL, device_key, hash, device_signature, error))
    return FALSE;
  if (!cradle_host_pin_save (cradle_device_get_serial (self), cradle_device_get_model (self), device_key, error))
    return FALSE;
  return start_seal (self, ephemeral, device_ephemeral, hash, error);
}

gboolean
cradle_device_forget (CradleDevice  *self,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);

  if (self->token != NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "A token is not paired with this computer, so there is nothing to forget: "
                           "its PIN is what lets Cradle use it.");
      return FALSE;
    }
  if (cradle_device_get_serial (self) == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                           "The device is not open; forget it by its serial instead.");
      return FALSE;
    }
  if (cradle_device_is_paired (self))
    {
      g_autoptr(CradleCborValue) reply = _cradle_device_call (self, CRADLE_BRIDGE_FORGET_HOST, NULL,
                                                              "asking the device to forget this computer",
                                                              cancellable, error);

      if (reply == NULL)
        return FALSE;
      /* The session stays open, sealed, but the device serves it no more
       * than any unpaired host: pairing again is possible at once. */
      _cradle_device_set_paired (self, FALSE);
    }
  return cradle_device_forget_serial (cradle_device_get_serial (self), NULL, error);
}

gboolean
cradle_device_forget_serial (const char  *serial,
                             gboolean    *removed,
                             GError     **error)
{
  g_return_val_if_fail (serial != NULL, FALSE);

  return cradle_host_pin_forget (serial, removed, error);
}
