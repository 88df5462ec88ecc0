/* cradle-device-keys.c: CradleDevice's keys: making them, signing, decrypting, deleting */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-message-private.h"
#include "host/cradle-device-private.h"

GBytes *
cradle_device_generate_key (CradleDevice  *self,
                            const char    *key_type,
                            const char    *profile,
                            GBytes       **public_key_info,
                            GCancellable  *cancellable,
                            GError       **error)
{
  return cradle_device_generate_key_for (self, key_type, profile, CRADLE_DEVICE_KEY_FOR_REQUEST,
                                         public_key_info, cancellable, error);
}

GBytes *
cradle_device_generate_key_for (CradleDevice              *self,
                                const char                *key_type,
                                const char                *profile,
                                CradleDeviceKeyEnrollment  enrollment,
                                GBytes                   **public_key_info,
                                GCancellable              *cancellable,
                                GError                   **error)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  g_return_val_if_fail (key_type != NULL && profile != NULL, NULL);

  if (self->token != NULL)
    return _cradle_device_token_generate_key (self, key_type, profile, enrollment, public_key_info, cancellable,
                                              error);
  /* Field 4 only when it is not the default, 1: agents before it take the rest. */
  cradle_cbor_writer_map (writer, enrollment != CRADLE_DEVICE_KEY_FOR_REQUEST ? 3 : 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_text (writer, key_type);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_text (writer, profile);
  if (enrollment != CRADLE_DEVICE_KEY_FOR_REQUEST)
    {
      cradle_cbor_writer_uint (writer, 4);
      cradle_cbor_writer_uint (writer, (guint64) enrollment);
    }
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));

  reply = _cradle_device_call (self, CRADLE_BRIDGE_GENERATE_KEY, request, "generating a key on the device",
                       cancellable, error);
  if (reply == NULL ||
      !cradle_cbor_map_get_bytes (reply, 1, FALSE, &key_id, error) ||
      !cradle_cbor_map_get_bytes (reply, 2, FALSE, &spki, error))
    return NULL;
  if (g_bytes_get_size (key_id) != 16 || g_bytes_get_size (spki) == 0)
    {
      _cradle_device_set_protocol_error (error, "generating a key", "the key id or public key has the wrong size");
      return NULL;
    }
  if (public_key_info != NULL)
    *public_key_info = g_steal_pointer (&spki);
  return g_steal_pointer (&key_id);
}

static GBytes *
sign_on_device (CradleDevice            *self,
                GBytes                  *key_id,
                CradleDeviceSignPurpose  purpose,
                GBytes                  *data,
                GBytes                  *content,
                GBytes                  *content_key,
                const char              *digest,
                char                   **algorithm,
                GCancellable            *cancellable,
                GError                 **error)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  g_autoptr(GBytes) signature = NULL;
  const char *name = NULL;
  const char *operation;

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  g_return_val_if_fail (key_id != NULL && data != NULL && digest != NULL, NULL);

  if (self->token != NULL)
    return _cradle_device_token_sign (self, key_id, data, digest, algorithm, cancellable, error);
  switch (purpose)
    {
    case CRADLE_DEVICE_SIGN_CERTIFICATION_REQUEST:
      operation = "signing the certificate request on the device";
      break;
    case CRADLE_DEVICE_SIGN_SCEP_SIGNER:
      operation = "signing the SCEP signer certificate on the device";
      break;
    case CRADLE_DEVICE_SIGN_SCEP_MESSAGE:
      operation = "signing the SCEP message on the device";
      break;
    case CRADLE_DEVICE_SIGN_RENEWAL:
      operation = "signing the renewal with the old certificate's key on the device";
      break;
    case CRADLE_DEVICE_SIGN_SCEP_RENEWAL:
      operation = "signing the SCEP renewal with the old certificate's key on the device";
      break;
    default:
      operation = "signing on the device";
      break;
    }

  cradle_cbor_writer_map (writer, 4 + (content != NULL) + (content_key != NULL));
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_id, NULL), g_bytes_get_size (key_id));
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_uint (writer, (guint64) purpose);
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
  cradle_cbor_writer_uint (writer, 4);
  cradle_cbor_writer_text (writer, digest);
  if (content != NULL)
    {
      cradle_cbor_writer_uint (writer, 5);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (content, NULL), g_bytes_get_size (content));
    }
  if (content_key != NULL)
    {
      cradle_cbor_writer_uint (writer, 6);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (content_key, NULL), g_bytes_get_size (content_key));
    }
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));

  reply = _cradle_device_call (self, CRADLE_BRIDGE_SIGN, request, operation, cancellable, error);
  if (reply == NULL ||
      !cradle_cbor_map_get_bytes (reply, 1, FALSE, &signature, error) ||
      !cradle_cbor_map_get_text (reply, 2, FALSE, &name, error))
    return NULL;
  if (algorithm != NULL)
    *algorithm = g_strdup (name);
  return g_steal_pointer (&signature);
}

