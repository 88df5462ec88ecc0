/* cradle-device.c: the host side of the bridge protocol
 *
 * The CradleDevice object: finding devices, closing, and what GET_INFO
 * said. The class is spread over files with one job each, sharing
 * cradle-device-private.h: cradle-device-call.c sends one request and waits
 * for its answer, cradle-device-open.c opens a session, cradle-device-keys.c
 * and cradle-device-stores.c are the requests on keys and on certificate
 * stores, cradle-device-pairing.c pairs, and cradle-device-async.c runs any
 * of them in a thread.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-socket-private.h"
#include "host/cradle-bridge-usb-private.h"
#include "host/cradle-device-private.h"

#define DEFAULT_CONFIRM_TIMEOUT_SECONDS (5 * 60)

G_DEFINE_FINAL_TYPE (CradleDevice, cradle_device, G_TYPE_OBJECT)

static void
cradle_device_dispose (GObject *object)
{
  CradleDevice *self = CRADLE_DEVICE (object);

  if (self->transport != NULL)
    cradle_bridge_transport_close (self->transport);
  g_clear_object (&self->transport);
  /* The session ends with the last reference: logged out, the PIN wiped. */
  if (self->token != NULL)
    _cradle_device_token_close (self);
  g_clear_object (&self->token);

  G_OBJECT_CLASS (cradle_device_parent_class)->dispose (object);
}

static void
cradle_device_finalize (GObject *object)
{
  CradleDevice *self = CRADLE_DEVICE (object);

  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->manufacturer, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->serial, g_free);
  g_clear_pointer (&self->os, g_free);
  g_clear_pointer (&self->agent_version, g_free);
  g_clear_pointer (&self->key_types, g_strfreev);
  g_clear_pointer (&self->features, g_strfreev);
  g_clear_pointer (&self->session_nonce, g_bytes_unref);
  g_clear_pointer (&self->identity_key, g_bytes_unref);
  g_clear_pointer (&self->pairing_prompt, g_free);
  g_clear_pointer (&self->key_slot, g_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (cradle_device_parent_class)->finalize (object);
}

static void
cradle_device_class_init (CradleDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_device_dispose;
  object_class->finalize = cradle_device_finalize;

  /**
   * CradleDevice::waiting:
   * @status: 1 waiting for the device's user to confirm, 2 working
   * @prompt: (nullable): what the device shows its user
   *
   * The device is busy with the current request; say so to the user
   * ("Confirm on your device").
   */
  g_signal_new ("waiting", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
}

static void
cradle_device_init (CradleDevice *self)
{
  g_mutex_init (&self->lock);
  self->confirm_timeout_seconds = DEFAULT_CONFIRM_TIMEOUT_SECONDS;
  self->context = g_main_context_ref_thread_default ();
}

CradleDevice *
cradle_device_new_for_transport (CradleBridgeTransport *transport)
{
  CradleDevice *self = g_object_new (CRADLE_TYPE_DEVICE, NULL);

  self->transport = g_object_ref (transport);
  return self;
}

CradleBridgeTransport *
cradle_device_get_bridge_transport (CradleDevice *self)
{
  return self->transport;
}

/**
 * cradle_device_new_for_socket:
 * @path: a simulated device's socket
 *
 * Returns: (transfer full): the device, connected but not opened
 */
CradleDevice *
cradle_device_new_for_socket (const char  *path,
                              GError     **error)
{
  g_autoptr(CradleBridgeTransport) transport = cradle_bridge_socket_connect (path, error);

  if (transport == NULL)
    return NULL;
  return cradle_device_new_for_transport (transport);
}

/**
 * cradle_device_enumerate:
 *
 * Returns: (transfer full) (element-type CradleDevice): every device found
 *   now, connected but not opened: USB, simulated, and the PKCS#11 tokens of
 *   the loaded modules. A simulated device whose agent died, or a module
 *   that cannot list its tokens, is skipped with a debug message.
 */
/* One libusb context and event thread for the whole process; %NULL without USB. */
CradleBridgeUsbMonitor *
cradle_device_dup_usb_monitor (void)
{
  static GMutex lock;
  static CradleBridgeUsbMonitor *monitor;
  static gboolean tried;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&lock);

  if (!tried)
    {
      g_autoptr(GError) error = NULL;

      tried = TRUE;
      monitor = cradle_bridge_usb_monitor_new (&error);
      if (monitor == NULL)
        g_debug ("No USB devices: %s", error->message);
    }
  return monitor != NULL ? g_object_ref (monitor) : NULL;
}

