/* cradle-agent-functionfs-transport.c: frames over FunctionFS bulk endpoint files */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-functionfs-transport-private.h"
#include "protocol/cradle-bridge-usb-interface-private.h"

/* An endpoint file's read() or write() waits until the host moves the
 * data, which a host that stopped reading (its program killed while the
 * device stays plugged in) never does, and no timeout or poll() applies to
 * it. Disconnecting sends this signal to the threads blocked there, whose
 * no-op handler makes the call fail with EINTR. SIGURG is ignored by
 * default: one from elsewhere, before the handler is set, harms nothing. */
#define INTERRUPT_SIGNAL SIGURG
/* How often a blocked thread is signalled again until it has left its call
 * (a signal that came just before it entered the call is lost). */
#define INTERRUPT_REPEAT_US (20 * 1000)

/* What the reader thread and the transport share; the reader may outlive
 * the transport while it is blocked in read(). */
typedef struct {
  GMutex      mutex;
  GCond       arrived;
  GCond       io_left;       /* a read() or write() below returned */
  GByteArray *pending;       /* read, not yet taken by receive() */
  gboolean    gone;
  char       *gone_reason;
  int         out_fd;        /* owned by the reader thread */
  gboolean    reading;       /* the reader is in read (out_fd) */
  pthread_t   reader;
  gboolean    writing;       /* a sender is in write (in_fd) */
  pthread_t   writer;
} Inbox;

struct _CradleAgentFunctionfsTransport
{
  CradleBridgeTransport parent_instance;

  int    in_fd;
  gsize  max_packet;
  Inbox *inbox;              /* a reference */
};

G_DEFINE_FINAL_TYPE (CradleAgentFunctionfsTransport, cradle_agent_functionfs_transport,
                     CRADLE_TYPE_BRIDGE_TRANSPORT)

static void
inbox_clear (gpointer data)
{
  Inbox *inbox = data;

  g_mutex_clear (&inbox->mutex);
  g_cond_clear (&inbox->arrived);
  g_cond_clear (&inbox->io_left);
  g_byte_array_unref (inbox->pending);
  g_free (inbox->gone_reason);
  if (inbox->out_fd >= 0)
    close (inbox->out_fd);
}

static void
inbox_unref (Inbox *inbox)
{
  g_atomic_rc_box_release_full (inbox, inbox_clear);
}

static void
on_interrupt_signal (int signal_number)
{
}

static void
install_interrupt_handler (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      struct sigaction action = { .sa_handler = on_interrupt_signal };

      /* No SA_RESTART: a blocked socket call (the tests' stand-in for an
       * endpoint file) must fail too, not start again. */
      sigemptyset (&action.sa_mask);
      if (sigaction (INTERRUPT_SIGNAL, &action, NULL) != 0)
        g_warning ("Could not set the agent's USB interrupt handler (%s): "
                   "stopping may wait for the host.", g_strerror (errno));
      g_once_init_leave (&done, 1);
    }
}

/* Marks the inbox gone once (the first reason is the one reported), then
 * interrupts the endpoint calls in progress and waits until they return:
 * afterwards no thread waits for the host. Called with the mutex held. */
static void
inbox_set_gone_locked (Inbox      *inbox,
                       const char *why)
{
  pthread_t self = pthread_self ();

  if (!inbox->gone)
    {
      inbox->gone = TRUE;
      inbox->gone_reason = g_strdup (why);
    }
  g_cond_broadcast (&inbox->arrived);
  for (;;)
    {
      gboolean waiting = FALSE;

      /* The calling thread's own call has already returned. */
      if (inbox->reading && !pthread_equal (inbox->reader, self))
        {
          pthread_kill (inbox->reader, INTERRUPT_SIGNAL);
          waiting = TRUE;
        }
      if (inbox->writing && !pthread_equal (inbox->writer, self))
        {
          pthread_kill (inbox->writer, INTERRUPT_SIGNAL);
          waiting = TRUE;
        }
      if (!waiting)
        break;
      g_cond_wait_until (&inbox->io_left, &inbox->mutex, g_get_monotonic_time () + INTERRUPT_REPEAT_US);
    }
}

static void
inbox_set_gone (Inbox      *inbox,
                const char *why)
{
  g_mutex_lock (&inbox->mutex);
  inbox_set_gone_locked (inbox, why);
  g_mutex_unlock (&inbox->mutex);
}

/* Enters an endpoint call on @flag, unless the inbox is gone. */
static gboolean
inbox_enter_io (Inbox     *inbox,
                gboolean  *flag,
                pthread_t *thread)
{
  gboolean gone;

  g_mutex_lock (&inbox->mutex);
  gone = inbox->gone;
  if (!gone)
    {
      *flag = TRUE;
      *thread = pthread_self ();
    }
  g_mutex_unlock (&inbox->mutex);
  return !gone;
}