GBytes *
cradle_device_sign (CradleDevice            *self,
                    GBytes                  *key_id,
                    CradleDeviceSignPurpose  purpose,
                    GBytes                  *data,
                    const char              *digest,
                    char                   **algorithm,
                    GCancellable            *cancellable,
                    GError                 **error)
{
  return sign_on_device (self, key_id, purpose, data, NULL, NULL, digest, algorithm, cancellable, error);
}

GBytes *
cradle_device_sign_scep_message (CradleDevice  *self,
                                 GBytes        *key_id,
                                 GBytes        *signed_attributes,
                                 GBytes        *content,
                                 const char    *digest,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  g_return_val_if_fail (content != NULL, NULL);

  return sign_on_device (self, key_id, CRADLE_DEVICE_SIGN_SCEP_MESSAGE, signed_attributes, content, NULL, digest,
                         NULL, cancellable, error);
}

GBytes *
cradle_device_sign_renewal (CradleDevice            *self,
                            GBytes                  *key_id,
                            CradleDeviceSignPurpose  purpose,
                            GBytes                  *signed_attributes,
                            GBytes                  *content,
                            GBytes                  *content_key,
                            const char              *digest,
                            char                   **algorithm,
                            GCancellable            *cancellable,
                            GError                 **error)
{
  g_return_val_if_fail (purpose == CRADLE_DEVICE_SIGN_RENEWAL || purpose == CRADLE_DEVICE_SIGN_SCEP_RENEWAL, NULL);
  g_return_val_if_fail (content != NULL, NULL);
  g_return_val_if_fail ((purpose == CRADLE_DEVICE_SIGN_SCEP_RENEWAL) == (content_key != NULL), NULL);

  return sign_on_device (self, key_id, purpose, signed_attributes, content, content_key, digest, algorithm,
                         cancellable, error);
}

GBytes *
cradle_device_sign_request (CradleDevice  *self,
                            GBytes        *key_id,
                            GBytes        *request_info,
                            const char    *digest,
                            char         **algorithm,
                            GCancellable  *cancellable,
                            GError       **error)
{
  return cradle_device_sign (self, key_id, CRADLE_DEVICE_SIGN_CERTIFICATION_REQUEST, request_info, digest,
                             algorithm, cancellable, error);
}

GBytes *
cradle_device_decrypt (CradleDevice                *self,
                       GBytes                      *key_id,
                       CradleDeviceDecryptPurpose   purpose,
                       GBytes                      *encrypted_key,
                       gsize                        key_size,
                       GCancellable                *cancellable,
                       GError                     **error)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  g_autoptr(GBytes) key = NULL;
  const char *operation = "decrypting the CA's answer on the device";

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  g_return_val_if_fail (key_id != NULL && encrypted_key != NULL, NULL);

  if (self->token != NULL)
    return _cradle_device_token_decrypt (self, key_id, encrypted_key, key_size, cancellable, error);
  cradle_cbor_writer_map (writer, 4);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_id, NULL), g_bytes_get_size (key_id));
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_uint (writer, (guint64) purpose);
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (encrypted_key, NULL), g_bytes_get_size (encrypted_key));
  cradle_cbor_writer_uint (writer, 4);
  cradle_cbor_writer_uint (writer, key_size);
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));

  reply = _cradle_device_call (self, CRADLE_BRIDGE_DECRYPT, request, operation, cancellable, error);
  if (reply == NULL || !cradle_cbor_map_get_bytes (reply, 1, FALSE, &key, error))
    return NULL;
  if (g_bytes_get_size (key) != key_size)
    {
      _cradle_device_set_protocol_error (error, operation, "the decrypted key has the wrong size");
      return NULL;
    }
  return g_steal_pointer (&key);
}