GPtrArray *
cradle_device_enumerate (GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) paths = cradle_bridge_socket_list_paths ();
  g_autoptr(CradleBridgeUsbMonitor) monitor = cradle_device_dup_usb_monitor ();

  if (monitor != NULL)
    {
      g_autoptr(GPtrArray) transports = cradle_bridge_usb_monitor_dup_transports (monitor);

      for (guint i = 0; i < transports->len; i++)
        g_ptr_array_add (devices, cradle_device_new_for_transport (g_ptr_array_index (transports, i)));
    }

  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(GError) local_error = NULL;
      CradleDevice *device = cradle_device_new_for_socket (g_ptr_array_index (paths, i), &local_error);

      if (device == NULL)
        {
          g_debug ("Skipping %s: %s", (const char *) g_ptr_array_index (paths, i), local_error->message);
          continue;
        }
      g_ptr_array_add (devices, device);
    }
  {
    g_autoptr(GPtrArray) tokens = _cradle_device_token_enumerate (cancellable);

    for (guint i = 0; i < tokens->len; i++)
      g_ptr_array_add (devices, g_object_ref (g_ptr_array_index (tokens, i)));
  }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return g_steal_pointer (&devices);
}

GBytes *
_cradle_device_get_session_nonce (CradleDevice *self)
{
  return self->session_nonce;
}

GBytes *
_cradle_device_get_identity_key (CradleDevice *self)
{
  return self->identity_key;
}

void
_cradle_device_set_paired (CradleDevice *self,
                           gboolean      paired)
{
  self->paired = paired;
}

void
_cradle_device_set_pairing_prompt (CradleDevice *self,
                                   const char   *prompt)
{
  g_mutex_lock (&self->lock);
  g_free (self->pairing_prompt);
  self->pairing_prompt = g_strdup (prompt);
  g_mutex_unlock (&self->lock);
}

gboolean
cradle_device_is_paired (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);

  /* A token has no agent to pair with: its PIN guards it. */
  return self->token != NULL || self->paired;
}

void
cradle_device_close (CradleDevice *self)
{
  g_return_if_fail (CRADLE_IS_DEVICE (self));

  g_mutex_lock (&self->lock);
  self->paired = FALSE;
  if (self->transport != NULL)
    cradle_bridge_transport_close (self->transport);
  g_clear_object (&self->transport);
  g_mutex_unlock (&self->lock);
  /* A token stays known: opening it again starts a new session. */
  if (self->token != NULL)
    _cradle_device_token_close (self);
}

void
cradle_device_set_confirm_timeout (CradleDevice *self,
                                   guint         seconds)
{
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  self->confirm_timeout_seconds = seconds;
}

const char *
cradle_device_get_id (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  if (self->token != NULL)
    return cradle_token_get_uri (self->token);
  return self->transport != NULL ? cradle_bridge_transport_get_id (self->transport) : NULL;
}

/* "usb", "socket" or "pkcs11" */
const char *
cradle_device_get_transport (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  if (self->token != NULL)
    return CRADLE_DEVICE_TRANSPORT_PKCS11;
  return self->transport != NULL ? cradle_bridge_transport_get_kind (self->transport) : NULL;
}

const char *
cradle_device_get_manufacturer (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  return self->manufacturer;
}

const char *
cradle_device_get_model (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  return self->model;
}

const char *
cradle_device_get_serial (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  return self->serial;
}

const char *
cradle_device_get_os (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  return self->os;
}

const char *
cradle_device_get_agent_version (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  return self->agent_version;
}

guint
cradle_device_get_protocol_version (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), 0);
  return self->protocol_version;
}

const char * const *
cradle_device_get_key_types (CradleDevice *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  if (self->key_types == NULL && self->token != NULL)
    return cradle_token_get_key_types (self->token);
  return self->key_types != NULL ? (const char * const *) self->key_types : none;
}

gboolean
cradle_device_has_feature (CradleDevice *self,
                           const char   *feature)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);
  g_return_val_if_fail (feature != NULL, FALSE);
  return self->features != NULL && g_strv_contains ((const char * const *) self->features, feature);
}
