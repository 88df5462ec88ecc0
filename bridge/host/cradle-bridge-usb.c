/* cradle-bridge-usb.c: the bridge over a USB vendor interface's bulk endpoints
 *
 * Transfers are asynchronous libusb transfers: the monitor's event thread
 * completes them and the calling thread waits on a GCond. That way an unplug
 * (the hotplug "left" event), close() or a GCancellable can cancel a transfer
 * that is in flight, which libusb's synchronous API cannot do.
 *
 * Locks, always taken in this order: open_lock (opening, closing, clearing a
 * halt: calls that must not overlap with close), then state_lock (what the
 * event thread touches). libusb_open/close are never called under state_lock:
 * libusb_close waits for the event thread, which may be waiting for
 * state_lock in a transfer callback.
 */
#include "config.h"

#include <libusb.h>

#include <cradle/cradle.h>

#include "host/cradle-bridge-usb-private.h"
#include "host/cradle-usb-context-private.h"
#include "host/cradle-usb-error-private.h"

#define DEFAULT_SEND_TIMEOUT_MS 10000

/* After a transfer error, how long the device is asked whether it is still
 * there before the error is reported as it came: a controller may fail the
 * transfers in flight (dummy_hcd with -EPROTO) before the hub notices the
 * unplug. Each question is a GET_STATUS on ep0 with its own timeout. */
#define GONE_CHECK_MS 2000
#define GONE_PROBE_TIMEOUT_MS 250
#define GONE_PROBE_PAUSE_MS 50

typedef enum {
  STOP_NONE,
  STOP_GONE,       /* unplugged */
  STOP_CLOSED,     /* close() ended the session */
  STOP_CANCELLED,  /* the caller's GCancellable */
} StopReason;

/* One transfer in flight; lives on the waiting thread's stack. */
typedef struct {
  CradleBridgeUsb        *self;
  struct libusb_transfer *transfer;
  gboolean                done;
  StopReason              stop;
} Pending;

struct _CradleBridgeUsb
{
  CradleBridgeTransport   parent_instance;

  /* Owned */
  CradleUsbContext       *context;      /* keeps libusb and its event thread alive */
  libusb_device          *device;
  libusb_device_handle   *handle;       /* NULL until first used, and after close */
  guint8                 *out_buffer;   /* a copy of the chunk being sent */
  guint8                 *in_buffer;    /* the last bulk IN transfer */
  gsize                   in_start;     /* in_buffer[in_start, in_end) is not handed out yet */
  gsize                   in_end;
  guint                   in_session;   /* the session in_buffer came from */

  GMutex                  open_lock;
  GMutex                  send_lock;    /* one frame at a time */
  GMutex                  receive_lock;
  GMutex                  state_lock;
  GCond                   state_cond;
  /* Under state_lock */
  GPtrArray              *pending;      /* of Pending, borrowed */
  gboolean                gone;
  guint                   session;      /* bumped by close(): older operations stop */

  guint                   send_timeout_ms;
  /* From the descriptors; fixed */
  CradleBridgeUsbInterface iface;
};

G_DEFINE_FINAL_TYPE (CradleBridgeUsb, cradle_bridge_usb, CRADLE_TYPE_BRIDGE_TRANSPORT)

static const char *
id_of (CradleBridgeUsb *self)
{
  return cradle_bridge_transport_get_id (CRADLE_BRIDGE_TRANSPORT (self));
}

/* A finished transfer's status as a libusb error code, so that one function
 * turns both kinds into a message. */
static int
status_to_code (enum libusb_transfer_status status)
{
  switch (status)
    {
    case LIBUSB_TRANSFER_COMPLETED: return LIBUSB_SUCCESS;
    case LIBUSB_TRANSFER_TIMED_OUT: return LIBUSB_ERROR_TIMEOUT;
    case LIBUSB_TRANSFER_STALL: return LIBUSB_ERROR_PIPE;
    case LIBUSB_TRANSFER_NO_DEVICE: return LIBUSB_ERROR_NO_DEVICE;
    case LIBUSB_TRANSFER_OVERFLOW: return LIBUSB_ERROR_OVERFLOW;
    case LIBUSB_TRANSFER_CANCELLED: return LIBUSB_ERROR_INTERRUPTED;
    case LIBUSB_TRANSFER_ERROR:
    default: return LIBUSB_ERROR_IO;
    }
}