static void
inbox_leave_io (Inbox    *inbox,
                gboolean *flag)
{
  g_mutex_lock (&inbox->mutex);
  *flag = FALSE;
  g_cond_broadcast (&inbox->io_left);
  g_mutex_unlock (&inbox->mutex);
}

static gpointer
reader_thread (gpointer data)
{
  Inbox *inbox = data;
  /* FunctionFS rounds OUT reads up to whole packets: 16 KiB is a multiple
   * of every bulk packet size. */
  g_autofree guint8 *buffer = g_malloc (CRADLE_BRIDGE_USB_TRANSFER_SIZE);

  for (;;)
    {
      gssize got;
      int saved_errno;

      if (!inbox_enter_io (inbox, &inbox->reading, &inbox->reader))
        break;
      got = read (inbox->out_fd, buffer, CRADLE_BRIDGE_USB_TRANSFER_SIZE);
      saved_errno = errno;
      inbox_leave_io (inbox, &inbox->reading);
      /* EINTR: disconnected (the loop ends above), or a stray signal. */
      if (got < 0 && saved_errno == EINTR)
        continue;
      if (got < 0)
        {
          /* ESHUTDOWN when the host disabled the function or was unplugged. */
          inbox_set_gone (inbox, g_strerror (saved_errno));
          break;
        }
      /* got == 0 is a zero-length packet: it only ends a transfer. */
      if (got > 0)
        {
          g_mutex_lock (&inbox->mutex);
          g_byte_array_append (inbox->pending, buffer, (guint) got);
          g_cond_broadcast (&inbox->arrived);
          g_mutex_unlock (&inbox->mutex);
        }
    }
  inbox_unref (inbox);
  return NULL;
}

static void
set_gone (GError                         **error,
          CradleAgentFunctionfsTransport  *self,
          const char                      *why)
{
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
               "The host on %s went away (%s).",
               cradle_bridge_transport_get_id (CRADLE_BRIDGE_TRANSPORT (self)), why);
}

static gboolean
write_transfer (CradleAgentFunctionfsTransport  *self,
                const guint8                    *data,
                gsize                            size,
                GError                         **error)
{
  Inbox *inbox = self->inbox;

  for (;;)
    {
      gssize written;
      int saved_errno;

      if (!inbox_enter_io (inbox, &inbox->writing, &inbox->writer))
        {
          g_mutex_lock (&inbox->mutex);
          set_gone (error, self, inbox->gone_reason);
          g_mutex_unlock (&inbox->mutex);
          return FALSE;
        }
      written = write (self->in_fd, data, size);
      saved_errno = errno;
      inbox_leave_io (inbox, &inbox->writing);
      /* EINTR: disconnected (failing above), or a stray signal. */
      if (written < 0 && saved_errno == EINTR)
        continue;
      if (written < 0)
        {
          inbox_set_gone (inbox, g_strerror (saved_errno));
          set_gone (error, self, g_strerror (saved_errno));
          return FALSE;
        }
      /* An endpoint file takes a whole transfer or fails: a short write
       * would mean the host cut it off. */
      if ((gsize) written != size)
        {
          set_gone (error, self, "a transfer was cut short");
          return FALSE;
        }
      return TRUE;
    }
}

static gboolean
cradle_agent_functionfs_transport_send (CradleBridgeTransport  *transport,
                                        GBytes                 *frame,
                                        GCancellable           *cancellable,
                                        GError                **error)
{
  CradleAgentFunctionfsTransport *self = CRADLE_AGENT_FUNCTIONFS_TRANSPORT (transport);
  const guint8 *data;
  gsize size;
  gsize offset = 0;

  if (!cradle_agent_functionfs_transport_is_connected (self))
    {
      set_gone (error, self, "the function is disabled");
      return FALSE;
    }
  data = g_bytes_get_data (frame, &size);
  while (offset < size)
    {
      gsize chunk = MIN (size - offset, CRADLE_BRIDGE_USB_TRANSFER_SIZE);

      if (!write_transfer (self, data + offset, chunk, error))
        return FALSE;
      offset += chunk;
    }
  /* A transfer that fills its last packet does not end on the host side
   * until a short packet comes: send an empty one. */
  if (size % self->max_packet == 0)
    return write_transfer (self, data, 0, error);
  return TRUE;
}

