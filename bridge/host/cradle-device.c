/* cradle-device.c: the host side of the bridge protocol
 *
 * One request at a time: send it, then read frames until its final answer,
 * passing KEEPALIVEs on as the "waiting" signal. Cancelling sends CANCEL and
 * still waits (briefly) for the device's answer, so both sides agree the
 * request is over. That wait is bounded whatever the device sends: a device
 * that does not answer CANCEL within CANCEL_GRACE_MS loses the session.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-message-private.h"
#include "protocol/cradle-bridge-socket-private.h"
#include "host/cradle-bridge-usb-private.h"
#include "host/cradle-device-private.h"

#define DEFAULT_CONFIRM_TIMEOUT_SECONDS (5 * 60)
/* How long the device has to answer CANCEL; its KEEPALIVEs do not extend it. */
#define CANCEL_GRACE_MS 5000

struct _CradleDevice
{
  GObject parent_instance;

  /* Owned */
  GMutex                 lock;         /* one request at a time */
  CradleBridgeTransport *transport;
  GMainContext          *context;      /* where "waiting" is emitted */
  guint32                next_request_id;
  guint                  confirm_timeout_seconds;
  char                  *manufacturer;
  char                  *model;
  char                  *serial;
  char                  *os;
  char                  *agent_version;
  GStrv                  key_types;
  GStrv                  features;
  guint                  protocol_version;
  GBytes                *session_nonce;   /* HELLO's, for AUTHENTICATE */
  GBytes                *identity_key;    /* GET_INFO's claim, proven only by AUTHENTICATE */
  gboolean               paired;          /* this session is authenticated */
  char                  *pairing_prompt;  /* shown while the device asks to pair */
};

G_DEFINE_FINAL_TYPE (CradleDevice, cradle_device, G_TYPE_OBJECT)

enum {
  SIGNAL_WAITING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cradle_device_dispose (GObject *object)
{
  CradleDevice *self = CRADLE_DEVICE (object);

  if (self->transport != NULL)
    cradle_bridge_transport_close (self->transport);
  g_clear_object (&self->transport);

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
  signals[SIGNAL_WAITING] =
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
 *   now, connected but not opened. A simulated device whose agent died is
 *   skipped with a debug message.
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
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return g_steal_pointer (&devices);
}

typedef struct {
  CradleDevice *device;
  guint         status;
  char         *prompt;
} WaitingEvent;

static gboolean
emit_waiting (gpointer data)
{
  WaitingEvent *event = data;

  g_signal_emit (event->device, signals[SIGNAL_WAITING], 0, event->status, event->prompt);
  return G_SOURCE_REMOVE;
}

static void
waiting_event_free (gpointer data)
{
  WaitingEvent *event = data;

  g_object_unref (event->device);
  g_free (event->prompt);
  g_free (event);
}

static void
report_keepalive (CradleDevice      *self,
                  CradleBridgeFrame *frame)
{
  g_autoptr(CradleCborValue) payload = NULL;
  WaitingEvent *event;
  guint64 status = CRADLE_BRIDGE_PROCESSING;
  const char *prompt = NULL;

  /* A keepalive only restarts the clock; a garbled one is not worth failing for. */
  payload = cradle_cbor_decode_map (g_bytes_get_data (frame->payload, NULL),
                                    g_bytes_get_size (frame->payload), NULL);
  if (payload != NULL)
    {
      cradle_cbor_map_get_uint (payload, 1, TRUE, &status, NULL);
      cradle_cbor_map_get_text (payload, 2, TRUE, &prompt, NULL);
    }
  event = g_new0 (WaitingEvent, 1);
  event->device = g_object_ref (self);
  event->status = (guint) MIN (status, G_MAXUINT);
  event->prompt = g_strdup (prompt);
  /* While the device asks to pair, what people see is this computer's own
   * words and code, never the device's. */
  if (self->pairing_prompt != NULL && status == CRADLE_BRIDGE_WAITING_FOR_USER)
    {
      event->status = CRADLE_DEVICE_WAITING_PAIRING;
      g_free (event->prompt);
      event->prompt = g_strdup (self->pairing_prompt);
    }
  /* Runs at once when the caller owns the context (a blocking call from the
   * main thread); from a worker thread it is queued to the caller's loop. */
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_waiting, event, waiting_event_free);
}