static void
set_stop_error (CradleBridgeUsb  *self,
                StopReason        stop,
                GCancellable     *cancellable,
                GError          **error)
{
  switch (stop)
    {
    case STOP_CANCELLED:
      if (!g_cancellable_set_error_if_cancelled (cancellable, error))
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
      break;
    case STOP_CLOSED:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                   "The session with the USB device %s was closed", id_of (self));
      break;
    case STOP_GONE:
    case STOP_NONE:
    default:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                   "The USB device %s was unplugged. Connect it again.", id_of (self));
      break;
    }
}

/* Under state_lock. */
static void
cancel_pending_locked (CradleBridgeUsb *self,
                       StopReason       stop)
{
  for (guint i = 0; i < self->pending->len; i++)
    {
      Pending *pending = g_ptr_array_index (self->pending, i);

      if (pending->stop == STOP_NONE)
        pending->stop = stop;
      /* NOT_FOUND when it is completing already: its callback comes anyway. */
      libusb_cancel_transfer (pending->transfer);
    }
  g_cond_broadcast (&self->state_cond);
}

void
cradle_bridge_usb_mark_gone (CradleBridgeUsb *self)
{
  g_mutex_lock (&self->state_lock);
  if (!self->gone)
    g_debug ("USB device %s is gone", id_of (self));
  self->gone = TRUE;
  cancel_pending_locked (self, STOP_GONE);
  g_mutex_unlock (&self->state_lock);
}

gboolean
cradle_bridge_usb_is_gone (CradleBridgeUsb *self)
{
  gboolean gone;

  g_return_val_if_fail (CRADLE_IS_BRIDGE_USB (self), TRUE);

  g_mutex_lock (&self->state_lock);
  gone = self->gone;
  g_mutex_unlock (&self->state_lock);
  return gone;
}

/* On the event thread. */
static void LIBUSB_CALL
transfer_done_cb (struct libusb_transfer *transfer)
{
  Pending *pending = transfer->user_data;
  CradleBridgeUsb *self = pending->self;

  g_mutex_lock (&self->state_lock);
  g_ptr_array_remove_fast (self->pending, pending);
  pending->done = TRUE;
  g_cond_broadcast (&self->state_cond);
  g_mutex_unlock (&self->state_lock);
}

static void
cancellable_cancelled_cb (GCancellable    *cancellable,
                          CradleBridgeUsb *self)
{
  g_mutex_lock (&self->state_lock);
  g_cond_broadcast (&self->state_cond);
  g_mutex_unlock (&self->state_lock);
}

/* Runs one bulk transfer and waits for it. Returns a libusb code (0 on
 * success; TIMEOUT may come with a partial @actual), or sets @stop when an
 * unplug, close() or @cancellable ended it. */