static gssize
cradle_agent_functionfs_transport_receive (CradleBridgeTransport  *transport,
                                           guint8                 *buffer,
                                           gsize                   size,
                                           guint                   timeout_ms,
                                           GCancellable           *cancellable,
                                           GError                **error)
{
  CradleAgentFunctionfsTransport *self = CRADLE_AGENT_FUNCTIONFS_TRANSPORT (transport);
  Inbox *inbox = self->inbox;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gssize taken = 0;

  /* The agent never cancels a wait, and links no GIO to look at one. */
  g_return_val_if_fail (cancellable == NULL, -1);

  g_mutex_lock (&inbox->mutex);
  while (inbox->pending->len == 0 && !inbox->gone)
    {
      if (!g_cond_wait_until (&inbox->arrived, &inbox->mutex, deadline))
        break;
    }
  if (inbox->pending->len > 0)
    {
      taken = (gssize) MIN (size, inbox->pending->len);
      memcpy (buffer, inbox->pending->data, (gsize) taken);
      g_byte_array_remove_range (inbox->pending, 0, (guint) taken);
    }
  else if (inbox->gone)
    {
      set_gone (error, self, inbox->gone_reason);
      taken = -1;
    }
  g_mutex_unlock (&inbox->mutex);
  return taken;
}

/* A session ended, but the endpoints stay: the base class drops the half
 * frame it held, while bytes still waiting here may already be the host's
 * next HELLO, sent as soon as it read the ERROR that ended the session. */
static void
cradle_agent_functionfs_transport_close (CradleBridgeTransport *transport)
{
}

static void
cradle_agent_functionfs_transport_finalize (GObject *object)
{
  CradleAgentFunctionfsTransport *self = CRADLE_AGENT_FUNCTIONFS_TRANSPORT (object);

  /* The reader notices at its next wake-up and closes the OUT file. */
  inbox_set_gone (self->inbox, "the agent closed the endpoints");
  g_clear_pointer (&self->inbox, inbox_unref);
  if (self->in_fd >= 0)
    close (self->in_fd);

  G_OBJECT_CLASS (cradle_agent_functionfs_transport_parent_class)->finalize (object);
}

static void
cradle_agent_functionfs_transport_class_init (CradleAgentFunctionfsTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CradleBridgeTransportClass *transport_class = CRADLE_BRIDGE_TRANSPORT_CLASS (klass);

  object_class->finalize = cradle_agent_functionfs_transport_finalize;
  transport_class->send = cradle_agent_functionfs_transport_send;
  transport_class->receive = cradle_agent_functionfs_transport_receive;
  transport_class->close = cradle_agent_functionfs_transport_close;
}

static void
cradle_agent_functionfs_transport_init (CradleAgentFunctionfsTransport *self)
{
  self->in_fd = -1;
}

CradleBridgeTransport *
cradle_agent_functionfs_transport_new (int         in_fd,
                                       int         out_fd,
                                       gsize       max_packet,
                                       const char *id)
{
  CradleAgentFunctionfsTransport *self;

  g_return_val_if_fail (in_fd >= 0 && out_fd >= 0, NULL);
  g_return_val_if_fail (max_packet > 0, NULL);

  self = g_object_new (CRADLE_TYPE_AGENT_FUNCTIONFS_TRANSPORT, "kind", "usb", "id", id, NULL);
  self->in_fd = in_fd;
  self->max_packet = max_packet;
  self->inbox = g_atomic_rc_box_new0 (Inbox);
  g_mutex_init (&self->inbox->mutex);
  g_cond_init (&self->inbox->arrived);
  g_cond_init (&self->inbox->io_left);
  self->inbox->pending = g_byte_array_new ();
  self->inbox->out_fd = out_fd;
  install_interrupt_handler ();
  g_thread_unref (g_thread_new ("cradle-ffs-reader", reader_thread,
                                g_atomic_rc_box_acquire (self->inbox)));
  return CRADLE_BRIDGE_TRANSPORT (self);
}

void
cradle_agent_functionfs_transport_disconnect (CradleAgentFunctionfsTransport *self,
                                              const char                     *why)
{
  g_return_if_fail (CRADLE_IS_AGENT_FUNCTIONFS_TRANSPORT (self));

  inbox_set_gone (self->inbox, why);
}

gboolean
cradle_agent_functionfs_transport_is_connected (CradleAgentFunctionfsTransport *self)
{
  gboolean gone;

  g_return_val_if_fail (CRADLE_IS_AGENT_FUNCTIONFS_TRANSPORT (self), FALSE);

  g_mutex_lock (&self->inbox->mutex);
  gone = self->inbox->gone;
  g_mutex_unlock (&self->inbox->mutex);
  return !gone;
}