static void
set_protocol_error (GError    **error,
                    const char *operation,
                    const char *what)
{
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The device broke the bridge protocol while %s: %s. "
               "Update the Cradle agent on the device.",
               operation, what);
}

/* Sends CANCEL for @id; from now on the device has CANCEL_GRACE_MS to answer. */
static gboolean
send_cancel (CradleDevice  *self,
             guint32        id,
             gint64        *deadline,
             GError       **error)
{
  g_autoptr(GBytes) cancel = cradle_bridge_frame_encode (CRADLE_BRIDGE_CANCEL, 0, id, NULL);

  *deadline = g_get_monotonic_time () + (gint64) CANCEL_GRACE_MS * 1000;
  return cradle_bridge_transport_send (self->transport, cancel, NULL, error);
}

/* The device kept a cancelled request open past its grace time: the session
 * cannot be trusted to be in step any more, so it ends here. Called with
 * the lock held. */
static void
close_after_ignored_cancel (CradleDevice  *self,
                            const char    *operation,
                            GError       **error)
{
  g_debug ("The device %s did not answer CANCEL within %d seconds; closing the session",
           cradle_bridge_transport_get_id (self->transport), CANCEL_GRACE_MS / 1000);
  cradle_bridge_transport_close (self->transport);
  g_clear_object (&self->transport);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
               "Cradle cancelled %s, but the device did not stop: it was still busy %d seconds later, "
               "so Cradle closed the connection to it. Disconnect the device and connect it again, "
               "or restart the Cradle agent on it, before trying again.",
               operation, CANCEL_GRACE_MS / 1000);
}

