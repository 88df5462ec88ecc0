/* cradle-device-open.c: opening a CradleDevice's session
 *
 * HELLO, then GET_INFO (the device's details, its key types and features),
 * then AUTHENTICATE when this user paired the device
 * (cradle-device-pairing.c).  The diagnosis (core/support) takes the same
 * steps one at a time, to say which one fails.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-message-private.h"
#include "host/cradle-device-private.h"

/* A NULL-terminated copy of an array of text; @array may be %NULL (empty). */
static GPtrArray *
read_text_array (const CradleCborValue  *array,
                 const char             *what,
                 GError                **error)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);

  for (gsize i = 0; array != NULL && i < cradle_cbor_value_get_length (array); i++)
    {
      const char *text = cradle_cbor_text_get (cradle_cbor_array_get (array, i));

      if (text == NULL)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "Malformed message from the device: %s is not text", what);
          return NULL;
        }
      g_ptr_array_add (texts, g_strdup (text));
    }
  g_ptr_array_add (texts, NULL);
  return g_steal_pointer (&texts);
}

static gboolean
read_info (CradleDevice           *self,
           const CradleCborValue  *info,
           GError                **error)
{
  const char *manufacturer = NULL, *model = NULL, *serial = NULL, *os = NULL, *agent = NULL;
  const CradleCborValue *key_types = NULL;
  const CradleCborValue *feature_list = NULL;
  g_autoptr(GPtrArray) types = NULL;
  g_autoptr(GPtrArray) features = NULL;
  g_autoptr(GBytes) identity_key = NULL;

  if (!cradle_cbor_map_get_text (info, 1, FALSE, &manufacturer, error) ||
      !cradle_cbor_map_get_text (info, 2, FALSE, &model, error) ||
      !cradle_cbor_map_get_text (info, 3, FALSE, &serial, error) ||
      !cradle_cbor_map_get_text (info, 4, FALSE, &os, error) ||
      !cradle_cbor_map_get_text (info, 5, FALSE, &agent, error) ||
      !cradle_cbor_map_get_array (info, 6, FALSE, &key_types, error) ||
      !cradle_cbor_map_get_array (info, 8, TRUE, &feature_list, error) ||
      !cradle_cbor_map_get_bytes (info, 9, TRUE, &identity_key, error))
    return FALSE;
  types = read_text_array (key_types, "a key type", error);
  if (types == NULL)
    return FALSE;
  /* An agent older than the features field has none. */
  features = read_text_array (feature_list, "a feature", error);
  if (features == NULL)
    return FALSE;

  g_free (self->manufacturer);
  self->manufacturer = g_strdup (manufacturer);
  g_free (self->model);
  self->model = g_strdup (model);
  g_free (self->serial);
  self->serial = g_strdup (serial);
  g_free (self->os);
  self->os = g_strdup (os);
  g_free (self->agent_version);
  self->agent_version = g_strdup (agent);
  g_strfreev (self->key_types);
  self->key_types = (GStrv) g_ptr_array_steal (types, NULL);
  g_strfreev (self->features);
  self->features = (GStrv) g_ptr_array_steal (features, NULL);
  g_clear_pointer (&self->identity_key, g_bytes_unref);
  self->identity_key = g_steal_pointer (&identity_key);
  return TRUE;
}

/* HELLO alone: the version, the agent's name and the session's nonce. */
gboolean
_cradle_device_hello (CradleDevice  *self,
                      char         **agent,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(CradleCborWriter) writer = NULL;
  g_autoptr(GBytes) hello = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  guint64 version = 0;
  const char *agent_name = NULL;

  /* A token's greeting is opening its session; its module is its "agent". */
  if (self->token != NULL)
    {
      if (!_cradle_device_token_open (self, cancellable, error))
        return FALSE;
      if (agent != NULL)
        *agent = g_strdup (cradle_device_get_agent_version (self));
      return TRUE;
    }
  writer = cradle_cbor_writer_new ();

  cradle_cbor_writer_map (writer, 3);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, CRADLE_BRIDGE_VERSION);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_uint (writer, CRADLE_BRIDGE_VERSION);
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_text (writer, "cradle " CRADLE_VERSION);
  hello = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));

  reply = _cradle_device_call (self, CRADLE_BRIDGE_HELLO, hello, "greeting the device", cancellable, error);
  if (reply == NULL)
    return FALSE;
  if (!cradle_cbor_map_get_uint (reply, 1, FALSE, &version, error))
    return FALSE;
  if (version != CRADLE_BRIDGE_VERSION)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The device chose bridge protocol version %" G_GUINT64_FORMAT
                   ", which this desktop does not speak (it speaks %d). Update Cradle or the agent.",
                   version, CRADLE_BRIDGE_VERSION);
      return FALSE;
    }
  self->protocol_version = (guint) version;
  g_clear_pointer (&self->session_nonce, g_bytes_unref);
  if (!cradle_cbor_map_get_bytes (reply, 3, TRUE, &self->session_nonce, error))
    return FALSE;
  if (self->session_nonce == NULL || g_bytes_get_size (self->session_nonce) != CRADLE_BRIDGE_NONCE_SIZE)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "The Cradle agent on the device is too old to pair with this computer "
                           "(its greeting has no session nonce). Update the agent on the device.");
      return FALSE;
    }
  /* The agent's name is for people only; one without it still works. */
  if (agent != NULL)
    *agent = cradle_cbor_map_get_text (reply, 2, TRUE, &agent_name, NULL) ? g_strdup (agent_name) : NULL;
  self->paired = FALSE;
  return TRUE;
}

gboolean
cradle_device_open (CradleDevice  *self,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);

  if (self->token != NULL)
    return _cradle_device_token_open (self, cancellable, error);
  /* Details first, unauthenticated: the serial says which pin to check. */
  return _cradle_device_hello (self, NULL, cancellable, error) &&
         cradle_device_refresh_info (self, cancellable, error) &&
         _cradle_device_authenticate (self, cancellable, error);
}

/**
 * cradle_device_refresh_info:
 *
 * Asks the device for its details again (GET_INFO). Blocks.
 */
gboolean
cradle_device_refresh_info (CradleDevice  *self,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(CradleCborValue) info = NULL;

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);

  if (self->token != NULL)
    return _cradle_device_token_open (self, cancellable, error);
  info = _cradle_device_call (self, CRADLE_BRIDGE_GET_INFO, NULL, "reading the device's details", cancellable, error);
  if (info == NULL)
    return FALSE;
  if (!read_info (self, info, error))
    {
      g_prefix_error (error, "While reading the device's details: ");
      return FALSE;
    }
  return TRUE;
}