static int
run_transfer (CradleBridgeUsb       *self,
              guint                  session,
              libusb_device_handle  *handle,
              guint8                 endpoint,
              guint8                *buffer,
              int                    length,
              guint                  timeout_ms,
              GCancellable          *cancellable,
              int                   *actual,
              StopReason            *stop)
{
  Pending pending = { .self = self };
  gulong cancel_id = 0;
  int code = LIBUSB_SUCCESS;

  *actual = 0;
  *stop = STOP_NONE;

  pending.transfer = libusb_alloc_transfer (0);
  if (pending.transfer == NULL)
    return LIBUSB_ERROR_NO_MEM;
  /* libusb takes 0 as "no timeout" */
  libusb_fill_bulk_transfer (pending.transfer, handle, endpoint, buffer, length,
                             transfer_done_cb, &pending, MAX (timeout_ms, 1));

  /* Outside state_lock: the handler runs at once when already cancelled. */
  if (cancellable != NULL)
    cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (cancellable_cancelled_cb),
                                       self, NULL);

  g_mutex_lock (&self->state_lock);
  /* Checked under the lock that mark_gone and close take, so that no
   * transfer starts after they cancelled what was in flight. */
  if (self->gone)
    *stop = STOP_GONE;
  else if (self->session != session)
    *stop = STOP_CLOSED;
  else if (g_cancellable_is_cancelled (cancellable))
    *stop = STOP_CANCELLED;
  else
    {
      code = libusb_submit_transfer (pending.transfer);
      if (code == LIBUSB_SUCCESS)
        {
          g_ptr_array_add (self->pending, &pending);
          while (!pending.done)
            {
              if (pending.stop == STOP_NONE && g_cancellable_is_cancelled (cancellable))
                {
                  pending.stop = STOP_CANCELLED;
                  libusb_cancel_transfer (pending.transfer);
                }
              /* Bounded by the transfer's own timeout: libusb cancels it then. */
              g_cond_wait (&self->state_cond, &self->state_lock);
            }
          *stop = pending.stop;
          *actual = pending.transfer->actual_length;
          code = status_to_code (pending.transfer->status);
        }
    }
  g_mutex_unlock (&self->state_lock);

  if (cancel_id != 0)
    g_cancellable_disconnect (cancellable, cancel_id);
  libusb_free_transfer (pending.transfer);
  return code;
}

/* Whether a transfer that failed with @code failed because the device is
 * gone: the hotplug "left" event, or ep0 answering NO_DEVICE, within
 * GONE_CHECK_MS. A device that answers on ep0 (or stalls the request) is
 * there, and so is one that neither answers nor leaves in that time: the
 * error stays its own. Takes open_lock, so @handle stays open meanwhile. */
static gboolean
failed_because_gone (CradleBridgeUsb      *self,
                     guint                 session,
                     libusb_device_handle *handle,
                     int                   code)
{
  g_autoptr(GMutexLocker) open_locker = NULL;
  gint64 deadline;

  switch (code)
    {
    case LIBUSB_ERROR_NO_DEVICE:
      return TRUE;
    /* The device answered these itself (a stall), or nothing failed yet. */
    case LIBUSB_SUCCESS:
    case LIBUSB_ERROR_TIMEOUT:
    case LIBUSB_ERROR_PIPE:
    case LIBUSB_ERROR_NO_MEM:
      return FALSE;
    default:
      break;
    }

  open_locker = g_mutex_locker_new (&self->open_lock);
  deadline = g_get_monotonic_time () + GONE_CHECK_MS * G_TIME_SPAN_MILLISECOND;
  for (;;)
    {
      guint8 status[2];
      gint64 pause_until;
      gboolean gone;
      gboolean closed;
      int answer;

      g_mutex_lock (&self->state_lock);
      gone = self->gone;
      closed = self->session != session;
      g_mutex_unlock (&self->state_lock);
      if (gone)
        return TRUE;
      /* close() waits for open_lock, so only a session closed before the
       * error gets here: nobody waits for the answer any more. */
      if (closed)
        return FALSE;

      answer = libusb_control_transfer (handle,
                                        LIBUSB_ENDPOINT_IN | LIBUSB_REQUEST_TYPE_STANDARD |
                                        LIBUSB_RECIPIENT_DEVICE,
                                        LIBUSB_REQUEST_GET_STATUS, 0, 0, status, sizeof status,
                                        GONE_PROBE_TIMEOUT_MS);
      if (answer == LIBUSB_ERROR_NO_DEVICE)
        return TRUE;
      if (answer >= 0 || answer == LIBUSB_ERROR_PIPE)
        {
          g_debug ("USB device %s answers on ep0 after %s: it is still there",
                   id_of (self), libusb_error_name (code));
          return FALSE;
        }
      g_debug ("USB device %s: ep0 %s after %s; asking again",
               id_of (self), libusb_error_name (answer), libusb_error_name (code));

      pause_until = g_get_monotonic_time () + GONE_PROBE_PAUSE_MS * G_TIME_SPAN_MILLISECOND;
      if (pause_until >= deadline)
        return FALSE;
      /* mark_gone (the hotplug event) ends the pause early. */
      g_mutex_lock (&self->state_lock);
      while (!self->gone && g_cond_wait_until (&self->state_cond, &self->state_lock, pause_until))
        ;
      g_mutex_unlock (&self->state_lock);
    }
}