/* Sends @type with @payload; returns the decoded final answer. */
static CradleCborValue *
device_call (CradleDevice  *self,
             guint8         type,
             GBytes        *payload,
             const char    *operation,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GBytes) frame = NULL;
  guint32 id;
  gint64 started = g_get_monotonic_time ();
  gint64 cancel_deadline = 0;
  gboolean cancel_sent = FALSE;
  gboolean host_gave_up = FALSE;

  if (self->transport == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                   "The device is closed. Connect it again to continue.");
      return NULL;
    }

  id = ++self->next_request_id;
  if (id == 0)
    id = ++self->next_request_id;
  frame = cradle_bridge_frame_encode (type, 0, id, payload);
  if (!cradle_bridge_transport_send (self->transport, frame, cancellable, error))
    return NULL;

  for (;;)
    {
      g_autoptr(CradleBridgeFrame) reply = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autoptr(CradleCborValue) decoded = NULL;
      guint timeout_ms = CRADLE_BRIDGE_IDLE_TIMEOUT_MS;

      if (cancel_sent)
        {
          gint64 left_ms = (cancel_deadline - g_get_monotonic_time () + 999) / 1000;

          if (left_ms <= 0)
            {
              close_after_ignored_cancel (self, operation, error);
              return NULL;
            }
          timeout_ms = (guint) MIN (left_ms, (gint64) timeout_ms);
        }
      reply = cradle_bridge_transport_receive_frame (self->transport, timeout_ms,
                                                     cancel_sent ? NULL : cancellable, &local_error);
      if (reply == NULL)
        {
          if (!cancel_sent && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              cancel_sent = TRUE;
              if (!send_cancel (self, id, &cancel_deadline, error))
                return NULL;
              continue;
            }
          if (cancel_sent && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT) &&
              g_get_monotonic_time () >= cancel_deadline)
            {
              close_after_ignored_cancel (self, operation, error);
              return NULL;
            }
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "While %s: ", operation);
          return NULL;
        }

      /* Request id 0 is the session itself: BUSY, or a framing complaint. */
      if (reply->header.request_id == 0 && reply->header.type == CRADLE_BRIDGE_ERROR)
        {
          decoded = cradle_cbor_decode_map (g_bytes_get_data (reply->payload, NULL),
                                            g_bytes_get_size (reply->payload), &local_error);
          if (decoded == NULL)
            g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "While %s: ", operation);
          else
            cradle_bridge_error_to_gerror (decoded, operation, error);
          return NULL;
        }
      if (reply->header.request_id != id)
        {
          g_autofree char *what = g_strdup_printf ("it answered request %u while %u was waiting",
                                                   reply->header.request_id, id);

          set_protocol_error (error, operation, what);
          return NULL;
        }
      if (reply->header.type == CRADLE_BRIDGE_KEEPALIVE &&
          (reply->header.flags & CRADLE_BRIDGE_FLAG_RESPONSE) == 0)
        {
          report_keepalive (self, reply);
          if (!cancel_sent &&
              g_get_monotonic_time () - started > (gint64) self->confirm_timeout_seconds * G_USEC_PER_SEC)
            {
              cancel_sent = host_gave_up = TRUE;
              if (!send_cancel (self, id, &cancel_deadline, error))
                return NULL;
            }
          continue;
        }
      if ((reply->header.flags & CRADLE_BRIDGE_FLAG_RESPONSE) == 0 ||
          (reply->header.type != type && reply->header.type != CRADLE_BRIDGE_ERROR))
        {
          g_autofree char *what = g_strdup_printf ("it sent %s where an answer to %s belongs",
                                                   cradle_bridge_type_to_string (reply->header.type),
                                                   cradle_bridge_type_to_string (type));

          set_protocol_error (error, operation, what);
          return NULL;
        }

      decoded = cradle_cbor_decode_map (g_bytes_get_data (reply->payload, NULL),
                                        g_bytes_get_size (reply->payload), &local_error);
      if (decoded == NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "While %s: ", operation);
          return NULL;
        }
      if (reply->header.type == CRADLE_BRIDGE_ERROR)
        {
          if (host_gave_up)
            g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT,
                         "Nobody confirmed on the device within %u seconds while %s. "
                         "Try again and confirm on the device.",
                         self->confirm_timeout_seconds, operation);
          else
            cradle_bridge_error_to_gerror (decoded, operation, error);
          return NULL;
        }
      return g_steal_pointer (&decoded);
    }
}

CradleCborValue *
_cradle_device_call (CradleDevice  *self,
                     guint8         type,
                     GBytes        *payload,
                     const char    *operation,
                     GCancellable  *cancellable,
                     GError       **error)
{
  return device_call (self, type, payload, operation, cancellable, error);
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

  return self->paired;
}

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

gboolean
cradle_device_open (CradleDevice  *self,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) hello = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  guint64 version = 0;

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);

  cradle_cbor_writer_map (writer, 3);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, CRADLE_BRIDGE_VERSION);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_uint (writer, CRADLE_BRIDGE_VERSION);
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_text (writer, "cradle " CRADLE_VERSION);
  hello = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));

  reply = device_call (self, CRADLE_BRIDGE_HELLO, hello, "greeting the device", cancellable, error);
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
  self->paired = FALSE;
  /* Details first, unauthenticated: the serial says which pin to check. */
  return cradle_device_refresh_info (self, cancellable, error) &&
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

  info = device_call (self, CRADLE_BRIDGE_GET_INFO, NULL, "reading the device's details", cancellable, error);
  if (info == NULL)
    return FALSE;
  if (!read_info (self, info, error))
    {
      g_prefix_error (error, "While reading the device's details: ");
      return FALSE;
    }
  return TRUE;
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
  return self->transport != NULL ? cradle_bridge_transport_get_id (self->transport) : NULL;
}