gboolean
cradle_device_delete_key (CradleDevice  *self,
                          GBytes        *key_id,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);
  g_return_val_if_fail (key_id != NULL, FALSE);

  if (self->token != NULL)
    return _cradle_device_token_delete_key (self, key_id, cancellable, error);
  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_id, NULL), g_bytes_get_size (key_id));
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = _cradle_device_call (self, CRADLE_BRIDGE_DELETE_KEY, request, "deleting a key on the device",
                       cancellable, error);
  return reply != NULL;
}

/* Overwrites bytes that held a private key before they are freed. */
static void
wipe_bytes (GBytes *bytes)
{
  gsize size = 0;
  guint8 *data = bytes != NULL ? (guint8 *) g_bytes_get_data (bytes, &size) : NULL;

  if (data != NULL && size > 0)
    explicit_bzero (data, size);
}

GBytes *
cradle_device_import_key (CradleDevice  *self,
                          const guint8  *pkcs8,
                          gsize          pkcs8_size,
                          GBytes        *certificate_der,
                          const char    *profile,
                          GCancellable  *cancellable,
                          GError       **error)
{
  CradleCborWriter *writer;
  CradleBridgeSeal *seal;
  g_autoptr(GBytes) wrapped = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  g_return_val_if_fail (pkcs8 != NULL && certificate_der != NULL, NULL);

  if (self->token != NULL)
    return _cradle_device_token_import_key (self, error);

  /* A device without IMPORT_KEY would take the unknown type for a broken
   * stream and end the session; and the key goes only where the session
   * is authenticated (sealed, docs/bridge-protocol.md section 5). */
  if (!cradle_device_has_feature (self, CRADLE_DEVICE_FEATURE_IMPORT_KEY))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The device %s cannot import a key (its agent predates IMPORT_KEY): update the "
                   "Cradle agent on it, or install the certificate without its key.",
                   cradle_device_get_id (self));
      return NULL;
    }
  if (!cradle_device_is_paired (self))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED,
                   "The device %s does not trust this computer yet, and a key goes only to a paired "
                   "device: pair it first (cradlectl devices --pair).", cradle_device_get_id (self));
      return NULL;
    }
  if (pkcs8_size == 0 || pkcs8_size > CRADLE_BRIDGE_IMPORT_KEY_MAX_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The key is %" G_GSIZE_FORMAT " bytes; a device takes keys of at most %d bytes "
                   "(RSA up to 4096 bits, P-256, P-384).", pkcs8_size, CRADLE_BRIDGE_IMPORT_KEY_MAX_SIZE);
      return NULL;
    }

  /* Encrypted for this session's device: the seal alone would show it to
   * whoever reads the cable. */
  seal = self->transport != NULL ? cradle_bridge_transport_get_seal (self->transport) : NULL;
  if (seal == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED,
                   "The session with the device %s is not authenticated: connect it again.",
                   cradle_device_get_id (self));
      return NULL;
    }
  wrapped = cradle_bridge_seal_wrap_import (seal, certificate_der, pkcs8, pkcs8_size, error);
  if (wrapped == NULL)
    return NULL;

  /* The writer's buffer is sized up front, so no copy of the key is left
   * behind in a reallocation. */
  writer = cradle_cbor_writer_new_sized (g_bytes_get_size (wrapped) + g_bytes_get_size (certificate_der) + 1024);
  cradle_cbor_writer_map (writer, profile != NULL ? 3 : 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (wrapped, NULL), g_bytes_get_size (wrapped));
  wipe_bytes (wrapped);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (certificate_der, NULL), g_bytes_get_size (certificate_der));
  if (profile != NULL)
    {
      cradle_cbor_writer_uint (writer, 3);
      cradle_cbor_writer_text (writer, profile);
    }
  request = cradle_cbor_writer_free_to_bytes (writer);
  reply = _cradle_device_call (self, CRADLE_BRIDGE_IMPORT_KEY, request, "importing a key to the device",
                               cancellable, error);
  wipe_bytes (request);
  if (reply == NULL ||
      !cradle_cbor_map_get_bytes (reply, 1, FALSE, &key_id, error) ||
      !cradle_cbor_map_get_bytes (reply, 2, FALSE, &spki, error))
    return NULL;
  if (g_bytes_get_size (key_id) != 16 || g_bytes_get_size (spki) == 0)
    {
      _cradle_device_set_protocol_error (error, "importing a key", "the key id or public key has the wrong size");
      return NULL;
    }
  return g_steal_pointer (&key_id);
}