/* A transfer (or clearing a halt) failed with @code while @doing: the
 * error, as "device gone" when that is why. */
static void
set_transfer_error (CradleBridgeUsb       *self,
                    guint                  session,
                    libusb_device_handle  *handle,
                    int                    code,
                    const char            *doing,
                    GError               **error)
{
  if (code != LIBUSB_ERROR_NO_DEVICE && failed_because_gone (self, session, handle, code))
    {
      g_debug ("USB device %s: %s while %s, and the device is gone", id_of (self),
               libusb_error_name (code), doing);
      code = LIBUSB_ERROR_NO_DEVICE;
    }
  if (code == LIBUSB_ERROR_NO_DEVICE)
    cradle_bridge_usb_mark_gone (self);
  cradle_usb_set_error (error, code, id_of (self), doing);
}

/* Under open_lock. */
static int
open_locked (CradleBridgeUsb       *self,
             libusb_device_handle **handle_out,
             const char           **doing)
{
  libusb_device_handle *handle = NULL;
  int code;

  *doing = "opening it";
  code = libusb_open (self->device, &handle);
  if (code < 0)
    return code;

  /* Lets a kernel driver that bound to the interface go; NOT_SUPPORTED where
   * the platform has no such thing. */
  code = libusb_set_auto_detach_kernel_driver (handle, 1);
  if (code < 0 && code != LIBUSB_ERROR_NOT_SUPPORTED)
    g_debug ("USB device %s: no automatic kernel driver detach: %s", id_of (self), libusb_error_name (code));

  *doing = "claiming its Cradle interface";
  code = libusb_claim_interface (handle, self->iface.interface_number);
  if (code == LIBUSB_SUCCESS)
    {
      /* Selecting the setting, even the only one, is SET_INTERFACE: the
       * device re-enables its endpoints and ends the session an earlier
       * program on this computer left open (FunctionFS says ENABLE), so this
       * one starts afresh with HELLO. Over USB nothing else tells the device
       * that its host went away. */
      code = libusb_set_interface_alt_setting (handle, self->iface.interface_number, self->iface.alt_setting);
      if (code < 0 && code != LIBUSB_ERROR_NO_DEVICE && self->iface.alt_setting == 0)
        {
          g_debug ("USB device %s: selecting its interface's setting 0 failed (%s); going on",
                   id_of (self), libusb_error_name (code));
          code = LIBUSB_SUCCESS;
        }
      if (code < 0)
        libusb_release_interface (handle, self->iface.interface_number);
    }
  if (code < 0)
    {
      libusb_close (handle);
      return code;
    }

  *handle_out = handle;
  return LIBUSB_SUCCESS;
}

/* Opens the device for the first transfer of a session and returns the
 * handle with the session it belongs to. */
static gboolean
ensure_open (CradleBridgeUsb       *self,
             libusb_device_handle **handle_out,
             guint                 *session_out,
             GError               **error)
{
  g_autoptr(GMutexLocker) open_locker = g_mutex_locker_new (&self->open_lock);
  libusb_device_handle *handle = NULL;
  const char *doing = NULL;
  gboolean gone;
  int code;

  g_mutex_lock (&self->state_lock);
  gone = self->gone;
  *handle_out = self->handle;
  *session_out = self->session;
  g_mutex_unlock (&self->state_lock);

  if (gone)
    {
      set_stop_error (self, STOP_GONE, NULL, error);
      return FALSE;
    }
  if (*handle_out != NULL)
    return TRUE;

  code = open_locked (self, &handle, &doing);
  if (code < 0)
    {
      if (code == LIBUSB_ERROR_NO_DEVICE)
        cradle_bridge_usb_mark_gone (self);
      cradle_usb_set_error (error, code, id_of (self), doing);
      return FALSE;
    }

  g_mutex_lock (&self->state_lock);
  gone = self->gone;
  if (!gone)
    self->handle = handle;
  *handle_out = handle;
  *session_out = self->session;
  g_mutex_unlock (&self->state_lock);

  if (gone)
    {
      libusb_close (handle);
      set_stop_error (self, STOP_GONE, NULL, error);
      return FALSE;
    }
  g_debug ("USB device %s opened", id_of (self));
  return TRUE;
}