/* "usb" or "socket" */
const char *
cradle_device_get_transport (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
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

  reply = device_call (self, CRADLE_BRIDGE_GENERATE_KEY, request, "generating a key on the device",
                       cancellable, error);
  if (reply == NULL ||
      !cradle_cbor_map_get_bytes (reply, 1, FALSE, &key_id, error) ||
      !cradle_cbor_map_get_bytes (reply, 2, FALSE, &spki, error))
    return NULL;
  if (g_bytes_get_size (key_id) != 16 || g_bytes_get_size (spki) == 0)
    {
      set_protocol_error (error, "generating a key", "the key id or public key has the wrong size");
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
    default:
      operation = "signing on the device";
      break;
    }

  cradle_cbor_writer_map (writer, content != NULL ? 5 : 4);
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
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));

  reply = device_call (self, CRADLE_BRIDGE_SIGN, request, operation, cancellable, error);
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
  return sign_on_device (self, key_id, purpose, data, NULL, digest, algorithm, cancellable, error);
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

  return sign_on_device (self, key_id, CRADLE_DEVICE_SIGN_SCEP_MESSAGE, signed_attributes, content, digest,
                         NULL, cancellable, error);
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

  reply = device_call (self, CRADLE_BRIDGE_DECRYPT, request, operation, cancellable, error);
  if (reply == NULL || !cradle_cbor_map_get_bytes (reply, 1, FALSE, &key, error))
    return NULL;
  if (g_bytes_get_size (key) != key_size)
    {
      set_protocol_error (error, operation, "the decrypted key has the wrong size");
      return NULL;
    }
  return g_steal_pointer (&key);
}

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

  write_optional_text_pairs (writer, store, scope);
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = device_call (self, CRADLE_BRIDGE_LIST_CERTS, request, "listing the device's certificates",
                       cancellable, error);
  if (reply == NULL || !cradle_cbor_map_get_array (reply, 1, FALSE, &items, error))
    return NULL;

  for (gsize i = 0; i < cradle_cbor_value_get_length (items); i++)
    {
      const CradleCborValue *item = cradle_cbor_array_get (items, i);
      const char *item_store = NULL, *item_scope = NULL;
      g_autoptr(GBytes) der = NULL;
      g_autoptr(GBytes) key_id = NULL;

      if (cradle_cbor_value_get_type (item) != CRADLE_CBOR_MAP ||
          !cradle_cbor_map_get_text (item, 1, FALSE, &item_store, error) ||
          !cradle_cbor_map_get_text (item, 2, FALSE, &item_scope, error) ||
          !cradle_cbor_map_get_bytes (item, 3, FALSE, &der, error) ||
          !cradle_cbor_map_get_bytes (item, 4, TRUE, &key_id, error))
        {
          if (error != NULL && *error == NULL)
            set_protocol_error (error, "listing certificates", "an entry is not a map");
          return NULL;
        }
      g_ptr_array_add (certs, cradle_device_cert_new (item_store, item_scope, der, key_id));
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

  reply = device_call (self, CRADLE_BRIDGE_INSTALL, request, "installing certificates on the device",
                       cancellable, error);
  if (reply == NULL || !cradle_cbor_map_get_uint (reply, 1, FALSE, &count, error))
    return FALSE;
  if (added != NULL)
    *added = (guint) MIN (count, G_MAXUINT);
  return TRUE;
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

  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_id, NULL), g_bytes_get_size (key_id));
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = device_call (self, CRADLE_BRIDGE_DELETE_KEY, request, "deleting a key on the device",
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
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);
  g_return_val_if_fail (store != NULL && scope != NULL && sha256 != NULL, FALSE);

  cradle_cbor_writer_map (writer, 3);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_text (writer, store);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_text (writer, scope);
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (sha256, NULL), g_bytes_get_size (sha256));
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = device_call (self, CRADLE_BRIDGE_DELETE_CERT, request, "deleting a certificate on the device",
                       cancellable, error);
  return reply != NULL;
}
