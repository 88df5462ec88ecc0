/* cradle-device-stores.c: CradleDevice's certificate stores: listing, installing, deleting */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-message-private.h"
#include "host/cradle-device-private.h"

static void
write_optional_text_pairs (CradleCborWriter *writer,
                           const char       *first,
                           const char       *second)
{
  cradle_cbor_writer_map (writer, (first != NULL) + (second != NULL));
  if (first != NULL)
    {
      cradle_cbor_writer_uint (writer, 1);
      cradle_cbor_writer_text (writer, first);
    }
  if (second != NULL)
    {
      cradle_cbor_writer_uint (writer, 2);
      cradle_cbor_writer_text (writer, second);
    }
}

GPtrArray *
cradle_device_list_certs (CradleDevice  *self,
                          const char    *store,
                          const char    *scope,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);
  const CradleCborValue *items = NULL;

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);

  if (self->token != NULL)
    return _cradle_device_token_list_certs (self, store, scope, cancellable, error);
  write_optional_text_pairs (writer, store, scope);
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = _cradle_device_call (self, CRADLE_BRIDGE_LIST_CERTS, request, "listing the device's certificates",
                       cancellable, error);
  if (reply == NULL || !cradle_cbor_map_get_array (reply, 1, FALSE, &items, error))
    return NULL;

  for (gsize i = 0; i < cradle_cbor_value_get_length (items); i++)
    {
      const CradleCborValue *item = cradle_cbor_array_get (items, i);
      const char *item_store = NULL, *item_scope = NULL;
      g_autoptr(GBytes) der = NULL;
      g_autoptr(GBytes) key_id = NULL;
      const char *origin_name = NULL;
      CradleDeviceKeyOrigin origin = CRADLE_DEVICE_KEY_ORIGIN_GENERATED;

      if (cradle_cbor_value_get_type (item) != CRADLE_CBOR_MAP ||
          !cradle_cbor_map_get_text (item, 1, FALSE, &item_store, error) ||
          !cradle_cbor_map_get_text (item, 2, FALSE, &item_scope, error) ||
          !cradle_cbor_map_get_bytes (item, 3, FALSE, &der, error) ||
          !cradle_cbor_map_get_bytes (item, 4, TRUE, &key_id, error) ||
          !cradle_cbor_map_get_text (item, 5, TRUE, &origin_name, error))
        {
          if (error != NULL && *error == NULL)
            _cradle_device_set_protocol_error (error, "listing certificates", "an entry is not a map");
          return NULL;
        }
      /* Field 5 came with IMPORT_KEY: an agent without it only generates keys. */
      if (origin_name == NULL || g_str_equal (origin_name, CRADLE_BRIDGE_KEY_ORIGIN_GENERATED))
        origin = CRADLE_DEVICE_KEY_ORIGIN_GENERATED;
      else if (g_str_equal (origin_name, CRADLE_BRIDGE_KEY_ORIGIN_IMPORTED))
        origin = CRADLE_DEVICE_KEY_ORIGIN_IMPORTED;
      else
        origin = CRADLE_DEVICE_KEY_ORIGIN_UNKNOWN;
      g_ptr_array_add (certs, cradle_device_cert_new_full (item_store, item_scope, der, key_id, origin));
    }
  return g_steal_pointer (&certs);
}

gboolean
cradle_device_install (CradleDevice  *self,
                       GPtrArray     *certs,
                       guint         *added,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  guint64 count = 0;

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);
  g_return_val_if_fail (certs != NULL && certs->len > 0, FALSE);

  if (self->token != NULL)
    return _cradle_device_token_install (self, certs, added, cancellable, error);

  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_array (writer, certs->len);
  for (guint i = 0; i < certs->len; i++)
    {
      CradleDeviceCert *cert = g_ptr_array_index (certs, i);
      GBytes *der = cradle_device_cert_get_der (cert);
      GBytes *key_id = cradle_device_cert_get_key_id (cert);

      cradle_cbor_writer_map (writer, key_id != NULL ? 4 : 3);
      cradle_cbor_writer_uint (writer, 1);
      cradle_cbor_writer_text (writer, cradle_device_cert_get_store (cert));
      cradle_cbor_writer_uint (writer, 2);
      cradle_cbor_writer_text (writer, cradle_device_cert_get_scope (cert));
      cradle_cbor_writer_uint (writer, 3);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
      if (key_id != NULL)
        {
          cradle_cbor_writer_uint (writer, 4);
          cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_id, NULL), g_bytes_get_size (key_id));
        }
    }
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  if (g_bytes_get_size (request) > CRADLE_BRIDGE_MAX_PAYLOAD)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "%u certificates are too many for one installation (%" G_GSIZE_FORMAT
                   " bytes, at most %d); install them in smaller batches",
                   certs->len, g_bytes_get_size (request), CRADLE_BRIDGE_MAX_PAYLOAD);
      return FALSE;
    }

  reply = _cradle_device_call (self, CRADLE_BRIDGE_INSTALL, request, "installing certificates on the device",
                       cancellable, error);
  if (reply == NULL || !cradle_cbor_map_get_uint (reply, 1, FALSE, &count, error))
    return FALSE;
  if (added != NULL)
    *added = (guint) MIN (count, G_MAXUINT);
  return TRUE;
}

static gboolean
delete_cert (CradleDevice  *self,
             const char    *store,
             const char    *scope,
             GBytes        *sha256,
             gboolean       ask,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;

  if (self->token != NULL)
    return _cradle_device_token_delete_cert (self, store, scope, sha256, cancellable, error);
  cradle_cbor_writer_map (writer, ask ? 4 : 3);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_text (writer, store);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_text (writer, scope);
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (sha256, NULL), g_bytes_get_size (sha256));
  if (ask)
    {
      cradle_cbor_writer_uint (writer, 4);
      cradle_cbor_writer_bool (writer, TRUE);
    }
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = _cradle_device_call (self, CRADLE_BRIDGE_DELETE_CERT, request, "deleting a certificate on the device",
                       cancellable, error);
  return reply != NULL;
}

gboolean
cradle_device_delete_cert (CradleDevice  *self,
                           const char    *store,
                           const char    *scope,
                           GBytes        *sha256,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);
  g_return_val_if_fail (store != NULL && scope != NULL && sha256 != NULL, FALSE);

  return delete_cert (self, store, scope, sha256, FALSE, cancellable, error);
}

gboolean
cradle_device_delete_cert_confirmed (CradleDevice  *self,
                                     const char    *store,
                                     const char    *scope,
                                     GBytes        *sha256,
                                     GCancellable  *cancellable,
                                     GError       **error)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);
  g_return_val_if_fail (store != NULL && scope != NULL && sha256 != NULL, FALSE);

  return delete_cert (self, store, scope, sha256, TRUE, cancellable, error);
}