/* After a stall: the device wants the halt cleared before the next transfer. */
static gboolean
clear_halt (CradleBridgeUsb       *self,
            guint                  session,
            libusb_device_handle  *handle,
            guint8                 endpoint,
            GError               **error)
{
  StopReason stop = STOP_NONE;
  int code;

  /* Under open_lock, the handle cannot be closed while we use it. */
  g_mutex_lock (&self->open_lock);
  g_mutex_lock (&self->state_lock);
  if (self->gone)
    stop = STOP_GONE;
  else if (self->session != session)
    stop = STOP_CLOSED;
  g_mutex_unlock (&self->state_lock);
  if (stop != STOP_NONE)
    {
      g_mutex_unlock (&self->open_lock);
      set_stop_error (self, stop, NULL, error);
      return FALSE;
    }

  g_debug ("USB device %s: endpoint 0x%02x stalled, clearing the halt", id_of (self), endpoint);
  code = libusb_clear_halt (handle, endpoint);
  g_mutex_unlock (&self->open_lock);
  if (code < 0)
    {
      set_transfer_error (self, session, handle, code, "clearing a stalled endpoint", error);
      return FALSE;
    }
  return TRUE;
}

/* Sends @length bytes (0 for a zero-length packet) in one bulk OUT transfer. */
static gboolean
send_chunk (CradleBridgeUsb       *self,
            guint                  session,
            libusb_device_handle  *handle,
            const guint8          *data,
            gsize                  length,
            GCancellable          *cancellable,
            GError               **error)
{
  gboolean retried = FALSE;

  g_assert (length <= CRADLE_BRIDGE_USB_TRANSFER_SIZE);

  for (;;)
    {
      StopReason stop;
      int actual;
      int code;

      /* libusb's buffer is not const, and a GBytes may be read-only. */
      if (length > 0)
        memcpy (self->out_buffer, data, length);
      code = run_transfer (self, session, handle, self->iface.endpoint_out, self->out_buffer, (int) length,
                           self->send_timeout_ms, cancellable, &actual, &stop);
      if (stop != STOP_NONE)
        {
          set_stop_error (self, stop, cancellable, error);
          return FALSE;
        }
      if (code == LIBUSB_ERROR_PIPE && !retried)
        {
          /* What went before the stall reached the device: send the rest. */
          retried = TRUE;
          actual = CLAMP (actual, 0, (int) length);
          if (!clear_halt (self, session, handle, self->iface.endpoint_out, error))
            return FALSE;
          if (length > 0 && (gsize) actual == length)
            return TRUE;
          data += actual;
          length -= (gsize) actual;
          continue;
        }
      if (code < 0)
        {
          set_transfer_error (self, session, handle, code, "sending to it", error);
          if (actual > 0)
            g_prefix_error (error, "Only %d of %" G_GSIZE_FORMAT " bytes were sent: ", actual, length);
          return FALSE;
        }
      return TRUE;
    }
}

