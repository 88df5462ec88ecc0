/* cradle-agent-socket-transport.c: frames over a connected Unix socket, on plain descriptors */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-socket-transport-private.h"

struct _CradleAgentSocketTransport
{
  CradleBridgeTransport parent_instance;

  int   fd;                   /* owned; -1 once closed */
  guint receive_timeout_ms;   /* SO_RCVTIMEO now set on it */
};

G_DEFINE_FINAL_TYPE (CradleAgentSocketTransport, cradle_agent_socket_transport, CRADLE_TYPE_BRIDGE_TRANSPORT)

static void
set_gone (GError                **error,
          CradleBridgeTransport  *transport,
          const char             *why)
{
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
               "The host on %s went away (%s).", cradle_bridge_transport_get_id (transport), why);
}

static gboolean
cradle_agent_socket_transport_send (CradleBridgeTransport  *transport,
                                    GBytes                 *frame,
                                    GCancellable           *cancellable,
                                    GError                **error)
{
  CradleAgentSocketTransport *self = CRADLE_AGENT_SOCKET_TRANSPORT (transport);
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);
  gsize offset = 0;

  g_return_val_if_fail (cancellable == NULL, FALSE);

  if (self->fd < 0)
    {
      set_gone (error, transport, "the session is closed");
      return FALSE;
    }
  while (offset < size)
    {
      /* A host that closed its end is an error here, not a SIGPIPE. */
      gssize sent = send (self->fd, data + offset, size - offset, MSG_NOSIGNAL);

      if (sent < 0 && errno == EINTR)
        continue;
      if (sent <= 0)
        {
          set_gone (error, transport, sent < 0 ? g_strerror (errno) : "nothing could be written");
          return FALSE;
        }
      offset += (gsize) sent;
    }
  return TRUE;
}

/* One blocking read bounded by SO_RCVTIMEO, instead of a poll() and a read
 * for every frame (bench-bridge). */
static gssize
cradle_agent_socket_transport_receive (CradleBridgeTransport  *transport,
                                       guint8                 *buffer,
                                       gsize                   size,
                                       guint                   timeout_ms,
                                       GCancellable           *cancellable,
                                       GError                **error)
{
  CradleAgentSocketTransport *self = CRADLE_AGENT_SOCKET_TRANSPORT (transport);
  gssize got;

  g_return_val_if_fail (cancellable == NULL, -1);
  g_return_val_if_fail (timeout_ms > 0, -1);

  if (self->fd < 0)
    {
      set_gone (error, transport, "the session is closed");
      return -1;
    }
  if (self->receive_timeout_ms != timeout_ms)
    {
      struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };

      if (setsockopt (self->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        {
          set_gone (error, transport, g_strerror (errno));
          return -1;
        }
      self->receive_timeout_ms = timeout_ms;
    }
  do
    got = recv (self->fd, buffer, size, 0);
  while (got < 0 && errno == EINTR);
  if (got > 0)
    return got;
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return 0;
  set_gone (error, transport, got == 0 ? "the other side closed the session" : g_strerror (errno));
  return -1;
}

static void
cradle_agent_socket_transport_close (CradleBridgeTransport *transport)
{
  CradleAgentSocketTransport *self = CRADLE_AGENT_SOCKET_TRANSPORT (transport);

  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
}

static void
cradle_agent_socket_transport_finalize (GObject *object)
{
  cradle_agent_socket_transport_close (CRADLE_BRIDGE_TRANSPORT (object));
  G_OBJECT_CLASS (cradle_agent_socket_transport_parent_class)->finalize (object);
}

static void
cradle_agent_socket_transport_class_init (CradleAgentSocketTransportClass *klass)
{
  CradleBridgeTransportClass *transport_class = CRADLE_BRIDGE_TRANSPORT_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = cradle_agent_socket_transport_finalize;
  transport_class->send = cradle_agent_socket_transport_send;
  transport_class->receive = cradle_agent_socket_transport_receive;
  transport_class->close = cradle_agent_socket_transport_close;
}

static void
cradle_agent_socket_transport_init (CradleAgentSocketTransport *self)
{
  self->fd = -1;
}

CradleBridgeTransport *
cradle_agent_socket_transport_new (int          fd,
                                   const char  *id,
                                   GError     **error)
{
  CradleAgentSocketTransport *self;
  int type = 0;
  socklen_t type_size = sizeof type;
  int flags;

  if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &type_size) < 0 || type != SOCK_STREAM)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Descriptor %d is not a connected stream socket (%s). Give --fd a socket the host holds "
                   "the other end of.", fd, type != 0 ? "another kind of socket" : g_strerror (saved_errno));
      if (fd >= 0)
        close (fd);
      return NULL;
    }
  /* Reads block, bounded by SO_RCVTIMEO; an inherited O_NONBLOCK would
   * turn every wait into a spin. */
  flags = fcntl (fd, F_GETFL);
  if (flags < 0 || ((flags & O_NONBLOCK) != 0 && fcntl (fd, F_SETFL, flags & ~O_NONBLOCK) < 0))
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not make descriptor %d blocking: %s", fd, g_strerror (saved_errno));
      close (fd);
      return NULL;
    }
  self = g_object_new (CRADLE_TYPE_AGENT_SOCKET_TRANSPORT, "kind", "socket", "id", id, NULL);
  self->fd = fd;
  return CRADLE_BRIDGE_TRANSPORT (self);
}