static gboolean
cradle_bridge_usb_send (CradleBridgeTransport  *transport,
                        GBytes                 *frame,
                        GCancellable           *cancellable,
                        GError                **error)
{
  CradleBridgeUsb *self = CRADLE_BRIDGE_USB (transport);
  g_autoptr(GMutexLocker) send_locker = g_mutex_locker_new (&self->send_lock);
  libusb_device_handle *handle;
  const guint8 *data;
  gsize size;
  gsize offset = 0;
  guint session;

  if (!ensure_open (self, &handle, &session, error))
    return FALSE;

  data = g_bytes_get_data (frame, &size);
  /* At most 16 KiB a transfer: an Android accessory must read each one whole. */
  while (offset < size)
    {
      gsize chunk = MIN (size - offset, CRADLE_BRIDGE_USB_TRANSFER_SIZE);

      if (!send_chunk (self, session, handle, data + offset, chunk, cancellable, error))
        return FALSE;
      offset += chunk;
    }
  /* Every transfer but the last is a multiple of the packet size, so only the
   * frame's length says whether its last packet was full. A full last packet
   * does not end a transfer on the device side: a zero-length one does. */
  if (size % self->iface.max_packet_out == 0)
    return send_chunk (self, session, handle, NULL, 0, cancellable, error);
  return TRUE;
}

static gsize
take_buffered (CradleBridgeUsb *self,
               guint8          *buffer,
               gsize            size)
{
  gsize n = MIN (size, self->in_end - self->in_start);

  memcpy (buffer, self->in_buffer + self->in_start, n);
  self->in_start += n;
  return n;
}

static gssize
cradle_bridge_usb_receive (CradleBridgeTransport  *transport,
                           guint8                 *buffer,
                           gsize                   size,
                           guint                   timeout_ms,
                           GCancellable           *cancellable,
                           GError                **error)
{
  CradleBridgeUsb *self = CRADLE_BRIDGE_USB (transport);
  g_autoptr(GMutexLocker) receive_locker = g_mutex_locker_new (&self->receive_lock);
  libusb_device_handle *handle;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean retried = FALSE;
  gboolean tried = FALSE;
  guint session;

  if (size == 0)
    return 0;
  if (!ensure_open (self, &handle, &session, error))
    return -1;

  /* Bytes from an earlier transfer of this session come first. */
  if (self->in_session == session && self->in_start < self->in_end)
    return (gssize) take_buffered (self, buffer, size);
  self->in_start = self->in_end = 0;

  for (;;)
    {
      gint64 remaining_ms = (deadline - g_get_monotonic_time () + 999) / 1000;
      StopReason stop;
      int actual;
      int code;

      if (remaining_ms <= 0 && tried)
        return 0;
      tried = TRUE;

      /* Always a whole 16 KiB: a buffer that is not a multiple of the packet
       * size overflows when the device sends a full packet. */
      code = run_transfer (self, session, handle, self->iface.endpoint_in, self->in_buffer,
                           CRADLE_BRIDGE_USB_TRANSFER_SIZE, (guint) CLAMP (remaining_ms, 1, G_MAXUINT),
                           cancellable, &actual, &stop);
      if (stop != STOP_NONE)
        {
          set_stop_error (self, stop, cancellable, error);
          return -1;
        }
      if (code == LIBUSB_ERROR_PIPE && !retried)
        {
          retried = TRUE;
          if (!clear_halt (self, session, handle, self->iface.endpoint_in, error))
            return -1;
        }
      else if (code < 0 && code != LIBUSB_ERROR_TIMEOUT)
        {
          set_transfer_error (self, session, handle, code, "reading from it", error);
          return -1;
        }

      /* A timeout can still have moved some bytes. A zero-length packet
       * only ended a frame whose last packet was full: read on. */
      if (actual > 0)
        {
          self->in_session = session;
          self->in_start = 0;
          self->in_end = (gsize) MIN (actual, CRADLE_BRIDGE_USB_TRANSFER_SIZE);
          return (gssize) take_buffered (self, buffer, size);
        }
      if (code == LIBUSB_ERROR_TIMEOUT)
        return 0;
    }
}

static void
cradle_bridge_usb_close (CradleBridgeTransport *transport)
{
  CradleBridgeUsb *self = CRADLE_BRIDGE_USB (transport);
  g_autoptr(GMutexLocker) open_locker = g_mutex_locker_new (&self->open_lock);
  libusb_device_handle *handle;
  gboolean gone;

  g_mutex_lock (&self->state_lock);
  self->session++;
  cancel_pending_locked (self, STOP_CLOSED);
  /* The handle must outlive its transfers; cancelled ones complete quickly. */
  while (self->pending->len > 0)
    g_cond_wait (&self->state_cond, &self->state_lock);
  handle = g_steal_pointer (&self->handle);
  gone = self->gone;
  g_mutex_unlock (&self->state_lock);

  if (handle == NULL)
    return;
  if (!gone)
    libusb_release_interface (handle, self->iface.interface_number);
  libusb_close (handle);
  g_debug ("USB device %s closed", id_of (self));
}

static void
cradle_bridge_usb_finalize (GObject *object)
{
  CradleBridgeUsb *self = CRADLE_BRIDGE_USB (object);

  cradle_bridge_usb_close (CRADLE_BRIDGE_TRANSPORT (self));

  g_clear_pointer (&self->device, libusb_unref_device);
  g_clear_pointer (&self->context, cradle_usb_context_unref);
  g_clear_pointer (&self->out_buffer, g_free);
  g_clear_pointer (&self->in_buffer, g_free);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_mutex_clear (&self->open_lock);
  g_mutex_clear (&self->send_lock);
  g_mutex_clear (&self->receive_lock);
  g_mutex_clear (&self->state_lock);
  g_cond_clear (&self->state_cond);

  G_OBJECT_CLASS (cradle_bridge_usb_parent_class)->finalize (object);
}

static void
cradle_bridge_usb_class_init (CradleBridgeUsbClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CradleBridgeTransportClass *transport_class = CRADLE_BRIDGE_TRANSPORT_CLASS (klass);

  object_class->finalize = cradle_bridge_usb_finalize;
  transport_class->send = cradle_bridge_usb_send;
  transport_class->receive = cradle_bridge_usb_receive;
  transport_class->close = cradle_bridge_usb_close;
}

static void
cradle_bridge_usb_init (CradleBridgeUsb *self)
{
  g_mutex_init (&self->open_lock);
  g_mutex_init (&self->send_lock);
  g_mutex_init (&self->receive_lock);
  g_mutex_init (&self->state_lock);
  g_cond_init (&self->state_cond);
  self->pending = g_ptr_array_new ();
  self->out_buffer = g_malloc (CRADLE_BRIDGE_USB_TRANSFER_SIZE);
  /* Zeroed so that no uninitialised memory reaches the kernel (or umockdev,
   * which copies IN buffers too). */
  self->in_buffer = g_malloc0 (CRADLE_BRIDGE_USB_TRANSFER_SIZE);
  self->send_timeout_ms = DEFAULT_SEND_TIMEOUT_MS;
}

CradleBridgeUsb *
cradle_bridge_usb_new_for_device (CradleUsbContext      *context,
                                  struct libusb_device  *device,
                                  GError               **error)
{
  g_autofree char *id = _cradle_bridge_usb_make_id (device);
  CradleBridgeUsbInterface found = { 0, };
  CradleBridgeUsb *self;

  if (!_cradle_bridge_usb_find_interface (device, id, &found, error))
    return NULL;

  self = g_object_new (CRADLE_TYPE_BRIDGE_USB, "kind", "usb", "id", id, NULL);
  self->context = cradle_usb_context_ref (context);
  self->device = libusb_ref_device (device);
  self->iface = found;
  return self;
}

guint16
cradle_bridge_usb_get_vendor_id (CradleBridgeUsb *self)
{
  g_return_val_if_fail (CRADLE_IS_BRIDGE_USB (self), 0);
  return self->iface.vendor_id;
}

guint16
cradle_bridge_usb_get_product_id (CradleBridgeUsb *self)
{
  g_return_val_if_fail (CRADLE_IS_BRIDGE_USB (self), 0);
  return self->iface.product_id;
}

void
cradle_bridge_usb_set_send_timeout (CradleBridgeUsb *self,
                                    guint            timeout_ms)
{
  g_return_if_fail (CRADLE_IS_BRIDGE_USB (self));
  g_return_if_fail (timeout_ms > 0);
  self->send_timeout_ms = timeout_ms;
}
